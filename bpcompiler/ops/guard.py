"""`guard`: Python control flow on a traced value, specialised to the example's path.

`if x > 0:` needs a number; tracing has a graph. With `control_flow="guard"` (and for
every `assert`), the branch is taken as it is at the example arguments (branches.py)
and a guard node records the condition and the outcome. The emitted module computes
that one path and checks each condition on the way, so arguments that would take
another path raise instead of getting the example path's (wrong) numbers:

    if not np.abs(currterm) < 0.2:
        _other_path("sinusoid.py:21", "np.abs(currterm) < 0.2", True)

An `assert` keeps its own meaning: `if not cond: raise AssertionError(...)`. An op
whose gradient holds only in part of its domain guards it the same way (kind "domain":
np.linalg.eig raises ValueError for a complex spectrum rather than return one).

A guard reads its condition and nothing reads the guard: it is an `effect`, kept by
dead-code elimination and computed by every emitted function.
"""

from __future__ import annotations

import numpy as np

from .registry import PREC_ATOM, Expr, Op, register

HELPER = "_other_path"
# The guards of a branch the example took (they call HELPER); "assert" and "domain" raise
# their own errors.
BRANCH_KINDS = ("if", "while", "break", "call")
ERROR = "OtherPathError"


class OffPath(ValueError):
    """The graph was evaluated at arguments off the example's path."""


def _guard_impl(cond, expect, kind, where, text):
    if bool(cond) != expect:
        raise OffPath(f"{where}: `{text}` is {not expect} here, {expect} at the example")
    return np.bool_(expect)


def _guard_rule(op, avals, params, python):
    return (), "bool"


def _guard_statements(target, args, params, aval):
    cond, expect = args[0].text, params["expect"]
    test = f"not {cond}" if expect else cond
    if params["kind"] == "assert":
        message = f"{params['where']}: assert {params['text']}"
        return [f"if {test}:", f"    raise AssertionError({message!r})"]
    if params["kind"] == "domain":  # an op's own check (eig: a real spectrum)
        return [f"if {test}:", f"    raise ValueError({params['where'] + ': ' + params['text']!r})"]
    return [f"if {test}:",
            f"    {HELPER}({params['where']!r}, {params['text']!r}, {expect!r})"]


def _not_spelled(args, params, aval):
    raise TypeError("a guard is written as a statement")


def helper_lines(command: str) -> list[str]:
    """The module-level exception and helper the branch guards call (emitted once)."""
    return [
        f"class {ERROR}(ValueError):",
        '    """Arguments whose control flow differs from the example\'s: this module',
        '    computes the path the example took (compiled with control_flow="guard")."""',
        "",
        "",
        f"def {HELPER}(where: str, condition: str, example: bool) -> NoReturn:",
        f"    raise {ERROR}(",
        '        f"{where}: `{condition}` is {not example} for these arguments but "',
        '        f"{example} for the example this module was compiled at, and it computes "',
        '        "only the example\'s path: compile again with these arguments as the "',
        f"        {'example (it was made by: ' + command + ')'!r}",
        "    )",
    ]


def domain_guard(builder, cond, problem: str) -> None:
    """Check `cond` (true at the example) at call time, raising ValueError(`problem`)."""
    file, line = builder.where()
    builder.apply("guard", (cond,), {"expect": True, "kind": "domain", "text": problem,
                                     "where": f"{file}:{line}"})
    builder.graph.graph["effects"] = True


register(Op(name="isrealobj", arity=1, np_fn=lambda x: np.bool_(np.isrealobj(x)), py_fn=None,
            spell=lambda args, params, aval: Expr(f"np.isrealobj({args[0].text})", PREC_ATOM),
            shape_rule=_guard_rule, differentiable=False,
            doc="whether an array is real at call time (eig's result: a real spectrum)"))
register(Op(name="guard", arity=1, np_fn=_guard_impl, py_fn=None, spell=_not_spelled,
            statement=_guard_statements, shape_rule=_guard_rule, differentiable=False,
            effect=True, names_as="path",
            spellings=("if/while/and/or on a traced value (control_flow='guard')",
                       "assert on a traced value"),
            doc="checks that a condition is as it was at the example (control flow "
                "specialised to the example's path); an assert keeps its AssertionError"))
