"""Front-end idioms found in autograd's example objectives (tests/autograd_examples/):
each one a regression test of a fix, checked against autograd."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from bpcompiler import compile_grad


def _weighted(m):
    def f(params):  # dict keys that are not identifiers, as gmm.py's "log proportions"
        return m.sum(params["log proportions"] ** 2) * m.sum(m.tanh(params["lower triangles"]))
    return f


def test_dict_keys_that_are_not_identifiers_name_distinct_leaves():
    params = {"log proportions": np.array([0.1, -0.4, 0.3]),
              "means": np.array([[0.2, 0.5]]),
              "lower triangles": np.array([[[1.0, 0.3], [0.0, 0.8]]])}
    c = compile_grad(_weighted(np), (params,))
    assert "params_log_proportions" in c.source and "params_lower_triangles" in c.source
    value, (grad,) = c.module.value_and_grad(params)
    expected = autograd.grad(_weighted(anp))(params)
    assert value == pytest.approx(_weighted(np)(params), rel=1e-12)
    assert list(grad) == list(params)
    for key in params:
        np.testing.assert_allclose(grad[key], expected[key], rtol=1e-10, atol=1e-12)
