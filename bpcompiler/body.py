"""Lowering one emitted function's body: the graph nodes it needs, as named statements.

`lower_body` decides, in this order and once each:

1. which nodes are printed inside their reader (folded) and which are statements: a
   temporary read once in the whole module is folded when the line stays short, judged
   with each name as long as its kind's unsuffixed name (names come later);
2. the statement order (`schedule.py`), which lets values die early;
3. liveness: the last statement that reads each value, computed once on the
   statements; name reuse (`naming.reuse_names`) and `del` of large arrays both read it;
4. the names, then each statement's text, spelled once with the final names.

Two things keep array code as lean as hand-written backprop: a gradient that is the sum
of scatters (`x[1:]` and `x[:-1]` both read) is accumulated in place into the one zero
buffer the module allocated (`d_x[:-1] += d_a`), and an array of at least
FREE_MIN_ELEMENTS elements is deleted right after the last statement that names it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from . import comments, idioms, portable
from .graph import effect_nodes
from .hints import type_key
from .literals import literal
from .naming import Namespace, Statement, reuse_names
from .ops import REGISTRY
from .ops.registry import PREC_ATOM, Aval, Expr
from .schedule import schedule
from .symbolic import SymArray

MAX_INLINE_CHARS = 60
# Arrays at least this large are deleted after their last use (liveness), so peak memory
# follows what is still needed, as in hand-written code that reuses names.
FREE_MIN_ELEMENTS = 512


@dataclass
class Line:
    """One statement of a body as printed: its provenance comment (None when it shares
    the previous statement's), its code lines, and the names deleted after it."""
    code: list[str]
    comment: str | None = None
    free: list[str] = field(default_factory=list)


@dataclass
class Body:
    statements: list[Line]
    names: dict  # node -> the name (or, for a folded node, the text) it is read by
    roots: tuple

    def text(self, node: int) -> str:
        return self.names[node]


@dataclass
class _Context:
    """What every body of a module shares."""
    g: object
    inputs: dict  # parameter node -> the name the body reads it by
    constants: dict  # module constant node -> its module-level name
    space: Namespace  # every module-level name; each body claims locals from a copy
    module_uses: Counter  # reads of each node in the whole module
    bases: dict  # node -> what it would like to be called (naming.base_names)
    main_file: str | None
    def_lines: set  # (file, line) of the function's parameter list
    # target="array-api" (portable.py): the nodes whose values are arrays, spelled with
    # their op's `array_api`; None for the NumPy target.
    arrays: set | None = None

    def statement_of(self, spec):
        """How an op prints as statements, or None: portable spellings are expressions."""
        return spec.statement if self.arrays is None else None


def lower_body(ctx: _Context, roots: tuple[int, ...], keep_named: bool = False) -> Body:
    """The statements computing `roots` (see the module docstring). With `keep_named`,
    a forward value the source named stays a statement when its gradient is one, so the
    backward's `d_z` sits beside the `z` it is the gradient of."""
    roots = tuple(roots) + tuple(n for n in effect_nodes(ctx.g) if n not in roots)
    plan = _Plan(ctx, roots, keep_named)
    plan.decide()
    last_read = _liveness(plan.statements)
    pinned = set(roots) | set(plan.accumulate) | set(plan.buffer_of)
    names = reuse_names(plan.statements, plan.bases.__getitem__, pinned, ctx.space.copy(),
                        last_read, kind=lambda n: type_key(ctx.g._node[n]))
    return plan.spell(names, last_read)


def _liveness(statements: list[Statement]) -> dict:
    """{value: index of the last statement reading it}."""
    last: dict[int, int] = {}
    for i, s in enumerate(statements):
        for v in s.reads:
            last[v] = i
    return last


class _Plan:
    def __init__(self, ctx: _Context, roots, keep_named: bool):
        g = self.g = ctx.g
        self.ctx, self.roots = ctx, roots
        self.nodes = _ancestors(g, roots)
        self.uses = dict.fromkeys(self.nodes, 0)
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
        self.bases = {n: self._base(n) for n in self.nodes}
        # keepdims=True rather than a reshape restoring the axes (idioms.py)
        self.identity, self.kept = idioms.keepdims_chains(g, self.nodes, ctx.module_uses) \
            if ctx.arrays is None else (set(), set())
        self.foldable = {n for n in self.nodes if self._may_fold(n)}
        if keep_named:
            self.foldable -= self._named_with_gradients()
        self.order = schedule(g, self.nodes, roots, self._freeable(), self.foldable.__contains__)

    # -- what each value is -----------------------------------------------------------
    def _base(self, node: int) -> str:
        """What a value would like to be called."""
        node = self.buffer_of.get(node, node)
        attrs = self.g._node[node]
        if node == self.g.graph["output"] and attrs["name"] is None \
                and attrs["phase"] == "forward":
            return self.g.graph["function"]  # the value is the function's
        return self.ctx.bases[node]

    def _freeable(self):
        """Which values the printed code can free after their last reader: large arrays
        (deleted) and values whose name another value of their kind will take."""
        bases = Counter(self.bases[n] for n in self.nodes
                        if self.g._node[n]["op"] not in ("input", "const"))

        def freeable(n: int) -> bool:
            attrs = self.g._node[n]
            return bases[self.bases[n]] > 1 or _is_big(attrs)
        return freeable

    def _find_accumulations(self):
        """`a + b` (or `a - b`) where `a` is a buffer the module made (a fresh scatter, or
        an accumulation into one) and read only here is written in place, `a[i] += ...`
        / `a -= b`: one buffer for a gradient however many pieces it sums, no copy.
        Returns {add node: (buffer node, other node)} and the scatters folded into it."""
        g, accumulate, absorbed = self.g, {}, set()
        if self.ctx.arrays is not None:  # the standard writes nothing in place
            return accumulate, absorbed
        for n in sorted(self.nodes):
            at = g._node[n]
            if at["op"] not in ("add", "subtract") or at["python"]:
                continue
            a, b = at["args"]
            for first, second in ((a, b), (b, a)) if at["op"] == "add" else ((a, b),):
                fa, sb = g._node[first], g._node[second]
                owned = REGISTRY[fa["op"]].accumulate is not None or first in accumulate
                if first == second or not owned or self.uses[first] != 1 \
                        or (fa["shape"], fa["dtype"]) != (at["shape"], at["dtype"]) \
                        or first in absorbed or sb["python"]:
                    continue
                if REGISTRY[sb["op"]].accumulate and self.uses[second] == 1 and \
                        (sb["shape"], sb["dtype"]) == (at["shape"], at["dtype"]):
                    absorbed.add(second)
                accumulate[n] = (first, second)
                break
        return accumulate, absorbed

    def _may_fold(self, node) -> bool:
        """Whether a value may be printed inside its reader, line length permitting: a
        value read once in the whole module (so `forward` and `value_and_grad` print the
        forward alike), as a hand-written `x10 = math.tanh(w10 * x00 + b10)` does (a
        local costs a store and a load in CPython). A value the source named keeps its
        name when its reader is the same source line again (`total = total + ...`)."""
        attrs = self.g._node[node]
        # `X.T` of a parameter is a view: written where it is read, however often
        view = attrs["op"] == "transpose" and self.g._node[attrs["args"][0]]["op"] == "input"
        if self.ctx.module_uses.get(node) != 1 and not view or node in self.roots \
                or attrs["op"] in ("input", "const") \
                or self.ctx.statement_of(REGISTRY[attrs["op"]]) is not None \
                or node in self.accumulate \
                or node in self.absorbed or node in self.buffer_of:
            return False
        if not _has_own_name(attrs):
            return True
        if attrs["phase"] == "forward" and not attrs["python"]:
            return False  # a named array costs nothing to keep: `k = p[1]`, then `-k * t`
        reader = self.g._node[self.reader[node]]
        return _key(reader) != _key(attrs)

    def _named_with_gradients(self) -> set:
        """Forward values the source named whose gradient is a statement of this body."""
        nodes = self.g._node
        return {nodes[n]["adjoint_of"] for n in self.nodes
                if nodes[n]["phase"] == "adjoint" and nodes[n]["adjoint_of"] is not None
                and n not in self.foldable and nodes[nodes[n]["adjoint_of"]]["name"]}

    # -- pass 1: what is a statement --------------------------------------------------
    def decide(self) -> None:
        """Walk the schedule spelling each value with its base name as a stand-in (a
        line's length as it will print, less the suffixes), to decide what folds; record
        the statements and what each reads, for liveness and naming."""
        self.folded: dict[int, Expr] = {}  # folded node -> its text with base names
        self.statements: list[Statement] = []
        self.refs: dict[int, tuple] = {}  # the statement values each expression reads
        exprs: dict[int, Expr] = {}
        for node in self.order:
            attrs = self.g._node[node]
            op = attrs["op"]
            if op in ("input", "const") or node in self.absorbed:
                exprs[node], self.refs[node] = self._leaf(node, attrs), ()
                continue
            refs = ()
            for a in attrs["args"]:
                refs += self.refs[a]
            if node in self.accumulate:
                first, second = self.accumulate[node]
                added = self.g._node[second]["args"][0] if second in self.absorbed else second
                # (an accumulation reads and is the buffer it extends)
                self.statements.append(Statement(node, self.refs[first] + self.refs[added],
                                                 binds=False, reads_first=False))
                exprs[node], self.refs[node] = exprs[first], self.refs[first]
                continue
            statement = self.ctx.statement_of(REGISTRY[op])
            foldable = node in self.foldable
            # (a statement's text matters here only when a named value is folded into it)
            if statement is None and (foldable or any(a in self.folded for a in attrs["args"])):
                expr = self._spelled(node, attrs, exprs)
                if len(expr.text) > MAX_INLINE_CHARS and self._unfold_named_operands(node, exprs):
                    refs = sum((self.refs[a] for a in attrs["args"]), ())
                    expr = self._spelled(node, attrs, exprs)
                if foldable and len(expr.text) <= MAX_INLINE_CHARS:
                    self.folded[node] = expr
                    exprs[node], self.refs[node] = expr, refs
                    continue
            self.statements.append(Statement(node, refs, binds=not REGISTRY[op].effect,
                                             reads_first=statement is None))
            exprs[node], self.refs[node] = Expr(self.bases[node], PREC_ATOM), (node,)

    def _unfold_named_operands(self, node, exprs) -> bool:
        """Make the named values folded into `node`'s expression statements again, so a
        line too long to fold breaks at `log_softmax = ...` rather than at an unnamed
        `t = ...` around it, and a long statement reads `loss = np.mean(nll) + ...`.
        Re-spells the folded values between them and `node`."""
        nodes = self.g._node
        named, between, stack = [], set(), list(nodes[node]["args"])
        while stack:
            n = stack.pop()
            if n not in self.folded or n in between or n in named:
                continue
            if _has_own_name(nodes[n]):
                named.append(n)
            else:
                between.add(n)
                stack.extend(nodes[n]["args"])
        if not named:
            return False
        position = {n: i for i, n in enumerate(self.order)}
        for n in named:
            del self.folded[n]
            at = len(self.statements)
            while at and position[self.statements[at - 1].node] > position[n]:
                at -= 1
            self.statements.insert(at, Statement(n, self.refs[n], binds=True,
                                                 reads_first=True))
            exprs[n], self.refs[n] = Expr(self.bases[n], PREC_ATOM), (n,)
        for n in sorted(between, key=position.__getitem__):  # operands first
            exprs[n] = self.folded[n] = self._spelled(n, nodes[n], exprs)
            self.refs[n] = sum((self.refs[a] for a in nodes[n]["args"]), ())
        return True

    def _leaf(self, node, attrs) -> Expr:
        if attrs["op"] == "input":
            return Expr(self.ctx.inputs[node], PREC_ATOM)
        if attrs["op"] == "const":
            return _const(self.ctx, node, attrs)
        return Expr(self.bases[node], PREC_ATOM)  # absorbed: never read by name

    # -- pass 2: the text -------------------------------------------------------------
    def spell(self, names: dict, last_read: dict) -> Body:
        exprs: dict[int, Expr] = {}
        lines: list[Line] = []
        folded_keys: dict[int, list] = {}
        last_comment = None
        statement_nodes = {s.node for s in self.statements}
        for node in self.order:
            attrs = self.g._node[node]
            if attrs["op"] in ("input", "const"):
                exprs[node] = self._leaf(node, attrs)
                continue
            if node in self.absorbed:
                continue  # written by the accumulation that reads it
            keys = _merged([folded_keys[a] for a in attrs["args"] if a in folded_keys])
            if node in self.folded:
                # NOTE: spelling is pure, so the draft is the text when the names it
                # reads are the base names it was spelled with (most are).
                same = all(names[r] == self.bases[r] for r in self.refs[node])
                exprs[node] = self.folded[node] if same else self._spelled(node, attrs, exprs)
                own = _key(attrs)
                folded_keys[node] = keys if own in keys else keys + [own]
                continue
            assert node in statement_nodes
            code = self._statement(node, attrs, exprs, names)
            text = self._comment(_key(attrs), keys)
            comment = text if text != last_comment else None
            last_comment = text if text is not None else last_comment
            lines.append(Line(code, comment))
        texts = {n: e.text for n, e in exprs.items()}
        self._free(lines, names, last_read, {texts[r] for r in self.roots})
        return Body(lines, texts, self.roots)

    def _comment(self, own, keys) -> str | None:
        cache = self.__dict__.setdefault("_comments", {})
        key = (own, tuple(keys))
        if key not in cache:
            cache[key] = comments.provenance(own, keys, self.ctx.main_file, self.ctx.def_lines)
        return cache[key]

    def _spelled(self, node, attrs, exprs) -> Expr:
        spec = REGISTRY[attrs["op"]]
        operands = [exprs[a] for a in attrs["args"]]
        if self.ctx.arrays is None:
            if node in self.identity:
                return operands[0]
            if attrs["op"] == "reshape":
                unit = idioms.unit_axis(self.g._node[attrs["args"][0]]["shape"],
                                        attrs["shape"], operands[0])
                if unit is not None:
                    return unit
            params = idioms.keepdims_params(attrs["params"]) if node in self.kept \
                else attrs["params"]
            return spec.spell(operands, params, _aval(attrs))
        if node in self.ctx.arrays:
            return portable.spell(self.g, node, operands, self.ctx.arrays)
        return portable.scalar_spell(attrs, operands, self.ctx.main_file)

    def _statement(self, node, attrs, exprs, names) -> list[str]:
        if node in self.accumulate:
            first, second = self.accumulate[node]
            target = exprs[first].text
            exprs[node] = Expr(target, PREC_ATOM)
            symbol = "+=" if attrs["op"] == "add" else "-="
            if second in self.absorbed:
                s = self.g._node[second]
                return [REGISTRY[s["op"]].accumulate(target, symbol, [exprs[s["args"][0]]],
                                                     s["params"])]
            return [f"{target} {symbol} {exprs[second].text}"]
        statement = self.ctx.statement_of(REGISTRY[attrs["op"]])
        name = names.get(node, "")  # (an effect binds no name)
        if statement is not None:
            operands = [Expr(_atom(exprs[a]), PREC_ATOM) for a in attrs["args"]]
            code = statement(name, operands, attrs["params"], _aval(attrs))
        else:
            code = [f"{name} = {self._spelled(node, attrs, exprs).text}"]
        exprs[node] = Expr(name, PREC_ATOM)
        return code

    def _free(self, lines: list[Line], names: dict, last_read: dict, kept: set) -> None:
        """`del` each large array's name after the last statement that names it (a
        statement binding it or reading a value bound to it), unless a return reads it
        (`kept`)."""
        last: dict[str, tuple[int, int]] = {}  # name -> (its last statement, the value)
        for i, s in enumerate(self.statements):
            v = s.node
            if s.binds and _is_big(self.g._node[v]) and names[v] not in kept:
                end = max(i, last_read.get(v, i))
                if names[v] not in last or end > last[names[v]][0]:
                    last[names[v]] = (end, v)
        for name, (i, v) in sorted(last.items()):
            s = self.statements[i]
            if s.binds and s.node != v and names[s.node] == name:
                continue  # that statement reads the value and rebinds its name: freed
            lines[i].free.append(name)


def _merged(lists: list[list]) -> list:
    """The source lines of several folded operands, each once, in order."""
    if not lists:
        return []
    if len(lists) == 1:
        return lists[0]
    return list(dict.fromkeys(k for keys in lists for k in keys))


def _ancestors(g, roots) -> set:
    seen = set(roots)
    stack = list(roots)
    while stack:
        for a in g._node[stack.pop()]["args"]:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return seen


def _aval(attrs) -> Aval:
    return Aval(attrs["shape"], attrs["dtype"], attrs["python"])


def _atom(e: Expr) -> str:
    """Operands of statement ops must be simple names or atoms."""
    return e.text if e.prec >= PREC_ATOM else f"({e.text})"


def _key(attrs) -> tuple:
    return (attrs["phase"], attrs["file"], attrs["line"])


def _is_big(attrs) -> bool:
    return attrs["op"] not in ("input", "const") and not attrs["python"] and \
        math.prod(attrs["shape"]) >= FREE_MIN_ELEMENTS


def _has_own_name(attrs) -> bool:
    """A forward value the source named, or the gradient of a value."""
    return attrs["name"] is not None and attrs["phase"] == "forward" or \
        attrs["phase"] == "adjoint" and attrs["adjoint_of"] is not None


def _const(ctx: _Context, node, attrs) -> Expr:
    import numpy as np
    value = attrs["params"]["value"]
    if ctx.arrays is not None:
        return portable.constant(attrs, ctx.constants.get(node))
    if node in ctx.constants:
        return Expr(ctx.constants[node], PREC_ATOM)
    if isinstance(value, SymArray):  # its shape is read from the arguments
        return Expr(value.text(), PREC_ATOM)
    if not attrs["python"] and np.ndim(value) > 0:  # all-zero arrays are printed inline
        return Expr(f"np.zeros({tuple(np.shape(value))!r}, dtype=np.{attrs['dtype']})",
                    PREC_ATOM)
    return literal(value, attrs["python"])
