"""Python control flow on traced values (branches.py, ops/guard.py): refused by default
with advice that fits the statement; with control_flow="guard" the module follows the
example's path and raises OtherPathError for arguments that take another; an `assert`
is always kept as the check it is."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from bpcompiler import CompileError, compile_grad
from support.fd import central_differences

autograd = pytest.importorskip("autograd", reason="autograd is the reference")
anp = pytest.importorskip("autograd.numpy")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def taylor_sin(x, xp=np):
    term = x
    total = term
    for i in range(1000):
        term = -term * x**2 / ((2 * i + 3) * (2 * i + 2))
        total = total + term
        if xp.abs(term) < 0.2:
            break
    return total


def taylor_sin_np(x):
    return taylor_sin(x)


def piecewise(x):
    if x > 0:
        return x * x
    return -3.0 * x


def halve_until_small(x, W):
    y = np.tanh(W @ x)
    while np.sum(y * y) > 0.01:
        y = 0.5 * y
    return np.sum(y)


def both(x, y):
    if x > 0 and y > 0:
        return x * y
    return x + y


def checked(x):
    assert np.allclose(x, (x * 3.0) / 3.0)
    assert np.all(x > -10.0), "x out of range"
    return np.sum(np.sin(x))


def _other_path(module, *args):
    with pytest.raises(ValueError) as raised:
        module.grad(*args)
    assert type(raised.value).__name__ == "OtherPathError"
    return str(raised.value)


# ---- refused by default, with the way out named ------------------------------------------

@pytest.mark.parametrize("fn, args, fragment", [
    (piecewise, (2.0,), "np.where(cond, a, b)"),
    (taylor_sin_np, (1.3,), "a loop's exit (if ...: break)"),
    (halve_until_small, (np.ones(3), 0.5 * np.eye(3)), "a while loop's condition"),
])
def test_refused_by_default_with_the_guard_named(fn, args, fragment):
    with pytest.raises(CompileError) as refused:
        compile_grad(fn, args)
    message = str(refused.value)
    assert fragment in message and "control_flow='guard'" in message
    assert f"{__file__.rsplit('/', 1)[-1]}:" in message  # the user's line


# ---- guarded: the example's path, checked at call time -----------------------------------

@pytest.mark.parametrize("x", [1.3, 1.1, 1.45])
def test_taylor_series_matches_autograd_on_the_examples_path(x):
    module = compile_grad(taylor_sin_np, (1.3,), control_flow="guard").module
    value, (d_x,) = module.value_and_grad(x)
    expected = autograd.value_and_grad(lambda t: taylor_sin(t, anp))(x)
    assert value == pytest.approx(expected[0], rel=1e-12)
    assert d_x == pytest.approx(expected[1], rel=1e-12)


def test_taylor_series_elsewhere_raises_and_recompiles():
    module = compile_grad(taylor_sin_np, (1.3,), control_flow="guard").module
    message = _other_path(module, -4.0)  # more terms before one is below 0.2
    assert "`xp.abs(term) < 0.2` is False for these arguments but True" in message
    assert "test_control_flow.py:" in message and "compile again" in message
    again = compile_grad(taylor_sin_np, (-4.0,), control_flow="guard").module
    expected = autograd.grad(lambda t: taylor_sin(t, anp))(-4.0)
    assert again.grad(-4.0)[0] == pytest.approx(expected, rel=1e-12)


def test_if_takes_each_branch_where_the_example_does():
    pos = compile_grad(piecewise, (2.0,), control_flow="guard").module
    neg = compile_grad(piecewise, (-2.0,), control_flow="guard").module
    assert pos.grad(3.0) == (6.0,) and neg.grad(-0.5) == (-3.0,)
    assert "`x > 0` is False" in _other_path(pos, -1.0)
    assert "follows the path the example took through the conditions of line " in \
        pos.__doc__.replace("\n", " ")
    assert "`x > 0` is True" in _other_path(neg, 1.0)
    # the forward function checks too, before returning anything
    with pytest.raises(ValueError, match="example's path"):
        pos.forward(-1.0)


def test_and_or_guard_each_operand_they_evaluate():
    module = compile_grad(both, (1.0, 2.0), control_flow="guard").module
    assert module.grad(3.0, 0.5) == (0.5, 3.0)
    _other_path(module, -1.0, 2.0)
    _other_path(module, 1.0, -2.0)


def test_while_loop_unrolled_as_the_example_runs_it():
    W = 0.5 * np.eye(3) + 0.1
    x = np.array([1.0, -0.5, 0.25])
    module = compile_grad(halve_until_small, (x, W), control_flow="guard").module
    for scale in (1.0, 1.02, 0.98):
        args = (x * scale, W)
        d_x, d_W = module.grad(*args)
        for k, grad in enumerate((d_x, d_W)):
            numeric = central_differences(halve_until_small, args, k)
            np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    _other_path(module, 10 * x, W)  # more halvings


def test_verification_skips_perturbed_points_off_the_path():
    # at 1.001 the 2% perturbations of verification land on both sides of the branch
    c = compile_grad(piecewise, (0.001,), control_flow="guard")
    assert c.module.grad(0.5) == (1.0,)
    notes = " ".join(c.report.verification.notes)
    assert all("skipped" in n for n in c.report.verification.notes)
    assert c.report.verification.points >= 1 and (not notes or "x > 0" in notes)


def test_a_branch_on_an_int_parameter_still_makes_it_a_constant():
    def powered(x, n):
        if n > 2:
            return x ** 3
        return x * x
    module = compile_grad(powered, (2.0, 3), control_flow="guard").module
    assert module.grad(2.0, 3) == (12.0,)
    assert "OtherPathError" not in compile_grad(powered, (2.0, 3)).source


def test_guards_in_every_emitted_function():
    c = compile_grad(lambda x: np.sum(np.where(x > 0, x, 0.0) ** 2) if np.all(x > -5.0)
                     else 0.0, (np.array([1.0, -2.0]),), control_flow="guard",
                     emit=("grad", "jvp", "vjp", "hvp"))
    m, bad = c.module, np.array([1.0, -6.0])
    for call in (lambda: m.forward(bad), lambda: m.grad(bad),
                 lambda: m.jvp(bad, (np.ones(2),)), lambda: m.vjp(bad, 1.0),
                 lambda: m.hvp(bad, (np.ones(2),))):
        with pytest.raises(ValueError, match="OtherPathError|example's path"):
            call()


def test_an_array_condition_is_ambiguous_as_in_numpy():
    with pytest.raises(CompileError, match="ambiguous"):
        compile_grad(lambda x: np.sum(x) if x > 0 else 0.0, (np.ones(3),),
                     control_flow="guard")


def test_unknown_mode_is_an_argument_error():
    with pytest.raises(CompileError, match="control_flow='maybe'"):
        compile_grad(piecewise, (1.0,), control_flow="maybe")


# ---- assert: kept as a check, in every mode ----------------------------------------------

def test_assert_is_kept_as_the_check_it_is():
    x = np.array([1.0, 2.0, 3.0])
    c = compile_grad(checked, (x,))
    np.testing.assert_allclose(c.module.grad(x)[0], np.cos(x), rtol=1e-13)
    assert "raise AssertionError" in c.source and "OtherPathError" not in c.source
    with pytest.raises(AssertionError, match="assert np.all"):
        c.module.grad(np.array([1.0, -20.0, 3.0]))


def bounded(x):
    assert np.sum(x) > -10.0
    return np.sum(x * x)


def test_the_array_api_target_refuses_a_guard_by_name():
    with pytest.raises(CompileError, match="op 'guard' on this line"):
        compile_grad(bounded, (np.ones(3),), target="array-api")


# ---- the CLI -------------------------------------------------------------------------------

def test_cli_records_the_mode_and_check_reruns_it(tmp_path):
    source = tmp_path / "series.py"
    source.write_text("import numpy as np\n\n\n"
                      "def series(x: 'float in [0.5, 1.5]'):\n"
                      "    term = total = x\n"
                      "    i = 0\n"
                      "    while np.abs(term) > 1e-3:\n"
                      "        term = -term * x * x / ((2 * i + 3) * (2 * i + 2))\n"
                      "        total = total + term\n"
                      "        i += 1\n"
                      "    return total\n")
    out = tmp_path / "series_grad.py"
    run = [sys.executable, "-m", "bpcompiler"]
    env = dict(os.environ, PYTHONPATH=ROOT)
    refused = subprocess.run(run + ["compile", f"{source}:series", "-o", str(out)],
                             capture_output=True, text=True, cwd=tmp_path, env=env)
    assert refused.returncode != 0 and "--control-flow guard" in refused.stderr
    made = subprocess.run(run + ["compile", f"{source}:series", "-o", str(out), "-q",
                                 "--control-flow", "guard"],
                          capture_output=True, text=True, cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    text = out.read_text()
    assert "--control-flow guard" in text.splitlines()[2]  # # Regenerate: ...
    assert "while np.abs(term) > 1e-3" in text  # the provenance of each guard
    checked_ = subprocess.run(run + ["check", str(out)], capture_output=True, text=True,
                              cwd=tmp_path, env=env)
    assert checked_.returncode == 0, checked_.stdout + checked_.stderr
    namespace: dict = {}
    exec(compile(text, str(out), "exec"), namespace)
    x = 1.0
    (d_x,) = namespace["grad"](x)
    assert d_x == pytest.approx(math.cos(x), abs=1e-3)  # the series' own error


def test_the_numba_target_keeps_the_guards():
    pytest.importorskip("numba", reason="the numba target needs numba")

    def f(x):
        y = np.tanh(x) * 2.0 + np.exp(-x)
        if np.sum(x) > 0:
            return np.sum(y * y)
        return np.sum(y)
    x = np.linspace(0.1, 1.0, 50)
    module = compile_grad(f, (x,), control_flow="guard", target="numba").module
    reference = compile_grad(f, (x,), control_flow="guard").module
    np.testing.assert_allclose(module.grad(x * 1.1)[0], reference.grad(x * 1.1)[0],
                               rtol=1e-12)
    _other_path(module, -x)


def test_isclose_and_allclose_keep_numpys_options():
    def f(x, y):
        near = np.isclose(x, y, rtol=0.0, atol=0.05)
        assert np.allclose(x, x + 1e-9, rtol=1e-6, equal_nan=True)
        return np.sum(np.where(near, 0.0, (x - y) ** 2))
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.01, 2.5, 2.0])
    c = compile_grad(f, (x, y))
    assert "np.isclose(x, y, rtol=0.0, atol=0.05)" in c.source
    assert "equal_nan=True" in c.source
    d_x, d_y = c.module.grad(x, y)
    np.testing.assert_allclose(d_x, [0.0, -1.0, 2.0], rtol=1e-12)
    np.testing.assert_allclose(d_y, [0.0, 1.0, -2.0], rtol=1e-12)
