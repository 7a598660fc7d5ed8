"""Leaf ops: the function's inputs and the constants it uses.

The emitter prints these itself (a parameter name, a literal, or a module-level constant),
so their `spell` is never called for output.
"""

from __future__ import annotations

from .tangents import constant
from .registry import Op, register


def _leaf_rule(op, avals, params, python):
    raise AssertionError("leaf nodes are created directly, not through a shape rule")


def _not_spelled(args, params, aval):
    raise AssertionError("the emitter prints leaves itself")


register(Op(name="input", arity=0, np_fn=None, py_fn=None, spell=_not_spelled,
            shape_rule=_leaf_rule, vjp=lambda g, y: (), jvp=constant,
            doc="a parameter of the traced function"))
register(Op(name="const", arity=0, np_fn=None, py_fn=None, spell=_not_spelled,
            shape_rule=_leaf_rule, vjp=lambda g, y: (), jvp=constant,
            doc="a constant: a literal, or an array the function closes over"))
