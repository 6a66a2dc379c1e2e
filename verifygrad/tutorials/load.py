"""Tutorials as cases: every file under the paths read, its drafts validated like case files."""

from __future__ import annotations

from pathlib import Path

from verifygrad.cases.discover import selected
from verifygrad.cases.load import Case, LineDict, load_mapping
from verifygrad.errors import CaseError
from verifygrad.tutorials.read import Tutorial, collect_tutorials, read_tutorial
from verifygrad.tutorials.tocases import Draft


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
        for draft in tutorial.drafts:
            loaded, failed = load_mapping(_located(draft), str(path), draft.line)
            errors += failed
            cases += [case for case in loaded if selected(case.name, pattern)]
    return cases, errors, tutorials


def _located(draft: Draft) -> dict:
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
    located = {key: LineDict(value, line=draft.line, key_lines=nested[key]) if key in nested and isinstance(value, dict) else value
               for key, value in expect.items()}  # fmt: skip
    lines.update({key: min(quantities.values()) for key, quantities in nested.items()})
    return {**draft.mapping, "expect": LineDict(located, line=draft.line, key_lines=lines)}
