"""`verifygrad check`: reasons for every file, the exit code of "nothing checkable", and claims as pages print them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

from verifygrad.frontends.cli import main
from verifygrad.reports.json_report import REPORT_SCHEMA
from verifygrad.tutorials.printed import read_printed

NOTHING_CHECKABLE = """# Training a line

```python
import torch
w = torch.zeros(2, requires_grad=True)
for batch in loader:
    w = w - 0.1
print(w)
```

```output
tensor([-0.3000, -0.3000])
```
"""

PASSING = """```python
import torch
x = torch.tensor([3.0], requires_grad=True)
(x * x).sum().backward()
print(x.grad)
```

```output
tensor([6.])
```
"""


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args], env={"COLUMNS": "1000"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_file_with_nothing_checkable_gets_its_section_its_reports_and_exit_5(tmp_path: Path) -> None:
    path = tmp_path / "loop.md"
    path.write_text(NOTHING_CHECKABLE)
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    code, output = cli("check", "--no-color", "--json", str(report), "--junit-xml", str(junit), str(path))
    assert code == 5, output
    assert f"{path} (markdown)" in output
    assert "line 6: a for loop" in output
    assert "nothing checkable in 1 file" in output
    data = json.loads(report.read_text())
    jsonschema.validate(data, REPORT_SCHEMA)
    assert data["summary"]["exit_code"] == 5
    (section,) = data["tutorials"]
    assert section["checkable"] is False and {"line": 6, "where": "line 6", "what": "a for loop"} in section["not_read"]
    (suite,) = ET.parse(junit).getroot()
    (testcase,) = suite
    assert suite.get("name") == str(path) and testcase.find("skipped") is not None
    assert "line 6: a for loop" in testcase.find("skipped").get("message")


def test_strict_makes_nothing_checkable_a_failure_even_beside_a_passing_file(tmp_path: Path) -> None:
    (tmp_path / "loop.md").write_text(NOTHING_CHECKABLE)
    (tmp_path / "square.md").write_text(PASSING)
    code, _ = cli("check", "--no-color", str(tmp_path / "loop.md"), str(tmp_path / "square.md"))
    assert code == 0
    code, output = cli("check", "--no-color", "--strict", str(tmp_path / "loop.md"), str(tmp_path / "square.md"))
    assert code == 1 and "--strict: nothing checkable in" in output
    code, _ = cli("check", "--no-color", "--strict", str(tmp_path / "loop.md"))
    assert code == 1


def test_a_broken_file_is_still_exit_2_not_nothing_checkable(tmp_path: Path) -> None:
    (tmp_path / "binary.ipynb").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "loop.md").write_text(NOTHING_CHECKABLE)
    code, output = cli("check", "--no-color", str(tmp_path / "binary.ipynb"), str(tmp_path / "loop.md"))
    assert code == 2 and "not UTF-8 text" in output


WRONG_PRINT = """```python
import torch
x = torch.tensor([3.0], requires_grad=True)
y = (x * x).sum()
y.backward()
print(x.grad)
```

```output
tensor([7.])
```
"""


def test_the_failure_line_points_at_the_printed_claim_not_the_backward_call(tmp_path: Path) -> None:
    path = tmp_path / "wrong.md"
    path.write_text(WRONG_PRINT)
    code, output = cli("check", "--no-color", str(path))
    assert code == 1
    assert f"{path}:10: FAIL wrong.md:5:y: claim grad.x: wrong" in output  # line 10 holds `tensor([7.])`; line 5 is backward()


def _notebook(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_in_a_notebook_a_claim_names_its_cell_and_line_as_well_as_the_file_line(tmp_path: Path) -> None:
    code_cell = {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": ["import torch\n", "x = torch.tensor([3.0], requires_grad=True)\n",
                 "(x * x).sum().backward()\n", "x.grad"], "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                 "data": {"text/plain": ["tensor([7.])"]}}]}  # fmt: skip
    path = tmp_path / "wrong.ipynb"
    path.write_text(_notebook([{"cell_type": "markdown", "metadata": {}, "source": ["# A square\n"]}, code_cell]))
    code, output = cli("check", "--no-color", str(path))
    file_line = next(number for number, line in enumerate(path.read_text().splitlines(), 1) if "tensor([7.])" in line)
    assert code == 1
    assert f"✗ line {file_line} (cell 2 output, line 1) (printed output): ∂/∂x [7]: wrong" in output


@pytest.mark.parametrize(
    ("text", "values", "decimals"),
    [
        ("Array([0.25, 0.5 ], dtype=float32)", [0.25, 0.5], 2),
        ("Array(2.7182817, dtype=float32, weak_type=True)", 2.7182817, 7),
        ("DeviceArray([[1., 0.],\n             [0., 1.]], dtype=float32)", [[1, 0], [0, 1]], None),
        ("tf.Tensor(6.0, shape=(), dtype=float32)", 6.0, None),
        ("tf.Tensor(\n[[ 2.  4.]\n [ 6.  8.]], shape=(2, 2), dtype=float32)", [[2, 4], [6, 8]], None),
        ("<tf.Tensor: shape=(2,), dtype=float32, numpy=array([3., 5.], dtype=float32)>", [3, 5], None),
        ("<tf.Tensor: shape=(), dtype=float32, numpy=0.75>", 0.75, 2),
        ("<tf.Variable 'Variable:0' shape=(2,) dtype=float32, numpy=array([1.5, 2. ], dtype=float32)>", [1.5, 2], 1),
        ("\n[[  4.   8.]\n [ 12.  16.]]\n<NDArray 2x2 @cpu(0)>", [[4, 8], [12, 16]], None),
        ("Tensor(shape=[2], dtype=float32, place=Place(cpu), stop_gradient=False,\n       [0.50000000, 1.25000000])", [0.5, 1.25], 8),
        ("Tensor(shape=[], dtype=float32, place=Place(gpu:0), stop_gradient=True,\n       3.)", 3.0, None),
        ("Tensor(shape=[3], dtype=Float32, value= [ 1.00000000e+00,  2.50000000e+00,  4.00000000e+00])", [1, 2.5, 4], 8),
        ("Tensor(shape=[], dtype=Float32, value= 6)", 6, None),
        ("Parameter containing:\ntensor([0.1000, 0.2000], requires_grad=True)", [0.1, 0.2], 4),
    ],
)
def test_printed_values_in_every_library_repr(text: str, values: object, decimals: int | None) -> None:
    (printed,) = read_printed(text)
    np.testing.assert_allclose(printed.values, values)
    assert printed.decimals == decimals


@pytest.mark.parametrize(
    "text",
    [
        "[22:07:05] src/operator/tensor/./matrix_op-inl.h:155: Using target_shape will be deprecated.",
        "[W 2021-03-01 10:00:00] [1, 2]",
        "Epoch [1/10], Step [100/600]",
    ],
)
def test_log_lines_are_not_printed_values(text: str) -> None:
    assert read_printed(text) == []


def _markdown(code: str, output: str) -> str:
    return f"```python\nimport torch\nimport numpy as np\n{code}```\n\n```output\n{output}```\n"


# Each snippet changes a value in a way the reader does not follow; the printed value is what really ran, so
# comparing it with the value before the change would be a false FAIL.
STALE = [
    ("x = torch.tensor([1.0, 2.0])\nx[0] = x[1] * 2.5\nprint(x)\n", "tensor([5., 2.])\n", "line 5 changed x and was not read"),
    ("a = torch.tensor([1.0, 2.0])\nb = torch.tensor([1.0, 1.0])\na.add_(b)\nprint(a)\n", "tensor([2., 3.])\n", "line 6 changed a and was not read"),
    ("n = np.ones(2)\nt = torch.from_numpy(n)\nn[0] = 3.0\nprint(t)\n", "tensor([3., 1.], dtype=torch.float64)\n",
     "line 6 changed n in place; t shares its memory"),
    ("w = torch.ones(2)\nv = w.view(2)\nv.mul_(3)\nprint(w)\n", "tensor([3., 3.])\n", "line 6 changed v and was not read"),
    ("w = torch.ones(2)\ndef double(t):\n    t.mul_(2)\ndouble(w)\nprint(w)\n", "tensor([2., 2.])\n", "line 7 changed w and was not read"),
    ("w = torch.ones(2, requires_grad=True)\nfor _ in range(2):\n    w.data -= 0.5\nprint(w)\n", "tensor([0., 0.], requires_grad=True)\n",
     "line 6 changed w and was not read"),
    ("x = torch.ones(2, requires_grad=True)\n(x * x).sum().backward()\nfor _ in loader:\n    (x * x).sum().backward()\nprint(x.grad)\n",
     "tensor([6., 6.])\n", "line 6 changed x.grad and was not read"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "output", "says"), STALE)
def test_a_value_changed_by_code_not_read_is_listed_never_compared(tmp_path: Path, code: str, output: str, says: str) -> None:
    path = tmp_path / "stale.md"
    path.write_text(_markdown(code, output))
    code_, text = cli("check", "--no-color", str(path))
    assert code_ != 1, text  # never a FAIL
    assert f"not checked: {says}" in text


def test_an_output_fenced_as_python_or_unlabelled_after_a_code_block_is_read_as_output(tmp_path: Path) -> None:
    path = tmp_path / "fenced.md"
    path.write_text("```python\nimport torch\nx = torch.tensor([3.0], requires_grad=True)\n(x * x).sum().backward()\nprint(x.grad)\n```\n\n"
                    "```python\ntensor([6.])\n```\n\nAgain:\n\n```python\ny = x * 2\nprint(y)\n```\n\n"
                    "```\ntensor([6.], grad_fn=<MulBackward0>)\n```\n")  # fmt: skip
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "✓ line 9 (printed output): ∂/∂x [6]: holds" in output
    assert "✓ line 20 (printed output): value [6]: holds" in output


@pytest.mark.parametrize(
    ("code", "output", "says"),
    [
        ("x = torch.tensor([1.0, -2.0, 3.0])\nx[x < 0] = 0\nprint(x)\n", "tensor([1., 0., 3.])\n", "✓ line 10 (printed output): value [1, 0, 3]: holds"),
        ("x = np.zeros((2, 2))\nx[0, 1:] = 4.0\nprint(x)\n", "[[0. 4.]\n [0. 0.]]\n", "✓ line 10 (printed output): value [0, 4, 0, 0]: holds"),
        ("x = np.ones(3)\nx[-1] = 2.0\nprint(x)\n", "[1. 1. 7.]\n", "✗ line 10 (printed output): value [1, 1, 7]: wrong"),
    ],
)
def test_a_number_put_at_a_mask_or_a_constant_index_is_read_as_a_functional_update(tmp_path: Path, code: str, output: str, says: str) -> None:
    path = tmp_path / "items.md"
    path.write_text(_markdown(code, output))
    _, text = cli("check", "--no-color", str(path))
    assert says in text, text


def test_backward_in_a_loop_over_constants_accumulates_into_grad_each_pass(tmp_path: Path) -> None:
    path = tmp_path / "accumulate.md"
    code = "x = torch.ones(2, requires_grad=True)\n(x * x).sum().backward()\nfor _ in range(2):\n    (x * x).sum().backward()\nprint(x.grad)\n"
    path.write_text(_markdown(code, "tensor([6., 6.])\n"))
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 0, output
    assert "✓ line 12 (printed output): ∂/∂x [6, 6]: holds" in output
    path.write_text(_markdown(code, "tensor([4., 4.])\n"))  # one pass of the loop forgotten
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 1, output


def test_values_printed_by_code_not_read_are_never_paired_with_the_values_after_them(tmp_path: Path) -> None:
    path = tmp_path / "loop_prints.md"
    code = "x = torch.tensor([1.0], requires_grad=True)\n(x * x).sum().backward()\nfor i in loader:\n    print(torch.zeros(1) + i)\nprint(x.grad)\n"
    path.write_text(_markdown(code, "tensor([0.])\ntensor([1.])\ntensor([2.])\n"))
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 0, output  # x.grad is the last value printed: paired from the end
    assert "✓ line 14 (printed output): ∂/∂x [2]: holds" in output
    assert "line 12: printed output [0]: not tied: printed by code that was not read (line 6: a for loop)" in output


HELPER = """import matplotlib.pyplot as plt
def show(fn, lo=-1.0, n=50):
    xs = np.linspace(lo, 1.0, num=n)
    plt.plot(xs, fn(xs)); plt.show()
x = torch.tensor([3.0], requires_grad=True)
f = lambda t: t * t
f(x).sum().backward()
show(f, lo=-2.0)
print(f(x), x.grad)
"""


def test_a_call_of_the_tutorials_own_function_that_prints_nothing_keeps_the_values_around_it_paired(tmp_path: Path) -> None:
    path = tmp_path / "plot.md"
    path.write_text(_markdown(HELPER, "tensor([9.], grad_fn=<MulBackward0>) tensor([6.])\n"))
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "∂/∂x [6]: holds" in output and "value [9]: holds" in output
    path.write_text(_markdown(HELPER.replace("plt.show()", "print(fn(xs).max())"), "tensor(1.)\ntensor([9.], grad_fn=<MulBackward0>) tensor([6.])\n"))
    code, output = cli("check", "--no-color", str(path))  # a helper that prints: what it printed is not known
    assert "line 16: printed output 1: not tied: printed by code that was not read (line 11: a call of show(f, lo=-2.0))" in output, output


def test_in_a_notebook_the_not_read_list_names_the_cell(tmp_path: Path) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Loop\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
              "source": ["import torch\n", "w = torch.zeros(2)\n", "for step in loader:\n", "    w = w - 0.1\n"]}]  # fmt: skip
    path = tmp_path / "loop.ipynb"
    path.write_text(_notebook(cells))
    file_line = next(number for number, line in enumerate(path.read_text().splitlines(), 1) if "for step" in line)
    code, output = cli("check", "--no-color", str(path))
    assert code == 5
    assert f"line {file_line} (cell 2, line 3): a for loop" in output


def test_numbers_printed_one_a_line_are_each_a_value() -> None:
    first, second, third = read_printed("3.0485873\n0.95257413\n[0.5        0.7310586  0.88079715]\n")
    assert float(first.values) == 3.0485873 and float(second.values) == 0.95257413 and second.line_offset == 1
    np.testing.assert_allclose(third.values, [0.5, 0.7310586, 0.88079715])


def test_a_printed_nan_is_what_floating_point_did_not_a_claim_about_the_derivative(tmp_path: Path) -> None:
    path = tmp_path / "overflow.md"
    code = "x = torch.tensor(100.0, requires_grad=True)\ny = torch.log(1 + torch.exp(x))\ny.backward()\nprint(x.grad)\n"
    path.write_text(_markdown(code, "tensor(nan)\n"))
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 5, output  # the overflow the tutorial shows is not a FAIL of the tutorial
    assert "not checked: the printed value is not finite (nan)" in output
    assert "line 6: y: not checked: at these inputs the tutorial prints a value that is not finite (line 11)" in output


def test_a_derivation_whose_float32_value_overflows_with_no_output_shown_is_listed_not_failed(tmp_path: Path) -> None:
    path = tmp_path / "overflow.md"  # a page without saved outputs shows a naive softplus breaking down at a large input
    code = (
        "import jax.numpy as jnp\nfrom jax import grad\n\ndef softplus(x):\n    return jnp.log(1. + jnp.exp(x))\n\n"
        "print(grad(softplus)(2.))\nprint(grad(softplus)(200.))\n"
    )
    path.write_text(f"```python\n{code}```\n")
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 0, output  # the one at 2.0 is checked; the overflow is what floating point does there, not the page's error
    assert "✓ PASS  grad(softplus) at line 8" in output
    assert "line 9: grad(softplus): not checked: at these inputs the float32 function overflows (its value is not finite)" in output


def test_several_values_printed_on_one_line_are_each_read() -> None:
    text = "tensor(2.) tensor(1.)\ntensor(3.) tensor(2.)\n<tf.Tensor: shape=(), dtype=float32, numpy=1.0> tf.Tensor(2.0, shape=(), dtype=float32)"
    printed = read_printed(text)
    assert [float(item.values) for item in printed] == [2, 1, 3, 2, 1, 2]
    assert [item.line_offset for item in printed] == [0, 0, 1, 1, 2, 2]


def test_mxnet_backward_replaces_the_gradient_instead_of_adding_to_it(tmp_path: Path) -> None:
    path = tmp_path / "mx.md"
    code = ("from mxnet import nd, autograd\nx = nd.array([1.0, 2.0])\nx.attach_grad()\nwith autograd.record():\n    y = x * x\ny.backward()\n"
            "with autograd.record():\n    z = x * 3\nz.backward()\nprint(x.grad)\n")  # fmt: skip
    path.write_text(f"```python\n{code}```\n\n```output\n\n[3. 3.]\n<NDArray 2 @cpu(0)>\n```\n")
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 0, output
    assert "∂/∂x [3, 3]: holds" in output


def test_an_item_printed_after_its_label_and_a_blank_line_is_a_claim(tmp_path: Path) -> None:
    path = tmp_path / "item.md"
    code = 'x = torch.tensor(3.0, requires_grad=True)\n(x ** 2).backward()\nprint("dy/dx:")\nprint()\nprint(x.grad.item())\n'
    path.write_text(_markdown(code, "dy/dx:\n\n6.0\n"))
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 0, output
    assert "✓ line 14 (printed output): ∂/∂x 6: holds" in output


AGREEMENTS = [
    ("x = torch.tensor([0.5, 1.0], requires_grad=True)\ntorch.sin(x).sum().backward()\nassert torch.allclose(x.grad, torch.cos(x))\n",
     0, "✓ line 6 (assert): ∂/∂x formula torch.cos(x): proven"),
    ("x = torch.tensor([0.5, 1.0], requires_grad=True)\ntorch.sin(x).sum().backward()\nassert torch.allclose(x.grad, x.cos() * 2)\n",
     1, "✗ line 6 (assert): ∂/∂x formula x.cos() * 2: wrong"),
    ("x = torch.tensor([1.0, 2.0], requires_grad=True)\n(x ** 2).sum().backward()\nnp.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])\n",
     0, "✓ line 6 (assert): ∂/∂x tensor([2.0, 4.0]): holds"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "exit_code", "says"), AGREEMENTS)
def test_an_assert_that_a_gradient_equals_a_formula_or_values_is_a_claim(tmp_path: Path, code: str, exit_code: int, says: str) -> None:
    path = tmp_path / "agree.md"
    path.write_text(f"```python\nimport torch\nimport numpy as np\n{code}```\n")
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == exit_code, output
    assert says in output


def test_a_numpy_column_printed_in_an_unlabelled_fence_is_an_output(tmp_path: Path) -> None:
    # `[[1.5]\n [3. ]]` parses as Python (a list indexed by a list); after a code block it is what numpy printed
    path = tmp_path / "column.md"
    path.write_text("```python\nimport numpy as np\nv = np.array([[0.75], [1.5]])\nprint(v * 2)\n```\n\n```\n[[1.5]\n [3. ]]\n```\n")
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "✓ line 8 (printed output): value [1.5, 3]: holds" in output and "indexing" not in output


# A claim about a quantity that no unseeded random value reaches is checked; one that such a value reaches is listed.
RANDOM_ELSEWHERE = [
    ("x = torch.randn(3)\nw = torch.ones(3, requires_grad=True)\ny = (w * 2 + x).sum()\ny.backward()\nprint(w.grad)\n", "tensor([2., 2., 2.])\n",
     0, "✓ line 12 (printed output): ∂/∂w [2, 2, 2]: holds"),
    ("x = torch.randn(3)\nw = torch.ones(3, requires_grad=True)\ny = (w * 2 + x).sum()\ny.backward()\nprint(w.grad)\n", "tensor([3., 3., 3.])\n",
     1, "✗ line 12 (printed output): ∂/∂w [3, 3, 3]: wrong"),
    ("x = torch.randn(2, requires_grad=True)\ny = (3 * x - 1).mean()\ny.backward()\nprint(x.grad)\n", "tensor([1.5000, 1.5000])\n",
     0, "✓ line 11 (printed output): ∂/∂x [1.5, 1.5]: holds"),
    ("x = torch.randn(3)\nw = torch.ones(3, requires_grad=True)\ny = (w * x).sum()\ny.backward()\nprint(w.grad)\n", "tensor([0.1, 0.2, 0.3])\n",
     0, "line 12: printed output [0.1, 0.2, 0.3]: not checkable: the inputs are random and unseeded"),
    ("x = torch.randn(2, requires_grad=True)\ny = (x ** 2).sum()\ny.backward()\nprint(x.grad)\n", "tensor([0.5, -1.0])\n",
     0, "line 11: printed output [0.5, -1]: not checkable: the inputs are random and unseeded"),
    ("x = torch.randn(3)\nw = torch.ones(3, requires_grad=True)\nz = w * 2 + x\ny = (z * z).sum()\ny.backward()\nprint(w.grad)\n",
     "tensor([1., 2., 3.])\n", 0, "line 13: printed output [1, 2, 3]: not checkable: the inputs are random and unseeded"),
    ("x = torch.randn(2)\nw = torch.ones(2, requires_grad=True)\n(w * 2).backward(x)\nprint(w.grad)\n", "tensor([2., 2.])\n",
     0, "line 11: printed output [2, 2]: not checkable: the inputs are random and unseeded"),
    ("x = torch.randn(3)\nw = torch.ones(3, requires_grad=True)\ny = (w * x).sum()\ny.backward()\n# w.grad = [5, 5, 5]\n", "\n",
     0, "= [5, 5, 5]: not checkable: the inputs are random and unseeded"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "output", "exit_code", "says"), RANDOM_ELSEWHERE)
def test_a_claim_no_random_input_reaches_is_checked_and_one_it_reaches_is_listed(tmp_path: Path, code: str, output: str, exit_code: int,
                                                                                 says: str) -> None:  # fmt: skip
    path = tmp_path / "random.md"
    path.write_text(_markdown(code, output))
    code_, text = cli("check", "--no-color", str(path))
    assert code_ == exit_code, text
    assert says in text


@pytest.mark.parametrize(
    ("program", "depends"),
    [
        ("sum(w * 2 + r)", False),  # the random value is added: no VJP reads it
        ("sum(w * r)", True),  # mul's VJP for w reads r
        ("sum(sin(w) * 3 - mean(r ** 2))", False),
        ("sum((w + r) ** 2)", True),  # pow reads its base, which r reaches
        ("sum(exp(r) * 0 + w / 4)", False),
    ],
)
def test_a_derivative_depends_on_a_random_input_where_a_vjp_on_its_paths_reads_a_value_the_input_reaches(program: str, depends: bool) -> None:
    from verifygrad.language.statements import compile_program
    from verifygrad.tutorials.dependence import derivative_depends

    compiled = compile_program(program, {"w": np.ones(3), "r": np.arange(3.0)})
    assert derivative_depends(compiled, "w", {"r"}) is depends
    assert derivative_depends(compiled, "w", set()) is False


def _prose(code: str, prose: str) -> str:
    return f"```python\nimport torch\n{code}```\n\n{prose}\n"


# (code, prose, exit code, what the report says); the prose is on line 9 (code of 4 lines)
WRITTEN_OUT = [
    ("v = torch.tensor([[1.0], [2.0]], requires_grad=True)\nM = torch.ones(2, 2, requires_grad=True)\nL = (v ** 2).sum() + (M * 3).sum()\n"
     "L.backward()\n", r"So $\nabla_v L = \begin{bmatrix} 2 \\ 4 \end{bmatrix}$ and $\frac{\partial L}{\partial M} = "
     r"\begin{pmatrix} 3 & 3 \\ 3 & 3 \end{pmatrix}$.", 0, "✓ line 9 (LaTeX): ∂/∂M tensor([[3, 3], [3, 3]]): holds"),
    ("v = torch.tensor([[1.0], [2.0]], requires_grad=True)\nM = torch.ones(2, 2, requires_grad=True)\nL = (v ** 2).sum() + (M * 3).sum()\n"
     "L.backward()\n", r"So $\nabla_v L = \begin{bmatrix} 2 \\ 5 \end{bmatrix}$.", 1,
     "✗ line 9 (LaTeX): ∂/∂v tensor([[2.0], [5.0]]): wrong (v[1,0]: claimed 5, true 4"),
    ("w = torch.tensor(0.5, requires_grad=True)\nb = torch.tensor(1.0)\nL = 3 * w ** 2 + b\nL.backward()\n",
     "By the chain rule dL/dw = 2 * 3 * 0.5 = 3, as printed.", 0, "✓ line 9 (text): ∂/∂w 3: holds"),
    ("w = torch.tensor(0.5, requires_grad=True)\nb = torch.tensor(1.0)\nL = 3 * w ** 2 + b\nL.backward()\n",
     "By the chain rule dL/dw = 2 * 3 * 0.5 = 1.5 * 2 = 3.5.", 1, "✗ line 9 (text): value 3.5: wrong (value: claimed 3.5, true 3"),
    ("w = torch.tensor(3.0, requires_grad=True)\nb = torch.tensor(1.0)\nz = torch.sin(w ** 2) + b\nz.backward()\n",
     r"$\frac{\partial z}{\partial w} = 6 \cdot \cos(3^2) \approx -5.46$", 0, "✓ line 9 (LaTeX): ∂/∂w 6 * cos(3 ** 2): holds"),
    ("w = torch.tensor(3.0, requires_grad=True)\nb = torch.tensor(1.0)\nz = torch.sin(w ** 2) + b\nz.backward()\n",
     r"$\frac{\partial z}{\partial w} \approx -5.46$", 0, "not checked: -5.46 is written as approximate, and no exact step beside it holds it"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "prose", "exit_code", "says"), WRITTEN_OUT)
def test_vectors_matrices_and_arithmetic_chains_written_in_the_prose(tmp_path: Path, code: str, prose: str, exit_code: int, says: str) -> None:
    path = tmp_path / "prose.md"
    path.write_text(_prose(code, prose))
    code_, text = cli("check", "--no-color", str(path))
    assert code_ == exit_code, text
    assert says in text


def test_a_matrix_and_a_gradient_sign_are_read_in_the_math() -> None:
    from verifygrad.tutorials.mathtext import Derivative, read_relation, render

    relations: list[str] = []
    head, matrix, number = read_relation(r"\nabla_{w} L = \begin{bmatrix} 1 & -2 \\ 3 & 4.5 \end{bmatrix} \approx 7", frozenset({"w"}), relations)
    assert head == Derivative("L", "w") and render(matrix) == "[[1, -2], [3, 4.5]]" and render(number) == "7"
    assert relations == ["=", "\\approx"]


def test_labelled_prints_item_and_f_strings_pair_one_value_each(tmp_path: Path) -> None:
    code = ('x = torch.tensor(3.0, requires_grad=True)\ny = x ** 2\ny.backward()\nprint("Gradient:\\n", x.grad)\nprint("dy/dx =", x.grad.item())\n'
            'print(f"{x.grad.item():.4f}")\nprint(f"y = {y.item()}")\nprint("y is")\nprint()\nprint(y.item())\n')  # fmt: skip
    path = tmp_path / "labels.md"
    path.write_text(f"```python\nimport torch\n{code}```\n\n```bash\nGradient:\n tensor(6.)\ndy/dx = 6.0\n6.0000\ny = 9.0\ny is\n\n9.0\n```\n")
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 0, output
    for line in (17, 18, 19):
        assert f"✓ line {line} (printed output): ∂/∂x 6: holds" in output
    for line in (20, 23):
        assert f"✓ line {line} (printed output): value 9: holds" in output


def test_an_output_with_a_value_fewer_than_the_code_prints_is_not_paired_by_guess(tmp_path: Path) -> None:
    code = "x = torch.tensor(3.0, requires_grad=True)\ny = x ** 2\ny.backward()\nprint(x.grad)\nprint(y)\nprint(y * 2)\n"
    path = tmp_path / "short.md"
    path.write_text(_markdown(code, "tensor(6.)\ntensor(9., grad_fn=<PowBackward0>)\n"))  # the writer left the last one out
    code_, output = cli("check", "--no-color", str(path))
    assert code_ != 1, output
    assert "not tied: the output shows 2 values where the code prints 3: which is which is not known" in output


def test_a_rest_notebook_export_with_labelled_prints_is_checked(tmp_path: Path) -> None:
    # nbconvert's reST (`.. parsed-literal::` outputs), labelled prints, a scalar's gradient printed as `[6.]` (old Paddle),
    # and the grad of a non-leaf formatted into the text: not known, so the values after it are paired from the end
    path = tmp_path / "export.rst"
    path.write_text(
        "Two products\n============\n\n.. code:: ipython3\n\n    import paddle\n\n    p = paddle.to_tensor(3.0, stop_gradient=False)\n"
        "    q = paddle.to_tensor(2.0, stop_gradient=False)\n    r = p * q\n    s = r * p\n    s.backward()\n"
        "    print(\"p's grad: {}\".format(p.grad))\n    print(\"r's grad: {}\".format(r.grad))\n    print(\"q's grad: {}\".format(q.grad))\n\n"
        ".. parsed-literal::\n\n    p's grad: [12.]\n    r's grad: [3.]\n    q's grad: [9.]\n"
    )  # fmt: skip
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "✓ line 19 (printed output): ∂/∂p [12]: holds" in output and "✓ line 21 (printed output): ∂/∂q [9]: holds" in output
    assert "line 20: printed output [3]: not tied: printed by code that was not read (line 14: r.grad)" in output


CHAIN = "# By hand\n\nThe unit's input is $z = 0.6 \\cdot 0.6457 + (-0.4) \\cdot 0.4256 + 0.2 = 0.3874 - 0.1702 + 0.2 = {last}$.\n"


def test_a_chain_whose_middle_step_rounds_its_products_holds(tmp_path: Path) -> None:
    # 0.6*0.6457 is 0.38742, written 0.3874: the middle side carries the rounding of its 4-decimal numbers
    page = tmp_path / "chain.md"
    page.write_text(CHAIN.format(last="0.4172"), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert "FAIL" not in output and code == 5, output
    page.write_text(CHAIN.format(last="0.4272"), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == 1 and "claim value: wrong (value: claimed 0.4272, true 0.4172" in output, output


def test_a_tuple_of_floats_is_a_value_each_and_a_shape_is_none() -> None:
    assert [float(item.values) for item in read_printed("(24.0, 10.000000000047748)\n")] == [24.0, 10.000000000047748]
    assert read_printed("(2, 3)\n") == [] and read_printed("(3,)\n") == []  # numpy prints a shape so


def test_a_printed_comparison_of_a_gradient_with_a_formula_is_a_claim_that_they_agree(tmp_path: Path) -> None:
    path = tmp_path / "printed_comparison.py"
    code = ("import torch\n\nu = torch.tensor([1., 2.], requires_grad=True)\nv = torch.tensor([3., 1.], requires_grad=True)\n"
            "R = 2*u**3 - v**2\nR.backward(gradient=torch.ones(2))\n\nprint(6*u**2 == u.grad)\nprint(-2*v == v.grad)\n")  # fmt: skip
    path.write_text(code)
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 0, output
    assert "✓ line 8 (comparison): ∂/∂u formula 6 * u ** 2: proven" in output
    assert "✓ line 9 (comparison): ∂/∂v formula -2 * v: proven" in output
    path.write_text(code.replace("-2*v ==", "-3*v =="))
    code_, output = cli("check", "--no-color", str(path))
    assert code_ == 1 and "✗ line 9 (comparison): ∂/∂v formula -3 * v: wrong" in output, output
