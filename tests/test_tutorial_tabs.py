"""Pages written once per framework (d2l's `%%tab` cells), and comparisons a page shows or asserts: equal, or a small difference."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_frameworks import check

FENCE = "```"


def cell(tab: str, code: str) -> str:
    return f"{FENCE}{{.python .input}}\n%%tab {tab}\n{code}\n{FENCE}\n\n"


TABBED = (
    "# Gradients, in three frameworks\n\n"
    + cell("pytorch", "import torch")
    + cell("tensorflow", "import tensorflow as tf")
    + cell("jax", "from jax import grad\nfrom jax import numpy as jnp")
    + cell("pytorch", "x = torch.arange(3.0, requires_grad=True)")
    + cell("tensorflow", "x = tf.Variable(tf.range(3, dtype=tf.float32))")
    + cell("jax", "x = jnp.arange(3.0)")
    + "The gradient of $3 x^\\top x$ is $6x$.\n\n"
    + cell("pytorch", "y = 3 * torch.dot(x, x)\ny.backward()\nx.grad == 6 * x")
    + cell("tensorflow", "with tf.GradientTape() as t:\n    y = 3 * tf.tensordot(x, x, axes=1)\nx_grad = t.gradient(y, x)\nx_grad == 6 * x")
    + cell("jax", "y = lambda x: 3 * jnp.dot(x, x)\ngrad(y)(x) == 6 * x")
    + "Now the gradient of the sum of squares, computed again.\n\n"
    + cell("pytorch", "x.grad.zero_()\ny = (x * x).sum()\ny.backward()\nx.grad == CLAIM")
    + cell("tensorflow", "with tf.GradientTape() as t:\n    y = tf.reduce_sum(x * x)\nt.gradient(y, x) == 2 * x")
)


def test_each_framework_is_read_with_its_own_names_and_every_comparison_is_a_claim(tmp_path: Path) -> None:
    code, output = check(tmp_path, "tabs.md", TABBED.replace("CLAIM", "2 * x"))
    assert code == 0, output
    for line in (40, 48, 54, 64, 71):  # each framework's comparison, against its own x
        assert f"✓ line {line} (comparison): ∂/∂x formula" in output, output
    assert "%%tab" not in output.split("case ")[0]  # the tab markers are not code the reader left


def test_a_wrong_comparison_fails_in_its_own_framework_only(tmp_path: Path) -> None:
    code, output = check(tmp_path, "tabs.md", TABBED.replace("CLAIM", "3 * x"))
    assert code == 1, output
    assert "✗ line 64 (comparison): ∂/∂x formula 3 * x: wrong" in output, output
    assert "4 passed, 1 failed" in output, output


def test_a_comparison_whose_output_shows_false_is_not_a_claim(tmp_path: Path) -> None:
    text = ("```python\nimport torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n(x * x).sum().backward()\n"
            "x.grad == 3 * x\n```\n\n```\ntensor([False, False])\n```\n")  # fmt: skip
    code, output = check(tmp_path, "false.md", text)
    assert code == 0 and "(comparison)" not in output, output


def test_a_backward_the_reader_could_not_follow_makes_every_gradient_unknown(tmp_path: Path) -> None:
    # `enable(w)` is not read, so the second backward() is not followed: it adds w to x.grad, which is no longer 2x
    text = ("```python\nimport torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n(x * x).sum().backward()\n"
            "w = torch.tensor([3.0, 4.0])\nenable(w)\n(x * w).sum().backward()\nassert torch.allclose(x.grad, 2 * x)\n```\n")  # fmt: skip
    code, output = check(tmp_path, "stale.md", text)
    assert "holds" not in output and "proven" not in output, output
    assert "line 8: assert torch.allclose(x.grad, 2 * x): not checked" in output, output


GRAD_TANH = "import jax.numpy as jnp\nfrom jax import grad\n\ngrad_tanh = grad(jnp.tanh)\nassert CHECK\n"


def test_an_assert_that_a_difference_is_small_is_a_claim_that_the_two_agree(tmp_path: Path) -> None:
    for check_written in ("abs(grad_tanh(1.0) - 0.4199743) < 1e-6", "jnp.abs(grad_tanh(1.0) - 0.4199743).max() <= 0.000001"):
        code, output = check(tmp_path, "small.py", GRAD_TANH.replace("CHECK", check_written))
        assert code == 0 and "✓ line 5 (assert): ∂/∂x 0.4199743: holds" in output, output
    code, output = check(tmp_path, "small.py", GRAD_TANH.replace("CHECK", "np.linalg.norm(grad_tanh(1.0) - 0.42) < 1e-6"))
    assert code == 1 and "✗ line 5 (assert): ∂/∂x 0.42: wrong" in output, output
    code, output = check(tmp_path, "small.py", GRAD_TANH.replace("CHECK", "abs(grad_tanh(1.0) - 0.42) < 0.5"))  # a loose bound says little
    assert "(assert)" not in output, output


def test_a_gradient_of_ones_sized_by_len_is_handed_to_backward(tmp_path: Path) -> None:
    text = ("```python\nimport torch\nx = torch.arange(4.0, requires_grad=True)\ny = x * x\n"
            "y.backward(gradient=torch.ones(len(y)))\nx.grad == 2 * x\n```\n")  # fmt: skip
    code, output = check(tmp_path, "ones.md", text)
    assert code == 0 and "✓ line 6 (comparison): ∂/∂x formula 2 * x: proven" in output, output


def test_the_older_tab_comment_splits_a_page_by_framework_too(tmp_path: Path) -> None:
    text = TABBED.replace("CLAIM", "2 * x").replace("%%tab ", "#@tab ")
    code, output = check(tmp_path, "tabs.md", text)
    assert code == 0 and "5 passed" in output and "#@tab" not in output.split("case ")[0], output
