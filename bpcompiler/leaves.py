"""An emitted module seen leaf by leaf, as verification calls it.

A structured parameter (a tuple, list or dict of arrays) is traced as its leaves, so
verification calls the function and the module with one argument per leaf: the
signature (signature.py) rebuilds the structures, fills in defaults and static
parameters, and a structured parameter's gradient comes back as its leaves once it is
checked to have the parameter's structure.
"""

from __future__ import annotations

import functools

from .errors import VerificationError
from .structure import flatten, same_structure

BUG = "this is a bug in bpcompiler; please report it"  # (verification's hint for its own bugs)


def leaf_function(fn, signature):
    """`fn` called with one argument per traced leaf (structures rebuilt, defaults and
    static parameters filled in by the signature)."""
    @functools.wraps(fn)
    def on_leaves(*leaves):
        return signature.call(fn, leaves)
    return on_leaves


class LeafModule:
    """An emitted module seen leaf by leaf: its functions take one argument per traced
    leaf, and a structured parameter's gradient comes back as its leaves (after checking
    that it has the parameter's structure)."""

    def __init__(self, module, signature, wrt_params):
        self.module, self.signature, self.wrt_params = module, signature, wrt_params

    def forward(self, *leaves):
        return self.signature.call(self.module.forward, leaves)

    def value_and_grad(self, *leaves):
        value, grads = self.signature.call(self.module.value_and_grad, leaves)
        return value, self.leaves_of(grads)

    def grad(self, *leaves):
        return self.leaves_of(self.signature.call(self.module.grad, leaves))

    def leaves_of(self, grads):
        if not isinstance(grads, tuple) or len(grads) != len(self.wrt_params):
            return grads  # (the type check says what is wrong)
        out = []
        for name, g in zip(self.wrt_params, grads):
            p = self.signature.param(name)
            if not p.structured:
                out.append(g)
            elif not same_structure(g, p.value):
                raise VerificationError(
                    f"the gradient with respect to {name!r} is a {type(g).__name__}, not a "
                    "structure like the parameter's", hint=BUG)
            else:
                out += [leaf for _, leaf in flatten(g)]
        return tuple(out)
