"""Markdown blogs that show code in HTML ``<pre>`` blocks (Jekyll's prettyprint, ``<pre><code>``): read as code and output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tutorial_check import cli

# NOTE: the `<pre>` right under a heading, with no blank line between, is how CommonMark splits one block into three
PAGE = """# Cubes, by autograd

<br>
### The gradient in Python
<pre class="prettyprint">
import torch

x = torch.tensor([1.0, 2.0], requires_grad=True)
y = torch.where(x &lt; 1.5, x ** 2, x ** 3).sum()

y.backward()
print(x.grad)
</pre>

<pre><code>tensor([ 2., {printed}.])
</code></pre>

And a helper, never called:

<pre class="prettyprint"><code class="language-python">def cube(v):
    return v ** 3
</code></pre>
"""


@pytest.mark.parametrize(("printed", "code", "says"), [("12", 0, "1 passed"), ("13", 1, "x[1]: claimed 13., true 12")])
def test_code_and_output_in_pre_blocks_are_read_and_checked(tmp_path: Path, printed: str, code: int, says: str) -> None:
    page = tmp_path / "cubes.md"
    page.write_text(PAGE.format(printed=printed), encoding="utf-8")
    status, output = cli("check", "--no-color", str(page))
    assert status == code and says in output, output
    if code:
        assert "cubes.md:15: FAIL" in output  # the printed value's own line, inside the second <pre>


def test_a_conditional_expression_the_reader_can_decide_is_followed(tmp_path: Path) -> None:
    page = tmp_path / "branch.md"
    page.write_text(
        "```python\nimport torch\nscale = 3\nx = torch.tensor(2.0, requires_grad=True)\n"
        "y = x ** 2 if scale > 2 else x ** 3\ny.backward()\nprint(x.grad)\n```\n```\ntensor(4.)\n```\n",
        encoding="utf-8",
    )
    status, output = cli("check", "--no-color", str(page))
    assert status == 0 and "1 passed" in output, output


@pytest.mark.parametrize("label", ["Output::", "输出::", "The values are::"])
def test_a_rest_literal_block_of_printed_values_is_output_not_code(tmp_path: Path, label: str) -> None:
    page = tmp_path / "tape.rst"
    page.write_text(
        "Gradients\n=========\n\n.. code-block:: python\n\n    import tensorflow as tf\n    x = tf.Variable(3.0)\n"
        "    with tf.GradientTape() as tape:\n        y = tf.square(x)\n    print(tape.gradient(y, x))\n\n"
        f"{label}\n\n    tf.Tensor(\n    7.0, shape=(), dtype=float32)\n",
        encoding="utf-8",
    )
    status, output = cli("check", "--no-color", str(page))
    assert status == 1 and "claimed 7.0, true 6" in output and "not valid Python" not in output, output
