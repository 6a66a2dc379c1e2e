"""`run --json` and `run --junit-xml`: every case comes back with its verdict, in a shape CI tools read."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from junitparser import Error, Failure, JUnitXml, Skipped

from verifygrad.frontends.cli import main
from verifygrad.reports.json_report import REPORT_SCHEMA

REPO = Path(__file__).resolve().parents[1]

MIXED = """\
cases:
  - name: good
    expr: sum(x*x)
    inputs: {x: [1, 2]}
    expect: {grad: {x: [2, 4]}}
  - name: wrong-claim
    expr: sum(x*x)
    inputs: {x: [1, 2]}
    expect: {grad: {x: [2, 5]}}
  - name: bad-expr
    expr: sum(x*)
    inputs: {x: [1, 2]}
  - name: only-numpy
    expr: sum(x*x)
    inputs: {x: [1, 2]}
    engines: [numpy]
  - name: typo
    expr: x
    inptus: {x: 1}
"""
EXPECTED = {"good": "passed", "wrong-claim": "failed", "bad-expr": "error", "only-numpy": "skipped"}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, JUnitXml, str]:
    """One run over the bundled cases plus a file with a case of every verdict and a load error."""
    folder = tmp_path_factory.mktemp("reports")
    (folder / "mixed.yaml").write_text(MIXED)
    json_path, junit_path = folder / "r.json", folder / "r.xml"
    result = CliRunner().invoke(main, ["run", str(REPO / "cases"), str(folder / "mixed.yaml"), "--json", str(json_path),
                                       "--junit-xml", str(junit_path), "--junit-family", "xunit1"])  # fmt: skip  # xunit1: file and line
    return result.exit_code, json.loads(json_path.read_text()), JUnitXml.fromfile(str(junit_path)), result.output


def bundled_case_names() -> list[str]:
    from verifygrad.cases.discover import load_cases

    cases, errors = load_cases([REPO / "cases"])
    assert not errors
    return [case.name for case in cases]


def test_exit_code_is_that_of_the_worst_outcome(reports):
    exit_code, report, _, _ = reports
    assert exit_code == 2
    assert report["summary"]["exit_code"] == 2


def test_json_report_matches_its_schema(reports):
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(reports[1])


def test_json_report_has_every_case_with_its_verdict(reports):
    report = reports[1]
    verdicts = {case["name"]: case["verdict"] for case in report["cases"]}
    bundled = {name: verdicts.pop(name) for name in bundled_case_names()}
    assert set(bundled.values()) <= {"passed", "xfail"} and verdicts == EXPECTED
    summary = report["summary"]
    assert (summary["passed"], summary["failed"], summary["error"], summary["skipped"], summary["load_errors"]) == (
        len(bundled_case_names()) + 1 - summary["xfail"], 1, 1, 1, 1)  # fmt: skip
    assert report["load_errors"][0]["line"] == 19 and report["load_errors"][0]["case"] == "typo"
    assert "unknown key 'inptus'" in report["load_errors"][0]["message"]


@pytest.mark.needs_torch
def test_json_report_holds_engines_arrays_errors_and_claims(reports):
    case = next(c for c in reports[1]["cases"] if c["name"] == "wrong-claim")
    assert case["line"] == 6 and case["expression"] == "sum(x*x)" and case["reference"] == "sympy"
    assert case["message"] == "FAIL: claim grad.x: wrong (x[1]: claimed 5, true 4)"
    for engine in ("sympy", "numpy", "torch"):
        assert case["engines"][engine]["grads"]["x"] == [2.0, 4.0]
        assert case["engines"][engine]["value"] == 5.0
        assert case["engines"][engine]["errors"]["x"]["ok"] is True
        assert case["engines"][engine]["seconds"] >= 0
    assert case["engines"]["fd"]["errors"]["x"]["ok"] is True and case["engines"]["fd"]["detail"].startswith("fd: central differences")
    for quantity in ("value", "x"):  # the error budget: x*x and its sum are exact integers
        allowed = case["tolerance"]["quantities"][quantity]
        assert allowed["source"] == "budget" and allowed["rtol"] == 16 * 2.0**-53 and allowed["atol"] == 0  # all exact: integers
    claim = {
        "kind": "grad",
        "quantity": "x",
        "claimed": [2.0, 5.0],
        "written": "[2, 5]",
        "rule": "exactly",
        "ok": False,
        "text": "wrong (x[1]: claimed 5, true 4)",
    }
    assert case["claims"] == [claim]


def test_json_report_names_the_versions(reports):
    versions = reports[1]["versions"]
    assert set(versions) >= {"verifygrad", "numpy", "sympy", "torch"}
    assert versions["numpy"] and versions["sympy"]


def test_junit_has_a_testcase_per_case_with_its_outcome(reports):
    xml = reports[2]
    testcases = {case.name: case for suite in xml for case in suite}
    assert set(bundled_case_names()) | set(EXPECTED) <= set(testcases)
    outcome_kind = {name: type(case.result[0]) if case.result else None for name, case in testcases.items()}
    assert outcome_kind["good"] is None and outcome_kind["mean-of-square"] is None
    assert outcome_kind["wrong-claim"] is Failure
    assert outcome_kind["bad-expr"] is Error
    assert outcome_kind["only-numpy"] is Skipped
    assert outcome_kind["typo"] is Error  # the case file's load error, named after its case
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (len(testcases), 1, 2, 1)


def test_junit_failure_is_the_verdict_line_and_the_plain_panel(reports):
    failure = next(case for suite in reports[2] for case in suite if case.name == "wrong-claim").result[0]
    assert failure.message == "FAIL: claim grad.x: wrong (x[1]: claimed 5, true 4)"
    assert "╭─ wrong-claim" in failure.text and "claimed grad" in failure.text
    assert "\x1b[" not in failure.text  # no colour codes
    assert max(len(line) for line in failure.text.splitlines()) <= 100


def test_junit_testcases_carry_file_line_and_time(reports):
    suites = {suite.name: suite for suite in reports[2]}
    suite = next(s for name, s in suites.items() if name.endswith("pytorch_tutorials.yaml"))
    case = next(iter(suite))
    assert case.classname.endswith("cases.pytorch_tutorials")
    assert case._elem.get("file").endswith("cases/pytorch_tutorials.yaml") and case._elem.get("line") == "3"
    assert case.time > 0


def test_report_to_stdout_keeps_stdout_clean(tmp_path):
    case = tmp_path / "one.yaml"
    case.write_text(textwrap.dedent(MIXED).split("  - name: wrong-claim")[0])
    result = CliRunner().invoke(main, ["run", str(case), "--json", "-"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["cases"][0]["verdict"] == "passed"
    assert "1 passed" in result.stderr


def test_both_reports_on_stdout_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path), "--json", "-", "--junit-xml", "-"])
    assert result.exit_code == 2 and "only one of" in result.output


def test_unwritable_report_path_is_one_line_exit_2(tmp_path):
    case = tmp_path / "one.yaml"
    case.write_text("name: a\nexpr: x*x\ninputs: {x: 2}\nengines: [numpy, sympy]\n")
    result = CliRunner().invoke(main, ["run", str(case), "--junit-xml", str(tmp_path / "missing" / "r.xml")])
    assert result.exit_code == 2
    assert "cannot write report" in result.stderr and "Traceback" not in result.output
