"""Formatting with black: the only module that imports black (black has no stable
Python API, so every use of it stays here).

The contract: `format_source(text)` returns exactly `black.format_str(text)`, byte for
byte, for every black release since 24.1: first the blank lines around the module
docstring and the imports, where those releases differ, are set to what they all agree
on (`_agree_across_versions`). black formats about 1,250 lines a second, so a
100,000-node graph (well over 100,000 emitted lines) would spend minutes in it. Small
modules are handed to black whole. Large ones take a fast path that gives the same bytes:

1. **Skeleton.** Every function body line the emitter writes is one complete logical
   line at depth 1 (a statement or a standalone comment) with no blank lines between
   them. Each run of such lines, apart from the docstring and the final `return`, is cut
   out and replaced by one marker comment; black formats this small skeleton (the header,
   docstrings, imports, constants, `def` lines, returns) as usual.
2. **Body lines, one at a time.** black turns a module into logical lines and formats
   each one on its own: the text of a line depends only on its tokens and its depth, and
   the blank lines before it only on the newlines the source put there (none) and on the
   kind of the previous line (def, decorator, import, class, flow control: none of which
   occur in a run). So each body line is formatted by black in isolation, wrapped in a
   `def`, at the same depth.
3. **Templates.** Generated bodies repeat a few shapes thousands of times
   (`y_7 = np.sin(y_6) * 1.001 + 0.1`). For a line black does not split, what black
   does is normalise whitespace, hug simple `**` operands and add or drop parentheses:
   decisions made from token types and tree structure, never from an identifier's text.
   So a line that fits is formatted as a template in which every identifier is replaced
   by one placeholder name, and the names are put back in order. black only splits lines
   longer than 88 columns after normalising, so a template is used only when the result,
   names put back, fits; anything else (long lines, comments) is formatted by black as is.
   Each distinct template or line is formatted once, all of them in one black call.

Both paths first set aside the module's helper functions (top-level `def _name`, not
decorated: `_wrong_argument`, `_wrong_dimension`, ...), which the emitter writes from
the same templates into module after module. Each is formatted by black on its own, once
per process, and a one-line stub of the same kind (a `def`) takes its place in what black
formats, so the blank lines around it come out as they would around the helper: black
formats what is inside a top-level `def` from its tokens alone, and puts two blank lines
after any top-level `def`, whatever its last line. (The helpers were about 40% of black's
time on a small module.)

The fast path checks itself (one output line per template, every marker found, the same
number of names back) and falls back to black on the whole module when a check fails;
tests compare it with whole-module black on the golden modules and on random graphs.
"""

from __future__ import annotations

import keyword
import re

import black

MODE = black.Mode(target_versions={black.TargetVersion.PY311})
LINE_LENGTH = MODE.line_length
# Below this many lines black's own speed is fine (a sixth of a second): use it directly.
WHOLE_MODULE_LINES = 200

_IDENTIFIER = re.compile(r"(?<![\w])[A-Za-z_]\w*")
_TRAILING_COMMA = re.compile(r",\s*[)\]}]")
_KEYWORDS = frozenset(keyword.kwlist)
_PLACEHOLDER = "v"
_MARKER = "# bpcompiler-format-body-{}"
_BODY_INDENT = "    "


def _black(source: str) -> str:
    try:
        return black.format_str(_agree_across_versions(source), mode=MODE)
    except black.InvalidInput as exc:
        from .errors import InternalError
        raise InternalError(f"internal error in emit: black cannot parse the module ({exc})",
                            hint="this is a bug in bpcompiler; please report it") from None


def black_version() -> str:
    """The black in use, as `check` names it: "black 26.1.0"."""
    return f"black {black.__version__}"


# Blank lines between the module docstring, the imports and what follows: black 24 and
# 25 keep two where black 26 keeps one. One is what every release gives, so the emitted
# text says one and the committed modules read the same whichever black made them.
_AFTER_DOCSTRING = re.compile(r'^(""".*?"""\n)\n+(?=(?!def |class |@)[A-Za-z_])', re.S | re.M)
_AFTER_IMPORTS = re.compile(r"^((?:import |from )[^\n]*\n)\n+(?=[A-Za-z_])", re.M)


def _agree_across_versions(source: str) -> str:
    head, sep, rest = source.partition("\ndef ")
    head = _AFTER_DOCSTRING.sub(r"\1\n", head, count=1)
    head = _AFTER_IMPORTS.sub(lambda m: m.group(1) + "\n" if not
                              m.string[m.end():].startswith(("import ", "from ", "def "))
                              else m.group(0), head)
    return head + sep + rest


def format_source(source: str, fast: bool | None = None) -> str:
    """black's formatting of `source`. `fast` forces (True) or forbids (False) the fast
    path; by default it is used for modules longer than WHOLE_MODULE_LINES."""
    stubbed, helpers = _set_helpers_aside(source)
    if fast is None:
        fast = stubbed.count("\n") > WHOLE_MODULE_LINES
    result = _format_fast(stubbed) if fast else None
    if result is None:
        result = _black(stubbed)
    for stub, formatted in helpers.items():
        if result.count(stub) != 1:  # NOTE: not expected; black on the whole is right
            return _black(source)
        result = result.replace(stub, formatted)
    return result


# A helper's text -> black's formatting of it alone (bounded: helpers are few).
_FORMATTED_HELPERS: dict[str, str] = {}
_MAX_HELPERS = 256
_HELPER = re.compile(r"(?<=\n)def _\w+\(.*?\n(?=[^\s)\]}]|\Z)", re.S)  # to the next top-level line
_STUB = "def _bpcompiler_helper_{}():\n    return\n"  # (a body line the fast path keeps)


def _set_helpers_aside(source: str) -> tuple[str, dict[str, str]]:
    """`source` with each helper function replaced by a stub, and {stub: formatted
    helper}."""
    helpers: dict[str, str] = {}

    def stub(match: re.Match) -> str:
        line_before = source.rfind("\n", 0, match.start() - 1) + 1
        if source.startswith("@", line_before):
            return match.group(0)  # decorated (a numba loop): formatted in place
        text = match.group(0).rstrip("\n") + "\n"
        formatted = _FORMATTED_HELPERS.get(text)
        if formatted is None:
            formatted = _black(text)
            if len(_FORMATTED_HELPERS) >= _MAX_HELPERS:
                _FORMATTED_HELPERS.clear()
            _FORMATTED_HELPERS[text] = formatted
        name = _STUB.format(len(helpers))
        helpers[name] = formatted
        return name + match.group(0)[len(text):]

    return _HELPER.sub(stub, source), helpers


def same_but_formatting(a: str, b: str) -> bool:
    """True when two modules differ at most in formatting: the same syntax tree and the
    same comments in the same order (what one black release writes differently from
    another). False when either does not parse."""
    import ast
    import io
    import tokenize

    def comments(text: str) -> list[str]:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return [t.string for t in tokens if t.type == tokenize.COMMENT]

    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b)) and comments(a) == comments(b)
    except (SyntaxError, ValueError, tokenize.TokenError):
        return False


def _is_body_line(line: str) -> bool:
    """A complete depth-1 logical line the emitter wrote (statement or comment)."""
    return (line.startswith(_BODY_INDENT) and len(line) > 4 and line[4] not in " \t\"'"
            and not line.startswith("    return") and not line.endswith(("\\", ":"))
            and '"""' not in line and _balanced(line))


def _balance(line: str) -> int:
    """Brackets opened minus closed (the emitter writes no brackets inside strings in
    function bodies; comments are skipped)."""
    if line.lstrip().startswith("#"):
        return 0
    return sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")


def _balanced(line: str) -> bool:
    return _balance(line) == 0


def _template(line: str):
    """(template, names) for a statement, or None if identifiers cannot be replaced."""
    if "#" in line or "'" in line or '"' in line or _TRAILING_COMMA.search(line) \
            or not line.isascii():
        # Comments, strings and magic trailing commas are formatted as they are, and so
        # are non-ASCII names: black measures wide characters as two columns.
        return None
    names = []

    def replace(match):
        word = match.group(0)
        if word in _KEYWORDS:
            return word
        names.append(word)
        return _PLACEHOLDER

    return _IDENTIFIER.sub(replace, line), names


def _fill(template_out: str, names: list):
    it = iter(names)
    count = 0

    def replace(match):
        nonlocal count
        word = match.group(0)
        if word in _KEYWORDS:
            return word
        if word != _PLACEHOLDER:
            raise ValueError(word)
        count += 1
        return next(it)

    try:
        text = _IDENTIFIER.sub(replace, template_out)
    except (ValueError, StopIteration):
        return None
    return text if count == len(names) else None


def _format_fast(source: str) -> str | None:
    lines = _agree_across_versions(source).split("\n")
    skeleton: list[str] = []
    runs: list[list[str]] = []
    in_def = in_doc = False
    depth = 0  # brackets open across lines (an exploded `def f(` or `return (`)
    i = 0
    while i < len(lines):
        line = lines[i]
        if in_doc or line.count('"""') % 2 == 1:
            in_doc = in_doc != (line.count('"""') % 2 == 1)
            skeleton.append(line)
            i += 1
            continue
        if depth == 0 and line.startswith("def "):
            in_def = True
        elif depth == 0 and line and not line.startswith(" "):
            in_def = False
        if in_def and depth == 0 and _is_body_line(line):
            run = []
            while i < len(lines) and _is_body_line(lines[i]):
                run.append(lines[i])
                i += 1
            skeleton.append(_BODY_INDENT + _MARKER.format(len(runs)))
            runs.append(run)
            continue
        if '"""' not in line:
            depth += _balance(line)
        skeleton.append(line)
        i += 1

    skeleton, groups = _collapse_lists(skeleton)
    skeleton_out = _expand_lists(_black("\n".join(skeleton)).split("\n"), groups)
    if skeleton_out is None:
        return None
    plan = [[_plan_line(line) for line in run] for run in runs]
    for _ in range(2):
        pieces = _format_pieces({step[1] for steps in plan for step in steps if step[0] == "t"},
                                {step[1] for steps in plan for step in steps if step[0] == "x"})
        if pieces is None:
            return None
        templates, exact = pieces
        out_lines, retry, markers = [], False, 0
        for line in skeleton_out:
            stripped = line.strip()
            if not (stripped.startswith("# bpcompiler-format-body-")
                    and line.startswith(_BODY_INDENT)):
                out_lines.append(line)
                continue
            markers += 1
            steps = plan[int(stripped.rsplit("-", 1)[1])]
            for k, step in enumerate(steps):
                if step[0] == "x":
                    out_lines.append(exact[step[1]])
                    continue
                text = _fill(templates[step[1]], step[2])
                if text is None or len(text) > LINE_LENGTH:
                    steps[k] = ("x", step[3])  # black splits this one: format it as is
                    retry = True
                else:
                    out_lines.append(text)
        if markers != len(runs):
            return None
        if not retry:
            return "\n".join(out_lines)
    return None


_SIMPLE_ITEM = re.compile(r'^( +)([A-Za-z_]\w*|"[A-Za-z_]\w*"),$')


def _collapse_lists(skeleton: list[str]):
    """Shorten each exploded list of simple items (`def f(\n    x0,\n    x1,\n ...`)
    to its first two items. A trailing comma is "magic" to black: it keeps the list
    exploded, one item per line, and an item that is a name or a plain string comes out
    as it went in. So black's text for the whole list is its text for the two-item list
    with the other items' lines put back after them (two items, because black does not
    treat the comma of a one-element tuple as magic)."""
    out, groups = [], []
    i = 0
    while i < len(skeleton):
        j = i
        while j < len(skeleton) and _SIMPLE_ITEM.match(skeleton[j]):
            j += 1
        # (every line of skeleton[i:j] matched: its indent is its leading spaces)
        indent = {line[:len(line) - len(line.lstrip(' '))] for line in skeleton[i:j]}
        if j - i > 2 and len(indent) == 1 and i > 0 and skeleton[i - 1].endswith("("):
            out += skeleton[i:i + 2]
            groups.append(skeleton[i:j])
            i = j
        else:
            out.append(skeleton[i])
            i += 1
    return out, groups


def _expand_lists(formatted: list[str], groups):
    out, g, i = [], 0, 0
    while i < len(formatted):
        if g < len(groups) and formatted[i:i + 2] == groups[g][:2]:
            out += groups[g]
            i += 2
            g += 1
        else:
            out.append(formatted[i])
            i += 1
    return out if g == len(groups) else None


def _plan_line(line: str) -> tuple:
    t = None if len(line) > LINE_LENGTH else _template(line)
    return ("x", line) if t is None else ("t", t[0], t[1], line)


def _format_pieces(template_keys, exact_keys):
    """black's text for each template and each exact line, from one black call."""
    template_keys, exact_keys = sorted(template_keys), sorted(exact_keys)
    batch = ["def _templates():"] + template_keys + [_BODY_INDENT + "pass", "", ""]
    for k, line in enumerate(exact_keys):
        batch += [f"def _exact_{k}():", line, _BODY_INDENT + "pass", "", ""]
    formatted = _black("\n".join(batch)).split("\n")
    templates, exact = {}, {}
    try:
        pos = formatted.index("def _templates():") + 1
        for key in template_keys:
            out = formatted[pos]
            if not out.startswith(_BODY_INDENT) or out.startswith(_BODY_INDENT + " "):
                return None  # not one line out per line in
            templates[key] = out
            pos += 1
        if formatted[pos] != _BODY_INDENT + "pass":
            return None
        for k, key in enumerate(exact_keys):
            start = formatted.index(f"def _exact_{k}():", pos) + 1
            end = start
            while formatted[end] != _BODY_INDENT + "pass":
                end += 1
            exact[key] = "\n".join(formatted[start:end])
            pos = end + 1
    except (ValueError, IndexError):
        return None
    return templates, exact
