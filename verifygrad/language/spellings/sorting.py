"""Sorting and running extremes: sort, msort, np.partition, topk, kthvalue, median, cummax/cummin, logcumsumexp.

The order is fixed at the case's values, as argmax's positions are: the sorted values are a gather of x by that
permutation.  Each gathered element is then bounded by its neighbours in the order with maximum and minimum: the
values do not change (sorted neighbours bound it already), but a tie with a neighbour becomes a tie of maximum or
minimum, reported as a kink where any split of the gradient is valid, never one library's choice passed off as the
gradient.  The positions (``indices``) are constants with no gradient; at a tie they are the library's choice, so a
case asking for them there is refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from verifygrad.language.spellings.compose import PART, Call, Graph, along, nested_tuple, spelling
from verifygrad.language.syntax import ExprError, Function


def _values(call: Call, x: int) -> np.ndarray:
    g = call.graph
    return g.builder.known_value(x, g.col, f"{g.name}()")


def _dim(call: Call, default: int | None, position: int = 0) -> int | None:
    """The dim: by keyword (dim or axis), or the position-th literal positional argument."""
    for key in ("dim", "axis"):
        if key in call.params:
            return call.integer(key, position, default)
    dim = call.dims[position] if len(call.dims) > position else default
    if dim is not None and type(dim) is not int:
        raise ExprError(f"{call.graph.name}() takes dim as an integer", call.graph.col)
    return dim


def _gathered(g: Graph, x: int, order: np.ndarray, dim: int) -> int:
    """x's elements in ``order`` (positions along dim, of x's shape): a gather with a static key."""
    grid = np.indices(order.shape)
    axis = dim % order.ndim
    return g.op("index", x, key=tuple(nested_tuple(order if a == axis else grid[a]) for a in range(order.ndim)))


def _neighbour(g: Graph, p: int, shape: tuple[int, ...], dim: int, later: bool, edge: float) -> int:
    """Each element's neighbour along dim (the next one, or the previous), ``edge`` past the end."""
    n = shape[dim]
    edge_shape = tuple(1 if d == dim % len(shape) else size for d, size in enumerate(shape))
    pad = g.builder.const(np.full(edge_shape, edge), g.col)
    if later:
        return g.op("concat", g.op("index", p, key=along(dim, slice(1, n))), pad, dim=dim)
    return g.op("concat", pad, g.op("index", p, key=along(dim, slice(0, n - 1))), dim=dim)


def _bounded(g: Graph, p: int, shape: tuple[int, ...], dim: int, descending: bool) -> int:
    """p (sorted along dim) with each element clamped between its neighbours: the same values; a tie, a kink.

    NOTE: maximum and minimum give a tie's gradient to their first argument, p itself, so where nothing ties the
    gradient is the permutation's, exactly."""
    if not shape or shape[dim] < 2:
        return p
    low, high = ("minimum", "maximum") if descending else ("maximum", "minimum")
    before = _neighbour(g, p, shape, dim, later=False, edge=math.inf if descending else -math.inf)
    after = _neighbour(g, p, shape, dim, later=True, edge=-math.inf if descending else math.inf)
    return g.op(high, g.op(low, p, before), after)


def _sorted(call: Call, x: int, dim: int, descending: bool) -> tuple[int, np.ndarray, np.ndarray]:
    """x sorted along dim (the values' node), the order, and the sorted values (for ties)."""
    g, value = call.graph, _values(call, x)
    if value.ndim == 0 or value.size == 0:  # NOTE: nothing to order (a zero-size dim): x itself, empty
        return x, np.zeros(value.shape, dtype=np.int64), value
    if not -value.ndim <= dim < value.ndim:
        raise ExprError(f"{g.name}(): dim {dim} is out of range for {value.ndim} dims", g.col)
    dim %= value.ndim
    # NOTE: stable, as torch's sort(stable=True) and numpy's: equal elements keep their order (a tie is refused for indices)
    order = np.argsort(-value if descending else value, axis=dim, kind="stable")
    out = _bounded(g, _gathered(g, x, order, dim), value.shape, dim, descending)
    return out, order, np.take_along_axis(value, order, axis=dim)


def _refuse_tied_positions(call: Call, ordered: np.ndarray, dim: int, stop: int | None = None) -> None:
    """Positions asked for where neighbours in the order tie (among the first ``stop``): the library's choice."""
    if ordered.ndim == 0:
        return
    kept = ordered if stop is None else np.take(ordered, range(min(stop + 1, ordered.shape[dim])), axis=dim)
    if np.any(np.diff(kept, axis=dim) == 0):
        raise ExprError(f"{call.graph.name}(): the positions of tied elements are the library's choice (a tie in the values): not verified", call.graph.col)


def _parts(call: Call, values: int, positions: np.ndarray) -> int:
    """The (values, indices) pair of a torch call: values, or the positions as a constant."""
    part = call.part()
    if part is None:
        raise ExprError(f"{call.graph.name}() returns (values, indices): take .values or [0]", call.graph.col)
    return values if part == 0 else call.graph.builder.const(positions.astype(np.float64), call.graph.col)


def _flag(call: Call, key: str, position: int, default: bool) -> bool:
    if key in call.params:
        return call.flag(key, default)
    value = call.dims[position] if len(call.dims) > position else default
    if not isinstance(value, bool):
        raise ExprError(f"{call.graph.name}() takes {key} as True or False", call.graph.col)
    return value


def _sort(call: Call) -> int:
    """torch.sort(x, dim=-1, descending=False, stable=False): (values, indices)."""
    dim = _dim(call, -1)
    out, order, ordered = _sorted(call, call.tensors[0], dim, _flag(call, "descending", 1, False))
    if call.part() == 1:
        _refuse_tied_positions(call, ordered, dim % max(ordered.ndim, 1))
    return _parts(call, out, order)


def sorted_along(call: Call, x: int, dim: int) -> int:
    """x sorted ascending along dim (another library's sort spells itself with this: lax.sort)."""
    return _sorted(call, x, dim, descending=False)[0]


def _numpy_sort(call: Call) -> int:
    """np.sort(x, axis=-1): the values; axis=None sorts the flattened array."""
    g, x = call.graph, call.tensors[0]
    if "axis" in call.params and getattr(call.params["axis"], "value", 0) is None:
        x, dim = g.op("flatten", x, start_dim=0, end_dim=-1), 0
    else:
        dim = _dim(call, -1)
    return _sorted(call, x, dim, descending=False)[0]


def _topk(call: Call) -> int:
    """torch.topk(x, k, dim=-1, largest=True, sorted=True): the k largest (smallest) along dim, in order."""
    g, x = call.graph, call.tensors[0]
    k, dim = call.integer("k", 0, None), _dim(call, -1, 1)
    if k is None or k < 0 or dim is None:
        raise ExprError(f"{g.name}() takes k as a whole number and dim as an integer, e.g. topk(x, 2, dim=-1)", g.col)
    if not _flag(call, "sorted", 3, True):
        raise ExprError(f"not supported: {g.name}(sorted=False) leaves the order of the values to the library", g.col)
    out, order, ordered = _sorted(call, x, dim, descending=_flag(call, "largest", 2, True))
    if ordered.ndim == 0:
        return _parts(call, out, order)
    dim %= ordered.ndim
    if k > ordered.shape[dim]:
        raise ExprError(f"{g.name}(): k ({k}) is larger than dim {dim} ({ordered.shape[dim]})", g.col)
    if call.part() == 1:
        _refuse_tied_positions(call, ordered, dim, stop=k)
    return _parts(call, g.op("index", out, key=along(dim, slice(0, k))), np.take(order, range(k), axis=dim))


def _picked(call: Call, x: int, position: Callable[[int], int], dim: int, keepdim: bool) -> int:
    """The element at ``position(n)`` of x sorted along dim (kthvalue, median), and its index."""
    g = call.graph
    out, order, ordered = _sorted(call, x, dim, descending=False)
    if ordered.ndim == 0:
        return _parts(call, out, order) if call.part() is not None else out
    dim %= ordered.ndim
    at = position(ordered.shape[dim])
    if not 0 <= at < ordered.shape[dim]:
        raise ExprError(f"{g.name}(): k is out of range for dim {dim} ({ordered.shape[dim]})", g.col)
    item = slice(at, at + 1) if keepdim else at
    values = g.op("index", out, key=along(dim, item))
    if call.part() is None:
        return values
    if call.part() == 1:
        _refuse_tied_positions(call, np.take(ordered, range(max(at - 1, 0), min(at + 2, ordered.shape[dim])), axis=dim), dim)
    positions = np.take(order, [at] if keepdim else at, axis=dim)
    return _parts(call, values, positions)


def lower_median(call: Call, x: int, dim: int, keepdim: bool) -> int:
    """The lower middle element of x sorted along dim (torch's median and nanmedian of x without nan)."""
    return _picked(call, x, lambda n: (n - 1) // 2, dim, keepdim)


def _kthvalue(call: Call) -> int:
    """torch.kthvalue(x, k, dim=-1, keepdim=False): the k-th smallest along dim (k from 1), (values, indices)."""
    k = call.integer("k", 0, None)
    if k is None:
        raise ExprError(f"{call.graph.name}() takes k, e.g. kthvalue(x, 2)", call.graph.col)
    if call.part() is None:
        return _parts(call, 0, np.zeros(()))
    return _picked(call, call.tensors[0], lambda n: k - 1, _dim(call, -1, 1), _keepdim(call, 2))


def _keepdim(call: Call, position: int) -> bool:
    if "keepdim" in call.params:
        return call.keepdim()
    value = call.dims[position] if len(call.dims) > position else False
    return bool(value)


def _median(call: Call) -> int:
    """torch.median(x): the lower median of all elements; median(x, dim, keepdim): (values, indices) along dim."""
    g, x = call.graph, call.tensors[0]
    dim = _dim(call, None)
    if dim is None:
        if call.part() is not None:
            raise ExprError(f"{g.name}() without a dim returns one tensor: it has no .values or [0]", g.col)
        return _picked(call, g.op("flatten", x, start_dim=0, end_dim=-1), lambda n: (n - 1) // 2, 0, False)
    if call.part() is None:
        return _parts(call, 0, np.zeros(()))
    return _picked(call, x, lambda n: (n - 1) // 2, dim, _keepdim(call, 1))


def numpy_median(call: Call) -> int:
    """np.median(x, axis=None, keepdims=False): the middle element, or the mean of the two middle ones."""
    g, x = call.graph, call.tensors[0]
    dim = _dim(call, None)
    if dim is None:
        x, dim = g.op("flatten", x, start_dim=0, end_dim=-1), 0
    out, _, ordered = _sorted(call, x, dim, descending=False)
    if ordered.ndim == 0:
        return out
    dim %= ordered.ndim
    n = ordered.shape[dim]
    keep = call.keepdim()
    middle = [(n - 1) // 2, n // 2] if n % 2 == 0 else [n // 2]
    picked = [g.op("index", out, key=along(dim, slice(m, m + 1) if keep else m)) for m in middle]
    return picked[0] if len(picked) == 1 else g.scale(g.op("add", *picked), 0.5)


def _ranked(call: Call, x: int, dim: int, skip_nan: bool) -> tuple[int, np.ndarray, np.ndarray]:
    """x sorted along dim (nan last, as torch and numpy sort it), the order, and how many elements of each slice
    count (keepdim shape): every one, or those that are not nan. Without nan the sorted elements are bounded by
    their neighbours (a tie is a kink); with nan, a plain gather (a neighbour's nan would spread)."""
    g, value = call.graph, _values(call, x)
    counted = np.sum(~np.isnan(value), axis=dim, keepdims=True) if skip_nan else np.full(np.sum(value * 0, axis=dim, keepdims=True).shape, value.shape[dim])
    if (counted == 0).any() or (not skip_nan and np.isnan(value).any()):
        what = "nothing but nan" if skip_nan else "a nan (torch gives nan)"
        raise ExprError(f"not supported yet: {g.name}() of a slice holding {what}", g.col)
    if not np.isnan(value).any():
        out, order, _ = _sorted(call, x, dim, descending=False)
        return out, order, counted
    order = np.argsort(value, axis=dim, kind="stable")
    return _gathered(g, x, order, dim), order, counted


def _reduced(g: Graph, picked: int, dim: int, keepdim: bool) -> int:
    return picked if keepdim else g.op("squeeze", picked, dim=dim)


def _quantile(skip_nan: bool) -> Callable[[Call], int]:
    """torch.quantile(x, q, dim=None, keepdim=False, interpolation='linear') (nanquantile: of the elements that are not
    nan): the element at rank q (n - 1) of x sorted along dim, between the two neighbouring ranks as interpolation says."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        q = call.number("q", math.nan) if "q" in call.params else float(call.dims[0]) if call.dims else math.nan
        if not 0 <= q <= 1:
            raise ExprError(f"{g.name}() takes q as one number in [0, 1] (a tensor of them: not yet)", g.col)
        interpolation = call.choice("interpolation", ("linear", "lower", "higher", "midpoint", "nearest"), "linear")
        dim = _dim(call, None, 1)
        shape = _values(call, x).shape
        if dim is None:
            x, dim = g.op("reshape", x, shape=(-1,)), 0
        elif shape:
            dim %= len(shape)
        if not _values(call, x).shape:
            return x
        out, _, counted = _ranked(call, x, dim, skip_nan)
        rank = q * (counted - 1)
        low, high = np.floor(rank).astype(np.int64), np.ceil(rank).astype(np.int64)
        if interpolation == "nearest":
            low = high = np.round(rank).astype(np.int64)  # NOTE: halves to even, as torch rounds the rank
        below, above = _gathered(g, out, low, dim), _gathered(g, out, high, dim)
        picked = {
            "lower": lambda: below, "higher": lambda: above, "nearest": lambda: below,
            "midpoint": lambda: g.scale(g.op("add", below, above), 0.5),
            "linear": lambda: g.op("add", below, g.op("mul", g.builder.const(rank - low, g.col), g.op("sub", above, below))),
        }[interpolation]()  # fmt: skip
        keepdim = call.keepdim() if "keepdim" in call.params else False
        if "dim" not in call.params and len(call.dims) < 2:
            return g.op("reshape", picked, shape=(1,) * len(shape) if keepdim else ())
        return _reduced(g, picked, dim, keepdim)

    return compose


def _nanmedian(call: Call) -> int:
    """torch.nanmedian(x): the lower median of the elements that are not nan; nanmedian(x, dim, keepdim): (values,
    indices) along dim."""
    g, x = call.graph, call.tensors[0]
    dim = _dim(call, None)
    if dim is None:
        if call.part() is not None:
            raise ExprError(f"{g.name}() without a dim returns one tensor: it has no .values or [0]", g.col)
        x, dim = g.op("reshape", x, shape=(-1,)), 0
    elif call.part() is None:
        return _parts(call, 0, np.zeros(()))
    value = _values(call, x)
    if value.ndim == 0:
        return _parts(call, x, np.zeros(())) if call.part() is not None else x
    dim %= value.ndim
    out, order, counted = _ranked(call, x, dim, skip_nan=True)
    rank = (counted - 1) // 2
    keepdim = _keepdim(call, 1)
    picked = _reduced(g, _gathered(g, out, rank, dim), dim, keepdim)
    if call.part() is None:
        return picked
    if call.part() == 1:
        _refuse_tied_positions(call, np.sort(value, axis=dim), dim)
    positions = np.take_along_axis(order, rank, axis=dim)
    return _parts(call, picked, positions if keepdim else np.squeeze(positions, axis=dim))


def _running_extreme(lowest: bool) -> Callable[[Call], int]:
    """torch.cummax/cummin(x, dim): the running maximum (minimum) along dim, (values, indices); element i is
    maximum(x[i], running[i - 1]), so a tie is maximum's tie (torch gives it to the later element, as this does)."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        dim = _dim(call, None)
        value = _values(call, x)
        if dim is None or value.ndim == 0:
            if dim is None:
                raise ExprError(f"{g.name}() needs dim, e.g. {g.name}(x, dim=0)", g.col)
            return _parts(call, x, np.zeros(()))
        dim %= value.ndim
        op = "minimum" if lowest else "maximum"
        running = g.op("index", x, key=along(dim, slice(0, 1)))
        out = running
        for i in range(1, value.shape[dim]):
            running = g.op(op, g.op("index", x, key=along(dim, slice(i, i + 1))), running)
            out = g.op("concat", out, running, dim=dim)
        if call.part() == 1:
            accumulated = (np.minimum if lowest else np.maximum).accumulate(value, axis=dim)
            hits = np.moveaxis(value, dim, -1)[..., None, :] == np.moveaxis(accumulated, dim, -1)[..., :, None]
            upto = np.tril(np.ones((value.shape[dim],) * 2, dtype=bool))
            positions = np.moveaxis(value.shape[dim] - 1 - np.argmax((hits & upto)[..., ::-1], axis=-1), -1, dim)
            return _parts(call, out, positions)  # NOTE: the last position reaching the running extreme, as torch
        return _parts(call, out, np.zeros(()))

    return compose


def mode_positions(value: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's mode along dim (keepdim shape): the most frequent value, the smallest of those equally frequent, at its
    last position; and a second position: another element equal to it where it repeats, else a larger element (or
    itself, in a slice of one)."""
    moved = np.moveaxis(value, dim, -1)
    last, other = np.zeros(moved.shape[:-1], dtype=np.int64), np.zeros(moved.shape[:-1], dtype=np.int64)
    for index in np.ndindex(moved.shape[:-1]):
        row = moved[index]
        counts = (row[:, None] == row[None, :]).sum(1)
        mode = row[counts == counts.max()].min()
        equal = np.flatnonzero(row == mode)
        last[index] = equal[-1]
        other[index] = equal[0] if len(equal) > 1 else int(np.argmax(row))
    return np.expand_dims(last, dim), np.expand_dims(other, dim)


def _mode(call: Call) -> int:
    """torch.mode(x, dim=-1, keepdim=False): (values, indices), as torch picks them (mode_positions), the position fixed
    at the case's values. Where every element differs, the mode is the smallest, its gradient the minimum's; where the
    mode repeats, any change of one copy changes which value is the mode: the copy is bounded by another (a minimum
    of equal values), reported as a tie, never torch's one-copy gradient passed off as the gradient."""
    g, x = call.graph, call.tensors[0]
    value, dim, keepdim = _values(call, x), _dim(call, -1), _keepdim(call, 1)
    if call.part() is None:
        return _parts(call, 0, np.zeros(()))
    if value.ndim == 0:
        return _parts(call, x, np.zeros((), dtype=np.int64))
    if not -value.ndim <= dim < value.ndim:
        raise ExprError(f"{g.name}(): dim {dim} is out of range for {value.ndim} dims", g.col)
    dim %= value.ndim
    last, other = mode_positions(value, dim)
    out = _gathered(g, x, last, dim)
    if value.shape[dim] > 1:
        out = g.op("minimum", out, _gathered(g, x, other, dim))
    if not keepdim:
        out, last = g.op("squeeze", out, dim=dim), np.squeeze(last, axis=dim)
    return _parts(call, out, last)


def _logcumsumexp(call: Call) -> int:
    """torch.logcumsumexp(x, dim): log(cumsum(exp(x - m))) + m, m the largest element along dim (a constant:
    the result does not depend on it, it only keeps exp from overflowing)."""
    g, x = call.graph, call.tensors[0]
    dim = _dim(call, None)
    if dim is None:
        raise ExprError(f"{g.name}() needs dim, e.g. {g.name}(x, dim=0)", g.col)
    value = _values(call, x)
    if value.ndim == 0:
        return x
    finite = np.where(np.isfinite(value), value, -np.inf)
    shift = np.max(finite, axis=dim, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    m = g.builder.const(shift, g.col)
    return g.op("add", g.op("log", g.op("cumsum", g.op("exp", g.op("sub", x, m)), dim=dim)), m)


def _partition(call: Call) -> int:
    """np.partition(x, kth, axis=-1): the k-th elements in their sorted places, the smaller before and the larger after
    in the arrangement numpy's own partition gives at the case's values (fixed there, as sort's order is); axis=None
    partitions the flattened array. A tie is refused: which of the tied elements goes where is numpy's choice."""
    g, x = call.graph, call.tensors[0]
    kth = call.literal("kth", 0, None)
    if not (type(kth) is int or (isinstance(kth, (list, tuple)) and kth and all(type(k) is int for k in kth))):
        raise ExprError("np.partition() takes kth as a whole number or a list of them, e.g. np.partition(x, 2)", g.col)
    if "axis" in call.params and getattr(call.params["axis"], "value", 0) is None:
        x, dim = g.op("flatten", x, start_dim=0, end_dim=-1), 0
    else:
        dim = _dim(call, -1, 1)
    value = _values(call, x)
    if value.ndim == 0:
        raise ExprError("np.partition() takes an array of at least one dim", g.col)
    if not -value.ndim <= dim < value.ndim:
        raise ExprError(f"np.partition(): axis {dim} is out of range for {value.ndim} dims", g.col)
    n = value.shape[dim]
    if any(not -n <= k < n for k in ([kth] if type(kth) is int else kth)):
        raise ExprError(f"np.partition(): kth {kth} is out of range for {n} elements", g.col)
    lines = np.moveaxis(value, dim, -1).reshape(-1, n)
    if np.any(np.diff(np.sort(lines, axis=-1), axis=-1) == 0):
        raise ExprError("np.partition(): tied values: where each goes is numpy's choice (not verified)", g.col)
    parted = np.moveaxis(np.partition(value, kth, axis=dim), dim, -1).reshape(-1, n)
    order = np.empty_like(lines, dtype=np.int64)
    for row, (line, out) in enumerate(zip(lines, parted)):  # NOTE: distinct values: out[i] is line[order[i]], one way
        order[row, np.argsort(out, kind="stable")] = np.argsort(line, kind="stable")
    shape = np.moveaxis(value, dim, -1).shape
    return _gathered(g, x, np.moveaxis(order.reshape(shape), -1, dim), dim)


_SORT = ("dim", "descending", "stable", PART)
SPELLINGS: dict[str, Function] = {
    "sort": spelling(_sort, (1, 1), keywords=_SORT),
    "np.sort": spelling(_numpy_sort, (1, 1), keywords=("axis", "kind")),
    "np.partition": spelling(_partition, (1, 1), keywords=("kth", "axis", "kind", "order")),
    "msort": spelling(lambda call: _sorted(call, call.tensors[0], 0, descending=False)[0], (1, 1)),
    "topk": spelling(_topk, (1, 1), keywords=("k", "dim", "largest", "sorted", PART)),
    "kthvalue": spelling(_kthvalue, (1, 1), keywords=("k", "dim", "keepdim", PART)),
    "median": spelling(_median, (1, 1), keywords=("dim", "keepdim", PART)),
    "np.median": spelling(numpy_median, (1, 1), keywords=("axis", "keepdims")),
    "nanmedian": spelling(_nanmedian, (1, 1), keywords=("dim", "keepdim", PART)),
    "quantile": spelling(_quantile(skip_nan=False), (1, 1), ("q",), keywords=("dim", "keepdim", "interpolation")),
    "nanquantile": spelling(_quantile(skip_nan=True), (1, 1), ("q",), keywords=("dim", "keepdim", "interpolation")),
    "cummax": spelling(_running_extreme(lowest=False), (1, 1), keywords=("dim", PART)),
    "cummin": spelling(_running_extreme(lowest=True), (1, 1), keywords=("dim", PART)),
    "logcumsumexp": spelling(_logcumsumexp, (1, 1), keywords=("dim",)),
    "mode": spelling(_mode, (1, 1), keywords=("dim", "keepdim", PART)),
}  # fmt: skip
LITERAL_POSITIONAL = frozenset(SPELLINGS)
TUPLE_RESULTS = frozenset({"sort", "topk", "kthvalue", "median", "nanmedian", "cummax", "cummin", "mode"})
