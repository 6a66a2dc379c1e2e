"""Issue 14, "Every verdict true": one regression test per wrong PASS, wrong FAIL and unchecked green found by outside testing."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from verifygrad.cases.load import load_file
from verifygrad.engines import numpy_engine
from verifygrad.frontends.cli import main
from verifygrad.language import ops
from verifygrad.process import limits
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import ERROR, FAILED, PASSED, SKIPPED, XFAIL


def load(tmp_path: Path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return load_file(path)


def outcome_of(tmp_path: Path, text: str):
    cases, errors = load(tmp_path, text)
    assert not errors, [str(e) for e in errors]
    return check_case(cases[0])


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", "--no-color", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def claim_texts(outcome) -> list[str]:
    return [c.text for q in outcome.quantities for c in q.claims]


# --- wrong FAILs ------------------------------------------------------------------


def test_item01_singular_element_affects_only_that_element(tmp_path):
    outcome = outcome_of(tmp_path, "name: c\nexpr: sum(sqrt(x))\ninputs: {x: [0, 1, 4]}\n")
    sympy = outcome.results["sympy"]
    assert sympy.value == 3  # sqrt(0) + sqrt(1) + sqrt(4): the value is not touched by the singular derivative
    assert not np.isfinite(sympy.grads["x"][0]) and list(sympy.grads["x"][1:]) == [0.5, 0.25]
    assert all(d.ok for q in outcome.quantities for d in q.differences.values())  # no correct engine marked wrong
    assert outcome.verdict == SKIPPED and "not verified: ∂/∂x[0] is nan, not a finite number" in outcome.reasons


def test_item02_power_zero_and_zero_to_a_power_differentiate_to_zero(tmp_path):
    constant = outcome_of(tmp_path, "name: c\nexpr: sum(x**0)\ninputs: {x: [0, 1]}\n")
    assert constant.verdict == PASSED, constant.reasons
    assert list(constant.results["numpy"].grads["x"]) == [0, 0]
    exponent = outcome_of(tmp_path, "name: c\nexpr: sum(pow(0.0, y))\ninputs: {y: 0.5}\n")
    assert exponent.verdict == PASSED, exponent.reasons
    assert exponent.results["sympy"].grads["y"] == 0 and exponent.results["numpy"].grads["y"] == 0
    # The base's kink says nothing about the exponent's derivative, which exists.
    assert not any("non-differentiable" in reason for reason in exponent.reasons)


def test_item03_reference_is_the_program_as_written(tmp_path):
    for expr, value in (("sum(x/x)", "[0.0, 1.0]"), ("sum(x - x)", "[.inf, 1.0]"), ("sum(x*0)", "[.nan, 1.0]")):
        outcome = outcome_of(tmp_path, f"name: c\nexpr: {expr}\ninputs: {{x: {value}}}\n")
        assert math.isnan(outcome.results["sympy"].value), expr  # not 2 or 1 or 0, as SymPy's simplified form gives
        assert outcome.verdict == SKIPPED and not any("is off" in reason for reason in outcome.reasons), (expr, outcome.reasons)
    # sqrt(x)**2 simplifies to x, whose derivative at 0 is 1; as written it passes through sqrt's singular point.
    simplified = outcome_of(tmp_path, "name: c\nexpr: sum(sqrt(x)**2)\ninputs: {x: [0.0, 4.0]}\n")
    assert simplified.verdict == SKIPPED and "not verified: ∂/∂x[0] is nan, not a finite number" in simplified.reasons


def test_item04_formula_claim_true_zero_has_an_absolute_floor(tmp_path):
    # At x[0] = -0.46529 the 30-digit evaluation of the claim leaves 5.7e-42 where the truth is exactly 0.
    outcome = outcome_of(tmp_path, 'name: c\nexpr: sum(relu(x))\ninputs: {x: "randn(5, seed=3)"}\nexpect: {formula: {x: (1 + abs(x)/x)/2}}\n')
    assert outcome.verdict == PASSED, outcome.reasons


@pytest.mark.parametrize("dtype, big", [("float64", "9.0e+15"), ("float32", "1.0e+7")])
def test_item05_integer_partial_sums_beyond_the_mantissa_round(tmp_path, dtype, big):
    outcome = outcome_of(tmp_path, f"name: c\ndtype: {dtype}\nexpr: sum(x)\ninputs: {{x: [{big}, {big}, 1, -{big}, -{big}]}}\n")
    assert outcome.verdict == PASSED, outcome.reasons  # numpy's 0 instead of 1 is legitimate rounding, within budget


def test_item06_valid_subgradient_claimed_at_a_kink_holds(tmp_path):
    valid = outcome_of(tmp_path, "name: c\nexpr: sum(relu(x))\ninputs: {x: [-1, 0, 2]}\nexpect: {grad: {x: [0, 1, 1]}}\n")
    assert valid.verdict == PASSED, valid.reasons
    assert claim_texts(valid) == ["holds (a valid subgradient at the kink)"]
    invalid = outcome_of(tmp_path, "name: c\nexpr: sum(relu(x))\ninputs: {x: [-1, 0, 2]}\nexpect: {grad: {x: [0, 2, 1]}}\n")
    assert invalid.verdict == FAILED


# --- wrong PASSes ------------------------------------------------------------------


def test_item07_formula_checked_around_the_inputs_and_across_the_domain(tmp_path, monkeypatch):
    shifted = outcome_of(tmp_path, "name: c\nexpr: sum(sqrt(x - 10))\ninputs: {x: 11}\nexpect: {formula: {x: 1/(2*sqrt(x - 10)) + (x - 11)}}\n")
    assert shifted.verdict == FAILED and claim_texts(shifted)[0].startswith("wrong (differs at x = "), claim_texts(shifted)
    one_sided = outcome_of(tmp_path, "name: c\nexpr: sum(abs(x - 5))\ninputs: {x: [1, -1.5]}\nexpect: {formula: {x: -1}}\n")
    assert one_sided.verdict == FAILED, claim_texts(one_sided)
    # Unproven (SymPy out of the way) and inside a domain too narrow for random points: not a pass.
    from verifygrad.verdict import claims, formulas

    monkeypatch.setattr(formulas, "check_symbolically", lambda claim, points, problem: claims.ClaimCheck(claim, None, "unchecked: no SymPy"))
    with limits.using(dataclasses.replace(limits.current(), time_limit=0)):
        narrow = outcome_of(
            tmp_path, "name: c\nexpr: sqrt(x - 1) + sqrt(1.001 - x)\ninputs: {x: 1.0005}\nexpect: {formula: {x: 1/(2*sqrt(x - 1)) - 1/(2*sqrt(1.001 - x))}}\n"
        )
    assert narrow.verdict == SKIPPED and claim_texts(narrow)[0].startswith("unchecked: equal at only 0 random points"), claim_texts(narrow)


def test_item08_claims_held_to_their_digits_and_the_budget_in_the_dtype(tmp_path):
    # Issue 25 item 1: the allowance is the printed digits plus what float64 rounding could make of the exact value;
    # this program's budget allows about 3.6e5 (cancelling terms of 1e20), so 1003 is no longer "wrong", 1e6 is.
    text = "name: c\nexpr: sum(x*1e20 - x*1e20 + x)\ninputs: {x: [1.0, 2.0]}\nexpect: {%s}\n"
    value = outcome_of(tmp_path, text % "value: 1.0e+6")
    assert value.verdict == FAILED and claim_texts(value) == ["wrong (value: claimed 1.0e+6, true 3)"]
    grad = outcome_of(tmp_path, text % "grad: {x: [-1.0e+6, 1]}")
    assert grad.verdict == FAILED and claim_texts(grad) == ["wrong (x[0]: claimed -1.0e+6, true 1)"]
    well_conditioned = outcome_of(tmp_path, "name: c\nexpr: sum(3*x)\ninputs: {x: [1.0, 2.0]}\nexpect: {value: 1003}\n")
    assert well_conditioned.verdict == FAILED


def test_item09_expect_mismatch_needs_a_wrong_claim(tmp_path, monkeypatch):
    # numpy's sin derivative broken: the engines disagree, while the documented claim is right.
    monkeypatch.setitem(ops.OPS, "sin", dataclasses.replace(ops.OPS["sin"], vjps=(lambda g, ans, x: 2 * g * np.cos(x),)))
    monkeypatch.setattr(numpy_engine, "_plans", {})
    outcome = outcome_of(tmp_path, "name: c\nexpr: sum(sin(x))\ninputs: {x: [0.0]}\nexpect: {grad: {x: 1}}\nexpect_mismatch: documented as wrong\n")
    assert outcome.verdict == FAILED and outcome.reasons[0].startswith("numpy is off on ∂/∂x"), outcome.reasons


def test_item10_non_finite_quantities_are_never_verified(tmp_path):
    for expr, x in (("sum(log(x))", "[-1, 2]"), ("sum(exp(x))", "1000")):
        outcome = outcome_of(tmp_path, f"name: c\nexpr: {expr}\ninputs: {{x: {x}}}\n")
        assert outcome.verdict == SKIPPED and any(r.startswith("not verified: the value is") for r in outcome.reasons), outcome.reasons
    claimed = outcome_of(tmp_path, "name: c\nexpr: sum(exp(x))\ninputs: {x: 1000}\nexpect: {value: .inf}\n")
    assert claimed.verdict == SKIPPED and claim_texts(claimed) == ["unchecked: the true value is inf, not a finite number"]


def test_item11_duplicate_yaml_keys_are_rejected_with_both_lines(tmp_path):
    cases, errors = load(tmp_path, "name: c\nexpr: sum(x*x)\ninputs: {x: [1, 2]}\nexpect:\n  grad: {x: [2, 4]}\n  grad: {x: [9, 9]}\n")
    assert not cases and [str(e) for e in errors] == [f"{tmp_path / 'case.yaml'}:6: invalid YAML: duplicate key 'grad' (lines 5 and 6)"]


@pytest.mark.parametrize("atol", [".inf", ".nan", "-1"])
def test_item12_non_finite_or_negative_tolerances_are_rejected(tmp_path, atol):
    cases, errors = load(tmp_path, f"name: c\nexpr: sum(x)\ninputs: {{x: [1]}}\ntolerance: {{atol: {atol}}}\n")
    assert not cases and len(errors) == 1 and "tolerance.atol" in str(errors[0])
    path = tmp_path / "ok.yaml"
    path.write_text("name: c\nexpr: sum(x)\ninputs: {x: [1]}\n")
    code, output = cli(str(path), "--atol", atol.lstrip("."), "-e", "numpy", "-e", "torch")
    assert code == 2 and "--atol" in output


# --- not checked, yet green ------------------------------------------------------------


@pytest.mark.needs_torch
def test_item13_strict_and_a_run_that_verified_nothing_fail(tmp_path):
    skipped = tmp_path / "skipped.yaml"
    skipped.write_text("name: s\nexpr: sum(x)\ninputs: {x: [1.0]}\nengines: [numpy]\n")
    code, output = cli(str(skipped))
    assert code == 1 and "nothing was verified" in output
    passing = tmp_path / "passing.yaml"
    passing.write_text("name: p\nexpr: sum(x)\ninputs: {x: [1.0]}\nengines: [numpy, torch]\n")
    assert cli(str(passing), str(skipped))[0] == 0
    code, output = cli(str(passing), str(skipped), "--strict")
    assert code == 1 and "--strict: 1 case skipped" in output
    assert "--strict" in (Path(__file__).resolve().parent.parent / "docs" / "ci.md").read_text()


def test_item14_formula_claims_are_decided_at_any_size(tmp_path):
    text = 'name: c\nexpr: x @ A @ x\ninputs: {{A: "randn(50, 50, seed=1)", x: "randn(50, seed=2)"}}\nexpect: {{formula: {{x: "{}"}}}}\n'
    right = outcome_of(tmp_path, text.format("(A + A.T) @ x"))
    assert right.verdict == PASSED and claim_texts(right)[0].startswith("holds numerically, not proven (equal at "), claim_texts(right)
    wrong = outcome_of(tmp_path, text.format("2 * A @ x"))  # right only for a symmetric A
    assert wrong.verdict == FAILED and claim_texts(wrong)[0].startswith("wrong (differs at "), claim_texts(wrong)


@pytest.mark.slow
def test_item15_time_limits_decide_not_checked_never_wrong(tmp_path):
    slow = "name: c\nexpr: sum(tanh(W @ tanh(W @ tanh(W @ tanh(W @ x)))))\ninputs: {W: 'randn(6, 6, seed=1)', x: 'randn(6, seed=2)'}\n"
    with limits.using(dataclasses.replace(limits.current(), time_limit=0.3)):
        wrong = outcome_of(tmp_path, slow + "expect: {formula: {x: x}}\nexpect_mismatch: x is not the derivative\n")
    assert wrong.verdict == XFAIL, wrong.reasons  # decided numerically, whatever SymPy's time
    unchecked = outcome_of(tmp_path, "name: c\nexpr: sum(exp(x))\ninputs: {x: 1000}\nexpect: {value: 1}\nexpect_mismatch: e**1000 is not 1\n")
    assert unchecked.verdict == SKIPPED and unchecked.reasons[0] == "expected a mismatch (e**1000 is not 1), but it could not be checked"


def test_item16_formula_claim_of_the_wrong_shape_is_an_input_error(tmp_path):
    path = tmp_path / "shape.yaml"
    path.write_text('name: c\nexpr: sum(x*x)\ninputs: {x: [1.0, 2.0, 3.0]}\nexpect: {formula: {x: "ones(3, 3)"}}\n')
    outcome = check_case(load_file(path)[0][0])
    assert outcome.verdict == ERROR and outcome.reasons == [f"{path}:4: expect.formula.x has shape 3x3; the gradient ∂/∂x has shape 3"]
    assert cli(str(path))[0] == 2


# --- claims as tutorials print them ------------------------------------------------------


def test_item17_claims_keep_their_literal_text(tmp_path):
    value = outcome_of(tmp_path, "name: c\nexpr: sum(x)\ninputs: {x: 0.50004}\nexpect: {value: 0.5000}\n")
    assert value.verdict == PASSED and claim_texts(value) == ["holds: within the printed 4 decimals"]
    quoted = outcome_of(tmp_path, "name: c\nexpr: sum(x)\ninputs: {x: 0.50004}\nexpect: {value: '0.5000'}\n")
    assert quoted.verdict == PASSED and claim_texts(quoted) == ["holds: within the printed 4 decimals"]
    exact = outcome_of(tmp_path, "name: c\nexpr: sum(x)\ninputs: {x: 0.50004}\nexpect: {value: 0.5}\n")
    assert exact.verdict == FAILED  # 0.5 states no decimals beyond itself
    printed = (
        "name: c\nexpr: sum(x*w)\ninputs: {x: [1.0, 1.0, 1.0], w: [-0.34104, 0.24236, 0.09864]}\nwrt: [x]\nexpect: {grad: {x: [-0.3410, 0.2424, 0.0986]}}\n"
    )
    grad = outcome_of(tmp_path, printed)
    assert grad.verdict == PASSED and claim_texts(grad) == ["holds: within the printed 4 decimals"]
    path = tmp_path / "printed.yaml"
    path.write_text(printed.replace("0.09864", "0.09874"))  # now 0.0986 is 1.4e-4 off: outside its 4 decimals
    code, output = cli(str(path))
    assert code == 1 and "✗ grad [-0.3410, 0.2424, 0.0986] (4 decimals)" in output
    assert "claim grad.x: wrong (x[2]: claimed 0.0986, true 0.09874; held to the printed 4 decimals and float64 rounding of the exact value)" in output


def test_item18_yaml_1_1_exponents_read_as_numbers(tmp_path):
    cases, errors = load(tmp_path, "name: c\nexpr: sum(x)\ninputs: {x: [1e-3, 9.0e15]}\ntolerance: {atol: 1e-3}\n")
    assert not errors and cases[0].tolerance["atol"] == 1e-3 and cases[0].inputs["x"] == [1e-3, 9.0e15]
    cases, errors = load(tmp_path, "name: c\nexpr: sum(x)\ninputs: {x: [1]}\ntolerance: {atol: '1e-3'}\n")
    assert not cases and "write 1.0e-3" in str(errors[0])


def test_item19_constant_formula_claims_unquoted(tmp_path):
    outcome = outcome_of(tmp_path, "name: c\nexpr: sum(3*y)\ninputs: {y: [1.0, 2.0]}\nexpect: {formula: {y: 3}}\n")
    assert outcome.verdict == PASSED and claim_texts(outcome) == ["proven"]
