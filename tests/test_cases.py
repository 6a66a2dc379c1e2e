"""The case loader: every error path names the file and line and says what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from verifygrad.cases.load import load_file
from verifygrad.cases.problem import Overrides, prepare


def load(tmp_path: Path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return load_file(path)


def only_error(tmp_path: Path, text: str) -> str:
    cases, errors = load(tmp_path, text)
    assert not cases and len(errors) == 1
    return str(errors[0]).replace(str(tmp_path / "case.yaml"), "case.yaml")


def test_one_case_per_file(tmp_path: Path) -> None:
    cases, errors = load(tmp_path, "name: a\nexpr: sum(x)\ninputs: {x: [1, 2]}\n")
    assert not errors and cases[0].name == "a" and cases[0].line == 1


def test_defaults_merge_into_each_case(tmp_path: Path) -> None:
    text = "defaults:\n  inputs: {x: 1}\n  dtype: float32\ncases:\n  - {name: a, expr: x}\n  - {name: b, expr: x, dtype: float64}\n"
    cases, errors = load(tmp_path, text)
    assert not errors
    assert [(c.name, c.dtype, c.inputs, c.line) for c in cases] == [("a", "float32", {"x": 1}, 5), ("b", "float64", {"x": 1}, 6)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\nexpr: x\ninput: {x: 1}\n", "case.yaml:3: case 'a': unknown key 'input'; did you mean 'inputs'?"),
        (
            "name: a\nexpr: x\ninputs: {x: 1}\ndtype: float16\n",
            "case.yaml:4: case 'a': dtype must be one of float64, float32; found 'float16'",
        ),
        ("name: a\ninputs: {x: 1}\n", "case.yaml:1: case 'a': missing required key 'expr'"),
        ("name: a\nexpr: x\ninputs: {x: 1\n", "case.yaml:4: invalid YAML"),
        ("name: a\nexpr: x\ninputs: [1, 2]\n", "case.yaml:3: case 'a': inputs must be a mapping of input name to value; found a list"),
        ("name: a\nexpr: x\ninputs: {x: 1}\ntolerance: {rtol: big}\n", "case.yaml:4: case 'a': tolerance.rtol must be a number"),
        (
            "name: a\nexpr: x\ninputs: {x: 1}\nexpect:\n  grads: {x: 1}\n",
            "case.yaml:5: case 'a': unknown key 'grads' in expect; did you mean 'grad'?",
        ),
        ("name: a\nexpr: x\ninputs: {x: ones(2, 2)}\n", "needs quotes"),
        ("!!python/object/apply:os.system ['echo pwned']\n", "case.yaml:1: invalid YAML: could not determine a constructor"),
        ("- 1\n- 2\n", "case.yaml:1: expected a case (a mapping) or `cases:` a list, found a list"),
        ("", "case.yaml: file is empty"),
        ("cases: []\n", "case.yaml:1: `cases` must be a non-empty list of cases"),
        ("cases:\n  - {name: a, expr: x, inputs: {x: 1}}\nextra: 1\n", "case.yaml:3: unknown key 'extra'"),
        ("name: a\nexpr: x\ninputs: {x: 1}\nengines: [jax]\n", "engines.0 must be one of sympy, numpy, torch"),
    ],
)
def test_load_errors(tmp_path: Path, text: str, message: str) -> None:
    assert message in only_error(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\nexpr: frobnicate(x)\ninputs: {x: 1}\n", ":2: expr: unknown function 'frobnicate' at column 1; known functions"),
        ("name: a\nexpr: x.mm(y)\ninputs: {x: 'ones(2, 3)', y: 'ones(2, 3)'}\n", ":2: expr: mm: inner dimensions of 2x3 and 2x3 differ"),
        ("name: a\nexpr: x * 2\ninputs: {x: [1, 2]}\n", ":2: the expression's value has shape 2, not a scalar: give `grad_output`"),
        (
            "name: a\nexpr: x * 2\ninputs: {x: [1, 2]}\ngrad_output: [1, 2, 3]\n",
            ":4: grad_output has shape 3, the expression's value has shape 2",
        ),
        ("name: a\nexpr: x\ninputs:\n  x: 'zeros(-1)'\n", ":4: input 'x': zeros() takes its shape as non-negative integers"),
        ("name: a\nexpr: x\ninputs:\n  x: [[1, 2], [3]]\n", ":4: input 'x': the value is not rectangular"),
        ("name: a\nexpr: x\ninputs: {x: 1}\nwrt: [y]\n", ":4: wrt names 'y', which is not an input"),
        (
            "name: a\nexpr: x\ninputs:\n  x: 1\nexpect:\n  grad: {x: [1, 2]}\n",
            ":6: expect.grad.x has shape 2; the true one has shape scalar",
        ),
        ("name: a\nexpr: x\ninputs:\n  x: 1\nexpect:\n  formula: {x: 'frobnicate(x)'}\n", ":6: expect.formula.x: unknown function 'frobnicate'"),
    ],
)
def test_preparation_errors(tmp_path: Path, text: str, message: str) -> None:
    from verifygrad.errors import CaseError
    from verifygrad.verdict.claims import read_claims

    (case,), errors = load(tmp_path, text)
    assert not errors
    with pytest.raises(CaseError) as err:
        read_claims(case, prepare(case, Overrides()))
    assert message in str(err.value)
