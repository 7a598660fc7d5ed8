"""Linear algebra beyond the generated op tests: multi-output primitives as one node
(eigh, slogdet, qr, svd, eig, lstsq), checked through the whole pipeline (CSE, DCE,
forward mode, symbolic dimensions, debug-mode graph checks, the array-API refusal),
and the front ends' conventions (UPLO, compute_uv, matrix norms, det at a singular
matrix, refusals that name the line)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd
import autograd.numpy as anp

from bpcompiler import CompileError, compile_grad
from bpcompiler.ops.eig import _real_spectrum
from support.fd import central_differences

RNG = np.random.default_rng(7)
A4 = RNG.normal(size=(4, 4)) + 3.0 * np.eye(4)


def _ops(c):
    return [a["op"] for _, a in sorted(c.graph.nodes(data=True))]


def _calls(source: str, name: str) -> int:
    """Calls of `name` in `source`'s code (not its comments, which quote the source)."""
    code = "\n".join(line.split("#")[0] for line in source.splitlines())
    return len(re.findall(re.escape(name) + r"\(", code))


def both_fields(A):
    w, v = np.linalg.eigh(A)
    return np.sum(w ** 2) + np.sum(v[:, 0] ** 2 * w)


def test_eigh_is_one_node_computed_once_per_function():
    c = compile_grad(both_fields, (A4,), emit=("grad", "jvp", "hvp"))
    assert _ops(c).count("eigh") == 1 and _ops(c).count("proj") == 2
    for name in ("forward", "value_and_grad", "jvp", "hvp"):
        body = c.source.split(f"\ndef {name}(")[1].split("\ndef ")[0]
        assert _calls(body, "np.linalg.eigh") == 1, name
    assert "eigh_A = np.linalg.eigh(A)" in c.source and ".eigenvectors" in c.source
    expected = autograd.grad(lambda A: anp.sum(anp.linalg.eigh(A)[0] ** 2) +
                             anp.sum(anp.linalg.eigh(A)[1][:, 0] ** 2 *
                                     anp.linalg.eigh(A)[0]))(A4)
    # autograd's eigh gradient is symmetric; NumPy's eigh reads the lower triangle only
    folded = np.tril(expected + expected.T, -1) + np.diag(np.diag(expected))
    np.testing.assert_allclose(c.module.grad(A4)[0], folded, rtol=1e-7, atol=1e-9)


def test_an_unused_field_gets_no_cotangent_and_one_read_is_inlined():
    def values_only(A):
        return np.sum(np.linalg.eigh(A).eigenvalues ** 3)

    c = compile_grad(values_only, (A4,))
    forward = c.source.split("def forward(")[1].split("\ndef ")[0]
    assert "np.linalg.eigh(A).eigenvalues" in forward and "eigenvectors" not in forward
    # (the gradient reads the eigenvectors: V diag(g) V^T, from the same node)
    assert _ops(c).count("eigh") == 1
    np.testing.assert_allclose(c.module.grad(A4)[0],
                               central_differences(values_only, (A4,), 0), rtol=1e-6, atol=1e-6)


def test_two_calls_on_one_matrix_merge_into_one_node():
    def twice(A):
        s1, l1 = np.linalg.slogdet(A)
        s2, l2 = np.linalg.slogdet(A)
        return l1 * s2 + l2

    c = compile_grad(twice, (A4,), debug=True)  # (checks the graph after every pass)
    assert _ops(c).count("slogdet") == 1
    np.testing.assert_allclose(c.module.grad(A4)[0], 2 * np.linalg.inv(A4).T, rtol=1e-9)


def test_a_decomposition_of_a_constant_is_not_folded_into_a_literal():
    K = np.diag([1.0, 2.0, 4.0])

    def f(x):
        return np.sum(np.linalg.eigh(K).eigenvalues * x)

    c = compile_grad(f, (np.ones(3),))
    np.testing.assert_allclose(c.module.grad(np.ones(3))[0], [1.0, 2.0, 4.0])


def test_multi_output_ops_under_symbolic_batch_dimensions():
    def f(A):
        q, r = np.linalg.qr(A)
        u, s, vh = np.linalg.svd(A, full_matrices=False)
        return np.sum(q * np.sin(r[..., :1, :])) + np.sum(s ** 2) + np.sum(u[..., 0, :] * vh[..., 0])

    A = RNG.normal(size=(5, 4, 3))
    c = compile_grad(f, (A,), specs={"A": "f64[B,4,3]"})
    assert "B" in c.source
    for batch in (2, 7):
        x = RNG.normal(size=(batch, 4, 3))
        np.testing.assert_allclose(c.module.forward(x), f(x), rtol=1e-12)
        np.testing.assert_allclose(c.module.grad(x)[0], central_differences(f, (x,), 0),
                                   rtol=1e-5, atol=1e-6)


def test_the_array_api_target_names_the_decomposition_and_line():
    with pytest.raises(CompileError) as info:
        compile_grad(both_fields, (A4,), target="array-api")
    assert "eigh" in str(info.value) and "test_linalg.py:" in str(info.value)


def test_eigh_upper_is_numpys_own_upper_result():
    A = RNG.normal(size=(4, 4))  # not symmetric: the triangle read decides the result

    def f(A):
        w, v = np.linalg.eigh(A, UPLO="U")
        return np.sum(w * np.arange(4.0)) + np.sum(np.abs(v[0]))

    c = compile_grad(f, (A,))
    assert "np.linalg.eigh(A, UPLO='U')" in c.source or 'UPLO="U"' in c.source
    assert c.module.forward(A) == f(A)  # the same LAPACK call: bit for bit
    g = c.module.grad(A)[0]
    assert np.all(np.tril(g, -1) == 0)  # the lower triangle is not read
    np.testing.assert_allclose(g, central_differences(f, (A,), 0), rtol=1e-6, atol=1e-7)


def test_eigvalsh_upper_against_autograd_on_a_symmetric_matrix():
    S = A4 + A4.T

    def f(A):
        return np.sum(np.linalg.eigvalsh(A, UPLO="U") ** 2)

    g = compile_grad(f, (S,)).module.grad(S)[0]
    ref = autograd.grad(lambda A: anp.sum(anp.linalg.eigh(A, UPLO="U")[0] ** 2))(S)
    np.testing.assert_allclose(g + g.T - np.diag(np.diag(g)), ref + ref.T - np.diag(np.diag(ref)),
                               rtol=1e-8)


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    S = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]])  # rank 2
    c = compile_grad(lambda A: np.linalg.det(A), (S,), emit=("grad", "jvp", "hvp"))
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(S, i, 0), j, 1))
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(c.module.grad(S)[0], cof, atol=1e-12)
    twice = np.zeros((3, 3))
    twice[0, 0] = 1.0  # rank 1: every 2x2 minor vanishes, so the gradient is 0 there
    np.testing.assert_allclose(c.module.grad(twice)[0], np.zeros((3, 3)), atol=1e-12)


@pytest.mark.parametrize("ord", [2, -2, "nuc", 1, -1, np.inf, -np.inf])
def test_matrix_norms_against_autograd(ord):
    X = RNG.normal(size=(4, 3))

    def f(X):
        return np.linalg.norm(X, ord=ord) ** 2

    c = compile_grad(f, (X,))
    if ord in (2, -2, "nuc"):
        s = lambda X: anp.linalg.svd(X, full_matrices=False)[1]  # noqa: E731
        ref = {2: lambda X: s(X)[0], -2: lambda X: s(X)[-1], "nuc": lambda X: anp.sum(s(X))}
        expected = autograd.grad(lambda X: ref[ord](X) ** 2)(X)
    else:  # (autograd has no gradient of these)
        expected = central_differences(f, (X,), 0)
    np.testing.assert_allclose(c.module.forward(X), f(X), rtol=1e-12)
    np.testing.assert_allclose(c.module.grad(X)[0], expected, rtol=1e-8, atol=1e-10)


def test_svd_values_only_reads_the_svd_nodes_S():
    X = RNG.normal(size=(2, 5, 3))

    def f(X):
        return np.sum(np.linalg.svd(X, compute_uv=False) ** 3) + np.sum(np.linalg.svdvals(X))

    c = compile_grad(f, (X,))
    assert _ops(c).count("svd") == 1
    np.testing.assert_allclose(c.module.grad(X)[0], central_differences(f, (X,), 0),
                               rtol=1e-6, atol=1e-7)


def test_lstsq_fields_and_pinv_against_autograd_and_differences():
    A, b = RNG.normal(size=(5, 3)), RNG.normal(size=5)

    def f(A, b):
        x, res, rank, s = np.linalg.lstsq(A, b)
        return np.sum(x ** 2) + res[0] + np.sum(s) + np.sum(np.linalg.pinv(A) ** 2)

    c = compile_grad(f, (A, b), emit=("grad", "jvp"))
    assert _ops(c).count("lstsq") == 1
    ga, gb = c.module.grad(A, b)
    np.testing.assert_allclose(ga, central_differences(f, (A, b), 0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gb, central_differences(f, (A, b), 1), rtol=1e-6, atol=1e-7)
    ref = autograd.grad(lambda A: anp.sum(anp.linalg.pinv(A) ** 2))(A)
    pinv_only = compile_grad(lambda A: np.sum(np.linalg.pinv(A) ** 2), (A,))
    np.testing.assert_allclose(pinv_only.module.grad(A)[0], ref, rtol=1e-8)


def test_eig_real_spectrum_against_differences_and_a_complex_one_refused():
    A = _real_spectrum(RNG, (3, 3))

    def f(A):
        w, v = np.linalg.eig(A)
        # (a function of v that its sign does not change: LAPACK may flip a column's
        # sign under a finite perturbation, as verification's differences make)
        return np.sum(w ** 2) + np.sum(v[:, 1] ** 2 * np.arange(3.0)) + \
            np.sum(np.linalg.eigvals(A))

    c = compile_grad(f, (A,), emit=("grad", "jvp"))
    np.testing.assert_allclose(c.module.grad(A)[0], central_differences(f, (A,), 0),
                               rtol=1e-6, atol=1e-6)
    rotation = np.array([[0.0, 1.0], [-1.0, 0.0]])
    with pytest.raises(CompileError, match=r"test_linalg.py:\d+: np.linalg.eig: the example "
                                           r"matrix has complex eigenvalues"):
        compile_grad(f, (rotation,))


@pytest.mark.parametrize("call, message", [
    (lambda A: np.linalg.qr(A.T)[0], "only square and tall matrices"),
    (lambda A: np.linalg.svd(A)[1], "full_matrices=False"),
    (lambda A: np.linalg.lstsq(A, A[:, 0], rcond=1e-3)[0], "rcond="),
    (lambda A: np.linalg.pinv(A, hermitian=True), "hermitian="),
    (lambda A: np.linalg.eigh(A[:3], UPLO="X")[0], "use UPLO='L' or 'U'"),
    (lambda A: np.linalg.eigh(A)[0], "square matrices"),
    (lambda A: np.linalg.norm(A, ord=3), "ord=3"),
])
def test_refusals_name_the_line_and_say_what_to_do(call, message):
    A = RNG.normal(size=(4, 3))
    with pytest.raises(CompileError) as info:
        compile_grad(lambda A: np.sum(call(A)), (A,))
    assert message in str(info.value) and "test_linalg.py:" in str(info.value)


def test_batched_inv_and_solve():
    A = RNG.normal(size=(3, 4, 4)) + 4.0 * np.eye(4)
    b = RNG.normal(size=(3, 4, 2))

    def f(A, b):
        return np.sum(np.linalg.inv(A) ** 2) + np.sum(np.linalg.solve(A, b) ** 2)

    ga, gb = compile_grad(f, (A, b)).module.grad(A, b)
    ra, rb = autograd.grad(lambda A, b: anp.sum(anp.linalg.inv(A) ** 2) +
                           anp.sum(anp.linalg.solve(A, b) ** 2), argnum=(0, 1))(A, b)
    np.testing.assert_allclose(ga, ra, rtol=1e-8)
    np.testing.assert_allclose(gb, rb, rtol=1e-8)


def test_decompositions_of_large_matrices_compile_and_verify():
    """Past 31 x 31 the rules' n x n masks would be refused as constants; the masks
    are ops (np.eye, np.tri), and the tuple a decomposition binds is never freed early."""
    n = 40
    B = RNG.normal(size=(n, n))
    A = B @ B.T + n * np.eye(n)

    def f(A):
        return (np.sum(np.linalg.eigh(A)[0] ** 3) + np.linalg.slogdet(A)[1] +
                np.linalg.det(A / n) + np.sum(np.linalg.qr(A)[1] ** 2) +
                np.sum(np.linalg.svd(A, compute_uv=False)) + np.sum(np.linalg.cholesky(A)))

    c = compile_grad(f, (A,), emit=("grad", "jvp"))
    assert "np.eye(40, 40" in c.source and "np.tri(40, 40" in c.source


def test_a_square_symbolic_dimension_through_eigh_and_det():
    def f(A):
        return np.sum(np.linalg.eigvalsh(A) ** 2) + np.linalg.det(A)

    c = compile_grad(f, (A4,), specs={"A": "f64[N,N]"})
    # autograd is the reference: the determinant of a 6 x 6 is ~1e4, and central
    # differences of it carry ~1e-5 of rounding, more than the tolerance
    reference = autograd.grad(lambda A: anp.sum(anp.linalg.eigh(A)[0] ** 2) +
                              anp.linalg.det(A))
    for n in (3, 6):
        x = RNG.normal(size=(n, n)) + n * np.eye(n)
        np.testing.assert_allclose(c.module.forward(x), f(x), rtol=1e-12)
        np.testing.assert_allclose(c.module.grad(x)[0], reference(x), rtol=1e-6, atol=1e-6)


def test_eig_at_a_matrix_with_a_complex_spectrum_raises_at_call_time():
    """Compiled at a real spectrum, the module refuses a rotation's complex one rather
    than return NumPy's complex arrays as a gradient."""
    def f(A):
        w, V = np.linalg.eig(A)
        return np.sum(w * w) + np.sum(V[:, 0] ** 2)
    c = compile_grad(f, (np.array([[2.0, 1.0], [0.5, 3.0]]),))
    assert "np.isrealobj(" in c.source and "OtherPathError" not in c.source
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    for call in (c.module.forward, c.module.grad):
        with pytest.raises(ValueError, match="complex eigenvalues"):
            call(rotation)
    value, (d_A,) = c.module.value_and_grad(np.array([[1.0, 0.2], [0.1, 2.0]]))
    assert np.isrealobj(d_A) and np.isfinite(value)
