"""Symbolic dimensions: one module for every size of a dimension declared by name.

A spec such as `X: "f64[N,8]"` makes axis 0 of `X` the dimension `N`. The graph is
built at the example's sizes, so every quantity derived from a size (a mean's `1/N`,
a reshape target, a zero buffer's shape) arrives as a number. To find which numbers
are sizes, the compile is repeated with each dimension one and two larger
(`variant_args`): the graphs must have the same nodes, and a number that changes
with `N` is fitted to a formula of it (`a * N + b` for integers; `c * (N + j) ** e`
for floats) that the third size must confirm. Each such number is replaced in the
graph by a value that prints as its formula (`Dim`, `SymFloat`, `SymArray`, and
`SymRecipe` for `np.arange(N)` and `np.eye(N)`), so the emitter writes
`np.reshape(d_z, (N, 1))` and `0.5 / N`, reading `N` from the arguments (guards.py
binds it). A graph whose structure changes with a size (a loop over it) cannot be
symbolic and is refused naming the line.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .errors import CompileError

# How many sizes each dimension is traced at: the example's, +1 and +2.
VARIANT_STEPS = (1, 2)
_FLOAT_RTOL = 1e-9
# A float32 constant is the formula's value rounded to float32: fit it to that precision.
_FLOAT32_RTOL = 2 * float(np.finfo(np.float32).eps)


class SymbolicShapeError(CompileError):
    """The program's shape logic cannot be written in terms of a declared dimension."""


class _Formula:
    """A number (its value at the example) that prints as a formula of dimensions."""

    def __new__(cls, value, text: str):
        self = super().__new__(cls, value)  # int's or float's
        self.text = text
        return self

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


class Dim(_Formula, int):
    """A size, or an int computed from sizes (`N`, `8 * N`, `(N + 1) // 2`)."""

    def __format__(self, spec: str) -> str:
        return self.text if not spec else int.__format__(self, spec)


class SymFloat(_Formula, float):
    """A float computed from sizes (`1.0 / N`)."""


class SymArray:
    """A constant array of one value repeated, whose shape or value (or both) follow the
    dimensions: printed as `np.zeros((N, 8), dtype=...)` or `np.full(shape, 1.0 / N,
    dtype=...)`; `value` is the example's array."""

    def __init__(self, value: np.ndarray, shape: tuple, fill):
        self.value, self.shape, self.fill = value, shape, fill

    def text(self, np_alias: str = "np") -> str:
        dtype = f"dtype={np_alias}.{self.value.dtype.name}"
        if not is_symbolic(self.fill) and self.fill == 0 and not np.signbit(self.fill):
            return f"{np_alias}.zeros({self.shape!r}, {dtype})"
        return f"{np_alias}.full({self.shape!r}, {self.fill!r}, {dtype})"


class SymBuilt(SymArray):
    """Any other constant the module builds at a size that follows the dimensions, as
    recipes.py writes it with the sizes as formulas (`np.linspace(0.0, 1.0, N)`)."""

    def __init__(self, value: np.ndarray, built: str):
        super().__init__(value, value.shape, None)
        self.built = built

    def text(self, np_alias: str = "np") -> str:
        text = self.built if np_alias == "np" else self.built.replace("np.", f"{np_alias}.")
        return text if _one_call(text) else f"({text})"  # (read as an atom)


class SymRecipe(SymArray):
    """A range or an identity whose size follows the dimensions: `np.arange(N)`,
    `np.eye(N)` (`call`, `size` a Dim); `value` is the example's array."""

    def __init__(self, value: np.ndarray, call: str, size):
        super().__init__(value, value.shape, None)
        self.call, self.size = call, size

    def text(self, np_alias: str = "np", device: bool = False) -> str:
        default = "int64" if self.call == "arange" else "float64"
        dtype = "" if self.value.dtype.name == default and not device else \
            f", dtype={np_alias}.{self.value.dtype.name}"
        return f"{np_alias}.{self.call}({self.size!r}{dtype}" + \
            (", device=device)" if device else ")")


def is_symbolic(value) -> bool:
    return isinstance(value, (Dim, SymFloat, SymArray))


def variant_args(args, symbolic: dict, names: tuple, sizes: dict, dim: str, step: int,
                 seed: int = 0):
    """The example arguments with dimension `dim` made `step` larger: each array is
    extended along its axes of that dimension by repeating its own entries cyclically
    (so labels stay labels and values stay in their domain), floats slightly perturbed
    so repeated rows are not exact copies."""
    rng = np.random.default_rng(seed + step)
    named = args if isinstance(args, dict) else dict(zip(names, args))
    out = {}
    for key, value in named.items():
        for axis, name in sorted(symbolic.get(key, {}).items()):
            if name != dim:
                continue
            new = sizes[dim] + step
            value = np.take(value, np.arange(new) % value.shape[axis], axis=axis)
            if value.dtype.kind == "f":
                noise = rng.uniform(-1e-3, 1e-3, size=value.shape).astype(value.dtype)
                value = value * (1 + noise)
        out[key] = value
    return out if isinstance(args, dict) else tuple(out.values())


def annotate(base, variants: dict, sizes: dict) -> None:
    """Replace, in graph `base`, every number that changes with a dimension by its
    formula. `variants[dim]` are the graphs compiled with that dimension at
    `sizes[dim] + step` for each of VARIANT_STEPS."""
    for dim, graphs in variants.items():
        for graph in graphs:
            _same_structure(base, graph, dim, sizes[dim])
    for node in sorted(base):
        attrs = base._node[node]
        others = {dim: [g._node[node]["params"] for g in graphs]
                  for dim, graphs in variants.items()}
        attrs["params"] = _fit_params(attrs["params"], others, sizes, base, node)


def _same_structure(base, other, dim: str, size: int) -> None:
    for node in sorted(set(base) | set(other)):
        a, b = base._node.get(node), other._node.get(node)
        if a is None or b is None or (a["op"], a["args"], a["python"], a["dtype"],
                                      a["phase"]) != (b["op"], b["args"], b["python"],
                                                      b["dtype"], b["phase"]):
            where = a if a is not None and a["line"] is not None else b
            raise SymbolicShapeError(
                f"what the function computes depends on the size of the dimension {dim} "
                f"(traced at {size} and larger, the operations differ)",
                file=where["file"] if where else None, line=where["line"] if where else None,
                hint=f"a loop or a Python branch over {dim} fixes the "
                     f"program to one size: give that axis a number in the spec "
                     f"(e.g. f64[{size},...]) or compute without it")


def _fit_params(value, others: dict, sizes: dict, g, node):
    """`value` with each leaf that differs in `others` (per dim, one per variant)
    replaced by its formula."""
    if isinstance(value, dict):
        return {k: _fit_params(v, {d: [o[k] for o in os] for d, os in others.items()},
                               sizes, g, node) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        if any(len(o) != len(value) for os in others.values() for o in os):
            _refuse(g, node, "a tuple of parameters changes length")
        items = [_fit_params(v, {d: [o[i] for o in os] for d, os in others.items()},
                             sizes, g, node) for i, v in enumerate(value)]
        return type(value)(items) if isinstance(value, tuple) else items
    if isinstance(value, slice):
        parts = [_fit_params(getattr(value, p), {d: [getattr(o, p) for o in os]
                                                 for d, os in others.items()}, sizes, g, node)
                 for p in ("start", "stop", "step")]
        return slice(*parts)
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return _fit_array(value, others, sizes, g, node)
    if isinstance(value, (bool, np.bool_, str, type(None))) or value is Ellipsis:
        if any(_differs(o, value) for os in others.values() for o in os):
            _refuse(g, node, f"the parameter {value!r} changes with the size")
        return value
    if isinstance(value, (int, np.integer, float, np.floating)) or \
            isinstance(value, np.ndarray):
        return _fit_number(value, others, sizes, g, node)
    return value


def _differs(a, b) -> bool:
    try:
        return bool(a != b)
    except (TypeError, ValueError):
        return True


def _fit_number(value, others: dict, sizes: dict, g, node, rtol: float | None = None):
    if rtol is None:
        rtol = _FLOAT32_RTOL if np.asarray(value).dtype == np.float32 else _FLOAT_RTOL
    changing = {d: [float(np.asarray(o)) for o in os] for d, os in others.items()
                if any(float(np.asarray(o)) != float(np.asarray(value)) for o in os)}
    if not changing:
        return value
    v0 = float(np.asarray(value))
    integer = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    text = _formula(v0, changing, sizes, integer, rtol)
    if text is None:
        _refuse(g, node, f"the number {value!r} depends on "
                         f"{', '.join(sorted(changing))} in a way bpcompiler cannot write")
    if integer:
        return Dim(int(value), text)
    if isinstance(value, np.ndarray) or isinstance(value, np.floating):
        return SymFloat(v0, f"np.{np.asarray(value).dtype.name}({text})")
    return SymFloat(v0, text)


def _fit_array(value: np.ndarray, others: dict, sizes: dict, g, node):
    """An array constant: unchanged, or one value repeated over a shape, where the value,
    the shape or both follow the dimensions (`np.full((N, 1), 1.0 / N)`)."""
    if all(np.shape(o) == value.shape and np.array_equal(o, value)
           for os in others.values() for o in os):
        return value
    flat = value.reshape(-1)
    repeated = flat.size > 0 and np.all(flat == flat[0]) and all(
        np.size(o) > 0 and np.all(np.asarray(o) == np.asarray(o).reshape(-1)[0])
        for os in others.values() for o in os)
    if not repeated:
        built = _fit_recipe(value, others, sizes, g, node)
        if built is not None:
            return built
        _refuse(g, node, f"a constant array's entries change with {', '.join(sorted(others))} "
                         "in a way bpcompiler cannot write (ranges, grids, identities and "
                         "triangles of a dimension's size can be)")
    shapes = {d: [np.shape(o) for o in os] for d, os in others.items()}
    shape = _fit_params(tuple(value.shape), shapes, sizes, g, node)
    fills = {d: [np.asarray(o).reshape(-1)[0].item() for o in os] for d, os in others.items()}
    fill = _fit_number(flat[0].item(), fills, sizes, g, node,
                       _FLOAT32_RTOL if value.dtype == np.float32 else _FLOAT_RTOL)
    return SymArray(value, shape, fill)


def _fit_recipe(value: np.ndarray, others: dict, sizes: dict, g, node):
    """`np.arange(N)` or `np.eye(N)` of a size that follows the dimensions, when the array
    is exactly that at every size traced; else None."""
    for call, ndim in (("arange", 1), ("eye", 2)):
        make = getattr(np, call)

        def built(a, make=make, ndim=ndim) -> bool:
            a = np.asarray(a)
            return a.ndim == ndim and a.shape[0] == a.shape[-1] and \
                np.array_equal(a, make(a.shape[0], dtype=a.dtype)) and a.dtype == value.dtype
        if built(value) and all(built(o) for os in others.values() for o in os):
            counts = {d: [np.shape(o)[0] for o in os] for d, os in others.items()}
            size = _fit_number(value.shape[0], counts, sizes, g, node)
            return SymRecipe(value, call, size)
    return _fit_built(value, others, sizes, g, node)


def _one_call(text: str) -> bool:
    """Whether `text` is one call, `np.f(...)`, whose parentheses close at its end."""
    head, paren, _ = text.partition("(")
    if not paren or not head.replace(".", "").replace("_", "").isalnum():
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch == ")":
            return i == len(text) - 1
    return False


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d*)?(?:e-?\d+)?")


def _fit_built(value: np.ndarray, others: dict, sizes: dict, g, node):
    """Any constant recipes.py can build (`np.linspace(0.0, 1.0, N)`, `np.triu(np.ones((N,
    N)))`, a tiled range) whose recipe at every size traced is the same text but for
    numbers that follow the dimensions; else None."""
    from .recipes import recipe
    text = recipe(value)
    variants = {d: [recipe(np.asarray(o)) for o in os] for d, os in others.items()}
    if text is None or any(t is None for ts in variants.values() for t in ts):
        return None
    skeleton, numbers = _NUMBER.split(text), _NUMBER.findall(text)
    found = {d: [_NUMBER.findall(t) for t in ts] for d, ts in variants.items()}
    if any(_NUMBER.split(t) != skeleton for ts in variants.values() for t in ts):
        return None
    slots = []
    for i, number in enumerate(numbers):
        kind = float if any(c in number for c in ".e") else int
        seen = {d: [kind(n[i]) for n in ns] for d, ns in found.items()}
        slots.append(repr(_fit_number(kind(number), seen, sizes, g, node)))
    return SymBuilt(value, "".join(part + slot for part, slot in zip(skeleton, slots + [""])))


def _formula(v0: float, changing: dict, sizes: dict, integer: bool,
             rtol: float = _FLOAT_RTOL) -> str | None:
    """Python text for a number that is v0 at `sizes` and, for each dim in `changing`,
    the listed values at that dim's VARIANT_STEPS."""
    if len(changing) == 1:
        (dim, values), = changing.items()
        return _one_dim(v0, dim, sizes[dim], values, integer, rtol)
    # Several dimensions: a product of powers c * N**a * M**b, each power fitted alone.
    powers = {}
    for dim, values in changing.items():
        power = _power(v0, sizes[dim], values, rtol)
        if power is None:
            return None
        powers[dim] = power
    c = _snap(v0 / math.prod(sizes[d] ** e for d, e in powers.items()), rtol)
    return _monomial(c, powers, integer)


def _one_dim(v0, dim, n0, values, integer, rtol=_FLOAT_RTOL) -> str | None:
    points = [(n0, v0)] + [(n0 + s, v) for s, v in zip(VARIANT_STEPS, values)]
    slope = (points[1][1] - points[0][1]) / (points[1][0] - points[0][0])
    offset = v0 - slope * n0
    if all(_close(slope * n + offset, v, integer, rtol) for n, v in points):
        if integer:
            slope, offset = round(slope), round(offset)
        else:
            slope, offset = _snap(slope, rtol), _snap(offset, rtol)
        return _affine(slope, offset, dim, integer)
    if integer:  # a strided slice's length: (N + j) // k
        for k in (2, 3, 4):
            for j in range(k):
                if all((n + j) // k == v for n, v in points):
                    return f"({dim} + {j}) // {k}" if j else f"{dim} // {k}"
    for shift in (0, -1, 1):
        for e in ((2, 3) if integer else (-1, -2, 2, -0.5, 0.5)):
            if n0 + shift <= 0:
                continue
            c = v0 / (n0 + shift) ** e
            if integer and c != round(c):
                continue
            if all(_close(c * (n + shift) ** e, v, integer, rtol) for n, v in points):
                c = c if integer else _snap(c, rtol)
                base = dim if shift == 0 else f"({dim} {'+' if shift > 0 else '-'} {abs(shift)})"
                return _monomial(c, {base: e}, integer)
    return None


def _power(v0, n0, values, rtol=_FLOAT_RTOL):
    for e in (1, -1, 2, -2):
        if all(_close(v0 * ((n0 + s) / n0) ** e, v, False, rtol)
               for s, v in zip(VARIANT_STEPS, values)):
            return e
    return None


def _close(a: float, b: float, integer: bool, rtol: float = _FLOAT_RTOL) -> bool:
    if integer:
        return abs(a - b) < 1e-9
    return abs(a - b) <= rtol * max(abs(a), abs(b))


def _snap(c: float, rtol: float) -> float:
    """The shortest decimal a fitted coefficient is equal to at its constant's precision:
    0.005 for 0.005000000000000001 (a few float64 ulps), 1.0 for float32's
    1.0000000298023224 (under half a float32 ulp). Never further: the module must compute
    the very constant the example's graph held."""
    within = 8 * float(np.finfo(np.float64).eps) if rtol <= _FLOAT_RTOL else rtol / 4
    for digits in range(1, 18):
        short = float(f"{c:.{digits}g}")
        if abs(short - c) <= within * abs(c):
            return short
    return c


def _number(c: float, integer: bool) -> str:
    if integer or float(c).is_integer() and abs(c) < 2 ** 53:
        return str(int(round(c))) if integer else repr(float(c))
    return repr(float(c))


def _affine(slope, offset, dim, integer) -> str:
    term = dim if slope == 1 else f"{_number(slope, integer)} * {dim}"
    if slope == 0:
        return _number(offset, integer)
    if offset == 0:
        return term if integer or slope != 1 else f"1.0 * {dim}"
    sign = "+" if offset > 0 else "-"
    return f"{term} {sign} {_number(abs(offset), integer)}"


def _monomial(c: float, powers: dict, integer: bool) -> str:
    """`c * N ** a / M ** b`, written as a person would: `0.5 / N`, `N * M`."""
    up = [d if e == 1 else f"{d} ** {_exp(e)}" for d, e in powers.items() if e > 0]
    down = [d if e == -1 else f"{d} ** {_exp(-e)}" for d, e in powers.items() if e < 0]
    head = " * ".join(([] if c == 1 and up else [_number(c, integer and c == int(c))]) + up)
    if not down:
        return head
    return f"{head} / " + (down[0] if len(down) == 1 else f"({' * '.join(down)})")


def _exp(e) -> str:
    return str(int(e)) if float(e).is_integer() else repr(float(e))


def _refuse(g, node, problem: str):
    attrs = g._node[node]
    raise SymbolicShapeError(
        f"{problem} (in {attrs['op']}), so this module cannot serve every size",
        file=attrs["file"], line=attrs["line"],
        hint="give that axis a number in the spec instead of a name")
