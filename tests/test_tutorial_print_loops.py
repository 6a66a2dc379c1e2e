"""Gradients printed inside a loop over an array's rows or a list of tensors: the loop is unrolled (as a program's loop
over a list of tensors is), each pass's printed lines tied to that pass in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_check import cli

ROWS = """```python
import jax
import jax.numpy as jnp

def cubes(p):
    return jnp.sum(p ** 3) / 3.0

points = jnp.array([[1.0, 2.0], [3.0, -1.0]])
for p in points:
    print("point:", p)
    print("gradient:", jax.grad(cubes)(p))
    print()
```

```
point: [1. 2.]
gradient: [1. 4.]

point: [ 3. -1.]
gradient: {second}

```
"""


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return cli("check", "--no-color", str(page))


@pytest.mark.parametrize(("second", "status", "says"), [("[9. 1.]", 0, "✓ line 20 (printed output): ∂/∂p [9, 1]: holds"),
                                                        ("[9. 2.]", 1, "✗ line 20 (printed output): ∂/∂p [9, 2]: wrong")])  # fmt: skip
def test_a_loop_over_the_rows_of_an_array_ties_each_pass(tmp_path: Path, second: str, status: int, says: str) -> None:
    code, output = check(tmp_path, ROWS.replace("{second}", second))  # the gradient of sum(p^3)/3 is p^2
    assert code == status and says in output, output
    assert "✓ line 17 (printed output): ∂/∂p [1, 4]: holds" in output and "not tied" not in output, output


LIST = """```python
import torch

weights = [torch.tensor(1.5, requires_grad=True), torch.tensor(-2.0, requires_grad=True)]
for w in weights:
    loss = w ** 2 + 3 * w
    loss.backward()
    print(w.grad)
```

```
tensor(6.)
tensor({second})
```
"""


@pytest.mark.parametrize(("second", "status", "says"), [("-1.", 0, " -1: holds"), ("1.", 1, " 1: wrong")])
def test_a_loop_over_a_list_of_tensors_ties_each_pass(tmp_path: Path, second: str, status: int, says: str) -> None:
    code, output = check(tmp_path, LIST.replace("{second}", second))  # 2w + 3
    assert code == status and f"line 13 (printed output): ∂/∂x{says}" in output, output
    assert "✓ line 12 (printed output): ∂/∂x 6: holds" in output, output


def test_a_loop_over_something_the_reader_does_not_know_is_not_read(tmp_path: Path) -> None:
    text = LIST.replace("for w in weights:", "for w in load_weights():")
    code, output = check(tmp_path, text.replace("{second}", "1."))
    assert "FAIL" not in output and "a for loop" in output, output
