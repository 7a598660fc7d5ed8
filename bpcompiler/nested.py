"""Derivatives taken inside the traced function: autograd's `grad`, `hessian`, ... of
traced values.

An objective may itself call autograd: a Newton step `x - grad(f)(x) / ...`, a
Hessian-vector product, a gradient penalty, `jacobian(residuals)`. Every autograd
operator reaches autograd's tracing core through `make_vjp`/`make_jvp`, which call
`autograd.core.trace` and `backward_pass`. While bpcompiler traces, those two are
replaced: `trace` runs the function on fresh traced stand-ins of its argument and
`backward_pass` builds the derivative as ordinary nodes of the same graph, with the
reverse sweep of autodiff.py. The gradient of the whole function then differentiates
through those nodes too, so grad-of-grad is reverse-over-reverse on one graph, and
autograd's own operator code (grad's scalar check, jacobian's stacking, hessian's
tensordot) runs unchanged on traced values.

Each argument leaf gets a *fresh* node (a copy), and the derivative is taken with respect
to that node only: in `grad(lambda y: x * y)(x)` the inner derivative is `x`, not `2x`
(the closure's `x` is another path to the same value, which autograd does not count).
"""

from __future__ import annotations

import contextlib
import sys

import numpy as np

from .autodiff import backward
from .builder import _STACK, current_builder
from .errors import UnsupportedOperationError
from .structure import flatten, rebuild
from .tracer import Tracer


@contextlib.contextmanager
def autograd_traced():
    """While tracing: autograd's core builds graph nodes when handed traced values.
    A no-op when autograd has not been imported (bpcompiler never imports it)."""
    core = sys.modules.get("autograd.core")
    if core is None or not hasattr(core, "trace") or not hasattr(core, "backward_pass"):
        yield
        return
    saved = core.trace, core.backward_pass
    tracer_types = _subclasses(Tracer)
    space = _tracer_vspace(core)
    previous = {t: core.VSpace.mappings.get(t) for t in tracer_types}
    core.trace, core.backward_pass = _trace(saved[0]), _backward_pass(saved[1])
    for t in tracer_types:
        core.VSpace.mappings[t] = space
    try:
        yield
    finally:
        core.trace, core.backward_pass = saved
        for t, old in previous.items():
            if old is None:
                core.VSpace.mappings.pop(t, None)
            else:
                core.VSpace.mappings[t] = old


def _subclasses(cls) -> list[type]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_subclasses(sub))
    return found


def _tracer_vspace(core):
    """autograd's vector space of a traced value: the array space of its shape and dtype
    (ones, zeros and the standard basis are constants)."""
    base = sys.modules["autograd.numpy.numpy_vspaces"].ArrayVSpace \
        if "autograd.numpy.numpy_vspaces" in sys.modules else core.VSpace

    class TracedVSpace(base):
        def __init__(self, value):
            self.shape = tuple(value.shape)
            self.dtype = np.dtype(value.dtype)

    return TracedVSpace


class _End:
    """What the replaced `trace` hands autograd as the end node: the traced output and
    the fresh stand-ins (x's leaves, in order) its derivative is taken with respect to."""

    def __init__(self, x, stand_ins, output):
        self.x, self.stand_ins, self.output = x, stand_ins, output
        self.g = None  # a forward-mode tangent (make_jvp reads end_node.g)


def _tracing() -> bool:
    return bool(_STACK) and _STACK[-1].phase == "forward"


def _trace(original):
    def trace(start_node, fun, x):
        if not _tracing():
            return original(start_node, fun, x)
        builder = current_builder()
        stand_ins = [_stand_in(builder, leaf) for leaf in _leaves(x)]
        end = _End(x, stand_ins, fun(_like(x, stand_ins)))
        tangent = getattr(start_node, "g", None)
        if type(start_node).__name__ == "JVPNode":  # make_jvp: the tangent in direction g
            end.g = _jvp(builder, end, tangent)
        return end.output, end

    return trace


def _backward_pass(original):
    def backward_pass(g, end_node):
        if not isinstance(end_node, _End):
            return original(g, end_node)
        return _vjp(current_builder(), end_node, g)

    return backward_pass


def _stand_in(builder, leaf) -> Tracer:
    """A new node with the value, type and dtype of `leaf`, the derivative's variable.
    It is `leaf * 1.0` (an identity even under verification's complex step, folded away
    by the optimiser) built from a constant's value rather than its node, so that it is
    not folded into a constant now: what depends on it must stay in the graph."""
    if isinstance(leaf, Tracer):
        attrs = builder.graph.nodes[leaf._node]
        dtype = leaf.dtype
        if attrs["op"] == "const":
            leaf = attrs["params"]["value"]
    else:
        dtype = np.asarray(leaf).dtype.name
    if dtype not in ("float64", "float32", "float16"):
        raise UnsupportedOperationError(
            f"autograd was asked to differentiate with respect to a {dtype} value",
            hint="differentiate with respect to float values (autograd refuses ints too)")
    return builder.apply("multiply", (leaf, 1.0))


def _pairs(value) -> list:
    return flatten(value) if isinstance(value, (list, tuple, dict)) else [((), value)]


def _leaves(value) -> list:
    return [leaf for _, leaf in _pairs(value)]


def _like(template, leaves: list):
    """`leaves` in the structure of `template` (a list, tuple or dict of them, or one)."""
    paths = [path for path, _ in _pairs(template)]
    return leaves[0] if paths == [()] else rebuild(template, dict(zip(paths, leaves)))


def _inner(xs: list, ys: list):
    """The sum over pairs of leaves of sum(x * y); None when no x is traced."""
    total = None
    for x, y in zip(xs, ys):
        if isinstance(x, Tracer):  # (a constant output contributes nothing)
            term = np.sum(x * y) if x.shape else x * y
            total = term if total is None else total + term
    return total


def _derivative(builder, total, sources: list) -> list:
    """The gradient of traced scalar `total` with respect to each of `sources`."""
    total = builder.tracer(builder.node_of(total))
    nodes = backward(builder.graph, None, output=total._node,
                     sources=[s._node for s in sources], phase="forward",
                     max_nodes=builder.max_nodes)
    return [_as_autograd_gives(builder, n) for n in nodes]


def _vjp(builder, end: _End, cotangent):
    """Sum over the output's leaves of <leaf, cotangent leaf>, differentiated with respect
    to the stand-ins: the VJP, as nodes of the graph being traced."""
    outputs, seeds = _leaves(end.output), _leaves(cotangent)
    if len(outputs) != len(seeds):
        raise UnsupportedOperationError("autograd's cotangent does not match the output",
                                        hint="pass a cotangent of the output's structure")
    total = _inner(outputs, seeds)
    grads = [builder.tracer(builder.constant(_zeros(s))) for s in end.stand_ins] \
        if total is None else _derivative(builder, total, end.stand_ins)
    return _like(end.x, grads)


def _jvp(builder, end: _End, tangent):
    """The tangent of the output in direction `tangent`, by two reverse sweeps: the VJP
    with a stand-in cotangent u is linear in u, and its inner product with the tangent,
    differentiated with respect to u, is J @ tangent."""
    us = [_stand_in(builder, _zeros(o)) for o in _leaves(end.output)]
    pulled = _leaves(_vjp(builder, end, _like(end.output, us)))
    return _like(end.output, _derivative(builder, _inner(pulled, _leaves(tangent)), us))


def _as_autograd_gives(builder, node: int) -> Tracer:
    """autograd's derivative with respect to a Python float is a NumPy float64 (its
    seeds are arrays)."""
    if builder.graph.nodes[node]["python"]:
        return builder.tracer(builder.numpy_scalar(node))
    return builder.tracer(node)


def _zeros(like):
    """Zeros of the type, shape and dtype of traced or constant value `like`."""
    if isinstance(like, Tracer):
        return 0.0 if like._python else np.zeros(like.shape, like.dtype)
    return 0.0 if isinstance(like, float) else np.zeros(np.shape(like), np.asarray(like).dtype)
