"""Hostile expressions and programs are refused before they are built, with a one-line error at their place.

Counts that an expression only names (diff's n, split and chunk counts, nested calls of functions calling each
other ten times) are checked as the expression grows, so that each refusal comes in seconds, not after
gigabytes; integer arguments beyond any shape are input errors, not an OverflowError; and a singular matrix
is each engine's "not verified: singular matrix", not an internal error.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.clihelp import run_cli, write
from tests.conftest import torch_installed

FAST = ("-e", "numpy", "-e", "fd")
ELEMENT_LIMIT = "the limit is 10000000 (--max-elements N)"


def nested_calls(levels: int, calls: int) -> str:
    """f0 multiplies by one; each f<i> calls f<i-1> `calls` times: calls**levels inlined calls in all."""
    program = "def f0(x):\n    return x * 1.0\n"
    for i in range(1, levels + 1):
        program += f"def f{i}(x):\n    y = x\n" + f"    y = f{i - 1}(y)\n" * calls + "    return y\n"
    return program + f"out = f{levels}(x).sum()\n"


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("sum(split(x, 0, 0)[0])", "split() takes a split size of at least 1, not 0"),
        ("sum(split(x, -2)[0])", "split() takes a split size of at least 1, not -2"),
        ("sum(tril(A, -10**30))", "tril() takes diagonal within"),
        ("sum(triu(A, 10**20))", "triu() takes diagonal within"),
        ("sum(diff(x, n=10**9))", "unrolls to over 100000 operations"),
        ("sum(diff(x, n=10**6))", "unrolls to over 100000 operations"),
        ("sum(np.array_split(x, 10**9)[0])", "array_split() makes 1 to 100000 pieces, not 1000000000"),
        ("sum(chunk(x, 10**9)[0])", "chunk() makes 1 to 100000 pieces, not 1000000000"),
        ("sum(chunk(x, 0)[0])", "chunk() makes 1 to 100000 pieces, not 0"),
        ("sum(np.split(x, 10**9)[0])", "np.split() makes 1 to 100000 pieces"),
        ("sum(repeat(x, 10**9))", "the tensors of this expression hold over 10000000 elements together at column 5; " + ELEMENT_LIMIT),
        ("sum(np.tile(x, (10**4, 10**4)))", "the tensors of this expression hold over 10000000 elements together at column 5; " + ELEMENT_LIMIT),
        ("sum(outer(np.tile(x, 2000), np.tile(x, 2000)))", "the tensors of this expression hold over 10000000 elements together at column 5; " + ELEMENT_LIMIT),
        ("sum(np.tile(x, 2000).reshape(-1, 1) + np.tile(x, 2000))", "hold over 10000000 elements together at column 5; " + ELEMENT_LIMIT),
        ("sum(eye(100000) * x[0])", "eye() would make 10000000000 elements at column 5; " + ELEMENT_LIMIT),
        ("sum(eye(3, 10**8) * x[0])", "eye() would make 300000000 elements at column 5; " + ELEMENT_LIMIT),
        # each operand broadcast over the 100 x 100 batch (torch copies them; the gradients are that size): 3 * 10**8 each
        (
            "sum(ones(100, 1, 1, 30000) @ ones(1, 100, 30000, 1) * x[0])",
            "matmul of 100x1x1x30000 and 1x100x30000x1 makes 594000000 elements of intermediates (its operands broadcast over the batch) at column 5; "
            + ELEMENT_LIMIT,
        ),
    ],
)
def test_hostile_counts_are_one_line_input_errors(tmp_path: Path, expr: str, message: str) -> None:
    inputs = "{A: [[1.0, 2.0], [3.0, 4.0]]}" if "A" in expr else "{x: [1.0, 2.0, 3.0]}"
    case = write(tmp_path, "c.yaml", f"name: c\nexpr: {json.dumps(expr)}\ninputs: {inputs}\n")
    start = time.perf_counter()
    code, output = run_cli(str(case), *FAST)
    assert time.perf_counter() - start < 30
    assert code == 2 and f"{case}:2: expr: " in output and message in output, output


def test_functions_calling_each_other_ten_times_are_refused_as_the_calls_grow(tmp_path: Path) -> None:
    program = "".join(f"  {line}\n" for line in nested_calls(7, 10).splitlines())  # 10**7 inlined calls
    case = write(tmp_path, "nested.yaml", f"name: nested\nexpr: |\n{program}inputs: {{x: [1.0, 2.0]}}\n")
    start = time.perf_counter()
    code, output = run_cli(str(case), *FAST)
    assert time.perf_counter() - start < 30
    assert code == 2 and "the program runs over 20000 loop iterations and function calls (here: a call of f0())" in output
    assert "nested.yaml:" in output


def test_a_few_nested_calls_still_compile(tmp_path: Path) -> None:
    program = "".join(f"  {line}\n" for line in nested_calls(2, 3).splitlines())  # 9 multiplications by one
    case = write(tmp_path, "nested.yaml", f"name: nested\nexpr: |\n{program}inputs: {{x: [1.0, 2.0]}}\nexpect: {{value: 3, grad: {{x: [1, 1]}}}}\n")
    code, output = run_cli(str(case), "-e", "numpy", "-e", "torch" if torch_installed() else "sympy")
    assert code == 0, output


SINGULAR = "{A: [[1.0, 2.0], [2.0, 4.0]]"


@pytest.mark.parametrize(("expr", "inputs"), [("sum(inv(A))", SINGULAR + "}"), ("sum(solve(A, b))", SINGULAR + ", b: [1.0, 1.0]}")])
def test_a_singular_matrix_is_not_verified_by_each_engine(tmp_path: Path, expr: str, inputs: str) -> None:
    case = write(tmp_path, "singular.yaml", f"name: singular\nexpr: {expr}\ninputs: {inputs}\n")
    code, output = run_cli(str(case), *FAST)
    # skipped by both engines, never passed: a run that verified nothing exits 1
    assert code == 1 and "0 passed, 0 failed, 1 skipped" in output, output
    assert "internal error" not in output and "LinAlgError" not in output
    assert "numpy skipped: not verified: singular matrix" in output and "fd skipped: not verified: singular matrix" in output
    assert f"{case}:1" in output
