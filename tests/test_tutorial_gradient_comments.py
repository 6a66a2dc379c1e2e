"""A comment on the line that assigns a gradient says what the gradient is (`dy_dx = g.gradient(y, x)  # Will compute to 6.0`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_frameworks import check

TAPE = "import tensorflow as tf\n\nx = tf.Variable(3.0)\nwith tf.GradientTape() as g:\n    y = x * x * x\ndy_dx = g.gradient(y, x)  # COMMENT\nprint(dy_dx)\n"


@pytest.mark.parametrize("comment", ["Will compute to 27.0", "dy/dx = 3*x**2 = 3*9 = 27", "y' = 3x^2 = 27", "dy_dx = 27", "-> 27"])
def test_a_comment_stating_the_gradient_is_a_claim_that_holds(tmp_path: Path, comment: str) -> None:
    code, output = check(tmp_path, "tape.py", TAPE.replace("COMMENT", comment))
    assert code == 0, output
    assert "✓ line 6 (comment): ∂/∂x" in output, output


def test_a_comment_with_the_wrong_rule_fails_at_its_line(tmp_path: Path) -> None:
    # copied from the x**2 example above it: 2x at x = 3 is 6, but y = x**3 has the gradient 27
    code, output = check(tmp_path, "tape.py", TAPE.replace("COMMENT", "y’ = 2*x = 2*3 = 6"))
    assert code == 1, output
    assert "✗ line 6 (comment): ∂/∂x formula 2 * x: wrong" in output, output
    assert "✗ line 6 (comment): ∂/∂x 6: wrong (x: claimed 6, true 27" in output, output


@pytest.mark.parametrize("comment", ["step 1", "x = 3 here", "see chapter 2", "the tape is released after 1 call"])
def test_a_comment_that_does_not_say_what_the_gradient_is_is_no_claim_about_it(tmp_path: Path, comment: str) -> None:
    code, output = check(tmp_path, "tape.py", TAPE.replace("COMMENT", comment))
    assert code == 0 and "(comment)" not in output, output
