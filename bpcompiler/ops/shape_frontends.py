"""NumPy front ends that are reshapes, transposes or basic slices underneath: ravel,
squeeze, expand_dims, moveaxis, flip/fliplr/flipud, atleast_*d, broadcast_arrays and
the rest of shape.py's former tail. They add no op of their own: each builds the ops of
shape.py, whose rules give the gradients.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedOperationError
from .registry import array_method, numpy_function
from .shape import _builder, _np_transpose, _refuse, _reshape, normalize_axis

@numpy_function(np.ravel)
def _np_ravel(a, order="C"):
    if order not in ("C", "K", "A"):
        _refuse(UnsupportedOperationError, f"ravel with order={order!r}",
                "only C order is supported")
    return _reshape(a, (int(np.prod(np.shape(a), dtype=np.int64)),))


array_method("ravel")(_np_ravel)
array_method("flatten")(_np_ravel)


@numpy_function(np.squeeze)
def _np_squeeze(a, axis=None):
    shape = np.shape(a)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = normalize_axis(axis, len(shape))
        for i in axes:
            if shape[i] != 1:
                _refuse(ShapeError, f"cannot squeeze axis {i} of shape {shape}: its size is "
                                    f"{shape[i]}, not 1")
    return _reshape(a, tuple(n for i, n in enumerate(shape) if i not in axes))


array_method("squeeze")(_np_squeeze)


@numpy_function(np.expand_dims)
def _np_expand_dims(a, axis):
    shape = list(np.shape(a))
    axes = normalize_axis(axis, len(shape) + len(axis if isinstance(axis, (tuple, list))
                                                  else (axis,)))
    for i in axes:
        shape.insert(i, 1)
    return _reshape(a, tuple(shape))


@numpy_function(np.moveaxis)
def _np_moveaxis(a, source, destination):
    ndim = len(np.shape(a))
    src = [normalize_axis(s, ndim)[0] for s in (source if isinstance(source, (tuple, list))
                                               else (source,))]
    dst = [normalize_axis(d, ndim)[0] for d in (destination if isinstance(destination,
                                                (tuple, list)) else (destination,))]
    if len(src) != len(dst):
        _refuse(ShapeError, "moveaxis: source and destination differ in length")
    order = [i for i in range(ndim) if i not in src]
    for d, s_ in sorted(zip(dst, src)):
        order.insert(d, s_)
    return _np_transpose(a, tuple(order))


@numpy_function(np.flip)
def _np_flip(m, axis=None):
    ndim = len(np.shape(m))
    axes = normalize_axis(axis, ndim)
    axes = tuple(range(ndim)) if axes is None else axes
    index = tuple(("slice", None, None, -1) if i in axes else ("slice", None, None, None)
                  for i in range(max(axes, default=-1) + 1))
    return _builder().apply("getitem", (m,), {"index": index}, python=False) if index else m


@numpy_function(np.fliplr)
def _np_fliplr(m):
    return _np_flip(m, 1)


@numpy_function(np.flipud)
def _np_flipud(m):
    return _np_flip(m, 0)


def _atleast(ndim: int):
    def traced(*arys):
        out = []
        for a in arys:
            shape = tuple(np.shape(a))
            if len(shape) < ndim:
                # NumPy's rules: 1-d (n,) -> (1, n) -> (1, n, 1); 0-d -> all ones
                shape = {0: (1,) * ndim, 1: ((1,) + shape + (1,))[:ndim] if ndim < 3
                         else (1,) + shape + (1,), 2: shape + (1,)}[len(shape)]
                if ndim == 2 and len(np.shape(a)) == 1:
                    shape = (1,) + tuple(np.shape(a))
                a = _reshape(a, shape)
            out.append(a)
        return out[0] if len(out) == 1 else out
    return traced


numpy_function(np.atleast_1d)(_atleast(1))
numpy_function(np.atleast_2d)(_atleast(2))
numpy_function(np.atleast_3d)(_atleast(3))


@numpy_function(np.broadcast_arrays)
def _np_broadcast_arrays(*args, subok=False):
    shape = tuple(np.broadcast_shapes(*[tuple(np.shape(a)) for a in args]))
    return tuple(a if tuple(np.shape(a)) == shape else
                 _builder().apply("broadcast_to", (a,), {"shape": shape}, python=False)
                 for a in args)


# -- static facts about a traced value ------------------------------------------------
@numpy_function(np.shape)
def _np_shape(a):
    return tuple(np.shape(a)) if not hasattr(a, "_node") else a.shape


@numpy_function(np.ndim)
def _np_ndim(a):
    return len(_np_shape(a))


@numpy_function(np.size)
def _np_size(a, axis=None):
    shape = _np_shape(a)
    return int(np.prod(shape, dtype=np.int64)) if axis is None else shape[axis]


def _like(fill):
    def traced(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
        dtype = np.dtype(dtype or a.dtype)
        return _builder().tracer(_builder().constant(
            np.full(a.shape if shape is None else shape, fill, dtype=dtype)))
    return traced


numpy_function(np.zeros_like, np.empty_like)(_like(0))  # empty: any contents will do
numpy_function(np.ones_like)(_like(1))


@numpy_function(np.full_like)
def _np_full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *,
                  device=None):
    if hasattr(fill_value, "_node"):
        return _builder().apply("broadcast_to", (fill_value,),
                                {"shape": a.shape if shape is None else tuple(shape)},
                                python=False)
    return _like(fill_value)(a, dtype, order, subok, shape)
