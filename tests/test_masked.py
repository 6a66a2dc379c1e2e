"""torch.masked's reductions, scans and normalizations (issue 21), and the .mT/.mH/.H attributes: each against the closed
form written from torch.masked's definition (the masked-out elements replaced by the reduction's identity, mean and
var over the count kept), in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form

X = np.random.default_rng(2141).normal(size=(3, 4))
M = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 1.0]])  # every row and column keeps one
W = np.random.default_rng(2142).normal(size=(3, 4))
KEPT = M == 1
ENGINES = ["numpy", "torch", "fd", "sympy"]


def softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.where(KEPT, np.exp(x), 0.0)
    return e / e.sum(1, keepdims=True)


S = softmax_rows(X)
ROW_MAX = np.where(KEPT, X, -np.inf).max(1)
AT_MAX = KEPT & (ROW_MAX[:, None] == X)
COUNT0 = M.sum(0)
MEAN = (X * M).sum() / M.sum()
NORM = np.sqrt((M * X * X).sum())
ROW_PROD = np.where(KEPT, X, 1.0).prod(1)
ROW_NORMS = np.sqrt((M * X * X).sum(1, keepdims=True))
Y = M * X / ROW_NORMS  # masked.normalize(x, 2.0, 1, mask=m)
CUMSUM_GRAD = np.cumsum(W[:, ::-1], 1)[:, ::-1] * M  # d/dx of sum(cumsum(m x) * w)

CASES = [
    ("torch.masked.sum(x, mask=m)", (X * M).sum(), M),
    ("(torch.masked.sum(x, dim=1, keepdim=True, mask=m) * w[:, :1]).sum()", ((X * M).sum(1) * W[:, 0]).sum(), M * W[:, :1]),
    ("torch.masked.amax(x, dim=1, mask=m).sum()", ROW_MAX.sum(), AT_MAX * 1.0),
    ("(torch.masked.mean(x, dim=0, keepdim=True, mask=m) * w[:1]).sum()", ((X * M).sum(0) / COUNT0 * W[0]).sum(), M * W[:1] / COUNT0),
    ("torch.masked.var(x, mask=m)", ((X - MEAN) ** 2 * M).sum() / (M.sum() - 1), 2 * (X - MEAN) * M / (M.sum() - 1)),
    ("torch.masked.norm(x, 2.0, mask=m)", NORM, M * X / NORM),
    ("(torch.masked.softmax(x, 1, mask=m) * w).sum()", (S * W).sum(), S * (W - (S * W).sum(1, keepdims=True))),
    ("torch.masked.logsumexp(x, dim=1, mask=m).sum()", np.log(np.where(KEPT, np.exp(X), 0).sum(1)).sum(), S),
    ("(torch.masked.cumsum(x, 1, mask=m) * w).sum()", (np.cumsum(X * M, 1) * W).sum(), CUMSUM_GRAD),
    ("torch.masked.prod(x, dim=1, mask=m).sum()", ROW_PROD.sum(), M * ROW_PROD[:, None] / np.where(KEPT, X, 1.0)),
    ("(torch.masked.normalize(x, 2.0, 1, mask=m) * w).sum()", (Y * W).sum(), M * (W - Y * (Y * W).sum(1, keepdims=True)) / ROW_NORMS),
    ("torch.masked.std(x, 1, mask=m, keepdim=True).sum()", None, None),  # filled below: per-row std of the kept
]


def row_std() -> tuple[float, np.ndarray]:
    total, grad = 0.0, np.zeros_like(X)
    for i in range(3):
        kept = X[i, KEPT[i]]
        std = kept.std(ddof=1)
        total += std
        grad[i, KEPT[i]] = (kept - kept.mean()) / ((kept.size - 1) * std)
    return total, grad


CASES[-1] = (CASES[-1][0], *row_std())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("expr", "value", "grad"), CASES, ids=[case[0] for case in CASES])
def test_masked_reduction_matches_its_definition(engine: str, expr: str, value: float, grad: np.ndarray) -> None:
    assert_closed_form(engine, expr, {"x": X, "m": M, "w": W}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_without_a_mask_they_are_the_plain_operations(engine: str) -> None:
    expr = "torch.masked.mean(x, mask=None) + (torch.masked.log_softmax(x, 0) * w).sum()"
    log_softmax = X - np.log(np.exp(X).sum(0))
    soft = np.exp(log_softmax)
    grad = np.full(X.shape, 1 / 12) + W - soft * W.sum(0)
    assert_closed_form(engine, expr, {"x": X, "w": W}, X.mean() + (log_softmax * W).sum(), {"x": grad})


T3 = np.random.default_rng(2143).normal(size=(2, 3, 4))
V3 = np.random.default_rng(2144).normal(size=(2, 4, 3))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("attribute", ["mT", "mH"])
def test_mT_swaps_the_last_two_dims_of_a_stack(engine: str, attribute: str) -> None:
    assert_closed_form(engine, f"(t.{attribute} * v).sum()", {"t": T3, "v": V3}, (np.swapaxes(T3, 1, 2) * V3).sum(), {"t": np.swapaxes(V3, 1, 2)})


@pytest.mark.parametrize("engine", ENGINES)
def test_H_of_a_real_matrix_is_its_transpose(engine: str) -> None:
    assert_closed_form(engine, "(x.H * v).sum()", {"x": X, "v": W.T}, (X.T * W.T).sum(), {"x": W})
