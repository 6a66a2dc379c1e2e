"""`run --explain`: the derivative at the worst element, and a PyTorch script that prints the torch engine's numbers."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.helpers import make_problem
from verifygrad.cases.discover import load_cases
from verifygrad.cases.problem import Overrides, prepare
from verifygrad.engines import run_engine
from verifygrad.frontends.cli import main
from verifygrad.language.ops import OPS
from verifygrad.reports.reproducer import MAX_ELEMENTS, SPELLINGS, torch_script

CASES = Path(__file__).resolve().parent.parent / "cases"
# Runs each script in a fresh namespace and reports what it printed: one torch import for all of them.
DRIVER = """
import contextlib, io, json, sys
printed = []
for script in json.load(sys.stdin):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(script, {})
    printed.append(out.getvalue())
print(json.dumps(printed))
"""


def printed_numbers(output: str) -> dict[str, np.ndarray]:
    """{"value": ..., "x": ...} from the script's `value [...]` and `grad x [...]` lines."""
    numbers = {}
    for line in output.splitlines():
        *_, label, rest = line.split(" ", 2) if line.startswith("grad ") else line.split(" ", 1)
        numbers[label] = np.array(ast.literal_eval(rest))
    return numbers


def explain(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", "--no-color", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_every_op_has_a_torch_spelling() -> None:
    assert {op.torch for op in OPS.values()} <= set(SPELLINGS)


@pytest.mark.needs_torch
def test_scripts_print_the_torch_engine_s_numbers_bit_for_bit_on_every_bundled_case() -> None:
    from verifygrad.engines.torch_calls import torch_calls

    cases, errors = load_cases([CASES], None)
    assert not errors
    problems = [prepare(case, Overrides()) for case in cases]
    scripts = [torch_script(problem, "cpu", case.name) for case, problem in zip(cases, problems)]
    done = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(scripts), capture_output=True, text=True, check=True)
    for case, problem, output in zip(cases, problems, json.loads(done.stdout)):
        if case.engines and "torch" not in case.engines:
            continue  # NOTE: a case that leaves torch out on purpose (hardsigmoid: torch's float64 backward rounds 1/6 to float32)
        torch_result = run_engine("torch", problem)
        numbers = printed_numbers(output)
        if torch_calls(problem.program):
            continue  # NOTE: the engine runs such calls as written (torch's own kernel and kink rule); the script writes primitives
        np.testing.assert_array_equal(numbers["value"], torch_result.value, err_msg=case.name)
        for name in problem.wrt:
            np.testing.assert_array_equal(numbers[name], torch_result.grads[name], err_msg=f"{case.name} d/d{name}")


@pytest.mark.needs_torch
def test_a_script_runs_alone_without_verifygrad(tmp_path: Path) -> None:
    problem = make_problem("sum(a.t() @ b) + mean(a, dim=0, keepdim=True).sum()", a=[[1.0, 2.0], [3.0, 4.0]], b=[[5.0, -6.0], [7.0, 8.0]])
    script = torch_script(problem, "cpu", "alone")
    assert "import verifygrad" not in script and "from verifygrad" not in script
    # -I: isolated, neither the current directory nor PYTHONPATH is on sys.path, so verifygrad cannot be imported.
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path)
    numbers = printed_numbers(done.stdout)
    # sum(a.T @ b) = sum over k, i, j of a[k,i] b[k,j]: d/da[k,i] is row k of b summed, d/db[k,j] row k of a;
    # the mean over dim 0 of a 2-row matrix adds 1/2 to every element of d/da.
    np.testing.assert_allclose(numbers["a"], [[-1.0 + 0.5, -1.0 + 0.5], [15.0 + 0.5, 15.0 + 0.5]])
    np.testing.assert_allclose(numbers["b"], [[3.0, 3.0], [7.0, 7.0]])


@pytest.mark.needs_torch
def test_input_names_are_never_pasted_into_the_script() -> None:
    script = torch_script(make_problem("sum(out * t_2)", out=[1.0, 2.0], t_2=[3.0, 5.0]), "cpu", "clash")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    numbers = printed_numbers(done.stdout)
    assert numbers["value"] == 13.0
    np.testing.assert_array_equal(numbers["out"], [3.0, 5.0])
    np.testing.assert_array_equal(numbers["t_2"], [1.0, 2.0])


def test_the_title_stays_one_comment_line() -> None:
    script = torch_script(make_problem("sum(x)", x=[1.0]), "cpu", "name\nimport os\r\nos.system('x')\u2028y")
    assert script.splitlines()[0] == "# name import os os.system('x') y"


def test_inputs_too_large_are_not_written() -> None:
    with pytest.raises(ValueError, match=f"x \\({MAX_ELEMENTS + 1} elements\\)"):
        torch_script(make_problem("sum(x)", x=np.ones(MAX_ELEMENTS + 1)), "cpu", "big")


@pytest.mark.needs_torch
def test_explain_shows_the_derivative_at_the_worst_element_and_the_script() -> None:
    code, output = explain(str(CASES), "--explain", "wrong-gradient-forgot-the-mean")
    assert code == 0  # an expected mismatch, found
    assert "at the worst element  ∂/∂x[1,1] = x[1,1]/2 = 2 at x[1,1] = 4" in output
    assert "claimed grad" in output and "fd" in output  # the element table: every engine and the claim
    assert "in0 = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)  # input 1: 'x'" in output


def test_explain_exits_1_on_a_failing_case_and_points_at_the_wrong_element(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: c\nexpr: sum(x ** 3)\ninputs: {x: [1, 2, 3]}\nexpect: {grad: {x: [3, 12, 28]}}\n")
    code, output = explain(str(path), "--explain", "c")
    assert code == 1
    assert "∂/∂x[2] = 3*x[2]**2 = 27 at x[2] = 3" in output


def test_explain_names_the_cases_when_there_is_none_of_that_name() -> None:
    code, output = explain(str(CASES / "wrong_claims.yaml"), "--explain", "nope")
    assert code == 2
    assert "--explain: no case named 'nope'; cases: wrong-formula-right-at-one-point" in output
