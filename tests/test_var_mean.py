"""torch.var_mean and std_mean, nansum and nanmean (issue 21): against the closed forms, in every engine; a positional
True/False is unbiased, as torch reads it; a nan is left out of nansum/nanmean and takes no gradient."""

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


NAN = X.copy()
NAN[1, 2] = np.nan
KEPT = ~np.isnan(NAN)


@pytest.mark.parametrize("engine", ["numpy", "torch", "sympy"])  # NOTE: fd's step of a nan is nan
@pytest.mark.parametrize(
    ("expr", "value", "grad"),
    [
        ("torch.nansum(x)", float(np.nansum(NAN)), KEPT * 1.0),
        ("torch.nanmean(x, dim=1, keepdim=True).sum()", float(np.nanmean(NAN, 1).sum()), KEPT / KEPT.sum(1, keepdims=True)),
        ("np.nansum(x, axis=0).sum() + torch.nanmean(x)", float(np.nansum(NAN) + np.nanmean(NAN)), KEPT * (1 + 1 / 11)),
    ],
)
def test_nan_reductions_leave_the_nan_out(engine: str, expr: str, value: float, grad: np.ndarray) -> None:
    assert_closed_form(engine, expr, {"x": NAN}, value, {"x": grad})


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
def test_nan_reductions_without_nan_are_sum_and_mean(engine: str) -> None:
    assert_closed_form(engine, "torch.nansum(x, 0).sum() + torch.nanmean(x)", {"x": X}, float(X.sum() + X.mean()), {"x": np.full((3, 4), 1 + 1 / 12)})
