"""Multi-output primitives: one node for a result that is a tuple, `proj` nodes for its parts.

np.linalg.eigh(A) computes its eigenvalues and eigenvectors together, so it is one node
(of dtype graph.MULTI_DTYPE) whose value is NumPy's own result, and each field the program
reads is a `proj` node that carries the field's index, name, shape and dtype. The emitted
code computes the decomposition once (`eigh_A = np.linalg.eigh(A)`) and reads fields
from it (`eigh_A.eigenvalues`), or writes `np.linalg.eigh(A).eigenvalues` when only one
is read. Reverse mode sums each field's cotangent on its proj node, then hands the
primitive's VJP rule all of them at once (None for a field nothing reads); forward mode
gives each proj node its part of the primitive's tuple of tangents (autodiff.py,
forward_mode.py). A primitive declares its fields in `Op.outputs` (see registry.py);
nothing else is needed to add one.
"""

from __future__ import annotations

from ..errors import InternalError
from .registry import PREC_ATOM, Expr, Op, paren, register


def _proj_spell(args, params, aval):
    whole = paren(args[0], PREC_ATOM)
    if params["attribute"]:
        return Expr(f"{whole}.{params['field']}", PREC_ATOM)
    return Expr(f"{whole}[{params['index']}]", PREC_ATOM)


def _proj_vjp(g, y, whole, **params):
    # NOTE: never called: autodiff collects the fields' cotangents for the primitive.
    raise InternalError("a proj node's cotangent goes to its primitive's VJP rule",
                        hint="this is a bug in bpcompiler; please report it")


def _proj_jvp(tangents, y, whole, **params):
    raise InternalError("a proj node's tangent comes from its primitive's JVP rule",
                        hint="this is a bug in bpcompiler; please report it")


register(Op(name="proj", arity=1,
            np_fn=lambda whole, index, field, attribute, shape, dtype: whole[index],
            py_fn=None, spell=_proj_spell,
            shape_rule=lambda op, avals, params, python: (tuple(params["shape"]),
                                                          params["dtype"]),
            vjp=_proj_vjp, jvp=_proj_jvp, view=True, analytic=True,
            array_api=_proj_spell, names_as="{0}_{field}",
            doc="one field of a multi-output primitive's result (eigh's eigenvalues)"))


def proj_params(op: Op, index: int, shape: tuple, dtype: str) -> dict:
    return {"index": index, "field": op.outputs[index], "attribute": op.output_attributes,
            "shape": tuple(shape), "dtype": dtype}
