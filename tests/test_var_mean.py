"""torch.var_mean and std_mean (issue 21): each part against the closed forms, in every engine; a positional True/False
is unbiased, as torch reads it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form

X = np.random.default_rng(2121).normal(size=(3, 4))
CENTRED = X - X.mean(1, keepdims=True)

CASES = [
    ("torch.var_mean(x)[0]", float(X.var(ddof=1)), {"x": 2 * (X - X.mean()) / 11}),
    ("torch.var_mean(x, False)[0]", float(X.var()), {"x": 2 * (X - X.mean()) / 12}),
    ("torch.var_mean(x, dim=1)[1].sum()", float(X.mean(1).sum()), {"x": np.full((3, 4), 0.25)}),
    ("torch.std_mean(x, 1, keepdim=True)[0].sum()", float(X.std(1, ddof=1).sum()), {"x": CENTRED / 3 / X.std(1, ddof=1, keepdims=True)}),
    ("torch.std_mean(x, dim=0, unbiased=False)[0].sum()", float(X.std(0).sum()), {"x": (X - X.mean(0)) / 3 / X.std(0)}),
]


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "value", "grads"), CASES, ids=[case[0] for case in CASES])
def test_matches_closed_form(engine: str, expr: str, value: float, grads: dict) -> None:
    assert_closed_form(engine, expr, {"x": X}, value, grads)
