"""Hand-written backprop as blog pages show it: torch's rounded reprs, Quarto's indented outputs, loops that stop on a
value the reader computes."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli

TORCH = """```python
import torch
a = torch.tensor(-3., requires_grad=True)
b = torch.tensor(5., requires_grad=True)
l = torch.sigmoid(a * 3.0 + b) ** 2
l.backward()
print(a.grad, b.grad)
```

```
{output}
```
"""


def test_a_torch_repr_states_its_four_decimals_however_few_digits_it_shows(tmp_path: Path) -> None:
    path = tmp_path / "rounded.md"
    path.write_text(TORCH.format(output="tensor(0.0019) tensor(0.0006)"))  # the true values: 0.00190611, 0.00063537
    code, output = cli("check", "--no-color", "-v", str(path))
    assert code == 0, output
    assert "∂/∂a 0.0019: holds: within the printed 4 decimals" in output


def test_a_wrong_rounded_torch_repr_still_fails(tmp_path: Path) -> None:
    path = tmp_path / "rounded.md"
    path.write_text(TORCH.format(output="tensor(0.0014) tensor(0.0006)"))
    code, output = cli("check", "--no-color", str(path))
    assert code == 1, output
    assert "claim grad.a: wrong (a: claimed 0.0014, true 0.00190611; held to the printed 4 decimals" in output


QUARTO = """# Gradient descent

``` python
x = 4.0
alpha = 0.25
for i in range(10):
    loss = x ** 2
    dloss_dx = 2 * x
    print(f"dloss_dx = {{dloss_dx:.4f}}")
    if loss < {stop}:
        break
    x = x - alpha * dloss_dx
```

    dloss_dx = 8.0000
    dloss_dx = {second}
    dloss_dx = 2.0000
"""


def quarto(tmp_path: Path, stop: str = "1.5", second: str = "4.0000") -> tuple[int, str]:
    path = tmp_path / "quarto.md"
    path.write_text(QUARTO.format(stop=stop, second=second))
    return cli("check", "--no-color", "-v", str(path))


def test_each_pass_of_a_loop_that_stops_on_its_loss_claims_its_own_gradient(tmp_path: Path) -> None:
    code, output = quarto(tmp_path)  # losses 16, 4, 1: the loop stops at the third pass
    assert code == 0, output
    assert "✓ line 16 (printed output): ∂/∂x 4: holds: within the printed 4 decimals" in output
    assert "✓ line 17 (printed output): ∂/∂x 2: holds: within the printed 4 decimals" in output


def test_a_wrong_gradient_printed_in_one_pass_fails_at_its_line(tmp_path: Path) -> None:
    code, output = quarto(tmp_path, second="5.0000")
    assert code == 1, output
    assert "quarto.md:16: FAIL quarto.md:8:loss_x_by_hand_dloss_dx-pass2: claim grad.x: wrong (x: claimed 5.0000, true 4" in output
    assert "quarto.md:15: FAIL" not in output and "quarto.md:17: FAIL" not in output, output


def test_labelled_numbers_indented_after_code_are_its_output_not_code(tmp_path: Path) -> None:
    # `dloss_dx = 8.0000` is valid Python: read as code it would rebind the gradient to the last pass's loss
    code, output = quarto(tmp_path)
    assert "line 15 (code)" not in output and "line 15 (printed output)" in output, output


def test_an_indented_block_of_text_after_code_is_its_output(tmp_path: Path) -> None:
    path = tmp_path / "text.md"
    path.write_text("``` python\nx = 3.0\nprint(f'Starting with x = {x} and more')\n```\n\n    Starting with x = 3.0 and more\n")
    code, output = cli("check", "--no-color", "-v", str(path))
    assert "not valid Python" not in output, output


def test_numbers_a_blog_writes_after_arrows_in_its_code_are_that_codes_output(tmp_path: Path) -> None:
    path = tmp_path / "arrows.md"
    path.write_text("```python\ndef dloss(w, x, t):\n    return 2*x*(w*x-t)\n\nprint(dloss(3., 4., 8.))\n>>> 32.0\n"
                    "print(dloss(1.5, 4., 8.))\n>>> {second}\n```\n")  # fmt: skip
    path.write_text(path.read_text().replace("{second}", "-16.0"))
    code, output = cli("check", "--no-color", "-v", str(path))
    assert code == 0 and "not valid Python" not in output, output
    assert "✓ line 8 (printed output): value -16: holds" in output
    path.write_text(path.read_text().replace(">>> -16.0", ">>> -15.0"))
    code, output = cli("check", "--no-color", str(path))
    assert code == 1 and "arrows.md:8: FAIL" in output, output


def test_a_doctest_session_is_still_read_as_one(tmp_path: Path) -> None:
    path = tmp_path / "session.md"
    path.write_text("```python\n>>> import torch\n>>> x = torch.tensor(2.0, requires_grad=True)\n>>> y = x ** 3\n>>> y.backward()\n"
                    ">>> x.grad\ntensor(12.)\n```\n")  # fmt: skip
    code, output = cli("check", "--no-color", "-v", str(path))
    assert code == 0 and "∂/∂x 12: holds" in output, output


def test_a_long_descent_through_the_tutorials_own_functions_is_followed(tmp_path: Path) -> None:
    # x = x - lr * df(x) written out pass after pass doubles its text: between passes it is the number it is
    path = tmp_path / "descent.md"
    code = "```python\ndef f(x):\n    return x**2\n\ndef df(x):\n    return 2*x\n\nx = 4.0\nfor i in range(30):\n    x = x - 0.1 * df(x)\nprint(df(x))\n```\n"
    path.write_text(code + "\n```\n0.009903520314283045\n```\n")
    code_, output = cli("check", "--no-color", "-v", str(path))
    assert code_ == 0 and "characters long written out" not in output, output
    assert "✓ line 15 (printed output): value 0.00990352: holds" in output
    path.write_text(code + "\n```\n0.0099\n```\n")
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 1 and "descent.md:15: FAIL" in output, output


SIGMOID = """```python
import numpy as np

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

x, y = 0.5, 1.0
w, b = 0.3, 0.1
for i in range(3):
    z = w * x + b
    y_hat = sigmoid(z)
    loss = 0.5 * (y_hat - y) ** 2
    dL_dy_hat = {gradient}
    dy_hat_dz = sigmoid(z) * (1 - sigmoid(z))
    w = w - 0.1 * dL_dy_hat * dy_hat_dz * x
```
"""


def test_a_hand_gradient_of_numbers_through_the_tutorials_own_function_is_claimed(tmp_path: Path) -> None:
    path = tmp_path / "sigmoid.md"
    path.write_text(SIGMOID.format(gradient="y_hat - y"))
    code, output = cli("check", "--no-color", "-v", str(path))
    assert code == 0, output
    assert "✓ line 13 (code): ∂/∂y_hat dL_dy_hat = -0.43782349911420193: holds" in output
    path.write_text(SIGMOID.format(gradient="y - y_hat"))
    code, output = cli("check", "--no-color", str(path))
    assert code == 1 and "sigmoid.md:13: FAIL" in output, output


def test_a_hand_gradient_through_the_tutorials_function_is_never_paired_with_a_guessed_output(tmp_path: Path) -> None:
    # the squared error the page means is computed in code not shown here: e1 is not the loss, and 2 * e1 is not ∂e1/∂y1_out
    path = tmp_path / "guess.md"
    path.write_text("```python\nimport numpy as np\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\ny1_in = 1.0\n"
                    "y1_out = sigmoid(y1_in)\ne1 = y1_out - 1.0\ngrad_y1_out = 2 * e1\nprint(grad_y1_out)\n```\n\n"
                    "```\n-0.5378828427399902\n```\n")  # fmt: skip
    code, output = cli("check", "--no-color", "-v", str(path))
    assert code == 0 and "FAIL" not in output and "∂e1/∂y1_out" not in output, output
