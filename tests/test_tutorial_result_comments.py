"""Results written as comments after the code that shows a gradient (`# 2*x => 4`, `# [4.0, 108.0] (...)`), as guides
without saved outputs write them, and gradients with respect to a dict of sources (`tape.gradient(z, {'x': x, 'y': y})`)."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_frameworks import check

TAPE = "import tensorflow as tf\n\nx = tf.Variable(2.0)\ny = tf.Variable(3.0)\nwith tf.GradientTape(persistent=True) as t:\n    z = x ** 2 + y * x\n"


def test_a_result_after_an_arrow_on_the_printing_line_is_a_gradient_claim(tmp_path: Path) -> None:
    text = TAPE + "print('dz/dx:', t.gradient(z, x).numpy())  # 2*x + y => 7\nt.gradient(z, y).numpy()  # x => 2.0\n"
    code, output = check(tmp_path, "arrows.py", text)
    assert code == 0 and "line 7 (comment): ∂/∂x 7: holds" in output and "line 8 (comment): ∂/∂y 2: holds" in output, output


def test_a_wrong_result_in_a_comment_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, "wrong.py", TAPE + "print(t.gradient(z, x).numpy())  # 2*x => 4\n")
    assert code == 1 and "✗ line 7 (comment): ∂/∂x 4: wrong" in output, output


def test_a_list_leading_the_comment_is_the_claimed_gradient(tmp_path: Path) -> None:
    text = "import tensorflow as tf\n\nx = tf.constant([1.0, 3.0])\nwith tf.GradientTape() as t:\n    t.watch(x)\n    y = x ** 3\n"
    code, output = check(tmp_path, "list.py", text + "print(t.gradient(y, x).numpy())  # [3.0, 27.0] (3 * x**2 at x = [1.0, 3.0])\n")
    assert code == 0 and "line 7 (comment): ∂/∂x [3, 27]: holds" in output, output


def test_a_comment_on_a_line_that_shows_no_gradient_claims_nothing(tmp_path: Path) -> None:
    code, output = check(tmp_path, "value.py", TAPE + "g = t.gradient(z, x)\nprint(z.numpy())  # x**2 + y*x => 99\n")
    assert code == 0 and "99" not in output.split("case ")[0], output


def test_gradients_with_respect_to_a_dict_of_sources_are_read_by_key(tmp_path: Path) -> None:
    text = TAPE + "g = t.gradient(z, {'x': x, 'y': y})\nprint(g['y'])  # => 2.0\nprint(g['x'])  # => 7\n"
    code, output = check(tmp_path, "dict.py", text)
    assert code == 0 and "∂/∂y 2: holds" in output and "∂/∂x 7: holds" in output, output
    assert "a dict" not in output, output
