"""The layering contract in pyproject.toml holds, can fail, and no module imports a module that imports it back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the package under ``root`` with the contract of this repo's pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]
    return subprocess.run([*command, "--config", str(REPO / "pyproject.toml"), "--no-cache", "--no-logo"], cwd=root, env=env, capture_output=True, text=True)


def test_the_layers_contract_is_kept() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stages of the pipeline KEPT" in done.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(REPO / "verifygrad", tmp_path / "verifygrad", ignore=shutil.ignore_patterns("__pycache__"))
    ops = tmp_path / "verifygrad" / "language" / "ops.py"
    ops.write_text(ops.read_text() + "\nfrom verifygrad.verdict import judge  # the language must not know the verdict\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1
    assert "stages of the pipeline BROKEN" in done.stdout
    assert "verifygrad.language.ops -> verifygrad.verdict.judge" in done.stdout


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    graph = grimp.build_graph("verifygrad", cache_dir=None)
    circles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                circles.append(" -> ".join((importer, *back)))
    assert circles == []
