"""The finite-difference engine: closed forms, its own tolerance, directional checks on large inputs."""

from __future__ import annotations

import time

import numpy as np
import pytest
from click.testing import CliRunner

from tests.helpers import make_problem
from tests.test_engines import CLOSED_FORMS
from verifygrad.engines import EngineResult, fd_engine, run_engine
from verifygrad.engines.fd_engine import FD_ATOL, FD_RTOL, MAX_PER_ELEMENT, fd_tolerance
from verifygrad.frontends.cli import main
from verifygrad.verdict.compare import compare_engines, reference_engine


def fd(expr: str, **inputs) -> EngineResult:
    result = run_engine("fd", make_problem(expr, **inputs))
    assert result.ok, result.reason
    return result


@pytest.mark.parametrize("op", list(CLOSED_FORMS))
def test_fd_matches_closed_form_within_its_tolerance(op: str) -> None:
    expr, inputs, value, grads = CLOSED_FORMS[op]
    result = fd(expr, **inputs)
    rtol, atol = fd_tolerance(0.0, 0.0)
    np.testing.assert_allclose(result.value, value, rtol=1e-12, atol=1e-14)
    for name, grad in grads.items():
        np.testing.assert_allclose(result.grads[name], grad, rtol=rtol, atol=atol, err_msg=f"d/d{name}")
    assert result.unchecked == {}  # smooth at every input: nothing doubted


def test_fd_is_much_better_than_its_tolerance_on_smooth_functions() -> None:
    # Richardson leaves t**4 truncation: the error of exp' at 1.5 is far below FD_RTOL.
    assert abs(fd("sum(exp(x))", x=[1.5]).grads["x"][0] - np.exp(1.5)) < 1e-9


def test_fd_leaves_out_a_kink_and_says_so() -> None:
    result = fd("sum(relu(x)) + sum(abs(x))", x=[0.0, 1.0, -2.0])
    np.testing.assert_array_equal(result.unchecked["x"], [True, False, False])
    np.testing.assert_allclose(result.grads["x"][1:], [2.0, -1.0], rtol=1e-9)
    assert "x[0] not compared (not smooth within the step" in result.detail
    torch_like = EngineResult("numpy", "ok", value=np.asarray(3.0), grads={"x": np.array([0.0, 2.0, -1.0])})
    assert compare_engines({"numpy": torch_like, "fd": result}, "x", 1e-7, 1e-9)[1]["fd"].ok


def test_fd_leaves_out_a_step_outside_the_domain() -> None:
    result = fd("sum(log(x))", x=[1e-4, 2.0])
    np.testing.assert_array_equal(result.unchecked["x"], [True, False])
    assert result.grads["x"][1] == pytest.approx(0.5, rel=1e-9)


def test_a_step_of_round_finer_than_fd_s_step_is_left_out_not_read_as_a_slope() -> None:
    """round(x, decimals=3) is flat between jumps 1e-3 apart, closer than fd's step: the differences saw a slope near 1
    (torch's OpInfo sample was a FAIL, 'fd is off'). A move across a jump is doubted; one that stays on a step is 0."""
    result = fd("sum(round(x * 1000) / 1000 * w) + sum(floor(y * 4) + y * y)", x=[-2.586934304, 1.725430806], w=[1.0, 2.0], y=[0.6])
    np.testing.assert_array_equal(result.unchecked["x"], [True, True])
    assert "y" not in result.unchecked
    assert result.grads["y"][0] == pytest.approx(1.2, rel=1e-9)  # floor(4y) stays 2 within the step: only y**2 moves


def test_steps_are_seen_in_a_large_array_too() -> None:
    """Above 1,024 elements the numpy forward keeps only a stand-in of an intermediate the backward pass does not read:
    the step nodes are kept for fd to compare (51 of 1,200 slopes near 1 had been compared, where the truth is 0)."""
    x = np.linspace(-2.5, 2.5, 1200) + 0.0001234
    result = fd("sum(round(x * 1000) / 1000 * w)", x=x, w=np.ones(1200))
    assert result.unchecked["x"].all()


def test_a_zero_derivative_with_a_large_third_derivative_is_not_doubted() -> None:
    result = fd("sum(x ** 3)", x=[0.0, 1.0])  # central differences of x**3 at 0 are t**2: Richardson removes it
    assert result.unchecked == {}
    np.testing.assert_allclose(result.grads["x"], [0.0, 3.0], atol=1e-12)


def test_directions_through_many_kinks_are_left_out() -> None:
    x = np.random.default_rng(3).standard_normal(10**5)
    result = fd("sum(relu(x))", x=x)
    assert result.unchecked["x"].tolist() == [True] * fd_engine.DIRECTIONS
    assert f"{fd_engine.DIRECTIONS} of {fd_engine.DIRECTIONS} directions for x not compared" in result.detail


def test_fd_never_runs_a_vjp(monkeypatch: pytest.MonkeyPatch) -> None:
    from verifygrad.engines import numpy_engine

    monkeypatch.setattr(numpy_engine, "backward", lambda *args: pytest.fail("fd called the backward pass"))
    assert fd("sum(x * x)", x=[3.0]).grads["x"][0] == pytest.approx(6.0, rel=1e-9)


def test_fd_weights_a_non_scalar_output_by_grad_output() -> None:
    result = run_engine("fd", make_problem("x * x", grad_output=[1.0, 10.0], x=[3.0, 4.0]))
    np.testing.assert_allclose(result.grads["x"], [6.0, 80.0], rtol=1e-9)


def test_fd_computes_in_float64_for_a_float32_case() -> None:
    result = run_engine("fd", make_problem("sum(x * x)", dtype="float32", x=[0.1]))
    assert result.grads["x"][0] == pytest.approx(0.2, rel=1e-9)


def test_fd_tolerance_is_the_case_s_but_never_tighter_than_fd_s_error() -> None:
    assert fd_tolerance(1e-7, 1e-9) == (FD_RTOL, FD_ATOL)
    assert fd_tolerance(1e-4, 1e-5) == (1e-4, 1e-5)


def test_fd_switches_to_random_directions_above_the_element_limit() -> None:
    small = fd("sum(x * x)", x=np.ones(MAX_PER_ELEMENT))
    assert "x" in small.grads and not small.directional and f"{MAX_PER_ELEMENT} elements" in small.detail
    large = fd("sum(x * x)", x=np.ones(MAX_PER_ELEMENT + 1))
    assert "x" not in large.grads and "4 random directions for x (2001 elements > 2000)" in large.detail


def test_fd_on_a_million_elements_takes_seconds_and_matches_the_closed_form() -> None:
    x = np.random.default_rng(1).standard_normal(10**6)
    start = time.perf_counter()
    result = fd("sum(sin(x) * x)", x=x)
    assert time.perf_counter() - start < 10
    assert result.detail == f"fd: {fd_engine.DIRECTIONS} random directions for x (1000000 elements > 2000)"
    directions, slopes = result.directional["x"]
    assert directions.shape == (fd_engine.DIRECTIONS, 10**6)
    np.testing.assert_allclose(slopes, directions @ (np.cos(x) * x + np.sin(x)), rtol=FD_RTOL)


def _directional_against(grad: np.ndarray, x: np.ndarray) -> bool:
    """Whether fd's directional check agrees with a reference whose gradient is ``grad``."""
    reference = EngineResult("numpy", "ok", value=np.asarray(0.0), grads={"x": grad})
    results = {"numpy": reference, "fd": fd("sum(x * x)", x=x)}
    _, differences = compare_engines(results, "x", 1e-7, 1e-9)
    return differences["fd"].ok


def test_directional_check_passes_the_true_gradient_and_catches_wrong_ones() -> None:
    x = np.random.default_rng(2).standard_normal(5000)
    assert _directional_against(2 * x, x)
    assert not _directional_against(2 * x * 1.001, x)  # a 0.1% error everywhere
    assert not _directional_against(x, x)  # the factor 2 forgotten
    assert not _directional_against(2 * x + np.eye(5000)[17] * 50, x)  # one element far off


def test_fd_is_never_the_reference() -> None:
    ok = EngineResult("x", "ok")
    assert reference_engine({"fd": ok, "torch": ok}) == "torch"
    assert reference_engine({"fd": ok}) is None


def test_table_shows_directional_cells_and_the_mode(tmp_path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: big\nexpr: sum(x * x)\ninputs: {x: 'randn(3000)'}\nengines: [numpy, fd]\n")
    result = CliRunner().invoke(main, ["run", "--no-color", "-v", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "✓ dir " in result.output
    assert "fd: 4 random directions for x (3000 elements > 2000)" in result.output


def test_fd_alone_with_sympy_checks_a_case_and_fd_alone_does_not(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: c\nexpr: mean(5*(x+1)**2)\ninputs: {x: 'arange(0, 4)'}\nexpect: {grad: {x: [2.5, 5, 7.5, 10]}}\n")
    assert CliRunner().invoke(main, ["run", "-e", "sympy", "-e", "fd", str(path)]).exit_code == 0
    alone = CliRunner().invoke(main, ["run", "-e", "fd", str(path)])
    assert "only fd ran" in alone.output


def test_a_kink_reads_unchecked_in_the_table_and_passes(tmp_path) -> None:
    path = tmp_path / "kink.yaml"
    path.write_text("name: kink\nexpr: sum(relu(x)) + sum(abs(x))\ninputs: {x: [0, 1, -2]}\n")
    result = CliRunner().invoke(main, ["run", "--no-color", "-v", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "(1 unchecked)" in result.output
    assert "0.5 ?" in result.output and "x[0] not compared" in result.output


def test_a_doubted_scalar_input_is_named_plainly() -> None:
    result = fd("relu(x)", x=0.0)
    assert result.unchecked["x"].shape == () and "; x not compared" in result.detail


def test_near_a_pole_each_slope_is_within_fd_tolerance_or_doubted() -> None:
    # tan around its pole at -5pi/2: the higher derivatives explode; fd must be right where it vouches, or say it doubts
    x = np.linspace(-8.2, -7.6, 600)
    result = fd("sum(tan(x) * 0.5)", x=x)
    truth = 0.5 / np.cos(x) ** 2
    within = np.abs(result.grads["x"] - truth) <= FD_RTOL * np.abs(truth) + FD_ATOL + result.rounding["x"]
    assert np.all(within | result.unchecked["x"])
    assert within.sum() > 300  # and it vouches for most of them


def test_blame_by_agreement_names_an_element_fd_vouches_for() -> None:
    from verifygrad.verdict.blame import mismatch_reasons

    problem = make_problem("sum(x * x)", x=np.array([1.0, 2.0, 3.0]))
    results = {name: run_engine(name, problem) for name in ("numpy", "torch", "fd")}
    fd_result = results["fd"]
    fd_result.grads["x"] = np.array([2.0, 4.001, -50.0])  # off at x[1]; x[2] far off but doubted
    fd_result.unchecked["x"] = np.array([False, False, True])
    reference, differences = compare_engines({k: v for k, v in results.items() if k != "sympy"}, "x", 1e-9, 1e-12)
    reasons = mismatch_reasons(results, "x", reference, differences, 1e-9, 1e-12, "float64")
    assert reasons and reasons[0].startswith("fd is off on ∂/∂x (by agreement only: numpy and torch agree): x[1] = 4.001 vs numpy 4"), reasons
