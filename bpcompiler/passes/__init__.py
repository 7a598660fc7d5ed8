"""Optimisation passes. Each is a pure `Graph -> Graph` function with its own tests;
`optimize` runs them to a fixed point (with a cap).

`optimize` does not run the passes one after another: each pass is a local rewrite of
one node given its (already rewritten) operands, so one walk over the graph applies
folding, algebra and CSE to each node in turn, and dead-code elimination is the walk's
filter. One walk per round instead of four, and the fixed point is known without
comparing graphs: after a walk in which every node was rewritten to its own fixed point
(no rule added a node behind the walk's back), another walk would change nothing. With `debug`, the
passes run separately and the graph is checked and interpreted after each one, so a pass
that breaks the graph or changes a value is named.
"""

from __future__ import annotations

from ..graph import check_graph
from .algebra import algebra_rule, simplify_algebra
from .cse import cse_rule, eliminate_common_subexpressions
from .dce import drop_dead_code, eliminate_dead_code, live_nodes
from .fold import fold_constants, fold_rule
from .rebuild import rebuild

PIPELINE = (fold_constants, simplify_algebra, eliminate_common_subexpressions,
            eliminate_dead_code)
MAX_ROUNDS = 10
MAX_LOCAL_REWRITES = 8  # rewrites of one node within one walk (each makes it simpler)


def _fused(changed: list):
    """One walk's rewrite. `changed` is [any rewrite fired, a fold/algebra rule fired,
    the walk may have left work for another: a rule added a node that no rule or CSE
    saw, or one node used up its MAX_LOCAL_REWRITES]."""
    cse = cse_rule()

    def rewrite(h, attrs):
        result = None
        for _ in range(MAX_LOCAL_REWRITES):
            size = h.graph["next_id"]
            r = fold_rule(h, attrs)
            if r is None:
                r = algebra_rule(h, attrs)
            if r is None:
                break
            changed[0] = changed[1] = True
            if h.graph["next_id"] != size:
                r = _merge_added(h, cse, range(size, h.graph["next_id"]), r, changed)
            if isinstance(r, int):
                return r
            attrs = result = r
        else:
            changed[2] = True
        r = cse(h, attrs)
        if r is not None:
            changed[0] = True
            return r
        return result

    return rewrite


def _merge_added(h, cse, added, r, changed):
    """Nodes a rule added itself never met CSE: a constant is merged into an equal one
    now (in the rule's result); anything else leaves work for another walk."""
    canonical = {}
    for node in added:
        if h._node[node]["op"] == "const":
            canonical[node] = cse.canonical(h, node)
        else:
            changed[2] = True
    if isinstance(r, int):
        return canonical.get(r, r)
    return dict(r, args=tuple(canonical.get(a, a) for a in r["args"]))


def optimize(g, debug: bool = False, rounds: int = MAX_ROUNDS):
    """Run the passes to a fixed point, or for at most `rounds` walks (api.py optimises
    the forward graph with one walk: the joint graph is optimised to a fixed point
    after differentiation anyway)."""
    if debug:
        return _optimize_checked(g)
    for _ in range(rounds):
        changed = [False, False, False]
        g = rebuild(g, _fused(changed), keep=live_nodes(g).__contains__)
        if not changed[0]:
            break  # nothing was rewritten (dead code went in this walk): a fixed point
        if not changed[2]:
            # Every node was rewritten until no rule fired and then checked against the
            # nodes before it, and its operands were final by then: another walk would
            # rewrite nothing. What the rewrites left dead is all that is left.
            return drop_dead_code(g)
    return g


def _optimize_checked(g):
    from ..interpret import interpret  # debug only
    for _ in range(MAX_ROUNDS):
        size = len(g)
        changed = False
        for run in PIPELINE:
            before = _fingerprint(g)
            h = run(g)
            check_graph(h, run.__name__)
            _check_values(g, h, run.__name__, interpret)
            changed |= _fingerprint(h) != before
            g = h
        if not changed and len(g) == size:
            break
    return g


def _fingerprint(g) -> tuple:
    return tuple((a["op"], a["args"]) for _, a in sorted(g.nodes(data=True)))


def _check_values(before, after, name, interpret):
    """Interpret both graphs at random arguments; the outputs must agree."""
    import numpy as np
    from ..errors import InternalError
    from ..graph import outputs

    rng = np.random.default_rng(0)
    args = []
    for node in before.graph["inputs"]:
        a = before.nodes[node]
        if a["dtype"] in ("float64", "float32"):
            v = rng.uniform(0.5, 1.5, a["shape"]).astype(a["dtype"])
        else:
            v = np.ones(a["shape"], a["dtype"])
        args.append(v.item() if a["python"] else (v if a["shape"] else v[()]))
    with np.errstate(all="ignore"):
        x, y = interpret(before, args), interpret(after, args)
    for b, c in zip(outputs(before), outputs(after)):
        if not np.allclose(x[b], y[c], rtol=1e-9, atol=1e-12, equal_nan=True):
            raise InternalError(f"internal error after {name}: it changed a value",
                                hint="this is a bug in bpcompiler; please report it")


__all__ = ["PIPELINE", "optimize", "fold_constants", "simplify_algebra",
           "eliminate_common_subexpressions", "eliminate_dead_code"]
