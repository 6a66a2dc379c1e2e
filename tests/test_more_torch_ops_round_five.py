"""torch's ops of the fifth round (issue 21): Cholesky's upper factor (torch.linalg.cholesky, torch.cholesky,
linalg.cholesky_ex, np.linalg.cholesky), batched; scaled_dot_product_attention with enable_gqa; grid_sample's bicubic
mode; nn.Upsample called at once; and the audit's cheap ones (batched solve, per-element repeats, np.append, np.fabs,
reductions over tuples of dims, jax.lax spellings, index_put, erfcx). Each against a closed form written from the
libraries' documentation, in every engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import assert_closed_form
from verifygrad.language.syntax import ExprError

RNG = np.random.default_rng(2173)
ENGINES = ["numpy", "torch", "fd", "sympy"]


# --- Cholesky's upper factor ------------------------------------------------------------------------------------


def upper_factor(x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """x = [[a, b], [c, d]] read from its upper triangle (c unread): U = [[sqrt a, b / sqrt a], [0, sqrt(d - b^2/a)]];
    <U, w> and its gradient in (a, b, c, d)."""
    a, b, d = x[0, 0], x[0, 1], x[1, 1]
    r = np.sqrt(d - b * b / a)
    value = w[0, 0] * np.sqrt(a) + w[0, 1] * b / np.sqrt(a) + w[1, 1] * r
    grad = np.array([
        [w[0, 0] / (2 * np.sqrt(a)) - w[0, 1] * b / (2 * a**1.5) + w[1, 1] * b * b / (2 * a * a * r), w[0, 1] / np.sqrt(a) - w[1, 1] * b / (a * r)],
        [0.0, w[1, 1] / (2 * r)],
    ])  # fmt: skip
    return float(value), grad


A2 = np.array([[2.0, 0.6], [-0.9, 1.5]])  # NOTE: not symmetric: the -0.9 below the diagonal is never read
W2 = np.array([[1.0, -0.5], [0.7, 2.0]])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "expr",
    [
        "(torch.linalg.cholesky(x, upper=True) * w).sum()",
        "(torch.cholesky(x, True) * w).sum()",
        "(torch.linalg.cholesky_ex(x, upper=True).L * w).sum()",
        "(np.linalg.cholesky(x, upper=True) * w).sum()",
    ],
)
def test_the_upper_factor_reads_the_upper_triangle(engine: str, expr: str) -> None:
    """U with U^T U = A, from A's upper triangle: the entry below the diagonal takes no gradient."""
    value, grad = upper_factor(A2, W2)
    assert_closed_form(engine, expr, {"x": A2, "w": W2}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_lower_and_upper_factors_of_a_stack(engine: str) -> None:
    """A stack (2, 2, 2): each matrix on its own; the lower factor of the transpose is the upper factor transposed, so
    cholesky(x^T) and cholesky(x, upper=True)^T give the same closed form."""
    x = np.stack([A2, np.array([[1.2, -0.3], [0.4, 0.8]])])
    w = np.stack([W2, np.array([[0.3, 1.1], [-0.6, 0.9]])])
    parts = [upper_factor(m, v) for m, v in zip(x, w)]
    value = sum(2 * v for v, _ in parts)
    grad = np.stack([2 * g for _, g in parts])
    expr = "(torch.linalg.cholesky(x, upper=True) * w).sum() + (torch.linalg.cholesky_ex(x.mT)[0] * w.mT).sum()"
    assert_closed_form(engine, expr, {"x": x, "w": w}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_cholesky_solve_and_inverse_take_the_upper_factor(engine: str) -> None:
    """cholesky_solve(B, U, upper=True) is (U^T U)^-1 B and cholesky_inverse(U, upper=True) is (U^T U)^-1: with U the
    upper factor of S (symmetric), both are S^-1 times, and their gradient in S's upper triangle is -S^-1 G S^-1 folded
    onto it (the lower factor's rule read on the transpose)."""
    s = np.array([[2.0, 0.6], [0.6, 1.5]])
    b = np.array([[1.0, -0.5], [0.3, 2.0]])
    inverse = np.linalg.inv(s)
    value = float((inverse @ b).sum() + inverse.sum())
    ones = np.ones((2, 2))
    full = -inverse.T @ (ones @ b.T + ones) @ inverse.T  # d/dS of sum(S^-1 B) + sum(S^-1), S's entries independent
    grad = np.triu(full + full.T - np.diag(np.diag(full)))  # S read from its upper triangle: both halves of a pair land there
    expr = "torch.cholesky_solve(b, torch.linalg.cholesky(x, upper=True), True).sum() + torch.cholesky_inverse(torch.cholesky(x, upper=True), upper=True).sum()"
    assert_closed_form(engine, expr, {"x": s, "b": b}, value, {"x": grad})


def test_the_hessian_of_the_last_pivot() -> None:
    """U[1, 1] = sqrt(s), s = d - b^2/a: its Hessian in (a, b, d) is H_s / (2 sqrt s) - grad s grad s^T / (4 s^1.5);
    c (unread) has none."""
    from verifygrad.engines import numpy_second_order as second
    from verifygrad.language.statements import compile_program

    a, b, d = A2[0, 0], A2[0, 1], A2[1, 1]
    s = d - b * b / a
    ds = np.array([b * b / a**2, -2 * b / a, 0.0, 1.0])  # in (a, b, c, d), x flattened
    hs = np.zeros((4, 4))
    hs[0, 0], hs[0, 1], hs[1, 0], hs[1, 1] = -2 * b * b / a**3, 2 * b / a**2, 2 * b / a**2, -2 / a
    expected = hs / (2 * np.sqrt(s)) - np.outer(ds, ds) / (4 * s**1.5)
    expr = "torch.linalg.cholesky(x, upper=True)[1, 1]"
    hessian = second.hessian(compile_program(expr, {"x": A2}), {"x": A2}, "float64", ("x",))["x", "x"]
    np.testing.assert_allclose(hessian.reshape(4, 4), expected, rtol=1e-12, atol=1e-14)


def test_cholesky_refuses_a_non_flag_upper_and_takes_only_the_factor_of_cholesky_ex() -> None:
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"upper as True or False"):
        make_problem("torch.linalg.cholesky(x, upper=1.5)", x=A2)
    with pytest.raises(ExprError, match=r"info code"):
        make_problem("torch.linalg.cholesky_ex(x)[1]", x=A2)


# --- attention with grouped key and value heads -------------------------------------------------------------------


def head_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
    """One head: softmax(q k^T / sqrt(d)) v and the gradients of <out, g> in q, k, v (as round four's)."""
    s = q @ k.T / np.sqrt(q.shape[-1])
    e = np.exp(s - s.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    dp = g @ v.T
    ds = p * (dp - (p * dp).sum(-1, keepdims=True))
    return p @ v, ds @ k / np.sqrt(q.shape[-1]), ds.T @ q / np.sqrt(q.shape[-1]), p.T @ g


@pytest.mark.parametrize("engine", ENGINES)
def test_attention_with_grouped_key_value_heads(engine: str) -> None:
    """enable_gqa=True: 4 query heads over 2 key/value heads; query head h reads key/value head h // 2 (torch's
    repeat_interleave), and a key head's gradient gathers its two query heads'."""
    q, k, v = RNG.normal(size=(4, 3, 2)), RNG.normal(size=(2, 5, 2)), RNG.normal(size=(2, 5, 3))
    g = np.arange(1.0, 37.0).reshape(4, 3, 3) / 9
    value, dq, dk, dv = 0.0, np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    for h in range(4):
        out, dq[h], dk_h, dv_h = head_attention(q[h], k[h // 2], v[h // 2], g[h])
        value += float((out * g[h]).sum())
        dk[h // 2] += dk_h
        dv[h // 2] += dv_h
    expr = "(F.scaled_dot_product_attention(q, k, v, enable_gqa=True) * g).sum()"
    assert_closed_form(engine, expr, {"q": q, "k": k, "v": v, "g": g}, value, {"q": dq, "k": dk, "v": dv})


def test_grouped_heads_must_divide_the_query_heads() -> None:
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"a multiple of the key's"):
        make_problem("F.scaled_dot_product_attention(q, k, k, enable_gqa=True)", q=np.ones((3, 2, 2)), k=np.ones((2, 2, 2)))


# --- grid_sample's bicubic mode -----------------------------------------------------------------------------------

A = -0.75  # torch's cubic convolution coefficient


def keys(d: float) -> tuple[float, float]:
    """Keys' cubic convolution kernel at distance d and its derivative."""
    s, d = np.sign(d), abs(d)
    if d <= 1:
        return (A + 2) * d**3 - (A + 3) * d**2 + 1, s * (3 * (A + 2) * d**2 - 2 * (A + 3) * d)
    if d < 2:
        return A * d**3 - 5 * A * d**2 + 8 * A * d - 4 * A, s * (3 * A * d**2 - 10 * A * d + 8 * A)
    return 0.0, 0.0


def padded(i: int, n: int, padding: str, align: bool) -> int | None:
    """The pixel a tap at whole-number place i reads (None: outside, read as 0), by torch's documented padding."""
    if padding == "border":
        return min(max(i, 0), n - 1)
    if padding == "reflection":
        while not 0 <= i < n:  # mirrored about the edge pixels' centres (align_corners) or their outer edges
            i = (-i if i < 0 else 2 * (n - 1) - i) if align else (-1 - i if i < 0 else 2 * n - 1 - i)
        return i
    return i if 0 <= i < n else None


def grid_sample_bicubic(x: np.ndarray, grid: np.ndarray, w: np.ndarray, padding: str, align: bool) -> tuple[float, np.ndarray, np.ndarray]:
    """<grid_sample(x, grid, 'bicubic'), w> and its gradients: each point at pixel position p = (g + 1)(n - 1)/2
    (align_corners) or ((g + 1) n - 1)/2, read from the 4 x 4 taps floor(p) - 1 .. floor(p) + 2 along x and y, each
    weighted by keys(p - tap) along both; the grid's gradient is keys' derivative times dp/dg."""
    _, channels, h, wd = x.shape
    value, dx, dgrid = 0.0, np.zeros_like(x), np.zeros_like(grid)
    for n, i, j in np.ndindex(*grid.shape[:3]):
        px, py = ((grid[n, i, j] + 1) * (np.array([wd, h]) - 1) / 2) if align else (((grid[n, i, j] + 1) * np.array([wd, h]) - 1) / 2)
        scale = (np.array([wd, h]) - 1) / 2 if align else np.array([wd, h]) / 2
        for tx in range(int(np.floor(px)) - 1, int(np.floor(px)) + 3):
            for ty in range(int(np.floor(py)) - 1, int(np.floor(py)) + 3):
                (kx, dkx), (ky, dky) = keys(px - tx), keys(py - ty)
                cx, cy = padded(tx, wd, padding, align), padded(ty, h, padding, align)
                if cx is None or cy is None:
                    continue
                for c in range(channels):
                    value += w[n, c, i, j] * x[n, c, cy, cx] * kx * ky
                    dx[n, c, cy, cx] += w[n, c, i, j] * kx * ky
                    dgrid[n, i, j] += w[n, c, i, j] * x[n, c, cy, cx] * np.array([dkx * ky * scale[0], kx * dky * scale[1]])
    return value, dx, dgrid


X4 = RNG.normal(size=(1, 2, 3, 4))
GRID = RNG.uniform(-1.5, 1.5, size=(1, 2, 3, 2))  # NOTE: some points outside [-1, 1], so each padding mode is at work
G4 = RNG.normal(size=(1, 2, 2, 3))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_bicubic(engine: str, padding: str, align: bool) -> None:
    """F.grid_sample(mode='bicubic') against the cubic convolution written out, with each tap padded (not the point),
    as torch's GridSampler does; and torch.grid_sampler_2d's mode 2."""
    value, dx, dgrid = grid_sample_bicubic(X4, GRID, G4, padding, align)
    number = ["zeros", "border", "reflection"].index(padding)
    functional = f"F.grid_sample(x, grid, mode='bicubic', padding_mode='{padding}', align_corners={align})"
    expr = f"({functional} * w).sum() + (torch.grid_sampler_2d(x, grid, 2, {number}, {align}) * w).sum()"
    assert_closed_form(engine, expr, {"x": X4, "grid": GRID, "w": G4}, 2 * value, {"x": 2 * dx, "grid": 2 * dgrid})


def test_grid_sample_bicubic_takes_a_4d_input_only() -> None:
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"'bicubic' takes a 4-D input"):
        make_problem("F.grid_sample(x, g, mode='bicubic')", x=np.ones((1, 1, 2, 2, 2)), g=np.zeros((1, 1, 1, 1, 3)))


def test_the_hessian_of_bicubic_sampling_in_the_grid() -> None:
    """<grid_sample(x, grid, 'bicubic', align_corners=True), w> in one point's (gx, gy): sum over the taps of
    w x[tap] times [[kx'' ky sx^2, kx' ky' sx sy], [kx' ky' sx sy, kx ky'' sy^2]], keys''(d) = 6(A+2)|d| - 2(A+3) within 1,
    6A|d| - 10A beyond; points do not mix."""
    from verifygrad.engines import numpy_second_order as second
    from verifygrad.language.statements import compile_program

    def second_derivative(d: float) -> float:
        d = abs(d)
        return 6 * (A + 2) * d - 2 * (A + 3) if d <= 1 else 6 * A * d - 10 * A if d < 2 else 0.0

    x, grid, w = X4[:, :1], GRID[:, :1, :2], G4[:, :1, :1, :2]
    (h, wd), expected = x.shape[2:], np.zeros((2, 2, 2, 2))
    scale = (np.array([wd, h]) - 1) / 2
    for j in range(2):
        px, py = (grid[0, 0, j] + 1) * scale
        for tx in range(int(np.floor(px)) - 1, int(np.floor(px)) + 3):
            for ty in range(int(np.floor(py)) - 1, int(np.floor(py)) + 3):
                if 0 <= tx < wd and 0 <= ty < h:
                    (kx, dkx), (ky, dky) = keys(px - tx), keys(py - ty)
                    f = w[0, 0, 0, j] * x[0, 0, ty, tx]
                    cross = f * dkx * dky * scale[0] * scale[1]
                    xx, yy = f * second_derivative(px - tx) * ky * scale[0] ** 2, f * kx * second_derivative(py - ty) * scale[1] ** 2
                    expected[j, :, j, :] += [[xx, cross], [cross, yy]]
    expr = "(F.grid_sample(x, grid, mode='bicubic', align_corners=True) * w).sum()"
    inputs = {"x": x, "grid": grid, "w": w}
    hessian = second.hessian(compile_program(expr, inputs), inputs, "float64", ("grid",))["grid", "grid"]
    assert all(np.abs(expected[j, :, j, :]).min() > 0 for j in range(2))  # NOTE: each point's block full
    np.testing.assert_allclose(hessian.reshape(4, 4), expected.reshape(4, 4), rtol=1e-11, atol=1e-12)


# --- bicubic interpolation, and the nn.Upsample layers called at once --------------------------------------------


def along(n: int, out: int, mode: str, align: bool, factor: float | None = None) -> np.ndarray:
    """The (out, n) matrix of torch's interpolation along one dim: source position i (n - 1)/(out - 1) with
    align_corners, else (i + 0.5) s - 0.5 with s = 1/scale_factor (n/out without one); bicubic reads the taps
    floor - 1 .. floor + 2 clamped into the input, weighted by keys; bilinear the two around (its source clamped at 0)."""
    matrix, scale = np.zeros((out, n)), 1 / factor if factor else n / out
    for i in range(out):
        source = i * (n - 1) / (out - 1) if align else (i + 0.5) * scale - 0.5
        if mode == "nearest":
            matrix[i, min(int(np.floor(i * scale)), n - 1)] = 1.0
        elif mode == "bicubic":
            for tap in range(int(np.floor(source)) - 1, int(np.floor(source)) + 3):
                matrix[i, min(max(tap, 0), n - 1)] += keys(source - tap)[0]
        else:
            source = max(source, 0.0)
            low = min(int(np.floor(source)), n - 1)
            matrix[i, low] += 1 - (source - low)
            matrix[i, min(low + 1, n - 1)] += source - low
    return matrix


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("expr", "size", "mode", "align", "factor"),
    [
        ("nn.Upsample(size=(5, 3), mode='bicubic', align_corners=True)(x)", (5, 3), "bicubic", True, None),
        ("F.interpolate(x, scale_factor=1.5, mode='bicubic', align_corners=True)", (4, 6), "bicubic", True, None),
        ("torch.nn.Upsample(None, 1.5, 'bicubic')(x)", (4, 6), "bicubic", False, 1.5),
        ("F.interpolate(x, size=(2, 7), mode='bicubic')", (2, 7), "bicubic", False, None),
        ("nn.UpsamplingBilinear2d(scale_factor=2)(x)", (6, 8), "bilinear", True, None),
        ("nn.UpsamplingNearest2d((5, 6))(x)", (5, 6), "nearest", False, None),
    ],
)
def test_interpolation_matrices(engine: str, expr: str, size: tuple[int, int], mode: str, align: bool, factor: float | None) -> None:
    """Each of these is separable: out = M_h x M_w^T, M the matrix along each dim; the gradient of <out, m> is
    M_h^T m M_w. nn.Upsample(...)(x) is F.interpolate(x, ...) with the constructor's arguments, as torch's forward."""
    m_h, m_w = along(3, size[0], mode, align, factor), along(4, size[1], mode, align, factor)
    m = np.arange(1.0, 2 * size[0] * size[1] + 1).reshape(1, 2, *size) / 10
    value = float((m_h @ X4 @ m_w.T * m).sum())
    assert_closed_form(engine, f"({expr} * m).sum()", {"x": X4, "m": m}, value, {"x": m_h.T @ m @ m_w})


def test_only_parameter_free_layers_are_called_at_once() -> None:
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"only named functions can be called \(and the layers nn.Upsample"):
        make_problem("nn.Linear(4, 2)(x)", x=X4)


# --- the audit's cheap ones: batched solves, per-element repeats, np.append, np.fabs, reductions over tuples ---------

S = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.8]])
STACK = np.stack([S, np.array([[1.2, -0.4, 0.0], [0.5, 2.0, 0.3], [0.2, 0.1, 0.9]])])


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_over_a_stack_of_matrices(engine: str) -> None:
    """X_i = A_i^-1 B_i; for <X, W> the gradients are A_i^-T W_i in B_i and -A_i^-T W_i X_i^T in A_i. torch reads B of
    A's shape less its last dim as a stack of vectors; left=False solves X A = B, X = B A^-1, whose gradients are
    W A^-T in B and -X^T W A^-T in A."""
    b = RNG.normal(size=(2, 3, 2))
    v = RNG.normal(size=(2, 3))
    w, u, z = RNG.normal(size=(2, 3, 2)), RNG.normal(size=(2, 3)), RNG.normal(size=(2, 2, 3))
    inverse = np.linalg.inv(STACK)
    x = inverse @ b
    y = np.einsum("bij,bj->bi", inverse, v)
    left = b.swapaxes(-1, -2) @ inverse  # (2, 2, 3): rows of X A = B^T
    value = float((x * w).sum() + (y * u).sum() + (left * z).sum())
    t = inverse.swapaxes(-1, -2)
    grad_a = -t @ w @ x.swapaxes(-1, -2) - np.einsum("bij,bj,bk->bik", t, u, y) - left.swapaxes(-1, -2) @ z @ t
    grad_b = t @ w + (z @ t).swapaxes(-1, -2)
    expr = "(torch.linalg.solve(a, b) * w).sum() + (torch.linalg.solve(a, v) * u).sum() + (torch.linalg.solve(a, b.mT, left=False) * z).sum()"
    grads = {"a": grad_a, "b": grad_b, "v": np.einsum("bji,bj->bi", inverse, u)}
    assert_closed_form(engine, expr, {"a": STACK, "b": b, "v": v, "w": w, "u": u, "z": z}, value, grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_numpy_solve_broadcasts_one_right_hand_side_over_the_stack(engine: str) -> None:
    """np.linalg.solve(a (2, 3, 3), b (3, 2)): b a matrix (numpy 2 reads only a 1-D b as a vector), solved against each
    a_i; the gradient in b sums the stack's A_i^-T W_i."""
    b, w = RNG.normal(size=(3, 2)), RNG.normal(size=(2, 3, 2))
    inverse = np.linalg.inv(STACK)
    value = float((inverse @ b * w).sum())
    assert_closed_form(engine, "(np.linalg.solve(a, b) * w).sum()", {"a": STACK, "b": b, "w": w}, value, {"b": (inverse.swapaxes(-1, -2) @ w).sum(0)})


X34 = np.array([[0.5, -1.2, 2.0, 0.3], [1.5, 0.3, -0.7, 0.9], [-0.4, 1.1, 0.6, -2.0]])


@pytest.mark.parametrize("engine", ENGINES)
def test_repeats_per_element_append_and_fabs(engine: str) -> None:
    """np.repeat(x, [1, 2, 0], axis=0) squared and summed: each row's squares times its count (gradient 2 x count);
    torch.repeat_interleave(x, tensor([1, 2, 0, 3]), dim=1) the same along columns; np.append(x, x[:1]) flattened
    counts row 0 twice; np.fabs is |x|."""
    rows, columns = np.array([1.0, 2.0, 0.0])[:, None], np.array([1.0, 2.0, 0.0, 3.0])
    value = float((rows * X34**2).sum() + (columns * X34**2).sum() + X34.sum() + X34[0].sum() + np.abs(X34).sum())
    grad = 2 * X34 * rows + 2 * X34 * columns + 1 + np.array([1.0, 0.0, 0.0])[:, None] + np.sign(X34)
    expr = (
        "(np.repeat(x, [1, 2, 0], axis=0) ** 2).sum() + (torch.repeat_interleave(x, torch.tensor([1, 2, 0, 3]), dim=1) ** 2).sum()"
        " + np.append(x, x[:1]).sum() + np.fabs(x).sum()"
    )
    assert_closed_form(engine, expr, {"x": X34}, value, {"x": grad})


def test_repeats_must_match_the_elements() -> None:
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"one whole number >= 0 for each of the 3 elements"):
        make_problem("np.repeat(x, [1, 2], axis=0)", x=X34)


@pytest.mark.parametrize("engine", ENGINES)
def test_max_min_and_prod_over_a_tuple_of_dims(engine: str) -> None:
    """np.max(x, (0, 1)) is the largest element (gradient 1 there); np.min(x, axis=(1,)) is min along 1; np.prod
    over (0, 1) has gradient prod / x; torch.amax over (0, 2) of a stack with keepdim, each column's largest of both
    layers. (Ties are the verdict's: reported, not compared.)"""
    stack = np.stack([X34, X34[::-1] * 0.9])
    value = X34.max() + X34.min(1).sum() + X34.prod() + stack.max((0, 2)).sum()
    grad = np.zeros_like(X34)
    grad[np.unravel_index(X34.argmax(), X34.shape)] += 1.0
    grad[range(3), X34.argmin(1)] += 1.0
    grad += X34.prod() / X34
    for i in range(3):  # row i of the stack's max over (0, 2): layer 0's row i, or layer 1's (row 2 - i of x, times 0.9)
        layer, column = np.unravel_index(stack[:, i].argmax(), (2, 4))
        grad[i if layer == 0 else 2 - i, column] += 1.0 if layer == 0 else 0.9
    expr = "np.max(x, (0, 1)) + np.min(x, axis=(1,)).sum() + np.prod(x, (0, 1)) + torch.amax(torch.stack([x, x.flip(0) * 0.9]), (0, 2), keepdim=True).sum()"
    assert_closed_form(engine, expr, {"x": X34}, value, {"x": grad})


# --- jax.lax spellings whose numpy name means something else ------------------------------------------------------


def logistic(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_spellings(engine: str) -> None:
    """lax.max/min are elementwise (numpy's max is a reduction); lax.cumsum(x, axis) and lax.cumprod (not flattened);
    lax.logistic is the sigmoid; lax.integer_pow, lax.rem (C's fmod: the dividend's sign), lax.select(pred, a, b),
    lax.reduce_sum/max over axes, lax.rev, lax.top_k (the 2 largest of each row), lax.batch_matmul."""
    x = X34
    value = (
        (np.maximum(x, 0.2) * logistic(x)).sum() + np.minimum(x, x * 0.5).sum() + (x.cumsum(1) ** 2).sum() + x.cumprod(0).sum()
        + (x**3).sum() + np.fmod(x, 0.8).sum() + np.where(x > 0, x, 2 * x).sum() + x.sum(0) @ np.arange(4.0) + x.max()
        + x[::-1, ::-1][0] @ np.arange(4.0) + np.sort(x, 1)[:, -2:].sum() + (x @ x.T).sum()
    )  # fmt: skip
    s = logistic(x)
    grad = (
        np.where(x > 0.2, s, 0.0) + np.maximum(x, 0.2) * s * (1 - s) + np.where(x < 0, 1.0, 0.5)
        + 2 * np.cumsum(x.cumsum(1)[:, ::-1], 1)[:, ::-1] + np.stack([1 + x[1] + x[1] * x[2], x[0] * (1 + x[2]), x[0] * x[1]])
        + 3 * x**2 + 1 + np.where(x > 0, 1.0, 2.0) + np.arange(4.0) + 2 * x.sum(0)
    )  # fmt: skip
    grad[np.unravel_index(x.argmax(), x.shape)] += 1
    grad[2, ::-1] += np.arange(4.0)
    grad[np.arange(3)[:, None], np.argsort(x, 1)[:, -2:]] += 1
    text = (
        "from jax import lax\n"
        "out = (lax.max(x, 0.2) * lax.logistic(x)).sum() + lax.min(x, x * 0.5).sum() + (lax.cumsum(x, 1) ** 2).sum()"
        " + lax.cumprod(x, axis=0).sum() + lax.integer_pow(x, 3).sum() + lax.rem(x, 0.8).sum() + lax.select(x > 0, x, x * 2).sum()"
        " + lax.reduce_sum(x, (0,)) @ np.arange(4.0) + lax.reduce_max(x, (0, 1)) + lax.rev(x, (0, 1))[0] @ np.arange(4.0)"
        " + lax.top_k(x, 2)[0].sum() + lax.batch_matmul(x[None], x.T[None]).sum()"
    )
    assert_closed_form(engine, text, {"x": x}, float(value), {"x": grad})


# --- index_put and erfcx ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_index_put(engine: str) -> None:
    """index_put(x, (rows,), v): rows 0 and 2 replaced by v, so sum(out^2) takes 2x from row 1 only and 2v from v;
    with accumulate, (0, 1) twice and (2, 3) once get u added, sum(out * w) giving w to x and w at each place to u;
    a mask written as a comparison picks its true rows (0 and 1), each taking r."""
    v, u, r = RNG.normal(size=(2, 4)), np.array([0.3, -0.8, 1.1]), np.array([0.2, -0.4, 0.6, 1.0])
    w = np.arange(1.0, 13.0).reshape(3, 4) / 6
    kept = np.array([0.0, 1.0, 0.0])[:, None]
    masked = np.array([0.0, 0.0, 1.0])[:, None]  # rows 0 and 1 have x[:, 0] > 0
    value = (X34[1] ** 2).sum() + (v**2).sum() + (X34 * w).sum() + (u[0] + u[2]) * w[0, 1] + u[1] * w[2, 3] + (X34[2] ** 2).sum() + 2 * (r**2).sum()
    expr = (
        "torch.index_put(x, (torch.tensor([0, 2]),), v).pow(2).sum()"
        " + (x.index_put((torch.tensor([0, 2, 0]), torch.tensor([1, 3, 1])), u, accumulate=True) * w).sum()"
        " + x.index_put((x[:, 0] > 0,), r).pow(2).sum()"
    )
    grads = {"x": 2 * X34 * kept + w + 2 * X34 * masked, "v": 2 * v, "u": np.array([w[0, 1], w[2, 3], w[0, 1]]), "r": 4 * r}
    assert_closed_form(engine, expr, {"x": X34, "v": v, "u": u, "r": r, "w": w}, float(value), grads)


def test_index_put_refuses_a_place_written_twice() -> None:
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"writes one position twice without accumulate=True"):
        make_problem("x.index_put((torch.tensor([0, 0]),), x[1])", x=X34)


# --- einsum with '...', and dims written None ---------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_einsum_with_an_ellipsis(engine: str) -> None:
    """'...ij,...jk->...ik' is a matmul over the stack (b broadcast: it has no '...' dims); '...i,...i' the rowwise dot,
    its implicit output the '...' dims; 'ij...,jk' puts the '...' dims first in its implicit output, as numpy and torch."""
    a, b, w = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4, 2)), RNG.normal(size=(2, 3, 2))
    c, d, v = RNG.normal(size=(3, 2, 2)), RNG.normal(size=(2, 5)), RNG.normal(size=(2, 3, 5))
    value = ((a @ b) * w).sum() + (a * a).sum() + np.einsum("ijz,jk,zik->", c, d, v)
    grads = {"a": w @ b.T + 2 * a, "b": np.einsum("zij,zik->jk", a, w), "c": np.einsum("jk,zik->ijz", d, v), "d": np.einsum("ijz,zik->jk", c, v)}
    expr = "(np.einsum('...ij,...jk->...ik', a, b) * w).sum() + np.einsum('...i,...i', a, a).sum() + (torch.einsum('ij...,jk', c, d) * v).sum()"
    assert_closed_form(engine, expr, {"a": a, "b": b, "w": w, "c": c, "d": d, "v": v}, float(value), grads)


def test_einsum_refuses_ellipsis_dims_that_broadcast() -> None:
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"'\.\.\.' dims that broadcast \(1 and 3\)"):
        make_problem("np.einsum('...i,...i', x[:1], x)", x=X34)


@pytest.mark.parametrize("engine", ENGINES)
def test_dims_written_none(engine: str) -> None:
    """dim=None (axis=None) is the default written out: over every element."""
    x = X34
    value = 2 * x.sum() + x.mean() + x.max()
    grad = 2 + np.full_like(x, 1 / 12) + (x == x.max())
    expr = "torch.sum(x, dim=None) + np.sum(x, axis=None) + torch.mean(x, dim=None, keepdim=False) + np.max(x, axis=None)"
    assert_closed_form(engine, expr, {"x": x}, float(value), {"x": grad})


# --- the matrix exponential -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_matrix_exp_of_a_rotation_generator(engine: str) -> None:
    """exp(t J), J = [[0, -1], [1, 0]], is the rotation by t: [[cos t, -sin t], [sin t, cos t]], its derivative in t
    [[-sin t, -cos t], [cos t, -sin t]]."""
    t, w = np.array(1.3), np.array([[0.5, -1.0], [2.0, 0.7]])
    c, s = math.cos(1.3), math.sin(1.3)
    value = float((np.array([[c, -s], [s, c]]) * w).sum())
    grad = float((np.array([[-s, -c], [c, -s]]) * w).sum())
    expr = "(torch.matrix_exp(t * torch.tensor([[0.0, -1.0], [1.0, 0.0]])) * w).sum()"
    assert_closed_form(engine, expr, {"t": t, "w": w}, value, {"t": grad})


def test_the_hessian_of_a_rotation() -> None:
    """d^2/dt^2 of <exp(t J), W> is <J^2 exp(t J), W> = -<exp(t J), W>."""
    from verifygrad.engines import numpy_second_order as second
    from verifygrad.language.statements import compile_program

    inputs = {"t": np.array(1.3), "w": np.array([[0.5, -1.0], [2.0, 0.7]])}
    c, s = math.cos(1.3), math.sin(1.3)
    expr = "(torch.linalg.matrix_exp(t * torch.tensor([[0.0, -1.0], [1.0, 0.0]])) * w).sum()"
    hessian = second.hessian(compile_program(expr, inputs), inputs, "float64", ("t",))["t", "t"]
    np.testing.assert_allclose(hessian, -(np.array([[c, -s], [s, c]]) * inputs["w"]).sum(), rtol=1e-12)


# --- np.array of computed values ------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_np_array_of_computed_values(engine: str) -> None:
    """np.array([x00, 2 x11, 3]) squared and summed: 2 x00 and 8 x11; a nested list is stacked level by level (its
    product's gradient is the product over each factor); rows stack as rows. jnp.array in a JAX program alike."""
    x = X34
    p = x[0, 1] * x[2, 2] * x[1, 0]
    value = x[0, 0] ** 2 + 4 * x[1, 1] ** 2 + 9 + p + x[0].sum() + x[2].sum() + x[1, 2] ** 2
    grad = np.zeros_like(x)
    grad[0, 0], grad[1, 1] = 2 * x[0, 0], 8 * x[1, 1]
    grad[0, 1], grad[2, 2], grad[1, 0] = p / x[0, 1], p / x[2, 2], p / x[1, 0]
    grad[[0, 2]] += 1
    grad[1, 2] += 2 * x[1, 2]
    text = (
        "import jax.numpy as jnp\n"
        "out = (np.array([x[0, 0], x[1, 1] * 2, 3.0]) ** 2).sum() + np.array([[x[0, 1], x[2, 2]], [1.0, x[1, 0]]]).prod()"
        " + np.array([x[0], x[2]]).sum() + (jnp.array((x[1, 2],)) ** 2).sum()"
    )
    assert_closed_form(engine, text, {"x": x}, float(value), {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_np_r_and_c(engine: str) -> None:
    """np.r_[x0, x12, x2] joins into one vector (the number as one element): its squares' gradient 2x there;
    np.c_[a, b] puts 1-D a and b side by side as columns, so sum(c_[x0, x1] * c_[x2, x0]) = x0.x2 + x1.x0; a 2-D item
    keeps its columns (c_[x[:, :2], x[:, 3]])."""
    x = X34
    value = (x[0] ** 2).sum() + x[1, 2] ** 2 + (x[2] ** 2).sum() + x[0] @ x[2] + x[1] @ x[0] + (x[:, [0, 1, 3]] ** 2).sum()
    grad = np.zeros_like(x)
    grad[0] += 2 * x[0] + x[2] + x[1]
    grad[1, 2] += 2 * x[1, 2]
    grad[2] += 2 * x[2] + x[0]
    grad[1] += x[0]
    grad[:, [0, 1, 3]] += 2 * x[:, [0, 1, 3]]
    expr = "(np.r_[x[0], x[1, 2], x[2]] ** 2).sum() + (np.c_[x[0], x[1]] * np.c_[x[2], x[0]]).sum() + (np.c_[x[:, :2], x[:, 3]] ** 2).sum()"
    assert_closed_form(engine, expr, {"x": x}, float(value), {"x": grad})


def test_a_list_where_a_whole_number_goes_is_an_error_not_a_crash() -> None:
    """lax.slice(x, starts, limits) reads as numpy's name, which has none: torch's aten slice then gets tuples where its
    dim goes, and says so (it raised a TypeError inside before)."""
    from tests.helpers import make_problem

    with pytest.raises(ExprError, match=r"slice\(\) takes dim as a whole number"):
        make_problem("torch.ops.aten.slice(x, (0, 1), (2, 3))", x=X34)


@pytest.mark.parametrize("engine", ENGINES)
def test_np_expand_dims_over_a_tuple_of_axes(engine: str) -> None:
    """np.expand_dims(x, (0, 2)) is x (3, 4) as (1, 3, 1, 4), axis=(-1, 0) as (1, 3, 4, 1): the same elements, so
    <out, w> has the gradient w reshaped back."""
    w1, w2 = RNG.normal(size=(1, 3, 1, 4)), RNG.normal(size=(1, 3, 4, 1))
    value = float((X34 * w1[0, :, 0]).sum() + (X34 * w2[0, :, :, 0]).sum())
    expr = "(np.expand_dims(x, (0, 2)) * w1).sum() + (np.expand_dims(x, axis=(-1, 0)) * w2).sum()"
    assert_closed_form(engine, expr, {"x": X34, "w1": w1, "w2": w2}, value, {"x": w1[0, :, 0] + w2[0, :, :, 0]})
