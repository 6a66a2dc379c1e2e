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
    monkeypatch.setattr(numpy_engine, "_plans", {})  # NOTE: a plan decides its stand-ins when it is built
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


# --- the steps a plan builds per set of input shapes (issue 24: W3's per-node cost) -------------------------


def run_program(text: str, inputs: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    from verifygrad.language.parse import parse

    program, wrt = parse(text), tuple(inputs)
    values = numpy_engine.forward(program, inputs, "float64", wrt)
    value = float(values[-1])
    return value, numpy_engine.backward(program, values, np.ones(()), wrt)


def test_one_program_at_two_shapes_sums_each_broadcast_back() -> None:
    # f = sum(tanh(x + b) * b): df/dx = (1 - t^2) b and df/db = the sum over x's extra rows of (1 - t^2) b + t
    b = np.array([0.5, -1.0, 2.0])
    for x in (np.array([0.1, 0.2, -0.3]), np.array([[0.1, 0.2, -0.3], [1.0, -2.0, 0.25]])):
        value, grads = run_program("sum(tanh(x + b) * b)", {"x": x, "b": b})
        t = np.tanh(x + b)
        assert value == pytest.approx(np.sum(t * b), rel=1e-14)
        np.testing.assert_allclose(grads["x"], (1 - t * t) * b, rtol=1e-14)
        np.testing.assert_allclose(grads["b"], np.sum(np.reshape((1 - t * t) * b + t, (-1, 3)), axis=0), rtol=1e-14)
        assert grads["b"].shape == (3,)


def test_steps_are_built_per_shape_and_check_only_where_shapes_differ() -> None:
    from verifygrad.language.parse import parse

    program = parse("sum(tanh(x + b) * b)")
    plan = numpy_engine.plan(program, ("x", "b"))
    for x in (np.zeros(3), np.zeros((2, 3)), np.zeros(3)):
        numpy_engine.forward(program, {"x": x, "b": np.zeros(3)}, "float64", ("x", "b"))
    assert len(plan.sized) == 2  # one set of steps per set of input shapes, reused
    ops = [node.op for node in program.nodes]
    add, mul, b = ops.index("add"), ops.index("mul"), ops.index("input", ops.index("input") + 1)
    for shapes, steps in plan.sized.items():
        grads = [(step[0], step[5], step[6]) for step in steps.backward] + [(step[0], j, check) for step in steps.backward for _, j, check, _ in step[9]]
        checked = {(node, arg) for node, arg, check in grads if check}  # (node, argument) whose gradient is summed back
        assert checked == ({(add, b), (mul, b)} if shapes[0] == (2, 3) else set())


def test_a_chain_hands_each_gradient_on_without_storing_it() -> None:
    from bench.workloads import w3_program

    program, x = w3_program(40), np.linspace(-1, 1, 10)
    numpy_engine.forward(program, {"x": x}, "float64", ("x",))
    (steps,) = numpy_engine.plan(program, ("x",)).sized.values()
    chained = [step[8] for step in steps.backward]
    assert chained == [True] * (len(chained) - 1) + [False]  # the last step's gradient is x's own
    # the chain's gradient, against the closed form: each round y -> tanh(0.9 sin(y) + 0.1)
    value, grads = run_program_nodes(program, x)
    y, slope = x, np.ones_like(x)
    for _ in range(10):
        t = np.tanh(0.9 * np.sin(y) + 0.1)
        slope, y = slope * (1 - t * t) * 0.9 * np.cos(y), t
    assert value == pytest.approx(np.sum(y), rel=1e-14)
    np.testing.assert_allclose(grads["x"], slope, rtol=1e-13)


def run_program_nodes(program, x: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    values = numpy_engine.forward(program, {"x": x}, "float64", ("x",))
    value = float(values[-1])
    return value, numpy_engine.backward(program, values, np.ones(()), ("x",))


def test_a_small_value_is_never_replaced_by_a_stand_in() -> None:
    from verifygrad.language.parse import parse

    program = parse("sum(exp(sin(x)))")  # sin's value is read by no VJP: dropped when large, kept when small
    small = numpy_engine.forward(program, {"x": np.ones(5)}, "float64", ("x",))
    large = numpy_engine.forward(program, {"x": np.ones(5000)}, "float64", ("x",))
    sin = [node.op for node in program.nodes].index("sin")
    assert small[sin].strides == (8,) and large[sin].strides == (0,)


def test_a_ufunc_primitive_computes_on_arrays_and_records_on_traced_values() -> None:
    from verifygrad.language import derivatives
    from verifygrad.language.ops import prim
    from verifygrad.language.parse import parse

    assert prim.cos(np.zeros(2)).tolist() == [1.0, 1.0] and prim.add(np.ones(2), 2.0).tolist() == [3.0, 3.0]
    # recorded: the HVP program of sum(sin(x)) uses cos and sin through prim; d2/dx2 sin = -sin
    x = np.array([0.3, -1.1])
    derived = derivatives.hvp_program(parse("sum(sin(x))"), {"x": (2,)}, ("x",))
    ops = {node.op for node in derived.nodes}
    assert "cos" in ops or "sin" in ops
    from verifygrad.engines import numpy_second_order

    hv = numpy_second_order.hvp(parse("sum(sin(x))"), {"x": x}, "float64", ("x",), {"x": np.ones(2)})
    np.testing.assert_allclose(hv["x"], -np.sin(x), rtol=1e-14)
