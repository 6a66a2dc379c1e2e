"""vjp and jvp, as JAX, torch.func and torch.autograd.functional ask for them: a VJP is a gradient along the
cotangent handed to the pullback; a JVP is the case's `jvp:` row along the tangents."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"


def test_jax_vjp_pullback_and_jvp_are_checked() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "jax_vjp_jvp.md"))
    assert code == 0, output
    assert "✓ line 17 (printed output): ∂/∂x [0.918217, 2.76355, 0.231011]: holds" in output
    assert "✓ line 28 (printed output): Jv [0.918217, 0, -0.0770038]: holds" in output
    assert "not read" not in output


def test_torch_func_and_autograd_functional_vjp_and_jvp_are_checked() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "torch_vjp_jvp.md"))
    assert code == 0, output
    assert output.count("∂/∂x [0.9182, 2.7635, 0.231]: holds") == 2
    assert output.count("Jv [0.9182, 0, -0.077]: holds") == 2


def test_a_wrong_printed_jvp_fails_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "wrong.md"
    path.write_text((FIXTURES / "jax_vjp_jvp.md").read_text().replace("-0.07700378", "-0.17700378"))
    code, output = cli("check", "--no-color", str(path))
    assert code == 1 and "wrong.md:28: FAIL" in output, output


def test_a_library_function_differentiated_directly_is_read_as_a_function_of_one_argument(tmp_path: Path) -> None:
    path = tmp_path / "library.md"
    path.write_text("```python\nimport jax.numpy as jnp\nfrom jax import grad\n\ngrad_tanh = grad(jnp.tanh)\nprint(grad_tanh(2.0))\n"
                    "print(grad(grad(jnp.sin))(1.0))\n```\n\n```output\n0.070650935\n-0.84147096\n```\n")  # fmt: skip
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "✓ line 11 (printed output): ∂/∂x 0.0706509: holds" in output
    assert "✓ line 12 (printed output): ∂²/∂x² -0.841471: holds" in output


def test_vmap_of_grad_gives_per_row_gradients_and_vmap_of_f_its_values(tmp_path: Path) -> None:
    path = tmp_path / "vmap.md"
    path.write_text("```python\nimport jax.numpy as jnp\nfrom jax import grad, jit, vmap\n\ndef sigmoid(x):\n    return 1 / (1 + jnp.exp(-x))\n\n"
                    "print(jit(vmap(grad(sigmoid)))(jnp.arange(3.)))\nprint(vmap(sigmoid)(jnp.array([0.0, 1.0])))\n"
                    "print(vmap(grad(sigmoid), in_axes=1)(jnp.ones((2, 2))))\n```\n\n"
                    "```output\n[0.25       0.19661194 0.10499357]\n[0.5       0.7310586]\n"
                    "[[0.19661194 0.19661194]\n [0.19661194 0.19661194]]\n```\n")  # fmt: skip
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "✓ line 14 (printed output): ∂/∂x [0.25, 0.196612, 0.104994]: holds" in output
    assert "✓ line 15 (printed output): value [0.5, 0.731059]: holds" in output
    assert "jax.vmap() over other axes than the first" in output, output


def test_a_function_of_functions_with_several_statements_is_read_through(tmp_path: Path) -> None:
    path = tmp_path / "vgrad.md"
    path.write_text("```python\nimport jax.numpy as jnp\nfrom jax import vjp\n\ndef pullback_of_ones(f, x):\n    y, pull = vjp(f, x)\n"
                    "    return pull(jnp.ones(y.shape))[0]\n\nprint(pullback_of_ones(lambda x: 2 * x ** 3, jnp.array([1.0, 2.0])))\n```\n\n"
                    "```output\n[ 6. 24.]\n```\n")  # fmt: skip
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "(printed output): ∂/∂x [6, 24]: holds" in output and "not read" not in output


def test_an_assert_at_random_inputs_against_a_formula_in_them_is_a_formula_claim() -> None:
    # the gradient is taken at a stand-in for x; the other side is computed from x itself: a formula in the input
    code, output = cli("check", "--no-color", str(FIXTURES / "functorch_asserts.py"))
    assert code == 1, output
    assert "✓ line 7 (assert): ∂/∂x formula 1 - torch.tanh(x) ** 2: proven" in output  # x = torch.randn(n), n = 4: shapes from names
    assert "✗ line 14 (assert): ∂/∂x formula 3 * x: wrong" in output


def test_a_third_derivative_printed_beside_others_is_checked_and_keeps_them_paired(tmp_path: Path) -> None:
    path = tmp_path / "third.md"
    path.write_text("```python\nimport jax\n\ndef show(f):\n    return f\n\nf = lambda x: x ** 3 + x\nshow(f)\nd1 = jax.grad(f)\nd2 = jax.grad(d1)\n"
                    "d3 = jax.grad(d2)\nprint(d1(1.0), d2(1.0), d3(1.0))\n```\n\n```output\n4.0 6.0 6.0\n```\n")  # fmt: skip
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "∂/∂x 4: holds" in output and "∂²/∂x² 6: holds" in output
    assert "∂³/∂x³ 6: holds" in output, output  # grad of grad of grad: the derivative of order 3, 6


def test_a_hessian_of_a_vector_valued_function_and_an_oversized_jacobian_are_listed_not_errors(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_text("```python\nimport torch\nfrom torch.func import hessian, jacrev\n\ndef layer(v):\n    return torch.sin(v) * 2\n\n"
                    "x = torch.tensor([0.1, 0.2, 0.3])\nh = hessian(layer)(x)\nbig = torch.ones(200)\nj = jacrev(layer)(big)\n"
                    "print(jacrev(layer)(x).diagonal())\n```\n")  # fmt: skip
    code, output = cli("check", "--no-color", str(path))
    assert "ERROR" not in output and code in (0, 5), output
    assert "line 9: hessian(layer): not checked: the function's value has shape (3,), not one number (its Hessian is a tensor of third order)" in output
    assert "line 11: jacobian(layer): not checked: the Jacobian would hold 40000 elements (at most 10000 are checked)" in output
