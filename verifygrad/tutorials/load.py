"""Tutorials as cases: every file under the paths read, its drafts validated like case files."""

from __future__ import annotations

from pathlib import Path

from verifygrad.cases.discover import selected
from verifygrad.cases.load import Case, load_mapping
from verifygrad.errors import CaseError
from verifygrad.tutorials.read import Tutorial, collect_tutorials, read_tutorial


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
            loaded, failed = load_mapping(draft.mapping, str(path), draft.line)
            errors += failed
            cases += [case for case in loaded if selected(case.name, pattern)]
    return cases, errors, tutorials
