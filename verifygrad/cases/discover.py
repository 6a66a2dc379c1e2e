"""Gather the cases of a run: files under the given paths, duplicates and -k selection."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from verifygrad.cases.load import Case, collect, load_file
from verifygrad.errors import CaseError


def load_cases(paths: tuple[Path, ...] | list[Path], pattern: str | None = None, exclude: list[str] = ()) -> tuple[list[Case], list[CaseError]]:
    """The cases to run, in file order, and an error for each path or case that cannot be loaded.

    ``exclude``: glob patterns; a case file whose path matches one is left out (``*`` also matches ``/``).
    """
    errors = [CaseError(str(path), None, "no such file or directory") for path in paths if not path.exists()]
    cases: list[Case] = []
    first_seen: dict[str, str] = {}
    for path in collect([p for p in paths if p.exists()]):
        if any(fnmatch.fnmatchcase(path.as_posix(), glob) for glob in exclude):
            continue
        file_cases, file_errors = load_file(path)
        errors += file_errors
        for case in file_cases:
            if case.name in first_seen:
                errors.append(CaseError(case.path, case.line, f"duplicate case name '{case.name}' (first at {first_seen[case.name]})", case=case.name))
                continue
            first_seen[case.name] = f"{case.path}:{case.line}"
            if selected(case.name, pattern):
                cases.append(case)
    return cases, errors


def selected(name: str, pattern: str | None) -> bool:
    """-k: the name contains PATTERN or matches it as a glob."""
    return pattern is None or pattern in name or fnmatch.fnmatchcase(name, pattern)


def select_shard(cases: list[Case], index: int, count: int) -> list[Case]:
    """--shard K/N: every N-th case from the K-th (1-based); the N shards of a run partition it, in the same order on every machine."""
    return cases[index - 1 :: count]


def bundled_examples() -> Path:
    """The cases that ship with verifygrad: package data when installed, cases/ in a checkout."""
    from importlib import resources

    installed = resources.files("verifygrad") / "examples"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parents[2] / "cases"
