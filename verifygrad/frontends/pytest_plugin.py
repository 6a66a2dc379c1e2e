"""A pytest plugin: each case of a case file is one test.

Opt-in, so that it never collects unrelated YAML: pytest collects files named ``*.grad.yaml`` /
``*.grad.yml``, and every ``*.yaml`` / ``*.yml`` under the paths of the ini option ``verifygrad_paths``.
Registered through the ``pytest11`` entry point; without the package installed, enable it with
``-p verifygrad.frontends.pytest_plugin``. Imports nothing heavy until a case file is collected.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from verifygrad.cases.load import Case
    from verifygrad.errors import CaseError
    from verifygrad.verdict.outcome import CaseOutcome

SUFFIXES = (".grad.yaml", ".grad.yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("verifygrad_paths", type="paths", default=[], help="Directories or files whose *.yaml/*.yml are verifygrad cases.")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> CaseFile | None:
    if file_path.name.endswith(SUFFIXES) or (file_path.suffix in (".yaml", ".yml") and _listed(file_path, parent.config)):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _listed(file_path: Path, config: pytest.Config) -> bool:
    return any(file_path == root or root in file_path.parents for root in config.getini("verifygrad_paths"))


class CaseFile(pytest.File):
    """A case file: a test per case, and a failing one for each part that cannot be loaded."""

    def collect(self) -> list[pytest.Item]:
        from verifygrad.cases.load import load_file

        cases, errors = load_file(self.path)
        items: list[pytest.Item] = [CaseItem.from_parent(self, name=case.name, case=case) for case in cases]
        items += [LoadErrorItem.from_parent(self, name=f"line-{error.line or 0}", error=error) for error in errors]
        return items


class CaseFailed(Exception):
    """A case whose verdict is a failure or an error; carries the outcome for the report."""

    def __init__(self, outcome: CaseOutcome):
        super().__init__(outcome.verdict)
        self.outcome = outcome


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        from verifygrad.reports.text import verdict_line
        from verifygrad.verdict.judge import check_case
        from verifygrad.verdict.outcome import ERROR, FAILED, SKIPPED

        outcome = check_case(self.case)
        if outcome.verdict in (FAILED, ERROR):
            raise CaseFailed(outcome)
        if outcome.verdict == SKIPPED:
            pytest.skip(verdict_line(outcome))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            from verifygrad.reports.text import plain_panel, verdict_line

            return f"{verdict_line(excinfo.value.outcome)}\n{plain_panel(excinfo.value.outcome)}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"case {self.case.name}"


class LoadErrorItem(pytest.Item):
    """Part of a case file that is not a valid case: fails with the loader's one-line message."""

    def __init__(self, *, error: CaseError, **kwargs: Any):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(self.error)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.error.line or 1) - 1, f"invalid case file: {self.error.message}"
