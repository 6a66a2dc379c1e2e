"""GitHub Actions: an annotation at the line of each failing claim, and a Markdown summary of the run.

Workflow commands are single lines (``::error file=F,line=N,title=T::message``); their values are
escaped as the runner expects, so a case name or message can never end the command early.
"""

from __future__ import annotations

import os

from verifygrad.errors import CaseError, visible
from verifygrad.reports.lines import VERDICT_WORD, failure_site, is_failure
from verifygrad.verdict.outcome import SKIPPED, CaseOutcome


def annotations(outcomes: list[CaseOutcome], load_errors: list[CaseError], workspace: str | None = None) -> list[str]:
    """An ``::error`` per failing case and invalid part of a case file, a ``::warning`` per skipped case.

    Paths are written relative to `workspace` (``$GITHUB_WORKSPACE``, from which GitHub resolves them) when given."""
    lines = []
    for outcome in outcomes:
        if not (is_failure(outcome) or outcome.verdict == SKIPPED):
            continue
        line, reason = failure_site(outcome)
        level = "warning" if outcome.verdict == SKIPPED else "error"
        others = [r for r in outcome.reasons if reason not in r and r not in reason]  # NOTE: a notebook's reason starts with its cell
        title = f"verifygrad {VERDICT_WORD[outcome.verdict]}: {outcome.case.name}"
        lines.append(command(level, _from(workspace, outcome.case.path), line, title, "\n".join([reason, *others])))
    for error in load_errors:
        lines.append(command("error", _from(workspace, error.path), error.line, "verifygrad: invalid case file", error.message))
    return lines


def _from(workspace: str | None, path: str) -> str:
    """The path relative to the workspace; as given where there is none or the file lies outside it."""
    if not workspace:
        return path
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(workspace))
    return path if relative == ".." or relative.startswith(".." + os.sep) else relative.replace(os.sep, "/")


def command(level: str, path: str, line: int | None, title: str, message: str) -> str:
    where = f"file={_property(path)}" + (f",line={line}" if line else "")
    return f"::{level} {where},title={_property(title)}::{_data(message)}"


def _data(text: str) -> str:
    return visible(text, newlines=True).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def step_summary(outcomes: list[CaseOutcome], load_errors: list[CaseError], summary: str) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: the counts, then a table of what did not pass."""
    rows = []
    for outcome in outcomes:
        if is_failure(outcome) or outcome.verdict == SKIPPED:
            line, reason = failure_site(outcome)
            rows.append((VERDICT_WORD[outcome.verdict], outcome.case.name, f"{outcome.case.path}:{line}", reason))
    rows += [("ERROR", error.case or "", f"{error.path}:{error.line}" if error.line else error.path, error.message) for error in load_errors]
    text = f"### verifygrad\n\n**{summary}**\n"
    if rows:
        text += "\n| verdict | case | where | why |\n|---|---|---|---|\n"
        text += "".join(f"| {' | '.join(_cell(cell) for cell in row)} |\n" for row in rows)
    return text + "\n"


def _cell(text: str) -> str:
    """A table cell: one line, with the characters Markdown would read as markup escaped."""
    text = visible(" ".join(text.split()))
    for char in "\\`*_[]<>|#!~":
        text = text.replace(char, "\\" + char)
    return text
