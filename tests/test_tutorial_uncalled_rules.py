"""A custom derivative rule the page never applies to values it shows is still a claim: checked at generated inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_frameworks import check

RELU = ("```python\nimport torch\n\nclass MyReLU(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n"
        "        ctx.save_for_backward(x)\n        return x.clamp(min=0)\n\n    @staticmethod\n    def backward(ctx, grad_output):\n"
        "        x, = ctx.saved_tensors\n        grad_x = grad_output.clone()\n        grad_x[MASK] = 0\n        return grad_x\n\n"
        "for t in range(500):\n    y_pred = MyReLU.apply(x.mm(w1)).mm(w2)\n```\n")  # fmt: skip


def test_an_autograd_function_used_only_in_a_training_loop_is_checked_at_generated_inputs(tmp_path: Path) -> None:
    code, output = check(tmp_path, "relu.md", RELU.replace("MASK", "x < 0"))
    assert code == 0, output
    assert "MyReLU.backward() at line 4" in output and "✓ line 11 (custom backward): ∂/∂x formula MyReLU.backward: proven" in output, output


def test_a_wrong_backward_never_applied_fails_naming_the_class_and_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, "relu.md", RELU.replace("MASK", "x > 0"))
    assert code == 1, output
    assert "✗ line 11 (custom backward): ∂/∂x formula MyReLU.backward: wrong" in output, output


@pytest.mark.parametrize(("source", "line"), [
    ("import tensorflow as tf\n\n@tf.custom_gradient\ndef log1pexp(x):\n    e = tf.exp(x)\n    def grad(upstream):\n"
     "        return upstream * (1 - 1 / (1 + e))\n    return tf.math.log(1 + e), grad\n", "line 6 (custom backward)"),
    ("import jax\nimport jax.numpy as jnp\n\n@jax.custom_vjp\ndef f(x, y):\n    return jnp.sin(x) * y\n\ndef f_fwd(x, y):\n"
     "    return f(x, y), (jnp.cos(x), jnp.sin(x), y)\n\ndef f_bwd(res, g):\n    cos_x, sin_x, y = res\n"
     "    return (cos_x * g * y, sin_x * g)\n\nf.defvjp(f_fwd, f_bwd)\n", "line 15 (custom backward)"),
])  # fmt: skip
def test_tf_and_jax_rules_never_called_are_checked_too(tmp_path: Path, source: str, line: str) -> None:
    code, output = check(tmp_path, "rule.py", source)
    assert code == 0 and f"✓ {line}" in output and "proven" in output, output


def test_a_rule_whose_backward_the_case_language_cannot_write_is_listed_not_an_error(tmp_path: Path) -> None:
    source = ("import jax\n\n@jax.custom_vjp\ndef clip_gradient(lo, hi, x):\n    return x\n\ndef clip_gradient_fwd(lo, hi, x):\n"
              "    return x, (lo, hi)\n\ndef clip_gradient_bwd(res, g):\n    lo, hi = res\n    return (None, None, jnp.clip(g, lo, hi))\n\n"
              "clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)\n")  # fmt: skip
    code, output = check(tmp_path, "clip.py", source)
    assert code == 5 and "ERROR" not in output, output
    assert "the custom rule clip_gradient.backward: never applied to values the page shows" in output, output
