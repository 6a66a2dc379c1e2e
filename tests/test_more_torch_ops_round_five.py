"""torch's ops of the fifth round (issue 21): Cholesky's upper factor (torch.linalg.cholesky, torch.cholesky,
linalg.cholesky_ex, np.linalg.cholesky), batched; scaled_dot_product_attention with enable_gqa; grid_sample's bicubic
mode. Each against a closed form written from torch's documentation, in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form
from verifygrad.language.syntax import ExprError

RNG = np.random.default_rng(2173)
ENGINES = ["numpy", "torch", "fd", "sympy"]


# --- Cholesky's upper factor ------------------------------------------------------------------------------------


def upper_factor(x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """x = [[a, b], [c, d]] read from its upper triangle (c unread): U = [[sqrt a, b / sqrt a], [0, sqrt(d - b^2/a)]];
    <U, w> and its gradient in (a, b, c, d)."""
    a, b, d = x[0, 0], x[0, 1], x[1, 1]
    r = np.sqrt(d - b * b / a)
    value = w[0, 0] * np.sqrt(a) + w[0, 1] * b / np.sqrt(a) + w[1, 1] * r
    grad = np.array([
        [w[0, 0] / (2 * np.sqrt(a)) - w[0, 1] * b / (2 * a**1.5) + w[1, 1] * b * b / (2 * a * a * r), w[0, 1] / np.sqrt(a) - w[1, 1] * b / (a * r)],
        [0.0, w[1, 1] / (2 * r)],
    ])  # fmt: skip
    return float(value), grad


A2 = np.array([[2.0, 0.6], [-0.9, 1.5]])  # NOTE: not symmetric: the -0.9 below the diagonal is never read
W2 = np.array([[1.0, -0.5], [0.7, 2.0]])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "expr",
    [
        "(torch.linalg.cholesky(x, upper=True) * w).sum()",
        "(torch.cholesky(x, True) * w).sum()",
        "(torch.linalg.cholesky_ex(x, upper=True).L * w).sum()",
        "(np.linalg.cholesky(x, upper=True) * w).sum()",
    ],
)
def test_the_upper_factor_reads_the_upper_triangle(engine: str, expr: str) -> None:
    """U with U^T U = A, from A's upper triangle: the entry below the diagonal takes no gradient."""
    value, grad = upper_factor(A2, W2)
    assert_closed_form(engine, expr, {"x": A2, "w": W2}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_lower_and_upper_factors_of_a_stack(engine: str) -> None:
    """A stack (2, 2, 2): each matrix on its own; the lower factor of the transpose is the upper factor transposed, so
    cholesky(x^T) and cholesky(x, upper=True)^T give the same closed form."""
    x = np.stack([A2, np.array([[1.2, -0.3], [0.4, 0.8]])])
    w = np.stack([W2, np.array([[0.3, 1.1], [-0.6, 0.9]])])
    parts = [upper_factor(m, v) for m, v in zip(x, w)]
    value = sum(2 * v for v, _ in parts)
    grad = np.stack([2 * g for _, g in parts])
    expr = "(torch.linalg.cholesky(x, upper=True) * w).sum() + (torch.linalg.cholesky_ex(x.mT)[0] * w.mT).sum()"
    assert_closed_form(engine, expr, {"x": x, "w": w}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_cholesky_solve_and_inverse_take_the_upper_factor(engine: str) -> None:
    """cholesky_solve(B, U, upper=True) is (U^T U)^-1 B and cholesky_inverse(U, upper=True) is (U^T U)^-1: with U the
    upper factor of S (symmetric), both are S^-1 times, and their gradient in S's upper triangle is -S^-1 G S^-1 folded
    onto it (the lower factor's rule read on the transpose)."""
    s = np.array([[2.0, 0.6], [0.6, 1.5]])
    b = np.array([[1.0, -0.5], [0.3, 2.0]])
    inverse = np.linalg.inv(s)
    value = float((inverse @ b).sum() + inverse.sum())
    ones = np.ones((2, 2))
    full = -inverse.T @ (ones @ b.T + ones) @ inverse.T  # d/dS of sum(S^-1 B) + sum(S^-1), S's entries independent
    grad = np.triu(full + full.T - np.diag(np.diag(full)))  # S read from its upper triangle: both halves of a pair land there
    expr = "torch.cholesky_solve(b, torch.linalg.cholesky(x, upper=True), True).sum() + torch.cholesky_inverse(torch.cholesky(x, upper=True), upper=True).sum()"
    assert_closed_form(engine, expr, {"x": s, "b": b}, value, {"x": grad})


def test_the_hessian_of_the_last_pivot() -> None:
    """U[1, 1] = sqrt(s), s = d - b^2/a: its Hessian in (a, b, d) is H_s / (2 sqrt s) - grad s grad s^T / (4 s^1.5);
    c (unread) has none."""
    from verifygrad.engines import numpy_second_order as second
    from verifygrad.language.statements import compile_program

    a, b, d = A2[0, 0], A2[0, 1], A2[1, 1]
    s = d - b * b / a
    ds = np.array([b * b / a**2, -2 * b / a, 0.0, 1.0])  # in (a, b, c, d), x flattened
    hs = np.zeros((4, 4))
    hs[0, 0], hs[0, 1], hs[1, 0], hs[1, 1] = -2 * b * b / a**3, 2 * b / a**2, 2 * b / a**2, -2 / a
    expected = hs / (2 * np.sqrt(s)) - np.outer(ds, ds) / (4 * s**1.5)
    expr = "torch.linalg.cholesky(x, upper=True)[1, 1]"
    hessian = second.hessian(compile_program(expr, {"x": A2}), {"x": A2}, "float64", ("x",))["x", "x"]
    np.testing.assert_allclose(hessian.reshape(4, 4), expected, rtol=1e-12, atol=1e-14)


def test_cholesky_refuses_a_non_flag_upper_and_takes_only_the_factor_of_cholesky_ex() -> None:
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"upper as True or False"):
        make_problem("torch.linalg.cholesky(x, upper=1.5)", x=A2)
    with pytest.raises(ExprError, match=r"info code"):
        make_problem("torch.linalg.cholesky_ex(x)[1]", x=A2)


# --- attention with grouped key and value heads -------------------------------------------------------------------


def head_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
    """One head: softmax(q k^T / sqrt(d)) v and the gradients of <out, g> in q, k, v (as round four's)."""
    s = q @ k.T / np.sqrt(q.shape[-1])
    e = np.exp(s - s.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    dp = g @ v.T
    ds = p * (dp - (p * dp).sum(-1, keepdims=True))
    return p @ v, ds @ k / np.sqrt(q.shape[-1]), ds.T @ q / np.sqrt(q.shape[-1]), p.T @ g


@pytest.mark.parametrize("engine", ENGINES)
def test_attention_with_grouped_key_value_heads(engine: str) -> None:
    """enable_gqa=True: 4 query heads over 2 key/value heads; query head h reads key/value head h // 2 (torch's
    repeat_interleave), and a key head's gradient gathers its two query heads'."""
    q, k, v = RNG.normal(size=(4, 3, 2)), RNG.normal(size=(2, 5, 2)), RNG.normal(size=(2, 5, 3))
    g = np.arange(1.0, 37.0).reshape(4, 3, 3) / 9
    value, dq, dk, dv = 0.0, np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    for h in range(4):
        out, dq[h], dk_h, dv_h = head_attention(q[h], k[h // 2], v[h // 2], g[h])
        value += float((out * g[h]).sum())
        dk[h // 2] += dk_h
        dv[h // 2] += dv_h
    expr = "(F.scaled_dot_product_attention(q, k, v, enable_gqa=True) * g).sum()"
    assert_closed_form(engine, expr, {"q": q, "k": k, "v": v, "g": g}, value, {"q": dq, "k": dk, "v": dv})


def test_grouped_heads_must_divide_the_query_heads() -> None:
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"a multiple of the key's"):
        make_problem("F.scaled_dot_product_attention(q, k, k, enable_gqa=True)", q=np.ones((3, 2, 2)), k=np.ones((2, 2, 2)))
