"""Start-up stays cheap: heavy libraries are imported only by the engines that need them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CASE = """cases:
  - name: mean-of-square
    expr: mean(x*x)
    inputs: {x: [1, 2, 3]}
"""

PROBE = """
import atexit, runpy, sys
atexit.register(lambda: print("loaded:", *sorted(m for m in ("numpy", "sympy", "torch", "yaml", "jsonschema") if m in sys.modules), file=sys.stderr))
sys.argv = ["verifygrad", *sys.argv[1:]]
runpy.run_module("verifygrad", run_name="__main__")
"""


def loaded(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    line = next(line for line in done.stderr.splitlines() if line.startswith("loaded:"))
    return set(line.split()[1:])


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_heavy_library(flag: str) -> None:
    assert loaded(flag) == set()


def test_numpy_and_sympy_engines_never_import_torch(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(CASE)
    # SymPy itself runs in the time-limited worker process, so the parent may not import it either.
    assert loaded("run", "-e", "numpy", "-e", "sympy", str(path)) <= {"numpy", "sympy", "yaml"}
    assert loaded("run", "-e", "numpy", str(path)) == {"numpy", "yaml"}


def test_the_torch_engine_does_not_import_sympy(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(CASE.replace("inputs: {x: [1, 2, 3]}", "inputs: {x: [1, 2, 3]}\n    grad_output: 2"))
    # torch's backward(gradient) imports torch.fx's symbolic shapes, which import SymPy
    assert "sympy" not in loaded("run", "-e", "numpy", "-e", "torch", str(path))


def test_a_valid_case_file_is_checked_without_importing_jsonschema(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(CASE)
    # jsonschema only explains an invalid case; the other engines' imports are not this test's business
    assert "jsonschema" not in loaded("run", "-e", "numpy", "-e", "sympy", "-e", "fd", str(path))


MAIN_SCRIPT = """
import sys
if __name__ != "__main__":  # spawn runs a parent's main script again in its child, as __mp_main__
    open(sys.argv[2], "a").write(__name__)
else:
    from verifygrad.frontends.cli import main
    main(["run", "-q", "-e", "sympy", "-e", "numpy", sys.argv[1]])
"""


def test_the_sympy_worker_does_not_run_the_parents_main_script_again(tmp_path: Path) -> None:
    path, script, marker = tmp_path / "case.yaml", tmp_path / "main_script.py", tmp_path / "ran-again"
    path.write_text(CASE)
    script.write_text(MAIN_SCRIPT)
    done = subprocess.run([sys.executable, str(script), str(path), str(marker)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 passed" in done.stdout
    assert not marker.exists()


STARTED_WHEN = """
import runpy, sys
from verifygrad.process import worker
prestart = worker.prestart
def noted(preload):
    print("worker started with:", *sorted(m for m in ("numpy", "rich", "verifygrad.cases.problem") if m in sys.modules), file=sys.stderr)
    prestart(preload)
worker.prestart = noted
sys.argv = ["verifygrad", *sys.argv[1:]]
runpy.run_module("verifygrad", run_name="__main__")
"""


def test_the_sympy_worker_starts_before_the_run_imports_numpy_and_the_case_machinery(tmp_path: Path) -> None:
    # SymPy's import in the worker then overlaps the parent's own imports: one case's wall time is the longer, not the sum
    (tmp_path / "case.yaml").write_text(CASE)
    command = [sys.executable, "-c", STARTED_WHEN, "run", "-q", str(tmp_path / "case.yaml")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert "worker started with:\n" in done.stderr, done.stderr
