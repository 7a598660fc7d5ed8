"""Optimisation passes, listed once in PASSES. Each pass is a rule (a local rewrite of
one node given its already rewritten operands; see rebuild.py); common sub-expressions
are merged and dead code dropped by the walk itself.

`optimize` applies every pass in one walk: each node is rewritten by the rules in
PASSES until none fires, then merged with an equal earlier node, and what the walk
leaves unread is dropped. A node's operands are final when it is rewritten, so after
one walk another would change nothing, unless a rule built a node (which only the next
walk rewrites) or some node used up its rewrite budget: only then does it walk again
(at most `rounds` times).

With `debug` the same passes run one walk each, followed by merging and dead-code
elimination as walks of their own, and the graph is checked and interpreted after each,
so a pass that breaks the graph or changes a value is named.
"""

from __future__ import annotations

from ..graph import FLOAT_DTYPES, check_graph
from .algebra import algebra_rule, simplify_algebra
from .cse import eliminate_common_subexpressions
from .dce import eliminate_dead_code
from .fold import fold_constants, fold_rule
from .rebuild import WalkStats, live_nodes, rebuild

PASSES = (("fold_constants", fold_rule), ("simplify_algebra", algebra_rule))
MAX_ROUNDS = 10


def optimize(g, debug: bool = False, rounds: int = MAX_ROUNDS):
    """Run the passes to a fixed point, or for at most `rounds` walks (api.py optimises
    the forward graph with one walk: the joint graph is optimised to a fixed point
    after differentiation anyway)."""
    if debug:
        return _optimize_checked(g)
    rules = tuple(rule for _, rule in PASSES)
    for _ in range(rounds):
        stats = WalkStats()
        g = rebuild(g, rules, keep=live_nodes(g).__contains__, merge=True, prune=True,
                    stats=stats)
        if not stats.unfinished:
            break
    return g


def _optimize_checked(g):
    from ..interpret import interpret  # debug only
    steps = [(name, lambda h, rule=rule: rebuild(h, (rule,))) for name, rule in PASSES]
    steps += [("eliminate_common_subexpressions", eliminate_common_subexpressions),
              ("eliminate_dead_code", eliminate_dead_code)]
    for _ in range(MAX_ROUNDS):
        size = len(g)
        changed = False
        for name, run in steps:
            before = _fingerprint(g)
            h = run(g)
            check_graph(h, name)
            _check_values(g, h, name, interpret)
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
        if a["dtype"] in FLOAT_DTYPES:
            v = rng.uniform(0.5, 1.5, a["shape"]).astype(a["dtype"])
        else:
            v = np.ones(a["shape"], a["dtype"])
        args.append(v.item() if a["python"] else (v if a["shape"] else v[()]))
    with np.errstate(all="ignore"):
        try:
            x = interpret(before, args)
        except (ValueError, ArithmeticError):
            # NOTE: a `math` function outside its domain at this point (math.acosh(0.7)):
            # NumPy's would give nan, Python floats raise; the point checks nothing.
            return
        try:
            y = interpret(after, args)
        except (ValueError, ArithmeticError) as exc:
            raise InternalError(f"internal error after {name}: it made a value raise {exc!r}",
                                hint="this is a bug in bpcompiler; please report it") from exc
    for b, c in zip(outputs(before), outputs(after)):
        if not np.allclose(x[b], y[c], rtol=1e-9, atol=1e-12, equal_nan=True):
            raise InternalError(f"internal error after {name}: it changed a value",
                                hint="this is a bug in bpcompiler; please report it")


__all__ = ["PASSES", "optimize", "fold_constants", "simplify_algebra",
           "eliminate_common_subexpressions", "eliminate_dead_code"]
