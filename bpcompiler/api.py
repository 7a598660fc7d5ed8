"""`compile_grad`: the whole pipeline, listed once.

    trace -> optimize -> differentiate -> optimize -> emit -> format -> verify -> write

Each stage is a module of its own; this one only runs them in order, times them, and
collects what they report.
"""

from __future__ import annotations

import gc
import inspect
import linecache
import os
import tempfile
import textwrap
import time
import traceback
import types
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from . import __version__, branches, display, fused
from .autodiff import differentiate
from .emit import emit
from .errors import ArgumentError, CompileError, InternalError
from .follow import underlying_function
from .format import format_source
from .graph import check_graph, dump
from .header import header_lines, with_verification
from .modes import NEED_SCALAR, add_modes, check_emit, name_results
from .verify_modes import ModesReport, perturb, verify_modes
from .passes import optimize
from .portable import check_target
from .progress import logger, phase_reporter
from .shapes import SymbolicShapes, default_wrt_from_examples, resolve_shapes
from .symbolic import VARIANT_STEPS, SymbolicShapeError, annotate, variant_args
from .signature import def_items, of_graph
from .trace import source_file, trace
from .twin import float32_use, widen
from .verify import VerificationReport, verify
from .writer import check_writable, write_atomically

# How much of the graph an internal-error dump holds.
DUMP_NODES = 500


@dataclass
class CompileReport:
    """What a compile did: sizes before and after optimisation, checks, time per phase."""

    traced_nodes: int = 0  # forward graph as traced
    forward_nodes: int = 0  # forward nodes after optimisation (in the joint graph)
    adjoint_nodes: int = 0  # adjoint nodes after optimisation
    joint_nodes_before: int = 0  # joint graph straight out of differentiation
    joint_nodes_after: int = 0
    lines: int = 0
    # op -> how many nodes of that op optimisation removed from the joint graph
    removed: dict = field(default_factory=dict)
    verification: VerificationReport | None = None
    modes_verification: ModesReport | None = None  # with emit= beyond grad
    seconds: dict = field(default_factory=dict)

    def summary(self) -> str:
        """The report as four lines: sizes, optimisation, verification, time per phase."""
        v = self.verification
        phases = ", ".join(f"{k} {1e3 * s:.1f} ms" for k, s in self.seconds.items())
        total = 1e3 * sum(self.seconds.values())
        removed = ", ".join(f"{n} {op}" for op, n in self.removed.items())
        return (f"nodes: {self.forward_nodes} forward (traced {self.traced_nodes}) + "
                f"{self.adjoint_nodes} backward; {self.lines} lines\n"
                f"optimised: removed {self.joint_nodes_before - self.joint_nodes_after} of "
                f"{self.joint_nodes_before} joint nodes" + (f" ({removed})" if removed else "")
                + "\n" + (
                f"verified: forward max rel error {v.forward_error:.2g}, gradient max rel "
                f"error {v.gradient_error:.2g} (tolerance {v.rtol_gradient:g}, "
                f"{v.points} points x {v.directions} directions)\n"
                f"checked: {v.summary()}\n" if v else "") + (
                f"verified: {self.modes_verification.summary()}\n"
                if self.modes_verification else "") +
                f"time: {phases} (total {total:.0f} ms)")


@dataclass(repr=False)
class Compiled:
    """What `compile_grad` returns: the emitted module's `source` and the imported
    `module`, the joint forward/adjoint `graph`, the `path` written (or None) and the
    `report`. At a prompt it shows one line; in Jupyter, the source and the report."""

    source: str
    module: types.ModuleType
    graph: nx.DiGraph
    path: str | None
    report: CompileReport

    @property
    def function_name(self) -> str:
        return str(self.graph.graph.get("function", "function"))

    def __repr__(self) -> str:
        return display.one_line(self)

    def _repr_markdown_(self) -> str:
        return display.markdown(self)

    def _repr_html_(self) -> str:
        return display.to_html(self)

    def picture(self, max_nodes: int | None = None) -> display.Picture:
        """The graph as an SVG picture (shown inline in Jupyter; `.save(path)` writes
        it); past `max_nodes` boxes, a summary (see `bpcompiler graph --max-nodes`)."""
        from . import picture

        return picture.svg_picture(self.graph, max_nodes)


def own_sources(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The file defining `fn`: an output path that no `force` may overwrite."""
    try:
        path = inspect.getsourcefile(fn)
    except TypeError:
        return ()
    return (path,) if path else ()


def load_module(source: str, name: str, filename: str) -> types.ModuleType:
    """Import `source` as a module named `name` whose tracebacks show `filename`."""
    module = types.ModuleType(name)
    module.__file__ = filename
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


# The docstring's paragraph on what a module of each non-default target runs on.
PORTABLE_NOTE = {"array-api": "\n" + "\n".join(textwrap.wrap(
    "Written in the Python array API standard: each function takes its array library "
    "(NumPy, CuPy, PyTorch, JAX, Dask, ...) and device from its array arguments, writes "
    "nothing in place, and returns 0-d arrays where the NumPy target returns floats.",
    88)) + "\n", "numba": "\n" + "\n".join(textwrap.wrap(fused.NOTE, 88)) + "\n"}


def compile_grad(f: Callable[..., Any], args: Sequence[Any] | Mapping[str, Any] | None = None,
                 wrt: str | Sequence[str] | None = None, out: str | os.PathLike[str] | None = None,
                 *, specs: dict[str, str] | None = None, emit: Sequence[str] = ("grad",),
                 command: str | None = None, force: bool = False, debug: bool = False,
                 progress: Callable[[str], None] | bool | None = None,
                 bounds: dict[str, tuple[float, float]] | None = None,
                 target: str = "numpy", control_flow: str = "refuse") -> Compiled:
    """Compile the gradient of `f` at example `args` into a verified Python module.

    `wrt` names the parameters to differentiate (default: every float parameter). With
    `out`, the module is written there (atomically) after it has been verified.
    `specs` maps parameter names to the CLI's spec strings (`"f64[N,8] data"`); spec
    annotations on `f` count too. A dimension written as a name is symbolic: the module
    reads it from the arguments and serves every size. Without `args`, example values
    are drawn from the specs, which must then cover every parameter.
    `emit` chooses the module's functions beside `forward`: "grad" (value_and_grad and
    grad), "jvp", "vjp", "jacobian", "hvp", "hessian" (see modes.py); jvp, vjp and
    jacobian accept a function returning an array.
    `command` is the shell command recorded in the header as the way to regenerate it.
    `progress`, if given, is called with each stage's name as the stage starts;
    `progress=True` prints the stage on stderr once a compile has run for 2 s. Each stage
    is also logged (INFO) to the `bpcompiler` logger. With `out` and no `command`, the
    example arguments are saved beside the module (`m_grad.args.npz` for `m_grad.py`)
    and the header records a `bpcompiler compile` command that `bpcompiler check` reruns.
    `bounds` maps parameter names to (lo, hi) ranges (a spec's `in [lo, hi]` gives one
    too): the points verification adds stay inside them.
    `target` is "numpy" (plain NumPy and math) or "array-api": a module that runs on
    the arrays of any library of the Python array API standard (see portable.py).
    `control_flow` is "refuse" (the default: `if`/`while` on a traced value is an error
    with advice) or "guard": the module follows the path the example takes and raises
    OtherPathError for arguments that take another (branches.py). An `assert` on a
    traced value is always kept as a check.
    """
    check_target(target)
    # NOTE: a compile allocates a few dicts per node and frees nothing cyclic until it
    # returns; the cyclic collector's full sweeps over a 100k-node graph cost a third of
    # the compile time, so it is paused for the compile and resumed afterwards.
    collecting = gc.isenabled()
    report, close = phase_reporter(progress, getattr(f, "__name__", "function"))
    gc.disable()
    try:
        args, shapes = resolve_shapes(f, args, specs)
        if wrt is None and shapes.data:  # a spec marked `data` is not differentiated
            wrt = default_wrt_from_examples(f, args, shapes.data)
        shapes.bounds.update(bounds or {})
        emit = check_emit(emit)
        if target != "numpy" and emit != ("grad",):
            raise ArgumentError(f"target={target!r} emits grad only, not {emit!r}",
                                hint="compile the other functions with the NumPy target")
        with branches.following(control_flow):
            compiled = _compile(f, args, wrt, out, command, force, debug, report, shapes,
                                emit, specs, target)
    finally:
        close()
        if collecting:
            gc.enable()
    logger.info("%s: compiled in %.0f ms (%d lines)%s", compiled.function_name,
                1e3 * sum(compiled.report.seconds.values()), compiled.report.lines,
                f", wrote {compiled.path}" if compiled.path else "")
    return compiled


def _build(f, args, wrt, debug, report: CompileReport | None = None, enter=None, phase=None,
           latest: dict | None = None, emit=("grad",)):
    """trace -> optimize -> differentiate -> optimize: (forward graph, joint graph).
    `latest["graph"]` holds the newest graph, for an internal error's dump."""
    enter = enter or (lambda name: name)
    phase = phase or (lambda name: None)
    latest = {} if latest is None else latest
    arrays = not any(e in NEED_SCALAR for e in emit)
    forward = latest["graph"] = latest["traced"] = trace(f, args, wrt, arrays=arrays)
    if report is not None:
        report.traced_nodes = len(forward)
    phase("trace")
    stage = enter("optimize (forward)")
    forward = latest["graph"] = optimize(forward, debug, rounds=1)
    phase("optimize")
    stage = enter("differentiate")
    if arrays:  # no gradient of a scalar: the functions emitted build their own sweeps
        joint = forward.copy()
    else:
        joint = differentiate(forward)
    if emit != ("grad",):
        joint.graph["emit"] = emit
        add_modes(joint, emit)
    latest["graph"] = joint
    ops_before = Counter(a["op"] for _, a in joint.nodes(data=True))
    if report is not None:
        report.joint_nodes_before = len(joint)
    if debug:
        check_graph(joint, stage)
    phase("differentiate")
    enter("optimize (joint)")
    joint = latest["graph"] = optimize(joint, debug)
    name_results(joint)
    if report is not None:
        report.joint_nodes_after = len(joint)
        removed = ops_before - Counter(a["op"] for _, a in joint.nodes(data=True))
        report.removed = dict(sorted(removed.items(), key=lambda kv: (-kv[1], kv[0])))
        report.forward_nodes = sum(1 for _, a in joint.nodes(data=True)
                                   if a["phase"] == "forward")
        report.adjoint_nodes = len(joint) - report.forward_nodes
    phase("optimize")
    return forward, joint


def _make_symbolic(f, args, wrt, debug, joint, shapes: "SymbolicShapes", emit, latest):
    """Compile again with each symbolic dimension larger and write the sizes in the joint
    graph as formulas of the dimensions (see symbolic.py); returns that graph.

    An example size can be degenerate: a gradient's constant that is exactly 1.0 there
    (4 / N at N = 4) is simplified away, so that graph differs from every other size's.
    Then the graph of every dimension one larger is the one emitted, and verified at
    those sizes with its own traced graph (`latest["traced"]`, for the complex step)."""
    def variants_of(base_args, sizes):
        return {dim: [_build(f, variant_args(base_args, shapes.axes, shapes.names, sizes,
                                             dim, step), wrt, debug, emit=emit)[1]
                      for step in VARIANT_STEPS]
                for dim in sizes}
    try:
        annotate(joint, variants_of(args, shapes.sizes), shapes.sizes)
    except SymbolicShapeError as first:
        shifted, sizes = args, {d: n + 1 for d, n in shapes.sizes.items()}
        for dim in shapes.sizes:
            shifted = variant_args(shifted, shapes.axes, shapes.names, shapes.sizes, dim, 1)
        joint = _build(f, shifted, wrt, debug, latest=latest, emit=emit)[1]
        try:
            annotate(joint, variants_of(shifted, sizes), sizes)
        except SymbolicShapeError:
            raise first from None
    joint.graph["symbolic_dims"] = dict(shapes.axes)
    return joint


def _docstring(name: str, params, wrt, emits) -> str:
    if emits == ("grad",):
        first = f"Gradient of `{name}` with respect to {', '.join(wrt)}."
        second = (f"forward({', '.join(params)}) computes `{name}`; value_and_grad(...) "
                  "returns (value, gradients) and grad(...) the gradients, in the order of "
                  "WRT.")
    else:
        first = f"Derivatives of `{name}` with respect to {', '.join(wrt)}."
        offered = ", ".join(("value_and_grad(...), grad(...)" if e == "grad" else
                             f"{e}(...)") for e in emits)
        second = (f"forward({', '.join(params)}) computes `{name}`; the module also offers "
                  f"{offered}, each documented below, derivatives in the order of WRT.")
    return "\n".join(textwrap.wrap(first, 88)) + "\n\n" + \
        "\n".join(textwrap.wrap(second, 88)) + "\n"


def _checks(f, module, params, wrt, emits, float32, casts32, at_example: dict, bounds,
            sig, wrt_params):
    """The verification of one point: the gradient's (verify.py, through the signature;
    `at_example` are its arguments for the example only), then the other functions'
    (verify_modes.py); returns (gradient report or None, modes report or None)."""
    def check(leaves, example=True):
        more = at_example if example else {}
        grad = verify(f, module, leaves, params, wrt, bounds=bounds,
                      computes_in_float32=float32, casts_to_float32=casts32,
                      signature=sig, wrt_params=wrt_params, **more) \
            if "grad" in emits else None
        extra = None
        if emits != ("grad",):  # (plain parameters only: the leaves are the arguments)
            perturbed = perturb(leaves, params, wrt)
            extra = verify_modes(f, module, leaves, params, wrt, emits, perturbed,
                                 float32=float32 or casts32)
        return grad, extra
    return check


def _verify_at_sizes(f, check, leaves, shapes, sig, args):
    """`check` at the example, then (with symbolic dimensions) at another size of each."""
    verification, extra = check(leaves)
    if shapes.sizes:
        other = args
        for dim in shapes.sizes:
            other = variant_args(other, shapes.axes, shapes.names, shapes.sizes, dim, 3,
                                 seed=7)
        given = other if isinstance(other, dict) else dict(zip(shapes.names, other))
        other_leaves = [given.get(sig.params[leaf.param].name, leaf.value)
                        if not leaf.path else leaf.value for leaf in sig.leaves]
        try:
            check(other_leaves, example=False)
        except CompileError as exc:
            raise SymbolicShapeError(
                "the module is right at the example's sizes but not at another size of "
                f"{', '.join(shapes.sizes)}: {exc.problem}", file=source_file(f),
                line=getattr(f, "__code__", None) and f.__code__.co_firstlineno,
                hint="give those axes numbers in the spec instead of names") from None
        for checked in (verification, extra):
            if checked is not None:
                checked.points += 1
    return verification, extra


class _Stages:
    """Times each phase into the report and remembers the stage an error happens in."""

    def __init__(self, report: CompileReport, progress):
        self.report, self.progress = report, progress
        self.clock = time.perf_counter()
        self.stage = "trace"

    def phase(self, name: str) -> None:
        now = time.perf_counter()
        self.report.seconds[name] = self.report.seconds.get(name, 0.0) + now - self.clock
        self.clock = now

    def enter(self, name: str) -> str:
        self.stage = name
        if self.progress is not None:
            self.progress(name)
        return name


def _compile(f, args, wrt, out, command, force, debug, progress, shapes, emits,
             specs, target: str = "numpy") -> Compiled:
    report = CompileReport()
    stages = _Stages(report, progress)
    protected = own_sources(f)
    if out is not None:
        check_writable(str(out), force, protected)  # refuse before doing the work
    stages.enter("trace")
    latest: dict = {}
    try:
        forward, joint = _build(f, args, wrt, debug, report, stages.enter, stages.phase,
                                latest, emits)
        if shapes.sizes:
            stages.enter("symbolic dimensions")
            joint = _make_symbolic(f, args, wrt, debug, joint, shapes, emits, latest)
            stages.phase("symbolic")
        stages.enter("emit")
        base = underlying_function(f) or f  # a method's or partial's own function
        name, sig = base.__name__, of_graph(joint)
        header, recorded = header_lines(f, base, joint, args, out, command, specs, emits, sig)
        text = emit(joint, header, _docstring(name, def_items(sig), joint.graph["wrt_params"],
                                              emits) + branches.path_note(joint) +
                    PORTABLE_NOTE.get(target, ""), target)
        stages.phase("emit")
        stages.enter("format")
        source = format_source(text)
        report.lines = source.count("\n")
        stages.phase("format")
        stages.enter("verify")
        path = None if out is None else str(out)
        source, module = _verified(f, args, source, path, name, forward, latest["traced"],
                                   joint, shapes, sig, emits, report, target, stages)
        stages.phase("verify")
        if path is not None:
            stages.enter("write")
            if recorded:  # the example arguments the recorded command reads
                write_atomically(recorded[1], recorded[2], force=True, protected=protected)
            write_atomically(path, source, force=force, protected=protected)
            stages.phase("write")
    except InternalError as exc:
        if getattr(exc, "dump_path", None):
            raise
        raise internal_error(exc.problem, stages.stage, f, latest.get("graph"), exc) from exc
    except CompileError:
        raise
    except Exception as exc:
        raise internal_error(f"internal error in {stages.stage}: {type(exc).__name__}: {exc}",
                             stages.stage, f, latest.get("graph"), exc) from exc
    return Compiled(source=source, module=module, graph=joint, path=path, report=report)


def _verified(f, args, source, path, name, forward, traced, joint, shapes, sig, emits,
              report, target, stages):
    """(source with its verification line, the module imported): the module checked
    against `f` at the example and the other sizes (raises VerificationError)."""
    filename = path or f"<bpcompiler {name}_grad>"
    if target == "numba":  # (numba caches loops of modules that have a file)
        module = fused.load_cached(source, f"{name}_grad", load_module)
        if isinstance(args, (tuple, list)):  # the loops' first compile: its own phase
            stages.phase("verify")
            stages.enter("jit")
            fused.jit_phase(module, args)
            stages.phase("jit")
            stages.enter("verify")
    else:
        module = load_module(source, f"{name}_grad", filename)
    float32, casts32 = float32_use(forward)
    check = _checks(f, module, joint.graph["params"], joint.graph["wrt"], emits, float32,
                    casts32, dict(graph=traced, twin=lambda: float64_twin(traced, name)),
                    shapes.bounds, sig, joint.graph["wrt_params"])
    verification, extra = _verify_at_sizes(f, check, sig.leaf_values(), shapes, sig, args)
    report.verification = verification
    if extra is not None:
        report.modes_verification = extra
    source = with_verification(source, verification, extra)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return source, module


def float64_twin(traced: nx.DiGraph, name: str) -> types.ModuleType:
    """The float32 program's float64 twin, compiled the same way (not formatted):
    verification checks the rules on it at float64 tolerances."""
    joint = optimize(differentiate(optimize(widen(traced), rounds=1)))
    return load_module(emit(joint, [], ""), f"{name}_grad64", f"<bpcompiler {name}_grad64>")


def internal_error(problem: str, stage: str, fn: Callable[..., Any], graph: nx.DiGraph | None,
                   exc: BaseException) -> InternalError:
    """An InternalError whose message names the stage and a dump file: the problem, the
    traceback and the first DUMP_NODES nodes of the graph (when there is one)."""
    name = getattr(fn, "__name__", "function")
    passes = [os.path.splitext(os.path.basename(frame.filename))[0]
              for frame in traceback.extract_tb(exc.__traceback__)
              if os.sep + "passes" + os.sep in frame.filename
              and not frame.filename.endswith(("__init__.py", "rebuild.py"))]
    if passes:  # name the optimisation pass that failed, not just the stage
        stage = f"{stage}, pass {passes[-1]}"
        problem = problem.replace("internal error in ", f"internal error in pass {passes[-1]} of ", 1)
    text = [f"bpcompiler {__version__} internal error in stage {stage!r} compiling "
            f"{name} ({source_file(fn) if hasattr(fn, '__code__') else '?'})", problem, "",
            "".join(traceback.format_exception(exc, limit=30)), ""]
    if graph is not None:
        text += [f"graph ({len(graph)} nodes):", dump(graph, DUMP_NODES)]
    try:
        fd, path = tempfile.mkstemp(prefix=f"bpcompiler-internal-{name}-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(text) + "\n")
    except OSError:
        path = None
    problem = " ".join(problem.split())
    if len(problem) > 300:
        problem = problem[:297] + "..."
    error = InternalError(
        problem if problem.startswith("internal error") else f"internal error in {stage}: "
        f"{problem}",
        hint="this is a bug in bpcompiler, not in your code; please report it with "
             + (f"the dump in {path}" if path else "this message"))
    error.dump_path = path
    error.stage = stage
    return error
