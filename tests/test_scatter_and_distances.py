"""Indexing that writes (masked_fill, index_add/copy/fill, scatter, scatter_add), narrow/select/take_along_dim, and the
distances (cdist, pairwise_distance): value and gradient against closed forms written with numpy, in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4))
S = RNG.normal(size=(2, 4))
Y = RNG.normal(size=(5, 4))


def index_add() -> tuple[np.ndarray, np.ndarray]:
    out = X.copy()
    out[[2, 0]] += 2 * S
    return out, 2 * out[[2, 0]] * 2


def scatter_add() -> np.ndarray:
    out = X.copy()
    index = np.array([[0, 1, 2, 0], [2, 0, 1, 2]])
    for i in range(2):
        for j in range(4):
            out[index[i, j], j] += S[i, j]
    return out


DIFF = X[:, None, :] - Y[None, :, :]
DISTANCE = np.sqrt((DIFF**2).sum(-1))
PAIR = X - (2 * X + 1) + 1e-6
FILLED = np.where(X > 0.2, -1.5, X)
COPIED = X.copy()
COPIED[[2, 0]] = S
ADDED, ADDED_GRAD_S = index_add()
SCATTERED = scatter_add()

CASES = [
    ("(x.masked_fill(x > 0.2, -1.5) ** 2).sum()", {"x": X}, float((FILLED**2).sum()), {"x": 2 * X * (X <= 0.2)}),
    ("torch.masked_fill(x, x < 0, float('-inf')).amax()", {"x": X}, float(X.max()), {"x": (X.max() == X) * 1.0}),
    # a 0-d tensor and a 0-d index: torch writes into the one element, as along dim 0
    ("torch.index_add(c, 0, torch.tensor(0), d, alpha=3) * c", {"c": 1.5, "d": 0.25}, 1.5 * (1.5 + 0.75), {"c": 2 * 1.5 + 0.75, "d": 4.5}),
    ("(torch.index_add(x, 0, torch.tensor([2, 0]), s, alpha=2) ** 2).sum()", {"x": X, "s": S}, float((ADDED**2).sum()), {"x": 2 * ADDED, "s": ADDED_GRAD_S}),
    ("(x.index_copy(0, torch.tensor([2, 0]), s) ** 2).sum()", {"x": X, "s": S}, float((COPIED**2).sum()),
     {"x": 2 * X * np.array([[0.0], [1], [0]]), "s": 2 * S}),
    ("(x.index_fill(1, torch.tensor([1, 3]), -2.0) ** 2).sum()", {"x": X}, float((X[:, [0, 2]] ** 2).sum() + 6 * 4), {"x": 2 * X * np.array([1.0, 0, 1, 0])}),
    ("(torch.scatter_add(x, 0, torch.tensor([[0, 1, 2, 0], [2, 0, 1, 2]]), s) ** 2).sum()", {"x": X, "s": S}, float((SCATTERED**2).sum()),
     {"x": 2 * SCATTERED, "s": 2 * np.array([[SCATTERED[0, 0], SCATTERED[1, 1], SCATTERED[2, 2], SCATTERED[0, 3]],
                                               [SCATTERED[2, 0], SCATTERED[0, 1], SCATTERED[1, 2], SCATTERED[2, 3]]])}),
    ("(torch.take_along_dim(x, torch.tensor([[0, 3], [2, 1], [1, 1]]), 1) ** 2).sum()", {"x": X},
     float(X[0, 0] ** 2 + X[0, 3] ** 2 + X[1, 2] ** 2 + X[1, 1] ** 2 + 2 * X[2, 1] ** 2),
     {"x": 2 * X * np.array([[1.0, 0, 0, 1], [0, 1, 1, 0], [0, 2, 0, 0]])}),
    ("(torch.narrow(x, 1, 1, 2) ** 2).sum() + x.select(0, -1).sum()", {"x": X}, float((X[:, 1:3] ** 2).sum() + X[-1].sum()),
     {"x": 2 * X * np.array([0.0, 1, 1, 0]) + np.array([[0.0], [0], [1]])}),
    ("torch.cdist(x, y).sum()", {"x": X, "y": Y}, float(DISTANCE.sum()), {"x": (DIFF / DISTANCE[..., None]).sum(1), "y": -(DIFF / DISTANCE[..., None]).sum(0)}),
    ("torch.cdist(x, y, p=1).sum()", {"x": X, "y": Y}, float(np.abs(DIFF).sum()), {"x": np.sign(DIFF).sum(1)}),
    ("F.pairwise_distance(x, 2 * x + 1).sum()", {"x": X}, float(np.sqrt((PAIR**2).sum(-1)).sum()), {"x": -PAIR / np.sqrt((PAIR**2).sum(-1, keepdims=True))}),
]  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "inputs", "value", "grads"), CASES, ids=[case[0] for case in CASES])
def test_matches_closed_form(engine: str, expr: str, inputs: dict, value: float, grads: dict) -> None:
    assert_closed_form(engine, expr, inputs, value, grads)


def test_scatter_writing_one_position_twice_is_refused() -> None:
    from verifygrad.language.statements import compile_program
    from verifygrad.language.syntax import ExprError

    with pytest.raises(ExprError, match="scatter\\(\\) writes one position twice"):
        compile_program("torch.scatter(x, 0, torch.tensor([[0, 0, 1, 1], [0, 1, 1, 2]]), s)", {"x": X, "s": S})


ZERO_D = [
    ("(torch.index_select(x, 0, torch.tensor(1)) ** 2).sum()", float((X[1] ** 2).sum()), 2 * X * np.array([[0.0], [1], [0]])),
    ("(x.index_add(0, torch.tensor(1), x[0:1] * 2) ** 2).sum()", float((X[[0, 2]] ** 2).sum() + ((X[1] + 2 * X[0]) ** 2).sum()),
     np.vstack([2 * X[0] + 4 * (X[1] + 2 * X[0]), 2 * (X[1] + 2 * X[0]), 2 * X[2]])),
    ("(x.index_fill(1, torch.tensor(2), -1.0) ** 2).sum()", float((X[:, [0, 1, 3]] ** 2).sum() + 3), 2 * X * np.array([1.0, 1, 0, 1])),
]  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "value", "grad"), ZERO_D, ids=[case[0] for case in ZERO_D])
def test_a_0d_index_is_one_position(engine: str, expr: str, value: float, grad: np.ndarray) -> None:
    """torch takes a 0-d index tensor as one position, the dim kept (index_select gives (1, 4))."""
    assert_closed_form(engine, expr, {"x": X}, value, {"x": grad})
