"""The SymPy engine's traced route: large reductions, softmax, losses and indexing, exact, against closed forms."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.helpers import make_problem
from verifygrad.engines import numpy_engine, run_engine
from verifygrad.engines.sympy import engine as sympy_engine
from verifygrad.engines.sympy import traced
from verifygrad.language import ops

RNG = np.random.default_rng(7)
Z = RNG.standard_normal((50, 40))  # 2000 elements: well past one SymPy derivative per element
K = RNG.integers(0, 40, 50)
X = RNG.standard_normal(3000)
Q = RNG.uniform(0.1, 0.9, 3000)
SOFTMAX = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
X6, Q6 = np.concatenate([X, X]), np.concatenate([Q, Q])  # past the scalar rule's 4096 elements at 30 digits


def traced_result(expr: str, **inputs: np.ndarray):
    result = sympy_engine.run(make_problem(expr, **inputs))
    assert result.ok and result.exact, result.reason
    assert result.detail.startswith(traced.DETAIL), result.detail
    return result


@pytest.mark.parametrize(
    ("expr", "value", "grad"),
    [
        ("F.cross_entropy(z, k)", -np.log(SOFTMAX[np.arange(50), K]).mean(), (SOFTMAX - np.eye(40)[K]) / 50),
        ("sum(F.softmax(z, dim=1) * z)", (SOFTMAX * Z).sum(), SOFTMAX * (1 + Z - (SOFTMAX * Z).sum(axis=1, keepdims=True))),
        ("torch.logsumexp(z, dim=1).mean()", np.log(np.exp(Z).sum(axis=1)).mean(), SOFTMAX / 50),
        ("torch.var(z) + np.std(z)", Z.var(ddof=1) + Z.std(), 2 * (Z - Z.mean()) / (Z.size - 1) + (Z - Z.mean()) / (Z.size * Z.std())),
        ("torch.amax(z, dim=1).sum()", Z.max(axis=1).sum(), (Z.max(axis=1, keepdims=True) == Z) * 1.0),
        ("(z[:, 1:3] ** 2).sum() + z[::-1][0].sum() - z[[0, 2]].sum()", (Z[:, 1:3] ** 2).sum() + Z[-1].sum() - Z[[0, 2]].sum(),
         np.pad(2 * Z[:, 1:3], ((0, 0), (1, 37))) + np.eye(50)[-1][:, None] - (np.eye(50)[0] + np.eye(50)[2])[:, None]),
        ("torch.cumsum(z, 1).sum()", np.cumsum(Z, axis=1).sum(), np.broadcast_to(np.arange(40, 0, -1), Z.shape)),
        ("F.nll_loss(F.log_softmax(z, dim=1), k, reduction='sum')", -np.log(SOFTMAX[np.arange(50), K]).sum(), SOFTMAX - np.eye(40)[K]),
    ],
)  # fmt: skip
def test_traced_route_matches_closed_forms(expr: str, value: float, grad: np.ndarray) -> None:
    result = traced_result(expr, z=Z, k=K.astype(float))
    np.testing.assert_allclose(result.value, value, rtol=1e-13)
    np.testing.assert_allclose(result.grads["z"], grad, rtol=1e-12, atol=1e-15)


def test_losses_of_two_inputs_have_both_gradients() -> None:
    result = traced_result("F.binary_cross_entropy(torch.sigmoid(x), q)", x=X6, q=Q6)
    p = 1 / (1 + np.exp(-X6))
    np.testing.assert_allclose(result.value, -(Q6 * np.log(p) + (1 - Q6) * np.log(1 - p)).mean(), rtol=1e-13)
    np.testing.assert_allclose(result.grads["x"], (p - Q6) / X6.size, rtol=1e-11)
    np.testing.assert_allclose(result.grads["q"], -X6 / X6.size, rtol=1e-12)  # log(1 - p) - log(p) is -x


def test_a_scalar_rule_too_large_for_30_digits_keeps_its_formula_and_is_exact() -> None:
    result = traced_result("sum(x**2 - 0.1 * x)", x=X6)  # 6000 elements: the scalar rule would be float64
    assert result.formulas["x"] == "∂/∂x = 2*x - 1/10"
    np.testing.assert_allclose(result.grads["x"], 2 * X6 - 0.1, rtol=1e-13, atol=1e-15)


def test_values_are_exact_where_float64_rounds() -> None:
    # Exactly, at float64's 0.1 and 0.2, (x + 1e16) - 1e16 is x, and the sum is 5000 (2 x + 0.2) - 2000 = 1.1e-13:
    # float64 gets neither.
    from fractions import Fraction

    x = np.full(5000, 0.1)
    result = traced_result("sum((x + 1e16) - 1e16) + sum(x + 0.2) - 2000", x=x)
    exact = float(5000 * (2 * Fraction(0.1) + Fraction(0.2)) - 2000)
    assert result.value == pytest.approx(exact, rel=1e-6, abs=0) and np.sum((x + 1e16) - 1e16) + np.sum(x + 0.2) - 2000 != exact
    np.testing.assert_array_equal(result.grads["x"], np.full(5000, 2.0))


def test_undefined_points_are_nan_as_the_program_computes_them() -> None:
    x = np.linspace(-1, 1, 5001)  # x[2500] is 0
    result = traced_result("x / x * x + log(x * x)", grad_output=np.ones(5001), x=x)
    assert np.isnan(result.value[2500]) and np.isnan(result.grads["x"][2500])
    away = np.delete(x, 2500)
    np.testing.assert_allclose(np.delete(result.grads["x"], 2500), 1 + 2 / away, rtol=1e-13)


def test_ties_give_the_gradient_to_the_first_maximum() -> None:
    z = np.tile([1.0, 3.0, 3.0, 2.0], (300, 1))
    result = traced_result("torch.amax(z, dim=1).sum()", z=z)
    np.testing.assert_array_equal(result.grads["z"], np.tile([0.0, 1.0, 0.0, 0.0], (300, 1)))


def test_the_route_uses_no_rule_of_the_op_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong VJP in the op table changes the numpy engine's gradient and not the traced reference."""
    wrong_exp = dataclasses.replace(ops.OPS["exp"], vjps=(lambda g, ans, x: 2 * g * ans,))
    monkeypatch.setitem(ops.OPS, "exp", wrong_exp)
    numpy_result = numpy_engine.run(make_problem("sum(exp(x) * q)", x=X6, q=Q6))
    reference = traced_result("sum(exp(x) * q)", x=X6, q=Q6)
    np.testing.assert_allclose(reference.grads["x"], np.exp(X6) * Q6, rtol=1e-13)
    np.testing.assert_allclose(numpy_result.grads["x"], 2 * np.exp(X6) * Q6, rtol=1e-13)


def test_matrix_functions_are_left_to_the_expression_routes() -> None:
    m = np.array([[2.0, 0.5], [0.3, 1.5]])
    problem = make_problem("torch.det(m) + sum(z)", m=m, z=Z)
    assert not traced.supports(problem)
    result = sympy_engine.run(problem)
    assert result.ok and not result.detail.startswith(traced.DETAIL)
    np.testing.assert_allclose(result.grads["m"], np.linalg.det(m) * np.linalg.inv(m).T, rtol=1e-13)


def test_too_large_to_trace_is_skipped_with_the_reason() -> None:
    big = np.ones((120, 120))
    result = run_engine("sympy", make_problem("sum(logsumexp(a @ b, dim=0))", a=big, b=big))
    assert result.status == "skipped" and "over 1000000 traced" in result.reason
