"""One gradient check: a parameter's (or one block of a large array's) directional
derivative at one point, by one method, ending in one of three outcomes.

- `verified`: the method resolves the derivative and it agrees with the gradient;
- `wrong`: the method resolves a disagreement larger than its own uncertainty (and a
  second look confirms it): only this is reported as a bug in a rule;
- `undecided`: the method cannot resolve the derivative here (a kink, a tie, a jump,
  rounding noise of f too large, oscillation finer than any usable step).

Methods:
- complex step (`complex_step`): the traced forward graph run by the interpreter on
  x + i t v (exact to rounding, no step to choose), where every op on the path is
  analytic. The direction weights each element by 1 / |its gradient| (floored), so
  every element counts equally whatever the magnitudes around it.
- central differences (`differences`) of the function: Richardson-extrapolated, with an
  uncertainty made of the measured rounding noise of f (`measure_noise`) over the
  step, the change of the estimate with the step and a kink test (second differences
  that do not scale as h^2). Tolerances never come from |f| or other parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .interpret import NotAnalytic, active_nodes, interpret, interpret_complex

BLOCK = 4096  # arrays larger than this get one direction per block
MAX_BLOCKS = 4
RTOL_COMPLEX = 1e-10  # complex step: rounding only
RTOL_DIFF = 1e-7  # differences: beyond their measured uncertainty
RESOLVE = 1e-6  # differences verify only when their uncertainty is below this x scale
FLOOR = 1e-4  # gradient weights: elements below FLOOR x the block's largest count as FLOOR
STEP = {"float64": 1e-4, "float32": 1e-2}
TINY = 1e-20  # the complex step's imaginary step, relative to the direction
EPS = float(np.finfo(np.float64).eps)


@dataclass
class Outcome:
    status: str  # verified | wrong | undecided
    method: str  # "complex step" | "central differences"
    param: str
    block: str  # "" or "elements 0:4096"
    point: str
    detail: str = ""
    analytic: float = 0.0
    numeric: float = 0.0
    tolerance: float = 0.0


def blocks(size: int) -> list[slice]:
    if size <= BLOCK:
        return [slice(0, size)]
    count = min(MAX_BLOCKS, math.ceil(size / BLOCK))
    edges = np.linspace(0, size, count + 1).astype(int)
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def block_name(s: slice, size: int) -> str:
    return "" if s.stop - s.start == size else f"elements {s.start}:{s.stop}"


def move(value, delta):
    """`value + delta` keeping the parameter's kind (Python float, 0-d, array)."""
    if isinstance(value, np.ndarray):  # (np.array: a 0-d array stays an array)
        return np.array(value + delta.reshape(value.shape), dtype=value.dtype)
    if isinstance(value, np.generic):
        return type(value)(value + delta.reshape(()))
    return float(value + float(delta.reshape(())))


def weighted(g_block: np.ndarray, rng) -> np.ndarray:
    """A direction on a block: each element weighted by 1 / |g| (floored), signs of g,
    random magnitudes, so every element's relative error counts alike."""
    mag = np.abs(g_block)
    top = float(np.max(mag, initial=0.0))
    floor = FLOOR * top if top > 0 else 1.0
    sign = np.where(g_block < 0, -1.0, 1.0)
    return sign * rng.uniform(0.5, 1.5, g_block.shape) / np.maximum(mag, floor)


class PointCheck:
    """The checks at one point: `args` (float64), the gradient `grads` there, the
    function `fn` for differences, the traced graph for the complex step."""

    def __init__(self, fn, call, args, grads, wrt_index, names, graph, rng, label,
                 precision="float64", bounds=None, grad_at=None):
        self.fn, self.call, self.args, self.grads = fn, call, list(args), grads
        self.index, self.names, self.graph, self.rng = wrt_index, names, graph, rng
        self.label, self.precision = label, precision
        self.bounds = bounds or {}
        self.grad_at = grad_at  # args -> gradients (for the analytic side's noise)
        self.f0 = float(call(fn, self.args, label))
        self.sigma = None
        self.jump = False
        self.analytic_noise = None
        self.moved = None  # the point a relative 1e-12 away, once the noise is measured
        self.real = None  # every node's real value at the point (for the complex step)
        self.evaluations = 1

    # -- helpers --------------------------------------------------------------------
    def phi(self, i, v, t):
        moved = list(self.args)
        moved[i] = move(self.args[i], t * v)
        self.evaluations += 1
        return float(self.call(self.fn, moved, f"points near {self.label}"))

    def grad_flat(self, k):
        return np.asarray(self.grads[k], dtype=np.float64).reshape(-1)

    # -- complex step ---------------------------------------------------------------
    def _pass(self, z, active, rounding=False):
        """One complex-step pass; the real values of the point are computed once and
        reused when the pass touches less than half of the graph."""
        real = None
        if len(active) < len(self.graph) // 2:
            if self.real is None:
                self.real = interpret(self.graph, self.args)
            real = self.real
        return interpret_complex(self.graph, z, real=real, active=active, rounding=rounding)

    def complex_step(self, ks, block="") -> Outcome | None:
        """The parameters `ks` together along one direction (each weighted to an equal
        share); None when an op on the path is not analytic (differences then)."""
        vs, z, active = {}, list(self.args), set()
        for k in ks:
            g = self.grad_flat(k)
            v = weighted(g, self.rng)
            share = float(np.sum(np.abs(g * v)))
            vs[k] = v / share if share > 0 else v
        largest_step = max(float(np.max(np.abs(v), initial=0.0)) for v in vs.values())
        if largest_step == 0.0:  # empty parameters (shape (0, ...)): nothing to check
            name = ", ".join(self.names[k] for k in ks)
            return Outcome("verified", "complex step", name, block, self.label, "", 0.0,
                           0.0, 0.0)
        t = TINY / largest_step
        for k, v in vs.items():
            i = self.index[k]
            x = self.args[i]
            z[i] = np.asarray(x, dtype=np.float64) + 1j * t * v.reshape(np.shape(x))
            if not isinstance(x, np.ndarray):
                z[i] = np.complex128(z[i])
            active |= active_nodes(self.graph, i)
        try:
            out = self._pass(z, active)
        except NotAnalytic:
            return None
        numeric = float(np.imag(out)) / t
        analytic = sum(float(np.dot(self.grad_flat(k), v)) for k, v in vs.items())
        scale = sum(float(np.sum(np.abs(self.grad_flat(k) * v))) for k, v in vs.items())
        name = self.names[ks[0]] if len(ks) == 1 else ", ".join(self.names[k] for k in ks)
        if abs(analytic - numeric) <= RTOL_COMPLEX * max(scale, abs(numeric)):
            return Outcome("verified", "complex step", name, block, self.label, "", analytic,
                           numeric, RTOL_COMPLEX * max(scale, abs(numeric)))
        # Only now (rarely) the noise of both sides: the emitted gradient a relative
        # 1e-12 away, and the rounding scale of the pass.
        noise = sum(self.measure_analytic_noise(k, v) for k, v in vs.items())
        _, largest = self._pass(z, active, rounding=True)
        return self._complex_outcome(name, block, analytic, numeric, scale, noise,
                                     64 * EPS * largest / t)

    def complex_step_batched(self, ks) -> list[Outcome] | None:
        """Scalar parameters of a graph of scalars: every parameter in one pass."""
        n = len(ks)
        z = []
        for j, a in enumerate(self.args):
            z.append(np.full(n, a, dtype=np.asarray(a).dtype))
        for slot, k in enumerate(ks):
            i = self.index[k]
            z[i] = z[i].astype(np.complex128)
            z[i][slot] += 1j * TINY
        try:
            out = np.broadcast_to(interpret_complex(self.graph, z, batched=True), (n,))
        except NotAnalytic:
            return None
        largest = None
        outcomes = []
        for slot, k in enumerate(ks):
            g = float(self.grad_flat(k)[0])
            v = 1.0 / max(abs(g), 1e-300) if g else 1.0
            numeric = float(np.imag(out[slot])) / TINY * v
            strict = abs(g * v - numeric) <= RTOL_COMPLEX * max(abs(g * v), abs(numeric))
            noise = 0.0 if strict else self.measure_analytic_noise(k, np.array([v]))
            if not strict and largest is None:
                largest = interpret_complex(self.graph, z, batched=True, rounding=True)[1]
            outcomes.append(self._complex_outcome(self.names[k], "", g * v, numeric,
                                                  abs(g * v), noise,
                                                  64 * EPS * (largest or 0.0) / TINY * v))
        return outcomes

    def _complex_outcome(self, name, block, analytic, numeric, scale, noise, rounding):
        tol = RTOL_COMPLEX * max(scale, abs(numeric)) + 10 * noise
        if tol < abs(analytic - numeric) <= rounding:
            # NOTE: a derivative that is 0 up to rounding (p / (3 p)) leaves a residue
            # of the size of the intermediate derivatives that cancelled: the complex
            # step cannot tell it from a rule error; differences decide instead.
            return Outcome("undecided", "complex step", name, block, self.label,
                           "complex step within rounding", analytic, numeric, tol)
        status = "verified" if abs(analytic - numeric) <= tol else "wrong"
        if not math.isfinite(numeric) or not math.isfinite(analytic):
            status = "undecided"
        return Outcome(status, "complex step", name, block, self.label, "", analytic,
                       numeric, tol)

    def measure_analytic_noise(self, k, v) -> float:
        """|<g(x'), v> - <g(x), v>| for x' a relative 1e-12 away: the rounding noise of
        the emitted gradient along v (and of the complex step, which rounds alike)."""
        if self.grad_at is None:
            return 0.0
        if self.analytic_noise is None:
            moved = self.moved = list(self.args)
            for i in self.index:
                x = np.asarray(self.args[i], dtype=np.float64)
                moved[i] = move(self.args[i], (1e-12 * np.abs(x) * self.rng.choice(
                    [-1.0, 1.0], size=x.shape)).reshape(-1))
            self.analytic_noise = [np.asarray(g, dtype=np.float64).reshape(-1)
                                   for g in self.grad_at(moved)]
        other = self.analytic_noise[k]
        noise = abs(float(np.dot(other - self.grad_flat(k), v)))
        return noise if math.isfinite(noise) else 0.0  # a point past a singularity

    # -- central differences ----------------------------------------------------------
    def measure_noise(self) -> float:
        """The rounding noise of f at the point: third and fourth differences along a
        random direction with a step far too small for curvature to show."""
        if self.sigma is not None:
            return self.sigma
        i = self.index[0]
        x = np.asarray(self.args[i], dtype=np.float64).reshape(-1)
        v = self.rng.standard_normal(x.shape) * np.maximum(np.abs(x), 1.0)
        d = 1e-7
        v = self._inside_bounds(0, x, v, 2 * d)
        p = [self.phi(i, v, t * d) for t in (-2, -1)] + [self.f0] + \
            [self.phi(i, v, t * d) for t in (1, 2)]
        d4 = p[0] - 4 * p[1] + 6 * p[2] - 4 * p[3] + p[4]
        d3a = p[3] - 3 * p[2] + 3 * p[1] - p[0]
        d3b = p[4] - 3 * p[3] + 3 * p[2] - p[1]
        estimate = math.sqrt((d4 * d4 / 70 + d3a * d3a / 20 + d3b * d3b / 20) / 3)
        steps = np.diff(p)
        spread = np.abs(steps - np.median(steps))
        # One step far out of line with the others: a jump, not noise.
        self.jump = bool(np.max(spread) > 20 * np.partition(spread, 2)[2] + 1e-300 and
                         np.max(spread) > 0)
        ulp = float(np.spacing(np.float32(abs(self.f0)) if self.precision == "float32"
                               else abs(self.f0)))
        self.sigma = max(3.0 * estimate, 0.5 * ulp) if math.isfinite(estimate) else math.inf
        # Far more than rounding gives (1e6 ulps): a jump within the noise step.
        self.jump = self.jump or self.sigma > 1e6 * max(ulp, 1e-300)
        return self.sigma

    def differences(self, k, s, block) -> Outcome:
        i = self.index[k]
        x = np.asarray(self.args[i], dtype=np.float64).reshape(-1)
        g = self.grad_flat(k)
        v = np.zeros(g.shape)
        v[s] = weighted(g[s], self.rng) if np.any(g[s]) else self.rng.standard_normal(
            s.stop - s.start)
        size = max(1.0, float(np.sqrt(np.mean(np.square(x[s])))) if s.stop > s.start else 1.0)
        v *= size / float(np.max(np.abs(v)))
        h0 = STEP[self.precision]
        v = self._inside_bounds(k, x, v, 8 * h0)
        if not np.any(v):
            return Outcome("undecided", "central differences", self.names[k], block, self.label,
                           "every element is at a declared bound")
        analytic = float(np.dot(g, v))
        scale = float(np.sum(np.abs(g * v)))
        sigma = self.measure_noise()
        first = self._estimate(i, v, h0, sigma)
        if first[2] == "noise":
            second = self._estimate(i, v, 8 * h0, sigma)
        else:
            second = self._estimate(i, v, h0 / 8, sigma)
        outcomes = [self._fd_outcome(k, block, analytic, scale, est) for est in (first, second)]
        if any(o.status == "verified" for o in outcomes):
            return next(o for o in outcomes if o.status == "verified")
        gap = abs(analytic - first[0])
        if all(o.status == "wrong" for o in outcomes) and first[1] + second[1] <= 0.3 * gap \
                and abs(first[0] - second[0]) <= 0.3 * gap:
            # Two steps agree with each other, each far more precisely than they disagree
            # with the gradient. (Steps spanning whole periods of an oscillation can also
            # agree; a third step, 64 times finer, must then agree too.)
            third = self._estimate(i, v, h0 / 64, sigma)
            if third[1] <= 0.3 * gap and abs(third[0] - first[0]) <= 0.3 * gap:
                return outcomes[0]
        reasons = {est[2] for est in (first, second)}
        if self.jump:
            detail = f"a kink or jump within {h0 * size:.2g} of the point"
        elif reasons == {"noise"} or reasons == {"noise", None}:
            detail = "rounding noise of the function too large for any step"
        elif "noise" in reasons:
            detail = "oscillation finer than any usable step"
        else:
            detail = f"a kink or jump within {h0 * size:.2g} of the point"
        return Outcome("undecided", "central differences", self.names[k], block, self.label, detail,
                       analytic, first[0])

    def _inside_bounds(self, k, x, v, reach):
        name = self.names[k]
        if name not in self.bounds:
            return v
        lo, hi = self.bounds[name]
        out = (x + reach * np.abs(v) > hi) | (x - reach * np.abs(v) < lo)
        return np.where(out, 0.0, v)

    def _estimate(self, i, v, h, sigma):
        """(numeric, uncertainty, what dominates it: "noise", "shape" or None)."""
        p1, m1 = self.phi(i, v, h), self.phi(i, v, -h)
        p2, m2 = self.phi(i, v, h / 2), self.phi(i, v, -h / 2)
        d1, d2 = (p1 - m1) / (2 * h), (p2 - m2) / h
        numeric = (4 * d2 - d1) / 3
        noise = 6 * sigma / h
        s1, s2 = p1 - 2 * self.f0 + m1, p2 - 2 * self.f0 + m2
        shape = abs(d1 - d2) / 3 + abs(s1 - 4 * s2) / h  # curvature change; a kink
        total = noise + shape
        if not math.isfinite(total):
            return numeric, math.inf, "shape"
        return numeric, total, ("noise" if noise >= shape else "shape")

    def _fd_outcome(self, k, block, analytic, scale, est):
        numeric, uncertainty, _ = est
        if analytic == 0.0 and numeric == 0.0:  # f did not change at all along v
            return self._judge("central differences", k, block, analytic, numeric, 0.0)
        if scale == 0.0 and abs(numeric) <= uncertainty:
            return Outcome("undecided", "central differences", self.names[k], block,
                           self.label, "a zero gradient, and differences zero within their "
                           "noise", analytic, numeric)
        tol = RTOL_DIFF * max(scale, abs(numeric)) + uncertainty
        if not math.isfinite(uncertainty) or uncertainty > RESOLVE * max(scale, abs(numeric)) \
                and abs(analytic - numeric) <= tol:
            return Outcome("undecided", "central differences", self.names[k], block, self.label)
        return self._judge("central differences", k, block, analytic, numeric, tol)

    def _judge(self, method, k, block, analytic, numeric, tol):
        err = abs(analytic - numeric)
        status = "verified" if err <= tol else "wrong"
        if not math.isfinite(numeric) or not math.isfinite(analytic):
            status = "undecided"
        return Outcome(status, method, self.names[k], block, self.label,
                       analytic=analytic, numeric=numeric, tolerance=tol)
