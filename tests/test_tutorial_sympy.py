"""`verifygrad check`: a derivative SymPy computes in a tutorial, printed or stated in a comment, is a formula claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from verifygrad.frontends.cli import main
from verifygrad.tutorials.symbolic import NotRead, formula_of


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args], env={"COLUMNS": "1000"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def check(tmp_path: Path, text: str, name: str = "calc.md") -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text)
    return cli("check", "--no-color", str(path))


def test_a_printed_derivative_is_a_formula_claim_proven_against_the_expression(tmp_path: Path) -> None:
    code, output = check(tmp_path, "```python\nimport sympy as sp\nq = sp.Symbol('q')\nsp.diff(sp.exp(q) * q, q)\n```\n\n```\nq*exp(q) + exp(q)\n```\n")
    assert code == 0, output
    assert "✓ line 8 (printed output): ∂/∂q formula q * exp(q) + exp(q): proven" in output


def test_a_wrong_printed_derivative_fails_at_the_printed_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, "```python\nimport sympy as sp\nq = sp.Symbol('q')\nsp.diff(sp.sin(3 * q), q)\n```\n\n```\ncos(3*q)\n```\n")
    assert code == 1, output
    assert "✗ line 8 (printed output): ∂/∂q formula cos(3 * q): wrong" in output
    assert "calc.md:8: FAIL" in output


def test_a_session_with_pretty_printed_exponents_and_labelled_prints(tmp_path: Path) -> None:
    text = (".. code-block:: pycon\n\n    >>> from sympy import *\n    >>> u, v = symbols('u v', positive=True)\n    >>> diff(u**3 * v, u)\n"
            "       2\n    3⋅u ⋅v\n\nAnd printed with a label:\n\n.. code-block:: python\n\n    g = u / v\n    dg = diff(g, v)\n"
            "    print('dg/dv:', simplify(dg))\n\n.. code-block:: text\n\n    dg/dv: -u/v**2\n")  # fmt: skip
    code, output = check(tmp_path, text, "calc.rst")
    assert code == 0, output
    assert "✓ line 6 (printed output): ∂/∂u formula 3 * u ** 2 * v: proven" in output
    assert "✓ line 19 (printed output): ∂/∂v formula -u / v ** 2: proven" in output


def test_a_comment_after_a_derivative_states_it(tmp_path: Path) -> None:
    code, output = check(tmp_path, "```python\nfrom sympy import symbols, diff, log\nw = symbols('w')\nd = diff(log(w) * w, w)  # -> log(w) + 2\n```\n")
    assert code == 1, output
    assert "✗ line 4 (comment): ∂/∂w formula log(w) + 2: wrong" in output


@pytest.mark.parametrize(
    ("code", "printed", "says"),
    [
        ("sp.diff(x**3, x, 2)", "6*x", "not checked: a derivative of order 2 (first derivatives are checked)"),
        ("sp.diff(x**3, (x, 2))", "6*x", "not checked: not read: diff() with respect to (x, 2)"),
        ("sp.diff(x**3, x)", "__import__('os').getcwd()", "not checked: __import__('os').getcwd() in the printed formula"),
    ],
)
def test_what_is_not_read_is_listed_never_evaluated(tmp_path: Path, code: str, printed: str, says: str) -> None:
    code_, output = check(tmp_path, f"```python\nimport sympy as sp\nx = sp.Symbol('x')\n{code}\n```\n\n```text\n{printed}\n```\n")
    assert code_ == 5, output
    assert says in output


def test_other_sympy_values_printed_are_no_claims(tmp_path: Path) -> None:
    code, output = check(tmp_path, "```python\nimport sympy as sp\nx = sp.Symbol('x')\nsp.integrate(x**2, x)\n```\n\n```\nx**3/3\n```\n")
    assert code == 5, output
    assert "0 claims" in output and "not tied" not in output


def test_a_printed_formula_is_read_without_evaluating_it() -> None:
    assert formula_of("   2\n3⋅x ", {"x"}) == "3 * x ** 2"
    assert formula_of("-sin(y)/cot(y)", {"y"}) == "-sin(y) / (1 / tan(y))"
    with pytest.raises(NotRead):
        formula_of("x.__class__", {"x"})
    with pytest.raises(NotRead):
        formula_of("⎛ 2⎞\n⎝x ⎠\nℯ", {"x"})
