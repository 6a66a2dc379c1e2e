"""SymPy's work is done once per distinct question: a float32 copy of a case, or the elements of an elementwise
claim, reuse the answer, and every asker still gets its own verdict and its own copy of the answer."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, prepare
from verifygrad.engines import run_engine
from verifygrad.process import limits
from verifygrad.verdict.judge import check_case

IN_PROCESS = limits.with_settings(limits.DEFAULT_LIMITS, {"time_limit": 0})  # SymPy here, where it can be counted


def tutorial_case(dtype: str, x: list[float]) -> Case:
    """mean(5*(x+1)**2) with its derivative claimed: 5/2*(x+1) at each of 4 elements."""
    return Case(f"mean5-{dtype}", "mean(5*(x+1)**2)", {"x": x}, "test", 1, dtype=dtype, expect={"formula": {"x": "5/2*(x+1)"}})


def trigonometric_case(dtype: str) -> Case:
    """The derivative of sin(x)**2 claimed as sin(2*x): SymPy must simplify to prove it."""
    return Case(f"sin2-{dtype}", "sum(sin(x)**2)", {"x": [0.5, 1.5, 2.5, 3.25]}, "test", 1, dtype=dtype, expect={"formula": {"x": "sin(2*x)"}})


@pytest.fixture
def simplified(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every expression sympy.simplify is asked to simplify, in order."""
    asked: list[object] = []
    original = sympy.simplify

    def counting(expression, *args, **kwargs):
        asked.append(expression)
        return original(expression, *args, **kwargs)

    monkeypatch.setattr(sympy, "simplify", counting)
    return asked


def formula_text(outcome) -> str:
    return next(c.text for q in outcome.quantities for c in q.claims if c.claim.kind == "formula")


def test_a_float32_copy_shares_the_proof_and_each_element_is_simplified_once(simplified: list[object]) -> None:
    with limits.using(IN_PROCESS):
        double = check_case(trigonometric_case("float64"))
        single = check_case(trigonometric_case("float32"))
    assert double.verdict == single.verdict == "passed"
    assert formula_text(double) == formula_text(single) == "proven"
    # Four elements x[0]..x[3], one difference up to renaming; the float32 copy asks nothing more.
    assert len(simplified) == 1


def test_a_shared_answer_is_the_askers_own_copy() -> None:
    with limits.using(IN_PROCESS):
        first = run_engine("sympy", prepare(tutorial_case("float64", [0.25, 1.0, 2.0, 4.0]), Overrides()))
        first.grads["x"][:] = 99.0  # an asker changing its answer
        second = run_engine("sympy", prepare(tutorial_case("float32", [0.25, 1.0, 2.0, 4.0]), Overrides()))
    np.testing.assert_array_equal(second.grads["x"], [2.5 * (v + 1) for v in (0.25, 1.0, 2.0, 4.0)])


def test_other_inputs_are_another_question() -> None:
    with limits.using(IN_PROCESS):
        first = run_engine("sympy", prepare(tutorial_case("float64", [0.0, 1.0, 2.0, 3.0]), Overrides()))
        other = run_engine("sympy", prepare(tutorial_case("float64", [1.0, 1.0, 2.0, 3.0]), Overrides()))
    assert first.grads["x"][0] == 2.5 and other.grads["x"][0] == 5.0


def test_a_wrong_claim_in_the_copy_is_still_caught() -> None:
    wrong = Case("wrong32", "mean(5*(x+1)**2)", {"x": [0.0, 1.0, 2.0, 3.0]}, "test", 1, dtype="float32",
                 expect={"formula": {"x": "5*(x+1)"}}, expect_mismatch="doubled")  # fmt: skip
    with limits.using(IN_PROCESS):
        check_case(tutorial_case("float64", [0.0, 1.0, 2.0, 3.0]))
        outcome = check_case(wrong)
    assert outcome.verdict == "xfail"
    assert formula_text(outcome).startswith("wrong")


def test_a_float32_copy_shares_the_numeric_checks_at_random_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """Formula claims are checked by numpy and fd at float64 random points: the float32 twin asks the same there."""
    from verifygrad.engines import fd_engine

    runs: list[tuple[str, ...]] = []
    original = fd_engine.run

    def counting(problem):
        runs.append(problem.wrt)
        return original(problem)

    monkeypatch.setattr(fd_engine, "run", counting)
    x = [0.75, 1.25, 2.5, 3.5]
    with limits.using(IN_PROCESS):
        double = check_case(tutorial_case("float64", x))
        at_points = len(runs) - 1  # the fd engine itself runs once, at the case's inputs
        single = check_case(tutorial_case("float32", x))
    assert double.verdict == single.verdict == "passed"
    assert formula_text(double) == formula_text(single) == "proven"
    assert at_points >= 4  # the claim held at random points too, each confirmed by fd
    assert len(runs) == at_points + 2  # the float32 copy: its own fd engine run only
