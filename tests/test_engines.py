"""Each primitive's value and gradient in each engine, against closed forms written by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import make_problem
from verifygrad.engines import run_engine

X = np.array([0.3, 0.7, 1.5])
N = np.array([-1.5, 0.5, 2.0])
A = np.array([[1.0, 2.0], [3.0, 4.0]])
B = np.array([[5.0, -6.0], [7.0, 8.0]])
V = np.array([1.0, -2.0])
sig = lambda x: 1 / (1 + np.exp(-x))

# (expression, inputs, closed-form value, closed-form gradient per input)
CLOSED_FORMS = {
    "exp": ("sum(exp(x))", {"x": X}, np.exp(X).sum(), {"x": np.exp(X)}),
    "log": ("sum(log(x))", {"x": X}, np.log(X).sum(), {"x": 1 / X}),
    "log1p": ("sum(log1p(x))", {"x": X}, np.log1p(X).sum(), {"x": 1 / (1 + X)}),
    "sqrt": ("sum(sqrt(x))", {"x": X}, np.sqrt(X).sum(), {"x": 0.5 / np.sqrt(X)}),
    "sin": ("sum(sin(x))", {"x": X}, np.sin(X).sum(), {"x": np.cos(X)}),
    "cos": ("sum(cos(x))", {"x": X}, np.cos(X).sum(), {"x": -np.sin(X)}),
    "tan": ("sum(tan(x))", {"x": X}, np.tan(X).sum(), {"x": 1 / np.cos(X) ** 2}),
    "tanh": ("sum(tanh(x))", {"x": X}, np.tanh(X).sum(), {"x": 1 / np.cosh(X) ** 2}),
    "sigmoid": ("sum(sigmoid(x))", {"x": N}, sig(N).sum(), {"x": sig(N) * (1 - sig(N))}),
    "relu": ("sum(relu(x))", {"x": N}, 2.5, {"x": np.array([0.0, 1.0, 1.0])}),
    "abs": ("sum(abs(x))", {"x": N}, 4.0, {"x": np.array([-1.0, 1.0, 1.0])}),
    "softplus": ("sum(softplus(x))", {"x": N}, np.log1p(np.exp(N)).sum(), {"x": sig(N)}),
    "neg": ("sum(-x)", {"x": X}, -X.sum(), {"x": -np.ones(3)}),
    "add-broadcast": ("sum(a + v)", {"a": A, "v": V}, A.sum() + 2 * V.sum(), {"a": np.ones((2, 2)), "v": np.full(2, 2.0)}),
    "sub": ("sum(a - b)", {"a": A, "b": B}, (A - B).sum(), {"a": np.ones((2, 2)), "b": -np.ones((2, 2))}),
    "mul": ("sum(a * b)", {"a": A, "b": B}, (A * B).sum(), {"a": B, "b": A}),
    "div": ("sum(a / b)", {"a": A, "b": B}, (A / B).sum(), {"a": 1 / B, "b": -A / B**2}),
    "pow": ("sum(a ** b)", {"a": A, "b": np.array([[2.0, 0.5], [3.0, -1.0]])},
            1 + np.sqrt(2) + 27 + 0.25,
            {"a": np.array([[2.0, 0.5 / np.sqrt(2)], [27.0, -1 / 16]]),
             "b": np.array([[0.0, np.sqrt(2) * np.log(2)], [27 * np.log(3), 0.25 * np.log(4)]])}),
    "sum-dim": ("sum(sum(a, dim=1) ** 2)", {"a": A}, 9 + 49, {"a": np.array([[6.0, 6.0], [14.0, 14.0]])}),
    "mean": ("mean(a * a)", {"a": A}, 7.5, {"a": A / 2}),
    "mean-dim-keepdim": ("sum(mean(a, dim=0, keepdim=True) * v)", {"a": A, "v": V}, 2 * 1 - 3 * 2,
                         {"a": np.array([[0.5, -1.0], [0.5, -1.0]]), "v": np.array([2.0, 3.0])}),
    "norm": ("norm(x)", {"x": X}, np.linalg.norm(X), {"x": X / np.linalg.norm(X)}),
    "logsumexp": ("logsumexp(x)", {"x": X}, np.log(np.exp(X).sum()), {"x": np.exp(X) / np.exp(X).sum()}),
    "matmul": ("sum(a @ b)", {"a": A, "b": B}, (A @ B).sum(),
               {"a": np.tile(B.sum(axis=1), (2, 1)), "b": np.tile(A.sum(axis=0)[:, None], (1, 2))}),
    "mv": ("sum(a.mv(v))", {"a": A, "v": V}, (A @ V).sum(), {"a": np.tile(V, (2, 1)), "v": A.sum(axis=0)}),
    "dot": ("dot(v, v)", {"v": V}, 5.0, {"v": 2 * V}),
    "outer": ("sum(outer(v, x))", {"v": V, "x": X}, V.sum() * X.sum(), {"v": np.full(2, X.sum()), "x": np.full(3, V.sum())}),
    "transpose": ("sum(a.t() * b)", {"a": A, "b": B}, (A.T * B).sum(), {"a": B.T, "b": A.T}),
    "trace": ("trace(a @ b)", {"a": A, "b": B}, np.trace(A @ B), {"a": B.T, "b": A.T}),
}  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "sympy", pytest.param("torch", marks=pytest.mark.needs_torch)])
@pytest.mark.parametrize("op", list(CLOSED_FORMS))
def test_primitive_matches_closed_form(op: str, engine: str) -> None:
    expr, inputs, value, grads = CLOSED_FORMS[op]
    result = run_engine(engine, make_problem(expr, **inputs))
    assert result.ok, result.reason
    np.testing.assert_allclose(result.value, value, rtol=1e-12, atol=1e-14)
    for name, grad in grads.items():
        np.testing.assert_allclose(result.grads[name], grad, rtol=1e-12, atol=1e-14, err_msg=f"d/d{name}")


@pytest.mark.parametrize("engine", ["numpy", pytest.param("torch", marks=pytest.mark.needs_torch)])
def test_float32_engines_compute_in_float32(engine: str) -> None:
    # 0.1 is not a float32 number: a float32 engine sees 0.100000001490116...
    result = run_engine(engine, make_problem("sum(x * x)", dtype="float32", x=[0.1]))
    assert result.grads["x"][0] == pytest.approx(2 * float(np.float32(0.1)), rel=1e-7)
    assert result.grads["x"][0] != 0.2


@pytest.mark.needs_torch
def test_grad_output_weights_a_non_scalar_output() -> None:
    for engine in ("numpy", "sympy", "torch"):
        result = run_engine(engine, make_problem("x * x", grad_output=[1.0, 10.0], x=[3.0, 4.0]))
        np.testing.assert_array_equal(result.grads["x"], [6.0, 80.0])


@pytest.mark.needs_torch
def test_unused_input_has_zero_gradient() -> None:
    for engine in ("numpy", "sympy", "torch"):
        result = run_engine(engine, make_problem("sum(x)", x=[1.0, 2.0], y=[[1.0, 2.0]]))
        np.testing.assert_array_equal(result.grads["y"], [[0.0, 0.0]])


def test_sympy_is_exact_from_the_floats_the_engines_receive() -> None:
    # The reference starts where the engines do: float64's 0.1 and 0.2 (binary), added exactly:
    # 0.3000000000000000166533453693773481..., not the 3/10 of the decimals as written.
    from fractions import Fraction

    result = run_engine("sympy", make_problem("a + b", a=0.1, b=0.2))
    assert result.exact and result.value == float(Fraction(0.1) + Fraction(0.2))


def test_sympy_shows_an_elementwise_formula_where_one_exists() -> None:
    result = run_engine("sympy", make_problem("mean(5*(x+1)**2)", x=[0.0, 1.0, 2.0, 3.0]))
    assert result.formulas["x"] == "∂/∂x = 5*(x + 1)/2"
    mm = run_engine("sympy", make_problem("x.mm(y.t())", grad_output=np.ones((2, 2)), x=A, y=A))
    assert mm.formulas["x"].startswith("∂/∂x[0,0] = y[0,0] + y[1,0]")


def test_sympy_skips_an_expression_too_large_to_expand() -> None:
    big = np.ones((200, 200))
    result = run_engine("sympy", make_problem("sum(logsumexp(a @ b, dim=0))", a=big, b=big))
    assert result.status == "skipped" and "too large" in result.reason


@pytest.mark.needs_torch
def test_cuda_requested_without_a_gpu_is_skipped_with_the_reason() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    problem = make_problem("sum(x)", x=[1.0])
    problem = type(problem)(**{**problem.__dict__, "device": "cuda"})
    result = run_engine("torch", problem)
    assert result.status == "skipped" and "no CUDA device" in result.reason


@pytest.mark.needs_torch
@pytest.mark.cuda
def test_torch_on_cuda_matches_closed_forms() -> None:
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    for op, (expr, inputs, value, _) in CLOSED_FORMS.items():
        problem = make_problem(expr, **inputs)
        problem = type(problem)(**{**problem.__dict__, "device": "cuda"})
        result = run_engine("torch", problem)
        assert result.ok and "cuda" in result.detail, op
        np.testing.assert_allclose(result.value, value, rtol=1e-10)
