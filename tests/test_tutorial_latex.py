"""`verifygrad check` on derivations written only in the prose's math: functions defined in LaTeX (`$f(x) = x^3$`), the
derivatives the text states of them, and matrix arithmetic written out in `bmatrix`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifygrad.frontends.cli import main


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args], env={"COLUMNS": "1000"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def check(tmp_path: Path, text: str, name: str = "calculus.md") -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text)
    return cli("check", "--no-color", str(path))


# A page of calculus with no code: each derivative stated is checked against the function defined last before it
CALCULUS = r"""# Derivatives by hand

Take the cubic $f(x) = x^3 + 2x$.
Term by term, its slope is $f'(x) = 3x^2 + 2$.

Two variables: let $g(x, y) = x^2 y + \sin(y)$. Holding $y$ fixed,
$$\frac{\partial g}{\partial x} = 2xy$$
and holding $x$ fixed, $\dfrac{\partial g}{\partial y} = x^2 + \cos(y)$.
Once more: $\frac{\partial^2 g}{\partial x \, \partial y} = 2x$.

Now redefine $f(x) = e^{2x}$: then $f'(x) = 2e^{2x}$, and at a point, with $h(t) = t^2$, $h'(3) = 6$.

The logistic curve $\phi(u) = \frac{1}{1 + e^{-u}}$ has $\phi'(u) = \phi(u)\big(1 - \phi(u)\big)$.
"""


def test_derivatives_of_functions_defined_in_the_prose_are_checked(tmp_path: Path) -> None:
    code, output = check(tmp_path, CALCULUS)
    assert code == 0, output
    for says in (
        "✓ line 4 (LaTeX): ∂/∂x formula (3 * (x ** 2)) + 2: proven",
        "✓ line 7 (LaTeX): ∂/∂x formula 2 * (x * y): proven",
        "✓ line 8 (LaTeX): ∂/∂y formula (x ** 2) + cos(y): proven",
        "✓ line 9 (LaTeX): ∂²/∂y∂x formula diag(2 * x): proven",
        "✓ line 11 (LaTeX): ∂/∂x formula 2 * exp(2 * x): proven",  # the second f, not the first
        "✓ line 11 (LaTeX): ∂/∂t_input 6: holds",
        "✓ line 13 (LaTeX): ∂/∂u formula (1 / (1 + exp(-u))) * (1 - (1 / (1 + exp(-u)))): proven",
    ):
        assert says in output


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        ("$f'(x) = 3x^2$", "✗ line 4 (LaTeX): ∂/∂x formula 3 * (x ** 2): wrong (differs at x[0] = 0.35: claimed 0.3675, true ∂/∂x[0] = 2.3675)"),
        (r"$\frac{\partial f}{\partial x} = 3x^2 + 1$", "✗ line 4 (LaTeX): ∂/∂x formula (3 * (x ** 2)) + 1: wrong"),
        ("$f'(2) = 12$", "✗ line 4 (LaTeX): ∂/∂x 12: wrong (x: claimed 12, true 14"),
        ("$f(1) = 2$", "✗ line 4 (LaTeX): value 2: wrong (value: claimed 2, true 3"),
    ],
)
def test_a_wrong_derivative_stated_in_the_prose_fails_at_its_line(tmp_path: Path, wrong: str, says: str) -> None:
    code, output = check(tmp_path, f"# Slopes\n\nLet $f(x) = x^3 + 2x$.\nThen {wrong}.\n")
    assert code == 1, output
    assert says in output
    assert "calculus.md:4: FAIL" in output


@pytest.mark.parametrize(
    ("text", "says"),
    [
        # the chain rule with functions the text never writes out: nothing to check it against
        ("Let $f(x) = g(h(x))$. By the chain rule $f'(x) = g'(h(x))\\,h'(x)$.",
         "not checked: f is not known here: it is defined at line 3 through g, h, which the text does not define"),
        # a function defined twice, then a claim in a sentence of its own: which one it is about is not said
        ("Let $f(x) = x^2$.\n\nNow $f(x) = \\max(0, x)$.\n\nSo $f'(x) = 2x$.",
         "not checked: f is not known here: it is defined at line 3 and again at line 5, with nothing said of the first"),
        # an equation to solve, not an identity
        ("Let $f(x) = x^3 - 3x$. The extremes are where $f'(x) = 0$.",
         "not checked: 0 for a derivative that depends on x reads as an equation to solve"),
        # a derivative of a function the text never defines
        ("Suppose $q'(x) = 2x + 1$.", "not checked: q is not defined in the text before this line"),
        # a symbol the definition does not use
        ("Let $f(x) = x^2$. Then $f'(x) = 2x + k$.", "not checked: it names k, which f (line 3) does not use"),
    ],
)  # fmt: skip
def test_what_the_math_does_not_pin_down_is_listed_never_guessed(tmp_path: Path, text: str, says: str) -> None:
    code, output = check(tmp_path, f"# Rules\n\n{text}\n")
    assert code == 5, output
    assert says in output


PROOF = r"""# The square, from the definition

$
\begin{align*}
f'(x) & = \lim_{\epsilon \to 0}\dfrac{f(x + \epsilon) - f(x)}{\epsilon} \\
& = \lim_{\epsilon \to 0}\dfrac{(x + \epsilon)^2 - x^2}{\epsilon} && \text{since } f(x) = x^2 \\
& = \lim_{\epsilon \to 0} (2x + \epsilon) \\
& = 2x
\end{align*}
$
"""


def test_an_align_proof_is_read_row_by_row_with_the_definition_in_its_comment_column(tmp_path: Path) -> None:
    code, output = check(tmp_path, PROOF)
    assert code == 0, output
    assert "✓ line 8 (LaTeX): ∂/∂x formula 2 * x: proven" in output
    wrong = PROOF.replace("& = 2x\n", "& = x\n")
    code, output = check(tmp_path, wrong)
    assert code == 1, output
    assert "✗ line 8 (LaTeX): ∂/∂x formula x: wrong" in output


def test_derivatives_rules_in_a_notebook_name_the_cell(tmp_path: Path) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["| rule | function | derivative |\n", "| --- | --- | --- |\n",
                                                                   "| power | $f(x) = x^4$ | $f'(x) = 4x^3$ |\n",
                                                                   "| log | $f(x) = \\ln(x)$ | $f'(x) = \\dfrac{1}{x}$ |\n",
                                                                   "| known | | $\\tan'(x) = \\dfrac{1}{\\cos^2(x)}$ |\n"]}]  # fmt: skip
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    code, output = check(tmp_path, json.dumps(notebook, indent=1), "rules.ipynb")
    assert code == 0, output
    assert "(cell 1, line 3) (LaTeX): ∂/∂x formula 4 * (x ** 3): proven" in output
    assert "(cell 1, line 4) (LaTeX): ∂/∂x formula 1 / x: proven" in output
    assert "(cell 1, line 5) (LaTeX): ∂/∂x formula 1 / (cos(x) ** 2): proven" in output


@pytest.mark.parametrize(
    ("math", "exit_code", "says"),
    [
        (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \begin{bmatrix} 5 \\ 6 \end{bmatrix} = \begin{bmatrix} 17 \\ 39 \end{bmatrix}", 0,
         "✓ line 3 (LaTeX): value tensor([17, 39]): holds"),
        (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \times \begin{bmatrix} 5 & 6 \\ 7 & 8 \end{bmatrix} = \begin{bmatrix} 19 & 22 \\ 43 & 51 \end{bmatrix}",
         1,
         "✗ line 3 (LaTeX): value tensor([[19, 22], [43, 51]]): wrong"),
        (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix} \begin{pmatrix} 3 & 4 \end{pmatrix} = \begin{pmatrix} 3 & 4 \\ 6 & 8 \end{pmatrix}", 0,
         "✓ line 3 (LaTeX): value tensor([[3, 4], [6, 8]]): holds"),  # a column times a row: the outer product
        (r"\begin{bmatrix} 1 & 2 \end{bmatrix}^\top + \begin{bmatrix} 1 \\ 1 \end{bmatrix} = \begin{bmatrix} 2 \\ 3 \end{bmatrix}", 0,
         "✓ line 3 (LaTeX): value tensor([2, 3]): holds"),
        (r"\begin{bmatrix} 1 & 2 \end{bmatrix} \odot \begin{bmatrix} 3 & 4 \end{bmatrix} = \begin{bmatrix} 3 & 9 \end{bmatrix}", 1,
         "✗ line 3 (LaTeX): value tensor([3, 9]): wrong"),  # elementwise: 3 and 8
    ],
)  # fmt: skip
def test_matrix_arithmetic_written_in_the_math_is_checked(tmp_path: Path, math: str, exit_code: int, says: str) -> None:
    code, output = check(tmp_path, f"# Products\n\n$${math}$$\n")
    assert code == exit_code, output
    assert says in output


def test_mathjax_script_tags_and_rest_math_roles_are_math(tmp_path: Path) -> None:
    page = '# Tags\n\n<script type="math/tex; mode=display">\nf(x) = \\cos(2x)\n</script>\n\nso <script type="math/tex">f\'(x) = -2\\sin(2x)</script>.\n'
    code, output = check(tmp_path, page)
    assert code == 0, output
    assert "✓ line 7 (LaTeX): ∂/∂x formula (-2) * sin(2 * x): proven" in output
    rst = "Rules\n=====\n\nLet :math:`f(x) = x^2 + 1` so that :math:`f'(x) = 2x`.\n"
    code, output = check(tmp_path, rst, "rules.rst")
    assert code == 0, output
    assert "✓ line 4 (LaTeX): ∂/∂x formula 2 * x: proven" in output


SUMS = r"""# Least squares

The loss over the points is
$$
\begin{aligned}
L &= \sum_{i=1}^{n} (a x_i + b - y_i)^2 \\
  &= \lVert a \mathbf{x} + b - \mathbf{y} \rVert^2
\end{aligned}
$$
so $\frac{\partial L}{\partial a} = 2 \sum_{i=1}^{n} (a x_i + b - y_i) x_i$ and
$\frac{\partial L}{\partial b} = 2 \sum_{i=1}^{n} (a x_i + b - y_i)$, and $\frac{d}{dt}\left[t^3\right] = 3t^2$.
"""


def test_a_sum_with_indexed_and_plain_symbols_and_a_derivative_operator(tmp_path: Path) -> None:
    code, output = check(tmp_path, SUMS)
    assert code == 0, output
    assert "✓ line 10 (LaTeX): ∂/∂a formula 2 * sum((((a * x) + b) - y) * x): proven" in output
    assert "✓ line 11 (LaTeX): ∂/∂b formula 2 * sum(((a * x) + b) - y): proven" in output
    assert "✓ line 11 (LaTeX): ∂/∂t_input formula 3 * (t ** 2): proven" in output
    # a and b are one number each: the gradient by a is one number, not one per point
    code, output = check(tmp_path, SUMS.replace(r"(a x_i + b - y_i) x_i$", r"(a x_i + b - y_i)$"))
    assert code == 1, output
    assert "✗ line 10 (LaTeX): ∂/∂a formula 2 * sum(((a * x) + b) - y): wrong" in output


NEURON = r"""# A neuron by hand

The neuron computes $z = w x + b$ and its output $a = \sigma(z)$, with the loss $L = \frac{1}{2}(a - t)^2$.

By the chain rule, $\frac{\partial L}{\partial a} = a - t$ and
$$\frac{\partial L}{\partial w} = (a - t)\,a(1 - a)\,x$$
and $\frac{\partial L}{\partial b} = (a - t) a (1 - a)$.
"""


def test_a_chain_of_named_formulas_is_differentiated_through_the_names(tmp_path: Path) -> None:
    code, output = check(tmp_path, NEURON)
    assert code == 0, output
    assert "✓ line 5 (LaTeX): ∂/∂a formula a - t: proven" in output  # by a, written in L: a is the variable
    assert "✓ line 6 (LaTeX): ∂/∂w formula (((sigmoid((w * x) + b) - t) * sigmoid((w * x) + b)) * (1 - sigmoid((w * x) + b))) * x: proven" in output
    code, output = check(tmp_path, NEURON + r"Also $\frac{\partial L}{\partial x} = (a - t) a (1 - a)$." + "\n")
    assert code == 1, output  # the factor w is missing
    assert "✗ line 8 (LaTeX): ∂/∂x formula" in output
    # the same variable written in L and inside a name L uses: which is held fixed is not said
    code, output = check(tmp_path, NEURON.replace(r"L = \frac{1}{2}(a - t)^2", r"L = \frac{1}{2}(a - t)^2 + w^2"))
    assert "not checked: L depends on w directly and through a" in output


def test_a_second_derivative_in_the_math_is_never_compared_with_the_codes_gradient(tmp_path: Path) -> None:
    page = ("```python\nimport torch\nx = torch.tensor(3.0, requires_grad=True)\ny = x ** 3\ny.backward()\nprint(x.grad)\n```\n\n"
            "```output\ntensor(27.)\n```\n\nAnd $\\dfrac{\\partial^2 y}{\\partial x \\partial x} = 6x$, while "
            "$\\dfrac{\\partial y}{\\partial x} = 3x^2$.\n")  # fmt: skip
    code, output = check(tmp_path, page)
    assert code == 0, output
    assert "✓ line 13 (LaTeX): ∂/∂x formula 3 * (x ** 2): proven" in output
    assert "6 * x" not in output


def test_an_example_index_written_as_a_superscript_is_an_index(tmp_path: Path) -> None:
    page = (r"$$ J(w) = \frac{1}{n} \sum_{i=1}^{n} \left( w x^{(i)} - y^{(i)} \right)^2 $$" "\n\n"
            r"$$ \frac{\partial J}{\partial w} = \frac{2}{n} \sum_{i=1}^{n} \left( w x^{(i)} - y^{(i)} \right) x^{(i)} $$" "\n")  # fmt: skip
    code, output = check(tmp_path, page)
    assert code == 0, output
    assert "✓ line 3 (LaTeX): ∂/∂w formula (2 / n) * sum(((w * x) - y) * x): proven" in output


def test_functions_and_derivatives_written_in_plain_prose(tmp_path: Path) -> None:
    page = ("# Plain text\n\nLet f(x) = 3x^2 + 2x. Its derivative is f'(x) = 6x + 2, and at two f'(2) = 14.\n"
            "With g(t) = sin(t)**2 we get g'(t) = 2*sin(t)*cos(t), which is sin(2t).\n"
            "Code like `q(x) = x**3` is not math, and q'(x) = 3x^2 has no definition.\n")  # fmt: skip
    code, output = check(tmp_path, page)
    assert code == 0, output
    assert "✓ line 3 (text): ∂/∂x formula (6 * x) + 2: proven" in output
    assert "✓ line 3 (text): ∂/∂x 14: holds" in output
    assert "✓ line 4 (text): ∂/∂t_input formula (2 * sin(t)) * cos(t): proven" in output
    assert "line 5: text q'(x) = 3x^2: not checked: q is not defined in the text before this line" in output
    code, output = check(tmp_path, page.replace("f'(x) = 6x + 2", "f'(x) = 6x"))
    assert code == 1, output
    assert "✗ line 3 (text): ∂/∂x formula 6 * x: wrong" in output


def test_an_indexed_name_is_a_data_point_not_the_formula_its_plain_name_was_given(tmp_path: Path) -> None:
    # y = ax + b is the model; y_i in the loss are the data: the loss is not differentiated through the model
    page = (r"The model is $y = ax + b$. The loss is $L = \sum_{i=1}^N (ax_i + b - y_i)^2$, so" "\n"
            r"$\frac{\partial L}{\partial a} = 2 \sum_{i=1}^N (ax_i + b - y_i) x_i$." "\n")  # fmt: skip
    code, output = check(tmp_path, page)
    assert code == 0, output
    assert "✓ line 2 (LaTeX): ∂/∂a formula 2 * sum((((a * x) + b) - y) * x): proven" in output
    assert "a = 0.45, b = 0.3, x = tensor([0.55, 0.3, 0.75])" in output  # `ax_i` is a times the vector x


def test_definitions_that_double_at_each_step_are_listed_not_written_out(tmp_path: Path) -> None:
    names = "abcdefghjkmnopqrsuvw"
    lines = ["# Doubling", "", "$a(x) = x \\cdot x + 1$"] + [f"${n}(x) = {p}({p}(x))$" for p, n in zip(names, names[1:])]
    code, output = check(tmp_path, "\n".join([*lines, "$w'(x) = 2x$", ""]))
    assert code == 5, output
    assert "not checked: w is not known here: it is defined at line 22 through v (line 21), which is not known" in output
    assert output.count("not checked: ") == 1  # only what is claimed is listed


def test_numbers_after_a_formula_are_its_value_at_the_numbers_just_given(tmp_path: Path) -> None:
    page = "# At a point\n\nLet $f(x) = x^2 + 3x$. With $x = 2$,\n$\\frac{df}{dx} = 2x + 3 = 7$. Starting from $x = 1$ we look for $f'(x) = 0$.\n"
    code, output = check(tmp_path, page)
    assert code == 0, output
    assert "✓ line 4 (LaTeX): ∂/∂x 7: holds" in output
    assert "line 4: LaTeX f'(x) = 0: not checked: 0 for a derivative that depends on x reads as an equation to solve" in output
    code, output = check(tmp_path, page.replace("= 7$", "= 8$"))
    assert code == 1, output
    assert "✗ line 4 (LaTeX): ∂/∂x 8: wrong (x: claimed 8, true 7)" in output
    far = page.replace("With $x = 2$,\n", "With $x = 2$.\n\n\n\n")
    code, output = check(tmp_path, far)
    assert "7 for a derivative that depends on x reads as an equation to solve" in output  # a value given lines above: not used


def test_each_statement_after_a_comma_is_its_own_chain(tmp_path: Path) -> None:
    math = (r"\begin{bmatrix} 1 & 2 \end{bmatrix} \begin{bmatrix} 3 \\ 4 \end{bmatrix} = 11, \quad "
            r"\begin{bmatrix} 0.7 & 1.3 \\ 2.9 & 0.01 \end{bmatrix} \begin{bmatrix} 3.3 \\ 0.9 \end{bmatrix}"
            r" = \begin{bmatrix} 3.48 \\ 9.579 \end{bmatrix}")  # fmt: skip
    code, output = check(tmp_path, f"# Two products\n\n$${math}$$\n")
    assert code == 0, output
    assert "✓ line 3 (LaTeX): value tensor([3.48, 9.579]): holds: within float32 rounding of the exact value" in output
    code, output = check(tmp_path, f"# Two products\n\n$${math.replace('= 11', '= 12')}$$\n")
    assert code == 1, output  # the first product is 11: a wrong number before the comma still fails
    assert "✗ line 3 (LaTeX): value 12: wrong" in output


def test_a_function_rewritten_as_an_equal_formula_is_the_same_function(tmp_path: Path) -> None:
    page = ("# Power rule\n\nTake $f(x) = x^r$. Since $a = e^{\\ln(a)}$, $f(x) = e^{\\ln(x^r)}$, so\n"
            "$f'(x) = \\dfrac{r}{x} x^r = rx^{r-1}$.\n")  # fmt: skip
    code, output = check(tmp_path, page)
    assert code == 0, output
    assert "✓ line 4 (LaTeX): ∂/∂x formula r * (x ** (r - 1)): proven" in output
    # two different functions of one name, nothing said of the first: which is meant is not known
    code, output = check(tmp_path, page.replace("e^{\\ln(x^r)}", "x^{r+1}"))
    assert code == 5, output
    assert "which one is meant is not known" in output


# A gates page in the style of lecture notes: each display defines a function, then an arrow and wide space, then its
# derivatives; inline math written with Markdown's escaped delimiters (`\\(`), as Jekyll pages write it
GATES = r"""# Gates

Take the product gate \\(p(u,v) = u v\\). Its local gradients are

$$
p(u,v) = u v \hspace{0.5in} \rightarrow \hspace{0.5in} \frac{\partial p}{\partial u} = v \hspace{0.5in} \frac{\partial p}{\partial v} = u
$$

At \\(u = 3, v = -2\\) the gate gives \\(p(u,v) = -6\\).
The sum gate has unit gradients whatever its inputs:

$$
p(u,v) = u + v \quad \Rightarrow \quad \frac{\partial p}{\partial u} = 1 \qquad \frac{\partial p}{\partial v} = WRONG
$$

and a scaled input $s(u) = 4u^2 \quad \Rightarrow \quad s'(u) = 0$ has its minimum where the slope vanishes.
A cost $C = E + r$ has $$\frac{\partial C}{\partial E} = 1 \; \textrm{and} \; \frac{\partial C}{\partial r} = 1.$$
"""


def test_a_display_of_statements_apart_defines_a_function_then_states_its_derivatives(tmp_path: Path) -> None:
    code, output = check(tmp_path, GATES.replace("WRONG", "1"), "gates.md")
    assert code == 0, output
    assert "✓ line 6 (LaTeX): ∂/∂u formula v: proven" in output
    assert "✓ line 6 (LaTeX): ∂/∂v formula u: proven" in output
    # the value at the point the text gives is not a second definition of p, so the sum gate is not ambiguous
    assert "✓ line 13 (LaTeX): ∂/∂u formula 1: proven" in output and "✓ line 13 (LaTeX): ∂/∂v formula 1: proven" in output
    # a constant stated of a derivative that depends on the variable is still an equation to solve
    assert "line 16: LaTeX s'(u) = 0: not checked: 0 for a derivative that depends on u reads as an equation to solve" in output
    assert "✓ line 17 (LaTeX): ∂/∂E formula 1: proven" in output and "✓ line 17 (LaTeX): ∂/∂r formula 1: proven" in output


def test_a_wrong_constant_derivative_of_a_function_stated_apart_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, GATES.replace("WRONG", "2"), "gates.md")
    assert code == 1, output
    assert "✗ line 13 (LaTeX): ∂/∂v formula 2: wrong" in output


def test_a_function_named_with_a_subscript_is_defined_and_differentiated(tmp_path: Path) -> None:
    text = ("The cubic Legendre polynomial is $Q_3(x) = \\frac{1}{2}(5x^3 - 3x)$, so $Q_3'(x) = \\frac{3}{2}(5x^2 - 1)$.\n\n"
            "The shifted one is $f_c(x) = c + x$, with $f_c'(x) = 2$.\n")  # fmt: skip
    code, output = check(tmp_path, text, "legendre.md")
    assert "✓ line 1 (LaTeX): ∂/∂x formula (3 / 2) * ((5 * (x ** 2)) - 1): proven" in output, output
    assert code == 1 and "✗ line 3 (LaTeX): ∂/∂x formula 2: wrong" in output  # f_c is its own function, not f
