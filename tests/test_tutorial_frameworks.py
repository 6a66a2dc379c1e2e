"""`verifygrad check` on tutorials written for each framework: every way of asking for a derivative, read as the quantity it asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_check import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"


def check(tmp_path: Path, name: str, text: str) -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text)
    return cli("check", "--no-color", str(path))


@pytest.mark.parametrize("name", ["jax_grad.md", "tf_tape.md"])
def test_each_framework_tutorial_passes_with_its_claims_checked(name: str) -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / name))
    assert code == 0, output
    assert "holds" in output and "not read" not in output.split("case ")[0], output


def test_jax_transforms_become_gradient_and_hessian_cases() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "jax_grad.md"))
    assert "grad(sum_logistic) at line 12" in output  # jit is transparent
    assert "the hessian of grad(f) at line 23" in output  # grad(grad(f)) is a second derivative
    assert "line 16 (printed output): ∂/∂x [0.25, 0.196612, 0.104994]: holds" in output  # float32 digits as float32 holds them


def test_tf_nested_tapes_give_a_second_derivative_and_a_wrong_one_fails_at_its_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "tf_tape_wrong_second_derivative.md"))
    assert code == 1, output
    assert "✗ line 39 (printed output): ∂²/∂x² 8: wrong" in output


def test_tape_watch_makes_a_constant_differentiable_and_lists_become_tuples_of_gradients() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "tf_tape.md"))
    assert "line 25 (printed output): ∂/∂c 24.0855: holds" in output  # c = tf.constant(...) watched
    assert "line 51 (printed output): ∂/∂v [2, 4]: holds" in output  # g1, = tape.gradient(z, [v])


@pytest.mark.parametrize(("name", "says"), [
    ("mxnet_record.md", "∂/∂a [6, 12, 18, 24]: holds"),  # attach_grad, autograd.record(), backward, .grad
    ("paddle_grad.md", "∂/∂p [3, 4]: holds"),  # to_tensor(stop_gradient=False), .stop_gradient = False, paddle.grad
])  # fmt: skip
def test_mxnet_and_paddle_follow_the_torch_pattern(name: str, says: str) -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / name))
    assert code == 0 and says in output, output


def test_mxnet_backward_writes_the_gradient_instead_of_adding_to_it() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "mxnet_record.md"))
    assert code == 0 and "∂/∂a [2, 2, 2, 2]: holds" in output, output


def test_torch_autograd_grad_with_create_graph_gives_the_second_derivative(tmp_path: Path) -> None:
    code, output = check(tmp_path, "second.py", (
        "import torch as t\nu = t.tensor(2.0, requires_grad=True)\nv = u ** 3\n"
        "(du,) = t.autograd.grad(v, u, create_graph=True)\nprint(du)\n# tensor(12., grad_fn=<MulBackward0>)\n"
        "d2u = t.autograd.grad(du, u)[0]\nprint(d2u)\n# tensor(13.)\n"
    ))  # fmt: skip
    assert code == 1, output
    assert "∂/∂u 12: holds" in output and "∂²/∂u² 13: wrong (H[u,u]: claimed 13., true 12; held to float32" in output


def test_numpy_seeded_values_are_numpys_own_stream(tmp_path: Path) -> None:
    import numpy as np

    code, output = check(tmp_path, "seeded.py", (
        "import numpy as np\nfrom autograd import grad\nnp.random.seed(3)\nw = np.random.randn(2)\n"
        "loss = lambda w: np.sum(np.tanh(w))\nprint(grad(loss)(w))\n"
        f"# array({(1 - np.tanh(np.random.RandomState(3).randn(2)) ** 2).tolist()})\n"
    ))  # fmt: skip
    assert code == 0 and "(comment): ∂/∂w [0.105811, 0.831287]: holds" in output, output


def test_a_function_that_changes_its_argument_in_place_makes_it_unknown(tmp_path: Path) -> None:
    code, output = check(tmp_path, "mutate.py", (
        "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\nz = torch.tensor([5.0, 5.0])\n"
        "def scale(a):\n    a[0] = 0.0\n    return a\nscale(z)\ny = (x * z).sum()\ny.backward()\nprint(x.grad)\n# tensor([5., 5.])\n"
    ))  # fmt: skip
    assert "line 7 changed z and was not read" in output and "wrong" not in output, output


def test_a_wrong_custom_backward_fails_naming_the_class_and_its_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "torch_function_wrong_backward.py"))
    assert code == 1, output
    assert "torch_function_wrong_backward.py:11: FAIL torch_function_wrong_backward.py:17:Cube.backward: claim formula.a: wrong" in output
    assert "✗ line 11 (custom backward): ∂/∂a formula Cube.backward: wrong (differs at a[0] = 1: claimed 2, true ∂/∂a[0] = 3)" in output


def test_jax_custom_vjp_rules_are_checked_against_the_primal() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "jax_custom_vjp.py"))
    assert code == 1, output
    assert "line 14 (custom backward): ∂/∂x formula softplus.backward: proven" in output
    assert "✗ line 31 (custom backward): ∂/∂x formula sq.backward: wrong (differs at x = 3: claimed 3, true ∂/∂x = 6)" in output


def test_tf_custom_gradient_is_checked_and_a_right_one_is_proven() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "tf_custom_gradient.py"))
    assert code == 0, output
    assert "line 8 (custom backward): ∂/∂x formula log1pexp.backward: proven" in output


def test_a_custom_backward_extracted_to_a_case_file_fails_there_too(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    code, _ = cli("extract", str(FIXTURES / "torch_function_wrong_backward.py"), "-o", str(cases))
    assert code == 0 and "formula:" in cases.read_text()
    code, output = cli("run", "--no-color", str(cases))
    assert code == 1 and "Cube.backward: claim formula.a: wrong" in output, output


def test_a_custom_gradient_that_rounds_to_zero_far_from_the_inputs_is_not_wrong() -> None:
    # `1 - 1/(1 + exp(x))` is 1 - 1 = 0 in float64 where x < -37; the truth there is exp(x), under 1e-16
    # times the terms the claim cancels: rounding, not a wrong derivative (random points reach x = -1600).
    code, output = cli("check", "--no-color", str(FIXTURES / "tf_custom_gradient_far_left.py"))
    assert code == 0, output
    assert "line 6 (custom backward): ∂/∂v formula smooth_relu.backward: holds" in output


def test_tape_watch_of_a_list_watches_each_and_an_unwatched_constant_has_no_gradient(tmp_path: Path) -> None:
    code, output = check(tmp_path, "watch_list.md", (
        "```python\nimport tensorflow as tf\nx = tf.Variable(2.0)\np = tf.constant(3.0)\nq = tf.constant(5.0)\nr = tf.constant(1.0)\n"
        "with tf.GradientTape() as tape:\n    tape.watch([p, q])\n    y = p * x * x + q * x + r\n"
        "dx, dp, dq, dr = tape.gradient(y, [x, p, q, r])\nprint(dp)\nprint(dq)\nprint(dr is None)\n```\n\n"
        "```\ntf.Tensor(4.0, shape=(), dtype=float32)\ntf.Tensor(2.0, shape=(), dtype=float32)\nTrue\n```\n"
    ))  # fmt: skip
    assert code == 0, output
    assert "(printed output): ∂/∂p 4: holds" in output and "(printed output): ∂/∂q 2: holds" in output


def test_names_unpacked_from_a_tuple_written_out_are_each_bound(tmp_path: Path) -> None:
    code, output = check(tmp_path, "unpack.md", (
        "```python\nimport torch\nw1, w2 = 5.0, 3.0\nx, n = torch.tensor([1.0, 2.0], requires_grad=True), 2\n"
        "(w1 * x ** n + w2 * x).sum().backward()\nprint(x.grad)\n```\n\n```\ntensor([13., 23.])\n```\n"
    ))  # fmt: skip
    assert code == 0, output
    assert "(printed output): ∂/∂x [13, 23]: holds" in output and "tuple unpacking" not in output


def test_jax_custom_jvp_rules_are_checked_and_an_input_without_a_rule_is_not() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "jax_custom_jvp.md"))
    assert code == 1, output
    assert "✓ line 12 (custom jvp): ∂/∂x formula g.jvp: proven" in output  # @g.defjvp: the tangent rule along x
    assert "✓ line 22 (printed output): ∂/∂x 3.29744: holds" in output
    assert "✗ line 32 (custom jvp): ∂/∂x formula h.jvp: wrong (differs at x = 1: claimed 2, true ∂/∂x = 3)" in output
    assert "line 40: the custom rule of k gives no derivative for y (None)" in output  # listed, never compared with the 0.0 printed
    assert "line 45: printed output 0: not tied" in output


def test_a_custom_rule_that_exists_because_the_float32_primal_overflows_is_checked_in_float64(tmp_path: Path) -> None:
    code, output = check(tmp_path, "stable.md", (
        "```python\nimport jax.numpy as jnp\nfrom jax import custom_jvp, grad\n\n@custom_jvp\ndef softplus(x):\n    return jnp.log(1.0 + jnp.exp(x))\n\n"
        "softplus.defjvps(lambda t, ans, x: t / (1.0 + jnp.exp(-x)))\nprint(grad(softplus)(200.0))\n```\n\n```output\n1.0\n```\n"
    ))  # fmt: skip
    assert code == 0, output
    assert "(printed output): ∂/∂x 1: holds" in output and "(custom jvp): ∂/∂x formula softplus.jvp: " in output


def test_a_library_call_written_with_its_full_path_inside_a_function_is_spelt_once(tmp_path: Path) -> None:
    # `jax.lax.stop_gradient` inside a def: the whole path is the call's, not `jax.lax` rewritten first
    code, output = check(tmp_path, "straight_through.md", (
        "```python\nimport jax\nimport jax.numpy as jnp\n\ndef snapped(x):\n    return x * x + jax.lax.stop_gradient(jnp.round(x) - x * x)\n\n"
        "print(jax.grad(snapped)(1.3))\n```\n\n```output\n2.6\n```\n"
    ))  # fmt: skip
    assert code == 0, output
    assert "(printed output): ∂/∂x 2.6: holds" in output


def test_a_dtype_given_to_a_constructor_of_computed_data_casts_it(tmp_path: Path) -> None:
    # Tensor(np.random.randn(2), mindspore.float32): float32, so the printed float32 digits are held to float32's budget
    code, output = check(tmp_path, "cast.md", (
        "```python\nimport numpy as np\nimport mindspore\nfrom mindspore import Tensor, Parameter, ops\n\nnp.random.seed(0)\n"
        "w = Parameter(Tensor(np.random.randn(2), mindspore.float32), name='w')\n\ndef f(w):\n    return ops.sum(ops.exp(w))\n\n"
        "print(mindspore.grad(f)(w))\n```\n\n```output\n[5.8360395 1.4920592]\n```\n"
    ))  # fmt: skip
    assert code == 0, output
    assert "(printed output): ∂/∂w [5.83604, 1.49206]: holds" in output and "(float32)" in output


def test_a_tensor_passed_by_keyword_is_an_operand_and_mindspore_passes_it_by_position(tmp_path: Path) -> None:
    for call in ("F.binary_cross_entropy_with_logits(z, y, weight=w)", "ops.binary_cross_entropy_with_logits(z, y, w, ops.ones_like(z))"):
        code, output = check(tmp_path, "weighted.md", (
            "```python\nimport torch\nimport torch.nn.functional as F\nfrom mindspore import ops\n"
            "z = torch.tensor([0.5, -1.0], requires_grad=True)\ny = torch.tensor([1.0, 0.0])\nw = torch.tensor([2.0, 1.0])\n"
            f"loss = {call}\nloss.backward()\nprint(z.grad)\n```\n\n```\ntensor([-0.3775,  0.1345])\n```\n"
        ))  # fmt: skip
        assert code == 0, output
        assert "∂/∂z [-0.3775, 0.1345]: holds" in output


def test_a_custom_backward_whose_forward_calls_a_helper_function_is_checked_with_the_helper(tmp_path: Path) -> None:
    text = ("```python\nimport torch\n\ndef quartic(v):\n    return v ** 4\n\ndef quartic_slope(g, v):\n    return g * SLOPE * v ** 3\n\n"
            "SLOPE = 3\n\nclass Quartic(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, v):\n        ctx.save_for_backward(v)\n"
            "        return quartic(v)\n\n    @staticmethod\n    def backward(ctx, g):\n        v, = ctx.saved_tensors\n        return quartic_slope(g, v)\n\n"
            "x = torch.tensor(2.0, requires_grad=True)\ny = Quartic.apply(x)\ny.backward()\n```\n")  # fmt: skip
    code, output = check(tmp_path, "helper.md", text)
    assert code == 1, output  # the helper's 3 should be 4: a wrong rule, not an ERROR about an unknown function
    assert "ERROR" not in output
    assert "✗ line 19 (custom backward): ∂/∂x formula Quartic.backward: wrong" in output
    code, output = check(tmp_path, "helper.md", text.replace("SLOPE = 3", "SLOPE = 4"))
    assert code == 0 and "✓ line 19 (custom backward): ∂/∂x formula Quartic.backward: proven" in output, output


def test_a_backward_whose_gradient_parameter_shares_a_forward_inputs_name_reads_each_as_its_own(tmp_path: Path) -> None:
    text = ("```python\nimport torch\n\nclass Scaled(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, g, x):\n"
            "        ctx.save_for_backward(g, x)\n        return g * x ** 2\n\n    @staticmethod\n    def backward(ctx, g):\n"
            "        saved_g, x = ctx.saved_tensors\n        return g * x ** 2, g * saved_g * 2 * x\n\n"
            "a = torch.tensor([0.5, -1.0], requires_grad=True)\nb = torch.tensor([2.0, 3.0], requires_grad=True)\n"
            "Scaled.apply(a, b).sum().backward()\n```\n")  # fmt: skip
    code, output = check(tmp_path, "shadow.md", text)
    assert code == 0, output  # the backward's g is the incoming gradient, saved_g the forward's g: the rule is right
    assert "✓ line 11 (custom backward): ∂/∂b formula Scaled.backward: proven" in output
    assert "✓ line 11 (custom backward): ∂/∂a formula Scaled.backward: proven" in output


def test_a_range_constructor_with_pi_arithmetic_and_keywords_is_read(tmp_path: Path) -> None:
    text = ("```python\nimport math\nimport torch\n\nu = torch.linspace(-math.pi / 2, math.pi / 2, steps=2 + 1, requires_grad=True)\n"
            "(3 * torch.sin(u)).sum().backward()\nprint(u.grad)\n```\n\n```\ntensor([-1.3113e-07,  3.0000e+00, -1.3113e-07])\n```\n")  # fmt: skip
    code, output = check(tmp_path, "pi.md", text)
    assert code == 0, output
    assert "at u = linspace(-1.5707963267948966, 1.5707963267948966, 3)" in output
    assert "✓ line 11 (printed output): ∂/∂u [-1.3113e-07, 3, -1.3113e-07]: holds" in output


def test_pi_of_any_numpy_flavour_is_a_number_a_derivative_can_be_taken_at(tmp_path: Path) -> None:
    text = ("```python\nimport autograd.numpy as np\nfrom autograd import grad\n\ndef wave(x):\n    return np.sin(x) * 3\n\n"
            "print(grad(wave)(np.pi))\n```\n\n```\n-3.0\n```\n")  # fmt: skip
    code, output = check(tmp_path, "wave.md", text)
    assert code == 0 and "✓ line 12 (printed output): ∂/∂x -3: holds" in output, output


def test_a_reset_tape_is_unknown_from_there_on(tmp_path: Path) -> None:
    """tape.reset() drops what the tape recorded: the gradient taken after it is 3 (z's alone), not 2x + 3 = 7. The reader
    does not follow what a tape forgets, so the printed 3.0 is not compared (it was a false FAIL)."""
    code, output = check(tmp_path, "reset.md", (
        "```python\nimport tensorflow as tf\nx = tf.Variable(2.0)\n"
        "with tf.GradientTape(persistent=True) as tape:\n    y = x * x\n    tape.reset()\n    z = 3.0 * x\n"
        "print(tape.gradient(y + z, x))\n```\n\n```\ntf.Tensor(3.0, shape=(), dtype=float32)\n```\n"
    ))  # fmt: skip
    assert "FAIL" not in output and "wrong" not in output, output
    assert "reset" in output, output
