"""Which ops each target supports, generated from the ops' declarations for the README
(between `<!-- targets:start -->` and `<!-- targets:end -->`; `bpcompiler ops
--update-readme README.md` rewrites it with the ops table, and a test fails when stale).

The NumPy target writes every op, and so does the numba target, whose compiled loops
compute the elementwise ops with a `math` spelling (passes/fusion.py). The array-API
target writes an op when its
`array_api` field is set; a spelling that returns None for some of the op's own test
cases (`Op.cases`) is listed as partial, with the params it refuses.
"""

from __future__ import annotations

from .registry import PREC_ATOM, REGISTRY, Aval, Expr

START, END = "<!-- targets:start -->", "<!-- targets:end -->"


def portability(name: str) -> tuple[str, list[dict]]:
    """("yes" | "partial" | "no", the params of the op's test cases it refuses)."""
    op = REGISTRY[name]
    if op.array_api is None:
        return "no", []
    refused = []
    for shapes, params in op.cases:
        dummy = [Expr(f"a{i}", PREC_ATOM) for i in range(len(shapes))]
        if op.array_api(dummy, params, Aval((), "float64", False)) is None:
            refused.append(params)
    return ("partial" if refused else "yes"), refused


def _loop_ops() -> list[str]:
    """What the numba target's loops compute (the rest of a module is NumPy's)."""
    from ..passes.fusion import loop_ops
    return loop_ops()


def _user_ops() -> list[str]:
    from .listing import rows
    return [name for name, _, _ in rows()]


def markdown() -> str:
    from .listing import internal_ops
    groups: dict[str, list[str]] = {"yes": [], "partial": [], "no": []}
    notes = []
    for name in _user_ops() + [n for n in internal_ops() if n not in ("input", "const")]:
        kind, refused = portability(name)
        groups[kind].append(name)
        if refused:
            shown = "; ".join(", ".join(f"{k}={v!r}" for k, v in p.items()) for p in refused)
            notes.append(f"- `{name}`: not with {shown}")
    internal = set(internal_ops())

    def listed(names):
        return ", ".join(f"`{n}`" + ("*" if n in internal else "") for n in names) or "none"
    lines = ["| target | ops |", "|---|---|",
             "| `numpy` (default) | every op |",
             f"| `array-api` | {listed(sorted(groups['yes'] + groups['partial']))} |",
             f"| `numba` | every op; in compiled loops: {listed(_loop_ops())} |", "",
             "Not portable (a compile for `--target array-api` names the op and the line "
             f"that uses it): {listed(groups['no'])}.", "",
             "\\* built by the compiler for gradients (the adjoint of an index, a sort). "
             "An op whose gradient needs an op that is not portable (`sort`, through "
             "`add_along_axis`) is portable only where it is not differentiated.", ""]
    if notes:
        lines += ["Partly portable, by the params of the op's own test cases:", ""] + notes
    return "\n".join(lines) + "\n"


def replace_block(readme: str, regenerate: str) -> str:
    """`readme` with its targets block regenerated (unchanged when it has none)."""
    if START not in readme:
        return readme
    head, rest = readme.split(START, 1)
    if END not in rest:
        raise ValueError(f"expected {END} after {START}")
    _, tail = rest.split(END, 1)
    body = (f"\n<!-- generated from the ops' declarations by `{regenerate}`; do not edit "
            "-->\n\n" + markdown() + "\n")
    return head + START + body + END + tail
