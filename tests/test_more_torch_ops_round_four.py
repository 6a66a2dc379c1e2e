"""torch's ops of the fourth round (issue 21): cross_entropy's label_smoothing, scaled_dot_product_attention's
attn_mask, LU factorizations, torch.mode. Each against a closed form written from torch's documentation, in every
engine."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem
from verifygrad.language.syntax import ExprError

RNG = np.random.default_rng(2172)
X = RNG.normal(size=(3, 4))
ENGINES = ["numpy", "torch", "fd", "sympy"]


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_cross_entropy_with_label_smoothing_weight_and_an_ignored_class(engine: str) -> None:
    """Class indices, smoothing e, weight w, ignore_index 2 (sample 1): per kept sample (1 - e) w[t] (-log p[t]) +
    e / C sum_c w[c] (-log p[c]), summed and divided by the kept w[t]; d/dx_i = ((1 - e) w[t](p - onehot) +
    e / C (sum(w) p - w)) / that sum."""
    t, w, e, c = np.array([3.0, 2.0, 0.0]), np.array([0.5, 1.0, 2.0, 1.5]), 0.2, 4
    p = softmax(X)
    kept = [0, 2]
    total = sum(w[int(t[i])] for i in kept)
    value = sum((1 - e) * w[int(t[i])] * -np.log(p[i, int(t[i])]) + e / c * (w * -np.log(p[i])).sum() for i in kept) / total
    grad = np.zeros_like(X)
    for i in kept:
        grad[i] = ((1 - e) * w[int(t[i])] * (p[i] - np.eye(c)[int(t[i])]) + e / c * (w.sum() * p[i] - w)) / total
    expr = "F.cross_entropy(x, t, weight=w, ignore_index=2, label_smoothing=0.2)"
    assert_closed_form(engine, expr, {"x": X, "t": t, "w": w}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_cross_entropy_with_probabilities_weight_and_label_smoothing(engine: str) -> None:
    """Class probabilities q, smoothed to q' = (1 - e) q + e / C: the mean over samples of -sum_c w[c] q'[c] log p[c];
    d/dx_i = ((w . q'_i) p_i - w q'_i) / N."""
    q = RNG.dirichlet(np.ones(4), size=3)
    w, e = np.array([0.5, 1.0, 2.0, 1.5]), 0.3
    smoothed = (1 - e) * q + e / 4
    p = softmax(X)
    value = float((-(w * smoothed * np.log(p)).sum(1)).mean())
    grad = ((w * smoothed).sum(1, keepdims=True) * p - w * smoothed) / 3
    assert_closed_form(engine, "F.cross_entropy(x, q, weight=w, label_smoothing=0.3)", {"x": X, "q": q, "w": w}, value, {"x": grad})


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, kept: np.ndarray, added: np.ndarray, g: np.ndarray) -> tuple:
    """softmax over the kept keys of q k^T / sqrt(d) + added, times v (0 where no key is kept), and the gradients of
    <out, g>: dP = g v^T, dS = P (dP - sum(P dP)), dq = dS k / sqrt(d), dk = dS^T q / sqrt(d), dv = P^T g, d added = dS."""
    s = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1]) + added
    e = np.where(kept, np.exp(s - np.where(kept, s, s.min()).max(-1, keepdims=True)), 0.0)
    total = e.sum(-1, keepdims=True)
    p = e / np.where(total == 0, 1.0, total)
    dp = g @ v.swapaxes(-1, -2)
    ds = p * (dp - (p * dp).sum(-1, keepdims=True))
    return p @ v, ds @ k / np.sqrt(q.shape[-1]), ds.swapaxes(-1, -2) @ q / np.sqrt(q.shape[-1]), p.swapaxes(-1, -2) @ g, ds


@pytest.mark.parametrize("engine", ENGINES)
def test_attention_with_a_boolean_mask(engine: str) -> None:
    """attn_mask written as a comparison is boolean: key j counts for query i where it is true; query 1 keeps no key
    and gives 0, as torch."""
    q, k, v = RNG.normal(size=(3, 2)), RNG.normal(size=(4, 2)), RNG.normal(size=(4, 2))
    m = np.array([[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0, -1.0, -1.0], [-1.0, 1.0, 1.0, -1.0]])
    g = np.arange(1.0, 7.0).reshape(3, 2) / 4
    out, dq, dk, dv, _ = attention(q, k, v, m > 0, np.zeros((3, 4)), g)
    expr = "(F.scaled_dot_product_attention(q, k, v, attn_mask=m > 0) * g).sum()"
    assert_closed_form(engine, expr, {"q": q, "k": k, "v": v, "m": m, "g": g}, float((out * g).sum()), {"q": dq, "k": dk, "v": dv})


@pytest.mark.parametrize("engine", ["numpy", "torch", "sympy"])  # NOTE: fd cannot nudge a -inf entry of the mask
def test_attention_with_an_additive_mask(engine: str) -> None:
    """A float attn_mask is added to the scores (and takes their gradient); a -inf entry drops its key."""
    q, k, v = RNG.normal(size=(2, 3, 2)), RNG.normal(size=(2, 4, 2)), RNG.normal(size=(2, 4, 2))
    m = RNG.normal(size=(3, 4))
    m[0, 2] = -np.inf
    g = np.arange(1.0, 13.0).reshape(2, 3, 2) / 4
    out, dq, dk, dv, ds = attention(q, k, v, np.isfinite(m), np.where(np.isfinite(m), m, 0.0), g)
    dm = np.where(np.isfinite(m), ds.sum(0), 0.0)
    expr = "(F.scaled_dot_product_attention(q, k, v, attn_mask=m) * g).sum()"
    assert_closed_form(engine, expr, {"q": q, "k": k, "v": v, "m": m, "g": g}, float((out * g).sum()), {"q": dq, "k": dk, "v": dv, "m": dm})


@pytest.mark.parametrize("engine", ENGINES)
def test_lu_of_a_2x2_matrix_with_a_row_swap(engine: str) -> None:
    """A = [[a, b], [c, d]] with |c| > |a|: LAPACK swaps the rows (pivots [2, 2]); L = [[1, 0], [a/c, 1]],
    U = [[c, d], [0, b - a d / c]]; lu_factor packs them as [[c, d], [a/c, b - a d / c]]."""
    a, b, c, d = 0.5, -1.2, 2.0, 0.3
    x = np.array([[a, b], [c, d]])
    w = np.array([[1.0, 2.0], [3.0, 4.0]]) / 5
    v = np.array([[0.5, -1.0], [2.0, 1.5]])
    packed = np.array([[c, d], [a / c, b - a * d / c]])
    value = w[0, 0] + w[1, 1] + w[1, 0] * a / c + (v[0, 0] * c + v[0, 1] * d + v[1, 1] * (b - a * d / c)) + (packed * w).sum()
    grad_l = np.array([[w[1, 0] / c, 0.0], [-w[1, 0] * a / c**2, 0.0]])
    grad_u = np.array([[-v[1, 1] * d / c, v[1, 1]], [v[0, 0] + v[1, 1] * a * d / c**2, v[0, 1] - v[1, 1] * a / c]])
    grad_packed = np.array([[w[1, 0] / c - w[1, 1] * d / c, w[1, 1]], [w[0, 0] - w[1, 0] * a / c**2 + w[1, 1] * a * d / c**2, w[0, 1] - w[1, 1] * a / c]])
    expr = "(torch.linalg.lu(x)[1] * w).sum() + (torch.linalg.lu(x).U * v).sum() + (torch.linalg.lu_factor(x)[0] * w).sum()"
    assert_closed_form(engine, expr, {"x": x, "w": w, "v": v}, value, {"x": grad_l + grad_u + grad_packed})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shape", [(2, 3, 3), (4, 3), (2, 4)])
def test_lu_factors_multiply_back_to_the_matrix(engine: str, shape: tuple[int, ...]) -> None:
    """P L U is A itself (P fixed): its value is A and the gradient of <P L U, W> is W, for a stack, a tall and a
    wide matrix; the pivots are the 1-based rows LAPACK swapped in."""
    x = RNG.normal(size=shape)
    w = np.arange(1.0, x.size + 1).reshape(shape) / 7
    expr = "((torch.linalg.lu(x)[0] @ torch.linalg.lu(x)[1] @ torch.linalg.lu(x)[2]) * w).sum()"
    assert_closed_form(engine, expr, {"x": x, "w": w}, float((x * w).sum()), {"x": w})


def test_lu_pivots_are_lapacks_row_swaps() -> None:
    """Column 0's largest |entry| is row 3 (pivot 3), then row 3 of what is left (the original row 1): pivots [3, 3, 3]."""
    x = np.array([[1.0, 2.0, 0.5], [2.0, 1.0, 4.0], [-4.0, 0.5, 1.0]])
    out = make_problem("torch.linalg.lu_factor(x)[1]", x=x)
    from verifygrad.engines import run_engine

    assert run_engine("numpy", out).value.tolist() == [3.0, 3.0, 3.0]


def test_lu_refuses_a_tie_for_a_pivot_and_pivot_false() -> None:
    with pytest.raises(ExprError, match=r"a tie for the pivot of column 0"):
        make_problem("torch.linalg.lu(x)[1]", x=np.array([[1.0, 2.0], [-1.0, 3.0]]))
    with pytest.raises(ExprError, match=r"pivot=False"):
        make_problem("torch.linalg.lu(x, pivot=False)[1]", x=X[:, :3])


@pytest.mark.parametrize("engine", ENGINES)
def test_mode_of_distinct_elements_is_the_smallest(engine: str) -> None:
    """Every element of each row differs: each appears once, and torch's mode is the smallest of them, its gradient
    the row's argmin; along dim 0 with keepdim, the smallest of each column."""
    w = np.array([1.0, 2.0, 3.0])
    v = np.array([[0.5, -1.0, 2.0, 1.5]])
    rows, columns = X.argmin(1), X.argmin(0)
    grad = np.zeros_like(X)
    grad[range(3), rows] += w
    grad[columns, range(4)] += v[0]
    value = float((X.min(1) * w).sum() + (X.min(0) * v[0]).sum())
    expr = "(torch.mode(x)[0] * w).sum() + (torch.mode(x, 0, True).values * v).sum()"
    assert_closed_form(engine, expr, {"x": X, "w": w, "v": v}, value, {"x": grad})


def test_mode_of_repeated_values_as_torch_picks_it() -> None:
    """The most frequent value (the smallest of those equally frequent) at its last position: [2, 2, 1, 1, 3] gives 1
    at 3; [5, 4, 4, 5, 4] gives 4 at 4."""
    from verifygrad.engines import run_engine

    x = np.array([[2.0, 2.0, 1.0, 1.0, 3.0], [5.0, 4.0, 4.0, 5.0, 4.0]])
    assert run_engine("numpy", make_problem("torch.mode(x)[0]", x=x)).value.tolist() == [1.0, 4.0]
    assert run_engine("numpy", make_problem("torch.mode(x)[1]", x=x)).value.tolist() == [3.0, 4.0]


def test_a_repeated_mode_is_reported_as_a_tie() -> None:
    """Where the mode repeats, changing one copy changes which value is the mode: a kink named in the report."""
    from verifygrad.cases.load import load_mapping
    from verifygrad.verdict.judge import check_case
    from verifygrad.verdict.outcome import PASSED

    inputs = {"t": [[1.0, 3.0, 3.0, 2.0, 0.5]]}
    cases, _ = load_mapping({"name": "tie", "expr": "torch.mode(t)[0].sum()", "inputs": inputs, "wrt": ["t"]}, "ties.yaml")
    outcome = check_case(cases[0])
    assert outcome.verdict == PASSED, outcome.reasons
    assert "`mode` at a tie between the two arguments" in " ".join(outcome.reasons)


def test_affine_grid_is_theta_times_the_base_positions() -> None:
    """size (1, 1, 2, 3) without align_corners: x at -2/3, 0, 2/3 and y at -1/2, 1/2 (the pixel centres); each grid
    point theta @ (x, y, 1), so the gradient of <grid, W> is sum over points of W[i, j] (x_j, y_i, 1)^T."""
    theta = RNG.normal(size=(1, 2, 3))
    w = np.arange(1.0, 13.0).reshape(1, 2, 3, 2) / 6
    xs, ys = np.array([-2 / 3, 0.0, 2 / 3]), np.array([-0.5, 0.5])
    base = np.array([[[x, y, 1.0] for x in xs] for y in ys])  # (2, 3, 3)
    grid = base @ theta[0].T
    grad = np.einsum("ijk,ijl->kl", w[0], base)[None]
    expr = "(F.affine_grid(t, [1, 1, 2, 3], align_corners=False) * w).sum()"
    for engine in ENGINES:
        assert_closed_form(engine, expr, {"t": theta, "w": w}, float((grid * w[0]).sum()), {"t": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_grid_sample_bilinear_inside_and_with_each_padding(engine: str) -> None:
    """x = [[a, b], [c, d]] read at one point. align_corners: p = (g + 1) / 2 per axis, the bilinear value
    a (1-px)(1-py) + b px (1-py) + c (1-px) py + d px py. border: a point past the right edge reads the edge (no
    gradient along x). reflection (align_corners): px = 1.5 folds back to 0.5, its derivative negated."""
    a, b, c, d = 0.5, -1.2, 2.0, 0.3
    x = np.array([[[[a, b], [c, d]]]])
    inside, past, folded = np.array([[[[0.2, -0.4]]]]), np.array([[[[1.4, 0.6]]]]), np.array([[[[2.0, -0.2]]]])

    def bilinear(px: float, py: float) -> tuple[float, float, float, np.ndarray]:
        value = a * (1 - px) * (1 - py) + b * px * (1 - py) + c * (1 - px) * py + d * px * py
        dpx, dpy = (b - a) * (1 - py) + (d - c) * py, (c - a) * (1 - px) + (d - b) * px
        return value, dpx, dpy, np.array([[(1 - px) * (1 - py), px * (1 - py)], [(1 - px) * py, px * py]])

    v1, dx1, dy1, w1 = bilinear(0.6, 0.3)
    v2, _, dy2, w2 = bilinear(1.0, 0.8)
    v3, dx3, dy3, w3 = bilinear(0.5, 0.4)
    value = v1 + 2 * v2 + 3 * v3
    grads = {"x": (w1 + 2 * w2 + 3 * w3)[None, None], "p": np.array([[[[0.5 * dx1, 0.5 * dy1]]]]), "q": np.array([[[[0.0, 2 * 0.5 * dy2]]]]),
             "r": np.array([[[[-3 * 0.5 * dx3, 3 * 0.5 * dy3]]]])}  # fmt: skip
    expr = ("F.grid_sample(x, p, align_corners=True).sum() + 2 * F.grid_sample(x, q, padding_mode='border', align_corners=True).sum()"
            " + 3 * F.grid_sample(x, r, padding_mode='reflection', align_corners=True).sum()")  # fmt: skip
    assert_closed_form(engine, expr, {"x": x, "p": inside, "q": past, "r": folded}, value, grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_grid_sample_zeros_padding_and_nearest(engine: str) -> None:
    """Without align_corners px = ((g + 1) W - 1) / 2: g = -0.9 gives px = -0.35, so the left corners lie outside and
    read 0: the value is 0.65 of the right column's bilinear mix. nearest reads the nearest pixel (no grid gradient)."""
    x = np.arange(1.0, 7.0).reshape(1, 1, 2, 3) / 4
    p = np.array([[[[-0.9, 0.0]]]])  # px = -0.35 (W = 3), py = 0.5 (H = 2)
    n = np.array([[[[0.5, -0.6]]]])  # px = 1.75 -> 2, py = -0.1 -> 0
    fx, fy = 0.65, 0.5
    value = fx * ((1 - fy) * x[0, 0, 0, 0] + fy * x[0, 0, 1, 0]) + x[0, 0, 0, 2]
    grad_x = np.zeros_like(x)
    grad_x[0, 0, 0, 0], grad_x[0, 0, 1, 0], grad_x[0, 0, 0, 2] = fx * (1 - fy), fx * fy, 1.0
    dpx = (1 - fy) * x[0, 0, 0, 0] + fy * x[0, 0, 1, 0]  # d value / d px: the outside corners read 0
    dpy = fx * (x[0, 0, 1, 0] - x[0, 0, 0, 0])
    grads = {"x": grad_x, "p": np.array([[[[1.5 * dpx, 1.0 * dpy]]]]), "n": np.zeros((1, 1, 1, 2))}
    expr = "F.grid_sample(x, p, align_corners=False).sum() + F.grid_sample(x, n, mode='nearest', align_corners=False).sum()"
    assert_closed_form(engine, expr, {"x": x, "p": p, "n": n}, float(value), grads)


def test_a_grid_point_on_a_cell_edge_is_a_kink() -> None:
    from verifygrad.cases.load import load_mapping
    from verifygrad.verdict.judge import check_case
    from verifygrad.verdict.outcome import PASSED

    inputs = {"x": [[[[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]]]], "p": [[[[0.0, 0.3]]]]}  # align_corners: px = 1, an edge
    cases, _ = load_mapping({"name": "edge", "expr": "F.grid_sample(x, p, align_corners=True).sum()", "inputs": inputs, "wrt": ["x", "p"]}, "edge.yaml")
    outcome = check_case(cases[0])
    assert outcome.verdict == PASSED, outcome.reasons
    assert "`grid_sample` at " in " ".join(outcome.reasons)


@pytest.mark.parametrize("engine", ENGINES)
def test_householder_product_and_ormqr_of_one_reflector(engine: str) -> None:
    """A = [[a0], [a1]], tau = [t]: v = (1, a1) (a0 is not read), Q = I - t v v^T; householder_product is Q's first
    column (1 - t, -t a1); ormqr(A, tau, C) is Q C = C - t v (c0 + a1 c1); left=False, C Q = C - t (C v) v^T."""
    a1, t = -0.7, 0.6
    x, tau, c, d = np.array([[0.4], [a1]]), np.array([t]), np.array([[1.5], [-0.5]]), np.array([[0.2, 0.9]])
    w, u, z = np.array([[2.0], [3.0]]), np.array([[1.0], [-2.0]]), np.array([[0.5, 1.5]])
    v = np.array([1.0, a1])
    vc, dv = c[0, 0] + a1 * c[1, 0], d[0, 0] + a1 * d[0, 1]
    value = w[0, 0] * (1 - t) - w[1, 0] * t * a1 + (u[:, 0] * (c[:, 0] - t * v * vc)).sum() + (z[0] * (d[0] - t * dv * v)).sum()
    uv, zv = u[0, 0] + a1 * u[1, 0], z[0, 0] + a1 * z[0, 1]
    grad_t = -w[0, 0] - w[1, 0] * a1 - uv * vc - zv * dv
    # d/da1 of -t (u . v)(v . c) and -t (d . v)(z . v): v1 = a1 appears in both dot products
    grad_a1 = -w[1, 0] * t - t * (u[1, 0] * vc + uv * c[1, 0]) - t * (d[0, 1] * zv + dv * z[0, 1])
    grads = {"x": np.array([[0.0], [grad_a1]]), "tau": np.array([grad_t]), "c": (u[:, 0] - t * uv * v)[:, None], "d": (z[0] - t * zv * v)[None]}
    expr = "(torch.linalg.householder_product(x, tau) * w).sum() + (torch.ormqr(x, tau, c) * u).sum() + (torch.ormqr(x, tau, d, left=False) * z).sum()"
    assert_closed_form(engine, expr, {"x": x, "tau": tau, "c": c, "d": d, "w": w, "u": u, "z": z}, float(value), grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_embedding_bag_sum_mean_max_with_offsets_and_padding(engine: str) -> None:
    """indices [1, 3, 2, 3, 0] with offsets [0, 2, 2]: bags {1, 3}, {} and {2, 3, 0}. sum with per-sample weights p:
    p0 W1 + p1 W3, 0, p2 W2 + p3 W3 + p4 W0; mean with padding_idx 3: W1, 0, (W2 + W0) / 2; max of the 2-D input
    [[0, 2], [1, 2]]: the elementwise max of rows 0 and 2, of rows 1 and 2."""
    w = np.vstack([X, RNG.normal(size=(1, 4))])  # 4 rows of 4
    p = np.array([0.5, -1.0, 2.0, 1.5, 0.3])
    u = np.arange(1.0, 13.0).reshape(3, 4) / 6
    summed = np.stack([p[0] * w[1] + p[1] * w[3], np.zeros(4), p[2] * w[2] + p[3] * w[3] + p[4] * w[0]])
    mean = np.stack([w[1], np.zeros(4), (w[2] + w[0]) / 2])
    top = np.stack([np.maximum(w[0], w[2]), np.maximum(w[1], w[2])])
    value = float((summed * u).sum() + (mean * u).sum() + top.sum())
    grad_w = np.zeros_like(w)
    grad_w[1] += p[0] * u[0] + u[0]
    grad_w[3] += p[1] * u[0] + p[3] * u[2]
    grad_w[2] += p[2] * u[2] + u[2] / 2
    grad_w[0] += p[4] * u[2] + u[2] / 2
    for a, b in [(0, 2), (1, 2)]:
        grad_w[a] += w[a] > w[b]
        grad_w[b] += w[b] > w[a]
    grad_p = np.array([(w[1] * u[0]).sum(), (w[3] * u[0]).sum(), (w[2] * u[2]).sum(), (w[3] * u[2]).sum(), (w[0] * u[2]).sum()])
    i, offsets, j = np.array([1.0, 3.0, 2.0, 3.0, 0.0]), np.array([0.0, 2.0, 2.0]), np.array([[0.0, 2.0], [1.0, 2.0]])
    expr = ("(F.embedding_bag(i, w, offsets, mode='sum', per_sample_weights=p) * u).sum()"
            " + (F.embedding_bag(i, w, offsets, padding_idx=3) * u).sum() + F.embedding_bag(j, w, mode='max').sum()")  # fmt: skip
    assert_closed_form(engine, expr, {"i": i, "w": w, "offsets": offsets, "p": p, "u": u, "j": j}, value, {"w": grad_w, "p": grad_p})


@pytest.mark.parametrize("engine", ENGINES)
def test_lu_unpack_reads_the_two_triangles_and_the_row_swaps(engine: str) -> None:
    """Packed [[p, q], [r, s]] with pivots [2, 2]: P swaps the rows, L = [[1, 0], [r, 1]], U = [[p, q], [0, s]]."""
    lu, pivots = np.array([[2.0, 0.3], [0.25, -1.275]]), np.array([2.0, 2.0])
    w, v, z = np.array([[1.0, 2.0], [3.0, 4.0]]) / 5, np.array([[0.5, -1.0], [2.0, 1.5]]), np.array([[1.0, -1.0], [0.5, 2.0]])
    value = w[0, 0] + w[1, 1] + w[1, 0] * 0.25 + v[0, 0] * 2.0 + v[0, 1] * 0.3 + v[1, 1] * -1.275 + z[0, 1] + z[1, 0]
    grad = np.array([[v[0, 0], v[0, 1]], [w[1, 0], v[1, 1]]])
    expr = "(torch.lu_unpack(a, p)[1] * w).sum() + (torch.lu_unpack(a, p).U * v).sum() + (torch.lu_unpack(a, p)[0] * z).sum()"
    assert_closed_form(engine, expr, {"a": lu, "p": pivots, "w": w, "v": v, "z": z}, value, {"a": grad})


def test_solves_and_unpacking_with_pivots_are_torchs_own_calls() -> None:
    """The pivots are read at the case's values, yet stay a node of the program: torch's own lu_solve, linalg.lu_solve
    and lu_unpack are called (pivots as int32) and compared, as every torch call is."""
    lu, pivots, b = np.array([[2.0, 0.3], [0.25, -1.275]]), np.array([2.0, 2.0]), np.array([[1.0], [2.0]])
    for expr in ("torch.lu_solve(b, a, p)", "torch.linalg.lu_solve(a, p, b)", "torch.lu_unpack(a, p)[2]"):
        program = make_problem(expr, a=lu, p=pivots, b=b).program
        assert [call.name for call in program.calls] == [expr.split("(")[0].split(".")[-1]], expr


@pytest.mark.parametrize("engine", ENGINES)
def test_grid_sample_trilinear_in_a_cube(engine: str) -> None:
    """x (1, 1, 2, 2, 2), align_corners: a point p = (g + 1) / 2 per axis reads sum over corners (k, j, i) of
    x[k, j, i] times (1 - pz or pz)(1 - py or py)(1 - px or px); d/dgx = sum of x times the other two weights, signed, / 2."""
    cube = np.arange(1.0, 9.0).reshape(2, 2, 2) / 3 + np.array([0.0, 0.5]) ** 2
    px, py, pz = 0.3, 0.8, 0.45
    weight = {0: (1 - px, 1 - py, 1 - pz), 1: (px, py, pz)}
    value, grads = 0.0, np.zeros(3)
    grad_x = np.zeros((2, 2, 2))
    for k, j, i in itertools.product((0, 1), repeat=3):
        w = weight[i][0] * weight[j][1] * weight[k][2]
        value += cube[k, j, i] * w
        grad_x[k, j, i] = w
        grads += cube[k, j, i] * np.array([(2 * i - 1) * weight[j][1] * weight[k][2], (2 * j - 1) * weight[i][0] * weight[k][2],
                                           (2 * k - 1) * weight[i][0] * weight[j][1]]) / 2  # fmt: skip
    grid = np.array([2 * px - 1, 2 * py - 1, 2 * pz - 1]).reshape(1, 1, 1, 1, 3)
    expr = "F.grid_sample(x, g, align_corners=True).sum()"
    assert_closed_form(engine, expr, {"x": cube[None, None], "g": grid}, value, {"x": grad_x[None, None], "g": grads.reshape(1, 1, 1, 1, 3)})
