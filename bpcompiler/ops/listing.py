"""The list of supported operations, generated from the op registry so it cannot drift.

`bpcompiler ops` prints it and the README's support table (between `<!-- ops:start -->`
and `<!-- ops:end -->`) is this module's `markdown()`; a test fails when they differ.

What a user can write comes from two places:
- each `Op` in REGISTRY declares its NumPy/`math`/method spellings (`spellings`);
- Python operators (`+`, `@`, `abs()`, `<`, ...) and the builtins `min`/`max` reach ops
  through `Tracer`'s dunder methods and the instrumenter. Rather than keep a second list
  of them here, `operator_spellings()` *probes* them: it applies each Python operator to
  traced values and records which op the node it built has. An operator the tracer does
  not support is simply not listed.
Ops with no spelling at all (`input`, `const`, adjoint-only ops) are internal.
"""

from __future__ import annotations

import builtins
import operator
import re

from .registry import REGISTRY, UNSUPPORTED

START, END = "<!-- ops:start -->", "<!-- ops:end -->"
REGENERATE = "bpcompiler ops --update-readme README.md"

# Every Python operator and operator-like builtin, in the order the listing shows them.
# This is a list of the language's operators, not of what bpcompiler supports: the probe
# below decides that.
_PYTHON_OPERATORS = (
    ("+", operator.add, 2), ("-", operator.sub, 2), ("*", operator.mul, 2),
    ("/", operator.truediv, 2), ("//", operator.floordiv, 2), ("%", operator.mod, 2),
    ("**", operator.pow, 2), ("@", operator.matmul, 2), ("-x", operator.neg, 1),
    ("abs()", abs, 1), ("<", operator.lt, 2), ("<=", operator.le, 2), (">", operator.gt, 2),
    (">=", operator.ge, 2), ("==", operator.eq, 2), ("!=", operator.ne, 2),
    ("&", operator.and_, 2), ("|", operator.or_, 2), ("~", operator.invert, 1),
    ("min()", "min", 2), ("max()", "max", 2),
)


def _probe(fn, arity: int, python: bool) -> str | None:
    """The op of the node that `fn` builds from traced operands, or None."""
    from ..builder import Builder
    from ..graph import add_node, new_graph
    from ..instrument import _traced_extremum

    if isinstance(fn, str):  # builtins.min / max, as the instrumenter replaces them
        fn = _traced_extremum(fn, getattr(builtins, fn))
    g = new_graph("probe", None, ())
    shape = () if python else (2, 2)
    nodes = [add_node(g, "input", (), {}, shape=shape, dtype="float64", python=python,
                      phase="forward") for _ in range(arity)]
    builder = Builder(g, "forward", lambda: (None, None))
    with builder.active():
        try:
            result = fn(*[builder.tracer(n) for n in nodes])
        except Exception:  # noqa: BLE001  any refusal means: not supported this way
            return None
    node = getattr(result, "_node", None)
    return None if node is None or node in nodes else g.nodes[node]["op"]


def operator_spellings() -> dict[str, list[str]]:
    """op name -> the Python operators that build it (probed on floats, then arrays)."""
    found: dict[str, list[str]] = {}
    for symbol, fn, arity in _PYTHON_OPERATORS:
        op = _probe(fn, arity, python=True) or _probe(fn, arity, python=False)
        if op is not None:
            found.setdefault(op, []).append(symbol)
    return found


def rows() -> list[tuple[str, str, bool]]:
    """(op name, accepted spellings, differentiable) for every user-visible op."""
    operators = operator_spellings()
    table = []
    for name in sorted(REGISTRY):
        op = REGISTRY[name]
        spellings = list(operators.get(name, ())) + list(op.spellings)
        if spellings:
            table.append((name, ", ".join(dict.fromkeys(spellings)), op.differentiable))
    return table


def internal_ops() -> list[str]:
    listed = {name for name, _, _ in rows()}
    return sorted(n for n in REGISTRY if n not in listed)


def unsupported() -> list[tuple[str, str]]:
    """(recognised callable, advice) for what is refused with a specific suggestion."""
    out = []
    for fn, advice in UNSUPPORTED.items():
        if isinstance(fn, str):  # already a spelling
            out.append((fn, advice))
            continue
        module = getattr(fn, "__module__", None) or "numpy"
        name = getattr(fn, "__name__", repr(fn))
        prefix = {"numpy": "np.", "math": "math.", "builtins": ""}.get(module, module + ".")
        if module.startswith("numpy."):
            prefix = "np." + module[len("numpy."):] + "."
        out.append((prefix + name, advice))
    return sorted(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    lines = ["| op | you write | differentiable |", "|---|---|---|"]
    for name, spellings, differentiable in rows():
        # A spelling may hold a comma (`max(a, b)`): split only outside parentheses.
        code = ", ".join(f"`{_cell(s.strip())}`" for s in re.split(r", (?![^()]*\))", spellings))
        lines.append(f"| {name} | {code} | {'yes' if differentiable else 'no'} |")
    lines.append("")
    lines.append(f"Internal ops (built by the compiler, not written by you): "
                 f"{', '.join(f'`{n}`' for n in internal_ops())}.")
    refused = unsupported()
    if refused:
        lines.append("")
        lines.append("Recognised but refused, with advice:")
        lines.append("")
        for name, advice in refused:
            lines.append(f"- `{name}`: {advice}")
    return "\n".join(lines) + "\n"


def text() -> str:
    table = rows()
    width = max(len(n) for n, _, _ in table)
    lines = [f"{'op'.ljust(width)}  diff  you write"]
    for name, spellings, differentiable in table:
        lines.append(f"{name.ljust(width)}  {'yes ' if differentiable else 'no  '}  {spellings}")
    lines.append("")
    lines.append("internal: " + ", ".join(internal_ops()))
    refused = unsupported()
    if refused:
        lines.append("recognised but refused:")
        lines += [f"  {name}: {advice}" for name, advice in refused]
    lines.append(f"{len(table)} supported operations")
    return "\n".join(lines) + "\n"


def replace_table(readme: str) -> str:
    """`readme` with the text between the ops markers replaced by a fresh table."""
    if readme.count(START) != 1 or readme.count(END) != 1 or \
            readme.index(START) > readme.index(END):
        raise ValueError(f"expected one {START} ... {END} block")
    head, rest = readme.split(START)
    _, tail = rest.split(END)
    body = (f"\n<!-- generated from the op registry by `{REGENERATE}`; do not edit -->\n\n"
            + markdown() + "\n")
    from .targets import replace_block  # the README's targets block, if it has one
    return replace_block(head + START + body + END + tail, REGENERATE)
