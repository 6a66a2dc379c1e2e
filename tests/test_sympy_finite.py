"""The SymPy engine's proof that a program is finite everywhere (so the float64 look for nan as written is skipped)."""

from __future__ import annotations

import numpy as np
import pytest

from verifygrad.engines.sympy.finite import finite_everywhere
from verifygrad.language.parse import parse


@pytest.mark.parametrize(
    ("expr", "x", "proven"),
    [
        ("mean(exp(sin(x))*x**2 + tanh(x))", [-2.0, 0.0, 2.0], True),
        ("sum(1/(1 + exp(-x)) + log(x**2 + 1) + sqrt(abs(x)) + sigmoid(x) + relu(x))", [-3.0, 0.5, 3.0], True),
        ("log(x * x + 1)", [-3.0, 3.0], False),  # ranges forget that both factors are x: not proven (safe)
        ("x / x", [1.0, 2.0], True),
        ("x / x", [-1.0, 0.0, 2.0], False),  # 0/0 at x = 0: nan as written
        ("log(x)", [0.0, 1.0], False),  # log(0) = -inf
        ("sqrt(x)", [-1.0, 4.0], False),
        ("exp(x) - exp(x)", [1.0, 800.0], False),  # overflow: inf - inf
        ("x ** -1", [-1.0, 1.0], False),  # the range holds 0 between its ends
        ("x ** 0.5", [1.0, 9.0], True),
        ("sum(x ** 2)", [1e160, 1e160], False),  # each square overflows
        ("x ** 3", [-2.0, 3.0], True),
        ("mean(x)", np.zeros(0), False),  # the mean of nothing is nan
        ("erf(x)", [0.0, 1.0], False),  # no rule: not proven, never guessed
    ],
)
def test_finite_everywhere_is_proven_only_where_no_element_can_be_nan_or_inf(expr: str, x: list[float], proven: bool) -> None:
    values = np.asarray(x, dtype=np.float64)
    assert finite_everywhere(parse(expr), {"x": values}) is proven
    if proven:  # what the proof says, float64 confirms
        with np.errstate(all="ignore"):
            from verifygrad.engines.numpy_engine import forward

            assert np.all(np.isfinite(forward(parse(expr), {"x": values}, "float64")[-1]))


def test_a_nan_input_is_never_proven_finite() -> None:
    assert not finite_everywhere(parse("x * 0"), {"x": np.array([1.0, np.nan])})
