"""Results as they happen: a line per finished case in a log, a live count and the failures so far on a terminal."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.text import Text

from verifygrad.reports.lines import VERDICT_WORD, failure_line, is_failure, one_line
from verifygrad.verdict.outcome import ERROR, FAILED, PASSED, SKIPPED, XFAIL, CaseOutcome

STYLE = {PASSED: "green", XFAIL: "green", FAILED: "bold red", SKIPPED: "yellow", ERROR: "bold magenta"}


def finished_line(outcome: CaseOutcome) -> str:
    """`path:line: PASS name`; a failure as its one grep-friendly line, a skip with its first reason."""
    if is_failure(outcome):
        return failure_line(outcome)
    case = outcome.case
    reason = f": {outcome.reasons[0]}" if (outcome.verdict == SKIPPED or case.stand_in) and outcome.reasons else ""
    return one_line(f"{case.path}:{case.line}: {VERDICT_WORD[outcome.verdict]} {case.name}{reason}")


def counts_text(counts: Counter) -> str:
    """'12 passed, 1 failed, 2 skipped' for the live display (only the words with a count, passed always)."""
    words = [(PASSED, "passed"), (FAILED, "failed"), (XFAIL, "xfailed"), (SKIPPED, "skipped"), (ERROR, "errors")]
    return ", ".join(f"{counts[verdict]} {word}" for verdict, word in words if counts[verdict] or verdict == PASSED)


class Live:
    """Receives each outcome as its case finishes and shows it at once.

    In a log (``bar`` False) a line per case, in the order of ``cases`` whatever order they finish in
    (with -j an outcome waits for the ones before it), failures only under ``quiet``. On a terminal a
    bar with the counts so far, each failure printed above it as it happens.
    """

    def __init__(self, console: Console, cases: list, bar: bool, quiet: bool):
        self.console, self.quiet = console, quiet
        self.order = {(case.path, case.line, case.name): i for i, case in enumerate(cases)}
        self.waiting: dict[int, CaseOutcome] = {}
        self.next = 0
        self.counts: Counter = Counter()
        self.progress: Any = None
        if bar:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                console=console, transient=True,
            )  # fmt: skip
            self.task = self.progress.add_task("checking", total=len(cases), counts=counts_text(self.counts))

    def __enter__(self) -> Live:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
        for index in sorted(self.waiting):  # stopped early (--maxfail, Ctrl-C): what finished, in order
            self._print(self.waiting.pop(index))

    def done(self, outcome: CaseOutcome) -> None:
        self.counts[outcome.verdict] += 1
        if self.progress is not None:
            if is_failure(outcome):
                self.progress.console.print(Text(failure_line(outcome), style=STYLE[outcome.verdict]), soft_wrap=True)
            self.progress.update(self.task, advance=1, counts=counts_text(self.counts))
            return
        case = outcome.case
        index = self.order.get((case.path, case.line, case.name), self.next)  # NOTE: a worker's outcome holds a copy of its case
        self.waiting[index] = outcome
        while self.next in self.waiting:
            self._print(self.waiting.pop(self.next))
            self.next += 1

    def _print(self, outcome: CaseOutcome) -> None:
        if self.quiet and not is_failure(outcome):
            return
        self.console.print(Text(finished_line(outcome), style=STYLE[outcome.verdict]), soft_wrap=True)
        self.console.file.flush()
