"""Python control flow on traced values: refused, or specialised to the example's path.

`if`, `while`, `and`, `or`, `not` and `assert` ask a Tracer for a truth value
(`Tracer.__bool__`), which tracing does not have. Two answers:

- refused (the default, `control_flow="refuse"`), with advice that fits the statement:
  `np.where` for an `if`, a fixed trip count for a `while` or a `break`;
- taken as it is at the example arguments (`control_flow="guard"`, and always for an
  `assert`, whose meaning is exactly a check): the condition's value at the example is
  computed from the graph so far, and a `guard` node (ops/guard.py) records it, so the
  emitted module checks the condition where the source did and raises for arguments
  that would take another path. A loop on a traced value is unrolled as far as the
  example runs it (the Taylor series that stops at a small term, a fixed-point solve).
"""

from __future__ import annotations

import contextlib
import contextvars
import dis
import linecache
import textwrap

from .errors import ConcreteValueError, TracedBranchError
from .ops.guard import BRANCH_KINDS

MODES = ("refuse", "guard")
_GUARD_HINT = ("or compile with control_flow='guard' (--control-flow guard) to follow the "
               "example's path, checked at call time")
_CALL_SITES: dict = {}  # code object -> offsets of call instructions
_ASSERTS: dict = {}  # code object -> offsets of the jumps that test an assert


# The compile's mode, set by compile_grad for every trace it makes (the symbolic-dimension
# variants trace again: one setting covers them all, however the stages call trace()).
_MODE: contextvars.ContextVar[str] = contextvars.ContextVar("control_flow", default="refuse")


@contextlib.contextmanager
def following(mode: str):
    """Trace with `mode` ("refuse" or "guard") inside the block."""
    if mode not in MODES:
        from .errors import ArgumentError
        raise ArgumentError(f"control_flow={mode!r} is not one of {', '.join(MODES)}",
                            hint="control_flow='refuse' (the default) or 'guard'")
    token = _MODE.set(mode)
    try:
        yield
    finally:
        _MODE.reset(token)


def mode() -> str:
    """The control-flow mode of the compile being traced."""
    return _MODE.get()


def truth(tracer, frame) -> bool:
    """The truth value `frame` asks `tracer` for: guarded at the example's value when
    the statement is an assert or the compile follows the example's path; else refused
    with the advice that fits the statement."""
    builder = tracer._builder
    kind = statement_kind(frame)
    if kind == "assert" or getattr(builder, "control_flow", "refuse") == "guard":
        builder.concrete_needed(tracer)  # an int parameter's branch: a static constant
        value = builder.example_value(tracer) if tracer.size == 1 else None
        if value is not None:
            return _guard(tracer, bool(value), kind, frame)
        if tracer.size != 1:
            tracer._refuse(TracedBranchError, "the truth value of an array with "
                           f"{tracer.size} elements is ambiguous (shape {tracer.shape})",
                           "test np.all(...) or np.any(...) of it")
    _refuse(tracer, kind)


def _guard(tracer, value: bool, kind: str, frame) -> bool:
    builder = tracer._builder
    file, line = builder.where()
    text = condition_text(frame) or "the condition"
    builder.apply("guard", (tracer,), {"expect": value, "kind": kind, "text": text,
                                       "where": f"{file}:{line}"})
    builder.graph.graph["effects"] = True
    return value


def _refuse(tracer, kind: str):
    if kind == "call":
        tracer._refuse(ConcreteValueError, "bool() of a traced value needs a concrete number",
                       "compute both outcomes and select with np.where(cond, a, b), "
                       + _GUARD_HINT)
    if kind == "while":
        tracer._refuse(TracedBranchError, "a while loop's condition depends on a traced "
                       "value (the number of iterations would have to be known)",
                       "loop a fixed number of times (for _ in range(N), N a constant) "
                       "and freeze the finished steps: x = np.where(done, x, step(x)), "
                       + _GUARD_HINT)
    if kind == "break":
        tracer._refuse(TracedBranchError, "a loop's exit (if ...: break) depends on a "
                       "traced value (the number of iterations would have to be known)",
                       "loop a fixed number of times and freeze the finished steps: "
                       "done = done | cond; x = np.where(done, x, step(x)), " + _GUARD_HINT)
    tracer._refuse(TracedBranchError,
                   "Python control flow (if/while/and/or) depends on a traced value",
                   "compute both branches and select with np.where(cond, a, b), "
                   + _GUARD_HINT)


def path_note(g) -> str:
    """A paragraph for the module's docstring when it follows the example's path."""
    from .graph import effect_nodes
    lines = sorted({g._node[n]["params"]["where"].rpartition(":")[2]
                    for n in effect_nodes(g) if g._node[n]["params"]["kind"] in
                    BRANCH_KINDS}, key=lambda t: (len(t), t))
    if not lines:
        return ""
    listed = ", ".join(lines)
    text = (f"It follows the path the example took through the conditions of "
            f"line{'s' if len(lines) > 1 else ''} {listed} (compiled with "
            "control_flow='guard'): arguments that take another path raise OtherPathError.")
    return "\n" + "\n".join(textwrap.wrap(text, 88)) + "\n"


# -- what the source is doing ------------------------------------------------------------

def statement_kind(frame) -> str:
    """"assert", "call" (`bool(x)`, `all(...)`), "while", "break" (an `if` whose body
    starts with `break`) or "if" (any other jump: if, elif, and, or, not)."""
    if _is_assert(frame):
        return "assert"
    if _called_explicitly(frame):
        return "call"
    if _is_while(frame):
        return "while"
    if _breaks_loop(frame):
        return "break"
    return "if"


def condition_text(frame) -> str:
    """The condition as the source line writes it (`np.abs(term) < 0.2` from `if
    np.abs(term) < 0.2: break`), for messages; the whole line when it is not a plain
    if, elif, while or assert."""
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).split("#")[0].strip()
    for keyword in ("if ", "elif ", "while ", "assert "):
        if text.startswith(keyword):
            text = text[len(keyword):]
            if keyword == "assert " and "," in text:
                text = _before_message(text)
            elif ":" in text:
                text = text.rsplit(":", 1)[0] if not text.endswith(":") else text[:-1]
            break
    return text.strip()


def _before_message(text: str) -> str:
    """`cond` of `cond, "message"`: the first comma outside brackets."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            return text[:i]
    return text


def _is_assert(frame) -> bool:
    """Whether `frame` is testing an assert: its jump goes on to raise AssertionError, or
    (an assert pytest has rewritten into an `if`) its line is an assert statement."""
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).lstrip()
    if text.startswith(("assert ", "assert(")):
        return True
    code = frame.f_code
    if code not in _ASSERTS:
        instructions = list(dis.get_instructions(code))
        _ASSERTS[code] = {a.offset for a, b in zip(instructions, instructions[1:])
                          if "JUMP" in a.opname and b.opname == "LOAD_ASSERTION_ERROR"}
    return frame.f_lasti in _ASSERTS[code]


def _is_while(frame) -> bool:
    """Whether `frame` is testing a `while` loop's condition (read from its source line)."""
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).lstrip()
    return text.startswith("while ") or text.startswith("while(")


def _breaks_loop(frame) -> bool:
    """Whether `frame` is testing an `if` whose body starts with `break` (the Taylor
    series that stops at a small term), read from its source lines."""
    name, line = frame.f_code.co_filename, frame.f_lineno
    text = linecache.getline(name, line).split("#")[0].strip()
    if not text.startswith(("if ", "if(", "elif ")):
        return False
    if not text.endswith(":"):  # `if cond: break` on one line
        return text.rsplit(":", 1)[-1].strip() == "break"
    after = linecache.getline(name, line + 1).split("#")[0].strip()
    return after == "break"


def _called_explicitly(frame) -> bool:
    """Whether `frame` asked for a truth value with a call (`bool(x)`, `all(...)`) rather
    than with a jump (`if`, `while`, `and`, `or`, `not`)."""
    code = frame.f_code
    if code not in _CALL_SITES:
        _CALL_SITES[code] = {i.offset for i in dis.get_instructions(code)
                             if i.opname.startswith(("CALL", "PRECALL"))}
    return frame.f_lasti in _CALL_SITES[code]
