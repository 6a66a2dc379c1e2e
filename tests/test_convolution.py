"""Convolution, pooling, unfold/fold, pixel shuffle and interpolation (issue 21): value and gradient against references
written from the definitions with loops (each output position summed by hand), in every engine.

The functionals are ``sum(op(x) * m)``: for a linear op, the gradient in x is ``sum(op(e_j) * m)`` for each basis tensor
e_j, exactly; for max pooling, m routed to each window's maximum."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from tests.helpers import assert_closed_form
from verifygrad.language.syntax import ExprError

RNG = np.random.default_rng(2121)
X = RNG.normal(size=(1, 4, 5, 4))
W = RNG.normal(size=(4, 2, 3, 2))  # 4 output channels, 2 groups of 2 input channels
B = RNG.normal(size=4)
U = RNG.normal(size=(1, 3, 7))
V = RNG.normal(size=(2, 3, 3))


def conv(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0, dilation: int = 1, groups: int = 1) -> np.ndarray:
    """out[n, o, p] = sum over c, k of x_padded[n, g(o) * C/groups + c, p * stride + k * dilation] w[o, c, k]."""
    spatial = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(padding, padding)] * spatial)
    kernel = w.shape[2:]
    outputs = [(n - dilation * (k - 1) - 1) // stride + 1 for n, k in zip(xp.shape[2:], kernel)]
    per_group, out_per_group = x.shape[1] // groups, w.shape[0] // groups
    out = np.zeros((x.shape[0], w.shape[0], *outputs))
    for n, o in itertools.product(range(x.shape[0]), range(w.shape[0])):
        first = (o // out_per_group) * per_group
        for p in itertools.product(*map(range, outputs)):
            for c, k in itertools.product(range(per_group), itertools.product(*map(range, kernel))):
                at = tuple(pi * stride + ki * dilation for pi, ki in zip(p, k))
                out[(n, o, *p)] += xp[(n, first + c, *at)] * w[(o, c, *k)]
    return out


def conv_transpose(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Each input element times the kernel, added at i * stride + k, then padding cropped from both ends."""
    kernel = w.shape[2:]
    full = [(n - 1) * stride + k for n, k in zip(x.shape[2:], kernel)]
    out = np.zeros((x.shape[0], w.shape[1], *full))
    for n, c, o in itertools.product(range(x.shape[0]), range(x.shape[1]), range(w.shape[1])):
        for i in itertools.product(*map(range, x.shape[2:])):
            for k in itertools.product(*map(range, kernel)):
                out[(n, o, *(a * stride + b for a, b in zip(i, k)))] += x[(n, c, *i)] * w[(c, o, *k)]
    return out[(slice(None), slice(None), *(slice(padding, f - padding) for f in full))]


def windows(x: np.ndarray, size: int, stride: int, padding: int, fill: float) -> tuple[list[tuple[int, ...]], dict[tuple[int, ...], list[tuple[int, ...]]]]:
    """Every output position of a pooling over the last two dims, and the input positions (inside x) of its window."""
    h, w = x.shape[-2:]
    oh, ow = (h + 2 * padding - size) // stride + 1, (w + 2 * padding - size) // stride + 1
    found = {}
    for i, j in itertools.product(range(oh), range(ow)):
        rows = range(i * stride - padding, i * stride - padding + size)
        cols = range(j * stride - padding, j * stride - padding + size)
        found[(i, j)] = [(r, c) for r in rows for c in cols if 0 <= r < h and 0 <= c < w]
    return list(found), found


def max_pool(x: np.ndarray, size: int, stride: int, padding: int) -> tuple[np.ndarray, np.ndarray]:
    """The max of each window (padding never wins), and the gradient of sum(out * 1): 1 at each window's maximum."""
    positions, found = windows(x, size, stride, padding, -np.inf)
    shape = (*x.shape[:2], *(max(p[d] for p in positions) + 1 for d in (0, 1)))
    out, grad = np.zeros(shape), np.zeros_like(x)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for p in positions:
            best = max(found[p], key=lambda rc: x[n, c, rc[0], rc[1]])
            out[n, c, p[0], p[1]] = x[n, c, best[0], best[1]]
            grad[n, c, best[0], best[1]] += 1
    return out, grad


def numeric_gradient(f, x: np.ndarray) -> np.ndarray:
    """Complex-step derivative of a real-analytic f: exact to float64 rounding (no subtraction), one element at a time."""
    grad = np.zeros_like(x)
    for j in np.ndindex(*x.shape):
        step = np.zeros(x.shape, dtype=complex)
        step[j] = 1e-30j
        grad[j] = f(x + step).imag / 1e-30
    return grad


def linear_gradient(op, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """d/dx sum(op(x) * m) for a linear op: op of each basis tensor, dotted with m."""
    grad = np.zeros_like(x)
    for j in np.ndindex(*x.shape):
        basis = np.zeros_like(x)
        basis[j] = 1.0
        grad[j] = (op(basis) * m).sum()
    return grad


def avg_pool(x: np.ndarray, size: int, stride: int, padding: int, include_pad: bool = True) -> np.ndarray:
    positions, found = windows(x, size, stride, padding, 0.0)
    shape = (*x.shape[:2], *(max(p[d] for p in positions) + 1 for d in (0, 1)))
    out = np.zeros(shape)
    for p in positions:
        total = sum(x[..., r, c] for r, c in found[p])
        out[..., p[0], p[1]] = total / (size * size if include_pad else len(found[p]))
    return out


def interpolate_bilinear(x: np.ndarray, size: tuple[int, int], align_corners: bool) -> np.ndarray:
    """Each output pixel from its four neighbours, at torch's source coordinates."""

    def source(i: int, n: int, out: int) -> tuple[int, int, float]:
        s = i * (n - 1) / (out - 1) if align_corners else max((i + 0.5) * n / out - 0.5, 0.0)
        low = min(int(math.floor(s)), n - 1)
        return low, min(low + 1, n - 1), s - low

    out = np.zeros((*x.shape[:2], *size))
    for i, j in itertools.product(range(size[0]), range(size[1])):
        r0, r1, a = source(i, x.shape[2], size[0])
        c0, c1, b = source(j, x.shape[3], size[1])
        out[..., i, j] = (1 - a) * ((1 - b) * x[..., r0, c0] + b * x[..., r0, c1]) + a * ((1 - b) * x[..., r1, c0] + b * x[..., r1, c1])
    return out


def keys_kernel(d: float, a: float = -0.75) -> float:
    """The cubic convolution kernel (Keys) at distance d: torch's bicubic weights."""
    d = abs(d)
    if d <= 1:
        return (a + 2) * d**3 - (a + 3) * d**2 + 1
    return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a if d < 2 else 0.0


def interpolate_bicubic(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Each output pixel from its 4x4 neighbours (clamped into the image), weighted by the kernel at their distance."""
    out = np.zeros((*x.shape[:2], *size))
    h, w = x.shape[2:]
    for i, j in itertools.product(range(size[0]), range(size[1])):
        r, c = (i + 0.5) * h / size[0] - 0.5, (j + 0.5) * w / size[1] - 0.5
        for a, b in itertools.product(range(math.floor(r) - 1, math.floor(r) + 3), range(math.floor(c) - 1, math.floor(c) + 3)):
            out[..., i, j] += keys_kernel(r - a) * keys_kernel(c - b) * x[..., min(max(a, 0), h - 1), min(max(b, 0), w - 1)]
    return out


def local_response_norm(x: np.ndarray, size: int, alpha: float, beta: float, k: float) -> np.ndarray:
    """x[:, c] / (k + alpha / size * sum of x[:, j]**2 for j in c - size // 2 .. c + (size - 1) // 2, inside)**beta."""
    out = np.zeros_like(x)
    for c in range(x.shape[1]):
        near = [j for j in range(c - size // 2, c + (size - 1) // 2 + 1) if 0 <= j < x.shape[1]]
        out[:, c] = x[:, c] / (k + alpha / size * sum(x[:, j] ** 2 for j in near)) ** beta
    return out


def pixel_shuffle(x: np.ndarray, r: int) -> np.ndarray:
    n, c, h, w = x.shape
    out = np.zeros((n, c // (r * r), h * r, w * r))
    for k, i, j in itertools.product(range(c), range(h), range(w)):
        out[:, k // (r * r), i * r + (k % (r * r)) // r, j * r + k % r] = x[:, k, i, j]
    return out


def unfold(x: np.ndarray, size: int) -> np.ndarray:
    n, c, h, w = x.shape
    columns = [x[:, :, i : i + size, j : j + size].reshape(n, c * size * size) for i in range(h - size + 1) for j in range(w - size + 1)]
    return np.stack(columns, axis=-1)


CONV = conv(X, W, stride=2, padding=1, groups=2)
M_CONV = RNG.normal(size=CONV.shape)
CONV1 = conv(U, V, padding=2, dilation=2)
M_CONV1 = RNG.normal(size=CONV1.shape)
WT = RNG.normal(size=(4, 3, 2, 3))
TRANSPOSED = conv_transpose(X, WT, stride=2, padding=1)
M_T = RNG.normal(size=TRANSPOSED.shape)
MAX, MAX_GRAD = max_pool(X, 3, 2, 1)
AVG = avg_pool(X, 3, 2, 1)
AVG_EXCLUDED = avg_pool(X, 3, 2, 1, include_pad=False)
BILINEAR = interpolate_bilinear(X, (7, 3), align_corners=False)
CORNERS = interpolate_bilinear(X, (7, 3), align_corners=True)
M_BI = RNG.normal(size=BILINEAR.shape)
BICUBIC = interpolate_bicubic(X, (7, 3))
SHUFFLED = pixel_shuffle(X, 2)
M_SHUFFLE = RNG.normal(size=SHUFFLED.shape)
UNFOLDED = unfold(X, 2)
M_UNFOLD = RNG.normal(size=UNFOLDED.shape)
COVERS = linear_gradient(lambda e: unfold(e, 2), X, np.ones_like(UNFOLDED))  # how many 2x2 windows hold each element
M_NEAREST = RNG.normal(size=(1, 4, 10, 8))
M_WINDOWS = RNG.normal(size=(1, 3, 3, 3))
ADAPTIVE = np.stack([X[:, :, 0:3].mean(2), X[:, :, 2:5].mean(2)], axis=2)  # 5 rows into 2: rows [0, 3) and [2, 5)
ADAPTIVE_MAX = np.stack([X[:, :, 0:3].max(2), X[:, :, 2:5].max(2)], axis=2)

POOLED, WHERE = X[:, :, :4].reshape(1, 4, 2, 2, 2, 2).max(axis=(3, 5)), np.zeros((1, 4, 2, 2))
for c, i, j in itertools.product(range(4), range(2), range(2)):  # the flat position (of 4x4) of each 2x2 window's maximum
    r, s = np.unravel_index(np.argmax(X[0, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]), (2, 2))
    WHERE[0, c, i, j] = (2 * i + r) * 4 + 2 * j + s
M_UNPOOL = RNG.normal(size=(1, 4, 4, 4))

CASES = [
    ("(F.max_unpool2d(v, k, 2) * m).sum()", {"v": POOLED, "k": WHERE, "m": M_UNPOOL},
     float((POOLED * np.take_along_axis(M_UNPOOL.reshape(1, 4, 16), WHERE.reshape(1, 4, 4).astype(int), 2).reshape(1, 4, 2, 2)).sum()),
     {"v": np.take_along_axis(M_UNPOOL.reshape(1, 4, 16), WHERE.reshape(1, 4, 4).astype(int), 2).reshape(1, 4, 2, 2)}),
    ("(F.conv2d(x, w, b, stride=2, padding=1, groups=2) * m).sum()", {"x": X, "w": W, "b": B, "m": M_CONV},
     float(((CONV + B[:, None, None]) * M_CONV).sum()),
     {"x": linear_gradient(lambda e: conv(e, W, 2, 1, 1, 2), X, M_CONV), "w": linear_gradient(lambda e: conv(X, e, 2, 1, 1, 2), W, M_CONV),
      "b": M_CONV.sum(axis=(0, 2, 3))}),
    ("(F.conv1d(u, v, None, 1, 2, 2) * m).sum()", {"u": U, "v": V, "m": M_CONV1}, float((CONV1 * M_CONV1).sum()),
     {"u": linear_gradient(lambda e: conv(e, V, 1, 2, 2), U, M_CONV1), "v": linear_gradient(lambda e: conv(U, e, 1, 2, 2), V, M_CONV1)}),
    ("(F.conv_transpose2d(x, w, stride=2, padding=1) * m).sum()", {"x": X, "w": WT, "m": M_T}, float((TRANSPOSED * M_T).sum()),
     {"x": linear_gradient(lambda e: conv_transpose(e, WT, 2, 1), X, M_T), "w": linear_gradient(lambda e: conv_transpose(X, e, 2, 1), WT, M_T)}),
    ("F.max_pool2d(x, 3, 2, 1).sum()", {"x": X}, float(MAX.sum()), {"x": MAX_GRAD}),
    ("F.avg_pool2d(x, 3, stride=2, padding=1).sum()", {"x": X}, float(AVG.sum()), {"x": linear_gradient(lambda e: avg_pool(e, 3, 2, 1), X, np.ones_like(AVG))}),
    ("(F.avg_pool2d(x, 3, 2, 1, count_include_pad=False) ** 2).sum()", {"x": X}, float((AVG_EXCLUDED**2).sum()),
     {"x": linear_gradient(lambda e: avg_pool(e, 3, 2, 1, False), X, 2 * AVG_EXCLUDED)}),
    ("F.lp_pool2d(x, 2, 2).sum()", {"x": X}, float(np.sqrt((X[:, :, :4] ** 2).reshape(1, 4, 2, 2, 2, 2).sum(axis=(3, 5))).sum()), {}),
    ("(F.adaptive_avg_pool2d(x, (2, 4)) ** 2).sum()", {"x": X}, float((ADAPTIVE**2).sum()),
     {"x": linear_gradient(lambda e: np.stack([e[:, :, 0:3].mean(2), e[:, :, 2:5].mean(2)], axis=2), X, 2 * ADAPTIVE)}),
    ("F.adaptive_max_pool2d(x, (2, None), True)[0].sum()", {"x": X}, float(ADAPTIVE_MAX.sum()),
     {"x": np.pad(X[:, :, 0:3] == X[:, :, 0:3].max(2, keepdims=True), ((0, 0), (0, 0), (0, 2), (0, 0)))
      + np.pad(X[:, :, 2:5] == X[:, :, 2:5].max(2, keepdims=True), ((0, 0), (0, 0), (2, 0), (0, 0))) * 1.0}),
    ("(F.interpolate(x, size=(7, 3), mode='bilinear') * m).sum()", {"x": X, "m": M_BI}, float((BILINEAR * M_BI).sum()),
     {"x": linear_gradient(lambda e: interpolate_bilinear(e, (7, 3), False), X, M_BI)}),
    ("(F.interpolate(x, size=(7, 3), mode='bilinear', align_corners=True) * m).sum()", {"x": X, "m": M_BI}, float((CORNERS * M_BI).sum()),
     {"x": linear_gradient(lambda e: interpolate_bilinear(e, (7, 3), True), X, M_BI)}),
    ("(F.interpolate(x, size=(7, 3), mode='bicubic') * m).sum()", {"x": X, "m": M_BI}, float((BICUBIC * M_BI).sum()),
     {"x": linear_gradient(lambda e: interpolate_bicubic(e, (7, 3)), X, M_BI)}),
    ("F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=2.0).sum()", {"x": X}, float(local_response_norm(X, 3, 0.5, 0.75, 2.0).sum()),
     {"x": numeric_gradient(lambda e: local_response_norm(e, 3, 0.5, 0.75, 2.0).sum(), X)}),
    ("(F.interpolate(x, scale_factor=2) * m).sum()", {"x": X, "m": M_NEAREST}, float((np.repeat(np.repeat(X, 2, 2), 2, 3) * M_NEAREST).sum()),
     {"x": M_NEAREST.reshape(1, 4, 5, 2, 4, 2).sum(axis=(3, 5))}),
    ("(F.pixel_shuffle(x, 2) * m).sum()", {"x": X, "m": M_SHUFFLE}, float((SHUFFLED * M_SHUFFLE).sum()),
     {"x": linear_gradient(lambda e: pixel_shuffle(e, 2), X, M_SHUFFLE)}),
    ("(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2) ** 2).sum()", {"x": X}, float((X**2).sum()), {"x": 2 * X}),
    ("(F.unfold(x, 2) * m).sum()", {"x": X, "m": M_UNFOLD}, float((UNFOLDED * M_UNFOLD).sum()), {"x": linear_gradient(lambda e: unfold(e, 2), X, M_UNFOLD)}),
    ("(F.fold(F.unfold(x, 2), (5, 4), 2) ** 2).sum()", {"x": X}, float(((X * COVERS) ** 2).sum()), {"x": 2 * X * COVERS**2}),
    ("(u.unfold(2, 3, 2) * m).sum()", {"u": U, "m": M_WINDOWS}, float((np.stack([U[..., :3], U[..., 2:5], U[..., 4:7]], axis=2) * M_WINDOWS).sum()),
     {"u": np.pad(M_WINDOWS[:, :, 0], ((0, 0), (0, 0), (0, 4))) + np.pad(M_WINDOWS[:, :, 1], ((0, 0), (0, 0), (2, 2)))
      + np.pad(M_WINDOWS[:, :, 2], ((0, 0), (0, 0), (4, 0)))}),
]  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "inputs", "value", "grads"), CASES, ids=[case[0] for case in CASES])
def test_matches_the_definition(engine: str, expr: str, inputs: dict, value: float, grads: dict) -> None:
    assert_closed_form(engine, expr, inputs, value, grads)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("F.conv2d(x, w, groups=3)", "conv2d(): weight of shape (4, 2, 3, 2) does not fit an input of 4 channels in 3 group(s)"),
        ("F.conv2d(x, w, stride=2, padding='same')", "conv2d(): padding='same' takes stride 1 only"),
        ("F.max_pool2d(x, 2, padding=2)", "max_pool2d(): padding must be at most half the kernel size"),
        ("F.max_pool2d(x, 2, return_indices=True)", "max_pool2d() with return_indices=True returns (values, indices): take the values"),
        ("F.max_pool2d(x, 2, return_indices=True)[1]", "max_pool2d() with return_indices=True returns (values, indices): take the values"),
        ("F.interpolate(x, scale_factor=2, mode='bicubic', antialias=True)", "not supported yet: interpolate() with antialias=True"),
        ("F.pixel_shuffle(x, 3)", "pixel_shuffle(): 4 channels do not divide by 3**2"),
        ("F.conv2d(x, w, stride=(1, 2, 3))", "conv2d() takes stride as an integer or 2 integers"),
        ("F.max_unpool2d(x[:, :, :2, :2], x[:, :, :2, :2] * 0, 2)", "max_unpool2d() writes one position twice"),
    ],
)
def test_bad_geometry_is_one_clear_error(expr: str, message: str) -> None:
    from verifygrad.language.statements import compile_program

    with pytest.raises(ExprError, match=re.escape(message)):
        compile_program(expr, {"x": X, "w": W})


def jacobian(op, x: np.ndarray) -> np.ndarray:
    """The matrix of a linear op (outputs by inputs, both flattened), column by column from basis tensors."""
    columns = []
    for j in np.ndindex(*x.shape):
        basis = np.zeros_like(x)
        basis[j] = 1.0
        columns.append(op(basis).reshape(-1))
    return np.stack(columns, axis=1)


SMALL_X, SMALL_W = X[:, :, :4, :3], W[:, :, :2, :2]


@pytest.mark.parametrize(
    ("expr", "name", "inputs", "matrix"),
    [
        ("(F.conv2d(x, w, padding=1, groups=2) ** 2).sum() / 2", "x", {"x": SMALL_X, "w": SMALL_W},
         jacobian(lambda e: conv(e, SMALL_W, 1, 1, 1, 2), SMALL_X)),
        ("(F.conv2d(x, w, padding=1, groups=2) ** 2).sum() / 2", "w", {"x": SMALL_X, "w": SMALL_W},
         jacobian(lambda e: conv(SMALL_X, e, 1, 1, 1, 2), SMALL_W)),
        ("(F.avg_pool2d(x, 3, 2, 1) ** 2).sum() / 2", "x", {"x": SMALL_X}, jacobian(lambda e: avg_pool(e, 3, 2, 1), SMALL_X)),
        ("(F.max_pool2d(x, 3, 2, 1) ** 2).sum() / 2", "x", {"x": SMALL_X},
         np.sqrt(np.diag(max_pool(SMALL_X, 3, 2, 1)[1].reshape(-1)))),  # J^T J: each element's count of windows it tops
        ("(F.interpolate(x, size=(7, 3), mode='bilinear') ** 2).sum() / 2", "x", {"x": SMALL_X},
         jacobian(lambda e: interpolate_bilinear(e, (7, 3), False), SMALL_X)),
    ],
    ids=["conv2d-x", "conv2d-w", "avg_pool2d", "max_pool2d", "interpolate-bilinear"],
)  # fmt: skip
def test_hessian_of_half_the_squares_is_the_jacobian_squared(expr: str, name: str, inputs: dict, matrix: np.ndarray) -> None:
    """For a map linear in ``name`` near the case (max pooling: each window's maximum stays put), the Hessian of
    sum(op**2) / 2 is J^T J."""
    from verifygrad.engines import numpy_second_order as second
    from verifygrad.language.statements import compile_program

    hessian = second.hessian(compile_program(expr, inputs), inputs, "float64", (name,))[name, name]
    size = inputs[name].size
    np.testing.assert_allclose(hessian.reshape(size, size), matrix.T @ matrix, rtol=1e-11, atol=1e-12)
