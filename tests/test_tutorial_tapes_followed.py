"""Tapes followed as TensorFlow and torch run them: gradients with respect to intermediates, tapes that watch only what
they are told, and comments above a gradient the reader could not follow (about it alone, never a later one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_frameworks import check

UNREAD_BELOW = """import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
with tf.GradientTape() as tape:
    out = model(tf.ones((1, 2)))
    q = tf.reduce_sum(out ** 2)
# dq/dout = 2 * out
grads = tape.gradient(q, model.trainable_variables)

out = tf.Variable(2.0)
with tf.GradientTape() as tape:
    q = tf.sin(out)
print(tape.gradient(q, out))
"""


def test_a_comment_above_a_gradient_not_read_is_not_tied_to_a_later_one(tmp_path: Path) -> None:
    code, output = check(tmp_path, "tape.py", UNREAD_BELOW)
    assert code == 0, output  # 2 * out is not the derivative of sin(out): tied to line 13, it was a false FAIL
    assert "line 7: comment dq/dout = 2 * out: not tied: the code below it (line 8) was not read" in output, output


def test_a_comment_above_the_gradient_it_states_is_still_checked(tmp_path: Path) -> None:
    text = UNREAD_BELOW.replace("# dq/dout = 2 * out\n", "").replace("    q = tf.sin(out)\n", "    q = tf.sin(out)\n# dq/dout = 2 * out\n")
    code, output = check(tmp_path, "tape.py", text)
    assert code == 1, output
    assert "✗ line 12 (comment): ∂/∂out formula 2 * out: wrong" in output, output


WATCHED = """# Watching one variable

```python
import tensorflow as tf

a = tf.Variable(0.5)
b = tf.Variable(2.0)
with tf.GradientTape(watch_accessed_variables=False) as tape:
    tape.watch(b)
    s = tf.exp(a) + b * b * b
g = tape.gradient(s, {'a': a, 'b': b})
print('ds/da:', g['a'])
print('ds/db:', g['b'].numpy())
```

```
ds/da: None
ds/db: PRINTED
```
"""


def test_a_tape_that_watches_only_what_it_is_told_gives_the_others_no_gradient(tmp_path: Path) -> None:
    code, output = check(tmp_path, "watch.md", WATCHED.replace("PRINTED", "12.0"))
    assert code == 0, output
    assert "✓ line 18 (printed output): ∂/∂b 12: holds" in output, output  # 3 b^2 at b = 2
    assert "∂/∂a" not in output, output  # None: a is a variable, but this tape does not watch it


def test_a_wrong_gradient_from_a_tape_that_watches_only_what_it_is_told_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, "watch.md", WATCHED.replace("PRINTED", "4.0"))
    assert code == 1, output
    assert "✗ line 18 (printed output): ∂/∂b 4: wrong" in output, output


INTERMEDIATE = """# With respect to an intermediate

```python
import tensorflow as tf

u = tf.constant(2.0)
with tf.GradientTape() as tape:
    tape.watch(u)
    v = u * u * u
    w = tf.sin(v)
print(tape.gradient(w, v).numpy())
```

```
PRINTED
```
"""


@pytest.mark.parametrize(
    "printed, code, verdict",
    [
        ("-0.14550003", 0, "✓ line 15 (printed output): ∂/∂v -0.1455: holds"),  # cos(8)
        ("12.0", 1, "✗ line 15 (printed output): ∂/∂v 12: wrong"),
    ],
)  # dw/du, not dw/dv
def test_a_gradient_with_respect_to_an_intermediate_is_the_derivative_through_it(tmp_path: Path, printed: str, code: int, verdict: str) -> None:
    found, output = check(tmp_path, "intermediate.md", INTERMEDIATE.replace("PRINTED", printed))
    assert found == code, output
    assert verdict in output, output


RANDOM_INTERMEDIATE = """# torch.autograd.grad of an intermediate of random values

```python
import torch as t

p = t.ones(4, requires_grad=True)
q = t.rand(4, requires_grad=True)
r = p * q
s = (BODY).sum()
t.autograd.grad(s, r)
```

```
(tensor([3., 3., 3., 3.]),)
```
"""


def test_an_intermediate_of_random_values_is_checked_where_its_gradient_does_not_depend_on_them(tmp_path: Path) -> None:
    code, output = check(tmp_path, "random.md", RANDOM_INTERMEDIATE.replace("BODY", "3 * r"))
    assert code == 0, output
    assert "✓ line 14 (printed output): ∂/∂r [3, 3, 3, 3]: holds" in output, output


def test_an_intermediate_of_random_values_is_not_compared_where_its_gradient_depends_on_them(tmp_path: Path) -> None:
    code, output = check(tmp_path, "random.md", RANDOM_INTERMEDIATE.replace("BODY", "r * r * r"))
    assert code == 0, output
    assert "line 14: printed output [3, 3, 3, 3]: not checkable: the inputs are random and unseeded" in output, output


NESTED = """import tensorflow as tf

x = tf.Variable(2.0)
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        y = x * x * x
INSIDE
d2y = outer.gradient(dy, x)
print(d2y)
"""


def test_a_gradient_taken_inside_the_outer_tape_is_differentiated_again(tmp_path: Path) -> None:
    code, output = check(tmp_path, "nested.py", NESTED.replace("INSIDE", "    dy = inner.gradient(y, x)"))
    assert code == 0 and "the hessian of tape.gradient(y) at line 8" in output, output


def test_a_gradient_taken_after_the_outer_tape_closed_is_not_on_it(tmp_path: Path) -> None:
    # TensorFlow gives None: the outer tape stopped recording before dy was computed
    code, output = check(tmp_path, "nested.py", NESTED.replace("INSIDE", "dy = inner.gradient(y, x)"))
    assert code == 0 and "hessian" not in output, output
