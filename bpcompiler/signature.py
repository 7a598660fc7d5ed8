"""The traced function's signature: which parameters are traced, which are compile-time
constants, and how the emitted functions are declared and called.

- A parameter with a default keeps it: its example is the default unless one is given,
  the default `wrt` leaves it out, and the emitted functions declare the same default.
- Keyword-only parameters stay keyword-only (examples may be given by name).
- A parameter is *static*, a compile-time constant, when its example is not a number
  or an array (None, a string, a tuple of numbers in a default), or when it is an int
  or bool the function needs as a concrete number: a loop bound, a slice bound, a size,
  an `if` (trace.py finds these and traces again). The module is specialised to its
  example value, and its guard refuses any other value, saying how to recompile.
- A parameter whose example is a list, tuple, dict, NamedTuple or dataclass is
  *structured* (structure.py): each leaf is an input of its own.

`Leaf`s are the traced inputs, in order: a plain parameter is one leaf with path ().
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass, field

from . import structure
from .errors import ArgumentError

EMPTY = inspect.Parameter.empty


@dataclass
class Param:
    name: str
    keyword_only: bool
    default: object  # EMPTY when there is none
    value: object  # the example
    static: bool = False
    structured: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not EMPTY


@dataclass
class Leaf:
    param: int  # index of its parameter in Signature.params
    path: tuple  # () for a plain parameter, else the steps into the structure
    name: str  # the input's name in the graph and the emitted body
    value: object


@dataclass
class Signature:
    params: list
    leaves: list = field(default_factory=list)

    def leaf_values(self) -> tuple:
        return tuple(leaf.value for leaf in self.leaves)

    def arguments(self, leaf_values) -> tuple[list, dict]:
        """(args, kwargs) calling the function with these leaf values (statics and
        defaults at their example values)."""
        by_param: dict[int, dict] = {}
        for leaf, value in zip(self.leaves, leaf_values):
            by_param.setdefault(leaf.param, {})[leaf.path] = value
        args, kwargs = [], {}
        for i, p in enumerate(self.params):
            if i in by_param:
                value = structure.rebuild(p.value, by_param[i]) if p.structured \
                    else by_param[i][()]
            else:
                value = p.value
            if p.keyword_only:
                kwargs[p.name] = value
            else:
                args.append(value)
        return args, kwargs

    def call(self, fn, leaf_values):
        args, kwargs = self.arguments(leaf_values)
        return fn(*args, **kwargs)

    def leaf_values_for(self, fn, args) -> tuple:
        """The leaves' values in other example arguments for the same parameters."""
        bound = bind(fn, args)
        out = []
        for leaf in self.leaves:
            value = bound.params[leaf.param].value
            for _, key in leaf.path:
                value = getattr(value, key) if isinstance(key, str) and not \
                    isinstance(value, dict) else value[key]
            out.append(value)
        return tuple(out)

    def plain(self) -> bool:
        """Every parameter a leaf of its own, positional, without a default."""
        return len(self.leaves) == len(self.params) and not any(
            p.static or p.structured or p.keyword_only or p.has_default for p in self.params)

    def leaves_of(self, name: str) -> list:
        index = [p.name for p in self.params].index(name)
        return [leaf for leaf in self.leaves if leaf.param == index]

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


def bind(fn, args, static: frozenset = frozenset(), file=None, line=None,
         complete: bool = True) -> Signature:
    """The signature of `fn` with example `args`: a tuple or list of values in the
    signature's order (parameters left out take their defaults), or a dict by name.
    With `complete=False` a parameter may lack an example (its value is EMPTY)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise ArgumentError(f"cannot read the signature of {fn!r}", file=file, line=line,
                            hint="pass a plain Python function")
    listed = list(signature.parameters.values())
    for p in listed:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            star = "*" if p.kind == p.VAR_POSITIONAL else "**"
            raise ArgumentError(f"{fn.__name__} takes {star}{p.name}", file=file, line=line,
                                hint="list every parameter by name so each gets one "
                                     "example value")
    names = tuple(p.name for p in listed)
    given = _given(fn, args, names, file, line)
    params = []
    for p in listed:
        if p.name in given:
            value = given[p.name]
        elif p.default is not EMPTY:
            value = p.default
        elif not complete:
            value = EMPTY
        else:
            raise ArgumentError(f"no example value for {fn.__name__}'s parameter {p.name!r} "
                                f"(parameters {names}, {len(given)} example values given)",
                                file=file, line=line,
                                hint="pass one example value per parameter without a "
                                     "default, in order (or a dict by name)")
        params.append(Param(p.name, p.kind == p.KEYWORD_ONLY, p.default, value,
                            static=p.name in static))
    return Signature(params)


def _given(fn, args, names, file, line) -> dict:
    if isinstance(args, dict):
        unknown = [k for k in args if k not in names]
        if unknown:
            raise ArgumentError(f"example values are given for {unknown}, which "
                                f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'}"
                                f" of {fn.__name__} {names}", file=file, line=line,
                                hint="name parameters from the signature")
        return dict(args)
    args = tuple(args)
    if len(args) > len(names):
        raise ArgumentError(f"{fn.__name__} takes {len(names)} parameters {names} but "
                            f"{len(args)} example arguments were given", file=file, line=line,
                            hint="pass one example value per parameter, in order")
    return dict(zip(names, args))


def is_literal(value) -> bool:
    """Whether `repr(value)` is Python source for the same value (None, bool, int,
    float, str, and tuples/lists of them): what a static value or a default needs to be
    written into the module."""
    try:
        return ast.literal_eval(repr(value)) == value and type(
            ast.literal_eval(repr(value))) is type(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


# -- the emitted module's side -------------------------------------------------------
def def_items(sig: Signature, hints: dict | None = None) -> list[str]:
    """The parameter list of each emitted function: the source's, defaults and `*`,
    each parameter with its type hint from `hints` (hints.py) when given."""
    items, star = [], False
    for p in sig.params:
        if p.keyword_only and not star:
            items.append("*")
            star = True
        hint = (hints or {}).get(p.name)
        name = p.name if hint is None else f"{p.name}: {hint}"
        eq = "=" if hint is None else " = "
        items.append(f"{name}{eq}{p.default!r}" if p.has_default else name)
    return items


def call_items(sig: Signature) -> list[str]:
    """The arguments forwarding every parameter to another emitted function."""
    return [f"{p.name}={p.name}" if p.keyword_only else p.name for p in sig.params]


def static_guard_lines(sig: Signature, function: str, regenerate: str) -> list[str]:
    """`if n != 5: raise ValueError(...)` for each static parameter."""
    lines = []
    for p in sig.params:
        if not p.static:
            continue
        test = f"{p.name} is not {p.value!r}" if p.value is None or isinstance(p.value, bool) \
            else f"{p.name} != {p.value!r}"
        message = (f", but this module was compiled for {p.name}={p.value!r} (a compile-time "
                   f"constant of {function}: a loop bound, slice bound, size or option); "
                   f"recompile with the value you need as the example: {regenerate}")
        body = f"{p.name}={{{p.name}!r}}" + message.replace("{", "{{").replace("}", "}}")
        if regenerate.startswith("bpcompiler ") and type(p.value) is int:
            body += f" --arg '{p.name}=int in [{{{p.name}}}, {{{p.name}}}]'"
        lines += [f"if {test}:", f"    raise ValueError(f{body!r})"]
    return lines


def unpack_lines(sig: Signature) -> list[str]:
    """Statements binding each structured parameter's leaves to their names."""
    lines = []
    for i, p in enumerate(sig.params):
        if p.structured:
            names = {leaf.path: leaf.name for leaf in sig.leaves if leaf.param == i}
            lines += structure.check_lines(p.name, p.value)
            lines += structure.unpack_lines(p.name, p.value, names)
    return lines


def gradient_texts(sig: Signature, wrt: tuple, leaf_texts: dict) -> list[str]:
    """One text per `wrt` parameter: its leaf's gradient, or the structure built from
    its leaves' gradients (`leaf_texts` maps leaf names to the gradients' texts)."""
    out = []
    for name in wrt:
        p = sig.param(name)
        if p.structured:
            texts = {leaf.path: leaf_texts[leaf.name] for leaf in sig.leaves_of(name)}
            out.append(structure.pack_text(name, p.value, texts))
        else:
            out.append(leaf_texts[sig.leaves_of(name)[0].name])
    return out


def of_graph(g) -> Signature:
    """The graph's signature; one plain parameter per input for a graph built without
    one (tests, hand-made graphs)."""
    sig = g.graph.get("signature")
    if sig is None:
        sig = Signature([Param(n, False, EMPTY, None) for n in g.graph["params"]])
        sig.leaves = [Leaf(i, (), n, None) for i, n in enumerate(g.graph["params"])]
    return sig


def prologue_lines(g, regenerate: str) -> list[str]:
    """The lines each emitted function starts with: static guards, then unpacking."""
    sig = of_graph(g)
    return static_guard_lines(sig, g.graph["function"], regenerate) + unpack_lines(sig)
