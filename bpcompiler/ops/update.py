"""Writes into arrays the function owns, made pure: `out[1:-1] = x`, `v /= s`,
`acc += term`, `np.add.at(out, i, v)`.

An array the function made itself (`np.zeros(n)`, `np.zeros_like(x)`, `x * 2.0`,
`np.array(x)`, `x.copy()`) belongs to no caller, so writing into it is an ordinary value
update: the op `setitem` computes a new array (`out.copy()` with the write done) and the
tracer that stood for the old array now stands for the new one. Every Python name bound
to that array sees the write, as in NumPy. Writes into a parameter (NumPy would change
the caller's array) or into a view (it would change the array viewed) stay refused.

Inside traced code `np.zeros`, `np.ones`, `np.full` and `np.empty` give constant tracers
(instrument.py), so a write of a traced value can land in them; a constant tracer still
answers `if`, `float()` and NumPy functions bpcompiler does not trace with its value.
"""

from __future__ import annotations

import builtins
import dis

import numpy as np

from ..errors import InPlaceMutationError, UnsupportedOperationError
from .indexing import _is_tracer, decode
from .tangents import linear
from .registry import ARRAY_METHODS, REGISTRY, F, Op, evaluated_rule, numpy_function, register
from .shape import _builder, encode_index, format_index


def _writes_through(g, node) -> bool:
    """Whether NumPy's write into `node`'s array changes its operand's: a view (Op.view)
    of an array; a field of a tuple result (proj of eigh's) is an array of its own."""
    attrs = g.nodes[node]
    return REGISTRY[attrs["op"]].view and not REGISTRY[g.nodes[attrs["args"][0]]["op"]].outputs


def _setitem_impl(x, v, *arrays, index):
    out = np.array(x, copy=True)
    out[decode(index, arrays)] = v
    return out


def _setitem_statements(target, args, params, aval):
    x, v = args[0], args[1]
    base = x.text if x.prec >= 14 else f"({x.text})"
    fresh = x.text.startswith(("np.zeros(", "np.ones(", "np.full("))  # no copy needed
    return [f"{target} = {base}" + ("" if fresh else ".copy()"),
            f"{target}[{format_index(params['index'], args[1:])}] = {v.text}"]


def _setitem_vjp(g, y, x, v, *arrays, index):
    written = F.gather(g, *arrays, index=index) if arrays else F.getitem(g, index=index)
    return (F.setitem(g, 0.0, *arrays, index=index), written) + (None,) * len(arrays)


register(Op(name="setitem", arity=-1, np_fn=_setitem_impl, py_fn=None, spell=None,
            statement=_setitem_statements, shape_rule=evaluated_rule, vjp=_setitem_vjp,
            jvp=linear("setitem"),  # linear in the array and the written value together
            spellings=("out[i] = v (out made by the function)", "out += v", "np.add.at"),
            doc="a copy of the array with v written at the index; the write's gradient "
                "goes to v, the rest of the array's to the array",
            cases=((((5,), ()), {"index": (("int", 2),)}),
                   (((6,), (3,)), {"index": (("slice", 1, None, 2),)}),
                   (((3, 4), (4,)), {"index": (("int", 1),)}),
                   (((3, 4), (3, 1)), {"index": (("slice", None, None, None),
                                                 ("slice", 1, 3, None))}),
                   (((2, 3, 2), ()), {"index": (("ellipsis",), ("int", 0))}))))


def _refuse(cls, problem, hint=None):
    file, line = _builder().where()
    raise cls(problem, file=file, line=line, hint=hint)


def owned(t) -> bool:
    """Whether writing into tracer `t` changes only the function's own array."""
    b = t._builder
    if id(t) in getattr(b, "owned", {}):
        return True
    if _writes_through(b.graph, t._node):
        return _unobserved_view(t)
    return not t._python and b.graph.nodes[t._node]["op"] != "input"


def _unobserved_view(t) -> bool:
    """Whether `t` views an array the function made that no other live value shows
    (`vx = np.reshape(flat, shape)` returned by a helper whose `flat` is gone): NumPy's
    write through the view changes only memory nobody reads, so it is a value update."""
    g = t._builder.graph
    root = t._node
    while _writes_through(g, root):
        root = g.nodes[root]["args"][0]
    if t._python or g.nodes[root]["op"] == "input":
        return False
    family, stack = {root}, [root]  # the array and every view of it, through views
    while stack:
        node = stack.pop()
        for user in g.successors(node):
            if user not in family and _writes_through(g, user) \
                    and g.nodes[user]["args"][0] == node:
                family.add(user)
                stack.append(user)
    for node in family:
        for ref in t._builder.tracers_of.get(node, ()):
            other = ref()
            if other is not None and other is not t and other._node == node:
                return False
    return True


def own(t):
    """Mark a fresh tracer (a copy) as the function's own array; return it."""
    b = t._builder
    if not hasattr(b, "owned"):
        b.owned = {}
    b.owned[id(t)] = t  # the tracer is kept alive: its id stays its own
    return t


def _check_owned(t, what: str):
    if owned(t):
        return
    op = t._builder.graph.nodes[t._node]["op"]
    if op == "input":
        _refuse(InPlaceMutationError, f"{what} into a parameter (NumPy would change "
                "the caller's array)", "copy it first (y = x.copy(); y[i] = v) or build "
                "a new array (np.where(mask, v, x), np.concatenate)")
    _refuse(InPlaceMutationError, f"{what} into a view of another array (NumPy "
            "would change the array it views)", "write into that array with one index "
            "(a[0, 1:] = v rather than row = a[0]; row[1:] = v), or copy the view first")


def _encode(index):
    """(encoded index, constant index arrays) for basic and constant advanced indices."""
    from .indexing import is_advanced
    items = index if isinstance(index, tuple) else (index,)
    if not is_advanced(index):
        return encode_index(items), ()
    encoded, arrays = [], []
    for item in items:
        if _is_tracer(item):
            _refuse(UnsupportedOperationError, "a write at traced indices",
                    "write with constant indices, or select with np.where")
        if isinstance(item, (list, np.ndarray)):
            item = np.asarray(item)
            parts = np.nonzero(item) if item.dtype == bool else (item,)
            for part in parts:
                encoded.append(("array", len(arrays)))
                arrays.append(np.asarray(part, dtype=np.int64))
        else:
            encoded.extend(encode_index((item,)))
    return tuple(encoded), tuple(arrays)


def setitem(self, key, value):
    _check_owned(self, "in-place assignment")
    index, arrays = _encode(key)
    if arrays:
        hit = np.zeros(self.shape, dtype=np.int64)
        np.add.at(hit, decode(index, arrays), 1)
        if hit.max(initial=0) > 1:
            _refuse(UnsupportedOperationError, "an assignment that writes one element twice "
                    "(repeated indices)", "use np.add.at to accumulate, or unique indices")
    if _is_tracer(value) and value._dtype != self._dtype:
        value = value.astype(self._dtype)
    new = _builder().apply("setitem", (self, value, *arrays), {"index": index}, python=False)
    _builder().repoint(self, new._node)


def _stores_subscript(frame) -> bool:
    """Whether the instruction after the current one in `frame` stores into a subscript:
    `a[i] += v` runs `t = a[i]; t += v; a[i] = t`, so the view's update is written back."""
    if frame is None:
        return False
    code = frame.f_code
    if code not in _AUGMENTED:
        instructions = list(dis.get_instructions(code))
        _AUGMENTED[code] = {
            ins.offset for k, ins in enumerate(instructions) if ins.opname in (
                "BINARY_OP", "INPLACE_ADD", "INPLACE_SUBTRACT", "INPLACE_MULTIPLY",
                "INPLACE_TRUE_DIVIDE", "INPLACE_POWER", "INPLACE_MATRIX_MULTIPLY")
            and _next_store(instructions, k)}
    return frame.f_lasti in _AUGMENTED[code]


def _next_store(instructions, i) -> bool:
    for after in instructions[i + 1:]:
        if after.opname.startswith(("SWAP", "ROT", "COPY", "NOP", "CACHE")):
            continue
        return after.opname == "STORE_SUBSCR"
    return False


_AUGMENTED: dict = {}


def inplace(self, name: str, symbol: str, other, frame=None):
    """`self op= other` on an array the function owns: the value updated, shape kept."""
    if not owned(self) and _stores_subscript(frame):
        return _builder().apply(name, (self, other))  # `a[i] op= v`: a[i] is written back
    _check_owned(self, f"in-place `{symbol}=`")
    result = _builder().apply(name, (self, other))
    if tuple(result.shape) != tuple(self.shape):
        _refuse(UnsupportedOperationError, f"`{symbol}=` would change the array's shape from "
                f"{self.shape} to {result.shape}", f"write `x = x {symbol} ...`")
    if result._dtype != self._dtype:
        if self._dtype.startswith(("int", "uint", "bool")):
            _refuse(UnsupportedOperationError, f"`{symbol}=` of a {result._dtype} value into "
                    f"a {self._dtype} array", f"write `x = x {symbol} ...`")
        result = result.astype(self._dtype)
    _builder().repoint(self, result._node)
    return self


def add_at(a, indices, b):
    """np.add.at(out, indices, values): repeated indices accumulate."""
    if not _is_tracer(a):
        _refuse(InPlaceMutationError, "np.add.at into a constant array (it would change "
                "the array the function reads, on every call)", "start from a copy made "
                "inside the function: out = np.zeros_like(...) or CONST.copy()")
    _check_owned(a, "in-place np.add.at")
    index, arrays = _encode(indices)
    added = F.scatter_add(b, *arrays, index=index, shape=a.shape)
    setitem_result = _builder().apply("add", (a, added), python=False)
    _builder().repoint(a, setitem_result._node if setitem_result._dtype == a._dtype
                       else setitem_result.astype(a._dtype)._node)


def copy(self, order="K"):
    return own(_builder().tracer(self._node))


@numpy_function(np.copy)
def _np_copy(a, order="K", subok=False):
    return copy(a)


def view(self, dtype=None, type=None):  # noqa: A002  (NumPy's own parameter names)
    """x.view() / x.view(np.ndarray): the same array; the tracer itself, so a write
    through either name is seen by both, as with NumPy's view."""
    kind = dtype if isinstance(dtype, builtins.type) else type
    same = dtype is None or (isinstance(kind, builtins.type) and issubclass(kind, np.ndarray))
    if not same:
        try:
            same = np.dtype(dtype).name == self._dtype
        except TypeError:
            same = False
    if not same:
        _refuse(UnsupportedOperationError, f".view({dtype!r}) reinterprets the bytes",
                "cast with .astype() instead")
    return self


ARRAY_METHODS["view"] = view
ARRAY_METHODS["__add_at__"] = add_at
ARRAY_METHODS["__setitem__"] = setitem
ARRAY_METHODS["__inplace__"] = inplace
ARRAY_METHODS["copy"] = copy
