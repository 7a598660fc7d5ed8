"""Spellings in the Python array API standard, for the ops' `array_api` fields.

A module compiled with target="array-api" reads its namespace from the arguments as
`xp` and the arguments' device as `device` (see bpcompiler/portable.py). Everything here
is an expression: the standard has no in-place writes, so the adjoint of `x[1:]` is a
concatenation of zero blocks and the cotangent, not a buffer written into.
A spelling returns None for params the standard cannot write (or that a common
implementation of it refuses: PyTorch has no negative slice steps); the compile then
names the op and line.
"""

from __future__ import annotations

from .registry import PREC_ATOM, Expr, paren


def zeros(shape, dtype: str) -> str:
    return f"xp.zeros({tuple(shape)!r}, dtype=xp.{dtype}, device=device)"


def reduction(name: str):
    """`xp.sum(x, axis=1, keepdims=True)`; var and std take `correction` for NumPy's ddof."""
    def spell(args, params, aval):
        text = args[0].text
        axis = params["axis"]
        if axis is not None:
            text += f", axis={axis[0] if len(axis) == 1 else axis!r}"
        if params.get("ddof"):
            text += f", correction={params['ddof']!r}"
        if params["keepdims"]:
            text += ", keepdims=True"
        return Expr(f"xp.{name}({text})", PREC_ATOM)
    return spell


def along_axis(name: str, **fixed):
    """`xp.argmax(x, axis=0)`, `xp.cumulative_sum(x, axis=1)`, `xp.sort(x, axis=0)`."""
    def spell(args, params, aval):
        parts = [a.text for a in args]
        if params.get("axis") is not None:
            parts.append(f"axis={params['axis']}")
        parts += [f"{k}={v!r}" for k, v in fixed.items()]
        return Expr(f"xp.{name}({', '.join(parts)})", PREC_ATOM)
    return spell


def shaped(name: str):
    """`xp.reshape(x, (N, 8))`, `xp.broadcast_to(x, shape)`."""
    def spell(args, params, aval):
        return Expr(f"xp.{name}({args[0].text}, {tuple(params['shape'])!r})", PREC_ATOM)
    return spell


def permute(args, params, aval):
    axes = tuple(params["axes"])
    if axes == (1, 0):  # the standard's .T is for matrices only
        return Expr(f"{paren(args[0], PREC_ATOM)}.T", PREC_ATOM)
    return Expr(f"xp.permute_dims({args[0].text}, {axes!r})", PREC_ATOM)


def sequence(name: str):
    """`xp.concat([a, b], axis=1)`, `xp.stack([a, b], axis=0)`."""
    def spell(args, params, aval):
        items = ", ".join(a.text for a in args)
        return Expr(f"xp.{name}([{items}], axis={params['axis']})", PREC_ATOM)
    return spell


def astype(args, params, aval):
    return Expr(f"xp.astype({args[0].text}, xp.{params['dtype']})", PREC_ATOM)


def unchanged(args, params, aval):
    """to_float: the value stays a 0-d array (no conversion to a Python float mid-way,
    which would force a lazy array to compute)."""
    return args[0]


def _positive_steps(index) -> bool:
    return all(item[0] != "slice" or item[3] is None or item[3] > 0 for item in index)


def basic_index(args, params, aval):
    from .shape import format_index
    index = params["index"]
    if not _positive_steps(index):
        return None
    return Expr(f"{paren(args[0], PREC_ATOM)}[{format_index(index)}]", PREC_ATOM)


def _expand_ellipsis(index, ndim: int) -> list:
    fill = ndim - sum(1 for item in index if item[0] in ("int", "slice"))
    out = []
    for item in index:
        out += [("slice", None, None, None)] * fill if item[0] == "ellipsis" else [item]
    if not any(item[0] == "ellipsis" for item in index):
        out += [("slice", None, None, None)] * fill
    return out


def _extent(item, size):
    """(zeros before, kept length, zeros after) of one axis of x, or None when it is not
    a contiguous block the sizes give (a step, or a symbolic size cut at both ends)."""
    fixed = type(size) is int  # not a symbolic Dim (an int that prints as a name)
    if item[0] == "int":
        if not fixed:
            return None
        k = item[1] % size
        return k, 1, size - k - 1
    start, stop, step = item[1:]
    if step not in (None, 1):
        return None
    if fixed:
        begin, end, _ = slice(start, stop).indices(size)
        end = max(end, begin)
        return begin, end - begin, size - end
    if (start or 0) >= 0 and stop is None:
        return (start or 0), None, 0
    if start is None and stop is not None and stop < 0:
        return 0, None, -stop
    return None


def spread(args, params, aval):
    """The adjoint of a basic index: zeros of the operand's shape with the cotangent in
    the indexed block, as concatenations of zero blocks along each cut axis."""
    shape = tuple(params["shape"])
    index = _expand_ellipsis(params["index"], len(shape))
    text = args[0].text
    dropped = tuple(i for i, item in enumerate(index) if item[0] == "newaxis")
    if dropped:
        text = f"xp.squeeze({text}, axis={dropped if len(dropped) > 1 else dropped[0]})"
    axes = [item for item in index if item[0] != "newaxis"]
    extents = [_extent(item, size) for item, size in zip(axes, shape)]
    if any(e is None for e in extents):
        return None
    for axis, item in enumerate(axes):
        if item[0] == "int":
            text = f"xp.expand_dims({text}, axis={axis})"
    current = [size if item == ("slice", None, None, None) else e[1]
               for item, e, size in zip(axes, extents, shape)]  # None: a length N - 1
    for axis, (before, _, after) in enumerate(extents):
        if before or after:
            blocks = []
            for count in (before, after):
                block = list(current)
                block[axis] = count
                if None in block:
                    return None
                blocks.append(zeros(block, aval.dtype) if count else None)
            parts = [p for p in (blocks[0], text, blocks[1]) if p is not None]
            text = f"xp.concat([{', '.join(parts)}], axis={axis})"
        current[axis] = shape[axis]
    return Expr(text, PREC_ATOM)
