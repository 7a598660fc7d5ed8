"""Nothing lost (atomic writes, no overwriting of files bpcompiler did not write),
determinism (byte-identical output whatever PYTHONHASHSEED is), names that never
collide, and constants reproduced exactly."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bpcompiler import OutputFileError, TracedBranchError, compile_grad
from bpcompiler.writer import MARKER, write_atomically

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def square_sum(x):
    return np.sum(x * x)


def branchy(x):
    if x > 0:
        return x
    return -x


# -- nothing lost ----------------------------------------------------------------------

def test_write_replaces_a_generated_file(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(f"{MARKER} 0.0\nold\n")
    write_atomically(str(path), f"{MARKER} 0.1\nnew\n")
    assert path.read_text() == f"{MARKER} 0.1\nnew\n"
    assert os.listdir(tmp_path) == ["m.py"]


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_a_failure_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch, where):
    path = tmp_path / "m.py"
    old = f"{MARKER} 0.0\nold contents\n"
    path.write_text(old)
    real_fdopen = os.fdopen

    class Failing:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, text):
            self.f.write(text[:10])  # part of the text reaches the temporary file
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.f, name)

    if where == "write":
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: Failing(real_fdopen(*a, **k)))
    elif where == "fsync":
        monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "I/O")))
    else:
        monkeypatch.setattr(os, "replace", lambda a, b: (_ for _ in ()).throw(OSError(13, "no")))
    with pytest.raises(OutputFileError, match="unchanged"):
        write_atomically(str(path), f"{MARKER} 0.1\n" + "new contents\n" * 1000)
    assert path.read_text() == old
    assert os.listdir(tmp_path) == ["m.py"]  # the temporary file is gone


def test_an_interrupt_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.py"
    path.write_text(f"{MARKER} 0.0\nold\n")

    def interrupt(fd):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(str(path), f"{MARKER} 0.1\nnew\n")
    assert path.read_text() == f"{MARKER} 0.0\nold\n"
    assert os.listdir(tmp_path) == ["m.py"]


def test_compile_refuses_to_overwrite_a_file_it_did_not_generate(tmp_path):
    path = tmp_path / "precious.py"
    path.write_text("# my own code\n")
    with pytest.raises(OutputFileError, match="--force"):
        compile_grad(square_sum, (np.ones(3),), out=str(path))
    assert path.read_text() == "# my own code\n"
    compile_grad(square_sum, (np.ones(3),), out=str(path), force=True)
    assert path.read_text().startswith(MARKER)


def test_compile_refuses_a_directory(tmp_path):
    with pytest.raises(OutputFileError, match="directory"):
        compile_grad(square_sum, (np.ones(3),), out=str(tmp_path))


def test_failure_writes_nothing_and_keeps_the_previous_module(tmp_path):
    path = tmp_path / "m.py"
    compile_grad(square_sum, (np.ones(3),), out=str(path))
    before = path.read_text()
    with pytest.raises(TracedBranchError):
        compile_grad(branchy, (1.0,), out=str(path))
    assert path.read_text() == before
    # m.args.npz: the example arguments the first module's recorded command reads
    assert sorted(os.listdir(tmp_path)) == ["m.args.npz", "m.py"]


def test_cli_refuses_to_overwrite_without_force(tmp_path):
    (tmp_path / "m.py").write_text("import numpy as np\n\n\ndef f(x: 'f64[3]'):\n"
                                   "    return np.sum(x * x)\n")
    (tmp_path / "out.py").write_text("precious = 1\n")
    result = cli(["compile", "m.py:f", "-o", "out.py"], tmp_path)
    assert result.returncode == 1 and "OutputFileError" in result.stderr
    assert (tmp_path / "out.py").read_text() == "precious = 1\n"
    result = cli(["compile", "m.py:f", "-o", "out.py", "--force"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.py").read_text().startswith(MARKER)


# -- determinism -----------------------------------------------------------------------

def cli(argv, cwd, seed="0"):
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONHASHSEED=seed)
    return subprocess.run([sys.executable, "-m", "bpcompiler", *argv], cwd=cwd,
                          capture_output=True, text=True, env=env)


# Sets, dicts of names, several names for one constant, helpers, closures: whatever
# could leak hash order into the output.
DETERMINISM_SOURCE = textwrap.dedent('''
    import math
    import numpy as np

    SHARED = np.array([0.5, -0.25, 2.0])
    ALIAS = SHARED
    OTHER = SHARED
    SCALES = {"a": 1.5, "b": -0.5, "c": 2.5}
    KEYS = {"b", "a", "c", "d", "e"}


    def helper(u, w):
        return np.tanh(u) * w


    def loss(x: "f64[3]", W: "f64[4,3]", s: "float", labels: "i64[4]"):
        total = 0.0
        for key in sorted(KEYS & set(SCALES)):
            total = total + SCALES[key] * np.sum(helper(W @ x, SHARED[0]))
        h = np.exp(-(W @ (x * ALIAS)) ** 2) + OTHER[1]
        z = math.tanh(s) * np.sum(h * labels) + np.mean(np.maximum(W, 0.0) * SHARED)
        return total + z + s * s
''')


def test_output_is_byte_identical_whatever_the_hash_seed(tmp_path):
    (tmp_path / "model.py").write_text(DETERMINISM_SOURCE)
    outputs = []
    for seed in ("0", "1", "12345", "random"):
        out = f"out_{seed}.py"
        result = cli(["compile", "model.py:loss", "-o", out], tmp_path, seed=seed)
        assert result.returncode == 0, result.stderr
        text = (tmp_path / out).read_text()
        outputs.append(text.replace(f"-o {out}", "-o OUT"))
    assert all(o == outputs[0] for o in outputs[1:])


# -- names -----------------------------------------------------------------------------

def shadowing(np, math, value_and_grad, grad, forward, WRT, abs, float, np_, builtins_):
    import numpy
    return (numpy.sum(numpy.tanh(np) * math) + value_and_grad * grad * forward + WRT
            + numpy.sum(np_ * np[:2]) + abs * float + builtins_ * numpy.abs(float))


def test_parameters_named_like_the_modules_and_functions_work():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=3), 0.3, 0.4, -0.7, 0.9, 1.1, 1.2, 1.3, rng.normal(size=2), 0.5)
    c = compile_grad(shadowing, args)
    assert c.module.forward(*args) == pytest.approx(shadowing(*args), rel=1e-14)
    value, grads = c.module.value_and_grad(*args)
    again = c.module.grad(*args)
    assert len(grads) == len(again) == 10
    assert all(np.allclose(a, b) for a, b in zip(grads, again))
    assert c.module.WRT == ("np", "math", "value_and_grad", "grad", "forward", "WRT",
                            "abs", "float", "np_", "builtins_")
    # The parameters are read as np_arg, abs_arg, ...; np and abs (np.abs of a Python
    # float is the builtin) are bound back to what the statements mean.
    body = c.source.split("def forward")[1]
    assert "np_arg = np" in body and "import numpy as np" in body
    assert "from builtins import abs, float" in body


def unicode_names(α, βeta, größe):
    zwischen = np.tanh(α * βeta)
    return np.sum(zwischen) * größe


def test_non_ascii_identifiers_work():
    rng = np.random.default_rng(1)
    args = (rng.normal(size=3), rng.normal(size=3), 0.7)
    c = compile_grad(unicode_names, args)
    assert "def forward(\n    α: npt.NDArray[np.float64],\n    βeta: npt.NDArray[np.float64],\n" \
        "    größe: float,\n) -> Float64Scalar:" in c.source
    assert "zwischen = np.tanh(α * βeta)" in c.source
    assert c.module.forward(*args) == pytest.approx(unicode_names(*args), rel=1e-14)


# -- constants -------------------------------------------------------------------------

F32 = np.array([0.1, 1e-30, 3.4028235e38, -0.0], dtype=np.float32)
EXTREMES = np.array([5e-324, 1.2345678901234567e300, -0.0, 0.1, 1 / 3, -2.5e-300])
NEG_ZEROS = np.array([-0.0, -0.0, -0.0])
WITH_INF = np.array([1.0, np.inf, -np.inf])
INTS = np.array([3, -7, 2**40])
TINY = 1e-310
THIRD = 1 / 3


def uses_constants(x):
    a = np.sum(x[:4].astype(np.float32) * F32)
    b = np.sum(x[:3] * EXTREMES[:3]) + np.sum(x[3:] * EXTREMES[3:])
    c = np.sum(np.maximum(x[:3], NEG_ZEROS))
    d = np.sum(np.where(x[:3] > 5.0, WITH_INF, x[:3]))
    e = np.sum(x[:3] * INTS)
    return a + b + c + d + e + TINY * x[0] + THIRD * x[1]


def test_constants_are_reproduced_exactly():
    x = np.array([0.7, -0.3, 0.1, 0.4, 0.9, -0.6])
    c = compile_grad(uses_constants, (x,))
    namespace = vars(c.module)
    arrays = [v for k, v in namespace.items() if isinstance(v, np.ndarray) and k.isupper()]

    def embedded(expected):
        return any(a.dtype == expected.dtype and a.shape == expected.shape and
                   a.tobytes() == expected.tobytes() for a in arrays)
    assert embedded(F32) and embedded(NEG_ZEROS) and embedded(WITH_INF) and embedded(INTS)
    assert embedded(EXTREMES[:3]) and embedded(EXTREMES[3:])
    assert "1e-310" in c.source and "0.3333333333333333" in c.source
    assert c.module.forward(x) == uses_constants(x)


@pytest.mark.parametrize("value", [0.1, -0.0, 5e-324, 1.7976931348623157e308, 1 / 3,
                                   np.float32(0.1), np.float32(-0.0), np.float32(3e38)])
def test_scalar_constants_round_trip(value):
    from bpcompiler.emit import literal
    python = isinstance(value, float) and not isinstance(value, np.generic)
    text = literal(value, python).text
    back = eval(text, {"np": np, "math": math})
    assert type(back) is type(value)
    assert np.asarray(back).tobytes() == np.asarray(value).tobytes()


@pytest.mark.parametrize("array", [F32, EXTREMES, NEG_ZEROS, WITH_INF, INTS,
                                   np.array([np.nan, 1.0]), np.full((2, 3), -0.0),
                                   np.full(5, np.inf), np.array([True, False])])
def test_array_constants_round_trip(array):
    from bpcompiler.emit import array_literal
    back = eval(array_literal(array), {"np": np})
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array, equal_nan=True)
    assert np.array_equal(np.signbit(back), np.signbit(array)) if array.dtype.kind == "f" \
        else True


@pytest.mark.parametrize("array, text", [
    (np.arange(32), "np.arange(32)"),
    (np.arange(3.0, 12.0, 3.0), "np.arange(3.0, 12.0, 3.0)"),
    (np.arange(10, 0, -2), "np.arange(10, 0, -2)"),
    (np.eye(4, dtype=np.float32), "np.eye(4, dtype=np.float32)"),
    (np.array([0.0, 1.0, 3.0]), "np.array([0.0, 1.0, 3.0], dtype=np.float64)"),
    (np.array([-0.0, 1.0]), "np.array([-0.0, 1.0], dtype=np.float64)"),  # the sign of -0.0
])
def test_ranges_and_identities_are_built_not_printed(array, text):
    from bpcompiler.emit import array_literal
    assert array_literal(array) == text
    back = eval(text, {"np": np})
    assert back.dtype == array.dtype and np.array_equal(back, array)
    assert np.array_equal(np.signbit(back), np.signbit(array))
