"""The exit code of a run, and why where it is not what the verdicts alone suggest."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import click

from verifygrad.errors import EXIT_INVALID, EXIT_MISMATCH, EXIT_NOTHING_CHECKABLE, EXIT_OK, CaseError

if TYPE_CHECKING:  # NOTE: the CLI imports this module at start-up, which must not import numpy
    from verifygrad.verdict.outcome import CaseOutcome


def exit_status(outcomes: list[CaseOutcome], load_errors: list[CaseError], strict: bool) -> tuple[int, str]:
    """(code, a sentence or ''): 2 invalid input; 1 a failure, a run that verified nothing, or under ``strict`` a skip."""
    from verifygrad.verdict.outcome import ERROR, FAILED, SKIPPED

    if load_errors or any(o.verdict == ERROR for o in outcomes):
        return EXIT_INVALID, ""
    if any(o.verdict == FAILED for o in outcomes):
        return EXIT_MISMATCH, ""
    skipped = sum(o.verdict == SKIPPED for o in outcomes)
    if outcomes and not any(o.passed for o in outcomes):
        return EXIT_MISMATCH, f"nothing was verified: every case was skipped ({skipped}); a run must check something to succeed"
    if strict and skipped:
        return EXIT_MISMATCH, f"--strict: {skipped} case{'s' if skipped != 1 else ''} skipped (not checked), which fails the run"
    return EXIT_OK, ""


def nothing_checkable_status(code: int, why: str, files: list[str], strict: bool, checked: bool) -> tuple[int, str]:
    """`check`: files read without error in which nothing is checkable. Alone they exit 5 (not 2: no input is broken);
    beside checked files they pass; under ``strict`` they fail the run."""
    if not files or code != EXIT_OK:
        return code, why
    count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
    if strict:
        return EXIT_MISMATCH, f"--strict: nothing checkable in {count} ({', '.join(files)}), which fails the run"
    if checked:
        return code, why
    return EXIT_NOTHING_CHECKABLE, f"nothing checkable in {count}: the reasons are listed above (exit 5; --strict makes it a failure)"


def finite_tolerance(context: click.Context, parameter: click.Parameter, value: float | None) -> float | None:
    """--rtol/--atol: a finite number >= 0 (inf or nan would let anything pass)."""
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise click.BadParameter(f"{value} is not a finite number >= 0", context, parameter)
    return value
