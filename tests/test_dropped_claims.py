"""A claim that cannot be read is listed as not checked, and its file does not pass (exit 2, with its line).

Two ways a tutorial's claim used to vanish: past the document's budget of math spans, and LaTeX nested so
deeply that its reader gives up. In both a wrong claim went with exit 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from verifygrad.frontends.cli import main
from verifygrad.tutorials.findings import MAX_MATH_SPANS

CODE = "# Squares\n\n```python\nimport torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x ** 2\ny.backward()\nprint(x.grad)\n```\n\n"


def nested_fraction(depth: int) -> str:
    text = "3x"
    for _ in range(depth):
        text = "\\frac{" + text + "}{1}"
    return text


@pytest.mark.parametrize(
    ("prose", "says"),
    [
        ("$a$ " * MAX_MATH_SPANS + "\n\nSo $\\frac{dy}{dx} = 3x$.\n", f"1 math spans after the first {MAX_MATH_SPANS} of the document were not read"),
        ("So $\\frac{dy}{dx} = " + "\\left(" * 200 + "3x" + "\\right)" * 200 + "$.\n", "not checked: the math is nested too deeply to read"),
        ("So $\\frac{dy}{dx} = " + nested_fraction(200) + "$.\n", "not checked: the math is nested too deeply to read"),
    ],
    ids=["past the span budget", "left( 200 deep", "frac 200 deep"],
)
def test_a_claim_that_is_not_read_is_listed_and_the_file_does_not_pass(tmp_path: Path, prose: str, says: str) -> None:
    path = tmp_path / "t.md"
    path.write_text(CODE + prose, encoding="utf-8")
    line = 1 + (CODE + prose).split("\n").index(next(text for text in prose.split("\n") if "dy" in text))
    result = CliRunner().invoke(main, ["check", "--no-color", str(path), "-e", "numpy", "-e", "fd"], env={"COLUMNS": "1000"})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{path}:{line}: {says}" in result.output or f"{path}:{line}: not checked: {says}" in result.output, result.output


def test_the_same_claim_read_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text(CODE + "So $\\frac{dy}{dx} = " + nested_fraction(3) + "$.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--no-color", str(path), "-e", "numpy", "-e", "fd"], env={"COLUMNS": "1000"})
    assert result.exit_code == 1 and "wrong" in result.output, result.output  # 3x is not dy/dx = 2x
