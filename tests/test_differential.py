"""Differential testing: on random well-typed expressions inside their domain, every engine agrees."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given

from tests.strategies import differential_case, fuzz_settings
from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, Problem, prepare
from verifygrad.engines.numpy_engine import backward, forward
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import PASSED

KINK_MARGIN = 1e-6  # relu and abs: |argument| at least this
POLE_MARGIN = 0.05  # tan: |cos(argument)| at least this
MAGNITUDE = 1e6  # every intermediate value and gradient below this, so that rtol 1e-7 is meaningful


def in_domain(problem: Problem) -> bool:
    """True if no node sits at a kink, near a pole, or at a magnitude where float64 engines may fairly differ."""
    with np.errstate(all="ignore"):
        values = forward(problem.program, problem.inputs, "float64")
        grads = backward(problem.program, list(values), problem.grad_output, problem.wrt)  # backward frees what it used
    for node, value in zip(problem.program.nodes, values):
        if not np.all(np.abs(value) < MAGNITUDE):
            return False
        arg = values[node.args[0]] if node.args else None
        if node.op in ("relu", "abs") and not np.all(np.abs(arg) > KINK_MARGIN):
            return False
        if node.op == "tan" and not np.all(np.abs(np.cos(arg)) > POLE_MARGIN):
            return False
    return all(np.all(np.abs(g) < MAGNITUDE) for g in grads.values())


def check_engines_agree(text: str, inputs: dict, grad_output: object, engines: tuple[str, ...]) -> None:
    case = Case("differential", text, inputs, "<differential>", 1, grad_output=grad_output)
    problem = prepare(case, Overrides())  # the strategy writes only well-typed expressions: this must not raise
    assume(in_domain(problem))
    outcome = check_case(case, Overrides(engines=engines))
    assert all(outcome.results[name].ok for name in engines), (text, inputs, outcome.reasons)
    assert outcome.verdict == PASSED, (text, inputs, outcome.reasons)


@pytest.mark.needs_torch
@fuzz_settings(300)
@given(differential_case(max_depth=4))
def test_numpy_and_torch_agree(generated: tuple[str, dict, object]) -> None:
    check_engines_agree(*generated, engines=("numpy", "torch"))


@pytest.mark.needs_torch
@fuzz_settings(60)
@given(differential_case(max_depth=2))
def test_all_three_engines_agree(generated: tuple[str, dict, object]) -> None:
    check_engines_agree(*generated, engines=("sympy", "numpy", "torch"))
