"""Each function of the corpus (tests/support/corpus.py), compiled with `compile_grad`
and checked against HIPS autograd: forward value, gradients, and each gradient's shape
and dtype. float64 cases use rtol 1e-12 on the value and rtol 1e-9 / atol 1e-12 on
gradients; float32 cases compare against autograd run in float64 with rtol 1e-4.
"""

from __future__ import annotations

import inspect
import zlib

import numpy as np
import pytest

from bpcompiler import compile_grad
from bpcompiler.passes import optimize
from bpcompiler.passes.rebuild import hashable
from support.corpus import CASES, _is_float, reference
from support.style import style_problems


def _tolerances(case):
    if case.float32:
        return dict(value=dict(rtol=1e-4), grad=dict(rtol=1e-4, atol=0.0))
    return dict(value=dict(rtol=1e-12), grad=dict(rtol=1e-9, atol=1e-12))


def _check_grad_type(g, p, name):
    if isinstance(p, float):
        assert isinstance(g, (float, np.floating)), (name, type(g))
        assert np.asarray(g).dtype == np.float64, (name, np.asarray(g).dtype)
        return
    assert isinstance(g, (np.ndarray, np.generic)), (name, type(g))
    assert g.shape == np.shape(p), (name, g.shape, np.shape(p))
    assert g.dtype == p.dtype, (name, g.dtype, p.dtype)


def test_corpus_names_are_unique():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=c.marks) for c in CASES])
def test_matches_autograd(case):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    args = case.make_args(rng)
    names = list(inspect.signature(case.fn).parameters)
    wrt = case.wrt or tuple(n for n, a in zip(names, args) if _is_float(a))
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]

    c = compile_grad(case.fn, args=args, wrt=case.wrt)
    assert c.module.WRT == wrt
    # names, comments, d_<param> (support/style.py)
    assert style_problems(c.source, source_names=case.fn.__code__.co_varnames) == []
    value, grads = c.module.value_and_grad(*args)
    for before, after in zip(copies, args):
        np.testing.assert_array_equal(before, after)  # inputs left alone

    ref_value, ref_grads = reference(case.fn, args, wrt)
    tol = _tolerances(case)
    with np.errstate(all="ignore"):
        own = case.fn(*args)
    np.testing.assert_allclose(value, own, **tol["value"])
    np.testing.assert_allclose(value, ref_value, **tol["value"])
    np.testing.assert_allclose(c.module.forward(*args), value, rtol=0, atol=0)

    assert isinstance(grads, tuple) and len(grads) == len(wrt)
    for name, g, rg in zip(wrt, grads, ref_grads):
        p = args[names.index(name)]
        _check_grad_type(g, p, name)
        np.testing.assert_allclose(np.asarray(g, dtype=np.float64), rg, **tol["grad"],
                                   err_msg=f"gradient with respect to {name}")
    again = c.module.grad(*args)
    for g, h in zip(grads, again):
        np.testing.assert_array_equal(g, h)
    # The optimiser stopped at a fixed point: one more walk rewrites nothing.
    assert _structure(optimize(c.graph, rounds=1)) == _structure(c.graph)


def _structure(g):
    """The graph with its node ids renumbered 0, 1, ... (a dropped dead node leaves a gap)."""
    position = {n: i for i, n in enumerate(sorted(g))}
    return [(a["op"], tuple(position[x] for x in a["args"]), hashable(a["params"]))
            for _, a in sorted(g.nodes(data=True))]
