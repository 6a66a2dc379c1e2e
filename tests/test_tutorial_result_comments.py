"""Results written in comments beside or above the code that shows a gradient (`# 2*x => 4`, `# [4.0, 108.0] (...)`,
`# g = <tf.Tensor: ..., numpy=6.0>`), as guides and blog posts without saved outputs write them; gradients with respect to a
dict of sources; shapes given as keywords (`tf.ones(shape=(2, 2))`) and tuples handed to methods (`x.reshape((3, 2))`)."""

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


def test_a_comment_above_the_gradient_says_what_it_is(tmp_path: Path) -> None:
    text = ("import tensorflow as tf\n\nv = tf.Variable(3.0)\nwith tf.GradientTape() as tape:\n    out = v * v * v\n\n"
            "# g = <tf.Tensor: shape=(), dtype=float32, numpy=27.0>\ng = tape.gradient(out, v)\n# The gradient of out with respect to v is 27\n"
            "print(g.numpy())\n")  # fmt: skip
    code, output = check(tmp_path, "above.py", text)
    assert code == 0 and "line 7 (comment): ∂/∂v 27: holds" in output and "line 9 (comment): ∂/∂v 27: holds" in output, output
    code, output = check(tmp_path, "above_wrong.py", text.replace("numpy=27.0", "numpy=9.0"))
    assert code == 1 and "✗ line 7 (comment): ∂/∂v 9: wrong" in output, output


def test_shapes_written_as_keywords_and_tuples_handed_to_methods(tmp_path: Path) -> None:
    text = ("```python\nimport numpy as np\nimport tensorflow as tf\n\nt = tf.ones(shape=(2, 2))\nprint(t)\nx = np.array([[1, 2, 3], [4, 5, 6]])\n"
            "y = x.reshape((3, 2))\nprint(y)\nz = np.array([1, 2, 3]).reshape(())\nprint(z)\n```\n\n"
            "```\ntf.Tensor(\n[[1. 1.]\n [1. 1.]], shape=(2, 2), dtype=float32)\narray([[1, 2],\n       [3, 4],\n       [5, 6]])\n1\n```\n")  # fmt: skip
    code, output = check(tmp_path, "shapes.md", text)
    assert code == 0 and "value [1, 1, 1, 1]: holds" in output and "value [1, 2, 3, 4, 5, 6]: holds" in output, output
    assert ".reshape() of these arguments, which the reader cannot evaluate" in output  # numpy itself refuses: listed, no case


def test_a_differential_above_the_gradient_is_its_formula(tmp_path: Path) -> None:
    text = "import tensorflow as tf\n\nx = tf.Variable(3.0)\nwith tf.GradientTape() as tape:\n    y = x ** 3\n# dy = 3x**2 * dx\ndy_dx = tape.gradient(y, x)\n"
    code, output = check(tmp_path, "differential.py", text)
    assert code == 0 and "line 6 (comment): ∂/∂x formula 3 * (x ** 2): proven" in output, output
    code, output = check(tmp_path, "differential_wrong.py", text.replace("3x**2", "2x"))
    assert code == 1 and "✗ line 6 (comment): ∂/∂x formula 2 * x" in output, output
