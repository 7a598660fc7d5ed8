"""Input domains: where an op's operands may lie, as objects the tests and the fuzzer use.

An op declares one `Domain` per operand (or one for all). A domain samples valid values
for the registry's generated tests, says whether a value lies safely inside it (with a
margin, so a finite-difference step stays inside too), and writes an expression that
moves any real value into it (`1.5 + np.tanh(v)`), which the fuzzer uses to keep
generated programs defined. Integer domains (masks, indices) are never differentiated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Domain:
    name: str
    # rng, shape, dtype -> an array of valid values
    draw: Callable
    # a float64 array -> whether every element is inside, with a margin
    holds: Callable = lambda x: True
    # (text, module) -> an expression mapping any real `text` inside ("np" or "math")
    move: Callable | None = None
    integer: bool = False  # masks and indices: not differentiated

    def sample(self, shape, dtype, rng):
        value = self.draw(rng, shape)
        return value if self.integer else np.asarray(value, dtype=dtype)

    def into(self, text: str, value, module: str = "np") -> str:
        """`text` itself when `value` lies inside, else an expression that does."""
        if self.move is None or self.holds(np.asarray(value, dtype=np.float64)):
            return text
        return self.move(text, module)


def _matrix(rng, shape):
    x = rng.uniform(-1.0, 1.0, size=shape)
    if len(shape) >= 2 and shape[-1] == shape[-2]:  # well conditioned when square
        x = x + 2.0 * np.eye(shape[-1])
    return x


def _signed(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


REAL = Domain("real", lambda rng, s: rng.uniform(-2.0, 2.0, size=s))
POSITIVE = Domain("positive", lambda rng, s: rng.uniform(0.5, 2.0, size=s),
                  holds=lambda x: bool(np.all(x > 0.1)),
                  move=lambda t, m: f"(1.5 + {m}.tanh({t}))")
NONZERO = Domain("nonzero", _signed, holds=lambda x: bool(np.all(np.abs(x) > 0.1)),
                 move=lambda t, m: f"(1.5 + {m}.tanh({t}))")
UNIT = Domain("unit", lambda rng, s: rng.uniform(-0.9, 0.9, size=s),
              holds=lambda x: bool(np.all(np.abs(x) < 0.9)),
              move=lambda t, m: f"(0.9 * {m}.tanh({t}))")
ABOVE1 = Domain("above1", lambda rng, s: rng.uniform(1.2, 3.0, size=s),
                holds=lambda x: bool(np.all(x > 1.1)),
                move=lambda t, m: f"(2.5 + {m}.tanh({t}))")
MATRIX = Domain("matrix", _matrix)
BOOL = Domain("bool", lambda rng, s: rng.integers(0, 2, size=s).astype(bool), integer=True)
# Indices in range along any axis of the shape, repeats included.
PERM = Domain("perm", lambda rng, s: rng.integers(0, min(s), size=s).astype(np.int64),
              integer=True)
# Indices into an axis of length >= 3, negative ones and repeats included.
INDEX = Domain("index", lambda rng, s: rng.integers(-3, 3, size=s).astype(np.int64),
               integer=True)



def _spd(rng, shape):
    b = rng.uniform(-1.0, 1.0, size=shape)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])


# Symmetric positive definite matrices (stacks too): cholesky, multivariate_normal's cov.
SPD = Domain("spd", _spd)
# Strictly inside (0, 1): logit, ndtri, the beta distribution.
PROBABILITY = Domain("probability", lambda rng, s: rng.uniform(0.05, 0.95, size=s),
                     holds=lambda x: bool(np.all((x > 0.02) & (x < 0.98))),
                     move=lambda t, m: f"(0.5 + 0.45 * {m}.tanh({t}))")

DOMAINS = {d.name: d for d in (REAL, POSITIVE, NONZERO, UNIT, ABOVE1, MATRIX, BOOL, PERM,
                               INDEX, SPD, PROBABILITY)}


def resolve(domain) -> Domain | tuple:
    """A Domain (or tuple of them) from a declaration, which may name them by string."""
    if isinstance(domain, tuple):
        return tuple(resolve(d) for d in domain)
    return DOMAINS[domain] if isinstance(domain, str) else domain
