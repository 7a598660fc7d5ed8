"""Functions bpcompiler recognises but does not support, each with advice naming a
supported alternative. The tracer's refusal message and the `ops` listing both read
this table (`registry.UNSUPPORTED`), so they always agree."""

from __future__ import annotations

import numpy as np

from .registry import UNSUPPORTED

RANDOM_ADVICE = ("draw the random numbers outside the function and pass them in as an "
                 "argument (or close over a constant array)")


for _fn, _advice in [
        (np.linalg.matrix_rank, "the rank is not differentiable; compute it outside f"),
        (np.linalg.cond, "use np.linalg.norm(A) * np.linalg.norm(np.linalg.inv(A))"),
        (np.interp, "no gradient for interpolation tables: use a polynomial"),
        (np.nansum, "use np.sum with np.where(np.isnan(x), 0.0, x)"),
        (np.nanmean, "use np.mean with np.where to mask NaNs"),
        (np.median, "no gradient through a median: use np.sort and index the middle"),
        (np.percentile, "no gradient through percentiles: use np.sort and index"),
        (np.quantile, "no gradient through quantiles: use np.sort and index"),
        (np.unique, "the output size depends on the values: not traceable"),
        (np.nonzero, "the output size depends on the values: use np.where(c, a, b)"),
        (np.argwhere, "the output size depends on the values: use np.where(c, a, b)"),
        (np.copyto, "in-place writes are not traced: build a new array with np.where"),
        (np.put, "in-place writes are not traced: build a new array with np.where"),
        (np.place, "in-place writes are not traced: build a new array with np.where")]:
    UNSUPPORTED[_fn] = _advice
for _name in ("fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn", "ifftn", "rfftn",
              "irfftn", "hfft", "ihfft"):
    UNSUPPORTED[getattr(np.fft, _name)] = (
        "no FFT gradient: write a small DFT as a matmul with a constant cos/sin matrix")

# np.random functions do not dispatch to traced values; the instrumenter refuses them
# (RandomnessError). They are listed here so the `ops` listing shows them.
for _name in ("normal", "uniform", "standard_normal", "rand", "randn", "randint", "choice",
              "permutation", "shuffle", "binomial", "poisson", "exponential", "gamma", "beta",
              "multivariate_normal", "laplace", "logistic", "lognormal"):
    UNSUPPORTED[getattr(np.random, _name)] = RANDOM_ADVICE
