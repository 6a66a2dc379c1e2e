"""TensorFlow pages as written: tf.print shows values, tf.cast to a float keeps the gradient, and a function the reader
does not follow (an optimizer inside) makes what it hands on unknown rather than a stale value to compare."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_check import cli

CAST_AND_PRINT = """```python
import tensorflow as tf

def f(x):
    x = tf.cast(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x ** 3 - 2.0 * x
    dy_dx = tape.gradient(y, x)
    return dy_dx

tf.print(f(tf.constant(2.0)))
```

```
{printed}
```
"""

OPTIMIZED = """```python
import tensorflow as tf

x = tf.Variable(0.0)
optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)

def minimize():
    for _ in tf.range(100):
        with tf.GradientTape() as tape:
            y = (x - 1.0) ** 2
        g = tape.gradient(y, x)
        optimizer.apply_gradients([(g, x)])
    return x

minimize()
print(x.numpy())
```

```
0.999999
```
"""


@pytest.mark.parametrize(("printed", "status", "says"), [("10", 0, "1 passed"), ("11", 1, "claimed 11, true 10")])
def test_tf_print_of_a_gradient_through_tf_cast_is_a_claim(tmp_path: Path, printed: str, status: int, says: str) -> None:
    page = tmp_path / "cast.md"
    page.write_text(CAST_AND_PRINT.format(printed=printed), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status and says in output, output


def test_a_variable_an_unfollowed_function_hands_to_an_optimizer_is_not_compared(tmp_path: Path) -> None:
    page = tmp_path / "optimized.md"
    page.write_text(OPTIMIZED, encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert "FAIL" not in output and "changed x and was not read" in output, output
    assert code == 5, output
