"""The seventh round of issue 21: a program whose result is several tensors (a tuple or list, tuple(...)/list(...) of
one, a split, a function of the program returning one) checked as one (each flattened, then concatenated: autograd's
check of a tuple, one seeded cotangent per tensor); np.array_split at a list of indices; np.partition (the arrangement
numpy's own partition gives, fixed at the case's values). Each against a closed form, in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem
from verifygrad.errors import CaseError
from verifygrad.language.parse import ExprError
from verifygrad.language.statements import compile_program

ENGINES = ["numpy", "torch", "fd", "sympy"]
X = np.array([0.5, -1.2, 2.0, 0.3])


# --- a result of several tensors -------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_tuple_result_is_its_tensors_flattened_and_joined(engine: str) -> None:
    """(x^2, sin x): the value [x^2, sin x], and with a cotangent of ones the gradient 2x + cos x."""
    assert_closed_form(engine, "(x * x, np.sin(x))", {"x": X}, np.concatenate([X**2, np.sin(X)]), {"x": 2 * X + np.cos(X)})


@pytest.mark.parametrize("engine", ENGINES)
def test_a_function_returning_a_tuple_of_split_pieces(engine: str) -> None:
    """a, b = np.split(x, [1]); tuple((3a, b^2)): the value [3 x0, x1^2, x2^2, x3^2], the gradient [3, 2 x1, 2 x2, 2 x3]."""
    text = "def f(x):\n    a, b = np.split(x, [1])\n    return tuple((a * 3, b ** 2))\nf(x)"
    value = np.array([3 * X[0], *(X[1:] ** 2)])
    assert_closed_form(engine, text, {"x": X}, value, {"x": np.array([3.0, *(2 * X[1:])])})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", ["np.split(x2, 2, axis=1)", "np.hsplit(x2, [1])", "list((x2[:, :1], x2[:, 1:]))"])
def test_a_split_as_the_result_is_its_pieces_in_order(engine: str, text: str) -> None:
    """Splitting the columns of a 2x2 matrix: the pieces are the columns, so the joined result is x's transpose, flattened."""
    x2 = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_closed_form(engine, text, {"x2": x2}, x2.T.reshape(-1), {"x2": np.ones((2, 2))})


def test_the_joined_result_says_so_and_a_single_tensor_is_unchanged() -> None:
    program = compile_program("np.split(x, 2)", {"x": X})
    assert any("2 tensors" in note for note in program.notes)
    assert not compile_program("np.sum(x)", {"x": X}).notes


def test_a_part_past_the_end_is_still_refused_in_a_subscript() -> None:
    with pytest.raises((ExprError, CaseError), match="makes 2 pieces"):
        make_problem("np.split(x, [2])[3]", x=X)


@pytest.mark.parametrize("engine", ENGINES)
def test_array_split_at_a_list_of_indices(engine: str) -> None:
    """np.array_split(x, [1, 3]) as np.split's indices: x[:1], x[1:3], x[3:]; the middle piece squared and summed."""
    value = X[1] ** 2 + X[2] ** 2
    assert_closed_form(engine, "np.sum(np.array_split(x, [1, 3])[1] ** 2)", {"x": X}, value, {"x": np.array([0.0, 2 * X[1], 2 * X[2], 0.0])})


# --- np.partition ------------------------------------------------------------------------------------------------


def _partition_closed_form(x: np.ndarray, kth: int | list[int], weights: np.ndarray) -> tuple[float, np.ndarray]:
    """sum(w * np.partition(x, kth)): numpy's arrangement; each x[i] takes the weight of the place it lands in."""
    out = np.partition(x, kth)
    place = {v: j for j, v in enumerate(out)}
    return float(np.sum(weights * out)), np.array([weights[place[v]] for v in x])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kth", [0, 2, [1, 3]])
def test_partition_is_numpys_arrangement_and_its_gradient_the_permutation(engine: str, kth: int | list[int]) -> None:
    x, w = np.array([3.0, -1.0, 2.5, 0.5, 7.0]), np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    value, grad = _partition_closed_form(x, kth, w)
    assert np.partition(x, kth)[kth if isinstance(kth, int) else 1] == np.sort(x)[kth if isinstance(kth, int) else 1]
    assert_closed_form(engine, f"np.sum(np.partition(x, {kth}) * w)", {"x": x, "w": w}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_partition_along_an_axis_and_of_the_flattened_array(engine: str) -> None:
    """Along axis 0 of a 3x2 matrix with kth 0 each column's smallest comes first; axis=None partitions all six."""
    x = np.array([[2.0, -3.0], [0.5, 4.0], [-1.0, 1.5]])
    column_min = np.min(x, axis=0)
    grad = (x == column_min).astype(float)
    assert_closed_form(engine, "np.sum(np.partition(x, 0, axis=0)[0])", {"x": x}, float(np.sum(column_min)), {"x": grad})
    assert_closed_form(engine, "np.partition(x, 5, axis=None)[5]", {"x": x}, 4.0, {"x": (x == 4.0).astype(float)})


def test_partition_refuses_ties_and_a_kth_out_of_range() -> None:
    with pytest.raises((ExprError, CaseError), match="tied values"):
        make_problem("np.sum(np.partition(x, 1) * w)", x=[1.0, 2.0, 1.0], w=[1.0, 2.0, 3.0])
    with pytest.raises((ExprError, CaseError), match="out of range"):
        make_problem("np.sum(np.partition(x, 4))", x=[1.0, 2.0, 3.0])


def test_the_hessian_of_partition() -> None:
    """sum(w * np.partition(x, 1)^2): diag(2 w[place of x_i])."""
    from verifygrad.engines import numpy_second_order as second

    x, w = np.array([3.0, -1.0, 2.5, 0.5]), np.array([1.0, 2.0, 3.0, 4.0])
    inputs = {"x": x, "w": w}
    hessian = second.hessian(compile_program("np.sum(np.partition(x, 1) ** 2 * w)", inputs), inputs, "float64", ("x",))["x", "x"]
    np.testing.assert_allclose(hessian, np.diag(2 * _partition_closed_form(x, 1, w)[1]), rtol=1e-12)
