"""Blame: a mismatch names the engine that is off, against the exact reference or by majority."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.helpers import make_problem
from verifygrad.cases.load import load_mapping
from verifygrad.engines import numpy_engine
from verifygrad.engines.sympy import engine as sympy_engine
from verifygrad.language import ops
from verifygrad.verdict.compare import compare_arrays, ulp_error
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import FAILED, PASSED

LARGE = "linspace(0.1, 1, 100000)"  # over the scalar rule's 30-digit limit and the traced route's quick size: SymPy evaluates in float64


def case(**keys):
    cases, errors = load_mapping({"name": "c", **keys}, "test.yaml")
    assert not errors
    return cases[0]


@pytest.fixture
def wrong_sin(monkeypatch):
    """The numpy engine's sin VJP, wrong by a factor of 2 (the other engines do not use it)."""
    op = ops.OPS["sin"]
    monkeypatch.setitem(ops.OPS, "sin", dataclasses.replace(op, vjps=(lambda g, ans, x: 2 * g * np.cos(x),)))
    monkeypatch.setattr(numpy_engine, "_plans", {})  # NOTE: cached plans bind the old VJP


def test_wrong_numpy_vjp_is_blamed_on_numpy_by_name(wrong_sin):
    outcome = check_case(case(expr="sum(sin(x))", inputs={"x": [0.0, 0.5]}))
    assert outcome.verdict == FAILED
    assert outcome.exact_reference
    [reason] = outcome.reasons
    assert reason.startswith("numpy is off on ∂/∂x: x[0] = 2 vs exact 1 (abs 1, rel 1, ")
    assert "ulp float64" in reason


@pytest.mark.needs_torch
def test_without_exact_reference_the_majority_blames_the_odd_one_out(wrong_sin):
    outcome = check_case(case(expr="sum(sin(x))", inputs={"x": LARGE}))
    assert outcome.verdict == FAILED
    assert not outcome.exact_reference
    assert outcome.reasons[0].startswith("numpy is off on ∂/∂x (by agreement only: sympy and torch agree): ")


@pytest.mark.needs_torch
def test_two_engines_without_reference_are_named_together(wrong_sin):
    outcome = check_case(case(expr="sum(sin(x))", inputs={"x": [0.5]}, engines=["numpy", "torch"]))
    assert outcome.reasons == ["numpy, torch disagree on ∂/∂x (by agreement only: no exact reference to tell which is off)"]


@pytest.mark.needs_torch
def test_a_pass_without_exact_reference_says_so():
    outcome = check_case(case(expr="sum(sin(x))", inputs={"x": [0.5]}, engines=["numpy", "torch"]))
    assert outcome.verdict == PASSED
    assert outcome.reasons == ["verdict by agreement only: no exact reference (sympy did not run)"]
    exact = check_case(case(expr="sum(sin(x))", inputs={"x": [0.5]}))
    assert exact.verdict == PASSED and exact.reasons == [] and exact.exact_reference


@pytest.mark.parametrize(
    "expr, inputs, exact",
    [
        ("sum(sin(x))", {"x": [0.1, 0.2]}, True),  # scalar rule, 30 digits
        ("sum(sin(x))", {"x": np.linspace(0.1, 1, 5000)}, True),  # scalar rule's formula, traced at 30 digits
        ("sum(sin(x))", {"x": np.linspace(0.1, 1, 100000)}, False),  # scalar rule, float64
        ("trace(a @ b)", {"a": np.ones((2, 2)), "b": np.ones((2, 2))}, True),  # matrix calculus, 30 digits
        ("trace(a @ b)", {"a": np.ones((20, 20)), "b": np.ones((20, 20))}, False),  # matrix calculus, float64
        ("sum(x @ x)", {"x": [[1.0, 2.0], [3.0, 4.0]]}, True),  # expanded
    ],
)
def test_sympy_says_whether_its_route_was_exact(expr, inputs, exact):
    result = sympy_engine.run(make_problem(expr, **inputs))
    assert result.exact is exact, result.detail


def test_ulp_is_counted_in_the_cases_dtype():
    assert ulp_error(1 + 2**-52, 1.0) == 1.0
    assert ulp_error(1 + 2**-23, 1.0, "float32") == 1.0
    assert ulp_error(3.0, 3.0) == 0.0 and ulp_error(np.nan, np.nan) == 0.0
    assert compare_arrays(np.array([1.0, 2 + 2**-50]), np.array([1.0, 2.0]), 0, 1).max_ulp == 2.0
