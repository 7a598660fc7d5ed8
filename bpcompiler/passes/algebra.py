"""Algebraic simplification. Every rule keeps the node's shape, dtype and kind exactly
(a rule that would change any of them does not fire), so `x * 1.0` on an int or a
broadcasting `x + zeros` stay as they are."""

from __future__ import annotations

import numpy as np

from ..graph import FLOAT_DTYPES
from ..interpret import evaluate_node
from ..ops import REGISTRY
from ..ops.reductions import kept_shape
from ..ops.registry import Aval, elementwise_rule
from ..named import NamedFloat, named_scalar
from .fold import MAX_FOLDED_SIZE
from .rebuild import constant, hashable, is_const_equal, new, rebuild
from .stacks import stack_scatters

# Phases of derivative nodes (adjoints, forward-mode tangents): a zero there is a
# symbolic zero, so products with it vanish.
_DERIVED = ("adjoint", "tangent")


def _same(h, node: int, attrs: dict) -> bool:
    other = h._node[node]
    return (other["shape"], other["dtype"], other["python"]) == \
        (attrs["shape"], attrs["dtype"], attrs["python"])


# -- general rules: by what an op is, not by its name --------------------------------
def _shape_chain(h, attrs, ops):
    """A chain of reshapes and broadcasts of a one-element value is one broadcast of it."""
    nodes = h._node
    if not (REGISTRY[attrs["op"]].shape_only and REGISTRY[ops[0]].shape_only):
        return None
    inner = nodes[attrs["args"][0]]["args"][0]
    if int(np.prod(nodes[inner]["shape"])) == 1 and len(nodes[inner]["shape"]) <= len(
            attrs["shape"]):
        return dict(attrs, op="broadcast_to", args=(inner,), params={"shape": attrs["shape"]})
    return None


def _drop_broadcast(h, attrs, ops):
    """Elementwise ops broadcast by themselves: drop an explicit broadcast of an operand
    when the result's shape does not depend on it."""
    if REGISTRY[attrs["op"]].shape_rule is not elementwise_rule or "broadcast_to" not in ops:
        return None
    nodes = h._node
    new_args = tuple(nodes[a]["args"][0] if o == "broadcast_to" else a
                     for a, o in zip(attrs["args"], ops))
    if tuple(np.broadcast_shapes(*[nodes[a]["shape"] for a in new_args])) == attrs["shape"]:
        return dict(attrs, args=new_args)
    return None


def _constants_in_elementwise(h, attrs, ops):
    if REGISTRY[attrs["op"]].shape_rule is not elementwise_rule or not (
            "const" in ops or "broadcast_to" in ops):  # NOTE: most nodes have neither
        return None
    return _scalarize_constants(h, attrs) or _fold_through_broadcast(h, attrs, ops)


def _symbolic_zero(h, attrs, ops):
    if ("const" in ops or "broadcast_to" in ops) and attrs["phase"] in _DERIVED and \
            _linear_in_zero(h, attrs, ops):
        return _zero(attrs)
    return None


# -- identities, by op ------------------------------------------------------------------
def _multiply_identities(h, attrs, ops):
    a, b = attrs["args"]
    return _same_as(h, attrs, ([a] if is_const_equal(h, b, 1) else []) +
                    ([b] if is_const_equal(h, a, 1) else []))


def _add_identities(h, attrs, ops):
    a, b = attrs["args"]
    nodes = h._node
    if a == b and attrs["dtype"] in FLOAT_DTYPES:
        # x + x -> x * 2.0: exact in floating point, and a scale that merges with
        # other constant scales (`100 * s + 100 * s` -> `200 * s`).
        return dict(attrs, op="multiply", args=(a, constant(2.0, attrs, python=True)))
    found = _same_as(h, attrs, ([a] if is_const_equal(h, b, 0) else []) +
                     ([b] if is_const_equal(h, a, 0) else []))
    if found is not None:
        return found
    if ops[1] == "negative":  # a + (-b) -> a - b
        return dict(attrs, op="subtract", args=(a, nodes[b]["args"][0]))
    if ops[0] == "negative":  # (-a) + b -> b - a
        return dict(attrs, op="subtract", args=(b, nodes[a]["args"][0]))
    return None


def _subtract_identities(h, attrs, ops):
    a, b = attrs["args"]
    found = _same_as(h, attrs, [a] if is_const_equal(h, b, 0) else [])
    if found is None and ops[1] == "negative":  # a - (-b) -> a + b
        return dict(attrs, op="add", args=(a, h._node[b]["args"][0]))
    return found


def _divide_identities(h, attrs, ops):
    a, b = attrs["args"]
    return _same_as(h, attrs, [a] if is_const_equal(h, b, 1) else [])


def _power_identities(h, attrs, ops):
    a, b = attrs["args"]
    found = _same_as(h, attrs, [a] if is_const_equal(h, b, 1) else [])
    # x ** 2 -> x * x: NumPy computes the power as this square anyway; for Python
    # floats x * x is the correctly rounded square (libm's pow may be an ulp off)
    # and several times cheaper than a float power in CPython.
    if found is None and is_const_equal(h, b, 2) and _same(h, a, attrs) \
            and attrs["dtype"] in FLOAT_DTYPES:
        return dict(attrs, op="multiply", args=(a, a))
    return found


def _double_negation(h, attrs, ops):
    if ops[0] == "negative":
        return _same_as(h, attrs, [h._node[attrs["args"][0]]["args"][0]])
    return None


def _no_op(h, attrs, ops):
    """A reshape, broadcast, cast or reduction that leaves its operand as it is."""
    op, params, (x,) = attrs["op"], attrs["params"], attrs["args"]
    nodes = h._node
    if op == "reshape" and ops[0] == "reshape":
        return dict(attrs, args=nodes[x]["args"])
    if op == "transpose" and params["axes"] != tuple(range(len(params["axes"]))):
        return None  # a square matrix's transpose has its shape, but is not it
    if op in ("sum", "mean") and (params["axis"] is None and nodes[x]["shape"] or
                                  params["axis"] not in ((), None) and not all(
                                      nodes[x]["shape"][a] == 1 for a in params["axis"])):
        return None
    return _same_as(h, attrs, [x])


def _keepdims(h, attrs, ops):
    """A reduction reshaped to keep its reduced axes is the reduction with keepdims:
    `np.sum(x, axis=1, keepdims=True)`, not `np.reshape(np.sum(x, axis=1), (16, 1))`.
    NOTE: not through a negation (`np.reshape(-np.sum(...))`): hoisted out of the
    reshape, it would also be hoisted out of a scatter reading it, and a gradient
    accumulated in one buffer would need two."""
    if ops[0] not in ("sum", "mean"):
        return None
    inner = h._node[attrs["args"][0]]
    params = inner["params"]
    if params["keepdims"] or attrs["shape"] != kept_shape(
            h._node[inner["args"][0]]["shape"], params["axis"]):
        return None
    return dict(attrs, op=inner["op"], args=inner["args"], params=dict(params, keepdims=True))


def _whole_scatter(h, attrs, ops):
    """A scatter whose index only adds axes (`d[None, :, :] = v`, the gradient of
    `x[None, :, :]`) writes every entry: it is a reshape of the value (which a
    reduction with keepdims then absorbs)."""
    index = attrs["params"]["index"]
    if not all(item[0] in ("newaxis", "ellipsis") or item == ("slice", None, None, None)
               for item in index):
        return None
    (x,) = attrs["args"]
    if int(np.prod(h._node[x]["shape"])) != int(np.prod(attrs["shape"])) or \
            h._node[x]["dtype"] != attrs["dtype"]:
        return None
    return dict(attrs, op="reshape", params={"shape": attrs["shape"]})


def _unkept(h, attrs, ops):
    """`np.reshape(np.sum(x, axis=0, keepdims=True), (8, 3))` is `np.sum(x, axis=0)`."""
    if ops[0] not in ("sum", "mean"):
        return None
    inner = h._node[attrs["args"][0]]
    params = inner["params"]
    if not params["keepdims"] or params["axis"] is None:
        return None
    source = h._node[inner["args"][0]]["shape"]
    if attrs["shape"] != tuple(n for i, n in enumerate(source) if i not in params["axis"]):
        return None
    return dict(attrs, op=inner["op"], args=inner["args"], params=dict(params, keepdims=False))


def _where_identities(h, attrs, ops):
    c, a, b = attrs["args"]
    return _same_as(h, attrs, [a] if a == b else [])


def _same_as(h, attrs, candidates):
    for c in candidates:
        if _same(h, c, attrs):
            return c
    return None


# The rules, in the order they are tried: (the ops a rule applies to, or None for
# every op; the rule). A rule returns the node's replacement or None.
RULES = (
    (None, _shape_chain),
    (None, _drop_broadcast),
    ({"matmul"}, lambda h, attrs, ops: _cheaper_matmul_grouping(h, attrs, ops)
     if "matmul" in ops and attrs["phase"] in _DERIVED else None),
    (None, _constants_in_elementwise),
    (None, _symbolic_zero),
    ({"multiply"}, lambda h, attrs, ops: _merge_scales(h, attrs, ops)
     if "multiply" in ops else None),
    ({"add", "subtract"}, lambda h, attrs, ops: _factor_scale(h, attrs, ops)
     if ops == ["multiply", "multiply"] else None),
    ({"add", "subtract"}, stack_scatters),
    (None, lambda h, attrs, ops: _hoist_negation(h, attrs, ops)
     if "negative" in ops or attrs["op"] == "multiply" else None),
    ({"multiply"}, _multiply_identities),
    ({"add"}, _add_identities),
    ({"subtract"}, _subtract_identities),
    ({"divide"}, _divide_identities),
    ({"power"}, _power_identities),
    ({"negative"}, _double_negation),
    ({"reshape", "broadcast_to", "transpose", "astype", "sum", "mean"}, _no_op),
    ({"where"}, _where_identities),
    ({"reshape"}, _keepdims),
    ({"reshape"}, _unkept),
    ({"scatter"}, _whole_scatter),
)
# Per op, the rules that apply to it, in order (built once: most ops have few).
_BY_OP: dict = {}


def _rules_for(op: str) -> tuple:
    found = _BY_OP.get(op)
    if found is None:
        found = _BY_OP[op] = tuple(rule for ops, rule in RULES if ops is None or op in ops)
    return found


def _is_zero(h, node: int) -> bool:
    a = h._node[node]
    if a["op"] == "broadcast_to":
        node, a = a["args"][0], h._node[a["args"][0]]
    return a["op"] == "const" and is_const_equal(h, node, 0) and a["dtype"] in FLOAT_DTYPES


def _linear_in_zero(h, attrs, ops) -> bool:
    """Symbolic zeros: an adjoint op linear in an operand that is zero is zero (as JAX's
    `Zero`: gradients are never `0 * g`). Forward values keep IEEE semantics (0 * inf)."""
    positions = REGISTRY[attrs["op"]].linear_in  # (Op.linear_in: a zero there gives zero)
    if not positions or attrs["dtype"] not in FLOAT_DTYPES:
        return False
    return any(_is_zero(h, attrs["args"][i]) for i in positions if i < len(attrs["args"]))


def _zero(attrs):
    if attrs["python"]:
        return dict(attrs, op="const", args=(), params={"value": 0.0})
    zero = np.zeros((), dtype=attrs["dtype"])[()]
    if attrs["shape"] == ():
        return dict(attrs, op="const", args=(), params={"value": zero})
    c = constant(zero, attrs, python=False, dtype=attrs["dtype"])
    return dict(attrs, op="broadcast_to", args=(c,), params={"shape": attrs["shape"]})


def _fold_through_broadcast(h, attrs, ops):
    """An elementwise op of constants some of which are broadcast is the broadcast of the
    folded constants: `broadcast_to(1/64, (64,)) * -1` -> `broadcast_to(-1/64, (64,))`,
    which the consumers then absorb as a scalar."""
    if "broadcast_to" not in ops or not attrs["args"]:
        return None
    nodes = h._node
    inner = []
    for a, o in zip(attrs["args"], ops):
        i = nodes[a]["args"][0] if o == "broadcast_to" else a
        if nodes[i]["op"] != "const" or np.size(nodes[i]["params"]["value"]) > MAX_FOLDED_SIZE:
            return None
        inner.append(i)
    value = evaluate_node(dict(attrs, python=False), [nodes[i]["params"]["value"] for i in inner])
    if np.size(value) > MAX_FOLDED_SIZE or np.asarray(value).dtype.name != attrs["dtype"]:
        return None
    c = constant(value, attrs, python=False, dtype=attrs["dtype"])
    return dict(attrs, op="broadcast_to", args=(c,), params={"shape": attrs["shape"]})


def _python_const(h, node):
    a = h._node[node]
    return a["params"]["value"] if a["op"] == "const" and a["python"] and \
        type(a["params"]["value"]) in (float, NamedFloat) else None


def _merge_scales(h, attrs, ops):
    """`(a * c1) * c2` -> `a * (c1 * c2)` for float constants, in adjoints and tangents
    only (the forward keeps the source's rounding): one multiplication instead of two
    (`0.5 * L2 * t_w * 2.0` is `t_w * L2` in newton_fit's hvp)."""
    if attrs["op"] != "multiply" or attrs["phase"] not in _DERIVED or \
            attrs["dtype"] != "float64":
        return None
    nodes = h._node
    for i in (0, 1):
        c2 = _python_const(h, attrs["args"][1 - i])
        inner = nodes[attrs["args"][i]]
        if c2 is None or inner["op"] != "multiply" or inner["phase"] not in _DERIVED:
            continue
        for j in (0, 1):
            c1 = _python_const(h, inner["args"][1 - j])
            a = inner["args"][j]
            if c1 is not None and _same(h, a, attrs) or c1 is not None and \
                    nodes[a]["shape"] == attrs["shape"]:
                return dict(attrs, args=(a, constant(c1 * c2, attrs, python=True)))
    return None


def _factor_scale(h, attrs, ops):
    """`a * c + b * c` -> `(a + b) * c` (and `-`) for one float constant `c`, in adjoints
    only, as `_merge_scales`: one multiplication instead of two (`x * x`'s gradient
    doubles one term of a sum, a neighbour's doubles another). Opposite scales factor
    too: `a * -c + b * c` -> `(b - a) * c`, so a mean's gradient reads
    `(t - y) * (1.0 / N)` rather than `-1.0 / N * y + 1.0 / N * t`. A scale is a
    constant or a constant over one value (`1.0 / N`)."""
    if attrs["op"] not in ("add", "subtract") or attrs["phase"] != "adjoint" or \
            attrs["dtype"] != "float64":
        return None
    nodes = h._node
    terms = []
    for node in attrs["args"]:
        x, y = nodes[node]["args"]
        term = next(((a, c, key) for a, c in ((x, y), (y, x))
                     if (key := _scale_key(h, c)) is not None), None)
        if term is None or nodes[node]["phase"] != "adjoint" or not _same(h, term[0], attrs):
            return None
        terms.append(term)
    (a, c, (k1, over1)), (b, d, (k2, over2)) = terms
    if over1 != over2:
        return None
    if hashable(k1) == hashable(k2):  # (2.0 and 2.0 * EPSILON differ: named.py)
        inner = new(attrs["op"], (a, b), {}, attrs)
        return dict(attrs, op="multiply", args=(inner, c), params={})
    if type(k1) is float and type(k2) is float and k1 == -k2 != 0.0:
        # a * -d + b * d = (b - a) * d;  a * c - b * -c = (a + b) * c
        if attrs["op"] == "add":
            inner = new("subtract", (b, a), {}, attrs)
            return dict(attrs, op="multiply", args=(inner, d), params={})
        inner = new("add", (a, b), {}, attrs)
        return dict(attrs, op="multiply", args=(inner, c), params={})
    return None


def _scale_key(h, node):
    """(constant, what it divides or None) for a scale `c` or `c / x`; else None."""
    value = _python_const(h, node)
    if value is not None:
        return value, None
    attrs = h._node[node]
    if attrs["op"] == "divide" and attrs["python"] and attrs["shape"] == ():
        value = _python_const(h, attrs["args"][0])
        if value is not None:
            return value, attrs["args"][1]
    return None


def _hoist_negation(h, attrs, ops):
    """Move negations outwards, where additions absorb them (`a + -b` -> `a - b`):
    `x * -1` -> `-x`, `(-a) * (-b)` -> `a * b`, `(-a) * b` -> `-(a * b)`,
    `sum(-x)` -> `-sum(x)` (one negation of a scalar, not of an array), `scatter(-x)`
    -> `-scatter(x)` (which an accumulation then subtracts: `d_x[:-1] -= ...`),
    `(-a) - b` -> `-(a + b)`. Each keeps the shape, dtype and kind."""
    op, args = attrs["op"], attrs["args"]
    nodes = h._node
    if op == "multiply":
        for i in (0, 1):
            if is_const_equal(h, args[1 - i], -1) and _same(h, args[i], attrs):
                return dict(attrs, op="negative", args=(args[i],), params={})
        if ops == ["negative", "negative"]:
            return dict(attrs, args=(nodes[args[0]]["args"][0], nodes[args[1]]["args"][0]))
        if "negative" in ops and nodes[args[1 - ops.index("negative")]]["op"] != "const":
            i = ops.index("negative")
            inner = list(args)
            inner[i] = nodes[args[i]]["args"][0]
            return _negated(h, attrs, dict(attrs, args=tuple(inner)))
    if (op in ("sum", "mean") or REGISTRY[op].accumulate) and ops[0] == "negative":
        return _negated(h, attrs, dict(attrs, args=(nodes[args[0]]["args"][0],)))
    if op == "subtract" and ops[0] == "negative" and ops[1] != "negative":
        return _negated(h, attrs, dict(attrs, op="add",
                                       args=(nodes[args[0]]["args"][0], args[1])))
    return None


def _negated(h, attrs, inner_attrs):
    """`-(inner)`: the negation's attributes, with the inner node built."""
    inner = new(inner_attrs["op"], inner_attrs["args"], inner_attrs["params"], attrs)
    return dict(attrs, op="negative", args=(inner,), params={})


def _scalarize_constants(h, attrs):
    """In an elementwise op, a one-element NumPy constant becomes a Python scalar literal
    (`-0.0625 * Y`, not a module-level array) when that keeps shape, dtype and kind."""
    args = list(attrs["args"])
    nodes = h._node
    changed = False
    for i, a in enumerate(attrs["args"]):
        c = nodes[a]
        if c["op"] != "const" or c["python"] or np.size(c["params"]["value"]) != 1 \
                or c["dtype"] not in ("float64", "int64", "bool"):
            continue
        value = named_scalar(c["params"]["value"])
        if not isinstance(value, NamedFloat):  # (which is a Python float already)
            value = np.asarray(value).reshape(()).item()
        avals = [Aval((), b["dtype"], True) if isinstance(b, dict) else
                 Aval(nodes[b]["shape"], nodes[b]["dtype"], nodes[b]["python"])
                 for b in args]
        avals[i] = Aval((), c["dtype"], True)
        op = REGISTRY[attrs["op"]]
        if op.shape_rule(op, avals, attrs["params"], attrs["python"]) != \
                (attrs["shape"], attrs["dtype"]):
            continue
        if all(av.python for av in avals) and not attrs["python"]:
            continue  # operators on Python scalars only would give a Python scalar
        args[i] = constant(value, c, python=True, dtype=c["dtype"])
        changed = True
    return dict(attrs, args=tuple(args)) if changed else None


def _cheaper_matmul_grouping(h, attrs, ops):
    """(A @ B) @ C as A @ (B @ C), or A @ (B @ C) as (A @ B) @ C, when the other grouping
    takes fewer multiply-adds. The inner product is counted as free (it may have other
    users, so it may be computed anyway): only a clear win regroups. Gradient code only:
    regrouping changes rounding, and the forward keeps the source's order exactly. The
    typical win is the adjoint of `A @ B @ x`, where an outer product of vectors meets a
    matrix: `(g x^T) B^T` becomes `g (x^T B^T)`."""
    nodes = h._node
    left, right = attrs["args"]
    if any(len(nodes[n]["shape"]) != 2 for n in (left, right)):
        return None
    for side, inner in ((0, left), (1, right)):
        if ops[side] != "matmul":
            continue
        a, b = nodes[inner]["args"]
        if any(len(nodes[n]["shape"]) != 2 for n in (a, b)):
            continue
        if side == 0:  # (a @ b) @ right -> a @ (b @ right)
            (m, k), (_, n), (_, p) = nodes[a]["shape"], nodes[b]["shape"], nodes[right]["shape"]
            now, other = m * n * p, k * n * p + m * k * p
            first, second = (b, right), (a, None)
        else:  # left @ (a @ b) -> (left @ a) @ b
            (m, k), (_, n), (_, p) = nodes[left]["shape"], nodes[a]["shape"], nodes[b]["shape"]
            now, other = m * k * p, m * k * n + m * n * p
            first, second = (left, a), (None, b)
        if other >= now:
            continue
        x, y = first
        product = new("matmul", (x, y), {}, attrs,
                      shape=(nodes[x]["shape"][0], nodes[y]["shape"][1]))
        args = (second[0], product) if side == 0 else (product, second[1])
        return dict(attrs, args=args)
    return None


def algebra_rule(h, attrs):
    """The rule behind simplify_algebra (see rebuild.py): the first of RULES that fires."""
    nodes = h._node  # NOTE: networkx's raw node dict; `h.nodes[...]` builds a view per access
    ops = [nodes[a]["op"] for a in attrs["args"]]
    for rule in _rules_for(attrs["op"]):
        result = rule(h, attrs, ops)
        if result is not None:
            return result
    return None


def simplify_algebra(g):
    return rebuild(g, (algebra_rule,))
