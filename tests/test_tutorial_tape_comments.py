"""Comments that say what a gradient comes to: `# 6.0` on the line that takes it, `# dz/dx ... --> 108.0` on the line above."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_frameworks import check

TAPE = """import tensorflow as tf

x = tf.constant(2.0)
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    y = x * x * x
    z = y * y

# Compute dz/dx: 6 * x^5 at x = 2 --> ABOVE
dz_dx = t.gradient(z, x)
dy_dx = t.gradient(y, x)  # SAME
"""


@pytest.mark.parametrize("above, same, code", [("192.0", "12.0", 0), ("96.0", "12.0", 1), ("192.0", "8.0", 1)])
def test_a_number_a_comment_gives_for_the_gradient_below_or_beside_it_is_checked(tmp_path: Path, above: str, same: str, code: int) -> None:
    found, output = check(tmp_path, "tape.py", TAPE.replace("ABOVE", above).replace("SAME", same))
    assert found == code, output
    assert f"line 9 (comment): ∂/∂x {above}: {'holds' if above == '192.0' else 'wrong'}" in output, output
    assert f"line 11 (comment): ∂/∂x {same}: {'holds' if same == '12.0' else 'wrong'}" in output, output


def test_a_whole_number_beside_a_gradient_may_be_a_note_and_is_no_claim(tmp_path: Path) -> None:
    code, output = check(tmp_path, "tape.py", TAPE.replace("ABOVE", "192.0").replace("SAME", "2"))
    assert code == 0 and "line 11 (comment)" not in output, output


ABOVE_PRINT = """import tensorflow as tf

u = tf.constant(2.0)
with tf.GradientTape() as tape:
    tape.watch(u)
    v = u * u
    w = v * v * v

# dw_dv = FORMULA and v = u ** 2 = 4
print(tape.gradient(w, v).numpy())
"""


@pytest.mark.parametrize("formula, code", [("3 * v ** 2", 0), ("2 * v", 1)])
def test_a_comment_naming_the_printed_gradient_below_it_states_its_formula(tmp_path: Path, formula: str, code: int) -> None:
    found, output = check(tmp_path, "above.py", ABOVE_PRINT.replace("FORMULA", formula))
    assert found == code, output
    assert f"line 9 (comment): ∂/∂v formula {'3 * (v ** 2): proven' if code == 0 else '2 * v: wrong'}" in output, output
