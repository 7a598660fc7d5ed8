"""Random straight-line programs over the op registry, and the oracle that checks them.

A program is Python source text for a function `f(p0, p1, ...)`: one assignment per
line, each applying one registered op (spelled the way a user writes it: `a * b`,
`np.tanh(a)`, `np.sum(a, axis=0, keepdims=True)`, `a @ W`, `a[::-1]`, `math.exp(s)`) to
earlier values, and a scalar `return` that combines every value no later line reads.
Elementwise ops are taken from the registry itself (any op whose shape rule is the
elementwise rule and whose NumPy function is reachable as `np.<name>`), so ops added
later are fuzzed without touching this file; the other ops (reductions, sorting, gathers,
joins, contractions, linear algebra) and the front ends that lower to ops (np.average,
np.polyval, np.cross, np.triu, ...) are spelled by the table in forms.py (`FORMS`), one
entry per form. Masks (comparisons, logical ops, isnan) appear inside `np.where`
conditions, index producers (argsort, argmax) inside gathers. Ops with jumps (floor,
fmod, ...) keep a margin from their jumps at the example point; compile_grad also
verifies at perturbed arguments, where a jump may still land inside a difference step:
its "not smooth" VerificationError is then an expected outcome ("skipped").

Generation simulates the program on the example arguments as it goes, so every value is
finite and moderate, each op's operands lie in its declared domain (`positive`,
`nonzero`, `unit`, `bool`), and kinks (`abs`, `maximum`, a `where` condition, ties in
`max` or `sort`) are not within a finite-difference step of the example point; matrices
handed to linear algebra are well-conditioned. All shapes broadcast against one base
shape, so any two values can meet in a binary op.

Choices come from a `Chooser`: `RandomChooser` (seeded NumPy generator; the soak script
uses it so every program is reproducible from its seed) or `HypothesisChooser` (draws
from `hypothesis`, so failures shrink to a small program).

`check_program` compiles a program with `compile_grad` and compares the emitted gradient
with element-wise central differences (Richardson-extrapolated, float64: support/fd.py)
and with autograd run on the same source. It returns an `Outcome`; `outcome.failed` means a wrong
gradient, a wrong value, or an exception other than the expected kind.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import os
import re
import tempfile
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from bpcompiler import CompileError, InternalError, VerificationError, compile_grad
from bpcompiler.errors import FunctionRaisedError
from bpcompiler.ops import REGISTRY
from bpcompiler.ops.domains import resolve
from bpcompiler.ops.registry import elementwise_rule

from fuzz.forms import FORMS, JUMP_MARGIN, MARGIN
from support.fd import extrapolated_differences

# Registry ops that are listed but not generated, each with the reason. (Ops without user
# spellings, which only the compiler creates, are not user-facing and not listed.)
# None today. (isnan, isinf and isfinite are generated inside np.where conditions, but
# every generated value is finite, so their masks are constant: only their tracing is
# exercised, never a branch they select.)
UNFUZZED: dict[str, str] = {
    name: "a scipy.special op: tests/test_scipy.py and the generated op tests cover it"
    for name in ("gammaln", "digamma", "polygamma", "scipy_erf", "scipy_erfc", "erfinv",
                 "ndtr", "log_ndtr", "ndtri", "xlogy", "xlog1py", "expit", "log_expit")}
UNFUZZED.update({name: "a scipy.special op: tests/test_scipy_more.py and the generated op "
                 "tests cover it" for name in (
                     "beta", "betainc", "betaincc", "erfcinv", "gamma", "gammainc",
                     "gammaincc", "gammasgn", "i0", "i0e", "i1", "i1e", "iv", "ive", "j0",
                     "j1", "jv", "kv", "kve", "rgamma", "stdtr", "y0", "y1", "yn", "yv")})
UNFUZZED.update({name: "a reordering or a boolean reduction: tests/test_numpy_forms.py "
                 "(and the generated op tests for partition)" for name in (
                     "partition", "argpartition", "any", "all")})
UNFUZZED.update({name: "a closeness test or a control-flow guard: tests/test_control_flow.py"
                 for name in ("isclose", "allclose", "guard")})
UNFUZZED["searchsorted"] = "an index into a sorted table: tests/test_order_stats.py"
UNFUZZED["expm"] = "a matrix function: tests/test_expm.py and the generated op tests"
UNFUZZED["fsum"] = "math.fsum of a list: tests/test_math_fsum.py and the generated op tests"
UNFUZZED["setitem"] = "writes into owned arrays: tests/test_writes.py and the generated op tests"
UNFUZZED["eig"] = "needs matrices with a real spectrum: tests/test_linalg.py and the generated op tests"
UNFUZZED["convolve"] = "shapes tied by the mode: tests/test_convolve.py and the generated op tests"
UNFUZZED.update({name: "a scipy.linalg solver: tests/test_scipy_linalg_solvers.py and the "
                 "generated op tests cover it" for name in ("solve_sylvester", "solve_banded")})
UNFUZZED["cholesky"] = "needs symmetric positive definite operands: tests/test_numpy_more.py and the generated op tests"
COMPARISONS = {"less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">=",
               "equal": "==", "not_equal": "!="}
LOGICAL = {"logical_and": "&", "logical_or": "|", "logical_xor": "^"}
INFIX = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**",
         "remainder": "%", "floor_divide": "//"}
# Elementwise ops with a kink (Op.kink) keep MARGIN from it at the example point, and
# ops with jumps (Op.jump) JUMP_MARGIN; compile_grad's verification at perturbed
# arguments may still straddle a jump (found by this fuzzer: np.fmod(-1.5, p0)), which
# it reports as a "not smooth" VerificationError: an expected outcome for these programs.
# Other spellings of elementwise ops ({0}, {1} are the operands), chosen half the time.
SPELLINGS = {"round": ("np.round({0})", "np.around({0})", "{0}.round()"),
             "trunc": ("np.trunc({0})", "np.fix({0})"),
             "remainder": ("{0} % {1}", "np.mod({0}, {1})", "np.remainder({0}, {1})"),
             "floor_divide": ("{0} // {1}", "np.floor_divide({0}, {1})"),
             "absolute": ("np.abs({0})", "abs({0})", "np.absolute({0})"),
             "divide": ("{0} / {1}", "np.true_divide({0}, {1})", "np.divide({0}, {1})"),
             "power": ("{0} ** {1}", "np.power({0}, {1})", "pow({0}, {1})"),
             "add": ("{0} + {1}", "np.add({0}, {1})"),
             "subtract": ("{0} - {1}", "np.subtract({0}, {1})"),
             "multiply": ("{0} * {1}", "np.multiply({0}, {1})"),
             "negative": ("-{0}", "np.negative({0})"),
             "deg2rad": ("np.deg2rad({0})", "np.radians({0})"),
             "rad2deg": ("np.rad2deg({0})", "np.degrees({0})"),
             "clip": ("np.clip({0}, {1}, {2})", "{0}.clip({1}, {2})")}
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
    # computed from parameters (a tracer while compiling), not only from constants: NumPy
    # cannot hand a tracer to a constant's methods or indexing (`C[i]`, `C.dot(x)`).
    traced: bool = True


@dataclass
class Program:
    source: str
    args: tuple
    params: tuple
    dtype: str
    mode: str  # "numpy" or "math"
    ops: list = field(default_factory=list)  # registry op names used, in order
    wrt: tuple | None = None  # the parameters to differentiate (None: every float one)

    def describe(self) -> str:
        shown = ", ".join(f"{p}={_brief(a)}" for p, a in zip(self.params, self.args))
        return f"{self.source}\n# args: {shown}" + (f"\n# wrt: {self.wrt}" if self.wrt else "")


def _brief(a):
    if isinstance(a, np.ndarray):
        return f"np.array({a.tolist()!r}, dtype=np.{a.dtype.name})"
    return repr(a)


def elementwise_ops(mode: str) -> list[str]:
    """Registry ops the generator can spell as elementwise calls in `mode`."""
    out = []
    for name, op in sorted(REGISTRY.items()):
        if op.shape_rule is not elementwise_rule or not op.spellings:
            continue
        if not op.differentiable:
            continue  # masks (comparisons, logical ops) are used inside `where` conditions
        if mode == "math":
            if name == "where" or op.py_fn is None:
                continue
            if name not in INFIX and name not in ("negative", "absolute", "maximum", "minimum") \
                    and not any(s.startswith("math.") for s in op.spellings):
                continue
        elif name not in ("where", "round") and (op.np_fn is None or getattr(
                np, getattr(op.np_fn, "__name__", ""), None) is not op.np_fn):
            continue
        out.append(name)
    return out


def _returns_int(op) -> bool:
    """Whether the op's Python implementation gives an int (math.floor), at a point of
    its domain."""
    rng = np.random.default_rng(0)
    return isinstance(op.py_fn(*(float(d.sample((), "float64", rng))
                                 for d in op.domains(op.arity))), int)


def reachable_ops() -> set[str]:
    """Registry ops some generated statement can use."""
    masks = set(COMPARISONS) | set(LOGICAL) | {"logical_not", "isnan", "isfinite", "isinf"}
    return set(elementwise_ops("numpy")) | set(elementwise_ops("math")) | masks | \
        {op for form in FORMS.values() for op in form.ops}


def user_ops() -> list[str]:
    """Registry ops a user can write (those with spellings; the rest only the compiler
    creates: input, const, scatter, eye, ...)."""
    return sorted(n for n, op in REGISTRY.items() if op.spellings)


def unfuzzed_ops() -> list[str]:
    """User-facing registry ops the generator does not reach, with the reason where
    one is recorded in UNFUZZED (reported by the soak script)."""
    missing = sorted(n for n in user_ops() if n not in reachable_ops() or n in UNFUZZED)
    return [f"{n} ({UNFUZZED[n]})" if n in UNFUZZED else n for n in missing]


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
        if ndim >= 2 and chooser.integer(0, 3):
            # square trailing dims: transposes, linear algebra
            self.base = self.base[:-1] + (self.base[-2],)

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
        shape = self.sub_shape()
        value = np.asarray(self.rng.uniform(-2, 2, size=shape), dtype=self.dtype)
        name = self._constant("C", value)
        return Value(name, value, traced=False)

    def operand(self) -> Value:
        roll = self.c.integer(0, 9)
        if roll == 0 or not self.values:
            return self.new_param()
        if roll == 1 and self.mode == "numpy":
            return self.module_constant()
        if roll == 2:
            number = self.c.choice([0.5, 2.0, -1.5, 3.0, 0.25])
            return Value(repr(number), number, traced=False)
        return self.earlier()

    def earlier(self) -> Value:
        """An earlier value: the latest traced statement's 4 times in 10 (so ops compose
        into deep chains), else any."""
        latest = [v for v in self.values if v.name.startswith("v") and v.traced]
        if latest and self.c.integer(0, 9) < 4:
            return latest[-1]
        return self.c.choice(self.values)

    # -- one statement -----------------------------------------------------------------
    def _constant(self, prefix: str, value) -> str:
        name = f"{prefix}{len(self.module_lines)}"
        listed = repr(value.tolist())  # Python floats: exact for float32 values too
        self.module_lines.append(f"{name} = np.array({listed}, dtype=np.{value.dtype.name})")
        self.env[name] = value
        return name

    # -- helpers for forms.py ------------------------------------------------------------
    def evaluate(self, text: str):
        with np.errstate(all="raise"), warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. var with ddof=1 of one element
            return eval(text, self.env)

    def value_of_shape(self, shape: tuple) -> Value:
        """An earlier array value of exactly this shape, or a new parameter."""
        same = [v for v in self.values if isinstance(v.value, np.ndarray)
                and v.value.shape == tuple(shape)]
        if same and self.c.integer(0, 2):
            return self.c.choice(same)
        return self.new_param(shape=tuple(shape), python=False)

    def same_shape(self, v: Value) -> Value:
        """Another value of v's shape (v itself sometimes) to combine with it."""
        if self.c.integer(0, 3) == 0:
            return v
        if not isinstance(v.value, np.ndarray):
            return self.new_param(python=True) if self.mode == "math" else v
        return self.value_of_shape(v.value.shape)

    def int_list(self, n: int, lo: int, hi: int) -> list[int]:
        return [self.c.integer(lo, hi) for _ in range(n)]

    def int_param(self, shape: tuple, lo: int, hi: int) -> str:
        """A new integer parameter of `shape`, values in [lo, hi] (an index argument:
        not differentiated, traced as a gather's index operand)."""
        name = f"p{len(self.params)}"
        value = np.array(self.int_list(int(np.prod(shape, dtype=np.int64)), lo, hi),
                         dtype=np.int64).reshape(shape)
        self.params.append(name)
        self.args.append(value)
        self.env[name] = value
        return name

    def int_constant(self, shape: tuple, lo: int, hi: int) -> str:
        """A module-level integer array constant of `shape`, values in [lo, hi]."""
        value = np.array(self.int_list(int(np.prod(shape, dtype=np.int64)), lo, hi),
                         dtype=np.int64).reshape(shape)
        return self._constant("I", value)

    def matrix_operand(self, m: int, k: int | None = None) -> str:
        """A (m, k) matrix (k = m by default): a new parameter or a module constant."""
        shape = (m, m if k is None else k)
        if self.c.boolean():
            return self.new_param(shape=shape, python=False).name
        value = np.asarray(self.rng.uniform(-1, 1, size=shape), dtype=self.dtype)
        return self._constant("C", value)

    # -- one statement -----------------------------------------------------------------
    def try_add(self, text: str, op_name, check=None) -> bool:
        try:
            value = self.evaluate(text)
        except Exception:  # not valid at this point (e.g. .reshape of a Python float)
            return False
        arr = np.asarray(value)
        if arr.dtype.kind != "f" or arr.size == 0 or not np.all(np.isfinite(arr)) or \
                np.any(np.abs(arr) > MAX_MAGNITUDE):
            return False
        try:
            np.broadcast_shapes(arr.shape, self.base)
        except ValueError:
            return False
        if len(arr.shape) > len(self.base) + 1:
            return False
        if self.mode == "math" and arr.shape != ():
            return False
        try:
            with np.errstate(all="raise"):
                if check is not None and not check():
                    return False
        except Exception:
            return False
        name = f"v{len(self.lines)}"
        self.lines.append(f"{name} = {text}")
        self.env[name] = value
        traced = any(v.traced and re.search(rf"\b{v.name}\b", text) for v in self.values)
        self.values.append(Value(name, value, traced))
        self.ops.extend((op_name,) if isinstance(op_name, str) else op_name)
        return True

    def adapt(self, v: Value, domain) -> tuple[str, object] | None:
        """The operand's text, moved into `domain` (a Domain, or its name) if it is not
        there already."""
        return resolve(domain).into(v.name, v.value, "math" if self.mode == "math" else "np"), None

    def step(self):
        names = elementwise_ops(self.mode)
        if self.mode == "numpy":  # (where three times more often: its masks vary)
            names = names + sorted(FORMS) + ["where"] * 2
        name = self.c.choice(names)
        if name in FORMS:
            return self.form(name)
        return self.apply_op(name)

    def apply_op(self, name: str) -> bool:
        """One statement applying elementwise op `name` (or np.where) to operands."""
        op = REGISTRY[name]
        if name == "where":
            return self.where()
        operands = [self.operand() for _ in range(op.arity)]
        texts = [self.adapt(v, d)[0] for v, d in zip(operands, op.domains(op.arity))]
        if name in SPELLINGS and self.mode == "numpy" and self.c.boolean():
            wrapped = [t if t.isidentifier() or t.startswith("(") else f"({t})" for t in texts]
            text = self.c.choice(SPELLINGS[name]).format(*wrapped)
        elif name in INFIX:
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
                if _returns_int(op):  # (math.floor) Python ints: back to floats
                    text = f"{text} * 0.5"
        elif name == "round":
            text = f"np.round({texts[0]})"
        else:
            text = f"np.{op.np_fn.__name__}({', '.join(texts)})"
        check = None
        distance, margin = (op.jump, JUMP_MARGIN) if op.jump else (op.kink, MARGIN)
        if distance is not None:
            def check():
                vals = [np.asarray(self.evaluate(t), dtype=np.float64) for t in texts]
                return bool(np.all(distance(*vals) > margin))
        return self.try_add(text, name, check)

    def condition(self) -> tuple[str, list, list]:
        """A mask for np.where: (text, the mask ops it uses, comparisons to keep a
        margin from as (a, b) pairs)."""
        a, b = self.operand(), self.operand()
        cmp = self.c.choice(sorted(COMPARISONS))
        text, ops, pairs = f"{a.name} {COMPARISONS[cmp]} {b.name}", [cmp], [(a, b, cmp)]
        form = self.c.integer(0, 4)
        if form in (1, 4):
            c, d = self.operand(), self.operand()
            cmp2 = self.c.choice(sorted(COMPARISONS))
            logical = self.c.choice(sorted(LOGICAL))
            second = f"{c.name} {COMPARISONS[cmp2]} {d.name}"
            text = f"({text}) {LOGICAL[logical]} ({second})" if self.c.boolean() else \
                f"np.{logical}({text}, {second})"
            ops, pairs = ops + [cmp2, logical], pairs + [(c, d, cmp2)]
        elif form == 2:
            # (~ of a Python bool is bitwise, ~True == -2: only NumPy masks take ~)
            python = isinstance(self.evaluate(text), bool)
            text, ops = (f"~({text})" if self.c.boolean() and not python else
                         f"np.logical_not({text})"), ops + ["logical_not"]
        elif form == 3:
            test = self.c.choice(["isnan", "isfinite", "isinf"])
            text, ops, pairs = f"np.{test}({a.name})", [test], []
        return text, ops, pairs

    def where(self):
        cond, ops, pairs = self.condition()
        x, y = self.operand(), self.operand()
        text = f"np.where({cond}, {x.name}, {y.name})"

        def check():
            for a, b, cmp in pairs:
                if cmp in ("equal", "not_equal"):
                    if a.name == b.name:
                        return False
                    continue
                d = np.asarray(self.evaluate(f"{a.name} - {b.name}"), dtype=np.float64)
                if not np.all(np.abs(d) > MARGIN):
                    return False
            return True
        return self.try_add(text, ["where"] + ops, check)

    def form(self, label: str) -> bool:
        """One statement from forms.FORMS[label] applied to an earlier value."""
        v = self.earlier() if self.values else self.new_param()
        made = FORMS[label].make(self, v)
        if made is None:
            return False
        text, check = made if isinstance(made, tuple) else (made, None)
        return self.try_add(text, FORMS[label].ops, check)

    def term(self, v: Value) -> str:
        """How the return statement reads sink `v` (a scalar)."""
        if self.mode == "math":
            return v.name
        return f"np.{self.c.choice(['sum', 'mean'])}({v.name})"

    def finish(self) -> Program:
        """The source, returning a combination of every traced value no later statement
        reads (so no statement is dead code)."""
        read = " ".join(self.lines)
        sinks = []
        for i, v in enumerate(self.values):
            later = " ".join(line for line in self.lines if line.startswith("v") and
                             int(line.split(" ", 1)[0][1:]) > int(v.name[1:])) \
                if v.name.startswith("v") else read
            if v.name.startswith("v") and v.traced and not re.search(rf"\b{v.name}\b", later):
                sinks.append(v)
        if not sinks:
            statements = [v for v in self.values if v.name.startswith("v")]
            sinks = [statements[-1] if statements else self.values[-1]]
        terms = []
        for k, v in enumerate(sinks):
            weight = ("", "0.5 * ", "-0.25 * ")[k % 3] if k else ""
            terms.append(weight + self.term(v))
        ret = " + ".join(terms).replace("+ -", "- ")
        if self.mode == "math" and not self.lines:
            ret = f"{ret} * {ret}"
        body = "\n".join(f"    {line}" for line in self.lines + [f"return {ret}"])
        header = "import math\n\nimport numpy as np\n\n"
        consts = "\n".join(self.module_lines) + ("\n\n" if self.module_lines else "")
        source = f"{header}{consts}\ndef f({', '.join(self.params)}):\n{body}\n"
        floats = [p for p, a in zip(self.params, self.args)
                  if not (isinstance(a, np.ndarray) and a.dtype.kind != "f")]
        wrt = None
        if len(floats) > 1 and self.c.integer(0, 3) == 0:  # a subset: activity analysis
            wrt = tuple(p for p in floats if self.c.boolean()) or (floats[-1],)
        return Program(source, tuple(self.args), tuple(self.params), self.dtype, self.mode,
                       self.ops, wrt)


def generate(chooser, max_statements: int = 8) -> Program:
    roll = chooser.integer(0, 4)
    mode = ("math", "mixed")[roll] if roll < 2 else "numpy"
    dtype = "float32" if mode == "numpy" and chooser.integer(0, 4) == 0 else "float64"
    if mode == "mixed":
        from fuzz.mixed import MixedBuilder
        b = MixedBuilder(chooser, mode, dtype)
    else:
        b = _Builder(chooser, mode, dtype)
    b.new_param()
    target = chooser.integer(1, max_statements)
    attempts = 0
    while len(b.lines) < target and attempts < 20 * max_statements:
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


def traced(program: Program, directory: str):
    """The program's forward graph (traced by bpcompiler at its example arguments) and
    the arguments of its traced parameters, in the graph's order: what the property
    tests of the passes and of formatting run on."""
    from bpcompiler.trace import trace
    graph = trace(load(program.source, directory).f, program.args, program.wrt)
    given = dict(zip(program.params, program.args))
    return graph, [given[name] for name in graph.graph["params"]]


def _upcast(a):
    return a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


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


def check_program(program: Program, directory: str, target: str = "numpy") -> Outcome:
    """Compile `program` (for `target`) and check its gradient; see the module
    docstring."""
    module = load(program.source, directory)
    f = module.f
    try:
        compiled = compile_grad(f, program.args, wrt=program.wrt, target=target)
    except VerificationError as exc:
        if "not smooth" in exc.problem and any(REGISTRY[o].jump for o in program.ops
                                               if o in REGISTRY):
            # a jump within the difference step at the perturbed arguments: expected
            return Outcome("skipped", f"VerificationError: {exc}")
        return Outcome("failed", f"VerificationError: {exc}")
    except FunctionRaisedError as exc:
        if "perturbed arguments" in exc.problem:
            # f itself leaves its domain within verification's 2% perturbation (math.log
            # of a value the chain moves across 0): the program's fault, not the compiler's
            return Outcome("skipped", f"FunctionRaisedError: {exc}")
        return Outcome("failed", f"FunctionRaisedError: {exc}")
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
    wrong = wrong_types(value, reference, grads, [program.args[i] for i in index], wrt)
    if wrong:
        return Outcome("failed", wrong)
    args64 = [_upcast(a) for a in program.args]
    f_scale = abs(float(f(*args64))) + 1.0
    loose = program.dtype == "float32"
    numeric = []
    for name, i, g in zip(wrt, index, grads):
        if np.shape(g) != np.shape(program.args[i]):
            return Outcome("failed", f"gradient of {name} has shape {np.shape(g)}")
        # float32 programs may round to float32 inside f (a cast) even on float64
        # copies: a larger step, and an allowance for that rounding noise.
        fd, spread = extrapolated_differences(f, args64, i, 1e-2 if loose else 1e-3)
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
            # NOTE: the spread test misses a kink or jump that only the largest step
            # reaches (a tie in max 1.1e-3 away, step 1.1e-3), or steps that each span
            # whole periods of a sawtooth (fmod of a fast operand): they agree with each
            # other and still miss the slope. Differences with a step 8 times finer
            # tell: if they change with the step, they say nothing about the gradient.
            step = (1e-2 if loose else 1e-3) / 8
            fine, fine_spread = extrapolated_differences(f, args64, i, step)
            if np.any(fine_spread > 1e-4 * (np.abs(fine) + 1.0)) or \
                    float(np.max(np.abs(fine - fd), initial=0.0)) > tol:
                return Outcome("skipped", f"not smooth along {name} (a jump or kink "
                                          "within the step)")
        if err > tol:
            return Outcome("failed", f"gradient of {name} differs from central differences by "
                                     f"{err:.3g} (tolerance {tol:.3g}):\nemitted {g!r}\n"
                                     f"numeric {fd!r}")
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


def _is_python_float(x) -> bool:
    return isinstance(x, float) and not isinstance(x, np.generic)


def wrong_types(value, reference, grads, params, names) -> str | None:
    """What is wrong with the types, if anything: the value must have NumPy's dtype (and
    be a Python float exactly when f's is), each gradient exactly its parameter's type
    (float, NumPy scalar, or array of the same shape, 0-d included) and dtype."""
    if np.asarray(value).dtype != np.asarray(reference).dtype or \
            _is_python_float(value) != _is_python_float(reference):
        return (f"value is a {type(value).__name__} {np.asarray(value).dtype}, f gives a "
                f"{type(reference).__name__} {np.asarray(reference).dtype}")
    for name, g, p in zip(names, grads, params):
        ok = (isinstance(g, np.ndarray) and g.shape == p.shape and g.dtype == p.dtype) \
            if isinstance(p, np.ndarray) else type(g) is type(p)
        if not ok:
            return (f"gradient of {name} is a {type(g).__name__} {np.asarray(g).dtype}"
                    f"{np.shape(g)}, the parameter a {type(p).__name__} "
                    f"{np.asarray(p).dtype}{np.shape(p)}")
    return None


def temp_directory() -> str:
    return tempfile.mkdtemp(prefix="bpcompiler-fuzz-")
