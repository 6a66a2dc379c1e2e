"""Definitions the math writes the way model notes do: a value named and given by a function in one chain
(`\\hat{p} = g(t, k, c) = tk + c`), a loss through a named function of accented arguments with a Euclidean norm
(`L = Loss(\\hat{p}, p) = \\frac{1}{M}\\|\\hat{p} - p\\|_2^2`), wide thin spaces between two statements, and a definition
found again on its line as plain text cut short."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli

MODEL = r"""# A linear model

$$ \hat{p} = g(t, k, c) = tk + c \,\,\,\,\,\, \hat{p} \in R^M $$

$$ L = Loss(\hat{p}, p) = \frac{1}{M} \| \hat{p} - p \|_2^2 $$

The chain rule gives

$$ \frac{\partial L}{\partial \hat{p}} = {dp} $$

$$ \frac{\partial \hat{p}}{\partial k} = t, \,\,\,\,\, \frac{\partial \hat{p}}{\partial c} = 1 $$

$$ \frac{\partial L}{\partial k} = \frac{2t}{M} \, (\hat{p} - p) $$
"""


def check(tmp_path: Path, text: str, name: str = "model.md") -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text)
    return cli("check", "--no-color", "-v", str(path))


def test_a_value_named_and_given_by_a_function_and_a_loss_through_a_norm(tmp_path: Path) -> None:
    code, output = check(tmp_path, MODEL.replace("{dp}", r"\frac{2}{M} \, (\hat{p} - p)"))
    assert code == 0, output
    assert "✓ line 9 (LaTeX): ∂/∂p_hat formula (2 / M) * (p_hat - p): proven" in output
    assert "✓ line 11 (LaTeX): ∂/∂k formula t: proven" in output
    assert "✓ line 11 (LaTeX): ∂/∂c formula 1: proven" in output
    assert "✓ line 13 (LaTeX): ∂/∂k formula ((2 * t) / M) * (((t * k) + c) - p): proven" in output


def test_a_wrong_derivative_of_the_loss_fails(tmp_path: Path) -> None:
    code, output = check(tmp_path, MODEL.replace("{dp}", r"\frac{1}{M} \, (\hat{p} - p)"))
    assert code == 1, output
    assert "✗ line 9 (LaTeX): ∂/∂p_hat formula (1 / M) * (p_hat - p): wrong" in output


def test_a_definition_found_again_as_plain_text_cut_short_keeps_the_math(tmp_path: Path) -> None:
    page = "# Square\n\n$$\nq(u) = u^{2} \\hspace{0.5cm}, \\hspace{0.1cm} u = 3.0\n$$\n\nIts derivative,\n\n$$\n\\frac{dq}{du} = {d}\n$$\n"
    code, output = check(tmp_path, page.replace("{d}", "2u"))
    assert code == 0, output
    assert "✓ line 10 (LaTeX): ∂/∂u formula 2 * u: proven" in output
    code, output = check(tmp_path, page.replace("{d}", "3u"))
    assert code == 1 and "✗ line 10 (LaTeX): ∂/∂u formula 3 * u: wrong" in output, output


GRADIENT = r"""# A bowl

$$
f(x) = 2x_1^2 + 3x_2^2 + x_3^2
$$

$$ \nabla f(x) = \begin{bmatrix}
    {entries}\\
\end{bmatrix}^T $$
"""


def test_a_gradient_written_as_a_row_of_entries_is_a_derivative_per_numbered_variable(tmp_path: Path) -> None:
    code, output = check(tmp_path, GRADIENT.replace("{entries}", "4x_1, 6x_2, 2x_3"))
    assert code == 0, output
    for entry in ("∂/∂x_1 formula 4 * x_1", "∂/∂x_2 formula 6 * x_2", "∂/∂x_3 formula 2 * x_3"):
        assert f"✓ line 7 (LaTeX): {entry}: proven" in output
    code, output = check(tmp_path, GRADIENT.replace("{entries}", "4x_1, 3x_2, 2x_3"))
    assert code == 1 and "✗ line 7 (LaTeX): ∂/∂x_2 formula 3 * x_2: wrong" in output, output
    code, output = check(tmp_path, GRADIENT.replace("{entries}", "4x_1, 6x_2"))
    assert "✗" not in output and "each entry is, is not known" in output, output  # two entries for three variables: not paired
