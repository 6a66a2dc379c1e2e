"""Derivatives of third order and beyond, by nesting: `grad(grad(grad(f)))`, three tapes, `torch.autograd.grad` with
`create_graph` again and again; in case files as `order: n` (each engine nests its own way)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.test_second_order_cases import problem_of
from tests.test_tutorial_check import cli
from tests.test_tutorial_frameworks import check
from verifygrad.engines import run_engine

ENGINES = ("sympy", "numpy", "torch", "fd")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("order, expected", [(3, -math.cos(0.7) * 2.5), (4, math.sin(0.7) * 2.5), (6, -math.sin(0.7) * 2.5)])
def test_every_engine_finds_the_derivatives_of_higher_order_of_sin(tmp_path: Path, engine: str, order: int, expected: float) -> None:
    problem = problem_of(tmp_path, f"name: s\nexpr: 2.5 * sin(x) + y * x\ninputs: {{x: 0.7, y: 3.0}}\nwrt: [x]\norder: {order}\n")
    result = run_engine(engine, problem)
    assert result.ok, result.reason
    key = f"D{order}[x]"
    allowed = 1e-9 * abs(expected) + float(result.rounding.get(key, 0.0))  # fd: the rounding of its n-th differences, which it reports
    assert abs(float(result.grads[key]) - expected) <= allowed, (result.grads[key], expected, allowed)


def test_a_case_file_claims_a_third_derivative(tmp_path: Path) -> None:
    cases = tmp_path / "third.yaml"
    cases.write_text("cases:\n"
                     "  - {name: right, expr: 'x**4 - x', inputs: {x: 2.0}, order: 3, expect: {order: {x: 48}}}\n"  # 24 x
                     "  - {name: wrong, expr: 'x**4 - x', inputs: {x: 2.0}, order: 3, expect: {order: {x: 24}}}\n")  # fmt: skip
    code, output = cli("run", "--no-color", str(cases))
    assert code == 1, output
    assert "PASS right" in output and "FAIL wrong: claim order.D3[x]: wrong (D3[x]: claimed 24, true 48)" in output, output


@pytest.mark.parametrize(
    "text, message",
    [
        ("expr: sum(x * x)\ninputs: {x: [1.0, 2.0]}\norder: 3\n", "order: 3 differentiates inputs of one element"),
        ("expr: x * 2\ninputs: {x: [1.0]}\norder: 3\n", "order: 3 needs a scalar output"),
        ("expr: x ** 5\ninputs: {x: 1.0}\norder: 7\n", "order"),
    ],
)
def test_a_derivative_of_higher_order_of_other_than_one_number_of_one_number_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\n" + text)
    code, output = cli("run", "--no-color", str(path))
    assert code == 2 and message in output and "Traceback" not in output, output


JAX = """# Chained grads

```python
import jax

g = lambda t: t**4 - 2*t**3 + t
d3 = jax.grad(jax.grad(jax.grad(g)))
d4 = jax.grad(d3)
print(d3(2.))
print(d4(2.))
```

```
THIRD
24.0
```
"""


def test_grad_of_grad_of_grad_is_the_third_derivative(tmp_path: Path) -> None:
    code, output = check(tmp_path, "jax.md", JAX.replace("THIRD", "36.0"))  # 24 t - 12 at t = 2
    assert code == 0, output
    assert "✓ line 14 (printed output): ∂³/∂t_input³ 36: holds" in output, output
    assert "✓ line 15 (printed output): ∂⁴/∂t_input⁴ 24: holds" in output, output


def test_a_wrong_third_derivative_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, "jax.md", JAX.replace("THIRD", "12.0"))
    assert code == 1, output
    assert "✗ line 14 (printed output): ∂³/∂t_input³ 12: wrong (D3[t_input]: claimed 12.0, true 36" in output, output


TAPES = """# Three tapes

```python
import tensorflow as tf

x = tf.Variable(0.5)
with tf.GradientTape() as t3:
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = tf.exp(3.0 * x)
        dy = t1.gradient(y, x)
    d2y = t2.gradient(dy, x)
d3y = t3.gradient(d2y, x)
print(d3y.numpy())
```

```
PRINTED
```
"""


@pytest.mark.parametrize("printed, code", [(f"{27 * math.exp(1.5):.4f}", 0), (f"{9 * math.exp(1.5):.4f}", 1)])
def test_three_nested_tapes_give_the_third_derivative(tmp_path: Path, printed: str, code: int) -> None:
    found, output = check(tmp_path, "tapes.md", TAPES.replace("PRINTED", printed))
    assert found == code, output
    assert f"line 18 (printed output): ∂³/∂x³ {float(printed):g}: {'holds' if code == 0 else 'wrong'}" in output, output


CREATE_GRAPH = """# create_graph thrice

```python
import torch

x = torch.tensor(0.25, requires_grad=True)
y = torch.cos(2 * x)
g1, = torch.autograd.grad(y, x, create_graph=True)
g2, = torch.autograd.grad(g1, x, create_graph=True)
g3, = torch.autograd.grad(g2, x, create_graph=True)
g4, = torch.autograd.grad(g3, x)
print(g3, g4)
```

```
tensor(THIRD) tensor(FOURTH)
```
"""


def test_torch_autograd_grad_nested_with_create_graph_gives_each_order(tmp_path: Path) -> None:
    third, fourth = 8 * math.sin(0.5), 16 * math.cos(0.5)
    code, output = check(tmp_path, "torch.md", CREATE_GRAPH.replace("THIRD", f"{third:.4f}").replace("FOURTH", f"{fourth:.4f}"))
    assert code == 0, output
    assert f"∂³/∂x³ {third:.4f}: holds" in output and f"∂⁴/∂x⁴ {fourth:.4f}: holds" in output, output


def test_a_mixed_derivative_of_different_arguments_is_not_read_as_one_of_higher_order(tmp_path: Path) -> None:
    text = JAX.replace("d3 = jax.grad(jax.grad(jax.grad(g)))", "d3 = jax.grad(jax.grad(jax.grad(g), argnums=0), argnums=1)")
    code, output = check(tmp_path, "jax.md", text.replace("THIRD", "5.0"))
    assert code == 5 and "wrong" not in output, output  # nothing checkable: listed, never compared
    assert "line 9: a mixed derivative (grad of grad of grad with respect to different arguments)" in output, output


ONE_ELEMENT = """# Old-style tensors of one element

```python
import torch as t
x = t.tensor([2.], requires_grad=True)
y = x ** 4
g = t.autograd.grad(y, x, create_graph=True)
gg = t.autograd.grad(g[0], x, create_graph=True)
ggg = t.autograd.grad(gg[0], x)
print(gg, ggg)
```

```
(tensor([SECOND], grad_fn=<MulBackward0>),) (tensor([48.]),)
```
"""


@pytest.mark.parametrize("second, code", [("48.", 0), ("24.", 1)])
def test_second_and_third_derivatives_of_one_element_arrays(tmp_path: Path, second: str, code: int) -> None:
    # 12 x^2 = 48 and 24 x = 48 at x = 2: `tensor([5.])` is one number in an array of one element
    found, output = check(tmp_path, "one.md", ONE_ELEMENT.replace("SECOND", second))
    assert found == code, output
    assert f"line 14 (printed output): ∂²/∂x² [{float(second):g}]: {'holds' if code == 0 else 'wrong'}" in output, output
    assert "line 14 (printed output): ∂³/∂x³ [48]: holds" in output, output
