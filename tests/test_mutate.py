"""Negative controls: mutants of the reference that each case's comparison must flag."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

from verifygrad.cases.discover import load_cases
from verifygrad.frontends.cli import main
from verifygrad.reports.json_report import REPORT_SCHEMA
from verifygrad.verdict.mutate import mutants

CASES = Path(__file__).resolve().parent.parent / "cases"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", "--no-color", *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def report(*args: str) -> dict:
    result = CliRunner().invoke(main, ["run", "--json", "-", *args])
    return json.loads(result.stdout)


def case_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return str(path)


def test_mutants_change_the_largest_element_three_ways() -> None:
    made = {name: (element, mutated.tolist()) for name, element, mutated in mutants(np.array([1.0, -3.0, 2.0]))}
    assert made == {
        "sign flipped": ((1,), [1.0, 3.0, 2.0]),
        "scaled by 1+1e-03": ((1,), [1.0, -3.0 * 1.001, 2.0]),
        "term dropped": ((1,), [1.0, 0.0, 2.0]),
    }


def test_a_zero_quantity_gets_one_shifted_mutant_and_nan_gets_none() -> None:
    assert [(n, e, m.tolist()) for n, e, m in mutants(np.zeros((2,)))] == [("shifted by 1e-03", (0,), [1e-3, 0.0])]
    assert mutants(np.array([np.nan])) == []


def test_every_bundled_case_detects_a_1e_3_relative_error() -> None:
    run_report = report("--mutate", str(CASES))
    jsonschema.validate(run_report, REPORT_SCHEMA)
    cases = run_report["cases"]
    assert len(cases) == len(list(load_cases([CASES])[0])) and all(c["verdict"] in ("passed", "xfail") for c in cases)
    for case in cases:
        assert case["mutations"] and all(m["caught"] for m in case["mutations"]), case["name"]
        if case["dtype"] == "float64":
            assert max(m["detects"] for m in case["mutations"]) <= 1e-3, case["name"]


def test_without_mutate_there_are_no_mutations() -> None:
    assert all(c["mutations"] == [] for c in report(str(CASES / "pytorch_tutorials.yaml"))["cases"])


def test_a_tolerance_too_loose_fails_saying_what_it_cannot_detect(tmp_path: Path) -> None:
    path = case_file(tmp_path, "name: loose\nexpr: sum(x * x)\ninputs: {x: [1, 2]}\ntolerance: {rtol: 0.01}\n")
    code, output = run("--mutate", path)
    assert code == 1
    assert "cannot detect errors of size 1e-03: ∂/∂x[1] scaled by 1+1e-03 passes (the tolerance flags only relative errors over 1.0e-02 there)" in output
    assert "✗ 2/3 caught" in output


def test_the_case_key_mutate_works_without_the_flag(tmp_path: Path) -> None:
    path = case_file(tmp_path, "name: loose\nexpr: sum(x * x)\ninputs: {x: [1, 2]}\ntolerance: {rtol: 0.01}\nmutate: true\n")
    assert run(path)[0] == 1
    assert run(case_file(tmp_path, "name: n\nexpr: sum(x)\ninputs: {x: 1}\nmutate: yes please\n"))[0] == 2


def test_an_expected_mismatch_with_a_blind_tolerance_fails(tmp_path: Path) -> None:
    text = "name: x\nexpr: sum(x * x)\ninputs: {x: [1, 2]}\ntolerance: {rtol: 0.01}\nexpect: {grad: {x: [2, 5]}}\nexpect_mismatch: wrong on purpose\n"
    assert run(case_file(tmp_path, text))[0] == 0
    assert run("--mutate", case_file(tmp_path, text))[0] == 1


@pytest.mark.parametrize(("engines", "detects"), [(["sympy", "numpy"], 1e-9), (["sympy", "numpy", "fd"], 1e-6)])
def test_detection_is_under_the_loosest_tolerance_that_ran(tmp_path: Path, engines: list[str], detects: float) -> None:
    text = f"name: t\nexpr: sum(x * x)\ninputs: {{x: [1, 2]}}\ntolerance: {{rtol: 1.0e-9, atol: 0}}\nengines: {json.dumps(engines)}\n"
    (case,) = report("--mutate", case_file(tmp_path, text))["cases"]
    assert max(m["detects"] for m in case["mutations"]) == pytest.approx(detects, rel=0.01)
