"""A pytest plugin: each case of a case file is one test.

Opt-in, so that it never collects unrelated YAML: pytest collects files named ``*.grad.yaml`` /
``*.grad.yml``, and every ``*.yaml`` / ``*.yml`` under the paths of the ini option ``verifygrad_paths``.
Registered as ``verifygrad`` through the ``pytest11`` entry point (``-p no:verifygrad`` turns it off);
without the package installed, enable it with ``-p verifygrad.frontends.pytest_plugin``.
Imports nothing heavy until a case file is collected.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from verifygrad.cases.load import Case
    from verifygrad.errors import CaseError
    from verifygrad.verdict.outcome import CaseOutcome

SUFFIXES = (".grad.yaml", ".grad.yml")
MARKER_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")  # a tag that can be a marker (`-m` reads these)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("verifygrad_paths", type="paths", default=[], help="Directories or files whose *.yaml/*.yml are verifygrad cases.")
    group = parser.getgroup("verifygrad")
    group.addoption("--verifygrad-docs", action="store_true", help="Collect tutorials (notebooks, Markdown/MyST/reST, gallery scripts): a test per derivation.")
    group.addoption("--verifygrad-lax", action="store_true", help="In tutorials check only derivative claims (gradients, formulas), not every printed value.")
    parser.addini("verifygrad_docs", type="bool", default=False, help="As --verifygrad-docs.")
    parser.addini("verifygrad_lax", type="bool", default=False, help="As --verifygrad-lax.")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    if file_path.name.endswith(SUFFIXES) or (file_path.suffix in (".yaml", ".yml") and _listed(file_path, parent.config)):
        return CaseFile.from_parent(parent, path=file_path)
    if parent.config.getoption("verifygrad_docs") or parent.config.getini("verifygrad_docs"):
        from verifygrad.frontends import pytest_docs

        if pytest_docs.is_tutorial(file_path):
            return pytest_docs.TutorialFile.from_parent(parent, path=file_path)
    return None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if "verifygrad.frontends.pytest_docs" in sys.modules:  # NOTE: only a run that collected tutorials has anything to say
        sys.modules["verifygrad.frontends.pytest_docs"].not_read_summary(terminalreporter, config)


def _listed(file_path: Path, config: pytest.Config) -> bool:
    return any(file_path == root or root in file_path.parents for root in config.getini("verifygrad_paths"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A skipped case is reported at its own file and line, not at the line of this plugin that skipped it."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple):
        if isinstance(item, CaseItem):
            report.longrepr = (item.case.path, item.case.line, report.longrepr[2])
        elif hasattr(item, "line"):  # a tutorial's derivation its writer marked to be skipped
            report.longrepr = (shown_path(item.path, item.config), item.line, report.longrepr[2])
    return report


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
