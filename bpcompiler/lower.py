"""Lowering: the optimised joint graph as a `Module` of named statements, which
`emit.py` prints.

Every module-level name is claimed up front in one namespace: the parameters, the
module's own functions, the modules it imports and its constants; each function body
then claims its locals from a copy (see `body.py` for a body's statements).

A parameter may be called `np`, `math`, `value_and_grad` or after a builtin that op
spellings call (`abs`, `float`): the body reads such a parameter through an internal
name (`np_arg = np`) and binds the name back to what the statements mean
(`import numpy as np` inside the function), so every statement is spelled as usual and
nothing the user names is shadowed. A parameter called `value_and_grad` shadows that
function inside `grad`, which then repeats its body.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import body as bodies
from . import modes_lower, portable, portable_guards
from .body import Line, lower_body
from .comments import provenance
from .graph import effect_nodes, outputs
from .hints import Hints, annotate, typing_imports
from .hoist import hoist, recipe_text
from .named import named_constants
from .guards import guard_lines, module_lines, result_check_lines
from .literals import array_literal, is_zeros, literal_needs_math
from .naming import ADJOINT_PREFIX, Namespace, base_names
from .signature import call_items, def_items, gradient_texts, of_graph, prologue_lines
from .structure import STRUCTURE_HELPER
from .symbolic import SymArray
from .ops import REGISTRY
from .ops import guard as guard_op
from .ops.registry import PREC_ATOM, Aval, Expr

# Modules a spelling may reach, by the name it spells them with.
MODULES = {"np": "numpy", "math": "math", "scipy": "scipy"}
# The SciPy submodules a spelling may reach (`scipy.special.gammaln(x)`): each is imported.
SCIPY_SUBMODULES = ("linalg", "signal", "special")
# Builtins that op spellings call (absolute on floats is `abs(x)`, to_float `float(x)`).
SPELLED_BUILTINS = ("abs", "float", "type", "locals")  # (the last two: guards.py)


@dataclass
class Function:
    name: str
    doc: str
    # The body's first lines, before any statement: where call-time guards and the
    # un-shadowing of parameters go (see `_preamble`).
    preamble: list[str]
    statements: list[Line]
    value: str | None  # the returned value's text, or None (grad)
    grads: list[str] | None  # the returned gradients' texts, or None (forward)
    delegate: bool = False  # grad as `return value_and_grad(...)[1]`
    checks: list = field(default_factory=list)  # lines just before the return (guards.py)
    extra_params: tuple = ()  # after the function's own (jvp's tangents; modes_lower.py)
    result: str | None = None  # the returned expression, when not value/grads
    returns: str = ""  # the return type hint (hints.py)
    # every statement is arithmetic mypy types exactly on Python numbers (see
    # `typed_on_numbers`): emit.py then needs no hint on the returned local
    typed_numbers: bool = False


@dataclass
class Module:
    function: str  # the source function's name
    params: tuple
    wrt: tuple
    imports: list[str]
    constants: list[str] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    call: tuple = ()  # the arguments forwarding every parameter (`grad` to value_and_grad)


def lower(g, target: str = "numpy") -> Module:
    """The module for `target`: "numpy", or "array-api" (portable.py)."""
    arrays = portable.array_valued(g) if target == "array-api" else None
    if arrays is not None:
        portable.refuse_unportable(g, arrays, g.graph["file"])
    else:
        g, _ = hoist(g)  # constant sub-expressions computed once, at import
    dims = {d for axes in g.graph.get("symbolic_dims", {}).values() for d in axes.values()}
    sig = of_graph(g)  # the source's own parameters (a structured one's leaves are params)
    bound = portable.BOUND if arrays is not None else ()
    space = Namespace(fixed=tuple(g.graph["params"]) + tuple(p.name for p in sig.params)
                      + tuple(sorted(dims)) + bound)
    inputs = _parameter_names(g, space, bound)
    # (the function's parameters; a cotangent or tangent input sits on the return line)
    def_lines = {(g._node[n]["file"], g._node[n]["line"]) for n in inputs}
    extra = modes_lower.claim_inputs(g, space)
    inputs.update(extra.nodes)
    g, named_lines = named_constants(g, space)
    constants, constant_lines = _constants(g, space, arrays is not None)
    uses = Counter(a for n in g for a in g._node[n]["args"])
    ctx = bodies._Context(g, inputs, constants, space, uses, base_names(g), g.graph["file"],
                          def_lines, arrays)
    output = g.graph["output"]
    fwd = lower_body(ctx, tuple(g.graph.get("output_leaves", (output,))))
    both = lower_body(ctx, (output,) + tuple(g.graph["grads"]), keep_named=True)
    grads, named = _gradient_names(g, both, space, standard=arrays is not None)
    if arrays is None:
        imports = _imports(g, constant_lines)
        constant_lines = module_lines(g, g.graph.get("command", "")) + \
            _path_lines(g) + _structure_lines(sig) + named_lines + constant_lines
        preamble = _preamble(g, inputs, imports)
    else:
        imports, preamble, constant_lines = _portable_parts(
            g, inputs, _structure_lines(sig) + named_lines + constant_lines,
            [fwd.statements, both.statements, named])
    wrt_params = g.graph.get("wrt_params", g.graph["wrt"])
    if g.graph["grads"]:  # (a module of jvp or jacobian only has none)
        grads = gradient_texts(sig, wrt_params, dict(zip(g.graph["wrt"], grads)))
    if named:  # under one comment: where the gradients of the parameters are made
        first = g._node[g.graph["inputs"][0]] if g.graph["inputs"] else {}
        comment = provenance(("adjoint", first.get("file"), first.get("line")), (),
                             g.graph["file"], def_lines)
        previous = [s.comment for s in both.statements if s.comment is not None]
        named[0].comment = comment if not previous or previous[-1] != comment else None
    value = both.text(output)
    functions = [
        Function("forward", f"The value of `{g.graph['function']}`, as the source computes it.",
                 list(preamble), fwd.statements, modes_lower.value_text(g, fwd), None,
                 checks=[] if "output_leaves" in g.graph else
                 result_check_lines(g, fwd.text(output)),
                 typed_numbers=typed_on_numbers(g, fwd)),
        Function("value_and_grad", "(value, gradients): the gradients in WRT order.",
                 list(preamble), both.statements + named, value, grads,
                 checks=result_check_lines(g, value))]
    shadowed = "value_and_grad" in g.graph["params"] or \
        any(p.name == "value_and_grad" for p in sig.params)
    functions.append(Function(
        "grad", "The gradients with respect to WRT, in that order.",
        list(preamble) if shadowed else [], both.statements + named if shadowed else [],
        None, grads, delegate=not shadowed,
        checks=result_check_lines(g, value) if shadowed else []))
    if "modes" in g.graph:  # emit= beyond grad (modes.py)
        functions = functions[:1] + functions[1:] * ("grad" in g.graph["emit"]) + \
            modes_lower.functions(g, ctx, preamble, extra, space)
    hints = Hints(g, target, space)
    annotate(hints, functions)
    params = tuple(def_items(sig, hints.parameters()))
    constant_lines = hints.alias_lines() + constant_lines
    imports = typing_imports(imports, "\n".join(params + tuple(
        p for f in functions for p in (f.returns,) + f.extra_params)) + "\n" +
        "\n".join(constant_lines))
    return Module(g.graph["function"], params, tuple(wrt_params),
                  imports, constant_lines, functions, call=tuple(call_items(sig)))


def _parameter_names(g, space: Namespace, bound: tuple = ()) -> dict:
    """The name each parameter is read by in the bodies."""
    params = g.graph["params"]
    names: dict[int, str] = {}
    for index, node in enumerate(g.graph["inputs"]):
        p = params[index]
        shadows = p in MODULES or p in SPELLED_BUILTINS or p in bound
        names[node] = space.claim(f"{p}_arg") if shadows else p
    return names


def _path_lines(g) -> list[str]:
    """The exception and helper a module raises with for arguments off the example's
    path, when a branch was guarded (ops/guard.py; an assert or an op's domain check
    needs neither)."""
    if not any(g._node[n]["params"]["kind"] in guard_op.BRANCH_KINDS for n in effect_nodes(g)):
        return []
    return ["\n".join(guard_op.helper_lines(g.graph.get("regenerate", "")))]


def _structure_lines(sig) -> list[str]:
    """The helper a structured parameter's checks call (structure.STRUCTURE_HELPER)."""
    return [STRUCTURE_HELPER] if any(p.structured for p in sig.params) else []


def _preamble(g, inputs: dict, imports: list[str]) -> list[str]:
    """Each body's first lines: a parameter named like a module or builtin the
    statements use is read through its internal name, and the name is bound back.
    Then the call-time guards on the arguments (guards.py), which read the parameters
    by those internal names."""
    # Static parameters' guards and the unpacking of structured ones (signature.py) come
    # first: they bind the leaves that everything after reads.
    lines = prologue_lines(g, g.graph.get("regenerate", "see the module's header"))
    lines += [f"{inputs[node]} = {p}" for p, node in zip(g.graph["params"], g.graph["inputs"])
              if inputs[node] != p]
    for p in g.graph["params"]:
        if p in MODULES and any(line.startswith(f"import {MODULES[p]}") for line in imports):
            lines.append(f"import {MODULES[p]}" + (f" as {p}" if MODULES[p] != p and
                                                   not MODULES[p].startswith(p + ".") else ""))
    builtins = [p for p in g.graph["params"] if p in SPELLED_BUILTINS]
    if builtins:
        lines.append(f"from builtins import {', '.join(builtins)}")
    local = {p: inputs[node] for p, node in zip(g.graph["params"], g.graph["inputs"])}
    return lines + guard_lines(g, local)


def _constants(g, space: Namespace, lists: bool = False) -> tuple[dict, list[str]]:
    """Module-level names for array constants (all-zero ones print inline); with
    `lists` (the array-API target), as nested lists the bodies make arrays of."""
    constants, lines = {}, []
    for node in sorted(g):
        attrs = g._node[node]
        value = attrs["params"].get("value") if attrs["op"] == "const" else None
        if attrs["op"] == "const" and not attrs["python"] and np.ndim(value) > 0 \
                and not isinstance(value, SymArray) and \
                (not is_zeros(value) or "recipe" in attrs["params"]):
            text = recipe_text(g, node, constants) if "recipe" in attrs["params"] else \
                portable.list_literal(value) if lists else array_literal(value)
            name = space.claim((attrs["name"] or _built_name(text)).upper())
            constants[node] = name
            lines.append(f"{name} = {text}")
    return constants, lines


# What a constant the module builds holds, by the function that builds it (recipes.py).
_BUILT = {"np.triu(": "upper", "np.tril(": "lower", "np.eye(": "eye", "np.tri(": "lower",
          "np.arange(": "steps", "np.linspace(": "grid", "np.tile(": "grid"}


def _built_name(text: str) -> str:
    return next((name for head, name in _BUILT.items() if text.startswith(head)), "const")


def _gradient_names(g, both, space, nodes=None, wanted=None,
                    standard: bool = False) -> tuple[list[str], list[Line]]:
    """Each gradient as `d_<param>`: its statement's own name when it has it, else a
    statement binding that name (`d_b = d_z`; a copy when the value may be shared with
    an argument, a constant or another gradient, so callers may modify what they get)."""
    names, lines = [], []
    locals_ = set(both.names.values())
    seen: set[int] = set()
    nodes = g.graph["grads"] if nodes is None else nodes
    wanted = [ADJOINT_PREFIX + p for p in g.graph["wrt"]] if wanted is None else wanted
    for want, node in zip(wanted, nodes):
        text = both.text(node)
        attrs = g._node[node]
        aliased = attrs["op"] in ("input", "const") or REGISTRY[attrs["op"]].view or \
            node in seen
        seen.add(node)
        copy = not attrs["python"] and aliased and not text.startswith(("np.zeros(", "xp.zeros("))
        if text == want and not copy:
            names.append(text)
            continue
        if want in locals_ or want in space.taken:  # (a parameter is called d_b: d_b_1)
            free = space.copy()
            free.taken |= locals_
            want = free.claim(want)
        locals_.add(want)
        value = text if not copy else f"xp.asarray({text}, copy=True)" if standard else \
            f"{text}.copy()" if _is_atom(text) else f"({text}).copy()"
        lines.append(Line([f"{want} = {value}"]))
        names.append(want)
    return names, lines


def _is_atom(text: str) -> bool:
    return text.isidentifier() or text.endswith(")") and text.startswith("np.")


def _portable_parts(g, inputs: dict, constant_lines: list[str], bodies_: list) -> tuple:
    """Imports, preamble and module-level lines of an array-API module: array_api_compat
    for the namespace when there are array parameters, math when a statement, constant
    or guard spells it; the device is read only when a statement makes an array."""
    code = "\n".join(row for lines in bodies_ for line in lines for row in line.code)
    local = {p: inputs[node] for p, node in zip(g.graph["params"], g.graph["inputs"])}
    preamble = portable_guards.guard_lines(g, local, "device=device" in code)
    module = portable_guards.module_lines(g, g.graph.get("command", ""))
    text = "\n".join([code] + preamble + constant_lines)
    imports = (["import math"] if "math." in text else []) + \
        ([f"import {portable.COMPAT}"] if portable_guards.array_parameters(g) else [])
    builtins = [p for p in g.graph["params"] if p in SPELLED_BUILTINS]
    shadow = [f"{inputs[node]} = {p}" for p, node in zip(g.graph["params"], g.graph["inputs"])
              if inputs[node] != p]
    if "math" in g.graph["params"] and "import math" in imports:
        shadow.append("import math")
    if builtins:
        shadow.append(f"from builtins import {', '.join(builtins)}")
    return imports, shadow + preamble, module + constant_lines


def _imports(g, constant_lines) -> list[str]:
    """The modules the statements spell (np, math), probed from each op's spelling."""
    needed = set()
    if constant_lines:
        needed.add("np")
    probed: dict = {}
    for node, attrs in g.nodes(data=True):
        op = attrs["op"]
        if op == "input":
            continue
        if op == "const":
            if literal_needs_math(attrs["params"]["value"], attrs["python"]):
                needed.add("math")
            elif not attrs["python"]:
                needed.add("np")
            continue
        key = (op, attrs["python"])
        if key not in probed:
            probed[key] = _spelled_modules(attrs)
        needed |= probed[key]
    # (the code says scipy.special.<name>: importing the submodule binds `scipy`; SciPy
    # ships no type stubs, so mypy is told, and not told off where scipy-stubs are found)
    untyped = "  # type: ignore[import-untyped, unused-ignore]"
    return [f"import {MODULES[m]}" + (" as np" if m == "np" else "")
            for m in ("math", "np") if m in needed] + \
        [f"import scipy.{sub}{untyped}" for sub in SCIPY_SUBMODULES
         if f"scipy.{sub}" in needed]


def _spelling(attrs) -> str:
    """An op's spelling for a node's operands and avals, the operands named `a0`, ..."""
    spec = REGISTRY[attrs["op"]]
    args = [Expr(f"a{i}", PREC_ATOM) for i in range(len(attrs["args"]))]
    aval = Aval(attrs["shape"], attrs["dtype"], attrs["python"])
    if spec.statement is not None:
        return "\n".join(spec.statement("t", args, attrs["params"], aval))
    return spec.spell(args, attrs["params"], aval).text


def _spelled_modules(attrs) -> set:
    """Which of `MODULES` (and SciPy's submodules) an op's spelling reads."""
    text = _spelling(attrs)
    found = {m for m in MODULES if f"{m}." in text}
    found |= {f"scipy.{sub}" for sub in SCIPY_SUBMODULES if f"scipy.{sub}." in text}
    return found | ({"np"} if not attrs["python"] else set())


def typed_on_numbers(g, body) -> bool:
    """Whether mypy types every value `body` computes exactly: each is a Python number,
    spelled with `math` or an operator other than `**` (to NumPy's stubs many calls are
    Any, and typeshed's float ** float is Any: a negative base gives a complex)."""
    typed: dict = {}  # (op, params) -> its spelling is typed on Python numbers
    for node in body.names:
        attrs = g._node[node]
        if attrs["op"] == "input":
            continue
        if not attrs["python"]:
            return False
        if attrs["op"] == "const":
            continue
        key = (attrs["op"], repr(attrs["params"]), len(attrs["args"]))
        if key not in typed:
            text = _spelling(attrs)
            typed[key] = "**" not in text and _spelled_modules(attrs) <= {"math"}
        if not typed[key]:
            return False
    return True
