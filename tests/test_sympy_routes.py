"""Each SymPy route gives the closed-form value and gradients, and the report says which route ran."""

from __future__ import annotations

import numpy as np
import pytest

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, Problem, prepare
from verifygrad.engines.sympy import engine as sympy_engine
from verifygrad.engines.sympy import scalar as sympy_scalar
from verifygrad.engines.sympy.expand import run_expanded

X = [[0.3, -1.2, 0.7], [1.5, 0.2, -0.4]]
Y = [[0.9, 0.5, 1.1], [0.6, 1.3, 0.8]]


def problem(expr: str, grad_output=None, **inputs) -> Problem:
    return prepare(Case("t", expr, inputs or {"x": X, "y": Y}, "test", 1, grad_output=grad_output), Overrides())


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


x, y, a, G = np.array(X), np.array(Y), 0.7, np.array([[1.0, 2, 3], [4, 5, 6]])
r, s = np.sqrt(np.mean(x**2)), _sigmoid(x.sum())
# Each expression with its value and gradients in closed form (numpy), the truth both routes are held to.
CLOSED_FORMS = [
    ("mean(exp(sin(x))*x**2 + tanh(x))", {}, None, np.mean(np.exp(np.sin(x)) * x**2 + np.tanh(x)),
     {"x": (np.exp(np.sin(x)) * (np.cos(x) * x**2 + 2 * x) + 1 - np.tanh(x) ** 2) / 6, "y": 0 * y}),
    ("sum(x*y + x*x*y - x/y + y**x)", {}, None, np.sum(x * y + x * x * y - x / y + y**x),
     {"x": y + 2 * x * y - 1 / y + y**x * np.log(y), "y": x + x * x + x / y**2 + x * y ** (x - 1)}),
    ("sum(cos(x)*sigmoid(y) + sqrt(y)*log(y) + log1p(y)*tan(x) + pi*e)", {}, None,
     np.sum(np.cos(x) * _sigmoid(y) + np.sqrt(y) * np.log(y) + np.log1p(y) * np.tan(x) + np.pi * np.e),
     {"x": -np.sin(x) * _sigmoid(y) + np.log1p(y) / np.cos(x) ** 2,
      "y": np.cos(x) * _sigmoid(y) * (1 - _sigmoid(y)) + np.log(y) / (2 * np.sqrt(y)) + 1 / np.sqrt(y) + np.tan(x) / (1 + y)}),
    ("sum(relu(x)*abs(x) + softplus(x*y) - (-x))", {}, None, np.sum(np.where(x > 0, x * x, 0) + np.log1p(np.exp(x * y)) + x),
     {"x": np.where(x > 0, 2 * x, 0) + _sigmoid(x * y) * y + 1, "y": _sigmoid(x * y) * x}),
    ("x*sin(y) + 2", {}, G.tolist(), x * np.sin(y) + 2, {"x": G * np.sin(y), "y": G * x * np.cos(y)}),
    ("mean(x * a + a**2)", {"x": X, "a": a}, None, np.mean(x * a + a**2), {"x": np.full_like(x, a / 6), "a": np.mean(x) + 2 * a}),
    ("x.pow(2) + 3*y.pow(2)", {"x": 3, "y": 4}, None, 57.0, {"x": 6.0, "y": 24.0}),
    ("x * a - a", {"x": X, "a": a}, G.tolist(), x * a - a, {"x": G * a, "a": np.sum(G * (x - 1))}),
    # log is undefined at -1 and 0: the value is NaN; 1/x is the derivative where log's formula is read, NaN at 0
    ("sum(log(x))", {"x": [1.0, -1.0, 0.0]}, None, np.nan, {"x": [1.0, -1.0, np.nan]}),
    ("norm(x - y)", {}, None, np.linalg.norm(x - y), {"x": (x - y) / np.linalg.norm(x - y), "y": -(x - y) / np.linalg.norm(x - y)}),
    ("logsumexp(x*y) + logsumexp(x*1000)", {}, None,
     np.log(np.sum(np.exp(x * y))) + 1000 * x.max() + np.log(np.sum(np.exp(1000 * (x - x.max())))),
     {"x": _softmax(x * y) * y + 1000 * _softmax(1000 * x), "y": _softmax(x * y) * x}),
    ("sum(x) * mean(y) + a * sum(x / a) - a", {"x": X, "y": Y, "a": a}, None, x.sum() * y.mean() + x.sum() - a,
     {"x": np.full_like(x, y.mean() + 1), "y": np.full_like(y, x.sum() / 6), "a": -1.0}),
    ("sqrt(mean(x**2)) / sigmoid(sum(x))", {}, None, r / s, {"x": x / (6 * r * s) - r * (1 - s) / s, "y": 0 * y}),
]  # fmt: skip


def assert_closed_form(result, value, grads, rtol: float = 1e-13, atol: float = 1e-14) -> None:
    np.testing.assert_allclose(result.value, value, rtol=rtol, atol=atol)
    for name, grad in grads.items():
        np.testing.assert_allclose(result.grads[name], grad, rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize(("expr", "inputs", "grad_output", "value", "grads"), CLOSED_FORMS, ids=[row[0] for row in CLOSED_FORMS])
def test_scalar_rule_and_expansion_give_the_closed_form(expr: str, inputs: dict, grad_output, value, grads) -> None:
    case = problem(expr, grad_output, **inputs)
    assert sympy_scalar.applies(case)
    result = sympy_engine.run(case)
    assert result.detail == "sympy: scalar rule, 30 digits"
    assert_closed_form(result, value, grads)
    assert_closed_form(run_expanded(case), value, grads)


@pytest.mark.parametrize("expr", ["sum(x * sum(x))", "sum(sum(x, 1))", "sum(logsumexp(x, 1))"])
def test_other_expressions_are_expanded(expr: str) -> None:
    case = problem(expr)
    assert not sympy_scalar.applies(case)
    assert sympy_engine.run(case).detail == "sympy: expanded 12 elements, 30 digits"


def _large_closed_forms(t: np.ndarray, b: float) -> dict[str, tuple]:
    lse, length = np.log(np.sum(np.exp(b * t - (b * t).max()))) + (b * t).max(), np.linalg.norm(t)
    return {
        "mean(exp(sin(x))*x**2 + tanh(x)*a)": (
            np.mean(np.exp(np.sin(t)) * t**2 + np.tanh(t) * b),
            {"x": (np.exp(np.sin(t)) * (np.cos(t) * t**2 + 2 * t) + (1 - np.tanh(t) ** 2) * b) / t.size, "a": np.mean(np.tanh(t))},
        ),
        "logsumexp(x*a) * norm(x)": (
            lse * length,
            {"x": b * _softmax(b * t) * length + lse * t / length, "a": np.sum(_softmax(b * t) * t) * length},
        ),
    }


@pytest.mark.parametrize("expr", ["mean(exp(sin(x))*x**2 + tanh(x)*a)", "logsumexp(x*a) * norm(x)"])
def test_large_inputs_are_evaluated_in_float64_and_give_the_closed_form(expr: str) -> None:
    t = np.linspace(-2, 2, 50_001)  # over the scalar rule's 30-digit limit and the traced route's quick size
    case = problem(expr, x=t.tolist(), a=1.5)
    result = sympy_engine.run(case)
    assert result.detail == "sympy: scalar rule, float64, vectorized"
    value, grads = _large_closed_forms(t, 1.5)[expr]
    assert_closed_form(result, value, grads, rtol=1e-11, atol=1e-15)  # NOTE: float64 sums over 50,001 elements


def test_formula_of_a_mean() -> None:
    assert sympy_engine.run(problem("mean(5*(x+1)**2)", x=[0, 1, 2, 3])).formulas["x"] == "∂/∂x = 5*(x + 1)/2"


W = [[0.5, 1.0, -0.2], [0.3, 0.8, 1.1], [-0.7, 0.4, 0.9]]


def _matrix_closed_forms() -> dict[str, tuple]:
    w, ones = np.array(W), np.ones((2, 3))
    t = np.tanh(x @ y.T)
    m = np.mean(x @ w)
    residual = x @ w - x
    d_residual = 2 * residual / (3 * 6)
    return {
        "sum(tanh(x @ y.T))": (t.sum(), {"x": (1 - t**2) @ y, "y": (1 - t**2).T @ x, "w": 0 * w}),
        "trace(x @ y.T) + sum(x*y)": (2 * np.sum(x * y), {"x": 2 * y, "y": 2 * x, "w": 0 * w}),
        "exp(mean(x @ w)) * 2": (2 * np.exp(m), {"x": 2 * np.exp(m) * (ones @ w.T) / 6, "w": 2 * np.exp(m) * (x.T @ ones) / 6}),
        "mean((x @ w - x)**2 / 3 + 1)": (np.mean(residual**2 / 3 + 1), {"x": d_residual @ w.T - d_residual, "w": x.T @ d_residual}),
    }


@pytest.mark.parametrize(
    "expr",
    [
        "sum(tanh(x @ y.T))",
        "trace(x @ y.T) + sum(x*y)",  # SymPy alone differentiates this sum of traces to 0
        "exp(mean(x @ w)) * 2",  # and this to 0 too
        "mean((x @ w - x)**2 / 3 + 1)",
    ],
)
def test_matrix_calculus_gives_the_closed_form(expr: str) -> None:
    case = problem(expr, x=X, y=Y, w=W)
    result = sympy_engine.run(case)
    assert result.detail == "sympy: matrix calculus, 30 digits"
    value, grads = _matrix_closed_forms()[expr]
    assert_closed_form(result, value, grads)


def test_a_matrix_derivative_that_fails_its_self_check_falls_back_to_expansion() -> None:
    v = np.array([0.5, -1.0, 2.0])
    case = problem("sum(sigmoid(w @ v))", w=X, v=v.tolist())  # SymPy's derivative in v is wrong here
    result = sympy_engine.run(case)
    assert result.detail.startswith("sympy: expanded 9 elements, 30 digits (matrix calculus failed its self-check")
    slope = _sigmoid(x @ v) * (1 - _sigmoid(x @ v))
    assert_closed_form(result, _sigmoid(x @ v).sum(), {"w": np.outer(slope, v), "v": x.T @ slope})


def test_a_division_by_zero_at_30_digits_falls_back_to_expansion() -> None:
    case = problem("sum(1/(x @ y))", x=[[1.0, 0.0], [0.0, 1.0]], y=[[1.0, 0.0], [0.0, 1.0]])
    assert sympy_engine.run(case).detail == "sympy: expanded 8 elements, 30 digits"


def test_the_float64_scalar_rule_evaluates_in_blocks_with_the_same_answer(monkeypatch):
    # f = mean(exp(sin x) x^2 + tanh x): df/dx = (exp(sin x) (cos x x^2 + 2x) + 1 - tanh^2 x) / n
    from verifygrad.cases.load import Case
    from verifygrad.cases.problem import Overrides, prepare
    from verifygrad.engines import run_engine
    from verifygrad.engines.sympy import scalar
    from verifygrad.process import limits

    x = np.linspace(-2.0, 2.0, 50_001)
    problem = prepare(Case("w", "mean(exp(sin(x))*x**2 + tanh(x))", {"x": x.tolist()}, "test", 1), Overrides())
    calls = []
    compiled = scalar.ScalarRule.compiled

    def counted(rule, part, module):
        function = compiled(rule, part, module)
        return lambda *args: calls.append(len(np.ravel(args[0]))) or function(*args)

    monkeypatch.setattr(scalar.ScalarRule, "compiled", counted)
    with limits.using(limits.with_settings(limits.DEFAULT_LIMITS, {"time_limit": 0})):
        result = run_engine("sympy", problem)
    assert result.ok and "float64, vectorized" in result.detail
    assert max(calls) == scalar.BLOCK and sum(c for c in calls if c > 1) == x.size
    e = np.exp(np.sin(x))
    slope = (e * (np.cos(x) * x * x + 2 * x) + 1 - np.tanh(x) ** 2) / x.size
    np.testing.assert_allclose(result.grads["x"], slope, rtol=1e-13, atol=1e-18)  # atol: cancellation where the slope crosses 0
    assert result.value == pytest.approx(np.mean(e * x * x + np.tanh(x)), rel=1e-14)
