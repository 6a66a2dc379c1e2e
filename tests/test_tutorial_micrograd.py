"""Scalar autodiff classes written in a tutorial (micrograd's ``Value`` and its kind): recognised by their structure, their
operators followed on numbers, printed ``.grad`` values and ``x.grad = ...`` set by hand checked as gradient claims."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"

# A small class of the same structure for inline pages: number, gradient, operators, a backward by topological order.
CLASS = """import math


class V:
    def __init__(self, data, _children=()):
        self.data = data
        self.grad = 0.0
        self._prev = set(_children)
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, V) else V(other)
        out = V(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, V) else V(other)
        out = V(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += MUL_RULE * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = V(t, (self,))

        def _backward():
            self.grad += (1 - t ** 2) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
"""


def check(tmp_path: Path, code: str, output: str = "", rule: str = "self.data") -> tuple[int, str]:
    path = tmp_path / "scalars.md"
    shown = f"\n```\n{output}```\n" if output else ""
    path.write_text(f"```python\n{CLASS.replace('MUL_RULE', rule)}```\n\n```python\n{code}```\n{shown}")
    return cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))


def test_printed_gradients_and_the_repr_of_a_scalar_class_are_checked() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "scalar_class.md"))
    assert code == 0, output
    assert "✓ line 111 (printed output): ∂/∂p 0.254829: holds" in output, output
    assert "✓ line 112 (printed output): ∂/∂q 10.2355: holds" in output, output
    assert "✓ line 122 (printed output): value 6.74034: holds" in output, output
    assert "not read" not in output, output


def test_a_wrong_printed_gradient_of_a_scalar_class_fails_at_its_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "scalar_class_wrong.md"))
    assert code == 1, output
    assert "✗ line 112 (printed output): ∂/∂q 10.3355: wrong" in output and "true 10.2355" in output, output
    assert "✓ line 111 (printed output)" in output, output


def test_gradients_set_by_hand_are_claims_about_the_final_output() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "scalar_manual.md"))
    assert code == 0, output
    for line, claim in ((37, "∂y/∂y (by hand: y.grad)"), (38, "∂y/∂z (by hand: z.grad)"), (39, "∂y/∂c (by hand: c.grad)"),
                        (40, "∂y/∂uk (by hand: uk.grad)"), (41, "∂y/∂u (by hand: u.grad)"), (42, "∂y/∂k (by hand: k.grad)")):  # fmt: skip
        assert f"PASS  {claim} at line {line}" in output, claim


def test_a_wrong_gradient_set_by_hand_fails_at_its_line() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "scalar_manual_wrong.md"))
    assert code == 1, output
    assert "FAIL  ∂y/∂k (by hand: k.grad) at line 42" in output and "true 0.117502" in output, output
    assert output.count("✓ PASS  ") == 5, output


def test_a_wrong_backward_rule_in_the_class_shows_as_a_failing_printed_gradient(tmp_path: Path) -> None:
    code_text = "a = V(3.0)\nb = V(-2.0)\ny = a * b + a\ny.backward()\nprint(a.grad)\nprint(b.grad)\n"
    code, output = check(tmp_path, code_text, "-1.0\n-3.0\n", rule="other.data")  # b.grad by the slipped rule: other.data = b
    assert code == 1, output
    assert "∂/∂a -1: holds" in output and "∂/∂b -3: wrong" in output and "true 3" in output, output


def test_the_right_rule_prints_the_true_gradient(tmp_path: Path) -> None:
    code, output = check(tmp_path, "a = V(3.0)\nb = V(-2.0)\ny = a * b + a\ny.backward()\nprint(a.grad)\nprint(b.grad)\n", "-1.0\n3.0\n")
    assert code == 0, output
    assert "∂/∂a -1: holds" in output and "∂/∂b 3: holds" in output, output


def test_a_method_of_the_class_is_followed(tmp_path: Path) -> None:
    code, output = check(tmp_path, "x = V(0.5)\ny = (x * x + 1).tanh()\ny.backward()\nprint(x.grad)\n", "0.2804148662\n")
    assert code == 0, output
    assert "∂/∂x 0.280415: holds" in output, output  # 2x (1 - tanh(x^2 + 1)^2) at 0.5


def test_an_operator_the_class_does_not_define_is_not_followed(tmp_path: Path) -> None:
    code, output = check(tmp_path, "x = V(0.5)\ny = 1 + x\ny.backward()\nprint(x.grad)\n", "1.0\n")
    assert "PASS" not in output and "FAIL" not in output, output
    assert "V.__radd__, which the class does not define" in output, output


def test_a_per_node_backward_not_followed_leaves_later_hand_gradients_unchecked(tmp_path: Path) -> None:
    code_text = "u = V(2.0)\nk = V(-1.0)\nuk = u * k\ny = uk.tanh()\ny.backward()\nuk._backward()\nu.grad = k.data * uk.grad\n"
    code, output = check(tmp_path, code_text)
    assert "FAIL" not in output and "by hand: u.grad" not in output, output
    assert "uk._backward() (not a method the reader follows)" in output, output
    assert "u.grad set by hand; not checked: set from line 66 changed uk.grad and was not read (uk._backward())" in output, output


def test_a_gradient_set_by_hand_with_two_outputs_depending_on_it_is_listed_not_paired(tmp_path: Path) -> None:
    code, output = check(tmp_path, "a = V(2.0)\ny1 = a * a\ny2 = a + 1.0\na.grad = 4.0\n")
    assert "FAIL" not in output and "PASS" not in output, output
    assert "a.grad reads as a hand-written gradient; not paired with a loss: several outputs depend on a (y1, y2)" in output, output


def test_micrograd_imported_is_followed_with_relu_and_augmented_assignment(tmp_path: Path) -> None:
    page = (
        "```python\nfrom micrograd.engine import Value\n\na = Value(-1.5)\nb = Value(2.0)\nc = a * b\nc += a.relu() + 1\n"
        "d = (b - a).relu() * c + b ** 2\nd.backward()\nprint(a.grad)\nprint(b.grad)\n```\n\n```\n9.0\n-3.25\n```\n"
    )
    path = tmp_path / "imported.md"
    path.write_text(page)
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 0, output  # c = a*b + 1 (relu(a) = 0), d = (b - a) c + b^2: dd/da = -c + (b - a) b = 9, dd/db = c + (b - a) a + 2b = -3.25
    assert "∂/∂a 9: holds" in output and "∂/∂b -3.25: holds" in output, output
    path.write_text(page.replace("-3.25\n```", "-3.0\n```"))
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 1 and "∂/∂b -3: wrong" in output, output


def test_relu_at_exactly_zero_is_not_decided(tmp_path: Path) -> None:
    path = tmp_path / "kink.md"
    path.write_text("```python\nfrom micrograd.engine import Value\n\na = Value(0.0)\nd = a.relu() * 3\nd.backward()\nprint(a.grad)\n```\n\n```\n0.0\n```\n")
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert "FAIL" not in output and "PASS" not in output, output
    assert "Value.relu() where the reader cannot tell the sign" in output, output


def test_a_comment_saying_what_a_gradient_print_prints_is_a_claim(tmp_path: Path) -> None:
    page = "```python\nfrom micrograd.engine import Value\n\nx = Value(2.0)\ny = x ** 3 / 4.0\ny.backward()\n"
    page += "print(f'{x.grad:.4f}')  # prints 3.0000, dy/dx\n```\n"
    path = tmp_path / "readme.md"
    path.write_text(page)
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 0 and "✓ line 7 (comment): ∂/∂x 3: holds" in output, output  # 3 x^2 / 4 at 2
    path.write_text(page.replace("prints 3.0000", "prints 2.2500"))
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 1 and "✗ line 7 (comment): ∂/∂x 2.25: wrong" in output, output


EXERCISE = """```python
from micrograd.engine import Value


def mean_square(vals):
    squares = [v * v for v in vals]
    return sum(squares) / 3.0


xs = [Value(1.0), Value(-2.0), Value(0.5)]
m = mean_square(xs)
m.backward()
want = [0.6666666666666666, -1.3333333333333333, 0.3333333333333333]
for i in range(3):
    status = "OK" if abs(xs[i].grad - want[i]) < 1e-6 else "WRONG"
    print(f"{status} for x{i}: expected {want[i]}, got {xs[i].grad}")
```

```
OK for x0: expected 0.6666666666666666, got 0.6666666666666666
OK for x1: expected -1.3333333333333333, got GOT
OK for x2: expected 0.3333333333333333, got 0.3333333333333333
```
"""


def test_a_function_of_a_list_of_instances_and_a_checking_loop_are_followed(tmp_path: Path) -> None:
    path = tmp_path / "exercise.md"
    path.write_text(EXERCISE.replace("GOT", "-1.3333333333333333"))  # d/dx_i of sum(x^2) / 3 is 2 x_i / 3
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 0, output
    for line, value in ((20, "0.666667"), (21, "-1.33333"), (22, "0.333333")):
        assert f"✓ line {line} (printed output): ∂/∂" in output and f" {value}: holds" in output, (line, output)
    assert output.count(": holds") == 6, output  # each line's expected value too


def test_a_wrong_gradient_printed_by_a_checking_loop_fails_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "exercise.md"
    path.write_text(EXERCISE.replace("GOT", "-0.6666666666666666"))
    code, output = cli("check", "--no-color", "-e", "numpy", "-e", "sympy", str(path))
    assert code == 1, output
    assert "✗ line 21 (printed output): ∂/∂" in output and "-0.666667: wrong" in output and "true -1.33333" in output, output
