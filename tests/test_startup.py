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
atexit.register(lambda: print("loaded:", *sorted(m for m in ("numpy", "sympy", "torch", "yaml") if m in sys.modules), file=sys.stderr))
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
