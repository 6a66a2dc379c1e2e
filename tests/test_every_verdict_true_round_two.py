"""Issue 25, "Every verdict true, round two": nothing passes on one engine's word; claims held as their printer meant them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from verifygrad.cases.load import load_file
from verifygrad.cases.problem import Overrides
from verifygrad.frontends.cli import main
from verifygrad.verdict import budget
from verifygrad.verdict.judge import check_case, check_timed
from verifygrad.verdict.outcome import ERROR, PASSED, SKIPPED, XFAIL
from verifygrad.verdict.slim import slim


def outcome_of(tmp_path: Path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    cases, errors = load_file(path)
    assert not errors, [str(e) for e in errors]
    return check_case(cases[0])


def cli(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["run", "--no-color", str(path), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def claim_texts(outcome) -> list[str]:
    return [c.text for q in outcome.quantities for c in q.claims]


# --- item 7: nothing passes on one engine's word ----------------------------------------------


def test_expect_mismatch_on_one_engine_is_not_an_xfail(tmp_path):
    text = "name: c\nexpr: sum(x*x)\ninputs: {x: [1.0, 2.0]}\nengines: [numpy]\nexpect: {grad: {x: [5, 5]}}\nexpect_mismatch: documented\n"
    outcome = outcome_of(tmp_path, text)
    assert outcome.verdict == SKIPPED, outcome.reasons
    assert "not checked: only numpy ran, at least two engines must agree" in outcome.reasons


def test_a_verified_wrong_claim_is_still_the_expected_mismatch(tmp_path):
    text = "name: c\nexpr: sum(x*x)\ninputs: {x: [1.0, 2.0]}\nengines: [numpy, fd]\nexpect: {grad: {x: [5, 5]}}\nexpect_mismatch: documented\n"
    assert outcome_of(tmp_path, text).verdict == XFAIL


def test_fd_doubted_elements_are_not_agreement(tmp_path):
    # fd cannot difference sin(100000 x) with its step: it doubts both elements; numpy's alone verifies nothing.
    outcome = outcome_of(tmp_path, "name: c\nexpr: sum(sin(100000*x))\ninputs: {x: [0.3, 0.7]}\nengines: [numpy, fd]\n")
    assert outcome.verdict == SKIPPED, outcome.reasons
    assert any(r.startswith("not verified: ∂/∂x[0]") and "only numpy" in r for r in outcome.reasons), outcome.reasons


def test_fd_value_row_is_not_an_engine_for_values(tmp_path):
    unclaimed = outcome_of(tmp_path, "name: c\nexpr: sum(x*x)\ninputs: {x: [1.0, 2.0]}\nengines: [numpy, fd]\n")
    assert unclaimed.verdict == PASSED and any(r.startswith("not verified: the value: only numpy's number") for r in unclaimed.reasons)
    outcome = outcome_of(tmp_path, "name: c\nexpr: sum(x*x)\ninputs: {x: [1.0, 2.0]}\nengines: [numpy, fd]\nexpect: {value: 5}\n")
    assert outcome.verdict == SKIPPED, outcome.reasons
    assert any(r.startswith("not verified: the value") and "only numpy" in r for r in outcome.reasons), outcome.reasons


HESSIAN_SYMPY_SKIPS = "name: c\nexpr: sum(x*x)*sum(sin(x))\ninputs: {x: 'randn(100, seed=0)'}\nhessian: true\n"


def test_exact_reference_is_labelled_per_quantity(tmp_path):
    outcome = outcome_of(tmp_path, HESSIAN_SYMPY_SKIPS)
    assert "second order skipped" in outcome.results["sympy"].detail  # too large for a symbolic Hessian
    assert outcome.verdict == PASSED
    hessian = next(q for q in outcome.quantities if q.quantity == "H[x,x]")
    assert not hessian.exact and outcome.quantities[0].exact and not outcome.exact_reference
    assert any(
        r.startswith("the Hessian block H[x,x] by agreement only: no exact reference (sympy second order skipped: too large") for r in outcome.reasons
    ), outcome.reasons


def test_slim_outcome_of_a_quantity_sympy_left_out(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(HESSIAN_SYMPY_SKIPS)
    outcome = slim(check_timed(load_file(path)[0][0], Overrides()))
    assert outcome.verdict == PASSED, outcome.reasons
    code, output = cli(tmp_path, HESSIAN_SYMPY_SKIPS, "--json", str(tmp_path / "report.json"))
    assert code == 0 and "Traceback" not in output, output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["cases"][0]["verdict"] == PASSED


def test_check_timed_covers_everything_after_the_engines(tmp_path, monkeypatch):
    from verifygrad.verdict import judge

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(judge, "slim", broken)
    path = tmp_path / "case.yaml"
    path.write_text("name: c\nexpr: sum(x)\ninputs: {x: [1.0]}\nengines: [numpy, fd]\n")
    outcome = judge._checked_slim(load_file(path)[0][0], Overrides())
    assert outcome.verdict == ERROR and outcome.reasons == ["internal error: RuntimeError: boom"]


def test_an_exception_in_the_budget_is_an_error_not_a_loose_tolerance(tmp_path, monkeypatch):
    def broken(problem):
        raise ValueError("an op the budget cannot run")

    monkeypatch.setattr(budget, "error_estimates", broken)
    outcome = outcome_of(tmp_path, "name: c\nexpr: sum(x*x)\ninputs: {x: [1.0, 2.0]}\n")
    assert outcome.verdict == ERROR
    assert outcome.reasons == ["error budget failed: ValueError: an op the budget cannot run"], outcome.reasons
