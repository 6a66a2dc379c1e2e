"""A pytest plugin: each case of a case file is one test.

Opt-in, so that it never collects unrelated YAML: pytest collects files named ``*.grad.yaml`` /
``*.grad.yml``, and every ``*.yaml`` / ``*.yml`` under the paths of the ini option ``verifygrad_paths``.
Registered as ``verifygrad`` through the ``pytest11`` entry point (``-p no:verifygrad`` turns it off);
without the package installed, enable it with ``-p verifygrad.frontends.pytest_plugin``.
Imports nothing heavy until a case file is collected.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from verifygrad.frontends.pytest_items import CaseFile, CaseItem, shown_path
from verifygrad.frontends.pytest_settings import read_switches, setting

SUFFIXES = (".grad.yaml", ".grad.yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("verifygrad_paths", type="paths", default=[], help="Directories or files whose *.yaml/*.yml are verifygrad cases.")
    group = parser.getgroup("verifygrad")
    group.addoption("--verifygrad-docs", action="store_true", help="Collect tutorials (notebooks, Markdown/MyST/reST, gallery scripts): a test per derivation.")
    group.addoption("--verifygrad-lax", action="store_true", help="In tutorials check only derivative claims (gradients, formulas), not every printed value.")
    parser.addini("verifygrad_docs", type="bool", default=False, help="As --verifygrad-docs (or docs = true in [tool.verifygrad]).")
    parser.addini("verifygrad_lax", type="bool", default=False, help="As --verifygrad-lax (or docs-lax = true in [tool.verifygrad]).")


def pytest_configure(config: pytest.Config) -> None:
    read_switches(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    if file_path.name.endswith(SUFFIXES) or (file_path.suffix in (".yaml", ".yml") and _listed(file_path, parent.config)):
        return CaseFile.from_parent(parent, path=file_path)
    if setting(parent.config, "verifygrad_docs"):
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
