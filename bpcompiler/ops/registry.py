"""The op registry: one `Op` declaration per primitive, everything about it in one place.

An op declares
- its implementations: `np_fn` for NumPy values and `py_fn` for Python scalars (these
  are also the IR's reference semantics, used by the interpreter and constant folding);
- its shape and dtype rule;
- how it is written in emitted Python (`spell`), for floats and for arrays;
- its VJP rule, written with registered ops (operators on `Tracer`s and `F.<op>(...)`),
  so adjoints are ordinary graph nodes; or `differentiable=False`;
- the user spellings that reach it (`np.tanh`, `math.tanh`, `.sum()`), for `ops` listings;
- the input domain of each operand (a `domains.Domain`, or its name: `"positive"`),
  which the generated tests and the fuzzer sample, and, for ops that are not
  elementwise, the operand shapes and params the tests try;
- the facts the passes, the emitter and the tests read, each a field with a default
  that suits a plain op: commutative, linear in which operands, a view, shape-only,
  masking, accumulating, where it has kinks or jumps, a reduction's keepdims spelling,
  whether a compiled loop may compute it and cheaply, and a reference implementation
  for the tests' independent gradient checks.

A VJP rule is `vjp(g, y, *operands, **params) -> tuple` with one entry per operand: the
contribution to that operand's gradient (any broadcast shape: the driver reduces it to
the operand's shape), or None for no contribution. A JVP rule (`jvp`, forward mode) is
`jvp(tangents, y, *operands, **params) -> tangent of y` (see tangents.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

from ..errors import ShapeError
from .domains import REAL, Domain, resolve


class Aval(NamedTuple):
    """What the compiler knows about a value without running the program."""

    shape: tuple
    dtype: str
    python: bool


# Python operator precedence, lowest to highest, as the emitter needs it.
PREC_COND, PREC_CMP, PREC_ADD, PREC_MUL, PREC_UNARY, PREC_POW, PREC_ATOM = 0, 4, 9, 10, 11, 12, 14


class Expr(NamedTuple):
    """An operand as the emitter sees it: its source text and that text's precedence."""

    text: str
    prec: int


def paren(e: Expr, minimum: int) -> str:
    return e.text if e.prec >= minimum else f"({e.text})"


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    np_fn: Callable | None
    py_fn: Callable | None
    spell: Callable  # (list[Expr], params, Aval result) -> Expr
    shape_rule: Callable  # (Op, list[Aval], params, python) -> (shape, dtype)
    vjp: Callable | None = None
    # Its JVP rule (forward mode): jvp(tangents, y, *operands, **params) -> the tangent
    # of y, or None for zero (see tangents.py); written with registered ops, as the VJP.
    jvp: Callable | None = None
    differentiable: bool = True
    spellings: tuple[str, ...] = ()
    domain: Domain | str | tuple = REAL  # per operand when a tuple (see domains.py)
    # Test cases generated for this op: (operand shapes, params) pairs. Elementwise ops
    # get a standard sweep of broadcasting shapes when this is empty.
    cases: tuple = ()
    statement: Callable | None = None  # ops emitted as statements: (target, exprs, params, aval) -> [str]
    doc: str = ""
    # The derivative is infinite or undefined somewhere in the domain (sqrt at 0, log at
    # 0, x/0). When a zero cotangent can reach such an elementwise op from a mask (an
    # untaken np.where branch), the driver wraps the contribution in
    # where(g == 0, 0, ...) so 0 * inf cannot turn into NaN: the "double where" trap.
    singular: bool = False
    # Operands may be swapped: CSE merges `a * b` and `b * a`.
    commutative: bool = False
    # Operand positions the result is linear in: a zero there makes the result zero
    # (symbolic zeros in adjoints).
    linear_in: tuple[int, ...] = ()
    # Moves elements without computing any (reshape, broadcast_to): chains of these
    # collapse.
    shape_only: bool = False
    # The result may share memory with its operand (reshape, transpose, a basic index):
    # costs no buffer of its own, and a returned gradient that is one is copied.
    view: bool = False
    # Its VJP writes exact zeros into a cotangent (an untaken `where` branch): singular
    # ops downstream guard against 0 * inf (see `singular`).
    masking: bool = False
    # Writes its operand into a fresh zero buffer (scatter): a sum of such buffers is
    # emitted in place, into one of them. This prints adding the operand into an
    # existing buffer: (target, "+=" or "-=", operand Exprs, params) -> `d_x[1:] += g`.
    accumulate: Callable | None = None
    # A reduction whose spelling takes keepdims=True: a reshape that restores its axes
    # is printed as the reduction with keepdims=True (idioms.py).
    takes_keepdims: bool = False
    # The numba target (passes/fusion.py). `in_loops`: a compiled loop may compute it
    # with its `math` spelling (False where that is not NumPy's value on floats, as
    # math.floor's int, or numba cannot call it). `arithmetic`: cheap in a loop
    # (SIMD-vectorised by LLVM), unlike a `math` call, in the cost model.
    in_loops: bool = True
    arithmetic: bool = False
    # For the fuzzer: operands -> their distance from the nearest kink (|x| at 0) or
    # jump (floor at integers), elementwise; None where there is none.
    kink: Callable | None = None
    jump: Callable | None = None
    # For the tests: (xp, params) -> the op written with the array namespace `xp`
    # (autograd.numpy or jax.numpy), an independent reference for its gradient. None
    # for an elementwise op means `xp.<ufunc name>`.
    reference: Callable | None = None
    # How the emitted code names an unnamed result from its operands' names ({0}, {1}):
    # "{0}_plus_{1}" names `w + b` w_plus_b. None: the op's name then the operands'
    # (exp_z, sum_exp_z).
    names_as: str | None = None
    # How the op is written in the Python array API standard (target="array-api"), the
    # namespace read from the arguments as `xp`: a spelling like `spell`, always an
    # expression (`xp.acos(x)`; a scatter as a concatenation, never an in-place write),
    # which returns None for params the standard cannot write (a negative slice step).
    # None, the default: not portable; a compile for that target names the op and line.
    array_api: Callable | None = None
    # The NumPy implementation takes complex operands and is holomorphic near the real
    # line, with the real derivative there: verification differentiates paths made of
    # such ops exactly, by the complex step, with no step size to choose.
    analytic: bool = False
    # A multi-output primitive (eigh, slogdet, qr) names its results' fields here: its
    # node is one tuple value, each field a `proj` node (ops/multi.py); its shape rule
    # gives (shapes, dtypes), one per field; its VJP rule receives a tuple of cotangents
    # (None for an unused field) and `y` as the tuple of fields, and its JVP rule returns
    # a tuple of tangents (None for zero). `output_attributes`: the emitted code reads a
    # field as an attribute (`eigh_A.eigenvalues`), else by index (`lstsq_A_b[0]`).
    outputs: tuple[str, ...] = ()
    output_attributes: bool = True
    # An effect (a control-flow guard, ops/guard.py): nothing reads its result, yet it is
    # kept by dead-code elimination and computed by every emitted function; its
    # statement binds no name.
    effect: bool = False

    def __post_init__(self):
        object.__setattr__(self, "domain", resolve(self.domain))

    def domains(self, arity: int) -> tuple:
        """One Domain per operand."""
        d = self.domain
        return tuple(d) if isinstance(d, tuple) else (d,) * arity

    def impl(self, python: bool) -> Callable:
        fn = self.py_fn if python and self.py_fn is not None else self.np_fn
        if fn is None:
            raise NotImplementedError(f"op {self.name} has no implementation")
        return fn


REGISTRY: dict[str, Op] = {}


def register(op: Op) -> Op:
    if op.name in REGISTRY:
        raise ValueError(f"op {op.name} registered twice")
    if op.vjp is None and op.differentiable:
        raise ValueError(f"op {op.name} needs a VJP rule or differentiable=False")
    REGISTRY[op.name] = op
    return op


# ---------------------------------------------------------------------------------------
# Spelling helpers: how an op prints.

def infix(symbol: str, prec: int, assoc: str = "left") -> Callable:
    """A binary operator; `assoc` is "left", "right" (`**`) or "none" (comparisons chain)."""

    def spell(args, params, aval):
        a, b = args
        if assoc == "right":  # `**`: the base must bind tighter, the exponent may be unary
            return Expr(f"{paren(a, prec + 1)} {symbol} {paren(b, PREC_UNARY)}", prec)
        left = prec if assoc == "left" else prec + 1
        return Expr(f"{paren(a, left)} {symbol} {paren(b, prec + 1)}", prec)
    return spell


def prefix(symbol: str) -> Callable:
    def spell(args, params, aval):
        return Expr(f"{symbol}{paren(args[0], PREC_UNARY)}", PREC_UNARY)
    return spell


def call(py_name: str | None, np_name: str | None, keywords: Callable | None = None) -> Callable:
    """`math.f(a, b)` for Python scalars, `np.f(a, b, axis=...)` for arrays."""

    def spell(args, params, aval):
        name = py_name if aval.python and py_name else np_name
        parts = [a.text for a in args]
        if keywords is not None:
            parts += [f"{k}={v!r}" for k, v in keywords(params).items()]
        return Expr(f"{name}({', '.join(parts)})", PREC_ATOM)
    return spell


def standard(name: str, keywords: Callable | None = None) -> Callable:
    """`xp.name(a, b, kw=...)`: a function of the array API standard (see Op.array_api)."""
    return call(None, f"xp.{name}", keywords)


# ---------------------------------------------------------------------------------------
# Shape and dtype rules.

_PY_DUMMY = {"float64": 1.0, "int64": 1, "bool": True}
_PY_DTYPE = {float: "float64", int: "int64", bool: "bool"}


def dtype_name(value) -> str:
    return _PY_DTYPE[type(value)] if type(value) in _PY_DTYPE else np.asarray(value).dtype.name


def _dummy(aval: Aval, full_shape: bool):
    if aval.python:
        return _PY_DUMMY[aval.dtype]
    one = np.ones((), dtype=aval.dtype)
    # A zero-strided view: any shape, no memory.
    return np.broadcast_to(one, aval.shape) if full_shape else one


def broadcast_shapes(name: str, shapes: list[tuple]) -> tuple:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ShapeError(f"{name}: shapes {listed} do not broadcast together",
                         hint="reshape or transpose an operand so trailing dimensions agree")


def elementwise_rule(op: Op, avals: list[Aval], params: dict, python: bool):
    key = (op.name, tuple(avals), python) if not params else None
    if key is not None and key in _ELEMENTWISE_CACHE:  # NOTE: tracing 100k nodes calls this
        return _ELEMENTWISE_CACHE[key]                  # with a handful of distinct keys
    shape = broadcast_shapes(op.name, [a.shape for a in avals])
    with np.errstate(all="ignore"):
        for scale in (1, 0.5, 2):  # math functions raise outside their domain (atanh(1))
            try:
                result = op.impl(python)(*[_dummy(a, False) * scale if a.dtype == "float64"
                                           else _dummy(a, False) for a in avals], **params)
                break
            except ValueError:
                continue
    if key is not None:
        _ELEMENTWISE_CACHE[key] = shape, dtype_name(result)
    return shape, dtype_name(result)


_ELEMENTWISE_CACHE: dict = {}


def evaluated_rule(op: Op, avals: list[Aval], params: dict, python: bool):
    """Shape and dtype from running the op on zero-strided stand-ins of the operands."""
    with np.errstate(all="ignore"):
        try:
            result = op.impl(python)(*[_dummy(a, True) for a in avals], **params)
        except (ValueError, IndexError, TypeError) as exc:
            listed = ", ".join(str(a.shape) for a in avals)
            raise ShapeError(f"{op.name} cannot take operands of shapes {listed}: {exc}")
    return tuple(np.shape(result)), dtype_name(result)


# ---------------------------------------------------------------------------------------
# `F.<op>(...)`: build a node of any registered op. VJP rules and traced NumPy functions
# use this; the current graph builder (see builder.py) receives the node.

class _OpFunctions:
    def __getattr__(self, name: str) -> Callable:
        if name not in REGISTRY:
            raise AttributeError(name)

        def build(*operands, **params):
            from ..builder import current_builder
            return current_builder().apply(name, operands, params)
        return build


F = _OpFunctions()


# ---------------------------------------------------------------------------------------
# Front end: which user-visible callables reach which ops. Each op module fills these with
# small functions that take NumPy's (or math's) own signature and build nodes.

NUMPY_UFUNCS: dict = {}  # np.ufunc -> callable(*inputs, **kwargs)
NUMPY_FUNCTIONS: dict = {}  # np function -> callable with the same signature
MATH_FUNCTIONS: dict = {}  # math function -> callable
ARRAY_METHODS: dict = {}  # ndarray method name -> callable(self, *args, **kwargs)
UNSUPPORTED: dict = {}  # recognised callable -> advice for the user
UFUNC_METHODS: dict = {}  # "reduce", "accumulate", "outer" -> callable(ufunc, *inputs, **kw)


def numpy_function(*functions) -> Callable:
    """Decorator: the decorated function traces calls to each of `functions`."""

    def decorate(impl):
        for fn in functions:
            NUMPY_FUNCTIONS[fn] = impl
        return impl
    return decorate


def array_method(*names: str) -> Callable:
    def decorate(impl):
        for name in names:
            ARRAY_METHODS[name] = impl
        return impl
    return decorate


def unsupported_operations() -> list[tuple[str, str]]:
    """(spelling, advice) for each recognised-but-unsupported callable, sorted."""
    def spelled(fn) -> str:
        module = getattr(fn, "__module__", None) or "numpy"
        module = module.replace("numpy.random.mtrand", "numpy.random").replace(
            "numpy.fft._pocketfft", "numpy.fft").replace("numpy.linalg._linalg", "numpy.linalg")
        module = "np" + module[len("numpy"):] if module.startswith("numpy") else module
        if module.startswith("np._core") or module.startswith("np.lib"):
            module = "np"
        return f"{module}.{fn.__name__}"
    return sorted((spelled(fn), advice) for fn, advice in UNSUPPORTED.items())
