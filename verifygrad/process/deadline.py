"""A time limit for each in-process part of a case's check (an engine, the error budget, the kink analysis).

The numeric parts run in this process, so the bound is cooperative: their loops call ``check()`` between
operations, and one operation is bounded by --max-elements. SymPy, which can spend unbounded time inside
one call, runs in a worker process instead (``process.worker``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

_deadline: float | None = None
_seconds = 0.0


class PartTimedOut(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"timed out after {seconds:g} s (--limit part_time=S)")


@contextlib.contextmanager
def limited(seconds: float) -> Iterator[None]:
    """Within: ``check()`` raises PartTimedOut once ``seconds`` have passed (0: no limit); nested limits keep the earlier end."""
    global _deadline, _seconds
    previous = _deadline, _seconds
    if seconds > 0:
        end = time.monotonic() + seconds
        if _deadline is None or end < _deadline:
            _deadline, _seconds = end, seconds
    try:
        yield
    finally:
        _deadline, _seconds = previous


def ends() -> float | None:
    """When the current part's limit runs out (``time.monotonic``), or None without one: a loop of many small steps
    compares the clock itself and calls ``check`` only past it (a call per step costs as much as a small step)."""
    return _deadline


def check() -> None:
    """Raise PartTimedOut if the current part has run past its limit."""
    if _deadline is not None and time.monotonic() > _deadline:
        raise PartTimedOut(_seconds)
