"""Second order as a user sees it: case keys, every engine against closed forms, claims, symmetry, kinks, reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

from verifygrad.cases.load import load_file
from verifygrad.cases.problem import Overrides, prepare
from verifygrad.cases.second_order import hessian_key
from verifygrad.engines import EngineResult, run_engine
from verifygrad.engines.fd_second_order import second_derivative
from verifygrad.frontends.cli import main
from verifygrad.process import limits
from verifygrad.reports.json_report import REPORT_SCHEMA
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.symmetry import asymmetries

CASES = Path(__file__).resolve().parent.parent / "cases"
ENGINES = ("sympy", "numpy", "torch", "fd")


def case(tmp_path: Path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    cases, errors = load_file(path)
    assert not errors, errors
    return cases[0]


def problem_of(tmp_path: Path, text: str):
    return prepare(case(tmp_path, text), Overrides())


def report(*args: str) -> dict:
    done = CliRunner().invoke(main, ["run", "--json", "-", *args])
    return json.loads(done.stdout)


def test_bundled_second_order_cases_pass_and_the_wrong_hessian_and_jacobian_are_caught() -> None:
    run_report = report(str(CASES / "second_order.yaml"))
    jsonschema.validate(run_report, REPORT_SCHEMA)
    verdicts = {c["name"]: c["verdict"] for c in run_report["cases"]}
    assert verdicts.pop("wrong-hessian-of-quadratic-form") == "xfail"
    assert verdicts.pop("wrong-softmax-jacobian-formula") == "xfail"
    assert set(verdicts.values()) == {"passed"}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_finds_the_quadratic_form_hessian_a_plus_a_transpose(tmp_path: Path, engine: str) -> None:
    problem = problem_of(tmp_path, "name: q\nexpr: x @ A @ x\ninputs: {x: [1, -2, 0.5], A: [[2, 1, 0], [-1, 3, 4], [0.5, 0, 1]]}\nhessian: true\n")
    a = problem.inputs["A"]
    result = run_engine(engine, problem)
    assert result.ok, result.reason
    np.testing.assert_allclose(result.grads[hessian_key("x", "x")], a + a.T, rtol=1e-8, atol=1e-7)
    # d/dx_i d/dA_jk of x A x = [i=j] x_k + [i=k] x_j
    x = problem.inputs["x"]
    expected = np.einsum("ij,k->ijk", np.eye(3), x) + np.einsum("ik,j->ijk", np.eye(3), x)
    np.testing.assert_allclose(result.grads[hessian_key("x", "A")], expected, rtol=1e-8, atol=1e-7)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_finds_the_jvp_and_jacobian_of_a_matrix_product(tmp_path: Path, engine: str) -> None:
    text = "name: j\nexpr: mm(X, Y)\ninputs: {X: [[1, 2], [3, 4]], Y: [[0.5, -1], [2, 1]]}\njacobian: true\njvp: {X: 1, Y: [[0, 1], [1, 0]]}\n"
    problem = problem_of(tmp_path, text)
    x, y = problem.inputs["X"], problem.inputs["Y"]
    result = run_engine(engine, problem)
    np.testing.assert_allclose(result.grads["Jv"], np.ones((2, 2)) @ y + x @ np.array([[0, 1], [1, 0]]), rtol=1e-9)
    # d(XY)[i,j]/dX[k,l] = [i=k] Y[l,j]
    np.testing.assert_allclose(result.grads["J[X]"], np.einsum("ik,lj->ijkl", np.eye(2), y), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_large_inputs_compare_hessian_vector_products(tmp_path: Path, engine: str) -> None:
    problem = problem_of(tmp_path, "name: h\nexpr: sum(sin(x))\ninputs: {x: 'randn(300, seed=1)'}\nhessian: true\n")
    x, v = problem.inputs["x"], problem.second.directions["x"]
    result = run_engine(engine, problem)
    expected = -np.sin(x) * v
    if engine == "fd":  # u·(H v) along its own seeded directions u
        directions, found = result.directional["Hv[x]"]
        np.testing.assert_allclose(found, directions @ expected, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(result.grads["Hv[x]"], expected, rtol=1e-10, atol=1e-12)


def test_sympy_scalar_rule_is_checked_against_expansion_and_scales_to_large_inputs(tmp_path: Path) -> None:
    small = problem_of(tmp_path, "name: s\nexpr: mean(exp(sin(x))*x**2 + tanh(x))\ninputs: {x: [0.5, -1, 2]}\nhessian: true\n")
    result = run_engine("sympy", small)
    assert "second order: scalar rule, 30 digits, checked against element expansion" in result.detail and result.exact
    large = problem_of(tmp_path, "name: s\nexpr: mean(exp(sin(x))*x**2 + tanh(x))\ninputs: {x: 'randn(20000, seed=2)'}\nhessian: true\n")
    x, v = large.inputs["x"], large.second.directions["x"]
    e, s, c, t = np.exp(np.sin(x)), np.sin(x), np.cos(x), np.tanh(x)
    second = e * (c * c - s) * x**2 + 4 * e * c * x + 2 * e - 2 * t * (1 - t * t)  # f'' in closed form
    with limits.using(limits.with_settings(limits.DEFAULT_LIMITS, {"time_limit": 120})):  # NOTE: 5 s is not enough on a loaded CI machine
        result = run_engine("sympy", large)
    assert "scalar rule, float64, vectorized (not cross-checked" in result.detail, result.reason
    np.testing.assert_allclose(result.grads["Hv[x]"], second * v / x.size, rtol=1e-12, atol=1e-18)


def test_fd_second_difference_matches_a_closed_form_and_doubts_a_kink() -> None:
    def f(steps: dict) -> float:
        x = 0.7 + steps.get("x", 0.0)
        y = -0.3 + steps.get("y", 0.0)
        return float(np.exp(x * y) + x**3)

    mixed, doubtful = second_derivative(f, {"x": np.array(1.0)}, {"y": np.array(1.0)}, f({}))
    assert not doubtful and mixed == pytest.approx(np.exp(-0.21) * (1 + 0.7 * -0.3), rel=1e-8)
    kink = lambda steps: float(abs(steps.get("x", 0.0)) ** 1.5)  # noqa: E731 - |x|^1.5: f'' is infinite at 0
    _, doubtful = second_derivative(kink, {"x": np.array(1.0)}, {"x": np.array(1.0)}, 0.0)
    assert doubtful


def test_a_hessian_that_is_not_symmetric_is_a_finding(tmp_path: Path) -> None:
    problem = problem_of(tmp_path, "name: a\nexpr: sum(x * y)\ninputs: {x: [1, 2], y: [3, 4]}\nhessian: true\n")
    grads = {hessian_key("x", "x"): np.zeros((2, 2)), hessian_key("y", "y"): np.zeros((2, 2)), hessian_key("x", "y"): np.eye(2)}
    grads[hessian_key("y", "x")] = np.array([[1.0, 0.5], [0.0, 1.0]])
    found = asymmetries(problem, {"numpy": EngineResult("numpy", "ok", grads=grads)}, {key: (1e-12, 0.0) for key in grads})
    assert found == ["numpy's Hessian is not symmetric: H[x,y][1,0] = 0 but H[y,x][0,1] = 0.5"]


def test_a_wrong_hessian_claim_names_the_element_and_says_it_is_not_symmetric(tmp_path: Path) -> None:
    text = "name: w\nexpr: x @ A @ x\ninputs: {x: [1, 2], A: [[1, 2], [0, 3]]}\nwrt: [x]\nhessian: true\nexpect:\n  hessian: {x: [[2, 4], [0, 6]]}\n"
    outcome = check_case(case(tmp_path, text))
    assert outcome.verdict == "failed"
    assert any(
        r.startswith("claim hessian H[x,x]: wrong (H[x,x][0,1]: claimed 4, true 2)") and r.endswith("; the claimed Hessian is not symmetric")
        for r in outcome.reasons
    ), outcome.reasons


def test_hessian_formula_is_proven_or_shown_wrong_at_a_point(tmp_path: Path) -> None:
    text = "name: f\nexpr: x @ A @ x\ninputs: {x: [1, 2], A: [[1, 2], [0, 3]]}\nwrt: [x]\nhessian: true\nexpect:\n  hessian_formula: {x: A + A.T}\n"
    outcome = check_case(case(tmp_path, text))
    assert outcome.verdict == "passed" and outcome.quantities[-1].claims[0].text == "proven"
    outcome = check_case(case(tmp_path, text.replace("A + A.T", "2*A")))
    assert outcome.verdict == "failed" and "true H[x,x][0,1] = 2" in outcome.quantities[-1].claims[0].text


def test_relu_second_derivative_at_its_kink_is_a_note_and_strict_fails(tmp_path: Path) -> None:
    text = "name: k\nexpr: sum(relu(x) * x)\ninputs: {x: [0.0, 1.5]}\nhessian: true\n"
    outcome = check_case(case(tmp_path, text))
    assert outcome.verdict == "passed"
    assert any("relu'' is 0 almost everywhere and undefined at 0" in r for r in outcome.reasons)
    assert check_case(case(tmp_path, text + "subgradient: strict\n")).verdict == "failed"


def test_tolerances_of_second_order_quantities_come_from_the_budget(tmp_path: Path) -> None:
    outcome = check_case(case(tmp_path, "name: b\nexpr: sum(exp(30 * x))\ninputs: {x: [1.0, 0.5]}\nhessian: true\n"))
    tolerance = next(q.tolerance for q in outcome.quantities if q.quantity == "H[x,x]")
    assert tolerance.source == "budget" and tolerance.atol > 1e-16 * 900 * np.exp(30)  # ill-conditioned: wide
    assert outcome.verdict == "passed"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("hessian: true\n", "hessian: true needs a scalar output; the expression's value has shape 2"),
        ("jvp: {z: 1}\n", "jvp names 'z', which is not differentiated"),
        ("jvp: {x: [1, 2, 3]}\n", "jvp.x has shape 3; input 'x' has shape 2"),
        ("jacobian: true\nexpect:\n  jacobian: {'x,x': 1}\n", "expect.jacobian names 'x,x'"),
        ("jacobian: true\nexpect:\n  hessian: {x: 1}\n", "expect.hessian.x needs hessian: true"),
    ],
)
def test_second_order_keys_are_checked_with_a_line(tmp_path: Path, keys: str, message: str) -> None:
    outcome = check_case(case(tmp_path, "name: e\nexpr: tanh(x)\ninputs: {x: [1, 2]}\n" + keys))
    assert outcome.verdict == "error" and message in outcome.reasons[0] and "case.yaml:" in outcome.reasons[0]


def test_json_and_junit_carry_the_second_order_quantities(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("name: j\nexpr: logsumexp(x)\ninputs: {x: [0.5, -1, 2]}\nhessian: true\n")
    run_report = report(str(path))
    jsonschema.validate(run_report, REPORT_SCHEMA)
    entry = run_report["cases"][0]
    assert entry["second_order"]["quantities"] == {"H[x,x]": {"shape": [3, 3], "what": "the Hessian block H[x,x]"}}
    s = np.exp([0.5, -1, 2]) / np.exp([0.5, -1, 2]).sum()
    np.testing.assert_allclose(entry["engines"]["numpy"]["grads"]["H[x,x]"], np.diag(s) - np.outer(s, s), atol=1e-15)
    junit = CliRunner().invoke(main, ["run", "--junit-family", "xunit1", "--junit-xml", "-", str(path)]).stdout
    assert '<property name="H[x,x]" value="reference sympy; numpy' in junit


def test_the_hessian_panel_shows_the_matrix_with_the_claim_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("name: p\nexpr: x @ A @ x\ninputs: {x: [1, 2], A: [[1, 2], [0, 3]]}\nwrt: [x]\nhessian: true\nexpect:\n  hessian_formula: {x: 2*A}\n")
    output = CliRunner().invoke(main, ["run", "--no-color", str(path)], env={"COLUMNS": "200"}).output
    assert "H[x,x]: sympy (ref)" in output and "H[x,x]: claimed hessian_formula" in output
    assert re.search(r"^\s+H\[x,x\]\s+2x2\s", output, re.M)  # the row label is text, not rich markup
