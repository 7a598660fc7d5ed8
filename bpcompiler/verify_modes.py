"""Verification of the functions `emit=` adds beyond the gradient (modes.py), before the
module is written, at the example arguments and a perturbed copy of them:

- forward, and the value jvp and vjp return, agree with the user's function;
- jvp along random tangents agrees with Richardson-extrapolated central differences of
  the function, and with vjp by the dot-product test <u, J v> = <J^T u, v>;
- vjp agrees with the differences of <u, f> along random directions;
- each Jacobian block, contracted with a random direction (a column sum) and with a
  random cotangent (a row sum), agrees with jvp and vjp (or differences, without them);
- hvp agrees with differences of the gradient (the module's own grad, or second
  differences of the function without one) and is symmetric: <u, H v> = <H u, v>;
- the Hessian's blocks agree with hvp, or with the same differences.

The gradient itself is verify.py's (called through its public `verify`). A
disagreement raises VerificationError naming the function, the point and the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import VerificationError
from .structured import flatten, is_structured
from .verify import call_user

DIRECTIONS = 2
RTOL = {"float64": 1e-6, "float32": 2e-3}
STEP = {"float64": 1e-3, "float32": 3e-2}


@dataclass
class ModesReport:
    points: int = 0
    checked: list = field(default_factory=list)  # function names checked
    rtol: float = 0.0
    worst: float = 0.0

    def summary(self) -> str:
        return (f"{', '.join(self.checked)} checked at {self.points} points along "
                f"{DIRECTIONS} random directions against differences and each other "
                f"(rtol {self.rtol:g})")


class _Point:
    """The function near one point, as a function of the WRT parameters."""

    def __init__(self, fn, args, params, wrt):
        self.fn, self.args = fn, tuple(args)
        self.index = [list(params).index(w) for w in wrt]

    def call(self, shifted=None):
        xs = list(self.args)
        for i, v in zip(self.index, shifted or ()):
            xs[i] = v
        with np.errstate(all="ignore"):
            return np.asarray(call_user(self.fn, xs), dtype=np.float64)

    def wrt_values(self):
        return [self.args[i] for i in self.index]

    def moved(self, direction, s):
        return [_like(x, np.asarray(x, np.float64) + s * np.asarray(d, np.float64))
                for x, d in zip(self.wrt_values(), direction)]


def _like(x, value):
    if type(x) is float:
        return float(value)
    if isinstance(x, np.generic):  # a NumPy scalar stays one (the module's guards ask)
        return type(x)(value)
    return np.asarray(value, dtype=np.float64 if np.asarray(x).dtype.kind == "f" else None)


def _scale(values) -> float:
    return max([float(np.max(np.abs(v))) if np.size(v) else 0.0 for v in values] + [1.0])


def _richardson(g, h):
    """A central difference of g along a step h, Richardson-extrapolated."""
    d1 = (g(h) - g(-h)) / (2 * h)
    d2 = (g(h / 2) - g(-h / 2)) / h
    return (4 * d2 - d1) / 3


def _dot(a, b) -> float:
    return float(sum(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64))
                     for x, y in zip(a, b)))


class _Checker:
    def __init__(self, module, emit, rtol, report):
        self.module, self.emit, self.rtol, self.report = module, emit, rtol, report

    def close(self, what, got, want, where, rtol=None):
        rtol = self.rtol if rtol is None else rtol
        got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
        scale = max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-8)
        error = float(np.max(np.abs(got - want))) / scale if want.size else 0.0
        self.report.worst = max(self.report.worst, error)
        if not (error <= rtol) or got.shape != want.shape:
            raise VerificationError(
                f"verification failed: {what} at {where}: the module gives {got.ravel()[:6]}"
                f", expected {want.ravel()[:6]} (relative error {error:.3g}, tolerance "
                f"{rtol:g})", hint="this is a bug in bpcompiler; please report it")

    def check(self, point: _Point, where: str, rng, step: float) -> None:
        m, args = self.module, point.args
        value = point.call()
        self.close("forward", m.forward(*args), value, where)
        h = step * _scale(point.wrt_values())
        for _ in range(DIRECTIONS):
            v = [_random_like(x, rng) for x in point.wrt_values()]
            u = rng.uniform(-1, 1, np.shape(value))
            jv = _richardson(lambda s: point.call(point.moved(v, s)), h)
            self.check_first_order(point, where, value, u, v, jv, h)
            if "hvp" in self.emit or "hessian" in self.emit:
                self.check_second_order(point, where, u, v, h, rng)

    def check_first_order(self, point, where, value, u, v, jv, h):
        m, args = self.module, point.args
        jvp = vjp = None
        if "jvp" in self.emit:
            out, jvp = m.jvp(*args, tuple(v))
            self.close("jvp's value", out, value, where)
            self.close("jvp", jvp, jv, where)
        if "vjp" in self.emit:
            out, vjp = m.vjp(*args, u if np.ndim(value) else float(u))
            self.close("vjp's value", out, value, where)
            self.close("vjp <J^T u, v>", _dot(vjp, v), float(np.sum(u * jv)), where)
            if jvp is not None:  # the dot-product test, exact up to rounding
                self.close("the dot-product test <u, J v> = <J^T u, v>", _dot(vjp, v),
                           float(np.sum(u * np.asarray(jvp))), where)
        if "jacobian" in self.emit:
            blocks = m.jacobian(*args)
            column = sum(_contract(b, d, trailing=True) for b, d in zip(blocks, v))
            self.close("jacobian @ v", column, jvp if jvp is not None else jv, where)
            if vjp is not None:
                for b, g in zip(blocks, vjp):
                    self.close("u @ jacobian", _contract(b, u, trailing=False), g, where)

    def check_second_order(self, point, where, u, v, h, rng):
        m, args = self.module, point.args
        hv = m.hvp(*args, tuple(v)) if "hvp" in self.emit else \
            [sum(_contract(b, d, trailing=True) for b, d in zip(row, v))
             for row in m.hessian(*args)]
        w = [_random_like(x, rng) for x in point.wrt_values()]
        if "grad" in self.emit:  # differences of the module's own (verified) gradient
            def grad_along(s):
                return [np.asarray(d, np.float64)
                        for d in m.grad(*_with(args, point, point.moved(v, s)))]
            d1 = [(a - b) / (2 * h) for a, b in zip(grad_along(h), grad_along(-h))]
            d2 = [(a - b) / h for a, b in zip(grad_along(h / 2), grad_along(-h / 2))]
            for got, a, b in zip(hv, d1, d2):
                self.close("hvp against differences of the gradient", got, (4 * b - a) / 3,
                           where)
        else:  # <w, H v> from second differences of the function
            def along(s, t):
                return float(point.call(point.moved(
                    [a * s + b * t for a, b in zip(w, v)], 1.0)))
            def second_difference(k):
                return (along(k, k) - along(k, -k) - along(-k, k) + along(-k, -k)) / (4 * k * k)
            k = 10 * h  # Richardson-extrapolated: the O(k^2) error cancels
            second = (4 * second_difference(k / 2) - second_difference(k)) / 3
            # Second differences keep half the digits: a looser check, still a real one.
            self.close("<w, H v> against second differences of the function", _dot(w, hv),
                       second, where, rtol=max(self.rtol, 1e-4))
        if "hvp" in self.emit:
            hw = m.hvp(*args, tuple(w))
            self.close("hvp symmetry <w, H v> = <H w, v>", _dot(w, hv), _dot(hw, v), where)
            if "hessian" in self.emit:
                hess_v = [sum(_contract(b, d, trailing=True) for b, d in zip(row, v))
                          for row in m.hessian(*args)]
                for got, expected in zip(hess_v, hv):
                    self.close("hessian @ v against hvp", got, expected, where)


def _with(args, point, values):
    """`args` with the WRT parameters replaced, each in its own dtype (the module checks)."""
    xs = list(args)
    for i, x in zip(point.index, values):
        xs[i] = x if type(args[i]) is float else type(args[i])(x) if isinstance(
            args[i], np.generic) else np.asarray(x, np.asarray(args[i]).dtype)
    return xs


def _random_like(x, rng):
    if type(x) is float:
        return float(rng.uniform(-1, 1))
    if isinstance(x, np.generic):
        return type(x)(rng.uniform(-1, 1))
    return np.asarray(rng.uniform(-1, 1, np.shape(x)), dtype=np.asarray(x).dtype)


def _contract(block, d, trailing: bool):
    """block (out.shape + p.shape) contracted with d over p's axes (trailing) or with a
    cotangent over out's axes (leading)."""
    block, d = np.asarray(block, np.float64), np.asarray(d, np.float64)
    n = d.ndim
    if trailing:
        return np.tensordot(block, d, axes=n) if n else block * d
    return np.tensordot(d, block, axes=n) if n else d * block


class _Packed:
    """A function returning a tuple or dict, and its module, seen as returning the
    leaves raveled and concatenated (as the graph packs them, structured.py), so the
    checks above apply unchanged."""

    def __init__(self, fn, module, structure):
        self.fn, self.module, self.structure = fn, module, structure

    def pack(self, value):
        return np.concatenate([np.ravel(np.asarray(v, np.float64))
                               for v in flatten(self.structure, value)])

    def call(self, *args):
        return self.pack(self.fn(*args))

    def forward(self, *args):
        return self.pack(self.module.forward(*args))

    def jvp(self, *args):
        value, tangent = self.module.jvp(*args)
        return self.pack(value), self.pack(tangent)

    def vjp(self, *args):
        *own, u = args
        value = self.module.forward(*own)
        leaves, start = [], 0
        for v in flatten(self.structure, value):
            n = int(np.size(v))
            piece = u[start:start + n].reshape(np.shape(v))
            leaves.append(float(piece) if isinstance(v, float) else piece)
            start += n
        cotangent = dict(zip(self.structure[1], leaves)) if self.structure[0] == "dict" \
            else type(value)(leaves)
        value, grads = self.module.vjp(*own, cotangent)
        return self.pack(value), grads

    def jacobian(self, *args):
        out = []
        for blocks, p in zip(self.module.jacobian(*args), self.module.WRT):
            parts = flatten(self.structure, blocks)
            out.append(np.concatenate([np.reshape(np.asarray(b, np.float64),
                                                  (-1,) + np.shape(b)[np.ndim(b) - _ndim_of(
                                                      self, args, p):])
                                       for b in parts], axis=0))
        return out


def _ndim_of(packed, args, p) -> int:
    import inspect
    names = list(inspect.signature(packed.module.forward).parameters)
    return np.ndim(args[names.index(p)])


def verify_modes(fn, module, args, params, wrt, emit, perturbed, float32=False
                 ) -> ModesReport:
    """Check every function in `emit` but grad at `args` and at `perturbed` args."""
    value = call_user(fn, args)
    if is_structured(value):
        structure = (("dict", tuple(value)) if isinstance(value, dict) else
                     (type(value).__name__, len(value)))
        packed = _Packed(fn, module, structure)
        fn, module = packed.call, packed
    dtype = "float32" if float32 else "float64"
    report = ModesReport(rtol=RTOL[dtype],
                         checked=[e for e in emit if e != "grad"])
    checker = _Checker(module, emit, RTOL[dtype], report)
    rng = np.random.default_rng(0)
    for point_args, where in ((args, "the example arguments"),
                              (perturbed, "perturbed arguments")):
        checker.check(_Point(fn, point_args, params, wrt), where, rng, STEP[dtype])
        report.points += 1
    return report


def perturb(args, params, wrt, seed: int = 1):
    """A copy of `args` with each WRT parameter moved by a few percent (a second point
    that shares no coincidences with the example)."""
    rng = np.random.default_rng(seed)
    out = list(args)
    for w in wrt:
        i = list(params).index(w)
        x = args[i]
        if isinstance(x, (float, np.generic)):  # (the same type: float or NumPy scalar)
            out[i] = type(x)(x * (1 + 0.05 * rng.uniform(-1, 1)) + 0.01)
        else:
            noise = rng.uniform(-1, 1, np.shape(x))
            out[i] = np.asarray(np.asarray(x) * (1 + 0.05 * noise) + 0.01 * noise,
                                dtype=np.asarray(x).dtype)
    return tuple(out)
