"""More of torch's ops (issue 21): shape ops read from another tensor's shape, splits at indices, scatters into views,
nan-ignoring extremes, copysign, ldexp, dist, vecdot, inner, matrix_power, multi_dot, and dtype= on softmax and
cumsum. Each against a closed form written from torch's documentation, in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form

RNG = np.random.default_rng(2151)
X = RNG.normal(size=(3, 4))
Y = RNG.normal(size=(3, 4))
V = RNG.normal(size=(4,))
A = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
A2 = A[:2, :2]
ENGINES = ["numpy", "torch", "fd", "sympy"]


def weights(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(1.0, np.prod(shape) + 1).reshape(shape) / 5


def diag_embed(v: np.ndarray, offset: int) -> np.ndarray:
    out = np.zeros((v.size + abs(offset),) * 2)
    for i, value in enumerate(v):
        out[i + max(0, -offset), i + max(0, offset)] = value
    return out


# (expr, result as a function of x, gradient of sum(result * w) in x as a function of w)
SHAPES = [
    ("x.expand_as(torch.ones(2, 3, 4))", lambda x: np.broadcast_to(x, (2, 3, 4)), lambda w: w.sum(0)),
    ("x.view_as(torch.ones(6, 2))", lambda x: x.reshape(6, 2), lambda w: w.reshape(3, 4)),
    ("x.reshape_as(torch.ones(12))", lambda x: x.reshape(12), lambda w: w.reshape(3, 4)),
    ("torch.atleast_3d(x)", lambda x: x[:, :, None], lambda w: w[:, :, 0]),
    ("torch.atleast_2d(x[0])", lambda x: x[0][None], lambda w: np.vstack([w, np.zeros((2, 4))])),
    ("torch.atleast_1d(x[0, 1])", lambda x: x[0, 1:2], lambda w: np.pad(w[None], ((0, 2), (1, 2)))),
    ("x.sum_to_size(1, 4)", lambda x: x.sum(0, keepdims=True), lambda w: np.broadcast_to(w, (3, 4))),
    ("x.sum_to_size((3, 1))", lambda x: x.sum(1, keepdims=True), lambda w: np.broadcast_to(w, (3, 4))),
    ("torch.constant_pad_nd(x, (1, -2), 0.5)", lambda x: np.pad(x[:, :2], ((0, 0), (1, 0)), constant_values=0.5), lambda w: np.pad(w[:, 1:], ((0, 0), (0, 2)))),
    ("torch.diag_embed(x[0], offset=-1)", lambda x: diag_embed(x[0], -1), lambda w: np.vstack([np.diagonal(w, -1), np.zeros((2, 4))])),
    ("torch.diagflat(x[:2, :2], offset=1)", lambda x: diag_embed(x[:2, :2].ravel(), 1), lambda w: np.pad(np.diagonal(w, 1).reshape(2, 2), ((0, 1), (0, 2)))),
    ("torch.tensor_split(x, 3, 1)[0]", lambda x: x[:, :2], lambda w: np.pad(w, ((0, 0), (0, 2)))),
    ("torch.tensor_split(x, (1, 3), dim=1)[1]", lambda x: x[:, 1:3], lambda w: np.pad(w, ((0, 0), (1, 1)))),
    ("torch.hsplit(x, [3])[1]", lambda x: x[:, 3:], lambda w: np.pad(w, ((0, 0), (3, 0)))),
    ("torch.vsplit(x, 3)[2]", lambda x: x[2:], lambda w: np.pad(w, ((2, 0), (0, 0)))),
    ("torch.dsplit(x[None], [1])[1]", lambda x: x[None, :, 1:], lambda w: np.pad(w[0], ((0, 0), (1, 0)))),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("expr", "result", "grad"), SHAPES, ids=[case[0] for case in SHAPES])
def test_shape_op_moves_values_and_gradient(engine: str, expr: str, result, grad) -> None:
    out = result(X)
    w = weights(out.shape)
    assert_closed_form(engine, f"({expr} * w).sum()", {"x": X, "w": w}, float((out * w).sum()), {"x": grad(w)})


def written_into(x: np.ndarray, key: tuple, src: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[key] = src
    return out


ROWS = np.arange(3)
SCATTERS = [
    ("torch.select_scatter(x, s, 1, -1)", (slice(None), -1), (3,)),
    ("torch.slice_scatter(x, s, 1, 1, 20, 2)", (slice(None), slice(1, None, 2)), (3, 2)),
    ("torch.slice_scatter(x, s)", (slice(None),), (3, 4)),
    ("torch.diagonal_scatter(x, s, 1)", (ROWS, ROWS + 1), (3,)),
    ("torch.diagonal_scatter(x, s, -2)", (np.array([2]), np.array([0])), (1,)),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("expr", "key", "src_shape"), SCATTERS, ids=[case[0] for case in SCATTERS])
def test_view_scatter_writes_src_into_the_view(engine: str, expr: str, key: tuple, src_shape: tuple) -> None:
    """sum(out * w): x's gradient is w with the view zeroed, src's is the view of w."""
    s = RNG.normal(size=src_shape)
    w = weights(X.shape)
    value = float((written_into(X, key, s) * w).sum())
    assert_closed_form(engine, f"({expr} * w).sum()", {"x": X, "s": s, "w": w}, value, {"x": written_into(w, key, 0.0), "s": w[key]})


NAN_X = np.array([1.0, np.nan, -2.0, np.nan, 0.5])
NAN_Y = np.array([0.5, 3.0, np.nan, np.nan, 2.0])


@pytest.mark.parametrize("engine", ["numpy", "torch", "sympy"])  # NOTE: fd's step of a nan is nan
@pytest.mark.parametrize(("name", "pick"), [("fmax", np.fmax), ("fmin", np.fmin)])
def test_fmax_fmin_take_the_number_where_the_other_is_nan(engine: str, name: str, pick) -> None:
    out = pick(NAN_X, NAN_Y)  # [1, 3, -2, nan, 2] for fmax
    w = np.array([1.0, 2.0, 3.0, 0.0, 4.0])
    from_x = np.array([pick(1.0, 0.5) == 1.0, False, True, False, pick(0.5, 2.0) == 0.5])
    from_y = np.array([not from_x[0], True, False, False, not from_x[4]])
    expr = f"(torch.{name}(x, y) * w)[[0, 1, 2, 4]].sum()"
    assert_closed_form(engine, expr, {"x": NAN_X, "y": NAN_Y, "w": w}, float(np.nansum(out * w)), {"x": from_x * w, "y": from_y * w})


@pytest.mark.parametrize("engine", ["numpy", "torch"])  # NOTE: fd steps across y = 0, where the sign jumps; SymPy has no -0.0
def test_copysign_takes_the_sign_bit_of_y_negative_zero_included(engine: str) -> None:
    x = np.array([1.5, -2.0, 0.7, -0.3])
    y = np.array([-1.0, 2.0, -0.0, 0.0])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    sign = np.array([-1.0, 1.0, -1.0, 1.0])
    value = float((np.abs(x) * sign * w).sum())
    assert_closed_form(engine, "(torch.copysign(x, y) * w).sum()", {"x": x, "y": y, "w": w}, value, {"x": np.sign(x) * sign * w, "y": np.zeros(4)})


@pytest.mark.parametrize("engine", ENGINES)
def test_copysign_away_from_zero(engine: str) -> None:
    sign = np.sign(Y)
    value, grads = float((np.abs(X) * sign * Y).sum()), {"x": np.sign(X) * sign * Y, "y": np.abs(X) * sign}
    assert_closed_form(engine, "(torch.copysign(x, y) * y).sum()", {"x": X, "y": Y}, value, grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_ldexp_and_float_power(engine: str) -> None:
    e = np.array([[0.0, 1.0, -2.0, 3.0]] * 3)
    p = np.abs(X) + 0.5
    expr = "torch.ldexp(x, e).sum() + torch.float_power(p, 1.5).sum()"
    value = float((X * 2.0**e).sum() + (p**1.5).sum())
    assert_closed_form(engine, expr, {"x": X, "e": e, "p": p}, value, {"x": 2.0**e, "e": X * 2.0**e * np.log(2), "p": 1.5 * p**0.5})


@pytest.mark.parametrize("engine", ENGINES)
def test_dist_vecdot_inner_vdot(engine: str) -> None:
    d = X - Y
    dist3 = (np.abs(d) ** 3).sum() ** (1 / 3)
    expr = "torch.dist(x, y, 3) + (torch.linalg.vecdot(x, y, dim=0) * v).sum() + (torch.inner(x, v) * v[:3]).sum() + torch.vdot(v, v)"
    value = dist3 + ((X * Y).sum(0) * V).sum() + ((X @ V) * V[:3]).sum() + V @ V
    grad_x = np.abs(d) ** 2 * np.sign(d) / dist3**2 + Y * V + np.outer(V[:3], V)
    grad_y = -(np.abs(d) ** 2) * np.sign(d) / dist3**2 + X * V
    assert_closed_form(engine, expr, {"x": X, "y": Y, "v": V}, value, {"x": grad_x, "y": grad_y})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("n", [0, 1, 3, -2])
def test_matrix_power(engine: str, n: int) -> None:
    """sum(A^n * w): the gradient of A^n is the sum over its factors, sum_k (A^k)^T w (A^(n-1-k))^T (with inv(A) for n < 0)."""
    base = A2 if n >= 0 else np.linalg.inv(A2)
    power = np.linalg.matrix_power(base, abs(n))
    w = weights((2, 2))
    grad_base = sum((np.linalg.matrix_power(base, k).T @ w @ np.linalg.matrix_power(base, abs(n) - 1 - k).T for k in range(abs(n))), np.zeros((2, 2)))
    grad = grad_base if n >= 0 else -base.T @ grad_base @ base.T
    assert_closed_form(engine, f"(torch.linalg.matrix_power(a, {n}) * w).sum()", {"a": A2, "w": w}, float((power * w).sum()), {"a": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_multi_dot_with_vectors_at_the_ends(engine: str) -> None:
    b = RNG.normal(size=(4, 3))
    value = float(V @ X.T @ A @ X[:, 0])
    grads = {"v": X.T @ A @ X[:, 0], "a": np.outer(X @ V, X[:, 0])}
    assert_closed_form(engine, "torch.linalg.multi_dot([v, x.T, a, x[:, 0]])", {"v": V, "x": X, "a": A, "b": b}, value, grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_softmax_and_cumsum_take_a_dtype(engine: str) -> None:
    soft = np.exp(X) / np.exp(X).sum(1, keepdims=True)
    w = weights(X.shape)
    expr = "(torch.softmax(x, 1, dtype=torch.float64) * w).sum() + torch.cumsum(x, 0, dtype=torch.float64).sum()"
    value = float((soft * w).sum() + np.cumsum(X, 0).sum())
    grad = soft * (w - (soft * w).sum(1, keepdims=True)) + np.array([3.0, 2.0, 1.0])[:, None]
    assert_closed_form(engine, expr, {"x": X, "w": w}, value, {"x": grad})


STACK = np.stack([A2, A2.T + np.eye(2)])  # two 2 x 2 matrices


@pytest.mark.parametrize("engine", ENGINES)
def test_det_inv_logdet_over_a_stack_of_matrices(engine: str) -> None:
    """Each matrix of the stack on its own: d det/dA = det A^-T, d log|det|/dA = A^-T, d sum(inv A * w)/dA = -A^-T w A^-T."""
    inverses = np.linalg.inv(STACK)
    dets = np.linalg.det(STACK)
    w = weights((2, 2, 2))
    expr = "(torch.linalg.det(s) * v).sum() + torch.linalg.slogdet(s)[1].sum() + (torch.linalg.inv_ex(s)[0] * w).sum()"
    v = np.array([1.5, -0.5])
    value = float((dets * v).sum() + np.log(np.abs(dets)).sum() + (inverses * w).sum())
    inverse_t = np.swapaxes(inverses, -1, -2)
    grad = (dets * v)[:, None, None] * inverse_t + inverse_t - inverse_t @ w @ inverse_t
    assert_closed_form(engine, expr, {"s": STACK, "v": v, "w": w}, value, {"s": grad})


@pytest.mark.parametrize("engine", ["numpy", "torch", "sympy"])
def test_empty_matrices_have_determinant_one_and_empty_inverses(engine: str) -> None:
    assert_closed_form(engine, "torch.linalg.det(e) + torch.logdet(e) + torch.inverse(e).sum()", {"e": np.zeros((0, 0))}, 1.0, {"e": np.zeros((0, 0))})


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_ex_is_solve(engine: str) -> None:
    b = X[:2, 0]
    x = np.linalg.solve(A2, b)
    w = weights((2,))
    grad_b = np.linalg.solve(A2.T, w)
    assert_closed_form(engine, "(torch.linalg.solve_ex(a, b)[0] * w).sum()", {"a": A2, "b": b, "w": w}, float(x @ w), {"b": grad_b, "a": -np.outer(grad_b, x)})


T = RNG.normal(size=(2, 3, 4))
LSE_01 = np.log(np.exp(T).sum((0, 1)))
CLAMPED = np.minimum(T, 0.3).sum() + np.maximum(T, -0.2).sum()
DIFF_GRAD = np.zeros(T.shape)
DIFF_GRAD[..., -1], DIFF_GRAD[..., 0] = 1.0, -1.0  # the sum of differences along dim 2 telescopes to last - first


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("expr", "value", "grad"),
    [
        ("torch.logsumexp(t, (0, 1), False).sum()", LSE_01.sum(), np.exp(T) / np.exp(T).sum((0, 1))),
        ("torch.logsumexp(t, (-1, -3), True).sum()", np.log(np.exp(T).sum((0, 2))).sum(), np.exp(T) / np.exp(T).sum((0, 2), keepdims=True)),
        ("(torch.sum(t, (0, 2), True) * torch.ones(1, 3, 1) * 2).sum()", 2 * T.sum(), np.full(T.shape, 2.0)),
        ("torch.mean(t, (2, -3)).sum()", T.mean((0, 2)).sum(), np.full(T.shape, 1 / 8)),
        ("(torch.max(t, 1, True)[0] * torch.ones(2, 1, 4)).sum()", T.max(1).sum(), (T.max(1, keepdims=True) == T) * 1.0),
        ("torch.squeeze(t[:, None, :, None], (1, -1)).sum() + torch.squeeze(t, ()).sum()", 2 * T.sum(), np.full(T.shape, 2.0)),
        (
            "torch.clamp(t, None, 0.3).sum() + torch.clamp(t, -0.2, None).sum()",
            np.minimum(T, 0.3).sum() + np.maximum(T, -0.2).sum(),
            (T < 0.3) + (T > -0.2) * 1.0,
        ),
        (
            "torch.diff(t, 1, 2, None, None).sum()",
            np.diff(T, 1, 2).sum(),
            np.pad(np.ones((2, 3, 1)), ((0, 0), (0, 0), (3, 0))) - np.pad(np.ones((2, 3, 1)), ((0, 0), (0, 0), (0, 3))),
        ),
    ],
)
def test_tuple_dims_positional_keepdim_and_none(engine: str, expr: str, value: float, grad: np.ndarray) -> None:
    """A tuple of dims reduces over each; True after the dim is keepdim; None for a parameter is its default."""
    assert_closed_form(engine, expr, {"t": T}, value, {"t": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_a_0d_tensor_reduced_over_dim_0_or_minus_1_is_itself(engine: str) -> None:
    """torch reads dim 0 (or -1) of a 0-d tensor as the tensor itself: sum, mean, amax, logsumexp, cumsum, softmax."""
    s = np.array(0.7)
    expr = "torch.sum(s, 0) + torch.mean(s, -1, keepdim=True) * 2 + torch.amax(s, 0) + torch.logsumexp(s, 0) + torch.cumsum(s, 0) + torch.softmax(s, 0)"
    assert_closed_form(engine, expr, {"s": s}, 6 * 0.7 + 1.0, {"s": np.array(6.0)})


@pytest.mark.parametrize("engine", ["numpy", "torch", "sympy"])  # NOTE: fd's step may cross a jump 10**-3 apart
def test_round_to_decimals_is_torchs_scaled_round(engine: str) -> None:
    """round(x, 3) = round(1000 x) / 1000, round(x, -2) = round(x / 100) * 100 (halves to even); a step function: slope 0."""
    x = np.array([1.2344, -2.71828, 1234.5678, -49.999])
    value = float((np.round(x * 1000) / 1000).sum() + (np.round(x / 100) * 100).sum())
    assert_closed_form(engine, "torch.round(x, decimals=3).sum() + torch.round(x, decimals=-2).sum()", {"x": x}, value, {"x": np.zeros(4)})


@pytest.mark.parametrize("engine", ENGINES)
def test_normalize_with_p_and_prelu_with_a_keyword_weight(engine: str) -> None:
    """normalize(x, p=3, dim=0) = x / ||x||_3 per column; prelu(x, weight=w) = relu(x) - w relu(-x)."""
    norms = (np.abs(X) ** 3).sum(0) ** (1 / 3)
    y = X / norms
    w = weights(X.shape)
    # d/dx of sum(y * w) per column: w / n - (sum(x w) / n^2) * |x|^2 sign(x) / n^2
    grad = w / norms - (X * w).sum(0) / norms**2 * np.abs(X) ** 2 * np.sign(X) / norms**2
    slope = np.array([0.25])
    expr = "(F.normalize(x, p=3.0, dim=0) * w).sum() + F.prelu(x, weight=s).sum()"
    prelu = np.where(X > 0, X, 0.25 * X)
    assert_closed_form(
        engine, expr, {"x": X, "w": w, "s": slope}, float((y * w).sum() + prelu.sum()), {"x": grad + np.where(X > 0, 1.0, 0.25), "s": [np.minimum(X, 0).sum()]}
    )


P = np.array([[0.3, -1.2, 0.8], [1.1, 0.4, -0.6]])
Q = np.array([[0.5, 0.2, -0.9], [-0.7, 1.3, 0.1]])


@pytest.mark.parametrize("engine", ENGINES)
def test_cosine_embedding_loss(engine: str) -> None:
    """Row 0 with y = 1: 1 - cos; row 1 with y = -1: max(0, cos - margin) (cos here above the margin)."""
    y = np.array([1.0, -1.0])
    na, nb = np.sqrt((P * P).sum(1) + 1e-12), np.sqrt((Q * Q).sum(1) + 1e-12)
    cos = (P * Q).sum(1) / (na * nb)
    margin = -0.9
    value = (1 - cos[0]) + (cos[1] - margin)
    dcos_p = Q / (na * nb)[:, None] - cos[:, None] * P / (na**2)[:, None]
    dcos_q = P / (na * nb)[:, None] - cos[:, None] * Q / (nb**2)[:, None]
    sign = np.array([-1.0, 1.0])[:, None]
    expr = f"F.cosine_embedding_loss(p, q, y, margin={margin}, reduction='sum')"
    assert_closed_form(engine, expr, {"p": P, "q": Q, "y": y}, value, {"p": sign * dcos_p, "q": sign * dcos_q})


@pytest.mark.parametrize("engine", ["numpy", "torch", "sympy"])  # NOTE: fd sees the clamp, which torch's gradient ignores
def test_gaussian_nll_loss_clamps_var_in_value_only(engine: str) -> None:
    """(log v + d^2 / v) / 2 per element, v = max(var, eps); the gradient in var as if it were not clamped (torch)."""
    var = np.array([[0.5, 1e-9, 2.0], [0.3, 1.5, 1e-8]])
    eps = 1e-6
    v = np.maximum(var, eps)
    d = P - Q
    value = (0.5 * (np.log(v) + d * d / v)).mean() + 0.5 * np.log(2 * np.pi)
    grads = {"p": d / v / 6, "q": -d / v / 6, "var": 0.5 * (1 / v - d * d / v**2) / 6}
    assert_closed_form(engine, "F.gaussian_nll_loss(p, q, var, full=True)", {"p": P, "q": Q, "var": var}, value, grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_multilabel_soft_margin_loss(engine: str) -> None:
    y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    w = np.array([0.5, 2.0, 1.0])
    log_sig, log_sig_neg = -np.log1p(np.exp(-P)), -np.log1p(np.exp(P))
    loss = -(y * log_sig + (1 - y) * log_sig_neg) * w
    sig = 1 / (1 + np.exp(-P))
    grads = {"p": (sig - y) * w / 3 / 2, "y": -(log_sig - log_sig_neg) * w / 3 / 2}
    assert_closed_form(engine, "F.multilabel_soft_margin_loss(p, y, weight=w)", {"p": P, "y": y, "w": w}, loss.mean(1).mean(), grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_trapezoid_rules(engine: str) -> None:
    """sum of (x[i+1] - x[i]) (y[i+1] + y[i]) / 2 along the last dim; without x, dx = 1; cumulative: the running sums."""
    x = np.array([0.0, 0.5, 1.5])
    steps = np.diff(x)
    area = ((P[:, 1:] + P[:, :-1]) * steps / 2).sum()
    running = np.cumsum((Q[:, 1:] + Q[:, :-1]) / 2, 1).sum()
    expr = "torch.trapezoid(p, x).sum() + torch.cumulative_trapezoid(q).sum()"
    grad_p = np.array([steps[0] / 2, (steps[0] + steps[1]) / 2, steps[1] / 2]) * np.ones((2, 1))
    grad_q = np.array([[1.0, 1.5, 0.5]] * 2)  # y0 in both running sums, y1 in both (twice half), y2 in the last
    grad_x = np.array([-(P[:, 1] + P[:, 0]).sum() / 2, ((P[:, 1] + P[:, 0]) - (P[:, 2] + P[:, 1])).sum() / 2, (P[:, 2] + P[:, 1]).sum() / 2])
    assert_closed_form(engine, expr, {"p": P, "q": Q, "x": x}, area + running, {"p": grad_p, "q": grad_q, "x": grad_x})


@pytest.mark.parametrize("engine", ENGINES)
def test_pdist_and_bilinear(engine: str) -> None:
    rows = np.vstack([P, Q[:1]])  # 3 rows: pairs (0, 1), (0, 2), (1, 2)
    pairs = [(0, 1), (0, 2), (1, 2)]
    dists = np.array([np.linalg.norm(rows[i] - rows[j]) for i, j in pairs])
    grad_rows = np.zeros_like(rows)
    for (i, j), dist in zip(pairs, dists):
        grad_rows[i] += (rows[i] - rows[j]) / dist
        grad_rows[j] -= (rows[i] - rows[j]) / dist
    weight = np.arange(1.0, 19.0).reshape(3, 3, 2) / 10
    b = np.array([0.1, -0.2, 0.3])
    x2 = Q[:, :2]
    out = np.einsum("ni,kij,nj->nk", P, weight, x2) + b
    expr = "F.pdist(r).sum() + F.bilinear(p, x2, w, b).sum()"
    grads = {
        "r": grad_rows,
        "p": np.einsum("kij,nj->ni", weight, x2),
        "x2": np.einsum("ni,kij->nj", P, weight),
        "w": np.einsum("ni,nj->ij", P, x2)[None].repeat(3, 0),
        "b": np.full(3, 2.0),
    }
    assert_closed_form(engine, expr, {"r": rows, "p": P, "x2": x2, "w": weight, "b": b}, dists.sum() + out.sum(), grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_narrow_and_index_fill_with_tensor_arguments(engine: str) -> None:
    """narrow's start given as a 0-d tensor (its value); index_fill's value a 0-d tensor (which takes the gradient)."""
    start, fill = np.array(1.0), np.array(2.5)
    expr = "(torch.narrow(p, 1, s, 2) * q[:, :2]).sum() + torch.index_fill(p, 1, torch.tensor([0, 2]), c).sum()"
    value = (P[:, 1:3] * Q[:, :2]).sum() + P[:, 1].sum() + 4 * 2.5
    grad_p = np.zeros_like(P)
    grad_p[:, 1:3] = Q[:, :2]
    grad_p[:, 1] += 1
    assert_closed_form(engine, expr, {"p": P, "q": Q, "s": start, "c": fill}, value, {"p": grad_p, "c": np.array(4.0)})


U, W3 = np.array([0.5, -1.0, 2.0]), np.array([3.0, -0.25])


@pytest.mark.parametrize("engine", ENGINES)
def test_meshgrid_cartesian_prod_combinations_block_diag(engine: str) -> None:
    """Each output element is one input element: the gradient counts how often each element appears, times its weight."""
    ij = np.meshgrid(U, W3, indexing="ij")[1]  # (3, 2): W3 along dim 1
    xy = np.meshgrid(U, W3, indexing="xy")[0]  # (2, 3): U along dim 1
    rows = np.array([[a, b] for a in U for b in W3])
    pairs = np.array([[U[i], U[j]] for i in range(3) for j in range(i, 3)])  # with replacement
    block = np.zeros((5, 5))
    block[0, 0], block[1:3, 1:3] = 1.5, np.outer(U[:2], W3)
    expr = (
        "(torch.meshgrid(u, w, indexing='ij')[1] * m1).sum() + (torch.meshgrid([u, w], indexing='xy')[0] * m2).sum()"
        " + (torch.cartesian_prod(u, w) * m3).sum() + (torch.combinations(u, r=2, with_replacement=True) * m4).sum()"
        " + (torch.block_diag(c, torch.outer(u[:2], w), torch.zeros(2, 2)) * m5).sum()"
    )
    m1, m2, m3, m4, m5 = (weights(shape) for shape in ((3, 2), (2, 3), (6, 2), (6, 2), (5, 5)))
    value = (ij * m1).sum() + (xy * m2).sum() + (rows * m3).sum() + (pairs * m4).sum() + (block * m5).sum()
    in_pairs = np.array([m4[0].sum() + m4[1, 0] + m4[2, 0], m4[1, 1] + m4[3].sum() + m4[4, 0], m4[2, 1] + m4[4, 1] + m4[5].sum()])
    grad_u = m2.sum(0) + m3[:, 0].reshape(3, 2).sum(1) + in_pairs
    grad_u[:2] += (m5[1:3, 1:3] * W3).sum(1)
    grad_w = m1.sum(0) + m3[:, 1].reshape(3, 2).sum(0) + (m5[1:3, 1:3] * U[:2, None]).sum(0)
    inputs = {"u": U, "w": W3, "c": np.array(1.5), "m1": m1, "m2": m2, "m3": m3, "m4": m4, "m5": m5}
    assert_closed_form(engine, expr, inputs, value, {"u": grad_u, "w": grad_w, "c": np.array(m5[0, 0])})


B = RNG.normal(size=(4, 2, 3))  # a batch of 4, 2 channels, 3 positions


def batch_normalized(x: np.ndarray, eps: float) -> np.ndarray:
    mean, var = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd"])  # NOTE: the gradient of a normalization is held in test_layers
def test_native_norms_are_the_functional_ones_in_their_own_argument_order(engine: str) -> None:
    """native_batch_norm(x, w, b, running_mean, running_var, training, momentum, eps)[0] is F.batch_norm(x, rm, rv, w, b,
    training, momentum, eps); native_layer_norm(x, shape, w, b, eps)[0] is F.layer_norm; native_group_norm(x, w, b, N,
    C, HxW, groups, eps)[0] is F.group_norm(x, groups, w, b, eps)."""
    w, b = np.array([1.5, -0.5]), np.array([0.1, 0.2])
    rm, rv = np.array([0.3, -0.2]), np.array([1.2, 0.8])
    eps = 1e-3
    trained = batch_normalized(B, eps) * w[:, None] + b[:, None]
    evaluated = (B - rm[:, None]) / np.sqrt(rv[:, None] + eps) * w[:, None] + b[:, None]
    rows = (B - B.mean(2, keepdims=True)) / np.sqrt(B.var(2, keepdims=True) + eps)
    groups = (B.reshape(4, 1, 6) - B.reshape(4, 1, 6).mean(2, keepdims=True)) / np.sqrt(B.reshape(4, 1, 6).var(2, keepdims=True) + eps)
    weights_t, weights_e = weights(B.shape), weights(B.shape)[::-1]
    expr = (
        f"(torch.native_batch_norm(x, w, b, torch.tensor([0.3, -0.2]), torch.tensor([1.2, 0.8]), True, 0.1, {eps})[0] * m).sum()"
        f" + (torch._native_batch_norm_legit(x, w, b, torch.tensor([0.3, -0.2]), torch.tensor([1.2, 0.8]), False, 0.1, {eps})[0] * n).sum()"
        f" + torch.native_layer_norm(x, (3,), None, None, {eps})[0].pow(2).sum()"
        f" + torch.native_group_norm(x, None, None, 4, 2, 3, 1, {eps})[0].pow(3).sum()"
    )
    value = (trained * weights_t).sum() + (evaluated * weights_e).sum() + (rows**2).sum() + (groups**3).sum()
    result = run_engine_value(engine, expr, {"x": B, "w": w, "b": b, "m": weights_t, "n": np.ascontiguousarray(weights_e)})
    np.testing.assert_allclose(result, value, rtol=1e-11)


def run_engine_value(engine: str, expr: str, inputs: dict) -> float:
    from tests.helpers import make_problem
    from verifygrad.engines import run_engine

    result = run_engine(engine, make_problem(expr, **inputs))
    assert result.ok, result.reason
    return float(result.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_unflatten_and_aminmax(engine: str) -> None:
    expr = "(torch.unflatten(x, 1, (2, -1)) * w).sum() + torch.aminmax(x, dim=1)[0].sum() + torch.aminmax(x)[1]"
    w = weights((3, 2, 2))
    lowest, highest = X.argmin(1), np.unravel_index(X.argmax(), X.shape)
    grad = w.reshape(3, 4).copy()
    grad[np.arange(3), lowest] += 1
    grad[highest] += 1
    value = (X.reshape(3, 2, 2) * w).sum() + X.min(1).sum() + X.max()
    assert_closed_form(engine, expr, {"x": X, "w": w}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss(engine: str, p: int) -> None:
    """Per sample: sum over i != y of max(0, margin - x[y] + x[i])**p times weight[y], over C; mean over the batch."""
    y = np.array([2.0, 0.0])
    cw = np.array([0.5, 1.0, 2.0])
    margin = 0.8
    value, grad = 0.0, np.zeros_like(P)
    for n in range(2):
        k = int(y[n])
        for i in range(3):
            z = margin - P[n, k] + P[n, i]
            if i != k and z > 0:
                value += cw[k] * z**p / 3 / 2
                slope = cw[k] * p * z ** (p - 1) / 3 / 2
                grad[n, i] += slope
                grad[n, k] -= slope
    expr = f"F.multi_margin_loss(x, y, p={p}, margin={margin}, weight=torch.tensor([0.5, 1.0, 2.0]))"  # NOTE: torch gives weight no gradient
    assert_closed_form(engine, expr, {"x": P, "y": y}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_cov_and_corrcoef(engine: str) -> None:
    """cov(x, fweights=f): columns counted f times, divided by sum(f) - 1; corrcoef: cov over the products of the
    standard deviations. Both against numpy's own (np.cov with fweights, np.corrcoef), values and the gradient of
    sum(cov * w) = 2 sum over columns f_k (x_k - m) ... written out below."""
    f = np.array([1.0, 2.0, 1.0])
    x = P  # 2 variables, 3 observations
    cov = np.cov(x, fweights=f.astype(int))
    w = weights((2, 2))
    m = (x * f).sum(1, keepdims=True) / f.sum()
    grad = (w + w.T) @ ((x - m) * f) / (f.sum() - 1)  # d/dx of sum(w * (x - m) F (x - m)^T) / (n - 1); the mean's share is 0
    corr = np.corrcoef(x)
    value = float((cov * w).sum() + corr[0, 1])
    result_expr = "(torch.cov(x, fweights=f) * w).sum() + torch.corrcoef(x)[0, 1]"
    c = np.cov(x)
    d = np.sqrt(np.diag(c))
    n = x.shape[1]
    xc = x - x.mean(1, keepdims=True)
    dr = (xc[1] / (d[0] * d[1]) - c[0, 1] / d[0] ** 3 / d[1] * xc[0]) / (n - 1), (xc[0] / (d[0] * d[1]) - c[0, 1] / d[1] ** 3 / d[0] * xc[1]) / (n - 1)
    assert_closed_form(engine, result_expr, {"x": x, "f": f, "w": w}, value, {"x": grad + np.vstack(dr)})


@pytest.mark.parametrize("engine", ENGINES)
def test_multilabel_margin_loss_counts_a_repeated_class_twice(engine: str) -> None:
    """Row 0 targets {2, 0} (then -1 ends the list); row 1 names class 0 twice: each (j, i) pair with j a target and i
    not, max(0, 1 - x[j] + x[i]), summed, over C = 3, then the mean over the rows."""
    y = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, -1.0]])
    pairs = [(0, 2, 1), (0, 0, 1), (1, 0, 1), (1, 0, 2), (1, 0, 1), (1, 0, 2)]
    value, grad = 0.0, np.zeros_like(P)
    for n, j, i in pairs:
        z = 1 - P[n, j] + P[n, i]
        if z > 0:
            value += z / 3 / 2
            grad[n, j] -= 1 / 6
            grad[n, i] += 1 / 6
    assert_closed_form(engine, "F.multilabel_margin_loss(x, y)", {"x": P, "y": y}, value, {"x": grad})
