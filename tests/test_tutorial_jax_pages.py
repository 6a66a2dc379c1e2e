"""JAX notebooks as they print: labels before values (`b_grad -0.29`, `f'(1): 9.38`), numbers and tuples formatted into
f-strings, truth values as array data, and vector functions written as `jnp.array([...])` of their inputs' elements."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli
from tests.test_tutorial_frameworks import check


def test_labels_as_jax_tutorials_print_them_and_truth_values_as_array_data(tmp_path: Path) -> None:
    text = ("```python\nimport jax.numpy as jnp\nfrom jax import grad\n\nt = jnp.array([True, False, True])\nw = jnp.array([0.5, 1.0, 2.0])\n\n"
            "def loss(w):\n    return jnp.sum(w * t + (1 - w) * (1 - t))\n\nprint('w_grad', grad(loss)(w))\nprint('b_grad', grad(lambda b: b ** 2)(1.5))\n"
            "```\n\n```\nw_grad [ 1. -1.  1.]\nb_grad 3.0\n```\n")  # fmt: skip
    code, output = check(tmp_path, "labels.md", text)
    assert code == 0 and "∂/∂w [1, -1, 1]: holds" in output and "∂/∂b 3: holds" in output, output


def test_fstring_labels_with_parentheses_and_numbers_formatted_into_them(tmp_path: Path) -> None:
    text = ("```python\nimport jax.numpy as jnp\nfrom jax import grad\n\ndf = grad(lambda x: jnp.sin(x) * x)\n"
            "print(f\"f'(1): {df(1.0):.4f}\")\nprint(f\"by hand f'(1): {jnp.cos(1.0) + jnp.sin(1.0):.4f}\")\n"
            "print(f\"f'(v): {grad(lambda v: jnp.sum(v ** 2))(jnp.array([1.0, 2.0]))}\")\n```\n\n"
            "```\nf'(1): 1.3818\nby hand f'(1): 1.3818\nf'(v): [2. 4.]\n```\n")  # fmt: skip
    code, output = check(tmp_path, "fstrings.md", text)
    assert code == 0 and "∂/∂x 1.3818: holds" in output and "∂/∂v [2, 4]: holds" in output, output
    assert "not tied" not in output, output


def test_a_vector_function_written_as_an_array_of_its_elements_has_its_jacobian_and_vjp_checked(tmp_path: Path) -> None:
    text = ("```python\nimport jax\nimport jax.numpy as jnp\n\ndef f(x):\n    return jnp.array([x[0] * x[1], 0.0, jnp.sin(x[1])])\n\n"
            "def jf_by_hand(x):\n    return jnp.array([[x[1], x[0]], [0, 0], [0, jnp.cos(x[1])]])\n\nx = jnp.array([2.0, 0.0])\n"
            "print(f\"jacobian: {jax.jacfwd(f)(x)}\")\nprint(f\"by hand: {jf_by_hand(x)}\")\ny, pull = jax.vjp(f, x)\n"
            "print(f\"vjp: {pull(jnp.array([1.0, 1.0, 1.0]))}\")\n```\n\n"
            "```\njacobian: [[0. 2.]\n [0. 0.]\n [0. 1.]]\nby hand: [[0. 2.]\n [0. 0.]\n [0. 1.]]\nvjp: (Array([0., 3.], dtype=float32),)\n```\n")  # fmt: skip
    code, output = check(tmp_path, "vector.md", text)
    assert code == 0 and "J[x] [0, 2, 0, 0, 0, 1]: holds" in output and "∂/∂x [0, 3]: holds" in output, output
    assert "value [0, 2, 0, 0, 0, 1]: holds" in output, output  # the Jacobian written by hand, computed at x


def test_an_array_of_a_function_s_inputs_is_their_stack_in_a_case_file(tmp_path: Path) -> None:
    path = tmp_path / "stacked.yaml"
    path.write_text("name: stacked\nexpr: \"np.array([[1, 2], [x[0] * x[1], 0], [0, x[1] ** 3]]).sum()\"\ninputs:\n  x: tensor([1.0, 2.0])\n"
                    "expect:\n  grad:\n    x: [2.0, 13.0]\n")  # fmt: skip
    code, output = cli("run", "--no-color", str(path))
    assert code == 0 and "1 passed" in output, output


def test_a_jax_call_not_read_leaves_its_arguments_known(tmp_path: Path) -> None:
    text = ("```python\nimport jax\nimport jax.numpy as jnp\nfrom jax.test_util import check_grads\n\ndef f(w):\n    return jnp.sum(w ** 3)\n\n"
            "w = jnp.array([1.0, 2.0])\ncheck_grads(f, (w,), order=2)\nprint(jax.grad(f)(w))\n```\n\n```\n[ 3. 12.]\n```\n")  # fmt: skip
    code, output = check(tmp_path, "immutable.md", text)
    assert code == 0 and "∂/∂w [3, 12]: holds" in output, output  # JAX arrays are immutable: check_grads changed nothing


def test_an_assert_that_two_jacobians_agree_is_listed_not_a_broken_case(tmp_path: Path) -> None:
    text = (
        "import jax\nimport jax.numpy as jnp\n\ndef f(w):\n    return jnp.sin(w) * 2.0\n\nw = jnp.array([1.0, 2.0])\n"
        "assert jnp.allclose(jax.jacrev(f)(w), jax.jacfwd(f)(w))\n"
    )
    code, output = check(tmp_path, "jacobians.py", text)
    assert code == 0 and "both sides are derivatives the code computes, each checked on its own" in output and "error" not in output, output


def test_torch_tensor_of_computed_values_is_still_refused_where_torch_copies_them(tmp_path: Path) -> None:
    path = tmp_path / "copied.yaml"
    path.write_text('name: copied\nexpr: "torch.tensor([x[0] * x[1], x[1]]).sum()"\ninputs:\n  x: tensor([1.0, 2.0])\n')
    code, output = cli("run", "--no-color", str(path))
    assert code == 2 and "arguments must be constants" in output, output  # torch.tensor copies: no gradient reaches x through it


def test_a_derivative_written_by_hand_and_named_so_is_checked_against_the_function(tmp_path: Path) -> None:
    text = ("```python\nimport jax.numpy as jnp\nfrom jax import grad\n\ndef f(x):\n    return jnp.sin(x) * x\n\n"
            "def grad_f_manual(x):\n    return jnp.cos(x) * x + jnp.sin(x)\n\nprint(f\"manual: {grad_f_manual(1.0):.4f}\")\n```\n\n"
            "```\nmanual: 1.3818\n```\n")  # fmt: skip  # NOTE: `manual: 1.3818` parses as Python (an annotation): still an output
    code, output = check(tmp_path, "manual.md", text)
    assert code == 0 and "grad_f_manual() as the derivative of f(): holds" in output, output
    code, output = check(tmp_path, "manual_wrong.md", text.replace("jnp.cos(x) * x + jnp.sin(x)", "jnp.cos(x) * x").replace("1.3818", "0.5403"))
    assert code == 1 and "grad_f_manual() as the derivative of f(): wrong" in output, output


def test_stop_gradient_of_the_tutorials_own_function_and_a_comparison_with_it(tmp_path: Path) -> None:
    code_text = ("import jax\nimport jax.numpy as jnp\nfrom jax import grad\n\nx = jnp.arange(4.0)\ny = lambda x: x * x\n"
                 "u = jax.lax.stop_gradient(y(x))\nz = lambda x: u * x\nassert jnp.allclose(grad(lambda x: z(x).sum())(x), SIDE)\n")  # fmt: skip
    code, output = check(tmp_path, "stop.py", code_text.replace("SIDE", "y(x)"))
    assert code == 0 and "line 9 (assert): ∂/∂x tensor([0.0, 1.0, 4.0, 9.0]): holds" in output, output
    code, output = check(tmp_path, "stop_wrong.py", code_text.replace("SIDE", "3 * y(x)"))
    assert code == 1 and "✗ line 9 (assert): ∂/∂x tensor([0.0, 3.0, 12.0, 27.0]): wrong" in output, output


def test_a_dict_of_parameters_is_differentiated_key_by_key(tmp_path: Path) -> None:
    text = ("```python\nimport jax\nimport jax.numpy as jnp\n\nx = jnp.array([1.0, 2.0])\n\ndef loss(params):\n"
            "    return jnp.sum((params['w'] * x + params['b']) ** 2)\n\nparams = {'w': jnp.array([0.5, -1.0]), 'b': jnp.array(0.25)}\n"
            "print(jax.grad(loss)(params))\n```\n\n```\n{'b': Array(GB, dtype=float32), 'w': Array([GW], dtype=float32)}\n```\n")  # fmt: skip
    # loss = (0.75)^2 + (-1.75)^2: d/dw = 2 * r * x = [1.5, -7], d/db = 2 * (0.75 - 1.75) = -2 (JAX prints a dict's keys sorted)
    code, output = check(tmp_path, "pytree.md", text.replace("GB", "-2.").replace("GW", " 1.5, -7. "))
    assert code == 0 and "∂/∂params__w [1.5, -7]: holds" in output and "∂/∂params__b -2: holds" in output, output
    code, output = check(tmp_path, "pytree_wrong.md", text.replace("GB", "-2.").replace("GW", " 1.5, 7. "))
    assert code == 1 and "∂/∂params__w [1.5, 7]: wrong" in output, output


def test_values_printed_after_code_not_read_are_all_paired_from_the_end(tmp_path: Path) -> None:
    text = ("```python\nimport jax\nimport jax.numpy as jnp\nimport mystery\n\ndef f(X):\n    return X['x'] ** 2 + 3 * X['y'] + X['z'] ** 3\n\n"
            "X = {'x': 2.0, 'y': 3.0, 'z': 1.0}\nprint(mystery.version)\nprint(jax.grad(f)(X))\n```\n\n"
            "```\n<mystery v2>\n{'x': Array(4., dtype=float32), 'y': Array(3., dtype=float32), 'z': Array(3., dtype=float32)}\n```\n")  # fmt: skip
    code, output = check(tmp_path, "tail.md", text)  # the first print is not read; the three gradients after it all are
    assert code == 0 and all(f"∂/∂X__{key} {value}: holds" in output for key, value in (("x", 4), ("y", 3), ("z", 3))), output
