"""One-line forms for logs: a failing case as `path:line: VERDICT name: reason`, text made safe for one line."""

from __future__ import annotations

import re

from verifygrad.errors import visible
from verifygrad.verdict.outcome import ERROR, FAILED, CaseOutcome

VERDICT_WORD = {"passed": "PASS", "xfail": "XFAIL", "failed": "FAIL", "skipped": "SKIP", "error": "ERROR"}


def one_line(text: str) -> str:
    """Text for a single line of a log: line breaks as spaces, other control characters escaped."""
    return visible(re.sub(r"[\r\n\u2028\u2029]+", " ", text))


def failure_site(outcome: CaseOutcome) -> tuple[int, str]:
    """The line to point at and what is wrong there: a failing claim's own line, else the expression's.

    A case that could not be prepared carries its loader's `path:line: message`; that line wins. Where
    the file line is not the reader's (a notebook), the reason starts with the place: `cell 4, line 2: ...`.
    """
    line, reason = _site(outcome)
    place = outcome.case.places.get(line)
    return line, f"{place}: {reason}" if place else reason


def _site(outcome: CaseOutcome) -> tuple[int, str]:
    case = outcome.case
    for quantity in outcome.quantities:
        for check in quantity.claims:
            if check.ok is False:
                keys = ("expect", "value") if check.claim.kind == "value" else ("expect", check.claim.kind, check.claim.quantity)
                label = "value" if check.claim.kind == "value" else f"{check.claim.kind}.{check.claim.quantity}"
                return case.line_of(*keys), f"claim {label}: {check.text}"
    reason = outcome.reasons[0] if outcome.reasons else VERDICT_WORD[outcome.verdict]
    if case.expect_mismatch is not None and outcome.verdict == FAILED:
        return case.line_of("expect_mismatch"), reason
    located = re.match(rf"{re.escape(case.path)}:(\d+): (.*)", reason, re.DOTALL)
    if located:
        return int(located.group(1)), located.group(2)
    return case.line_of("expr"), reason


def failure_line(outcome: CaseOutcome) -> str:
    """'path:line: FAIL name: reason', one per failing case, for problem matchers and grep."""
    line, reason = failure_site(outcome)
    more = sum(reason not in other and other not in reason for other in outcome.reasons)
    extra = f" (and {more} more)" if more else ""
    return one_line(f"{outcome.case.path}:{line}: {VERDICT_WORD[outcome.verdict]} {outcome.case.name}: {reason}{extra}")


def is_failure(outcome: CaseOutcome) -> bool:
    return outcome.verdict in (FAILED, ERROR)
