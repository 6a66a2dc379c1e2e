"""Hand-written backprop: a printed variable named as a derivative of the loss is a claim about the loss's gradient."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_check import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"

SETUP = """import numpy as np
x = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25]])
y = np.array([[1.0], [0.0], [1.0]])
w = np.array([[0.2], [-0.4]])
z = x @ w
p = 1 / (1 + np.exp(-z))
loss = np.mean((p - y) ** 2)
"""


def check(tmp_path: Path, code: str, output: str) -> tuple[int, str]:
    path = tmp_path / "backprop.md"
    path.write_text(f"```python\n{SETUP}{code}```\n\n```\n{output}```\n")
    return cli("check", "--no-color", str(path))


def test_a_printed_hand_gradient_is_checked_against_the_losss_derivative() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "numpy_backprop.md"))
    assert code == 0, output
    assert "PASS  ∂loss/∂w (by hand: dw) at line 30" in output
    assert "✓ line 35 (printed output): ∂/∂w [-0.142468, -0.0746229, 0.048529]: holds" in output


def test_a_wrong_hand_gradient_fails_at_the_printed_value() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "numpy_backprop_wrong.md"))
    assert code == 1, output
    assert "numpy_backprop_wrong.md:35: FAIL numpy_backprop_wrong.md:30:loss_w_by_hand_dw: claim grad.w: wrong" in output
    assert "✓ line 35 (printed output): value [-0.658353, -0.317671, 0.184808]: holds" in output  # the arithmetic is right


def test_the_gradient_with_respect_to_an_intermediate_holds_the_rest_of_the_graph_fixed(tmp_path: Path) -> None:
    code, output = check(tmp_path, "dz = 2 * (p - y) / 3 * p * (1 - p)\nprint(dz)\n", "[[-0.09847733]\n [ 0.09752017]\n [-0.0958941 ]]\n")
    assert code == 0, output
    assert "∂/∂z [-0.0984773, 0.0975202, -0.0958941]: holds" in output


def test_two_losses_leave_the_pairing_undecided_unless_the_name_says_which(tmp_path: Path) -> None:
    both = "cost = np.sum(np.abs(w))\n"
    code, output = check(tmp_path, both + "dw = np.sign(w)\nprint(dw)\n", "[[ 1.]\n [-1.]]\n")
    assert code == 0 and "∂/∂w" not in output, output
    assert "dw reads as a hand-written gradient; not paired with a loss: several losses depend on w (loss, cost)" in output
    code, output = check(tmp_path, both + "dcost_dw = np.sign(w)\nprint(dcost_dw)\n", "[[ 1.]\n [-1.]]\n")
    assert code == 0 and "∂cost/∂w (by hand: dcost_dw)" in output and "∂/∂w [1, -1]: holds" in output, output


def test_a_name_that_only_looks_like_a_derivative_is_not_paired(tmp_path: Path) -> None:
    # a step vector for finite differences is not computed from w or from what the loss computes with it
    code, output = check(tmp_path, "dw = 0.01 * np.ones((2, 1))\nprint(dw)\n", "[[0.01]\n [0.01]]\n")
    assert code == 0 and "by hand" not in output, output
    assert "dw reads as a hand-written gradient; not paired with a loss: dw is not computed from w or from what loss computes with it" in output
    code, output = check(tmp_path, "dp = p.shape\nddd = np.ones(2)\nprint(ddd)\n", "[1. 1.]\n")
    assert code == 0 and "by hand" not in output and "hand-written" not in output, output


LOOP = """import numpy as np
x = np.array([1.0, 2.0, 3.0])
y = np.array([2.0, 4.0, 6.5])
w = np.array([0.5])
lr = 0.05
steps = 3
for epoch in range(steps):
    pred = w * x
    loss = np.mean((pred - y) ** 2)
    dw = np.mean(2 * (pred - y) * x, keepdims=True)
    w = w - lr * dw
    if epoch % 2 == 0:
        print(w)
"""


def loop_tutorial(tmp_path: Path, code: str, output: str) -> tuple[int, str]:
    path = tmp_path / "loop.md"
    path.write_text(f"```python\n{code}```\n\n```output\n{output}```\n")
    return cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))


def test_a_top_level_loop_is_unrolled_and_its_prints_are_claims_in_order(tmp_path: Path) -> None:
    code, output = loop_tutorial(tmp_path, LOOP, "[1.25]\n[1.86333333]\n")
    assert code == 0, output
    assert "✓ line 18 (printed output): value [1.25]: holds" in output
    assert "✓ line 19 (printed output): value [1.86333]: holds" in output
    assert "not read" not in output, output


def test_a_value_printed_in_a_later_pass_of_a_loop_fails_at_its_line(tmp_path: Path) -> None:
    code, output = loop_tutorial(tmp_path, LOOP, "[1.25]\n[1.8125]\n")
    assert code == 1, output
    assert "loop.md:19: FAIL" in output and "claimed 1.8125, true 1.86333" in output


def test_a_loop_over_values_the_reader_does_not_know_is_listed_and_what_it_changes_is_not_compared(tmp_path: Path) -> None:
    code, output = loop_tutorial(tmp_path, LOOP.replace("range(steps)", "range(len(open('n.txt').read()))"), "[1.25]\n[1.86333333]\n")
    assert code == 5, output
    assert "line 8: a for loop" in output
    assert "value [1.25]" not in output or "not tied" in output, output


def test_a_printed_step_claims_the_hand_gradient_was_the_losss_gradient(tmp_path: Path) -> None:
    code, output = loop_tutorial(tmp_path, LOOP, "[1.25]\n[1.86333333]\n")
    assert code == 0, output
    assert "✓ line 18 (printed output): ∂/∂w dw of the step w - lr * dw (line 12): holds" in output
    assert "✓ line 19 (printed output): ∂/∂w dw of the step w - lr * dw (line 12): holds" in output


def test_a_step_with_a_wrong_hand_gradient_fails_at_the_printed_value_though_the_arithmetic_holds(tmp_path: Path) -> None:
    wrong = LOOP.replace("np.mean(2 * (pred - y) * x, keepdims=True)", "np.mean((pred - y) * x, keepdims=True)")  # the 2 forgotten
    code, output = loop_tutorial(tmp_path, wrong.replace("w = w - lr * dw", "w -= lr * dw"), "[0.875]\n[1.38291667]\n")
    assert code == 1, output
    assert "✓ line 18 (printed output): value [0.875]: holds" in output  # the code's arithmetic
    assert "✗ line 18 (printed output): ∂/∂w dw of the step w - lr * dw (line 12): wrong (w[0]: claimed -7.5, true -15)" in output
    assert "loop.md:18: FAIL loop.md:11:loss_w_by_hand_dw: claim grad.w: wrong" in output


def test_a_step_whose_gradient_cannot_be_paired_is_listed_with_the_reason(tmp_path: Path) -> None:
    two_losses = LOOP.replace("    dw = ", "    cost = np.sum(w ** 2)\n    dw = ")
    code, output = loop_tutorial(tmp_path, two_losses, "[1.25]\n[1.86333333]\n")
    assert code == 0 and "∂/∂w dw of the step" not in output, output
    assert "dw reads as a hand-written gradient; not paired with a loss: several losses depend on w (loss, cost)" in output


BY_HAND = """import numpy as np
x = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25]])
y = np.array([[1.0], [0.0], [1.0]])
w = np.array([[0.2], [-0.4]])

def gradients(w, x, y):
    pred = x @ w
    loss = np.mean((pred - y) ** 2)
    dw = 2 * x.T @ (pred - y) / 3
    return dw

dw = gradients(w, x, y)
print(dw)
"""


def by_hand(tmp_path: Path, code: str, output: str) -> tuple[int, str]:
    path = tmp_path / "by_hand.md"
    path.write_text(f"```python\n{code}```\n\n```\n{output}```\n")
    return cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))


def test_a_hand_gradient_computed_inside_a_function_is_paired_with_the_loss_it_computes(tmp_path: Path) -> None:
    code, output = by_hand(tmp_path, BY_HAND, "[[ 0.5]\n [-2.7]]\n")
    assert code == 0, output
    assert "PASS  ∂loss/∂w (by hand: dw) at line 10" in output
    assert "✓ line 18 (printed output): ∂/∂w [0.5, -2.7]: holds" in output


def test_a_wrong_hand_gradient_inside_a_function_fails_at_the_printed_value(tmp_path: Path) -> None:
    code, output = by_hand(tmp_path, BY_HAND.replace("(pred - y) / 3", "(pred - y)"), "[[ 1.5]\n [-8.1]]\n")
    assert code == 1, output
    assert "✗ line 18 (printed output): ∂/∂w [1.5, -8.1]: wrong (w[1,0]: claimed -8.1, true -2.7)" in output
    assert "✓ line 18 (printed output): value [1.5, -8.1]: holds" in output


def test_steps_with_a_functions_gradient_in_a_loop_are_each_checked(tmp_path: Path) -> None:
    loop = BY_HAND.replace("dw = gradients(w, x, y)\nprint(dw)\n", "for step in range(2):\n    dw = gradients(w, x, y)\n    w = w - 0.1 * dw\n    print(w)\n")
    code, output = by_hand(tmp_path, loop, "[[ 0.15]\n [-0.13]]\n[[0.09141667]\n [0.052625  ]]\n")
    assert code == 0, output
    assert "✓ line 20 (printed output): ∂/∂w dw of the step w - 0.1 * dw (line 15): holds" in output
    assert "✓ line 22 (printed output): ∂/∂w dw of the step w - 0.1 * dw (line 15): holds" in output


def test_a_function_that_updates_its_argument_in_place_leaves_it_unknown_to_the_caller(tmp_path: Path) -> None:
    train = BY_HAND.replace("    return dw\n", "    w -= 0.1 * dw\n    return dw\n").replace("print(dw)\n", "print(w)\n")
    code, output = by_hand(tmp_path, train, "[[ 0.15]\n [-0.13]]\n")
    assert code != 1, output
    assert "not checked: line 14 changed w and was not read (gradients() updates w in place)" in output


def test_a_backward_beside_its_forward_is_checked_as_its_vjp_though_never_called() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "layer_backward.md"))
    assert code == 0, output
    for name in ("x", "w", "b"):
        assert f"✓ line 24 (hand-written backward): ∂/∂{name} tanh_layer_backward() gives d{name}: the VJP of tanh_layer_forward()" in output


def test_a_wrong_backward_fails_naming_the_function_and_its_return_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "layer_backward_wrong.md"))
    assert code == 1, output
    assert "layer_backward_wrong.md:24: FAIL layer_backward_wrong.md:24:loss_x_by_hand_dx: claim grad.x: wrong" in output
    assert "✗ line 24 (hand-written backward): ∂/∂w tanh_layer_backward() gives dw: the VJP of tanh_layer_forward()" in output


def test_a_backward_whose_forward_needs_a_value_the_reader_cannot_choose_is_listed(tmp_path: Path) -> None:
    text = (FIXTURES / "layer_backward.md").read_text().replace("(x, w, b)", "(x, w, b, mode)")
    path = tmp_path / "layer.md"
    path.write_text(text)
    code, output = cli("check", "--no-color", str(path))
    assert code == 5, output
    assert "line 24: the hand-written backward tanh_layer_backward(): not checked: tanh_layer_forward()'s parameter mode has no gradient" in output


DERIVATIVES = """def f(x, y):
    return x * x * y + y + 2

def df(x, y):
    return 2 * x * y, x * x + 1

def g(x):
    return 3 * x ** 2 - 4 * x

def gradient_g(x):
    return 6 * x - 4

print(df(3.0, 4.0))
print(gradient_g(1.0))
"""


def test_a_function_named_as_anothers_derivative_is_checked_as_its_gradient_where_it_prints(tmp_path: Path) -> None:
    code, output = by_hand(tmp_path, DERIVATIVES, "(24.0, 10.0)\n2.0\n")
    assert code == 0, output
    assert "✓ line 19 (printed output): ∂/∂x 24, df() as the derivative of f(): holds" in output
    assert "✓ line 19 (printed output): ∂/∂y 10, df() as the derivative of f(): holds" in output
    assert "✓ line 20 (printed output): ∂/∂x 2, gradient_g() as the derivative of g(): holds" in output


def test_a_wrong_derivative_function_fails_at_what_it_printed(tmp_path: Path) -> None:
    code, output = by_hand(tmp_path, DERIVATIVES.replace("6 * x - 4", "6 * x + 4"), "(24.0, 10.0)\n10.0\n")
    assert code == 1, output
    assert "✗ line 20 (printed output): ∂/∂x 10, gradient_g() as the derivative of g(): wrong (x: claimed 10.0, true 2)" in output
    assert "✓ line 20 (printed output): value 10: holds" in output  # the arithmetic is right


AFFINE = """import numpy as np

def linear_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w)

def linear_backward(dout, cache):
    x, w = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db
"""


def test_a_backward_written_with_numpys_dot_and_the_inputs_shapes_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "linear.py"
    path.write_text(AFFINE)
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 0, output
    assert "✓ line 12 (hand-written backward): ∂/∂w linear_backward() gives dw" in output
    path.write_text(AFFINE.replace("db = dout.sum(axis=0)", "db = dout.mean(axis=0)"))
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 1 and "✗ line 12 (hand-written backward): ∂/∂b linear_backward() gives db" in output, output


def test_a_derivative_function_estimated_from_f_by_finite_differences_is_not_a_claim_to_be_exact(tmp_path: Path) -> None:
    numeric = DERIVATIVES.replace("    return 6 * x - 4\n", "    return (g(x + 0.0001) - g(x)) / 0.0001\n")
    code, output = by_hand(tmp_path, numeric, "(24.0, 10.0)\n2.0003000000013535\n")
    assert code == 0, output
    assert "gradient_g() as the derivative of g()" not in output


RELU = """import numpy as np

def relu_forward(x):
    return np.maximum(x, 0), x

def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    dx[x < 0] = 0
    return dx
"""


def test_a_relu_backward_that_zeroes_a_mask_is_checked_and_an_aliased_one_is_not_compared(tmp_path: Path) -> None:
    path = tmp_path / "relu.py"
    path.write_text(RELU)
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 0 and "✓ line 10 (hand-written backward): ∂/∂x relu_backward() gives dx" in output, output
    path.write_text(RELU.replace("dx[x < 0] = 0", "dx[x < 0] = 1"))  # a wrong mask value
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 1 and "✗ line 10 (hand-written backward): ∂/∂x relu_backward() gives dx" in output, output
    path.write_text(RELU.replace("dx = dout.copy()", "dx = dout\n    dx[x < 0] = 0\n    dx = dout"))  # dout changed in place too
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code != 1 and "relu_backward(): not checked" in output, output


EARLY_STOP = """import numpy as np
x = np.array([1.0, 2.0, 3.0])
y = np.array([2.0, 4.0, 6.0])
w = np.array([0.0])
for epoch in range(50):
    pred = w * x
    loss = np.mean((pred - y) ** 2)
    if loss < 0.5:
        break
    dw = np.mean(2 * (pred - y) * x, keepdims=True)
    w = w - 0.05 * dw
print(w)
"""


def test_a_loop_that_breaks_where_the_reader_knows_the_condition_stops_where_python_does(tmp_path: Path) -> None:
    code, output = loop_tutorial(tmp_path, EARLY_STOP, "[1.69659259]\n")
    assert code == 0, output
    assert "✓ line 17 (printed output): value [1.69659]: holds" in output  # three steps, then the break
    assert "✓ line 17 (printed output): ∂/∂w dw of the step w - 0.05 * dw (line 12): holds" in output


def test_a_break_under_a_condition_the_reader_cannot_decide_leaves_what_the_loop_changes_unknown(tmp_path: Path) -> None:
    code, output = loop_tutorial(tmp_path, EARLY_STOP.replace("if loss < 0.5:", "if loss < threshold():"), "[1.69659259]\n")
    assert code != 1, output
    assert "line 9: a break or continue under a condition the reader cannot decide" in output
    assert "not checked: line 6 changed w and was not read (a for loop" in output


@pytest.mark.slow
def test_loops_past_the_unrolling_bound_are_listed_not_run(tmp_path: Path) -> None:
    nested = "import numpy as np\nw = np.ones(2)\nfor i in range(900):\n    for j in range(900):\n        w = w + i * j\nprint(w)\n"
    code, output = loop_tutorial(tmp_path, nested, "[1. 1.]\n")
    assert code != 1, output  # 900 x 900 passes: past the bound, the inner loop is listed after a few passes, and what it changes unknown
    assert "line 5: a for loop" in output and "not checked: line 5 changed w and was not read" in output


# Layers written as plain classes, as textbooks from scratch write them: forward keeps what backward needs on self
LAYERS = """```python
import numpy as np

class Times:
    def __init__(self):
        self.a = None
        self.b = None

    def forward(self, a, b):
        self.a = a
        self.b = b
        return a * b

    def backward(self, dout):
        da = dout * self.b
        db = dout * SLOT
        return da, db


class Squash:
    def forward(self, v):
        out = 1 / (1 + np.exp(-v))
        self.out = out
        return out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Dense:
    def __init__(self, W):
        self.W = W

    def forward(self, v):
        self.v = v
        return np.dot(v, self.W)

    def backward(self, dout):
        return np.dot(dout, self.W.T)


dense = Dense(np.ones((3, 2)))
times = Times()
cost = times.forward(2.0, 3.0)
print(cost)
```

```
6.0
```
"""


def test_a_layer_class_with_forward_and_backward_methods_is_checked_as_a_rule(tmp_path: Path) -> None:
    path = tmp_path / "layers.md"
    path.write_text(LAYERS.replace("SLOT", "self.a"))
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "✓ line 14 (custom backward): ∂/∂a formula Times.backward: proven" in output
    assert "✓ line 14 (custom backward): ∂/∂b formula Times.backward: proven" in output
    assert "✓ line 26 (custom backward): ∂/∂v formula Squash.backward: proven" in output
    # a backward that reads what only __init__ kept (a weight) is listed, never compared; nor is Dense(W) read as its forward
    assert "Dense.backward" in output and "ERROR" not in output
    assert "line 49: printed output 6" not in output  # the instance's method is read on numbers it was handed as literals: untraced


def test_a_layer_class_with_a_wrong_backward_fails_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "layers.md"
    path.write_text(LAYERS.replace("SLOT", "self.b"))
    code, output = cli("check", "--no-color", str(path))
    assert code == 1, output
    assert "✗ line 14 (custom backward): ∂/∂b formula Times.backward: wrong" in output
