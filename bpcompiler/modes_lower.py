"""Lowering the functions `emit=` adds beyond the gradient (modes.py built their nodes):
jvp, vjp, jacobian, hvp and hessian, each a body over the same joint graph, so each
reads the forward values it needs once.

Their extra arguments come after the function's own: `tangents` and `vectors` are
tuples in WRT order, unpacked on the body's first line into `t_<param>` and
`v_<param>`; `cotangent` has the output's shape. Results are named as a person would:
`d_<param>` (vjp), `jac_<param>`, `hvp_<param>`, `h_<param>_<param>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .body import lower_body
from .modes import result_names
from .structured import spell_structure

SIGNATURE = {"jvp": "tangents", "vjp": "cotangent", "hvp": "vectors"}
PREFIX = {"jvp": "t_", "hvp": "v_"}

DOCS = {  # one line each (black leaves docstrings as they are)
    "jvp": "(value, its tangent along `tangents`: one per WRT parameter): forward mode.",
    "vjp": "(value, gradients): `cotangent` pulled back to each WRT parameter.",
    "jacobian": "The Jacobian for each WRT parameter: output.shape + parameter.shape.",
    "hvp": "The Hessian times `vectors` (one per WRT parameter): forward over reverse.",
    "hessian": "The Hessian's blocks [i][j], of shape p_i.shape + p_j.shape (WRT order).",
}


@dataclass
class ExtraInputs:
    nodes: dict = field(default_factory=dict)  # input node -> the name the body reads
    names: dict = field(default_factory=dict)  # function -> its inputs' names, in order
    params: dict = field(default_factory=dict)  # function -> its extra parameter's name


def claim_inputs(g, space) -> ExtraInputs:
    """Module-level names for the extra arguments (claimed before any body's locals)."""
    extra = ExtraInputs()
    for mode, param in SIGNATURE.items():
        m = g.graph.get("modes", {}).get(mode)
        if m is None:
            continue
        extra.params[mode] = space.claim(param)
        flat = space.claim("cotangent_flat") if mode == "vjp" and \
            "output_structure" in g.graph else None
        names = [flat or extra.params[mode]] if mode == "vjp" else \
            [space.claim(PREFIX[mode] + p) for p in g.graph["wrt"]]
        extra.names[mode] = names
        for node, name in zip(m["inputs"], names):
            if node is not None:
                extra.nodes[node] = name
    return extra


def functions(g, ctx, preamble: list[str], extra: ExtraInputs, space) -> list:
    from .lower import Function, _gradient_names  # NOTE: local: lower imports this module
    modes, wrt, output = g.graph["modes"], g.graph["wrt"], g.graph["output"]
    structure = g.graph.get("output_structure")
    out = []
    for mode in ("jvp", "vjp", "jacobian", "hvp", "hessian"):
        if mode not in modes:
            continue
        nodes = modes[mode]["outputs"]
        value_too = mode in ("jvp", "vjp")
        leaves = g.graph.get("output_leaves", (output,))
        body = lower_body(ctx, (tuple(leaves) if value_too else ()) + tuple(nodes),
                          keep_named=mode == "vjp")
        wanted = result_names(g)[mode]
        names, lines = _gradient_names(g, body, space, nodes, wanted)
        first = list(preamble)
        params = ()
        if mode in extra.params:
            params = (extra.params[mode],)
            if mode != "vjp":
                first.append(_unpack(extra.names[mode], params[0]))
            elif structure is not None:  # the cotangent's leaves, packed as the output is
                first.append(_packed_cotangent(structure, extra.names[mode][0], params[0]))
        value = value_text(g, body) if value_too else None
        result = None
        if mode == "jvp":
            tangent = names[0] if structure is None else spell_structure(structure, names)
            result = f"{value}, {tangent}"
        elif mode == "jacobian" and structure is not None:
            k = len(leaves)
            result = _tuple([spell_structure(structure, names[i * k:(i + 1) * k])
                             for i in range(len(wrt))])
        elif mode == "hessian":
            k = len(wrt)
            result = _tuple([_tuple(names[i * k:(i + 1) * k]) for i in range(k)])
        out.append(Function(mode, DOCS[mode], first, body.statements + lines, value, names,
                            extra_params=params, result=result))
    return out


def value_text(g, body) -> str:
    """The returned value: the output, or a structured result's leaves in its structure."""
    structure = g.graph.get("output_structure")
    if structure is None:
        return body.text(g.graph["output"])
    return spell_structure(structure, [body.text(n) for n in g.graph["output_leaves"]])


def _packed_cotangent(structure, flat: str, param: str) -> str:
    keys = structure[1] if structure[0] == "dict" else range(structure[1])
    parts = ", ".join(f"np.ravel({param}[{k!r}])" for k in keys)
    return f"{flat} = np.concatenate(({parts},))"


def _tuple(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _unpack(names: list[str], param: str) -> str:
    return f"{', '.join(names)}{',' if len(names) == 1 else ''} = {param}"
