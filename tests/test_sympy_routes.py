"""Each SymPy route agrees with element expansion, and the report says which route ran."""

from __future__ import annotations

import numpy as np
import pytest

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, Problem, prepare
from verifygrad.engines import numpy_engine
from verifygrad.engines.sympy import engine as sympy_engine
from verifygrad.engines.sympy import scalar as sympy_scalar
from verifygrad.engines.sympy.expand import run_expanded

X = [[0.3, -1.2, 0.7], [1.5, 0.2, -0.4]]
Y = [[0.9, 0.5, 1.1], [0.6, 1.3, 0.8]]


def problem(expr: str, grad_output=None, **inputs) -> Problem:
    return prepare(Case("t", expr, inputs or {"x": X, "y": Y}, "test", 1, grad_output=grad_output), Overrides())


def assert_same(ours, theirs, rtol: float = 1e-15, atol: float = 1e-300) -> None:
    np.testing.assert_allclose(ours.value, theirs.value, rtol=rtol, atol=atol)
    for name, grad in theirs.grads.items():
        np.testing.assert_allclose(ours.grads[name], grad, rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize(
    ("expr", "inputs", "grad_output"),
    [
        ("mean(exp(sin(x))*x**2 + tanh(x))", {}, None),
        ("sum(x*y + x*x*y - x/y + y**x)", {}, None),
        ("sum(cos(x)*sigmoid(y) + sqrt(y)*log(y) + log1p(y)*tan(x) + pi*e)", {}, None),
        ("sum(relu(x)*abs(x) + softplus(x*y) - (-x))", {}, None),
        ("x*sin(y) + 2", {}, [[1, 2, 3], [4, 5, 6]]),
        ("mean(x * a + a**2)", {"x": X, "a": 0.7}, None),  # a scalar input broadcast over x
        ("x.pow(2) + 3*y.pow(2)", {"x": 3, "y": 4}, None),
        ("x * a - a", {"x": X, "a": 0.7}, [[1, 2, 3], [4, 5, 6]]),  # an elementwise output and a scalar input
        ("sum(log(x))", {"x": [1.0, -1.0, 0.0]}, None),  # nan and -inf where the function is undefined
        ("norm(x - y)", {}, None),  # functions of whole-tensor reductions: G(r_1, r_2, ...)
        ("logsumexp(x*y) + logsumexp(x*1000)", {}, None),
        ("sum(x) * mean(y) + a * sum(x / a) - a", {"x": X, "y": Y, "a": 0.7}, None),
        ("sqrt(mean(x**2)) / sigmoid(sum(x))", {}, None),
    ],
)
def test_scalar_rule_matches_expansion(expr: str, inputs: dict, grad_output) -> None:
    case = problem(expr, grad_output, **inputs)
    assert sympy_scalar.applies(case)
    result = sympy_engine.run(case)
    assert result.detail == "sympy: scalar rule, 30 digits"
    assert_same(result, run_expanded(case))


@pytest.mark.parametrize("expr", ["sum(x * sum(x))", "sum(sum(x, 1))", "sum(logsumexp(x, 1))"])
def test_other_expressions_are_expanded(expr: str) -> None:
    case = problem(expr)
    assert not sympy_scalar.applies(case)
    assert sympy_engine.run(case).detail == "sympy: expanded 12 elements, 30 digits"


@pytest.mark.parametrize("expr", ["mean(exp(sin(x))*x**2 + tanh(x)*a)", "logsumexp(x*a) * norm(x)"])
def test_large_inputs_are_evaluated_in_float64_and_agree_with_the_numpy_engine(expr: str) -> None:
    x = np.linspace(-2, 2, 50_001)  # over the scalar rule's 30-digit limit and the traced route's quick size
    case = problem(expr, x=x.tolist(), a=1.5)
    result = sympy_engine.run(case)
    assert result.detail == "sympy: scalar rule, float64, vectorized"
    assert_same(result, numpy_engine.run(case), rtol=1e-12, atol=1e-18)  # NOTE: both float64: an element that cancels to 1e-9 differs by 2e-21


def test_formula_of_a_mean() -> None:
    assert sympy_engine.run(problem("mean(5*(x+1)**2)", x=[0, 1, 2, 3])).formulas["x"] == "∂/∂x = 5*(x + 1)/2"


@pytest.mark.parametrize(
    "expr",
    [
        "sum(tanh(x @ y.T))",
        "trace(x @ y.T) + sum(x*y)",  # SymPy alone differentiates this sum of traces to 0
        "exp(mean(x @ w)) * 2",  # and this to 0 too
        "mean((x @ w - x)**2 / 3 + 1)",
    ],
)
def test_matrix_calculus_matches_expansion(expr: str) -> None:
    case = problem(expr, x=X, y=Y, w=[[0.5, 1.0, -0.2], [0.3, 0.8, 1.1], [-0.7, 0.4, 0.9]])
    result = sympy_engine.run(case)
    assert result.detail == "sympy: matrix calculus, 30 digits"
    assert_same(result, run_expanded(case), rtol=1e-13)


def test_a_matrix_derivative_that_fails_its_self_check_falls_back_to_expansion() -> None:
    case = problem("sum(sigmoid(w @ v))", w=X, v=[0.5, -1.0, 2.0])  # SymPy's derivative in v is wrong here
    result = sympy_engine.run(case)
    assert result.detail.startswith("sympy: expanded 9 elements, 30 digits (matrix calculus failed its self-check")


def test_a_division_by_zero_at_30_digits_falls_back_to_expansion() -> None:
    case = problem("sum(1/(x @ y))", x=[[1.0, 0.0], [0.0, 1.0]], y=[[1.0, 0.0], [0.0, 1.0]])
    assert sympy_engine.run(case).detail == "sympy: expanded 8 elements, 30 digits"
