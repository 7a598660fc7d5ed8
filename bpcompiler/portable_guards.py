"""Call-time guards for the array-API target (see guards.py for the NumPy target's).

The NumPy target checks `type(X) is not np.ndarray`; a portable module accepts an array
of any library of the standard, so each entry point first asks array_api_compat for the
arguments' namespace (which refuses a list, or arrays of two libraries mixed), then
checks each array's rank, static dimensions and dtype against that namespace's dtypes:

    xp = array_api_compat.array_namespace(w, X, y)
    if w.shape != (8,) or w.dtype != xp.float64:
        _wrong_argument("w", w, xp)

Python-scalar parameters are checked as the NumPy target checks them, and symbolic
dimensions are bound from the arguments the same way.
"""

from __future__ import annotations

from . import guards
from .guard_helpers import array_helpers
from .guards import (_arguments, _checked_by_math, _rank_and_static_tests, _scalars_only,
                     parameter_kinds)
from .hints import ARRAY_API_ARRAY
from .portable import COMPAT, DEVICE, NAMESPACE


def array_parameters(g) -> list[str]:
    return [name for name, (python, _, _) in parameter_kinds(g).items() if not python]


def guard_lines(g, local: dict, device: bool) -> list[str]:
    """The preamble of a portable entry point: the namespace (and, when the body makes
    arrays, the device) read from the arguments, then one check per parameter."""
    arrays = array_parameters(g)
    if not arrays:  # Python scalars only: nothing to read a namespace from
        return guards.guard_lines(g, local)
    read = [local.get(name, name) for name in arrays]
    lines = ["# The arguments must be what this module was compiled for (ARGUMENTS).",
             f"{NAMESPACE} = {COMPAT}.array_namespace({', '.join(read)})"]
    if device:
        lines.append(f"{DEVICE} = {COMPAT}.device({read[0]})")
    forced, scalars_only, bound = _checked_by_math(g), _scalars_only(g), set()
    for name, (python, dtype, shape) in parameter_kinds(g).items():
        value = local.get(name, name)
        if python:
            if name in forced or scalars_only:
                continue
            kind = "float" if dtype.startswith("float") else ("bool" if dtype == "bool" else "int")
            test = f"type({value}) is not {kind}"
        else:
            tests = [f"{value}.shape != {shape!r}"] if all(isinstance(d, int) for d in shape) \
                else _rank_and_static_tests(value, shape)
            test = " or ".join(tests + [f"{value}.dtype != {NAMESPACE}.{dtype}"])
        lines.append(f"if {test}:\n    _wrong_argument({name!r}, {value}, {NAMESPACE})")
        for axis, d in enumerate(shape if not python else ()):
            if not isinstance(d, str):
                continue
            if d in bound:
                lines.append(f"if {value}.shape[{axis}] != {d}:\n"
                             f"    _wrong_dimension({name!r}, {value}, {axis}, {d!r}, {d})")
            else:
                bound.add(d)
                lines.append(f"{d} = {value}.shape[{axis}]")
    return lines


def module_lines(g, command: str) -> list[str]:
    """ARGUMENTS, RECOMPILE and the helpers the guards call."""
    if not array_parameters(g):
        return guards.module_lines(g, command)
    return ["# What each parameter must be, as a spec: the entry points check every call.",
            _arguments(parameter_kinds(g)), f"RECOMPILE = {command!r}",
            'DTYPES = {"f64": "float64", "f32": "float32", "i64": "int64", "i32": "int32", '
            '"bool": "bool"}', array_helpers("array-api", ARRAY_API_ARRAY)]
