"""How the fuzzer spells the registry's non-elementwise ops: one table entry per form.

`FORMS` maps a label to a `Form`: the registry ops the form exercises (for coverage
reports) and a function `make(b, v)` that, given the program builder `b` (see
programs._Builder) and a chosen earlier value `v`, returns the source text of one
statement, or `(text, check)` where `check()` says whether the simulated operands keep
the op away from its kinks, or None when `v` does not fit the form. The builder
evaluates the text on the example arguments and keeps it only if the result is finite,
moderate and broadcasts against the program's base shape (so a form may propose shapes
that do not fit: they are dropped); ops that change a length are followed by a slice or
a reduction that restores one.

A new op needs one entry here (or none if it is elementwise: programs.py takes those
from the registry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from bpcompiler.ops import REGISTRY

MARGIN = 1e-3  # distance kept from kinks (ties in max/sort, |x| at 0) at the example
JUMP_MARGIN = 0.05  # distance kept from jumps (floor, fmod): their operand moves farther
GAP = 0.1  # smallest eigenvalue gap for eigh (its vector gradient divides by the gaps)
MAX_CONDITION = 50.0  # matrices for det, inv, solve, eigh are this well-conditioned
MIN_SINGULAR = 0.1  # and this far from singular


@dataclass(frozen=True)
class Form:
    ops: tuple
    make: Callable


# ---------------------------------------------------------------------------------------
# Helpers.

def _f64(x):
    return np.asarray(x, dtype=np.float64)


def _axis(b, nd: int):
    """(k, spelled): a random axis as a non-negative index and as the text to write."""
    k = b.c.integer(0, nd - 1)
    return k, (k - nd if b.c.boolean() else k)


def _along(nd: int, k: int, item: str) -> str:
    """An index applying `item` along axis k: `[:, :, item]` or `[..., item]`."""
    if k == nd - 1 and k > 0:
        return f"[..., {item}]"
    return "[" + ", ".join([":"] * k + [item]) + "]"


def _window(b, nd: int, k: int, n: int, m: int) -> str:
    """An index keeping n consecutive of the m elements along axis k."""
    start = b.c.integer(0, m - n)
    return _along(nd, k, f"{start}:{start + n}")


def _no_near_ties(x, axes, lowest=False) -> bool:
    """The extremum along `axes` is unique or exactly tied (broadcast copies of one value
    move together), never within MARGIN of another element."""
    x = -_f64(x) if lowest else _f64(x)
    m = np.max(x, axis=axes, keepdims=True)
    return not bool(np.any((x != m) & (x > m - MARGIN)))


def _gaps_ok(x, k: int) -> bool:
    """Along axis k the sorted values are exactly tied or at least MARGIN apart."""
    d = np.diff(np.sort(_f64(x), axis=k), axis=k)
    return bool(np.all((d == 0) | (d > MARGIN)))


def _shape(v) -> tuple:
    return tuple(np.shape(v.value))


def _is_array(v) -> bool:
    return isinstance(v.value, np.ndarray)


def _square(v) -> bool:
    shape = _shape(v)
    return len(shape) >= 2 and shape[-1] == shape[-2] and _is_array(v)


def _prefer(b, v, fits):
    """v if it fits the form, else an earlier value that does, else None."""
    if fits(v):
        return v
    others = [w for w in b.values if fits(w)]
    return b.c.choice(others) if others else None


def _reduce_axes(b, nd: int):
    """(text of the axis keyword, the axes as a tuple for checks) for a reduction."""
    form = b.c.integer(0, 2)
    if form == 0 or nd == 0:
        return "", None
    if form == 1:
        k, spelled = _axis(b, nd)
        return f", axis={spelled}", (k,)
    axes = tuple(sorted({b.c.integer(0, nd - 1) for _ in range(2)}))
    return f", axis={axes!r}", axes


# ---------------------------------------------------------------------------------------
# Reductions.

def reduction(name: str, spellings=None):
    def make(b, v):
        x, shape = v.name, _shape(v)
        nd = len(shape)
        fn = b.c.choice(spellings or [name])
        axis, axes = _reduce_axes(b, nd)
        keep = ", keepdims=True" if b.c.boolean() or (axes is not None and 0 not in axes) \
            else ""
        ddof = ", ddof=1" if name in ("var", "std") and b.c.boolean() else ""
        if nd >= 1 and b.c.integer(0, 3) == 0:  # the method, over the leading axis
            text, axes = f"{x}.{name}(axis=0{ddof})", (0,)
            if not _is_array(v):
                return None
        elif nd == 1 and name in ("max", "min") and b.c.integer(0, 3) == 0:
            text = f"{name}({x})"  # Python's max over a 1-d array's elements
        else:
            text = f"np.{fn}({x}{axis}{keep}{ddof})"
        if name in ("max", "min"):
            return text, lambda: _no_near_ties(v.value, axes, name == "min")
        if name == "std":
            return text, lambda: bool(np.all(np.std(_f64(v.value), axis=axes) > MARGIN))
        return text
    return make


def average(b, v):
    nd = len(_shape(v))
    axis, axes = _reduce_axes(b, nd)
    if axes is not None and len(axes) == 1 and b.c.boolean():  # 1-d weights along one axis
        n = _shape(v)[axes[0]]
        w = b.int_list(n, 1, 4)
        return f"np.average({v.name}{axis}, weights={w!r})"
    return f"np.average({v.name}{axis})"


def cumulative(name: str):
    def make(b, v):
        nd = len(_shape(v))
        x = b.adapt(v, REGISTRY[name].domains(1)[0])[0]
        if nd == 0:
            return f"np.{name}({x})"  # a 0-d array becomes shape (1,)
        k, spelled = _axis(b, nd)
        form = b.c.integer(0, 2)
        if form == 0 and nd == 1:
            return f"np.{name}({x})"
        if form == 1 and _is_array(v):
            return f"{x}.{name}(axis={spelled})"
        return f"np.{name}({x}, axis={spelled})"
    return make


def norm(b, v):
    x, shape = v.name, _shape(v)
    nd = len(shape)
    if nd == 0:
        return None
    keep = ", keepdims=True" if b.c.boolean() else ""
    form = b.c.integer(0, 3)
    if form == 0:
        text, axes, order = f"np.linalg.norm({x})", None, None
    elif form == 1 and nd >= 2:
        text, axes, order = f"np.linalg.norm({x}, axis=(-2, -1){keep})", (nd - 2, nd - 1), None
        if b.c.boolean():
            text = f"np.linalg.norm({x}, 'fro', axis=(-2, -1){keep})"
    else:
        k, spelled = _axis(b, nd)
        axes = (k,)
        order = b.c.choice([None, 2, 1, 3, "np.inf", "-np.inf"]) if form == 3 else None
        ord_text = f", ord={order}" if order is not None else ""
        text = f"np.linalg.norm({x}{ord_text}, axis={spelled}{keep})"

    def check():
        a = _f64(v.value)
        if order in (None, 2):
            return bool(np.all(np.sqrt(np.sum(a * a, axis=axes)) > MARGIN))
        if not np.all(np.abs(a) > MARGIN):  # |x| has a kink at 0
            return False
        return order not in ("np.inf", "-np.inf") or \
            _no_near_ties(np.abs(a), axes, order == "-np.inf")
    return text, check


# ---------------------------------------------------------------------------------------
# Sorting and the index producers (argsort, argmax, argmin) feeding gathers.

def sort(b, v):
    nd = len(_shape(v))
    if nd == 0:
        return None
    k, spelled = _axis(b, nd)
    text = f"np.sort({v.name})" if k == nd - 1 and b.c.boolean() else \
        f"np.sort({v.name}, axis={spelled})"
    return text, lambda: _gaps_ok(v.value, k)


def argsort(b, v):
    nd = len(_shape(v))
    if nd == 0:
        return None
    w = b.same_shape(v)
    k, spelled = _axis(b, nd)
    form = b.c.integer(0, 2)
    order = f"{w.name}.argsort(axis={spelled})" if form == 1 and _is_array(w) else \
        f"np.argsort({w.name}, axis={spelled})"
    if form == 2 and nd == 1:
        text = f"{v.name}[np.argsort({w.name})]" if v.traced else \
            f"np.take_along_axis({v.name}, np.argsort({w.name}), axis=0)"
    else:
        text = f"np.take_along_axis({v.name}, {order}, axis={spelled})"
    return text, lambda: _gaps_ok(w.value, k)


def argextremum(name: str):
    def make(b, v):
        nd = len(_shape(v))
        if nd == 0:
            return None
        w = b.same_shape(v)
        form = b.c.integer(0, 2)
        if form == 0:
            k, spelled = _axis(b, nd)
            text = (f"np.take_along_axis({v.name}, np.expand_dims(np.{name}({w.name}, "
                    f"axis={spelled}), {spelled}), axis={spelled})")
            axes = (k,)
        elif form == 1 and nd == 1 and v.traced:
            text, axes = f"{v.name}[np.{name}({w.name})]", None
        elif v.traced:
            text, axes = f"np.ravel({v.name})[np.{name}({w.name})]", None
        else:  # NumPy's indexing and np.take of a constant cannot take a traced
            # index (they do not dispatch on it): np.take_along_axis can
            text = f"np.take_along_axis(np.ravel({v.name}), np.{name}({w.name})[None], axis=0)"
            axes = None
        return text, lambda: _no_near_ties(w.value, axes, name == "argmin")
    return make


def take_along_constant(b, v):
    shape = _shape(v)
    nd = len(shape)
    if nd == 0:
        return None
    k, spelled = _axis(b, nd)
    make = b.int_param if b.c.boolean() else b.int_constant  # an argument or a constant
    index = make(shape, 0, shape[k] - 1)
    return f"np.take_along_axis({v.name}, {index}, axis={spelled})"


def gather_argument(b, v):
    """Indices passed in as an integer argument (traced, not differentiated)."""
    shape = _shape(v)
    nd = len(shape)
    if nd == 0 or not v.traced:  # NumPy indexing of a constant cannot take a tracer
        return None
    k, spelled = _axis(b, nd)
    n = shape[k]
    index = b.int_param((n if b.c.integer(0, 3) else 1,), -n, n - 1)
    if k == 0 and b.c.boolean():
        return f"{v.name}[{index}]"
    return f"np.take({v.name}, {index}, axis={spelled})"


# ---------------------------------------------------------------------------------------
# Gathers with constant indices.

def gather(b, v):
    shape = _shape(v)
    nd = len(shape)
    if nd == 0 or not _is_array(v):
        return None
    k, spelled = _axis(b, nd)
    n = shape[k]
    length = n if b.c.integer(0, 3) else 1
    idx = b.int_list(length, -n, n - 1)  # repeats: their gradients must accumulate
    form = b.c.integer(0, 5)
    if form == 0:
        return f"np.take({v.name}, {idx!r}, axis={spelled})"
    if form == 1 and k == 0:
        return f"{v.name}[{b.int_constant((length,), -n, n - 1)}]"
    if form == 2:  # a constant boolean mask along axis 0
        m = shape[0]
        mask = [b.c.integer(0, 1) == 1 for _ in range(m)] if b.c.boolean() else \
            [i == b.c.integer(0, m - 1) for i in range(m)]
        return f"{v.name}[np.array({mask!r})]"
    if form == 3 and nd >= 2:  # two index arrays: picks elements
        m = shape[-1]
        rows = b.int_list(m, 0, shape[-2] - 1)
        cols = b.int_list(m, 0, m - 1)
        return f"{v.name}[..., {rows!r}, {cols!r}]"
    if form == 4 and nd >= 2 and shape[-1] == shape[-2]:
        return b.c.choice([f"np.diagonal({v.name}, axis1=-2, axis2=-1)",
                           f"np.diag({v.name})" if nd == 2 else f"{v.name}.diagonal(0, -2, -1)",
                           f"{v.name}.diagonal()" if nd == 2 else
                           f"np.diagonal({v.name}, 0, {nd - 2}, {nd - 1})"])
    return f"{v.name}{_along(nd, k, repr(idx))}"


# ---------------------------------------------------------------------------------------
# Joining, repeating, padding: each followed by a slice back to a length that fits.

def concatenate(b, v):
    shape = _shape(v)
    nd = len(shape)
    if nd == 0:
        return None
    w = b.same_shape(v)
    k, spelled = _axis(b, nd)
    n = shape[k]
    form = b.c.integer(0, 3)
    if form == 1 and nd == 1:
        joined = f"np.hstack([{v.name}, {w.name}])"
    elif form == 2 and nd >= 2 and k == 0:
        joined = f"np.vstack([{v.name}, {w.name}])"
    elif form == 3 and nd == 2 and k == 1:
        joined = f"np.column_stack([{v.name}, {w.name}])"
    else:
        joined = f"np.concatenate([{v.name}, {w.name}], axis={spelled})"
    return joined + _window(b, nd, k, n, 2 * n)


def stack(b, v):
    shape = _shape(v)
    nd = len(shape)
    w = b.same_shape(v)
    form = b.c.integer(0, 2)
    if form == 0 and nd == 1:
        return f"np.vstack([{v.name}, {w.name}])"  # shape (2, n): a new leading axis
    if form == 1:
        k = b.c.integer(0, nd)
        return f"np.stack([{v.name}, {w.name}], axis={k})"
    return f"np.stack([{v.name}, {w.name}])"


def tile(b, v):
    shape = _shape(v)
    nd = len(shape)
    form = b.c.integer(0, 2)
    if form == 0 or nd == 0:
        return f"np.tile({v.name}, {(2,) + (1,) * nd!r})"  # a new leading axis of 2
    k = b.c.integer(0, nd - 1)
    n = shape[k]
    if form == 1 and n == 1 and len(b.base) >= nd and b.base[len(b.base) - nd + k] > 1:
        m = b.base[len(b.base) - nd + k]  # tile a length-1 axis up to the base's length
        reps = tuple(m if i == k else 1 for i in range(nd))
        return f"np.tile({v.name}, {reps!r})"
    reps = tuple(2 if i == k else 1 for i in range(nd))
    return f"np.tile({v.name}, {reps!r})" + _window(b, nd, k, n, 2 * n)


def repeat(b, v):
    shape = _shape(v)
    nd = len(shape)
    if nd == 0:
        return None
    k, spelled = _axis(b, nd)
    n = shape[k]
    if n == 1 and len(b.base) >= nd and b.base[len(b.base) - nd + k] > 1:
        m = b.base[len(b.base) - nd + k]
        return f"np.repeat({v.name}, {m}, axis={spelled})"
    r = b.c.integer(2, 3)
    if nd == 1 and b.c.boolean():
        text = f"np.repeat({v.name}, {r})" if b.c.boolean() or not _is_array(v) else \
            f"{v.name}.repeat({r})"
    else:
        text = f"np.repeat({v.name}, {r}, axis={spelled})"
    return text + _window(b, nd, k, n, r * n)


def pad(b, v):
    shape = _shape(v)
    nd = len(shape)
    if nd == 0:
        return None
    k = b.c.integer(0, nd - 1)
    n = shape[k]
    value = b.c.choice([None, 1.5, -0.5])
    extra = "" if value is None else f", constant_values={value}"
    if n == 1 and len(b.base) >= nd and b.base[len(b.base) - nd + k] > 1:
        m = b.base[len(b.base) - nd + k]
        width = tuple((0, m - 1) if i == k else (0, 0) for i in range(nd))
        return f"np.pad({v.name}, {width!r}{extra})"
    before, after = b.c.integer(0, 2), b.c.integer(0, 2)
    if nd == 1 and b.c.boolean():  # one (before, after) pair for the only axis
        return f"np.pad({v.name}, {(before, after)!r}{extra})" + \
            _window(b, 1, 0, n, n + before + after)
    width = tuple((before, after) if i == k else (0, 0) for i in range(nd))
    return f"np.pad({v.name}, {width!r}{extra})" + _window(b, nd, k, n, n + before + after)


# ---------------------------------------------------------------------------------------
# Contractions.

def einsum(b, v):
    shape = _shape(v)
    nd = len(shape)
    if nd == 0 or not _is_array(v):
        return None
    letters = "abcd"[:nd]
    form = b.c.integer(0, 5)
    if form == 0:  # product of two, summed over leading axes
        w = b.same_shape(v)
        j = b.c.integer(0, nd)
        return f"np.einsum('{letters},{letters}->{letters[j:]}', {v.name}, {w.name})"
    if form == 1:  # one operand, summed over leading axes
        j = b.c.integer(1, nd)
        return f"np.einsum('{letters}->{letters[j:]}', {v.name})"
    if form == 2 and nd >= 2 and shape[-1] == shape[-2]:
        w = b.same_shape(v)
        return b.c.choice([f"np.einsum('...ij,...jk->...ik', {v.name}, {w.name})",
                           f"np.einsum('...ij->...ji', {v.name})",
                           f"np.einsum('...ii->...i', {v.name})"])
    if form == 3:
        w = b.same_shape(v)
        return f"np.tensordot({v.name}, {w.name}, axes={nd})"
    m = shape[-1]
    other = b.matrix_operand(m)
    if form == 4 and nd >= 2:
        return f"np.tensordot({v.name}, {other}, axes=1)"
    if nd >= 2:
        return f"np.inner({v.name}, {other})" if b.c.boolean() or nd == 2 else \
            f"np.dot({v.name}, {other})"
    return None


def matmul(b, v):
    shape = _shape(v)
    nd = len(shape)
    if nd == 0:
        return None
    k = b.base[-1] if b.base else 1
    other = b.matrix_operand(shape[-1], k)
    form = b.c.integer(0, 5)
    if form == 0:
        return f"{v.name} @ {other}"
    if form == 1 or nd > 2:
        return f"np.matmul({v.name}, {other})"
    if form == 2 and _is_array(v) and v.traced:
        return f"{v.name}.dot({other})"
    if form == 3 and nd == 1:
        w = b.same_shape(v)
        return b.c.choice([f"np.vdot({v.name}, {w.name})", f"np.inner({v.name}, {w.name})"])
    if form == 4 and nd == 2 and shape[-1] == shape[-2]:
        w = b.same_shape(v)
        return f"np.linalg.multi_dot([{v.name}, {w.name}, {other}])"
    return f"np.dot({v.name}, {other})"


def trace(b, v):
    v = _prefer(b, v, lambda w: len(_shape(w)) >= 2 and _is_array(w))
    if v is None:
        return None
    shape = _shape(v)
    if len(shape) < 2 or not _is_array(v):
        return None
    offset = b.c.integer(0, 1) if shape[1] > 1 else 0
    if b.c.boolean():
        return f"{v.name}.trace()" if not offset else f"{v.name}.trace({offset})"
    return f"np.trace({v.name})" if not offset else f"np.trace({v.name}, {offset})"


# ---------------------------------------------------------------------------------------
# Linear algebra on well-conditioned matrices built from the value.

def _matrix(b, v):
    """(text, n) of a well-conditioned square matrix (or stack) made from v, or None."""
    v = _prefer(b, v, lambda w: _square(w) or len(_shape(w)) == 1 and b.c.integer(0, 3) == 0)
    if v is None:
        return None
    shape = _shape(v)
    nd = len(shape)
    if nd >= 2 and shape[-1] == shape[-2]:
        n = shape[-1]
        c = b.c.choice([2.0, 4.0])
        return b.c.choice([f"({v.name} + {c} * np.eye({n}))",
                           f"({v.name} @ np.swapaxes({v.name}, -1, -2) + np.eye({n}))"]), n
    if nd == 1:
        n = shape[0]
        return f"(np.outer({v.name}, {v.name}) + 2.0 * np.eye({n}))", n
    return None


def _conditioned(b, text) -> bool:
    try:
        singular_values = np.linalg.svd(_f64(b.evaluate(text)), compute_uv=False)
        # (a 1x1 matrix always has condition 1: the smallest singular value matters too)
        return bool(np.all(singular_values[..., 0] < MAX_CONDITION * singular_values[..., -1])
                    and np.all(singular_values[..., -1] > MIN_SINGULAR))
    except Exception:
        return False


def linalg(name: str):
    def make(b, v):
        made = _matrix(b, v)
        if made is None:
            return None
        m, n = made
        if name == "det":
            text = f"np.linalg.det({m})"
        elif name == "slogdet":
            text = b.c.choice([f"np.linalg.slogdet({m}).logabsdet",
                               f"np.linalg.slogdet({m})[1]",
                               f"np.linalg.slogdet({m})[0] * np.exp(np.linalg.slogdet({m})[1])"])
        elif name == "inv":
            text = f"np.linalg.inv({m})"
        elif name == "pinv":
            text = f"np.linalg.pinv({m})"
        elif name == "qr":  # (LAPACK's signs are stable near a well-conditioned matrix)
            text = b.c.choice([f"np.linalg.qr({m}).R ** 2", f"np.linalg.qr({m})[0] ** 2"])
        elif name == "lstsq":  # one matrix, not a stack
            if len(_shape(v)) > 2:
                return None
            text = f"np.linalg.lstsq({m}, {b.value_of_shape((n,)).name})[0]"
        else:  # solve: a right-hand side of the matrix's shape or one vector
            rhs = b.same_shape(v) if len(_shape(v)) >= 2 and b.c.boolean() else \
                b.value_of_shape((n,))
            text = f"np.linalg.solve({m}, {rhs.name})"
        return text, lambda: _conditioned(b, m)
    return make


def eigh(b, v):
    made = _matrix(b, v)
    if made is None:
        return None
    m, n = made
    if b.c.integer(0, 3):  # symmetric; else eigh reads the lower triangle of any matrix
        m = f"({m} + np.swapaxes({m}, -1, -2))"
    form = b.c.integer(0, 4)
    # Eigenvectors are fixed only up to sign: use them squared.
    text = [f"np.linalg.eigh({m}).eigenvalues", f"np.linalg.eigvalsh({m})",
            f"np.linalg.eigh({m})[0]", f"np.linalg.eigh({m}).eigenvectors ** 2",
            f"np.square(np.linalg.eigh({m})[1])"][form]

    def check():
        if not _conditioned(b, m):
            return False
        w = np.linalg.eigvalsh(_f64(b.evaluate(m)))
        return bool(np.all(np.diff(w, axis=-1) > GAP))
    return text, check


def svd(b, v):
    made = _matrix(b, v)
    if made is None:
        return None
    m, n = made
    stack = len(_shape(v)) > 2
    forms = [f"np.linalg.svd({m}, compute_uv=False)", f"np.linalg.svdvals({m})",
             f"np.linalg.svd({m}, full_matrices=False).U ** 2"]
    if not stack:
        forms += [f"np.linalg.norm({m}, ord='nuc')", f"np.linalg.norm({m}, 2)"]
    text = b.c.choice(forms)

    def check():  # distinct singular values: the factors (and the 2-norm) are smooth
        if not _conditioned(b, m):
            return False
        s = np.linalg.svd(_f64(b.evaluate(m)), compute_uv=False)
        return bool(np.all(-np.diff(s, axis=-1) > GAP))
    return text, check


# ---------------------------------------------------------------------------------------
# Shapes and selections that are not new ops but have their own spellings.

def reshape(b, v):
    shape = _shape(v)
    nd = len(shape)
    x = v.name
    form = b.c.integer(0, 6)
    if form == 0 or not _is_array(v):
        return f"np.reshape({x}, {(1,) + shape!r})"
    if form == 1 and nd >= 1:
        return f"{x}.reshape(-1).reshape({shape!r})"
    if form == 2 and nd >= 1:
        return b.c.choice([f"np.ravel({x}).reshape({shape!r})",
                           f"{x}.flatten().reshape({shape!r})", f"{x}.ravel()"])
    if form == 3:
        return f"np.expand_dims({x}, 0)"
    if form == 4 and 1 in shape:
        return b.c.choice([f"np.squeeze({x})", f"{x}.squeeze()"])
    if form == 5:
        return b.c.choice([f"np.atleast_1d({x})", f"np.atleast_2d({x})",
                           f"np.atleast_3d({x})"])
    return f"{x}.reshape({(1,) + shape!r})"


def transpose(b, v):
    v = _prefer(b, v, _square)
    if v is None:
        return None
    shape = _shape(v)
    nd = len(shape)
    if nd < 2 or shape[-1] != shape[-2]:
        return None
    form = b.c.integer(0, 3)
    if form == 0 and nd == 2:
        return f"{v.name}.T"
    if form == 1:
        return f"np.swapaxes({v.name}, -1, -2)"
    if form == 2:
        return b.c.choice([f"np.moveaxis({v.name}, -1, -2)",
                           f"{v.name}.transpose({tuple(range(nd - 2)) + (nd - 1, nd - 2)!r})"])
    return f"np.transpose({v.name}, {tuple(range(nd - 2)) + (nd - 1, nd - 2)!r})"


def broadcast_to(b, v):
    if b.c.boolean():
        w = b.c.choice(b.values)
        return f"np.broadcast_arrays({v.name}, {w.name})[0]"
    return f"np.broadcast_to({v.name}, {b.base!r})"


def getitem(b, v):
    shape = _shape(v)
    nd = len(shape)
    if nd == 0:
        return None
    x = v.name
    form = b.c.integer(0, 9)
    if form == 5:
        return f"np.flip({x}, axis={b.c.integer(0, nd - 1)})"
    if form == 6 and nd >= 2:
        return b.c.choice([f"np.fliplr({x})", f"np.flipud({x})"])
    if form == 7 and shape[0] % 2 == 0:
        return f"np.split({x}, 2)[{b.c.integer(0, 1)}]"
    if form == 8:
        return f"np.array_split({x}, 2)[0]"
    if form == 9:
        k, spelled = _axis(b, nd)
        return f"np.diff({x}, axis={spelled})"  # one shorter: fits when it leaves 1
    return [f"{x}[::-1]", f"{x}[..., ::-1]", f"{x}[:1]", f"{x}[None]", f"{x}[0]"][form % 5]


def astype(b, v):
    if b.dtype != "float32" or not _is_array(v) or not _shape(v):
        return None
    return f"{v.name}.astype(np.float32)"


def polyval(b, v):
    coefficients = [b.c.choice([0.5, -1.0, 2.0, 0.25]) for _ in range(b.c.integer(1, 3))]
    return f"np.polyval({coefficients!r}, {v.name})"


def builtin_sum(b, v):
    """Python's sum() over a list of values or over a 1-d array's elements."""
    if len(_shape(v)) == 1 and v.traced and b.c.boolean():
        return f"sum({v.name})"
    w = b.same_shape(v)
    return f"sum([{v.name}, {w.name}])"


def outer(b, v):
    if len(_shape(v)) != 1 or not b.base:
        return None
    w = b.value_of_shape((b.base[-1],))
    return f"np.outer({v.name}, {w.name})"


def cross(b, v):
    v = _prefer(b, v, lambda w: _shape(w)[-1:] == (3,))
    if v is None:
        return None
    w = b.same_shape(v)
    return f"np.cross({v.name}, {w.name})"


def triangle(b, v):
    v = _prefer(b, v, lambda w: len(_shape(w)) >= 2)
    if v is None:
        return None
    k = b.c.integer(-1, 1)
    fn = b.c.choice(["triu", "tril"])
    return f"np.{fn}({v.name})" if k == 0 else f"np.{fn}({v.name}, {k})"


# ---------------------------------------------------------------------------------------
# The table. Keys are labels; `ops` lists what each form reaches in the registry.

FORMS: dict[str, Form] = {
    "sum": Form(("sum",), reduction("sum")),
    "mean": Form(("mean",), reduction("mean")),
    "average": Form(("mean", "sum", "multiply", "divide"), average),
    "prod": Form(("prod",), reduction("prod")),
    "max": Form(("max",), reduction("max", ["max", "amax"])),
    "min": Form(("min",), reduction("min", ["min", "amin"])),
    "var": Form(("var",), reduction("var")),
    "std": Form(("std",), reduction("std")),
    "cumsum": Form(("cumsum",), cumulative("cumsum")),
    "cumprod": Form(("cumprod",), cumulative("cumprod")),
    "norm": Form(("norm",), norm),
    "sort": Form(("sort",), sort),
    "argsort": Form(("argsort", "take_along_axis"), argsort),
    "argmax": Form(("argmax", "take_along_axis", "gather"), argextremum("argmax")),
    "argmin": Form(("argmin", "take_along_axis", "gather"), argextremum("argmin")),
    "take_along_axis": Form(("take_along_axis",), take_along_constant),
    "gather": Form(("gather",), gather),
    "gather_argument": Form(("gather",), gather_argument),
    "concatenate": Form(("concatenate",), concatenate),
    "stack": Form(("stack",), stack),
    "tile": Form(("tile",), tile),
    "repeat": Form(("repeat",), repeat),
    "pad": Form(("pad",), pad),
    "einsum": Form(("einsum",), einsum),
    "matmul": Form(("matmul",), matmul),
    "trace": Form(("trace",), trace),
    "det": Form(("det",), linalg("det")),
    "slogdet": Form(("slogdet", "proj"), linalg("slogdet")),
    "inv": Form(("inv",), linalg("inv")),
    "solve": Form(("solve",), linalg("solve")),
    "eigh": Form(("eigh", "proj"), eigh),
    "pinv": Form(("pinv",), linalg("pinv")),
    "qr": Form(("qr", "proj"), linalg("qr")),
    "lstsq": Form(("lstsq", "proj"), linalg("lstsq")),
    "svd": Form(("svd", "proj"), svd),
    "reshape": Form(("reshape",), reshape),
    "transpose": Form(("transpose",), transpose),
    "broadcast_to": Form(("broadcast_to",), broadcast_to),
    "getitem": Form(("getitem",), getitem),
    "astype": Form(("astype",), astype),
    "polyval": Form(("add", "multiply"), polyval),
    "outer": Form(("multiply",), outer),
    "builtin_sum": Form(("add",), builtin_sum),
    "cross": Form(("stack", "multiply", "subtract"), cross),
    "triangle": Form(("where",), triangle),
}
