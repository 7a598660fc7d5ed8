"""Test cases generated from the op registry: every op, over shapes and dtypes.

Elementwise ops get a standard sweep of broadcasting shapes by arity; other ops declare
their own `cases` in the registry. Values are drawn from each operand's declared domain
(`Op.domains`).
"""

from __future__ import annotations

import inspect

import numpy as np

from bpcompiler.ops import REGISTRY, Aval, F
from bpcompiler.ops.registry import elementwise_rule
from bpcompiler.tracer import Tracer

# Each elementwise op's broadcasting sweep. The cases that differ from each other (a
# scalar, a scalar against an array, two operands broadcast against each other) run in
# the default suite; the repeats (same shapes, one-sided broadcasts: the same unbroadcast
# rule again) run with `-m slow`, as do float32 cases past an op's first (its dtype
# rules are the graph's, shared by every op).
_DISTINCT = {
    1: [((),), ((2, 3),)],
    2: [((), ()), ((2, 1), (1, 3)), ((), (2, 3))],
    3: [((), (), ()), ((2, 3), (3,), ()), ((1, 3), (2, 1), (3,))],
}
_REPEATS = {
    1: [((4,),), ((2, 1),)],
    2: [((4,), (4,)), ((2, 3), (3,)), ((3, 1), (3, 4))],
    3: [((2, 3), (2, 3), (2, 3))],
}
ELEMENTWISE_SHAPES = {arity: _DISTINCT[arity] + _REPEATS[arity] for arity in _DISTINCT}


def parametrized(cases):
    """The cases as pytest params, those that only repeat coverage marked slow."""
    import pytest
    out, seen_float32 = [], set()
    for case in cases:
        _, op, shapes, params, dtype, python = case
        again = dtype == "float32" and op.name in seen_float32
        if dtype == "float32":
            seen_float32.add(op.name)
        if op.shape_rule is elementwise_rule and not op.cases and \
                tuple(shapes) in _REPEATS.get(op.arity, ()):
            again = True
        out.append(pytest.param(case, id=case[0], marks=[pytest.mark.slow] if again else []))
    return out


def op_cases():
    """(id, op, operand shapes, params, dtype, python) for every testable op."""
    out = []
    for name, op in sorted(REGISTRY.items()):
        if op.arity == 0 or not op.differentiable or name == "proj":
            continue  # (proj, a field of a multi-output op, is tested with each of them)
        if op.shape_rule is elementwise_rule and not op.cases:
            cases = [(shapes, {}) for shapes in ELEMENTWISE_SHAPES[op.arity]]
        else:
            cases = list(op.cases)
        if op.np_fn is None:  # a math-module function: Python floats only
            cases = []
        for shapes, params in cases:
            for dtype in ("float64", "float32"):
                out.append((f"{name}-{'x'.join(map(str, shapes))}-{params or ''}-{dtype}",
                            op, shapes, params, dtype, False))
        if op.py_fn is not None and op.shape_rule is elementwise_rule:
            out.append((f"{name}-python-float", op, ((),) * op.arity, {}, "float64", True))
    return out


# Front-end sweep: each reduction as the user spells it (function and method), over the
# axis forms NumPy accepts: None, int, negative int, tuples with negative entries, and
# keepdims. These reach the ops through the same normalisation the tracer uses.
REDUCTION_SPELLINGS = ("sum", "mean", "prod", "max", "min", "var", "std")
AXIS_FORMS = (None, 0, -1, (0, -1), (-2,), (2, 0, 1))


def frontend_reduction_cases():
    out = []
    for name in REDUCTION_SPELLINGS:
        for axis in AXIS_FORMS:
            for keepdims in (False, True):
                for method in (False, True):
                    if method and keepdims:
                        continue  # keep the sweep small: methods without keepdims
                    out.append((f"{'.' if method else 'np.'}{name}-axis={axis}-"
                                f"keepdims={keepdims}", name, axis, keepdims, method))
    return out


def autograd_lacks(op, params, shapes) -> bool:
    """Where autograd has no VJP for an op, or a wrong one (facts about autograd, not
    about the op): JAX checks these instead."""
    name = op.name
    return (name == "where" and len(set(shapes)) > 1  # no sum of broadcast gradients
            or name in ("cbrt", "clip", "fmod", "take_along_axis", "cumprod", "qr", "lstsq")
            or name == "sort" and len(shapes[0]) > 1
            or name == "convolve" and params["numpy"]  # no VJP for np.convolve
            or name == "solve_banded" and len(shapes[1]) == 2  # fails on a matrix b
            or name == "norm" and params["keepdims"]  # the VJP's shape is wrong
            or name == "tile" and len(params["reps"]) < len(shapes[0]))  # wrong VJP


def reference(op, params, xp):
    """The op written with namespace `xp` (its declared `Op.reference`; an elementwise
    op's default is the ufunc of that name), or None when `xp` has no such function."""
    if op.reference is not None:
        return op.reference(xp, params)
    if op.shape_rule is elementwise_rule and op.np_fn is not None and not op.cases:
        return getattr(xp, op.np_fn.__name__, None)
    return None


def fields(op, y) -> tuple:
    """An op's result as a tuple of arrays: its fields for a multi-output op (eigh)."""
    return tuple(y) if op.outputs else (y,)


def weighed(op, y, weights, python=False):
    """sum(weights * y) (a multi-output op: the sum of that over its fields, `weights`
    one array per field), the scalar the generated gradient tests differentiate."""
    if python:
        return y * weights
    if not op.outputs:
        return np.sum(y * weights)
    return sum(np.sum(part * w) for part, w in zip(y, weights))


def sample_args(op, shapes, dtype, python, rng) -> tuple[list, tuple]:
    """(operands drawn from the op's declared domains, Python floats for a float case;
    the names `x0`, `x1`, ... of the float ones, the parameters to differentiate)."""
    doms = op.domains(len(shapes))
    args = [d.sample(s, dtype, rng) for d, s in zip(doms, shapes)]
    if python:
        args = [float(a) for a in args]
    return args, tuple(f"x{i}" for i, d in enumerate(doms) if not d.integer)


def aval_of(a) -> Aval:
    if isinstance(a, float):
        return Aval((), "float64", True)
    return Aval(a.shape, a.dtype.name, False)


def case_function(op, params, python, weights, arity: int):
    """f(x0, ..., x{arity-1}) = sum(weights * op(*xs)): traced through the registry (F),
    the real op otherwise; what the generated gradient tests compile."""
    def f(*xs):
        if any(isinstance(x, Tracer) for x in xs):
            y = getattr(F, op.name)(*xs, **params)
        else:
            y = op.impl(python)(*xs, **params)
        return weighed(op, y, weights, python)
    f.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter(f"x{i}", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for i in range(arity)])
    return f


def weights_for(op, avals, params, python, dtype, rng):
    """Random weights of the op's result's shape (one array per field of a multi-output
    op), in `dtype`."""
    if python:
        return 0.7
    shapes = op.shape_rule(op, avals, params, python)[0]
    if not op.outputs:
        shapes = (shapes,)
    ws = tuple(np.asarray(rng.uniform(-1, 1, size=s), dtype=dtype) for s in shapes)
    return ws if op.outputs else ws[0]
