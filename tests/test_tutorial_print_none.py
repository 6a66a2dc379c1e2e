"""Lists and tuples of gradients printed whole, where some sources have none: each item is read in its place, `None`
too, so a `None` pairs with a source that has no gradient and a value with one that has."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_check import cli


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return cli("check", "--no-color", str(page))


NONE = """```python
import tensorflow as tf
a = tf.Variable(3.0)
b = tf.Variable(2.0, trainable=False)
s = tf.add(a, b)
k = tf.constant(1.0)
with tf.GradientTape() as tape:
    y = a ** 2 + b ** 2 + s ** 2 + k ** 2
print(tape.gradient(y, [a, b, s, k]))
```

```
[<tf.Tensor: shape=(), dtype=float32, numpy={first}>,
 None,
 None,
 None]
```
"""


@pytest.mark.parametrize(("first", "status", "says"), [("6.0", 0, "✓ line 13 (printed output): ∂/∂a 6: holds"),
                                                       ("5.0", 1, "✗ line 13 (printed output): ∂/∂a 5: wrong")])  # fmt: skip
def test_a_printed_list_of_gradients_with_none_ties_each_item_in_its_place(tmp_path: Path, first: str, status: int, says: str) -> None:
    """TensorFlow gives None for a variable that is not trainable, for a constant, and for `s`, computed before the tape
    opened: each item of the printed list is paired with the source in its place, a None with a source that has none."""
    code, output = check(tmp_path, NONE.replace("{first}", first))
    assert code == status and says in output and output.count("✗ line") == status, output


def test_none_printed_where_the_reader_has_a_gradient_is_listed_not_compared(tmp_path: Path) -> None:
    code, output = check(tmp_path, NONE.replace("{first}", "6.0"))
    assert code == 0 and "printed output None: not tied: the output shows None where the reader has a value" in output, output


TUPLE = """```python
import torch
a = torch.ones(3, requires_grad=True)
v = torch.tensor([2.0, 3.0, 4.0], requires_grad=True)
h = a * v
s = h.sum()
s.backward()
print((a.grad, v.grad, h.grad))
```

```
(tensor([2., 3., 4.]), tensor({second}), None)
```
"""


@pytest.mark.parametrize(("second", "status", "says"), [("[1., 1., 1.]", 0, "✓ line 12 (printed output): ∂/∂v [1, 1, 1]: holds"),
                                                        ("[1., 2., 1.]", 1, "✗ line 12 (printed output): ∂/∂v [1, 2, 1]: wrong")])  # fmt: skip
def test_a_tuple_with_the_grad_of_a_non_leaf_ties_the_leaves_grads(tmp_path: Path, second: str, status: int, says: str) -> None:
    """`h.grad` of a non-leaf is None: the tuple's other two items are the leaves' gradients (v.grad = a, a.grad = v)."""
    code, output = check(tmp_path, TUPLE.replace("{second}", second))
    assert code == status and says in output and "✓ line 12 (printed output): ∂/∂a [2, 3, 4]: holds" in output, output


def test_a_deeply_nested_printed_tuple_with_none_is_read_without_recursing() -> None:
    from verifygrad.tutorials.printed import read_printed

    nested = "(tensor(1.), " * 3000 + "None" + ")" * 3000
    assert len(read_printed(nested)) == 3000  # each tensor read as a value; the nesting is not read item by item
