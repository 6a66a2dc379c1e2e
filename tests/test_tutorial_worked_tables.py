"""A backprop example worked in numbers the way course notes write it: the forward pass as a list of steps (an error `e`
among them), the page's numbers given once, then tables whose rows put numbers in place of the symbols; each gradient
row is a claim about the derivative of the page's loss at those numbers. A name the code also binds is still defined
by the text's formula, and an exercise's list of functions all named alike is listed, not guessed."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli

PAGE = r"""# A neuron traced by hand

The forward pass, one step at a time:

1. $q = v \cdot t$
2. $s = q + c$
3. $\hat{p} = \sigma(s)$
4. $e = \hat{p} - p$
5. $L = e^2$

And backwards:

1. $\frac{\partial L}{\partial e} = 2e$
2. $\frac{\partial L}{\partial \hat{p}} = \frac{\partial L}{\partial e} \cdot 1 = 2e$
3. $\frac{\partial L}{\partial s} = 2e \cdot \sigma(s)(1 - \sigma(s))$

Now with numbers: $t = 3$, $v = 0.2$, $c = 0.4$, $p = 0$.

| Step | Computation | Value |
|------|-------------|-------|
| 1    | $q = 0.2 \times 3$ | $0.6$ |
| 2    | $s = 0.6 + 0.4$ | $1.0$ |
| 3    | $\hat{p} = \sigma(1.0)$ | $\approx 0.7311$ |

| Step | Gradient | Value |
|------|----------|-------|
| 1    | $\frac{\partial L}{\partial s} = 1.4622 \times 0.7311 \times (1 - 0.7311)$ | $\approx 0.2875$ |
| 2    | $\frac{\partial L}{\partial v} = 0.2875 \times 3$ | $\approx {dv}$ |
| 3    | $\frac{\partial L}{\partial c} = {dc}$ | $\approx 0.2875$ |
"""


def check(tmp_path: Path, text: str, name: str = "traced.md") -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text)
    return cli("check", "--no-color", "-v", str(path))


def test_each_gradient_row_is_the_derivative_at_the_numbers_of_the_forward_table(tmp_path: Path) -> None:
    code, output = check(tmp_path, PAGE.replace("{dv}", "0.8624").replace("{dc}", "0.2875 \\times 1"))
    assert code == 0, output
    assert "✓ line 13 (LaTeX): ∂/∂e_input formula 2 * e: proven" in output  # `e = \hat{p} - p` names an error, not Euler's number
    assert "✓ line 14 (LaTeX): ∂/∂p_hat formula 2 * (p_hat - p): proven" in output
    assert "✓ line 27 (LaTeX): ∂/∂s (1.4622 * 0.7311) * (1 - 0.7311): holds" in output
    assert "✓ line 28 (LaTeX): ∂/∂v 0.2875 * 3: holds" in output
    assert "✓ line 29 (LaTeX): ∂/∂c 0.2875 * 1: holds" in output
    assert "at c = tensor(0.4), p = tensor(0), t_input = tensor(3), v = tensor(0.2)" in output  # the table's numbers


def test_a_wrong_gradient_row_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, PAGE.replace("{dv}", "0.8624").replace("{dc}", "0.2875 \\times 3"))
    assert code == 1, output
    assert "✗ line 29 (LaTeX): ∂/∂c 0.2875 * 3: wrong (c: claimed 0.8625, true 0.287" in output


def test_the_text_defines_a_name_the_code_also_binds(tmp_path: Path) -> None:
    code_block = "\n```python\nimport numpy as np\np = np.zeros(3)\nL = np.sum(p ** 2)\ne = p - 1\n```\n"
    code, output = check(tmp_path, PAGE.replace("{dv}", "0.8624").replace("{dc}", "0.2875 \\times 1") + code_block)
    assert code == 0, output
    assert "✓ line 28 (LaTeX): ∂/∂v 0.2875 * 3: holds" in output
    code, output = check(tmp_path, PAGE.replace("{dv}", "0.8624").replace("{dc}", "0.2875 \\times 3") + code_block)
    assert code == 1 and "✗ line 29 (LaTeX): ∂/∂c 0.2875 * 3: wrong" in output, output


def test_an_exercise_list_of_functions_named_alike_is_listed_not_guessed(tmp_path: Path) -> None:
    page = (
        "# Practice\n\n**a)** $g = (2u - 1)^2$\n\n**b)** $g = \\tanh(3u)$\n\nAnswers:\n\n"
        "$$\n\\frac{dg}{du} = 4(2u - 1)\n$$\n\n$$\n\\frac{dg}{du} = 3(1 - \\tanh^2(3u))\n$$\n"
    )
    code, output = check(tmp_path, page)
    assert "✗" not in output, output  # each answer is right for its own g: compared with the other g, one would fail
    assert "line 10: LaTeX \\frac{dg}{du} = 4(2u - 1): not checked: g is not known here: it is defined at line 3 and again at line 5" in output


def test_a_new_example_with_other_inputs_does_not_reuse_the_first_ones_numbers(tmp_path: Path) -> None:
    second = (
        "\n## A second example\n\nTake $t = [1, 0]^T$ now.\n\n"
        "**Sigmoid derivative:** $\\sigma'(s) = \\sigma(s)(1 - \\sigma(s)) = 0.6028 \\times 0.3972 = 0.2394$\n"
    )
    code, output = check(tmp_path, PAGE.replace("{dv}", "0.8624").replace("{dc}", "0.2875 \\times 1") + second)
    assert code == 0, output  # s = 1.0 belongs to the first example: σ'(1.0) = 0.1966, not a fault of this line
    assert "line 35: LaTeX \\sigma'(s) = \\sigma(s)(1 - \\sigma(s)) = 0.6028 \\times 0.3972 = 0.2394: not checked" in output


def test_a_known_function_differentiated_at_a_worked_symbol(tmp_path: Path) -> None:
    page = "# Output layer\n\n- $s_2 = k \\cdot h + c_2 = -1.0 \\times 0.6225 + 0.5 = -0.1225$\n- $\\sigma'(s_2) = 0.4694 \\times 0.5306 = {value}$\n"
    code, output = check(tmp_path, page.replace("{value}", "0.2491"))
    assert code == 0, output
    assert "✓ line 4 (LaTeX): ∂/∂s_2 0.2491: holds" in output  # at s_2 = -0.1225, not at a symbol x of the page's
    code, output = check(tmp_path, page.replace("{value}", "0.2350"))
    assert code == 1 and "✗ line 4 (LaTeX): ∂/∂s_2 0.2350: wrong" in output, output


LINKED = r"""# Two neurons by hand

$L = (p - \hat{p})^2$

Given $u_1 = 0.5$, $c_1 = 0$, $u_2 = -1.0$, $c_2 = 0.5$, input $t = 1.0$ and target $p = 0$:

- $s_1 = u_1 \cdot t + c_1 = 0.5 \times 1.0 + 0 = 0.5$
- $h_1 = \sigma(0.5) \approx 0.6225$
- $s_2 = u_2 \cdot h_1 + c_2 = -1.0 \times 0.6225 + 0.5 = -0.1225$
- $\hat{p} = \sigma(-0.1225) \approx 0.4694$

Backwards:

- $\frac{\partial L}{\partial u_2} = 0.2338 \times 0.6225 = 0.1455$
- $\frac{\partial L}{\partial u_1} = {du}$
"""


def test_a_function_of_a_number_just_worked_out_is_a_function_of_that_quantity(tmp_path: Path) -> None:
    code, output = check(tmp_path, LINKED.replace("{du}", "-0.0549 \\times 1.0 = -0.0549"))
    assert code == 0, output  # \sigma(-0.1225) is \sigma(s_2): the loss reaches u_1 and u_2 through it
    assert "✓ line 14 (LaTeX): ∂/∂u_2 0.1455: holds" in output
    # -0.0549 is -0.2338 * 0.2350 of rounded numbers; the exact -0.05495 rounds to -0.0550: the page's rounding, held to it
    assert "✓ line 15 (LaTeX): ∂/∂u_1 -0.0549: holds" in output
    code, output = check(tmp_path, LINKED.replace("{du}", "-0.0649"))
    assert code == 1 and "✗ line 15 (LaTeX): ∂/∂u_1 -0.0649: wrong (u_1: claimed -0.0649, true -0.0549518" in output, output
