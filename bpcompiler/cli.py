"""The command line: parsing and printing only; the work is done by the library.

    bpcompiler compile FILE.py:FUNC [-o OUT] [--wrt a,b] [--arg NAME=SPEC ...]
                       [--args-npz FILE.npz] [--force] [-v | -q]
    bpcompiler graph FILE.py:FUNC -o PICTURE.svg|.png|.dot [same options as compile]
    bpcompiler ops [--markdown] [--update-readme README.md]
    bpcompiler check [--update] [PATHS ...]
    bpcompiler bench FILE.py:FUNC [--wrt a,b] [--arg NAME=SPEC ...]

Exit status: 0 success, 1 a compile error (or stale modules for `check`, or a stale
README table for `ops --check-readme`), 2 a usage error (bad flags, a file or function
that does not exist). Compile errors print one line naming file:line; `--debug` shows
the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import inspect
import math
import os
import shlex
import sys
import threading
import time

from . import __version__
from .errors import CompileError, UsageError
from .sources import load_function


# Compiles that run longer than this show which phase they are in (on stderr).
PROGRESS_AFTER_SECONDS = 2.0


def default_output(target: str) -> str:
    path, _, func = target.rpartition(":")
    stem = os.path.splitext(os.path.basename(path))[0]
    return os.path.join("output", f"{stem}_grad.py" if stem == func else f"{stem}_{func}_grad.py")


def compile_command(options) -> str:
    """The command line that regenerates this module, as recorded in its header."""
    parts = ["bpcompiler", "compile", options.target, "-o", options.out]
    if options.wrt:
        parts += ["--wrt", options.wrt]
    for spec in options.arg or []:
        parts += ["--arg", spec]
    if options.args_npz:
        parts += ["--args-npz", options.args_npz]
    if getattr(options, "array_target", "numpy") != "numpy":
        parts += ["--target", options.array_target]
    return shlex.join(parts)


def load_npz(path: str, specs: dict) -> dict:
    """Example values from an .npz file, by parameter name; 0-d arrays for parameters
    whose spec is a Python scalar become Python scalars."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            values = {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read --args-npz {path}: {exc}") from None
    unknown = sorted(set(values) - set(specs))
    if unknown:
        raise UsageError(f"--args-npz {path} holds {', '.join(unknown)}, which "
                         f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'}"
                         f" (parameters: {', '.join(specs)})")
    from .specs import parse_spec

    for name, value in values.items():
        kind = parse_spec(specs[name])[0]
        if kind in ("float", "int") and value.shape == ():
            values[name] = float(value) if kind == "float" else int(value)
    return values


def run_compile(options, write: bool = True, progress=None):
    from .api import compile_grad
    from .errors import ArgumentError
    from .specs import default_wrt, example_args, parse_spec, specs_for

    overrides = {}
    for item in options.arg or []:
        name, sep, spec = item.partition("=")
        if not sep:
            raise UsageError(f"--arg expects NAME=SPEC, got {item!r}")
        try:
            parse_spec(spec)
        except ArgumentError as exc:
            raise UsageError(f"--arg {item}: {exc}") from None
        overrides[name.strip()] = spec.strip()
    fn = load_function(options.target)
    names = list(inspect.signature(fn).parameters)
    for name in list(overrides) + (options.wrt.split(",") if options.wrt else []):
        if name.strip() not in names:
            raise UsageError(f"{name.strip()!r} is not a parameter of {fn.__name__} "
                             f"(parameters: {', '.join(names)})")
    specs = specs_for(fn, overrides)
    args = example_args(specs)
    if options.args_npz:
        given = load_npz(options.args_npz, specs)
        args = tuple(given.get(name, value) for name, value in zip(specs, args))
    wrt = tuple(w.strip() for w in options.wrt.split(",")) if options.wrt else \
        default_wrt(specs)
    options.out = options.out or default_output(options.target)
    return compile_grad(fn, args, wrt=wrt, out=options.out if write else None, specs=specs,
                        command=compile_command(options), force=options.force,
                        debug=options.debug, progress=progress,
                        target=getattr(options, "array_target", "numpy"))


class Progress:
    """Prints each phase to stderr as it starts, once the compile has run longer than
    `after` seconds (at once with `after=0`). A watchdog thread covers a single phase
    that crosses the threshold, so a long trace or verify does not sit silent."""

    def __init__(self, after: float):
        self.after = after
        self.start = time.monotonic()
        self.phase = None
        self.shown = None
        self.lock = threading.Lock()
        self.done = threading.Event()
        if 0 < after < math.inf:
            threading.Thread(target=self._watch, daemon=True).start()

    def __call__(self, phase: str) -> None:
        with self.lock:
            self.phase = phase
            self._show()

    def _show(self) -> None:
        elapsed = time.monotonic() - self.start
        if self.phase != self.shown and elapsed >= self.after:
            print(f"bpcompiler: [{elapsed:5.1f}s] {self.phase}...", file=sys.stderr,
                  flush=True)
            self.shown = self.phase

    def _watch(self) -> None:
        while not self.done.wait(0.2):
            with self.lock:
                if self.phase is not None:
                    self._show()

    def close(self) -> None:
        self.done.set()


@contextlib.contextmanager
def progress_for(options):
    after = 0.0 if options.verbose else math.inf if options.quiet else PROGRESS_AFTER_SECONDS
    progress = Progress(after)
    try:
        yield progress
    finally:
        progress.close()


def cmd_compile(options) -> int:
    with progress_for(options) as progress:
        compiled = run_compile(options, write=True, progress=progress)
    if not options.quiet:
        print(compiled.report.summary())
        print(f"wrote {compiled.path}")
    return 0


def cmd_graph(options) -> int:
    from . import draw

    picture, options.out = options.out, None
    kind = os.path.splitext(picture)[1].lower().lstrip(".")
    if kind not in draw.FORMATS:
        raise UsageError(f"cannot draw {picture!r}: the picture must end in "
                         + ", ".join(f".{k}" for k in draw.FORMATS))
    with progress_for(options) as progress:
        compiled = run_compile(options, write=False, progress=progress)
        progress("draw")
        try:
            scene = draw.write_picture(compiled.graph, picture)
        except draw.RenderUnavailable as exc:
            raise UsageError(str(exc)) from None
    report = compiled.report
    if options.quiet:
        return 0
    print(f"drew {report.forward_nodes} forward + {report.adjoint_nodes} backward nodes "
          f"({scene.width:.0f} x {scene.height:.0f} px) to {picture}")
    return 0


def cmd_ops(options) -> int:
    from .ops import listing

    if options.check_readme or options.update_readme:
        path = options.check_readme or options.update_readme
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
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
        from .writer import write_atomically
        write_atomically(path, fresh, force=True)
        print(f"{path}: regenerated the supported-operations table")
        return 0
    print(listing.markdown() if options.markdown else listing.text(), end="")
    return 0


def _recorded_base(module_path: str, target: str) -> str:
    """The directory a module's recorded command was run from: its paths are relative to
    it. The working directory if the source is found from there, else the nearest
    directory above the module that holds it (so `cd output && bpcompiler check .` works)."""
    source = target.rpartition(":")[0]
    if os.path.isabs(source) or os.path.exists(source):
        return os.getcwd()
    directory = os.path.dirname(os.path.abspath(module_path))
    while True:
        if os.path.exists(os.path.join(directory, source)):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return os.getcwd()
        directory = parent


def cmd_check(options) -> int:
    paths = []
    for root in options.paths or ["output"]:
        if os.path.isdir(root):
            for dirpath, _, files in sorted(os.walk(root)):
                paths += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".py")]
        elif os.path.isfile(root):
            paths.append(root)
        else:
            raise UsageError(f"no such file or directory: {root}")
    progress = Progress(PROGRESS_AFTER_SECONDS)  # a long check says what it is doing
    try:
        return _check_paths(options, paths, progress)
    finally:
        progress.close()


def _check_paths(options, paths: list[str], progress) -> int:
    from .writer import is_generated, read_header

    """Check (or with --update regenerate) each generated module among `paths`."""
    stale = checked = 0
    for path in paths:
        if not is_generated(path):
            continue
        checked += 1
        with open(path, encoding="utf-8") as f:
            text = f.read()
        command = read_header(text).get("Regenerate", "")
        argv = shlex.split(command)
        if argv[:2] != ["bpcompiler", "compile"]:
            print(f"{path}: cannot check: its header records no bpcompiler command")
            stale += 1
            continue
        try:
            options_again = build_parser().parse_args(argv[1:])
        except SystemExit:
            print(f"{path}: cannot check: its header's command does not parse: {command}")
            stale += 1
            continue
        try:
            with contextlib.chdir(_recorded_base(path, options_again.target)):
                progress(f"checking {path}")
                fresh = run_compile(options_again, write=False).source
            if options.update and fresh != text:
                from .writer import write_atomically
                write_atomically(path, fresh)
                print(f"{path}: regenerated")
                continue
        except (CompileError, UsageError) as exc:
            print(f"{path}: stale: regenerating it fails: {exc}")
            stale += 1
            continue
        if fresh != text:
            stale += 1
            diff = list(difflib.unified_diff(text.splitlines(), fresh.splitlines(),
                                             f"{path} (committed)", f"{path} (regenerated)",
                                             lineterm="", n=1))
            print(f"{path}: stale; regenerate with: {command}")
            print("\n".join(diff[:40] + (["..."] if len(diff) > 40 else [])))
    if stale:
        print(f"{stale} of {checked} generated modules are stale")
        return 1
    if not checked:
        print(f"no generated modules under {' '.join(options.paths or ['output'])}")
        return 0
    print(f"{checked} generated modules are up to date")
    return 0


def _compile_options(c: argparse.ArgumentParser, out_help: str, out_required=False) -> None:
    c.add_argument("target", metavar="FILE.py:FUNC")
    c.add_argument("-o", "--out", required=out_required, help=out_help)
    c.add_argument("--wrt", help="comma-separated parameters to differentiate (default: "
                                 "every float parameter whose spec is not marked `data`)")
    c.add_argument("--arg", action="append", metavar="NAME=SPEC",
                   help="example-argument spec, e.g. W=f64[784,256] or x='f64[3] in [0.1, 2]'")
    c.add_argument("--args-npz", metavar="FILE.npz",
                   help="example values by parameter name (np.savez(FILE, x=...)); they "
                        "replace the generated ones")
    c.add_argument("--force", action="store_true",
                   help="overwrite an output file that bpcompiler did not generate")
    c.add_argument("-v", "--verbose", action="store_true",
                   help="show each phase as it starts (otherwise only after "
                        f"{PROGRESS_AFTER_SECONDS:g} s)")
    c.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing on success (errors still go to stderr)")
    c.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bpcompiler",
                                     description="Compile Python functions into gradient modules.")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks and check the graph after every pass")
    parser.add_argument("--version", action="version", version=f"bpcompiler {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("compile", help="compile FILE.py:FUNC into a gradient module")
    _compile_options(c, "output path (default output/<file>_grad.py, or "
                        "output/<file>_<func>_grad.py when FUNC is not named after the file)")
    c.add_argument("--target", dest="array_target", choices=("numpy", "array-api"),
                   default="numpy", help="numpy (default): plain NumPy and math; "
                   "array-api: runs on any array API library (CuPy, PyTorch, JAX, Dask)")
    c.set_defaults(run=cmd_compile)

    g = sub.add_parser("graph", help="draw the forward and adjoint graph of FILE.py:FUNC")
    _compile_options(g, "the picture: .svg, .png or .dot", out_required=True)
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
    k.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    k.set_defaults(run=cmd_check)

    from .bench import add_parser as add_bench_parser
    add_bench_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    for name in ("force", "verbose", "args_npz", "quiet"):
        setattr(options, name, getattr(options, name, None))
    try:
        return options.run(options)
    except UsageError as exc:
        print(f"bpcompiler: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bpcompiler: interrupted", file=sys.stderr)
        return 130
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
