"""Which axes of which parameters are symbolic, and how large each dimension is in the
example: from `compile_grad(..., specs=...)` and the spec annotations on `f`.

A spec given to the API says what the example must be (`"f64[N,8]"`: a 2-d float64
array with 8 columns, whatever its rows), and names the dimensions that the module will
read from its arguments at call time. The example arguments are checked against the
specs here, before anything is traced: a disagreement is the user's to fix.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from .errors import ArgumentError
from .specs import ARRAY_WITHOUT_SPEC, annotation_spec, example_args, is_data, parse_spec
from .trace import source_file


@dataclass
class SymbolicShapes:
    axes: list = field(default_factory=list)  # per parameter: {axis: dimension name}
    sizes: dict = field(default_factory=dict)  # dimension name -> its size in the example
    data: tuple = ()  # parameters whose spec is marked `data` (left out of the default wrt)
    bounds: dict = field(default_factory=dict)  # parameter -> (lo, hi) its spec declares


def resolve_shapes(f, args, specs: dict | None) -> tuple[tuple, SymbolicShapes]:
    """(example args, symbolic shapes): args drawn from the specs when not given."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return args, SymbolicShapes()  # trace() reports what it cannot read
    names = [p.name for p in parameters]
    file = source_file(f) if hasattr(f, "__code__") else None
    line = getattr(getattr(f, "__code__", None), "co_firstlineno", None)
    given = dict(specs or {})
    for name in given:
        if name not in names:
            raise ArgumentError(f"specs names {name!r}, which is not a parameter of "
                                f"{getattr(f, '__name__', f)} {tuple(names)}",
                                file=file, line=line, hint="name parameters from the signature")
    merged = {}
    for p in parameters:
        spec = given.get(p.name)
        if spec is None:
            found = annotation_spec(p.annotation)
            spec = None if found is ARRAY_WITHOUT_SPEC else found
        if spec is not None:
            try:
                parse_spec(spec)
            except ArgumentError as exc:
                raise ArgumentError(f"parameter {p.name!r}: {exc.problem}", hint=exc.hint,
                                    file=file, line=line) from None
            merged[p.name] = spec
    if args is None:
        missing = [n for n in names if n not in merged]
        if missing:
            raise ArgumentError(f"no example arguments, and no spec for {', '.join(missing)}",
                                file=file, line=line,
                                hint="pass args=(...), or a spec for every parameter")
        args = example_args({n: merged[n] for n in names})
    args = tuple(args)
    shapes = SymbolicShapes()
    if len(args) != len(names):
        return args, shapes  # trace() reports the count
    for name, value in zip(names, args):
        shapes.axes.append(_check_example(name, value, merged.get(name), shapes.sizes,
                                          file, line))
    shapes.data = tuple(n for n, spec in merged.items() if is_data(spec))
    shapes.bounds = {n: parse_spec(spec)[2] for n, spec in merged.items()
                     if parse_spec(spec)[2] is not None}  # verification's points stay inside
    clash = sorted(set(shapes.sizes) & set(names))
    if clash:
        raise ArgumentError(f"the dimension {clash[0]} has the name of a parameter",
                            file=file, line=line, hint="rename the dimension in the spec")
    return args, shapes


def _check_example(name, value, spec, sizes: dict, file, line) -> dict:
    """{axis: dimension} for one parameter, after checking its example fits its spec."""
    if spec is None:
        return {}
    kind, shape, _ = parse_spec(spec)
    if shape is None:
        return {}
    actual = np.shape(value)
    if not isinstance(value, (np.ndarray, np.generic)) or len(actual) != len(shape) or any(
            isinstance(d, int) and d != n for d, n in zip(shape, actual)):
        raise ArgumentError(f"the example of {name!r} has shape {actual}, which does not fit "
                            f"its spec {spec!r}", file=file, line=line,
                            hint="pass an example of the declared shape, or fix the spec")
    axes = {}
    for axis, (d, n) in enumerate(zip(shape, actual)):
        if isinstance(d, str):
            if n < 2:
                raise ArgumentError(f"the example of {name!r} has size {n} in the dimension "
                                    f"{d} (axis {axis})", file=file, line=line,
                                    hint="give a symbolic dimension an example size of at "
                                         "least 2 (size 1 broadcasts, other sizes do not)")
            if sizes.setdefault(d, n) != n:
                raise ArgumentError(f"the dimension {d} is {sizes[d]} in an earlier example "
                                    f"but {n} in {name!r} (axis {axis})", file=file, line=line,
                                    hint="every parameter's examples must agree on each "
                                         "named dimension")
            axes[axis] = d
    return axes


def default_wrt_from_examples(f, args, data: tuple) -> tuple | None:
    """The float parameters (by their examples) not marked `data`, or None (trace()
    then explains that there is nothing to differentiate)."""
    names = list(inspect.signature(f).parameters)
    floats = [n for n, v in zip(names, args) if n not in data and
              (isinstance(v, float) or np.asarray(v).dtype.kind == "f")]
    return tuple(floats) or None
