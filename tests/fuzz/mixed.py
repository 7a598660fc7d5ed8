"""Mixed programs: Python floats, NumPy scalars (float64 and float32), 0-d arrays and
small float64/float32 arrays in one program, with `math` and `np` functions applied to
the same values (issue 10, item 6).

Each statement is a `math` statement (scalar operands of any kind, which `math` turns
into Python floats; operators between them follow NumPy's promotion: a Python float is
weak, an np.float64 strong) or a NumPy one (any operands: `np.tanh(p0)` of a Python
float is an np.float64, `np.divide` of two floats is NumPy's division; `np.dot` of a
Python float and a float32 array is float64, as np.dot makes an array of the float).
The oracle (programs.check_program) checks the value's dtype and that each gradient has
exactly its parameter's type and dtype, besides the numbers.

Builtin `max`/`min` are left out here: they return one of their operands, so with
operands of different kinds the result's type depends on the values (pure `math`
programs still use them).
"""

from __future__ import annotations

import numpy as np

from fuzz.programs import Value, _Builder, elementwise_ops

# Parameter kinds: the first five are scalars (math accepts them all).
KINDS = ("python", "float64", "float32", "0d-float64", "0d-float32", "array-float64",
         "array-float32")
SCALAR_KINDS = KINDS[:5]


class MixedBuilder(_Builder):
    """A program builder whose statements switch between `math` and NumPy; `self.mode`
    is the current statement's ("math" or "numpy"), "mixed" between statements."""

    def __init__(self, chooser, mode: str, dtype: str):
        super().__init__(chooser, "mixed", dtype)
        self.base = self.base[:2]  # scalars meet small arrays

    def step(self):
        self.mode = "math" if self.c.integer(0, 2) == 0 else "numpy"
        try:
            if self.mode == "numpy" and self.c.integer(0, 7) == 0:
                return self.dot()
            names = [n for n in elementwise_ops(self.mode)
                     if not (self.mode == "math" and n in ("maximum", "minimum"))]
            if self.mode == "numpy":
                names.append("where")
            return self.apply_op(self.c.choice(names))
        finally:
            self.mode = "mixed"

    def new_param(self, shape=None, python=None) -> Value:
        if python:
            kind = "python"
        elif shape is not None or python is False:
            kind = self.c.choice(KINDS[5:])
        else:
            kind = self.c.choice(SCALAR_KINDS if self.mode == "math" else KINDS)
        dtype = np.float32 if kind.endswith("float32") else np.float64
        if kind.startswith("array"):
            size = self.sub_shape() if shape is None else shape
            value = np.asarray(self.rng.uniform(-2, 2, size=size), dtype=dtype)
        else:
            x = float(self.rng.uniform(-2, 2))
            value = x if kind == "python" else np.array(x, dtype) if kind.startswith("0d") \
                else dtype(x)
        name = f"p{len(self.params)}"
        self.params.append(name)
        self.args.append(value)
        self.env[name] = value
        v = Value(name, value)
        self.values.append(v)
        return v

    def earlier(self) -> Value:
        if self.mode != "math":
            return super().earlier()
        scalars = [v for v in self.values if np.shape(v.value) == ()]
        if not scalars:
            return self.new_param()
        latest = [v for v in scalars if v.name.startswith("v") and v.traced]
        if latest and self.c.integer(0, 9) < 4:
            return latest[-1]
        return self.c.choice(scalars)

    def module_constant(self) -> Value:
        self.dtype = self.c.choice(["float64", "float32"])
        try:
            return super().module_constant()
        finally:
            self.dtype = "float64"

    def dot(self) -> bool:
        """np.dot with a scalar operand (a Python float, a NumPy scalar or a 0-d array)."""
        scalars = [v for v in self.values if np.shape(v.value) == ()]
        number = self.c.choice([0.5, -1.5, 2.0])
        a = self.c.choice(scalars) if scalars and self.c.boolean() else \
            Value(repr(number), number, traced=False)
        b = self.operand()
        pair = (a.name, b.name) if self.c.boolean() else (b.name, a.name)
        return self.try_add(f"np.dot({pair[0]}, {pair[1]})", "multiply")

    def term(self, v: Value) -> str:
        if np.shape(v.value) == () and self.c.boolean():
            return v.name  # the scalar itself: its type reaches the return value
        return f"np.{self.c.choice(['sum', 'mean'])}({v.name})"

    def finish(self):
        float32 = any(np.asarray(a).dtype == np.float32 for a in self.args) or \
            any("np.float32" in line for line in self.module_lines)
        self.dtype = "float32" if float32 else "float64"
        return super().finish()
