"""Load autograd 1.9.1's example modules from its sdist, as the original code.

The examples are scripts: besides their functions they load MNIST, plot with
matplotlib and run optimisers at import or under `__main__`. `load(name)` executes
only a module's imports, function and class definitions, the assignments that name
library objects (`convolve = autograd.scipy.signal.convolve`) and the `defvjp`/
`register` calls that complete a definition, with matplotlib replaced by a stand-in
(it is not installed here, and nothing is drawn). The tests build each objective from
these functions the way the original's `__main__` does, with the port's data.
"""

from __future__ import annotations

import ast
import os
import sys
import tarfile
import types

VERSION = "1.9.1"
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "bpcompiler")
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
_loaded: dict[str, dict] = {}


def examples_dir(tmp_root: str) -> str | None:
    """The sdist's examples/ (extracted once under tmp_root), or None without it."""
    sdist = os.environ.get("BP_AUTOGRAD_SDIST") or os.path.join(
        CACHE, f"autograd-{VERSION}.tar.gz")
    if not os.path.exists(sdist):
        return None
    target = os.path.join(tmp_root, f"autograd-{VERSION}", "examples")
    if not os.path.isdir(target):
        with tarfile.open(sdist) as tar:
            members = [m for m in tar.getmembers() if "/examples/" in m.name
                       and m.name.endswith(".py")]
            tar.extractall(tmp_root, members=members, filter="data")
    return target


class _Anything(types.ModuleType):
    """matplotlib and friends: any attribute, any call, nothing happens."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(name)

    def __call__(self, *args, **kwargs):
        return _Anything("result")


def _stub_matplotlib() -> None:
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.image", "matplotlib.cm"):
        sys.modules.setdefault(name, _Anything(name))


def _wanted(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("matplotlib"):
        return False
    if isinstance(node, ast.Import) and any(a.name.startswith("matplotlib")
                                            for a in node.names):
        return False
    if isinstance(node, _KEEP):
        return True
    if isinstance(node, ast.Assign):  # an alias of a library object
        return isinstance(node.value, (ast.Attribute, ast.Name))
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in ("defvjp", "register")
    return False


def load(directory: str, name: str, **globals_) -> dict:
    """The namespace of examples/<name>.py's definitions (see the module docstring);
    `globals_` are set first: the data an original reads from its `__main__` block."""
    key = name + repr(sorted(globals_))
    if key in _loaded and not globals_:
        return _loaded[key]
    path = os.path.join(directory, name + ".py")
    tree = ast.parse(open(path).read(), path)
    tree.body = [node for node in tree.body if _wanted(node)]
    before = set(sys.modules)
    sys.path.insert(0, directory)
    _stub_matplotlib()
    try:
        namespace = {"__name__": f"autograd_example_{name}", "__file__": path, **globals_}
        exec(compile(tree, path, "exec"), namespace)
    finally:
        sys.path.remove(directory)
        # The examples import each other by bare names (`data`, `rnn`): keep those
        # names from shadowing anything else the suite imports.
        for mod in set(sys.modules) - before:
            if not mod.startswith(("autograd", "scipy", "numpy")):
                del sys.modules[mod]
    if not globals_:
        _loaded[key] = namespace
    return namespace


def nth_definition(directory: str, name: str, function: str, n: int, **globals_):
    """The n-th (0-based) definition of `function` in examples/<name>.py, for a script
    that defines the same name twice (sinusoid.py's two `fun`s)."""
    namespace = load(directory, name, **globals_)
    path = os.path.join(directory, name + ".py")
    tree = ast.parse(open(path).read(), path)
    defs = [node for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == function]
    exec(compile(ast.Module([defs[n]], []), path, "exec"), namespace)
    return namespace[function]


# ---- each objective, built as the original's __main__ builds it ---------------------
# `ex` is the examples directory; `s` the port's Setup, whose data they use.

def rosenbrock(ex, s):
    return load(ex, "rosenbrock")["rosenbrock"]


def logistic_regression(ex, s):
    return load(ex, "logistic_regression", **s.data)["training_loss"]


def tanh(ex, s):
    return load(ex, "tanh")["tanh"]


def sinusoid(ex, s):
    return nth_definition(ex, "sinusoid", "fun", 0)


def sinusoid_taylor(ex, s):
    return nth_definition(ex, "sinusoid", "fun", 1)


def define_gradient(ex, s):
    ns = load(ex, "define_gradient")
    np_ = ns["np"]

    def example_func(y):  # from the original's __main__ block
        z = y**2
        lse = ns["logsumexp"](z)
        return np_.sum(lse)
    return example_func


def fixed_points(ex, s):
    return load(ex, "fixed_points")["sqrt"]


def negative_binomial_maxlike(ex, s):
    ns = load(ex, "negative_binomial_maxlike")
    data = s.data["data"]
    return lambda r, p: ns["np"].sum(ns["negbin_loglike"](r, p, data))



def neural_net(ex, s):
    nn = load(ex, "neural_net")
    d = s.data

    def objective(params, iter):  # the original's __main__, with the port's data
        idx = iter % d["num_batches"]
        idx = slice(idx * d["batch_size"], (idx + 1) * d["batch_size"])
        return -nn["log_posterior"](params, d["images"][idx], d["labels"][idx], d["L2_reg"])
    return objective


def neural_net_regression(ex, s):
    nn = load(ex, "neural_net_regression")
    d = s.data

    def objective(weights, t):
        return (-nn["logprob"](weights, d["inputs"], d["targets"])
                - nn["log_gaussian"](weights, d["weight_prior_variance"]))
    return objective


def _bbsvi_objective(ex, log_density, D, num_samples):
    """A fresh black_box_variational_inference per call: its RandomState(0) then
    draws the same noise the port is given."""
    bbsvi = load(ex, "black_box_svi")["black_box_variational_inference"]

    def objective(params, t, noise):
        variational_objective, _, _ = bbsvi(log_density, D, num_samples)
        return variational_objective(params, t)
    return objective


def black_box_svi(ex, s):
    ns = load(ex, "black_box_svi")
    norm, np_ = ns["norm"], ns["np"]

    def log_density(x, t):  # from the original's __main__
        mu, log_sigma = x[:, 0], x[:, 1]
        sigma_density = norm.logpdf(log_sigma, 0, 1.35)
        mu_density = norm.logpdf(mu, 0, np_.exp(log_sigma))
        return sigma_density + mu_density
    return _bbsvi_objective(ex, log_density, s.data["D"], s.data["num_samples"])


def natural_gradient_black_box_svi(ex, s):
    ns = load(ex, "black_box_svi")
    norm, np_ = ns["norm"], ns["np"]
    Y, obs_dim = s.data["Y"], s.data["obs_dim"]

    def log_density(x, t):  # from the original's __main__
        mu, log_sigma = x[:, :obs_dim], x[:, obs_dim:]
        sigma_density = np_.sum(norm.logpdf(log_sigma, 0, 1.35), axis=1)
        mu_density = np_.sum(norm.logpdf(Y, mu, np_.exp(log_sigma)), axis=1)
        return sigma_density + mu_density
    return _bbsvi_objective(ex, log_density, s.data["D"], s.data["num_samples"])


def bayesian_neural_net(ex, s):
    ns = load(ex, "bayesian_neural_net")
    np_ = ns["np"]
    rbf = lambda x: np_.exp(-(x**2))  # noqa: E731
    num_weights, predictions, logprob = ns["make_nn_funs"](
        layer_sizes=[1, 6, 6, 1], L2_reg=0.1, noise_variance=0.01, nonlinearity=rbf)
    inputs, targets = s.data["inputs"], s.data["targets"]
    log_posterior = lambda weights, t: logprob(weights, inputs, targets)  # noqa: E731
    return _bbsvi_objective(ex, log_posterior, num_weights, s.data["num_samples"])


def gaussian_process(ex, s):
    gp = load(ex, "gaussian_process")
    _, _, log_marginal_likelihood = gp["make_gp_funs"](gp["rbf_covariance"],
                                                       num_cov_params=s.data["D"] + 1)
    return lambda params: -log_marginal_likelihood(params, s.data["X"], s.data["y"])


def gplvm(ex, s):
    gp = load(ex, "gaussian_process")
    ns = load(ex, "gplvm")
    np_, norm = ns["np"], ns["norm"]
    data, data_dimension = s.data["data"], s.data["data_dimension"]
    latent_dimension = s.data["latent_dimension"]
    params_per_gp, _, log_marginal_likelihood = gp["make_gp_funs"](
        gp["rbf_covariance"], num_cov_params=latent_dimension + 1)
    total_gp_params = data_dimension * params_per_gp

    def objective(params):  # the original's __main__
        gp_params = np_.reshape(params[:total_gp_params], (data_dimension, params_per_gp))
        latents = np_.reshape(params[total_gp_params:], (data.shape[0], latent_dimension))
        gp_likelihood = sum([log_marginal_likelihood(gp_params[i], latents, data[:, i])
                             for i in range(data_dimension)])
        return -gp_likelihood - np_.sum(norm.logpdf(latents))
    return objective


def deep_gaussian_process(ex, s):
    gp = load(ex, "gaussian_process")
    # build_deep_gp reads n_data, X and y from the script's globals
    ns = load(ex, "deep_gaussian_process", **s.data)
    _, log_marginal_likelihood, _, _, _ = ns["build_deep_gp"](1, 1, gp["rbf_covariance"])
    return lambda params: -log_marginal_likelihood(params)


def bayesian_optimization(ex, s):
    gp = load(ex, "gaussian_process")
    ns = load(ex, "bayesian_optimization")
    np_, norm = ns["np"], ns["norm"]
    _, _, log_marginal_likelihood = gp["make_gp_funs"](gp["rbf_covariance"],
                                                       num_cov_params=s.data["D"] + 1)
    X, y = s.data["X"], s.data["y"]
    log_hyperprior = lambda params: np_.sum(norm.logpdf(params, 0.0, 100.0))  # noqa: E731
    return lambda params: -log_marginal_likelihood(params, X, y) - log_hyperprior(params)


def bayesian_optimization_acquisition(ex, s):
    gp = load(ex, "gaussian_process")
    ns = load(ex, "bayesian_optimization")
    np_ = ns["np"]
    _, predict, _ = gp["make_gp_funs"](gp["rbf_covariance"], num_cov_params=s.data["D"] + 1)
    X, y, model_params = s.data["X"], s.data["y"], s.data["model_params"]

    def predict_func(xstar):  # from bayesian_optimize
        mean, cov = predict(model_params, X, y, xstar)
        return mean, np_.sqrt(np_.diag(cov))

    def acquisition_function(xstar):
        xstar = np_.atleast_2d(xstar)
        mean, std = predict_func(xstar)
        return ns["expected_new_max"](mean, std, ns["defaultmax"](y))
    return lambda x: -acquisition_function(x)


def gmm(ex, s):
    ns = load(ex, "gmm")
    return lambda params: -ns["gmm_log_likelihood"](params, s.data["data"])


def hmm_em(ex, s):
    return load(ex, "hmm_em")["log_partition_function"]


def rnn(ex, s):
    ns = load(ex, "rnn")
    inputs = s.data["train_inputs"]
    return lambda params, iter: -ns["rnn_log_likelihood"](params, inputs, inputs)


def lstm(ex, s):
    ns = load(ex, "lstm")
    inputs = s.data["train_inputs"]
    return lambda params, iter: -ns["lstm_log_likelihood"](params, inputs, inputs)


def ica(ex, s):
    ns = load(ex, "ica")
    np_, d = ns["np"], s.data
    num_weights, _, logprob, unpack_weights = ns["make_ica_funs"](
        d["observed_dimension"], d["latent_dimension"])
    n, latent_dimension = d["n_samples"], d["latent_dimension"]

    def objective(params):  # the original's __main__
        weights = unpack_weights(params[:num_weights])
        latents = np_.reshape(params[num_weights: num_weights + latent_dimension * n],
                              (latent_dimension, n))
        noise_std = np_.exp(params[-1])
        return -logprob(weights, latents, noise_std, d["data"]) / n
    return objective


def variational_autoencoder(ex, s):
    ns = load(ex, "variational_autoencoder")
    d = s.data

    def objective(combined_params, iter, eps):  # a fresh seed: it draws eps
        idx = iter % d["num_batches"]
        idx = slice(idx * d["batch_size"], (idx + 1) * d["batch_size"])
        gen_params, rec_params = combined_params
        seed = ns["npr"].RandomState(0)
        return -ns["vae_lower_bound"](gen_params, rec_params, d["train_images"][idx],
                                      seed) / d["data_dim"]
    return objective


def generative_adversarial_net(ex, s):
    ns = load(ex, "generative_adversarial_net")
    d = s.data

    def objective(gen_params, dsc_params, iter, noise):  # a fresh seed: it draws noise
        idx = iter % d["num_batches"]
        idx = slice(idx * d["batch_size"], (idx + 1) * d["batch_size"])
        return ns["gan_objective"](gen_params, dsc_params, d["train_images"][idx],
                                   d["batch_size"], d["noise_dim"], ns["npr"].RandomState(0))
    return objective


def mixture_variational_inference(ex, s):
    ns = load(ex, "mixture_variational_inference")
    norm, np_, d = ns["norm"], ns["np"], s.data

    def log_density(x, t):  # from the original's __main__
        mu, log_sigma = x[:, 0], x[:, 1]
        sigma_density = norm.logpdf(log_sigma, 0, 1.35)
        mu_density = norm.logpdf(mu, -0.5, np_.exp(log_sigma))
        sigma_density2 = norm.logpdf(log_sigma, 0.1, 1.35)
        mu_density2 = norm.logpdf(mu, 0.5, np_.exp(log_sigma))
        return np_.logaddexp(sigma_density + mu_density, sigma_density2 + mu_density2)

    def objective(params, t, eps):  # a fresh RandomState(0): it draws eps
        _, elbo, _, _ = ns["build_mog_bbsvi"](log_density, num_samples=d["num_samples"],
                                              k=d["k"], rs=ns["npr"].RandomState(0))
        return -elbo(params, t)
    return objective


def convnet(ex, s):
    ns = load(ex, "convnet")
    specs = [ns["conv_layer"]((3, 3), 2), ns["maxpool_layer"]((2, 2)),
             ns["conv_layer"]((2, 2), 3), ns["maxpool_layer"]((2, 2)),
             ns["tanh_layer"](6), ns["softmax_layer"](3)]
    _, _, loss, _ = ns["make_nn_funs"](s.data["input_shape"], specs, s.data["L2_reg"])
    return loss


def fluidsim(ex, s):
    ns = load(os.path.join(ex, "fluidsim"), "fluidsim")
    np_, d = ns["np"], s.data
    rows = cols = d["rows"]

    def objective(params):  # the original's __main__
        init_vx = np_.reshape(params[: (rows * cols)], (rows, cols))
        init_vy = np_.reshape(params[(rows * cols):], (rows, cols))
        final_smoke = ns["simulate"](init_vx, init_vy, d["init_smoke"],
                                     d["simulation_timesteps"])
        return np_.mean((d["target"] - final_smoke) ** 2)
    return objective


def wing(ex, s):
    ns = load(os.path.join(ex, "fluidsim"), "wing", rows=40, cols=60)
    np_, d = ns["np"], s.data

    def objective(params):  # the original's __main__
        cur_occlusion = np_.reshape(params, (40, 60))
        final_vx, final_vy = ns["simulate"](d["init_vx"], d["init_vy"],
                                            d["simulation_timesteps"], cur_occlusion)
        return -np_.mean(final_vy - d["init_vy"]) / np_.mean(d["init_vx"] - final_vx)
    return objective


def ode_net(ex, s):
    ns = load(ex, "ode_net")
    d = s.data
    return lambda params, iter: ns["L1_loss"](ns["ode_pred"](params, d["true_y0"], d["t"]),
                                              d["true_y"])


def rkhs(ex, s):
    ns = load(ex, "rkhs")
    np_ = ns["np"]

    def sq_exp_kernel(x1, x2):  # from the original's __main__
        return np_.exp(-((x1 - x2) ** 2))

    def logprob(f, xs, ys):  # from the original's __main__
        return -sum((f(x) - y) ** 2 for x, y in zip(xs, ys))
    # the port's function, as the original's RKHSFun
    logprob.convert_args = lambda args: (ns["RKHSFun"](sq_exp_kernel, s.data["alphas"]),
                                         *args[1:])
    return logprob
