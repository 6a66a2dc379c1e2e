"""The expression language: what it accepts, what it refuses, and how it says so."""

from __future__ import annotations

import numpy as np
import pytest

from verifygrad.language.parse import ExprError, parse


def ops(text: str) -> list[str]:
    return [node.op for node in parse(text).nodes]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mean(5*(x+1)**2)", ["const", "input", "const", "add", "const", "pow", "mul", "mean"]),
        ("x.pow(2) + 3*y.pow(2)", ["input", "const", "pow", "const", "input", "const", "pow", "mul", "add"]),
        ("x.mm(y.t())", ["input", "input", "transpose", "matmul"]),
        ("torch.mean(v*v)", ["input", "mul", "mean"]),
        ("(x*x).mean()", ["input", "mul", "mean"]),
        ("np.sum(x, axis=0)", ["input", "sum"]),
        ("F.relu(x).sum(dim=0)", ["input", "relu", "sum"]),
        ("x.T @ x", ["input", "transpose", "matmul"]),
        ("-x + +x", ["input", "neg", "add"]),
        ("pi * e", ["const", "const", "mul"]),
        ("norm(x)", ["input", "mul", "sum", "sqrt"]),
        ("np.linalg.norm(x)", ["input", "mul", "sum", "sqrt"]),
    ],
)
def test_accepted_spellings(text: str, expected: list[str] | None) -> None:
    if expected is not None:
        assert ops(text) == expected


def test_an_input_used_twice_is_one_node() -> None:
    assert ops("x * x") == ["input", "mul"]


def test_constructors_become_constants() -> None:
    (node, *_) = parse("randn(2, 3, seed=0)").nodes
    np.testing.assert_array_equal(node.attrs["value"], np.random.default_rng(0).standard_normal((2, 3)))
    assert parse("ones(2, 2) * 3").nodes[0].attrs["value"].shape == (2, 2)
    np.testing.assert_array_equal(parse("tensor([[1, 2], [3, 4]])").nodes[0].attrs["value"], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(parse("linspace(0, 1, 5)").nodes[0].attrs["value"], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(parse("full((2, 3), 0.5)").nodes[0].attrs["value"], np.full((2, 3), 0.5))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frobnicate(x)", "unknown function 'frobnicate' at column 1; known functions: abs, absolute"),
        ("x + frobnicate(x)", "unknown function 'frobnicate'"),
        ("x.__class__", "unknown attribute '.__class__'"),
        ("x.__class__.__bases__", "unknown attribute"),
        ("__import__('os')", "unknown function '__import__'"),
        ("lambda: 1", "a lambda is not allowed"),
        ("[i for i in x]", "a comprehension is not allowed"),
        ("f'{x}'", "an f-string is not allowed"),
        ("'text'", "the str constant 'text' is not allowed"),
        ("x[y]", "the index depends on the inputs' values, which are not known here"),
        ("x if y else z", "a conditional expression is not allowed"),
        ("x +", "syntax error"),
        ("", "the expression is empty"),
        ("sum(x, dim=0.5)", "dim must be an integer"),
        ("sum(x, foo=1)", "unknown keyword 'foo'"),
        ("exp(x, y)", "exp() takes 1 tensor argument(s), got 2"),
        ("ones(100000, 100000)", "would make 10000000000 elements"),
        ("exp", "'exp' is a function"),
    ],
)
def test_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ExprError) as err:
        parse(text)
    assert message in str(err.value)


def test_error_points_at_the_column() -> None:
    with pytest.raises(ExprError) as err:
        parse("x + frobnicate(x)")
    assert err.value.col == 5


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    for text in ["(" * 10_000 + "x" + ")" * 10_000, "-" * 100_000 + "x", "exp(" * 500 + "x" + ")" * 500]:
        with pytest.raises(ExprError, match="nested|characters long"):
            parse(text)


@pytest.mark.parametrize(
    ("text", "shapes", "message"),
    [
        ("x.mm(y)", {"x": (2, 3), "y": (2, 3)}, "mm: inner dimensions of 2x3 and 2x3 differ (3 vs 2)"),
        ("x + y", {"x": (2,), "y": (3,)}, "shapes 2 and 3 do not broadcast"),
        ("x.mv(y)", {"x": (2,), "y": (2,)}, "mv needs 2-D and 1-D arguments, got 2 and 2"),
        ("trace(x)", {"x": (3,)}, "trace needs a 2-D argument"),
        ("sum(x, dim=2)", {"x": (2, 2)}, "dim 2 is out of range"),
        ("x + z", {"x": ()}, "unknown name 'z' at column 5; inputs are: x"),
    ],
)
def test_shape_errors_name_both_shapes(text: str, shapes: dict, message: str) -> None:
    with pytest.raises(ExprError) as err:
        parse(text).shapes(shapes)
    assert message in str(err.value)
