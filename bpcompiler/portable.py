"""The array-API target: modules that run on any library of the Python array API
standard (NumPy 2, CuPy, PyTorch, JAX, Dask, array-api-strict).

`compile_grad(..., target="array-api")` spells every array value with its op's
`array_api` field (ops/standard.py) instead of its NumPy spelling. Each function reads
its namespace from its array arguments, `xp = array_api_compat.array_namespace(...)`,
and their device, `device = array_api_compat.device(...)`, where arrays are created.
Nothing is written in place (no scatter buffers, no `+=` into them, no `out=`), no array
becomes a Python float mid-way (a Python-float parameter's gradient stays a 0-d array:
a lazy Dask value stays lazy), and mixed integer/float arithmetic, which the standard
leaves undefined, casts the integer operand first.

Python-scalar values that no array reaches keep their plain spelling (`math.tanh(b)`):
every library accepts Python numbers where the standard takes an array.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import CompileError
from .literals import literal
from .ops import REGISTRY
from .ops.registry import PREC_ATOM, Aval, Expr, elementwise_rule
from .ops.standard import zeros
from .symbolic import SymArray, SymBuilt, SymRecipe

TARGETS = ("numpy", "array-api", "numba")
# Names a portable body binds in its preamble; a parameter so named is read as `<name>_arg`.
NAMESPACE, DEVICE, COMPAT = "xp", "device", "array_api_compat"
BOUND = (NAMESPACE, DEVICE, COMPAT)


class UnportableError(CompileError):
    """The function uses an op the array API standard cannot write."""


class TargetError(CompileError):
    """An unknown target name."""


def check_target(target: str) -> None:
    if target not in TARGETS:
        raise TargetError(f"unknown target {target!r}",
                          hint=f"use one of: {', '.join(TARGETS)}")
    if target == "numba":
        from .fused import check_numba
        check_numba()
    if target == "array-api":
        try:
            import array_api_compat  # noqa: F401  (the emitted modules import it)
        except ImportError:
            raise TargetError("target='array-api' needs array_api_compat, which is not "
                              "installed", hint="pip install 'bpcompiler[array-api]'") from None


def array_valued(g) -> set:
    """The nodes whose value is an array under this target: array parameters and
    constants, every NumPy value when there is an array parameter to take the namespace
    from (a NumPy scalar is a 0-d array), and Python-scalar ops on those (a Python-float
    parameter's gradient stays a 0-d array)."""
    found: set = set()
    has_arrays = any(not g._node[n]["python"] for n in g.graph["inputs"])
    for node in _topological(g):
        attrs = g._node[node]
        op, args = attrs["op"], attrs["args"]
        if op == "input":
            hit = not attrs["python"]
        elif op == "const":
            hit = not attrs["python"] and np.ndim(attrs["params"]["value"]) > 0
        else:
            hit = any(a in found for a in args) or (has_arrays and not attrs["python"])
        if hit:
            found.add(node)
    return found


def _topological(g) -> list:
    import networkx as nx
    return list(nx.topological_sort(g))


def refuse_unportable(g, arrays: set, main_file: str | None) -> None:
    """Raise for the first (by line) node the standard cannot write."""
    bad = []
    for node in arrays:
        attrs = g._node[node]
        if attrs["op"] in ("input", "const"):
            continue
        spec = REGISTRY[attrs["op"]]
        dummy = [Expr(f"a{i}", PREC_ATOM) for i in range(len(attrs["args"]))]
        aval = Aval(attrs["shape"], attrs["dtype"], False)
        if spec.array_api is None or spec.array_api(dummy, attrs["params"], aval) is None:
            bad.append((attrs["line"] or 0, attrs["file"] or "", attrs["op"], attrs))
    if bad:
        line, file, name, attrs = min(bad, key=lambda b: (b[0], b[1], b[2]))
        how = "the array API standard has no way to write it" if \
            REGISTRY[name].array_api is None else \
            f"the array API standard cannot write it with {_params(attrs['params'])}"
        where = "in the gradient of this line" if attrs["phase"] == "adjoint" else \
            "on this line"
        raise UnportableError(
            f"op {name!r} {where} prevents target='array-api': {how}",
            file=file or main_file, line=line or None,
            hint="rewrite the line with functions `bpcompiler ops` lists as portable, or "
                 "compile for the default NumPy target")


def _params(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "these operands"


def spell(g, node: int, exprs: list[Expr], arrays: set) -> Expr:
    """An array value in the standard: the op's `array_api` spelling, its operands made
    what the standard needs (see `_operands`)."""
    attrs = g._node[node]
    spec = REGISTRY[attrs["op"]]
    aval = Aval(attrs["shape"], attrs["dtype"], False)
    return spec.array_api(_operands(g, spec, attrs, exprs, arrays), attrs["params"], aval)


# Reductions the standard defines for floats only (mean) or numbers only (sum of a mask),
# and the dtype NumPy computes them in.
_REDUCED_AS = {"mean": ("iub", "float64"), "var": ("iub", "float64"),
               "std": ("iub", "float64"), "sum": ("b", "int64"), "prod": ("b", "int64")}


def _operands(g, spec, attrs, exprs: list[Expr], arrays: set) -> list[Expr]:
    """Operands as the standard takes them: NumPy scalars computed from Python numbers
    made 0-d arrays; integer (or boolean) operands of float arithmetic cast, which the
    standard leaves undefined; mean of integers and sum of a mask cast as NumPy computes
    them; a Python float that float32 cannot hold exactly made an array of the result's
    dtype when it is an argument of a function (array_api_compat's PyTorch `where`
    rounds Python floats to float32)."""
    args, out = attrs["args"], list(exprs)
    kind = [np.dtype(g._node[a]["dtype"]).kind for a in args]
    if args and not any(a in arrays for a in args) and spec.name != "to_array":
        return [_asarray(e, g._node[a]["dtype"]) for e, a in zip(exprs, args)]
    if spec.name in _REDUCED_AS and kind[0] in _REDUCED_AS[spec.name][0]:
        return [_cast(exprs[0], _REDUCED_AS[spec.name][1])]
    if len(args) < 2 or not (spec.shape_rule is elementwise_rule or spec.name == "matmul"):
        return out
    first = 1 if spec.name == "where" else 0  # (its condition is a mask)
    want = attrs["dtype"] if np.dtype(attrs["dtype"]).kind == "f" else "float64"
    floats = "f" in kind[first:]
    called = _is_call(spec)
    for i in range(first, len(args)):
        operand = g._node[args[i]]
        if args[i] in arrays:
            mixed = floats and kind[i] != "f" or spec.name == "matmul" and \
                operand["dtype"] != attrs["dtype"]
            out[i] = _cast(exprs[i], want) if mixed else exprs[i]
        elif called and kind[i] == "f" and not _exact_in_float32(operand):
            out[i] = _asarray(exprs[i], want)
    if called and not any(a in arrays for a in args[first:]) and out[first] is exprs[first]:
        out[first] = _asarray(exprs[first], attrs["dtype"])  # where(c, 1.0, 0.0)
    return out


def _cast(e: Expr, dtype: str) -> Expr:
    return Expr(f"xp.astype({e.text}, xp.{dtype})", PREC_ATOM)


def _asarray(e: Expr, dtype: str) -> Expr:
    return Expr(f"xp.asarray({e.text}, dtype=xp.{dtype}, device=device)", PREC_ATOM)


def _is_call(spec) -> bool:
    dummy = [Expr(f"a{i}", PREC_ATOM) for i in range(max(spec.arity, 1))]
    try:
        return spec.array_api(dummy, {}, Aval((), "float64", False)).text.startswith("xp.")
    except (KeyError, TypeError):
        return True


def _exact_in_float32(attrs) -> bool:
    if attrs["op"] != "const":
        return False
    value = attrs["params"]["value"]
    return not isinstance(value, SymArray) and np.ndim(value) == 0 and \
        float(np.float32(value)) == float(value)


def scalar_spell(attrs, exprs: list[Expr], main_file) -> Expr:
    """A NumPy-scalar value no array reaches, as Python computes it (`math.exp(b)`)."""
    spec = REGISTRY[attrs["op"]]
    text = spec.spell(exprs, attrs["params"], Aval(attrs["shape"], attrs["dtype"], True))
    if "np." in text.text and spec.array_api is not None:  # a spelling with no namespace
        standard = spec.array_api(exprs, attrs["params"], Aval((), attrs["dtype"], False))
        text = standard if standard is not None and "xp." not in standard.text else text
    if "np." in text.text:
        raise UnportableError(
            f"op {attrs['op']!r} on Python numbers has no spelling without NumPy",
            file=attrs["file"] or main_file, line=attrs["line"],
            hint="make the operand an array parameter, or compile for the default target")
    return text


def constant(attrs, module_name: str | None) -> Expr:
    """A constant: a module-level nested list made an array of the arguments' library
    and device, zeros in place, a 0-d NumPy scalar as the Python number it holds."""
    value = attrs["params"]["value"]
    dtype = attrs["dtype"]
    if module_name is not None:
        return Expr(f"xp.asarray({module_name}, dtype=xp.{dtype}, device=device)", PREC_ATOM)
    if isinstance(value, SymBuilt):
        raise UnportableError(f"the constant {value.built} of a symbolic size prevents "
                              "target='array-api'", file=attrs["file"], line=attrs["line"],
                              hint="give that axis a number in the spec, or compile for "
                                   "the default NumPy target")
    if isinstance(value, SymRecipe):  # xp.arange(N), xp.eye(N)
        return Expr(value.text("xp", device=True), PREC_ATOM)
    if isinstance(value, SymArray):  # zeros or a fill of a symbolic shape
        first = value.value.reshape(-1)[0].item() if value.value.size else 0
        if first == 0 and not np.signbit(first):
            return Expr(zeros(value.shape, dtype), PREC_ATOM)
        return Expr(f"xp.full({tuple(value.shape)!r}, {literal(first, True).text}, "
                    f"dtype=xp.{dtype}, device=device)", PREC_ATOM)
    if not attrs["python"] and np.ndim(value) > 0:  # all zeros (others are module names)
        return Expr(zeros(np.shape(value), dtype), PREC_ATOM)
    if attrs["python"]:
        return literal(value, True)
    return literal(np.asarray(value).item(), True)


def list_literal(value) -> str:
    """An array constant as nested Python lists of exact numbers (`xp.asarray` makes it
    an array of the caller's library)."""
    def element(v) -> str:
        if isinstance(v, float) and not math.isfinite(v):
            return "math.nan" if math.isnan(v) else ("math.inf" if v > 0 else "-math.inf")
        return repr(v)

    def nested(items) -> str:
        if isinstance(items, list):
            return "[" + ", ".join(nested(i) for i in items) + "]"
        return element(items)
    array = np.asarray(value)
    items = array.astype(float).tolist() if array.dtype.kind == "f" else array.tolist()
    return nested(items)
