"""`run -j N`: the same table and exit code as a serial run; a crash or timeout is one case's error."""

from __future__ import annotations

import os
import runpy
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifygrad.cases.discover import load_cases
from verifygrad.cases.problem import Overrides
from verifygrad.frontends.cli import main
from verifygrad.process.parallel import job_count
from verifygrad.verdict.judge import check_all
from verifygrad.verdict.outcome import ERROR, SKIPPED

REPO = Path(__file__).resolve().parents[1]
NUMPY_ONLY = Overrides(engines=("numpy",))  # every verdict "skipped": quick, and enough to follow each case


class _Dies:
    """Unpickled in the worker, this ends the worker's process: a stand-in for a segfault."""

    def __reduce__(self):
        return (os._exit, (3,))


class _Hangs:
    """Unpickled in the worker, this blocks it for a minute: a stand-in for a case that never ends."""

    def __reduce__(self):
        return (time.sleep, (60,))


def write_cases(folder: Path, count: int) -> list:
    text = "defaults: {engines: [numpy, sympy]}\ncases:\n" + "".join(f"  - {{name: c{i}, expr: sum(x*x*{i}), inputs: {{x: [1, 2]}}}}\n" for i in range(count))
    (folder / "cases.yaml").write_text(text)
    cases, errors = load_cases([folder / "cases.yaml"])
    assert not errors
    return cases


def test_job_count():
    assert job_count("3") == 3
    assert job_count("auto") >= 1
    with pytest.raises(ValueError):
        job_count("0")


def test_bad_job_count_is_a_usage_error():
    result = CliRunner().invoke(main, ["run", str(REPO / "cases"), "-j", "many"])
    assert result.exit_code == 2 and "'many' is not a positive whole number or 'auto'" in result.output


def test_a_crashing_case_is_that_cases_error(tmp_path: Path):
    cases = write_cases(tmp_path, 4)
    cases[1].tags = [_Dies()]
    outcomes = check_all(cases, NUMPY_ONLY, jobs=2)
    assert [o.case.name for o in outcomes] == ["c0", "c1", "c2", "c3"]
    assert [o.verdict for o in outcomes] == [SKIPPED, ERROR, SKIPPED, SKIPPED]
    assert outcomes[1].reasons == ["worker process crashed while checking this case (exit code 3)"]


def test_a_case_past_the_timeout_is_that_cases_error(tmp_path: Path):
    cases = write_cases(tmp_path, 3)
    cases[0].tags = [_Hangs()]
    start = time.monotonic()
    outcomes = check_all(cases, NUMPY_ONLY, jobs=2, timeout=1.5)
    assert time.monotonic() - start < 30
    assert [o.verdict for o in outcomes] == [ERROR, SKIPPED, SKIPPED]
    assert outcomes[0].reasons == ["timed out after 1.5 s"]


@pytest.mark.slow  # 200 cases three engines, twice: 15-30 s on two cores
def test_200_generated_cases_give_the_same_table_and_exit_code_with_j2(tmp_path: Path):
    runpy.run_path(str(REPO / "bench" / "gen_suite.py"))["write_suite"](tmp_path, 200)
    # NOTE: a generous SymPy time limit: on a loaded machine the default could time out in one run only.
    serial = CliRunner().invoke(main, ["run", str(tmp_path), "-j", "1", "--time-limit", "600"])
    parallel = CliRunner().invoke(main, ["run", str(tmp_path), "-j", "2", "--time-limit", "600"])
    assert serial.exit_code == parallel.exit_code == 1
    assert "192 passed, 8 failed" in serial.output
    assert parallel.output.splitlines() == serial.output.splitlines()


def test_j2_on_bundled_cases_is_the_serial_run():
    serial = CliRunner().invoke(main, ["run", str(REPO / "cases"), "-e", "numpy", "-e", "sympy", "--time-limit", "600"])
    parallel = CliRunner().invoke(main, ["run", str(REPO / "cases"), "-e", "numpy", "-e", "sympy", "-j", "2", "--time-limit", "600"])
    assert parallel.exit_code == serial.exit_code == 0
    assert parallel.output == serial.output
