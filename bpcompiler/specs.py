"""Argument specs: how the CLI gets example values for a function's parameters.

A spec is `float`, `int` (Python scalars), or `f64[784,256]`, `f32[3]`, `f64[]` (0-d),
`i64[64]`, `i32[...]`, `bool[...]` (NumPy arrays), optionally followed by a range:
`f64[100] in [0.5, 2.0]`, `i64[64] in [0, 10]` (ints include both ends). Without a range
floats are drawn uniformly from [-1, 1] and ints from [0, 9]. A float spec may end in
`data` (`"f64[16,20] data"`, `"float data"`): the parameter is an input, not a weight,
and is left out of the default `wrt`, so a file can say what to differentiate without
`--wrt`. A spec comes from `--arg NAME=SPEC` or from a string annotation in the source
(`def loss(W: "f64[784,256]")`); a parameter with neither is a Python float. Values come from a generator seeded with
0, so the same specs always give the same example arguments.
"""

from __future__ import annotations

import ast
import inspect
import re
import typing

import numpy as np

from .errors import ArgumentError
from .paths import display_path

_SPEC = re.compile(r"^\s*(float|int|f64|f32|i64|i32|bool)\s*(?:\[([\w,\s]*)\])?"
                   r"\s*(?:in\s*\[\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\])?\s*(data)?\s*$")
# Other string annotations (`"np.ndarray"`, or any under `from __future__ import
# annotations`) are not specs and are ignored.
_LOOKS_LIKE_SPEC = re.compile(r"^\s*((f64|f32|i64|i32|bool)\s*\[|(float|int)\s*($|in\s*\[|data\s*$))")
_DTYPES = {"f64": np.float64, "f32": np.float32, "i64": np.int64, "i32": np.int32,
           "bool": np.bool_}


def parse_spec(text: str):
    match = _SPEC.match(text)
    if not match:
        raise ArgumentError(f"cannot read the argument spec {text!r}",
                            hint="write float, int, f64[3,4], f32[], i64[10] or "
                                 "f64[5] in [0.1, 2.0]")
    kind, dims, lo, hi, _ = match.groups()
    if kind in ("float", "int") and dims is not None:
        raise ArgumentError(f"{kind} is a Python scalar and takes no shape in {text!r}",
                            hint="use f64[...] or i64[...] for arrays")
    shape = None if dims is None else tuple(_dimension(d, text)
                                            for d in dims.replace(" ", "").split(",") if d)
    if kind not in ("float", "int") and shape is None:
        raise ArgumentError(f"array spec {text!r} needs a shape", hint=f"write {kind}[] for 0-d")
    bounds = None if lo is None else _bounds(text, kind, lo, hi)
    _check_size(text, shape)
    return kind, shape, bounds


def _dimension(text: str, spec: str):
    """A size (`8`) or the name of a symbolic dimension (`N`)."""
    if text.isdigit():
        return int(text)
    if not text.isidentifier() or text.startswith("_"):
        raise ArgumentError(f"cannot read the dimension {text!r} in the spec {spec!r}",
                            hint="write a size (8) or a name (N) for each axis")
    return text


def symbolic_axes(spec: str) -> dict[int, str]:
    """{axis: dimension name} for the axes a spec names, e.g. {0: "N"} for f64[N,8]."""
    shape = parse_spec(spec)[1] or ()
    return {axis: d for axis, d in enumerate(shape) if isinstance(d, str)}


# The most elements one example argument may have (1 GiB of float64): a larger spec is a
# typo more often than a plan, and would fail (or swap) while its values are drawn.
MAX_EXAMPLE_ELEMENTS = 2**27


def _bounds(text: str, kind: str, lo: str, hi: str) -> tuple[float, float]:
    """The numbers of a range, or ArgumentError saying how to write one."""
    try:
        low, high = float(lo), float(hi)
    except ValueError:
        raise ArgumentError(f"cannot read the range in {text!r}",
                            hint="write two numbers, e.g. in [0.1, 2.0]") from None
    if not (np.isfinite(low) and np.isfinite(high)) or low > high:
        raise ArgumentError(f"the range in {text!r} is empty or not finite",
                            hint="write the smaller bound first, e.g. in [0.1, 2.0]")
    if kind in ("int", "i64", "i32") and np.floor(high) < np.ceil(low):
        raise ArgumentError(f"the range in {text!r} holds no integer",
                            hint="write integer bounds, e.g. in [0, 10]")
    return low, high


def _check_size(text: str, shape) -> None:
    count = 1
    for d in shape or ():
        count *= d if isinstance(d, int) else 1
    if count > MAX_EXAMPLE_ELEMENTS:
        raise ArgumentError(f"{text!r} has {count:,} elements, too many for an example "
                            f"argument (at most {MAX_EXAMPLE_ELEMENTS:,})",
                            hint="give smaller example shapes: the module works for any "
                                 "values of the same shapes, and is verified at these")


def is_data(spec: str) -> bool:
    """True for a spec marked `data`: an input that the default `wrt` leaves out."""
    match = _SPEC.match(spec)
    return bool(match and match.group(5))


def default_wrt(specs: dict[str, str]) -> tuple[str, ...] | None:
    """The float parameters not marked `data`, or None (every float parameter) when no
    spec is marked."""
    if not any(is_data(spec) for spec in specs.values()):
        return None
    return tuple(name for name, spec in specs.items()
                 if parse_spec(spec)[0] in ("float", "f64", "f32") and not is_data(spec))


# The example size of a symbolic dimension the CLI generates values for.
DEFAULT_DIMENSION_SIZE = 16


def example_value(spec: str, rng: np.random.Generator, sizes: dict | None = None):
    kind, shape, bounds = parse_spec(spec)
    if shape is not None:
        shape = tuple((sizes or {}).get(d, DEFAULT_DIMENSION_SIZE) if isinstance(d, str) else d
                      for d in shape)
    if kind in ("float", "f64", "f32"):
        lo, hi = bounds or (-1.0, 1.0)
        value = rng.uniform(lo, hi, size=shape or ())
        return float(value) if kind == "float" else np.asarray(value, dtype=_DTYPES[kind])
    if kind == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    lo, hi = bounds or (0, 9)
    value = rng.integers(int(lo), int(hi) + 1, size=shape or ())
    return int(value) if kind == "int" else np.asarray(value, dtype=_DTYPES[kind])


def specs_for(fn, overrides: dict[str, str]) -> dict[str, str]:
    """Each parameter's spec: --arg override, else string annotation, else `float`."""
    signature = inspect.signature(fn)
    names = list(signature.parameters)
    for name in overrides:
        if name not in names:
            raise ArgumentError(f"--arg names {name!r}, which is not a parameter of "
                                f"{fn.__name__} {tuple(names)}")
    specs = {}
    code = getattr(fn, "__code__", None)
    for name, p in signature.parameters.items():
        annotation = annotation_spec(p.annotation)
        if name in overrides:
            specs[name] = overrides[name]
        elif annotation is ARRAY_WITHOUT_SPEC:
            raise ArgumentError(
                f"parameter {name!r} is annotated as an array but says not which shape",
                file=display_path(inspect.getsourcefile(fn)) if code else None,
                line=code.co_firstlineno if code else None,
                hint=f'write Annotated[np.ndarray, "f64[N,3]"] (or a spec string), or '
                     f'pass --arg {name}=f64[...]')
        elif annotation is not None:
            specs[name] = annotation
        else:
            specs[name] = "float"
        try:
            parse_spec(specs[name])
        except ArgumentError as exc:
            if name in overrides:
                raise
            code = getattr(fn, "__code__", None)
            raise ArgumentError(f"parameter {name!r}: {exc.problem}", hint=exc.hint,
                                file=display_path(inspect.getsourcefile(fn)) if code else None,
                                line=code.co_firstlineno if code else None) from None
    return specs


# What `annotation_spec` returns for `np.ndarray` or `npt.NDArray[...]` with no spec.
ARRAY_WITHOUT_SPEC = object()
_ARRAY_NAMES = ("ndarray", "NDArray", "ArrayLike")


def annotation_spec(annotation):
    """The spec an annotation gives, or ARRAY_WITHOUT_SPEC, or None (not a spec).

    Read without evaluating anything: a spec string (`"f64[N,8]"`), the same written
    under `from __future__ import annotations` (the annotation is then its source
    text), and `typing.Annotated[np.ndarray, "f64[N,8]"]`, evaluated or as text."""
    if annotation is inspect.Parameter.empty or annotation is None:
        return None
    if annotation in (float, "float"):  # a plain `x: float` is the spec it reads as
        return "float"
    if isinstance(annotation, str):
        if _LOOKS_LIKE_SPEC.match(annotation):
            return annotation.strip()
        try:
            tree = ast.parse(annotation, mode="eval").body
        except SyntaxError:
            return None
        return _spec_in_source(tree)
    if typing.get_origin(annotation) is typing.Annotated:
        for extra in typing.get_args(annotation)[1:]:
            if isinstance(extra, str) and _LOOKS_LIKE_SPEC.match(extra):
                return extra.strip()
        return ARRAY_WITHOUT_SPEC if _names_array(typing.get_args(annotation)[0]) else None
    return ARRAY_WITHOUT_SPEC if _names_array(annotation) else None


def _names_array(annotation) -> bool:
    origin = typing.get_origin(annotation) or annotation
    return origin is np.ndarray or getattr(origin, "__name__", "") in _ARRAY_NAMES


def _spec_in_source(tree: ast.expr):
    if isinstance(tree, ast.Constant) and isinstance(tree.value, str):
        return tree.value.strip() if _LOOKS_LIKE_SPEC.match(tree.value) else None
    if isinstance(tree, ast.Subscript):
        head = ast.unparse(tree.value)
        if head.split(".")[-1] == "Annotated":
            items = tree.slice.elts if isinstance(tree.slice, ast.Tuple) else [tree.slice]
            for item in items[1:]:
                found = _spec_in_source(item)
                if found is not None:
                    return found
            return _spec_in_source(items[0]) if items else None
        return ARRAY_WITHOUT_SPEC if head.split(".")[-1] in _ARRAY_NAMES else None
    if isinstance(tree, (ast.Name, ast.Attribute)):
        return ARRAY_WITHOUT_SPEC if ast.unparse(tree).split(".")[-1] in _ARRAY_NAMES else None
    return None


def example_args(specs: dict[str, str], seed: int = 0, sizes: dict | None = None) -> tuple:
    """Example values drawn from the specs; each symbolic dimension gets its size from
    `sizes` or DEFAULT_DIMENSION_SIZE, the same size wherever it appears."""
    rng = np.random.default_rng(seed)
    return tuple(example_value(spec, rng, sizes) for spec in specs.values())
