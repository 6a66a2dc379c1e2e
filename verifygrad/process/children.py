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
import sys
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


HARD_STOP_SECONDS = 0.8  # after SIGINT/SIGTERM, how long the main thread has to take it before the process ends at once
_held: list[int] | None = None  # while the reports of a finished run are written: the signals received meanwhile


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Within: SIGINT and SIGTERM raise ``Stopped`` in the main thread, once; after: the previous handlers.

    NOTE: Python runs a signal handler only between bytecodes, so a main thread inside one long C call (a numpy
    einsum of 10**7 elements: seconds) would take the signal only when the call returns. The signal also wakes a
    watcher thread (``signal.set_wakeup_fd``; numpy and torch release the GIL in their long calls): if the handler
    has not run within HARD_STOP_SECONDS, the watcher kills every child and ends the process, reports unwritten.
    """
    taken = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        for each in (signal.SIGINT, signal.SIGTERM):  # NOTE: a second signal must not interrupt the clean-up
            signal.signal(each, signal.SIG_IGN)
        taken.set()
        if _held is not None:
            _held.append(signum)
            return
        raise Stopped(signum)

    previous = {each: signal.signal(each, handler) for each in (signal.SIGINT, signal.SIGTERM)}
    woken, wake = os.pipe()
    os.set_blocking(wake, False)
    previous_wake = signal.set_wakeup_fd(wake, warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(woken, taken), name="verifygrad-signal-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_wake)
        for each, old in previous.items():
            signal.signal(each, old)
        os.write(wake, b"\0")  # ends the watcher
        watcher.join()
        os.close(woken)
        os.close(wake)


@contextlib.contextmanager
def signals_held() -> Iterator[list[int]]:
    """Within ``stopped_by_signals``: SIGINT and SIGTERM are noted in the list yielded, not raised.

    For the reports of work already finished: a signal while the final table is drawn would cut it mid-line
    and lose the reports; the caller writes them (a few milliseconds) and then ends the run as the signal asks.
    """
    global _held
    _held = []
    try:
        yield _held
    finally:
        _held = None


def _watch(woken: int, taken: threading.Event) -> None:
    """Wait for a signal's byte on the wakeup pipe; end the process if the main thread does not take the signal in time."""
    while (received := os.read(woken, 1)) and received[0] not in (0, signal.SIGINT, signal.SIGTERM):
        pass  # another signal with a Python handler: not ours
    if not received or received[0] == 0 or taken.wait(HARD_STOP_SECONDS):
        return
    kill_tree_below(os.getpid())
    word = "interrupted" if received[0] == signal.SIGINT else "terminated"
    os.write(2, f"{word} inside a computation that did not return within {HARD_STOP_SECONDS:g} s: no report written\n".encode())
    os._exit(128 + received[0])


def exit_now(code: int) -> None:
    """End a stopped run once its output is out: every process it started killed, without the interpreter's shutdown.

    NOTE: a fork server still importing torch for its workers notices that its parent is gone only when done
    (seconds), and keeps the run's stdout open till then; shutdown itself, with torch and SymPy loaded, collects
    garbage for seconds too. Both are past the second a cancelled CI job allows.
    """
    kill_tree_below(os.getpid())
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


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
    kill_tree_below(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def kill_tree_below(pid: int) -> None:
    """SIGKILL every process below ``pid``, the deepest first."""
    for each in reversed(descendants(pid)):
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
