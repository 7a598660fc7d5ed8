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


# name -> (port module, its setup function, the original, how it is differentiated)
CASES = {
    "rosenbrock": ("rosenbrock", "setup", originals.rosenbrock, "grad"),
    "logistic_regression": ("logistic_regression", "setup", originals.logistic_regression, "grad"),
    "tanh": ("tanh", "setup", originals.tanh, "elementwise"),
    "sinusoid": ("sinusoid", "setup", originals.sinusoid, "grad"),
    "sinusoid (Taylor series)": ("sinusoid", "setup_taylor", originals.sinusoid_taylor, "grad"),
    "define_gradient": ("define_gradient", "setup", originals.define_gradient, "grad"),
    "fixed_points": ("fixed_points", "setup", originals.fixed_points, "grad"),
    "negative_binomial_maxlike": ("negative_binomial_maxlike", "setup",
                                  originals.negative_binomial_maxlike, "grad"),
    "neural_net": ("neural_net", "setup", originals.neural_net, "grad"),
    "neural_net_regression": ("neural_net_regression", "setup", originals.neural_net_regression,
                              "grad"),
    "black_box_svi": ("black_box_svi", "setup", originals.black_box_svi, "grad"),
    "natural_gradient_black_box_svi": ("natural_gradient_black_box_svi", "setup",
                                       originals.natural_gradient_black_box_svi, "grad"),
    "bayesian_neural_net": ("bayesian_neural_net", "setup", originals.bayesian_neural_net, "grad"),
    "gaussian_process": ("gaussian_process", "setup", originals.gaussian_process, "grad"),
    "gplvm": ("gplvm", "setup", originals.gplvm, "grad"),
    "deep_gaussian_process": ("deep_gaussian_process", "setup", originals.deep_gaussian_process,
                              "grad"),
    "bayesian_optimization (GP hyperparameters)": (
        "bayesian_optimization", "setup", originals.bayesian_optimization, "grad"),
    "bayesian_optimization (acquisition)": (
        # returns shape (1,): grad is refused, with advice to emit vjp (autograd's
        # grad seeds a size-1 output with ones, as this VJP does)
        "bayesian_optimization", "setup_acquisition", originals.bayesian_optimization_acquisition,
        "elementwise"),
    "gmm": ("gmm", "setup", originals.gmm, "grad"),
    "hmm_em": ("hmm_em", "setup", originals.hmm_em, "grad"),
    "rnn": ("rnn", "setup", originals.rnn, "grad"),
    "lstm": ("lstm", "setup", originals.lstm, "grad"),
    "ica": ("ica", "setup", originals.ica, "grad"),
    "variational_autoencoder": ("variational_autoencoder", "setup",
                                originals.variational_autoencoder, "grad"),
    "generative_adversarial_net": ("generative_adversarial_net", "setup",
                                   originals.generative_adversarial_net, "grad"),
    "mixture_variational_inference": ("mixture_variational_inference", "setup",
                                      originals.mixture_variational_inference, "grad"),
    "convnet": ("convnet", "setup", originals.convnet, "grad"),
    "fluidsim": ("fluidsim", "setup", originals.fluidsim, "grad"),
    "wing": ("wing", "setup", originals.wing, "grad"),
    "ode_net": ("ode_net", "setup", originals.ode_net, "grad"),
    "rkhs": ("rkhs", "setup", originals.rkhs, "grad"),
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
    "fixed_points": (
        "a while loop's condition depends on a traced value",
        "fixed_point iterates until two iterates are within 1e-4: the trip count depends "
        "on a (autograd differentiates it by the implicit function theorem)"),
    "ode_net": (
        "odeint of traced values is not supported: its code needs concrete numbers",
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


def _compile(name, s, args=None):
    mode = CASES[name][3]
    emit = ("vjp",) if mode == "elementwise" else ("grad",)
    return compile_grad(s.f, s.args if args is None else args, wrt=s.wrt, emit=emit,
                        specs=s.specs, control_flow=s.control_flow)


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
        try:
            ours = _ours(name, module, args)
        except ValueError as exc:  # a guarded loop runs longer or shorter here
            assert s.control_flow == "guard" and type(exc).__name__ == "OtherPathError", exc
            ours = _ours(name, _compile(name, s, args).module, args)
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


def test_the_readme_counts_them():
    readme = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    passing = len(CASES) - len(REFUSED)
    assert f"**{passing} of the {len(CASES)} objectives compile and match" in text
    for name in REFUSED:  # each refusal is listed with its reason
        example = name.split(" (")[0]
        assert f"| {example} |" in text, name
