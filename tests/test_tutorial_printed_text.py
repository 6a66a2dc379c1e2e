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
