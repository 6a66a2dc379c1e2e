"""The margin losses of issue 21 (soft_margin, margin_ranking, hinge_embedding, triplet_margin) and poisson_nll: value and gradient against closed forms
written with numpy, in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form

RNG = np.random.default_rng(2121)
A, B = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
Y = np.sign(RNG.normal(size=(4, 3)))
SIG = 1 / (1 + np.exp(Y * A))  # sigmoid(-y a)
RANK = -Y * (A - B) + 0.3
HINGE = np.where(Y == 1, A, np.maximum(0, 0.5 - A))
C = RNG.normal(size=(4, 3))
T = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 1.0], [2.0, 2.0, 0.0], [1.0, 4.0, 3.0]])
Q = A * A + 0.5  # a rate, positive
STIRLING = np.where(T > 1, T * np.log(np.where(T > 1, T, 1)) - T + 0.5 * np.log(2 * np.pi * np.where(T > 1, T, 1)), 0)
NEAR, FAR = A - B + 1e-6, A - C + 1e-6
D_NEAR, D_FAR = np.sqrt((NEAR**2).sum(1)), np.sqrt((FAR**2).sum(1))
ACTIVE = (D_NEAR - D_FAR + 1 > 0)[:, None] * 1.0

CASES = [
    ("F.soft_margin_loss(a, y)", float(np.log1p(np.exp(-Y * A)).mean()), {"a": -Y * SIG / 12, "y": np.zeros((4, 3))}),
    ("F.soft_margin_loss(a, y, reduction='sum')", float(np.log1p(np.exp(-Y * A)).sum()), {"a": -Y * SIG}),
    ("F.margin_ranking_loss(a, b, y, margin=0.3)", float(np.maximum(0, RANK).mean()), {"a": -Y * (RANK > 0) / 12, "b": Y * (RANK > 0) / 12}),
    ("F.hinge_embedding_loss(a, y, margin=0.5, reduction='sum')", float(HINGE.sum()), {"a": np.where(Y == 1, 1.0, -1.0 * (0.5 - A > 0))}),
    ("F.poisson_nll_loss(a, t)", float((np.exp(A) - T * A).mean()), {"a": (np.exp(A) - T) / 12, "t": -A / 12}),
    ("F.poisson_nll_loss(a * a + 0.5, t, log_input=False, full=True, reduction='sum')", float((Q - T * np.log(Q + 1e-8) + STIRLING).sum()),
     {"a": (1 - T / (Q + 1e-8)) * 2 * A}),
    ("F.triplet_margin_loss(a, b, c)", float(np.maximum(0, D_NEAR - D_FAR + 1).mean()),
     {"a": ACTIVE * (NEAR / D_NEAR[:, None] - FAR / D_FAR[:, None]) / 4, "b": -ACTIVE * NEAR / D_NEAR[:, None] / 4, "c": ACTIVE * FAR / D_FAR[:, None] / 4}),
    ("F.hinge_embedding_loss(a, y * 0.5)", float((A + np.maximum(0, 1 - A)).mean()), {"a": (1 - (1 - A > 0)) / 12}),  # y neither 1 nor -1: both terms
]  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "value", "grads"), CASES, ids=[case[0] for case in CASES])
def test_matches_closed_form(engine: str, expr: str, value: float, grads: dict) -> None:
    assert_closed_form(engine, expr, {"a": A, "b": B, "c": C, "y": Y, "t": T}, value, grads)
