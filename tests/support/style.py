"""The check that an emitted module reads as a person would write it (see
tests/test_emitted_style.py): no temporary named after an op (`getitem_1`,
`d_subtract`, `exp`), one provenance comment per group of statements (never one with
nothing under it, never the same one twice in a row), and each parameter's gradient
returned as `d_<param>`. `style_problems(source)` lists what it finds."""

from __future__ import annotations

import ast
import re

from bpcompiler.ops import REGISTRY

OP_NAMED = re.compile(rf"^(d_)?({'|'.join(sorted(REGISTRY, key=len, reverse=True))})(_\d+)?$")


def style_problems(source: str, source_names=()) -> list[str]:
    """What reads unlike hand-written code; `source_names` are the locals the compiled
    function itself uses (a user's `var = np.mean(...)` is the user's name, not an op's)."""
    problems = []
    tree = ast.parse(source)
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        params = {a.arg for a in fn.args.args}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and OP_NAMED.match(target.id) \
                            and target.id not in params and \
                            target.id.removeprefix("d_") not in source_names and \
                            target.id.removeprefix("d_") not in params:
                        problems.append(f"{fn.name}: op-named temporary {target.id}")
        problems += _comment_problems(fn.name, source.splitlines()[fn.lineno:fn.end_lineno])
        if fn.name == "value_and_grad":
            problems += _gradient_name_problems(tree, fn)
    return problems


def _comment_problems(name: str, lines: list[str]) -> list[str]:
    problems, previous = [], None
    code = [line.strip() for line in lines if line.strip()]
    for i, line in enumerate(code):
        if not line.startswith("#"):
            continue
        following = code[i + 1] if i + 1 < len(code) else "return"
        if following.startswith(("#", "return", "del ")):
            problems.append(f"{name}: comment with nothing under it: {line}")
        if line == previous:
            problems.append(f"{name}: comment repeated: {line}")
        previous = line
    return problems


def _gradient_name_problems(tree, fn) -> list[str]:
    wrt = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
               and getattr(n.targets[0], "id", None) == "WRT")
    returned = fn.body[-1].value
    grads = returned.elts[1].elts
    names = [g.id if isinstance(g, ast.Name) else ast.unparse(g) for g in grads]
    return [f"gradient of {p} returned as {n}" for p, n in zip(wrt, names)
            if not re.fullmatch(rf"d_{re.escape(p)}(_\d+)?", n)]
