"""Printing: a lowered `Module` (lower.py) as the text of a Python module.

`emit(g, header_lines, docstring)` lowers the graph and prints each part once, in this
order: the header comments, the docstring (with a last sentence saying what the module
imports), the imports, `WRT`, the module constants, then `forward`, `value_and_grad`
and `grad`. A function body is its preamble (the first lines; see
`lower.Function.preamble`), then each statement under its provenance comment, with
`del` after the statements that large arrays die in, then the return.
"""

from __future__ import annotations

import textwrap

from .literals import array_literal, is_zeros, literal  # noqa: F401  (re-exported)
from .lower import Function, Module, lower


def emit(g, header_lines: list[str], docstring: str, target: str = "numpy") -> str:
    if target == "numba":  # (fused.py lowers with compiled loops; only it imports numba)
        from .fused import lower_fused
        return print_module(lower_fused(g), header_lines, docstring)
    return print_module(lower(g, target), header_lines, docstring)


def print_module(module: Module, header_lines: list[str], docstring: str) -> str:
    docstring = docstring.rstrip("\n") + "\n\n" + "\n".join(
        textwrap.wrap(imports_sentence(module.imports), 88)) + "\n"
    parts = ["\n".join(header_lines), f'"""{docstring}"""', "\n".join(module.imports),
             _bracketed("WRT = ", [f'"{w}"' for w in module.wrt], "", tuple_=True)]
    if module.constants:
        parts.append("\n".join(module.constants))
    parts += [_function(module, f) for f in module.functions]
    return "\n\n\n".join(p for p in parts if p) + "\n"


def imports_sentence(imports: list[str]) -> str:
    """What the module needs, from what it imports."""
    lines = [line for line in imports if line.startswith("import ")]
    scipy = ", ".join(line.split()[1] for line in lines if "scipy" in line)
    names = list(dict.fromkeys(
        "NumPy" if "numpy" in line else f"SciPy ({scipy})" if "scipy" in line
        else line.split()[1] for line in lines))  # (the hints' typing and types are not named)
    if not names:
        return "This module imports nothing: it is plain Python."
    return f"This module imports only {' and '.join(names)}."


def _function(module: Module, f: Function) -> str:
    lines = list(f.preamble)
    returned = _annotated_binding(f)
    for s in f.statements:
        if s.comment is not None:
            lines.append(s.comment)
        lines += [returned.get(code, code) for code in s.code]
        if s.free:
            lines.append("del " + ", ".join(s.free))
    lines += f.checks
    lines.append(_return(module, f))
    body = "\n".join("    " + row if row.strip() else row
                     for line in lines for row in line.split("\n"))
    returns = f" -> {f.returns}:" if f.returns else ":"
    head = _bracketed(f"def {f.name}", list(module.params) + list(f.extra_params), returns)
    return f'{head}\n    """{f.doc}"""\n{body}'


def _annotated_binding(f: Function) -> dict[str, str]:
    """{statement: the statement with a hint} for the one binding of a function's
    returned name: NumPy's stubs type many expressions (`np.sum(x, axis=0)`, `x[i]`) as
    Any, and mypy --strict refuses to return an Any where a type is declared, so the
    returned local is declared as what the function returns (`loss: float = ...`)."""
    value = f.value if f.result is None and f.grads is None else None
    if f.returns in ("", "Any") or value is None or not value.isidentifier():
        return {}
    codes = [code for s in f.statements for code in s.code]
    bindings = [code for code in codes if code.startswith(f"{value} = ")]
    if len(bindings) != 1:  # (bound twice, or a parameter: already of a declared type)
        return {}
    if f.returns in ("float", "int", "bool") and f.typed_numbers:
        return {}  # (math and arithmetic on Python numbers are typed; see lower.py)
    code = bindings[0]
    return {code: f"{value}: {f.returns}{code[len(value):]}"}


def _return(module: Module, f: Function) -> str:
    if f.result is not None:
        return f"return {f.result}"
    if f.delegate:
        return _bracketed("return value_and_grad", list(module.call or module.params), "[1]",
                          "    ")
    if f.grads is None:
        return f"return {f.value}"
    if f.value is None:
        return _bracketed("return ", f.grads, "", "    ", tuple_=True)
    return _bracketed(f"return {f.value}, ", f.grads, "", "    ", tuple_=True)


def _tuple(items: list[str]) -> str:
    # No trailing comma unless required: black would otherwise explode the tuple.
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _bracketed(head: str, items: list[str], tail: str, indent: str = "",
               tuple_: bool = False) -> str:
    """`head(items)tail` on one line when it fits in black's 88 columns, else one item
    per line with a trailing comma, as black writes it. black formats the module either
    way; handing it the exploded form spares it trying every way of splitting a
    100-parameter line, which was most of its time on such modules."""
    inner = _tuple(items) if tuple_ else f"({', '.join(items)})"
    one = f"{head}{inner}{tail}"
    if len(indent) + len(one) <= 88 or len(items) < 2:
        return one
    rows = "".join(f"    {item},\n" for item in items)  # relative: the body indents
    return f"{head}(\n{rows}){tail}"
