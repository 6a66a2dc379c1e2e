"""A notebook cell whose saved output is an error ran only up to the statement its traceback points at: JAX's
`arr[0] = 10.` raised and changed nothing, so what is printed later is compared with the array as it was; a random draw
too large to make (a benchmark's 10000 x 10000 input) is listed, not drawn, and the rest of the page is read in seconds."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.test_tutorial_check import cli


def _notebook(cells: list[tuple[str, list[dict]]]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "execution_count": n, "metadata": {}, "source": source.splitlines(keepends=True), "outputs": outputs}
        for n, (source, outputs) in enumerate(cells, start=1)]}, indent=1)  # fmt: skip


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": [text]}


def _error(name: str, line: int | None) -> dict:
    frames = ["\x1b[0;31m-----\x1b[0m", f"\x1b[0;31m{name}\x1b[0m  Traceback (most recent call last)"]
    if line is not None:
        frames.append(f"Cell \x1b[0;32mIn[2], line {line}\x1b[0m\n\x1b[1;32m      1\x1b[0m y = 1.0\n\x1b[0;32m----> {line}\x1b[0m arr[0] = 10.0\n")
    return {"output_type": "error", "ename": name, "evalue": "immutable", "traceback": frames}


def _immutable(printed: str, line: int | None) -> str:
    return _notebook([
        ("import jax\nimport jax.numpy as jnp\narr = jnp.array([1.0, 2.0])\n", []),
        ("y = 1.0\narr[0] = 10.0\nprint(arr)\n", [_error("TypeError", line)]),
        ("print(arr)\nprint(jax.grad(lambda a: jnp.sum(a ** 2))(arr))\n", [_stream(printed)]),
    ])  # fmt: skip


@pytest.mark.parametrize(("printed", "status", "says"), [("[1. 2.]\n[2. 4.]\n", 0, "2 passed"), ("[1. 2.]\n[20. 4.]\n", 1, "claimed 20")])
def test_what_a_statement_that_raised_would_have_changed_is_not_applied(tmp_path: Path, printed: str, status: int, says: str) -> None:
    page = tmp_path / "immutable.ipynb"
    page.write_text(_immutable(printed, 2), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status and says in output, output
    assert "a statement that raised TypeError on the page" in output, output


def test_a_cell_that_raised_where_the_traceback_does_not_say_leaves_what_it_changes_unknown(tmp_path: Path) -> None:
    page = tmp_path / "unknown.ipynb"
    page.write_text(_immutable("[10.  2.]\n[20. 4.]\n", None), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert "FAIL" not in output and "a cell that raised TypeError on the page" in output, output
    assert code == 5, output


def test_a_benchmark_s_huge_random_input_is_listed_not_drawn(tmp_path: Path) -> None:
    page = tmp_path / "benchmark.ipynb"
    page.write_text(_notebook([
        ("import numpy as np\nimport torch\nimport jax\nfrom jax import random\nkey = random.PRNGKey(0)\n"
         "a = random.normal(key, shape=(3000, 5000))\nb = np.random.randn(10000, 10000)\ntorch.manual_seed(0)\nc = torch.randn(4000, 4000)\n", []),
        ("x = torch.tensor(2.0, requires_grad=True)\n(x ** 3).backward()\nprint(x.grad)\n", [_stream("tensor(12.)\n")]),
    ]), encoding="utf-8")  # fmt: skip
    started = time.monotonic()
    code, output = cli("check", "--no-color", str(page))
    assert code == 0 and "1 passed" in output, output
    assert output.count("elements (the reader draws at most 100000)") == 3, output
    assert time.monotonic() - started < 60, output


RULE_THEN_CALL = """# A custom function

```python
import torch

class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return grad_out * {rule}
```

It is applied later, in a block of its own:

```python
x = torch.tensor(2.0, requires_grad=True)
out = Cube.apply(x)
```
"""


@pytest.mark.parametrize(("rule", "status"), [("3 * x ** 2", 0), ("2 * x ** 2", 1)])
def test_a_custom_backward_applied_in_a_later_block_is_claimed_at_its_own_line(tmp_path: Path, rule: str, status: int) -> None:
    page = tmp_path / "cube.md"
    page.write_text(RULE_THEN_CALL.format(rule=rule), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status and "line 13 (custom backward)" in output, output
