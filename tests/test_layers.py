"""nn layers and activations of issue 21: value and gradient against closed forms written with numpy, in every engine."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.helpers import assert_closed_form
from verifygrad.language.syntax import ExprError

RNG = np.random.default_rng(21)
X = RNG.normal(size=(2, 3))
W = RNG.normal(size=(4, 3))
B = RNG.normal(size=4)
M = RNG.normal(size=(2, 4))
Z = RNG.normal(size=(2, 4, 3))
G = RNG.normal(size=4) + 2
S = np.array([-2.0, -0.4, 0.05, 0.7, 3.0])


def normalized(z: np.ndarray, axes: tuple[int, ...], eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """(z - mean) / sqrt(var + eps) over axes, and the gradient of sum(normalized * u) for u = normalized (the closed form of
    d/dz of half the sum of squares): (u - mean(u) - y mean(u y)) / sigma with u = y."""
    mean = z.mean(axis=axes, keepdims=True)
    sigma = np.sqrt(((z - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
    y = (z - mean) / sigma
    grad = (y - y.mean(axis=axes, keepdims=True) - y * (y * y).mean(axis=axes, keepdims=True)) / sigma
    return y, grad


Y_LAYER, GRAD_LAYER = normalized(Z, (2,))
Y_BATCH, GRAD_BATCH = normalized(Z, (0, 2))
Y_INSTANCE, GRAD_INSTANCE = normalized(Z, (2,))
GROUPED, GRAD_GROUPED = normalized(Z.reshape(2, 2, 6), (2,))
SIGMOID = 1 / (1 + np.exp(-M[:, 2:]))

CASES = [
    ("(F.linear(x, w, b) * m).sum()", {"x": X, "w": W, "b": B, "m": M}, float(((X @ W.T + B) * M).sum()), {"x": M @ W, "w": M.T @ X, "b": M.sum(0)}),
    ("(F.linear(x, w, bias=b) * m).sum()", {"x": X, "w": W, "b": B, "m": M}, float(((X @ W.T + B) * M).sum()), {"b": M.sum(0)}),
    ("(torch.addmm(m, x, w.T, beta=0.5, alpha=2) * m).sum()", {"m": M, "x": X, "w": W}, float(((0.5 * M + 2 * X @ W.T) * M).sum()), {"x": 2 * M @ W}),
    ("torch.addmv(b, w, x[0]).sum()", {"b": B, "w": W, "x": X}, float((B + W @ X[0]).sum()), {"b": np.ones(4), "w": np.outer(np.ones(4), X[0])}),
    ("torch.addcmul(x, x, x, value=0.3).sum()", {"x": X}, float((X + 0.3 * X * X).sum()), {"x": 1 + 0.6 * X}),
    ("torch.addcdiv(x, x, x + 3, value=2).sum()", {"x": X}, float((X + 2 * X / (X + 3)).sum()), {"x": 1 + 2 * 3 / (X + 3) ** 2}),
    ("torch.lerp(x, 2 * x + 1, 0.25).sum()", {"x": X}, float((X + 0.25 * (X + 1)).sum()), {"x": np.full_like(X, 1.25)}),
    ("(F.layer_norm(z, (3,)) ** 2).sum() / 2", {"z": Z}, float((Y_LAYER**2).sum() / 2), {"z": GRAD_LAYER}),
    ("(F.batch_norm(z, None, None, training=True) ** 2).sum() / 2", {"z": Z}, float((Y_BATCH**2).sum() / 2), {"z": GRAD_BATCH}),
    ("(F.instance_norm(z) ** 2).sum() / 2", {"z": Z}, float((Y_INSTANCE**2).sum() / 2), {"z": GRAD_INSTANCE}),
    ("(F.group_norm(z, 2) ** 2).sum() / 2", {"z": Z}, float((GROUPED**2).sum() / 2), {"z": GRAD_GROUPED.reshape(Z.shape)}),
    ("(F.batch_norm(z, m0.detach(), v0.detach(), g, b) * z).sum()", {"z": Z, "m0": B, "v0": G, "g": G, "b": B},
     float(((Z - B[:, None]) / np.sqrt(G[:, None] + 1e-5) * G[:, None] * Z + B[:, None] * Z).sum()),
     {"b": Z.sum(axis=(0, 2)), "g": ((Z - B[:, None]) / np.sqrt(G[:, None] + 1e-5) * Z).sum(axis=(0, 2))}),
    # an input named e is that tensor, also where the function takes literal numbers positionally (not Euler's number)
    ("(F.batch_norm(z, m0, v0, g, e, True) * z).sum()", {"z": Z, "m0": B, "v0": G, "g": G, "e": B},
     float((Y_BATCH * G[:, None] * Z + B[:, None] * Z).sum()), {"e": Z.sum(axis=(0, 2)), "g": (Y_BATCH * Z).sum(axis=(0, 2))}),
    ("F.rms_norm(x, (3,), eps=0.5).sum()", {"x": X}, float((X / np.sqrt((X**2).mean(1, keepdims=True) + 0.5)).sum()),
     {"x": 1 / np.sqrt((X**2).mean(1, keepdims=True) + 0.5) - X * X.sum(1, keepdims=True) / 3 / ((X**2).mean(1, keepdims=True) + 0.5) ** 1.5}),
    ("(F.embedding(k, w) * 2).sum()", {"k": np.array([[0.0, 2.0], [3.0, 0.0]]), "w": W}, float(2 * (W[0] * 2 + W[2] + W[3]).sum()),
     {"w": np.array([[4.0] * 3, [0] * 3, [2] * 3, [2] * 3])}),
    ("F.dropout(x, 0.0).sum() + F.dropout(x, p=0.3, training=False).sum()", {"x": X}, float(2 * X.sum()), {"x": np.full_like(X, 2.0)}),
    ("F.glu(m).sum()", {"m": M}, float((M[:, :2] * SIGMOID).sum()), {"m": np.hstack([SIGMOID, M[:, :2] * SIGMOID * (1 - SIGMOID)])}),
    ("F.prelu(s, a).sum()", {"s": S, "a": np.array([0.2])}, float(np.where(S > 0, S, 0.2 * S).sum()),
     {"s": np.where(S > 0, 1.0, 0.2), "a": np.array([S[S < 0].sum()])}),
    ("(F.softmin(x, 1) * x).sum()", {"x": X}, float((np.exp(-X) / np.exp(-X).sum(1, keepdims=True) * X).sum()), {}),
    ("F.softplus(s * 10, 2, 15).sum()", {"s": S}, float(np.where(20 * S > 15, 10 * S, np.log1p(np.exp(20 * S)) / 2).sum()),
     {"s": np.where(20 * S > 15, 10.0, 10 / (1 + np.exp(-20 * S)))}),
    ("F.threshold(s, 0.1, -2).sum()", {"s": S}, float(np.where(S > 0.1, S, -2).sum()), {"s": (S > 0.1) * 1.0}),
    ("F.softshrink(s, 0.5).sum() + F.hardshrink(s).sum()", {"s": S},
     float(np.where(np.abs(S) > 0.5, S - 0.5 * np.sign(S), 0).sum() + np.where(np.abs(S) > 0.5, S, 0).sum()),
     {"s": (np.abs(S) > 0.5) * 2.0}),
    ("F.tanhshrink(s).sum()", {"s": S}, float((S - np.tanh(S)).sum()), {"s": np.tanh(S) ** 2}),
    ("F.rrelu(s).sum()", {"s": S}, float(np.where(S > 0, S, S * (1 / 8 + 1 / 3) / 2).sum()), {"s": np.where(S > 0, 1.0, (1 / 8 + 1 / 3) / 2)}),
]  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "inputs", "value", "grads"), CASES, ids=[case[0] for case in CASES])
def test_layer_matches_closed_form(engine: str, expr: str, inputs: dict, value: float, grads: dict) -> None:
    assert_closed_form(engine, expr, inputs, value, grads)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("F.dropout(x, 0.5)", "not supported: dropout() with p > 0 in training draws an unseeded random mask"),
        ("F.rrelu(x, training=True)", "not supported: rrelu() in training draws unseeded random slopes"),
    ],
)
def test_unseeded_randomness_is_refused(expr: str, message: str) -> None:
    from verifygrad.language.statements import compile_program

    with pytest.raises(ExprError, match=re.escape(message)):
        compile_program(expr, {"x": X})


def test_batch_norm_of_an_empty_batch_is_empty_and_of_one_dim_an_error() -> None:
    from tests.helpers import make_problem
    from verifygrad.engines import run_engine
    from verifygrad.language.statements import compile_program

    result = run_engine("numpy", make_problem("F.batch_norm(x, None, None, training=True).sum()", x=np.zeros((0,))))
    assert result.ok and result.value == 0 and result.grads["x"].shape == (0,)
    with pytest.raises(ExprError, match=re.escape("batch_norm() takes an input of shape (N, C, ...): 2 dims or more, not 1")):
        compile_program("F.batch_norm(x, None, None, training=True)", {"x": S})
