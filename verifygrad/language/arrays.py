"""numpy forwards of the structural primitives: indexing and its scatter-add, joining, tiling, linear algebra.

Pure numpy and no calculus: ``ops`` declares each with its VJP.  An index is kept as
``Key``: a tuple of ints, slices, None, Ellipsis, and tuples (a list of indices, or
of booleans for a constant mask), as Python writes it in ``x[...]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verifygrad.errors import EngineSkipped

Key = tuple[Any, ...]


def as_numpy_key(key: Key) -> tuple[Any, ...]:
    """The key numpy (and torch, for lists) reads: each tuple of indices as an array."""
    return tuple(np.asarray(item) if isinstance(item, tuple) else item for item in key)


def numpy_positions(shape: tuple[int, ...], key: Key) -> np.ndarray:
    """The flat positions numpy's reading of ``key`` picks from an array of ``shape``, in the result's shape: what
    torch gathers where it reads a key otherwise (negative slice steps, an int beside a list)."""
    return np.ascontiguousarray(np.arange(math.prod(shape)).reshape(shape)[as_numpy_key(key)])


def mixed(key: Key) -> bool:
    """Whether a key holds both an int and a list of indices (or a mask): numpy and torch read such keys differently."""
    return any(type(item) is int for item in key) and any(isinstance(item, tuple) for item in key)


def ints_first(key: Key) -> tuple[Key, Key]:
    """torch's reading of a mixed key as two numpy keys: its ints first, as basic indexing (x[3, 2:, [1, 3]] is
    x[3][2:, [1, 3]], of shape (4, 2), where numpy broadcasts 3 with [1, 3] and puts that dim first: (2, 4))."""
    ints = tuple(item if type(item) is int or item is Ellipsis else slice(None) for item in key if item is not None)
    return ints, tuple(item for item in key if type(item) is not int)


def index(x: np.ndarray, key: Key) -> np.ndarray:
    out = x[as_numpy_key(key)]
    return np.array(out) if np.ndim(out) == 0 else out  # NOTE: x[0] of a vector is a numpy scalar


def scatter(g: np.ndarray, shape: tuple[int, ...], key: Key) -> np.ndarray:
    """zeros(shape) with g added at key: the transpose of index (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, as_numpy_key(key), g)
    return out


def key_text(key: Key) -> str:
    """The key as Python writes it inside brackets: ``1:3, [0, 2]``."""
    return ", ".join(_item_text(item) for item in key) if key else "()"


def _item_text(item: Any) -> str:
    if isinstance(item, slice):
        text = ":".join("" if part is None else str(part) for part in (item.start, item.stop))
        return text + (f":{item.step}" if item.step is not None else "")
    if item is Ellipsis:
        return "..."
    if isinstance(item, tuple):
        return repr(np.asarray(item).tolist())  # NOTE: nested lists for a gather's index grid; True/False for a mask
    return str(item)


def expand_dims(x: np.ndarray, dim: int) -> np.ndarray:
    return np.expand_dims(x, dim)


def squeeze(x: np.ndarray, dim: int | None = None) -> np.ndarray:
    if dim is None:
        return np.squeeze(x)
    return np.squeeze(x, dim) if x.shape[dim] == 1 else x  # NOTE: as torch: a dim that is not 1 is left alone


def flatten(x: np.ndarray, start_dim: int = 0, end_dim: int = -1) -> np.ndarray:
    if x.ndim == 0:
        return np.reshape(x, (1,))
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return np.reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1 :])


def concat(x: np.ndarray, y: np.ndarray, dim: int = 0) -> np.ndarray:
    return np.concatenate([x, y], axis=dim)


def split_key(ndim_dim: int, start: int, stop: int) -> Key:
    """The key that takes [start, stop) along dim ``ndim_dim`` (a non-negative dim)."""
    return (slice(None),) * ndim_dim + (slice(start, stop),)


def tile(x: np.ndarray, reps: tuple[int, ...]) -> np.ndarray:
    return np.tile(x, reps)


def tile_sum(g: np.ndarray, shape: tuple[int, ...], reps: tuple[int, ...]) -> np.ndarray:
    """The transpose of tile: the tiles of g summed onto one tile of ``shape``."""
    ndim = max(len(shape), len(reps))
    padded = (1,) * (ndim - len(shape)) + tuple(shape)
    reps = (1,) * (ndim - len(reps)) + tuple(reps)
    split = np.reshape(g, [n for pair in zip(reps, padded) for n in pair])
    return np.sum(split, axis=tuple(range(0, 2 * ndim, 2))).reshape(shape)


def repeat(x: np.ndarray, repeats: int, dim: int | None = None) -> np.ndarray:
    return np.repeat(x, repeats, axis=dim)


def repeat_sum(g: np.ndarray, shape: tuple[int, ...], repeats: int, dim: int | None = None) -> np.ndarray:
    """The transpose of repeat: each run of ``repeats`` copies summed back onto its element."""
    if dim is None:
        return np.sum(np.reshape(g, (math.prod(shape), repeats)), axis=1).reshape(shape)  # NOTE: not -1: repeats=0 leaves g empty
    axis = dim % len(shape)
    split = np.reshape(g, shape[:axis] + (shape[axis], repeats) + shape[axis + 1 :])
    return np.sum(split, axis=axis + 1)


def flip(x: np.ndarray, dims: tuple[int, ...] | None = None) -> np.ndarray:
    return np.flip(x, dims)


def roll(x: np.ndarray, shifts: int | tuple[int, ...], dims: int | tuple[int, ...] | None = None) -> np.ndarray:
    return np.roll(x, shifts, dims)


def pad(x: np.ndarray, pairs: tuple[tuple[int, int], ...], whole: bool = False) -> np.ndarray:
    """Zeros added (before, after) along each of the last len(pairs) dims, in order."""
    return np.pad(x, ((0, 0),) * (x.ndim - len(pairs)) + tuple(pairs))


def unpad_key(shape: tuple[int, ...], pairs: tuple[tuple[int, int], ...]) -> Key:
    """The key that takes back the unpadded part, for an unpadded array of ``shape``."""
    last = shape[len(shape) - len(pairs) :]
    return (Ellipsis, *(slice(before, before + n) for n, (before, _) in zip(last, pairs)))


def diag(x: np.ndarray, k: int = 0) -> np.ndarray:
    return np.diag(x, k)


def diag_key(rows: int, cols: int, k: int) -> Key:
    """The (row, column) lists of the k-th diagonal of a rows x cols matrix."""
    length = max(0, min(rows, cols - k) if k >= 0 else min(rows + k, cols))
    start_row, start_col = max(0, -k), max(0, k)
    return (tuple(range(start_row, start_row + length)), tuple(range(start_col, start_col + length)))


def cumsum(x: np.ndarray, dim: int) -> np.ndarray:
    return np.cumsum(x, axis=dim)


def cumprod(x: np.ndarray, dim: int) -> np.ndarray:
    return np.cumprod(x, axis=dim)


def prod(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    return np.prod(x, axis=dim, keepdims=keepdim)


def prod_others(x: np.ndarray, dim: int | None = None) -> np.ndarray:
    """At each element, the product of every other element along dim (all of x for None): exact where x holds zeros."""
    flat = x.reshape(-1) if dim is None else np.moveaxis(x, dim, -1)
    ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1)
    out = before * after
    return out.reshape(x.shape) if dim is None else np.moveaxis(out, -1, dim)


def logabsdet(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.linalg.slogdet(x)[1])


def einsum(x: np.ndarray, y: np.ndarray, spec: str) -> np.ndarray:
    return np.einsum(spec, x, y)


SINGULAR = "not verified: singular matrix"  # numpy and torch raise there: no value to compare


def inv(x: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(x)
    except np.linalg.LinAlgError:
        raise EngineSkipped(SINGULAR) from None


def solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise EngineSkipped(SINGULAR) from None


def cholesky(x: np.ndarray) -> np.ndarray:
    """The lower factor L of x = L L^T; nan where x is not positive definite (numpy would raise)."""
    try:
        return np.linalg.cholesky(x)
    except np.linalg.LinAlgError:
        return np.full_like(x, np.nan)
