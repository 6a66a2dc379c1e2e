"""`verifygrad check` on tutorials written for each framework: every way of asking for a derivative, read as the quantity it asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_check import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"


def check(tmp_path: Path, name: str, text: str) -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text)
    return cli("check", "--no-color", str(path))


@pytest.mark.parametrize("name", ["jax_grad.md", "tf_tape.md"])
def test_each_framework_tutorial_passes_with_its_claims_checked(name: str) -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / name))
    assert code == 0, output
    assert "holds" in output and "not read" not in output.split("case ")[0], output


def test_jax_transforms_become_gradient_and_hessian_cases() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "jax_grad.md"))
    assert "grad(sum_logistic) at line 12" in output  # jit is transparent
    assert "the hessian of grad(f) at line 23" in output  # grad(grad(f)) is a second derivative
    assert "line 16 (printed output): ∂/∂x [0.25, 0.196612, 0.104994]: holds" in output  # float32 digits as float32 holds them


def test_tf_nested_tapes_give_a_second_derivative_and_a_wrong_one_fails_at_its_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "tf_tape_wrong_second_derivative.md"))
    assert code == 1, output
    assert "✗ line 39 (printed output): ∂²/∂x² 8: wrong" in output


def test_tape_watch_makes_a_constant_differentiable_and_lists_become_tuples_of_gradients() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "tf_tape.md"))
    assert "line 25 (printed output): ∂/∂c 24.0855: holds" in output  # c = tf.constant(...) watched
    assert "line 51 (printed output): ∂/∂v [2, 4]: holds" in output  # g1, = tape.gradient(z, [v])
