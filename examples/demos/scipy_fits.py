"""The two SciPy fits, with the modules bpcompiler wrote into output/ (run
examples/regenerate.sh first), each against methods that use less of the derivative:

    python examples/demos/scipy_fits.py

1. Logistic regression by trust-region Newton-CG (`minimize(method="trust-ncg")` with
   the gradient and `hessp`, output/newton_fit_grad.py), against BFGS and nonlinear CG
   with the same gradient.
2. A damped oscillation by `least_squares` with the compiled Jacobian
   (output/decay_fit_grad.py), against the same fit with finite-difference Jacobians.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
from scipy.optimize import least_squares, minimize

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name: str):
    path = os.path.join(HERE, "..", "..", "output", f"{name}.py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def newton_fit(rng):
    fit = load("newton_fit_grad")
    X = rng.normal(size=(500, 5))
    truth = np.array([1.5, -2.0, 0.5, 3.0, -1.0])
    y = (rng.uniform(size=500) < 1 / (1 + np.exp(-(X @ truth + 0.3)))).astype(float)
    theta0 = np.zeros(6)

    def value_and_grad(theta):
        value, (d_theta,) = fit.value_and_grad(theta, X, y)
        return value, d_theta

    def hessp(theta, v):
        return fit.hvp(theta, X, y, (v,))[0]

    rows = []
    newton = minimize(value_and_grad, theta0, jac=True, hessp=hessp, method="trust-ncg",
                      options={"gtol": 1e-8})
    rows.append(("trust-ncg (gradient + hvp)", newton))
    for method in ("BFGS", "CG"):
        result = minimize(value_and_grad, theta0, jac=True, method=method,
                          options={"gtol": 1e-8})
        rows.append((f"{method} (gradient only)", result))
    return rows


def decay_fit(rng):
    fit = load("decay_fit_grad")
    t = np.linspace(0, 5, 200)
    truth = np.array([1.2, 0.6, 3.0, 0.4])
    y = fit.forward(truth, t, np.zeros_like(t)) + 0.02 * rng.normal(size=t.size)
    p0 = np.array([1.0, 1.0, 2.8, 0.0])
    rows = []
    result = least_squares(lambda p: fit.forward(p, t, y), p0,
                           jac=lambda p: fit.jacobian(p, t, y)[0])
    rows.append(("least_squares, compiled jacobian", result))
    for scheme in ("2-point", "3-point"):
        result = least_squares(lambda p: fit.forward(p, t, y), p0, jac=scheme)
        rows.append((f"least_squares, jac={scheme!r}", result))
    return rows


def main():
    rng = np.random.default_rng(0)
    print("| fit | method | iterations | function evaluations | derivative evaluations "
          "| final loss |")
    print("|---|---|---:|---:|---:|---:|")
    for name, result in newton_fit(rng):
        print(f"| logistic regression | {name} | {result.nit} | {result.nfev} | "
              f"{result.njev} gradients + {getattr(result, 'nhev', 0)} hvps | "
              f"{result.fun:.10f} |")
    for name, result in decay_fit(rng):
        # least_squares (method "trf") leaves the calls a finite-difference Jacobian makes
        # out of nfev: n per Jacobian for "2-point", 2n for "3-point" (n = 4 parameters).
        n = result.x.size
        extra = result.njev * (n if "2-point" in name else 2 * n if "3-point" in name else 0)
        print(f"| damped oscillation | {name} | {result.njev} | {result.nfev + extra} | "
              f"{result.njev} jacobians | {result.cost:.10f} |")


if __name__ == "__main__":
    main()
