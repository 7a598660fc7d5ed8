"""Type hints on the emitted functions, so a module passes `mypy --strict` on its own.

Every hint says what the value is at run time, as the graph knows it:

    a Python scalar          float, int, bool
    a NumPy array            npt.NDArray[np.float64] (the dtype the module was compiled for)
    a NumPy 0-d result       Float64Scalar, an alias the module defines as
                             np.floating[Any] | npt.NDArray[np.float64]: a NumPy scalar,
                             or a 0-d array where NumPy makes one (np.where on scalars),
                             and NumPy's stubs type `u @ v` of vectors as an array
                             (see `_SCALARS` for the other dtypes)
    a 0-d parameter          npt.NDArray[np.float64], the 0-d array its guard checks for
    a 0-d direction          float: a tangent, cotangent or vector of a 0-d value
    a structured parameter   its containers: list[tuple[npt.NDArray[np.float64], ...]],
                             dict[str, ...]; Any for a NamedTuple or dataclass, whose
                             class the standalone module cannot import
    a static parameter       the type of its example (int, str, None, ...)

On the array-API target an array is `Any` (see `ARRAY_API_ARRAY`). A module of Python
scalars imports nothing for its hints.
"""

from __future__ import annotations

import dataclasses
import re

from . import structure
from .signature import of_graph

# NumPy's stubs type a reduction of a float64 array (np.mean, -np.sum(x)) as
# np.floating[Any], which mypy does not accept where np.float64 is declared; the 32-bit
# scalars are aliases of floating[_32Bit], which it does accept.
_SCALARS = {"float64": "np.floating[Any]", "float32": "np.float32",
            "int64": "np.signedinteger[Any]", "int32": "np.int32", "bool": "np.bool"}
_PYTHON = {"f": "float", "i": "int", "u": "int", "b": "bool"}
SCALAR_NOTE = ("# A NumPy scalar, or a 0-d array: NumPy returns either (np.where of "
               "scalars makes a\n# 0-d array), and its stubs type np.sum(x) and u @ v "
               "as either.")
# The array API standard defines no static type that the arrays of every library it
# covers (NumPy, PyTorch, JAX, CuPy, Dask) are instances of.
ARRAY_API_ARRAY = "Any"
ARRAY_API_NOTE = ("# Arrays are hinted Any: the array API standard has no static type "
                  "that NumPy,\n# PyTorch, JAX, CuPy and Dask arrays all share.")


class Hints:
    """The hint of each value, parameter and result of one module's functions."""

    def __init__(self, g, target: str = "numpy", space=None):
        self.g, self.portable = g, target == "array-api"
        self.space = space  # the module's namespace, for the aliases' names
        self.aliases: dict[str, str] = {}  # dtype -> the alias of its 0-d values
        self.sig = of_graph(g)
        self.leaf_node = dict(zip(g.graph["params"], g.graph["inputs"]))
        self.arrays = None
        if self.portable:
            from .portable import array_valued
            self.arrays = array_valued(g)

    # -- single values ----------------------------------------------------------------
    def of_node(self, node: int) -> str:
        attrs = self.g._node[node]
        python = attrs["python"] and (self.arrays is None or node not in self.arrays)
        kind = _kind(attrs["dtype"])
        if python:
            return _PYTHON.get(kind, "float")
        if self.portable:
            return ARRAY_API_ARRAY
        if not attrs["shape"]:
            return self._scalar(attrs["dtype"])
        return f"npt.NDArray[np.{attrs['dtype']}]"

    def _scalar(self, dtype: str) -> str:
        """The alias of NumPy's 0-d values of `dtype` (`Float64Scalar`), claimed in the
        module's namespace the first time a hint needs it."""
        if dtype not in self.aliases:
            words = "".join(w.capitalize() for w in re.findall(r"[a-z]+|\d+", dtype))
            name = words + "Scalar"
            self.aliases[dtype] = name if self.space is None else self.space.claim(name)
        return self.aliases[dtype]

    def alias_lines(self) -> list[str]:
        """The module-level definitions of the aliases the hints used."""
        if self.portable and self.arrays:
            return [ARRAY_API_NOTE + "\n"]
        if not self.aliases:
            return []
        lines = [SCALAR_NOTE]
        for dtype, name in self.aliases.items():
            lines.append(f"{name} = {_SCALARS.get(dtype, 'Any')} | npt.NDArray[np.{dtype}]")
        return ["\n".join(lines) + "\n"]  # (a blank line before what follows)

    def of_input(self, node: int) -> str:
        """A parameter: a 0-d one is the 0-d array its guard checks for (`type(T) is
        not np.ndarray`; a NumPy scalar is accepted too, as an int is for a float)."""
        attrs = self.g._node[node]
        if not self.portable and not attrs["python"] and not attrs["shape"]:
            return f"npt.NDArray[np.{attrs['dtype']}]"
        return self.of_node(node)

    def output(self) -> str:
        """The function's value: one node, or a structured result's leaves."""
        leaves = self.g.graph.get("output_leaves")
        if leaves is None:
            return self.of_node(self.g.graph["output"])
        return self.structure_of_result([self.of_node(n) for n in leaves])

    def cotangent(self) -> str:
        """vjp's cotangent: shaped like the value, in its structure."""
        leaves = self.g.graph.get("output_leaves")
        if leaves is None:
            return self.direction(self.g.graph["output"])
        return self.structure_of_result([self.direction(n) for n in leaves])

    def structure_of_result(self, items: list[str]) -> str:
        kind, spec = self.g.graph["output_structure"]
        if kind == "tuple":
            return f"tuple[{', '.join(items)}]"
        container = "dict[str, {}]" if kind == "dict" else "list[{}]"
        return container.format(_common(items))

    # -- parameters -------------------------------------------------------------------
    def parameter(self, index: int) -> str:
        """The hint of the source's parameter `index` (a structure of leaves, a static
        value's type, or one leaf)."""
        p = self.sig.params[index]
        if p.static:
            return _literal_type(p.value)
        leaves = {leaf.path: self.of_input(self.leaf_node[leaf.name])
                  for leaf in self.sig.leaves if leaf.param == index}
        if not p.structured:
            return leaves[()]
        return _structure_type(p.value, leaves)

    def parameters(self) -> dict[str, str]:
        return {p.name: self.parameter(i) for i, p in enumerate(self.sig.params)}

    def gradients(self, nodes) -> list[str]:
        """One hint per WRT parameter: its gradient, in the parameter's structure."""
        wrt_params = self.g.graph.get("wrt_params", self.g.graph["wrt"])
        by_leaf = {name: self.of_node(n) for name, n in zip(self.g.graph["wrt"], nodes)}
        out = []
        for name in wrt_params:
            p = self.sig.param(name)
            leaves = {leaf.path: by_leaf[leaf.name] for leaf in self.sig.leaves_of(name)}
            out.append(_structure_type(p.value, leaves) if p.structured else leaves[()])
        return out

    def wrt_inputs(self) -> list[str]:
        """The hints of the tangents or vectors, one per WRT leaf and shaped like it."""
        return [self.direction(self.leaf_node[name]) for name in self.g.graph["wrt"]]

    def direction(self, node: int) -> str:
        """A tangent, cotangent or vector shaped like `node`: a 0-d one is a Python
        float (NumPy scalars are floats too), which keeps the arithmetic on arrays
        typed as the arrays' dtype."""
        attrs = self.g._node[node]
        if not self.portable and not attrs["shape"] and _kind(attrs["dtype"]) == "f":
            return "float"
        return self.of_node(node)


def type_key(attrs: dict) -> tuple:
    """What a type checker tells apart: a Python scalar, a NumPy scalar and an array, of
    each dtype (names are reused only within one: naming.reuse_names); the tuple of a
    numba loop's results is a type of its own."""
    key = (attrs["python"], bool(attrs["shape"]), attrs["dtype"])
    if attrs["op"] == "fused_loop" and "scalar" not in attrs["params"]:
        return key + (attrs["params"]["kernel"],)
    return key


def tuple_of(items: list[str]) -> str:
    return f"tuple[{', '.join(items)}]" if items else "tuple[()]"


def _kind(dtype: str) -> str:
    return {"float": "f", "int": "i", "uint": "u", "bool": "b"}.get(
        dtype.rstrip("0123456789"), "f")


def _common(items: list[str]) -> str:
    return items[0] if len(set(items)) == 1 else "Any"


def _literal_type(value) -> str:
    """The type of a static parameter's example (a literal: see signature.is_literal)."""
    if value is None:
        return "None"
    if isinstance(value, tuple):
        return tuple_of([_literal_type(v) for v in value])
    if isinstance(value, list):
        return f"list[{_common([_literal_type(v) for v in value]) if value else 'Any'}]"
    return type(value).__name__ if type(value) in (bool, int, float, str) else "Any"


def _structure_type(template, leaves: dict, path: tuple = ()) -> str:
    """The hint of a structured value whose leaf at each path has hint `leaves[path]`."""
    if not structure.is_structure(template):
        return leaves[path]
    if dataclasses.is_dataclass(template) or hasattr(type(template), "_fields"):
        return "Any"  # (a NamedTuple or dataclass: the module cannot name its class)
    items = [_structure_type(child, leaves, path + (step,))
             for step, child in structure.children(template)]
    if isinstance(template, tuple):
        return tuple_of(items)
    if isinstance(template, dict):
        return f"dict[str, {_common(items)}]"
    return f"list[{_common(items)}]"


def annotate(hints: Hints, functions: list) -> None:
    """Set each emitted function's return hint and hint its extra parameters (the
    tangents, cotangent or vectors that modes_lower.py adds)."""
    g = hints.g
    value = hints.output()
    grads = hints.gradients(g.graph["grads"]) if g.graph["grads"] else []
    modes = g.graph.get("modes", {})
    for f in functions:
        if f.name == "forward":
            f.returns = value
        elif f.name == "value_and_grad":
            f.returns = tuple_of([value, tuple_of(grads)])
        elif f.name == "grad":
            f.returns = tuple_of(grads)
        else:
            f.returns = _mode_result(hints, f.name, modes[f.name]["outputs"], value)
            if f.extra_params:
                extra = hints.cotangent() if f.name == "vjp" else \
                    tuple_of(hints.wrt_inputs())
                f.extra_params = (f"{f.extra_params[0]}: {extra}",)


def _mode_result(hints: Hints, mode: str, nodes, value: str) -> str:
    g = hints.g
    items = [hints.of_node(n) for n in nodes]
    structured = "output_structure" in g.graph
    if mode == "jvp":
        return tuple_of([value, hints.structure_of_result(items) if structured else items[0]])
    if mode == "vjp":
        return tuple_of([value, tuple_of(items)])
    if mode == "jacobian" and structured:
        k = len(g.graph["output_leaves"])
        return tuple_of([hints.structure_of_result(items[i * k:(i + 1) * k])
                         for i in range(len(g.graph["wrt"]))])
    if mode == "hessian":
        k = len(g.graph["wrt"])
        return tuple_of([tuple_of(items[i * k:(i + 1) * k]) for i in range(k)])
    return tuple_of(items)  # jacobian, hvp: one per WRT parameter


def typing_imports(imports: list[str], text: str) -> list[str]:
    """`imports` with what the hints and helpers in `text` need (`from typing import
    Any`, `import numpy.typing as npt`), standard library first, as isort orders them."""
    text = re.sub(r'"[^"\n]*"|\'[^\'\n]*\'', "", text)  # (not what strings say)
    names = [n for n in ("Any", "NoReturn") if re.search(rf"\b{n}\b", text)]
    standard = [line for line in imports if line == "import math"]
    if re.search(r"\bModuleType\b", text):
        standard.append("from types import ModuleType")
    if names:
        standard.append(f"from typing import {', '.join(names)}")
    third = [line for line in imports if line not in standard]
    if re.search(r"\bnp\.", text) and "import numpy as np" not in third:
        third.insert(0, "import numpy as np")  # (a module whose hints alone need NumPy)
    if re.search(r"\bnpt\.", text):
        third.append("import numpy.typing as npt")
    return standard + ([""] if standard and third else []) + third
