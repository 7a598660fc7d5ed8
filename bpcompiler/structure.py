"""Structured parameters: a list, tuple, dict, NamedTuple or dataclass of arrays (or a
nest of them), as autograd's and JAX's users write `params = [(W1, b1), (W2, b2)]`.

Each leaf (an array or a number) is traced as an input of its own; a leaf is found by
its *path*, a tuple of steps: `("index", 1)` for a list or tuple element, `("key", "W")`
for a dict entry, `("attr", "W")` for a NamedTuple or dataclass field. The emitted
module unpacks the parameter readably and builds its gradient with the same structure.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np


def is_structure(value) -> bool:
    return isinstance(value, (list, tuple, dict)) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type))


def _is_namedtuple(value) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def children(value) -> list[tuple[tuple, object]]:
    """(step, child) for each element of a structure, in order."""
    if _is_namedtuple(value):
        return [(("attr", f), getattr(value, f)) for f in type(value)._fields]
    if isinstance(value, (list, tuple)):
        return [(("index", i), v) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return [(("key", k), v) for k, v in value.items()]
    return [(("attr", f.name), getattr(value, f.name)) for f in dataclasses.fields(value)]


def flatten(value, path: tuple = ()) -> list[tuple[tuple, object]]:
    """(path, leaf) for every leaf of `value`, depth first, in order."""
    if not is_structure(value):
        return [(path, value)]
    out = []
    for step, child in children(value):
        out += flatten(child, path + (step,))
    return out


def check_structure(value, name: str) -> str | None:
    """Why `value` cannot be a structured parameter (empty, a dict with non-string keys,
    a dataclass field that is not in its constructor), or None."""
    if not is_structure(value):
        return None
    if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        return f"{name} is a dict whose keys are not all strings"
    if dataclasses.is_dataclass(value) and not all(f.init for f in dataclasses.fields(value)):
        return f"{name} is a dataclass with a field its constructor does not take"
    if not children(value):
        return f"{name} is an empty {type(value).__name__}"
    for step, child in children(value):
        problem = check_structure(child, path_text(name, (step,)))
        if problem:
            return problem
    return None


def path_text(name: str, path: tuple) -> str:
    """How the source reads the leaf at `path`: `params[0][1]`, `params["W"]`, `p.W`."""
    text = name
    for kind, key in path:
        if kind == "key":
            text += f'["{key}"]' if '"' not in key and "\\" not in key else f"[{key!r}]"
        else:
            text += f"[{key}]" if kind == "index" else f".{key}"
    return text


def leaf_name(name: str, path: tuple) -> str:
    """An identifier for a leaf when the source does not name it: `params_0_1`, and
    `params_log_proportions` for the key "log proportions"."""
    parts = [name] + [re.sub(r"\W", "_", str(key)) for _, key in path]
    text = "_".join(parts)
    return text if text.isidentifier() else name + "_" + "_".join(
        str(i) for i in range(len(path)))


def rebuild(template, leaves: dict):
    """`template`'s structure with the leaf at each path taken from `leaves`."""
    def build(value, path):
        if not is_structure(value):
            return leaves[path]
        items = [(step, build(child, path + (step,))) for step, child in children(value)]
        if _is_namedtuple(value):
            return type(value)(*[v for _, v in items])
        if isinstance(value, (list, tuple)):
            return type(value)(v for _, v in items)
        if isinstance(value, dict):
            return {key: v for (_, key), v in items}
        return dataclasses.replace(value, **{key: v for (_, key), v in items})
    return build(template, ())


def same_structure(a, b) -> bool:
    """The same containers (types, lengths, keys, fields) all the way down."""
    if not is_structure(a):
        return not is_structure(b)
    if type(a) is not type(b):
        return False
    ca, cb = children(a), children(b)
    return [s for s, _ in ca] == [s for s, _ in cb] and all(
        same_structure(x, y) for (_, x), (_, y) in zip(ca, cb))


def unpack_lines(name: str, template, names: dict) -> list[str]:
    """Statements binding each leaf's name (`names[path]`) from parameter `name`: one
    unpacking assignment for a nest of lists and tuples (`(W1, b1), (W2, b2) = params`),
    else one line per leaf (`W = params["W"]`)."""
    def target(value, path):
        if not is_structure(value):
            return names[path]
        if isinstance(value, dict) or (dataclasses.is_dataclass(value) and
                                       not isinstance(value, tuple)):
            return None
        parts = [target(child, path + (step,)) for step, child in children(value)]
        if any(p is None for p in parts):
            return None
        inner = ", ".join(parts) + ("," if len(parts) == 1 else "")
        return f"({inner})" if path else inner

    whole = target(template, ())
    if whole is not None:
        return [f"{whole} = {name}"]
    return [f"{names[path]} = {path_text(name, path)}" for path, _ in flatten(template)]


def check_lines(name: str, template) -> list[str]:
    """One check per list, tuple or dict in the structure, outermost first: the
    container's type and length (a dict's keys), so a call with another structure is
    told which part differs rather than failing to unpack. Each failing check calls
    `_wrong_structure` (STRUCTURE_HELPER), which says which of the two is wrong."""
    lines = []

    def visit(value, path):
        if not is_structure(value) or dataclasses.is_dataclass(value) or \
                _is_namedtuple(value):
            if is_structure(value):
                for step, child in children(value):
                    visit(child, path + (step,))
            return
        text = path_text(name, path)
        if isinstance(value, dict):
            keys = repr(list(value))
            need = f"a dict with the keys {keys}"
            test = f"type({text}) is not dict or {text}.keys() != {{{keys[1:-1]}}}"
        else:
            kind = type(value).__name__
            need = f"a {kind} of {len(value)}"
            test = f"type({text}) is not {kind} or len({text}) != {len(value)}"
        lines.extend([f"if {test}:", f"    _wrong_structure({text!r}, {text}, {need!r})"])
        for step, child in children(value):
            visit(child, path + (step,))

    visit(template, ())
    return lines


# The helper the checks call, written into every module with a structured parameter.
STRUCTURE_HELPER = '''def _wrong_structure(name: str, value: Any, need: str) -> NoReturn:
    """Raise for a list, tuple or dict argument that is not the structure compiled for
    (`need`: "a list of 2", "a dict with the keys [...]")."""
    kind = need.split()[1]
    if type(value).__name__ != kind:
        got = type(value).__name__
        raise TypeError(
            f"{name} must be {need}, as this module was compiled for; got {got}"
        )
    got = f"the keys {list(value)}" if kind == "dict" else f"a {kind} of {len(value)}"
    raise ValueError(
        f"{name} must be {need}, as this module was compiled for; got {got}"
    )'''  # (as black writes it)


def pack_text(name: str, template, texts: dict) -> str:
    """Source text building `template`'s structure from each leaf's text (`texts[path]`):
    `[(d_W1, d_b1), (d_W2, d_b2)]`, `{"W": d_W, "b": d_b}`, `type(p)(W=d_W, b=d_b)` for a
    NamedTuple or dataclass (the module does not import the class: `type()` of the
    argument is it)."""
    def build(value, path):
        if not is_structure(value):
            return texts[path]
        items = [(key, build(child, path + ((kind, key),)))
                 for (kind, key), child in children(value)]
        if _is_namedtuple(value) or dataclasses.is_dataclass(value):
            inner = ", ".join(f"{k}={v}" for k, v in items)
            return f"type({path_text(name, path)})({inner})"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in items) + "}"
        inner = ", ".join(v for _, v in items)
        if isinstance(value, list):
            return f"[{inner}]"
        return f"({inner},)" if len(items) == 1 else f"({inner})"
    return build(template, ())


def describe(value) -> str:
    kind = type(value).__name__
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    return kind
