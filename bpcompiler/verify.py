"""Verification of an emitted module before anyone sees it.

At the example arguments and at points that differ from them (even when they are all
zeros or all equal) and stay inside the declared ranges:
- the function is pure (two calls agree), has no try/except the trace compiled away;
- `forward` agrees with the function, `value_and_grad` returns its value, one gradient
  per `wrt` name with that parameter's shape and dtype, and leaves its inputs alone;
- each parameter's gradient (one direction per parameter and per block of a large
  array) agrees with the complex step of the traced graph where its path is analytic,
  else with central differences of the function (see gradcheck.py);
- a float32 program is checked twice: its float64 twin (the same graph with every
  dtype widened, compiled the same way) at float64 tolerances, which catches rule
  errors, and the float32 module against the twin and the function at tolerances
  derived from float32's epsilon and the depth of the graph.

Each check is verified, wrong or undecided (see gradcheck.py). Only a wrong check is
a VerificationError blaming a rule; an undecided one sends verification to further
points, and what no point could decide is said in the report and the module header.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math

import numpy as np

from . import gradcheck
from .errors import CompileError, FunctionRaisedError, NonFiniteError, VerificationError
from .interpret import batchable
from .purity import refuse_compiled_away_try, refuse_impure
from .leaves import BUG, LeafModule, leaf_function
from .verify_report import VerificationReport
from .ops.guard import ERROR as OTHER_PATH, OffPath

RTOL_FORWARD = {"float64": 1e-12, "float32": 1e-5}
EXTRA_POINTS = 2  # further points for checks no point has decided yet


def user_code(fn):
    """The code object of the user's own function behind `fn` (a leaf wrapper, a bound
    method, a partial): where its messages point."""
    from .follow import underlying_function
    fn = inspect.unwrap(fn)
    return (underlying_function(fn) or fn).__code__


def call_user(fn, args, label: str = "the example arguments"):
    """`fn(*args)` on real numbers; an exception it raises becomes FunctionRaisedError
    naming the user's line (the trace may succeed where real numbers fail: 1/(x - x)
    on Python floats raises, while tracing only records a division)."""
    try:
        return fn(*args)
    except CompileError:
        raise
    except Exception as exc:
        from .paths import display_path
        code = user_code(fn)
        file, line = code.co_filename, code.co_firstlineno
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == code.co_filename:
                file, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
        raise FunctionRaisedError(
            f"{fn.__name__} raised {type(exc).__name__}: {exc} when run on {label}",
            file=display_path(file), line=line,
            hint="the function must run on real numbers at and near the example arguments; "
                 "choose other example values or fix the function") from exc


def _plain_call(fn, args, label):
    return fn(*args)


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=True)
    return a == b or (a != a and b != b)


def _relative(a, b) -> float:
    a, b = float(a), float(b)
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def _upcast(value):
    if isinstance(value, np.ndarray) and value.dtype == np.float32:
        return value.astype(np.float64)
    if isinstance(value, np.float32):
        return np.float64(value)
    return value


class _Verifier:
    def __init__(self, fn, module, args, params, wrt, seed, graph, bounds):
        self.fn, self.module, self.args = fn, module, tuple(args)
        self.params, self.wrt = tuple(params), tuple(wrt)
        self.index = [self.params.index(w) for w in wrt]
        self.rng = np.random.default_rng(seed)
        self.graph = graph
        self.bounds = {k: v for k, v in (bounds or {}).items() if v is not None}
        self.report = VerificationReport()

    def fail(self, problem, hint=None, cls=VerificationError):
        from .paths import display_path
        code = user_code(self.fn)
        raise cls(problem, file=display_path(code.co_filename), line=code.co_firstlineno,
                  hint=hint)

    # -- points ---------------------------------------------------------------------
    def perturbed(self, k: int):
        """The k-th point near the example: every differentiated element moves (by 2k%
        of its magnitude, or of the parameter's scale when it is 0), inside bounds."""
        out = list(self.args)
        for i in self.index:
            x = np.asarray(self.args[i], dtype=np.float64)
            rms = float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0
            lo, hi = self.bounds.get(self.params[i], (-math.inf, math.inf))
            scale = rms if rms > 0 else (min(1.0, (hi - lo) / 4) if hi > lo else 1.0)
            delta = 0.02 * k * self.rng.standard_normal(x.shape) * \
                np.maximum(np.abs(x), 0.1 * scale)
            moved = x + delta
            moved = np.where((moved < lo) | (moved > hi), x - delta, moved)
            moved = np.clip(moved, lo, hi)
            p = self.args[i]
            if isinstance(p, np.ndarray):
                out[i] = np.array(moved, dtype=p.dtype)  # (a 0-d array stays an array)
            elif isinstance(p, np.generic):
                out[i] = type(p)(moved)
            else:
                out[i] = float(moved)
        return tuple(out), f"perturbed arguments {k}" if k > 1 else "perturbed arguments"

    # -- forward and types ------------------------------------------------------------
    def run_module(self, module, args, label, ref, rtol):
        copies = [_copy(a) for a in args]
        try:
            value = module.forward(*copies)
            both, grads = module.value_and_grad(*copies)
        except (ArithmeticError, ValueError) as exc:
            if type(exc).__name__ == OTHER_PATH:  # a guarded branch goes the other way
                raise OffPath(f"skipped {label}: {exc}".split(": compile again")[0]) from None
            # NOTE: Python-float math raises where NumPy gives nan: math.log(a) for the
            # exponent's gradient of a ** b at a < 0, a division by zero. The derivative is
            # not defined (in the reals) there, as a nan gradient would also say.
            self.fail(f"the emitted module raises {type(exc).__name__}: {exc} at {label}",
                      "the derivative may be undefined there (x ** y with x <= 0, log or "
                      "sqrt at 0, 1/0); choose other example values")
        for name, before, after in zip(self.params, args, copies):
            if not _same(before, after):
                self.fail(f"the emitted module modified its argument {name!r}", BUG)
        err = _relative(value, ref)
        self.report.forward_error = max(self.report.forward_error, err)
        if err > rtol or not _same(value, both):
            self.fail(f"emitted forward gives {value!r} but {self.fn.__name__} gives {ref!r} "
                      f"at {label} (relative difference {err:.3g}, tolerance {rtol:.3g})", BUG)
        self.check_value_type(value, ref, label)
        self.check_gradient_types(grads, args)
        for name, g in zip(self.wrt, grads):
            if not np.all(np.isfinite(g)):
                self.fail(f"the gradient with respect to {name!r} is not finite at {label}",
                          "the function may be at a singular point (sqrt(0), log(0), ...); "
                          "choose other example values")
        return grads

    def portable(self) -> bool:
        """Whether the module is the array-API target's (portable.py)."""
        emitted = getattr(self.module, "module", self.module)  # (through a LeafModule)
        return "Written in the Python array API standard" in (emitted.__doc__ or "")

    def check_value_type(self, value, ref, label):
        """The module's value has the dtype NumPy gives the function's, and is a Python
        float exactly when the function's is."""
        python = isinstance(ref, float) and not isinstance(ref, np.generic)
        if self.portable():  # target="array-api": Python numbers or 0-d arrays, no NumPy
            python = isinstance(value, float) and not isinstance(value, np.generic)  # scalars
        if np.asarray(value).dtype != np.asarray(ref).dtype or python != (
                isinstance(value, float) and not isinstance(value, np.generic)):
            self.fail(f"emitted forward gives a {type(value).__name__} "
                      f"{np.asarray(value).dtype} at {label} but {self.fn.__name__} gives a "
                      f"{type(ref).__name__} {np.asarray(ref).dtype}", BUG)

    def check_gradient_types(self, grads, args):
        if not isinstance(grads, tuple) or len(grads) != len(self.wrt):
            self.fail("value_and_grad did not return one gradient per wrt name", BUG)
        portable = self.portable()
        for name, i, g in zip(self.wrt, self.index, grads):
            p = args[i]
            # Exactly the parameter's type: a float, a NumPy scalar of its dtype, or an
            # array of its shape and dtype (0-d included).
            if isinstance(p, np.ndarray):
                ok = isinstance(g, np.ndarray) and g.shape == p.shape and g.dtype == p.dtype
            elif portable and type(g) is not type(p):  # or a 0-d array of the library
                ok = isinstance(g, (np.ndarray, np.generic)) and np.shape(g) == () and \
                    g.dtype == np.asarray(p).dtype
            else:
                ok = type(g) is type(p)
            if not ok:
                self.fail(f"the gradient with respect to {name!r} has type "
                          f"{type(g).__name__} {getattr(g, 'dtype', '')}{np.shape(g)}, not the "
                          f"parameter's {type(p).__name__} {getattr(p, 'dtype', '')}{np.shape(p)}",
                          BUG)

    def reference(self, args, label):
        ref = call_user(self.fn, args, label)
        if not np.isfinite(ref):
            if label == "the example arguments":
                self.fail(f"{self.fn.__name__} is {ref} at the example arguments",
                          "choose example values inside the function's domain", NonFiniteError)
            self.report.notes.append(f"skipped {label}: the function is {ref} there")
            return None
        return ref

    # -- gradient checks ----------------------------------------------------------------
    def check_gradients(self, fn, call, graph, args, grads, label, grad_at, todo,
                        joint=False):
        """Run the checks in `todo` ((wrt position, block start, stop)) at one point;
        return those still undecided. With `joint`, the complex-step parameters share
        one direction (each weighted to an equal share) unless it fails."""
        point = gradcheck.PointCheck(fn, call, [_upcast(a) for a in args], grads, self.index,
                                     self.wrt, graph, self.rng, label, self.precision,
                                     {self.params[i]: self.bounds[self.params[i]]
                                      for i in self.index if self.params[i] in self.bounds},
                                     grad_at)
        exact = self.complex_steps(point, graph, sorted({k for k, _, _ in todo}), joint)
        left = []
        for k, start, stop in todo:
            outcome = exact.get(k)
            if outcome is not None and outcome.status == "verified":
                self.record(outcome)
                continue
            if outcome is not None and outcome.status == "wrong":
                self.wrong(outcome)
            size = int(np.size(args[self.index[k]]))
            fd = point.differences(k, slice(start, stop), gradcheck.block_name(
                slice(start, stop), size))
            if outcome is not None and fd.status != "verified":
                self.report.outcomes.append(outcome)  # the complex step's "within rounding"
            self.record(fd)
            if fd.status != "verified":
                left.append((k, start, stop))
        self.report.evaluations += point.evaluations
        if point.sigma is not None:
            self.report.notes.append(f"rounding noise of the function at {label}: "
                                     f"{point.sigma:.3g}")
        return left

    def complex_steps(self, point, graph, ks, joint) -> dict:
        """wrt position -> complex-step outcome, for the parameters it applies to."""
        ks = [k for k in ks if k not in self.not_analytic]
        if graph is None or not ks:
            return {}
        scalars = all(np.ndim(point.args[self.index[k]]) == 0 for k in ks)
        if scalars and batchable(graph):
            outcomes = point.complex_step_batched(ks)
            if outcomes is not None and all(o.status == "verified" for o in outcomes):
                return dict(zip(ks, outcomes))
        if joint and len(ks) > 1:
            shared = point.complex_step(ks)
            if shared is not None and shared.status == "verified":
                return {k: dataclasses.replace(shared, param=self.wrt[k]) for k in ks}
        out = {}
        for k in ks:
            outcome = point.complex_step([k])
            if outcome is None:
                self.not_analytic.add(k)
                continue
            if outcome.status == "wrong":  # a second direction must agree
                again = point.complex_step([k])
                outcome = again if again.status != "wrong" else outcome
            out[k] = outcome
        return out

    def record(self, outcome):
        self.report.outcomes.append(outcome)
        self.report.directions += 1
        if outcome.status == "wrong":
            self.wrong(outcome)
        if outcome.status == "verified":
            scale = max(abs(outcome.analytic), abs(outcome.numeric), 1e-300)
            self.report.gradient_error = max(self.report.gradient_error,
                                             abs(outcome.analytic - outcome.numeric) / scale)

    def wrong(self, o):
        where = f" ({o.block})" if o.block else ""
        exact = o.method == "complex step"
        method = "the complex step of the traced function" if exact else "central differences"
        self.fail(f"the gradient with respect to {o.param}{where} disagrees with {method} at "
                  f"{o.point}: along a direction the emitted gradient gives {o.analytic:.10g}, "
                  f"{'the complex step gives' if exact else 'finite differences give'} "
                  f"{o.numeric:.10g} (difference {abs(o.analytic - o.numeric):.3g}, "
                  f"tolerance {o.tolerance:.3g})", "this is a bug in a VJP rule; please report it")

    def all_checks(self, args):
        todo = []
        for k, i in enumerate(self.index):
            for s in gradcheck.blocks(int(np.size(args[i]))):
                todo.append((k, s.start, s.stop))
        return todo


def verify(fn, module, args, params, wrt, seed: int = 0, *, graph=None, bounds=None,
           twin=None, computes_in_float32: bool = False, casts_to_float32: bool = False,
           signature=None, wrt_params=None) -> VerificationReport:
    """Verify `module` against `fn` (see the module docstring). `graph` is the traced
    forward graph (for the complex step and the try/except check), `bounds` maps
    parameter names to declared (lo, hi) ranges, `twin()` builds the float64 twin module
    of a float32 program. `args` are the traced leaves' values and `params`, `wrt` their
    names; with a `signature` (signature.py) the function and the modules are called
    through it, `wrt_params` naming the parameters the gradients are returned for."""
    if signature is not None:
        fn = leaf_function(fn, signature)
        wrap = functools.partial(LeafModule, signature=signature,
                                 wrt_params=tuple(wrt_params or wrt))
        module = wrap(module)
        twin = (lambda build=twin: wrap(build())) if twin is not None else None
    v = _Verifier(fn, module, args, params, wrt, seed, graph, bounds)
    v.not_analytic = set()
    if graph is not None:
        refuse_compiled_away_try(graph)
    with np.errstate(all="ignore"):
        ref = v.reference(v.args, "the example arguments")
        again = call_user(fn, v.args)
        if not _same(np.asarray(ref), np.asarray(again)):
            from .paths import display_path
            refuse_impure(fn, v.args, ref, again, display_path)
        float32 = computes_in_float32 or np.asarray(ref).dtype == np.float32 or any(
            np.asarray(v.args[i]).dtype == np.float32 for i in v.index)
        if float32:
            from .twin import verify_float32
            verify_float32(v, ref, graph, twin)
        else:
            _verify_float64(v, ref, graph, casts_to_float32)
    return v.report


def _points(v):
    yield v.args, "the example arguments"
    for k in range(1, 2 + EXTRA_POINTS):
        yield v.perturbed(k)


def _verify_float64(v, ref, graph, casts32):
    v.precision = "float32" if casts32 else "float64"
    v.report.rtol_forward = RTOL_FORWARD["float64"]
    v.report.rtol_gradient = gradcheck.RTOL_COMPLEX if graph is not None else \
        gradcheck.RTOL_DIFF

    def run(args, label, value, todo, joint):
        grads = v.run_module(v.module, args, label, value, RTOL_FORWARD["float64"])
        if not joint:
            v.example_grads = grads
        return v.check_gradients(v.fn, call_user, graph, args, grads, label,
                                 lambda a: v.module.grad(*a), todo, joint)

    _over_points(v, ref, run)
    if graph is not None and len(v.not_analytic) < len(v.index):
        _function_check(v)  # the traced graph against the function itself, once


def _over_points(v, ref, run):
    """`run(args, label, value, todo) -> undecided` at the example and one perturbed
    point for every check, then at further points for checks no point has verified."""
    checks = v.all_checks(v.args)
    verified = set()
    for n, (args, label) in enumerate(_points(v)):
        todo = checks if n < 2 else [c for c in checks if c not in verified]
        if not todo:
            break
        value = ref if n == 0 else v.reference(args, label)
        if value is None:
            continue
        try:
            left = run(args, label, value, todo, n > 0)
        except OffPath as skipped:  # (only a perturbed point: the example is on its path)
            v.report.notes.append(str(skipped))
            continue
        v.report.points += 1
        verified |= set(todo) - set(left)


def _function_check(v):
    """Differences of the function itself at the example, along the first parameter:
    the complex step checked the rules against the traced graph; this checks that the
    traced graph's derivative is the function's (one central difference when it agrees
    to 1e-3, the full check otherwise)."""
    point = gradcheck.PointCheck(v.fn, call_user, [_upcast(a) for a in v.args],
                                 v.example_grads, v.index, v.wrt, None, v.rng,
                                 "the example arguments", v.precision)
    i = v.index[0]
    g = point.grad_flat(0)
    if g.size == 0:
        return  # an empty parameter: no direction to differentiate along
    direction = gradcheck.weighted(g, v.rng) if np.any(g) else v.rng.standard_normal(g.shape)
    x = np.asarray(point.args[i], dtype=np.float64)
    size = max(1.0, float(np.sqrt(np.mean(np.square(x))))) if x.size else 1.0
    direction *= size / float(np.max(np.abs(direction)))
    h = gradcheck.STEP[v.precision]
    if v.params[i] not in v.bounds:
        d = (point.phi(i, direction, h) - point.phi(i, direction, -h)) / (2 * h)
        gap = abs(d - float(np.dot(g, direction)))
        scale = float(np.sum(np.abs(g * direction)))
        if gap <= 1e-3 * scale or gap <= 0.1 * scale + 100 * float(np.spacing(point.f0)) / h:
            v.report.evaluations += point.evaluations  # agrees, or too noisy to say more
            return
    outcome = point.differences(0, slice(0, int(np.size(x))), "")
    v.report.evaluations += point.evaluations
    if outcome.status == "wrong" and _same_nearby(v, point, i, direction, h):
        # The module's forward is the function at the differences' own points, so the
        # differences see the traced graph: their disagreement is oscillation finer
        # than their steps (Weierstrass), not a graph that differs from the function.
        v.report.notes.append(f"differences of {v.fn.__name__} itself along {v.wrt[0]} "
                              "could not resolve its derivative (oscillation finer than "
                              "any usable step)")
        return
    if outcome.status == "wrong":
        v.fail(f"the derivative of the traced graph of {v.fn.__name__} differs from central "
               f"differences of the function itself along {v.wrt[0]} ({outcome.analytic:.10g} "
               f"against {outcome.numeric:.10g}, tolerance {outcome.tolerance:.3g})", BUG)


def _same_nearby(v, point, i, direction, h) -> bool:
    """Whether the module's forward equals the function at x +- h v and x +- h v / 8."""
    for t in (h, -h, h / 8, -h / 8, h / 64, -h / 64):
        moved = list(v.args)
        moved[i] = gradcheck.move(point.args[i], t * direction)
        if _relative(v.module.forward(*moved), call_user(v.fn, moved)) > 1e-12:
            return False
    return True
