"""A derivative that is the same everywhere, stated without a point (`d²x/dt² = 9.8` of `x = 4.9t²`), is an identity to
check, not an equation to solve; one that changes with the variable still is one, and is listed."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_frameworks import check

FALL = """# A falling stone

The distance fallen is $s(t) = 4.9 t^2$. Its speed is $v(t) = \\frac{ds}{dt} = 9.8 t$.

Its acceleration is constant: $a(t) = \\frac{d^2 s}{dt^2} = ACCELERATION$.
"""


def test_a_constant_second_derivative_stated_without_a_point_is_checked(tmp_path: Path) -> None:
    code, output = check(tmp_path, "fall.md", FALL.replace("ACCELERATION", "9.8"))
    assert code == 0, output
    assert "✓ line 5 (LaTeX): ∂²/∂t_input² formula diag(9.8 + 0 * t): proven" in output, output


def test_a_wrong_constant_second_derivative_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, "fall.md", FALL.replace("ACCELERATION", "4.9"))
    assert code == 1, output
    assert "✗ line 5 (LaTeX): ∂²/∂t_input² formula diag(4.9 + 0 * t): wrong" in output, output


def test_a_second_derivative_that_changes_with_the_variable_still_reads_as_an_equation(tmp_path: Path) -> None:
    code, output = check(tmp_path, "fall.md", FALL.replace("4.9 t^2", "t^3").replace("9.8 t$", "3 t^2$").replace("ACCELERATION", "6"))
    assert code != 1, output
    assert "line 5: LaTeX a(t) = \\frac{d^2 s}{dt^2} = 6: not checked: 6 for a derivative that depends on t reads as an equation to solve" in output
