"""Graphs built by hand with the registry's ops, for the unit tests of the passes
(test_passes.py). (Their property tests run on the fuzzer's random programs,
tests/fuzz/programs.py.)
"""

from __future__ import annotations

from bpcompiler.builder import Builder
from bpcompiler.graph import add_node, new_graph


def build(params, body, wrt=None):
    """A forward graph: `params` is [(name, shape, python)], `body(*tracers)` returns the
    output tracer, built with the registry's ops as tracing would."""
    g = new_graph("f", None, tuple(p[0] for p in params))
    inputs = [add_node(g, "input", (), {"index": i}, shape=shape, dtype="float64",
                       python=python, phase="forward", name=name)
              for i, (name, shape, python) in enumerate(params)]
    g.graph.update(inputs=tuple(inputs), wrt=tuple(wrt or (p[0] for p in params)))
    b = Builder(g, "forward", lambda: (None, None))
    with b.active():
        out = body(*[b.tracer(n) for n in inputs])
        g.graph["output"] = out._node
    return g
