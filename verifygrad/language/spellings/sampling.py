"""Sampling at computed positions: F.affine_grid, F.grid_sample, torch.grid_sampler_2d and grid_sampler_3d.

A grid's positions are values, so which cell each one falls in is fixed at the case's values (as sorting's
permutation is), and the corners it reads are a gather with a static key.  The bilinear weights are the position less
its cell's corner, the corner written as ``floor`` of the position: a point exactly on a cell edge is then a kink
("not verified"), where the gradient jumps from one cell's to the next.  The bicubic weights are Keys' cubic kernel
(torch's) of that offset, so the grid's gradient is the kernel's derivative.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from verifygrad.language.spellings.compose import Call, Graph, nested_tuple, spelling
from verifygrad.language.spellings.convolution import CUBIC
from verifygrad.language.spellings.shape import reordered
from verifygrad.language.syntax import ExprError, Function

MODES = ("bilinear", "nearest", "bicubic")  # torch.grid_sampler_2d's interpolation_mode 0, 1, 2
PADDINGS = ("zeros", "border", "reflection")  # its padding_mode 0, 1, 2


def _base(size: int, align_corners: bool) -> np.ndarray:
    """affine_grid's positions along one dim of ``size``: -1 to 1, pulled in to the pixel centres unless align_corners."""
    if size <= 1:
        return np.zeros(max(size, 0))
    steps = np.linspace(-1.0, 1.0, size)
    return steps if align_corners else steps * (size - 1) / size


def _affine_grid(call: Call) -> int:
    """F.affine_grid(theta, size, align_corners=False): theta (N, 2, 3) and size (N, C, H, W) give (N, H, W, 2), each
    position theta @ (x, y, 1); theta (N, 3, 4) and (N, C, D, H, W) give (N, D, H, W, 3) of theta @ (x, y, z, 1)."""
    g, theta = call.graph, call.tensors[0]
    size = call.literal("size", 0, None)
    if not isinstance(size, (list, tuple)) or len(size) not in (4, 5) or not all(type(n) is int for n in size):
        raise ExprError(f"{g.name}() takes size as a list of 4 or 5 whole numbers, e.g. size=[1, 1, 3, 4]", g.col)
    align = bool(call.literal("align_corners", 1, False))
    spatial = size[2:]
    axes = [_base(n, align) for n in reversed(spatial)]  # x (width) first, as torch's grid
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # over (D,) H, W: x varies fastest
    base = np.stack([*(m.reshape(-1) for m in mesh), np.ones(mesh[0].size)], axis=-1)
    out = g.op("matmul", g.const(base), g.op("transpose", theta, dim0=-2, dim1=-1))
    return g.op("reshape", out, shape=(size[0], *spatial, len(spatial)))


def _unnormalized(size: int, align: bool) -> tuple[float, float]:
    """The scale and shift taking grid coordinates (-1 to 1) to pixel positions, as torch."""
    return ((size - 1) / 2, (size - 1) / 2) if align else (size / 2, (size - 1) / 2)


def _reflected(g: Graph, node: int, value: np.ndarray, size: int, align: bool) -> tuple[int, np.ndarray]:
    """torch's reflect_coordinates: the position folded back into [low, high] (-0.5 to size - 0.5 unless align_corners);
    which fold (an even or odd number of flips) is fixed at the case's values."""
    low, high = (0.0, size - 1.0) if align else (-0.5, size - 0.5)
    span = high - low
    if span <= 0:
        return g.op("mul", node, g.const(0.0)), np.zeros_like(value)
    distance = np.abs(value - low)
    flips = np.floor(distance / span)
    odd = (flips % 2).astype(np.float64)
    moved = g.op("abs", g.op("sub", node, g.const(low)))
    extra = g.op("sub", moved, g.scale(g.op("floor", g.scale(moved, 1 / span)), span))  # NOTE: floor: a kink at each fold
    node = g.op("add", g.op("mul", extra, g.const(1 - 2 * odd)), g.const(low + odd * span))
    extra_value = distance - span * flips
    return node, extra_value * (1 - 2 * odd) + low + odd * span


def _position(g: Graph, grid: int, value: np.ndarray, axis: int, size: int, padding: str, align: bool) -> tuple[int, np.ndarray]:
    """The pixel position along one axis (0: x, the width; 1: y) of every grid point, in the graph and at the case's values."""
    scale, shift = _unnormalized(size, align)
    node = g.op("add", g.scale(g.op("index", grid, key=(Ellipsis, axis)), scale), g.const(shift))
    position = value[..., axis] * scale + shift
    if padding == "reflection":
        node, position = _reflected(g, node, position, size, align)
    if padding in ("border", "reflection"):
        node = g.op("minimum", g.op("maximum", node, g.const(0.0)), g.const(size - 1.0))
        position = np.clip(position, 0.0, size - 1.0)
    return node, position


def _tap(place: np.ndarray, size: int, padding: str, align: bool) -> np.ndarray:
    """The pixel a bicubic tap at a whole-number place reads: as torch, each tap (not the point) is padded, 'border'
    clamping it into x and 'reflection' folding it back first; 'zeros' leaves it (read as 0 outside x)."""
    if padding == "zeros":
        return place
    if padding == "reflection" and size > 1:
        low, span = (0.0, size - 1.0) if align else (-0.5, float(size))
        distance = np.abs(place - low)
        extra = np.mod(distance, span)
        place = np.where(np.floor(distance / span) % 2 == 0, low + extra, low + span - extra)
    elif padding == "reflection":
        place = np.zeros_like(place)
    return np.clip(place, 0, size - 1).astype(np.int64)


def _cubic(g: Graph, u: int, coefficients: tuple[float, float, float, float]) -> int:
    """c0 u^3 + c1 u^2 + c2 u + c3, by Horner's rule."""
    out = g.scale(u, coefficients[0])
    for c in coefficients[1:-1]:
        out = g.op("mul", g.op("add", out, g.const(c)), u)
    return g.op("add", out, g.const(coefficients[-1]))


def _cubic_weights(g: Graph, t: int) -> list[int]:
    """The four taps' weights at offsets -1, 0, 1, 2 from the cell's corner, t the point's offset in its cell: Keys'
    cubic convolution kernel (coefficient -0.75, as torch) at distances t + 1, t, 1 - t, 2 - t."""
    near = (CUBIC + 2, -(CUBIC + 3), 0.0, 1.0)  # |d| <= 1
    far = (CUBIC, -5 * CUBIC, 8 * CUBIC, -4 * CUBIC)  # 1 < |d| < 2
    one, two = g.const(1.0), g.const(2.0)
    return [_cubic(g, g.op("add", t, one), far), _cubic(g, t, near), _cubic(g, g.op("sub", one, t), near), _cubic(g, g.op("sub", two, t), far)]


def _grid_sample(call: Call, mode: str, padding: str, align: bool) -> int:
    """x (N, C, H, W) read at grid (N, Ho, Wo, 2) (x, y from -1 to 1): (N, C, Ho, Wo); x (N, C, D, H, W) at grid
    (N, Do, Ho, Wo, 3) (x, y, z): (N, C, Do, Ho, Wo). Bilinear (trilinear): the corners of the cell each point falls
    in, each weighted by the product over the axes of 1 - f or f, f the point's offset in the cell; nearest: the nearest
    pixel (half to even, as torch); bicubic (4-D only): the 4 x 4 pixels around the cell, weighted by the cubic kernel
    of f along each axis. Padding 'zeros' reads 0 outside x; 'border' and 'reflection' move the point inside first
    (bicubic: each tap)."""
    g, (x, grid) = call.graph, call.tensors
    shape, grid_shape = (g.builder.known_shape(t, g.col, f"{g.name}()") for t in (x, grid))
    spatial = len(shape) - 2
    if spatial not in (2, 3) or len(grid_shape) != len(shape) or grid_shape[-1] != spatial or grid_shape[0] != shape[0]:
        raise ExprError(
            f"{g.name}() takes x (N, C, H, W) with a grid (N, Ho, Wo, 2), or (N, C, D, H, W) with (N, Do, Ho, Wo, 3); got {shape} and {grid_shape}", g.col
        )
    if mode == "bicubic" and spatial != 2:
        raise ExprError(f"{g.name}(): mode 'bicubic' takes a 4-D input, as torch", g.col)
    sizes = shape[2:][::-1]  # NOTE: the grid's x runs along the last dim (the width), then y, then z
    value = np.asarray(g.builder.known_value(grid, g.col, f"the grid of {g.name}()"), dtype=np.float64)
    # NOTE: bicubic pads each tap, not the point: its position is only unnormalized
    positions = [_position(g, grid, value, axis, size, "zeros" if mode == "bicubic" else padding, align) for axis, size in enumerate(sizes)]
    letters = "nc" + "dhw"[-spatial:]
    channels_last = letters[0] + letters[2:] + "c"
    pixels = reordered(g, x, letters, channels_last)
    batch = np.broadcast_to(np.arange(shape[0]).reshape((-1,) + (1,) * spatial), positions[0][1].shape)
    one = g.const(1.0)

    def read(places: list[np.ndarray], weight: int) -> int:
        """x at the integer places (x, y[, z] order) of every point, times weight; 0 outside x."""
        inside = np.all([(p >= 0) & (p < size) for p, size in zip(places, sizes)], axis=0)
        key = tuple(nested_tuple(np.where(inside, k, 0)) for k in (batch, *places[::-1]))
        kept = g.op("mul", weight, g.const(inside.astype(np.float64)))
        return g.op("mul", g.op("index", pixels, key=key), g.op("expand_dims", kept, dim=-1))

    if mode == "nearest":
        # NOTE: the nearest pixel takes no gradient from the grid; round() at 0 weight reports a point halfway between two as a kink
        halfway = one
        for node, _ in positions:
            halfway = g.op("add", halfway, g.op("mul", g.op("round", node), g.const(0.0)))
        out = read([np.round(v).astype(np.int64) for _, v in positions], halfway)
    elif mode == "bicubic":
        # NOTE: floor: a point on a cell edge is reported as a kink, though the cubic kernel's interpolant is smooth there
        weights = [_cubic_weights(g, g.op("sub", node, g.op("floor", node))) for node, _ in positions]
        lows = [np.floor(v).astype(np.int64) for _, v in positions]
        out = None
        for i, j in itertools.product(range(4), repeat=2):
            places = [_tap(lows[0] + i - 1, sizes[0], padding, align), _tap(lows[1] + j - 1, sizes[1], padding, align)]
            term = read(places, g.op("mul", weights[0][i], weights[1][j]))
            out = term if out is None else g.op("add", out, term)
    else:
        offsets = [g.op("sub", node, g.op("floor", node)) for node, _ in positions]  # NOTE: floor: a kink on a cell edge
        weights = [(g.op("sub", one, f), f) for f in offsets]
        lows = [np.floor(v).astype(np.int64) for _, v in positions]
        out = None
        for corner in itertools.product((0, 1), repeat=spatial):
            weight = weights[0][corner[0]]
            for axis in range(1, spatial):
                weight = g.op("mul", weight, weights[axis][corner[axis]])
            term = read([low + step for low, step in zip(lows, corner)], weight)
            out = term if out is None else g.op("add", out, term)
    return reordered(g, out, channels_last, letters)


def _choice(call: Call, key: str, position: int, names: tuple[str, ...], default: str) -> str:
    """A mode by name (grid_sample's mode='bilinear') or by torch's number for it (grid_sampler_2d's 0)."""
    given = call.literal(key, position, default)
    if type(given) is int and 0 <= given < len(names):
        return names[given]
    if given not in names:
        raise ExprError(f"{call.graph.name}() takes {key} as one of {', '.join(names)}", call.graph.col)
    return given


def _sampler(functional: bool) -> Callable[[Call], int]:
    """F.grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners=False) and
    torch.grid_sampler_2d/3d(input, grid, interpolation_mode, padding_mode, align_corners) (the modes as torch's numbers)."""

    def compose(call: Call) -> int:
        names = ("mode", "padding_mode", "align_corners") if functional else ("interpolation_mode", "padding_mode", "align_corners")
        mode = _choice(call, names[0], 0, MODES, "bilinear")
        padding = _choice(call, names[1], 1, PADDINGS, "zeros")
        return _grid_sample(call, mode, padding, bool(call.literal(names[2], 2, False)))

    return compose


SPELLINGS: dict[str, Function] = {
    "affine_grid": spelling(_affine_grid, (1, 1), keywords=("size", "align_corners")),
    "grid_sample": spelling(_sampler(functional=True), (2, 2), keywords=("mode", "padding_mode", "align_corners")),
    **{f"grid_sampler_{n}d": spelling(_sampler(functional=False), (2, 2), keywords=("interpolation_mode", "padding_mode", "align_corners")) for n in (2, 3)},
}
LITERAL_POSITIONAL = frozenset(SPELLINGS)
