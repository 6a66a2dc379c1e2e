"""torch's ops of the fourth round (issue 21): cross_entropy's label_smoothing, scaled_dot_product_attention's
attn_mask, LU factorizations, torch.mode. Each against a closed form written from torch's documentation, in every
engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form

RNG = np.random.default_rng(2172)
X = RNG.normal(size=(3, 4))
ENGINES = ["numpy", "torch", "fd", "sympy"]


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_cross_entropy_with_label_smoothing_weight_and_an_ignored_class(engine: str) -> None:
    """Class indices, smoothing e, weight w, ignore_index 2 (sample 1): per kept sample (1 - e) w[t] (-log p[t]) +
    e / C sum_c w[c] (-log p[c]), summed and divided by the kept w[t]; d/dx_i = ((1 - e) w[t](p - onehot) +
    e / C (sum(w) p - w)) / that sum."""
    t, w, e, c = np.array([3.0, 2.0, 0.0]), np.array([0.5, 1.0, 2.0, 1.5]), 0.2, 4
    p = softmax(X)
    kept = [0, 2]
    total = sum(w[int(t[i])] for i in kept)
    value = sum((1 - e) * w[int(t[i])] * -np.log(p[i, int(t[i])]) + e / c * (w * -np.log(p[i])).sum() for i in kept) / total
    grad = np.zeros_like(X)
    for i in kept:
        grad[i] = ((1 - e) * w[int(t[i])] * (p[i] - np.eye(c)[int(t[i])]) + e / c * (w.sum() * p[i] - w)) / total
    expr = "F.cross_entropy(x, t, weight=w, ignore_index=2, label_smoothing=0.2)"
    assert_closed_form(engine, expr, {"x": X, "t": t, "w": w}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_cross_entropy_with_probabilities_weight_and_label_smoothing(engine: str) -> None:
    """Class probabilities q, smoothed to q' = (1 - e) q + e / C: the mean over samples of -sum_c w[c] q'[c] log p[c];
    d/dx_i = ((w . q'_i) p_i - w q'_i) / N."""
    q = RNG.dirichlet(np.ones(4), size=3)
    w, e = np.array([0.5, 1.0, 2.0, 1.5]), 0.3
    smoothed = (1 - e) * q + e / 4
    p = softmax(X)
    value = float((-(w * smoothed * np.log(p)).sum(1)).mean())
    grad = ((w * smoothed).sum(1, keepdims=True) * p - w * smoothed) / 3
    assert_closed_form(engine, "F.cross_entropy(x, q, weight=w, label_smoothing=0.3)", {"x": X, "q": q, "w": w}, value, {"x": grad})
