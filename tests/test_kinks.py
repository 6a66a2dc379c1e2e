"""Kinks and singular points: named at the input element, lenient by default, failures under strict."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from verifygrad.cases.load import load_mapping
from verifygrad.engines import numpy_engine
from verifygrad.language import ops
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import FAILED, PASSED


def case(expr: str, x: list, **keys):
    cases, errors = load_mapping({"name": "c", "expr": expr, "inputs": {"x": x}, **keys}, "t.yaml")
    assert not errors, errors
    return cases[0]


@pytest.mark.needs_torch
def test_relu_at_zero_passes_with_a_note_naming_the_element():
    outcome = check_case(case("sum(relu(x))", [-1, 0, 2]))
    assert outcome.verdict == PASSED
    assert outcome.reasons == [
        "non-differentiable at x[1]: relu of 0, where any derivative in [0, 1] is valid; ∂/∂x[1]: sympy 0, numpy 0, torch 0, fd 0.5 (left out)"
    ]


def test_strict_makes_the_kink_a_failure_even_where_engines_agree():
    outcome = check_case(case("sum(relu(x))", [-1, 0, 2], subgradient="strict"))
    assert outcome.verdict == FAILED
    assert outcome.reasons[0].startswith("subgradient: strict: non-differentiable at x[1]: relu of 0")


@pytest.mark.parametrize(
    "expr, x, note",
    [
        ("sum(abs(x))", [0, 1], "non-differentiable at x[0]: abs of 0, where any derivative in [-1, 1] is valid"),
        ("sum(relu(2*x - 1))", [0.5, 3], "non-differentiable at x[0]: relu of 0"),  # through elementwise ops
        ("sum(sqrt(x))", [0, 4], "non-differentiable at x[0]: sqrt of 0 has no derivative (a singular point)"),
        ("sum(x ** 1.5)", [0, 4], "non-differentiable at x[0]: ** of 0 to a non-integer power has no derivative"),
        ("norm(x)", [0, 0], "non-differentiable at an intermediate value (`norm` at column 1): norm of 0 has no derivative"),
    ],
)
def test_kinks_are_found_where_the_forward_pass_lands_on_them(expr, x, note):
    reasons = check_case(case(expr, x)).reasons
    assert any(reason.startswith(note) for reason in reasons), reasons


@pytest.mark.needs_torch
def test_no_note_away_from_kinks():
    assert check_case(case("sum(relu(x) + abs(x) + sqrt(x) + x ** 1.5 + log(x))", [0.5, 2])).reasons == []


@pytest.mark.parametrize(
    "expr, x, origin",
    [
        ("sum(log(x))", [1, 0, 2], "NaN or inf: `log` of 0 at x[1] gives -inf"),
        ("sum(log(x + 1))", [1, 0, -2], "NaN or inf: `log` of a negative entry at x[2] gives nan"),
        ("sum(1 / x)", [1, 0], "NaN or inf: `/` by 0 at x[1] gives inf"),
    ],
)
def test_nan_and_inf_are_traced_to_their_first_op_and_element(expr, x, origin):
    assert origin in check_case(case(expr, x)).reasons


@pytest.fixture
def relu_slope_one_at_zero(monkeypatch):
    """The numpy engine takes relu'(0) = 1: a different, equally valid, subgradient."""
    monkeypatch.setitem(ops.OPS, "relu", dataclasses.replace(ops.OPS["relu"], vjps=(lambda g, ans, x: g * (x >= 0),)))
    monkeypatch.setattr(numpy_engine, "_plans", {})


def test_a_different_valid_subgradient_is_not_a_mismatch(relu_slope_one_at_zero):
    outcome = check_case(case("sum(relu(x))", [-1, 0, 2]))
    assert outcome.verdict == PASSED, outcome.reasons
    assert np.array_equal(outcome.results["numpy"].grads["x"], [0, 1, 1])


def test_under_strict_the_engines_disagreement_is_reported(relu_slope_one_at_zero):
    outcome = check_case(case("sum(relu(x))", [-1, 0, 2], subgradient="strict"))
    assert outcome.verdict == FAILED
    assert any(reason.startswith("numpy is off on ∂/∂x: x[1] = 1 vs exact 0") for reason in outcome.reasons), outcome.reasons


def test_an_invalid_subgradient_is_still_a_mismatch(monkeypatch):
    monkeypatch.setitem(ops.OPS, "relu", dataclasses.replace(ops.OPS["relu"], vjps=(lambda g, ans, x: g * ((x > 0) + 2.0 * (x == 0)),)))
    monkeypatch.setattr(numpy_engine, "_plans", {})
    outcome = check_case(case("sum(relu(x))", [-1, 0, 2]))
    assert outcome.verdict == FAILED and outcome.reasons[0].startswith("numpy is off on ∂/∂x: x[1] = 2 vs exact 0")
