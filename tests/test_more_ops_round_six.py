"""The sixth round of issue 21: the Hurwitz zeta function and the regularized incomplete gamma functions (differentiable in
their second argument only, as in torch) with SciPy's gamma/chi2/poisson CDFs built on them, erfcinv; np.pad's statistic
and ramp modes; mixed advanced indexing read by each library's own rule; jax.lax's dot_general, slice, dynamic_slice,
broadcast_in_dim, pad, reduce_window and conv_general_dilated; and the peer tests' np.dot with a scalar, einsum's sublist
form and np.cross's axisa/axisb/axisc. Each against a closed form (or the definition, summed by hand), in every engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import assert_closed_form
from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, prepare
from verifygrad.errors import CaseError

ENGINES = ["numpy", "torch", "fd", "sympy"]
ZETA3 = 1.2020569031595942853997381615114  # Apery's constant, zeta(3)
ZETA5 = 1.0369277551433699263313654864570  # zeta(5)
PI = math.pi
RNG = np.random.default_rng(2026)


# --- zeta and the incomplete gamma functions --------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_hurwitz_zeta_in_q(engine: str) -> None:
    """zeta(s, 1/2) = (2^s - 1) zeta(s), zeta(s, 2) = zeta(s) - 1; d/dq zeta(s, q) = -s zeta(s + 1, q), and zeta(4) = pi^4/90,
    zeta(6) = pi^6/945."""
    q = np.array([0.5, 1.0, 2.0])
    value = 7 * ZETA3 + ZETA5 + (ZETA3 - 1)
    grad = np.array([-3 * 15 * PI**4 / 90, -5 * PI**6 / 945, -3 * (PI**4 / 90 - 1)])
    assert_closed_form(engine, "torch.special.zeta(torch.tensor([3.0, 5.0, 3.0]), q).sum()", {"q": q}, value, {"q": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_scipy_zeta_and_riemanns(engine: str) -> None:
    """scipy.special.zeta(2, q) at q = 1/2, 1, 2: pi^2/2, pi^2/6, pi^2/6 - 1; its q-derivative -2 zeta(3, q); without q,
    Riemann's zeta (zeta(2) + zeta(4), times t)."""
    q, t = np.array([0.5, 1.0, 2.0]), np.array(1.5)
    value = PI**2 / 2 + PI**2 / 6 + PI**2 / 6 - 1 + 1.5 * (PI**2 / 6 + PI**4 / 90)
    grads = {"q": np.array([-14 * ZETA3, -2 * ZETA3, -2 * (ZETA3 - 1)]), "t": np.array(PI**2 / 6 + PI**4 / 90)}
    assert_closed_form(engine, "scipy.special.zeta(2.0, q).sum() + scipy.special.zeta(np.array([2.0, 4.0])).sum() * t", {"q": q, "t": t}, value, grads)


def _incomplete(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(a, x) for a = 1, 1/2, 2 (1 - e^-x, erf(sqrt x), 1 - (1 + x) e^-x) and dP/dx = x^(a-1) e^-x / Gamma(a)."""
    p = np.array([1 - math.exp(-x[0]), math.erf(math.sqrt(x[1])), 1 - (1 + x[2]) * math.exp(-x[2])])
    dp = np.array([math.exp(-x[0]), math.exp(-x[1]) / math.sqrt(PI * x[1]), x[2] * math.exp(-x[2])])
    return p, dp


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "expr",
    [
        "torch.special.gammainc(torch.tensor([1.0, 0.5, 2.0]), x).sum() + 2 * torch.special.gammaincc(torch.tensor([1.0, 0.5, 2.0]), x).sum()",
        "scipy.special.gammainc(np.array([1.0, 0.5, 2.0]), x).sum() + 2 * scipy.special.gammaincc(np.array([1.0, 0.5, 2.0]), x).sum()",
        "torch.igamma(torch.tensor([1.0, 0.5, 2.0]), x).sum() + 2 * torch.igammac(torch.tensor([1.0, 0.5, 2.0]), x).sum()",
    ],
)
def test_regularized_incomplete_gamma(engine: str, expr: str) -> None:
    """P + 2 Q = 2 - P, so the gradient is -dP/dx."""
    x = np.array([0.7, 1.3, 2.1])
    p, dp = _incomplete(x)
    assert_closed_form(engine, expr, {"x": x}, float(np.sum(2 - p)), {"x": -dp})


@pytest.mark.parametrize("engine", ENGINES)
def test_scipy_stats_cdfs_from_the_incomplete_gamma(engine: str) -> None:
    """chi2.cdf(x, 2) = 1 - e^(-x/2); gamma.logsf(x, 2) = log1p(x) - x; poisson.cdf(k, mu) = e^-mu sum_{j <= floor k} mu^j/j!
    (0 for k < 0); gamma.cdf of a negative x is 0, with gradient 0."""
    x = np.array([0.7, 1.3, 2.1])
    value = np.sum(1 - np.exp(-x / 2)) + np.sum(np.log1p(x) - x)
    grad = np.exp(-x / 2) / 2 + 1 / (1 + x) - 1
    m0, m2 = x[0], x[2]
    value += math.exp(-m0) * (1 + m0 + m0**2 / 2) + math.exp(-m2) * (1 + m2 + m2**2 / 2 + m2**3 / 6)
    grad += np.array([-math.exp(-m0) * m0**2 / 2, 0.0, -math.exp(-m2) * m2**3 / 6])
    expr = (
        "scipy.stats.chi2.cdf(x, 2).sum() + scipy.stats.gamma.logsf(x, 2.0).sum() + scipy.stats.poisson.cdf(np.array([2.0, -1.0, 3.5]), x).sum()"
        " + scipy.stats.gamma.cdf(-x, 1.5).sum()"
    )
    assert_closed_form(engine, expr, {"x": x}, float(value), {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_erfcinv(engine: str) -> None:
    """erfcinv(erfc(v)) = v, with slope -sqrt(pi)/2 e^(v^2)."""
    v = np.array([0.5, -0.3])
    y = np.array([math.erfc(0.5), math.erfc(-0.3)])
    assert_closed_form(engine, "scipy.special.erfcinv(y).sum()", {"y": y}, float(v.sum()), {"y": -math.sqrt(PI) / 2 * np.exp(v**2)})


def _refusal(expr: str, inputs: dict, wrt: list[str]) -> str:
    with pytest.raises(CaseError) as raised:
        prepare(Case("refused", expr, inputs, "<test>", 1, wrt=wrt), Overrides())
    return str(raised.value)


@pytest.mark.parametrize(
    "expr",
    ["torch.special.zeta(s, q).sum()", "scipy.special.gammainc(s, q).sum()", "torch.special.gammaincc(s * q, q).sum()", "scipy.stats.gamma.cdf(q, s).sum()"],
)
def test_differentiating_the_first_argument_is_refused(expr: str) -> None:
    """torch implements no derivative in zeta's x nor in the incomplete gamma's a: such a case is an error, never a 0."""
    message = _refusal(expr, {"s": [2.5, 3.0], "q": [1.3, 0.7]}, ["s", "q"])
    assert "differentiable in its second argument only" in message and "\n" not in message


def test_the_first_argument_through_a_step_is_not_refused() -> None:
    """poisson.cdf(k, mu) reads floor(k): no gradient reaches the incomplete gamma's a, so differentiating k is allowed."""
    case = Case("k", "scipy.stats.poisson.cdf(k, mu).sum()", {"k": [2.5, 1.0], "mu": [1.3, 0.7]}, "<test>", 1, wrt=["k", "mu"])
    assert prepare(case, Overrides()).wrt == ("k", "mu")


def test_the_hessians_of_zeta_and_gammainc() -> None:
    """d2/dq2 zeta(3, q) = 12 zeta(5, q) (zeta(5, 1/2) = 31 zeta(5)); d2/dx2 P(a, x) = ((a - 1)/x - 1) x^(a-1) e^-x / Gamma(a)."""
    from verifygrad.engines import numpy_second_order as second
    from verifygrad.language.statements import compile_program

    q = {"q": np.array([0.5, 2.0])}
    hessian = second.hessian(compile_program("torch.special.zeta(torch.tensor([3.0, 3.0]), q).sum()", q), q, "float64", ("q",))["q", "q"]
    np.testing.assert_allclose(hessian, np.diag([12 * 31 * ZETA5, 12 * (ZETA5 - 1)]), rtol=1e-12)
    x = {"x": np.array([1.3, 0.8])}
    hessian = second.hessian(compile_program("torch.special.gammainc(torch.tensor([2.0, 0.5]), x).sum()", x), x, "float64", ("x",))["x", "x"]
    a, v = np.array([2.0, 0.5]), x["x"]
    expected = ((a - 1) / v - 1) * v ** (a - 1) * np.exp(-v) / np.array([1.0, math.sqrt(PI)])
    np.testing.assert_allclose(hessian, np.diag(expected), rtol=1e-12)


# --- np.pad's statistic and ramp modes ------------------------------------------------------------------------------

V3 = np.array([0.3, -1.2, 2.0])
W_PAD = np.array([0.5, -1.0, 2.0, 0.25, 1.5, -0.75, 3.0, 1.25])


@pytest.mark.parametrize("engine", ENGINES)
def test_pad_with_the_mean(engine: str) -> None:
    """np.pad(v, (1, 2), 'mean'): [m, a, b, c, m, m], m the mean of all three."""
    w = W_PAD[:6]
    m = V3.mean()
    value = w[0] * m + w[1:4] @ V3 + (w[4] + w[5]) * m
    grad = w[1:4] + (w[0] + w[4] + w[5]) / 3
    assert_closed_form(engine, "(np.pad(v, (1, 2), 'mean') * w).sum()", {"v": V3, "w": w}, value, {"v": grad, "w": np.array([m, *V3, m, m])})


@pytest.mark.parametrize("engine", ENGINES)
def test_pad_with_the_maximum_and_minimum_of_a_stat_length(engine: str) -> None:
    """maximum over the 2 nearest, (2, 1): [a, a, a, b, c, c] (max(a, b) = a, max(b, c) = c); minimum, stat_length
    (1, 2), (1, 1): [a, a, b, c, b] (min(a) = a, min(b, c) = b)."""
    w = W_PAD[:6]
    value = (w[0] + w[1] + w[2]) * V3[0] + w[3] * V3[1] + (w[4] + w[5]) * V3[2]
    value += (W_PAD[0] + W_PAD[1]) * V3[0] + (W_PAD[2] + W_PAD[4]) * V3[1] + W_PAD[3] * V3[2]
    grad = np.array([w[0] + w[1] + w[2] + W_PAD[0] + W_PAD[1], w[3] + W_PAD[2] + W_PAD[4], w[4] + w[5] + W_PAD[3]])
    expr = "(np.pad(v, (2, 1), mode='maximum', stat_length=2) * w).sum() + (np.pad(v, 1, 'minimum', stat_length=(1, 2)) * u).sum()"
    assert_closed_form(engine, expr, {"v": V3, "w": w, "u": W_PAD[:5]}, value, {"v": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_pad_with_the_median(engine: str) -> None:
    """The median of [0.3, -1.2, 2.0, 0.9] is the mean of 0.3 and 0.9: each end takes half of each pad's weight."""
    v = np.array([0.3, -1.2, 2.0, 0.9])
    w = W_PAD[:6]
    value = (w[0] + w[5]) * 0.6 + w[1:5] @ v
    grad = w[1:5] + np.array([1, 0, 0, 1]) * (w[0] + w[5]) / 2
    assert_closed_form(engine, "(np.pad(v, 1, mode='median') * w).sum()", {"v": v, "w": w}, value, {"v": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_pad_with_a_linear_ramp(engine: str) -> None:
    """(2, 3), end_values (5, -4): before, 5 + (a - 5) i / 2; after, c + (-4 - c)(j + 1) / 3 (numpy's documented example)."""
    a, b, c = V3
    out = np.array([5.0, 5 + (a - 5) / 2, a, b, c, c + (-4 - c) / 3, c + 2 * (-4 - c) / 3, -4.0])
    grad = np.array([W_PAD[2] + W_PAD[1] / 2, W_PAD[3], W_PAD[4] + W_PAD[5] * 2 / 3 + W_PAD[6] / 3])
    expr = "(np.pad(v, (2, 3), 'linear_ramp', end_values=(5, -4)) * w).sum()"
    assert_closed_form(engine, expr, {"v": V3, "w": W_PAD}, float(out @ W_PAD), {"v": grad, "w": out})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", ["mean", "linear_ramp"])
def test_a_2d_pad_goes_axis_by_axis(engine: str, mode: str) -> None:
    """In 2-D each axis's pad reads the array padded along the axes before it (the corners): numpy's own np.pad is the
    reference, and the gradient of this linear map is its adjoint, column by column."""
    x = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]])
    w = RNG.standard_normal((5, 6))
    pad = {"mean": lambda a: np.pad(a, ((1, 2), (2, 1)), mode="mean"), "linear_ramp": lambda a: np.pad(a, ((1, 2), (2, 1)), mode="linear_ramp")}[mode]
    grad = np.array([[np.sum(w * pad(np.eye(1, 6, 3 * i + j).reshape(2, 3))) for j in range(3)] for i in range(2)])
    assert_closed_form(engine, f"(np.pad(x, ((1, 2), (2, 1)), mode='{mode}') * w).sum()", {"x": x, "w": w}, float(np.sum(w * pad(x))), {"x": grad})


# --- mixed advanced indexing ----------------------------------------------------------------------------------------

X564 = RNG.standard_normal((5, 6, 4))


@pytest.mark.parametrize("engine", ENGINES)
def test_torch_reads_an_int_beside_a_list_first(engine: str) -> None:
    """torch: x[3, 2:, [1, 3]] is x[3][2:, [1, 3]], of shape (4, 2): w[i, k] times sin(x[3, 2 + i, (1, 3)[k]])."""
    w = RNG.standard_normal((4, 2))
    grad = np.zeros_like(X564)
    for i in range(4):
        for k, col in enumerate((1, 3)):
            grad[3, 2 + i, col] = w[i, k] * math.cos(X564[3, 2 + i, col])
    value = sum(w[i, k] * math.sin(X564[3, 2 + i, col]) for i in range(4) for k, col in enumerate((1, 3)))
    assert_closed_form(engine, "(torch.sin(x)[3, 2:, [1, 3]] * w).sum()", {"x": X564, "w": w}, value, {"x": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_numpy_broadcasts_an_int_with_a_list(engine: str) -> None:
    """numpy: 3 and [1, 3] broadcast, and a slice between them puts that dim first: (2, 4), w[k, i]."""
    w = RNG.standard_normal((2, 4))
    grad = np.zeros_like(X564)
    for i in range(4):
        for k, col in enumerate((1, 3)):
            grad[3, 2 + i, col] = w[k, i] * math.cos(X564[3, 2 + i, col])
    value = sum(w[k, i] * math.sin(X564[3, 2 + i, col]) for i in range(4) for k, col in enumerate((1, 3)))
    assert_closed_form(engine, "(np.sin(x)[3, 2:, [1, 3]] * w).sum()", {"x": X564, "w": w}, value, {"x": grad})


# --- jax.lax --------------------------------------------------------------------------------------------------------

LAX = "from jax import lax\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_dot_general_with_a_batch_dim(engine: str) -> None:
    """dot_general(x, y, (((2,), (1,)), ((0,), (0,)))) is the batched product sum_k x[b, i, k] y[b, k, j]."""
    x, y, w = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 2)), RNG.standard_normal((2, 3, 2))
    value = sum(w[b, i, j] * x[b, i, k] * y[b, k, j] for b in range(2) for i in range(3) for j in range(2) for k in range(4))
    grads = {"x": np.einsum("bij,bkj->bik", w, y), "y": np.einsum("bij,bik->bkj", w, x)}
    assert_closed_form(engine, LAX + "(lax.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))) * w).sum()", {"x": x, "y": y, "w": w}, value, {**grads, "w": x @ y})


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_slices_and_broadcast_in_dim(engine: str) -> None:
    """slice(x, (0, 1, 0), (2, 3, 4), (1, 1, 2)) = x[0:2, 1:3, 0:4:2]; dynamic_slice's start -1 clamped to 0;
    broadcast_in_dim(m, (3, 2, 4), (0, 2)) repeats m along the new dim 1."""
    x, m, w = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((3, 4)), RNG.standard_normal((3, 2, 4))
    value = np.sum(x[0:2, 1:3, 0:4:2] ** 2) + np.sum(x[1:2, 1:3, 0:3]) + np.sum(w * m[:, None, :])
    gx = np.zeros_like(x)
    gx[0:2, 1:3, 0:4:2] += 2 * x[0:2, 1:3, 0:4:2]
    gx[1:2, 1:3, 0:3] += 1
    expr = (
        LAX
        + "(lax.slice(x, (0, 1, 0), (2, 3, 4), (1, 1, 2)) ** 2).sum() + lax.dynamic_slice(x, (1, 2, -1), (1, 2, 3)).sum()"
        + " + (lax.broadcast_in_dim(m, (3, 2, 4), (0, 2)) * w).sum()"
    )
    assert_closed_form(engine, expr, {"x": x, "m": m, "w": w}, float(value), {"x": gx, "m": w.sum(1)})


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_pad_with_interior_and_a_crop(engine: str) -> None:
    """pad(m, c, ((1, 2, 1), (-1, 1, 2))) of a 3 x 4 m is 8 x 10: m[i, j] lands at (1 + 2i, 3j - 1), column 0 cropped;
    c fills every other place."""
    m, w, c = RNG.standard_normal((3, 4)), RNG.standard_normal((8, 10)), np.array(0.75)
    landed = np.zeros((8, 10))
    gm = np.zeros((3, 4))
    value = 0.0
    for i in range(3):
        for j in range(1, 4):
            landed[1 + 2 * i, 3 * j - 1] = 1
            gm[i, j] = w[1 + 2 * i, 3 * j - 1]
            value += w[1 + 2 * i, 3 * j - 1] * m[i, j]
    value += 0.75 * np.sum(w * (1 - landed))
    grads = {"m": gm, "c": np.array(np.sum(w * (1 - landed)))}
    assert_closed_form(engine, LAX + "(lax.pad(m, c, ((1, 2, 1), (-1, 1, 2))) * w).sum()", {"m": m, "c": c, "w": w}, value, grads)


def _windows(x: np.ndarray, window: tuple[int, int], strides: tuple[int, int]) -> list[tuple[tuple[int, int], list[tuple[int, int]]]]:
    rows, cols = (x.shape[0] - window[0]) // strides[0] + 1, (x.shape[1] - window[1]) // strides[1] + 1
    return [((i, j), [(i * strides[0] + a, j * strides[1] + b) for a in range(window[0]) for b in range(window[1])]) for i in range(rows) for j in range(cols)]


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_reduce_window(engine: str) -> None:
    """A max over 2 x 2 windows, strides (1, 2), VALID: each window's largest element takes its weight; a sum over 2 x 3
    windows with (low, high) padding ((1, 0), (0, 2)) of zeros: each element takes the weights of the windows over it."""
    m, w, u = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 2)), RNG.standard_normal((3, 4))
    value, grad = 0.0, np.zeros((3, 4))
    for (i, j), places in _windows(m, (2, 2), (1, 2)):
        top = max(places, key=lambda p: m[p])
        value += w[i, j] * m[top]
        grad[top] += w[i, j]
    padded = np.pad(m, ((1, 0), (0, 2)))
    for (i, j), places in _windows(padded, (2, 3), (1, 1)):
        for p, q in places:
            value += u[i, j] * padded[p, q]
            if p >= 1 and q < 4:
                grad[p - 1, q] += u[i, j]
    expr = (
        LAX
        + "(lax.reduce_window(m, -np.inf, lax.max, (2, 2), (1, 2), 'VALID') * w).sum()"
        + " + (lax.reduce_window(m, 0.0, lax.add, (2, 3), (1, 1), ((1, 0), (0, 2))) * u).sum()"
    )
    assert_closed_form(engine, expr, {"m": m, "w": w, "u": u}, value, {"m": grad})


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_reduce_window_with_dilations(engine: str) -> None:
    """base_dilation (2, 1) spreads a 3 x 4 m to 5 x 4 (zeros between its rows); window_dilation (1, 2) takes a 2 x 2
    window's taps two columns apart: out[i, j] = sum over a, b of spread[i + a, j + 2b], i < 4, j < 2."""
    m, w = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))
    spread = np.zeros((5, 4))
    spread[::2] = m
    value, grad = 0.0, np.zeros((3, 4))
    for i in range(4):
        for j in range(2):
            for a in range(2):
                for b in range(2):
                    value += w[i, j] * spread[i + a, j + 2 * b]
                    if (i + a) % 2 == 0:
                        grad[(i + a) // 2, j + 2 * b] += w[i, j]
    expr = LAX + "(lax.reduce_window(m, 0.0, lax.add, (2, 2), (1, 1), 'VALID', (2, 1), (1, 2)) * w).sum()"
    assert_closed_form(
        engine,
        expr,
        {"m": m, "w": w},
        value,
        {"m": grad, "w": np.array([[sum(spread[i + a, j + 2 * b] for a in range(2) for b in range(2)) for j in range(2)] for i in range(4)])},
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_lax_conv_general_dilated(engine: str) -> None:
    """out[o, i, j] = sum over c, a, b of xp[c, i + 2a, 2j + b] k[o, c, a, b], xp the input padded ((1, 0), (2, 1)),
    strides (1, 2), rhs_dilation (2, 1): the definition, summed by hand, and its two gradients."""
    x, k = RNG.standard_normal((1, 2, 4, 5)), RNG.standard_normal((3, 2, 2, 2))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 0), (2, 1)))
    rows, cols = (xp.shape[2] - 3) // 1 + 1, (xp.shape[3] - 2) // 2 + 1
    w = RNG.standard_normal((1, 3, rows, cols))
    value, gxp, gk = 0.0, np.zeros_like(xp), np.zeros_like(k)
    for o in range(3):
        for i in range(rows):
            for j in range(cols):
                for c in range(2):
                    for a in range(2):
                        for b in range(2):
                            p, q = i + 2 * a, 2 * j + b
                            value += w[0, o, i, j] * xp[0, c, p, q] * k[o, c, a, b]
                            gxp[0, c, p, q] += w[0, o, i, j] * k[o, c, a, b]
                            gk[o, c, a, b] += w[0, o, i, j] * xp[0, c, p, q]
    expr = LAX + "(lax.conv_general_dilated(x, k, (1, 2), ((1, 0), (2, 1)), rhs_dilation=(2, 1)) * w).sum()"
    assert_closed_form(engine, expr, {"x": x, "k": k, "w": w}, value, {"x": gxp[:, :, 1:, 2:-1], "k": gk})


def test_lax_refusals_are_one_line() -> None:
    """What the composition does not read is an error of one line: lhs_dilation, another layout, an init that is not
    the identity, a config of the wrong length."""
    from verifygrad.language.statements import compile_program
    from verifygrad.language.syntax import ExprError

    inputs = {"x": np.ones((1, 1, 3, 3)), "k": np.ones((1, 1, 2, 2)), "m": np.ones((3, 4))}
    for expr, words in [
        ("lax.conv_general_dilated(x, k, (1, 1), 'VALID', (2, 2))", "lhs_dilation"),
        ("lax.conv_general_dilated(x, k, (1, 1), 'VALID', dimension_numbers=('NHWC', 'HWIO', 'NHWC'))", "dimension_numbers"),
        ("lax.reduce_window(m, 1.0, lax.add, (2, 2), (1, 1), 'VALID')", "identity"),
        ("lax.pad(m, 0.0, ((1, 1, 0),))", "padding_config"),
    ]:
        with pytest.raises(ExprError, match=words) as raised:
            compile_program(LAX + expr, inputs)
        assert "\n" not in str(raised.value)


# --- the peer tests' spellings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_numpy_dot_with_a_scalar_and_einsum_sublists(engine: str) -> None:
    """np.dot(x, s) of a scalar s is s x; einsum(a, [0, 1], b, [1, 2], [0, 2]) is a @ b, einsum(a, (0, 1), (1, 0)) is a^T."""
    x, s, a, b = RNG.standard_normal((2, 3)), np.array(1.5), RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))
    value = 1.5 * x.sum() + (a @ b).sum() + a.T[2, 1]
    ga = np.ones((2, 2)) @ b.T
    ga[1, 2] += 1
    grads = {"x": np.full((2, 3), 1.5), "s": np.array(x.sum()), "a": ga, "b": a.T @ np.ones((2, 2))}
    expr = "np.dot(x, s).sum() + np.einsum(a, [0, 1], b, [1, 2], [0, 2]).sum() + np.einsum(a, (0, 1), (1, 0))[2, 1]"
    assert_closed_form(engine, expr, {"x": x, "s": s, "a": a, "b": b}, float(value), grads)


@pytest.mark.parametrize("engine", ENGINES)
def test_numpy_cross_with_axisa_axisb_axisc(engine: str) -> None:
    """np.cross(a, b, axisa=0, axisb=1, axisc=0): the vectors a[:, j] and b[j, :], the result's down column j;
    w . (a x b) = a . (b x w) = b . (w x a)."""
    a, b, w = RNG.standard_normal((3, 2)), RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))
    value = sum(float(w[:, j] @ np.array(_cross(a[:, j], b[j]))) for j in range(2))
    ga = np.stack([_cross(b[j], w[:, j]) for j in range(2)], axis=1)
    gb = np.stack([_cross(w[:, j], a[:, j]) for j in range(2)])
    assert_closed_form(engine, "(np.cross(a, b, axisa=0, axisb=1, axisc=0) * w).sum()", {"a": a, "b": b, "w": w}, value, {"a": ga, "b": gb})


def _cross(u: np.ndarray, v: np.ndarray) -> list[float]:
    return [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
