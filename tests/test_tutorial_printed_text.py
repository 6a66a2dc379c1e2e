"""Rules of text printed between values (``print("=" * 70)``) are text: the values printed around them stay claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_check import cli

PAGE = """```python
import torch
x = torch.tensor(2.0, requires_grad=True)
y = x ** 3
y.backward()
print("=" * 30)
print(f"dy/dx = {{x.grad}}")
print("-" * 10 + " done")
```
```
==============================
dy/dx = {printed}
---------- done
```
"""


@pytest.mark.parametrize(("printed", "status", "says"), [("12.0", 0, "✓ grad 12.0"), ("13.0", 1, "claimed 13.0, true 12")])
def test_a_printed_rule_of_text_does_not_hide_the_values_printed_beside_it(tmp_path: Path, printed: str, status: int, says: str) -> None:
    page = tmp_path / "rule.md"
    page.write_text(PAGE.format(printed=printed), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status and says in output, output


def test_values_on_other_lines_than_the_prints_put_them_are_not_paired(tmp_path: Path) -> None:
    """`f"f({x}) = {f(x)}"` prints two values on one line; an output that shows one number per line is not that
    print's, so its numbers are listed, not compared with x and f(x) in turn."""
    page = tmp_path / "labels.md"
    page.write_text(
        '```python\nimport jax\n\ndef f(x):\n    return x ** 2\n\nx = 3.0\nprint(f"f({x}) = {f(x)}")\n'
        "print(f\"f'({x}) = {jax.grad(f)(x)}\")\n```\n```\nf(3.0) = 9.0\nf'(3.0) = 6.0\n```\n",
        encoding="utf-8",
    )
    page.write_text(page.read_text(encoding="utf-8").replace("f(3.0) = 9.0\nf'(3.0) = 6.0", "9.0\n3.0\n6.0\n3.0"), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert "FAIL" not in output and "not on the lines the prints would give them" in output, output


@pytest.mark.parametrize(("second", "status", "says"), [("4.", 0, "∂/∂y 4: holds"), ("5.", 1, "claimed 5., true 4")])
def test_one_print_of_gradients_over_two_lines_is_paired(tmp_path: Path, second: str, status: int, says: str) -> None:
    page = tmp_path / "pair.md"
    page.write_text(
        "```python\nimport torch\nx = torch.tensor(2.0, requires_grad=True)\ny = torch.tensor(1.0, requires_grad=True)\n"
        "z = x ** 3 + 4 * y\nprint(torch.autograd.grad(z, [x, y]))\n```\n"
        f"```\n(tensor(12.),\n tensor({second}))\n```\n",
        encoding="utf-8",
    )
    code, output = cli("check", "--no-color", str(page))
    assert code == status and says in output and "not on the lines" not in output, output
