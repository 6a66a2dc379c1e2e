"""Gather the cases of a run: files under the given paths, duplicates and -k selection."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from verifygrad.cases.load import Case, display_path, load_file
from verifygrad.errors import CaseError

SUFFIXES = (".yaml", ".yml")
# Directories that hold other tools' files, never case files: dependencies and build output.
NOT_SEARCHED = frozenset({"node_modules", "build", "dist", "__pycache__", "site-packages"})


def load_cases(paths: tuple[Path, ...] | list[Path], pattern: str | None = None, exclude: list[str] = (),
               skipped: list[str] | None = None) -> tuple[list[Case], list[CaseError]]:  # fmt: skip
    """The cases to run, in file order, and an error for each path or case that cannot be loaded.

    ``exclude``: glob patterns; a case file whose path matches one is left out (``*`` also matches ``/``).
    What a directory search passed over is appended to ``skipped``, one "path: why" each.
    """
    errors = [CaseError(display_path(path), None, "no such file or directory") for path in paths if not path.exists()]
    cases: list[Case] = []
    first_seen: dict[str, str] = {}
    for path in case_files([p for p in paths if p.exists()], skipped if skipped is not None else []):
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


def case_files(paths: list[Path], skipped: list[str]) -> Iterator[Path]:
    """Files named are read whatever they are; directories are searched for *.yaml / *.yml (see ``_search``)."""
    for path in paths:
        yield from _search(path, skipped) if path.is_dir() else [path]


def _search(root: Path, skipped: list[str], suffixes: tuple[str, ...] = SUFFIXES) -> Iterator[Path]:
    """Files ending in one of ``suffixes`` (case files) under ``root``, sorted, passing over hidden entries, virtual environments, dependencies,
    build output, what a .gitignore on the way ignores, and symbolic links that lead out of ``root``.
    """
    inside = root.resolve()
    ignores: list[tuple[Path, Any]] = []  # (directory, its .gitignore), outermost first
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(root):  # NOTE: never follows a linked directory
        here = Path(directory)
        ignores = [(base, spec) for base, spec in ignores if base == here or base in here.parents]
        if (here / ".gitignore").is_file():
            ignores.append((here, _gitignore(here / ".gitignore")))
        kept = []
        for name in sorted(subdirectories):
            why = _why_not_searched(here / name, ignores)
            if why:
                skipped.append(f"{display_path(here / name)}/: {why}")
            else:
                kept.append(name)
        subdirectories[:] = kept
        for name in sorted(files):
            path = here / name
            if not name.endswith(suffixes):
                continue
            why = _why_not_read(path, inside, ignores)
            if why:
                skipped.append(f"{display_path(path)}: {why}")
            else:
                found.append(path)
    return iter(sorted(found))


def files_under(root: Path, suffixes: tuple[str, ...], skipped: list[str]) -> list[Path]:
    """The files with these suffixes a search of ``root`` reads, by ``run``'s rules (links out of it are not read)."""
    return list(_search(root, skipped, suffixes))


def _why_not_searched(directory: Path, ignores: list[tuple[Path, Any]]) -> str:
    if directory.name.startswith("."):
        return "hidden"
    if (directory / "pyvenv.cfg").exists() or (directory / "conda-meta").is_dir():
        return "a virtual environment"
    if directory.name in NOT_SEARCHED:
        return f"{directory.name} is never searched"
    return "ignored by .gitignore" if _ignored(directory, ignores, is_dir=True) else ""


def _why_not_read(path: Path, inside: Path, ignores: list[tuple[Path, Any]]) -> str:
    if path.name.startswith("."):
        return "hidden"
    if path.is_symlink() and inside not in path.resolve().parents:
        return "a symbolic link out of the searched directory"
    return "ignored by .gitignore" if _ignored(path, ignores, is_dir=False) else ""


def _ignored(path: Path, ignores: list[tuple[Path, Any]], is_dir: bool) -> bool:
    """Whether the innermost .gitignore with a rule for ``path`` ignores it (a later `!rule` re-includes)."""
    for base, spec in reversed(ignores):
        relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        decision = spec.check_file(relative).include
        if decision is not None:
            return decision
    return False


def _gitignore(path: Path) -> Any:
    import pathspec  # imported here: only directory searches pay for it

    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[:10_000]
    except OSError:
        return pathspec.GitIgnoreSpec.from_lines([])
    return pathspec.GitIgnoreSpec.from_lines(lines)


def selected(name: str, pattern: str | None) -> bool:
    """-k: pytest's expression over the name (words case-insensitive, and/or/not; a glob word matches the whole name)."""
    from verifygrad.cases.keyword import matcher

    return pattern is None or matcher(pattern)(name)


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
