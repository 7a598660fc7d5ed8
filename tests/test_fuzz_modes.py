"""The fuzzer's random programs, compiled with jvp, vjp and hvp: every one that is
smooth at its point must pass compile-time verification of those functions (jvp against
differences and the dot-product test against vjp, hvp against differences of the
gradient and for symmetry), and its hvp must match autograd's forward-over-reverse
where autograd runs the program."""

from __future__ import annotations

import warnings

import numpy as np

from bpcompiler import compile_grad
from bpcompiler.errors import FunctionRaisedError, VerificationError
from bpcompiler.ops import REGISTRY

from fuzz import programs

SEEDS = range(30_000, 30_060)


def _autograd_hvp(program, directory, index, v):
    import autograd
    source = program.source.replace("import numpy as np", "import autograd.numpy as np")
    source = source.replace("import math\n", "import autograd.numpy as math\n")
    source = source.replace("math.fabs(", "math.abs(").replace("math.atan(", "math.arctan(") \
        .replace("math.pow(", "math.power(")
    f = programs.load(source, directory).f
    args = list(programs._upcast(a) for a in program.args)

    def of(xs):
        call = list(args)
        for i, x in zip(index, xs):
            call[i] = x
        return f(*call)

    def along(xs):
        g = autograd.grad(of)(xs)
        return sum(np.sum(a * b) for a, b in zip(g, v))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return autograd.grad(along)(tuple(args[i] for i in index))
    except Exception:
        return None


def test_fuzzed_programs_get_verified_jvps_and_hvps():
    directory = programs.temp_directory()
    checked = against_autograd = 0
    for seed in SEEDS:
        program = programs.generate(programs.RandomChooser(seed), 8)
        if program.dtype != "float64" or any(
                REGISTRY[o].kink or REGISTRY[o].jump for o in program.ops if o in REGISTRY):
            continue  # at a kink or jump, differences of the gradient say nothing
        f = programs.load(program.source, directory).f
        try:
            c = compile_grad(f, program.args, wrt=program.wrt,
                             emit=("grad", "jvp", "vjp", "hvp"))
        except VerificationError as exc:
            assert "not smooth" in exc.problem, f"{program.describe()}\n{exc}"
            continue
        except FunctionRaisedError as exc:
            assert "perturbed" in exc.problem, f"{program.describe()}\n{exc}"
            continue
        checked += 1
        index = [program.params.index(w) for w in c.module.WRT]
        rng = np.random.default_rng(seed)
        v = tuple(float(rng.uniform(-1, 1)) if isinstance(program.args[i], float) else
                  rng.uniform(-1, 1, np.shape(program.args[i])) for i in index)
        want = _autograd_hvp(program, directory, index, v)
        if want is None:
            continue
        against_autograd += 1
        for got, w in zip(c.module.hvp(*program.args, v), want):
            scale = float(np.max(np.abs(w), initial=0.0)) + 1e-12
            assert float(np.max(np.abs(np.asarray(got) - w), initial=0.0)) <= 1e-8 * scale \
                + 1e-12, program.describe()
    assert checked >= 15 and against_autograd >= 10, (checked, against_autograd)
