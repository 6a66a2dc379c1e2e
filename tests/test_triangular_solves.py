"""Solves with a triangular, Cholesky or LU factor (issue 21): torch.linalg.solve_triangular, torch.triangular_solve,
cholesky_solve, cholesky_inverse, lu_solve and linalg.lu_solve. Each reads only the triangle LAPACK reads, so the
gradient of a factor lies on that triangle; each against a closed form, in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem
from verifygrad.language.syntax import ExprError

RNG = np.random.default_rng(2113)
A = RNG.normal(size=(2, 2)) + 3 * np.eye(2)  # NOTE: 2x2 keeps SymPy's exact inverses inside its time limit on a busy machine
B = RNG.normal(size=(2, 3))
W = np.arange(1.0, 7.0).reshape(2, 3) / 5
V = np.array([[0.5, -1.0], [2.0, 0.25]])
ENGINES = ["numpy", "torch", "fd", "sympy"]


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_triangular_reads_the_upper_triangle(engine: str) -> None:
    t = np.triu(A)
    x = np.linalg.solve(t, B)
    grad_b = np.linalg.solve(t.T, W)
    expr = "(torch.linalg.solve_triangular(a, b, upper=True) * w).sum()"
    assert_closed_form(engine, expr, {"a": A, "b": B, "w": W}, float((x * W).sum()), {"b": grad_b, "a": np.triu(-grad_b @ x.T)})


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_triangular_unit_diagonal_from_the_right(engine: str) -> None:
    """X T = B with T = tril(A, -1) + I: X = B T^-1, d<X, W>/dT = -X^T W T^-T on the strict lower triangle."""
    t = np.tril(A, -1) + np.eye(2)
    b, w = B.T, W.T
    x = b @ np.linalg.inv(t)
    expr = "(torch.linalg.solve_triangular(a, b, upper=False, left=False, unitriangular=True) * w).sum()"
    grad_a = np.tril(-x.T @ w @ np.linalg.inv(t).T, -1)
    assert_closed_form(engine, expr, {"a": A, "b": b, "w": w}, float((x * w).sum()), {"b": w @ np.linalg.inv(t).T, "a": grad_a})


@pytest.mark.parametrize("engine", ENGINES)
def test_triangular_solve_transposed_over_a_stack(engine: str) -> None:
    """torch.triangular_solve(b, A, upper=False, transpose=True)[0] = tril(A)^-T b for each matrix of the stack."""
    stack = np.stack([A, A.T + np.eye(2)])
    b = np.stack([B, -B])
    w = np.stack([W, W**2])
    t = np.tril(stack)
    x = np.linalg.solve(np.swapaxes(t, -1, -2), b)
    grad_b = np.linalg.solve(t, w)
    grad_a = np.tril(-x @ np.swapaxes(grad_b, -1, -2))
    expr = "(torch.triangular_solve(b, a, upper=False, transpose=True)[0] * w).sum()"
    assert_closed_form(engine, expr, {"a": stack, "b": b, "w": w}, float((x * w).sum()), {"b": grad_b, "a": grad_a})


@pytest.mark.parametrize("engine", ENGINES)
def test_cholesky_solve_and_inverse_from_the_lower_factor(engine: str) -> None:
    """A = L L^T of L = tril(F): X = A^-1 B, d<X, W>/dL = tril((G + G^T) L) with G = -A^-1 W X^T; likewise the inverse."""
    lower = np.tril(A)
    a = lower @ lower.T
    x = np.linalg.solve(a, B)
    g = -np.linalg.solve(a, W) @ x.T
    v = V
    inverse = np.linalg.inv(a)
    h = -inverse @ v @ inverse
    expr = "(torch.cholesky_solve(b, f) * w).sum() + (torch.cholesky_inverse(f, upper=False) * v).sum()"
    value = float((x * W).sum() + (inverse * v).sum())
    grad_f = np.tril((g + g.T) @ lower + (h + h.T) @ lower)
    assert_closed_form(engine, expr, {"f": A, "b": B, "w": W, "v": v}, value, {"b": np.linalg.solve(a, W), "f": grad_f})


@pytest.mark.parametrize("engine", ENGINES)
def test_cholesky_inverse_from_the_upper_factor(engine: str) -> None:
    """A = U^T U of U = triu(F): d<A^-1, V>/dU = triu(U (G + G^T)) with G = -A^-1 V A^-1."""
    upper = np.triu(A)
    inverse = np.linalg.inv(upper.T @ upper)
    v = V
    g = -inverse @ v @ inverse
    expr = "(torch.cholesky_inverse(f, upper=True) * v).sum()"
    assert_closed_form(engine, expr, {"f": A, "v": v}, float((inverse * v).sum()), {"f": np.triu(upper @ (g + g.T))})


# LAPACK's pivots (1-based row swaps, in order) of a 2x2 factorization, [2, 2]: rows 0 and 1 swapped, then none, so
# A = (L U)[[1, 0]].
PIVOTS = np.array([2.0, 2.0])
ORDER = [1, 0]
F2, B2, W2 = A, B, W


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("expr", ["(torch.lu_solve(b, f, p) * w).sum()", "(torch.linalg.lu_solve(f, p, b) * w).sum()"])
def test_lu_solve_with_pivots(engine: str, expr: str) -> None:
    """X = A^-1 B for A = P L U (L unit lower, U upper, packed in one matrix); the gradient of the packed matrix is
    L's part on the strict lower triangle and U's on the upper."""
    lower, upper = np.tril(F2, -1) + np.eye(2), np.triu(F2)
    a = (lower @ upper)[ORDER]
    x = np.linalg.solve(a, B2)
    grad_b = np.linalg.solve(a.T, W2)
    grad_a = -grad_b @ x.T
    grad_lu_product = np.zeros((2, 2))
    grad_lu_product[ORDER] = grad_a  # d/d(L U): A's gradient moved back through the row order
    grad_packed = np.tril(grad_lu_product @ upper.T, -1) + np.triu(lower.T @ grad_lu_product)
    inputs = {"f": F2, "p": PIVOTS, "b": B2, "w": W2}
    assert_closed_form(engine, expr, inputs, float((x * W2).sum()), {"b": grad_b, "f": grad_packed})


@pytest.mark.parametrize("engine", ENGINES)
def test_linalg_lu_solve_adjoint_from_the_right(engine: str) -> None:
    """left=False, adjoint=True: X A^T = B, so X = B A^-T."""
    lower, upper = np.tril(F2, -1) + np.eye(2), np.triu(F2)
    a = (lower @ upper)[ORDER]
    b, w = B2.T, W2.T
    x = b @ np.linalg.inv(a.T)
    assert_closed_form(engine, "(torch.linalg.lu_solve(f, p, b, left=False, adjoint=True) * w).sum()", {"f": F2, "p": PIVOTS, "b": b, "w": w},
                       float((x * w).sum()), {"b": w @ np.linalg.inv(a)})  # fmt: skip


def test_pivots_out_of_range_are_a_clear_error() -> None:
    with pytest.raises(ExprError, match="pivots as 2 whole numbers from 1 to 2"):
        make_problem("torch.lu_solve(b, f, p).sum()", f=A, p=np.array([0.0, 2.0]), b=B)


STACK = np.stack([A, A.T + np.eye(2)])
VECTORS = np.array([[1.0, -0.5], [0.25, 2.0]])


@pytest.mark.parametrize("engine", ENGINES)
def test_linalg_solve_of_a_stack_with_a_stack_of_vectors(engine: str) -> None:
    """torch.linalg.solve(A (2, n, n), b (2, n)): b is a batch of vectors (torch's rule: b's shape is A's without the
    last dim); x_i = A_i^-1 b_i, d/db_i = A_i^-T w_i, d/dA_i = -A_i^-T w_i x_i^T."""
    x = np.stack([np.linalg.solve(a, b) for a, b in zip(STACK, VECTORS)])
    grad_b = np.stack([np.linalg.solve(a.T, w) for a, w in zip(STACK, V)])
    grad_a = -grad_b[:, :, None] * x[:, None, :]
    assert_closed_form(engine, "(torch.linalg.solve(a, b) * w).sum()", {"a": STACK, "b": VECTORS, "w": V}, float((x * V).sum()), {"a": grad_a, "b": grad_b})


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_linalg_solve_with_left_false_and_solve_ex(engine: str) -> None:
    """X A = B (left=False): X = B A^-1, d/dB = W A^-T, d/dA = -A^-T X^T W ... written as -(X^T (W A^-T))."""
    x = B.T @ np.linalg.inv(A)
    grad_b = (W.T @ np.linalg.inv(A).T).T
    grad_a = -(x.T @ (W.T @ np.linalg.inv(A).T))
    expr = "(torch.linalg.solve(a, b.T, left=False) * w.T).sum() + 0 * torch.linalg.solve_ex(a, b)[0].sum()"
    assert_closed_form(engine, expr, {"a": A, "b": B, "w": W}, float((x * W.T).sum()), {"a": grad_a, "b": grad_b})


@pytest.mark.parametrize("engine", ["numpy", "torch", "sympy"])
def test_numpy_solve_reads_a_2d_b_as_one_matrix_where_torch_reads_vectors(engine: str) -> None:
    """numpy 2's rule: b is a vector only where it is 1-D, so b (2, 2) against A (2, 2, 2) is one matrix for every A."""
    as_matrix = np.stack([np.linalg.solve(a, VECTORS) for a in STACK])
    as_vectors = np.stack([np.linalg.solve(a, b) for a, b in zip(STACK, VECTORS)])
    assert not np.allclose(as_matrix.sum(), as_vectors.sum())
    assert_closed_form(engine, "np.linalg.solve(a, b).sum()", {"a": STACK, "b": VECTORS}, float(as_matrix.sum()), {})
    assert_closed_form(engine, "torch.linalg.solve(a, b).sum()", {"a": STACK, "b": VECTORS}, float(as_vectors.sum()), {})
