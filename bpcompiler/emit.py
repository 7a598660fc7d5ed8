"""Emission: the optimised joint graph as a straight-line Python module.

`emit(g, header)` prints one statement per named value, in node order (a topological
order). A temporary the source did not name and that is read once is folded into the
expression that reads it, so `z10 = w10 * x00 + b10` prints as one line, as written.
Consecutive statements from the same source line share one provenance comment
(`# line 12: ...` or `# grad of line 12: ...`). Python scalars print with operators and
`math`, arrays with `np`.

A parameter may be called `np`, `math`, `value_and_grad` or after a builtin the module
uses (`abs`, `float`): the body then reads such a parameter through an internal name
(`np_arg = np`) and reaches the module as an alias (`import numpy as np_`,
`builtins_.abs`), so nothing the user names is shadowed. Array constants are embedded
exactly: all-zero arrays as `np.zeros`, all-equal ones as `np.full`, others as
`np.array([...])` of `repr` floats (round-trip exact), with `np.nan`/`np.inf` for
non-finite values.

Two things keep emitted array code as lean as hand-written backprop: a gradient that is
the sum of scatters (`x[1:]` and `x[:-1]` both read) is accumulated in place into the
one zero buffer the module allocated (`d_x[:-1] += d_a`), and an array of at least
FREE_MIN_ELEMENTS elements is deleted (`del`) right after the last statement that reads
it, so peak memory follows what is still needed instead of everything computed.
"""

from __future__ import annotations

import builtins
import linecache
from collections import Counter
import math
import os
import re

import numpy as np

from .graph import outputs
from .naming import Namespace, Statement, base_name, reuse_names
from .ops import REGISTRY
from .ops.registry import PREC_ATOM, PREC_UNARY, Aval, Expr
from .ops.shape import format_index
from .schedule import VIEW_OPS, schedule
from .signature import call_items, def_items, gradient_texts, of_graph, prologue_lines


def signature_names(g) -> tuple:
    """The emitted functions' own parameter names (a structured parameter's included)."""
    return tuple(p.name for p in of_graph(g).params)

MAX_INLINE_CHARS = 60
# Arrays at least this large are deleted after their last use (liveness), so peak memory
# follows what is still needed, as in hand-written code that reuses names.
FREE_MIN_ELEMENTS = 512
_WORD = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
MAX_COMMENT_CHARS = 72
# Ops whose result may share memory with an operand or a module constant: a returned
# gradient that is one of these is copied, so callers may modify what they get back.
_VIEW_OPS = {"input", "const"} | VIEW_OPS


def literal(value, python: bool, np_alias: str = "np") -> Expr:
    """Exact source text for a scalar constant."""
    if python:
        if isinstance(value, float) and not math.isfinite(value):
            text = "math.nan" if math.isnan(value) else ("math.inf" if value > 0 else "-math.inf")
        else:
            text = repr(value)
        return Expr(text, PREC_UNARY if text.startswith("-") else PREC_ATOM)
    array = np.asarray(value)
    item = array.item()
    inner = repr(float(item)) if array.dtype.kind == "f" else repr(item)
    if array.dtype.kind == "f" and not math.isfinite(item):
        inner = f'"{item}"'
    return Expr(f"{np_alias}.{array.dtype.name}({inner})", PREC_ATOM)


def _element(v) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return "np.nan" if math.isnan(v) else ("np.inf" if v > 0 else "-np.inf")
    return repr(v)


def _nested(items) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(i) for i in items) + "]"
    return _element(items)


def array_literal(value: np.ndarray) -> str:
    """Exact source text for an array constant (see the module docstring)."""
    array = np.asarray(value)
    dtype = f"dtype=np.{array.dtype.name}"
    # Python floats (not NumPy scalars) so that repr gives the shortest exact digits.
    as_python = np.vectorize(float, otypes=[object])(array) if array.dtype.kind == "f" \
        else array.astype(object)
    flat = as_python.reshape(-1)
    same = flat.size > 1 and np.array_equal(array.reshape(-1), np.full(flat.size, array.flat[0]),
                                             equal_nan=True)
    if same and array.dtype.kind == "f":
        same = len(set(np.signbit(array.reshape(-1)).tolist())) == 1
    if same:
        return f"np.full({array.shape!r}, {_element(flat[0])}, {dtype})"
    return f"np.array({_nested(as_python.tolist())}, {dtype})"


def is_zeros(value) -> bool:
    """All elements +0 (so `np.zeros` reproduces the array exactly, signs included)."""
    array = np.asarray(value)
    return not np.any(array != 0) and not (array.dtype.kind == "f" and np.any(np.signbit(array)))


class _Function:
    """The body of one emitted function: which nodes it computes and how they print.

    `lines()` prints the body in the order `schedule` gives, with a placeholder for each
    value's name, and records which values each statement reads; `naming.reuse_names`
    then names them, handing a dead value's name to the next value of the same kind."""

    def __init__(self, g, roots: tuple[int, ...], inputs: dict, constants: dict,
                 space: Namespace, module_uses: dict):
        self.g = g
        self.module_uses = module_uses
        self.roots = roots
        self.inputs = inputs  # parameter node -> the name the body reads it by
        self.def_lines = {(g._node[n]["file"], g._node[n]["line"]) for n in inputs}
        self.space = space
        self.constants = constants
        self.nodes = _ancestors(g, roots)
        self.uses = {n: 0 for n in self.nodes}
        self.reader: dict[int, int] = {}  # the (last) node reading each value
        for n in self.nodes:
            for a in g._node[n]["args"]:
                self.uses[a] += 1
                self.reader[a] = n
        for r in roots:
            self.uses[r] += 2  # outputs are always statements
        self.accumulate, self.absorbed = self._find_accumulations()
        # A buffer accumulated in place holds the gradient it becomes: name it so.
        self.buffer_of = {}
        for n in sorted(self.accumulate):  # an accumulation comes after the one it extends
            first = self.accumulate[n][0]
            while first in self.accumulate:
                first = self.accumulate[first][0]
            self.buffer_of[first] = n
        self.bases = {n: self._base(n) for n in self.nodes}  # what each value would be called
        self.foldable = {n for n in self.nodes if self._may_fold(n)}
        self.order = schedule(g, self.nodes, roots, self._freeable(), self.foldable.__contains__)

    def _freeable(self):
        """Which values the printed code can free after their last reader: large arrays
        (deleted) and values whose name another value of their kind will take."""
        bases = Counter(self.bases[n] for n in self.nodes
                        if self.g._node[n]["op"] not in ("input", "const"))

        def freeable(n: int) -> bool:
            attrs = self.g._node[n]
            return bases[self.bases[n]] > 1 or not attrs["python"] and \
                math.prod(attrs["shape"]) >= FREE_MIN_ELEMENTS
        return freeable

    def _find_accumulations(self):
        """`a + b` (or `a - b`) where `a` is a buffer the module made (a fresh scatter, or
        an accumulation into one) and read only here is written in place, `a[i] += ...`
        / `a -= b`: one buffer for a gradient however many pieces it sums, no copy.
        Returns {add node: (buffer node, other node)} and the scatters folded into it."""
        g, accumulate, absorbed = self.g, {}, set()
        for n in sorted(self.nodes):
            at = g._node[n]
            if at["op"] not in ("add", "subtract") or at["python"]:
                continue
            a, b = at["args"]
            for first, second in ((a, b), (b, a)) if at["op"] == "add" else ((a, b),):
                fa, sb = g._node[first], g._node[second]
                owned = fa["op"] == "scatter" or first in accumulate
                if first == second or not owned or self.uses[first] != 1 \
                        or (fa["shape"], fa["dtype"]) != (at["shape"], at["dtype"]) \
                        or first in absorbed or sb["python"]:
                    continue
                if sb["op"] == "scatter" and self.uses[second] == 1 and \
                        (sb["shape"], sb["dtype"]) == (at["shape"], at["dtype"]):
                    absorbed.add(second)
                accumulate[n] = (first, second)
                break
        return accumulate, absorbed

    def expr(self, node: int) -> Expr:
        e = self.exprs[node]
        return Expr(self._final(e.text), e.prec)

    def lines(self, main_file: str | None) -> list[str]:
        draft = self._print(main_file)
        pinned = set(self.roots) | set(self.accumulate) | set(self.buffer_of)
        self.final_names = reuse_names(self.statements, self.bases.__getitem__, pinned,
                                       self.space.copy())
        self.names = {**self.inputs, **self.final_names}
        return self._final("\n".join(draft)).split("\n") if draft else []

    def _final(self, text: str) -> str:
        """Draft text with each value's placeholder replaced by its name."""
        if "\x00" not in text:
            return text
        return _PLACEHOLDER.sub(lambda m: self.final_names[int(m.group(2))], text)

    def _base(self, node: int) -> str:
        """What a value would like to be called."""
        node = self.buffer_of.get(node, node)
        attrs = self.g._node[node]
        if node == self.g.graph["output"] and attrs["name"] is None \
                and attrs["phase"] == "forward":
            return self.g.graph["function"]  # the value is the function's
        return base_name(self.g, node)

    def _print(self, main_file) -> list[str]:
        """The body's lines, with placeholders for the names of the values it computes
        (`_placeholder`): it decides what to fold and records `statements` for
        `reuse_names`, which can only name values once it knows every reader."""
        names = self.names = dict(self.inputs)
        self.exprs = {}
        self.folded_keys: dict[int, list] = {}  # source lines folded into each expr
        self.refs: dict[int, tuple] = {}  # the named values each expression reads
        self.statements: list[Statement] = []
        out, last_key = [], None
        for node in self.order:
            attrs = self.g._node[node]
            op = attrs["op"]
            if op == "input":
                self.exprs[node], self.refs[node] = Expr(names[node], PREC_ATOM), ()
                continue
            if op == "const":
                self.exprs[node], self.refs[node] = self._const(node, attrs), ()
                continue
            if node in self.absorbed:
                continue  # written by the accumulation that reads it
            key = (attrs["phase"], attrs["file"], attrs["line"])
            folded = [k for a in attrs["args"] for k in self.folded_keys.get(a, ())]
            if node in self.accumulate:
                last_key = self._comments(out, folded, key, last_key, main_file)
                out.append(self._accumulate(node))
                continue
            spec = REGISTRY[op]
            args = [self.exprs[a] for a in attrs["args"]]
            refs = ()
            for a in attrs["args"]:
                refs += self.refs[a]
            aval = Aval(attrs["shape"], attrs["dtype"], attrs["python"])
            if spec.statement is None:
                expr = spec.spell(args, attrs["params"], aval)
                if self._inline(node, expr):
                    self.exprs[node], self.refs[node] = expr, refs
                    self.folded_keys[node] = list(dict.fromkeys(folded + [key]))
                    continue
            last_key = self._comments(out, folded, key, last_key, main_file)
            name = names[node] = _placeholder(node, self.bases[node])
            if spec.statement is not None:
                out += spec.statement(name, [Expr(_named(self, a), PREC_ATOM) for a in
                                             attrs["args"]], attrs["params"], aval)
            else:
                out.append(f"{name} = {expr.text}")
            self.statements.append(Statement(node, refs, binds=True,
                                             reads_first=spec.statement is None))
            self.exprs[node], self.refs[node] = Expr(name, PREC_ATOM), (node,)
        return out

    def _comments(self, out: list, folded: list, own, last_key, main_file):
        """Quote each source line a statement computes, once each: the lines of what is
        folded into it in reading order (the forward top down, the backward bottom up),
        then its own. Returns the last line quoted."""
        for key in sorted(set(folded) - {own}, key=_reading_order) + [own]:
            if key != last_key:
                out += _comment(key, main_file, self.def_lines)
                last_key = key
        return last_key

    def _accumulate(self, node) -> str:
        first, second = self.accumulate[node]
        target = self.exprs[first].text
        self.exprs[node], self.refs[node] = Expr(target, PREC_ATOM), (first,)
        symbol = "+=" if self.g._node[node]["op"] == "add" else "-="
        if second in self.absorbed:
            s = self.g._node[second]
            added = s["args"][0]
            text = (f"{target}[{format_index(s['params']['index'])}] {symbol} "
                    f"{self.exprs[added].text}")
        else:
            added = second
            text = f"{target} {symbol} {self.exprs[second].text}"
        self.statements.append(Statement(node, (first,) + self.refs[added], binds=False,
                                         reads_first=False))
        return text

    def free_dead_arrays(self, lines: list[str], keep: set) -> list[str]:
        """Insert `del` after the last line that reads a large array the function made."""
        big = {self.names[n] for n in self.nodes
               if n in self.names and self.g._node[n]["op"] not in ("input", "const")
               and not self.g._node[n]["python"]
               and int(np.prod(self.g._node[n]["shape"])) >= FREE_MIN_ELEMENTS}
        big -= keep
        if not big:
            return lines
        last = {}
        for i, line in enumerate(lines):
            if not line.startswith("#"):
                for word in _WORD.findall(line):
                    if word in big:
                        last[word] = i
        dead: dict[int, list] = {}
        for name, i in last.items():
            dead.setdefault(i, []).append(name)
        out = []
        for i, line in enumerate(lines):
            out.append(line)
            if i in dead:
                out.append("del " + ", ".join(sorted(dead[i])))
        return out

    def _may_fold(self, node) -> bool:
        """Whether a value is printed inside its reader, line length permitting: a value
        read once in the whole module (so `forward` and `value_and_grad` print the
        forward alike), as a hand-written `x10 = math.tanh(w10 * x00 + b10)` does (a
        local costs a store and a load in CPython). A value the source named keeps its
        name when its reader is the same source line again (`total = total + ...`)."""
        attrs = self.g._node[node]
        if self.module_uses.get(node) != 1 or node in self.roots \
                or attrs["op"] in ("input", "const") \
                or REGISTRY[attrs["op"]].statement is not None or node in self.accumulate \
                or node in self.absorbed or node in self.buffer_of:
            return False
        if not _has_own_name(attrs):
            return True
        reader = self.g._node[self.reader[node]]
        return (reader["phase"], reader["file"], reader["line"]) != \
            (attrs["phase"], attrs["file"], attrs["line"])

    def _inline(self, node, expr) -> bool:
        """Fold when the line stays short (judged with each name as long as its kind's
        unsuffixed name: the names are only chosen later)."""
        if node not in self.foldable:
            return False
        text = expr.text
        return len(text) - _PLACEHOLDER_EXTRA * text.count("\x00") <= MAX_INLINE_CHARS

    def _const(self, node, attrs) -> Expr:
        value = attrs["params"]["value"]
        if node in self.constants:
            return Expr(self.constants[node], PREC_ATOM)
        if not attrs["python"] and np.ndim(value) > 0:  # all-zero arrays are printed inline
            assert is_zeros(value), "a non-zero array constant was not given a module name"
            return Expr(f"np.zeros({tuple(np.shape(value))!r}, dtype=np.{attrs['dtype']})",
                        PREC_ATOM)
        return literal(value, attrs["python"])


# A value's name in the draft: its kind and its node id (fixed width, so a line's length
# as it will print is its length less a constant per name), between bytes code never holds.
_PLACEHOLDER = re.compile("\x00([^\x02]*)\x02([0-9]{9})\x01")
_PLACEHOLDER_EXTRA = 12


def _placeholder(node: int, base: str) -> str:
    assert node < 10 ** 9, "node ids outgrew the placeholder"
    return f"\x00{base}\x02{node:09d}\x01"


def _named(fn: _Function, node: int) -> str:
    """Operands of statement ops must be simple names or atoms."""
    e = fn.exprs[node]
    return e.text if e.prec >= PREC_ATOM else f"({e.text})"


def _has_own_name(attrs) -> bool:
    """A forward value the source named, or the gradient of a value."""
    return attrs["name"] is not None and attrs["phase"] == "forward" or \
        attrs["phase"] == "adjoint" and attrs["adjoint_of"] is not None


def _ancestors(g, roots) -> set:
    seen = set(roots)
    stack = list(roots)
    while stack:
        for a in g._node[stack.pop()]["args"]:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return seen


def _reading_order(key) -> tuple:
    phase, file, line = key
    line = line or 0  # NOTE: the file breaks ties, so the order never depends on hashing
    return (0, line, file or "") if phase == "forward" else (1, -line, file or "")


def _comment(key, main_file, def_lines=frozenset()) -> list[str]:
    phase, file, line = key
    if line is None:
        return []
    where = f"line {line}" if file == main_file else f"{file}:{line}"
    if phase == "adjoint" and (file, line) in def_lines:
        # The gradients reaching a parameter are summed where the parameter is made.
        where = f"the parameters, {where}"
    text = linecache.getline(os.path.abspath(file), line).strip() if file else ""
    if len(text) > MAX_COMMENT_CHARS - len(where):
        text = text[: MAX_COMMENT_CHARS - len(where) - 3] + "..."
    prefix = "grad of " if phase == "adjoint" else ""
    return [f"# {prefix}{where}: {text}" if text else f"# {prefix}{where}"]


def _assign_names(g) -> tuple[dict, dict, list, Namespace]:
    """Names for parameters and module constants (each function names its own values)."""
    params = g.graph["params"]
    space = Namespace(fixed=params + signature_names(g))
    names: dict[int, str] = {}
    for index, node in enumerate(g.graph["inputs"]):
        # A parameter named like a module the body uses is read through another name.
        names[node] = params[index] if params[index] not in _MODULES else \
            space.claim(f"{params[index]}_arg")
    constants, constant_lines = {}, []
    for node in sorted(g):
        attrs = g._node[node]
        if attrs["op"] == "const" and not attrs["python"] and np.ndim(attrs["params"]["value"]) > 0 \
                and not is_zeros(attrs["params"]["value"]):
            name = space.claim((attrs["name"] or "CONST").upper())
            constants[node] = name
            constant_lines.append(f"{name} = {array_literal(attrs['params']['value'])}")
    return names, constants, constant_lines, space


def _tuple(items: list[str]) -> str:
    # No trailing comma unless required: black would otherwise explode the tuple.
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


_MODULES = {"np": "numpy", "math": "math"}


def _unshadow(lines: list[str], params, space) -> tuple[list[str], dict, str | None]:
    """Rewrite module references that a parameter shadows (see the module docstring):
    (lines, {module: alias}, builtins alias or None)."""
    aliases = {m: (space.claim(f"{m}_") if m in params else m) for m in _MODULES}
    called = [p for p in params if p in dir(builtins)]
    builtins_alias = None
    out = []
    for line in lines:
        if not line.startswith("#"):
            for module, alias in aliases.items():
                if alias != module:
                    line = re.sub(rf"(?<![\w.]){module}\.", f"{alias}.", line)
            for name in called:  # a parameter is never called: `abs(` is the builtin
                if re.search(rf"(?<![\w.]){name}\(", line):
                    builtins_alias = builtins_alias or space.claim("builtins_")
                    line = re.sub(rf"(?<![\w.]){name}\(", f"{builtins_alias}.{name}(", line)
        out.append(line)
    return out, aliases, builtins_alias


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
    rows = "".join(f"    {item},\n" for item in items)  # relative: block() indents
    return f"{head}(\n{rows}){tail}"


def emit(g, header_lines: list[str], docstring: str) -> str:
    roots = outputs(g)
    names, constants, constant_lines, space = _assign_names(g)
    prologue = prologue_lines(g, g.graph.get("regenerate", "see the module's header")) + [
        f"{names[node]} = {p}" for p, node in zip(g.graph["params"], g.graph["inputs"])
        if names[node] != p]
    sig = of_graph(g)
    main_file = g.graph["file"]

    module_uses = Counter(a for n in g for a in g._node[n]["args"])
    fwd = _Function(g, (g.graph["output"],), names, constants, space, module_uses)
    fwd_body = fwd.lines(main_file)
    fwd_lines = fwd.free_dead_arrays(fwd_body, {fwd.expr(g.graph["output"]).text}) + \
        [f"return {fwd.expr(g.graph['output']).text}"]

    both = _Function(g, roots, names, constants, space, module_uses)
    body = both.lines(main_file)
    # Module-level names claimed from here on (aliases) must not hit a local's name.
    space.taken.update(fwd.final_names.values(), both.final_names.values())
    body = both.free_dead_arrays(body, {both.expr(r).text for r in roots})
    grads = []
    for i, node in enumerate(g.graph["grads"]):
        text = both.expr(node).text
        attrs = g._node[node]
        aliased = attrs["op"] in _VIEW_OPS or node in g.graph["grads"][:i]
        if not attrs["python"] and aliased and not text.startswith("np.zeros("):
            text = f"{text}.copy()" if both.expr(node).prec >= PREC_ATOM else f"({text}).copy()"
        grads.append(text)
    grads = gradient_texts(sig, g.graph.get("wrt_params", g.graph["wrt"]),
                           dict(zip(g.graph["wrt"], grads)))
    value = both.expr(g.graph["output"]).text
    vag_lines = body + [_bracketed(f"return {value}, ", grads, "", "    ", tuple_=True)]
    grad_return = _bracketed("return ", grads, "", "    ", tuple_=True)

    fwd_lines, vag_lines = prologue + fwd_lines, prologue + vag_lines
    n_fwd, n_vag = len(fwd_lines), len(vag_lines)
    every, aliases, builtins_alias = _unshadow(
        fwd_lines + vag_lines + [grad_return] + constant_lines,
        g.graph["params"] + signature_names(g), space)
    fwd_lines, vag_lines = every[:n_fwd], every[n_fwd:n_fwd + n_vag]
    grad_return, constant_lines = every[n_fwd + n_vag], every[n_fwd + n_vag + 1:]
    code = "\n".join(every)
    imports = []
    if builtins_alias:
        imports.append(f"import builtins as {builtins_alias}")
    for module, alias in aliases.items():
        if re.search(rf"(?<![\w.]){alias}\.", code):
            imports.append(f"import {_MODULES[module]}" + (f" as {alias}" if alias != _MODULES[module] else ""))

    def block(lines):
        return "\n".join("    " + row if row.strip() else row
                         for line in lines for row in line.split("\n"))

    def define(name):
        return _bracketed(f"def {name}", def_items(sig), ":")

    parts = ["\n".join(header_lines), f'"""{docstring}"""', "\n".join(imports),
             _bracketed("WRT = ", [f'"{w}"' for w in g.graph.get("wrt_params", g.graph["wrt"])],
                        "", tuple_=True)]
    if constant_lines:
        parts.append("\n".join(constant_lines))
    parts.append(f"{define('forward')}\n"
                 f'    """The value of `{g.graph["function"]}`, as the source computes it."""\n'
                 f"{block(fwd_lines)}")
    parts.append(f"{define('value_and_grad')}\n"
                 f'    """(value, gradients): the gradients in WRT order."""\n'
                 f"{block(vag_lines)}")
    # A parameter called value_and_grad would shadow the function: repeat its body.
    grad_body = (vag_lines[:-1] + [grad_return]
                 if "value_and_grad" in g.graph["params"] + signature_names(g) else
                 [_bracketed("return value_and_grad", call_items(sig), "[1]", "    ")])
    parts.append(f"{define('grad')}\n"
                 f'    """The gradients with respect to WRT, in that order."""\n'
                 f"{block(grad_body)}")
    return "\n\n\n".join(p for p in parts if p) + "\n"
