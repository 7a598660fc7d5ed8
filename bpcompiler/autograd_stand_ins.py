"""autograd functions whose own code cannot run on traced values, as the NumPy or SciPy
they compute: `autograd.numpy.make_diagonal` (its code writes through a view it makes
writeable with `.flags`), `autograd.numpy.append` (its code boxes lists element by
element) and `autograd.scipy.signal.convolve` (its code slides a view made by
`as_strided`; see ops/convolve.py). The instrumenter (instrument.py) substitutes these
for autograd's, as it substitutes NumPy's own function for any other autograd primitive.
"""

from __future__ import annotations

import numpy as np

from .errors import UnsupportedOperationError


def _refuse(problem, hint):
    from .builder import current_builder
    file, line = current_builder().where()
    raise UnsupportedOperationError(problem, file=file, line=line, hint=hint)


def make_diagonal(D, offset=0, axis1=0, axis2=1):
    """D's last axis spread over the diagonal of a new last pair of axes."""
    from .arraylike import stacked
    if not (offset == 0 and axis1 == -1 and axis2 == -2):  # all autograd supports
        _refuse(f"autograd's make_diagonal with offset={offset}, axis1={axis1}, "
                f"axis2={axis2}", "call it with offset=0, axis1=-1, axis2=-2")
    D = stacked(D)
    return np.expand_dims(D, -1) * np.eye(np.shape(D)[-1])


def _append(arr, values, axis=None):
    from .arraylike import stacked
    return np.append(stacked(arr), stacked(values), axis=axis)


def _convolve(*args, **kwargs):
    from .ops.convolve import autograd_convolve
    return autograd_convolve(*args, **kwargs)


_BY_NAME = {("autograd.numpy.numpy_wrapper", "make_diagonal"): make_diagonal,
            ("autograd.numpy.numpy_wrapper", "append"): _append,
            ("autograd.scipy.signal", "convolve"): _convolve}


def stand_in(value):
    """Ours for one of autograd's functions above (or its primitive), else None."""
    fn = getattr(value, "fun", value) if getattr(value, "_is_autograd_primitive", False) \
        else value
    key = (getattr(fn, "__module__", None), getattr(fn, "__name__", None))
    return _BY_NAME.get(key) if key[0] and key[0].startswith("autograd.") else None
