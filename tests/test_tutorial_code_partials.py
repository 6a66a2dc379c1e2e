"""The local derivatives a page states of the steps its code computes (`∂q/∂u = v` of the code's `q = u * v`), which no
backward() of the code takes: formula claims about the code's own arithmetic, proven symbolically where the code
computes the quantity from the variable; a wrong one fails at its line."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli

CHAIN = r"""# Steps of a small graph

```python
import torch
u = torch.arange(4, dtype=torch.float32, requires_grad=True)
p = u * 3
s = p ** 2
r = s - 1
m = r.mean()
m.backward()
```

Each step has its own local derivative:

$$\frac{\partial p_i}{\partial u_i} = 3, \quad \frac{\partial s_i}{\partial p_i} = {ds}, \quad \frac{\partial r_i}{\partial s_i} = 1,
\quad \frac{\partial m}{\partial r_i} = {dm}$$
"""

GRAPH = r"""# A graph of two operations

The graph of $\mathbf{k = hv + c}$ has two nodes:

$${\partial k \over \partial c} = 1,\space {\partial k \over \partial g} = 1\\
{\partial g \over \partial h} = {dg}\\
{\partial k \over \partial h} = {\partial k \over \partial g} {\partial g \over \partial h} = {dk}\\
$$

```python
import torch
v = torch.ones(1)
c = torch.rand(1, requires_grad=True)
h = torch.rand(1, requires_grad=True)
g = h * v
k = g + c
k.backward()
```
"""


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "partials.md"
    path.write_text(text)
    return cli("check", "--no-color", "-v", str(path))


def test_the_local_derivatives_of_the_codes_steps_are_proven(tmp_path: Path) -> None:
    code, output = check(tmp_path, CHAIN.replace("{ds}", "2 p_i").replace("{dm}", r"\frac{1}{4}"))
    assert code == 0, output
    assert "✓ line 15 (LaTeX): ∂/∂u formula 3: proven" in output
    assert "✓ line 15 (LaTeX): ∂/∂p formula 2 * p: proven" in output
    assert "✓ line 15 (LaTeX): ∂/∂s formula 1: proven" in output
    assert "✓ line 16 (LaTeX): ∂/∂r formula 1 / 4: proven" in output  # the mean over the code's 4 elements


def test_a_wrong_local_derivative_fails_at_its_line(tmp_path: Path) -> None:
    code, output = check(tmp_path, CHAIN.replace("{ds}", "3 p_i").replace("{dm}", r"\frac{1}{4}"))
    assert code == 1, output
    assert "✗ line 15 (LaTeX): ∂/∂p formula 3 * p: wrong" in output
    code, output = check(tmp_path, CHAIN.replace("{ds}", "2 p_i").replace("{dm}", r"\frac{1}{3}"))
    assert code == 1, output  # the code's u has 4 elements: each has a quarter of the mean
    assert "✗ line 16 (LaTeX): ∂/∂r formula 1 / 3: wrong" in output


def test_partials_written_before_the_code_they_explain_are_its_steps(tmp_path: Path) -> None:
    code, output = check(tmp_path, GRAPH.replace("{dg}", "v").replace("{dk}", "1 * v"))
    assert code == 0, output
    assert "✓ line 5 (LaTeX): ∂/∂g formula 1: proven" in output
    assert "✓ line 6 (LaTeX): ∂/∂h formula v: proven" in output
    assert "✓ line 7 (LaTeX): ∂/∂h formula 1 * v: proven" in output  # k = g + c written out through g = h * v
    code, output = check(tmp_path, GRAPH.replace("{dg}", "h").replace("{dk}", "1 * v"))
    assert code == 1 and "✗ line 6 (LaTeX): ∂/∂h formula h: wrong" in output, output


def test_the_assignment_that_computes_from_the_variable_is_the_one_meant(tmp_path: Path) -> None:
    page = GRAPH.replace("{dg}", "v").replace("{dk}", "1 * v") + "\n```python\ng = torch.sin(v)\n```\n\nAgain, ${\\partial g \\over \\partial h} = v$.\n"
    code, output = check(tmp_path, page)
    assert code == 0, output  # the later g = sin(v) does not use h: the g of h * v is meant
    assert "✓ line 24 (LaTeX): ∂/∂h formula v: proven" in output
