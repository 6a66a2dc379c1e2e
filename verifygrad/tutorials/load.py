"""Tutorials as cases: every file under the paths read, its drafts validated like case files."""

from __future__ import annotations

from pathlib import Path

from verifygrad.cases.discover import selected
from verifygrad.cases.load import Case, LineDict, load_mapping
from verifygrad.errors import CaseError
from verifygrad.tutorials.blocks import Document
from verifygrad.tutorials.findings import Found, dropped
from verifygrad.tutorials.read import Tutorial, collect_tutorials, read_tutorial
from verifygrad.tutorials.tocases import Draft

DERIVATIVE_CLAIMS = ("grad", "formula")


def load_tutorials(paths: list[Path], pattern: str | None = None) -> tuple[list[Case], list[CaseError], list[Tutorial]]:
    """The cases of every tutorial (in file order, -k applied), an error per unreadable file, and the tutorials read."""
    errors = [CaseError(str(path), None, "no such file or directory") for path in paths if not path.exists()]
    cases: list[Case] = []
    tutorials: list[Tutorial] = []
    for path in collect_tutorials([p for p in paths if p.exists()]):
        try:
            tutorial = read_tutorial(path)
        except CaseError as err:
            errors.append(err)
            continue
        except (RecursionError, MemoryError):
            errors.append(CaseError(str(path), None, "the document is nested too deeply to read"))
            continue
        tutorials.append(tutorial)
        errors += [CaseError(str(path), found.line, found.status) for found in tutorial.findings.found if dropped(found)]
        for draft in tutorial.drafts:
            loaded, failed = load_mapping(located(draft), str(path), draft.line)
            errors += failed
            for case in loaded:
                case.places = places(tutorial.document, draft)
            cases += [case for case in loaded if selected(case.name, pattern)]
    return cases, errors, tutorials


def located(draft: Draft) -> dict:
    """The draft's mapping with each claim's line, as a case file's loader records them: a failure points at the
    printed number or the formula that is wrong, not at the backward() call."""
    expect = draft.mapping.get("expect")
    if not isinstance(expect, dict):
        return draft.mapping
    lines: dict[str, int] = {}
    nested: dict[str, dict[str, int]] = {}
    for kind, quantity, found in draft.claims:
        if kind == "value":
            lines.setdefault("value", found.line)
        else:
            nested.setdefault(kind, {}).setdefault(quantity, found.line)
    claims = {key: LineDict(value, line=draft.line, key_lines=nested[key]) if key in nested and isinstance(value, dict) else value
              for key, value in expect.items()}  # fmt: skip
    lines.update({key: min(quantities.values()) for key, quantities in nested.items()})
    return {**draft.mapping, "expect": LineDict(claims, line=draft.line, key_lines=lines)}


def derivative_claims_only(draft: Draft) -> Draft | None:
    """The lax reading: the draft with only its gradient and formula claims; None for a draft of printed values only."""
    if draft.kind in ("value", "stated"):
        return None
    expect = {key: value for key, value in draft.mapping.get("expect", {}).items() if key in DERIVATIVE_CLAIMS}
    mapping = {key: value for key, value in draft.mapping.items() if key != "expect"} | ({"expect": expect} if expect else {})
    claims = [claim for claim in draft.claims if claim[0] in DERIVATIVE_CLAIMS]
    return Draft(mapping, draft.line, draft.kind, draft.names, claims, draft.about)


def claim_place(document: Document, found: Found) -> str:
    """Where a claim stands as a reader finds it: `line 14`, `cell 4, line 2`, or `cell 4, output of w.grad`."""
    place = document.place(found.line)
    return f"{place} of {found.label}" if place.endswith("output") and found.label else place


def places(document: Document, draft: Draft) -> dict[int, str]:
    """A notebook's file lines (lines of its JSON) as a reader finds them: `cell 4, line 3`; none elsewhere."""
    if document.format != "notebook":
        return {}
    return {draft.line: document.place(draft.line)} | {found.line: claim_place(document, found) for _, _, found in draft.claims}
