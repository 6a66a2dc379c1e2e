"""A print of formatted text ties each value to its own field: `f"h'({t}) = {dh(t)}"` prints the point and the gradient
on one line, and the output line cut at the print's literal text gives each field exactly its text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_tutorial_check import cli
from verifygrad.tutorials.formatted import Field, Template, print_parts

POINT = """```python
import jax

def h(t):
    return t ** 3 + t

dh = jax.grad(h)
t = 2.0
print(f"h({t}) = {h(t)}")
print(f"h'({t}) = {dh(t)}")
```

```
h(2.0) = 10.0
h'(2.0) = {printed}
```
"""


def check(tmp_path: Path, text: str, name: str = "page.md") -> tuple[int, str]:
    page = tmp_path / name
    page.write_text(text, encoding="utf-8")
    return cli("check", "--no-color", str(page))


@pytest.mark.parametrize(("printed", "status", "says"), [("13.0", 0, "✓ line 15 (printed output): ∂/∂t_input 13: holds"),
                                                         ("12.0", 1, "✗ line 15 (printed output): ∂/∂t_input 12: wrong")])  # fmt: skip
def test_the_point_printed_in_a_label_is_its_own_field(tmp_path: Path, printed: str, status: int, says: str) -> None:
    code, output = check(tmp_path, POINT.replace("{printed}", printed))  # h' = 3t^2 + 1 = 13 at 2
    assert code == status and says in output and "not tied" not in output, output


TWO = """```python
import jax

def k(a, b):
    return a ** 2 * b + 3 * b

dk_db = jax.grad(k, argnums=1)
a, b = 2.0, 0.5
print(f"∂k/∂b at ({a},{b}) = {dk_db(a, b)}")
for s in [1.0, 3.0]:
    print(f"∂k/∂b at ({s},{b}) = {dk_db(s, b)}")
    print("at a = {0}: {1}".format(s, dk_db(s, b)))
```

```
∂k/∂b at (2.0,0.5) = 7.0
∂k/∂b at (1.0,0.5) = 4.0
at a = 1.0: 4.0
∂k/∂b at (3.0,0.5) = {third}
at a = 3.0: 12.0
```
"""


def test_each_pass_of_a_loop_ties_its_own_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, TWO.replace("{third}", "12.0"))  # ∂k/∂b = a^2 + 3
    assert code == 0 and "not tied" not in output, output
    for line, value in ((16, 7), (17, 4), (18, 4), (19, 12), (20, 12)):
        assert f"✓ line {line} (printed output): ∂/∂b {value}: holds" in output, (line, output)


def test_a_wrong_gradient_in_one_pass_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, TWO.replace("{third}", "21.0"))
    assert code == 1 and "✗ line 19 (printed output): ∂/∂b 21: wrong" in output, output
    assert output.count("✗ line") == 1, output


def test_an_output_at_another_point_is_never_compared(tmp_path: Path) -> None:
    """The output shows the point 3.0 where the code prints 2.0 (the cell ran on other values): no line is that print's."""
    code, output = check(tmp_path, POINT.replace("h'(2.0) = {printed}", "h'(3.0) = 28.0"))
    assert "FAIL" not in output and "line 15: printed output 28: not tied: 0 output lines fit the print at line 10, run 1 times" in output, output


def test_an_output_with_fewer_lines_than_the_prints_ties_no_line_by_its_text(tmp_path: Path) -> None:
    """A loop's output cut short: which pass each line is from is not known, so none is compared (a false FAIL)."""
    text = TWO.replace("∂k/∂b at (1.0,0.5) = 4.0\nat a = 1.0: 4.0\n", "").replace("{third}", "12.0").replace("at a = 3.0: 12.0", "at a = 3.0: 4.0")
    code, output = check(tmp_path, text)
    assert "FAIL" not in output and "not tied" in output, output


def test_a_field_that_prints_text_other_than_a_value_is_not_read_as_one(tmp_path: Path) -> None:
    code, output = check(tmp_path, POINT.replace("{printed}", "12.0 (rounded)"))
    assert "FAIL" not in output and "line 14: printed output 10: not tied: 0 output lines fit the print at line 10" in output, output


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("f'(3.0) = 6.0", ["3.0", "6.0"]),
        ("f'(3.0) = f'(3.0) = 6.0", None),  # the literal `) = ` twice: two ways to cut
        ("f'(3.0) = 6.0 ✓", ["3.0", "6.0 ✓"]),  # the last field takes the rest; whether it is a value is asked apart
        ("g(3.0) = 6.0", None),
    ],
)
def test_a_template_cuts_a_line_one_way_or_not_at_all(text: str, pieces: list[str] | None) -> None:
    template = Template(("f'(", ") = ", ""), (Field(), Field()))
    cut = template.match(text)
    assert (None if cut is None else [piece for _, piece in cut]) == pieces


def test_two_fields_side_by_side_are_not_cut() -> None:
    assert Template(("x = ", "", ""), (Field(), Field())).match("x = 1.02.0") is None


def test_a_number_the_reader_knows_must_print_its_own_text() -> None:
    template = Template(("f'(", ") = ", ""), (Field("3.0"), Field()))
    assert template.match("f'(2.0) = 4.0") is None and template.match("f'(3.0) = 6.0") is not None


@pytest.mark.parametrize(
    ("code", "literals"),
    [
        ('print(f"f({x:.2f}) = {y}")', ["f(", ") = ", ""]),
        ('print("f(%s) = %.4f %%" % (x, y))', ["f(", ") = ", " %"]),
        ('print("{1} at {0}".format(x, y))', ["", " at ", ""]),
        ('print("grad:", f"{y}", sep=" | ")', ["grad: | ", ""]),
        ('print(f"{y}", end="")', None),  # the next print continues its line
        ('print("plain", y)', None),  # no formatted text: read as before
        ('print("%(a)s" % d)', None),
    ],
)
def test_a_print_is_split_into_its_literal_text_and_fields(code: str, literals: list[str] | None) -> None:
    parts = print_parts(ast.parse(code).body[0].value)
    if literals is None:
        assert parts is None
        return
    joined = [""]
    for part in parts:
        if isinstance(part, str):
            joined[-1] += part
        else:
            joined.append("")
    assert joined == literals


CONCATENATED = """```python
import numpy as np

theta = 3.0
J = theta ** 2
dtheta = 2 * theta
print("J = " + str(J) + ", dtheta = " + str(dtheta))
```

Output:
```
J = 9.0, dtheta = {printed}
```
"""


@pytest.mark.parametrize(("printed", "status"), [("6.0", 0), ("7.0", 1)])
def test_a_print_of_strings_joined_with_plus_ties_each_str_to_its_text(tmp_path: Path, printed: str, status: int) -> None:
    code, output = check(tmp_path, CONCATENATED.format(printed=printed))
    assert code == status, output
    assert "arithmetic on BinOp" not in output and "not tied" not in output, output


def test_a_plus_of_numbers_inside_a_print_is_still_arithmetic() -> None:
    call = ast.parse("print(a + b)").body[0].value
    assert print_parts(call) is None
