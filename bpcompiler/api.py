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
from dataclasses import dataclass, field

import networkx as nx

from . import __version__, display
from .autodiff import differentiate
from .emit import emit
from .errors import CompileError, InternalError
from .fingerprint import source_hash
from .format import format_source
from .graph import check_graph, dump
from .passes import optimize
from .progress import logger, phase_reporter
from .replay import api_command
from .shapes import SymbolicShapes, default_wrt_from_examples, resolve_shapes
from .symbolic import VARIANT_STEPS, SymbolicShapeError, annotate, variant_args
from .trace import source_file, trace
from .verify import VerificationReport, verify, widen
from .writer import MARKER, check_writable, write_atomically

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
    seconds: dict = field(default_factory=dict)

    def summary(self) -> str:
        v = self.verification
        phases = ", ".join(f"{k} {1e3 * s:.1f} ms" for k, s in self.seconds.items())
        total = 1e3 * sum(self.seconds.values())
        removed = ", ".join(f"{n} {op}" for op, n in self.removed.items())
        return (f"nodes: {self.forward_nodes} forward (traced {self.traced_nodes}) + "
                f"{self.adjoint_nodes} backward; {self.lines} lines\n"
                f"optimised: removed {self.joint_nodes_before - self.joint_nodes_after} of "
                f"{self.joint_nodes_before} joint nodes" + (f" ({removed})" if removed else "")
                + "\n"
                f"verified: forward max rel error {v.forward_error:.2g}, gradient max rel "
                f"error {v.gradient_error:.2g} (tolerance {v.rtol_gradient:g}, "
                f"{v.points} points x {v.directions} directions)\n"
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


def own_sources(fn) -> tuple[str, ...]:
    """The file defining `fn`: an output path that no `force` may overwrite."""
    try:
        path = inspect.getsourcefile(fn)
    except TypeError:
        return ()
    return (path,) if path else ()


def load_module(source: str, name: str, filename: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = filename
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


def compile_grad(f, args=None, wrt=None, out=None, *, specs: dict | None = None,
                 command: str | None = None, force: bool = False, debug: bool = False,
                 progress=None, bounds: dict | None = None) -> Compiled:
    """Compile the gradient of `f` at example `args` into a verified Python module.

    `wrt` names the parameters to differentiate (default: every float parameter). With
    `out`, the module is written there (atomically) after it has been verified.
    `specs` maps parameter names to the CLI's spec strings (`"f64[N,8] data"`); spec
    annotations on `f` count too. A dimension written as a name is symbolic: the module
    reads it from the arguments and serves every size. Without `args`, example values
    are drawn from the specs, which must then cover every parameter.
    `command` is the shell command recorded in the header as the way to regenerate it.
    `progress`, if given, is called with each stage's name as the stage starts.
    `bounds` maps parameter names to (lo, hi) ranges (a spec's `in [lo, hi]` gives one
    too): the points verification adds stay inside them.
    """
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
        compiled = _compile(f, args, wrt, out, command, force, debug, report, shapes)
    finally:
        close()
        if collecting:
            gc.enable()
    logger.info("%s: compiled in %.0f ms (%d lines)%s", compiled.function_name,
                1e3 * sum(compiled.report.seconds.values()), compiled.report.lines,
                f", wrote {compiled.path}" if compiled.path else "")
    return compiled


def _build(f, args, wrt, debug, report: CompileReport | None = None, enter=None, phase=None,
           latest: dict | None = None):
    """trace -> optimize -> differentiate -> optimize: (forward graph, joint graph).
    `latest["graph"]` holds the newest graph, for an internal error's dump."""
    enter = enter or (lambda name: name)
    phase = phase or (lambda name: None)
    latest = {} if latest is None else latest
    forward = latest["graph"] = latest["traced"] = trace(f, args, wrt)
    if report is not None:
        report.traced_nodes = len(forward)
    phase("trace")
    stage = enter("optimize (forward)")
    forward = latest["graph"] = optimize(forward, debug, rounds=1)
    phase("optimize")
    stage = enter("differentiate")
    joint = latest["graph"] = differentiate(forward)
    ops_before = Counter(a["op"] for _, a in joint.nodes(data=True))
    if report is not None:
        report.joint_nodes_before = len(joint)
    if debug:
        check_graph(joint, stage)
    phase("differentiate")
    enter("optimize (joint)")
    joint = latest["graph"] = optimize(joint, debug)
    if report is not None:
        report.joint_nodes_after = len(joint)
        removed = ops_before - Counter(a["op"] for _, a in joint.nodes(data=True))
        report.removed = dict(sorted(removed.items(), key=lambda kv: (-kv[1], kv[0])))
        report.forward_nodes = sum(1 for _, a in joint.nodes(data=True)
                                   if a["phase"] == "forward")
        report.adjoint_nodes = len(joint) - report.forward_nodes
    phase("optimize")
    return forward, joint


def _make_symbolic(f, args, wrt, debug, joint, shapes: "SymbolicShapes") -> None:
    """Compile again with each symbolic dimension larger and write the sizes in `joint`
    as formulas of the dimensions (see symbolic.py)."""
    variants = {dim: [_build(f, variant_args(args, shapes.axes, shapes.sizes, dim, step),
                             wrt, debug)[1] for step in VARIANT_STEPS]
                for dim in shapes.sizes}
    annotate(joint, variants, shapes.sizes)
    joint.graph["symbolic_dims"] = {name: axes for name, axes in
                                    zip(joint.graph["params"], shapes.axes) if axes}


def _compile(f, args, wrt, out, command, force, debug, progress, shapes) -> Compiled:
    report = CompileReport()
    clock = time.perf_counter()
    protected = own_sources(f)
    if out is not None:
        check_writable(str(out), force, protected)  # refuse before doing the work

    def phase(name):
        nonlocal clock
        now = time.perf_counter()
        report.seconds[name] = report.seconds.get(name, 0.0) + now - clock
        clock = now

    def enter(name):
        nonlocal stage  # what an internal error names
        stage = name
        if progress is not None:
            progress(name)
        return name

    stage = enter("trace")
    latest: dict = {}
    try:
        forward, joint = _build(f, args, wrt, debug, report, enter, phase, latest)
        if shapes.sizes:
            stage = enter("symbolic dimensions")
            _make_symbolic(f, args, wrt, debug, joint, shapes)
            phase("symbolic")
        stage = enter("emit")
        file = source_file(f)
        name = f.__name__
        params = joint.graph["params"]
        wrt_names = joint.graph["wrt"]
        recorded = None if command or out is None else \
            api_command(f, params, args, wrt_names, str(out))
        regenerate = command or (recorded[0] if recorded else
                                 f"compile_grad({name}, ...) from Python (no command recorded)")
        joint.graph["command"] = command or (recorded[0] if recorded else
                                             f"compile_grad({name}, ...) at the new shape")
        # NOTE: the module is emitted, formatted and imported once. The verification
        # result goes into a header comment after the fact: a comment line changes no
        # code and no line number, so the module verified is the module written.
        pending = "# Verified: (pending)"
        header = [f"{MARKER} {__version__}. Do not edit: regenerate instead.",
                  f"# Source: {file}:{name} (sha256 {source_hash(f)})",
                  f"# Regenerate: {regenerate}", pending]
        docstring = "\n".join(textwrap.wrap(
            f"Gradient of `{name}` with respect to {', '.join(wrt_names)}.", 88)) + "\n\n" + \
            "\n".join(textwrap.wrap(
                f"forward({', '.join(params)}) computes `{name}`; value_and_grad(...) "
                "returns (value, gradients) and grad(...) the gradients, in the order of "
                "WRT.", 88)) + "\n"
        text = emit(joint, header, docstring)
        phase("emit")
        stage = enter("format")
        source = format_source(text)
        report.lines = source.count("\n")
        phase("format")
        stage = enter("verify")
        path = None if out is None else str(out)
        filename = path or f"<bpcompiler {name}_grad>"
        module = load_module(source, f"{name}_grad", filename)
        float32 = any(a["dtype"] == "float32" for _, a in forward.nodes(data=True))
        casts32 = any(a["dtype"] == "float32" and a["op"] in ("astype", "const")
                      for _, a in forward.nodes(data=True))
        traced = latest["traced"]
        verification = verify(f, module, args, params, wrt_names, graph=traced,
                              bounds=shapes.bounds, twin=lambda: float64_twin(traced, name),
                              computes_in_float32=float32, casts_to_float32=casts32)
        if shapes.sizes:  # and at another size of every symbolic dimension
            other = args
            for dim in shapes.sizes:
                other = variant_args(other, shapes.axes, shapes.sizes, dim, 3, seed=7)
            try:
                verify(f, module, other, params, wrt_names, bounds=shapes.bounds,
                       computes_in_float32=float32, casts_to_float32=casts32)
            except CompileError as exc:
                raise SymbolicShapeError(
                    "the module is right at the example's sizes but not at another size of "
                    f"{', '.join(shapes.sizes)}: {exc.problem}", file=source_file(f),
                    line=getattr(f, "__code__", None) and f.__code__.co_firstlineno,
                    hint="give those axes numbers in the spec instead of names") from None
            verification.points += 1
        report.verification = verification
        verified = f"# Verified: {verification.summary()}"
        if pending not in source or "\n" in verified:
            raise InternalError("internal error: the header's verification line is missing")
        source = source.replace(pending, verified, 1)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        phase("verify")
        if path is not None:
            stage = enter("write")
            if recorded:  # the example arguments the recorded command reads
                write_atomically(recorded[1], recorded[2], force=True, protected=protected)
            write_atomically(path, source, force=force, protected=protected)
            phase("write")
    except InternalError as exc:
        if getattr(exc, "dump_path", None):
            raise
        graph = latest.get("graph")
        raise internal_error(exc.problem, stage, f, graph, exc) from exc
    except CompileError:
        raise
    except Exception as exc:
        graph = latest.get("graph")
        raise internal_error(f"internal error in {stage}: {type(exc).__name__}: {exc}",
                             stage, f, graph, exc) from exc
    return Compiled(source=source, module=module, graph=joint, path=path, report=report)


def float64_twin(traced, name: str) -> types.ModuleType:
    """The float32 program's float64 twin, compiled the same way (not formatted):
    verification checks the rules on it at float64 tolerances."""
    joint = optimize(differentiate(optimize(widen(traced), rounds=1)))
    return load_module(emit(joint, [], ""), f"{name}_grad64", f"<bpcompiler {name}_grad64>")


def internal_error(problem: str, stage: str, fn, graph, exc: BaseException) -> InternalError:
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
