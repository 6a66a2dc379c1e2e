"""The numpy engine's memory plan (dropped values, in-place sums) must not change any answer."""

from __future__ import annotations

import numpy as np
import pytest

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, prepare
from verifygrad.engines import numpy_engine

X = [[0.3, -1.2, 0.7], [1.5, 0.2, -0.4]]
Y = [[0.9, 0.5, 1.1], [0.6, 1.3, 0.8]]


def check(expr: str, **inputs) -> None:
    """The numpy engine against the exact reference (SymPy at 30 digits), not against another float engine."""
    case = Case("t", expr, inputs or {"x": X, "y": Y}, "test", 1)
    problem = prepare(case, Overrides())
    from verifygrad.engines.sympy import engine as sympy_engine

    ours, exact = numpy_engine.run(problem), sympy_engine.run(problem)
    assert exact.exact, exact.detail
    theirs = exact
    np.testing.assert_allclose(ours.value, theirs.value, rtol=1e-12, atol=1e-12)
    for name in problem.wrt:
        np.testing.assert_allclose(ours.grads[name], theirs.grads[name], rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(
    "expr",
    [
        "mean(exp(sin(x))*x**2 + tanh(x))",
        "sum(x*y + x*x*y - x/y + y**x)",
        "sum(cos(x)*sigmoid(y) + sqrt(y)*log(y) + log1p(y)*tan(x))",
        "sum(relu(x)*abs(x) + softplus(x*y) - (-x))",
        "sum(tanh(x @ y.T)) + trace(x.T @ y)",
        "sum(logsumexp(x*y, dim=1)) + mean(sum(x, 0) * mean(y, dim=0))",
        "sum(outer(sum(x, 1), mean(y, 1)))",
        "sum(x + 2) * sum(y)",
        "sum(x * sum(x))",
    ],
)
@pytest.mark.parametrize("stand_in_min_size", [1024, 0])  # 0: every value no VJP reads is dropped, however small
def test_matches_the_exact_reference(expr: str, stand_in_min_size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # NOTE: a VJP reading a value its `reads=` does not list gets zeros: this is the test that catches it
    monkeypatch.setattr(numpy_engine, "STAND_IN_MIN_SIZE", stand_in_min_size)
    check(expr)


def test_scalars_and_reused_inputs() -> None:
    check("tanh(x)*sin(x)*x + sigmoid(x)*cos(x) + x**3", x=0.7)
    check("x*x*x + x", x=-1.5)


def test_plan_drops_values_the_backward_pass_never_reads() -> None:
    case = Case("t", "mean(exp(sin(x))*x**2 + tanh(x))", {"x": np.linspace(-1, 1, 2000).tolist()}, "test", 1)
    problem = prepare(case, Overrides())
    values = numpy_engine.forward(problem.program, problem.inputs, "float64", problem.wrt)
    dropped = [v.strides == (0,) for v in values]  # stand-ins are zero-stride broadcasts
    ops = [node.op for node in problem.program.nodes]
    assert dropped[ops.index("sin")] and dropped[ops.index("add")]
    assert not dropped[ops.index("exp")] and not dropped[ops.index("tanh")]


@pytest.mark.parametrize("stage", ["forward", "backward"])
def test_a_part_past_its_time_limit_stops_between_nodes(stage):
    from bench.workloads import w3_program
    from verifygrad.process import deadline

    program, x = w3_program(400), {"x": np.linspace(-1, 1, 10)}
    values = numpy_engine.forward(program, x, "float64", ("x",))
    with deadline.limited(1e-9), pytest.raises(deadline.PartTimedOut):
        if stage == "forward":
            numpy_engine.forward(program, x, "float64", ("x",))
        else:
            numpy_engine.backward(program, values, np.ones(()), ("x",))
