"""`vmap(grad(f), in_axes=(None, 0, ...))`: per-example gradients, the rows of the Jacobian of the stacked losses with respect
to the argument every row shares; batches built by `jnp.stack([...])` of the tutorial's arrays."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_frameworks import check

PER_EXAMPLE = """# Per-example gradients

```python
import jax
import jax.numpy as jnp

def loss(w, x, y):
    return (jnp.dot(w, x) - y) ** 2

w = jnp.array([0.5, -1.0])
xs = jnp.stack([jnp.array([1., 2.]), jnp.array([0., 1.])])
ys = jnp.stack([jnp.array(1.), jnp.array(2.)])
per_example = jax.jit(jax.vmap(jax.grad(loss), in_axes=(None, 0, 0)))
per_example(w, xs, ys)
```

```
Array([[ -5., -10.],
       [  0., PRINTED]], dtype=float32)
```
"""


@pytest.mark.parametrize("printed, code", [("-6.", 0), ("6.", 1)])
def test_per_example_gradients_with_respect_to_a_shared_argument_are_the_rows_of_a_jacobian(tmp_path: Path, printed: str, code: int) -> None:
    # row 1: 2 (w.x - y) x = 2 (-1.5 - 1) [1, 2]; row 2: 2 (-1 - 2) [0, 1]
    found, output = check(tmp_path, "per_example.md", PER_EXAMPLE.replace("PRINTED", printed))
    assert found == code, output
    verdict = "holds" if code == 0 else "wrong"
    assert f"line 18 (printed output): J[w] [-5, -10, 0, {float(printed):g}]: {verdict}" in output, output


def test_per_example_gradients_with_respect_to_the_batched_argument_are_each_rows_own(tmp_path: Path) -> None:
    text = PER_EXAMPLE.replace("in_axes=(None, 0, 0)", "in_axes=(None, 0, 0), argnums=1").replace("jax.grad(loss)", "jax.grad(loss, argnums=1)")
    text = text.replace("jax.vmap(jax.grad(loss, argnums=1), in_axes=(None, 0, 0), argnums=1)", "jax.vmap(jax.grad(loss, argnums=1), in_axes=(None, 0, 0))")
    text = text.replace("[[ -5., -10.],\n       [  0., PRINTED]]", "[[-2.5,  5. ],\n       [ -3.,  6. ]]")  # 2 (w.x - y) w per row
    code, output = check(tmp_path, "per_example.md", text)
    assert code == 0, output
    assert "line 18 (printed output): ∂/∂x [-2.5, 5, -3, 6]: holds" in output, output


def test_vmap_over_another_axis_is_not_read(tmp_path: Path) -> None:
    code, output = check(tmp_path, "per_example.md", PER_EXAMPLE.replace("in_axes=(None, 0, 0)", "in_axes=(None, 1, 0)").replace("PRINTED", "-6."))
    assert code == 5 and "wrong" not in output, output
    assert "over other axes than the first" in output, output
