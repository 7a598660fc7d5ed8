"""Names in the emitted module: the source's own names for forward values, `d_<name>`
for the gradient of a named value, the op's name for other temporaries. Names never
shadow keywords, builtins, the module aliases, the module's own functions or a
parameter, and collisions get `_1`, `_2`, ... in node order, so names are the same on
every run."""

from __future__ import annotations

import builtins
import keyword
import unicodedata

RESERVED = (set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))
            | {"np", "math", "numpy", "forward", "grad", "value_and_grad", "WRT"})
ADJOINT_PREFIX = "d_"


class Namespace:
    def __init__(self, fixed: tuple[str, ...] = ()):
        self.taken = set(RESERVED) | {unicodedata.normalize("NFKC", n) for n in fixed}
        self.next_suffix: dict[str, int] = {}  # NOTE: keeps claim() O(1) for 100k names

    def claim(self, base: str) -> str:
        # NOTE: Python reads identifiers in NFKC form (`ﬁ` is `fi`), so compare them so.
        base = unicodedata.normalize("NFKC", base)
        base = base if base.isidentifier() else "v"
        name, k = base, self.next_suffix.get(base, 0)
        if k:
            name = f"{base}_{k}"
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.next_suffix[base] = k
        self.taken.add(name)
        return name


def base_name(g, node: int, names: dict) -> str:
    """What a node would like to be called, before collisions are resolved."""
    attrs = g.nodes[node]
    if attrs["phase"] == "adjoint" and attrs["adjoint_of"] is not None:
        of = attrs["adjoint_of"]
        return ADJOINT_PREFIX + (names.get(of) or attrs_name(g, of))
    if attrs["name"] is not None and attrs["phase"] == "forward":
        return attrs["name"]
    return attrs["op"]


def attrs_name(g, node: int) -> str:
    attrs = g.nodes[node]
    return attrs["name"] or attrs["op"]
