"""The array libraries the array-API target is tested on, as adapters from and to NumPy.

Each adapter turns the NumPy example arguments into its library's arrays (Python
scalars stay Python scalars), and the module's results back into NumPy. A library that
is not installed (or, for CuPy, a machine without a GPU) is skipped with the reason.
Dask arrays are chunked along their first axis and computed on a `dask.distributed`
cluster (see `dask_client` in test_array_api.py).

CuPy runs unchanged on a machine with a CUDA GPU: `pip install cupy-cuda12x`, then
`python -m pytest tests/test_array_api.py -k cupy`.
"""

from __future__ import annotations

import importlib

import numpy as np


class Library:
    name = ""
    module = ""

    def skip_reason(self) -> str | None:
        try:
            importlib.import_module(self.module)
        except ImportError:
            return f"{self.module} is not installed (pip install {self.module})"
        return None

    def array(self, value: np.ndarray):
        raise NotImplementedError

    def to_numpy(self, value):
        return np.asarray(value)

    def arguments(self, args: tuple) -> tuple:
        # NumPy scalars (an np.float32 parameter) are 0-d arrays of the library
        return tuple(self.array(np.asarray(a)) if isinstance(a, (np.ndarray, np.generic))
                     else a for a in args)

    def results(self, value, grads) -> tuple:
        return self.to_numpy(value), tuple(self.to_numpy(g) for g in grads)


class NumPyArrays(Library):
    name, module = "numpy", "numpy"

    def array(self, value):
        return value


class Strict(Library):
    """array-api-strict: only what the standard defines, nothing more."""
    name, module = "array_api_strict", "array_api_strict"

    def array(self, value):
        import array_api_strict
        return array_api_strict.asarray(value)

    def to_numpy(self, value):
        return np.from_dlpack(value) if hasattr(value, "__dlpack__") else np.asarray(value)


class Torch(Library):
    name, module = "torch", "torch"

    def array(self, value):
        import torch
        return torch.asarray(value)

    def to_numpy(self, value):
        return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


class Jax(Library):
    """JAX with 64-bit floats enabled while a test runs (see `jax_x64`)."""
    name, module = "jax", "jax"

    def array(self, value):
        import jax.numpy as jnp
        return jnp.asarray(value)


class Dask(Library):
    """Dask arrays in two chunks along the first axis (computed on the cluster by the
    test)."""
    name, module = "dask", "distributed"

    def array(self, value):
        import dask.array as da
        first = max(1, -(-value.shape[0] // 2)) if value.ndim else ()
        chunks = (first,) + value.shape[1:] if value.ndim else ()
        return da.from_array(value, chunks=chunks)


class CuPy(Library):
    name, module = "cupy", "cupy"

    def skip_reason(self) -> str | None:
        try:
            import cupy
            if cupy.cuda.runtime.getDeviceCount() < 1:
                return "no CUDA GPU on this machine: the CuPy test runs where there is one"
        except ImportError:
            return "cupy is not installed (on a machine with a GPU: pip install cupy-cuda12x)"
        except Exception as exc:  # NOTE: cupy raises its own CUDA errors without a GPU
            return f"no usable CUDA GPU on this machine ({type(exc).__name__})"
        return None

    def array(self, value):
        import cupy
        return cupy.asarray(value)

    def to_numpy(self, value):
        import cupy
        return cupy.asnumpy(value)


LIBRARIES = [NumPyArrays(), Strict(), Torch(), Jax(), Dask(), CuPy()]
