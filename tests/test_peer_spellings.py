"""What the converted autograd tests found the language refused or misread: axis=None written out, np.tile's reps=2."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form
from verifygrad.language.statements import compile_program
from verifygrad.language.syntax import ExprError

RNG = np.random.default_rng(5)
M = RNG.standard_normal((2, 3))
V = RNG.uniform(0.5, 1.5, 3)
N = M.size

CASES = [
    ("np.sum(m ** 2, axis=None) + np.mean(m, axis=None, keepdims=True).sum()", {"m": M}, (M**2).sum() + M.mean(), {"m": 2 * M + 1 / N}),
    ("np.prod(v, axis=None) + np.max(m, axis=None)", {"v": V, "m": M}, V.prod() + M.max(),
     {"v": V.prod() / V, "m": (M.max() == M).astype(float)}),
    ("np.var(m, axis=None) + np.std(m, axis=None, ddof=1)", {"m": M}, M.var() + M.std(ddof=1),
     {"m": 2 * (M - M.mean()) / N + (M - M.mean()) / ((N - 1) * M.std(ddof=1))}),
    ("(np.transpose(m, axes=None) * np.arange(6.0).reshape(3, 2)).sum()", {"m": M}, (M.T * np.arange(6.0).reshape(3, 2)).sum(),
     {"m": np.arange(6.0).reshape(3, 2).T}),
    ("(np.repeat(v, repeats=2, axis=None) ** 2).sum() + np.linalg.norm(m, axis=None)", {"v": V, "m": M},
     2 * (V**2).sum() + np.linalg.norm(M), {"v": 4 * V, "m": M / np.linalg.norm(M)}),
    ("(np.tile(v, reps=2) * np.arange(6.0)).sum()", {"v": V}, (np.tile(V, 2) * np.arange(6.0)).sum(), {"v": np.arange(3.0) + np.arange(3.0, 6.0)}),
]  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "inputs", "value", "grads"), CASES, ids=[case[0] for case in CASES])
def test_spellings_match_closed_forms(engine: str, expr: str, inputs: dict, value: float, grads: dict) -> None:
    assert_closed_form(engine, expr, inputs, value, grads)


def test_axis_none_where_it_is_not_the_default_is_still_refused() -> None:
    with pytest.raises(ExprError, match="literal"):  # NOTE: np.concatenate's axis=None flattens; its default is 0
        compile_program("np.concatenate([m, m], axis=None)", {"m": M})


def test_tile_reps_as_a_keyword_int_is_a_one_element_tuple() -> None:
    program = compile_program("np.tile(m, reps=2)", {"m": M})
    assert program.shapes({"m": M.shape})[-1] == (2, 6)
