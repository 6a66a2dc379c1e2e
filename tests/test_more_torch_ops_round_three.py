"""torch's ops of the third round (issue 21): fft's shifts (the transforms themselves are refused: complex numbers),
fill and zero_, nan_to_num, channel_shuffle, linalg.vander, linear_cross_entropy. Each against a closed form written
from torch's documentation, in every engine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_closed_form, make_problem
from verifygrad.language.syntax import ExprError

RNG = np.random.default_rng(2171)
X = RNG.normal(size=(3, 4))
ENGINES = ["numpy", "torch", "fd", "sympy"]


def weights(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(1.0, np.prod(shape) + 1).reshape(shape) / 5


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("expr", "shift"), [("torch.fft.fftshift(x)", (1, 2)), ("torch.fft.ifftshift(x, dim=(0,))", (-1, 0)),
                                             ("torch.fft.fftshift(x, dim=1)", (0, 2))])  # fmt: skip
def test_fft_shifts_roll_by_half_of_each_dim(engine: str, expr: str, shift: tuple[int, int]) -> None:
    """fftshift of 3x4 rolls dim 0 by 1 and dim 1 by 2 (half, rounded down); ifftshift rolls back, by -1 along 3."""
    out = np.roll(X, shift, axis=(0, 1))
    w = weights(out.shape)
    assert_closed_form(engine, f"({expr} * w).sum()", {"x": X, "w": w}, float((out * w).sum()), {"x": np.roll(w, tuple(-s for s in shift), axis=(0, 1))})


def test_fourier_transforms_are_refused_as_complex() -> None:
    for call in ("torch.fft.fft(x)", "torch.fft.irfft(x)", "torch.fft.hfft2(x)", "torch.stft(x[0], n_fft=2, return_complex=False)"):
        with pytest.raises(ExprError, match=r"not supported yet: .*\(complex numbers\)"):
            make_problem(f"{call}.sum()", x=X)


@pytest.mark.parametrize("engine", ["numpy", "torch"])  # NOTE: a nan input has no exact value, nor a finite difference
def test_fill_zero_and_nan_to_num(engine: str) -> None:
    """fill and zero_ give constants (no gradient); nan_to_num is x where finite, the numbers given elsewhere."""
    y = np.array([1.5, np.nan, np.inf, -np.inf, -0.5])
    expr = "torch.fill(x, 2.5).sum() + torch.zero_(x).sum() + (torch.nan_to_num(y, nan=7.0, posinf=100.0) * v).sum() + torch.nan_to_num(y)[0]"
    v = np.array([1.0, 2.0, 3.0, 1e-300, 5.0])
    value = 2.5 * 12 + (1.5 * 1.0 + 7.0 * 2.0 + 100.0 * 3.0 - np.finfo(np.float64).max * 1e-300 - 0.5 * 5.0) + 1.5
    assert_closed_form(engine, expr, {"x": X, "y": y, "v": v}, value, {"x": np.zeros((3, 4)), "y": np.array([2.0, 0.0, 0.0, 0.0, 5.0])})


@pytest.mark.parametrize("engine", ENGINES)
def test_channel_shuffle_interleaves_the_groups(engine: str) -> None:
    """6 channels in 2 groups: out channel k * 2 + g is in channel g * 3 + k, so the order is (0, 3, 1, 4, 2, 5)."""
    x = RNG.normal(size=(2, 6, 3))
    order = [0, 3, 1, 4, 2, 5]
    w = weights(x.shape)
    grad = np.zeros_like(x)
    grad[:, order] = w
    assert_closed_form(engine, "(F.channel_shuffle(x, 2) * w).sum()", {"x": x, "w": w}, float((x[:, order] * w).sum()), {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_vander_holds_increasing_powers(engine: str) -> None:
    """Column k is x**k; its derivative k x**(k-1), 0 for k = 0, exact at x = 0."""
    x = np.array([1.5, 0.0, -2.0])
    w = weights((3, 4))
    powers = x[:, None] ** np.arange(4)
    derivative = np.arange(4) * np.where(np.arange(4) > 0, x[:, None] ** np.maximum(np.arange(4) - 1, 0), 0.0)
    assert_closed_form(engine, "(torch.linalg.vander(x, N=4) * w).sum()", {"x": x, "w": w}, float((powers * w).sum()), {"x": (derivative * w).sum(1)})


@pytest.mark.parametrize("engine", ENGINES)
def test_linear_cross_entropy_is_cross_entropy_of_the_linear_map(engine: str) -> None:
    """mean over samples of logsumexp(z) - z[target], z = x W^T + b; dz = softmax(z) - onehot, over N."""
    x, weight, bias = X[:, :3], RNG.normal(size=(5, 3)), RNG.normal(size=(5,))
    target = np.array([4.0, 0.0, 2.0])
    z = x @ weight.T + bias
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    onehot = np.eye(5)[target.astype(int)]
    value = float(np.mean(-np.log(p[np.arange(3), target.astype(int)])))
    dz = (p - onehot) / 3
    expr = "F.linear_cross_entropy(x, w, t, linear_bias=b)"
    assert_closed_form(engine, expr, {"x": x, "w": weight, "t": target, "b": bias}, value, {"x": dz @ weight, "w": dz.T @ x, "b": dz.sum(0)})


S = np.array([[0.3, -1.2, 2.5, 0.9, -0.4], [1.1, 0.2, -0.7, 3.0, 0.6], [-2.0, 0.8, 0.1, -0.3, 1.4]])


def rank_gradient(shape: tuple[int, ...], picks: list[tuple[tuple[int, int], float]]) -> np.ndarray:
    grad = np.zeros(shape)
    for where, share in picks:
        grad[where] += share
    return grad


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("interpolation", "result"), [("linear", np.quantile(S, 0.3, axis=1)), ("lower", np.quantile(S, 0.3, axis=1, method="lower")),
                                                       ("higher", np.quantile(S, 0.3, axis=1, method="higher")),
                                                       ("midpoint", np.quantile(S, 0.3, axis=1, method="midpoint"))])  # fmt: skip
def test_quantile_interpolates_between_the_neighbouring_ranks(engine: str, interpolation: str, result: np.ndarray) -> None:
    """Rank 0.3 * 4 = 1.2 of each row sorted: linear takes 0.8 of rank 1 and 0.2 of rank 2, lower rank 1, higher rank
    2, midpoint half of each; the gradient goes to the elements at those ranks."""
    ordered = np.argsort(S, axis=1)
    share = {"linear": (0.8, 0.2), "lower": (1.0, 0.0), "higher": (0.0, 1.0), "midpoint": (0.5, 0.5)}[interpolation]
    w = np.array([1.0, -2.0, 0.5])
    grad = rank_gradient(S.shape, [((row, ordered[row, rank]), w[row] * part) for row in range(3) for rank, part in zip((1, 2), share)])
    expr = f"(torch.quantile(s, 0.3, dim=1, interpolation='{interpolation}') * w).sum()"
    assert_closed_form(engine, expr, {"s": S, "w": w}, float((result * w).sum()), {"s": grad})


@pytest.mark.parametrize("engine", ["numpy", "torch"])  # NOTE: a nan input has no exact value, nor a finite difference
def test_nanquantile_and_nanmedian_skip_nan(engine: str) -> None:
    """Row 0 without its nan is (0.3, 2.5, 0.9, -0.4): its median (rank 0.5 * 3 = 1.5) is (0.3 + 0.9) / 2 and its lower
    median 0.3; row 1 has no nan."""
    s = S[:2].copy()
    s[0, 1] = np.nan
    expr = "torch.nanquantile(s, 0.5, dim=1).sum() + torch.nanmedian(s, dim=1).values.sum() * 3"
    value = (0.3 + 0.9) / 2 + 0.6 + (0.3 + 0.6) * 3
    grad = rank_gradient(s.shape, [((0, 0), 0.5 + 3), ((0, 3), 0.5), ((1, 4), 1.0 + 3)])
    assert_closed_form(engine, expr, {"s": s}, value, {"s": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_positional_unbiased_and_keepdim_of_var_and_std(engine: str) -> None:
    """torch.var(x, False) divides by n; torch.std(x, 1, True, True) is unbiased along dim 1, the dim kept."""
    n = X.size
    population = X.var()
    rows = X.std(1, ddof=1, keepdims=True)
    w = weights(rows.shape)
    grad_population = 2 * (X - X.mean()) / n
    grad_rows = w * (X - X.mean(1, keepdims=True)) / (3 * rows)
    expr = "torch.var(x, False) + (torch.std(x, 1, True, True) * w).sum()"
    assert_closed_form(engine, expr, {"x": X, "w": w}, float(population + (rows * w).sum()), {"x": grad_population + grad_rows})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("causal", [False, True])
def test_scaled_dot_product_attention(engine: str, causal: bool) -> None:
    """O = P V, P = softmax(Q K^T / sqrt(d)) over keys (with is_causal, key j > query i weighs 0);
    dV = P^T W, dS = P (W V^T - rowsum(P W V^T)), dQ = dS K / sqrt(d), dK = dS^T Q / sqrt(d)."""
    q, k, v = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3)), RNG.normal(size=(4, 2))
    scores = q @ k.T / np.sqrt(3)
    kept = np.tril(np.ones((2, 4))) if causal else np.ones((2, 4))
    p = np.where(kept > 0, np.exp(scores - scores.max(1, keepdims=True)), 0.0)
    p /= p.sum(1, keepdims=True)
    w = weights((2, 2))
    dp = w @ v.T
    ds = p * (dp - (dp * p).sum(1, keepdims=True))
    expr = f"(F.scaled_dot_product_attention(q, k, v, is_causal={causal}) * w).sum()"
    grads = {"q": ds @ k / np.sqrt(3), "k": ds.T @ q / np.sqrt(3), "v": p.T @ w}
    assert_closed_form(engine, expr, {"q": q, "k": k, "v": v, "w": w}, float((p @ v * w).sum()), grads)


def test_attention_dropout_is_refused_as_random() -> None:
    with pytest.raises(ExprError, match="dropout_p > 0 draws an unseeded random mask"):
        make_problem("F.scaled_dot_product_attention(q, q, q, dropout_p=0.1).sum()", q=X)


@pytest.mark.parametrize("engine", ["numpy", "torch"])  # NOTE: a -inf input has no exact value, nor a finite difference
def test_safe_softmax_gives_zeros_along_a_slice_of_minus_inf(engine: str) -> None:
    """Column 0 is softmax((0.5, -inf)) = (1, 0); column 1, all -inf, is 0 (softmax's nan there); column 2 a plain
    softmax, whose gradient of <p, w> is p (w - <p, w>)."""
    x = np.array([[0.5, -np.inf, 1.0], [-np.inf, -np.inf, -0.5]])
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    p = np.exp([1.0, -0.5]) / np.exp([1.0, -0.5]).sum()
    grad = np.zeros((2, 3))
    grad[:, 2] = p * (w[:, 2] - p @ w[:, 2])
    expr = "(torch.ops.aten._safe_softmax.default(x, 0) * w).sum()"
    assert_closed_form(engine, expr, {"x": x, "w": w}, float(1.0 * 1.0 + p @ w[:, 2]), {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_aten_slice_and_native_dropout_backward(engine: str) -> None:
    """torch.ops.aten.slice.Tensor(x, 1, 1, -1, 2) is x[:, 1:-1:2]; native_dropout_backward(g, mask, 2) is g * mask * 2."""
    mask = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 0.0]])
    w = weights((3, 1))
    expr = "(torch.ops.aten.slice.Tensor(x, 1, 1, -1, 2) * w).sum() + torch.ops.aten.native_dropout_backward.default(x, m, 2.0).sum()"
    grad = 2 * mask
    grad[:, 1:2] += w
    value = float((X[:, 1:-1:2] * w).sum() + (X * mask * 2).sum())
    assert_closed_form(engine, expr, {"x": X, "m": mask, "w": w}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_nll_and_cross_entropy_with_class_weights_and_an_ignored_class(engine: str) -> None:
    """nll_loss(x, t, weight=w): sum_i -w[t_i] x[i, t_i] / sum_i w[t_i]; cross_entropy(z, t, ignore_index=2) averages
    -log softmax(z)[i, t_i] over the samples whose class is not 2."""
    x, z = X[:, :3], X[:, 1:]
    t = np.array([2.0, 0.0, 2.0])
    w = np.array([0.5, 1.0, 2.0])
    nll = -(w[[2, 0, 2]] * x[[0, 1, 2], [2, 0, 2]]).sum() / w[[2, 0, 2]].sum()
    grad_x = np.zeros((3, 3))
    grad_x[[0, 1, 2], [2, 0, 2]] = -w[[2, 0, 2]] / w[[2, 0, 2]].sum()
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    ce = -np.log(p[1, 0])  # samples 0 and 2 are class 2: ignored
    grad_z = np.zeros((3, 3))
    grad_z[1] = p[1] - np.eye(3)[0]
    grad_total = np.zeros((3, 4))
    grad_total[:, :3] += grad_x
    grad_total[:, 1:] += grad_z
    expr = "F.nll_loss(x[:, :3], t, weight=w) + F.cross_entropy(x[:, 1:], t, ignore_index=2)"
    assert_closed_form(engine, expr, {"x": X, "t": t, "w": w}, float(nll + ce), {"x": grad_total})


@pytest.mark.parametrize("engine", ENGINES)
def test_masked_select_and_masked_scatter(engine: str) -> None:
    """masked_select(x, m) is x's elements where m (a row, broadcast over x) is 1, in order; masked_scatter(x, m, s)
    puts s's first elements there, x elsewhere: x's gradient where m is 0, s's at its first elements."""
    row = np.array([1.0, 0.0, 0.0, 1.0])
    kept = np.broadcast_to(row, X.shape) > 0
    source = np.arange(1.0, 9.0).reshape(2, 4) / 4
    w = weights((6,))
    v = weights((3, 4))
    scattered = X.copy()
    scattered[kept] = source.reshape(-1)[:6]
    value = float((X[kept] * w).sum() + (scattered * v).sum())
    grad_x = np.zeros((3, 4))
    grad_x[kept] = w
    grad_x[~kept] += v[~kept]
    grad_s = np.zeros(8)
    grad_s[:6] = v[kept]
    expr = "(torch.masked_select(x, m) * w).sum() + (torch.masked_scatter(x, m, s) * v).sum()"
    assert_closed_form(engine, expr, {"x": X, "m": row, "s": source, "w": w, "v": v}, value, {"x": grad_x, "s": grad_s.reshape(2, 4)})


@pytest.mark.parametrize("engine", ENGINES)
def test_take_along_dim_broadcasts_and_flattens_without_a_dim(engine: str) -> None:
    """A (1, 4) x with (3, 2) indices along dim 1: x's row broadcast to 3 rows, each taking its two positions; without
    a dim, positions in the flattened x (gradients add up where a position repeats)."""
    row = X[:1]
    index = np.array([[0.0, 3.0], [2.0, 2.0], [1.0, 0.0]])
    w = weights((3, 2))
    taken = row[0][index.astype(int)]
    grad = np.zeros((1, 4))
    np.add.at(grad[0], index.astype(int), w)
    flat = np.array([5.0, 11.0, 5.0])
    expr = "(torch.take_along_dim(r, i, 1) * w).sum() + (torch.take_along_dim(x, f) * v).sum()"
    v = np.array([1.0, 2.0, 3.0])
    grad_x = np.zeros(12)
    np.add.at(grad_x, flat.astype(int), v)
    value = float((taken * w).sum() + (X.reshape(-1)[flat.astype(int)] * v).sum())
    assert_closed_form(engine, expr, {"r": row, "i": index, "w": w, "x": X, "f": flat, "v": v}, value, {"r": grad, "x": grad_x.reshape(3, 4)})


@pytest.mark.parametrize("engine", ENGINES)
def test_renorm_scales_the_slices_above_maxnorm(engine: str) -> None:
    """renorm(x, 2, 0, 1.5): row r with ||r|| > 1.5 becomes r * 1.5 / (||r|| + 1e-7), whose gradient of <., w> is
    c w - c (r . w) r / (||r|| (||r|| + 1e-7)) with c = 1.5 / (||r|| + 1e-7); a row within 1.5 is itself."""
    x = np.array([[0.3, -0.4, 0.5], [1.5, 0.3, -2.0], [0.2, 0.1, 0.0]])
    w = weights((3, 3))
    out, grad = x.copy(), w.copy()
    norm = np.linalg.norm(x[1])
    c = 1.5 / (norm + 1e-7)
    out[1] = x[1] * c
    grad[1] = c * w[1] - c * (x[1] @ w[1]) * x[1] / (norm * (norm + 1e-7))
    assert_closed_form(engine, "(torch.renorm(x, 2, 0, 1.5) * w).sum()", {"x": x, "w": w}, float((out * w).sum()), {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_kron_is_the_block_product(engine: str) -> None:
    """kron(a, b) of (2, 2) and (3,) (padded to (1, 3)): (2, 6), block (i, j) a[i, j] * b; d<., w>/da[i, j] is the
    block of w times b, d/db the sum over blocks of a[i, j] times the block of w."""
    a, b = X[:2, :2], X[2, :3]
    w = weights((2, 6))
    blocks = w.reshape(2, 2, 3)
    assert_closed_form(engine, "(torch.kron(a, b) * w).sum()", {"a": a, "b": b, "w": w}, float((np.kron(a, b) * w).sum()),
                       {"a": blocks @ b, "b": np.einsum("ij,ijk->k", a, blocks)})  # fmt: skip
