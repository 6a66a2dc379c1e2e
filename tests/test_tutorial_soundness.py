"""False FAILs found on real tutorials, each kept from coming back: what a page says about something else is not compared."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_frameworks import check

TAPE = ("```python\nimport tensorflow as tf\nx = tf.Variable(3.0)\ny = tf.Variable(4.0)\nwith tf.GradientTape() as tape:\n"
        "    f = x * x * y + y + 2\ngrads = tape.gradient(f, [x, y])\n```\n\n")  # fmt: skip


def test_a_second_derivative_in_the_prose_is_not_compared_with_the_codes_first_derivative(tmp_path: Path) -> None:
    second = "$\\dfrac{\\partial^2 f}{\\partial x \\partial x} = \\dfrac{\\partial (2xy)}{\\partial x} = 2y$\n\n"
    text = TAPE + second + "$\\dfrac{\\partial f}{\\partial x} = 2xy$\n"
    code, output = check(tmp_path, "hessian.md", text)
    assert code == 0, output
    assert "line 10: LaTeX \\dfrac{\\partial^2 f}" in output and "not tied: a second derivative" in output, output
    assert "✓ line 12 (LaTeX): ∂/∂x formula 2 * (x * y): proven" in output, output  # the first derivative beside it is still checked


NUMERIC = ("```python\ndef f(x, y):\n    return x * x * y + y + 2\n\ndef derivative(g, x, y, x_eps, y_eps):\n"
           "    return (g(x + x_eps, y + y_eps) - g(x, y)) / (x_eps + y_eps)\n\nDEF\n\nprint(dfdx(3.0, 4.0))\n```\n\n```\nVALUE\n```\n")  # fmt: skip


def test_a_derivative_function_that_approximates_numerically_is_not_held_to_the_exact_derivative(tmp_path: Path) -> None:
    text = NUMERIC.replace("DEF", "def dfdx(x, y):\n    return derivative(f, x, y, 0.00001, 0)").replace("VALUE", "24.000039999805264")
    code, output = check(tmp_path, "numeric.md", text)
    assert code != 1 and "wrong" not in output, output
    assert "dfdx() approximates the derivative of f() numerically" in output, output


def test_a_derivative_function_written_by_hand_is_still_a_claim(tmp_path: Path) -> None:
    text = NUMERIC.replace("DEF", "def dfdx(x, y):\n    return 2 * x * y").replace("VALUE", "25.0")
    code, output = check(tmp_path, "by_hand.md", text)
    assert code == 1 and "dfdx() as the derivative of f(): wrong" in output, output


def test_an_exercises_functions_defined_one_after_another_are_not_guessed_between(tmp_path: Path) -> None:
    text = ("Compute:\n\n**a)** $f(w) = 3w^2 + 2w - 1$\n\n$\\frac{df}{dw} =$ ___\n\n**b)** $f(w) = (5 - 2w)^2$\n\n"
            "$\\frac{df}{dw} =$ ___\n\nSolutions:\n\n**a)** $\\frac{df}{dw} = 6w + 2$\n")  # fmt: skip
    code, output = check(tmp_path, "exercise.md", text)
    assert "wrong" not in output and code != 1, output
    assert "defined at line 3 and again at line 7, with nothing said of the first" in output, output


def test_a_function_redefined_after_something_was_said_of_it_is_the_new_one(tmp_path: Path) -> None:
    text = "$f(x) = x^2$, so $f'(x) = 2x$.\n\nNow let $f(x) = \\sin(x)$; then $f'(x) = \\cos(x)$.\n"
    code, output = check(tmp_path, "redefined.md", text)
    assert code == 0 and "formula 2 * x: proven" in output and "formula cos(x): proven" in output, output


def test_a_variable_named_e_is_not_eulers_number(tmp_path: Path) -> None:
    text = "| Step | Computation |\n|---|---|\n| 4 | $e = 0.6225 - 1$ |\n| 5 | $L = (-0.3775)^2$ |\n"
    code, output = check(tmp_path, "table.md", text)
    assert "wrong" not in output and code != 1, output


def test_a_method_call_the_reader_does_not_follow_makes_its_owner_unknown(tmp_path: Path) -> None:
    # theta.assign_sub(...) changes theta in every pass of the loop: what is printed after is not theta's first value
    text = ("```python\nimport tensorflow as tf\ntheta = tf.Variable(tf.constant(0.5))\nlr = 0.1\nfor i in range(3):\n"
            "    with tf.GradientTape() as t:\n        loss = theta * theta\n    theta.assign_sub(lr * t.gradient(loss, theta))\n"
            "print(theta)\n```\n\n```\n<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=0.25600001>\n```\n")  # fmt: skip
    code, output = check(tmp_path, "loop.md", text)
    assert code == 0 and "wrong" not in output, output
    assert "line 13: printed output 0.256: not checked: line 8 changed theta" in output, output


def test_a_value_stated_in_the_prose_is_not_compared_with_a_name_bound_code_blocks_later(tmp_path: Path) -> None:
    # the data's true b is stated; the model's b, made code blocks later, starts at zero
    text = ("We generate data with $b = 4.2$.\n\n```python\nimport torch\ntrue_b = 4.2\n```\n\nThen the model:\n\n"
            "```python\nb = torch.zeros(1, requires_grad=True)\n(b * b).sum().backward()\n```\n")  # fmt: skip
    code, output = check(tmp_path, "data.md", text)
    assert "wrong" not in output and code != 1, output
    right_after = "We set $b = 4.2$.\n\n```python\nimport torch\nb = torch.zeros(1, requires_grad=True)\n(b * b).sum().backward()\n```\n"
    code, output = check(tmp_path, "model.md", right_after)  # the next code block sets it: that b is meant, and it is wrong
    assert code == 1 and "value 4.2: wrong" in output, output


def test_paddle_clear_gradient_empties_the_gradient_and_to_tensor_of_a_tensor_makes_a_leaf(tmp_path: Path) -> None:
    text = ("```python\nimport paddle\nx = paddle.arange(2, dtype='float32') + 1\nx = paddle.to_tensor(x, stop_gradient=False)\n"
            "y = paddle.sum(x * x)\ny.backward()\nx.clear_gradient()\ny = paddle.sum(x)\ny.backward()\nx.grad\n```\n\n"
            "```\nTensor(shape=[2], dtype=float32, place=Place(cpu), stop_gradient=False,\n       [1., 1.])\n```\n")  # fmt: skip
    code, output = check(tmp_path, "paddle.md", text)
    assert code == 0 and "(printed output): ∂/∂x [1, 1]: holds" in output, output  # [3, 5] had the first gradient stayed


def test_math_the_reader_half_follows_never_crashes_the_check(tmp_path: Path) -> None:
    # a second derivative times a point, over a number (a Taylor term as d2l writes it): read or listed, never a traceback
    text = "Near $x_0$: $f(x) = \\frac{\\frac{d^2 f}{dx^2} x_0}{2} (x - x_0)^2$ and so on.\n"
    code, output = check(tmp_path, "taylor.md", text)
    assert "Traceback" not in output and code in (0, 5), output


def test_a_function_the_text_defines_is_its_own_where_the_code_differentiates_another_f_later(tmp_path: Path) -> None:
    text = ("Consider\n$$\nf(x) = 3x^4 - 4x^3 - 12x^2.\n$$\n\nIt has derivative\n$$\n\\frac{df}{dx} = 12x^3 - 12x^2 - 24x.\n$$\n\n"
            "Later, in code:\n\n```python\nimport torch\nx = torch.tensor(1.0, requires_grad=True)\nf = (x + 1) ** 2\nf.backward()\n```\n")  # fmt: skip
    code, output = check(tmp_path, "later.md", text)
    assert code == 0 and "wrong" not in output and "proven" in output, output


def test_what_follows_an_approximation_in_a_chain_is_approximate_too(tmp_path: Path) -> None:
    text = "Let $z(x) = \\sin(x^2)$.\n\nAt $x = 3$: $\\frac{dz}{dx} = 2x\\cos(x^2) \\approx 2x \\cdot -0.91 = 6 \\cdot -0.91 = -5.46$.\n"
    code, output = check(tmp_path, "approx.md", text)
    assert "wrong" not in output and code != 1, output
    assert "(2 * x) * (-0.91) is written as approximate" in output, output
