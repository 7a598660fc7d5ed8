"""Array constants the emitted module builds rather than prints.

`np.arange(32)` is not a 34-line literal, and `np.eye(40)` or `np.arange(2000.0)` is not
refused as too large to embed: the module builds each the way a person would write
it: `np.arange`, `np.linspace`, `np.eye`, `np.tri`, a range reshaped, a scaled or
complemented identity (`1.0 - np.eye(8)`). `recipe(array)` proposes the expressions
the array's shape and first values suggest and keeps the first one that, evaluated,
reproduces the array exactly: every element's bits (signed zeros included) and the
dtype. So a recipe can never change a value, and an array no recipe reproduces is
printed (or, past `builder.MAX_CONSTANT_ELEMENTS`, refused) as before.
"""

from __future__ import annotations

import numpy as np

def recipe(array: np.ndarray) -> str | None:
    """The first candidate expression that rebuilds `array` exactly, or None."""
    array = np.asarray(array)
    if array.dtype.kind == "b" and array.ndim == 2:  # np.triu/np.tril's masks
        return next((t for t in _bool_masks(array) if _rebuilds(t, array)), None)
    if array.dtype.kind not in "if" or array.size < 2 or not np.all(np.isfinite(array)):
        return None
    for text in _candidates(array):
        for spelled in _with_dtype(text, array):
            if _rebuilds(spelled, array):
                return spelled
    return None


def _candidates(array: np.ndarray):
    flat = array.reshape(-1)
    integral = bool(np.all(flat == np.round(flat)))
    kind_float = array.dtype.kind == "f"
    if integral and flat.size >= 2:  # a range: np.arange(n), np.arange(a, b, s)
        start, step = int(flat[0]), int(flat[1] - flat[0])
        if step:
            stop = start + step * flat.size
            f = ".0" if kind_float else ""
            bounds = f"{stop}{f}" if start == 0 and step == 1 else \
                f"{start}{f}, {stop}{f}" + (f", {step}{f}" if step != 1 else "")
            rng = f"np.arange({bounds})"
            yield rng if array.ndim == 1 else f"{rng}.reshape{array.shape!r}"
    if kind_float and flat.size >= 3:
        space = f"np.linspace({float(flat[0])!r}, {float(flat[-1])!r}, {flat.size})"
        yield space if array.ndim == 1 else f"{space}.reshape{array.shape!r}"
    if array.ndim == 2:
        yield from _masks(array)
    if array.ndim >= 2 and array.size > 64:  # (smaller grids read better as digits)
        yield from _tiled_ranges(array)


def _tiled_ranges(array: np.ndarray):
    """A range along one axis repeated along the others (np.meshgrid's and np.indices'
    grids of cell coordinates): `np.tile(np.arange(n)[:, None], reps)`."""
    for axis in range(array.ndim):
        line = np.moveaxis(array, axis, 0).reshape(array.shape[axis], -1)[:, 0]
        text = recipe(line) if line.size >= 2 else None
        if text is None:
            continue
        if axis != array.ndim - 1:
            text = f"{text}[" + ", ".join([":"] + ["None"] * (array.ndim - 1 - axis)) + "]"
        reps = array.shape[:axis] + (1,) + array.shape[axis + 1:]
        yield f"np.tile({text}, {reps!r})"


def _masks(array: np.ndarray):
    """Identities and triangles, and arrays of two values laid out like one."""
    n, m = array.shape
    size = f"{n}" if n == m else f"{n}, {m}"
    values = np.unique(array)
    if values.size > 2:
        return
    for mask_text in (f"np.eye({size})", f"np.tri({size})", f"np.tri({size}, k=-1)"):
        on = array[_evaluate(mask_text).astype(bool)]
        off = array[~_evaluate(mask_text).astype(bool)]
        if on.size == 0 or off.size == 0 or np.unique(on).size != 1 or \
                np.unique(off).size != 1:
            continue
        a, b = _number(on[0]), _number(off[0])
        if (a, b) == ("1.0", "0.0") or (a, b) == ("1", "0"):
            yield mask_text
        elif b in ("0.0", "0"):
            yield f"{a} * {mask_text}"
        elif (a, b) in (("0.0", "1.0"), ("0", "1")):
            yield f"{b} - {mask_text}"
        else:
            yield f"np.where({mask_text} == 1, {a}, {b})"


def _bool_masks(array: np.ndarray):
    """The triangle (np.tril/np.triu of ones, with the diagonal offset k read off the
    first row and column) or the diagonal that `array` is, as the source wrote it."""
    n, m = array.shape
    ones = f"np.ones({(n, m)!r}, dtype=bool)"
    for name, mask, shift in (("tril", array, 0), ("triu", ~array, 1)):
        row, column = int(mask[0].sum()), int((~mask[:, 0]).sum())
        k = (row - 1 if row else -column) + shift  # (triu k is ~tril k - 1)
        yield f"np.{name}({ones}, {k})" if k else f"np.{name}({ones})"
    k = int(np.argmax(array[0])) if array[0].any() else -int(np.argmax(array[:, 0]))
    yield f"np.eye({n}, {m}, {k}, dtype=bool)"


def _number(value) -> str:
    return repr(float(value)) if isinstance(value, (float, np.floating)) else repr(int(value))


def _with_dtype(text: str, array: np.ndarray):
    yield text
    yield _dtype_spelled(text, array.dtype.name)


def _dtype_spelled(text: str, dtype: str) -> str:
    if text.startswith("np.") and text.count("(") == 1 or \
            text.startswith(("np.arange(", "np.linspace(")):  # (then maybe .reshape)
        head, _, tail = text.partition(")")
        return f"{head}, dtype=np.{dtype}){tail}"
    return f"({text}).astype(np.{dtype})"


def _evaluate(text: str):
    with np.errstate(all="ignore"):
        return eval(text, {"__builtins__": {}, "np": np, "bool": bool})  # noqa: S307 (ours)


def _rebuilds(text: str, array: np.ndarray) -> bool:
    try:
        built = np.asarray(_evaluate(text))
    except Exception:  # noqa: BLE001  (a candidate that does not apply)
        return False
    return built.dtype == array.dtype and built.shape == array.shape and \
        np.array_equal(built, array) and (array.dtype.kind != "f" or bool(
            np.all(np.signbit(built) == np.signbit(array))))
