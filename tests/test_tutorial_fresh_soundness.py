"""False FAILs found on a fresh held-out set of real tutorials (issue 20), each kept from coming back."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_frameworks import check

PARTIALS = ("Take `h(a, b) = a² + 5ab + b²`:\n- ∂h/∂a = 2a + 5b\n- ∂h/∂b = STATED (how h moves with b)\n\n```python\nimport jax\n\n"
            "def h(a, b):\n    return a**2 + 5*a*b + b**2\n\nprint(jax.grad(h, argnums=(0, 1))(1.0, 3.0))\n```\n\n"
            "```\n(Array(17., dtype=float32), Array(11., dtype=float32))\n```\n")  # fmt: skip


def test_a_formula_in_plain_prose_is_not_read_as_its_first_coefficient(tmp_path: Path) -> None:
    # `∂h/∂b = 5a + 2b` is the formula 5a + 2b, not the number 5
    code, output = check(tmp_path, "partials.md", PARTIALS.replace("STATED", "5a + 2b"))
    assert code == 0 and "wrong" not in output, output
    assert "✓ line 3 (text): ∂/∂b formula (5 * a) + (2 * b): proven" in output, output


def test_a_wrong_formula_in_plain_prose_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, "partials.md", PARTIALS.replace("STATED", "5a + 3b"))
    assert code == 1 and "✗ line 3 (text): ∂/∂b formula (5 * a) + (3 * b): wrong (differs at a = 1, b = 3" in output, output


def test_a_number_glued_to_a_letter_is_never_a_stated_value(tmp_path: Path) -> None:
    # `= 2e-3` or `= 2xy`: what follows the digits is part of it; read as 2 it would be a false FAIL
    for stated in ("2xy", "2e-3"):
        code, output = check(tmp_path, "glued.md", PARTIALS.replace("STATED", stated))
        assert code != 1 and "claimed 2," not in output, output


BETWEEN = ("```python\nimport torch\nx = torch.ones(3, requires_grad=True)\nprint(x)\n```\n\n```\ntensor([1., 1., 1.], requires_grad=True)\n```\n\n"
           "For our example, we'll use $\\mathbf{x} = [0, 1, 2]$ as the input.\n\n"
           "```python\nx = torch.arange(3, dtype=torch.float32, requires_grad=True)\n(x * x).sum().backward()\nprint(x.grad)\n```\n\n"
           "```\ntensor([0., 2., 4.])\n```\n")  # fmt: skip


def test_a_value_stated_between_two_bindings_of_its_name_is_not_compared_with_either(tmp_path: Path) -> None:
    # the text announces the next cell's x; the x bound before it is another one
    code, output = check(tmp_path, "between.md", BETWEEN)
    assert code == 0 and "wrong" not in output, output
    assert "x is bound again at line 14, in the code right after the text" in output, output
    assert "✓ line 20 (printed output): ∂/∂x [0, 2, 4]: holds" in output, output


COMMENTED = ("```python\nimport torch\nx = torch.ones(1) * 3\nx.requires_grad_(True)\nz = x * x\nz.backward()\nprint(x.grad)  # COMMENT\n```\n\n"
             "```\ntensor([6.])\n```\n\nNext:\n\n```python\nx = torch.zeros(2)\n```\n")  # fmt: skip


def test_a_value_a_comment_states_is_about_its_own_code_block(tmp_path: Path) -> None:
    # the comment sits in the block that binds x; the x of a later block does not make it ambiguous
    code, output = check(tmp_path, "comment.md", COMMENTED.replace("COMMENT", "x = 3, dz/dx = 2x = 6"))
    assert code == 0 and "✓ line 7 (comment): value 3: holds" in output, output


def test_a_comment_that_goes_on_to_a_derivative_does_not_give_its_first_name_the_last_value(tmp_path: Path) -> None:
    # `x = 3 so dz/dx = 2x = 6` is read as one chain; 6 is dz/dx's, not x's
    for comment in ("x = 3 so dz/dx = 2x = 2*3 = 6", "x = 3: dz/dx = 2x = 6"):
        code, output = check(tmp_path, "comment.md", COMMENTED.replace("COMMENT", comment))
        assert code == 0 and "wrong" not in output, output
