"""The resource limits that keep hostile input from hanging or exhausting the machine.

Every limit has a documented default (``docs/limits.md``) and can be changed on
the command line (``--time-limit``, ``--max-elements``, ``--limit NAME=VALUE``).
The checks read ``current()`` when they run, so a run's settings apply everywhere.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    time_limit: float = 5.0  # seconds of SymPy work (engine, formula proof) per case; 0: no limit, in-process
    max_elements: int = 10_000_000  # elements of one constant, and of all a case's tensors together
    expr_chars: int = 20_000  # characters of one expression
    depth: int = 150  # nesting depth of one expression, and of a YAML document
    exponent: float = 1_000.0  # largest |exponent| the SymPy engine raises exact numbers to
    file_bytes: int = 2_000_000  # size of one case file
    cases_per_file: int = 1_000
    yaml_nodes: int = 200_000  # YAML nodes of one file counted with every alias expanded
    part_time: float = 60.0  # seconds of each in-process part of a case's check (numpy, torch, fd, error budget, kinks); 0: none


DEFAULT_LIMITS = Limits()
# The largest values an option accepts: beyond them a count or a wait overflows the system calls it reaches.
LARGEST_COUNT = 10**12
LARGEST_SECONDS = 10**6
_current = DEFAULT_LIMITS


def current() -> Limits:
    return _current


def elements_over() -> str:
    """The end of every message that refuses more elements than --max-elements: the limit, and how to raise it."""
    return f"the limit is {_current.max_elements} (--max-elements N)"


@contextlib.contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Apply ``limits`` for the duration of a run, then restore the previous ones."""
    global _current
    previous, _current = _current, limits
    try:
        yield limits
    finally:
        _current = previous


def parse_setting(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` from the command line; ValueError with a message naming what is allowed."""
    names = [f.name for f in dataclasses.fields(Limits)]
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in names:
        raise ValueError(f"expected NAME=VALUE with NAME one of {', '.join(names)}; got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    kind = next(f.type for f in dataclasses.fields(Limits) if f.name == name)
    most = LARGEST_SECONDS if name in ("time_limit", "part_time") else LARGEST_COUNT
    if not 0 <= number <= most:  # NOTE: also refuses nan and inf
        raise ValueError(f"{name} must be a number from 0 to {most:g}, got {value!r}")
    if kind == "int" and number != int(number):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return name, int(number) if kind == "int" else number


def with_settings(base: Limits, settings: dict[str, float]) -> Limits:
    return dataclasses.replace(base, **settings)
