"""Indexing that writes: masked_fill, index_add/copy/fill, scatter and scatter_add; and narrow, select, take_along_dim.

The positions are fixed at the case's values (as ``x[k]`` is), so each is an index or a scatter-add with a static key.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from verifygrad.language.spellings.compose import COMPARISONS, Call, Graph, along, nested_tuple, spelling, whole_numbers
from verifygrad.language.syntax import ExprError, Function


def _positions(call: Call, index: int) -> np.ndarray:
    what = f"the index of {call.graph.name}()"
    return whole_numbers(call.graph.builder.known_value(index, call.graph.col, what), what, call.graph.col)


def _shape(call: Call, tensor: int) -> tuple[int, ...]:
    return call.graph.builder.known_shape(tensor, call.graph.col, f"{call.graph.name}()")


def _dim(call: Call, position: int = 0) -> int:
    dim = call.integer("dim", position, None)
    if dim is None:
        raise ExprError(f"{call.graph.name}() needs a dim", call.graph.col)
    return dim


def _masked(g: Graph, x: int, mask: np.ndarray, fill: int) -> int:
    """x where ``mask`` (a constant) is 0, ``fill`` (a node of x's shape, 0 off the mask) where it is 1."""
    return g.op("add", g.op("select", g.const(1.0 - mask), x), fill)


def _masked_fill(call: Call) -> int:
    """masked_fill(x, mask, value): value where mask is non-zero (True), else x; no nan from a value of -inf."""
    g, (x, mask) = call.graph, call.tensors[:2]
    filled = g.op("gt", g.op("abs", mask), g.const(0.0))
    value = call.tensor("value", 2)
    value = g.const(call.scalar("value", 0, 0.0)) if value is None else value
    return g.op("add", g.op("select", g.op("sub", g.const(1.0), filled), x), g.op("select", filled, value))


def _along_key(call: Call, dim: int, positions: np.ndarray) -> tuple:
    positions = positions.reshape(1) if positions.ndim == 0 else positions  # NOTE: torch takes a 0-d index as one position
    if positions.ndim != 1:
        raise ExprError(f"{call.graph.name}() takes a 1-D index", call.graph.col)
    return along(dim, nested_tuple(positions))


def _index_write(kind: str) -> Callable[[Call], int]:
    """index_add(x, dim, index, source, alpha=1), index_copy(x, dim, index, source), index_fill(x, dim, index, value)."""

    def compose(call: Call) -> int:
        g, x, index = call.graph, call.tensors[0], call.tensors[1]
        if _shape(call, x) == ():  # NOTE: torch writes into a 0-d tensor as into one element along dim 0
            ones = [g.op("reshape", t, shape=(1,)) if i != 1 and _shape(call, t) == () else t for i, t in enumerate(call.tensors)]
            return g.op("reshape", compose(dataclasses.replace(call, tensors=ones)), shape=())
        dim, shape = _dim(call), _shape(call, x)
        key = _along_key(call, dim, _positions(call, index))
        mask = np.zeros(shape)
        mask[key] = 1.0
        if kind == "fill":
            value = call.tensors[2] if len(call.tensors) > 2 else g.const(call.scalar("value", 1, 0.0))
            return _masked(g, x, mask, g.op("mul", g.const(mask), value))
        source = call.tensors[2]
        added = g.op("scatter", source, shape=shape, key=key)
        if kind == "add":
            alpha = call.number("alpha", 1.0)
            return g.op("add", x, added if alpha == 1 else g.scale(added, alpha))
        return _masked(g, x, mask, added)

    return compose


def _index_positions(call: Call, index: int) -> list[np.ndarray]:
    """One index of x[i, j]: positions, or (written as a comparison: a case's tensors are floats) a boolean mask over
    as many dims as it has, its true places in order."""
    if call.graph.builder.nodes[index].spelling not in COMPARISONS:
        return [_positions(call, index)]
    return list(np.nonzero(call.graph.builder.known_value(index, call.graph.col, f"the mask of {call.graph.name}()")))


def _index_put(call: Call) -> int:
    """torch.index_put(x, indices, values, accumulate=False), x.index_put(indices, values): x[indices] = values (added
    where accumulate), indices a tuple of position tensors (or masks) for x's first dims (broadcast together, as x[i, j]
    reads), fixed at the case's values; values broadcast to what x[indices] reads."""
    g, x, values = call.graph, call.tensors[0], call.tensors[-1]
    indices = call.tensors[1:-1]
    if not indices:
        raise ExprError(f"{g.name}() takes indices as a tuple of index tensors, e.g. {g.name}(x, (i,), v)", g.col)
    shape = _shape(call, x)
    positions = [p for i in indices for p in _index_positions(call, i)]
    if np.broadcast(*positions).size == 0:  # NOTE: nothing written (a mask of no true place): x itself
        return x
    key = tuple(nested_tuple(p) for p in np.broadcast_arrays(*positions))
    read = np.empty(shape)[key].shape
    placed = g.op("scatter", g.op("broadcast_to", values, shape=read), shape=shape, key=key)
    if call.flag("accumulate", False):
        return g.op("add", x, placed)
    mask = np.zeros(shape)
    np.add.at(mask, key, 1.0)
    if np.any(mask > 1):
        raise ExprError(f"{g.name}() writes one position twice without accumulate=True: torch leaves which value lands undefined", g.col)
    return _masked(g, x, mask, placed)


def _scatter_key(call: Call, positions: np.ndarray, dim: int) -> tuple:
    axis = dim % positions.ndim
    grid = np.indices(positions.shape)
    return tuple(nested_tuple(positions if a == axis else grid[a]) for a in range(positions.ndim))


def _gathered_reduce(g: Graph, x: int, source: int, shape: tuple[int, ...], key: tuple, reduce: str, include: bool) -> int:
    """scatter_reduce's amax, amin and prod: for each position of x, the values that meet there (x's own where
    include_self or where nothing is written) gathered into one row, padded with the reduction's identity, then reduced."""
    sizes = math.prod(shape)
    targets = np.ravel_multi_index(tuple(np.asarray(k) for k in key), shape).reshape(-1)
    rows: list[list[int]] = [[] for _ in range(sizes)]
    for i, target in enumerate(targets):
        rows[target].append(sizes + i)  # a source element: after x's in the joined vector
    rows = [([p] if include or not row else []) + row for p, row in enumerate(rows)]
    width, pad = max(len(row) for row in rows), sizes + len(targets)  # the padding element: last
    grid = np.array([row + [pad] * (width - len(row)) for row in rows])
    identity = {"amax": -math.inf, "amin": math.inf, "prod": 1.0}[reduce]
    joined = g.op("concat", g.op("concat", g.op("reshape", x, shape=(-1,)), g.op("reshape", source, shape=(-1,)), dim=0), g.const(np.array([identity])), dim=0)
    windows = g.op("index", joined, key=(nested_tuple(grid),))
    return g.op("reshape", g.reduce(reduce, windows, -1), shape=shape)


def _scatter_reduce(along_dim: bool) -> Callable[[Call], int]:
    """torch.scatter_reduce(x, dim, index, src, reduce, include_self=True) (index of src's shape) and index_reduce(x, dim,
    index, source, reduce, include_self=True) (a 1-D index along dim): each position named takes the reduction (sum,
    mean, amax, amin, prod) of what is written there, with x's own element where include_self; the others keep x."""

    def compose(call: Call) -> int:
        g, x, index, source = call.graph, call.tensors[0], call.tensors[1], call.tensors[2]
        dim, shape, positions = _dim(call), _shape(call, x), _positions(call, index)
        reduce = call.literal("reduce", 1, None)
        allowed = ("prod", "mean", "amax", "amin") if along_dim else ("sum", "mean", "amax", "amin", "prod")
        if reduce not in allowed:
            raise ExprError(f"{g.name}() takes reduce as one of {', '.join(map(repr, allowed))}", g.col)
        include = call.flag("include_self", True)
        if along_dim and shape == ():  # NOTE: torch reduces into a 0-d tensor as into one element along dim 0
            x, shape, positions = g.op("reshape", x, shape=(1,)), (1,), positions.reshape(-1)
            source = g.op("reshape", source, shape=(-1,))
            return g.op("reshape", _reduced_into(g, x, source, shape, _index_key(call, source, positions, 0), reduce, include), shape=())
        if along_dim:
            return _reduced_into(g, x, source, shape, _index_key(call, source, positions, dim), reduce, include)
        key = _scatter_key(call, positions, dim)
        if _shape(call, source) != positions.shape:
            source = g.op("index", source, key=tuple(slice(0, n) for n in positions.shape))
        return _reduced_into(g, x, source, shape, key, reduce, include)

    return compose


def _index_key(call: Call, source: int, positions: np.ndarray, dim: int) -> tuple:
    """Every element of source, at its own place but with dim's coordinate taken from the 1-D index."""
    grid = np.indices(_shape(call, source))
    grid[dim % grid.shape[0]] = positions.reshape(-1)[grid[dim % grid.shape[0]]]
    return tuple(nested_tuple(item) for item in grid)


def _reduced_into(g: Graph, x: int, source: int, shape: tuple[int, ...], key: tuple, reduce: str, include: bool) -> int:
    if reduce in ("amax", "amin", "prod"):
        return _gathered_reduce(g, x, source, shape, key, reduce, include)
    counts = np.zeros(shape)
    np.add.at(counts, tuple(np.asarray(k) for k in key), 1.0)
    written = (counts > 0) * 1.0
    total = g.op("scatter", source, shape=shape, key=key)
    kept = x if include else g.op("select", g.const(1.0 - written), x)  # x itself, or only where nothing is written
    out = g.op("add", kept, total)
    if reduce == "mean":  # NOTE: divided by the number of values taken; 1 where nothing is written (x as it is)
        out = g.op("div", out, g.const(np.where(counts > 0, counts + include, 1.0)))
    return out


def _scatter(add: bool) -> Callable[[Call], int]:
    """scatter_add(x, dim, index, src), scatter(x, dim, index, src or value): x[..., index[i], ...] takes src[i] (added, or in
    place of x; repeated positions in scatter are refused: torch leaves their result unspecified)."""

    def compose(call: Call) -> int:
        g, x, index = call.graph, call.tensors[0], call.tensors[1]
        dim, shape, positions = _dim(call), _shape(call, x), _positions(call, index)
        key = _scatter_key(call, positions, dim)
        source = call.tensor("src", 2)
        if source is None:
            source = g.const(np.full(positions.shape, call.scalar("value", 1, 0.0)))
        elif _shape(call, source) != positions.shape:
            source = g.op("index", source, key=tuple(slice(0, n) for n in positions.shape))
        added = g.op("scatter", source, shape=shape, key=key)
        if add:
            return g.op("add", x, added)
        mask = np.zeros(shape)
        np.add.at(mask, tuple(np.asarray(k) for k in key), 1.0)
        if mask.max(initial=0) > 1:
            raise ExprError(f"{g.name}() writes one position twice; torch leaves which write wins unspecified (scatter_add adds them)", g.col)
        return _masked(g, x, mask, added)

    return compose


def _take_along_dim(call: Call) -> int:
    """torch.take_along_dim(x, indices, dim=None): torch.gather with the index second, x and the indices broadcast
    against each other in every dim but dim; without a dim, positions in the flattened x."""
    g, (x, index) = call.graph, call.tensors[:2]
    positions = _positions(call, index)
    if call.integer("dim", 0, None) is None:
        return g.op("index", g.op("reshape", x, shape=(-1,)), key=(nested_tuple(positions.reshape(-1)),))
    dim, shape = _dim(call), _shape(call, x)
    if len(shape) != positions.ndim or not shape:
        raise ExprError(f"{g.name}() takes indices with as many dims as x ({len(shape)}), got {positions.ndim}", g.col)
    axis = dim % len(shape)

    def outside(sizes: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(1 if a == axis else n for a, n in enumerate(sizes))

    try:
        common = list(np.broadcast_shapes(outside(shape), outside(positions.shape)))
    except ValueError:
        raise ExprError(f"{g.name}(): x {shape} and the indices {positions.shape} do not broadcast outside dim {dim}", g.col) from None
    x = g.op("broadcast_to", x, shape=tuple(shape[axis] if a == axis else n for a, n in enumerate(common)))
    positions = np.broadcast_to(positions, tuple(positions.shape[axis] if a == axis else n for a, n in enumerate(common)))
    return g.op("index", x, key=_scatter_key(call, positions, axis))


def _narrow(call: Call) -> int:
    """narrow(x, dim, start, length): length elements along dim from start."""
    if len(call.tensors) > 1:  # torch.narrow(x, dim, start, length) with start a 0-d tensor: its value
        start_value = _positions(call, call.tensors[1])
        dim, start, length = _dim(call), int(start_value.reshape(-1)[0]), call.integer("length", 1, None)
    else:
        dim, start, length = _dim(call), call.integer("start", 1, None), call.integer("length", 2, None)
    if start is None or length is None:
        raise ExprError(f"{call.graph.name}() takes dim, start and length", call.graph.col)
    if start < 0:
        start += _shape(call, call.tensors[0])[dim]
    return call.graph.op("index", call.tensors[0], key=along(dim, slice(start, start + length)))


def _select(call: Call) -> int:
    """select(x, dim, index): the slice at index along dim, dim removed."""
    index = call.integer("index", 1, None)
    if index is None:
        raise ExprError(f"{call.graph.name}() takes dim and index", call.graph.col)
    return call.graph.op("index", call.tensors[0], key=along(_dim(call), index))


def _view_scatter(key_of: Callable[[Call, tuple[int, ...]], tuple]) -> Callable[[Call], int]:
    """x with the view ``key_of`` names replaced by src (the view's shape), as torch's select_scatter, slice_scatter and
    diagonal_scatter: src's gradient is the view of g, x's is g with the view zeroed."""

    def compose(call: Call) -> int:
        g, (x, source) = call.graph, call.tensors
        shape = _shape(call, x)
        key = key_of(call, shape)
        mask = np.zeros(shape)
        mask[key] = 1.0
        return _masked(g, x, mask, g.op("scatter", source, shape=shape, key=key))

    return compose


def _select_key(call: Call, shape: tuple[int, ...]) -> tuple:
    """select_scatter(x, src, dim, index)."""
    index = call.integer("index", 1, None)
    if index is None:
        raise ExprError(f"{call.graph.name}() takes dim and index", call.graph.col)
    return along(_dim(call), index)


def _slice_key(call: Call, shape: tuple[int, ...]) -> tuple:
    """slice_scatter(x, src, dim=0, start=None, end=None, step=1)."""
    dim = call.integer("dim", 0, 0)
    start, end, step = call.integer("start", 1, None), call.integer("end", 2, None), call.integer("step", 3, 1)
    return along(dim, slice(start, end, step))


def _diagonal_key(call: Call, shape: tuple[int, ...]) -> tuple:
    """diagonal_scatter(x, src, offset=0) of a matrix: the positions (i, i + offset), or (i - offset, i) below."""
    if len(shape) != 2 or call.integer("dim1", 99, 0) != 0 or call.integer("dim2", 99, 1) != 1:
        raise ExprError(f"not supported yet: {call.graph.name}() of other than a matrix's own dims", call.graph.col)
    offset = call.integer("offset", 0, 0)
    rows = np.arange(max(0, -offset), min(shape[0], shape[1] - offset))
    return (nested_tuple(rows), nested_tuple(rows + offset))


def _mask_positions(call: Call, x: int, mask: int) -> tuple[int, tuple[int, ...], np.ndarray]:
    """x broadcast against the mask (a 0/1 tensor, torch's bool), the common shape, and the mask there, read at the
    case's values."""
    g = call.graph
    shape = tuple(np.broadcast_shapes(g.builder.known_shape(x, g.col, f"{g.name}()"), g.builder.known_shape(mask, g.col, f"the mask of {g.name}()")))
    kept = np.broadcast_to(g.builder.known_value(mask, g.col, f"the mask of {g.name}()") != 0, shape)
    return g.op("broadcast_to", x, shape=shape), shape, kept


def _masked_select(call: Call) -> int:
    """torch.masked_select(x, mask): the elements of x (broadcast against mask) where mask is true, flattened in order."""
    g, (x, mask) = call.graph, call.tensors
    spread, shape, kept = _mask_positions(call, x, mask)
    if not shape:
        return g.op("reshape", spread, shape=(1,)) if kept else g.op("index", g.op("reshape", spread, shape=(1,)), key=(slice(0, 0),))
    return g.op("index", spread, key=(nested_tuple(kept),))


def _masked_scatter(call: Call) -> int:
    """torch.masked_scatter(x, mask, source): x, with the positions where mask is true (in order) taking source's first
    elements."""
    g, (x, mask, source) = call.graph, call.tensors
    spread, shape, kept = _mask_positions(call, x, mask)
    count = int(kept.sum())
    if count > math.prod(g.builder.known_shape(source, g.col, f"the source of {g.name}()")):
        raise ExprError(f"{g.name}(): the mask takes {count} elements, more than source holds", g.col)
    taken = g.op("index", g.op("reshape", source, shape=(-1,)), key=(slice(0, count),))
    placed = g.op("scatter", taken, shape=shape, key=(nested_tuple(kept),)) if shape else g.op("reshape", taken, shape=())
    return g.op("add", g.op("select", g.const((~kept).astype(np.float64)), spread), placed)


SPELLINGS: dict[str, Function] = {
    "masked_select": spelling(_masked_select, (2, 2)),
    "masked_scatter": spelling(_masked_scatter, (3, 3)),
    "select_scatter": spelling(_view_scatter(_select_key), (2, 2), keywords=("dim", "index")),
    "slice_scatter": spelling(_view_scatter(_slice_key), (2, 2), keywords=("dim", "start", "end", "step")),
    "diagonal_scatter": spelling(_view_scatter(_diagonal_key), (2, 2), keywords=("offset", "dim1", "dim2")),
    "masked_fill": spelling(_masked_fill, (2, 3), keywords=("mask", "value")),
    "index_add": spelling(_index_write("add"), (3, 3), keywords=("dim", "index", "source", "alpha")),
    "index_put": spelling(_index_put, (3, 10), keywords=("accumulate",)),
    "index_copy": spelling(_index_write("copy"), (3, 3), keywords=("dim", "index", "source")),
    "index_fill": spelling(_index_write("fill"), (2, 3), keywords=("dim", "index", "value")),
    "scatter": spelling(_scatter(add=False), (2, 3), keywords=("dim", "index", "src", "value")),
    "scatter_add": spelling(_scatter(add=True), (3, 3), keywords=("dim", "index", "src")),
    "scatter_reduce": spelling(_scatter_reduce(along_dim=False), (3, 3), keywords=("dim", "index", "src", "reduce", "include_self")),
    "index_reduce": spelling(_scatter_reduce(along_dim=True), (3, 3), keywords=("dim", "index", "source", "reduce", "include_self")),
    "take_along_dim": spelling(_take_along_dim, (2, 2), keywords=("indices", "dim")),
    "narrow": spelling(_narrow, (1, 2), keywords=("dim", "start", "length")),
    "select": spelling(_select, (1, 1), keywords=("dim", "index")),
}
# Their positional numbers (dims, starts, fill values) are parameters, not tensors.
LITERAL_POSITIONAL = NUMBER_POSITIONAL = frozenset(SPELLINGS)
