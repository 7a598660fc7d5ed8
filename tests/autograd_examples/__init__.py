"""autograd 1.9.1's example objectives, ported to plain NumPy and SciPy (issue 11).

One module per example of autograd's `examples/`, keeping the original's helper
functions, parameter structures and closures, at small sizes. Each module's `setup()`
plays the part of the original's `__main__` block: it builds the data and returns a
`Setup` (the objective, its example arguments, what to differentiate, and the data
tests/test_autograd_examples.py hands to autograd's original code). Randomness inside
an objective becomes noise drawn outside it and passed in, as a user would do to get a
deterministic function.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable


@dataclasses.dataclass
class Setup:
    f: Callable[..., Any]
    args: tuple
    wrt: tuple[str, ...] | str | None = None
    data: dict = dataclasses.field(default_factory=dict)
    second: tuple | None = None  # a second point; default: the wrt leaves perturbed
    # spec strings with a symbolic batch dimension, for a batch that is an argument: one
    # module then serves the second batch size too
    specs: dict | None = None
    # "guard" for an objective whose loop stops on a traced value: its module follows the
    # example's path, and a point that takes another is compiled at that point
    control_flow: str = "refuse"
