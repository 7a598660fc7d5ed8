"""`bpcompiler check`: is each generated module what its recorded command makes today?

Each module's `# Regenerate:` header is parsed as a `bpcompiler compile` command and
rerun in memory, from the directory it was recorded in. Rules that make it safe in CI:

- only sources inside the module's project root are run (the directory holding
  `pyproject.toml`, or the git root; outside any project, the directory the command
  was recorded in) unless `--allow-outside` (or the setting) says so:
  a header is not code review, and an absolute or `../` path could name anything;
- a module that differs from the regenerated text only in formatting (another black
  release's choices) is current, and the report says which black this is; so is one
  whose comments quote source lines that have only moved (`--update` renumbers them);
  whether the function changed is the header's hash of what the compile read;
- a module whose header cannot be read or parsed is reported, and the rest are still
  checked: the exit status is 2 if any header was unusable, else 1 if any module is
  stale, else 0.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import io
import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from .config import find_root, inside, load_config
from .errors import CompileError, UsageError
from .sources import is_module_target, locate_module, user_line
from .writer import is_generated, read_header, read_text

DIFF_LINES = 40


@dataclass
class Tally:
    checked: int = 0
    stale: int = 0
    unusable: int = 0  # headers that cannot be read, parsed or run as given
    restyled: int = 0  # current, but formatted by another black release
    moved: int = 0  # current, but the source lines its comments quote have moved


def module_paths(roots: list[str]) -> list[str]:
    """Every .py file under `roots` (directories walked in sorted order)."""
    paths = []
    for root in roots:
        if os.path.isdir(root):
            for dirpath, dirs, files in sorted(os.walk(root)):
                dirs.sort()
                paths += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".py")]
        elif os.path.isfile(root):
            paths.append(root)
        elif os.path.exists(root):
            raise UsageError(f"{root} is not a regular file or a directory")
        else:
            raise UsageError(f"no such file or directory: {root}")
    return paths


def recorded_base(module_path: str, target: str) -> str:
    """The directory a module's recorded command was run from: its paths are relative to
    it. The working directory if the source is found from there, else the nearest
    directory above the module that holds it (so `cd output && bpcompiler check .` works)."""
    source = target.rpartition(":")[0]

    def holds(directory: str) -> bool:
        if is_module_target(source):
            return locate_module(source, [directory, os.path.join(directory, "src")]) is not None
        return os.path.exists(os.path.join(directory, source))

    if os.path.isabs(source) or holds(os.getcwd()):
        return os.getcwd()
    directory = os.path.dirname(os.path.abspath(module_path))
    while True:
        if holds(directory):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return os.getcwd()
        directory = parent


def _source_file(target: str, base: str) -> str | None:
    source = target.rpartition(":")[0]
    if is_module_target(source):
        return locate_module(source, [base, os.path.join(base, "src")])
    return os.path.join(base, source)


def _parse(command: str, parser) -> tuple[object | None, str | None]:
    """The recorded command's options, or the reason it cannot be used."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return None, f"its header's command cannot be split ({exc}): {command}"
    if argv[:2] != ["bpcompiler", "compile"]:
        return None, "its header records no bpcompiler compile command"
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            return parser.parse_args(argv[1:]), None
    except SystemExit:
        reason = errors.getvalue().strip().splitlines()[-1:] or ["?"]
        return None, f"its header's command does not parse ({reason[0]}): {command}"


_LINE_NUMBER = re.compile(r"\blines? \d+(?:, \d+)*")


def compare(committed: str, fresh: str) -> str:
    """"same"; "restyled" (only formatting differs: another black release); "moved" (the
    code is the same and only the source line numbers its comments quote moved: lines
    were added above the function); or "stale"."""
    from .format import same_but_formatting

    if committed == fresh:
        return "same"
    if same_but_formatting(committed, fresh):
        return "restyled"
    renumber = functools.partial(_LINE_NUMBER.sub, "line N")
    if same_but_formatting(renumber(committed), renumber(fresh)):
        return "moved"
    return "stale"


def check_module(path: str, options, tally: Tally, run: Callable, parser,
                 say: Callable[[str], None]) -> None:
    """Check (or with options.update regenerate) one generated module."""
    try:
        text = read_text(path)
    except CompileError as exc:
        tally.unusable += 1
        return say(f"{path}: cannot check: {exc}")
    command = read_header(text).get("Regenerate", "")
    again, problem = _parse(command, parser)
    if again is None:
        tally.unusable += 1
        return say(f"{path}: cannot check: {problem}")
    base = recorded_base(path, again.target)
    # Outside any project, the directory the command was recorded in stands for the root.
    root = find_root(os.path.dirname(os.path.abspath(path))) or base
    source = _source_file(again.target, base)
    allowed = options.allow_outside or load_config(path).allow_outside
    if source and not allowed and not inside(source, root):
        tally.unusable += 1
        return say(f"{path}: refused: its header runs {source}, outside the project root "
                   f"{root} (pass --allow-outside to run it)")
    try:
        with contextlib.chdir(base):
            fresh = run(again).source
    except (CompileError, UsageError) as exc:
        kind = "unusable" if isinstance(exc, UsageError) else "stale"
        setattr(tally, kind, getattr(tally, kind) + 1)
        return say(f"{path}: {'cannot check' if kind == 'unusable' else 'stale'}: "
                   f"regenerating it fails: {exc}")
    except SystemExit as exc:
        where = user_line(exc)
        tally.stale += 1
        return say(f"{path}: stale: regenerating it fails: "
                   f"{'%s:%d: ' % where if where else ''}the code called sys.exit({exc.code!r})")
    verdict = compare(text, fresh)
    if verdict == "same":
        return
    if verdict == "restyled":
        tally.restyled += 1
        return
    if verdict == "moved" and not options.update:
        tally.moved += 1
        return
    if options.update:
        from .writer import write_atomically

        write_atomically(path, fresh)
        return say(f"{path}: regenerated")
    tally.stale += 1
    diff = list(difflib.unified_diff(text.splitlines(), fresh.splitlines(),
                                     f"{path} (committed)", f"{path} (regenerated)",
                                     lineterm="", n=1))
    say(f"{path}: stale; regenerate with: {command}")
    say("\n".join(diff[:DIFF_LINES] + (["..."] if len(diff) > DIFF_LINES else [])))


def check_paths(options, paths: list[str], run: Callable, parser, progress,
                say: Callable[[str], None] = print) -> int:
    """Check each generated module among `paths`; the exit status (module docstring)."""
    tally = Tally()
    for path in paths:
        if not is_generated(path):
            continue
        tally.checked += 1
        progress(f"checking {path}")
        check_module(path, options, tally, run, parser, say)
    if tally.restyled:
        from .format import black_version

        say(f"{tally.restyled} module(s) differ only in formatting: formatted by another "
            f"black release than this one ({black_version()}); the code is current")
    if tally.moved:
        say(f"{tally.moved} module(s) quote source lines that have moved; the code is "
            "current (`bpcompiler check --update` renumbers the comments)")
    if tally.stale:
        say(f"{tally.stale} of {tally.checked} generated modules are stale")
    if tally.unusable:
        say(f"{tally.unusable} of {tally.checked} generated modules could not be checked")
    if tally.unusable or tally.stale:
        return 2 if tally.unusable else 1
    if not tally.checked:
        say(f"no generated modules under {' '.join(options.paths)}")
        return 0
    say(f"{tally.checked} generated modules are up to date")
    return 0
