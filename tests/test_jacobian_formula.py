"""A Jacobian or Hessian claimed as a formula of the inputs: `expect.jacobian_formula` in a case file, and a tutorial's
`assert allclose(jacfwd(f)(x), diag(cos(x)))` read as that claim; a wrong formula fails at its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_tutorial_check import cli

CASE = """cases:
  - name: sin-times-y
    expr: sin(x) * y
    inputs: {{x: [0.5, 1.0, 2.0], y: 3.0}}
    wrt: [x]
    jacobian: true
    expect:
      jacobian_formula: {{x: "{formula}"}}
"""


@pytest.mark.parametrize(
    ("formula", "status", "says"),
    [
        ("diag(cos(x) * y)", 0, "proven"),
        ("diag(cos(x))", 1, "claimed 0.877583, true J[x][0,0] = 2.63275"),  # cos(0.5) where 3 cos(0.5) is true
        ("diag(-sin(x) * y)", 1, "wrong"),
    ],
)
def test_a_jacobian_formula_in_a_case_file_is_proven_or_fails(tmp_path: Path, formula: str, status: int, says: str) -> None:
    path = tmp_path / "jacobian.yaml"
    path.write_text(CASE.format(formula=formula), encoding="utf-8")
    code, output = cli("run", "--no-color", str(path))
    assert code == status and says in output, output


def test_a_jacobian_formula_of_a_matrix_output_has_the_output_then_the_input_dims(tmp_path: Path) -> None:
    path = tmp_path / "outer.yaml"  # d(x_i * w_j)/dx_k = delta_ik w_j: shape (2, 3) + (2,)
    path.write_text(
        "name: outer\nexpr: outer(x, w)\ninputs: {x: [1.0, 2.0], w: [3.0, 4.0, 5.0]}\nwrt: [x]\njacobian: true\n"
        "expect:\n  jacobian_formula: {x: \"einsum('ik,j->ijk', eye(2), w)\"}\n",
        encoding="utf-8",
    )
    code, output = cli("run", "--no-color", str(path))
    assert code == 0 and "proven" in output, output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('expr: sin(x)\ninputs: {x: [0.5, 1.0]}\ngrad_output: 1\nexpect:\n  jacobian_formula: {x: "diag(cos(x))"}\n', "needs jacobian: true"),
        ('expr: sin(x)\ninputs: {x: [0.5, 1.0]}\njacobian: true\nexpect:\n  jacobian_formula: {x: "ones(3)"}\n', "has shape 3; the Jacobian has shape 2x2"),
        ('expr: sin(x)\ninputs: {x: [0.5, 1.0]}\njacobian: true\nexpect:\n  jacobian_formula: {"x,x": "diag(cos(x))"}\n', "give a differentiated input"),
    ],
)
def test_a_jacobian_formula_that_cannot_be_checked_is_a_one_line_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\n" + body, encoding="utf-8")
    code, output = cli("run", "--no-color", str(path))
    assert code == 2 and message in output, output


JAX_PAGE = """```python
import jax
import jax.numpy as jnp

x = jnp.array([0.5, 1.0, 2.0])
J = jax.jacfwd(jnp.sin)(x)
assert jnp.allclose(J, {jacobian})

def cube(v):
    return jnp.sum(v ** 3)

H = jax.hessian(cube)(x)
assert jnp.allclose(H, {hessian})
```
"""


@pytest.mark.parametrize(
    ("jacobian", "hessian", "status", "says"),
    [
        ("jnp.diag(jnp.cos(x))", "jnp.diag(6 * x)", 0, "2 passed"),
        ("jnp.diag(jnp.sin(x))", "jnp.diag(6 * x)", 1, "line 6"),
        ("jnp.diag(jnp.cos(x))", "jnp.diag(3 * x ** 2)", 1, "line 12"),
    ],
)
def test_a_tutorial_s_assert_on_a_jacobian_or_hessian_formula_is_a_claim(tmp_path: Path, jacobian: str, hessian: str, status: int, says: str) -> None:
    page = tmp_path / "jax_jacobian.md"
    page.write_text(JAX_PAGE.format(jacobian=jacobian, hessian=hessian), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status and says in output, output
    assert "gradients only" not in output, output


ROWS_PAGE = """```python
import torch

def f(x):
    return torch.sin(x) * 2.0

x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
unit_vectors = torch.eye(3)
rows = [torch.autograd.grad(f(x), x, v)[0] for v in unit_vectors]
jacobian = torch.stack(rows)
assert torch.allclose(jacobian, {formula})
```
"""


@pytest.mark.parametrize(("formula", "status", "says"), [("torch.diag(2 * torch.cos(x))", 0, "J[x] formula"), ("torch.diag(torch.cos(x))", 1, "line 11")])
def test_vjps_along_the_rows_of_eye_stacked_are_the_jacobian(tmp_path: Path, formula: str, status: int, says: str) -> None:
    page = tmp_path / "rows.md"
    page.write_text(ROWS_PAGE.format(formula=formula), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status and says in output, output
    assert "the jacobian of" in output, output


SEEDED_PAGE = """```python
import torch as t
_ = t.manual_seed(0)
w = t.randn(3)
x = t.ones(3, requires_grad=True)
(w * x).sum().backward()
print(x.grad)
```

```
{printed}
```
"""


@pytest.mark.parametrize(("printed", "status"), [("tensor([ 1.5410, -0.2934, -2.1788])", 0), ("tensor([ 1.5410, -0.2934, -2.1789])", 1)])
def test_a_seed_assigned_to_a_throwaway_name_seeds_the_draws_that_follow(tmp_path: Path, printed: str, status: int) -> None:
    page = tmp_path / "seeded.md"
    page.write_text(SEEDED_PAGE.format(printed=printed), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status, output
    assert "random and unseeded" not in output and "of numbers" not in output, output


JVP_CASE = """name: product-jvp
expr: x * y
inputs: {{x: [1.0, 2.0], y: [3.0, -1.0]}}
jvp: {{x: [1.0, 1.0], y: [0.5, 0.5]}}
expect:
  jvp_formula: "{formula}"
"""


@pytest.mark.parametrize(("formula", "status", "says"), [("y + 0.5 * x", 0, "proven"), ("y + x", 1, "claimed 4, true Jv[0] = 3.5")])
def test_a_jvp_formula_in_a_case_file(tmp_path: Path, formula: str, status: int, says: str) -> None:
    path = tmp_path / "jvp.yaml"
    path.write_text(JVP_CASE.format(formula=formula), encoding="utf-8")
    code, output = cli("run", "--no-color", str(path))
    assert code == status and says in output, output


RANDOM_JVP_PAGE = """```python
import torch
from torch.func import jvp

x = torch.randn(5)
y = torch.randn(5)
f = lambda x, y: x * y
_, output = jvp(f, (x, y), (torch.ones(5), torch.ones(5)))
assert torch.allclose(output, {formula})
```
"""


@pytest.mark.parametrize(("formula", "status"), [("x + y", 0), ("y + y", 1)])
def test_a_jvp_asserted_against_a_formula_of_two_random_inputs_holds_for_any(tmp_path: Path, formula: str, status: int) -> None:
    page = tmp_path / "jvp.md"  # both inputs are random: the formula is in both, never in one of them and the other's draw
    page.write_text(RANDOM_JVP_PAGE.format(formula=formula), encoding="utf-8")
    code, output = cli("check", "--no-color", str(page))
    assert code == status and "Jv formula" in output, output
    assert "randn(5, seed=0)" not in output.split("Jv formula")[1].splitlines()[0], output


def test_the_json_report_says_every_formula_claim_holds_everywhere(tmp_path: Path) -> None:
    path, report = tmp_path / "jacobian.yaml", tmp_path / "report.json"
    path.write_text(CASE.format(formula="diag(cos(x) * y)"), encoding="utf-8")
    code, output = cli("run", "--no-color", str(path), "--json", str(report))
    claims = json.loads(report.read_text(encoding="utf-8"))["cases"][0]["claims"]
    assert code == 0 and [(c["kind"], c["rule"]) for c in claims] == [("jacobian_formula", "everywhere")], output
