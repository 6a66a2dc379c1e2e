"""SymPy's reverse mode over its own expression graph: the exact reference where per-element derivatives cost too much."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import make_problem
from verifygrad.engines import run_engine
from verifygrad.engines.sympy import expand, reverse

RNG = np.random.default_rng(5)
Z = RNG.standard_normal((10, 20))
K = RNG.integers(0, 20, 10)
SOFTMAX = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
ONE_HOT = np.eye(20)[K]


@pytest.mark.parametrize(
    ("expr", "value", "grad"),
    [
        ("F.cross_entropy(z, k)", -np.log(SOFTMAX[np.arange(10), K]).mean(), (SOFTMAX - ONE_HOT) / 10),
        ("sum(relu(z) * z)", (np.maximum(Z, 0) * Z).sum(), 2 * np.maximum(Z, 0)),
        ("sum(torch.max(z, 1).values)", Z.max(axis=1).sum(), (Z.max(axis=1, keepdims=True) == Z) * 1.0),
        ("torch.var(z)", Z.var(ddof=1), 2 * (Z - Z.mean()) / (Z.size - 1)),
    ],
)
def test_reverse_mode_matches_closed_forms(expr: str, value: float, grad: np.ndarray) -> None:
    problem = make_problem(expr, z=Z, k=K.astype(float))
    assert expand.too_large(problem) and not expand.too_large(problem, reverse=True)  # the route in question
    symbols, output, objective, substitution = expand.expand(problem)
    got_value, got_grads = reverse.value_and_grads(objective, output, symbols, substitution, ("z",))
    np.testing.assert_allclose(got_value, value, rtol=1e-13)
    np.testing.assert_allclose(got_grads["z"], grad, rtol=1e-12, atol=1e-15)


def test_the_engine_takes_the_reverse_route_for_matrix_functions_too_many_to_differentiate_one_by_one() -> None:
    m = np.array([[2.0, 0.5, 0.1], [0.3, 1.5, -0.2], [0.0, 0.4, 1.0]])
    problem = make_problem("sum(F.softmax(z, dim=1) * y) + torch.det(m)", z=Z[:4], y=Z[4:8], m=m)
    result = run_engine("sympy", problem)
    assert result.ok and result.exact, result.reason
    assert "reverse mode over SymPy's expression" in result.detail
    np.testing.assert_allclose(result.grads["y"], np.exp(Z[:4]) / np.exp(Z[:4]).sum(axis=1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(result.grads["m"], np.linalg.det(m) * np.linalg.inv(m).T, rtol=1e-13)
