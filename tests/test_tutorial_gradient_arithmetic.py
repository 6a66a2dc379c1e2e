"""A gradient used in arithmetic: `jnp.vdot(grad(loss)(W, b), u)` is the derivative of loss along u (the case's `jvp:` row)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_frameworks import check

DIRECTIONAL = """# A directional derivative

```python
import jax.numpy as jnp
from jax import grad

def loss(W, b):
    return jnp.sum(jnp.tanh(W * 2.0 + b))

W = jnp.array([0.1, -0.3, 0.5])
b = 0.2
u = jnp.array([0.6, 0.0, 0.8])
print('directional', CALL)
```

```
directional PRINTED
```
"""


@pytest.mark.parametrize("call", ["jnp.vdot(grad(loss)(W, b), u)", "jnp.dot(u, grad(loss)(W, b))"])
def test_a_gradient_dotted_with_a_constant_is_the_derivative_along_it(tmp_path: Path, call: str) -> None:
    # sum_i 2 (1 - tanh(2 W_i + b)^2) u_i
    code, output = check(tmp_path, "directional.md", DIRECTIONAL.replace("CALL", call).replace("PRINTED", "1.5147985"))
    assert code == 0, output
    assert "✓ line 17 (printed output): Jv 1.5148: holds" in output, output


def test_a_wrong_directional_derivative_fails_at_its_line(tmp_path: Path) -> None:
    text = DIRECTIONAL.replace("CALL", "jnp.vdot(grad(loss)(W, b), u)").replace("PRINTED", "1.9")  # the gradient's sum, not along u
    code, output = check(tmp_path, "directional.md", text)
    assert code == 1, output
    assert "✗ line 17 (printed output): Jv 1.9: wrong" in output, output


def test_a_gradient_dotted_with_another_gradient_is_not_read(tmp_path: Path) -> None:
    text = DIRECTIONAL.replace("CALL", "jnp.vdot(grad(loss)(W, b), grad(loss)(W, b))").replace("PRINTED", "1.9")
    code, output = check(tmp_path, "directional.md", text)
    assert code == 0 and "wrong" not in output, output
