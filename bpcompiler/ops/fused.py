"""The numba target's two internal ops (fused.py builds them; no trace does).

`fused_loop` calls one compiled loop (a module-level `@numba.njit` function that
fused_emit.py writes) on its region's inputs; with several outputs it returns them as a
tuple and `loop_output` reads one. Neither is differentiated, interpreted or folded:
they exist only in the graph lowered for `target="numba"`, after every pass has run.
"""

from __future__ import annotations

from .registry import PREC_ATOM, Expr, Op, evaluated_rule, register


def _call_statements(target, args, params, aval):
    """`t = _loop_1(x, float(s))`: a scalar operand is passed as a Python number (a
    0-d array would be typed as an array inside the loop)."""
    texts = [f"{params['casts'][i]}({a.text})" if params["casts"][i] else a.text
             for i, a in enumerate(args)]
    call = f"{params['kernel']}({', '.join(texts)})"
    # (a loop returns a reduction as a Python float; NumPy's is a float64)
    return [f"{target} = " + (f"np.float64({call})" if params.get("scalar") else call)]


def _not_spelled(args, params, aval):
    raise TypeError("fused_loop is written as a statement")


def _output_spell(args, params, aval):
    text = f"{args[0].text}[{params['index']}]"
    return Expr(f"np.float64({text})" if params.get("scalar") else text, PREC_ATOM)


register(Op(name="fused_loop", arity=-1, np_fn=None, py_fn=None, spell=_not_spelled,
            statement=_call_statements, shape_rule=evaluated_rule, differentiable=False,
            names_as="loop",
            doc="calls a compiled loop over a region of elementwise ops (target='numba')"))
register(Op(name="loop_output", arity=1, np_fn=None, py_fn=None, spell=_output_spell,
            shape_rule=evaluated_rule, differentiable=False,
            doc="one of the values a compiled loop returns (target='numba')"))
