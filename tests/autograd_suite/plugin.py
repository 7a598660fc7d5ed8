"""A pytest plugin for autograd's test suite: `check_grads(fun, ...)(*args)` compiles
`fun` with bpcompiler instead, every float argument differentiated, and compares the
value and the gradients with autograd's own on the same function.

A vector or tuple output is reduced to sum(output * W) with fixed random weights W, so
the comparison covers the whole Jacobian along one direction. Complex inputs or outputs
are skipped (bpcompiler differentiates real functions). Each check is recorded in the
JSON file named by $BP_AUTOGRAD_REPORT: outcome "pass", "refused" (a CompileError),
"complex", "kink" or "undefined" (a gradient that disagrees at a point where the
function has no derivative: one-sided slopes differ, or autograd's reference is not
finite), or "wrong" (any other disagreement).
"""

from __future__ import annotations

import inspect
import json
import os

import numpy as np

RECORDS: list = []


def _is_float(value) -> bool:
    return isinstance(value, float) or (isinstance(value, np.ndarray) and value.dtype.kind == "f")


def _is_complex(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_is_complex(v) for v in value)
    return isinstance(value, complex) or np.iscomplexobj(value)


def _weights(y, rng):
    if isinstance(y, (list, tuple)):
        return [_weights(v, rng) for v in y]
    if isinstance(y, dict):
        return {k: _weights(y[k], rng) for k in sorted(y)}
    return rng.uniform(-1.0, 1.0, size=np.shape(y))


def _reduce(y, w, np_module):
    # (autograd boxes a container output: follow the weights' structure)
    if isinstance(w, list):
        return sum(_reduce(y[i], u, np_module) for i, u in enumerate(w))
    if isinstance(w, dict):
        return sum(_reduce(y[k], u, np_module) for k, u in w.items())
    return np_module.sum(y * w)


def _leaves(value) -> list:
    """The float leaves of an argument: itself, or those of a list, tuple or dict."""
    if _is_float(value):
        return [value]
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _leaves(v)]
    if isinstance(value, dict):
        return [leaf for k in sorted(value) for leaf in _leaves(value[k])]
    return []


def _rebuild(value, leaves):
    """`value` with its float leaves taken, in order, from the iterator `leaves`."""
    if _is_float(value):
        return next(leaves)
    if isinstance(value, (list, tuple)):
        return type(value)(_rebuild(v, leaves) for v in value)
    if isinstance(value, dict):
        return {k: _rebuild(value[k], leaves) for k in sorted(value)}
    return value


def _objective(fun, args, kwargs, floats, w, np_module):
    """f(*float_leaves) = sum(fun(*args) * w), the other arguments fixed; lists, tuples
    and dicts of float arrays contribute each array as a parameter of its own."""
    def objective(*values):
        leaves = iter(values)
        full = [_rebuild(a, leaves) for a in args]
        return _reduce(fun(*full, **kwargs), w, np_module)
    names = [f"a{i}" for i in range(len(floats))]
    objective.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
    objective.__name__ = getattr(fun, "__name__", "fun")
    return objective


def _close(a, b) -> bool:
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                       rtol=1e-5, atol=1e-7)


def _reference(autograd, theirs, ours, values, k):
    """autograd's gradient in argument k; central differences where autograd has none
    (its einsum VJP refuses an operand with a repeated index)."""
    try:
        return autograd.grad(theirs, k)(*values)
    except (NotImplementedError, ValueError, TypeError):
        x = np.array(values[k], dtype=float)
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += 1e-6
            down[i] -= 1e-6
            shifted = [list(values), list(values)]
            shifted[0][k], shifted[1][k] = (up, down) if x.shape else (float(up), float(down))
            g[i] = (ours(*shifted[0]) - ours(*shifted[1])) / 2e-6
        return g if x.shape else float(g)


def check_with_bpcompiler(fun, args, kwargs):
    import autograd
    import autograd.numpy as anp
    from bpcompiler import CompileError, compile_grad

    name = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    y = fun(*args, **kwargs)
    if _is_complex(args) or _is_complex(list(kwargs.values())) or _is_complex(y):
        RECORDS.append({"test": name, "outcome": "complex"})
        return
    floats = [leaf for a in args for leaf in _leaves(a)]
    w = _weights(y, np.random.default_rng(0))
    ours = _objective(fun, args, kwargs, floats, w, np)
    theirs = _objective(fun, args, kwargs, floats, w, anp)
    values = floats
    try:
        c = compile_grad(ours, tuple(values))
    except CompileError as exc:
        RECORDS.append({"test": name, "outcome": "refused", "why": str(exc)[:300]})
        return
    value, grads = c.module.value_and_grad(*values)
    expected = [_reference(autograd, theirs, ours, values, k) for k in range(len(values))]
    ok = _close(value, theirs(*values)) and all(_close(g, e) for g, e in zip(grads, expected))
    outcome = "pass" if ok else "wrong"
    if not ok and _close(value, theirs(*values)):
        if not all(np.all(np.isfinite(e)) for e in expected):
            outcome = "undefined"  # no derivative there (poisson.logpmf in its integer k)
        elif _at_a_kink(ours, values):
            outcome = "kink"  # |x| at 0: each side has its own slope; conventions differ
    RECORDS.append({"test": name, "outcome": outcome})


def _at_a_kink(f, values, h=1e-6) -> bool:
    """Whether f's one-sided slopes along a random direction differ at `values`."""
    rng = np.random.default_rng(1)
    step = [rng.normal(size=np.shape(v)) if np.shape(v) else float(rng.normal())
            for v in values]

    def at(t):
        return f(*[v + t * d for v, d in zip(values, step)])
    right, left = (at(h) - at(0.0)) / h, (at(0.0) - at(-h)) / h
    return not np.isclose(right, left, rtol=1e-4, atol=1e-6)


def check_grads(fun, argnum=0, *unused, **options):
    def nary(*args, **kwargs):
        check_with_bpcompiler(fun, args, kwargs)
    return nary


def pytest_configure(config):
    import autograd.test_util
    autograd.test_util.check_grads = check_grads


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("BP_AUTOGRAD_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(RECORDS, f)
