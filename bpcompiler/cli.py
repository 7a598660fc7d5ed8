"""The command line: parsing and printing only; the work is done by the library.

    bpcompiler compile TARGET [-o OUT] [--wrt a,b] [--arg NAME=SPEC ...]
                       [--args-npz FILE.npz] [--force] [-v | -q]
    bpcompiler graph TARGET -o PICTURE.svg|.png|.dot [--max-nodes N] [same as compile]
    bpcompiler ops [--markdown] [--update-readme README.md | --check-readme README.md]
    bpcompiler check [--update] [--allow-outside] [PATHS ...]
    bpcompiler bench TARGET [--wrt a,b] [--arg NAME=SPEC ...]

TARGET is `path/to/file.py:FUNC` or `pkg.module:FUNC`. Defaults come from
`[tool.bpcompiler]` in the project's pyproject.toml (see config.py).

Exit status: 0 success; 1 a compile error (including a source file that is missing or
does not define the function, or a function that raises or calls sys.exit()), stale
modules for `check`, or a stale README table for `ops --check-readme`; 2 a usage error
(bad flags, a malformed spec, range or pyproject setting, an example shape too large to
allocate, a picture too large to draw, a `check` header that cannot be parsed or whose
source lies outside the project); 130 interrupted. Errors print one line naming
file:line; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import math
import os
import shlex
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import __version__
from .config import load_config
from .errors import ArgumentError, CompileError, UsageError
from .progress import PROGRESS_AFTER_SECONDS, Progress
from .sources import load_function, user_line

if TYPE_CHECKING:
    from .api import Compiled


def default_output(target: str, directory: str = "output") -> str:
    """`dir/<file>_grad.py`, or `dir/<file>_<func>_grad.py` when FUNC is not the file's name."""
    source, _, func = target.rpartition(":")
    if source.endswith(".py") or "/" in source or os.sep in source:
        stem = os.path.splitext(os.path.basename(source))[0]
    else:  # pkg.mod
        stem = source.rpartition(".")[2]
    return os.path.join(directory, f"{stem}_grad.py" if stem == func else
                        f"{stem}_{func}_grad.py")


def compile_command(options: argparse.Namespace) -> str:
    """The command line that regenerates this module, as recorded in its header."""
    parts = ["bpcompiler", "compile", options.target, "-o", options.out]
    if options.wrt:
        parts += ["--wrt", options.wrt]
    for spec in options.arg or []:
        parts += ["--arg", spec]
    if options.args_npz:
        parts += ["--args-npz", options.args_npz]
    if getattr(options, "emit", None):
        parts += ["--emit", options.emit]
    if getattr(options, "array_target", "numpy") != "numpy":
        parts += ["--target", options.array_target]
    if getattr(options, "control_flow", "refuse") != "refuse":
        parts += ["--control-flow", options.control_flow]
    return shlex.join(parts)


def load_npz(path: str, specs: dict[str, str]) -> dict[str, object]:
    """Example values from an .npz file, by parameter name; 0-d arrays for parameters
    whose spec is a Python scalar become Python scalars."""
    import numpy as np

    from .specs import parse_spec
    from .writer import _regular

    try:
        _regular(path)  # a FIFO or device would hang or never end the read
        with np.load(path, allow_pickle=False) as data:
            values = {name: data[name] for name in data.files}
    except (OSError, ValueError, CompileError) as exc:
        raise UsageError(f"cannot read --args-npz {path}: {exc}") from None
    unknown = sorted(set(values) - set(specs))
    if unknown:
        raise UsageError(f"--args-npz {path} holds {', '.join(unknown)}, which "
                         f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'}"
                         f" (parameters: {', '.join(specs)})")
    for name, value in values.items():
        kind = parse_spec(specs[name])[0]
        if kind in ("float", "int") and value.shape == ():
            values[name] = float(value) if kind == "float" else int(value)
    return values


def _overrides(options: argparse.Namespace, fn, config) -> dict[str, str]:
    """Specs by parameter: `--arg` first, then the project's [tool.bpcompiler.specs]
    for parameters that have no annotation."""
    from .specs import parse_spec

    parameters = inspect.signature(fn).parameters
    names = list(parameters)

    def known(name: str) -> str:
        if name not in parameters:
            raise UsageError(f"{name!r} is not a parameter of {fn.__name__} "
                             f"(parameters: {', '.join(names)})")
        return name

    overrides = {name: spec for name, spec in config.specs.items()
                 if name in parameters and parameters[name].annotation is inspect.Parameter.empty}
    for item in options.arg or []:
        name, sep, spec = item.partition("=")
        if not sep:
            raise UsageError(f"--arg expects NAME=SPEC, got {item!r}")
        try:
            parse_spec(spec)
        except ArgumentError as exc:
            raise UsageError(f"--arg {item}: {exc}") from None
        overrides[known(name.strip())] = spec.strip()
    for name in options.wrt.split(",") if options.wrt else []:
        known(name.strip())
    return overrides


def run_compile(options: argparse.Namespace, write: bool = True,
                progress: Callable[[str], None] | None = None) -> Compiled:
    """Compile what the options name (with the project's settings); write it if `write`."""
    from .api import compile_grad
    from .specs import default_wrt, example_args, specs_for

    config = load_config()
    fn = load_function(options.target)
    try:
        overrides = _overrides(options, fn, config)
        specs = specs_for(fn, overrides)
        all_specs = dict(specs)
        # A parameter with a default keeps it (no random example) unless --arg names it.
        parameters = inspect.signature(fn).parameters
        specs = {n: s for n, s in specs.items()
                 if parameters[n].default is inspect.Parameter.empty or n in overrides}
        args = example_args(specs)
    except ArgumentError as exc:  # a malformed spec in an annotation or the config
        raise UsageError(str(exc)) from None
    except MemoryError:
        raise UsageError("the example arguments do not fit in memory (give smaller "
                         "shapes in the specs)") from None
    by_name = dict(zip(specs, args))
    if options.args_npz:
        by_name.update(load_npz(options.args_npz, all_specs))
    names = list(parameters)
    given: tuple[Any, ...] | dict[str, Any] = by_name
    if list(by_name) == names[:len(by_name)] and not any(
            parameters[n].kind == parameters[n].KEYWORD_ONLY for n in by_name):
        given = tuple(by_name.values())  # (positional: symbolic dimensions follow them)
    wrt = tuple(w.strip() for w in options.wrt.split(",")) if options.wrt else \
        default_wrt(specs)
    options.out = options.out or default_output(options.target, config.output)
    emit = tuple(e.strip() for e in options.emit.split(",")) if getattr(
        options, "emit", None) else ("grad",)
    return compile_grad(fn, given, wrt=wrt, out=options.out if write else None, specs=specs,
                        emit=emit, command=compile_command(options), force=options.force,
                        debug=options.debug, progress=progress,
                        target=getattr(options, "array_target", "numpy"),
                        control_flow=getattr(options, "control_flow", "refuse"))


@contextlib.contextmanager
def progress_for(options: argparse.Namespace) -> Iterator[Progress]:
    """A phase printer as loud as -v/-q (or the project's settings) ask."""
    after = 0.0 if options.verbose else math.inf if options.quiet else PROGRESS_AFTER_SECONDS
    progress = Progress(after)
    try:
        yield progress
    finally:
        progress.close()


def cmd_compile(options: argparse.Namespace) -> int:
    """`bpcompiler compile`: write the module and print the report."""
    with progress_for(options) as progress:
        compiled = run_compile(options, write=True, progress=progress)
    if not options.quiet:
        print(compiled.report.summary())
        print(f"wrote {compiled.path}")
    return 0


def cmd_graph(options: argparse.Namespace) -> int:
    """`bpcompiler graph`: draw the joint graph (or its summary)."""
    from . import picture
    from .api import own_sources
    from .writer import check_writable, is_generated_picture

    path, options.out = options.out, None
    kind = os.path.splitext(path)[1].lower().lstrip(".")
    if kind not in picture.FORMATS:
        raise UsageError(f"cannot draw {path!r}: the picture must end in "
                         + ", ".join(f".{k}" for k in picture.FORMATS))
    if options.max_nodes is not None and options.max_nodes < 1:
        raise UsageError("--max-nodes must be at least 1")
    check_writable(path, options.force, generated=is_generated_picture)  # before compiling
    with progress_for(options) as progress:
        compiled = run_compile(options, write=False, progress=progress)
        progress("draw")
        try:
            drawn = picture.write_picture(compiled.graph, path, options.max_nodes,
                                          force=options.force,
                                          protected=own_sources(load_function(options.target)),
                                          layout=options.layout)
        except picture.RenderUnavailable as exc:
            raise UsageError(str(exc)) from None
    if not options.quiet:
        print(drawn.describe(path))
    return 0


def cmd_ops(options: argparse.Namespace) -> int:
    """`bpcompiler ops`: list the supported operations, or keep a README's table current."""
    from .ops import listing
    from .writer import read_text, write_atomically

    if options.check_readme or options.update_readme:
        path = options.check_readme or options.update_readme
        try:
            text = read_text(path)
        except CompileError as exc:
            raise UsageError(exc.problem) from None
        try:
            fresh = listing.replace_table(text)
        except ValueError as exc:
            raise UsageError(f"{path}: {exc}") from None
        if fresh == text:
            print(f"{path}: the supported-operations table is up to date")
            return 0
        if options.check_readme:
            print(f"{path}: the supported-operations table is stale; regenerate it with: "
                  f"bpcompiler ops --update-readme {path}")
            return 1
        write_atomically(path, fresh, force=True)  # keeps the file's mode
        print(f"{path}: regenerated the supported-operations table")
        return 0
    print(listing.markdown() if options.markdown else listing.text(), end="")
    return 0


def cmd_check(options: argparse.Namespace) -> int:
    """`bpcompiler check`: see check.py."""
    from .check import check_paths, module_paths

    options.paths = options.paths or [load_config().output]
    paths = module_paths(options.paths)
    progress = Progress(PROGRESS_AFTER_SECONDS)  # a long check says what it is doing
    try:
        return check_paths(options, paths, lambda again: run_compile(again, write=False),
                           build_parser(), progress)
    finally:
        progress.close()


def _compile_options(c: argparse.ArgumentParser, out_help: str, out_required=False) -> None:
    c.add_argument("target", metavar="FILE.py:FUNC|pkg.mod:FUNC")
    c.add_argument("-o", "--out", required=out_required, help=out_help)
    c.add_argument("--wrt", help="comma-separated parameters to differentiate (default: "
                                 "every float parameter whose spec is not marked `data`)")
    c.add_argument("--arg", action="append", metavar="NAME=SPEC",
                   help="example-argument spec, e.g. W=f64[784,256] or x='f64[3] in [0.1, 2]'")
    c.add_argument("--args-npz", metavar="FILE.npz",
                   help="example values by parameter name (np.savez(FILE, x=...)); they "
                        "replace the generated ones")
    c.add_argument("--emit", metavar="FUNCTIONS",
                   help="comma-separated functions the module defines beside forward: "
                        "grad (the default), jvp, vjp, jacobian, hvp, hessian")
    c.add_argument("--control-flow", choices=("refuse", "guard"), default="refuse",
                   help="refuse (default): if/while on a traced value is an error; guard: "
                        "follow the example's path, and the module raises OtherPathError "
                        "for arguments that take another")
    c.add_argument("--force", action="store_true",
                   help="overwrite an output file that bpcompiler did not generate")
    loud = c.add_mutually_exclusive_group()
    loud.add_argument("-v", "--verbose", action="store_true", default=None,
                      help="show each phase as it starts (otherwise only after "
                           f"{PROGRESS_AFTER_SECONDS:g} s)")
    loud.add_argument("-q", "--quiet", action="store_true", default=None,
                      help="print nothing on success (errors still go to stderr)")
    c.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="bpcompiler",
                                     description="Compile Python functions into gradient modules.")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks and check the graph after every pass")
    parser.add_argument("--version", action="version", version=f"bpcompiler {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("compile", help="compile FILE.py:FUNC into a gradient module")
    _compile_options(c, "output path (default output/<file>_grad.py, or "
                        "output/<file>_<func>_grad.py when FUNC is not named after the file;"
                        " the directory is [tool.bpcompiler] output)")
    c.add_argument("--target", dest="array_target", choices=("numpy", "array-api", "numba"),
                   default="numpy", help="numpy (default): plain NumPy and math; "
                   "array-api: runs on any array API library (CuPy, PyTorch, JAX, Dask); "
                   "numba: elementwise regions as compiled loops")
    c.set_defaults(run=cmd_compile)

    g = sub.add_parser("graph", help="draw the forward and adjoint graph of FILE.py:FUNC")
    _compile_options(g, "the picture: .svg, .png or .dot", out_required=True)
    g.add_argument("--max-nodes", type=int, metavar="N", default=None,
                   help="draw every node up to N boxes, a summary (one box per source "
                        "line, or per function) past that (default 300)")
    g.add_argument("--layout", choices=("auto", "graphviz", "builtin"), default="auto",
                   help="auto: Graphviz's dot when it is on PATH, else the built-in layout; "
                        "builtin: always the built-in one (the same picture on every machine)")
    g.set_defaults(run=cmd_graph)

    o = sub.add_parser("ops", help="list the supported operations (from the op registry)")
    o.add_argument("--markdown", action="store_true", help="print a Markdown table")
    readme = o.add_mutually_exclusive_group()
    readme.add_argument("--update-readme", metavar="README.md",
                        help="rewrite the table between <!-- ops:start --> and <!-- ops:end -->")
    readme.add_argument("--check-readme", metavar="README.md",
                        help="exit 1 if that table is stale")
    o.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    o.set_defaults(run=cmd_ops)

    k = sub.add_parser("check", help="fail if generated modules are stale")
    k.add_argument("paths", nargs="*", metavar="PATH")
    k.add_argument("--update", action="store_true",
                   help="regenerate stale modules in place instead of failing")
    k.add_argument("--allow-outside", action="store_true",
                   help="run sources outside the project root too (by default a module "
                        "whose header names one is refused)")
    k.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    k.set_defaults(run=cmd_check)

    from .bench import add_parser as add_bench_parser
    add_bench_parser(sub)
    return parser


def _defaults(options: argparse.Namespace) -> None:
    """Options a subcommand lacks, and the project's defaults for the ones not given."""
    for name in ("force", "args_npz", "allow_outside", "max_nodes"):
        setattr(options, name, getattr(options, name, None))
    loud = {"verbose": getattr(options, "verbose", None), "quiet": getattr(options, "quiet", None)}
    if loud["verbose"] is None and loud["quiet"] is None:
        config = load_config()
        loud = {"verbose": config.verbose and not config.quiet, "quiet": config.quiet}
    options.verbose, options.quiet = bool(loud["verbose"]), bool(loud["quiet"])


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default sys.argv); returns the exit status."""
    parser = build_parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        _defaults(options)
        return options.run(options)
    except UsageError as exc:
        print(f"bpcompiler: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        where = user_line(exc)
        print("bpcompiler: interrupted" + (f" in {where[0]}:{where[1]}" if where else ""),
              file=sys.stderr)
        return 130
    except SystemExit as exc:  # parse errors are handled above: this came from user code
        if options.debug:
            raise
        where = user_line(exc)
        print(f"bpcompiler: FunctionRaisedError: {'%s:%d: ' % where if where else ''}"
              f"the code being compiled called sys.exit({exc.code!r}) (bpcompiler runs the "
              "function on example values: it must return, not exit)", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `bpcompiler ops | head`: the reader left; not an error
        sys.stderr.close()
        return 0
    except CompileError as exc:
        if options.debug:
            raise
        print(f"bpcompiler: {type(exc).__name__}: {exc}", file=sys.stderr)  # one line
        return 1
    except Exception as exc:  # a bug outside compile_grad's own reporting
        if options.debug:
            raise
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(f"bpcompiler: internal error: {message} (this is a bug in bpcompiler; run "
              "with --debug for the traceback and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
