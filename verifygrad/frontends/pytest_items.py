"""The pytest items of case files: a case is a test, a part that cannot be loaded is a failing one.

Shared by the plugin (case files) and its tutorial collection (``pytest_docs``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from verifygrad.cases.load import Case
    from verifygrad.errors import CaseError
    from verifygrad.verdict.outcome import CaseOutcome

MARKER_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")  # a tag that can be a marker (`-m` reads these)


class CaseFile(pytest.File):
    """A case file: a test per case, and a failing one for each part that cannot be loaded."""

    def collect(self) -> list[pytest.Item]:
        from verifygrad.cases.load import load_file

        cases, errors = load_file(self.path)
        from verifygrad.errors import visible

        shown = shown_path(self.path, self.config)  # messages and reports name the file as the user would
        for thing in (*cases, *errors):
            thing.path = shown
        # NOTE: pytest prints test names as they are: a control character in a case name must not reach the terminal.
        items: list[pytest.Item] = [CaseItem.from_parent(self, name=visible(case.name), case=case) for case in cases]
        items += [LoadErrorItem.from_parent(self, name=visible(error.case or f"line-{error.line or 0}"), error=error) for error in errors]
        return items


def shown_path(path: Path, config: pytest.Config) -> str:
    relative = os.path.relpath(path, config.invocation_params.dir)
    return str(path) if relative.startswith("..") else relative


class FailureLine:
    """A failing case as pytest reports it: `path:line: message` (what --tb=line, -rf and --junitxml show)."""

    def __init__(self, path: str, line: int, message: str):
        self.path, self.lineno, self.message = path, line, message

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}: {self.message}"


class CaseFailure:
    """A failure's long form: its one line, and at --tb=long the case's panel in plain text."""

    def __init__(self, crash: FailureLine, panel: str = "", style: str = "auto"):
        self.reprcrash = crash
        self.panel = panel
        self.style = style

    def toterminal(self, tw: Any) -> None:
        if self.style == "line":  # NOTE: pytest prints the crash line itself at --tb=line
            return
        tw.line(str(self.reprcrash), red=True, bold=True)
        for line in self.panel.rstrip("\n").splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return "\n".join([str(self.reprcrash), *self.panel.rstrip("\n").splitlines()])


class CaseFailed(Exception):
    """A case whose verdict is a failure or an error; carries the outcome for the report."""

    def __init__(self, outcome: CaseOutcome):
        super().__init__(outcome.verdict)
        self.outcome = outcome


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any):
        super().__init__(**kwargs)
        self.case = case
        for tag in case.tags:
            if MARKER_NAME.match(tag):
                if tag not in {line.split(":")[0].strip() for line in self.config.getini("markers")}:
                    self.config.addinivalue_line("markers", f"{tag}: a verifygrad case tag")
                self.add_marker(tag)

    def runtest(self) -> None:
        from verifygrad.verdict.judge import check_case

        self.finish(check_case(self.case))

    def finish(self, outcome: CaseOutcome) -> None:
        """Fail, skip or pass as the case's verdict says."""
        from verifygrad.reports.text import verdict_line
        from verifygrad.verdict.outcome import ERROR, FAILED, SKIPPED, XFAIL

        if outcome.verdict == XFAIL:  # a documented wrong claim, caught: pytest's `x`, not `.`
            pytest.xfail(verdict_line(outcome))
        if outcome.verdict in (FAILED, ERROR):
            raise CaseFailed(outcome)
        if outcome.verdict == SKIPPED:
            pytest.skip(verdict_line(outcome))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if not isinstance(excinfo.value, CaseFailed):
            return super().repr_failure(excinfo, style)
        from verifygrad.reports.lines import failure_site, one_line
        from verifygrad.reports.text import plain_panel, verdict_line

        outcome = excinfo.value.outcome
        line, _ = failure_site(outcome)
        style = style or self.config.getoption("tbstyle", "auto")
        panel = plain_panel(outcome) if style == "long" and outcome.quantities else ""
        return CaseFailure(FailureLine(self.case.path, line, one_line(verdict_line(outcome))), panel, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"case {self.name}"


class LoadErrorItem(pytest.Item):
    """Part of a case file that is not a valid case: fails with the loader's one-line message."""

    def __init__(self, *, error: CaseError, **kwargs: Any):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from verifygrad.reports.lines import one_line

        crash = FailureLine(self.error.path, self.error.line or 1, one_line(f"invalid case file: {self.error.message}"))
        return CaseFailure(crash, style=style or self.config.getoption("tbstyle", "auto"))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        from verifygrad.errors import visible

        return self.path, (self.error.line or 1) - 1, "invalid case file: " + visible(self.error.message)
