"""Each spelling checked by its own library: torch and numpy evaluate their calls as written, and a misread
argument shows as a disagreement that names the call."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem
from verifygrad.cases.load import Case
from verifygrad.engines import run_engine
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import ERROR, FAILED, PASSED

ENGINES = ["numpy", "torch", "fd", "sympy"]
X = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, -6.0]])
V = np.array([1.0, -2.0, 3.0, 4.0])
SIGNS = np.sign(X)
W = np.arange(12.0).reshape(2, 6)

# (expression, inputs, value, gradients): what the library itself gives, written out by hand.
CLOSED_FORMS = [
    # torch.norm's second positional argument is p (every element), not a dim
    ("torch.norm(x, 1)", {"x": X}, 16.5, {"x": SIGNS}),
    ("x.norm(1)", {"x": X}, 16.5, {"x": SIGNS}),
    ("torch.norm(x, 3)", {"x": X}, np.sum(np.abs(X) ** 3) ** (1 / 3), {"x": SIGNS * X**2 * np.sum(np.abs(X) ** 3) ** (-2 / 3)}),
    ("torch.norm(x, float('inf'))", {"x": X}, 6.0, {"x": np.where(X == -6, -1.0, 0.0)}),
    ("torch.norm(x, dim=1).sum()", {"x": X}, np.linalg.norm(X, axis=1).sum(), {"x": X / np.linalg.norm(X, axis=1, keepdims=True)}),
    # torch.linalg.norm and np.linalg.norm: with an order and no dim, a matrix norm of a 2-D x (the largest column sum)
    ("torch.linalg.norm(x, 1)", {"x": X}, 6.5, {"x": np.array([[0, 0, 1.0], [0, 0, -1.0]])}),
    ("np.linalg.norm(x, 1)", {"x": X}, 6.5, {"x": np.array([[0, 0, 1.0], [0, 0, -1.0]])}),
    ("torch.linalg.norm(x, float('inf'))", {"x": X}, 13.0, {"x": np.array([[0, 0, 0], SIGNS[1]])}),
    ("torch.linalg.norm(v, 1)", {"v": V}, 10.0, {"v": np.sign(V)}),
    ("torch.linalg.vector_norm(x, 1)", {"x": X}, 16.5, {"x": SIGNS}),
    ("np.linalg.norm(x)", {"x": X}, np.linalg.norm(X), {"x": X / np.linalg.norm(X)}),
    # F.pad's mode given positionally
    ("(F.pad(x, (1, 2), 'reflect') * w).sum()", {"x": X, "w": W}, float(np.sum(np.pad(X, ((0, 0), (1, 2)), "reflect") * W)),
     {"x": np.array([[1.0 + 5, 0 + 2 + 4, 3], [7 + 11, 6 + 8 + 10, 9]])}),  # [b, a, b, c, b, a] against each row of w
    ("(F.pad(x, (1, 1), 'replicate') ** 2).sum()", {"x": X}, float(np.sum(np.pad(X, ((0, 0), (1, 1)), "edge") ** 2)), {"x": 2 * X * np.array([2.0, 1, 2])}),
    ("(F.pad(x, (2, 0), 'circular') ** 2).sum()", {"x": X}, float(np.sum(np.pad(X, ((0, 0), (2, 0)), "wrap") ** 2)), {"x": 2 * X * np.array([1.0, 2, 2])}),
    ("(F.pad(x, (1, -1), 'constant', 0.5) ** 2).sum()", {"x": X}, float(np.sum(X[:, :2] ** 2) + 2 * 0.25), {"x": 2 * X * np.array([1.0, 1, 0])}),
    ("(np.pad(x, 1, 'symmetric') ** 2).sum()", {"x": X}, float(np.sum(np.pad(X, 1, "symmetric") ** 2)), {"x": 2 * X * np.array([[4.0, 2, 4], [4, 2, 4]])}),
    # clamp with crossed bounds: torch and numpy give the upper bound
    ("torch.clamp(v, 2.5, 1.5).sum()", {"v": V}, 6.0, {"v": np.zeros(4)}),
    ("np.clip(v, 2.5, 1.5).sum()", {"v": V}, 6.0, {"v": np.zeros(4)}),
    ("torch.clamp(v, -1.5, 3.5).sum()", {"v": V}, 1 - 1.5 + 3 + 3.5, {"v": np.array([1.0, 0, 1, 0])}),
    # torch's arithmetic names, with their own arguments
    ("torch.sub(v, 2 * v, alpha=3).sum() + torch.rsub(v, v * v).sum()", {"v": V}, float((V - 6 * V).sum() + (V * V - V).sum()), {"v": -5 + 2 * V - 1}),
    ("torch.div(v * 7, v + 3.5, rounding_mode='floor').sum() + torch.mul(v, v).sum()", {"v": V}, float(np.floor(7 * V / (V + 3.5)).sum() + (V * V).sum()),
     {"v": 2 * V}),
    ("torch.clamp_min(v, 2.0).sum() + torch.clamp_max(v, 2.0).sum()", {"v": V}, 11.0 + 3.0, {"v": np.ones(4)}),
    # x.var() is what the program's library means: numpy's in a numpy program
    ("x.var() + np.sum(x)", {"x": X}, np.var(X) + X.sum(), {"x": 2 * (X - X.mean()) / 6 + 1}),
    ("x.var() + torch.sum(x)", {"x": X}, np.var(X, ddof=1) + X.sum(), {"x": 2 * (X - X.mean()) / 5 + 1}),
]  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("expr", "inputs", "value", "grads"), CLOSED_FORMS, ids=[row[0] for row in CLOSED_FORMS])
def test_calls_mean_what_their_library_means(engine: str, expr: str, inputs: dict, value: float, grads: dict) -> None:
    assert_closed_form(engine, expr, inputs, value, grads)


def _case(expr: str, inputs: dict, **keys) -> Case:
    return Case("as-written", expr, {name: np.asarray(v).tolist() for name, v in inputs.items()}, "<test>", 1, **keys)


def test_a_misread_call_is_a_disagreement_that_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were torch's norm to mean something else than verifygrad reads, the verdict names the call and both answers."""
    import torch

    from verifygrad.engines import torch_calls

    monkeypatch.setitem(torch_calls.TORCH_FUNCTIONS, ("torch", "norm"), lambda x, p: torch.sqrt((x * x).sum()))
    outcome = check_case(_case("torch.norm(x, 1) + x.sum()", {"x": X}))
    assert outcome.verdict == FAILED
    assert "torch evaluates torch.norm(x, 1) (column 1): torch gives 8.13941, verifygrad reads it as 16.5" in outcome.reasons


def test_a_numpy_method_misread_is_named() -> None:
    """In a numpy program a.transpose(0, 1) is numpy's (the axes in order: a itself), not torch's swap."""
    outcome = check_case(_case("(a.transpose(0, 1) * w).sum() + np.sum(a)", {"a": X[:, :2], "w": [[1.0, 2.0], [3.0, 4.0]]}))
    assert outcome.verdict == FAILED
    assert any(reason.startswith("numpy evaluates a.transpose(0, 1) (column 2): numpy gives") for reason in outcome.reasons), outcome.reasons


def test_a_call_torch_rejects_is_an_error_naming_it() -> None:
    result = run_engine("torch", make_problem("torch.maximum(v, 0.5).sum()", v=V))
    assert result.status == "error"
    assert result.reason.startswith("CallRejected: torch rejects the call torch.maximum(v, 0.5) (column 1): ")


def test_class_targets_indices_and_masks_reach_torch_as_integers() -> None:
    """A case's tensors are floats; torch takes class indices as integers, and gets them so."""
    z, k = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]), np.array([2.0, 0.0])
    result = run_engine("torch", make_problem("F.cross_entropy(z, k) + torch.gather(z, 1, torch.tensor([[1], [2]])).sum()", z=z, k=k))
    log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert result.ok, result.reason
    np.testing.assert_allclose(result.value, -(log_softmax[0, 2] + log_softmax[1, 0]) / 2 + z[0, 1] + z[1, 2], rtol=1e-13)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_cast_that_rounds_is_refused_and_one_that_does_not_is_read(dtype: str) -> None:
    outcome = check_case(_case("(x.float() * 2).sum()", {"x": V}, dtype=dtype))
    if dtype == "float64":
        assert outcome.verdict == ERROR
        assert outcome.reasons == [
            "<test>:1: expr: .float() at column 2 rounds to float32, inside a float64 case; verifygrad computes a case in one dtype: "
            "give the case `dtype: float32`, or leave .float() out"
        ]
    else:
        assert outcome.verdict == PASSED, outcome.reasons
