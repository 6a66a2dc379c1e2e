"""A Jacobian put together by a loop: `J[:, j] = jvp(f, (x,), (e_j,))[1]` column by column, `J[i] = vjp(f, x)[1](e_i)[0]` row by
row, into `np.zeros`; checked as the Jacobian once every column or row is in, never compared while partial."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_frameworks import check

LOOPS = """# Jacobians from JVPs and VJPs

```python
import numpy as np
import jax.numpy as jnp
from jax import jvp, vjp

def g(u):
    return jnp.array([u[0] * u[1], jnp.exp(u[0]) - u[1], u[1] ** 3])

def by_columns(u):
    J = np.zeros(shape=(3, 2))
    for j in range(COLUMNS):
        basis = np.zeros(shape=2)
        basis[j] = 1
        J[:, j] = jvp(g, (u,), (basis,))[1]
    return J

def by_rows(u):
    J = np.zeros((3, 2))
    for i in range(3):
        basis = np.zeros(3)
        basis[i] = 1
        J[i] = vjp(g, u)[1](basis)[0]
    return J

u = jnp.array([0.0, 2.0])
print(by_columns(u))
print(by_rows(u))
```

```
[[ 2.  0.]
 [ 1. -1.]
 [ 0. 12.]]
[[ 2.  0.]
 [ 1. -1.]
 [ 0. ROW]]
```
"""


def test_a_jacobian_put_together_from_jvps_and_from_vjps_is_the_jacobian(tmp_path: Path) -> None:
    code, output = check(tmp_path, "loops.md", LOOPS.replace("COLUMNS", "2").replace("ROW", "12."))
    assert code == 0, output
    assert "✓ line 33 (printed output): J[u] [2, 0, 1, -1, 0, 12]: holds" in output, output  # columns: d/du0, d/du1
    assert "✓ line 36 (printed output): J[u] [2, 0, 1, -1, 0, 12]: holds" in output, output  # rows


def test_a_wrong_entry_of_a_jacobian_put_together_row_by_row_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, "loops.md", LOOPS.replace("COLUMNS", "2").replace("ROW", "6."))
    assert code == 1, output
    assert "✗ line 36 (printed output): J[u] [2, 0, 1, -1, 0, 6]: wrong" in output, output


def test_a_jacobian_with_columns_missing_is_never_compared_as_zeros(tmp_path: Path) -> None:
    code, output = check(tmp_path, "loops.md", LOOPS.replace("COLUMNS", "1").replace("ROW", "12."))
    assert code == 0 and "wrong" not in output, output
    assert "line 33: printed output [2, 0, 1, -1, 0, 12]: not" in output, output
