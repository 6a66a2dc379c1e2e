"""torch.linalg.matrix_exp / torch.matrix_exp (issue 21): value and gradient against closed forms in every engine,
and the op's spellings. The gradient of <W, exp(A)> is the Frechet derivative of exp at A^T in the direction W."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem
from verifygrad.engines import run_engine
from verifygrad.language import decompose
from verifygrad.language.syntax import ExprError

ENGINES = ["numpy", "torch", "fd", "sympy"]
W = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.1], [2.0, 0.4, -0.6]])


def divided_differences(d: np.ndarray) -> np.ndarray:
    """(e^d_i - e^d_j) / (d_i - d_j), e^d_i where i = j: the Frechet derivative of exp at diag(d), elementwise."""
    i, j = np.meshgrid(d, d, indexing="ij")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(i == j, np.exp(i), (np.exp(i) - np.exp(j)) / (i - j))


@pytest.mark.parametrize("engine", ENGINES)
def test_exp_of_a_diagonal_matrix_and_its_gradient_by_divided_differences(engine: str) -> None:
    d = np.array([0.5, -1.2, 2.0])
    value = float(np.sum(W.diagonal() * np.exp(d)))
    assert_closed_form(engine, "(torch.linalg.matrix_exp(a) * w).sum()", {"a": np.diag(d), "w": W}, value,
                       {"a": W * divided_differences(d), "w": np.diag(np.exp(d))})  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_exp_of_a_stack_of_diagonal_matrices(engine: str) -> None:
    """Each matrix of the stack on its own; d up to 3 takes three halvings and squarings."""
    d = np.array([[0.4, -1.1, 3.0], [0.2, 0.9, -0.5]])
    w = np.stack([W, W.T])
    value = float(sum((m.diagonal() * np.exp(row)).sum() for m, row in zip(w, d)))
    grad = np.stack([m * divided_differences(row) for m, row in zip(w, d)])
    assert_closed_form(engine, "(torch.linalg.matrix_exp(a) * w).sum()", {"a": np.stack([np.diag(row) for row in d]), "w": w}, value, {"a": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_exp_of_a_nilpotent_matrix_is_a_polynomial_and_so_is_its_derivative(engine: str) -> None:
    """A^3 = 0: exp(A) = I + A + A^2/2, and L(B, E) = sum_{j,k<=2} B^j E B^k / (j + k + 1)! with B = A^T, E = W."""
    a = np.array([[0.0, 0.7, -1.3], [0.0, 0.0, 2.1], [0.0, 0.0, 0.0]])
    exp = np.eye(3) + a + a @ a / 2
    b = a.T
    powers = [np.eye(3), b, b @ b]
    grad = sum(powers[j] @ W @ powers[k] / math.factorial(j + k + 1) for j in range(3) for k in range(3))
    assert_closed_form(engine, "(torch.matrix_exp(a) * w).sum()", {"a": a, "w": W}, float(np.sum(W * exp)), {"a": grad, "w": exp})


@pytest.mark.parametrize("engine", ENGINES)
def test_a_batch_of_rotation_generators_exponentiates_to_rotations(engine: str) -> None:
    t = np.array([0.4, 2.5])
    generators = np.stack([[[0.0, -s], [s, 0.0]] for s in t])
    rotations = np.stack([[[math.cos(s), -math.sin(s)], [math.sin(s), math.cos(s)]] for s in t])
    weights = np.stack([W[:2, :2], W[1:, 1:]])
    assert_closed_form(engine, "(a.matrix_exp() * w).sum()", {"a": generators, "w": weights}, float(np.sum(weights * rotations)), {"w": rotations})


def test_the_numpy_forward_is_exact_to_rounding_at_a_large_norm() -> None:
    """Scaling and squaring: exp(diag(d) rotated) at a norm near 20, against exp of the diagonal rotated back."""
    q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(4, 4)))
    d = np.array([-6.0, -1.0, 3.0, 9.5])
    expected = q @ np.diag(np.exp(d)) @ q.T
    np.testing.assert_allclose(decompose.expm(q @ np.diag(d) @ q.T), expected, rtol=1e-12, atol=1e-12 * np.exp(9.5))


def test_a_non_finite_matrix_gives_nan_not_an_error() -> None:
    assert np.isnan(decompose.expm(np.array([[np.inf, 0.0], [0.0, 1.0]]))).all()


def test_a_non_square_matrix_is_an_error_naming_the_shape() -> None:
    with pytest.raises(ExprError, match="square matrix, got 2x3"):
        make_problem("torch.linalg.matrix_exp(a).sum()", a=np.ones((2, 3)))


def test_the_reference_declines_an_expm_over_its_size_limit() -> None:
    result = run_engine("sympy", make_problem("torch.linalg.matrix_exp(a).sum()", a=np.eye(9) * 0.1))
    assert result.status == "skipped" and "over the mpmath reference's 64 elements" in result.reason
