"""A backprop example worked in numbers in LaTeX: each number is a claim about the derivative of the page's network at
the page's numbers, which the reader takes from where the page writes a formula and then the same formula in numbers."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli

PAGE = r"""# One neuron by hand

The forward pass:

$$
\begin{align}
net_{h1} &= w_1 \cdot x_1 + b_1 \\
&= 0.3 \cdot 0.5 + 0.1 \\
&= 0.25
\end{align}
$$

$$
\begin{align}
out_{h1} &= \frac{1}{1+e^{-net_{h1}}} \\
&= 0.5621765
\end{align}
$$

$$
E_{total} = \frac{1}{2}\|target - out_{h1}\|^2 = \frac{1}{2}\|1.0 - 0.5621765\|^2 = 0.0958447
$$

The backward pass, by the chain rule:

$$
\begin{align}
\frac{\partial E_{total}}{\partial out_{h1}} &= -(target - out_{h1}) \\
&= -(1.0 - 0.5621765) \\
&= -0.4378235
\end{align}
$$

$$
\begin{align}
\frac{\partial out_{h1}}{\partial net_{h1}} &= out_{h1}(1 - out_{h1}) \\
&= 0.5621765(1 - 0.5621765) \\
&= 0.2461341
\end{align}
$$

$$
\begin{align}
\frac{\partial E_{total}}{\partial w_1} &= \frac{\partial E_{total}}{\partial out_{h1}} \cdot \frac{\partial out_{h1}}{\partial net_{h1}}
\cdot \frac{\partial net_{h1}}{\partial w_1} \\
&= -0.4378235 \cdot 0.2461341 \cdot 0.5 \\
&= {final}
\end{align}
$$
"""


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "worked.md"
    path.write_text(text)
    return cli("check", "--no-color", "-v", str(path))


def test_each_number_of_the_chain_rule_is_the_derivative_at_the_pages_numbers(tmp_path: Path) -> None:
    code, output = check(tmp_path, PAGE.replace("{final}", "-0.0538816"))
    assert code == 0, output
    assert "✓ line 47 (LaTeX): ∂/∂w_1 -0.0538816: holds: within the printed 7 decimals" in output
    assert "✓ line 38 (LaTeX): ∂/∂net_h1 0.2461341: holds" in output
    assert "at b_1 = tensor(0.1)" in output and "w_1 = tensor(0.3)" in output  # the numbers put in place of the symbols


def test_a_wrong_number_in_the_chain_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, PAGE.replace("{final}", "-0.069"))
    assert code == 1, output
    assert "✗ line 47 (LaTeX): ∂/∂w_1 -0.069: wrong (w_1: claimed -0.069, true -0.0538816" in output


def test_a_product_worked_from_rounded_numbers_holds_to_that_rounding(tmp_path: Path) -> None:
    # -0.4378235 * 0.2461341 * 0.5 is -0.05388165 where the exact derivative is -0.05388164: the page's rounding, not an error
    code, output = check(tmp_path, PAGE.replace("{final}", "-0.0538816"))
    assert "✓ line 46 (LaTeX): ∂/∂w_1 ((-0.4378235) * 0.2461341) * 0.5: holds: within the tolerance set" in output, output


def test_a_quantity_given_only_by_its_value_and_differentiated_elsewhere_is_not_held_fixed(tmp_path: Path) -> None:
    page = (
        PAGE.replace("{final}", "-0.0538816").replace(
            r"E_{total} = \frac{1}{2}\|target - out_{h1}\|^2 = \frac{1}{2}\|1.0 - 0.5621765\|^2 = 0.0958447",
            r"E_{total} = \frac{1}{2}\|target - out_{h1}\|^2 + E_{2}",
        )
        + "\n$E_{2} = 0.02$ and $\\frac{\\partial E_{2}}{\\partial out_{h1}} = 0.1$.\n"
    )
    code, output = check(tmp_path, page)
    assert "line 47: LaTeX \\frac{\\partial E_{total}}{\\partial w_1} = -0.0538816: not checked: it goes through E_2, which the page " \
           "gives no formula for and differentiates by out_h1" in output, output  # fmt: skip


def test_a_derivative_said_again_with_its_sign_taken_out_of_a_named_quantity_is_listed(tmp_path: Path) -> None:
    page = PAGE.replace("{final}", "-0.0538816") + (
        "\n$$\n\\delta = -(target - out_{h1}) out_{h1}(1 - out_{h1})\n$$\n\n"
        "$$\n\\frac{\\partial E_{total}}{\\partial w_1} = \\delta x_1\n$$\n\nSome books take the sign out of delta:\n\n"
        "$$\n\\frac{\\partial E_{total}}{\\partial w_1} = -\\delta x_1\n$$\n"
    )
    code, output = check(tmp_path, page)
    assert code == 0, output
    assert "not checked: the negative of what line 56 says of the same derivative: another convention's" in output


def test_labels_accents_and_bare_environments_are_read(tmp_path: Path) -> None:
    page = "# Labels\n\n\\begin{align}\n\\hat{y1} = w5 \\cdot h1 \\\\\n\\frac{\\partial \\hat{y1}}{\\partial w5} = h1\n\\end{align}\n"
    code, output = check(tmp_path, page)
    assert code == 0, output
    assert "✓ line 5 (LaTeX): ∂/∂w5 formula h1: proven" in output


def test_a_squared_norm_is_read_and_a_plain_one_is_not(tmp_path: Path) -> None:
    squared = "# Norm\n\n$$\nL = \\|w - 3\\|^2\n$$\n\n$$\n\\frac{\\partial L}{\\partial w} = 2(w - 3)\n$$\n"
    code, output = check(tmp_path, squared)
    assert code == 0 and "✓ line 8 (LaTeX): ∂/∂w formula 2 * (w - 3): proven" in output, output
    code, output = check(tmp_path, squared.replace("\\|^2", "\\|").replace("2(w - 3)", "1"))  # |w - 3| elementwise is not ‖w - 3‖
    assert code == 5 and "✓" not in output and "✗" not in output, output
