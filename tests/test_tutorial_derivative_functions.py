"""A function the page writes as another's derivative is a formula claim, checked at generated inputs whether it is called or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_frameworks import check

SIGMOID = """```python
import numpy as np

def logistic(z):
    return 1 / (1 + np.exp(-z))

def logistic_derivative(z):
    \"\"\"The slope of the logistic curve.\"\"\"
    p = logistic(z)
    return p * (1 - p)
```
"""


def test_a_derivative_function_never_called_is_proven_against_the_function_it_names(tmp_path: Path) -> None:
    code, output = check(tmp_path, "logistic.md", SIGMOID)
    assert code == 0, output
    assert "✓ line 10 (derivative function): ∂/∂z formula logistic_derivative() as the derivative of logistic()" in output, output
    assert "proven" in output, output


def test_a_wrong_derivative_function_fails_at_its_return_naming_it(tmp_path: Path) -> None:
    code, output = check(tmp_path, "logistic.md", SIGMOID.replace("p * (1 - p)", "p * (1 + p)"))
    assert code == 1, output
    assert "✗ line 10 (derivative function): ∂/∂z formula logistic_derivative() as the derivative of logistic()" in output, output


TANH = """```python
import numpy as np

def squash(u):
    return np.tanh(u)

def squash_prime(a):
    return 1 - a ** 2
```
"""


def test_a_derivative_written_in_the_functions_output_is_read_so_and_said(tmp_path: Path) -> None:
    code, output = check(tmp_path, "squash.md", TANH)
    assert code == 0, output
    assert "formula squash_prime() as the derivative of squash() in terms of its output" in output, output


def test_a_derivative_wrong_in_either_reading_fails(tmp_path: Path) -> None:
    code, output = check(tmp_path, "squash.md", TANH.replace("1 - a ** 2", "1 - a ** 3"))
    assert code == 1, output
    assert "✗ line 8 (derivative function): ∂/∂u formula squash_prime() as the derivative of squash()" in output, output


FORWARD_MODE = """```python
import numpy as np
import timeit

def h(x0, x1):
    return x0 * x0 / x1 + np.exp(x0 / x1)

def h_dx0(x0, x1):
    v = x0 / x1
    dvdx0 = 1 / x1
    y = x0 * v + np.exp(v)
    dydx0 = 2 * x0 / x1 + dvdx0 * np.exp(v)
    return y, dydx0

seconds = timeit.timeit(lambda: h_dx0(1, 1), number=1000)
```
"""


def test_a_forward_mode_pass_returning_the_value_and_a_partial_is_checked_for_that_partial(tmp_path: Path) -> None:
    code, output = check(tmp_path, "forward.md", FORWARD_MODE)
    assert code == 0, output  # handed to timeit in a lambda: a def's code is not changed by the call
    assert "✓ line 13 (derivative function): ∂/∂x0 formula h_dx0() as the derivative of h()" in output, output
    code, output = check(tmp_path, "forward.md", FORWARD_MODE.replace("2 * x0 / x1 + dvdx0", "x0 / x1 + dvdx0"))
    assert code == 1 and "✗ line 13 (derivative function): ∂/∂x0 formula h_dx0()" in output, output


BOWL = """```python
import jax.numpy as jnp

def bowl(x):
    return jnp.sum(x ** 2)

COMMENT
def g_bowl(x):
    return 2 * x
```
"""


def test_a_g_prefix_pairs_only_where_a_comment_says_gradient(tmp_path: Path) -> None:
    code, output = check(tmp_path, "bowl.md", BOWL.replace("COMMENT", "# the gradient, worked out by hand"))
    assert code == 0 and "formula g_bowl() as the derivative of bowl()" in output, output
    code, output = check(tmp_path, "bowl.md", BOWL.replace("COMMENT", "# the gradient, worked out by hand").replace("2 * x", "x"))
    assert code == 1 and "✗ line 9 (derivative function): ∂/∂x formula g_bowl()" in output, output
    code, output = check(tmp_path, "bowl.md", BOWL.replace("COMMENT", ""))
    assert "g_bowl()" not in output, output


@pytest.mark.parametrize(("source", "listed"), [
    ("def symbolic_dqdx(x0, x1):\n    return x0 * x1\n",
     "line 3: symbolic_dqdx() reads as a derivative; not paired: it reads as dq/dx, and the page defines no function q()"),
    ("def soft(z):\n    return np.exp(z) / np.sum(np.exp(z))\n\ndef soft_derivative(z):\n    s = soft(z)\n    return s * (1 - s)\n",
     "line 7: soft_derivative() as the derivative of soft() (its name says it is a derivative of soft()): not checked: soft() is not "
     "elementwise: its derivative is a Jacobian, not one number per input"),
    ("def cost(p, q):\n    return np.sum((p - q) ** 2)\n\ndef gradient_cost(p, q):\n    return 2 * (p - q)\n",
     "line 6: gradient_cost() as the derivative of cost() (its name says it is a derivative of cost()): not checked: it returns one "
     "value for the 2 arguments of cost(): which one it is for is not said"),
    ("def squared_error(p, q):\n    return np.sum((p - q) ** 2)\n\ndef error_at(p, q):\n    \"\"\"The sensitivity of the squared-error to p.\"\"\"\n"
     "    return 2 * (p - q)\n",
     "line 7: error_at() reads as a derivative; not paired: its docstring or comment speaks of a derivative and names squared_error(), not "
     "which derivative it is"),
    ("def sq_loss(data, params):\n    return np.sum((data * params - 1) ** 2)\n\n# gradient of the loss by w, by hand\n"
     "def gw_sq_loss(data, params):\n    return 2 * (data * params - 1) * data\n",
     "line 7: gw_sq_loss() reads as a derivative; not paired: sq_loss() has no parameter w"),
])  # fmt: skip
def test_a_pairing_that_cannot_be_decided_is_listed_never_compared(tmp_path: Path, source: str, listed: str) -> None:
    code, output = check(tmp_path, "pairs.py", f"import numpy as np\n{source}")
    assert code != 1 and "✗" not in output, output
    assert listed in output, output


REGRESSION = """import numpy as np

def mse(w, x, y):
    return np.mean((x @ w - y) ** 2)

def gradient(w, x, y):
    return 2 * x.T @ (x @ w - y) / len(y)

def squared_error(theta, X, t):
    return np.sum((X @ theta - t) ** 2)

def grad_theta(theta, X, t):
    return 2 * X.T @ (X @ theta - t)
"""


def test_a_hand_gradient_of_a_loss_function_is_checked_with_respect_to_its_parameters_not_its_data(tmp_path: Path) -> None:
    code, output = check(tmp_path, "regression.py", REGRESSION)
    assert code == 0, output
    assert "✓ line 7 (derivative function): ∂/∂w formula gradient() as the derivative of mse() (its name says it is a gradient; mse() is the loss" in output
    assert "✓ line 13 (derivative function): ∂/∂theta formula grad_theta() as the derivative of squared_error()" in output, output


def test_a_hand_gradient_that_drops_the_mean_s_factor_fails_naming_it(tmp_path: Path) -> None:
    code, output = check(tmp_path, "regression.py", REGRESSION.replace("2 * x.T @ (x @ w - y) / len(y)", "x.T @ (x @ w - y)"))
    assert code == 1, output
    assert "✗ line 7 (derivative function): ∂/∂w formula gradient() as the derivative of mse()" in output, output
    assert "✓ line 13 (derivative function)" in output, output


def test_a_gradient_whose_loss_or_arguments_are_not_said_is_listed(tmp_path: Path) -> None:
    source = "import numpy as np\n\ndef loss(a, b):\n    return np.sum((a - b) ** 2)\n\ndef gradient(a, b):\n    return 2 * (a - b)\n"
    code, output = check(tmp_path, "ambiguous.py", source)
    assert code == 5 and "line 7: gradient() reads as a derivative; not paired: which of loss()'s arguments (a, b) it differentiates is not said" in output
    code, output = check(tmp_path, "alone.py", "def gradient(w, x):\n    return 2 * w * x\n")
    assert "line 2: gradient() reads as a derivative; not paired: no loss function of the page takes its parameters (w, x)" in output, output


REVERSE = """import numpy as np

def q(a, b):
    return a * np.sin(b) + a / b

def q_reverse(a, b):
    v0 = a
    v1 = b
    v2 = np.sin(v1)
    v3 = v0 * v2 + v0 / v1
    vbar3 = 1
    vbar0 = vbar3 * (v2 + 1 / v1)
    vbar1 = vbar3 * (v0 * np.cos(v1) - v0 / v1 ** 2)
    return v3, vbar0, vbar1

def symbolic_q_full(a, b):
    v3 = a * np.sin(b) + a / b
    vbar0 = np.sin(b) + 1 / b
    vbar1 = a * np.cos(b) - a / b ** 2
    return v3, vbar0, vbar1
"""


def test_a_reverse_pass_returning_adjoints_and_its_closed_form_twin_are_checked_by_each_input(tmp_path: Path) -> None:
    code, output = check(tmp_path, "reverse.py", REVERSE)
    assert code == 0, output
    for name in ("a", "b"):
        assert f"✓ line 14 (derivative function): ∂/∂{name} formula q_reverse() as the derivative of q()" in output, output
        assert f"✓ line 20 (derivative function): ∂/∂{name} formula symbolic_q_full() as the derivative of q() (it returns what q_reverse()" in output


def test_a_wrong_adjoint_in_the_closed_form_twin_fails_at_its_return(tmp_path: Path) -> None:
    code, output = check(tmp_path, "reverse.py", REVERSE.replace("vbar1 = a * np.cos(b) - a / b ** 2", "vbar1 = a * np.cos(b) + a / b ** 2"))
    assert code == 1, output
    assert "✗ line 20 (derivative function): ∂/∂b formula symbolic_q_full() as the derivative of q()" in output, output
    assert "✓ line 20 (derivative function): ∂/∂a formula symbolic_q_full()" in output, output


STEP = """```python
import torch
x_train = torch.FloatTensor([[1], [2], [3]])
y_train = torch.FloatTensor([[1], [2], [3]])
W = torch.zeros(1)
lr = 0.1
cost = torch.mean((x_train * W - y_train) ** 2)
gradient = GRADIENT
print(gradient)
W -= lr * gradient
print(W)
```

```
PRINTED
```
"""


def test_a_gradient_named_only_by_the_step_that_uses_it_is_the_losss_gradient(tmp_path: Path) -> None:
    right = STEP.replace("GRADIENT", "2 * torch.mean((W * x_train - y_train) * x_train)").replace("PRINTED", "tensor(-9.3333)\ntensor([0.9333])")
    code, output = check(tmp_path, "step.md", right)
    assert code == 0, output
    assert "✓ line 15 (printed output): ∂/∂W -9.3333: holds" in output, output  # the gradient printed before the step
    assert "✓ line 16 (printed output): ∂/∂W gradient of the step W - lr * gradient (line 10): holds" in output, output


def test_a_gradient_that_drops_the_means_two_over_m_fails_where_it_and_the_step_print(tmp_path: Path) -> None:
    wrong = STEP.replace("GRADIENT", "torch.sum((W * x_train - y_train) * x_train)").replace("PRINTED", "tensor(-14.)\ntensor([1.4000])")
    code, output = check(tmp_path, "step.md", wrong)
    assert code == 1, output
    assert "✗ line 15 (printed output): ∂/∂W -14: wrong (W[0]: claimed -14., true -9.33333" in output, output
    assert "✗ line 16 (printed output): ∂/∂W gradient of the step W - lr * gradient (line 10): wrong (W[0]: claimed -14., true -9.33333" in output
    assert "✓ line 16 (printed output): value [1.4]: holds" in output, output  # the step's arithmetic is right
