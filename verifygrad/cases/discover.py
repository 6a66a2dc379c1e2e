"""Gather the cases of a run: files under the given paths, duplicates and -k selection."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from verifygrad.cases.load import Case, collect, load_file
from verifygrad.errors import CaseError


def load_cases(paths: tuple[Path, ...] | list[Path], pattern: str | None = None) -> tuple[list[Case], list[CaseError]]:
    """The cases to run, in file order, and an error for each path or case that cannot be loaded."""
    errors = [CaseError(str(path), None, "no such file or directory") for path in paths if not path.exists()]
    cases: list[Case] = []
    first_seen: dict[str, str] = {}
    for path in collect([p for p in paths if p.exists()]):
        file_cases, file_errors = load_file(path)
        errors += file_errors
        for case in file_cases:
            if case.name in first_seen:
                errors.append(CaseError(case.path, case.line, f"duplicate case name '{case.name}' (first at {first_seen[case.name]})"))
                continue
            first_seen[case.name] = f"{case.path}:{case.line}"
            if selected(case.name, pattern):
                cases.append(case)
    return cases, errors


def selected(name: str, pattern: str | None) -> bool:
    """-k: the name contains PATTERN or matches it as a glob."""
    return pattern is None or pattern in name or fnmatch.fnmatchcase(name, pattern)
