"""A serial run sends the next cases' SymPy work ahead: the same verdicts, each case still within its own time limit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.clihelp import write
from verifygrad.cases.discover import load_cases
from verifygrad.cases.problem import Overrides
from verifygrad.process import limits
from verifygrad.verdict import judge
from verifygrad.verdict.outcome import FAILED, PASSED, SKIPPED, XFAIL

# Each case's verdict is known in closed form: d/dx sum(x**3) = 3*x**2, d/dx sum(sin(x)) = cos(x), ...
CASES = """cases:
  - {name: cube, expr: 'sum(x**3)', inputs: {x: [0.5, -1.5]}, expect: {formula: {x: '3*x**2'}}}
  - {name: sine, expr: 'sum(sin(x))', inputs: {x: [0.5, 2.0]}, expect: {formula: {x: 'cos(x)'}}}
  - {name: twice-exp, expr: 'sum(exp(x))', inputs: {x: [0.25, 1.0]}, expect: {formula: {x: '2*exp(x)'}}}
  - {name: square, expr: 'sum(x*x)', inputs: {x: [1.0, 2.0]}, expect: {grad: {x: [2.0, 4.0]}}}
  - {name: log, expr: 'sum(log(x))', inputs: {x: [2.0, 4.0]}, expect: {formula: {x: '1/x'}}}
  - {name: wrong-log, expr: 'sum(log(x))', inputs: {x: [2.0, 4.0]}, expect: {formula: {x: '1/x**2'}}, expect_mismatch: the square is wrong}
  - {name: tanh, expr: 'sum(tanh(x))', inputs: {x: [0.5, -0.5]}, expect: {formula: {x: '1 - tanh(x)**2'}}}
"""
VERDICTS = [PASSED, PASSED, FAILED, PASSED, PASSED, XFAIL, PASSED]


def test_the_next_cases_sympy_work_is_sent_before_their_turn_and_the_verdicts_are_the_closed_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases, errors = load_cases([write(tmp_path, "cases.yaml", CASES)])
    assert not errors
    events: list[tuple[str, str]] = []
    start_case, check_case = judge.start_case, judge.check_case

    def sent(case, overrides):
        events.append(("sent", case.name))
        return start_case(case, overrides)

    def checked(case, overrides=Overrides(), started=None):
        events.append(("checked", case.name))
        return check_case(case, overrides, started)

    monkeypatch.setattr(judge, "start_case", sent)
    monkeypatch.setattr(judge, "check_case", checked)
    outcomes = judge.check_all(cases, Overrides())
    assert [o.verdict for o in outcomes] == VERDICTS, [o.reasons for o in outcomes]
    assert all(o.results["sympy"].ok and o.results["sympy"].exact for o in outcomes)
    names = [case.name for case in cases]
    # each case prepared and sent once, LOOK_AHEAD cases before its turn (or as many as are left)
    assert sorted(name for kind, name in events if kind == "sent") == sorted(names)
    for index, name in enumerate(names):
        before = events[: events.index(("checked", name))]
        assert [n for kind, n in before if kind == "sent"] == names[: index + 1 + judge.LOOK_AHEAD]


SLOW_FOR_SYMPY = "  - {{name: slow{k}, expr: 'sum(F.softmax(x, dim=0) * x)', inputs: {{x: 'randn(100000, seed={k})'}}}}\n"  # tens of seconds
QUICK = "  - {{name: quick{k}, expr: 'sum(x * x * {k})', inputs: {{x: [1.0, 2.0]}}}}\n"


def test_each_case_sent_ahead_has_its_own_time_limit_and_the_cases_behind_a_slow_one_are_answered(tmp_path: Path) -> None:
    # two slow cases in a row, both sent ahead behind each other: each runs out of its own second, not of the queue's
    text = "cases:\n" + SLOW_FOR_SYMPY.format(k=1) + SLOW_FOR_SYMPY.format(k=2) + "".join(QUICK.format(k=k) for k in range(1, 5))
    cases, errors = load_cases([write(tmp_path, "cases.yaml", text)])
    assert not errors
    start = time.perf_counter()
    with limits.using(limits.with_settings(limits.DEFAULT_LIMITS, {"time_limit": 1.0})):
        outcomes = judge.check_all(cases, Overrides(engines=("sympy", "numpy")))
    seconds = time.perf_counter() - start
    sympy = [outcome.results["sympy"] for outcome in outcomes]
    assert [result.reason for result in sympy[:2]] == ["timed out after 1 s (--time-limit)"] * 2
    assert all(result.seconds < 1.5 for result in sympy[:2])  # the worker's second on each, not its wait in the queue
    assert all(result.ok for result in sympy[2:])  # the quick cases behind them: answered by a fresh worker
    assert [outcome.verdict for outcome in outcomes] == [SKIPPED, SKIPPED, PASSED, PASSED, PASSED, PASSED]
    assert seconds < 180  # two timeouts, each followed by a fresh worker's start-up: no hang
