"""Default tolerances come from an error budget: float32 passes where the math is right, fails where it is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import make_problem
from verifygrad.cases.load import load_mapping
from verifygrad.cases.problem import Overrides
from verifygrad.verdict.budget import ELEMENTWISE_ULPS, SAFETY, error_estimates, tolerances, unit_roundoff
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import FAILED, PASSED, XFAIL

REPO = Path(__file__).resolve().parents[1]
TRUE_VALUE = 5.373753185577331  # sum(exp(sin(x)) * x**2) at x = 0.1, 0.7, 1.3 (mpmath, 30 digits)
TRUE_GRAD = [0.23199203105391175, 3.380048402709099, 7.999501473864059]  # (2x + x^2 cos x) e^sin(x)


def case(**keys):
    cases, errors = load_mapping({"name": "c", "expr": "sum(exp(sin(x)) * x**2)", "inputs": {"x": [0.1, 0.7, 1.3]}, **keys}, "t.yaml")
    assert not errors
    return cases[0]


def test_float32_derivation_that_is_right_passes_with_default_tolerances():
    outcome = check_case(case(dtype="float32", expect={"value": TRUE_VALUE}))
    assert outcome.verdict == PASSED, outcome.reasons
    assert all(q.tolerance.source == "budget" for q in outcome.quantities)


@pytest.mark.parametrize("off", [1 + 1e-3, 1 - 1e-3])
def test_float32_claim_off_by_one_part_in_a_thousand_fails(off):
    outcome = check_case(case(dtype="float32", expect={"value": TRUE_VALUE * off}))
    assert outcome.verdict == FAILED
    assert outcome.reasons[0].startswith("claim value: wrong")


def test_float32_gradient_claim_off_by_one_part_in_a_thousand_fails():
    right = check_case(case(dtype="float32", expect={"grad": {"x": TRUE_GRAD}}))
    wrong = check_case(case(dtype="float32", expect={"grad": {"x": [TRUE_GRAD[0], TRUE_GRAD[1] * 1.001, TRUE_GRAD[2]]}}))
    assert right.verdict == PASSED and wrong.verdict == FAILED, (right.reasons, wrong.reasons)


def test_rtol_is_a_few_units_of_the_dtype():
    for dtype in ("float64", "float32"):
        allowed = tolerances(case(), make_problem("sum(exp(x))", dtype=dtype, x=[0.5]), Overrides())
        assert allowed["value"].rtol == SAFETY * ELEMENTWISE_ULPS * unit_roundoff(dtype)


def test_exact_integer_arithmetic_has_no_rounding_to_allow():
    assert error_estimates(make_problem("sum(x*x + 3*x)", x=[1.0, 2.0, 5.0])) == {"value": 0.0, "x": 0.0}


def test_the_estimate_grows_with_the_condition_of_the_problem():
    """exp(30x) magnifies the rounding of 30x thirtyfold; sin(x) near 0 does not."""
    ill = error_estimates(make_problem("sum(exp(30*x))", x=[0.7]))["value"] / 1318815734.4832146
    well = error_estimates(make_problem("sum(exp(x))", x=[0.7]))["value"] / 2.0137527074704766
    assert ill > 10 * well


def test_cancellation_is_budgeted_in_absolute_terms():
    """sum(x) - sum(x) is 0, but each sum rounds at the size of its terms: the allowance follows them."""
    small = error_estimates(make_problem("sum(x) - sum(x)", x=[0.1, 0.2]))["value"]
    large = error_estimates(make_problem("sum(x) - sum(x)", x=[1e6 + 0.1, 2e6 + 0.2]))["value"]
    assert 1e5 < large / small < 1e8


def test_explicit_tolerance_replaces_the_budget_it_names():
    partial = tolerances(case(tolerance={"rtol": 0.01}), make_problem("sum(exp(x))", x=[0.5]), Overrides())
    assert partial["value"].rtol == 0.01 and partial["value"].source == "case+budget"
    full = tolerances(case(tolerance={"rtol": 0.01}), make_problem("sum(exp(x))", x=[0.5]), Overrides(atol=0.5))
    assert (full["x"].rtol, full["x"].atol, full["x"].source) == (0.01, 0.5, "case+command line")


def test_bundled_cases_pass_and_wrong_claims_are_caught():
    done = subprocess.run([sys.executable, "-m", "verifygrad", "run", "cases/", "--json", "-"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    verdicts = {case["name"]: case["verdict"] for case in json.loads(done.stdout)["cases"]}
    wrong = ["wrong-formula-right-at-one-point", "wrong-gradient-forgot-the-mean", "wrong-value-float32"]
    assert all(verdicts[name] == XFAIL for name in wrong)


def test_the_perturbations_signs_are_the_seeded_draws_of_plus_or_minus_one():
    # The budget's figures are reproducible run to run: the signs are those rng.choice((-1, 1)) draws from the seed.
    from verifygrad.verdict.budget import STEP, Perturbation

    value = np.array([[0.5, -1.25, 3.1], [7.3, 0.1, -0.7]])
    moved = Perturbation("float64", np.random.default_rng(0)).result(value, 1.0)
    signs = np.random.default_rng(0).choice((-1.0, 1.0), size=value.shape)
    np.testing.assert_array_equal(moved, value + STEP * signs * np.abs(value))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_an_infinite_constant_is_exact_and_leaves_the_budget_of_what_it_does_not_reach(dtype):
    """torch.masked.amax fills the masked-out elements with -inf: infinity rounds to itself, so the max of the kept
    elements (each a plain copy of an input) has the budget of a max alone. Perturbed as a number, -inf became nan,
    and the float32 gradient's allowance grew to 19% (a 1e-3 error in it passed)."""
    x = [[0.5, -1.2, 2.0, 0.3], [1.5, 0.3, -0.7, 0.9]]
    m = [[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]]
    masked = error_estimates(make_problem("torch.masked.amax(x, dim=1, mask=m).sum()", dtype=dtype, x=x, m=m))
    plain = error_estimates(make_problem("torch.amax(x * m - 9 * (1 - m), dim=1).sum()", dtype=dtype, x=x, m=m))
    assert masked["x"] <= plain["x"] + 1e-12 and masked["value"] <= 4 * plain["value"] + 1e-12, (masked, plain)
