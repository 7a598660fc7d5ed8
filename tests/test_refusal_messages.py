"""Messages that fit (issue 11, item 6): a refused SciPy or NumPy function is named by its
real name with an alternative; a `while` on a traced value is told to use a fixed trip
count; a refusal raised inside library code names the user's line and the library
function that line called."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

from bpcompiler import CompileError, compile_grad
from bpcompiler.errors import FunctionRaisedError, TracedBranchError

X = np.array([0.3, 1.3, 2.2])


def _line_of(fn, text):
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def entropy_of(x):
    p = x / np.sum(x)
    return st.entropy(p)


def test_a_refusal_inside_library_code_names_the_users_line_and_the_callee():
    with pytest.raises(CompileError) as info:
        compile_grad(entropy_of, (X,))
    assert info.value.line == _line_of(entropy_of, "st.entropy")
    assert info.value.file.endswith("test_refusal_messages.py")
    assert "inside st.entropy (library code called on this line)" in str(info.value)


def zscored(x):
    return np.sum(st.zscore(x) ** 2)


def test_an_exception_inside_library_code_names_the_callee():
    with pytest.raises(CompileError) as info:
        compile_grad(zscored, (X,))
    assert info.value.line == _line_of(zscored, "st.zscore")
    assert "st.zscore" in str(info.value)


def doubling(x):
    s = x[0]
    while s < 10.0:
        s = s * 2.0
    return s


def test_a_while_on_a_traced_value_is_told_to_use_a_fixed_trip_count():
    with pytest.raises(TracedBranchError, match=r"while loop.*fixed number of times") as info:
        compile_grad(doubling, (X,))
    assert info.value.line == _line_of(doubling, "while")


@pytest.mark.parametrize("f,name", [
    (lambda x: np.sum(sc.sici(x)[0]), "scipy.special.sici"),
    (lambda x: np.sum(sc.zeta(x + 1.5, 1.0)), "scipy.special.zeta"),
    (lambda x: np.sum(sc.hyp2f1(1.0, 2.0, 3.0, x / 3)), "scipy.special.hyp2f1"),
])
def test_refused_scipy_functions_are_named_with_an_alternative(f, name):
    with pytest.raises(CompileError) as info:
        compile_grad(f, (X,))
    assert f"{name} is not a supported operation" in str(info.value)
    assert "outside the function" in info.value.hint  # what to do instead
    assert "np._" not in str(info.value)


def test_a_distribution_without_traced_methods_lists_those_that_have_them():
    with pytest.raises(CompileError, match=r"scipy\.stats\.laplace\.logpdf of traced values"
                       r".*beta, chi2, dirichlet, gamma, multivariate_normal, norm, poisson, t"):
        compile_grad(lambda x: np.sum(st.laplace.logpdf(x)), (X,))
    with pytest.raises(CompileError, match=r"scipy\.stats\.cauchy\.cdf"):
        compile_grad(lambda x: np.sum(st.cauchy(0.0, 2.0).cdf(x)), (X,))


def test_a_library_exception_is_still_a_function_raised_error():
    import scipy.linalg as sl

    def f(x):
        return np.sum(sl.expm(np.outer(x, x)))
    try:
        compile_grad(f, (X,))
    except FunctionRaisedError as exc:  # (SciPy's expm asks for a concrete array)
        assert "sl.expm" in str(exc)
    except CompileError as exc:
        assert exc.line == _line_of(f, "sl.expm")
