"""Verification of an emitted module before anyone sees it.

At the example arguments and at a perturbed copy of them:
- `forward` agrees with the user's function (run untraced, on real numbers);
- `value_and_grad` returns the same value, one gradient per `wrt` name with that
  parameter's shape and dtype, and leaves its inputs unmodified;
- each gradient agrees with central finite differences of the user's function along
  random directions in the joint parameter space: ⟨∇f, v⟩ against a Richardson-
  extrapolated central difference, so the cost does not grow with the number of
  parameters. The differences are taken in float64 even for float32 parameters.

A disagreement raises VerificationError with the analytic and numeric values, the
parameter (found by re-checking each parameter alone), the point and the tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import CompileError, FunctionRaisedError, NonFiniteError, VerificationError
from .structure import flatten, same_structure

DIRECTIONS = 3
MAX_JUMP_RETRIES = 3  # extra directions tried when differences straddle a jump
RTOL_GRAD = {"float64": 1e-6, "float32": 1e-3}
RTOL_FORWARD = {"float64": 1e-12, "float32": 1e-5}
# Finite-difference step (relative to the parameters' scale) by the precision the function
# computes in: a float32 result is too coarse for a small step.
STEP = {"float64": 1e-4, "float32": 1e-2}


@dataclass
class VerificationReport:
    points: int = 0
    directions: int = 0
    forward_error: float = 0.0  # largest relative difference of forward from the function
    gradient_error: float = 0.0  # largest normalised difference from finite differences
    rtol_forward: float = 0.0
    rtol_gradient: float = 0.0
    evaluations: int = 0
    notes: list = field(default_factory=list)

    def summary(self) -> str:
        """A stable one-line description (no measured numbers: they vary by machine)."""
        return (f"forward and gradient checked at {self.points} points, gradient along "
                f"{self.directions} random directions per point against central differences "
                f"(rtol {self.rtol_gradient:g})")


def call_user(fn, args, label: str = "the example arguments", signature=None):
    """`fn(*args)` on real numbers; an exception it raises becomes FunctionRaisedError
    naming the user's line (the trace may succeed where real numbers fail: 1/(x - x)
    on Python floats raises, while tracing only records a division)."""
    try:
        return signature.call(fn, args) if signature is not None else fn(*args)
    except CompileError:
        raise
    except Exception as exc:
        from .trace import display_path
        file, line = fn.__code__.co_filename, fn.__code__.co_firstlineno
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == fn.__code__.co_filename:
                file, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
        raise FunctionRaisedError(
            f"{fn.__name__} raised {type(exc).__name__}: {exc} when run on {label}",
            file=display_path(file), line=line,
            hint="the function must run on real numbers at and near the example arguments; "
                 "choose other example values or fix the function") from exc


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


class _Checker:
    def __init__(self, fn, module, params, wrt, seed):
        self.fn = fn
        self.module = module
        self.params = params
        self.wrt = wrt
        self.index = [params.index(w) for w in wrt]
        self.rng = np.random.default_rng(seed)
        self.report = VerificationReport()

    def where(self):
        code = self.fn.__code__
        return code.co_filename, code.co_firstlineno

    def fail(self, problem, hint=None):
        from .trace import display_path
        file, line = self.where()
        raise VerificationError(problem, file=display_path(file), line=line, hint=hint)

    def check_point(self, args, label: str, dtype: str):
        ref = call_user(self.fn, args, label, self.signature)
        if not np.isfinite(ref):
            if label == "the example arguments":
                from .trace import display_path
                file, line = self.where()
                raise NonFiniteError(f"{self.fn.__name__} is {ref} at the example arguments",
                                    file=display_path(file), line=line,
                                    hint="choose example values inside the function's domain")
            self.report.notes.append(f"skipped {label}: the function is {ref} there")
            return
        copies = [_copy(a) for a in args]
        try:
            value = self.call(self.module.forward, copies)
            both, grads = self.call(self.module.value_and_grad, copies)
            grads = self.leaf_gradients(grads)
        except (ArithmeticError, ValueError) as exc:
            # NOTE: Python-float math raises where NumPy gives nan: math.log(a) for the
            # exponent's gradient of a ** b at a < 0, a division by zero. The derivative is
            # not defined (in the reals) there, as a nan gradient would also say.
            self.fail(f"the emitted module raises {type(exc).__name__}: {exc} at {label}",
                      "the derivative may be undefined there (x ** y with x <= 0, log or "
                      "sqrt at 0, 1/0); choose other example values")
        for name, before, after in zip(self.params, args, copies):
            if not _same(before, after):
                self.fail(f"the emitted module modified its argument {name!r}",
                          "this is a bug in bpcompiler; please report it")
        err = _relative(value, ref)
        self.report.forward_error = max(self.report.forward_error, err)
        if err > RTOL_FORWARD[dtype] or not _same(value, both):
            self.fail(f"emitted forward gives {value!r} but {self.fn.__name__} gives {ref!r} "
                      f"at {label} (relative difference {err:.3g}, tolerance "
                      f"{RTOL_FORWARD[dtype]:g})", "this is a bug in bpcompiler; please report it")
        self.check_value_type(value, ref, label)
        self.check_gradient_types(grads)
        for name, g in zip(self.wrt, grads):
            if not np.all(np.isfinite(g)):
                self.fail(f"the gradient with respect to {name!r} is not finite at {label}",
                          "the function may be at a singular point (sqrt(0), log(0), ...); "
                          "choose other example values")
        for _ in range(DIRECTIONS):
            self.check_direction(args, grads, self.index, label, dtype)
        self.report.points += 1

    def call(self, function, leaves):
        if self.signature is None:
            return function(*leaves)
        return self.signature.call(function, leaves)

    def leaf_gradients(self, grads):
        """The module's gradients (one per wrt parameter, a structure for a structured
        one) as one per traced leaf, after checking each structure."""
        sig = self.signature
        if sig is None or not isinstance(grads, tuple) or len(grads) != len(self.wrt_params):
            return grads
        out = []
        for name, g in zip(self.wrt_params, grads):
            p = sig.param(name)
            if not p.structured:
                out.append(g)
                continue
            if not same_structure(g, p.value):
                self.fail(f"the gradient with respect to {name!r} is a "
                          f"{type(g).__name__}, not a structure like the parameter's",
                          "this is a bug in bpcompiler; please report it")
            out += [leaf for _, leaf in flatten(g)]
        return tuple(out)

    def check_value_type(self, value, ref, label):
        """The module's value has the dtype NumPy gives the function's, and is a Python
        float exactly when the function's is."""
        python = isinstance(ref, float) and not isinstance(ref, np.generic)
        if np.asarray(value).dtype != np.asarray(ref).dtype or python != (
                isinstance(value, float) and not isinstance(value, np.generic)):
            self.fail(f"emitted forward gives a {type(value).__name__} "
                      f"{np.asarray(value).dtype} at {label} but {self.fn.__name__} gives a "
                      f"{type(ref).__name__} {np.asarray(ref).dtype}",
                      "this is a bug in bpcompiler; please report it")

    def check_gradient_types(self, grads):
        if not isinstance(grads, tuple) or len(grads) != len(self.wrt):
            self.fail("value_and_grad did not return one gradient per wrt name",
                      "this is a bug in bpcompiler; please report it")
        for name, i, g in zip(self.wrt, self.index, grads):
            p = self.args[i]
            # Exactly the parameter's type: a float, a NumPy scalar of its dtype, or an
            # array of its shape and dtype (0-d included).
            if isinstance(p, np.ndarray):
                ok = isinstance(g, np.ndarray) and g.shape == p.shape and g.dtype == p.dtype
            else:
                ok = type(g) is type(p)
            if not ok:
                self.fail(f"the gradient with respect to {name!r} has type "
                          f"{type(g).__name__} {getattr(g, 'dtype', '')}{np.shape(g)}, not the "
                          f"parameter's {type(p).__name__} {getattr(p, 'dtype', '')}{np.shape(p)}",
                          "this is a bug in bpcompiler; please report it")

    def check_direction(self, args, grads, which, label, dtype, attempt=0):
        base = [_upcast(a) for a in args]
        direction = {}
        for i in which:
            direction[i] = self.rng.standard_normal(np.shape(base[i]))
        analytic, scale = 0.0, 0.0
        for k, i in enumerate(self.index):
            if i in direction:
                term = np.asarray(grads[k], dtype=np.float64) * direction[i]
                analytic += float(np.sum(term))
                scale += float(np.sum(np.abs(term)))
        size = max(float(np.sqrt(np.mean(np.square(np.asarray(base[i], dtype=np.float64)))))
                   for i in which)
        h = self.step * max(1.0, size) / 10 ** min(attempt, 2)  # then new directions only

        def phi(t):
            moved = list(base)
            for i, v in direction.items():
                moved[i] = np.asarray(base[i] + t * v) if isinstance(base[i], np.ndarray) else \
                    type(base[i])(base[i] + t * float(v))
            self.report.evaluations += 1
            return float(call_user(self.fn, moved, f"points near {label}", self.signature))

        d1 = (phi(h) - phi(-h)) / (2 * h)
        d2 = (phi(h / 2) - phi(-h / 2)) / h
        numeric = (4 * d2 - d1) / 3
        precision = self.precision
        # (float32 rounding in f: a smaller factor, as its epsilon is 5e8 times larger)
        noise = (1e2 if precision == "float32" else 1e3) * float(np.finfo(precision).eps) * \
            (abs(phi(0.0)) + 1.0) / h
        if dtype == "float32":
            # NOTE: a float32 gradient that cancels to ~0 (f = mean(x / sum(x))) keeps the
            # rounding error of its O(f/x) summands: allow that much, along the direction.
            norm = math.sqrt(sum(float(np.sum(np.square(v))) for v in direction.values()))
            noise += 1e2 * float(np.finfo(np.float32).eps) * (abs(phi(0.0)) + 1.0) / \
                max(size, 1.0) * norm
        # NOTE: a difference within the rounding noise of the differences is no error
        # (dividing by the noise instead would fail a constant function's zero gradient).
        err = max(abs(analytic - numeric) - noise, 0.0) / max(scale, abs(numeric), 1e-300)
        rtol = RTOL_GRAD[dtype]
        if not math.isfinite(err) or err > rtol:
            if attempt < 2:  # a kink (relu, abs, max) inside the step: look closer
                return self.check_direction(args, grads, which, label, dtype, attempt + 1)
            # For a smooth function the two difference quotients agree to O(h^2); when
            # they do not, the step straddles a jump (floor, fmod) and says nothing about
            # the gradient. Try other directions; if none is smooth, say so.
            if abs(d1 - d2) > 0.1 * max(abs(d1), abs(d2), scale):
                if attempt < 2 + MAX_JUMP_RETRIES:
                    return self.check_direction(args, grads, which, label, dtype,
                                                attempt + 1)
                self.fail(f"{self.fn.__name__} is not smooth near {label}: central "
                          f"differences do not converge along {MAX_JUMP_RETRIES + 3} random "
                          "directions (a jump, as in floor or fmod, within "
                          f"{h:.3g} of the point), so the gradient cannot be checked there",
                          "choose example values away from the jump")
            if len(which) > 1:  # name the parameter that is wrong
                for i in which:
                    self.check_direction(args, grads, [i], label, dtype)
            names = ", ".join(self.params[i] for i in which)
            self.fail(f"the gradient with respect to {names} disagrees with central "
                      f"differences at {label}: along a random direction the emitted gradient "
                      f"gives {analytic:.10g}, finite differences give {numeric:.10g} "
                      f"(relative error {err:.3g}, tolerance {rtol:g})",
                      "this is a bug in a VJP rule; please report it")
        self.report.gradient_error = max(self.report.gradient_error, err)
        self.report.directions = DIRECTIONS

    def perturbed(self, args):
        out = list(args)
        for i in self.index:
            x = args[i]
            noise = self.rng.standard_normal(np.shape(x)) * 0.02
            if isinstance(x, np.ndarray):  # (np.array: a 0-d array stays an array)
                out[i] = np.array(x * (1 + noise), dtype=x.dtype)
            else:
                out[i] = type(x)(x * (1 + float(noise)))
        return tuple(out)


def verify(fn, module, args, params, wrt, seed: int = 0,
           computes_in_float32: bool = False, casts_to_float32: bool = False,
           signature=None, wrt_params=None) -> VerificationReport:
    """`args` are the traced leaves' values, `params` and `wrt` their names; with a
    `signature` (signature.py) the function and the module are called through it, and
    `wrt_params` names the parameters the module's gradients are returned for."""
    checker = _Checker(fn, module, tuple(params), tuple(wrt), seed)
    checker.signature = signature
    checker.wrt_params = tuple(wrt_params or wrt)
    checker.args = tuple(args)
    dtypes = {np.asarray(args[i]).dtype.name for i in checker.index}
    with np.errstate(all="ignore"):
        dtypes.add(np.asarray(call_user(fn, args, signature=signature)).dtype.name)
    # Tolerances follow the coarsest precision the parameters, the result or any
    # intermediate value carry.
    dtype = "float32" if "float32" in dtypes or computes_in_float32 else "float64"
    # Differences are taken on float64 copies of the arguments; a function that casts to
    # float32 itself still rounds to float32 then. NOTE: that includes a cast the trace saw
    # as a no-op (`.astype(np.float32)` of a float32 value), so any float32 computation gets
    # the coarser step (a step too coarse for the curvature is retried finer); the
    # rounding-noise allowance is float32's only when the traced graph casts.
    checker.step = STEP["float32" if casts_to_float32 or dtype == "float32" else "float64"]
    # NOTE: float32 even without a cast in the graph: a cast the trace saw as a no-op
    # still rounds when f runs on the float64 copies (found by the fuzzer).
    checker.precision = "float32" if casts_to_float32 or dtype == "float32" else "float64"
    checker.report.rtol_forward = RTOL_FORWARD[dtype]
    checker.report.rtol_gradient = RTOL_GRAD[dtype]
    with np.errstate(all="ignore"):
        checker.check_point(tuple(args), "the example arguments", dtype)
        checker.check_point(checker.perturbed(args), "perturbed arguments", dtype)
    return checker.report
