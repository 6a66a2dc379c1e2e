"""Tutorials as pytest tests (``--verifygrad-docs``): a test per derivation, named by file, cell and line.

What the collector takes: notebooks, Markdown/MyST/reST pages and sphinx-gallery scripts. Each derivation
(a ``backward()`` with its claims, or a printed value) is one item; its claims are sub-results, listed
in the report section "verifygrad claims"; a failure points at the wrong claim's own line (a notebook's
adds its cell). Derivations a writer marked (``# verifygrad: skip``, a ``verifygrad-skip`` cell tag) are
skipped items; what the reader could not read is listed under ``-rs``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from verifygrad.frontends.pytest_items import CaseFailed, CaseFailure, CaseItem, FailureLine, LoadErrorItem, shown_path
from verifygrad.frontends.pytest_settings import setting

if TYPE_CHECKING:
    from verifygrad.tutorials.blocks import Document
    from verifygrad.tutorials.tocases import Draft
    from verifygrad.verdict.outcome import CaseOutcome

DOC_SUFFIXES = (".ipynb", ".md", ".markdown", ".myst", ".rst")
NOT_TUTORIALS = re.compile(r"^(test_.*|.*_test|conftest|setup|__init__)\.py$")
NOT_READ = pytest.StashKey[list[str]]()


def is_tutorial(path: Path) -> bool:
    """A notebook or a page by its suffix; a .py file only when it is a gallery script (`# %%` cells), never a test module."""
    if path.suffix.lower() in DOC_SUFFIXES:
        return True
    if path.suffix != ".py" or NOT_TUTORIALS.match(path.name):
        return False
    from verifygrad.tutorials.scripts import looks_like_gallery

    try:
        return looks_like_gallery(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return False


class TutorialFile(pytest.File):
    """A tutorial: an item per derivation, a skipped one per derivation its writer marked, a failing one if unreadable."""

    def collect(self) -> list[pytest.Item]:
        from verifygrad.cases.load import load_mapping
        from verifygrad.errors import CaseError, visible
        from verifygrad.tutorials.load import derivative_claims_only, located, places
        from verifygrad.tutorials.read import read_tutorial

        shown = shown_path(self.path, self.config)
        try:
            tutorial = read_tutorial(self.path)
        except CaseError as err:
            err.path = shown
            return [LoadErrorItem.from_parent(self, name="unreadable", error=err)]
        except (RecursionError, MemoryError):
            return [LoadErrorItem.from_parent(self, name="unreadable", error=CaseError(shown, None, "the document is nested too deeply to read"))]
        document = tutorial.document
        lax = setting(self.config, "verifygrad_lax")
        items: list[pytest.Item] = []
        names: set[str] = set()
        for draft in tutorial.drafts:
            draft = derivative_claims_only(draft) if lax else draft
            if draft is None:
                continue
            cases, errors = load_mapping(located(draft), shown, draft.line)
            for case in cases:
                case.places = places(document, draft)
            name = _unique(visible(f"{document.place(draft.line)}: {draft.about or draft.name}"), names)
            items += [DerivationItem.from_parent(self, name=name, case=case, draft=draft, document=document) for case in cases]
            items += [LoadErrorItem.from_parent(self, name=_unique(name, names), error=error) for error in errors]
        for line, what in sorted(tutorial.reading.not_read):
            if "skipped by the writer" in what:
                items.append(MarkedItem.from_parent(self, name=_unique(visible(f"{document.place(line)}: skipped"), names), line=line, why=what))
            else:
                self.config.stash.setdefault(NOT_READ, []).append(visible(f"{shown}:{line}: {document.place(line)}: not read: {what}"))
        for found in tutorial.findings.found:
            if found.status and "skipped" not in found.status:
                self.config.stash.setdefault(NOT_READ, []).append(
                    visible(f"{shown}:{found.line}: {document.place(found.line)}: claim not checked: {found.source} {found.text}: {found.status}")
                )
        return items


def _unique(name: str, taken: set[str]) -> str:
    chosen, suffix = name, 2
    while chosen in taken:
        chosen, suffix = f"{name} #{suffix}", suffix + 1
    taken.add(chosen)
    return chosen


class DerivationItem(CaseItem):
    """One derivation of a tutorial; its claims are the sub-results."""

    def __init__(self, *, draft: Draft, document: Document, **kwargs: Any):
        super().__init__(**kwargs)
        self.draft, self.document = draft, document

    def runtest(self) -> None:
        from verifygrad.verdict.judge import check_case

        outcome = check_case(self.case)
        self.add_report_section("call", "verifygrad claims", "\n".join(self.claim_lines(outcome)))
        self.finish(outcome)

    def claim_lines(self, outcome: CaseOutcome) -> list[str]:
        """'✓ cell 2, output (printed output): grad x [2, 4, 6]: holds', one per claim, where the tutorial shows it."""
        from verifygrad.errors import visible
        from verifygrad.tutorials.load import claim_place

        checks = {(c.claim.kind, c.claim.quantity): c for q in outcome.quantities for c in q.claims}
        lines = []
        for kind, quantity, found in self.draft.claims:
            check = checks.get((kind, quantity))
            glyph = "○" if check is None or check.ok is None else "✓" if check.ok else "✗"
            verdict = check.text if check is not None else "not checked"
            lines.append(visible(f"{glyph} {claim_place(self.document, found)} ({found.source}): {kind} {quantity} {found.text}: {verdict}"))
        return lines

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if not isinstance(excinfo.value, CaseFailed):
            return super().repr_failure(excinfo, style)
        from verifygrad.reports.lines import failure_site, one_line

        outcome = excinfo.value.outcome
        line, reason = failure_site(outcome)  # a notebook's starts with the cell: `cell 4, output of w.grad: ...`
        style = style or self.config.getoption("tbstyle", "auto")
        crash = FailureLine(self.case.path, line, one_line(reason))
        return CaseFailure(crash, "\n".join(self.claim_lines(outcome)) + "\n" if style != "line" else "", style)

    def reportinfo(self) -> tuple[Path, int, str]:
        # NOTE: a domain that ends the node id has its dots shown as `::` (`q::backward()`): this one does not.
        return self.path, self.draft.line - 1, f"{self.case.path} {self.name}"


class MarkedItem(pytest.Item):
    """A derivation the writer marked to be skipped: a skipped test with the marker's line."""

    def __init__(self, *, line: int, why: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.line, self.why = line, why

    def runtest(self) -> None:
        pytest.skip(self.why)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.line - 1, self.name


def not_read_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Under -rs (or -ra, -rA): what the tutorials' reader left out, a line each, as the skipped tests are listed."""
    chars = config.getoption("reportchars", "") or ""
    lines = config.stash.get(NOT_READ, [])
    if lines and any(char in chars for char in "saA"):
        terminalreporter.section("verifygrad: not read in tutorials", sep="=")
        for line in lines:
            terminalreporter.line(line)
