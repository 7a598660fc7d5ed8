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


def _reversals(index):
    """(the index with each `::-1` made `:`, the result axes those reverse), or None for
    another negative step (the standard's slices step forward in PyTorch)."""
    out, flips, axis = [], [], 0
    for item in index:
        if item[0] == "slice" and item[3] is not None and item[3] < 0:
            if item[1:] != (None, None, -1):
                return None
            flips.append(axis)
            item = ("slice", None, None, None)
        out.append(item)
        axis += item[0] in ("slice", "newaxis")
    return tuple(out), flips


def basic_index(args, params, aval):
    from .shape import format_index
    found = _reversals(params["index"])
    if found is None:
        return None
    index, flips = found
    kinds = [item[0] for item in index]
    ndim = len(aval.shape) + kinds.count("int") - kinds.count("newaxis")
    if "ellipsis" not in kinds and kinds.count("int") + kinds.count("slice") < ndim:
        index = tuple(index) + (("ellipsis",),)  # the standard indexes every axis
    text = f"{paren(args[0], PREC_ATOM)}[{format_index(index)}]"
    if all(item == ("slice", None, None, None) for item in index if item[0] != "ellipsis"):
        text = args[0].text  # x[::-1]: only the flip
    for axis in flips:
        text = f"xp.flip({text}, axis={axis})"
    return Expr(text, PREC_ATOM)


def _expand_ellipsis(index, ndim: int) -> list:
    fill = ndim - sum(1 for item in index if item[0] in ("int", "slice"))
    out = []
    for item in index:
        out += [("slice", None, None, None)] * fill if item[0] == "ellipsis" else [item]
    if not any(item[0] == "ellipsis" for item in index):
        out += [("slice", None, None, None)] * fill
    return out


def _extent(item, size):
    """How one axis of x holds the cotangent: (zeros before, elements, step, reversed,
    zeros after); None where the sizes do not give it (a symbolic size cut at both ends).
    `elements` is None for a symbolic length (N - 1)."""
    fixed = type(size) is int  # not a symbolic Dim (an int that prints as a name)
    if item[0] == "int":
        return (item[1] % size, 1, 1, False, size - item[1] % size - 1) if fixed else None
    start, stop, step = item[1:]
    if fixed:
        picked = range(*slice(start, stop, step).indices(size))
        if not picked:
            return None
        backward = picked.step < 0
        low, high = min(picked), max(picked)
        return low, len(picked), abs(picked.step), backward, size - high - 1
    if step not in (None, 1):
        return None
    if (start or 0) >= 0 and stop is None:
        return (start or 0), None if start else size, 1, False, 0
    if start is None and stop is not None and stop < 0:
        return 0, None, 1, False, -stop
    return None


def _index_text(axis: int, stop: int) -> str:
    return ", ".join([":"] * axis + [f":{stop}", "..."])


def spread(args, params, aval):
    """The adjoint of a basic index: zeros of the operand's shape with the cotangent in
    the indexed elements. Along each axis: flipped back for a negative step, spaced out
    for a step over 1 (stacked with zero blocks, merged, cut), then put between zero
    blocks by concatenation."""
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
    current = [e[1] for e in extents]  # None: a symbolic length
    for axis, (before, count, step, backward, after) in enumerate(extents):
        if backward:
            text = f"xp.flip({text}, axis={axis})"
        if step > 1 and count > 1:
            block = list(current)
            if None in block:
                return None
            spaced = list(block)
            spaced[axis] = count * step
            stacked = ", ".join([text] + [zeros(block, aval.dtype)] * (step - 1))
            text = f"xp.reshape(xp.stack([{stacked}], axis={axis + 1}), {tuple(spaced)!r})"
            text = f"{text}[{_index_text(axis, (count - 1) * step + 1)}]"
            current[axis] = (count - 1) * step + 1
        if before or after:
            parts = []
            for count_ in (before, after):
                block = list(current)
                block[axis] = count_
                if None in block:
                    return None
                parts.append(zeros(block, aval.dtype) if count_ else None)
            joined = [p for p in (parts[0], text, parts[1]) if p is not None]
            text = f"xp.concat([{', '.join(joined)}], axis={axis})"
        current[axis] = shape[axis]
    return Expr(text, PREC_ATOM)
