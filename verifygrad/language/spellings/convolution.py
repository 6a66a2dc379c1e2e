"""Convolution, pooling, unfold/fold, pixel shuffle and interpolation, composed over static windows.

A window is a gather: one ``index`` node whose key lists, for every output position, the input positions its
window reads (fixed by the shapes, never by the values).  Convolution is then an einsum of the windows with
the weight; max pooling the ``amax`` of each window (ties as ``amax`` reports them); average pooling their sum
over a constant divisor; the transposed convolution the ``scatter`` (the transpose of a gather) of the
products.  So every engine differentiates them with no rule of its own, while the torch engine still calls
``F.conv2d`` and the rest itself, as written, to be compared against.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from verifygrad.language.spellings.compose import PART, Call, Graph, along, nested_tuple, spelling, whole_numbers
from verifygrad.language.spellings.shape import reordered
from verifygrad.language.syntax import ExprError, Function

UNSUPPORTED = dict.fromkeys(("convolve", "correlate"), "1-D numpy convolutions")


def _given(call: Call, key: str, position: int | None, default: Any) -> Any:
    """A literal parameter by keyword or position (None: not given); a keyword written None is the default."""
    node = call.params.get(key)
    if node is not None and not isinstance(node, int) and getattr(node, "value", 0) is None:
        return default
    if position is None and key not in call.params:
        return default
    value = call.literal(key, 10**6 if position is None else position, default)
    return default if value is None else value


def _sizes(call: Call, key: str, position: int | None, default: Any, n: int) -> tuple[int, ...]:
    """An int or a tuple of n ints (kernel_size, stride, padding, dilation), as one int per spatial dim."""
    value = _given(call, key, position, default)
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    if len(values) == 1:
        values = values * n
    if len(values) != n or not all(type(v) is int for v in values):
        raise ExprError(f"{call.graph.name}() takes {key} as an integer or {n} integers, not {value!r}", call.graph.col)
    return tuple(values)


def _batched(call: Call, x: int, spatial: int) -> tuple[int, tuple[int, ...], bool]:
    """x with a batch dim (an unbatched input gets one), its shape, and whether one was added."""
    g = call.graph
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if len(shape) == spatial + 1:
        return g.op("expand_dims", x, dim=0), (1, *shape), True
    if len(shape) != spatial + 2:
        raise ExprError(f"{g.name}() takes a {spatial + 1}-D or {spatial + 2}-D input, not {len(shape)}-D", g.col)
    return x, tuple(shape), False


def _unbatched(g: Graph, out: int, added: bool) -> int:
    return g.op("squeeze", out, dim=0) if added else out


def _window_key(outputs: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[Any, ...]:
    """The key that gathers (N, C, *spatial) into (N, C, P, K): P output positions, K kernel positions, both row-major."""
    n = len(outputs)
    positions = []
    for i in range(n):
        grid = np.arange(outputs[i])[:, None] * stride[i] + np.arange(kernel[i])[None, :] * dilation[i]
        shape = [1] * (2 * n)
        shape[i], shape[n + i] = outputs[i], kernel[i]
        spread = np.broadcast_to(grid.reshape(shape), (*outputs, *kernel))
        positions.append(spread.reshape(math.prod(outputs), math.prod(kernel)))
    return (slice(None), slice(None), *(nested_tuple(grid) for grid in positions))


def _output_sizes(call: Call, sizes: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                  dilation: tuple[int, ...], ceil_mode: bool = False) -> tuple[int, ...]:  # fmt: skip
    outputs = []
    for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        count = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (count - 1) * s >= n + p:  # NOTE: as torch, the last window must start inside the input or its left padding
            count -= 1
        if span < 0 or count < 1:
            raise ExprError(f"{call.graph.name}(): the kernel ({k}, dilation {d}) is larger than the padded input ({n + 2 * p})", call.graph.col)
        outputs.append(count)
    return tuple(outputs)


def _padded(g: Graph, x: int, shape: tuple[int, ...], before: tuple[int, ...], after: tuple[int, ...], fill: float = 0.0) -> int:
    """x (N, C, *spatial) padded along its spatial dims with ``fill`` (-inf for max pooling)."""
    if not any(before) and not any(after):
        return x
    pairs = ((0, 0), (0, 0), *zip(before, after))
    out = g.op("pad", x, pairs=pairs)
    if fill == 0.0:
        return out
    mask = np.pad(np.zeros(shape), pairs, constant_values=1.0) > 0
    return g.op("add", out, g.const(np.where(mask, fill, 0.0)))


# --- convolution ------------------------------------------------------------------------------------------


def conv(spatial: int) -> Callable[[Call], int]:
    """F.convNd(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1): the windows of the padded input,
    contracted with the weight (O, C/groups, *kernel) per group; padding an int, a tuple, 'valid' or 'same'."""

    def compose(call: Call) -> int:
        g, (x, weight) = call.graph, call.tensors[:2]
        x, shape, added = _batched(call, x, spatial)
        w_shape = g.builder.known_shape(weight, g.col, f"{g.name}()")
        kernel, stride = tuple(w_shape[2:]), _sizes(call, "stride", 0, 1, spatial)
        dilation, groups = _sizes(call, "dilation", 2, 1, spatial), call.integer("groups", 3, 1) or 1
        given = _given(call, "padding", 1, 0)
        if given in ("valid", "same"):
            if given == "same" and any(s != 1 for s in stride):
                raise ExprError(f"{g.name}(): padding='same' takes stride 1 only (as torch)", g.col)
            total = [d * (k - 1) if given == "same" else 0 for k, d in zip(kernel, dilation)]
            before, after = tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
        else:
            before = after = _sizes(call, "padding", 1, 0, spatial)
        channels, out_channels = shape[1], w_shape[0]
        if len(w_shape) != spatial + 2 or channels != w_shape[1] * groups or out_channels % groups:
            raise ExprError(f"{g.name}(): weight of shape {tuple(w_shape)} does not fit an input of {channels} channels in {groups} group(s)", g.col)
        padded_sizes = tuple(n + b + a for n, b, a in zip(shape[2:], before, after))
        outputs = _output_sizes(call, padded_sizes, kernel, stride, (0,) * spatial, dilation)
        windows = g.op("index", _padded(g, x, shape, before, after), key=_window_key(outputs, kernel, stride, dilation))
        windows = g.op("reshape", windows, shape=(shape[0], groups, channels // groups, math.prod(outputs), math.prod(kernel)))
        weights = g.op("reshape", weight, shape=(groups, out_channels // groups, channels // groups, math.prod(kernel)))
        out = g.op("einsum", windows, weights, spec="ngcpk,gock->ngop")
        out = g.op("reshape", out, shape=(shape[0], out_channels, *outputs))
        bias = call.tensor("bias", 2)
        if bias is not None:
            out = g.op("add", out, g.op("reshape", bias, shape=(out_channels,) + (1,) * spatial))
        return _unbatched(g, out, added)

    return compose


def _conv_transpose(spatial: int) -> Callable[[Call], int]:
    """F.conv_transposeNd(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1): the
    transpose of convolution: each input position times the kernel, scattered (summed) onto the output's positions."""

    def compose(call: Call) -> int:
        g, (x, weight) = call.graph, call.tensors[:2]
        x, shape, added = _batched(call, x, spatial)
        w_shape = g.builder.known_shape(weight, g.col, f"{g.name}()")
        kernel, stride, padding = tuple(w_shape[2:]), _sizes(call, "stride", 0, 1, spatial), _sizes(call, "padding", 1, 0, spatial)
        extra, groups = _sizes(call, "output_padding", 2, 0, spatial), call.integer("groups", 3, 1) or 1
        dilation = _sizes(call, "dilation", 4, 1, spatial)
        channels = shape[1]
        if len(w_shape) != spatial + 2 or channels != w_shape[0] or channels % groups:
            raise ExprError(f"{g.name}(): weight of shape {tuple(w_shape)} does not fit an input of {channels} channels in {groups} group(s)", g.col)
        if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
            raise ExprError(f"{g.name}(): output_padding must be smaller than stride or dilation", g.col)
        out_channels, inputs = w_shape[1] * groups, tuple(shape[2:])
        full = tuple((n - 1) * s + d * (k - 1) + 1 + e for n, s, d, k, e in zip(inputs, stride, dilation, kernel, extra))
        if any(f - 2 * p < 1 for f, p in zip(full, padding)):
            raise ExprError(f"{g.name}(): the padding leaves no output", g.col)
        grouped = g.op("reshape", x, shape=(shape[0], groups, channels // groups, math.prod(inputs)))
        weights = g.op("reshape", weight, shape=(groups, channels // groups, w_shape[1], math.prod(kernel)))
        products = g.op("einsum", grouped, weights, spec="ngcp,gcok->ngopk")
        products = g.op("reshape", products, shape=(shape[0], out_channels, math.prod(inputs), math.prod(kernel)))
        out = g.op("scatter", products, shape=(shape[0], out_channels, *full), key=_window_key(inputs, kernel, stride, dilation))
        if any(padding):
            out = g.op("index", out, key=(slice(None), slice(None), *(slice(p, f - p) for p, f in zip(padding, full))))
        bias = call.tensor("bias", 2)
        if bias is not None:
            out = g.op("add", out, g.op("reshape", bias, shape=(out_channels,) + (1,) * spatial))
        return _unbatched(g, out, added)

    return compose


# --- pooling ----------------------------------------------------------------------------------------------


# The positions of a pooling call's literal arguments (after the input): kernel_size, stride, padding, dilation, ceil_mode.
MAX_POOL, AVG_POOL, LP_POOL = (0, 1, 2, 3, 4), (0, 1, 2, None, 3), (1, 2, None, None, 3)


Windows = tuple[int, tuple[int, ...], tuple[int, ...], dict[str, Any]]


def _pool_windows(call: Call, x: int, spatial: int, fill: float, places: tuple[int | None, ...]) -> Windows:
    """The (N, C, P, K) windows of a pooling call, x's batched shape, the output sizes, and the geometry read."""
    g = call.graph
    x, shape, added = _batched(call, x, spatial)
    kernel = _sizes(call, "kernel_size", places[0], None, spatial)
    stride_given = _given(call, "stride", places[1], None)
    stride = kernel if stride_given in (None, []) else _sizes(call, "stride", places[1], None, spatial)
    padding = _sizes(call, "padding", places[2], 0, spatial)
    dilation = _sizes(call, "dilation", places[3], 1, spatial)
    ceil_mode = bool(_given(call, "ceil_mode", places[4], False))
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ExprError(f"{g.name}(): padding must be at most half the kernel size (as torch)", g.col)
    outputs = _output_sizes(call, tuple(shape[2:]), kernel, stride, padding, dilation, ceil_mode)
    # NOTE: ceil_mode's last window may reach past the right padding: padded further, with the same fill
    after = tuple(max(p, (o - 1) * s + d * (k - 1) + 1 - n - p) for o, s, d, k, n, p in zip(outputs, stride, dilation, kernel, shape[2:], padding))
    windows = g.op("index", _padded(g, x, shape, padding, after, fill), key=_window_key(outputs, kernel, stride, dilation))
    return windows, shape, outputs, {"kernel": kernel, "stride": stride, "padding": padding, "added": added}


def _values_only(call: Call, position: int) -> None:
    """A pooling asked for its indices returns (values, indices): the values are taken by [0]; the indices have no gradient."""
    asked, part = _given(call, "return_indices", position, False), call.part()
    if asked and part != 0:
        raise ExprError(f"{call.graph.name}() with return_indices=True returns (values, indices): take the values, {call.graph.name}(...)[0]", call.graph.col)


def _max_pool(spatial: int) -> Callable[[Call], int]:
    """F.max_poolNd(input, kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=False): the maximum of each
    window (padding never wins: it is -inf); a tie for a window's maximum is a tie, as for amax."""

    def compose(call: Call) -> int:
        g = call.graph
        _values_only(call, 5)
        windows, shape, outputs, geometry = _pool_windows(call, call.tensors[0], spatial, -math.inf, MAX_POOL)
        out = g.op("reshape", g.reduce("amax", windows, -1), shape=(*shape[:2], *outputs))
        return _unbatched(g, out, geometry["added"])

    return compose


def _max_unpool(spatial: int) -> Callable[[Call], int]:
    """F.max_unpoolNd(x, indices, kernel_size, stride=kernel_size, padding=0, output_size=None): each element of x
    written at its flat position (of the output's spatial dims) that ``indices`` holds, zeros elsewhere: a scatter with
    the positions fixed at the case's values. A position written twice is refused (torch leaves it unspecified)."""

    def compose(call: Call) -> int:
        g, index = call.graph, call.tensors[1]
        x, shape, added = _batched(call, call.tensors[0], spatial)
        what = f"the indices of {g.name}()"
        positions = whole_numbers(g.builder.known_value(index, g.col, what), what, g.col)
        positions = positions[None] if added else positions
        kernel = _sizes(call, "kernel_size", 0, None, spatial)
        stride_given = _given(call, "stride", 1, None)
        stride = kernel if stride_given in (None, []) else _sizes(call, "stride", 1, None, spatial)
        padding = _sizes(call, "padding", 2, 0, spatial)
        given = _given(call, "output_size", 3, None)
        if given is None:
            sizes = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(shape[2:], stride, padding, kernel))
        else:
            sizes = tuple(given[-spatial:]) if isinstance(given, list) else (given,) * spatial
        total = math.prod(sizes)
        if positions.shape != tuple(shape) or positions.size and (positions.min() < 0 or positions.max() >= total):
            raise ExprError(f"{g.name}(): the indices must have x's shape and lie in the output's {total} positions", g.col)
        flat = positions.reshape(shape[0] * shape[1], -1)
        if any(len(np.unique(row)) < len(row) for row in flat):
            raise ExprError(f"{g.name}() writes one position twice (torch leaves which value wins unspecified)", g.col)
        grid = np.indices(positions.shape)
        key = (nested_tuple(grid[0]), nested_tuple(grid[1]), nested_tuple(positions))
        out = g.op("reshape", g.op("scatter", x, shape=(shape[0], shape[1], total), key=key), shape=(shape[0], shape[1], *sizes))
        return _unbatched(g, out, added)

    return compose


def _divisors(sizes: tuple[int, ...], outputs: tuple[int, ...], geometry: dict[str, Any], include_pad: bool) -> np.ndarray:
    """The number of elements each average-pooling window divides by, as torch counts them (the padding in or out, never
    the overhang of ceil_mode)."""
    per_dim = []
    for n, o, k, s, p in zip(sizes, outputs, geometry["kernel"], geometry["stride"], geometry["padding"]):
        starts = np.arange(o) * s - p
        ends = np.minimum(starts + k, n + p)
        per_dim.append((ends - starts) if include_pad else (np.minimum(ends, n) - np.maximum(starts, 0)))
    return np.array([math.prod(c) for c in itertools.product(*per_dim)], dtype=np.float64)


def _avg_pool(spatial: int) -> Callable[[Call], int]:
    """F.avg_poolNd(input, kernel_size, stride=kernel_size, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None): the sum of each zero-padded window over torch's divisor."""

    def compose(call: Call) -> int:
        g = call.graph
        windows, shape, outputs, geometry = _pool_windows(call, call.tensors[0], spatial, 0.0, AVG_POOL)
        include_pad = bool(_given(call, "count_include_pad", 4, True))
        override = _given(call, "divisor_override", 5, None) if spatial > 1 else None
        divisors = np.full(math.prod(outputs), float(override)) if override else _divisors(tuple(shape[2:]), outputs, geometry, include_pad)
        out = g.op("div", g.reduce("sum", windows, -1), g.const(divisors))
        return _unbatched(g, g.op("reshape", out, shape=(*shape[:2], *outputs)), geometry["added"])

    return compose


def _lp_pool(spatial: int) -> Callable[[Call], int]:
    """F.lp_poolNd(input, norm_type, kernel_size, stride=kernel_size, ceil_mode=False): (sum of x**p over each window)**(1/p)."""

    def compose(call: Call) -> int:
        g = call.graph
        p = _given(call, "norm_type", 0, None)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or p == 0:
            raise ExprError(f"{g.name}() takes norm_type as a non-zero number", g.col)
        if _given(call, "ceil_mode", 3, False):
            raise ExprError(f"not supported yet: {g.name}() with ceil_mode", g.col)
        if math.isinf(p):  # NOTE: as torch, the largest (smallest) absolute value of each window
            size = g.op("abs", call.tensors[0])
            signed = size if p > 0 else g.op("neg", size)
            windows, shape, outputs, geometry = _pool_windows(call, signed, spatial, -math.inf, LP_POOL)
            out = g.reduce("amax", windows, -1)
            out = g.op("reshape", out if p > 0 else g.op("neg", out), shape=(*shape[:2], *outputs))
            return _unbatched(g, out, geometry["added"])
        powered = g.op("pow", call.tensors[0], g.const(float(p)))
        windows, shape, outputs, geometry = _pool_windows(call, powered, spatial, 0.0, LP_POOL)
        out = g.op("pow", g.reduce("sum", windows, -1), g.const(1 / p))
        return _unbatched(g, g.op("reshape", out, shape=(*shape[:2], *outputs)), geometry["added"])

    return compose


def _adaptive_bounds(n: int, out: int) -> list[tuple[int, int]]:
    """torch's adaptive windows: [floor(i n / out), ceil((i + 1) n / out))."""
    return [((i * n) // out, -(-((i + 1) * n) // out)) for i in range(out)]


def _adaptive_sizes(call: Call, shape: tuple[int, ...], spatial: int) -> tuple[int, ...]:
    value = _given(call, "output_size", 0, None)
    values = list(value) if isinstance(value, (list, tuple)) else [value] * spatial
    values = [n if v is None else v for v, n in zip(values, shape[-spatial:])]  # NOTE: None keeps that dim's size
    if len(values) != spatial or not all(type(v) is int and v > 0 for v in values):
        raise ExprError(f"{call.graph.name}() takes output_size as a positive integer or {spatial} of them", call.graph.col)
    return tuple(values)


def _adaptive_avg_pool(spatial: int) -> Callable[[Call], int]:
    """F.adaptive_avg_poolNd(input, output_size): per spatial dim, a constant averaging matrix (torch's windows)."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        shape = g.builder.known_shape(x, g.col, f"{g.name}()")
        if len(shape) not in (spatial + 1, spatial + 2):
            raise ExprError(f"{g.name}() takes a {spatial + 1}-D or {spatial + 2}-D input, not {len(shape)}-D", g.col)
        for dim, (n, out) in enumerate(zip(shape[-spatial:], _adaptive_sizes(call, shape, spatial)), start=len(shape) - spatial):
            matrix = np.zeros((out, n))
            for i, (start, end) in enumerate(_adaptive_bounds(n, out)):
                matrix[i, start:end] = 1.0 / (end - start)
            x = _along_matrix(g, x, matrix, dim, len(shape))
        return x

    return compose


def _along_matrix(g: Graph, x: int, matrix: np.ndarray, dim: int, ndim: int) -> int:
    """x with dim mapped through a constant (out, in) matrix: an einsum of x with the matrix."""
    letters = "abcdefgh"[:ndim]
    out = letters.replace(letters[dim], "z")
    return g.op("einsum", x, g.const(matrix.T), spec=f"{letters},{letters[dim]}z->{out}")


def _adaptive_max_pool(spatial: int) -> Callable[[Call], int]:
    """F.adaptive_max_poolNd(input, output_size): the maximum over torch's windows, one spatial dim at a time
    (the maximum over a box is the maximum of the maxima of its rows)."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        _values_only(call, 1)
        shape = g.builder.known_shape(x, g.col, f"{g.name}()")
        if len(shape) not in (spatial + 1, spatial + 2):
            raise ExprError(f"{g.name}() takes a {spatial + 1}-D or {spatial + 2}-D input, not {len(shape)}-D", g.col)
        for dim, (n, out) in enumerate(zip(shape[-spatial:], _adaptive_sizes(call, shape, spatial)), start=len(shape) - spatial):
            pieces = [g.op("amax", g.op("index", x, key=along(dim, slice(start, end))), dim=dim, keepdim=True) for start, end in _adaptive_bounds(n, out)]
            x = pieces[0]
            for piece in pieces[1:]:
                x = g.op("concat", x, piece, dim=dim)
        return x

    return compose


def _local_response_norm(call: Call) -> int:
    """F.local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1): x / (k + alpha * mean of x**2 over ``size``
    neighbouring channels)**beta, the channels (dim 1) zero-padded by size // 2 before and (size - 1) // 2 after."""
    g, x = call.graph, call.tensors[0]
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    size = call.integer("size", 0, None)
    if size is None or size < 1 or len(shape) < 3:
        raise ExprError(f"{g.name}() takes an input of at least 3 dims and a positive size", g.col)
    alpha, beta, k = (float(_given(call, key, i, default)) for i, (key, default) in enumerate((("alpha", 1e-4), ("beta", 0.75), ("k", 1.0)), start=1))
    pairs = ((0, 0), (size // 2, (size - 1) // 2)) + ((0, 0),) * (len(shape) - 2)
    squares = g.op("pad", g.op("mul", x, x), pairs=pairs)
    grid = np.arange(shape[1])[:, None] + np.arange(size)[None, :]
    windows = g.op("index", squares, key=along(1, nested_tuple(grid)))  # (N, C, size, ...)
    mean = g.scale(g.reduce("sum", windows, 2), 1 / size)
    return g.op("div", x, g.op("pow", g.op("add", g.scale(mean, alpha), g.const(k)), g.const(beta)))


# --- unfold, fold, pixel shuffle --------------------------------------------------------------------------


def _unfold(call: Call) -> int:
    """F.unfold(input, kernel_size, dilation=1, padding=0, stride=1): (N, C, H, W) to (N, C * kh * kw, L), the windows
    as columns (channel-major, then kernel position)."""
    g = call.graph
    x, shape, added = _batched(call, call.tensors[0], 2)
    kernel, dilation = _sizes(call, "kernel_size", 0, None, 2), _sizes(call, "dilation", 1, 1, 2)
    padding, stride = _sizes(call, "padding", 2, 0, 2), _sizes(call, "stride", 3, 1, 2)
    outputs = _output_sizes(call, tuple(shape[2:]), kernel, stride, padding, dilation)
    windows = g.op("index", _padded(g, x, shape, padding, padding), key=_window_key(outputs, kernel, stride, dilation))
    columns = g.op("transpose", windows, dim0=2, dim1=3)
    return _unbatched(g, g.op("reshape", columns, shape=(shape[0], shape[1] * math.prod(kernel), math.prod(outputs))), added)


def _tensor_unfold(call: Call) -> int:
    """x.unfold(dimension, size, step): the windows of ``size`` every ``step`` along dimension, as a new last dim."""
    g, x = call.graph, call.tensors[0]
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    dim, size, step = (call.integer(key, i, None) for i, key in enumerate(("dimension", "size", "step")))
    if dim is None or size is None or step is None or step < 1 or size < 0 or not -max(len(shape), 1) <= dim < max(len(shape), 1):
        raise ExprError(f"{g.name}() takes a dimension, a size and a positive step, e.g. x.unfold(0, 2, 1)", g.col)
    if not shape:
        return g.op("reshape", x, shape=(1,)) if size == 1 else call.tensors[0]
    dim %= len(shape)
    if size > shape[dim]:
        raise ExprError(f"{g.name}(): size {size} is larger than dim {dim} ({shape[dim]})", g.col)
    count = (shape[dim] - size) // step + 1
    grid = np.arange(count)[:, None] * step + np.arange(size)[None, :]
    x = g.op("index", x, key=along(dim, nested_tuple(grid)))  # (..., count, size, ...): size moved last by transposes
    for d in range(dim + 1, len(shape)):
        x = g.op("transpose", x, dim0=d, dim1=d + 1)
    return x


def _fold(call: Call) -> int:
    """F.fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1): the transpose of unfold, overlapping
    positions summed."""
    g, x = call.graph, call.tensors[0]
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if len(shape) not in (2, 3):
        raise ExprError(f"{g.name}() takes a 2-D or 3-D input, not {len(shape)}-D", g.col)
    if added := len(shape) == 2:
        x, shape = g.op("expand_dims", x, dim=0), (1, *shape)
    size, kernel = _sizes(call, "output_size", 0, None, 2), _sizes(call, "kernel_size", 1, None, 2)
    dilation, padding, stride = _sizes(call, "dilation", 2, 1, 2), _sizes(call, "padding", 3, 0, 2), _sizes(call, "stride", 4, 1, 2)
    outputs = _output_sizes(call, size, kernel, stride, padding, dilation)
    if shape[1] % math.prod(kernel) or shape[2] != math.prod(outputs):
        raise ExprError(f"{g.name}(): an input of shape {tuple(shape)} does not fold into {size} with kernel {kernel}", g.col)
    channels = shape[1] // math.prod(kernel)
    columns = g.op("reshape", x, shape=(shape[0], channels, math.prod(kernel), math.prod(outputs)))
    full = tuple(n + 2 * p for n, p in zip(size, padding))
    out = g.op("scatter", g.op("transpose", columns, dim0=2, dim1=3), shape=(shape[0], channels, *full), key=_window_key(outputs, kernel, stride, dilation))
    if any(padding):
        out = g.op("index", out, key=(slice(None), slice(None), *(slice(p, n + p) for p, n in zip(padding, size))))
    return _unbatched(g, out, added)


def _pixel_shuffle(inverse: bool) -> Callable[[Call], int]:
    """F.pixel_shuffle(x, r): (*, C r^2, H, W) to (*, C, H r, W r); pixel_unshuffle the inverse. Reshapes and transposes."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        r = call.integer("downscale_factor" if inverse else "upscale_factor", 0, None)
        shape = tuple(g.builder.known_shape(x, g.col, f"{g.name}()"))
        if r is None or r < 1 or len(shape) < 3:
            raise ExprError(f"{g.name}() takes a tensor of at least 3 dims and a positive factor", g.col)
        lead, (c, h, w) = shape[:-3], shape[-3:]
        k = len(lead)
        if inverse:
            if h % r or w % r:
                raise ExprError(f"{g.name}(): {h}x{w} does not divide by {r}", g.col)
            x = g.op("reshape", x, shape=(*lead, c, h // r, r, w // r, r))
            x = reordered(g, x, [*range(k), "c", "h", "r1", "w", "r2"], [*range(k), "c", "r1", "r2", "h", "w"])
            return g.op("reshape", x, shape=(*lead, c * r * r, h // r, w // r))
        if c % (r * r):
            raise ExprError(f"{g.name}(): {c} channels do not divide by {r}**2", g.col)
        x = g.op("reshape", x, shape=(*lead, c // (r * r), r, r, h, w))
        x = reordered(g, x, [*range(k), "c", "r1", "r2", "h", "w"], [*range(k), "c", "h", "r1", "w", "r2"])
        return g.op("reshape", x, shape=(*lead, c // (r * r), h * r, w * r))

    return compose


# --- interpolation ----------------------------------------------------------------------------------------

MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area", "bicubic")


def _interpolate(call: Call, mode: str | None = None, align: bool | None = None) -> int:
    """F.interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None): nearest modes as a
    gather, the linear ones as a constant interpolation matrix per spatial dim, with torch's source coordinates."""
    g, x = call.graph, call.tensors[0]
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    spatial = len(shape) - 2
    mode = mode or _given(call, "mode", 2, "nearest")
    if mode not in MODES:
        raise ExprError(f"not supported yet: {g.name}() with mode {mode!r} (nearest, nearest-exact, linear, bilinear, trilinear, bicubic and area are)", g.col)
    if spatial < 1 or (mode in ("linear", "bilinear", "trilinear") and spatial != MODES.index(mode) - 1) or (mode == "bicubic" and spatial != 2):
        raise ExprError(f"{g.name}(): mode {mode!r} does not take a {len(shape)}-D input", g.col)
    if _given(call, "antialias", 5, False):
        raise ExprError(f"not supported yet: {g.name}() with antialias=True", g.col)
    size, factor = _given(call, "size", 0, None), _given(call, "scale_factor", 1, None)
    align_corners = bool(_given(call, "align_corners", 3, False)) if align is None else align
    if align_corners and (mode.startswith("nearest") or mode == "area"):
        raise ExprError(f"{g.name}(): align_corners goes with the linear modes only", g.col)
    recompute = bool(_given(call, "recompute_scale_factor", 4, False)) or mode == "area"
    if (size is None) == (factor is None):
        raise ExprError(f"{g.name}() takes either size or scale_factor", g.col)
    factors = [None] * spatial if factor is None else (list(factor) if isinstance(factor, list) else [factor] * spatial)
    sizes = (list(size) if isinstance(size, list) else [size] * spatial) if size is not None else [int(math.floor(n * f)) for n, f in zip(shape[2:], factors)]
    if len(sizes) != spatial or len(factors) != spatial or not all(type(s) is int and s > 0 for s in sizes):
        raise ExprError(f"{g.name}() takes size or scale_factor as one number or {spatial}", g.col)
    for dim, (n, out, f) in enumerate(zip(shape[2:], sizes, factors), start=2):
        scale = 1 / f if f is not None and not recompute else n / out
        if mode == "area":  # NOTE: as torch, adaptive average pooling to the output size
            matrix = np.zeros((out, n))
            for i, (start, end) in enumerate(_adaptive_bounds(n, out)):
                matrix[i, start:end] = 1.0 / (end - start)
            x = _along_matrix(g, x, matrix, dim, len(shape))
        elif mode == "bicubic":
            x = _along_matrix(g, x, _cubic_matrix(n, out, scale, align_corners), dim, len(shape))
        elif mode.startswith("nearest"):
            shift = 0.5 if mode == "nearest-exact" else 0.0
            positions = [min(int(math.floor((i + shift) * scale)), n - 1) for i in range(out)]
            x = g.op("index", x, key=along(dim, tuple(positions)))
        else:
            x = _along_matrix(g, x, _linear_matrix(n, out, scale, align_corners), dim, len(shape))
    return x


def _linear_matrix(n: int, out: int, scale: float, align_corners: bool) -> np.ndarray:
    """The (out, n) matrix of torch's linear interpolation along one dim."""
    matrix = np.zeros((out, n))
    for i in range(out):
        corner = i * (n - 1) / (out - 1) if out > 1 else 0.0
        source = corner if align_corners else max((i + 0.5) * scale - 0.5, 0.0)
        low = min(int(math.floor(source)), n - 1)
        high = min(low + 1, n - 1)
        weight = source - low
        matrix[i, low] += 1 - weight
        matrix[i, high] += weight
    return matrix


CUBIC = -0.75  # torch's (and OpenCV's) cubic convolution coefficient


def _cubic_matrix(n: int, out: int, scale: float, align_corners: bool) -> np.ndarray:
    """The (out, n) matrix of torch's bicubic interpolation along one dim: four taps around the source coordinate
    (not clamped at 0, unlike linear), each clamped into the input, with the cubic convolution weights."""

    def near(x: float) -> float:  # |x| <= 1
        return ((CUBIC + 2) * x - (CUBIC + 3)) * x * x + 1

    def far(x: float) -> float:  # 1 < |x| < 2
        return ((CUBIC * x - 5 * CUBIC) * x + 8 * CUBIC) * x - 4 * CUBIC

    matrix = np.zeros((out, n))
    for i in range(out):
        source = (i * (n - 1) / (out - 1) if out > 1 else 0.0) if align_corners else (i + 0.5) * scale - 0.5
        low = math.floor(source)
        t = source - low
        for offset, weight in zip((-1, 0, 1, 2), (far(t + 1), near(t), near(1 - t), far(2 - t))):
            matrix[i, min(max(low + offset, 0), n - 1)] += weight
    return matrix


_CONV = ("bias", "stride", "padding", "dilation", "groups")
_POOL = ("kernel_size", "stride", "padding", "ceil_mode")
SPELLINGS: dict[str, Function] = {
    **{f"conv{n}d": spelling(conv(n), (2, 3), keywords=_CONV) for n in (1, 2, 3)},
    **{f"conv_transpose{n}d": spelling(_conv_transpose(n), (2, 3), keywords=(*_CONV, "output_padding")) for n in (1, 2, 3)},
    **{f"max_pool{n}d": spelling(_max_pool(n), (1, 1), keywords=(*_POOL, "dilation", "return_indices", PART)) for n in (1, 2, 3)},
    **{f"max_unpool{n}d": spelling(_max_unpool(n), (2, 2), keywords=("kernel_size", "stride", "padding", "output_size")) for n in (1, 2, 3)},
    **{f"avg_pool{n}d": spelling(_avg_pool(n), (1, 1), keywords=(*_POOL, "count_include_pad", "divisor_override")) for n in (1, 2, 3)},
    **{f"lp_pool{n}d": spelling(_lp_pool(n), (1, 1), keywords=("norm_type", "kernel_size", "stride", "ceil_mode")) for n in (1, 2, 3)},
    **{f"adaptive_avg_pool{n}d": spelling(_adaptive_avg_pool(n), (1, 1), keywords=("output_size",)) for n in (1, 2, 3)},
    **{f"adaptive_max_pool{n}d": spelling(_adaptive_max_pool(n), (1, 1), keywords=("output_size", "return_indices", PART)) for n in (1, 2, 3)},
    "local_response_norm": spelling(_local_response_norm, (1, 1), keywords=("size", "alpha", "beta", "k")),
    "F.unfold": spelling(_unfold, (1, 1), keywords=("kernel_size", "dilation", "padding", "stride")),
    "unfold": spelling(_tensor_unfold, (1, 1), keywords=("dimension", "size", "step")),
    "fold": spelling(_fold, (1, 1), keywords=("output_size", "kernel_size", "dilation", "padding", "stride")),
    "pixel_shuffle": spelling(_pixel_shuffle(inverse=False), (1, 1), keywords=("upscale_factor",)),
    "pixel_unshuffle": spelling(_pixel_shuffle(inverse=True), (1, 1), keywords=("downscale_factor",)),
    "upsample_nearest": spelling(lambda call: _interpolate(call, "nearest"), (1, 1), keywords=("size", "scale_factor")),
    "upsample_bilinear": spelling(lambda call: _interpolate(call, "bilinear", align=True), (1, 1), keywords=("size", "scale_factor")),
    "interpolate": spelling(_interpolate, (1, 1), keywords=("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias")),
    "upsample": spelling(_interpolate, (1, 1), keywords=("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor")),
}  # fmt: skip
LITERAL_POSITIONAL = frozenset(SPELLINGS)
NUMBER_POSITIONAL = frozenset({"local_response_norm", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", *(f"lp_pool{n}d" for n in (1, 2, 3))})
OPTIONAL_TENSORS = frozenset({*(f"conv{n}d" for n in (1, 2, 3)), *(f"conv_transpose{n}d" for n in (1, 2, 3))})
