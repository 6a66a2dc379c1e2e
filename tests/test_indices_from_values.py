"""gather, take, index_select and x[...] with indices or masks computed from the inputs: closed forms in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form
from verifygrad.cases.load import Case, load_mapping
from verifygrad.cases.problem import Overrides, prepare
from verifygrad.engines import run_engine
from verifygrad.errors import CaseError
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import FAILED, PASSED

M = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.75, -0.5, 3.0], [-2.0, 1.0, 0.5, -0.25]])
X = np.array([0.3, -1.2, 2.5, -0.4, 1.1])
IDX = np.array([[0, 3], [1, 1], [2, 0]])
SOFTMAX = np.exp(M) / np.exp(M).sum(axis=1, keepdims=True)
ENGINES = ["numpy", "torch", "fd", "sympy"]


def counts(shape: tuple[int, ...], positions: tuple[np.ndarray, ...], weights: np.ndarray | float = 1.0) -> np.ndarray:
    """How often each element is taken (times its weight): the gradient of a sum of picked elements."""
    out = np.zeros(shape)
    np.add.at(out, positions, weights)
    return out


def prepared(expr: str, wrt: str, **inputs: np.ndarray):
    return prepare(Case("t", expr, {name: np.asarray(v, dtype=float).tolist() for name, v in inputs.items()}, "t.yaml", 1, wrt=[wrt]), Overrides())


ROWS = np.arange(3)[:, None]
WRITTEN = [
    ("torch.gather(m, 1, torch.tensor([[0, 3], [1, 1], [2, 0]])).sum()", M[ROWS, IDX].sum(), counts(M.shape, (ROWS, IDX))),
    ("(m.gather(0, torch.tensor([[2, 0, 1, 1]])) ** 2).sum()", (M[[2, 0, 1, 1], range(4)] ** 2).sum(),
     counts(M.shape, ([2, 0, 1, 1], range(4)), 2 * M[[2, 0, 1, 1], range(4)])),
    ("np.take_along_axis(m, np.array([[3], [0], [2]]), axis=1).sum()", M[[0, 1, 2], [3, 0, 2]].sum(), counts(M.shape, ([0, 1, 2], [3, 0, 2]))),
    ("torch.index_select(m, 0, torch.tensor([2, 0, 2])).sum()", M[[2, 0, 2]].sum(), counts(M.shape, ([2, 0, 2],))),
    ("(torch.index_select(m, 1, torch.tensor([3, 3])) * m[:, :2]).sum()", (M[:, [3, 3]] * M[:, :2]).sum(),
     counts(M.shape, (slice(None), 3), M[:, 0] + M[:, 1]) + counts(M.shape, (slice(None), slice(0, 2)), M[:, [3, 3]])),
    ("np.take(m, [1, 5, 5]).sum()", M.ravel()[[1, 5, 5]].sum(), counts((12,), ([1, 5, 5],)).reshape(3, 4)),
    ("np.take(m, [[1], [3]], axis=1).sum()", M[:, [[1], [3]]].sum(), counts(M.shape, (slice(None), [1, 3]))),
    ("torch.take(m, torch.tensor([11, 0])).sum()", M.ravel()[[11, 0]].sum(), counts((12,), ([11, 0],)).reshape(3, 4)),
    ("np.cbrt(m).sum()", np.cbrt(M).sum(), np.abs(M) ** (-2 / 3) / 3),
]  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("expr", "value", "grad"), WRITTEN, ids=[row[0] for row in WRITTEN])
def test_written_indices_match_closed_forms(engine: str, expr: str, value: float, grad: np.ndarray) -> None:
    assert_closed_form(engine, expr, {"m": M}, value, {"m": grad})


COMPUTED = [
    ("torch.gather(m, 1, idx).sum()", {"m": M, "idx": IDX}, M[ROWS, IDX].sum(), counts(M.shape, (ROWS, IDX))),
    ("np.take_along_axis(m, idx, 1).sum()", {"m": M, "idx": IDX}, M[ROWS, IDX].sum(), counts(M.shape, (ROWS, IDX))),
    ("(m[m > 0] ** 2).sum()", {"m": M}, (M[M > 0] ** 2).sum(), np.where(M > 0, 2 * M, 0.0)),
    ("torch.gather(m, 1, torch.argmax(m, 1, keepdim=True)).sum()", {"m": M}, M.max(axis=1).sum(), counts(M.shape, (range(3), M.argmax(axis=1)))),
    ("torch.max(m, 1)[1].sum() + torch.max(m, dim=0).indices.sum() + np.argmin(m, axis=0).sum() + m.argmax() + m.sum()", {"m": M},
     M.argmax(axis=1).sum() + M.argmax(axis=0).sum() + M.argmin(axis=0).sum() + M.argmax() + M.sum(), np.ones_like(M)),
    ("F.cross_entropy(m, torch.argmin(m, 1))", {"m": M}, -np.log(SOFTMAX[range(3), M.argmin(axis=1)]).mean(), (SOFTMAX - np.eye(4)[M.argmin(axis=1)]) / 3),
    ("m[k].sum()", {"m": M, "k": [2, 0, 2]}, M[[2, 0, 2]].sum(), counts(M.shape, ([2, 0, 2],))),
    ("y = m * 2\nmask = y < 1\nout = y[m < 0.6].sum() + m[mask.sum() > 6].sum()", {"m": M}, 2 * M[M < 0.6].sum(), np.where(M < 0.6, 2.0, 0.0)),
]  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("expr", "inputs", "value", "grad"), COMPUTED, ids=[row[0] for row in COMPUTED])
def test_indices_computed_from_the_inputs_are_fixed_at_their_values(engine: str, expr: str, inputs: dict, value: float, grad: np.ndarray) -> None:
    problem = prepared(expr, "m", **inputs)
    result = run_engine(engine, problem)
    assert result.ok, result.reason
    rtol, atol = (1e-7, 1e-9) if engine == "fd" else (1e-12, 1e-14)
    np.testing.assert_allclose(result.value, value, rtol=rtol, atol=atol)
    np.testing.assert_allclose(result.grads["m"], grad, rtol=rtol, atol=atol)


def test_the_report_says_which_indices_were_taken() -> None:
    problem = prepared("torch.gather(m, 1, idx).sum()", "m", m=M, idx=IDX)
    assert problem.program.notes == ("the index of gather() at line 1, column 1 is [[0, 3], [1, 1], [2, 0]] at these inputs",)
    ties = prepared("torch.argmax(m, 1).sum() + m.sum()", "m", m=[[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    assert ties.program.notes == ("argmax() at line 1, column 1 is [1, 0] at these inputs",)  # the first of a tie, as numpy and torch


@pytest.mark.parametrize(
    ("expr", "inputs", "message"),
    [
        ("x[k].sum()", {"x": X, "k": [0.5]}, "the index must be whole numbers (positions) at column 3; for a mask, write a comparison"),
        ("torch.gather(m, 1, idx).sum()", {"m": np.ones((3, 4, 2)), "idx": IDX}, "gather needs 2-D arguments, got 3x4x2"),
        ("torch.gather(m, 1, idx).sum()", {"m": M, "idx": [[0, 4]]}, "index 4 is out of bounds"),
        ("torch.index_select(m, 0, torch.tensor([[0]])).sum()", {"m": M}, "index_select() takes a dim and a 1-D index"),
        ("np.take(m).sum()", {"m": M}, "take() needs an index: a tensor or a list of positions"),
    ],
)
def test_bad_indices_are_one_line_errors(expr: str, inputs: dict, message: str) -> None:
    with pytest.raises(CaseError) as error:
        prepared(expr, next(iter(inputs)), **inputs)
    assert message in str(error.value) and "\n" not in str(error.value)


def formula_verdict(formula: str) -> tuple[str, list[str]]:
    cases, errors = load_mapping(
        {"name": "masked", "expr": "(m[m > 0] ** 2).sum()", "inputs": {"m": M.tolist()}, "expect": {"formula": {"m": formula}}}, "t.yaml"
    )
    assert not errors
    outcome = check_case(cases[0])
    return outcome.verdict, outcome.reasons


def test_a_right_formula_for_a_computed_mask_holds_at_points_where_the_mask_differs() -> None:
    # At a random point the mask is computed again there; checked against the mask fixed at the case's values,
    # 2*m*(m > 0) would be "wrong" wherever a point turns an entry's sign.
    verdict, reasons = formula_verdict("2 * m * (m > 0)")
    assert verdict == PASSED, reasons


def test_a_formula_right_only_at_the_cases_values_is_wrong() -> None:
    # The case's positive entries are all over 0.2, so a threshold of 0.2 agrees with the truth there and nowhere between 0 and 0.2.
    verdict, reasons = formula_verdict("2 * m * (m > 0.2)")
    assert verdict == FAILED and "claim formula.m: wrong (differs at " in reasons[0], reasons
