"""autograd 1.9.1's example objectives, ported to plain NumPy/SciPy
(tests/autograd_examples/), compile and match autograd running the ORIGINAL code from
the sdist (tests/autograd_originals.py) at the example's data, at a second point and,
where the objective has one, at a second batch size. A refused example is listed in
REFUSED with its reason and the message it is refused with: when it starts compiling
this test fails, and it moves to the passing list (issue 11; README "autograd's
examples")."""

from __future__ import annotations

import importlib
import inspect
import os

import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad

import autograd_originals as originals

autograd = pytest.importorskip("autograd", reason="autograd is the reference")


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    found = originals.examples_dir(str(tmp_path_factory.mktemp("autograd_sdist")))
    if found is None:
        pytest.skip(f"the autograd {originals.VERSION} sdist is not in {originals.CACHE}")
    return found


# ---- the originals, built as each example's __main__ builds them ----------------------

def _rosenbrock(ex, s):
    return originals.load(ex, "rosenbrock")["rosenbrock"]


def _logistic_regression(ex, s):
    return originals.load(ex, "logistic_regression", **s.data)["training_loss"]


def _tanh(ex, s):
    return originals.load(ex, "tanh")["tanh"]


def _sinusoid(ex, s):
    return originals.nth_definition(ex, "sinusoid", "fun", 0)


def _sinusoid_taylor(ex, s):
    return originals.nth_definition(ex, "sinusoid", "fun", 1)


def _define_gradient(ex, s):
    ns = originals.load(ex, "define_gradient")
    np_ = ns["np"]

    def example_func(y):  # from the original's __main__ block
        z = y**2
        lse = ns["logsumexp"](z)
        return np_.sum(lse)
    return example_func


def _fixed_points(ex, s):
    return originals.load(ex, "fixed_points")["sqrt"]


def _negative_binomial_maxlike(ex, s):
    ns = originals.load(ex, "negative_binomial_maxlike")
    data = s.data["data"]
    return lambda r, p: ns["np"].sum(ns["negbin_loglike"](r, p, data))



def _neural_net(ex, s):
    nn = originals.load(ex, "neural_net")
    d = s.data

    def objective(params, iter):  # the original's __main__, with the port's data
        idx = iter % d["num_batches"]
        idx = slice(idx * d["batch_size"], (idx + 1) * d["batch_size"])
        return -nn["log_posterior"](params, d["images"][idx], d["labels"][idx], d["L2_reg"])
    return objective


def _neural_net_regression(ex, s):
    nn = originals.load(ex, "neural_net_regression")
    d = s.data

    def objective(weights, t):
        return (-nn["logprob"](weights, d["inputs"], d["targets"])
                - nn["log_gaussian"](weights, d["weight_prior_variance"]))
    return objective


def _bbsvi_objective(ex, log_density, D, num_samples):
    """A fresh black_box_variational_inference per call: its RandomState(0) then
    draws the same noise the port is given."""
    bbsvi = originals.load(ex, "black_box_svi")["black_box_variational_inference"]

    def objective(params, t, noise):
        variational_objective, _, _ = bbsvi(log_density, D, num_samples)
        return variational_objective(params, t)
    return objective


def _black_box_svi(ex, s):
    ns = originals.load(ex, "black_box_svi")
    norm, np_ = ns["norm"], ns["np"]

    def log_density(x, t):  # from the original's __main__
        mu, log_sigma = x[:, 0], x[:, 1]
        sigma_density = norm.logpdf(log_sigma, 0, 1.35)
        mu_density = norm.logpdf(mu, 0, np_.exp(log_sigma))
        return sigma_density + mu_density
    return _bbsvi_objective(ex, log_density, s.data["D"], s.data["num_samples"])


def _natural_gradient_black_box_svi(ex, s):
    ns = originals.load(ex, "black_box_svi")
    norm, np_ = ns["norm"], ns["np"]
    Y, obs_dim = s.data["Y"], s.data["obs_dim"]

    def log_density(x, t):  # from the original's __main__
        mu, log_sigma = x[:, :obs_dim], x[:, obs_dim:]
        sigma_density = np_.sum(norm.logpdf(log_sigma, 0, 1.35), axis=1)
        mu_density = np_.sum(norm.logpdf(Y, mu, np_.exp(log_sigma)), axis=1)
        return sigma_density + mu_density
    return _bbsvi_objective(ex, log_density, s.data["D"], s.data["num_samples"])


def _bayesian_neural_net(ex, s):
    ns = originals.load(ex, "bayesian_neural_net")
    np_ = ns["np"]
    rbf = lambda x: np_.exp(-(x**2))  # noqa: E731
    num_weights, predictions, logprob = ns["make_nn_funs"](
        layer_sizes=[1, 6, 6, 1], L2_reg=0.1, noise_variance=0.01, nonlinearity=rbf)
    inputs, targets = s.data["inputs"], s.data["targets"]
    log_posterior = lambda weights, t: logprob(weights, inputs, targets)  # noqa: E731
    return _bbsvi_objective(ex, log_posterior, num_weights, s.data["num_samples"])


def _gaussian_process(ex, s):
    gp = originals.load(ex, "gaussian_process")
    _, _, log_marginal_likelihood = gp["make_gp_funs"](gp["rbf_covariance"],
                                                       num_cov_params=s.data["D"] + 1)
    return lambda params: -log_marginal_likelihood(params, s.data["X"], s.data["y"])


def _gplvm(ex, s):
    gp = originals.load(ex, "gaussian_process")
    ns = originals.load(ex, "gplvm")
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


def _deep_gaussian_process(ex, s):
    gp = originals.load(ex, "gaussian_process")
    # build_deep_gp reads n_data, X and y from the script's globals
    ns = originals.load(ex, "deep_gaussian_process", **s.data)
    _, log_marginal_likelihood, _, _, _ = ns["build_deep_gp"](1, 1, gp["rbf_covariance"])
    return lambda params: -log_marginal_likelihood(params)


def _bayesian_optimization(ex, s):
    gp = originals.load(ex, "gaussian_process")
    ns = originals.load(ex, "bayesian_optimization")
    np_, norm = ns["np"], ns["norm"]
    _, _, log_marginal_likelihood = gp["make_gp_funs"](gp["rbf_covariance"],
                                                       num_cov_params=s.data["D"] + 1)
    X, y = s.data["X"], s.data["y"]
    log_hyperprior = lambda params: np_.sum(norm.logpdf(params, 0.0, 100.0))  # noqa: E731
    return lambda params: -log_marginal_likelihood(params, X, y) - log_hyperprior(params)


def _bayesian_optimization_acquisition(ex, s):
    gp = originals.load(ex, "gaussian_process")
    ns = originals.load(ex, "bayesian_optimization")
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


def _gmm(ex, s):
    ns = originals.load(ex, "gmm")
    return lambda params: -ns["gmm_log_likelihood"](params, s.data["data"])


def _hmm_em(ex, s):
    return originals.load(ex, "hmm_em")["log_partition_function"]


def _rnn(ex, s):
    ns = originals.load(ex, "rnn")
    inputs = s.data["train_inputs"]
    return lambda params, iter: -ns["rnn_log_likelihood"](params, inputs, inputs)


def _lstm(ex, s):
    ns = originals.load(ex, "lstm")
    inputs = s.data["train_inputs"]
    return lambda params, iter: -ns["lstm_log_likelihood"](params, inputs, inputs)


def _ica(ex, s):
    ns = originals.load(ex, "ica")
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


def _variational_autoencoder(ex, s):
    ns = originals.load(ex, "variational_autoencoder")
    d = s.data

    def objective(combined_params, iter, eps):  # a fresh seed: it draws eps
        idx = iter % d["num_batches"]
        idx = slice(idx * d["batch_size"], (idx + 1) * d["batch_size"])
        gen_params, rec_params = combined_params
        seed = ns["npr"].RandomState(0)
        return -ns["vae_lower_bound"](gen_params, rec_params, d["train_images"][idx],
                                      seed) / d["data_dim"]
    return objective


def _generative_adversarial_net(ex, s):
    ns = originals.load(ex, "generative_adversarial_net")
    d = s.data

    def objective(gen_params, dsc_params, iter, noise):  # a fresh seed: it draws noise
        idx = iter % d["num_batches"]
        idx = slice(idx * d["batch_size"], (idx + 1) * d["batch_size"])
        return ns["gan_objective"](gen_params, dsc_params, d["train_images"][idx],
                                   d["batch_size"], d["noise_dim"], ns["npr"].RandomState(0))
    return objective


def _mixture_variational_inference(ex, s):
    ns = originals.load(ex, "mixture_variational_inference")
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


def _convnet(ex, s):
    ns = originals.load(ex, "convnet")
    specs = [ns["conv_layer"]((3, 3), 2), ns["maxpool_layer"]((2, 2)),
             ns["conv_layer"]((2, 2), 3), ns["maxpool_layer"]((2, 2)),
             ns["tanh_layer"](6), ns["softmax_layer"](3)]
    _, _, loss, _ = ns["make_nn_funs"](s.data["input_shape"], specs, s.data["L2_reg"])
    return loss


def _fluidsim(ex, s):
    ns = originals.load(os.path.join(ex, "fluidsim"), "fluidsim")
    np_, d = ns["np"], s.data
    rows = cols = d["rows"]

    def objective(params):  # the original's __main__
        init_vx = np_.reshape(params[: (rows * cols)], (rows, cols))
        init_vy = np_.reshape(params[(rows * cols):], (rows, cols))
        final_smoke = ns["simulate"](init_vx, init_vy, d["init_smoke"],
                                     d["simulation_timesteps"])
        return np_.mean((d["target"] - final_smoke) ** 2)
    return objective


def _wing(ex, s):
    ns = originals.load(os.path.join(ex, "fluidsim"), "wing", rows=40, cols=60)
    np_, d = ns["np"], s.data

    def objective(params):  # the original's __main__
        cur_occlusion = np_.reshape(params, (40, 60))
        final_vx, final_vy = ns["simulate"](d["init_vx"], d["init_vy"],
                                            d["simulation_timesteps"], cur_occlusion)
        return -np_.mean(final_vy - d["init_vy"]) / np_.mean(d["init_vx"] - final_vx)
    return objective


def _ode_net(ex, s):
    ns = originals.load(ex, "ode_net")
    d = s.data
    return lambda params, iter: ns["L1_loss"](ns["ode_pred"](params, d["true_y0"], d["t"]),
                                              d["true_y"])


def _rkhs(ex, s):
    ns = originals.load(ex, "rkhs")
    np_ = ns["np"]

    def sq_exp_kernel(x1, x2):  # from the original's __main__
        return np_.exp(-((x1 - x2) ** 2))

    def logprob(f, xs, ys):  # from the original's __main__
        return -sum((f(x) - y) ** 2 for x, y in zip(xs, ys))
    # the port's function, as the original's RKHSFun
    logprob.convert_args = lambda args: (ns["RKHSFun"](sq_exp_kernel, s.data["alphas"]),
                                         *args[1:])
    return logprob

# name -> (port module, its setup function, the original, how it is differentiated)
CASES = {
    "rosenbrock": ("rosenbrock", "setup", _rosenbrock, "grad"),
    "logistic_regression": ("logistic_regression", "setup", _logistic_regression, "grad"),
    "tanh": ("tanh", "setup", _tanh, "elementwise"),
    "sinusoid": ("sinusoid", "setup", _sinusoid, "grad"),
    "sinusoid (Taylor series)": ("sinusoid", "setup_taylor", _sinusoid_taylor, "grad"),
    "define_gradient": ("define_gradient", "setup", _define_gradient, "grad"),
    "fixed_points": ("fixed_points", "setup", _fixed_points, "grad"),
    "negative_binomial_maxlike": ("negative_binomial_maxlike", "setup",
                                  _negative_binomial_maxlike, "grad"),
    "neural_net": ("neural_net", "setup", _neural_net, "grad"),
    "neural_net_regression": ("neural_net_regression", "setup", _neural_net_regression,
                              "grad"),
    "black_box_svi": ("black_box_svi", "setup", _black_box_svi, "grad"),
    "natural_gradient_black_box_svi": ("natural_gradient_black_box_svi", "setup",
                                       _natural_gradient_black_box_svi, "grad"),
    "bayesian_neural_net": ("bayesian_neural_net", "setup", _bayesian_neural_net, "grad"),
    "gaussian_process": ("gaussian_process", "setup", _gaussian_process, "grad"),
    "gplvm": ("gplvm", "setup", _gplvm, "grad"),
    "deep_gaussian_process": ("deep_gaussian_process", "setup", _deep_gaussian_process,
                              "grad"),
    "bayesian_optimization (GP hyperparameters)": (
        "bayesian_optimization", "setup", _bayesian_optimization, "grad"),
    "bayesian_optimization (acquisition)": (
        # returns shape (1,): grad is refused, with advice to emit vjp (autograd's
        # grad seeds a size-1 output with ones, as this VJP does)
        "bayesian_optimization", "setup_acquisition", _bayesian_optimization_acquisition,
        "elementwise"),
    "gmm": ("gmm", "setup", _gmm, "grad"),
    "hmm_em": ("hmm_em", "setup", _hmm_em, "grad"),
    "rnn": ("rnn", "setup", _rnn, "grad"),
    "lstm": ("lstm", "setup", _lstm, "grad"),
    "ica": ("ica", "setup", _ica, "grad"),
    "variational_autoencoder": ("variational_autoencoder", "setup",
                                _variational_autoencoder, "grad"),
    "generative_adversarial_net": ("generative_adversarial_net", "setup",
                                   _generative_adversarial_net, "grad"),
    "mixture_variational_inference": ("mixture_variational_inference", "setup",
                                      _mixture_variational_inference, "grad"),
    "convnet": ("convnet", "setup", _convnet, "grad"),
    "fluidsim": ("fluidsim", "setup", _fluidsim, "grad"),
    "wing": ("wing", "setup", _wing, "grad"),
    "ode_net": ("ode_net", "setup", _ode_net, "grad"),
    "rkhs": ("rkhs", "setup", _rkhs, "grad"),
}

# name -> the setup's keyword for a second batch size (data points, samples, sequences)
SECOND_BATCH = {
    "tanh": {"n": 33},
    "negative_binomial_maxlike": {"size": 120},
    "neural_net": {"batch_size": 32},
    "neural_net_regression": {"n_data": 24},
    "black_box_svi": {"num_samples": 20},
    "natural_gradient_black_box_svi": {"num_samples": 12},
    "bayesian_neural_net": {"num_samples": 3},
    "gaussian_process": {"n_data": 14},
    "gplvm": {"num_per_class": 4},
    "deep_gaussian_process": {"n_data": 8},
    "bayesian_optimization (GP hyperparameters)": {"n": 4},
    "bayesian_optimization (acquisition)": {"n": 4},
    "gmm": {"num_per_class": 6},
    "rnn": {"num_lines": 2},
    "lstm": {"num_lines": 2},
    "ica": {"n_samples": 12},
    "variational_autoencoder": {"batch_size": 12},
    "generative_adversarial_net": {"batch_size": 9},
    "mixture_variational_inference": {"num_samples": 5},
    "convnet": {"batch_size": 7},
    "fluidsim": {"rows": 6},
}

# name -> (a fragment of the refusal's message, why it is refused)
REFUSED: dict[str, tuple[str, str]] = {
    "sinusoid (Taylor series)": (
        "Python control flow (if/while/and/or) depends on a traced value",
        "the series stops at the first term below 0.2 (`if np.abs(currterm) < 0.2: "
        "break`): how many terms it adds depends on x, and a module is straight-line "
        "code"),
    "fixed_points": (
        "a while loop's condition depends on a traced value",
        "fixed_point iterates until two iterates are within 1e-4: the trip count depends "
        "on a (autograd differentiates it by the implicit function theorem)"),
    "ode_net": (
        "a traced value was converted to a concrete NumPy array",
        "scipy.integrate.odeint runs compiled code on concrete floats; bpcompiler has no "
        "ODE solver op (autograd has one, differentiated by the adjoint ODE)"),
    "rkhs": (
        "its example value is a RKHSFun",
        "the parameter is a function, an object autograd makes a vector space; compile_grad "
        "takes floats, arrays and lists, tuples, dicts and dataclasses of them"),
}


# ---- comparing ------------------------------------------------------------------------

def _setup(name, **sizes):
    module, function, _, _ = CASES[name]
    port = importlib.import_module(f"autograd_examples.{module}")
    return getattr(port, function)(**sizes)


def _compile(name, s):
    mode = CASES[name][3]
    emit = ("vjp",) if mode == "elementwise" else ("grad",)
    return compile_grad(s.f, s.args, wrt=s.wrt, emit=emit, specs=s.specs)


def _ours(name, module, args):
    if CASES[name][3] == "elementwise":
        value, grads = module.vjp(*args, np.ones_like(np.asarray(module.forward(*args))))
        return value, grads
    return module.value_and_grad(*args)


def _theirs(name, original, params, wrt, args):
    args = getattr(original, "convert_args", lambda a: a)(args)
    argnums = tuple(params.index(w) for w in wrt)
    if CASES[name][3] == "elementwise":
        return original(*args), tuple(autograd.elementwise_grad(original, argnum=i)(*args)
                                      for i in argnums)
    value, grads = autograd.value_and_grad(original, argnum=argnums)(*args)
    return value, grads


def assert_close(ours, theirs, where="value"):
    """Same structure (lists, tuples, dicts) and every leaf close."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), where
        for key in theirs:
            assert_close(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a, b, f"{where}[{i}]")
    else:
        theirs = np.asarray(theirs, dtype=float)
        ours = np.asarray(ours)
        assert ours.shape == theirs.shape, f"{where}: shape {ours.shape} != {theirs.shape}"
        scale = max(1.0, float(np.max(np.abs(theirs), initial=0.0)))
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9 * scale,
                                   err_msg=where)


def _perturbed(value, rng):
    if isinstance(value, dict):
        return {k: _perturbed(v, rng) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_perturbed(v, rng) for v in value)
    if isinstance(value, float):
        return value + 0.05 * rng.standard_normal()
    return value + 0.05 * rng.standard_normal(np.shape(value))


def _points(s, params, wrt):
    if s.second is not None:
        return [s.args, s.second]
    rng = np.random.default_rng(1)
    second = tuple(_perturbed(a, rng) if p in wrt else a for p, a in zip(params, s.args))
    return [s.args, second]


def check(name, examples, s, module=None):
    """Compile `s` (unless given the module) and compare with autograd at its points."""
    module = module or _compile(name, s).module
    params = list(inspect.signature(s.f).parameters)
    wrt = list(module.WRT)
    original = CASES[name][2](examples, s)
    for args in _points(s, params, wrt):
        ours = _ours(name, module, args)
        theirs = _theirs(name, original, params, wrt, args)
        assert_close(ours[0], theirs[0], f"{name}: value")
        assert_close(tuple(ours[1]), tuple(theirs[1]), f"{name}: gradient")
    return module


# ---- the tests ------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in CASES if n not in REFUSED])
def test_example_compiles_and_matches_autograd(name, examples):
    module = check(name, examples, _setup(name))
    if name in SECOND_BATCH:
        s = _setup(name, **SECOND_BATCH[name])
        # a batch that is an argument (symbolic in the specs): the same module; a batch
        # the objective closes over (its data): the objective at that batch, compiled
        check(name, examples, s, module if s.specs else None)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_example_is_refused_with_its_reason(name, examples):
    s = _setup(name)
    with pytest.raises(CompileError) as refused:
        _compile(name, s)
    assert REFUSED[name][0] in str(refused.value)
    # and autograd runs the original, so the refusal is bpcompiler's gap, not the port's
    params = list(inspect.signature(s.f).parameters)
    wrt = [s.wrt] if isinstance(s.wrt, str) else list(s.wrt or params)
    value, _ = _theirs(name, CASES[name][2](examples, s), params, wrt, s.args)
    assert np.all(np.isfinite(value))
