"""Saying what a long compile is doing: each phase goes to the `bpcompiler` logger as it
starts, and a `Progress` printer shows it on stderr once a compile has run a while.

The library logs through `logging.getLogger("bpcompiler")` and never configures logging
itself; `compile_grad(..., progress=True)` (or the CLI) adds the stderr printer.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("bpcompiler")

# Compiles that run longer than this show which phase they are in (on stderr).
PROGRESS_AFTER_SECONDS = 2.0


class Progress:
    """Prints each phase to stderr as it starts, once the compile has run longer than
    `after` seconds (at once with `after=0`, never with `after=inf`). A watchdog thread
    covers a single phase that crosses the threshold, so a long trace or verify does not
    sit silent. Call `close()` when done."""

    def __init__(self, after: float = PROGRESS_AFTER_SECONDS):
        self.after = after
        self.start = time.monotonic()
        self.phase: str | None = None
        self.shown: str | None = None
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


def phase_reporter(progress: Callable[[str], None] | bool | None, name: str):
    """The callable `compile_grad` calls as each phase starts: logs the phase (INFO on
    the `bpcompiler` logger) and passes it to `progress` (True: a stderr `Progress`).
    Returns (report, close)."""
    printer = Progress() if progress is True else progress or None

    def report(phase: str) -> None:
        logger.info("%s: %s", name, phase)
        if printer is not None:
            printer(phase)

    def close() -> None:
        if isinstance(printer, Progress) and progress is True:
            printer.close()
    return report, close
