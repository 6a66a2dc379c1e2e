"""Training traces that print several labelled values per line (`Epoch: 1, Loss = 4.5000, w = 1.1000`): each value is
paired with its field of the f-string in that pass, rounded as the f-string's format says."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli
from verifygrad.tutorials.printed import read_printed

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"


def test_each_labelled_value_of_a_trace_line_is_a_value_and_the_counter_is_not() -> None:
    assert [p.text for p in read_printed("Epoch: 3, Loss = 0.2812, w = 1.5500")] == ["0.2812", "1.5500"]
    assert [p.text for p in read_printed("Iteration 2: x =  1.4400, f(x) =  2.0736")] == ["1.4400", "2.0736"]
    assert [p.text for p in read_printed("Starting with x = 4.0 and gradient = 8.0")] == ["4.0", "8.0"]
    assert read_printed("step 3 | done: yes") == []


def test_a_trace_of_hand_written_steps_is_checked_pass_by_pass() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "trace_labelled.md"))
    assert code == 0, output
    for line in (22, 23, 24):
        assert f"✓ line {line} (printed output): ∂/∂w dL_dw of the step w - lr * dL_dw (line 16): holds" in output, output
        assert f"✓ line {line} (printed output): ∂/∂b dL_db of the step b - lr * dL_db (line 17): holds" in output, output
    assert "✓ line 24 (printed output): value 1.5625: holds: within the printed 4 decimals" in output, output
    assert "not tied" not in output, output


def test_a_wrong_gradient_in_a_trace_fails_at_each_printed_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "trace_labelled_wrong.md"))
    assert code == 1, output
    assert "✗ line 22 (printed output): ∂/∂w dL_dw of the step w - lr * dL_dw (line 16): wrong (w: claimed -10.0, true -20)" in output, output
    assert "✓ line 22 (printed output): ∂/∂b dL_db of the step b - lr * dL_db (line 17): holds" in output, output


def test_a_value_printed_with_a_fixed_format_is_held_to_its_decimals(tmp_path: Path) -> None:
    path = tmp_path / "rounded.md"
    path.write_text('```python\nimport numpy as np\n\nx = np.array(0.0018807)\ny = x * 1.0\nprint(f"y: {y:.4f}")\n```\n\n```\ny: 0.0019\n```\n')
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 0 and "value 0.0019: holds: within the printed 4 decimals" in output, output
    path.write_text(path.read_text().replace("y: 0.0019\n", "y: 0.0021\n"))
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 1 and "value 0.0021: wrong" in output, output
