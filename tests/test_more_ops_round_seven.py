"""The seventh round of issue 21: a program whose result is several tensors (a tuple or list, tuple(...)/list(...) of
one, a split, a function of the program returning one) checked as one (each flattened, then concatenated: autograd's
check of a tuple, one seeded cotangent per tensor); np.array_split at a list of indices; np.partition (the arrangement
numpy's own partition gives, fixed at the case's values). Each against a closed form, in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem
from verifygrad.cases.problem import compile_case_program
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


@pytest.mark.parametrize(
    ("text", "count"),
    [("np.split(x, 2)", 2), ("np.array_split(x, 3, axis=0)", 3), ("np.gradient(x.reshape(2, 2))", 2), ("np.gradient(x.reshape(2, 2), axis=None)", 2)],
)
def test_a_case_compiles_a_split_result_first_by_names_then_with_the_values(text: str, count: int) -> None:
    """A case is compiled by its input names first; how many pieces a split makes needs x's shape, so it is compiled
    again with the values (never read as one tensor, never refused)."""
    program = compile_case_program(text, {"x": X})
    assert any(f"{count} tensors" in note for note in program.notes)


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


# --- jax.lax: cumsum/cumprod with reverse, broadcast, reshape with dimensions, dynamic_update_slice, sort,
# convert_element_type, conv and conv_with_general_padding -----------------------------------------------------

LAX = "from jax import lax\nimport jax.numpy as jnp\n"
M = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_cumsum_reverse_is_the_sum_from_each_element_to_the_end(engine: str) -> None:
    """lax.cumsum(x, 1, reverse=True)[i, j] = sum of x[i, j:], so the sum of it weighs x[i, j] by j + 1."""
    value = sum(M[i, j:].sum() for i in range(2) for j in range(3))
    assert_closed_form(engine, LAX + "lax.cumsum(m, 1, reverse=True).sum()", {"m": M}, value, {"m": np.array([[1.0, 2.0, 3.0]] * 2)})


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_cumprod_reverse_along_axis_0(engine: str) -> None:
    """lax.cumprod(m, axis=0, reverse=True): row 0 is m0 * m1, row 1 is m1; summed: d/dm0 = m1, d/dm1 = m0 + 1."""
    value = float((M[0] * M[1]).sum() + M[1].sum())
    assert_closed_form(engine, LAX + "lax.cumprod(m, axis=0, reverse=True).sum()", {"m": M}, value, {"m": np.array([M[1], M[0] + 1])})


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_broadcast_and_reshape_with_dimensions(engine: str) -> None:
    """lax.broadcast(m, (2,)) repeats m twice; lax.reshape(m, (3, 2), (1, 0)) is m's transpose: weighted by w, the
    gradient is w transposed back."""
    w = np.arange(6.0).reshape(3, 2)
    text = LAX + "lax.broadcast(m, (2,)).sum() + (lax.reshape(m, (3, 2), (1, 0)) * w).sum()"
    assert_closed_form(engine, text, {"m": M, "w": w}, 2 * M.sum() + (M.T * w).sum(), {"m": 2 + w.T})


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_dynamic_update_slice_writes_the_update_and_clamps_its_start(engine: str) -> None:
    """Writing u (1x2) at (1, 2) clamps the start to (1, 1): m's elements there take no gradient, u's each take 1."""
    u = np.array([[10.0, 20.0]])
    value = M.sum() - M[1, 1] - M[1, 2] + 30.0
    grads = {"m": np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]), "u": np.ones((1, 2))}
    assert_closed_form(engine, LAX + "lax.dynamic_update_slice(m, u, (1, 2)).sum()", {"m": M, "u": u}, value, grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_sort_and_convert_element_type(engine: str) -> None:
    """lax.sort(-m, dimension=0) puts row 1 first; weighted by w, d/dm = -w with its rows swapped; a float dtype
    conversion is the identity."""
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    text = LAX + "(lax.sort(-m, dimension=0) * w).sum() + lax.convert_element_type(m, jnp.float32).sum()"
    assert_closed_form(engine, text, {"m": M, "w": w}, float((-M[::-1] * w).sum() + M.sum()), {"m": 1 - w[::-1]})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "conv",
    [
        "lax.conv(m[None, None], k[None, None], (1, 1), 'VALID')",
        "lax.conv_with_general_padding(m[None, None], k[None, None], (1, 1), ((0, 0), (0, 0)), None, None)",
    ],
)
def test_lax_conv_spellings(engine: str, conv: str) -> None:
    """A 1x2 kernel [a, b] slid over each row (a correlation, as lax computes): sum = a * (sum of m[:, :2]) + b * (sum of
    m[:, 1:]); d/dm = a on the first two columns plus b on the last two."""
    k = np.array([[0.5, -2.0]])
    value = 0.5 * M[:, :2].sum() - 2.0 * M[:, 1:].sum()
    grad = np.zeros_like(M)
    grad[:, :2] += 0.5
    grad[:, 1:] -= 2.0
    assert_closed_form(engine, LAX + conv + ".sum()", {"m": M, "k": k}, value, {"m": grad, "k": np.array([[M[:, :2].sum(), M[:, 1:].sum()]])})


def test_lax_sort_of_a_zero_size_array_is_empty_and_convert_to_an_integer_is_refused() -> None:
    assert make_problem(LAX + "lax.sort(e, dimension=0)", e=np.zeros((0,))).shapes[-1] == (0,)
    with pytest.raises((ExprError, CaseError), match="float dtype only"):
        make_problem(LAX + "lax.convert_element_type(m, 'int32').sum()", m=M)


# --- np.gradient -------------------------------------------------------------------------------------------------

SQUARES = np.array([1.0, 4.0, 9.0, 16.0, 25.0])  # t^2 at t = 1..5: its derivative 2t is 2, 4, ..., 10
W5 = np.array([1.0, -2.0, 3.0, 0.5, 2.0])
# np.gradient's differences as a matrix: one-sided (edge_order 1 or 2) in the first and last rows, central inside.
D1 = np.array([[-1, 1, 0, 0, 0], [-0.5, 0, 0.5, 0, 0], [0, -0.5, 0, 0.5, 0], [0, 0, -0.5, 0, 0.5], [0, 0, 0, -1, 1]])
D2 = np.array([[-1.5, 2, -0.5, 0, 0], *D1[1:4], [0, 0, 0.5, -2, 1.5]])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("text", "matrix"), [("np.gradient(x)", D1), ("np.gradient(x, edge_order=2)", D2), ("np.gradient(x, 0.5)", 2 * D1)])
def test_numpy_gradient_of_the_squares(engine: str, text: str, matrix: np.ndarray) -> None:
    """Of t^2: central differences are exact inside (2t), one-sided ones of order 1 are off by 1 at the ends (3 and 9),
    of order 2 exact (2 and 10); a spacing h divides by h. The gradient of sum(w * np.gradient(x)) is D^T w."""
    assert_closed_form(engine, f"np.sum({text} * w)", {"x": SQUARES, "w": W5}, float(W5 @ matrix @ SQUARES), {"x": matrix.T @ W5})
    assert np.allclose(D1 @ SQUARES, [3, 4, 6, 8, 9]) and np.allclose(D2 @ SQUARES, [2, 4, 6, 8, 10])


@pytest.mark.parametrize("engine", ENGINES)
def test_numpy_gradient_over_two_axes_is_one_tensor_per_axis(engine: str) -> None:
    """Of m[i, j] = 10 i + j (a 2x3 grid): along axis 0 every difference is 10, along axis 1 every one is 1; joined, the
    result is six 10s then six 1s, and with a cotangent of ones d/dm is the column sums of D's transposes (0 inside)."""
    m = 10 * np.arange(2.0)[:, None] + np.arange(3.0)[None, :]
    along_rows = np.array([[-2.0], [2.0]]) * np.ones((2, 3))  # two rows: both ends are m[1] - m[0], so [-2, 2] per column
    along_columns = np.ones((2, 1)) * np.array([-1.5, 0.0, 1.5])  # [-1, 1, 0] + [-1/2, 0, 1/2] + [0, -1, 1]
    assert_closed_form(engine, "np.gradient(m)", {"m": m}, np.array([10.0] * 6 + [1.0] * 6), {"m": along_rows + along_columns})


def test_numpy_gradient_refuses_too_few_elements_and_several_axes_inside_an_expression() -> None:
    with pytest.raises((ExprError, CaseError), match="too few for edge_order 2"):
        make_problem("np.sum(np.gradient(x, edge_order=2))", x=[1.0, 2.0])
    with pytest.raises((ExprError, CaseError), match="one tensor per axis"):
        make_problem("np.sum(np.gradient(m))", m=np.ones((2, 3)))


# --- the audit's small fix: a positional None dim --------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("text", "scale"), [("torch.sum(m, None)", 1.0), ("np.sum(m, None)", 1.0), ("torch.mean(m, None, True).sum()", 1 / 6)])
def test_a_positional_none_dim_reduces_every_dim(engine: str, text: str, scale: float) -> None:
    """torch.sum(x, None) and np.sum(x, None) are the sum of every element (torch.mean(x, None, True) the mean, kept 1x1)."""
    assert_closed_form(engine, text, {"m": M}, scale * M.sum(), {"m": np.full(M.shape, scale)})


@pytest.mark.parametrize("engine", ENGINES)
def test_a_positional_none_dim_of_var(engine: str) -> None:
    """torch.var(x, None): the unbiased variance of all six elements, (x - mean) / (n - 1) * 2 its gradient."""
    assert_closed_form(engine, "torch.var(m, None)", {"m": M}, float(np.var(M, ddof=1)), {"m": 2 * (M - M.mean()) / 5})


def test_a_positional_none_is_still_refused_where_it_means_something_else() -> None:
    """torch.softmax(x, None) picks a dim by an old rule (with a warning): not read as every dim."""
    with pytest.raises((ExprError, CaseError), match="None"):
        make_problem("torch.softmax(m, None).sum()", m=M)


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_reduce_with_each_computation(engine: str) -> None:
    """lax.reduce over dims: lax.add the sum, lax.mul the product (d/dm_i = the others' product), lax.max the largest,
    lax.min (init 2.5) the smallest capped at 2.5; an init other than the identity combines once."""
    text = LAX + (
        "lax.reduce(m, 0.0, lax.add, (0, 1)) + lax.reduce(m, 1.0, lax.mul, (0,)).sum() + lax.reduce(m, -jnp.inf, lax.max, (1,)).sum()"
        " + lax.reduce(m, 2.5, lax.min, (0,)).sum()"
    )
    value = M.sum() + (M[0] * M[1]).sum() + M.max(1).sum() + np.minimum(M.min(0), 2.5).sum()
    grad = np.ones_like(M) + M[::-1]
    grad[:, 2] += 1.0  # each row's max is its last element
    grad[0, :2] += 1.0  # the column minima 1 and 2 are under the init 2.5 (3 is not)
    assert_closed_form(engine, text, {"m": M}, value, {"m": grad})
