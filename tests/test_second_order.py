"""The numpy engine's Hessians, HVPs, JVPs and Jacobians (derived programs) against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from verifygrad.engines import numpy_second_order as second
from verifygrad.language import derivatives
from verifygrad.language.ops import OPS, Traced
from verifygrad.language.parse import parse

RNG = np.random.default_rng(11)
X = np.array([0.3, 1.7, 2.5])


def sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# Each elementwise primitive f: the Hessian of sum(f(x)) is diag(f''(x)).
SECOND_DERIVATIVES = {
    "-x": lambda x: 0 * x,
    "exp(x)": np.exp,
    "log(x)": lambda x: -1 / x**2,
    "log1p(x)": lambda x: -1 / (1 + x) ** 2,
    "sqrt(x)": lambda x: -0.25 * x**-1.5,
    "sin(x)": lambda x: -np.sin(x),
    "cos(x)": lambda x: -np.cos(x),
    "tan(x)": lambda x: 2 * np.tan(x) / np.cos(x) ** 2,
    "tanh(x)": lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
    "sigmoid(x)": lambda x: sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)),
    "relu(x)": lambda x: 0 * x,
    "abs(x)": lambda x: 0 * x,
    "softplus(x)": lambda x: sig(x) * (1 - sig(x)),
    "x**3": lambda x: 6 * x,
    "3**x": lambda x: 3**x * np.log(3) ** 2,
    "x**x": lambda x: x**x * ((np.log(x) + 1) ** 2 + 1 / x),
    "1/x": lambda x: 2 / x**3,
    "x*x": lambda x: 2 + 0 * x,
    "x - 2*x": lambda x: 0 * x,
}


def hessian_of(expr: str, wrt: tuple[str, ...] = ("x",), **inputs: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    return second.hessian(parse(expr), inputs, "float64", wrt)


@pytest.mark.parametrize("expr", sorted(SECOND_DERIVATIVES))
def test_elementwise_hessian_is_the_diagonal_of_the_second_derivative(expr: str) -> None:
    hessian = hessian_of(f"sum({expr})", x=X)["x", "x"]
    np.testing.assert_allclose(hessian, np.diag(SECOND_DERIVATIVES[expr](X)), rtol=1e-12, atol=1e-12)


def test_quadratic_form_hessian_is_a_plus_a_transpose() -> None:
    a = RNG.normal(size=(4, 4))
    hessian = hessian_of("x @ A @ x", x=RNG.normal(size=4), A=a)["x", "x"]
    np.testing.assert_allclose(hessian, a + a.T, rtol=1e-12)


def test_logsumexp_hessian_is_diag_softmax_minus_outer() -> None:
    x = RNG.normal(size=5)
    s = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(hessian_of("logsumexp(x)", x=x)["x", "x"], np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-15)


def test_logistic_regression_hessian() -> None:
    data, w, y = RNG.normal(size=(6, 3)), RNG.normal(size=3), (RNG.uniform(size=6) > 0.5).astype(float)
    p = sig(data @ w)
    hessian = hessian_of("mean(softplus(X @ w) - y * (X @ w))", wrt=("w",), X=data, w=w, y=y)["w", "w"]
    np.testing.assert_allclose(hessian, data.T @ np.diag(p * (1 - p)) @ data / 6, rtol=1e-12)


def test_mixed_blocks_of_a_matrix_product() -> None:
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2))
    blocks = hessian_of("sum(A @ B)", wrt=("A", "B"), A=a, B=b)
    # d/dA[i,k] d/dB[k2,j] of sum_ij (A@B)[i,j] = [k == k2]
    expected = np.einsum("kl,i,j->iklj", np.eye(3), np.ones(2), np.ones(2))
    np.testing.assert_allclose(blocks["A", "B"], expected)
    np.testing.assert_allclose(blocks["B", "A"], expected.transpose(2, 3, 0, 1))
    np.testing.assert_allclose(blocks["A", "A"], 0)


def test_reductions_with_dims_and_transpose() -> None:
    x = RNG.normal(size=(2, 3))
    # sum over rows of (mean over columns)^2: d²/dx[i,j]dx[i,k] = 2/9
    hessian = hessian_of("sum(mean(x.T, dim=0) ** 2)", x=x)["x", "x"]
    expected = np.einsum("ik,jl->ijkl", np.eye(2), np.full((3, 3), 2 / 9))
    np.testing.assert_allclose(hessian, expected, rtol=1e-12, atol=1e-15)


def test_trace_and_outer() -> None:
    x = RNG.normal(size=3)
    # trace(outer(x, x)) = |x|^2
    np.testing.assert_allclose(hessian_of("trace(outer(x, x))", x=x)["x", "x"], 2 * np.eye(3), atol=1e-15)


def test_hvp_matches_the_full_hessian_along_a_direction() -> None:
    x, v = RNG.normal(size=4), RNG.normal(size=4)
    a = RNG.normal(size=(4, 4))
    product = second.hvp(parse("x @ A @ x + sum(exp(x))"), {"x": x, "A": a}, "float64", ("x",), {"x": v})["x"]
    np.testing.assert_allclose(product, (a + a.T) @ v + np.exp(x) * v, rtol=1e-12)


def test_jvp_of_mm_is_the_product_rule() -> None:
    x, y, tx, ty = (RNG.normal(size=shape) for shape in ((2, 3), (3, 4), (2, 3), (3, 4)))
    got = second.jvp(parse("mm(X, Y)"), {"X": x, "Y": y}, "float64", ("X", "Y"), {"X": tx, "Y": ty})
    np.testing.assert_allclose(got, tx @ y + x @ ty, rtol=1e-12)


def test_jvp_of_a_broadcast_product() -> None:
    x, b, tx, tb = RNG.normal(size=(2, 3)), RNG.normal(size=3), RNG.normal(size=(2, 3)), RNG.normal(size=3)
    got = second.jvp(parse("sin(x * b)"), {"x": x, "b": b}, "float64", ("x", "b"), {"x": tx, "b": tb})
    np.testing.assert_allclose(got, np.cos(x * b) * (tx * b + x * tb), rtol=1e-12)


def test_jacobian_of_an_elementwise_map_is_diagonal() -> None:
    jacobian = second.jacobian(parse("tanh(x)"), {"x": X}, "float64", ("x",))["x"]
    np.testing.assert_allclose(jacobian, np.diag(1 - np.tanh(X) ** 2), rtol=1e-12)


def test_derived_programs_hold_only_primitives_of_the_op_table() -> None:
    program = derivatives.hvp_program(parse("mean(logsumexp(x @ A, dim=1) * abs(x).sum())"), {"x": (2, 3), "A": (3, 3)}, ("x", "A"))
    assert {node.op for node in program.nodes} <= set(OPS) | {"input", "const"}


def test_a_numpy_function_on_a_traced_value_raises_instead_of_building_an_object_array() -> None:
    recorder = derivatives.Recorder(parse("x"), [(2,)])
    traced = recorder.traced(0)
    assert isinstance(traced, Traced)
    with pytest.raises(TypeError):
        np.cos(traced)


@pytest.mark.parametrize(
    "expr",
    [
        "sum(logsumexp(X, dim=1) ** 2)",
        "sum(mean(X, dim=0, keepdim=True) * X)",
        "sum(sqrt(X * X + 1) / (1 + sigmoid(X).T @ X))",
        "trace(X.T @ X) * sum(tanh(X))",
        "sum(log1p(exp(X)) - X ** 3 * softplus(-X))",
    ],
)
def test_hessian_vector_products_are_the_exact_hessian_times_v(expr: str) -> None:
    from verifygrad.cases.load import Case
    from verifygrad.cases.problem import Overrides, prepare
    from verifygrad.cases.second_order import hessian_key
    from verifygrad.engines.sympy import engine as sympy_engine

    x, v = RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3))
    ours = second.hvp(parse(expr), {"X": x}, "float64", ("X",), {"X": v})["X"]
    # the truth: SymPy's Hessian at 30 digits, contracted with v
    exact = sympy_engine.run(prepare(Case("t", expr, {"X": x.tolist()}, "test", 1, hessian=True), Overrides()))
    assert exact.exact, exact.detail
    np.testing.assert_allclose(ours, np.tensordot(exact.grads[hessian_key("X", "X")], v, axes=2), rtol=1e-10, atol=1e-12)
