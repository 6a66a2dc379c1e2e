"""Issue 25, "Every verdict true, round two": nothing passes on one engine's word; claims held as their printer meant them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from verifygrad.cases.load import load_file
from verifygrad.cases.problem import Overrides
from verifygrad.frontends.cli import main
from verifygrad.process import limits
from verifygrad.verdict import budget
from verifygrad.verdict.judge import check_case, check_timed
from verifygrad.verdict.outcome import ERROR, FAILED, PASSED, SKIPPED, XFAIL
from verifygrad.verdict.slim import slim


def outcome_of(tmp_path: Path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    cases, errors = load_file(path)
    assert not errors, [str(e) for e in errors]
    with limits.using(dataclasses.replace(limits.current(), time_limit=0)):  # NOTE: SymPy in-process: no timeout on a busy machine
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


def _without_sympy_proofs(monkeypatch):
    from verifygrad.verdict import claims, formulas

    monkeypatch.setattr(formulas, "check_symbolically", lambda claim, points, problem: claims.ClaimCheck(claim, None, "unchecked: no SymPy"))
    monkeypatch.setattr(formulas, "_time_limited_symbolic", lambda claim, problem, points: claims.ClaimCheck(claim, None, "unchecked: no SymPy"))


def test_unproven_formula_claims_hold_numerically_on_two_engines(tmp_path, monkeypatch):
    _without_sympy_proofs(monkeypatch)
    right = outcome_of(tmp_path, "name: c\nexpr: sum(x**3)\ninputs: {x: [0.5, -1.0]}\nexpect: {formula: {x: 3*x**2}}\n")
    assert right.verdict == PASSED
    assert claim_texts(right) == ["holds numerically, not proven (equal at 20 random points and the case's inputs, by numpy and fd: no SymPy)"]
    # fd cannot difference sin(100000 x) with its step: numpy's gradient alone stands behind the claim at every point.
    alone = outcome_of(tmp_path, "name: c\nexpr: sum(sin(100000*x))\ninputs: {x: [0.3]}\nexpect: {formula: {x: 100000*cos(100000*x)}}\n")
    assert alone.verdict == SKIPPED and claim_texts(alone)[0].startswith("unchecked: equal at only 0 random points"), claim_texts(alone)


def test_formula_claims_move_only_the_differentiated_inputs(tmp_path):
    # (softmax(z) - y) is the gradient of the cross-entropy for labels that sum to 1: true for the case's one-hot y only.
    text = "name: c\nexpr: -sum(y * log_softmax(z, dim=-1))\ninputs: {z: [0.5, -1.0, 2.0], y: [0.0, 1.0, 0.0]}\nwrt: [z]\n"
    text += "expect: {formula: {z: 'softmax(z, dim=-1) - y'}}\n"
    outcome = outcome_of(tmp_path, text)
    assert outcome.verdict == PASSED, outcome.reasons


# --- item 1: a claim's allowance is what its printer could have printed ----------------------------


def test_a_float32_result_printed_in_full_holds_within_float32_rounding(tmp_path):
    # float32 sin(x)*x at float32(0.7) prints 0.45095235; the exact value there is 0.4509523670..., 1.7e-8 away.
    text = "name: c\ndtype: float32\nexpr: sin(x)*x\ninputs: {x: 0.7}\nexpect: {value: %s}\n"
    printed = outcome_of(tmp_path, text % "0.45095235")
    assert printed.verdict == PASSED, printed.reasons
    assert claim_texts(printed) == ["holds: within float32 rounding of the exact value"]
    wrong = outcome_of(tmp_path, text % "0.45098235")  # a wrong digit, outside both parts
    assert wrong.verdict == FAILED
    expected = "wrong (value: claimed 0.45098235, true 0.450952; held to the printed 8 decimals and float32 rounding of the exact value)"
    assert claim_texts(wrong) == [expected]


def test_a_four_decimal_print_still_means_five_units_of_the_fifth(tmp_path):
    text = "name: c\nexpr: sum(x)\ninputs: {x: %s}\nexpect: {value: 0.5000}\n"
    within = outcome_of(tmp_path, text % "0.50004")
    assert within.verdict == PASSED and claim_texts(within) == ["holds: within the printed 4 decimals"]
    assert outcome_of(tmp_path, text % "0.50006").verdict == FAILED


def test_zero_for_a_slope_that_is_zero_up_to_float64_rounding(tmp_path):
    # The slope of 3x^2 - 4x + 5 at the float64 nearest 2/3 is -2.2e-16 (or so), not 0: the printed 0 is what float64 gives.
    outcome = outcome_of(tmp_path, "name: c\nexpr: 3*x**2 - 4*x + 5\ninputs: {x: 2/3}\nexpect: {grad: {x: 0}}\n")
    assert outcome.verdict == PASSED, outcome.reasons
    assert claim_texts(outcome)[0] in ("holds", "holds: within float64 rounding of the exact value")


# --- item 2: the reference differentiates where the engines do ---------------------------------------


def test_the_reference_starts_from_the_float_the_engines_receive(tmp_path):
    # cos at the float64 nearest pi/2 is 6.123e-17 (JAX's own test says so); at its shortest decimal it would be 1.9e-17.
    outcome = outcome_of(tmp_path, "name: c\nexpr: sin(x)\ninputs: {x: pi/2}\n")
    assert outcome.results["sympy"].exact
    assert outcome.results["sympy"].grads["x"] == pytest.approx(6.123233995736766e-17, rel=1e-12, abs=0)
    assert outcome.verdict == PASSED, outcome.reasons


def test_a_float32_case_is_differentiated_at_float32_inputs(tmp_path):
    outcome = outcome_of(tmp_path, "name: c\ndtype: float32\nexpr: x*x\ninputs: {x: 0.1}\n")
    x32 = float(np.float32(0.1))
    assert outcome.results["sympy"].value == pytest.approx(x32 * x32, rel=1e-15, abs=0)  # not 0.01
    assert outcome.results["sympy"].grads["x"] == pytest.approx(2 * x32, rel=1e-15, abs=0)


# --- item 5: second order -----------------------------------------------------------------


@pytest.mark.parametrize("asked", ["jacobian: true", "hessian: true", "jvp: {x: [1.0, -2.0]}"])
def test_fd_honours_detach_in_second_order(tmp_path, asked):
    # (x*x).detach()*x is c*x with c held at x0^2: J = diag(x0^2), H = 0, Jv = x0^2 v.
    expr = "sum((x*x).detach()*x)" if asked.startswith("hessian") else "(x*x).detach()*x"
    outcome = outcome_of(tmp_path, f"name: c\nexpr: {expr}\ninputs: {{x: [1.5, 2.0]}}\n{asked}\n")
    assert outcome.verdict == PASSED, outcome.reasons
    fd = outcome.results["fd"].grads
    if asked.startswith("jacobian"):
        np.testing.assert_allclose(fd["J[x]"], np.diag([2.25, 4.0]), rtol=1e-8, atol=1e-8)
    elif asked.startswith("hessian"):
        np.testing.assert_allclose(fd["H[x,x]"], np.zeros((2, 2)), atol=1e-6)
    else:
        np.testing.assert_allclose(fd["Jv"], [2.25, -8.0], rtol=1e-8)


def test_an_all_nan_hessian_is_not_verified(tmp_path):
    # sqrt of negative numbers: NaN in every float engine; SymPy in float64 keeps the off-diagonal 0.
    outcome = outcome_of(tmp_path, "name: c\nexpr: sum(sqrt(x))\ninputs: {x: [-1.0, -2.0]}\nhessian: true\n")
    assert outcome.verdict == SKIPPED, outcome.reasons


@pytest.mark.parametrize("expr", ["mean(abs(x))", "sum(maximum(x, 0.5*x)**2)", "mean(clamp(x, -1, 1)*x)"])
def test_sympy_second_derivative_of_kinked_functions_is_zero_away_from_the_kink(tmp_path, expr):
    outcome = outcome_of(tmp_path, f"name: c\nexpr: {expr}\ninputs: {{x: [-1.5, 0.5, 2.0]}}\nhessian: true\n")
    assert outcome.results["sympy"].ok, outcome.results["sympy"].reason
    assert outcome.verdict == PASSED, outcome.reasons


# --- item 4: budgets that know cancellation ----------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tanh_derivative_near_saturation_rounds_to_zero_legitimately(tmp_path, dtype):
    # tanh(21) rounds to 1 in both dtypes, so 1 - tanh^2 is 0 in every float library; the exact value is 2.3e-18.
    outcome = outcome_of(tmp_path, f"name: c\ndtype: {dtype}\nexpr: tanh(x)\ninputs: {{x: 21.0}}\n")
    assert outcome.verdict == PASSED, outcome.reasons
    assert outcome.results["numpy"].grads["x"] == 0 and outcome.results["sympy"].grads["x"] == pytest.approx(2.2998e-18, rel=1e-4)


def test_values_claims_need_an_exact_reference_or_two_engines(tmp_path):
    text = "name: c\nexpr: |\n  y = x*3\n  z = y**3\ninputs: {x: 1.0}\nexpect: {values: {y: %s}}\n"
    exact = outcome_of(tmp_path, text % "3")
    assert exact.verdict == PASSED and claim_texts(exact) == ["holds"], exact.reasons
    assert outcome_of(tmp_path, text % "4").verdict == FAILED
    alone = outcome_of(tmp_path, (text % "3") + "engines: [numpy, fd]\n")
    assert claim_texts(alone) == ["unchecked: only the numpy forward pass computed y, at least two engines must agree"]
    assert alone.verdict == SKIPPED


def test_a_kink_excuses_only_the_jvp_elements_that_depend_on_it(tmp_path, monkeypatch):
    from verifygrad.engines import numpy_engine
    from verifygrad.language import ops

    # numpy's sin derivative 100 times too large: Jv[1] (smooth, x[1] = 1) is wrong; only Jv[0] depends on relu's kink at 0.
    sin_vjp = ops.OPS["sin"].vjps[0]
    monkeypatch.setitem(ops.OPS, "sin", dataclasses.replace(ops.OPS["sin"], vjps=(lambda g, ans, x: 100 * sin_vjp(g, ans, x),)))
    monkeypatch.setattr(numpy_engine, "_plans", {})
    text = "name: c\nexpr: relu(x) + sin(y)\ninputs: {x: [0.0, 1.0], y: [0.5, 0.5]}\njvp: {x: [1.0, 1.0], y: [1.0, 1.0]}\n"
    outcome = outcome_of(tmp_path, text + "engines: [sympy, numpy, fd]\n")
    assert outcome.verdict == FAILED and any(r.startswith("numpy is off on the JVP Jv: Jv[1]") for r in outcome.reasons), outcome.reasons


def test_fd_allowance_includes_the_rounding_of_large_outputs_in_its_quotient(tmp_path):
    # The sum is about 1.5e8: its float64 rounding, differenced with fd's step, moves fd's slope at x[0] (3e-6) by ~1e-5.
    outcome = outcome_of(tmp_path, "name: c\nexpr: sum(x**3)\ninputs: {x: [0.001, 370.0, 371.0, 372.0]}\nengines: [numpy, fd]\n")
    assert outcome.verdict == PASSED, outcome.reasons
    fd = outcome.results["fd"]
    assert fd.rounding["x"][0] > abs(fd.grads["x"][0] - 3e-6)  # the allowance covers what rounding did


# --- item 7: a derivation checked at stand-in inputs says so ---------------------------------------


def test_a_tutorial_derivation_at_stand_in_inputs_says_so_in_its_line_and_the_summary(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("import torch\nx = torch.randn(3, requires_grad=True)\ny = (x ** 2).sum()\ny.backward()\nprint(x.grad)\n# tensor([1., 2., 3.])\n")
    report = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["check", "--no-color", str(page), "--json", str(report)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "PASS at stand-in inputs (x random and unseeded)" in result.output
    assert "1 passed (1 at stand-in inputs), 0 failed" in result.output
    data = json.loads(report.read_text())
    assert data["summary"]["stand_in"] == 1
    assert data["cases"][0]["reasons"][0].startswith("at stand-in inputs: x (random and unseeded in the source)")


def test_a_seeded_derivation_is_not_at_stand_in_inputs(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = (x ** 2).sum()\ny.backward()\nprint(x.grad)\n# tensor([2., 4.])\n")
    result = CliRunner().invoke(main, ["check", "--no-color", str(page)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "stand-in" not in result.output and "1 passed, 0 failed" in result.output


def test_stand_in_names_an_input(tmp_path):
    code, output = cli(tmp_path, "name: c\nexpr: sum(x*x)\ninputs: {x: [1.0, 2.0]}\nstand_in: [y]\n")
    assert code == 2 and "case.yaml:4: stand_in names 'y', which is not an input; inputs are: x" in output, output


# --- item 2: where the written value and the float differ enough to change a claim's verdict, the report says so ------


def test_a_claim_whose_verdict_depends_on_the_float32_rounding_of_an_input_says_so(tmp_path):
    # sin'(1000 x) * 1000 at x = 0.1: 862.31887 as written, 862.31963 at float32's 0.1; the float32 budget allows 0.0538
    text = "name: c\nexpr: sin(1000 * x)\ninputs: {x: 0.1}\ndtype: float32\nexpect: {grad: {x: %s}}\n"
    edge = outcome_of(tmp_path, text % "862.3731")  # within the allowance of the float32 truth, outside the written one's
    assert edge.verdict == PASSED, edge.reasons
    assert (
        "claim grad.x holds at the float32 inputs the engines receive and would be wrong at the inputs as written (x = 0.1 is 0.10000000149011612 in float32)"
    ) in edge.reasons
    plain = outcome_of(tmp_path, text % "862.319")
    assert plain.verdict == PASSED and not any("as written" in reason for reason in plain.reasons), plain.reasons
