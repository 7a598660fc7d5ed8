"""A float32 program verified twice: its float64 twin (the same traced graph with every
float32 value and cast widened, compiled the same way) by the usual methods at float64
tolerances, which catches rule errors; and the float32 module against the twin and the
function, within tolerances derived from float32's epsilon and the graph's depth plus
the gradient's measured sensitivity to float32-sized changes of its inputs."""

from __future__ import annotations

import numpy as np

from . import gradcheck
from .verify import BUG, RTOL_FORWARD, _over_points, _plain_call, _upcast, call_user


def depth(graph) -> int:
    """The longest chain of operations in the graph (rounding grows along it)."""
    d = {}
    for node in sorted(graph):
        args = graph.nodes[node]["args"]
        d[node] = 1 + max((d[a] for a in args), default=-1)
    return max(d.values(), default=0)


def widen(graph):
    """The float64 twin: the same graph with every float32 value and cast widened."""
    twin = graph.copy()
    for _, attrs in twin.nodes(data=True):
        if attrs["dtype"] == "float32":
            attrs["dtype"] = "float64"
        params = attrs["params"]
        if params.get("dtype") == "float32":
            attrs["params"] = dict(params, dtype="float64")
        if attrs["op"] == "const" and np.asarray(params["value"]).dtype == np.float32:
            value = params["value"]
            attrs["params"] = dict(params, value=np.asarray(value, dtype=np.float64)[()]
                                   if isinstance(value, np.generic) else
                                   np.asarray(value, dtype=np.float64))
    return twin


EPS32 = float(np.finfo(np.float32).eps)


def verify_float32(v, ref, graph, twin):
    """The float64 twin at float64 tolerances (rules), then the float32 module against
    the twin and the function at tolerances from float32's epsilon and the depth."""
    d = depth(graph) if graph is not None else 100
    rtol32 = min(1e-2, max(RTOL_FORWARD["float32"], 4 * EPS32 * d))
    v.report.rtol_forward = rtol32
    v.report.rtol_gradient = gradcheck.RTOL_COMPLEX
    twin_module = None
    if twin is not None and graph is not None:
        try:
            twin_module = twin()
        except Exception as exc:  # NOTE: verification goes on without it, and says so
            v.report.notes.append(f"no float64 twin ({type(exc).__name__}: {exc}); the "
                                  "float32 module was checked by differences only")
    if twin_module is None:  # no twin to compare with: differences of the function
        v.precision = "float32"

        def run(args, label, value, todo, joint):
            grads = v.run_module(v.module, args, label, value, rtol32)
            return v.check_gradients(v.fn, call_user, None, args, grads, label, None, todo)
        _over_points(v, ref, run)
        return
    v.precision = "float64"
    twin_graph = widen(graph)

    def run(args, label, value, todo, joint):
        grads32 = v.run_module(v.module, args, label, value, rtol32)
        wide = [_upcast(a) for a in args]
        _, grads64 = twin_module.value_and_grad(*wide)
        left = v.check_gradients(twin_module.forward, _plain_call, twin_graph, wide, grads64,
                                 label, lambda a: twin_module.grad(*a), todo, joint)
        # How much float32-sized changes of the inputs move the gradient: the rounding
        # inside the float32 module is amplified alike (sin of a large argument).
        nudged = list(wide)
        for i in v.index:
            x = np.asarray(wide[i], dtype=np.float64)
            nudged[i] = gradcheck.move(wide[i], (x * EPS32 * v.rng.choice(
                [-1.0, 1.0], size=x.shape)).reshape(-1))
        sensitivity = twin_module.grad(*nudged)
        for name, k, g32, g64, g_near in zip(v.wrt, v.index, grads32, grads64, sensitivity):
            g32, g64 = np.asarray(g32, dtype=np.float64), np.asarray(g64, dtype=np.float64)
            x = np.asarray(wide[k], dtype=np.float64)
            scale = max(float(np.max(np.abs(g64), initial=0.0)),
                        abs(float(value)) / max(1.0, float(np.sqrt(np.mean(x * x)))))
            err = float(np.max(np.abs(g32 - g64), initial=0.0))
            amplified = 2 * d * float(np.max(np.abs(np.asarray(g_near) - g64), initial=0.0))
            if err > rtol32 * scale + amplified:
                v.fail(f"the float32 gradient with respect to {name!r} differs from its "
                       f"float64 twin's (verified) by {err:.3g} at {label}, more than "
                       f"float32 rounding over the graph's depth {d} explains (tolerance "
                       f"{rtol32 * scale + amplified:.3g})", "the function may lose precision in "
                       "float32 (cancellation); if it does not, " + BUG)
        return left

    _over_points(v, ref, run)
    v.report.float32 = (f"float64 twin checked so; float32 module against the twin and the "
                        f"function within {rtol32:.2g} (float32 epsilon, depth {d})")


def float32_use(graph) -> tuple[bool, bool]:
    """(whether the program computes in float32, whether it makes float32 values itself:
    a cast or a constant), which choose how verification checks it."""
    dtypes = [(a["dtype"], a["op"]) for _, a in graph.nodes(data=True)]
    return (any(d == "float32" for d, _ in dtypes),
            any(d == "float32" and op in ("astype", "const") for d, op in dtypes))
