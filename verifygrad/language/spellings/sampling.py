"""Sampling at computed positions: F.affine_grid, F.grid_sample and torch.grid_sampler_2d.

A grid's positions are values, so which cell each one falls in is fixed at the case's values (as sorting's
permutation is), and the corners it reads are a gather with a static key.  The bilinear weights are the position less
its cell's corner, the corner written as ``floor`` of the position: a point exactly on a cell edge is then a kink
("not verified"), where the gradient jumps from one cell's to the next.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from verifygrad.language.spellings.compose import Call, Graph, nested_tuple, spelling
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


def _grid_sample(call: Call, mode: str, padding: str, align: bool) -> int:
    """x (N, C, H, W) read at grid (N, Ho, Wo, 2) (x, y from -1 to 1): (N, C, Ho, Wo). Bilinear: the four corners of the
    cell each point falls in, weighted by (1 - fx or fx)(1 - fy or fy); nearest: the nearest pixel (half to even, as
    torch). Padding 'zeros' reads 0 outside x; 'border' and 'reflection' move the point inside first."""
    g, (x, grid) = call.graph, call.tensors
    shape, grid_shape = (g.builder.known_shape(t, g.col, f"{g.name}()") for t in (x, grid))
    if len(shape) != 4 or len(grid_shape) != 4 or grid_shape[-1] != 2 or grid_shape[0] != shape[0]:
        raise ExprError(f"not supported yet: {g.name}() of input {shape} and grid {grid_shape}: a 4-D input and an (N, Ho, Wo, 2) grid", g.col)
    if mode == "bicubic":
        raise ExprError(f"not supported yet: {g.name}(mode='bicubic')", g.col)
    n, _, height, width = shape
    value = np.asarray(g.builder.known_value(grid, g.col, f"the grid of {g.name}()"), dtype=np.float64)
    (px, vx), (py, vy) = (_position(g, grid, value, axis, size, padding, align) for axis, size in ((0, width), (1, height)))
    pixels = reordered(g, x, "nchw", "nhwc")
    batch = np.broadcast_to(np.arange(n).reshape(-1, 1, 1), vx.shape)

    def read(rows: np.ndarray, columns: np.ndarray, weight: int) -> int:
        inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
        key = tuple(nested_tuple(np.where(inside, k, 0)) for k in (batch, rows, columns))
        kept = g.op("mul", weight, g.const(inside.astype(np.float64)))
        return g.op("mul", g.op("index", pixels, key=key), g.op("expand_dims", kept, dim=-1))

    if mode == "nearest":
        # NOTE: the nearest pixel takes no gradient from the grid; round() at 0 weight reports a point halfway between two as a kink
        halfway = g.op("add", g.op("mul", g.op("round", px), g.const(0.0)), g.op("mul", g.op("round", py), g.const(0.0)))
        out = read(np.round(vy).astype(np.int64), np.round(vx).astype(np.int64), g.op("add", halfway, g.const(1.0)))
    else:
        fx, fy = (g.op("sub", p, g.op("floor", p)) for p in (px, py))  # NOTE: floor: a kink on a cell edge
        left, top = np.floor(vx).astype(np.int64), np.floor(vy).astype(np.int64)
        one = g.const(1.0)
        gx, gy = g.op("sub", one, fx), g.op("sub", one, fy)
        corners = [(top, left, gy, gx), (top, left + 1, gy, fx), (top + 1, left, fy, gx), (top + 1, left + 1, fy, fx)]
        out = None
        for rows, columns, wy, wx in corners:
            term = read(rows, columns, g.op("mul", wy, wx))
            out = term if out is None else g.op("add", out, term)
    return reordered(g, out, "nhwc", "nchw")


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
    torch.grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners) (the modes as torch's numbers)."""

    def compose(call: Call) -> int:
        names = ("mode", "padding_mode", "align_corners") if functional else ("interpolation_mode", "padding_mode", "align_corners")
        mode = _choice(call, names[0], 0, MODES, "bilinear")
        padding = _choice(call, names[1], 1, PADDINGS, "zeros")
        return _grid_sample(call, mode, padding, bool(call.literal(names[2], 2, False)))

    return compose


SPELLINGS: dict[str, Function] = {
    "affine_grid": spelling(_affine_grid, (1, 1), keywords=("size", "align_corners")),
    "grid_sample": spelling(_sampler(functional=True), (2, 2), keywords=("mode", "padding_mode", "align_corners")),
    "grid_sampler_2d": spelling(_sampler(functional=False), (2, 2), keywords=("interpolation_mode", "padding_mode", "align_corners")),
}
LITERAL_POSITIONAL = frozenset(SPELLINGS)
