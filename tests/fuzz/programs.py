"""Random straight-line programs over the op registry, and the oracle that checks them.

A program is Python source text for a function `f(p0, p1, ...)`: one assignment per
line, each applying one registered op (spelled the way a user writes it: `a * b`,
`np.tanh(a)`, `np.sum(a, axis=0, keepdims=True)`, `a @ W`, `a[::-1]`, `math.exp(s)`) to
earlier values, and a scalar `return`. Elementwise ops are taken from the registry
itself (any op whose shape rule is the elementwise rule and whose NumPy function is
reachable as `np.<name>`), so ops added later are fuzzed without touching this file;
other ops have a spelling table below (`STRUCTURAL`).

Generation simulates the program on the example arguments as it goes, so every value is
finite and moderate, each op's operands lie in its declared domain (`positive`,
`nonzero`, `unit`, `bool`), and kinks (`abs`, `maximum`, a `where` condition) are not
within a finite-difference step of the example point. All shapes broadcast against one
base shape, so any two values can meet in a binary op.

Choices come from a `Chooser`: `RandomChooser` (seeded NumPy generator; the soak script
uses it so every program is reproducible from its seed) or `HypothesisChooser` (draws
from `hypothesis`, so failures shrink to a small program).

`check_program` compiles a program with `compile_grad` and compares the emitted gradient
with element-wise central differences (Richardson-extrapolated, float64) and with
autograd run on the same source. It returns an `Outcome`; `outcome.failed` means a wrong
gradient, a wrong value, or an exception other than the expected kind.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import os
import sys
import tempfile
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from bpcompiler import CompileError, InternalError, compile_grad
from bpcompiler.ops import REGISTRY
from bpcompiler.ops.registry import elementwise_rule

# Ops that are not user-facing (created by the compiler itself) or are leaves.
NOT_USER_OPS = {"input", "const", "scatter", "to_float"}
# Ops the generator spells itself (everything else non-elementwise is reported unfuzzed).
STRUCTURAL = ("sum", "mean", "matmul", "reshape", "transpose", "broadcast_to", "getitem",
              "astype")
COMPARISONS = {"less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">=",
               "equal": "==", "not_equal": "!="}
INFIX = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**"}
# Elementwise ops with a kink or jump: operands must keep a margin from it.
KINKS = {"absolute", "maximum", "minimum", "sign", "floor", "ceil", "round", "rint", "trunc",
         "fmax", "fmin", "clip", "heaviside", "fabs", "mod", "fmod", "remainder"}
# Ops with jumps (not kinks): compile_grad's verification also checks perturbed
# arguments, and a jump can land inside its difference step there whatever margin the
# example point keeps (found by this fuzzer: np.fmod(-1.5, p0)); not fuzzed for now.
JUMPS = {"fmod", "remainder", "mod", "floor_divide", "floor", "ceil", "rint", "round",
         "trunc", "sign", "heaviside"}
MARGIN = 1e-3
MAX_MAGNITUDE = 1e3


class RandomChooser:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def integer(self, lo: int, hi: int) -> int:  # inclusive
        return int(self.rng.integers(lo, hi + 1))

    def choice(self, items):
        return items[self.integer(0, len(items) - 1)]

    def boolean(self, p: float = 0.5) -> bool:
        return bool(self.rng.random() < p)

    def seed(self) -> int:
        return self.integer(0, 2**31 - 1)


class HypothesisChooser(RandomChooser):
    def __init__(self, data):
        from hypothesis import strategies as st
        self.data, self.st = data, st

    def integer(self, lo, hi):
        return self.data.draw(self.st.integers(lo, hi))

    def boolean(self, p=0.5):
        return self.data.draw(self.st.booleans())


@dataclass
class Value:
    name: str
    value: object  # the concrete value at the example arguments


@dataclass
class Program:
    source: str
    args: tuple
    params: tuple
    dtype: str
    mode: str  # "numpy" or "math"
    ops: list = field(default_factory=list)  # registry op names used, in order

    def describe(self) -> str:
        shown = ", ".join(f"{p}={_brief(a)}" for p, a in zip(self.params, self.args))
        return f"{self.source}\n# args: {shown}"


def _brief(a):
    if isinstance(a, np.ndarray):
        return f"np.array({a.tolist()!r}, dtype=np.{a.dtype.name})"
    return repr(a)


def elementwise_ops(mode: str) -> list[str]:
    """Registry ops the generator can spell as elementwise calls in `mode`."""
    out = []
    for name, op in sorted(REGISTRY.items()):
        if op.shape_rule is not elementwise_rule or name in NOT_USER_OPS:
            continue
        if name in COMPARISONS or name in JUMPS or not op.differentiable:
            continue  # masks (comparisons, logical ops) are used inside `where` conditions
        if mode == "math":
            if name == "where" or op.py_fn is None:
                continue
            if name not in INFIX and name not in ("negative", "absolute", "maximum", "minimum") \
                    and not any(s.startswith("math.") for s in op.spellings):
                continue
        elif name != "where" and (op.np_fn is None or getattr(
                np, getattr(op.np_fn, "__name__", ""), None) is not op.np_fn):
            continue
        out.append(name)
    return out


def unfuzzed_ops() -> list[str]:
    """Registry ops the generator cannot reach (reported by the soak script)."""
    reachable = set(elementwise_ops("numpy")) | set(elementwise_ops("math")) | \
        set(STRUCTURAL) | set(COMPARISONS)
    return sorted(n for n in REGISTRY if n not in reachable and n not in NOT_USER_OPS)


def _domains(op, arity):
    d = op.domain
    return tuple(d) if isinstance(d, tuple) else (d,) * arity


class _Builder:
    """Builds one program, simulating it on concrete values."""

    def __init__(self, chooser, mode: str, dtype: str):
        self.c = chooser
        self.mode = mode
        self.dtype = dtype
        self.lines: list[str] = []
        self.values: list[Value] = []
        self.env = {"np": np, "math": math}
        self.params: list[str] = []
        self.args: list = []
        self.module_lines: list[str] = []
        self.ops: list[str] = []
        self.rng = np.random.default_rng(chooser.seed())
        ndim = chooser.integer(0, 3)
        self.base = tuple(chooser.integer(1, 4) for _ in range(ndim))
        if ndim >= 2 and chooser.boolean():
            self.base = self.base[:-1] + (self.base[-2],)  # square trailing dims: transposes

    # -- values ------------------------------------------------------------------------
    def sub_shape(self) -> tuple:
        """A shape that broadcasts against the base shape."""
        if self.mode == "math" or not self.base:
            return ()
        keep = self.c.integer(0, len(self.base))
        shape = self.base[len(self.base) - keep:]
        return tuple(1 if n > 1 and self.c.integer(0, 3) == 0 else n for n in shape)

    def new_param(self, shape=None, python=None) -> Value:
        name = f"p{len(self.params)}"
        if python is None:
            python = self.mode == "math" or (shape == () and self.c.integer(0, 4) == 0)
        if python:
            value = float(self.rng.uniform(-2, 2))
        else:
            shape = self.sub_shape() if shape is None else shape
            value = np.asarray(self.rng.uniform(-2, 2, size=shape), dtype=self.dtype)
        self.params.append(name)
        self.args.append(value)
        self.env[name] = value
        v = Value(name, value)
        self.values.append(v)
        return v

    def module_constant(self) -> Value:
        name = f"C{len(self.module_lines)}"
        shape = self.sub_shape()
        value = np.asarray(self.rng.uniform(-2, 2, size=shape), dtype=self.dtype)
        listed = repr(np.vectorize(float, otypes=[object])(value).tolist()) if shape else \
            repr(float(value))
        self.module_lines.append(f"{name} = np.array({listed}, dtype=np.{self.dtype})")
        self.env[name] = np.array(value)
        return Value(name, value)

    def operand(self) -> Value:
        roll = self.c.integer(0, 9)
        if roll == 0 or not self.values:
            return self.new_param()
        if roll == 1 and self.mode == "numpy":
            return self.module_constant()
        if roll == 2:
            number = self.c.choice([0.5, 2.0, -1.5, 3.0, 0.25])
            return Value(repr(number), number)
        return self.c.choice(self.values)

    # -- one statement -----------------------------------------------------------------
    def try_add(self, text: str, op_name: str, check=None) -> bool:
        try:
            with np.errstate(all="raise"):
                value = eval(text, self.env)
        except Exception:  # not valid at this point (e.g. .reshape of a Python float)
            return False
        arr = np.asarray(value)
        if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)) or \
                np.any(np.abs(arr) > MAX_MAGNITUDE):
            return False
        try:
            np.broadcast_shapes(arr.shape, self.base)
        except ValueError:
            return False
        if len(arr.shape) > len(self.base) + 1:
            return False
        if check is not None and not check():
            return False
        name = f"v{len(self.lines)}"
        self.lines.append(f"{name} = {text}")
        self.env[name] = value
        self.values.append(Value(name, value))
        self.ops.append(op_name)
        return True

    def adapt(self, v: Value, domain: str) -> tuple[str, object] | None:
        """The operand's text, moved into `domain` if it is not there already."""
        x = np.asarray(v.value, dtype=np.float64)
        fn = "math" if self.mode == "math" else "np"
        if domain == "positive" and not np.all(x > 0.1):
            return f"(1.5 + {fn}.tanh({v.name}))", None
        if domain == "nonzero" and not np.all(np.abs(x) > 0.1):
            return f"(1.5 + {fn}.tanh({v.name}))", None
        if domain == "unit" and not np.all(np.abs(x) < 0.9):
            return f"(0.9 * {fn}.tanh({v.name}))", None
        if domain == "above1" and not np.all(x > 1.1):
            return f"(2.5 + {fn}.tanh({v.name}))", None
        return v.name, None

    def step(self):
        numpy_ops = elementwise_ops(self.mode)
        structural = [s for s in STRUCTURAL if s in REGISTRY] if self.mode == "numpy" else []
        name = self.c.choice(numpy_ops + structural)
        if name in structural:
            return self.structural(name)
        op = REGISTRY[name]
        if name == "where":
            return self.where()
        operands = [self.operand() for _ in range(op.arity)]
        texts = [self.adapt(v, d)[0] for v, d in zip(operands, _domains(op, op.arity))]
        if name in INFIX:
            a, b = (t if t.isidentifier() or t.startswith("(") else f"({t})" for t in texts)
            text = f"{a} {INFIX[name]} {b}"
        elif name == "negative":
            text = f"-{texts[0]}"
        elif self.mode == "math":
            if name == "absolute":
                text = f"abs({texts[0]})"
            elif name in ("maximum", "minimum"):
                text = f"{name[:3]}({', '.join(texts)})"
            else:
                spelled = next(s for s in op.spellings if s.startswith("math."))
                text = f"{spelled}({', '.join(texts)})"
        else:
            text = f"np.{op.np_fn.__name__}({', '.join(texts)})"
        if name == "absolute" and self.mode == "numpy" and self.c.boolean():
            text = f"abs({texts[0]})"
        check = None
        if name in KINKS:
            def check():
                vals = [np.asarray(eval(t, self.env), dtype=np.float64) for t in texts]
                if len(vals) == 1:
                    return bool(np.all(np.abs(vals[0]) > MARGIN))
                return bool(np.all(np.abs(vals[0] - vals[1]) > MARGIN))
        return self.try_add(text, name, check)

    def where(self):
        a, b, x, y = (self.operand() for _ in range(4))
        cmp = self.c.choice(sorted(COMPARISONS))
        text = f"np.where({a.name} {COMPARISONS[cmp]} {b.name}, {x.name}, {y.name})"

        def check():
            d = np.asarray(eval(f"{a.name} - {b.name}", self.env), dtype=np.float64)
            return cmp not in ("equal", "not_equal") and bool(np.all(np.abs(d) > MARGIN)) \
                or cmp in ("equal", "not_equal") and a.name != b.name
        return self.try_add(text, "where", check)

    def structural(self, name: str) -> bool:
        v = self.c.choice(self.values) if self.values else self.new_param()
        shape = np.shape(v.value)
        nd = len(shape)
        if name in ("sum", "mean"):
            form = self.c.integer(0, 3)
            if form == 0 or nd == 0:
                text = f"np.{name}({v.name})"
            elif form == 1:
                axis = self.c.integer(-nd, nd - 1)
                text = f"np.{name}({v.name}, axis={axis}, keepdims=True)"
            elif form == 2:
                text = f"{v.name}.{name}(axis=0)"  # drops the leading axis: still broadcasts
            else:
                axes = tuple(sorted({self.c.integer(0, nd - 1) for _ in range(2)}))
                text = f"np.{name}({v.name}, axis={axes!r}, keepdims=True)"
            return self.try_add(text, name)
        if name == "matmul":
            if nd == 0:
                return False
            k = self.base[-1] if self.base else 1
            w = self.new_param(shape=(shape[-1], k), python=False) if self.c.boolean() else None
            if w is None:
                c = f"C{len(self.module_lines)}"
                value = np.asarray(self.rng.uniform(-1, 1, size=(shape[-1], k)), dtype=self.dtype)
                listed = repr(np.vectorize(float, otypes=[object])(value).tolist())
                self.module_lines.append(f"{c} = np.array({listed}, dtype=np.{self.dtype})")
                self.env[c] = value
                other = c
            else:
                other = w.name
            form = self.c.integer(0, 2)
            text = (f"{v.name} @ {other}" if form == 0 else f"np.matmul({v.name}, {other})"
                    if form == 1 or nd > 2 else f"np.dot({v.name}, {other})")
            return self.try_add(text, name)
        if name == "reshape":
            form = self.c.integer(0, 1)
            new = (1,) + shape
            text = (f"{v.name}.reshape({new!r})" if form == 0 else
                    f"np.reshape({v.name}, {new!r})")
            if nd >= 1 and self.c.boolean():
                text = f"{v.name}.reshape(-1).reshape({shape!r})"
            return self.try_add(text, name)
        if name == "transpose":
            if nd < 2 or shape[-1] != shape[-2]:
                return False
            form = self.c.integer(0, 2)
            text = (f"{v.name}.T" if form == 0 and nd == 2 else
                    f"np.swapaxes({v.name}, -1, -2)" if form == 1 else
                    f"np.transpose({v.name}, {tuple(range(nd - 2)) + (nd - 1, nd - 2)!r})")
            return self.try_add(text, name)
        if name == "broadcast_to":
            return self.try_add(f"np.broadcast_to({v.name}, {self.base!r})", name)
        if name == "getitem":
            if nd == 0:
                return False
            form = self.c.integer(0, 4)
            text = [f"{v.name}[::-1]", f"{v.name}[..., ::-1]", f"{v.name}[:1]",
                    f"{v.name}[None]", f"{v.name}[0]"][form]
            return self.try_add(text, name)
        if name == "astype":
            if self.dtype != "float32" or nd == 0:
                return False
            return self.try_add(f"{v.name}.astype(np.float32)", name)
        return False

    def finish(self) -> Program:
        last = self.values[-1]
        if self.mode == "math":
            ret = last.name
            if not self.lines:
                ret = f"{last.name} * {last.name}"
        else:
            ret = f"np.sum({last.name})" if self.c.boolean() else f"np.mean({last.name})"
            others = [v for v in self.values[:-1] if v.name.startswith("v")]
            if others and self.c.boolean():
                ret += f" + 0.5 * np.sum({self.c.choice(others).name})"
        body = "\n".join(f"    {line}" for line in self.lines + [f"return {ret}"])
        header = "import math\n\nimport numpy as np\n\n"
        consts = "\n".join(self.module_lines) + ("\n\n" if self.module_lines else "")
        source = f"{header}{consts}\ndef f({', '.join(self.params)}):\n{body}\n"
        return Program(source, tuple(self.args), tuple(self.params), self.dtype, self.mode,
                       self.ops)


def generate(chooser, max_statements: int = 8) -> Program:
    mode = "math" if chooser.integer(0, 4) == 0 else "numpy"
    dtype = "float32" if mode == "numpy" and chooser.integer(0, 4) == 0 else "float64"
    b = _Builder(chooser, mode, dtype)
    b.new_param()
    target = chooser.integer(1, max_statements)
    attempts = 0
    while len(b.lines) < target and attempts < 10 * max_statements:
        attempts += 1
        b.step()
    return b.finish()


# ---------------------------------------------------------------------------------------
# Loading and checking.

_counter = itertools.count()


def load(source: str, directory: str, np_module=np, math_module=math):
    """Write `source` to a fresh file under `directory` and import it."""
    name = f"fuzzprog_{os.getpid()}_{next(_counter)}"
    path = os.path.join(directory, name + ".py")
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _upcast(a):
    return a.astype(np.float64) if isinstance(a, np.ndarray) else a


def finite_differences(f, args, i, step=1e-3):
    """d f / d args[i], element by element: Richardson-extrapolated central differences,
    plus an estimate of their own error (large where f is not smooth at the point)."""
    x = np.asarray(args[i], dtype=np.float64)
    out, spread = np.zeros(x.shape), np.zeros(x.shape)

    def at(k, t):
        moved = list(args)
        if isinstance(args[i], np.ndarray):
            y = x.copy()
            y[k] += t
            moved[i] = y
        else:
            moved[i] = float(x) + t
        return float(f(*moved))

    for k in np.ndindex(x.shape):
        h = step * max(1.0, abs(float(x[k])))
        d1 = (at(k, h) - at(k, -h)) / (2 * h)
        d2 = (at(k, h / 2) - at(k, -h / 2)) / h
        d3 = (at(k, h / 4) - at(k, -h / 4)) / (h / 2)
        r1, r2 = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3
        out[k] = (16 * r2 - r1) / 15
        spread[k] = abs(r2 - r1)
    return out, spread


def autograd_gradients(program: Program, directory: str, wrt_index):
    """Gradients from HIPS autograd run on the same source, or None if it cannot."""
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None
    source = program.source.replace("import numpy as np", "import autograd.numpy as np")
    source = source.replace("import math\n", "import autograd.numpy as math\n")
    source = source.replace("math.fabs(", "math.abs(").replace("math.atan(", "math.arctan(") \
        .replace("math.pow(", "math.power(")
    args = [_upcast(a) for a in program.args]
    try:
        module = load(source, directory)
        out = []
        for i in wrt_index:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g = autograd.grad(module.f, i)(*args)
            if np.shape(g) != np.shape(args[i]):
                return None
            out.append(np.asarray(g, dtype=np.float64))
        return out
    except Exception:
        return None


@dataclass
class Outcome:
    status: str  # "ok", "skipped" (not smooth at the point), "failed"
    detail: str = ""
    autograd_checked: bool = False

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def check_program(program: Program, directory: str) -> Outcome:
    """Compile `program` and check its gradient; see the module docstring."""
    module = load(program.source, directory)
    f = module.f
    try:
        compiled = compile_grad(f, program.args)
    except InternalError as exc:
        return Outcome("failed", f"InternalError: {exc}")
    except CompileError as exc:
        # A valid program must compile: any refusal is a bug (or a generator bug).
        return Outcome("failed", f"{type(exc).__name__}: {exc}")
    except Exception:
        return Outcome("failed", "uncaught exception:\n" + traceback.format_exc(limit=8))
    wrt = compiled.module.WRT
    index = [program.params.index(w) for w in wrt]
    value, grads = compiled.module.value_and_grad(*program.args)
    reference = f(*program.args)
    rtol = 1e-5 if program.dtype == "float32" else 1e-12
    if not np.isclose(float(value), float(reference), rtol=rtol, atol=1e-300):
        return Outcome("failed", f"value {value!r} but f gives {reference!r}")
    args64 = [_upcast(a) for a in program.args]
    f_scale = abs(float(f(*args64))) + 1.0
    loose = program.dtype == "float32"
    numeric = []
    for name, i, g in zip(wrt, index, grads):
        if np.shape(g) != np.shape(program.args[i]):
            return Outcome("failed", f"gradient of {name} has shape {np.shape(g)}")
        # float32 programs may round to float32 inside f (a cast) even on float64
        # copies: a larger step, and an allowance for that rounding noise.
        fd, spread = finite_differences(f, args64, i, 1e-2 if loose else 1e-3)
        if np.any(spread > 1e-4 * (np.abs(fd) + 1.0)):
            return Outcome("skipped", f"not smooth along {name}")
        g = np.asarray(g, dtype=np.float64)
        scale = max(float(np.max(np.abs(fd), initial=0.0)), 1e-3)
        tol = (2e-3 if loose else 1e-6) * scale + 1e-9 * f_scale
        if loose:
            tol += 10 * float(np.finfo(np.float32).eps) * f_scale / (1e-2 / 4)
        err = float(np.max(np.abs(g - fd), initial=0.0))
        numeric.append((fd, tol))
        if err > tol:
            return Outcome("failed", f"gradient of {name} differs from central differences by "
                                     f"{err:.3g} (tolerance {tol:.3g}):\nemitted {g!r}\nnumeric {fd!r}")
    outcome = Outcome("ok")
    if program.dtype == "float64":
        ref = autograd_gradients(program, directory, index)
        # autograd has bugs of its own (np.where does not sum broadcast gradients back):
        # it is the tight reference only where it agrees with the differences.
        if ref is not None and all(float(np.max(np.abs(r - fd), initial=0.0)) <= tol
                                   for r, (fd, tol) in zip(ref, numeric)):
            outcome.autograd_checked = True
            for name, g, r in zip(wrt, grads, ref):
                g = np.asarray(g, dtype=np.float64)
                scale = float(np.max(np.abs(r), initial=0.0))
                err = float(np.max(np.abs(g - r), initial=0.0))
                if err > 1e-9 * scale + 1e-14 * f_scale:
                    return Outcome("failed", f"gradient of {name} differs from autograd by "
                                             f"{err:.3g}:\nemitted {g!r}\nautograd {r!r}")
    return outcome


def temp_directory() -> str:
    return tempfile.mkdtemp(prefix="bpcompiler-fuzz-")
