"""A function written as a word in a font command (`\\text{Sigmoid}(z)`, `\\operatorname{ReLU}(x)`) is applied, never a
product of a variable `Sigmoid` and z; a hand step on numbers rounded earlier (`0.731 \\cdot 0.269`) holds within the
rounding those numbers carry, and a wrong one still fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_check import cli

PAGE = r"""# One neuron by hand

The forward pass, with $x = 0.5$ and $w = 2.0$:

$$
z = w \cdot x = 2.0 \cdot 0.5 = 1.0 \\
a = \text{{Sigmoid}}(z) = \frac{{1}}{{1 + e^{{-1}}}} \approx 0.731
$$

Its derivative:

$$
\frac{{da}}{{dz}} = {formula} = {numbers}
$$
"""


@pytest.mark.parametrize(
    ("formula", "numbers", "status", "says"),
    [
        ("a (1 - a)", r"0.731 \cdot 0.269", 0, "2 passed"),  # sigmoid'(1) = 0.196612; 0.731 * 0.269 = 0.196639
        ("a (1 - a)", r"0.731 \cdot 0.369", 1, "claimed 0.269739"),
        ("a (1 + a)", r"0.731 \cdot 0.269", 1, "∂/∂z formula"),
    ],
)
def test_a_word_in_a_font_command_is_a_function_and_rounded_hand_steps_hold(tmp_path: Path, formula: str, numbers: str, status: int,
                                                                             says: str) -> None:  # fmt: skip
    page = tmp_path / "neuron.md"
    page.write_text(PAGE.format(formula=formula, numbers=numbers), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status and says in output, output
    assert "Sigmoid *" not in output, output


def test_an_unknown_capitalised_function_is_listed_not_multiplied(tmp_path: Path) -> None:
    page = tmp_path / "softplus.md"
    page.write_text("$$\na = \\text{Softplus}(z)\n$$\n\n$$\n\\frac{da}{dz} = \\text{Sigmoid}(z)\n$$\n", encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert "FAIL" not in output and "Softplus *" not in output, output


REDEFINED = r"""# Derivatives

For a function $f(x) = x^2$ the slope at a point is its derivative.

Now, for example, consider the function $f(x) = x^3 - 2x$: by the power rule, we find that $f'(x) = {derivative}$.
"""


@pytest.mark.parametrize(("derivative", "status"), [("3x^2 - 2", 0), ("3x^2", 1)])
def test_a_function_defined_again_is_the_one_its_own_sentence_differentiates(tmp_path: Path, derivative: str, status: int) -> None:
    page = tmp_path / "again.md"
    page.write_text(REDEFINED.format(derivative=derivative), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status and "line 5" in output, output
    assert "which one is meant is not known" not in output.split("line 5")[1].splitlines()[0], output
