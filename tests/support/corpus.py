"""A corpus of realistic functions, each written once in ordinary style, with the
arguments to call it at and the autograd reference built from the same source.

Every corpus function is at module level, against the module-level names `np` and
`math` (and `from math import ...` names, helper functions, module-level constants). The
autograd reference is the *same* function object cloned with its globals (and closure
cells and defaults) rebound: `np` -> `autograd.numpy`, `math` -> a shim built from
`autograd.numpy`, and helper functions cloned the same way (see `to_autograd`). So there
is exactly one source per function. The factory pattern (`def make(np, math): def
f(...): ...; return f`) and other closures are the cases at the end.

tests/test_corpus.py checks each case against autograd; tests/test_modes.py,
tests/test_array_api.py and tests/mutation.py reuse the cases.
"""

from __future__ import annotations

import inspect
import math
import types
from dataclasses import dataclass, field
from math import atan, sqrt  # used as bare names by `polar_energy`

import autograd.numpy as anp
import numpy as np
from autograd import grad as autograd_grad


# ---------------------------------------------------------------------------------------
# Module-level constants the corpus functions read.

HORNER_COEFFS = (0.0625, -0.125, 0.25, -0.5, 1.0)
N_STEPS = 8
DT = 0.05
GRAVITY = 9.81
LAMBDA_L2 = 1e-2
FIXED_PROJ = np.random.default_rng(1234).standard_normal((4, 3))  # float64 constant
CLASS_WEIGHTS = np.array([1.0, 2.0, 0.5])
LAMBDA_OFF = 0.0  # a regulariser switched off
LR = 0.1
HALF = np.array([0.5])  # a one-element float64 constant array

softsign = lambda z: z / (1.0 + np.abs(z))  # noqa: E731  (a module-level lambda)


# ---------------------------------------------------------------------------------------
# Helper functions the corpus calls (followed by bpcompiler's tracer).

def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def log_softmax(z):
    # inputs are small, so no max-shift is needed for stability
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def dense(x, W, b, act=np.tanh):
    return act(x @ W + b)


def relu(z):
    return np.maximum(z, 0.0)


def huber_elem(r, delta=1.0):
    a = np.abs(r)
    return np.where(a < delta, 0.5 * r * r, delta * (a - 0.5 * delta))


def moments(x):
    m = np.mean(x, axis=0)
    v = np.mean((x - m) ** 2, axis=0)
    return m, v


def taylor(x, k, n):
    """1 + x/k (1 + x/(k+1) (1 + ...)): exp's Taylor series by recursion to depth n."""
    if k > n:
        return 1.0
    return 1.0 + x / k * taylor(x, k + 1, n)


# ---------------------------------------------------------------------------------------
# Scalar (Python float + math) corpus.

def seed_network(w10, b10, w11, b11, w20_0, w20_1, b20, x00, x01):
    x10 = math.tanh(w10 * x00 + b10)
    x11 = math.tanh(w11 * x01 + b11)
    return math.tanh(w20_0 * x10 + w20_1 * x11 + b20)


def scalar_logistic_loss(w, b, x, y):
    p = sigmoid(w * x + b)
    return -(y * math.log(p) + (1.0 - y) * math.log(1.0 - p))


def rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x ** 2) ** 2


def trig_mix(x, y):
    return (math.sin(x) * math.cos(y) + math.tan(x * y) + math.atan(x / y)
            - math.sin(x) ** 2)


def norms_and_powers(x, y):
    r = math.sqrt(x * x + y * y)
    return math.pow(r, 1.5) + math.fabs(x - y) + abs(y) * r - x ** 3 / (1.0 + y ** 2)


def lennard_jones(x1, y1, x2, y2, sigma, eps):
    dx = x1 - x2
    dy = y1 - y2
    r = math.sqrt(dx * dx + dy * dy)
    s6 = (sigma / r) ** 6
    return 4.0 * eps * (s6 * s6 - s6)


def horner_poly(x):
    acc = 0.0
    for c in HORNER_COEFFS:  # a loop over a module-level tuple
        acc = acc * x + c
    return acc * math.exp(-x * x)


def damped_oscillator(x0, v0, k, c):
    x, v = x0, v0
    energy = 0.0
    for _ in range(N_STEPS):
        a = -k * x - c * v
        v = v + DT * a
        x = x + DT * v
        energy = energy + 0.5 * (v * v + k * x * x)
    return energy / N_STEPS


def soft_extrema(x, y, z):
    # builtins max/min, away from ties
    return max(x, y) * min(y, z) + max(x, y, z) - min(x * y, z)


def int_power(x, n):
    # n is a Python int argument: traced, but not differentiated
    return x ** n + n * math.log(x) - x / n


def scalar_leaky(x, y):
    z = x * y - 0.1
    a = np.where(z > 0, z, 0.01 * z)
    return a * a + math.exp(x) - -y


def polar_energy(x, y):
    r = sqrt(x * x + y * y)  # `from math import sqrt, atan`
    theta = atan(y / x)
    return r * theta ** 2 + 1.0 / r


def scalar_array_mix(alpha, x, beta):
    return np.sum(np.exp(alpha * x) - beta * x) + alpha ** 2 * math.exp(beta)


def powers_and_extrema(x, y):
    total = 0.0
    for term in (2 ** x, math.e ** y, x ** -1, y ** 0.5, pow(x, 3)):
        total += term  # augmented assignment on a Python-float accumulator
    return total * max([x * y, y, 0.1]) - min(x, 0.25)


def log_base_entropy(p, q):
    # two-argument math.log: bits
    return -(p * math.log(p, 2) + q * math.log(q, 2))


# ---------------------------------------------------------------------------------------
# NumPy corpus.

def linear_regression_mse(w, b, X, y):
    r = X @ w + b - y
    return np.mean(r ** 2)


def softmax_cross_entropy(W, b, X, Y):
    # Y: an int64 one-hot label matrix
    logits = X @ W + b
    return -np.sum(Y * log_softmax(logits)) / X.shape[0] + 0.5 * LAMBDA_L2 * np.sum(W * W)


def class_weighted_ce(W, X, Y):
    logp = log_softmax(X @ W)
    return -np.mean(np.sum(Y * CLASS_WEIGHTS * logp, axis=1))


def mlp_tanh(W1, b1, W2, b2, X, y):
    h = dense(X, W1, b1)
    out = dense(h, W2, b2, act=lambda z: z)
    return np.mean((out[:, 0] - y) ** 2)


def mlp_relu_mse(W1, b1, W2, b2, X, y):
    h = relu(X @ W1 + b1)
    pred = (h @ W2 + b2)[:, 0]
    return np.mean((pred - y) ** 2)


def lambda_activations(W, x):
    swish = lambda z: z * (1.0 / (1.0 + np.exp(-z)))  # noqa: E731
    h = softsign(W @ x)
    return np.sum(swish(h) ** 2) + np.sum((lambda t: t * t)(x))


def attention(Q, K, V):
    d = Q.shape[-1]
    scores = Q @ K.T / math.sqrt(d)
    e = np.exp(scores)
    P = e / np.sum(e, axis=-1, keepdims=True)
    out = P @ V
    return np.sum(out ** 2)


def batched_bilinear(A, B, c):
    M = np.matmul(A, B)  # (3, 4, 2)
    Mt = np.swapaxes(M, 1, 2)  # (3, 2, 4)
    G = Mt @ M  # (3, 2, 2)
    shared = A[0] @ B  # (4, 5) @ (3, 5, 2): batch dimensions broadcast
    return np.sum(np.tanh(G) * c) + np.sum(shared ** 2) * 0.1


def layer_norm_loss(x, gamma, beta, target):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    y = gamma * xhat + beta
    return np.mean((y - target) ** 2)


def masked_mse(w, X, y, mask):
    # mask: a 0/1 float array, data (not differentiated)
    r = X @ w - y
    return np.sum(mask * r * r) / np.sum(mask)


def int_mask_l1(x, keep):
    # keep: a 0/1 int64 array
    return np.sum(np.abs(x) * keep) + np.mean(x * x * (1 - keep))


def huber_regression(theta, X, y):
    return np.mean(huber_elem(X @ theta - y)) + np.sum(huber_elem(theta, delta=0.3))


def smoothness_penalty(x):
    d1 = x[1:] - x[:-1]
    d2 = x[2:] - 2.0 * x[1:-1] + x[:-2]
    return (np.sum(d1 ** 2) + 0.1 * np.sum(d2 ** 2) + np.sum(x[::3]) * x[-1]
            - x[::-1] @ x)


def slicing_2d(W):
    top = W[0]  # (4,)
    col = W[:, 1]  # (5,)
    block = W[1:4, ::2]  # (3, 2)
    corner = W[-1, -1]
    row = W[None, :, 2]  # (1, 5)
    first = W[..., 0]  # (5,)
    return (np.sum(top * col[:4]) + np.sum(block ** 2) * corner
            + np.sum(np.exp(first[None, :] * 0.5 - row)))


def rnn_loss(Wh, Wx, b, xs, target):
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t] + b)
    return np.sum((h - target) ** 2)


def conv1d_loss(w, bias, x):
    K = w.shape[0]
    n = x.shape[0] - K + 1
    y = bias
    for k in range(K):
        y = y + w[k] * x[k:k + n]
    return np.mean(np.tanh(y) ** 2)


def reshape_transpose(x, v):
    t = x.reshape(2, 3, 4)
    u = np.transpose(t, (1, 0, 2))  # (3, 2, 4)
    m = u.reshape((3, 8))
    w = np.reshape(m.T, (4, 2, 3))
    return (np.sum(w * v) + np.sum(t.transpose((2, 1, 0))[0] ** 2) + np.sum(u.reshape(-1)[::5])
            + np.sum(np.transpose(t) * t.reshape(4, 3, 2)))


def broadcast_features(a, b):
    A = np.broadcast_to(a, (5, 3))
    B = np.broadcast_to(b[:, None], (5, 3))
    C = np.broadcast_to(a[None, None, :], (2, 5, 3))
    return np.sum(A * B) + np.sum(np.sin(C) * np.cos(A))


def quadratic_forms(A, v, u):
    s1 = v @ A @ u
    s2 = np.matmul(A.T, v) @ np.sin(u)
    return s1 * s2 + s1 ** 2 + np.sum(A.T * u[:, None])


def dot_products(A, v, u):
    s1 = np.dot(v, np.dot(A, u))  # vector . (matrix . vector)
    s2 = np.dot(A.T, A)  # matrix . matrix
    return s1 + np.sum(s2 * 0.5) + np.dot(3.0, np.sum(A * A)) + np.dot(u, u)


def symmetric_part(A, x):
    # A is square: A.T has A's shape
    S = 0.5 * (A + A.T)
    return x @ S @ x + np.sum(np.tanh(A.T @ x))


def gram_fanout(X):
    G = X @ X.T
    return np.sum(G * G) / np.sum(X * X) + np.mean(np.sqrt(G * G + 1.0))


def gaussian_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    z = (x - mu) / sigma
    return np.sum(0.5 * z ** 2 + log_sigma) + 0.5 * x.size * math.log(2 * math.pi)


def clipped_objective(x, lo, hi):
    c = np.minimum(np.maximum(x, lo), hi)
    return np.sum(c ** 2 * np.arctan(x))


def elementwise_power(x, p):
    return np.sum(x ** p) + np.sum(np.power(x, 2.5)) + np.sum(2.0 ** p)


def multi_axis_reductions(x):
    a = np.mean(x, axis=(0, 2), keepdims=True)  # (1, 4, 1)
    s = np.sum(x ** 2, axis=(-1, -2), keepdims=True)  # (3, 1, 1)
    b = x.sum(axis=-1)  # (3, 4)
    c = np.sum(x, axis=(1, 2))  # (3,)
    return (np.sum((x - a) ** 2) + np.sum(b * b) * 0.1 + np.mean(c ** 3) + x.mean()
            + np.sum(x / s) * np.mean(x, keepdims=True)[0, 0, 0])


def comparison_masks(x, y):
    pos = x > 0
    m = (y <= x).astype(np.float64)
    return (np.sum(pos * x * y) + np.sum(m * (x - y) ** 2)
            + np.sum(np.where(x != y, x, 0.0) * (x >= -0.5)) - np.sum((x < y) * y ** 2))


def unused_bias(W, b, x):
    # b belongs to the model's parameter list, but this loss ignores it
    return np.sum((W @ x) ** 2)


def polynomial_features(w, x):
    feats = [x ** k for k in range(1, 4)]
    pred = sum(w[k] * feats[k] for k in range(3))
    return np.mean((pred - np.sin(x)) ** 2)


def moment_matching(x, target_m, target_v):
    m, v = moments(x)
    return np.sum((m - target_m) ** 2) + np.sum((np.sqrt(v) - np.sqrt(target_v)) ** 2)


def pendulum_energy(theta0, omega0, length):
    theta, omega = theta0, omega0
    for _ in range(N_STEPS):
        omega = omega - DT * (GRAVITY / length) * np.sin(theta)
        theta = theta + DT * omega
    E = 0.5 * length ** 2 * omega ** 2 + GRAVITY * length * (1.0 - np.cos(theta))
    return np.mean(E) + np.sum(np.arctan(theta) ** 2)


def recursive_taylor(x):
    return np.sum((taylor(x, 1, 8) - np.exp(x)) ** 2) + np.sum(taylor(x, 1, 3))


def inner_function(x, y):
    # an inner function closing over a traced value, created while tracing
    scale = np.sum(y)

    def g(t):
        return np.tanh(t * scale)
    return np.sum(g(x)) + np.sum(g(y) ** 2)


def regularizer_off(W, x):
    return LAMBDA_OFF * np.sum(W * W) + np.sum(np.sin(x))


def label_frequency_weighted(W, X, Y):
    # Y: int64 one-hot labels; class frequencies and comparisons on int data
    freq = np.mean(Y, axis=0)  # int -> float64, not differentiated
    weights = 1.0 / (freq + 0.1)
    logp = log_softmax(X @ W)
    hit = np.where(Y == 1, logp, 0.0)
    return -np.sum(hit * weights) / Y.shape[0] + np.sum(Y.sum(axis=1) - 1)


def bool_mask_where(x, mask):
    # mask: a bool array
    return np.sum(np.where(mask, x ** 2, -abs(x))) + np.mean(-x * mask)


def rbf_kernel_mmd(x, y):
    def kernel_mean(a, b):
        d = a[:, None, :] - b[None, :, :]
        return np.mean(np.exp(-np.sum(d * d, axis=-1)))
    return kernel_mean(x, x) + kernel_mean(y, y) - 2.0 * kernel_mean(x, y)


def unrolled_gd(w0, X, y):
    # a few steps of gradient descent on least squares, written out by hand
    w = w0
    n = X.shape[0]
    for _ in range(5):
        r = X @ w - y
        w = w - LR * (X.T @ r) / n
    return 0.5 * np.mean((X @ w - y) ** 2)


def active_mean(x, W):
    h = relu(x @ W)
    return np.sum(h) / (np.sum(h > 0) + 1) + np.mean(h, keepdims=True)[0, 0]


def temperature_entropy(logits, T):
    # T: a 0-d float64 array
    z = logits / T
    p = np.exp(z) / np.sum(np.exp(z))
    return np.sum(p * np.log(p))


# float32 cases.

def mlp_float32(W1, b1, W2, X, y):
    h = np.tanh(X @ W1 + b1)
    p = h @ W2
    return np.mean((p - y) ** 2) + 0.001 * np.sum(W1 * W1)


def mixed_precision(W, x):
    W64 = W.astype(np.float64)
    z = W64 @ x.astype(np.float64)
    s = np.tanh(z).astype(np.float32)
    return np.sum(s * s) + np.sum(W) * 0.5


def projected_float32(x):
    z = x @ FIXED_PROJ  # float32 @ a float64 module constant -> float64
    return np.sum(np.log(1.0 + z * z))


def float32_downcast(x):
    y = x.astype(np.float32)
    return np.sum(np.exp(y * 0.5))


def softmax_ce_float32(W, X, Y):
    # float32 weights, float64 data, int64 one-hot labels: the loss is float64
    logits = X @ W
    return -np.mean(np.sum(Y * log_softmax(logits), axis=1)) + np.sum(W * W * HALF)


def scaled_f32(x, s):
    # s: an np.float32 scalar
    return np.sum(np.tanh(s * x)) + s * s


# ---------------------------------------------------------------------------------------
# Closure cases: functions with closure cells.

def make_weighted_loss(weights):
    def weighted_loss(x):
        return np.sum(weights * x ** 2)
    return weighted_loss


def make_scalar_net(np, math):
    """The factory pattern: one source instantiated with numpy/math or autograd."""
    def hidden(w, b, x):
        return math.tanh(w * x + b)

    def scalar_net(w1, b1, w2, b2, x):
        return math.exp(-hidden(w2, b2, hidden(w1, b1, x)) ** 2)
    return scalar_net


def make_recursive_series():
    def series(x, k):
        if k == 0:
            return 1.0
        return 1.0 + x * series(x, k - 1) / k

    def recursive_series(x):
        return series(x, 6) + math.tanh(x)
    return recursive_series


# ---------------------------------------------------------------------------------------
# The autograd reference: the same function, rebound to autograd.numpy.

def _anp_broadcast_to(x, shape):
    # autograd's broadcast_to VJP cannot handle added leading dimensions
    return x + anp.zeros(shape)


ANP = types.ModuleType("autograd_numpy_shim")
ANP.__dict__.update({k: v for k, v in vars(anp).items() if not k.startswith("__")})
ANP.broadcast_to = _anp_broadcast_to

AMATH = types.ModuleType("autograd_math_shim")
AMATH.__dict__.update(exp=anp.exp,
                      log=lambda x, base=None: anp.log(x) if base is None
                      else anp.log(x) / anp.log(base), sqrt=anp.sqrt, sin=anp.sin, cos=anp.cos,
                      tan=anp.tan, tanh=anp.tanh, atan=anp.arctan, pow=anp.power,
                      fabs=anp.abs, pi=math.pi, e=math.e)
_MATH_BUILTINS = {id(getattr(math, n)): getattr(AMATH, n)
                  for n in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "atan", "pow",
                            "fabs")}
_NUMPY_CALLABLES = {id(v): getattr(anp, k) for k, v in vars(np).items()
                    if callable(v) and hasattr(anp, k) and not isinstance(v, type)}


def _substitute(value, memo):
    if value is np:
        return ANP
    if value is math:
        return AMATH
    if id(value) in _MATH_BUILTINS and isinstance(value, types.BuiltinFunctionType):
        return _MATH_BUILTINS[id(value)]
    if isinstance(value, np.ufunc) and id(value) in _NUMPY_CALLABLES:
        return _NUMPY_CALLABLES[id(value)]
    if isinstance(value, types.FunctionType) and value.__module__ == __name__:
        return to_autograd(value, memo)
    return value


def _names(code) -> set:
    """The global names `code` and the code nested in it (lambdas, inner functions) use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def to_autograd(fn, memo=None):
    """Clone `fn` with np/math (in globals, closure cells, defaults) rebound to autograd,
    and every function of this module it reaches cloned the same way."""
    memo = {} if memo is None else memo
    if fn in memo:
        return memo[fn]
    env = dict(fn.__globals__)
    cells = None
    if fn.__closure__:
        cells = tuple(types.CellType() for _ in fn.__closure__)
    clone = types.FunctionType(fn.__code__, env, fn.__name__, None, cells)
    memo[fn] = clone
    for name in _names(fn.__code__):
        if name in env:
            env[name] = _substitute(env[name], memo)
    if fn.__closure__:
        for new, old in zip(cells, fn.__closure__):
            try:
                new.cell_contents = _substitute(old.cell_contents, memo)
            except ValueError:
                pass
    if fn.__defaults__:
        clone.__defaults__ = tuple(_substitute(v, memo) for v in fn.__defaults__)
    return clone


def _upcast(value):
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype == np.float32:
        return value.astype(np.float64)
    return value


def _is_float(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    return isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f"


def reference(fn, args, wrt):
    ref = to_autograd(fn)
    names = list(inspect.signature(fn).parameters)
    index = [names.index(w) for w in wrt]
    ref_args = [_upcast(a) for a in args]

    def of(wrt_values):
        call = list(ref_args)
        for i, v in zip(index, wrt_values):
            call[i] = v
        return ref(*call)

    value = ref(*ref_args)
    grads = autograd_grad(of)(tuple(ref_args[i] for i in index))
    return value, grads


# ---------------------------------------------------------------------------------------
# The cases.

@dataclass
class Case:
    fn: object
    make_args: object  # rng -> tuple of example arguments
    wrt: tuple | None = None
    float32: bool = False  # computes in float32: compare with float32 tolerances
    marks: tuple = field(default_factory=tuple)

    @property
    def name(self):
        return self.fn.__name__


def _u(rng, lo, hi, shape=None):
    return rng.uniform(lo, hi, size=shape)


def _onehot(rng, n, k):
    return np.eye(k, dtype=np.int64)[rng.integers(0, k, size=n)]


def _f(rng, *shape):
    return rng.standard_normal(shape)


CASES = [
    # -- scalars
    Case(seed_network, lambda r: tuple(float(v) for v in _u(r, -1, 1, 9)),
         wrt=("w10", "b10", "w11", "b11", "w20_0", "w20_1", "b20")),
    Case(scalar_logistic_loss, lambda r: (float(_u(r, -1, 1)), float(_u(r, -1, 1)),
                                          float(_u(r, -2, 2)), 1.0), wrt=("w", "b")),
    Case(rosenbrock, lambda r: (float(_u(r, -1.5, 1.5)), float(_u(r, -1, 2)))),
    Case(trig_mix, lambda r: (float(_u(r, 0.2, 0.9)), float(_u(r, 0.2, 0.9)))),
    Case(norms_and_powers, lambda r: (float(_u(r, 0.5, 1.5)), float(_u(r, -1.5, -0.5)))),
    Case(lennard_jones, lambda r: (0.0, 0.0, float(_u(r, 0.9, 1.2)), float(_u(r, 0.1, 0.4)),
                                   float(_u(r, 0.8, 1.0)), float(_u(r, 0.5, 2.0)))),
    Case(horner_poly, lambda r: (float(_u(r, -1, 1)),)),
    Case(damped_oscillator, lambda r: (float(_u(r, -1, 1)), float(_u(r, -1, 1)),
                                       float(_u(r, 1, 4)), float(_u(r, 0.1, 0.5)))),
    Case(soft_extrema, lambda r: (0.3, 1.7, -0.4)),
    Case(int_power, lambda r: (float(_u(r, 0.5, 2.0)), 3)),
    Case(scalar_leaky, lambda r: (float(_u(r, 0.5, 1.0)), float(_u(r, 0.5, 1.0)))),
    Case(polar_energy, lambda r: (float(_u(r, 0.5, 1.5)), float(_u(r, 0.5, 1.5)))),
    Case(scalar_array_mix, lambda r: (float(_u(r, -0.5, 0.5)), _f(r, 6), float(_u(r, -1, 1)))),
    Case(powers_and_extrema, lambda r: (float(_u(r, 0.5, 0.9)), float(_u(r, 1.2, 2.0)))),
    Case(log_base_entropy, lambda r: (float(_u(r, 0.1, 0.9)), float(_u(r, 0.1, 0.9)))),
    # -- NumPy
    Case(linear_regression_mse, lambda r: (_f(r, 4), float(_u(r, -1, 1)), _f(r, 20, 4),
                                           _f(r, 20)), wrt=("w", "b")),
    Case(softmax_cross_entropy, lambda r: (0.5 * _f(r, 4, 3), 0.1 * _f(r, 3), _f(r, 10, 4),
                                           _onehot(r, 10, 3)), wrt=("W", "b")),
    Case(class_weighted_ce, lambda r: (0.5 * _f(r, 4, 3), _f(r, 8, 4), _onehot(r, 8, 3)),
         wrt=("W",)),
    Case(mlp_tanh, lambda r: (0.5 * _f(r, 3, 5), 0.1 * _f(r, 5), 0.5 * _f(r, 5, 1),
                              0.1 * _f(r, 1), _f(r, 7, 3), _f(r, 7)),
         wrt=("W1", "b1", "W2", "b2")),
    Case(mlp_relu_mse, lambda r: (0.5 * _f(r, 3, 6), 0.1 * _f(r, 6), 0.5 * _f(r, 6, 1),
                                  0.1 * _f(r, 1), _f(r, 9, 3), _f(r, 9)),
         wrt=("W1", "b1", "W2", "b2")),
    Case(lambda_activations, lambda r: (_f(r, 4, 3), _f(r, 3))),
    Case(attention, lambda r: (_f(r, 4, 3), _f(r, 5, 3), _f(r, 5, 2))),
    Case(batched_bilinear, lambda r: (0.5 * _f(r, 3, 4, 5), 0.5 * _f(r, 3, 5, 2), _f(r, 2))),
    Case(layer_norm_loss, lambda r: (_f(r, 4, 6), 1.0 + 0.1 * _f(r, 6), 0.1 * _f(r, 6),
                                     _f(r, 4, 6)), wrt=("x", "gamma", "beta")),
    Case(masked_mse, lambda r: (_f(r, 3), _f(r, 12, 3), _f(r, 12),
                                (r.uniform(size=12) < 0.6).astype(np.float64)), wrt=("w",)),
    Case(int_mask_l1, lambda r: (_f(r, 5, 4), r.integers(0, 2, size=(5, 4)))),
    Case(huber_regression, lambda r: (_f(r, 3), _f(r, 15, 3), 1.5 * _f(r, 15)),
         wrt=("theta",)),
    Case(smoothness_penalty, lambda r: (_f(r, 12),)),
    Case(slicing_2d, lambda r: (_f(r, 5, 4),)),
    Case(rnn_loss, lambda r: (0.4 * _f(r, 4, 4), 0.5 * _f(r, 4, 3), 0.1 * _f(r, 4),
                              _f(r, 5, 3), 0.5 * _f(r, 4)), wrt=("Wh", "Wx", "b")),
    Case(conv1d_loss, lambda r: (_f(r, 3), float(_u(r, -0.5, 0.5)), _f(r, 10))),
    Case(reshape_transpose, lambda r: (_f(r, 24), _f(r, 2, 3))),
    Case(broadcast_features, lambda r: (_f(r, 3), _f(r, 5))),
    Case(quadratic_forms, lambda r: (_f(r, 3, 4), _f(r, 3), _f(r, 4))),
    Case(dot_products, lambda r: (_f(r, 3, 4), _f(r, 3), _f(r, 4))),
    Case(symmetric_part, lambda r: (_f(r, 4, 4), _f(r, 4))),
    Case(gram_fanout, lambda r: (_f(r, 4, 3),)),
    Case(gaussian_nll, lambda r: (_f(r, 3), 0.3 * _f(r, 3), _f(r, 30, 3)),
         wrt=("mu", "log_sigma")),
    Case(clipped_objective, lambda r: (1.5 * _f(r, 6, 5), -0.5 + 0.2 * _f(r, 5),
                                       0.6 + 0.2 * _f(r, 6, 1))),
    Case(elementwise_power, lambda r: (_u(r, 0.5, 2.0, (4, 3)), _u(r, -1.0, 2.0, 3))),
    Case(multi_axis_reductions, lambda r: (_f(r, 3, 4, 5),)),
    Case(comparison_masks, lambda r: (_f(r, 4, 5), _f(r, 4, 5))),
    Case(unused_bias, lambda r: (_f(r, 3, 4), _f(r, 3), _f(r, 4)), wrt=("W", "b")),
    Case(polynomial_features, lambda r: (_f(r, 3), _u(r, -1, 1, 10))),
    Case(moment_matching, lambda r: (_f(r, 10, 3), _f(r, 3), _u(r, 0.5, 2.0, 3)),
         wrt=("x",)),
    Case(pendulum_energy, lambda r: (_u(r, -1, 1, 4), _u(r, -1, 1, 4), float(_u(r, 0.5, 2)))),
    Case(recursive_taylor, lambda r: (_u(r, -1, 1, 5),)),
    Case(inner_function, lambda r: (_f(r, 4), 0.3 * _f(r, 4))),
    Case(regularizer_off, lambda r: (_f(r, 3, 3), _f(r, 4))),
    Case(label_frequency_weighted, lambda r: (0.5 * _f(r, 4, 3), _f(r, 12, 4),
                                              _onehot(r, 12, 3)), wrt=("W",)),
    Case(bool_mask_where, lambda r: (_f(r, 4, 5), r.uniform(size=(4, 5)) < 0.5)),
    Case(rbf_kernel_mmd, lambda r: (_f(r, 5, 2), 0.5 + _f(r, 4, 2))),
    Case(unrolled_gd, lambda r: (_f(r, 3), _f(r, 10, 3), _f(r, 10)), wrt=("w0", "X")),
    Case(active_mean, lambda r: (_f(r, 6, 3), _f(r, 3, 5))),
    Case(temperature_entropy, lambda r: (_f(r, 6), np.array(_u(r, 0.5, 2.0))),
         wrt=("logits", "T")),
    # -- float32
    Case(mlp_float32, lambda r: (0.5 * _f(r, 3, 4).astype(np.float32),
                                 0.1 * _f(r, 4).astype(np.float32),
                                 0.5 * _f(r, 4).astype(np.float32),
                                 _f(r, 6, 3).astype(np.float32), _f(r, 6).astype(np.float32)),
         wrt=("W1", "b1", "W2"), float32=True),
    Case(mixed_precision, lambda r: (_f(r, 3, 4).astype(np.float32),
                                     _f(r, 4).astype(np.float32)), float32=True),
    Case(projected_float32, lambda r: (_f(r, 5, 4).astype(np.float32),), float32=True),
    Case(float32_downcast, lambda r: (_f(r, 7),), float32=True),  # float64 in, computes in f32
    Case(softmax_ce_float32, lambda r: ((0.5 * _f(r, 4, 3)).astype(np.float32), _f(r, 8, 4),
                                        _onehot(r, 8, 3)), wrt=("W",), float32=True),
    Case(scaled_f32, lambda r: (_f(r, 5).astype(np.float32), np.float32(0.7)), float32=True),
    # -- closures
    Case(make_weighted_loss(np.array([1.0, 2.0, 3.0])), lambda r: (_f(r, 3),)),
    Case(make_scalar_net(np, math), lambda r: tuple(float(v) for v in _u(r, -1, 1, 5))),
    Case(make_recursive_series(), lambda r: (float(_u(r, -1, 1)),)),
]
