"""Programs: statements, functions and loops compile to the nodes of one expression; what is refused, and how it says so."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from verifygrad.cases.load import load_file
from verifygrad.cases.problem import Overrides, prepare
from verifygrad.language.evaluate import program_value
from verifygrad.language.parse import ExprError, parse
from verifygrad.language.statements import MAX_LOOP_STEPS, compile_program
from verifygrad.verdict.judge import check_case


def value(text: str, **inputs: object) -> np.ndarray:
    arrays = {name: np.asarray(v, dtype=np.float64) for name, v in inputs.items()}
    return program_value(compile_program(text, arrays), arrays)


def ops(text: str, *names: str) -> list[str]:
    return [node.op for node in compile_program(text, names).nodes]


def case_outcome(tmp_path: Path, text: str):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    cases, errors = load_file(path)
    assert not errors, errors
    return check_case(cases[0])


def case_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    cases, errors = load_file(path)
    assert not errors, errors
    outcome = check_case(cases[0])
    assert outcome.verdict == "error", outcome.reasons
    return outcome.reasons[0]


# --- statements ----------------------------------------------------------------------------


def test_a_program_costs_what_its_expression_costs() -> None:
    """A name is a node: y used twice is computed once, exactly as the expression with y inlined once."""
    assert ops("y = x + 2\nz = y * y * 3\nz.mean()", "x") == ["input", "const", "add", "mul", "const", "mul", "mean"]
    assert len(compile_program("y = x + 2\nz = y * y * 3\nz.mean()", ["x"]).nodes) < len(parse("mean((x + 2) * (x + 2) * 3)").nodes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("y = x + 2\ny * y", 25.0),  # assignment, then the final expression
        ("y = x + 2; y * y", 25.0),  # statements on one line
        ("c = x\nc += c + 1\nc", 7.0),  # augmented assignment rebinds, as in Python: c = c + (c + 1)
        ("c = x\nc -= 1\nc *= 4\nc /= 2\nc **= 2\nc", 16.0),
        ("a, b = x + 1, x * 2\na * b", 24.0),  # tuple assignment: every value first, then the names
        ("a, b = x, 2 * x\na, b = b, a\na - b", 3.0),  # a swap reads the old values
        ("y = x * 1\ny.add_(1)\ny.mul_(2)\ny", 8.0),  # in-place methods rebind
        ("y: float = x * 2\ny", 6.0),  # an annotated assignment
        ("y = x ** 2\nz = y + 1", 10.0),  # no final expression: the last assigned name
        ("out = x * 4\nprint(out, x.grad, f'{out}')\nout.retain_grad()\nout.backward()", 12.0),  # backward() names the output
        ("y = x if x > 0 else -x\ny", 3.0),  # a conditional expression, decided at the input
        ("y = x.data * x\ny", 9.0),  # .data is the value
        ('def f(a):\n    """Square."""\n    return a * a\nf(x) + f(2)', 13.0),  # functions inlined, a docstring allowed
        ("def f(a):\n    b = a + 1\n    return b * b\ndef g(a):\n    return f(a) * 2\ng(x)", 32.0),
        ("s = 0\nfor i in range(4):\n    s = s + x * i\ns", 18.0),  # unrolled: 0 + 3 + 6 + 9
        ("s = x\nfor _ in range(1, 7, 2):\n    s = s * 2\ns", 24.0),
        ("y = x\nwhile y < 100:\n    y = y * 3\ny", 243.0),
        ("if x > 5:\n    y = x\nelif x > 2:\n    y = 10 * x\nelse:\n    y = 0 * x\ny", 30.0),
        ("y = x\nif x > 1 and not x > 5 or x < -10:\n    y = 2 * x\ny", 6.0),
        ("with torch.no_grad():\n    s = x * 2\ns + x", 9.0),
        ("y = x\npass\ny", 3.0),
    ],
)
def test_accepted_statements(text: str, expected: float) -> None:
    assert float(value(text, x=3.0)) == expected


def test_output_names_the_variable() -> None:
    program = compile_program("y = x * 2\nz = y + 1", ["x"], output="y")
    assert [node.op for node in program.nodes] == ["input", "const", "mul"]


def test_for_loops_unroll_and_while_loops_are_decided_with_a_note() -> None:
    assert ops("s = x\nfor i in range(3):\n    s = s * x\ns", "x").count("mul") == 3
    program = compile_program("y = x * 2\nwhile y.norm() < 1000:\n    y = y * 2\ny.sum()", {"x": np.array([0.5, 1.0, -0.3])})
    assert program.notes == ("the while loop at line 2 ran 9 times at these inputs",)
    assert [node.op for node in program.nodes].count("mul") == 10  # the condition's nodes are not part of the program
    program = compile_program("if x.sum() > 0:\n    y = x\nelse:\n    y = -x\ny", {"x": np.array([-1.0])})
    assert program.notes == ("the if at line 1 took the else branch at these inputs",)


def test_a_loop_that_does_not_depend_on_the_inputs_has_no_note() -> None:
    assert compile_program("y = x\ns = 1\nwhile s < 4:\n    s = s * 2\n    y = y * s\ny", {"x": 1.0}).notes == ()


def test_conditions_need_the_inputs_values() -> None:
    with pytest.raises(ExprError, match="depends on the input 'x', whose value is not known here"):
        compile_program("if x > 0:\n    y = x\nelse:\n    y = -x\ny", ["x"])


def test_names_shadow_constants_and_functions_with_a_note() -> None:
    program = compile_program("e * pi", {"e": 2.0, "pi": 3.0})
    assert [node.op for node in program.nodes] == ["input", "input", "mul"]
    assert program.notes == ("the input 'e' shadows the constant e here, as in Python", "the input 'pi' shadows the constant pi here, as in Python")
    assert float(value("e * 2", e=5.0)) == 10.0 and float(value("pi = 3\npi * x", x=2.0)) == 6.0
    assert float(value("x * e")) if False else math.isclose(float(value("x * e", x=1.0)), math.e)
    assert float(value("exp = x + 1\ntorch.exp(exp - exp)", x=2.0)) == 1.0  # torch.exp is still the function
    with pytest.raises(ExprError, match="'exp' is a variable here \\(it shadows the function exp\\)"):
        compile_program("exp = x + 1\nexp(x)", ["x"])
    note = compile_program("def relu(a):\n    return a * 2\nrelu(x)", ["x"]).notes
    assert note == ("the function 'relu' defined here shadows the built-in relu, as in Python",)


def test_constructor_arguments_may_be_constant_arithmetic_and_spellings_from_tutorials() -> None:
    np.testing.assert_allclose(value("linspace(0, 2*pi, 5)"), np.linspace(0, 2 * math.pi, 5))
    np.testing.assert_array_equal(value("torch.ones(2 * 3 // 2)"), np.ones(3))
    assert float(value("math.exp(x) * jnp.sin(math.pi / 2) + np.e - math.e", x=0.0)) == 1.0
    program = parse("torch.tensor([1., 2.], requires_grad=True)", allow_inputs=False)
    assert program.requires_grad and not parse("torch.ones(2)", allow_inputs=False).requires_grad
    assert parse("Variable(torch.FloatTensor([[1, 2]]), requires_grad=True)", allow_inputs=False).requires_grad
    # torch.FloatTensor / torch.Tensor hold float32: 0.1 is float32's 0.1, as torch prints it.
    assert float(program_value(parse("torch.FloatTensor([0.1])", allow_inputs=False), {})[0]) == float(np.float32(0.1))
    assert float(program_value(parse("torch.tensor([0.1], dtype=torch.float32)", allow_inputs=False), {})[0]) == float(np.float32(0.1))
    with pytest.raises(ExprError, match="uninitialised"):
        parse("torch.FloatTensor(2, 3)", allow_inputs=False)
    with pytest.raises(ExprError, match="arguments must be constants at line 2, column 6; 'n' is a variable here"):
        compile_program("n = x * 2\nones(n)", ["x"])


# --- refused, in words, with the line -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("y = x\nimport os\ny", "an import is not supported in a program at line 2"),
        ("y = x\nfrom os import path\ny", "an import is not supported"),
        ("class A:\n    pass\nx", "a class definition is not supported in a program at line 1, column 1"),
        ("try:\n    y = x\nexcept Exception:\n    y = x\ny", "try/except is not supported"),
        ("y = x\ny.grad = 2\ny", "assigning to an attribute (.grad) is not supported at line 2, column 1; assign to a plain name"),
        ("y = x\ny[0] = 2\ny", "the index [0] does not fit 'y', of shape () at line 2, column 1"),
        ("y = x\nz[0] = 2\ny", "assigning to an element or slice (x[...] = ...) is supported on a variable only"),
        ("y = [i for i in x]\ny", "only loops over range(N) or a written list of numbers are supported"),
        ("y = x + sum(i for i in x)\ny", "a generator is not allowed in an expression at line 1"),
        ("f = lambda a, b=1: a\nf(x)", "function 'f': only plain positional parameters are supported"),
        ("(y := x + 1)\ny", "the assignment operator := (write an assignment statement) is not allowed"),
        ("global y\ny = x\ny", "a global declaration is not supported"),
        ("y = x\ndel y\nx", "del is not supported"),
        ("for i in range(3):\n    break\nx", "break is not supported"),
        ("for v in x:\n    y = v\ny", "only loops over range(N) or a written list of numbers are supported, with constants at line 1"),
        ("for i in range(n):\n    y = x\ny", "expected a literal number"),
        (
            f"y = x\nfor i in range({MAX_LOOP_STEPS + 1}):\n    y = y + 1\ny",
            f"the for loop runs {MAX_LOOP_STEPS + 1} times at line 2, column 10; the limit is {MAX_LOOP_STEPS}",
        ),
        ("y = x\nwhile y > 0:\n    y = y + 1\ny", f"the while loop ran over {MAX_LOOP_STEPS} times at line 2, column 1; the limit is {MAX_LOOP_STEPS}"),
        ("with open('f') as f:\n    y = x\ny", "only `with torch.no_grad():` is supported"),
        ("def f(a, b=2):\n    return a\nf(x)", "only plain positional parameters are supported"),
        ("def f(a):\n    b = a\nf(x)", "function 'f' must end with `return <expression>`"),
        ("def f(a):\n    if a > 0:\n        return a\n    return -a\nf(x)", "a return before the end is not supported"),
        ("def f(a):\n    return f(a)\nf(x)", "functions call each other more than 20 deep (recursion is not supported)"),
        ("def f(a):\n    return a\nf(x, x)", "f() takes 1 positional argument(s), got 2"),
        ("y = x\nreturn y", "return outside a function"),
        ("x.add_(1)\nx", "changes 'x', which is not a variable of the program"),
        ("y = x.add_(1)\ny", "the in-place method '.add_()' inside an expression at line 1, column 5; write it as a statement of its own"),
        ("y = x\nz = q + 1\nz", "unknown name 'q' at line 2, column 5; inputs are: x; variables: y"),
        ("y = x\nout.backward()", "unknown name 'out'"),
        ("y = x\ny.backward(x)", "the gradient handed to backward() must be a constant, not computed from inputs"),
        ("y = x\ny.backward(ones(1), retain_graph=True)", "backward() takes one argument here"),
        ("a, b = x\na", "tuple assignment needs as many values as names"),
        ("y = x\nif y:\n    y = ones(3)\nwhile ones(2) > 0:\n    y = y\ny", "a condition must be one number at line 4, column 7; this one has 2 elements"),
        ("y = x\ny = y +\ny", "syntax error: invalid syntax at line 2"),
        ("y = x\ny @= 2 << 3\ny", "the operator << is not allowed"),
        ("y = x\ny //= 2\ny", "the augmented operator FloorDiv is not supported"),
    ],
)
def test_refused_with_the_construct_in_words_and_its_line(text: str, message: str) -> None:
    with pytest.raises(ExprError) as err:
        compile_program(text, {"x": np.asarray(1.0)})
    assert message in str(err.value)


def test_output_must_name_a_variable() -> None:
    with pytest.raises(ExprError, match="output names 'w', which the program does not define at line 2; inputs are: x; variables: y"):
        compile_program("y = x\ny", ["x"], output="w")


# --- cases: lines in the file, intermediates, notes -----------------------------------------

PROGRAM_CASE = """\
name: p
expr: |
  y = x * w
  z = {body}
  z.sum()
inputs: {{x: [1.0, 2.0], w: [0.0, 1.0]}}
"""


def test_errors_point_at_the_statement_s_line_in_the_file(tmp_path: Path) -> None:
    reason = case_error(tmp_path, PROGRAM_CASE.format(body="frobnicate(y)"))
    assert "case.yaml:4: expr: unknown function 'frobnicate' at column 5; known functions: abs, absolute, " in reason
    reason = case_error(tmp_path, PROGRAM_CASE.format(body="y @ ones(3)"))
    assert "case.yaml:4: expr: @: inner dimensions of 2 and 3 differ (2 vs 3) at column 5" in reason


def test_kinks_and_nan_point_at_the_statement_s_line(tmp_path: Path) -> None:
    outcome = case_outcome(tmp_path, PROGRAM_CASE.format(body="relu(y)"))
    assert outcome.verdict == "passed"
    assert "non-differentiable at an intermediate value (`relu` at line 4, column 5): relu of 0" in " ".join(outcome.reasons)
    outcome = case_outcome(tmp_path, PROGRAM_CASE.format(body="log(y)"))
    assert "NaN or inf: `log` of 0 (line 4, column 5) gives -inf" in " ".join(outcome.reasons)


@pytest.mark.needs_torch
def test_intermediates_in_wrt_and_values(tmp_path: Path) -> None:
    text = "name: p\nexpr: |\n  y = x * 2\n  z = y ** 2\n  z.sum()\ninputs: {x: [1, 2]}\nwrt: [x, y]\nexpect:\n  values: {y: [2, 4], z: [4, 16]}\n"
    outcome = case_outcome(tmp_path, text)
    assert outcome.verdict == "passed", outcome.reasons
    for engine in ("sympy", "numpy", "torch", "fd"):  # dz/dy = 2y, and x's gradient still flows through y: 4y
        np.testing.assert_allclose(outcome.results[engine].grads["y"], [4, 8], rtol=1e-9)
        np.testing.assert_allclose(outcome.results[engine].grads["x"], [8, 16], rtol=1e-9)
    wrong = case_outcome(tmp_path, text.replace("[4, 16]", "[4, 15]"))
    assert wrong.verdict == "failed" and any(r.startswith("claim values.z: wrong (z[1]: claimed 15, true 16") for r in wrong.reasons)


def test_wrt_must_name_an_input_or_a_variable_the_output_needs(tmp_path: Path) -> None:
    text = "name: p\nexpr: |\n  y = x * 2\n  u = x + 1\n  y.sum()\ninputs: {x: [1, 2]}\nwrt: [u]\n"
    assert "case.yaml:7: wrt names 'u', which is neither an input nor a variable the output depends on; inputs are: x; variables: y" in case_error(
        tmp_path, text
    )


def test_requires_grad_says_what_to_differentiate(tmp_path: Path) -> None:
    text = "name: p\nexpr: (c * x).sum()\ninputs:\n  x: torch.tensor([1., 2.], requires_grad=True)\n  c: torch.tensor([3., 4.])\n"
    outcome = case_outcome(tmp_path, text)
    assert outcome.problem.wrt == ("x",) and outcome.verdict == "passed"


@pytest.mark.needs_torch
def test_detach_stops_the_gradient_in_every_engine(tmp_path: Path) -> None:
    """z = u * x with u = (x*x).detach(): dz/dx = u = x**2, not 3 x**2 (fd holds u at the inputs too)."""
    text = "name: p\nexpr: |\n  u = (x * x).detach()\n  (u * x).sum()\ninputs: {x: [1.0, 2.0, 3.0]}\n"
    outcome = case_outcome(tmp_path, text)
    for engine in ("sympy", "numpy", "torch", "fd"):
        np.testing.assert_allclose(outcome.results[engine].grads["x"], [1, 4, 9], rtol=1e-9, err_msg=engine)


@pytest.mark.needs_torch
def test_inputs_named_like_constants_and_functions_pass_in_all_four_engines_with_an_exact_reference() -> None:
    cases, errors = load_file(Path(__file__).resolve().parent.parent / "cases" / "names.yaml")
    assert not errors
    for case in cases:
        outcome = check_case(case)
        assert outcome.verdict == "passed", (case.name, outcome.reasons)
        assert all(result.ok for result in outcome.results.values()) and outcome.exact_reference
        shadowing = [reason for reason in outcome.reasons if "shadows" in reason]
        assert bool(shadowing) == (case.name != "inputs-named-r0-and-print"), outcome.reasons


def test_a_program_s_problem_is_what_the_engines_get(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("name: p\nexpr: |\n  c = a + b\n  c += c + 1\n  c * a\ninputs: {a: 2.0, b: 3.0}\n")
    (case,), _ = load_file(path)
    problem = prepare(case, Overrides())
    assert [node.line for node in problem.program.nodes if node.op == "add"] == [3, 4, 4]


def test_formula_claims_may_be_programs_and_reports_carry_values_claims(tmp_path: Path) -> None:
    import json

    import jsonschema
    from click.testing import CliRunner

    from verifygrad.frontends.cli import main
    from verifygrad.reports.json_report import REPORT_SCHEMA

    path = tmp_path / "case.yaml"
    path.write_text(
        "name: blitz\nexpr: |\n  y = x + 2\n  out = (3 * y * y).mean()\ninputs: {x: [[1, 2], [3, 4]]}\n"
        "expect:\n  values: {y: [[3, 4], [5, 6]]}\n  formula:\n    x: |\n      s = x + 2\n      3/4 * s * 2\n"
    )
    result = CliRunner().invoke(main, ["run", str(path), "--json", str(tmp_path / "r.json"), "--junit-xml", str(tmp_path / "r.xml")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    claims = {(c["kind"], c["quantity"]): c for c in report["cases"][0]["claims"]}
    assert claims[("values", "y")]["ok"] and claims[("formula", "x")]["text"] == "proven"
    assert 'name="blitz"' in (tmp_path / "r.xml").read_text()


def test_a_program_may_create_its_inputs_as_tutorials_do(tmp_path: Path) -> None:
    text = (
        "name: p\nexpr: |\n  x = torch.ones(2, 2, requires_grad=True)\n  w = torch.tensor([3.0, 4.0])\n"
        "  v = torch.tensor([1.0, 2.0])\n  v.requires_grad_()\n  y = x + 2\n  out = (y * y * 3).mean() + (w * v).sum()\n  out.backward()\n"
        "expect: {value: 38, grad: {x: 4.5, v: [3, 4]}, values: {y: 3, w: [3, 4]}}\n"
    )
    outcome = case_outcome(tmp_path, text)
    assert outcome.verdict == "passed", outcome.reasons
    assert outcome.problem.wrt == ("x", "v")  # w is a constant: requires_grad was not set
    with pytest.raises(ExprError, match="only a tensor made from numbers is a leaf"):
        compile_program("y = (x * 2).detach()\ny.requires_grad_()\ny", ["x"])
    with pytest.raises(ExprError, match="'x' is an input of the case and is also created in the program"):
        compile_program("x = torch.ones(2, requires_grad=True)\nx", ["x"])
    assert "no inputs" in case_error(tmp_path, "name: p\nexpr: |\n  y = torch.ones(2)\n  y.sum()\n")


@pytest.mark.parametrize("key", ["inputs", "wrt", "output"])
def test_names_are_plain_identifiers_without_a_trailing_newline(tmp_path: Path, key: str) -> None:
    text = {
        "inputs": 'name: p\nexpr: x\ninputs: {"x\\n": 1}\n',
        "wrt": 'name: p\nexpr: x\ninputs: {x: 1}\nwrt: ["x\\n"]\n',
        "output": 'name: p\nexpr: x\ninputs: {x: 1}\noutput: "y\\n"\n',
    }[key]
    path = tmp_path / "case.yaml"
    path.write_text(text)
    cases, errors = load_file(path)
    assert not cases and errors


def test_verifygrad_new_writes_a_program_as_a_block_of_statements() -> None:
    from click.testing import CliRunner

    from verifygrad.frontends.cli import main

    result = CliRunner().invoke(main, ["new", "blitz", "--expr", "y = x + 2\nz = y * y * 3\nz.mean()", "--input", "x=ones(2, 2)"])
    assert result.exit_code == 0, result.output
    assert "expr: |-\n  y = x + 2\n  z = y * y * 3\n  z.mean()\n" in result.output and "value: 27" in result.output


def test_the_bundled_control_flow_case_says_how_its_loop_and_branch_went() -> None:
    """d2l's f(a) at a = randn(seed=0) = 0.1257...: b = 2a doubles 12 times to pass 1000, so d/da = 2 * 2**12."""
    path = Path(__file__).resolve().parent.parent / "cases" / "programs.yaml"
    cases, _ = load_file(path)
    (case,) = [c for c in cases if c.name == "d2l-control-flow"]
    outcome = check_case(case)
    assert outcome.verdict == "passed" and float(outcome.results["sympy"].grads["a"]) == 8192.0
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "while b.norm()" in text)
    assert f"the while loop at line {line} ran 12 times at these inputs" in outcome.reasons
    assert f"the if at line {line + 2} took the if branch at these inputs" in outcome.reasons


def test_backward_with_a_gradient_is_the_case_s_grad_output(tmp_path: Path) -> None:
    text = (
        "name: p\nexpr: |\n  x = torch.tensor([1.0, 2.0], requires_grad=True)\n  y = x * 3\n"
        "  y.backward(torch.tensor([1.0, 0.5]))\nexpect: {grad: {x: [3, 1.5]}}\n"
    )
    outcome = case_outcome(tmp_path, text)
    assert outcome.verdict == "passed", outcome.reasons
    np.testing.assert_array_equal(outcome.problem.grad_output, [1.0, 0.5])
    assert "backward() is handed a gradient of shape 3" in case_error(tmp_path, text.replace("[1.0, 0.5]))", "[1.0, 0.5, 2.0]))"))


# --- what tutorials write: imports, lambdas, lists, item assignment, *_like ----------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import torch as t\nt.exp(x) * 0 + t.sum(x)", [2.0, 2.0, 2.0]),  # an alias, resolved where it is bound
        ("from torch import exp\nexp(x) - exp(x) + 2", [2.0, 2.0, 2.0]),
        ("import tensorflow as tf\ntf.reduce_sum(tf.square(x)) + 0 * x", [14.0, 14.0, 14.0]),  # TensorFlow's names, numpy's arithmetic
        ("import jax.numpy as jnp\njnp.sum(x ** 2) + 0 * x", [14.0, 14.0, 14.0]),
        ("import autograd.numpy as anp\nanp.tanh(x) * 0 + x", [1.0, -2.0, 3.0]),
        ("f = lambda a, b: a * b\nf(x, 2)", [2.0, -4.0, 6.0]),
        ("ys = [x, x * 2]\nys[0] + ys[1]", [3.0, -6.0, 9.0]),
        ("pair = (x, x * 2)\na, b = pair\na + b", [3.0, -6.0, 9.0]),  # a tuple kept under a name, unpacked later (JAX residuals)
        ("sum([x * i for i in range(3)])", [3.0, -6.0, 9.0]),
        ("y = 0\nfor c in [1, 2.5]:\n    y = y + c * x\ny", [3.5, -7.0, 10.5]),
        ("y = x * 1\ny[0] = 0\ny", [0.0, -2.0, 3.0]),  # index assignment: a functional update
        ("y = x * 1\ny[y < 0] = 0\ny", [1.0, 0.0, 3.0]),  # a mask decided at the values, as torch does
        ("y = x * 1\ny[1:] += x[:2]\ny", [1.0, -1.0, 1.0]),  # augmented assignment on a slice
        ("y = x.copy()\ny", [1.0, -2.0, 3.0]),
        ("torch.ones_like(x) * x + torch.full_like(x, 2.0) + np.zeros_like(x)", [3.0, 0.0, 5.0]),
    ],
)
def test_tutorial_statements_compile(text: str, expected: list[float]) -> None:
    assert value(text, x=[1.0, -2.0, 3.0]).tolist() == pytest.approx(expected)


def test_item_assignment_differentiates_as_a_functional_update(tmp_path: Path) -> None:
    """y[0] = x[1] ** 2 replaces y[0]: dL/dx0 loses y's first element and x1 gains 2*x1 from it."""
    outcome = case_outcome(
        tmp_path,
        "name: item\nexpr: |\n  import torch as t\n  y = x * 3\n  y[0] = x[1] ** 2\n  t.sum(y)\ninputs: {x: [1.0, 2.0]}\n"
        "expect:\n  value: 10\n  grad: {x: [0, 7]}\n",
    )
    assert outcome.verdict == "passed", outcome.reasons


def test_a_mask_assignment_is_decided_at_each_point_so_a_formula_with_one_holds_everywhere(tmp_path: Path) -> None:
    """g[x < 0] = 0 in a formula (a custom ReLU backward): checked at points beside the input, the mask must move with x."""
    case = ("name: relu\nexpr: relu(x).sum()\ninputs: {x: [-1.0, 2.0, 3.0]}\nexpect:\n"
            "  formula:\n    x: |\n      g = 2 * ones_like(x) / 2\n      g[MASK] = 0\n      g\n")  # fmt: skip
    outcome = case_outcome(tmp_path, case.replace("MASK", "x < 0"))
    assert outcome.verdict == "passed", outcome.reasons
    wrong = case_outcome(tmp_path, case.replace("MASK", "x > 0"))
    assert wrong.verdict == "failed" and "formula.x: wrong" in " ".join(wrong.reasons), wrong.reasons


def test_a_mask_of_the_inputs_compiles_to_a_selection_not_to_constants() -> None:
    assert "select" in ops("y = x * 1\ny[x < 0] = 0\ny", "x")  # compiles without the values: no NeedsValues
    assert value("y = x * 2\ny[x > 1] = 5\ny", x=[1.0, -2.0, 3.0]).tolist() == [2.0, -4.0, 5.0]
