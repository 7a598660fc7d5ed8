"""The text of the call-time guards' helpers, emitted once per module: one source for
the NumPy target (guards.py), the array-API target (portable_guards.py) and modules of
Python scalars.

`_wrong_argument(name, value)` re-checks an argument the entry point's fast test
rejected, returns when it is in fact acceptable and otherwise raises naming the
parameter; `_wrong_dimension` always raises (NoReturn); `_check_scalars` checks every
argument of a module of Python scalars. The helpers are typed so that the module passes
`mypy --strict`, and plain Python, so the module stays standalone.
"""

from __future__ import annotations

from string import Template

# What each target substitutes: the helper's parameters, how a Python scalar is
# accepted, how an array is recognised, and how its dtype is compared.
_TARGETS = {
    "numpy": {
        "params": "name: str, value: object",
        "integers": "(int, np.integer)",
        "floats": "(float, np.floating)",
        "why": "an int for a float, a NumPy scalar: computed the same way",
        "is_array": '''
    dtype = DTYPES[kind]
    if not isinstance(value, (np.ndarray, np.generic)):
        raise TypeError(
            f"{name} must be a NumPy array {need}, not {type(value).__name__}; convert "
            f"it with np.asarray({name}, dtype=np.{dtype.__name__})"
        )''',
        "integral": 'value.dtype.kind in "iu"',
        "want": "dtype",
        "cast": "{name}.astype(np.{dtype.__name__})",
    },
    "array-api": {
        "params": "name: str, value: Any, xp: ModuleType",
        "integers": "int",
        "floats": "float",
        "why": "an int for a float: computed the same way",
        "is_array": "",
        "integral": 'xp.isdtype(value.dtype, "integral")',
        "want": "getattr(xp, DTYPES[kind])",
        "cast": "xp.astype({name}, xp.{DTYPES[kind]})",
    },
}

_ARRAY = Template('''
def _wrong_argument($params) -> None:
    """Raise for an argument this module was not compiled for (see ARGUMENTS)."""
    need = ARGUMENTS[name]
    kind, _, dims = need.partition("[")
    if not dims:  # a Python scalar
        an_int = isinstance(value, $integers)
        if an_int or kind == "float" and isinstance(value, $floats):
            return  # $why
        raise TypeError(
            f"{name} must be a Python {kind} (this module was compiled for {name}: "
            f"{need}), not {type(value).__name__}; pass {kind}({name}), or recompile for "
            f"it with: {RECOMPILE}"
        )
    sizes = [d for d in dims.rstrip("]").split(",") if d]$is_array
    shape = tuple(value.shape)
    if len(shape) != len(sizes) or any(
        d.isdigit() and int(d) != n for d, n in zip(sizes, shape)
    ):
        got = kind + "[" + ",".join(str(n) for n in shape) + "]"
        flag = f" --arg {name}='{got}'" if RECOMPILE.startswith("bpcompiler ") else ""
        raise ValueError(
            f"{name} has shape {shape}, but this module was compiled for {name}: "
            f"{need}; recompile for this shape with: {RECOMPILE}{flag}"
        )
    if kind in ("i64", "i32") and $integral:
        return  # integer data of any width indexes and multiplies the same way
    if value.dtype != $want:
        raise TypeError(
            f"{name} has dtype {value.dtype}, but this module was compiled for {name}: "
            f"{need}; pass $cast, or recompile with: "
            f"{RECOMPILE}"
        )


$dimension_head
    """Raise for an argument whose symbolic dimension disagrees with an earlier one."""
    raise ValueError(
        f"{name} has shape {tuple(value.shape)}: its axis {axis} is the dimension {dim} "
        f"({name}: {ARGUMENTS[name]}), which an earlier argument gave as {size}; every "
        f"parameter's {dim} must be the same size"
    )
''')

_SCALAR = '''
def _wrong_argument(name: str, value: object) -> None:
    """Raise for an argument this module was not compiled for (see ARGUMENTS)."""
    need = ARGUMENTS[name]
    allowed = (int, float) if need == "float" else (int,)
    if isinstance(value, allowed) and (need != "int" or not isinstance(value, bool)):
        return  # an int for a float, a float subclass: computed the same way
    raise TypeError(
        f"{name} must be a Python {need} (this module was compiled for {name}: {need}), "
        f"not {type(value).__name__}; pass {need}({name}), or recompile for it with: "
        f"{RECOMPILE}"
    )
'''

_CHECK_SCALARS = '''

def _check_scalars(local_values: dict[str, object]) -> None:
    """Raise for the first argument that is not the Python scalar ARGUMENTS says."""
    for name in ARGUMENTS:
        _wrong_argument(name, local_values[name])
'''


def array_helpers(target: str, array: str) -> str:
    """`_wrong_argument` and `_wrong_dimension` for modules with array parameters;
    `array` is the hint of an array argument."""
    params = f"name: str, value: {array}, axis: int, dim: str, size: int"
    head = f"def _wrong_dimension({params}) -> NoReturn:"
    if len(head) > 88:  # (as black splits it)
        head = f"def _wrong_dimension(\n    {params}\n) -> NoReturn:"
    return _ARRAY.substitute(_TARGETS[target], dimension_head=head).strip("\n")


def scalar_helpers(check_all: bool) -> str:
    """`_wrong_argument` for a module of Python scalars, and with `check_all`,
    `_check_scalars` (the result check's fallback: guards.result_check_lines)."""
    return (_SCALAR + (_CHECK_SCALARS if check_all else "")).strip("\n")
