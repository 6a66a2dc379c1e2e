"""The margin losses of issue 21 (soft_margin, margin_ranking, hinge_embedding): value and gradient against closed forms
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

CASES = [
    ("F.soft_margin_loss(a, y)", float(np.log1p(np.exp(-Y * A)).mean()), {"a": -Y * SIG / 12, "y": np.zeros((4, 3))}),
    ("F.soft_margin_loss(a, y, reduction='sum')", float(np.log1p(np.exp(-Y * A)).sum()), {"a": -Y * SIG}),
    ("F.margin_ranking_loss(a, b, y, margin=0.3)", float(np.maximum(0, RANK).mean()), {"a": -Y * (RANK > 0) / 12, "b": Y * (RANK > 0) / 12}),
    ("F.hinge_embedding_loss(a, y, margin=0.5, reduction='sum')", float(HINGE.sum()), {"a": np.where(Y == 1, 1.0, -1.0 * (0.5 - A > 0))}),
    ("F.hinge_embedding_loss(a, y * 0.5)", float((A + np.maximum(0, 1 - A)).mean()), {"a": (1 - (1 - A > 0)) / 12}),  # y neither 1 nor -1: both terms
]  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "value", "grads"), CASES, ids=[case[0] for case in CASES])
def test_matches_closed_form(engine: str, expr: str, value: float, grads: dict) -> None:
    assert_closed_form(engine, expr, {"a": A, "b": B, "y": Y}, value, grads)
