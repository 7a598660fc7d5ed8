"""The command line: parsing and printing only; the work is done by the library.

    bpcompiler compile FILE.py:FUNC [-o OUT] [--wrt a,b] [--arg NAME=SPEC ...] [--force]
    bpcompiler check [--update] [PATHS ...]
    bpcompiler bench FILE.py:FUNC [--wrt a,b] [--arg NAME=SPEC ...]

Exit status: 0 success, 1 a compile error (or stale modules for `check`), 2 a usage error.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import os
import shlex
import sys

from .errors import CompileError


class UsageError(Exception):
    pass


def load_function(target: str):
    """`path/to/file.py:func` -> the function object."""
    path, sep, func = target.rpartition(":")
    if not sep or not path or not func:
        raise UsageError(f"expected FILE.py:FUNCTION, got {target!r}")
    if not os.path.isfile(path):
        raise CompileError(f"no such file: {path}", file=path,
                           hint="give the path to a Python source file")
    module_name = "bpcompiler_user_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)  # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise CompileError(f"syntax error: {exc.msg}", file=path, line=exc.lineno) from None
    except Exception as exc:
        raise CompileError(f"importing the file failed: {type(exc).__name__}: {exc}",
                           file=path) from None
    finally:
        sys.path.remove(directory)
    fn = getattr(module, func, None)
    if fn is None or not callable(fn):
        raise CompileError(f"{path} does not define a function {func!r}", file=path,
                           hint="check the name after the colon")
    return fn


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
    return shlex.join(parts)


def run_compile(options, write: bool = True):
    from .api import compile_grad
    from .specs import example_args, specs_for

    overrides = {}
    for item in options.arg or []:
        name, sep, spec = item.partition("=")
        if not sep:
            raise UsageError(f"--arg expects NAME=SPEC, got {item!r}")
        overrides[name.strip()] = spec.strip()
    fn = load_function(options.target)
    specs = specs_for(fn, overrides)
    args = example_args(specs)
    wrt = tuple(w.strip() for w in options.wrt.split(",")) if options.wrt else None
    options.out = options.out or default_output(options.target)
    return compile_grad(fn, args, wrt=wrt, out=options.out if write else None,
                        command=compile_command(options), force=options.force,
                        debug=options.debug)


def cmd_compile(options) -> int:
    compiled = run_compile(options)
    print(compiled.report.summary())
    print(f"wrote {compiled.path}")
    return 0


def cmd_check(options) -> int:
    from .writer import is_generated, read_header

    paths = []
    for root in options.paths or ["output"]:
        if os.path.isdir(root):
            for dirpath, _, files in sorted(os.walk(root)):
                paths += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".py")]
        elif os.path.isfile(root):
            paths.append(root)
        else:
            raise UsageError(f"no such file or directory: {root}")
    stale = checked = 0
    for path in paths:
        if not is_generated(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        command = read_header(text).get("Regenerate", "")
        argv = shlex.split(command)
        if argv[:2] != ["bpcompiler", "compile"]:
            print(f"{path}: cannot check: its header records no bpcompiler command")
            stale += 1
            continue
        options_again = build_parser().parse_args(argv[1:])
        try:
            fresh = run_compile(options_again, write=False).source
            if options.update and fresh != text:
                from .writer import write_atomically
                write_atomically(path, fresh)
                print(f"{path}: regenerated")
                checked += 1
                continue
        except CompileError as exc:
            print(f"{path}: stale: regenerating it fails: {exc}")
            stale += 1
            continue
        checked += 1
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
    print(f"{checked} generated modules are up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bpcompiler",
                                     description="Compile Python functions into gradient modules.")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks and check the graph after every pass")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("compile", help="compile FILE.py:FUNC into a gradient module")
    c.add_argument("target", metavar="FILE.py:FUNC")
    c.add_argument("-o", "--out", help="output path (default output/<file>_grad.py)")
    c.add_argument("--wrt", help="comma-separated parameters to differentiate "
                                 "(default: every float parameter)")
    c.add_argument("--arg", action="append", metavar="NAME=SPEC",
                   help="example-argument spec, e.g. W=f64[784,256] or x='f64[3] in [0.1, 2]'")
    c.add_argument("--force", action="store_true",
                   help="overwrite an output file that bpcompiler did not generate")
    c.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    c.set_defaults(run=cmd_compile)

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
    options.force = getattr(options, "force", False)
    try:
        return options.run(options)
    except UsageError as exc:
        print(f"bpcompiler: error: {exc}", file=sys.stderr)
        return 2
    except CompileError as exc:
        if options.debug:
            raise
        print(f"bpcompiler: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
