"""Outcomes as plain text: the one-line verdict and the rich panel without colour."""

from __future__ import annotations

from io import StringIO

from verifygrad.reports.lines import VERDICT_WORD
from verifygrad.verdict.outcome import CaseOutcome

PLAIN_WIDTH = 100


def verdict_line(outcome: CaseOutcome) -> str:
    """'FAIL: numpy is off on ∂/∂x: ...; ...' on one line."""
    reasons = "; ".join(reason.replace("\n", " ") for reason in outcome.reasons)
    return f"{VERDICT_WORD[outcome.verdict]}: {reasons}" if reasons else VERDICT_WORD[outcome.verdict]


def plain_panel(outcome: CaseOutcome, verbose: int = 0) -> str:
    """The case's report panel rendered as plain text, 100 columns wide."""
    from rich.console import Console

    from verifygrad.reports.console import case_panel

    buffer = StringIO()
    console = Console(file=buffer, no_color=True, width=PLAIN_WIDTH, color_system=None, highlight=False, emoji=False)
    console.print(case_panel(outcome, verbose))
    return buffer.getvalue()
