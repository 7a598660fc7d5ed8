"""NumPy as users write it: realistic functions mixing broadcasting, reductions, indexing,
einsum and linear algebra compile unchanged and verify; NumPy's semantics (axes,
keyword arguments, float32) are kept; gradients are safe under masks; conventions for
ambiguous gradients follow JAX; unsupported functions are refused with advice.

Gradients are checked here against element-wise central differences of the user's own
function (float64), independently of the compiler's built-in verification.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad
from bpcompiler.errors import UnsupportedOperationError
from bpcompiler.ops import REGISTRY, UNSUPPORTED
from support.fd import central_differences

TRIU_I, TRIU_J = np.triu_indices(4, k=1)  # constant index arrays the functions close over
KEEP = np.array([True, False, True, True, False, True])
TOKENS = np.array([0, 2, 2, 1, 0])  # repeated indices: gradients must accumulate


def check(f, args, wrt=None, rtol=1e-6, atol=1e-8):
    """Compile f, then compare every gradient with central differences."""
    c = compile_grad(f, args, wrt=wrt)
    value, grads = c.module.value_and_grad(*args)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    names = list(c.graph.graph["params"])
    for name, g in zip(c.module.WRT, grads):
        i = names.index(name)
        assert np.shape(g) == np.shape(args[i])
        assert np.asarray(g).dtype == np.asarray(args[i]).dtype
        np.testing.assert_allclose(g, central_differences(f, args, i), rtol=rtol, atol=atol,
                                   err_msg=f"gradient with respect to {name}")
    return c


# ---------------------------------------------------------------------------------------
# Realistic functions, written as a NumPy user writes them.

def gp_negative_log_likelihood(log_scale, log_noise, X, y):
    """Gaussian-process marginal likelihood: broadcasting, slogdet, solve."""
    d2 = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    K = np.exp(-0.5 * d2 / np.exp(2 * log_scale)) + np.exp(log_noise) * np.eye(X.shape[0])
    sign, logdet = np.linalg.slogdet(K)
    alpha = np.linalg.solve(K, y)
    return 0.5 * y @ alpha + 0.5 * logdet + 0.5 * len(y) * math.log(2 * math.pi)


def masked_attention(Q, K, V, Wo):
    """einsum, a stable softmax with a max shift, a constant causal mask, tensordot."""
    scores = np.einsum("qd,kd->qk", Q, K) / math.sqrt(Q.shape[-1])
    causal = np.tril(np.ones((Q.shape[0], K.shape[0]), dtype=bool))
    scores = np.where(causal, scores, -1e9)
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    out = np.tensordot(weights @ V, Wo, axes=([1], [0]))
    return np.mean(out ** 2)


def mixture_log_likelihood(means, log_sigmas, logits, x):
    """logaddexp over components, tuple-axis and negative-axis reductions."""
    z = (x[:, None] - means[None, :]) / np.exp(log_sigmas)
    log_pdf = -0.5 * z ** 2 - log_sigmas - 0.5 * np.log(2 * np.pi)
    log_w = logits - np.log(np.sum(np.exp(logits)))
    joint = log_pdf + log_w
    total = joint[:, 0]
    for k in range(1, joint.shape[1]):
        total = np.logaddexp(total, joint[:, k])
    return -np.mean(total) + 0.01 * np.var(means, ddof=1)


def embedding_layer_norm(E, gamma, tokens):
    """Integer-array lookup (traced int argument, repeated), layer norm with var/std."""
    h = E[tokens]  # (5, 3)
    mu = h.mean(axis=-1, keepdims=True)
    sd = np.sqrt(np.var(h, axis=-1, keepdims=True) + 1e-5)
    normed = (h - mu) / sd * gamma
    return np.sum(normed[:, :2] ** 2) + np.std(h) + np.sum(np.take(E, TOKENS, axis=0)[::2])


def pairwise_energy(P):
    """Pair distances via broadcasting and np.linalg.norm, upper-triangle constant indices."""
    diff = P[:, None, :] - P[None, :, :]
    r = np.linalg.norm(diff + np.eye(P.shape[0])[:, :, None], axis=-1)
    pairs = r[TRIU_I, TRIU_J]
    return np.sum(1.0 / pairs ** 6 - 1.0 / pairs ** 3) + np.sum(np.abs(P).max(axis=0))


def sorted_trimmed_loss(residuals, w):
    """Sort, cumsum, boolean constant mask, clip, split and stack."""
    r = np.sort(residuals * w) ** 2
    trimmed = r[:-2]
    cum = np.cumsum(trimmed)
    kept = residuals[KEEP]
    a, b = np.split(kept, 2)
    s = np.stack([a, b], axis=-1)
    return np.sum(cum) / cum[-1] + np.sum(np.clip(s, -0.5, 0.5) ** 2) + np.prod(w[:3])


def low_rank_reconstruction(U, V, M):
    """matmul, trace, inv of a regularised Gram matrix, Frobenius norm, outer, pad."""
    G = U.T @ U + 0.5 * np.eye(U.shape[1])
    R = M - U @ np.linalg.inv(G) @ (U.T @ M)
    padded = np.pad(V, ((1, 0), (0, 1)))
    return (np.linalg.norm(R) ** 2 + np.trace(U @ V.T) + np.sum(padded[1:] * padded[:-1])
            + np.sum(np.outer(U[:, 0], V[:, 0])))


def tiled_features(x, W):
    """tile, repeat, concatenate, hstack/vstack, moveaxis, expand_dims, squeeze, flip."""
    f = np.concatenate([x, np.sin(x), np.tile(x[:2], 2)], axis=0)
    g = np.repeat(f, 2)[::3]
    h = np.vstack([g, np.flip(g)])
    k = np.moveaxis(np.expand_dims(h, 0), 1, -1)
    return np.sum(np.squeeze(k, axis=0) @ W[: h.shape[0]]) + np.sum(np.hstack([x, x]) ** 2)


def scalar_special(a, b):
    """math-module functions on Python floats, and builtins over traced values."""
    return (math.erf(a) * math.erfc(b) + math.log(b, 2.0) + math.hypot(a, b, 0.5)
            + math.atan2(a, b) + math.asinh(a) + math.acosh(1.0 + b) + math.atanh(a / 2)
            + math.expm1(a) + math.log1p(b) + max(a, b) + min(a * b, 0.2) + abs(a - b)
            + sum([a, b, a * b]))


def rng_args(seed, *shapes, low=-1.0, high=1.0):
    r = np.random.default_rng(seed)
    return tuple(r.uniform(low, high, s) for s in shapes)


REALISTIC = [
    (gp_negative_log_likelihood, lambda: (0.1, -1.0) + rng_args(1, (5, 2), (5,)),
     ("log_scale", "log_noise")),
    (masked_attention, lambda: rng_args(2, (4, 3), (4, 3), (4, 2), (2, 3)), None),
    (mixture_log_likelihood, lambda: rng_args(3, (3,), (3,), (3,), (6,)),
     ("means", "log_sigmas", "logits")),
    (embedding_layer_norm, lambda: rng_args(4, (3, 3), (3,)) + (np.array([0, 2, 2, 1, 0]),),
     None),
    (pairwise_energy, lambda: (np.array([[0.0, 0.0], [1.1, 0.1], [0.2, 1.3], [1.4, 1.2]]),),
     None),
    (sorted_trimmed_loss, lambda: rng_args(5, (6,), (6,), low=0.5, high=1.5), None),
    (low_rank_reconstruction, lambda: rng_args(6, (4, 2), (4, 2), (4, 3)), None),
    (tiled_features, lambda: rng_args(7, (4,), (2, 3)), None),
    (scalar_special, lambda: (0.4, 0.9), None),
]


@pytest.mark.parametrize("fn, make_args, wrt", REALISTIC, ids=[r[0].__name__ for r in REALISTIC])
def test_realistic_function_compiles_unchanged(fn, make_args, wrt):
    args = make_args()
    if fn is scalar_special:
        c = compile_grad(fn, args)
        for i, g in enumerate(c.module.grad(*args)):
            assert isinstance(g, float)
            assert g == pytest.approx(float(central_differences(fn, args, i)), rel=1e-6)
        return
    check(fn, args, wrt=wrt)


def test_realistic_function_in_float32_stays_float32():
    args = tuple(a.astype(np.float32) for a in rng_args(2, (4, 3), (4, 3), (4, 2), (2, 3)))
    c = compile_grad(masked_attention, args)
    kinds = {a["dtype"] for _, a in c.graph.nodes(data=True)
             if a["dtype"].startswith("float") and not a["python"]}  # Python floats are weak
    assert kinds == {"float32"}, "no array may be silently upcast to float64"
    for g, a in zip(c.module.grad(*args), args):
        assert g.dtype == np.float32 and g.shape == a.shape


# ---------------------------------------------------------------------------------------
# Axes and keyword arguments as NumPy takes them.

def test_axis_forms_and_keepdims_match_numpy():
    def f(x):
        return (np.sum(np.max(x, axis=-1)) + np.sum(x.min(axis=(0, 2), keepdims=True))
                + np.sum(np.std(x, axis=(-1, -3), ddof=1)) + np.sum(x.prod(axis=1))
                + np.var(x) + np.sum(np.cumprod(x, axis=-1)) + np.mean(x, axis=None)
                + np.sum(np.linalg.norm(x, axis=(1, 2), keepdims=True)))
    x = rng_args(8, (2, 3, 4), low=0.5, high=1.5)
    check(f, x)


def test_keyword_arguments_reach_the_ops():
    def f(x, y):
        return (np.sum(np.clip(x, a_min=-0.3, a_max=0.4)) + np.sum(np.concatenate((x, y),
                axis=0)) + np.sum(np.sort(x, axis=0)[0]) + np.sum(np.take(x, TOKENS[:2], axis=1))
                + np.sum(np.pad(y, pad_width=1, mode="constant", constant_values=2.0) * 0.5)
                + np.sum(np.einsum("ij,ij->i", x, x, optimize=False)))
    check(f, rng_args(9, (2, 3), (1, 3)))


# ---------------------------------------------------------------------------------------
# Numerically safe rules.

@pytest.mark.parametrize("inner", [np.sqrt, np.log, lambda x: x ** 0.5, np.arcsin,
                                   lambda x: 1.0 / x, np.log1p, np.arctanh])
def test_untaken_where_branch_gives_no_nan(inner):
    def f(x):
        return np.sum(np.where(x > 0.5, inner(x - 0.5), 0.0))
    x = np.array([0.5, -1.0, 0.75, 1.2, 0.0])  # 0.5 makes inner's argument exactly 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = compile_grad(f, (np.array([0.9, 0.6, 0.75, 1.2, 0.55]),))
        (g,) = c.module.grad(x)
    assert np.all(np.isfinite(g))
    assert np.all(g[x <= 0.5] == 0.0)
    taken = x > 0.5
    np.testing.assert_allclose(g[taken], central_differences(f, (x,), 0)[taken], rtol=1e-6)


def test_untaken_overflowing_branch_gives_no_nan():
    def f(x):
        return np.sum(np.where(x < 50.0, np.exp(x) + np.cosh(x), 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = compile_grad(f, (np.array([0.5, 1.0]),))
        (g,) = c.module.grad(np.array([1000.0, 1.0]))
    np.testing.assert_allclose(g, [0.0, np.exp(1.0) + np.sinh(1.0)], rtol=1e-12)


def test_double_where_guard_only_where_a_mask_reaches():
    def plain(x):
        return np.sum(np.sqrt(x))

    def masked(x):
        return np.sum(np.where(x > 0, np.sqrt(x), 0.0))
    x = np.array([1.0, 2.0, 3.0])
    assert "== 0" not in compile_grad(plain, (x,)).source
    assert "== 0" in compile_grad(masked, (x,)).source


def test_relu_then_log_and_norm_at_zero_are_finite():
    def f(x):
        return np.linalg.norm(x) + np.sum(np.log(np.maximum(x, 0.0) + 1.0))
    c = compile_grad(f, (np.array([0.3, -0.2, 0.5]),))
    (g,) = c.module.grad(np.zeros(3))
    assert np.all(np.isfinite(g))


def test_logaddexp_gradient_is_stable_for_large_inputs():
    def f(a, b):
        return np.sum(np.logaddexp(a, b))
    c = compile_grad(f, (np.array([1.0, 2.0]), np.array([0.5, -1.0])))
    ga, gb = c.module.grad(np.array([1000.0, -1000.0]), np.array([999.0, -1001.0]))
    np.testing.assert_allclose(ga, 1 / (1 + np.exp([-1.0, -1.0])), rtol=1e-12)
    np.testing.assert_allclose(ga + gb, 1.0, rtol=1e-12)


def test_prod_gradient_is_exact_with_zeros():
    def f(x):
        return np.prod(x)
    c = compile_grad(f, (np.array([1.5, 2.0, 3.0]),))
    (g,) = c.module.grad(np.array([2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 6.0, 0.0])


# ---------------------------------------------------------------------------------------
# Conventions for ambiguous gradients (JAX's).

def test_ties_conventions():
    def reduce_max(x):
        return np.max(x)

    def pairwise_max(x, y):
        return np.sum(np.maximum(x, y))

    def absolute(x):
        return np.sum(np.abs(x))

    def sorted_weighted(x):
        return np.sum(np.sort(x) * np.array([1.0, 2.0, 3.0]))
    x = np.array([1.0, 3.0, 3.0])
    (g,) = compile_grad(reduce_max, (np.array([1.0, 2.0, 3.0]),)).module.grad(x)
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5])
    gx, gy = compile_grad(pairwise_max, (np.ones(2), np.zeros(2))).module.grad(
        np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    np.testing.assert_array_equal(gx, [0.5, 0.0])
    np.testing.assert_array_equal(gy, [0.5, 1.0])
    (g,) = compile_grad(absolute, (np.ones(2),)).module.grad(np.array([0.0, -2.0]))
    np.testing.assert_array_equal(g, [1.0, -1.0])
    (g,) = compile_grad(sorted_weighted, (np.array([3.0, 1.0, 2.0]),)).module.grad(
        np.array([2.0, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [2.0, 1.0, 3.0])  # stable: the first 2.0 sorts first


def test_repeated_indices_accumulate():
    def f(x):
        return np.sum(x[TOKENS] * np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    (g,) = compile_grad(f, (np.ones(3),)).module.grad(np.ones(3))
    np.testing.assert_array_equal(g, [1.0 + 5.0, 4.0, 2.0 + 3.0])


# ---------------------------------------------------------------------------------------
# Refusals name the function and the line, and say what to use instead.

def _cond(A):
    return np.linalg.cond(A)


def _fft(x):
    return np.sum(np.abs(np.fft.fft(x)))


def _out(x):
    y = np.empty_like(x)
    np.exp(x, out=y)
    return np.sum(y)


def _traced_mask(x):
    return np.sum(x[x > 0])


def _setitem(x):
    x[0] = 1.0
    return np.sum(x)


def _sort_in_place(x):
    x.sort()
    return np.sum(x)


def _eig(A):  # (a rotation's spectrum is complex: eig is refused at its example)
    return np.sum(np.linalg.eig(np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]) * A[0, 0])[0])


@pytest.mark.parametrize("fn, names", [
    (_cond, ("np.linalg.cond", "np.linalg.norm")), (_fft, ("np.fft.fft", "matmul")),
    (_out, ("out=", "returned value")), (_traced_mask, ("boolean mask", "np.where")),
    (_setitem, ("in-place", "np.where")), (_eig, ("np.linalg.eig", "np.linalg.eigh")),
    (_sort_in_place, (".sort()", "np.sort(x)"))])
def test_unsupported_functions_are_refused_with_advice(fn, names):
    with pytest.raises(CompileError) as info:
        compile_grad(fn, (np.eye(3) + 0.1,) if fn in (_cond, _eig) else (np.ones(4),))
    message = str(info.value)
    line = fn.__code__.co_firstlineno + (2 if fn is _out else 1)
    assert f"test_numpy_coverage.py:{line}:" in message, message
    for name in names:
        assert name in message, message


def test_unknown_function_says_so():
    def f(x):
        return np.sum(np.i0(x))
    with pytest.raises(UnsupportedOperationError, match="np.i0 is not a supported operation"):
        compile_grad(f, (np.ones(3),))


# ---------------------------------------------------------------------------------------
# The registry is what an `ops` listing shows.

def test_registry_lists_user_spellings_and_refusal_advice():
    spellings = {s for op in REGISTRY.values() for s in op.spellings}
    numpy_entries = {s for s in spellings if s.startswith(("np.", "."))}
    assert len(numpy_entries) >= 80, len(numpy_entries)
    for name, op in REGISTRY.items():
        internal = name in ("input", "const", "scatter", "scatter_add", "add_along_axis",
                            "eye", "tri", "proj", "to_float", "max_shift", "to_numpy",
                            "to_array", "count_floor", "isrealobj",  # (eig's check)
                            "fused_loop", "loop_output")  # (the last two: target="numba")
        assert internal or op.spellings, f"op {name} lists no user spelling"
    assert all(isinstance(advice, str) and advice for advice in UNSUPPORTED.values())
    assert np.linalg.cond in UNSUPPORTED and np.fft.fft in UNSUPPORTED


def _random(x):
    return np.sum(np.random.normal(x, 1.0))


@pytest.mark.parametrize("fn, names", [
    (_random, ("np.random.normal", "pass them in as an argument"))])
def test_calls_that_need_concrete_numbers_name_the_function(fn, names):
    with pytest.raises(CompileError) as info:
        compile_grad(fn, (np.ones(3),))
    message = str(info.value)
    assert f"test_numpy_coverage.py:{fn.__code__.co_firstlineno + 1}:" in message, message
    for name in names:
        assert name in message, message
    assert np.random.normal in UNSUPPORTED


# The same conventions checked against JAX itself, where it is installed.
TIE_FUNCTIONS = {
    "max-ties": (lambda m: lambda x: m.max(x, axis=-1).sum(), [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]),
    "min-ties": (lambda m: lambda x: m.min(x), [[1.0, 1.0, 3.0], [2.0, 1.0, 5.0]]),
    "relu-at-zero": (lambda m: lambda x: m.sum(m.maximum(x, 0.0)), [[0.0, -1.0, 2.0]]),
    "minimum-ties": (lambda m: lambda x: m.sum(m.minimum(x, x[::-1])), [[1.0, 2.0, 1.0]]),
    "abs-at-zero": (lambda m: lambda x: m.sum(m.abs(x)), [[0.0, -0.0, 1.0]]),
    "sort-ties": (lambda m: lambda x: m.sum(m.sort(x) * m.arange(1.0, 5.0)),
                  [[2.0, 1.0, 2.0, 2.0]]),
    "clip-at-bounds": (lambda m: lambda x: m.sum(m.clip(x, -1.0, 1.0)), [[-1.0, 1.0, 0.5, 3.0]]),
    "rounding": (lambda m: lambda x: m.sum(m.floor(x) + m.sign(x) + m.round(x)), [[0.5, -1.0]]),
}


@pytest.mark.parametrize("name", sorted(TIE_FUNCTIONS))
def test_tie_conventions_match_jax(name):
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    jax.config.update("jax_enable_x64", True)
    make, value = TIE_FUNCTIONS[name]
    x = np.array(value, dtype=np.float64)
    x = x[0] if x.shape[0] == 1 else x
    c = compile_grad(make(np), (x + 0.1 + 0.01 * np.arange(x.size).reshape(x.shape),))
    (ours,) = c.module.grad(x)
    expected = np.asarray(jax.grad(make(jnp))(jnp.asarray(x)))
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=0)


def test_array_likes_are_accepted_as_numpy_does():
    def f(x):
        return (np.sum(np.concatenate([x, [1.0, 2.0]]) ** 2)
                + np.sum(np.where(x > 0, x, [0.1, 0.2, 0.3])) + np.sum(np.stack([x, (1.0, 2.0, 3.0)]))
                + np.sum(x[[0, 2]] * [2.0, 3.0]))
    check(f, (np.array([0.5, -1.0, 2.0]),))


def spectral_energy(A, x):
    """eigh of a symmetric matrix built from the arguments: eigenvalues and a
    sign-invariant function of the eigenvectors."""
    S = A @ A.T + np.diag(x)
    w, V = np.linalg.eigh(S)
    return np.sum(w ** 2) + np.sum(V[:, -1] ** 2 * x) + np.sum(np.linalg.eigvalsh(S + 1.0))


def test_eigh_of_a_symmetric_matrix():
    check(spectral_energy, rng_args(11, (3, 3), (3,)))


def test_mask_operators_and_floor_division():
    def f(x, y):
        keep = ((x > 0) & (y < 1)) | (~(x > 1.5) ^ (y > 0))
        return np.sum(np.where(keep, x * y, x // 0.3)) + np.sum(x % 0.7)
    check(f, (np.array([0.55, -1.1, 2.45]), np.array([0.2, 1.5, -0.3])))

    def bitwise(x, n):
        return np.sum(x * (n & 1))
    with pytest.raises(UnsupportedOperationError, match="bitwise and"):
        compile_grad(bitwise, (np.ones(3), np.array([1, 2, 3])))


# ---------------------------------------------------------------------------------------
# Found by the fuzzer (tests/fuzz): each failed before its fix.

def test_slogdet_sign_passes_no_gradient():
    """The sign from np.linalg.slogdet is a float with no VJP rule: differentiation used
    to call the missing rule (InternalError); it is locally constant, so sign * exp(logdet)
    has det's gradient."""
    def det_from_slogdet(a):
        sign, logdet = np.linalg.slogdet(a)
        return sign * np.exp(logdet)
    a = np.array([[0.4, 1.3], [1.1, -0.2]])  # negative determinant: the sign matters
    c = check(det_from_slogdet, (a,))
    np.testing.assert_allclose(c.module.grad(a)[0], np.linalg.det(a) * np.linalg.inv(a).T,
                               rtol=1e-12)


def test_a_numpy_mask_on_the_left_of_a_mask_operator():
    """`constant_mask & (x > 0)`: NumPy's own operator runs first and calls
    np.bitwise_and on the tracer, which used to be refused as unsupported; on booleans
    it is the logical op (integers are still refused as bitwise)."""
    flags = np.array([True, False, True])

    def f(x):
        keep = (flags ^ (x > 0.5)) | (np.array([1.0, 2.0, 3.0]) < 2.5) & (x < 1)
        return np.sum(np.where(keep, x * x, -x)) + \
            np.sum(np.where(np.bitwise_and(x > 0, flags), x, 0.0))
    check(f, (np.array([0.3, 0.9, 1.4]),))

    def bitwise(x):
        return np.sum(x * (np.array([1, 2, 3]) & (x > 0)))
    with pytest.raises(UnsupportedOperationError, match="bitwise and"):
        compile_grad(bitwise, (np.ones(3),))


def test_solve_a_stack_of_matrices_with_one_vector():
    """np.linalg.solve(A, b) with A of shape (k, n, n) and b of shape (n,): the gradient
    used to solve with the (k, n) cotangent read as a stack of matrices (ShapeError)."""
    def f(a, b):
        return np.sum(np.linalg.solve(a, b) ** 2)
    rng = np.random.default_rng(3)
    check(f, (rng.normal(size=(4, 3, 3)) + 3.0 * np.eye(3), rng.normal(size=3)))


def test_clip_method_of_a_constant_with_traced_bounds():
    """`LIMITS.clip(lo, hi)` on a NumPy array calls NumPy's internal clip ufunc on the
    tracers: it used to be refused as "np.clip is not a supported operation"."""
    limits = np.array([-1.0, 0.5, 2.0])

    def f(lo, hi):
        return np.sum(limits.clip(lo, hi) ** 2)
    check(f, (np.array([-0.5, 0.0, 0.1]), np.array([1.0, 0.3, 1.5])))
