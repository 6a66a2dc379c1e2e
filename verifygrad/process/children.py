"""No child process outlives the run: SIGINT/SIGTERM end it cleanly, and a killed worker takes its own children along.

The parent turns SIGINT and SIGTERM into ``Stopped`` (so that it can still write the reports of the work
already done); its workers leave SIGINT to it, since a Ctrl-C reaches every process of the terminal's
group. A worker that is killed (timeout) is killed with its descendants; and every worker watches its
parent, so that one whose parent vanished (killed with SIGKILL) ends itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PARENT_POLL_SECONDS = 0.5


class Stopped(BaseException):
    """The run was interrupted (SIGINT) or terminated (SIGTERM); ``results`` holds the work finished before."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.results: list[Any] = []

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # 130 for SIGINT, 143 for SIGTERM, as a shell reports them

    @property
    def word(self) -> str:
        return "interrupted" if self.signum == signal.SIGINT else "terminated"


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Within: SIGINT and SIGTERM raise ``Stopped`` in the main thread, once; after: the previous handlers."""

    def handler(signum: int, frame: Any) -> None:
        for each in (signal.SIGINT, signal.SIGTERM):  # NOTE: a second signal must not interrupt the clean-up
            signal.signal(each, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {each: signal.signal(each, handler) for each in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for each, old in previous.items():
            signal.signal(each, old)


def become_worker() -> None:
    """In a child: leave Ctrl-C to the parent, and end when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)  # NOTE: the parent died without ending us (SIGKILL); nobody reads our results now

    threading.Thread(target=watch, name="verifygrad-parent-watch", daemon=True).start()


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every process below it (found through /proc where there is one)."""
    for each in [*reversed(descendants(pid)), pid]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(each, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """Children, grandchildren, ... of ``pid``, parents before children; empty where /proc cannot be read."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat") if Path("/proc/self/stat").exists() else []:
        with contextlib.suppress(OSError, ValueError, IndexError):
            # NOTE: the command name (field 2) may hold spaces and parentheses: split after its last ')'.
            fields = entry.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        found += frontier
    return found
