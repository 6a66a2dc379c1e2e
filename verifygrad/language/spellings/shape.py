"""Shape and indexing: reshaping, flipping, padding, joining and splitting, permuting, gathering."""

from __future__ import annotations

import ast
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from verifygrad.language.spellings.compose import PART, Call, Compose, Graph, along, dim_of, ints, nested_tuple, part_index, spelling, whole_numbers
from verifygrad.language.syntax import ExprError, Function, dims_in_removal_order, literal

# Calls whose first argument may be a list of tensors: torch.cat([a, b]).
SEQUENCES = frozenset({"meshgrid", "multi_dot", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack"})


def _shape_literal(call: Call) -> tuple[int, ...]:
    given = call.literal("shape", 0, None) if "shape" in call.params else call.literal("newshape", 0, None)
    shape = given if isinstance(given, list) else call.dims
    if not shape or not all(type(n) is int for n in shape):
        raise ExprError(f"{call.graph.name}() takes the new shape as integers, e.g. {call.graph.name}(x, (2, 3))", call.graph.col)
    return tuple(shape)


def _reshape(call: Call) -> int:
    return call.graph.op("reshape", call.tensors[0], shape=_shape_literal(call))


def _flatten(call: Call) -> int:
    start, end = call.literal("start_dim", 0, 0), call.literal("end_dim", 1, -1)
    return call.graph.op("flatten", call.tensors[0], start_dim=start, end_dim=end)


def _unsqueeze(call: Call) -> int:
    return call.graph.op("expand_dims", call.tensors[0], dim=call.dim(required=True))


def _expand_dims(call: Call) -> int:
    """np.expand_dims(a, axis): axis one dim or a tuple of them, each a place in the result (a negative one counted from
    its end), the new dims put in from the lowest place up, as numpy does."""
    g, x = call.graph, call.tensors[0]
    dim = call.dim(required=True, several=True)
    if not isinstance(dim, tuple):
        return g.op("expand_dims", x, dim=dim)
    size = len(dim) + (len(g.builder.known_shape(x, g.col, f"{g.name}()")) if any(d < 0 for d in dim) else 0)
    places = sorted({d % size if d < 0 else d for d in dim})
    if len(places) != len(dim):
        raise ExprError(f"{g.name}() got the same axis twice", g.col)
    for place in places:
        x = g.op("expand_dims", x, dim=place)
    return x


def _squeeze(call: Call) -> int:
    """squeeze(x, dim=None): every dim of size 1, or dim (an int, or a tuple of them: () squeezes none) where its size is 1."""
    given = call.literal("dim", 0, None) if "dim" in call.params or "axis" not in call.params else call.literal("axis", 0, None)
    if not isinstance(given, (list, tuple)):
        return call.graph.op("squeeze", call.tensors[0], dim=call.dim())
    out, g = call.tensors[0], call.graph
    for dim in dims_in_removal_order(ints(list(given), "its dims", call), lambda: len(g.builder.known_shape(call.tensors[0], g.col, f"{g.name}()"))):
        out = g.op("squeeze", out, dim=dim)
    return out


def _tile(call: Call) -> int:
    given = call.literal("reps", 0, None) if "reps" in call.params else call.literal("dims", 0, None)
    reps = [given] if type(given) is int else given if isinstance(given, list) else call.dims  # NOTE: np.tile(x, reps=2) is reps=(2,)
    return call.graph.op("tile", call.tensors[0], reps=ints(reps, "the repetitions", call))


def _repeat_interleave(call: Call) -> int:
    """torch.repeat_interleave(x, repeats, dim=None), np.repeat(a, repeats, axis=None): each element repeats times in
    a row (x flattened first where no dim is given); repeats one count, or one per element along dim (a list, or
    torch's tensor of counts, read at the case's values) as a gather of each element's place, that many times."""
    g, x = call.graph, call.tensors[0]
    dim = call.literal("dim", 1, None) if "dim" in call.params else call.literal("axis", 1, None)
    counts = g.builder.known_value(call.tensors[1], g.col, f"the repeats of {g.name}()") if len(call.tensors) == 2 else call.literal("repeats", 0, None)
    if type(counts) is int:
        return g.op("repeat", x, repeats=counts, dim=dim)
    counts = whole_numbers(np.ravel(np.asarray(counts if counts is not None else [], dtype=np.float64)), "the repeats", g.col)
    if dim is None:
        x, dim = g.op("flatten", x, start_dim=0, end_dim=-1), 0
    size = g.builder.known_shape(x, g.col, f"{g.name}()")[dim]
    if counts.size not in (1, size) or np.any(counts < 0):
        raise ExprError(f"{g.name}() takes repeats as one count, or one whole number >= 0 for each of the {size} elements along the dim", g.col)
    places = np.repeat(np.arange(size), np.broadcast_to(counts, (size,)))
    return g.op("index", x, key=along(dim, tuple(places.tolist())))


def _append(call: Call) -> int:
    """np.append(arr, values, axis=None): both flattened and joined, or joined along axis."""
    g, (x, values) = call.graph, call.tensors
    axis = call.literal("axis", 0, None)
    if axis is None:
        x, values = (g.op("flatten", t, start_dim=0, end_dim=-1) for t in (x, values))
    return g.op("concat", x, values, dim=0 if axis is None else axis)


def _flip(call: Call) -> int:
    given = next((call.literal(key, 0, None) for key in ("dims", "axis") if key in call.params), call.literal("dims", 0, None))
    if given is None and call.graph.name != "np.flip":
        raise ExprError("flip() needs dims, e.g. flip(x, [0])", call.graph.col)
    return call.graph.op("flip", call.tensors[0], dims=None if given is None else ints(given, "dims", call))


def _flip_dim(dim: int) -> Compose:
    return lambda call: call.graph.op("flip", call.tensors[0], dims=(dim,))


def _roll(call: Call) -> int:
    shifts = call.literal("shifts", 0, None) if "shifts" in call.params else call.literal("shift", 0, None)
    dims = next((call.literal(key, 1, None) for key in ("dims", "axis") if key in call.params), call.literal("dims", 1, None))
    if isinstance(shifts, list) or isinstance(dims, list):
        shifts, dims = ints(shifts, "shifts", call), ints(dims, "dims", call)
    elif type(shifts) is not int:
        raise ExprError(f"{call.graph.name}() takes shifts as integers", call.graph.col)
    return call.graph.op("roll", call.tensors[0], shifts=shifts, dims=dims)


def _fft_shift(sign: int) -> Compose:
    """torch.fft.fftshift(x, dim=None) (ifftshift): x rolled by half of each dim's size (every dim where none is
    given), the zero frequency to the middle; ifftshift rolls back."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        shape = g.builder.known_shape(x, g.col, f"{g.name}()")
        given = next((call.literal(key, 0, None) for key in ("dim", "axes") if key in call.params), call.literal("dim", 0, None))
        dims = tuple(range(len(shape))) if given is None else ints(list(given) if isinstance(given, tuple) else given, "dim", call)
        if not dims:
            return x
        shifts = tuple(sign * (shape[d] // 2) for d in dims)
        return g.op("roll", x, shifts=shifts, dims=dims)

    return compose


def _slice(call: Call) -> int:
    """torch's aten slice(x, dim=0, start=None, end=None, step=1): x[start:end:step] along dim."""
    g, x = call.graph, call.tensors[0]
    dim, start, end, step = (call.integer(key, i, default) for i, (key, default) in enumerate((("dim", 0), ("start", None), ("end", None), ("step", 1))))
    if step is None or step < 1:
        raise ExprError(f"{g.name}() takes step as a whole number of at least 1", g.col)
    return g.op("index", x, key=along(dim, slice(start, end, step)))


def _channel_shuffle(call: Call) -> int:
    """F.channel_shuffle(x, groups): the channels (dim 1) of (N, C, *) regrouped, channel g * C/groups + k to k * groups + g."""
    g, x = call.graph, call.tensors[0]
    groups = call.integer("groups", 0, None)
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if groups is None or groups < 1 or len(shape) < 3 or shape[1] % groups:
        raise ExprError(f"{g.name}() takes groups dividing the channels (dim 1) of an (N, C, ...) input, got {groups} for {shape}", g.col)
    split = g.op("reshape", x, shape=(shape[0], groups, shape[1] // groups, *shape[2:]))
    return g.op("reshape", g.op("transpose", split, dim0=1, dim1=2), shape=shape)


# Where each position of a padded dim of size n takes its element from (i counted from the first original element).
PAD_POSITIONS: dict[str, Callable[[int, int], int]] = {
    "replicate": lambda i, n: min(max(i, 0), n - 1),
    "reflect": lambda i, n: 0 if n == 1 else (i % (2 * n - 2) if i % (2 * n - 2) < n else 2 * n - 2 - i % (2 * n - 2)),
    "circular": lambda i, n: i % n,
    "symmetric": lambda i, n: i % (2 * n) if i % (2 * n) < n else 2 * n - 1 - i % (2 * n),
}
NUMPY_PAD_MODES = {"constant": "constant", "edge": "replicate", "reflect": "reflect", "wrap": "circular", "symmetric": "symmetric"}


def _padded(call: Call, pairs: tuple[tuple[int, int], ...], mode: str, value: float, whole: bool = False) -> int:
    """x padded (before, after) along its last len(pairs) dims: with ``value`` (a negative width crops), or with x's own
    elements picked by PAD_POSITIONS (static positions, so every engine indexes)."""
    g, x = call.graph, call.tensors[0]
    if mode == "constant" and value == 0 and all(b >= 0 and a >= 0 for b, a in pairs):
        return g.op("pad", x, pairs=pairs, whole=whole)
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if len(pairs) > len(shape):
        raise ExprError(f"{g.name}(): {len(pairs)} padded dims for a tensor of {len(shape)}", g.col)
    start = len(shape) - len(pairs)
    if mode == "constant":
        crop = tuple(slice(max(0, -b), n - max(0, -a)) for n, (b, a) in zip(shape[start:], pairs))
        if any(piece != slice(0, n) for piece, n in zip(crop, shape[start:])):
            x = g.op("index", x, key=(Ellipsis, *crop))
        kept = [piece.stop - piece.start for piece in crop]
        widths = tuple((max(0, b), max(0, a)) for b, a in pairs)
        x = g.op("pad", x, pairs=widths)
        if value == 0:
            return x
        filled = np.pad(np.zeros((*shape[:start], *kept)), ((0, 0),) * start + widths, constant_values=1.0)
        return g.op("add", x, g.const(filled * value))
    for k, ((before, after), n) in enumerate(zip(pairs, shape[start:])):
        if mode == "reflect" and (before >= n or after >= n):
            raise ExprError(f"{g.name}(): reflect padding must be less than the dim's size ({n})", g.col)
        positions = tuple(PAD_POSITIONS[mode](i, n) for i in range(-before, n + after))
        x = g.op("index", x, key=along(start + k, positions))
    return x


def _pad_torch(call: Call) -> int:
    """F.pad(x, pad, mode='constant', value=0): (before, after) widths for the last dims, the last dim first."""
    flat = ints(call.literal("pad", 0, None), "pad", call)
    mode = call.literal("mode", 1, "constant")
    value = call.literal("value", 2, None)
    if len(flat) % 2 or mode not in ("constant", *PAD_POSITIONS) or mode == "symmetric":
        raise ExprError(
            "pad() takes (before, after) widths for the last dims, last dim first, and a mode: constant, reflect, replicate or circular", call.graph.col
        )
    if not (value is None or isinstance(value, (int, float))):
        raise ExprError("pad() takes value as a number", call.graph.col)
    pairs = tuple((flat[i], flat[i + 1]) for i in range(len(flat) - 2, -1, -2))
    return _padded(call, pairs, mode, float(value or 0.0))


def _pad_numpy(call: Call) -> int:
    """np.pad(x, pad_width, mode='constant', constant_values=0): one (before, after) pair per dimension, or one pair
    or one width for every dimension; modes constant, edge, reflect, symmetric and wrap, and (composed over each axis in
    turn, as numpy pads) mean, maximum, minimum, median (stat_length) and linear_ramp (end_values)."""
    given = call.literal("pad_width", 0, None)
    if type(given) is int or (isinstance(given, list) and len(given) in (1, 2) and all(type(n) is int for n in given)):
        given = [[given, given] if type(given) is int else given * (3 - len(given))]  # 2 and [2] -> [2, 2]; [1, 2] stays
    mode = call.literal("mode", 1, "constant")
    if isinstance(given, list) and len(given) == 1 and (getattr(call.graph.builder, "decides", False) or mode in STAT_PAD_MODES):  # one pair for every dim
        given = given * len(call.graph.builder.known_shape(call.tensors[0], call.graph.col, "np.pad()"))
    if not (isinstance(given, list) and all(isinstance(p, list) and len(p) == 2 for p in given)):
        raise ExprError("np.pad() takes a width, a (before, after) pair, or one pair per dimension, e.g. np.pad(x, ((1, 1), (0, 2)))", call.graph.col)
    pairs = tuple((int(before), int(after)) for before, after in given)
    if mode in STAT_PAD_MODES:
        return _stat_padded(call, pairs, mode)
    value = call.literal("constant_values", 2, 0)
    if mode not in NUMPY_PAD_MODES or not isinstance(value, (int, float)):
        raise ExprError(f"np.pad() takes a mode of {', '.join([*NUMPY_PAD_MODES, *STAT_PAD_MODES])} and constant_values as one number", call.graph.col)
    return _padded(call, pairs, NUMPY_PAD_MODES[mode], float(value), whole=True)


STAT_PAD_MODES = ("mean", "maximum", "minimum", "median", "linear_ramp")


def _per_axis(call: Call, key: str, ndim: int, default: Any) -> list[tuple[Any, Any]]:
    """np.pad's stat_length / end_values: one number, a (before, after) pair, or one pair per axis."""
    given = call.literal(key, 0, default) if key in call.params else default
    if given is None or isinstance(given, (int, float)):
        return [(given, given)] * ndim
    if isinstance(given, list) and len(given) == 1:
        given = given[0] if isinstance(given[0], list) else given * 2
    if isinstance(given, list) and len(given) == 2 and all(isinstance(v, (int, float)) for v in given):
        return [tuple(given)] * ndim
    if isinstance(given, list) and len(given) == ndim and all(isinstance(p, list) and len(p) == 2 for p in given):
        return [tuple(p) for p in given]
    raise ExprError(f"np.pad() takes {key} as a number, a (before, after) pair, or one pair per dimension", call.graph.col)


def _stat_padded(call: Call, pairs: tuple[tuple[int, int], ...], mode: str) -> int:
    """np.pad's statistic and ramp modes, axis by axis (each axis's pad reads the array padded along the axes before
    it, as numpy's does): each side filled with the mean / maximum / minimum / median of its ``stat_length`` nearest
    elements (all of them by default), or a linear ramp from ``end_values`` (0) to the edge element."""
    from verifygrad.language.spellings import sorting  # NOTE: here: sorting's median is the one np.median is

    g, x = call.graph, call.tensors[0]
    shape = list(g.builder.known_shape(x, g.col, "np.pad()"))
    if len(pairs) != len(shape):
        raise ExprError(f"np.pad(): {len(pairs)} (before, after) pairs for a tensor of {len(shape)} dimension(s)", g.col)
    lengths = _per_axis(call, "stat_length", len(shape), None)
    ends = _per_axis(call, "end_values", len(shape), 0)
    for axis, (before, after) in enumerate(pairs):
        n = shape[axis]
        if min(before, after) < 0 or (n == 0 and before + after > 0):
            raise ExprError(f"np.pad(): negative widths, or padding an empty axis ({axis}), in mode {mode!r}", g.col)
        blocks = []
        for side, width in ((0, before), (1, after)):
            if width == 0:
                blocks.append(None)
                continue
            if mode == "linear_ramp":
                edge = g.op("index", x, key=along(axis, slice(0, 1) if side == 0 else slice(n - 1, n)))
                # The edge element's share at each padded position: i / width before (from the outer end), 1 - (j + 1) / width after.
                share = np.arange(width) / width if side == 0 else 1 - (np.arange(width) + 1) / width
                weights = np.reshape(share, [width if d == axis else 1 for d in range(len(shape))])
                end = float(ends[axis][side])
                blocks.append(g.op("add", g.op("mul", edge, g.const(weights)), g.const(end * (1 - weights))))
                continue
            count = lengths[axis][side]
            count = n if count is None else int(count)
            if count <= 0:
                raise ExprError(f"np.pad(): stat_length must be at least 1 in mode {mode!r}", g.col)
            count = min(count, n)
            near = g.op("index", x, key=along(axis, slice(0, count) if side == 0 else slice(n - count, n)))
            if mode == "median":
                keywords = {"axis": ast.Constant(axis), "keepdims": ast.Constant(True)}
                stat = sorting.numpy_median(Call(g, [near], keywords, []))
            else:
                stat = g.op({"mean": "mean", "maximum": "amax", "minimum": "amin"}[mode], near, dim=axis, keepdim=True)
            blocks.append(g.op("index", stat, key=along(axis, (0,) * width)))
        out = x
        if blocks[0] is not None:
            out = g.op("concat", blocks[0], out, dim=axis)
        if blocks[1] is not None:
            out = g.op("concat", out, blocks[1], dim=axis)
        x, shape[axis] = out, n + before + after
    return x


def diagonal_offset(key: str, default: int = 0) -> Callable[[Call], int]:
    def read(call: Call) -> int:
        value = next((call.literal(k, 0, None) for k in (key, "k", "offset", "diagonal") if k in call.params), call.literal(key, 0, default))
        if type(value) is not int:
            raise ExprError(f"{call.graph.name}() takes its diagonal as an integer", call.graph.col)
        return value

    return read


def _triangle(op: str) -> Compose:
    return lambda call: call.graph.op(op, call.tensors[0], k=diagonal_offset("diagonal")(call))


def _diag(call: Call) -> int:
    return call.graph.op("diag", call.tensors[0], k=diagonal_offset("diagonal")(call))


def _none_written(call: Call) -> bool:
    """Whether axis=None (dim=None) is written out: for a join it is not the default (0)."""
    given = call.params.get("axis", call.params.get("dim"))
    return isinstance(given, ast.Constant) and given.value is None


def _join_dim(call: Call) -> int:
    if _none_written(call):  # NOTE: np.stack(xs, axis=None) is an error in numpy, torch.stack(xs, dim=None) in torch
        raise ExprError(f"{call.graph.name}() takes a whole-number axis, not None", call.graph.col)
    dim = call.dim()
    return 0 if dim is None else dim


def _cat(call: Call) -> int:
    """Joined along the dim (0 by default); axis=None written out joins the arrays flattened, as np.concatenate does."""
    g = call.graph
    flat = _none_written(call)
    pieces = [g.op("reshape", t, shape=(-1,)) for t in call.tensors] if flat else call.tensors
    dim = 0 if flat else _join_dim(call)
    out = pieces[0]
    for piece in pieces[1:]:
        out = g.op("concat", out, piece, dim=dim)
    return out


def _joined(call: Call, dim: int, lift: Callable[[Graph, int, int], int]) -> int:
    """The tensors, each lifted to the dims the join needs (by its number of dims), joined along ``dim``.

    NOTE: which dim numpy joins along depends on the arrays' dims, so their shapes are read from the inputs.
    """
    g = call.graph
    pieces = [lift(g, t, len(g.builder.known_shape(t, g.col, f"{g.name}()"))) for t in call.tensors]
    out = pieces[0]
    for piece in pieces[1:]:
        out = g.op("concat", out, piece, dim=dim)
    return out


def _hstack(call: Call) -> int:
    """Joined along dim 1, or dim 0 where the arrays are 1-D (np.hstack, torch.hstack)."""
    first = len(call.graph.builder.known_shape(call.tensors[0], call.graph.col, f"{call.graph.name}()"))
    return _joined(call, 0 if first <= 1 else 1, lambda g, t, ndim: g.op("reshape", t, shape=(1,)) if ndim == 0 else t)


def _vstack(call: Call) -> int:
    """Each array at least 2-D (a 1-D one becomes a row), joined along dim 0."""
    return _joined(call, 0, lambda g, t, ndim: g.op("reshape", t, shape=(1, -1)) if ndim < 2 else t)


def _dstack(call: Call) -> int:
    """Each array at least 3-D (n becomes 1 x n x 1, m x n becomes m x n x 1), joined along dim 2."""
    lifts = {0: (1, 1, 1), 1: (1, -1, 1)}
    return _joined(call, 2, lambda g, t, ndim: g.op("reshape", t, shape=lifts[ndim]) if ndim < 2 else g.op("expand_dims", t, dim=2) if ndim == 2 else t)


def _column_stack(call: Call) -> int:
    """1-D arrays as columns (n becomes n x 1), then joined along dim 1."""
    return _joined(call, 1, lambda g, t, ndim: g.op("reshape", t, shape=(-1, 1)) if ndim < 2 else t)


def _stack(call: Call) -> int:
    g, dim = call.graph, _join_dim(call)
    pieces = [g.op("expand_dims", t, dim=dim) for t in call.tensors]
    out = pieces[0]
    for piece in pieces[1:]:
        out = g.op("concat", out, piece, dim=dim)
    return out


def _split(call: Call) -> int:
    sizes = call.literal("split_size_or_sections", 0, None) if "split_size_or_sections" in call.params else call.literal("split_size", 0, None)
    dim = call.literal("dim", 1, 0)
    k = part_index(call)
    if type(sizes) is int and sizes < 1:
        raise ExprError(f"split() takes a split size of at least 1, not {sizes} (torch raises)", call.graph.col)
    if type(sizes) is int:
        bounds = (k * sizes, (k + 1) * sizes)
    else:
        ends = [sum(ints(sizes, "the sizes", call)[: i + 1]) for i in range(len(sizes))]
        if k >= len(ends):
            raise ExprError(f"split() makes {len(ends)} pieces; there is no piece {k}", call.graph.col)
        bounds = (ends[k - 1] if k else 0, ends[k])
    return call.graph.op("index", call.tensors[0], key=along(dim, slice(*bounds)))


def _np_split(call: Call) -> int:
    given = call.literal("indices_or_sections", 0, None)
    if type(given) is int and not 1 <= given <= MAX_PIECES:
        raise ExprError(f"np.split() makes 1 to {MAX_PIECES} pieces, not {given}", call.graph.col)
    if type(given) is int:  # equal sections
        return call.graph.op("piece", call.tensors[0], chunks=given, dim=call.literal("axis", 1, 0), part=part_index(call), numpy_style=True, equal=True)
    if not isinstance(given, list):
        raise ExprError("np.split() takes a number of equal sections or a list of split indices, e.g. np.split(x, [2, 4])[1]", call.graph.col)
    return _between(call, given)


def _between(call: Call, given: list) -> int:
    """np.split / np.array_split at a list of indices: the k-th piece between them."""
    cuts = [None, *ints(given, "the split indices", call), None]
    k = part_index(call)
    if k >= len(cuts) - 1:
        raise ExprError(f"{call.graph.name}() makes {len(cuts) - 1} pieces; there is no piece {k}", call.graph.col)
    return call.graph.op("index", call.tensors[0], key=along(call.literal("axis", 1, 0), slice(cuts[k], cuts[k + 1])))


MAX_PIECES = 100_000  # pieces of one split: each is a tensor the engines make


def _piece(numpy_style: bool) -> Compose:
    def compose(call: Call) -> int:
        sections = call.literal("indices_or_sections" if numpy_style else "chunks", 0, None)
        if numpy_style and isinstance(sections, list):  # np.array_split(x, [3, 5]): as np.split's indices
            return _between(call, sections)
        if type(sections) is not int:
            raise ExprError(f"{call.graph.name}() takes the number of pieces as a whole number, e.g. {call.graph.name}(x, 2)[0]", call.graph.col)
        if not 1 <= sections <= MAX_PIECES:  # NOTE: torch makes every piece: 10**9 of them is bad_alloc
            raise ExprError(f"{call.graph.name}() makes 1 to {MAX_PIECES} pieces, not {sections}", call.graph.col)
        dim = call.literal("axis" if numpy_style else "dim", 1, 0)
        return call.graph.op("piece", call.tensors[0], chunks=sections, dim=dim, part=part_index(call), numpy_style=numpy_style)

    return compose


def _unbind(call: Call) -> int:
    return call.graph.op("index", call.tensors[0], key=along(call.literal("dim", 0, 0), part_index(call)))


def reordered(g: Graph, x: int, letters: Sequence[Any], output: Sequence[Any]) -> int:
    """x with its dims (named by ``letters``) in the output's order, by transposes, each moving one wanted dim into place."""
    current = list(letters)
    for i, wanted in enumerate(output):
        j = current.index(wanted)
        if j != i:
            x = g.op("transpose", x, dim0=i, dim1=j)
            current[i], current[j] = current[j], current[i]
    return x


def _broadcast_to(call: Call) -> int:
    """torch.broadcast_to/np.broadcast_to(x, shape), x.expand(*sizes) (-1 keeps that dim, read from x's shape)."""
    g = call.graph
    given = literal(call.params["shape"]) if isinstance(call.params.get("shape"), ast.AST) else call.dims
    shape = list(given[0]) if len(given) == 1 and isinstance(given[0], (list, tuple)) else list(given)
    if not shape or not all(type(n) is int and n >= -1 for n in shape):
        raise ExprError(f"{g.name}() takes the new shape as whole numbers, e.g. {g.name}(x, (2, 3))", g.col)
    if -1 in shape:
        own = g.builder.known_shape(call.tensors[0], g.col, f"{g.name}()")
        offset = len(shape) - len(own)
        shape = [own[i - offset] if n == -1 and i >= offset else n for i, n in enumerate(shape)]
        if -1 in shape:
            raise ExprError(f"{g.name}(): -1 is only allowed for the existing dims of x", g.col)
    return g.op("broadcast_to", call.tensors[0], shape=tuple(shape))


def _shape_of(call: Call, tensor: int) -> tuple[int, ...]:
    return call.graph.builder.known_shape(tensor, call.graph.col, f"{call.graph.name}()")


def _as_other(op: str) -> Compose:
    """x.expand_as(other), x.view_as(other), x.reshape_as(other): x in other's shape (other gives its shape only)."""
    return lambda call: call.graph.op(op, call.tensors[0], shape=_shape_of(call, call.tensors[1]))


def _at_least(n: int) -> Compose:
    """torch.atleast_1d/2d/3d(x), np.atleast_*: a 0-d x becomes (1,)*n; a vector (k,) a row (1, k), or (1, k, 1) in 3-D;
    a matrix (m, k) becomes (m, k, 1) in 3-D; x itself where it has n dims or more."""

    def compose(call: Call) -> int:
        shape = _shape_of(call, call.tensors[0])
        if len(shape) >= n:
            return call.tensors[0]
        lifted = {0: (1,) * n, 1: ((1,) + shape + (1,))[:n], 2: shape + (1,)}[len(shape)]
        return call.graph.op("reshape", call.tensors[0], shape=lifted)

    return compose


def _unflatten(call: Call) -> int:
    """torch.unflatten(x, dim, sizes) / x.unflatten: dim split into sizes (one -1 allowed)."""
    g, x = call.graph, call.tensors[0]
    shape = _shape_of(call, x)
    dim, sizes = call.integer("dim", 0, None), call.literal("sizes", 1, None)
    if dim is None or not isinstance(sizes, list) or not all(type(n) is int for n in sizes):
        raise ExprError(f"{g.name}() takes dim and sizes, e.g. unflatten(x, 0, (2, 3))", g.col)
    dim %= max(len(shape), 1)
    return g.op("reshape", x, shape=(*shape[:dim], *sizes, *shape[dim + 1 :]))


def _sum_to_size(call: Call) -> int:
    """x.sum_to_size(*size): x summed down to size, as broadcasting's gradient is (size broadcasts to x's shape)."""
    given = call.literal("size", 0, None) if "size" in call.params else (call.dims[0] if len(call.dims) == 1 else call.dims)
    size = tuple(given) if isinstance(given, (list, tuple)) else (given,)
    return call.graph.op("sum_to", call.tensors[0], shape=ints(list(size), "the size", call))


def _constant_pad_nd(call: Call) -> int:
    """torch.constant_pad_nd(x, pad, value=0): F.pad(x, pad, 'constant', value)."""
    flat = ints(call.literal("pad", 0, None), "pad", call)
    if len(flat) % 2:
        raise ExprError(f"{call.graph.name}() takes (before, after) widths for the last dims, last dim first", call.graph.col)
    value = call.literal("value", 1, 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExprError(f"{call.graph.name}() takes value as a number", call.graph.col)
    return _padded(call, tuple((flat[i], flat[i + 1]) for i in range(len(flat) - 2, -1, -2)), "constant", float(value))


def _diag_embed(call: Call) -> int:
    """torch.diag_embed(x, offset=0, dim1=-2, dim2=-1): the last dim of x laid on a diagonal of the last two dims
    (n + |offset| square), as a sum of x's elements times constant 0/1 matrices (exact: one term is not 0)."""
    g, x = call.graph, call.tensors[0]
    offset = call.integer("offset", 0, 0)
    if call.integer("dim1", 1, -2) != -2 or call.integer("dim2", 2, -1) != -1:
        raise ExprError(f"not supported yet: {g.name}() with dims other than the last two", g.col)
    n = _shape_of(call, x)[-1]
    size = n + abs(offset)
    units = np.zeros((n, size, size))
    rows = np.arange(n) + max(0, -offset)
    units[np.arange(n), rows, rows + offset] = 1.0
    spread = g.op("mul", g.op("expand_dims", g.op("expand_dims", x, dim=-1), dim=-1), g.const(units))
    return g.reduce("sum", spread, -3)


def _diagflat(call: Call) -> int:
    """torch.diagflat(x, offset=0) / np.diagflat(v, k=0): x flattened, as the diagonal of a matrix."""
    g = call.graph
    offset = next((call.integer(key, 0, 0) for key in ("offset", "k") if key in call.params), call.integer("offset", 0, 0))
    return g.op("diag", g.op("flatten", call.tensors[0], start_dim=0, end_dim=-1), k=offset)


def _tensor_split(default_dim: int | None) -> Compose:
    """torch.tensor_split(x, sections or indices, dim=0), hsplit (dim 1, or 0 of a vector), vsplit (0), dsplit (2): n
    sections as np.array_split (the first size % n one longer; hsplit/vsplit/dsplit need size % n = 0, as torch), or
    the pieces between the indices given; the k-th piece."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        shape = _shape_of(call, x)
        dim = (1 if len(shape) > 1 else 0) if default_dim == 1 else default_dim
        dim = call.integer("dim", 0 if len(call.tensors) > 1 else 1, 0) if dim is None else dim  # NOTE: literals counted alone
        given = call.literal("indices_or_sections" if "indices_or_sections" in call.params else "sections", 0, None)
        if len(call.tensors) > 1:
            given = whole_numbers(g.builder.known_value(call.tensors[1], g.col, f"the indices of {g.name}()"), "the indices", g.col).tolist()
        k, size = part_index(call), shape[dim]
        if type(given) is int:
            if default_dim is not None and (given < 1 or size % given):
                raise ExprError(f"{g.name}(): {size} elements do not split into {given} equal pieces (torch raises)", g.col)
            if not 1 <= given <= MAX_PIECES:
                raise ExprError(f"{g.name}() makes 1 to {MAX_PIECES} pieces, not {given}", g.col)
            return g.op("piece", x, chunks=given, dim=dim, part=k, numpy_style=True)
        bounds = [0, *ints(list(given), "the indices", call), size]
        if k >= len(bounds) - 1:
            raise ExprError(f"{g.name}() makes {len(bounds) - 1} pieces; there is no piece {k}", g.col)
        start = min(max(bounds[k], 0), size)
        return g.op("index", x, key=along(dim, slice(start, max(start, min(bounds[k + 1], size)))))

    return compose


def _concatenated(g: Graph, pieces: list[int], dim: int, stack: bool = False) -> int:
    """The pieces joined along dim (each given a new dim there first where ``stack``)."""
    pieces = [g.op("expand_dims", piece, dim=dim) for piece in pieces] if stack else pieces
    out = pieces[0]
    for piece in pieces[1:]:
        out = g.op("concat", out, piece, dim=dim)
    return out


def _grid(call: Call, k: int, indexing: str) -> int:
    """The k-th tensor of meshgrid(*tensors, indexing): the 1-D tensor k laid along its own dim of the grid (the first
    two dims swapped for 'xy') and repeated along the others; a 0-d tensor counts as one element."""
    g = call.graph
    sizes = [math.prod(_shape_of(call, t)) for t in call.tensors]
    order = list(range(len(sizes)))
    if indexing == "xy" and len(order) > 1:
        order[0], order[1] = 1, 0
    grid = tuple(sizes[order[d]] for d in range(len(sizes)))
    along_dim = order.index(k)
    lifted = g.op("reshape", call.tensors[k], shape=tuple(-1 if d == along_dim else 1 for d in range(len(sizes))))
    return g.op("broadcast_to", lifted, shape=grid)


def _meshgrid(call: Call) -> int:
    """torch.meshgrid(*tensors, indexing='ij')[k], np.meshgrid's 'xy' likewise (each tensor 1-D or 0-d)."""
    indexing = call.choice("indexing", ("ij", "xy"), "ij")
    for t in call.tensors:
        if len(_shape_of(call, t)) > 1:
            raise ExprError(f"{call.graph.name}() takes 1-D tensors", call.graph.col)
    k = part_index(call)
    if k >= len(call.tensors):
        raise ExprError(f"{call.graph.name}() makes {len(call.tensors)} tensors; there is no {k}", call.graph.col)
    return _grid(call, k, indexing)


def _cartesian_prod(call: Call) -> int:
    """torch.cartesian_prod(*tensors): every combination of their elements, one row each, the last tensor fastest (a
    single tensor is itself)."""
    if len(call.tensors) == 1:
        return call.tensors[0]
    g = call.graph
    columns = [g.op("reshape", _grid(call, k, "ij"), shape=(-1,)) for k in range(len(call.tensors))]
    return _concatenated(g, columns, 1, stack=True)


def _combinations(call: Call) -> int:
    """torch.combinations(x, r=2, with_replacement=False) of a 1-D x: each r-combination of its elements (in
    itertools' order) as a row; none (shape (0, r)) where r exceeds the elements."""
    g, x = call.graph, call.tensors[0]
    r = call.integer("r", 0, 2)
    shape = _shape_of(call, x)
    if len(shape) != 1 or r is None or r < 1:
        raise ExprError(f"{g.name}() takes a 1-D tensor and r >= 1", g.col)
    choose = itertools.combinations_with_replacement if call.flag("with_replacement", False) else itertools.combinations
    rows = list(choose(range(shape[0]), r))
    if not rows:
        return g.op("reshape", g.op("index", x, key=(slice(0, 0),)), shape=(0, r))
    return _concatenated(g, [g.op("index", x, key=(tuple(row[j] for row in rows),)) for j in range(r)], 1, stack=True)


def _block_diag(call: Call) -> int:
    """torch.block_diag(*tensors): each tensor (a 0-d one as 1 x 1, a 1-D one as one row) a block on the diagonal, zeros elsewhere."""
    g = call.graph
    blocks = []
    for t in call.tensors:
        shape = _shape_of(call, t)
        if len(shape) > 2:
            raise ExprError(f"{g.name}() takes tensors of at most 2 dims", g.col)
        blocks.append(t if len(shape) == 2 else g.op("reshape", t, shape=(1, -1)))
    widths = [(1, *_shape_of(call, t))[-1] for t in call.tensors]
    rows = [g.op("pad", block, pairs=((sum(widths[:i]), sum(widths[i + 1 :])),)) for i, block in enumerate(blocks)]
    return _concatenated(g, rows, 0)


def _permute(call: Call) -> int:
    """torch.permute(x, dims) / x.permute(*dims): a sequence of transposes."""
    given = literal(call.params["dims"]) if isinstance(call.params.get("dims"), ast.AST) else call.dims
    return _permuted(call, list(given[0]) if len(given) == 1 and isinstance(given[0], (list, tuple)) else list(given))


def _moveaxis(call: Call) -> int:
    """np.moveaxis(x, source, destination), torch.movedim: the other dims keep their order (x's dims read from the inputs)."""
    g = call.graph
    named = [literal(call.params[k]) for k in ("source", "destination") if isinstance(call.params.get(k), ast.AST)]
    given = [*call.dims, *named]
    if len(given) != 2:
        raise ExprError(f"{g.name}() takes a source and a destination, e.g. {g.name}(x, 0, -1)", g.col)
    source, destination = ([d] if type(d) is int else list(d) for d in given)
    n = len(g.builder.known_shape(call.tensors[0], g.col, f"{g.name}()"))
    if len(source) != len(destination) or not all(type(d) is int and -n <= d < n for d in source + destination):
        raise ExprError(f"{g.name}(): source and destination must be dims of x, as many of one as of the other", g.col)
    source, destination = [d % n for d in source], [d % n for d in destination]
    order = [d for d in range(n) if d not in source]
    for where, dim in sorted(zip(destination, source)):
        order.insert(where, dim)
    return _permuted(call, order)


def _np_transpose(call: Call) -> int:
    """np.transpose(x, axes): the permutation; without axes, the dims reversed (x's dims read from the inputs)."""
    given = literal(call.params["axes"]) if isinstance(call.params.get("axes"), ast.AST) else (call.dims[0] if call.dims else None)
    if given is None:
        n = len(call.graph.builder.known_shape(call.tensors[0], call.graph.col, "np.transpose()"))
        return call.tensors[0] if n < 2 else _permuted(call, list(reversed(range(n))))
    return _permuted(call, list(given) if isinstance(given, (list, tuple)) else [given])


def _rollaxis(call: Call) -> int:
    """np.rollaxis(x, axis, start=0): axis moved to just before start (start counted before the move), the others in order."""
    g = call.graph
    n = len(g.builder.known_shape(call.tensors[0], g.col, "rollaxis()"))
    axis, start = call.literal("axis", 0, None), call.literal("start", 1, 0)
    if type(axis) is not int or type(start) is not int or not -n <= axis < n or not -n <= start <= n:
        raise ExprError(f"rollaxis() takes an axis of x and a start in [-{n}, {n}]", g.col)
    axis, start = axis % n, start + n if start < 0 else start
    order = [d for d in range(n) if d != axis]
    order.insert(start - 1 if start > axis else start, axis)
    return _permuted(call, order)


def _permuted(call: Call, order: list) -> int:
    n = len(order)
    if not all(type(d) is int for d in order) or sorted(d % n for d in order) != list(range(n)):
        raise ExprError(f"{call.graph.name}() takes a permutation of the dims, e.g. permute(x, (1, 0, 2)); got {order}", call.graph.col)
    g = call.graph
    x = g.checked((frozenset({n}),), "transpose", call.tensors[0], dim0=0, dim1=0)  # NOTE: a no-op that checks x has n dims
    return reordered(g, x, range(n), [d % n for d in order])


def _swapaxes(call: Call) -> int:
    named = [literal(call.params[k]) for k in ("axis1", "axis2", "dim0", "dim1") if isinstance(call.params.get(k), ast.AST)]
    dims = [d for d in call.dims if type(d) is int] + named
    if len(dims) != 2 or not all(type(d) is int for d in dims):
        raise ExprError(f"{call.graph.name}() needs two dimensions, e.g. {call.graph.name}(x, 0, 1)", call.graph.col)
    return call.graph.op("transpose", call.tensors[0], dim0=dims[0], dim1=dims[1])


def _index_argument(call: Call) -> np.ndarray:
    """The index of gather/take/index_select as whole numbers: written as a list, or a tensor computed from the inputs' values."""
    what = f"the index of {call.graph.name}()"
    written = [d for d in call.dims if isinstance(d, list)]
    if len(call.tensors) == 2:
        value = call.graph.builder.known_value(call.tensors[1], call.graph.col, what)
    elif len(written) == 1:
        value = np.asarray(written[0], dtype=np.float64)
    else:
        raise ExprError(f"{call.graph.name}() needs an index: a tensor or a list of positions", call.graph.col)
    return whole_numbers(value, what, call.graph.col)


def _gather(call: Call) -> int:
    """torch.gather(x, dim, index), np.take_along_axis(x, index, axis): out[..., i, ...] = x[..., index[..., i, ...], ...]."""
    positions, dim = _index_argument(call), dim_of(call)
    if positions.ndim == 0 or dim is None:
        raise ExprError(f"{call.graph.name}() takes a dim and an index with as many dimensions as x", call.graph.col)
    axis = dim % positions.ndim
    grid = np.indices(positions.shape)
    key = tuple(nested_tuple(positions if a == axis else grid[a]) for a in range(positions.ndim))
    return call.graph.checked((frozenset({positions.ndim}),), "index", call.tensors[0], key=key)


def _index_select(call: Call) -> int:
    """torch.index_select(x, dim, index) (1-D index) and np.take(x, indices, axis) (any index; flattened without an axis)."""
    x, positions, dim = call.tensors[0], _index_argument(call), dim_of(call)
    if call.graph.name == "index_select" and positions.ndim == 0:
        positions = positions.reshape(1)  # NOTE: torch takes a 0-d index as one position and keeps the dim
    if call.graph.name == "index_select" and (positions.ndim != 1 or dim is None):
        raise ExprError("index_select() takes a dim and a 1-D index, e.g. index_select(x, 0, idx)", call.graph.col)
    if dim is None:  # np.take without an axis, torch.take: positions in the flattened x
        x, dim = call.graph.op("reshape", x, shape=(-1,)), 0
    if dim < 0:
        return call.graph.op("index", x, key=(Ellipsis, nested_tuple(positions)) + (slice(None),) * (-dim - 1))
    return call.graph.op("index", x, key=(slice(None),) * dim + (nested_tuple(positions),))


def _rot90(call: Call) -> int:
    """torch.rot90(x, k=1, dims=(0, 1)) / np.rot90(m, k=1, axes=(0, 1)): k quarter turns from the first dim towards the
    second, as flips and a transpose (numpy's and torch's own way)."""
    g, x = call.graph, call.tensors[0]
    k = call.integer("k", 0, 1) % 4
    key = "axes" if "axes" in call.params else "dims"
    dims = call.literal(key, 1, [0, 1])
    if not (isinstance(dims, list) and len(dims) == 2 and all(type(d) is int for d in dims)):
        raise ExprError(f"{g.name}() takes {key} as two dims, e.g. rot90(x, 1, (0, 1))", g.col)
    first, second = dims
    if k == 0:
        return x
    if k == 2:
        return g.op("flip", x, dims=(first, second))
    if k == 1:
        return g.op("transpose", g.op("flip", x, dims=(second,)), dim0=first, dim1=second)
    return g.op("flip", g.op("transpose", x, dim0=first, dim1=second), dims=(second,))


SPELLINGS: dict[str, Function] = {
    "reshape": spelling(_reshape, (1, 1), keywords=("shape", "newshape")),
    "view": spelling(_reshape, (1, 1), keywords=("shape",)),
    "flatten": spelling(_flatten, (1, 1), keywords=("start_dim", "end_dim")),
    "ravel": spelling(lambda call: call.graph.op("flatten", call.tensors[0], start_dim=0, end_dim=-1), (1, 1)),
    "unsqueeze": spelling(_unsqueeze, (1, 1), keywords=("dim", "axis")),
    "expand_dims": spelling(_unsqueeze, (1, 1), keywords=("dim", "axis")),
    "np.expand_dims": spelling(_expand_dims, (1, 1), keywords=("axis",)),
    "squeeze": spelling(_squeeze, (1, 1), keywords=("dim", "axis")),
    "tile": spelling(_tile, (1, 1), keywords=("reps", "dims")),
    "repeat": spelling(_tile, (1, 1), keywords=("dims",)),
    "repeat_interleave": spelling(_repeat_interleave, (1, 2), keywords=("repeats", "dim")),
    "flip": spelling(_flip, (1, 1), keywords=("dims",)),
    "fliplr": spelling(_flip_dim(1), (1, 1)),
    "flipud": spelling(_flip_dim(0), (1, 1)),
    "roll": spelling(_roll, (1, 1), keywords=("shifts", "dims")),
    "pad": spelling(_pad_torch, (1, 1), keywords=("pad", "mode", "value")),
    "tril": spelling(_triangle("tril"), (1, 1), keywords=("diagonal",)),
    "triu": spelling(_triangle("triu"), (1, 1), keywords=("diagonal",)),
    "diag": spelling(_diag, (1, 1), keywords=("diagonal",)),
    "diagonal": spelling(_diag, (1, 1), keywords=("offset",)),
    "cat": spelling(_cat, (1, 64), keywords=("dim", "axis")),
    "concat": spelling(_cat, (1, 64), keywords=("dim", "axis")),
    "concatenate": spelling(_cat, (1, 64), keywords=("dim", "axis")),
    "stack": spelling(_stack, (1, 64), keywords=("dim", "axis")),
    "hstack": spelling(_hstack, (1, 64)),
    "vstack": spelling(_vstack, (1, 64)),
    "row_stack": spelling(_vstack, (1, 64)),
    "dstack": spelling(_dstack, (1, 64)),
    "column_stack": spelling(_column_stack, (1, 64)),
    "split": spelling(_split, (1, 1), keywords=("split_size_or_sections", "split_size", "dim", PART)),
    "unbind": spelling(_unbind, (1, 1), keywords=("dim", PART)),
    "chunk": spelling(_piece(numpy_style=False), (1, 1), keywords=("chunks", "dim", PART)),
    "array_split": spelling(_piece(numpy_style=True), (1, 1), keywords=("indices_or_sections", "axis", PART)),
    "np.repeat": spelling(_repeat_interleave, (1, 1), keywords=("repeats", "axis")),
    "np.append": spelling(_append, (2, 2), keywords=("axis",)),
    "np.flip": spelling(_flip, (1, 1), keywords=("axis",)),
    "np.roll": spelling(_roll, (1, 1), keywords=("shift", "axis")),
    "fftshift": spelling(_fft_shift(1), (1, 1), keywords=("dim", "axes")),
    "ifftshift": spelling(_fft_shift(-1), (1, 1), keywords=("dim", "axes")),
    "channel_shuffle": spelling(_channel_shuffle, (1, 1), keywords=("groups",)),
    "slice": spelling(_slice, (1, 1), keywords=("dim", "start", "end", "step")),
    "np.pad": spelling(_pad_numpy, (1, 1), keywords=("pad_width", "mode", "constant_values", "stat_length", "end_values")),
    "np.transpose": spelling(_np_transpose, (1, 1), keywords=("axes",)),
    "np.tril": spelling(_triangle("tril"), (1, 1), keywords=("k",)),
    "np.triu": spelling(_triangle("triu"), (1, 1), keywords=("k",)),
    "np.diag": spelling(_diag, (1, 1), keywords=("k",)),
    "np.split": spelling(_np_split, (1, 1), keywords=("indices_or_sections", "axis", PART)),
    "gather": spelling(_gather, (1, 2), keywords=("dim",)),
    "permute": spelling(_permute, (1, 1), keywords=("dims",)),
    "moveaxis": spelling(_moveaxis, (1, 1), keywords=("source", "destination")),
    "rollaxis": spelling(_rollaxis, (1, 1), keywords=("axis", "start")),
    "movedim": spelling(_moveaxis, (1, 1), keywords=("source", "destination")),
    "broadcast_to": spelling(_broadcast_to, (1, 1), keywords=("shape",)),
    "expand": spelling(_broadcast_to, (1, 1), keywords=("size",)),
    "swapaxes": spelling(_swapaxes, (1, 1), keywords=("axis1", "axis2")),
    "swapdims": spelling(_swapaxes, (1, 1), keywords=("dim0", "dim1")),
    "take_along_axis": spelling(_gather, (1, 2), keywords=("axis",)),
    "index_select": spelling(_index_select, (1, 2), keywords=("dim",)),
    "take": spelling(_index_select, (1, 2), keywords=("axis",)),
    "rot90": spelling(_rot90, (1, 1), keywords=("k", "dims", "axes")),
    "expand_as": spelling(_as_other("broadcast_to"), (2, 2)),
    "meshgrid": spelling(_meshgrid, (1, 16), keywords=("indexing", PART)),
    "cartesian_prod": spelling(_cartesian_prod, (1, 16)),
    "combinations": spelling(_combinations, (1, 1), keywords=("r", "with_replacement")),
    "block_diag": spelling(_block_diag, (1, 16)),
    "view_as": spelling(_as_other("reshape"), (2, 2)),
    "reshape_as": spelling(_as_other("reshape"), (2, 2)),
    "atleast_1d": spelling(_at_least(1), (1, 1)),
    "atleast_2d": spelling(_at_least(2), (1, 1)),
    "atleast_3d": spelling(_at_least(3), (1, 1)),
    "sum_to_size": spelling(_sum_to_size, (1, 1), keywords=("size",)),
    "unflatten": spelling(_unflatten, (1, 1), keywords=("dim", "sizes")),
    "constant_pad_nd": spelling(_constant_pad_nd, (1, 1), keywords=("pad", "value")),
    "diag_embed": spelling(_diag_embed, (1, 1), keywords=("offset", "dim1", "dim2")),
    "diagflat": spelling(_diagflat, (1, 1), keywords=("offset", "k")),
    "tensor_split": spelling(_tensor_split(None), (1, 2), keywords=("indices_or_sections", "sections", "indices", "dim", PART)),
    "hsplit": spelling(_tensor_split(1), (1, 2), keywords=("indices_or_sections", "sections", "indices", PART)),
    "vsplit": spelling(_tensor_split(0), (1, 2), keywords=("indices_or_sections", "sections", "indices", PART)),
    "dsplit": spelling(_tensor_split(2), (1, 2), keywords=("indices_or_sections", "sections", "indices", PART)),
}  # fmt: skip

# Positional literals that are not dims: shapes, sizes, widths, repetitions, offsets.
LITERAL_POSITIONAL = frozenset({
    "reshape", "view", "flatten", "tile", "repeat", "repeat_interleave", "flip", "roll", "pad", "tril", "triu", "diag", "diagonal",
    "split", "unbind", "chunk", "array_split", "np.split", "gather", "take_along_axis", "index_select", "take",
    "permute", "np.transpose", "broadcast_to", "expand", "moveaxis", "movedim", "rollaxis",
    "np.repeat", "np.append", "np.flip", "np.roll", "np.pad", "np.tril", "np.triu", "np.diag", "rot90",
    "unflatten", "combinations", "sum_to_size", "constant_pad_nd", "diag_embed", "diagflat", "tensor_split", "hsplit", "vsplit", "dsplit",
    "fftshift", "ifftshift", "channel_shuffle", "slice",
})  # fmt: skip
# torch's other names for a spelling above: the "_copy" twins of views (a copy has the view's values and gradient), the
# "unsafe_" ones (the same values; only aliasing checks differ), split_with_sizes (split with a list of sizes).
ALIASES = {
    **{f"{view}_copy": view for view in ("view", "unsqueeze", "squeeze", "expand", "diagonal", "narrow", "permute", "t", "transpose", "unbind", "unfold")},
    "alias_copy": "clone", "split_with_sizes": "split", "split_with_sizes_copy": "split", "unsafe_split": "split", "unsafe_chunk": "chunk",
}  # fmt: skip
# Of those, the names whose positional numbers (floats too) are parameters, not tensors: F.pad(x, (1, 1), 'constant', 0.5).
NUMBER_POSITIONAL = frozenset({"pad", "np.pad", "constant_pad_nd"})
DIM_POSITIONAL = frozenset({
    "unsqueeze", "expand_dims", "np.expand_dims", "squeeze", "cat", "concat", "concatenate", "stack", "gather", "permute", "swapaxes", "swapdims",
    "take_along_axis", "index_select", "take",
})  # fmt: skip
