# ruff: noqa: E501 - the table of error paths reads best one path per line
"""Every kind of bad input gives one message a person can act on: file:line, what was expected, what was found."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clihelp import run_cli, write

ERROR_PATHS = {
    "bad-yaml": ("name: a\nexpr: x\ninputs: {x: [1, 2}\n", "3: invalid YAML: did not find expected ',' or ']'"),
    "tab-yaml": ("name: a\n\texpr: x\n", "2: invalid YAML: found a tab character that violates indentation"),
    "unknown-key": (
        "name: a\nexpr: sum(x)\ninputs: {x: [1, 2]}\ntolerence: {rtol: 1}\n",
        "4: case 'a': unknown key 'tolerence'; did you mean 'tolerance'?",
    ),
    "nested-unknown-key": (
        "name: a\nexpr: sum(x)\ninputs: {x: [1, 2]}\ntolerance:\n  rtol: 1\n  atool: 3\n",
        "6: case 'a': unknown key 'atool' in tolerance; did you mean 'atol'?",
    ),
    "missing-key": ("name: a\ninputs: {x: 1}\n", "1: case 'a': missing required key 'expr'"),
    "no-inputs": ("name: a\nexpr: sum(x)\n", "2: expr: unknown name 'x' at column 5; inputs are: none"),
    "wrong-type": (
        "name: a\nexpr: sum(x)\ninputs: {x: [1, 2]}\nwrt: x\n",
        "4: case 'a': wrt must be a list of input names; found the text 'x'",
    ),
    "wrong-enum": (
        "name: a\nexpr: sum(x)\ninputs: {x: 1}\ndtype: float16\n",
        "4: case 'a': dtype must be one of float64, float32; found 'float16'",
    ),
    "not-a-mapping": ("- 1\n- 2\n", "1: expected a case (a mapping) or `cases:` a list, found a list"),
    "syntax": ("name: a\nexpr: sum(x\ninputs: {x: 1}\n", "2: expr: syntax error: '(' was never closed at column 4"),
    "unknown-function": (
        "name: a\nexpr: sum(foo(x))\ninputs: {x: [1, 2]}\n",
        "2: expr: unknown function 'foo' at column 5; known functions: abs,",
    ),
    "unknown-name": ("name: a\nexpr: sum(x + y)\ninputs: {x: [1, 2]}\n", "2: expr: unknown name 'y' at column 9; inputs are: x"),
    "shape": (
        "name: a\nexpr: sum(x @ y)\ninputs: {x: [1, 2], y: [1, 2, 3]}\n",
        "2: expr: @: inner dimensions of 2 and 3 differ (2 vs 3) at column 5",
    ),
    "bad-constant": (
        "name: a\nexpr: sum(x)\ninputs:\n  x: ones(2, -1)\n",
        "4: input 'x': ones() takes its shape as non-negative integers, got [2, -1] at column 1",
    ),
    "ragged": (
        "name: a\nexpr: sum(x)\ninputs:\n  x: [[1, 2], [3]]\n",
        "4: input 'x': the value is not rectangular (rows of different lengths)",
    ),
    "grad-output-missing": (
        "name: a\nexpr: x * 2\ninputs: {x: [1, 2]}\n",
        "2: the expression's value has shape 2, not a scalar: give `grad_output`",
    ),
    "grad-output-shape": (
        "name: a\nexpr: x * 2\ninputs: {x: [1, 2]}\ngrad_output: [1, 2, 3]\n",
        "4: grad_output has shape 3, the expression's value has shape 2",
    ),
    "wrt-not-input": ("name: a\nexpr: sum(x)\ninputs: {x: [1, 2]}\nwrt: [y]\n", "4: wrt names 'y', which is not an input; inputs are: x"),
    "claim-shape": (
        "name: a\nexpr: sum(x)\ninputs: {x: [1, 2]}\nexpect:\n  grad: {x: [1, 2, 3]}\n",
        "5: expect.grad.x has shape 3; the true one has shape 2",
    ),
    "claim-not-wrt": (
        "name: a\nexpr: sum(x)\ninputs: {x: [1, 2]}\nexpect:\n  grad: {z: 1}\n",
        "5: expect.grad names 'z', which is not differentiated; wrt: x",
    ),
    "duplicate": (
        "cases:\n  - name: a\n    expr: sum(x)\n    inputs: {x: 1}\n  - name: a\n    expr: sum(x)\n    inputs: {x: 2}\n",
        "5: duplicate case name 'a' (first at {path}:2)",
    ),
    "empty-cases": ("cases: []\n", "1: `cases` must be a non-empty list of cases"),
    "unquoted-braces": (
        "name: a\nexpr: sum(x)\ninputs: {x: ones(2, 2)}\n",
        "3: case 'a': inputs: an expression with commas inside {...} needs quotes",
    ),
}


@pytest.mark.parametrize("name", ERROR_PATHS)
def test_error_message(tmp_path: Path, name: str) -> None:
    text, message = ERROR_PATHS[name]
    path = write(tmp_path, f"{name}.yaml", text)
    code, out = run_cli(str(path), "-e", "numpy")
    assert code == 2
    expected = f"{path}:" + message.replace("{path}", str(path))
    assert expected in out, out
    assert out.splitlines()[-1].endswith("1 error")


def test_missing_file(tmp_path: Path) -> None:
    code, out = run_cli(str(tmp_path / "nope.yaml"))
    assert code == 2 and f"{tmp_path / 'nope.yaml'}: no such file or directory" in out


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.yaml", b"", "file is empty"),
        ("latin1.yaml", "name: caf\xe9\n".encode("latin-1"), "cannot read file: 'utf-8' codec can't decode byte 0xe9"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = write(tmp_path, name, data)
    code, out = run_cli(str(path))
    assert code == 2 and f"{path}: {message}" in out


def test_not_a_regular_file(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # reading it would block forever
    code, out = run_cli(str(fifo))
    assert code == 2 and f"{fifo}: not a regular file" in out
