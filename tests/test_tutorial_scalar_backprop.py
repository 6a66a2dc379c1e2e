"""Hand-written backprop on plain Python numbers: each derivative-named variable holds a claim about the final output's gradient."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"


def check(tmp_path: Path, code: str) -> tuple[int, str]:
    path = tmp_path / "numbers.md"
    path.write_text(f"```python\n{code}```\n")
    return cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))


def test_every_held_hand_gradient_of_a_number_circuit_is_checked() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "scalar_backprop.md"))
    assert code == 0, output
    for claim in ("∂g/∂t (by hand: dgdt)", "∂g/∂s (by hand: dgds)", "∂g/∂c (by hand: dgdc)", "∂g/∂a (by hand: dgda)", "∂g/∂b (by hand: dgdb)"):
        assert f"PASS  {claim}" in output, claim
    for claim in ("∂h/∂lin (by hand: dlin)", "∂h/∂u[0] (by hand: du[0])", "∂h/∂u[1] (by hand: du[1])", "∂h/∂v[2] (by hand: dv[2])"):
        assert f"PASS  {claim}" in output, claim
    for claim in ("∂out/∂k (by hand: dk)", "∂out/∂e (by hand: de)", "∂out/∂m (by hand: dm)", "∂out/∂r (by hand: dr)"):
        assert f"PASS  {claim}" in output, claim


def test_a_gradient_added_up_with_plus_equals_is_claimed_once_at_its_last_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "scalar_backprop.md"))
    assert code == 0, output
    assert output.count("(by hand: dp)") == 1 and "∂out/∂p (by hand: dp) at line 47" in output, output


def test_a_wrong_hand_gradient_on_numbers_fails_at_its_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "scalar_backprop_wrong.md"))
    assert code == 1, output
    assert "scalar_backprop_wrong.md:12: FAIL" in output and "(by hand: dgda)" in output, output
    assert output.count("✓ PASS  ") == 4, output


def test_two_final_outputs_leave_a_short_name_unpaired_and_listed(tmp_path: Path) -> None:
    code, output = check(tmp_path, "a = 2.0\ny1 = a * 3\ny2 = a + 1\nda = 3.0 * a / a\n")
    assert "by hand" not in output, output
    assert "da reads as a hand-written gradient; not paired with a loss: several outputs depend on a (y1, y2)" in output


def test_a_finite_difference_step_named_like_a_gradient_is_not_a_claim(tmp_path: Path) -> None:
    code, output = check(tmp_path, "x = 2.0\nf = x ** 2\ndx = 0.001\nslope = ((x + dx) ** 2 - f) / dx\n")
    assert "by hand" not in output, output


def test_layer_objects_are_followed_through_their_forward_and_backward_calls() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "layer_instances.md"))
    assert code == 0, output
    for claim in ("∂bill/∂pen (by hand: dpen)", "∂bill/∂pens (by hand: dpens)", "∂bill/∂ink (by hand: dink)", "∂bill/∂rate (by hand: drate)"):
        assert f"PASS  {claim}" in output, claim
    assert "an instance of the layer class" not in output, output


def test_a_printed_value_of_a_layer_circuit_that_the_code_does_not_compute_fails_at_its_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "layer_instances_wrong.md"))
    assert code == 1, output
    assert "layer_instances_wrong.md:57: FAIL" in output, output


def test_an_indicator_in_a_latex_derivative_is_read_as_one_where_its_condition_holds() -> None:
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", "-e", "fd", str(FIXTURES / "relu_indicator.md"))
    assert code == 0, output
    assert output.count("✓ PASS  ") == 2 and "not checked" not in output, output


def test_an_indicator_the_wrong_way_round_fails_at_its_line() -> None:
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", "-e", "fd", str(FIXTURES / "relu_indicator_wrong.md"))
    assert code == 1, output
    assert "relu_indicator_wrong.md:3: FAIL" in output, output


def test_a_comment_about_a_local_derivative_is_not_read_as_the_outputs(tmp_path: Path) -> None:
    code, output = check(tmp_path, "a = 3.0\nb = 2.0\ns = a - b\nout = s * a\ndout_ds = a\ndout_db = -1.0 * dout_ds  # ds/db = -1\n")
    assert code == 0 and "FAIL" not in output, output
    assert "PASS  ∂out/∂b (by hand: dout_db)" in output, output


def test_a_loss_called_L_in_the_name_pairs_with_the_one_loss_and_a_loop_claims_its_first_pass(tmp_path: Path) -> None:
    loop = "x = 1.5\nt = 4.0\nw = 2.0\nfor step in range(3):\n    loss = (w * x - t) ** 2\n    dL_dw = 2 * (w * x - t) * x\n    w = w - 0.1 * dL_dw\n"
    code, output = check(tmp_path, loop)
    assert code == 0, output
    assert output.count("PASS  ∂loss/∂w (by hand: dL_dw)") == 1 and "dL_dw = -3.0: holds" in output, output


def test_a_list_named_as_the_gradient_of_a_number_is_listed_not_paired(tmp_path: Path) -> None:
    code, output = check(tmp_path, "x = 0.5\nw = [2.0, -1.0]\nf = w[0] * x + w[1]\ndx = [w[0], w[1]]\n")
    assert "by hand" not in output, output
    assert "dx reads as a hand-written gradient; not paired: it and x are not both numbers or lists as long" in output, output


def test_a_derivative_by_cases_still_says_something_of_the_function_it_follows(tmp_path: Path) -> None:
    path = tmp_path / "two.md"
    text = (
        "Rectifier: $$g(v) = \\max(0, v)$$ with $$g'(v) = \\begin{cases} 1, & v > 0 \\\\ 0, & \\text{else} \\end{cases}$$\n\n"
        "Softplus: $$g(v) = \\log(1 + \\exp(v))$$ with $$g'(v) = \\frac{1}{1 + \\exp(-v)}$$\n"
    )
    path.write_text(text)
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", "-e", "fd", str(path))
    assert code == 0 and "PASS  diff(log(1 + exp(v)), v)" in output, output
