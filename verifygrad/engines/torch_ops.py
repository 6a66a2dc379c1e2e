"""torch counterparts of the structural, max/min and linear-algebra primitives: torch's own function wherever it has one."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from verifygrad.language import decompose
from verifygrad.language.arrays import Key, mixed, numpy_positions


def _extreme(function: Callable) -> Callable:
    """torch.max / torch.min: over everything (ties share g evenly), or along dim (one index takes g)."""

    def reduce(x: torch.Tensor, dim: int | None = None, keepdim: bool = False) -> torch.Tensor:
        if dim is None:
            out = function(x)
            return out.reshape((1,) * x.dim()) if keepdim else out
        return function(x, dim, keepdim=keepdim).values

    return reduce


def torch_key(key: Key, device: torch.device) -> tuple[Any, ...]:
    return tuple(torch.as_tensor(item, device=device) if isinstance(item, tuple) else item for item in key)


def _index(x: torch.Tensor, key: Key) -> torch.Tensor:
    if not any(isinstance(item, slice) and (item.step or 1) < 0 for item in key) and not mixed(key):
        return x[torch_key(key, x.device)]
    # NOTE: torch has no negative slice steps, and reads an int beside a list of indices as basic indexing (numpy
    # broadcasts the two: the key is numpy's here); numpy lists the positions such a key picks, torch gathers them.
    return x.reshape(-1)[torch.as_tensor(numpy_positions(tuple(x.shape), key), device=x.device)]


def _scatter(g: torch.Tensor, shape: tuple[int, ...], key: Key) -> torch.Tensor:
    """zeros(shape) with g added at key, by torch's index_add on the flat positions the key picks."""
    if mixed(key):  # NOTE: numpy's reading, as in _index
        positions = torch.as_tensor(numpy_positions(shape, key), device=g.device)
    else:
        positions = torch.arange(math.prod(shape), device=g.device).reshape(shape)[torch_key(key, g.device)]
    flat = torch.zeros(math.prod(shape), dtype=g.dtype, device=g.device)
    return flat.index_add(0, positions.reshape(-1), g.reshape(-1)).reshape(shape)


def _tile_sum(g: torch.Tensor, shape: tuple[int, ...], reps: tuple[int, ...]) -> torch.Tensor:
    ndim = max(len(shape), len(reps))
    padded, reps = (1,) * (ndim - len(shape)) + tuple(shape), (1,) * (ndim - len(reps)) + tuple(reps)
    split = g.reshape([n for pair in zip(reps, padded) for n in pair])
    return (split.sum(dim=tuple(range(0, 2 * ndim, 2))) if ndim else split).reshape(shape)


def _repeat_sum(g: torch.Tensor, shape: tuple[int, ...], repeats: int, dim: int | None = None) -> torch.Tensor:
    if dim is None:
        return g.reshape(-1, repeats).sum(1).reshape(shape)
    axis = dim % len(shape)
    return g.reshape(shape[:axis] + (shape[axis], repeats) + shape[axis + 1 :]).sum(axis + 1)


def _prod(x: torch.Tensor, dim: int | None = None, keepdim: bool = False) -> torch.Tensor:
    if dim is None:
        out = torch.prod(x)
        return out.reshape((1,) * x.dim()) if keepdim else out
    return torch.prod(x, dim, keepdim=keepdim)


def _prod_others(x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    flat = x.reshape(-1) if dim is None else x.movedim(dim, -1)
    ones = torch.ones(flat.shape[:-1] + (1,), dtype=x.dtype, device=x.device)
    before = torch.cumprod(torch.cat([ones, flat[..., :-1]], -1), -1)
    after = torch.cumprod(torch.cat([ones, flat.flip(-1)[..., :-1]], -1), -1).flip(-1)
    out = before * after
    return out.reshape(x.shape) if dim is None else out.movedim(-1, dim)


def _pad(x: torch.Tensor, pairs: tuple[tuple[int, int], ...], whole: bool = False) -> torch.Tensor:
    return torch.nn.functional.pad(x, [width for pair in reversed(pairs) for width in pair])  # NOTE: torch lists the last dim first


def _order(n: torch.Tensor) -> int:
    """The whole-number order of polygamma and besseli: a constant argument, one number."""
    return int(n.reshape(-1)[0])


def _numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().numpy()


def _eigh(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """torch's eigh, checked and with the vectors' signs fixed as in every engine (decompose.py)."""
    values, vectors = torch.linalg.eigh(x)
    decompose.require_distinct(_numpy(values), decompose.REPEATED_EIGENVALUES)
    return values, vectors * torch.as_tensor(decompose.pivot_signs(_numpy(vectors)), device=x.device)


def _svd(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    u, s, vh = torch.linalg.svd(x, full_matrices=False)
    decompose.require_distinct(_numpy(s), decompose.REPEATED_SINGULAR_VALUES, nonzero=True)
    signs = torch.as_tensor(decompose.pivot_signs(_numpy(u)), device=x.device)
    return u * signs, s, vh * signs.mT


def _qr_q(x: torch.Tensor) -> torch.Tensor:
    decompose.qr_q(_numpy(x))  # NOTE: only its rank check: torch's Q, with LAPACK's signs, is its own
    return torch.linalg.qr(x).Q


def _pinv(x: torch.Tensor, rtol: float | None = None, atol: float = 0.0) -> torch.Tensor:
    """torch's pinv of each matrix that keeps every singular value, 0 for one that keeps none (reports/reproducer.py
    writes the same expression)."""
    decompose.pinv(_numpy(x), rtol, atol)  # NOTE: only its check that no matrix keeps some and cuts others
    s = torch.linalg.svdvals(x)
    if s.shape[-1] == 0:  # NOTE: an empty matrix: amax over nothing raises
        return x.mT * 0
    relative = torch.finfo(x.dtype).eps * max(x.shape[-2:]) if rtol is None and atol <= 0 else rtol or 0.0
    kept = (s > torch.clamp(s.amax(-1, keepdim=True) * relative, min=atol)).any(-1)
    return torch.where(kept[..., None, None], torch.linalg.pinv(x, atol=0.0, rtol=0.0), x.mT * 0)


TORCH_MORE: dict[str, Callable[..., torch.Tensor]] = {
    "amax": _extreme(torch.max), "amin": _extreme(torch.min), "maximum": torch.maximum, "minimum": torch.minimum,
    "select": lambda c, a: torch.where(c != 0, a, torch.zeros((), dtype=a.dtype, device=a.device)),
    "index": _index, "scatter": _scatter,
    "piece": lambda x, chunks, dim, part, numpy_style, equal=False: (torch.tensor_split if numpy_style else torch.chunk)(x, chunks, dim)[part],
    "unsqueeze": torch.unsqueeze, "squeeze": lambda x, dim=None: x.squeeze() if dim is None else x.squeeze(dim),
    "flatten": torch.flatten, "cat": lambda x, y, dim=0: torch.cat([x, y], dim),
    "tile": lambda x, reps: torch.tile(x, reps), "tile_sum": _tile_sum, "repeat_interleave": torch.repeat_interleave, "repeat_sum": _repeat_sum,
    "flip": lambda x, dims=None: torch.flip(x, tuple(range(x.dim())) if dims is None else dims),
    "roll": torch.roll, "pad": _pad, "tril": lambda x, k=0: torch.tril(x, k), "triu": lambda x, k=0: torch.triu(x, k), "diag": lambda x, k=0: torch.diag(x, k),
    "cumsum": torch.cumsum, "cumprod": torch.cumprod, "prod": _prod, "prod_others": _prod_others,
    # NOTE: torch's cholesky gradient is symmetric; rebuilding the matrix from its lower triangle (the part the
    # factorization reads) moves it there, as in the other engines. The value is unchanged.
    "cholesky": lambda x: torch.linalg.cholesky(x.tril() + x.tril(-1).mT),
    "inv": torch.linalg.inv, "det": torch.linalg.det, "logabsdet": lambda x: torch.linalg.slogdet(x).logabsdet,
    "solve": torch.linalg.solve,
    "eigvalsh": lambda x: _eigh(x)[0], "eigvecsh": lambda x: _eigh(x)[1], "svdvals": lambda x: _svd(x)[1], "svd_u": lambda x: _svd(x)[0],
    "svd_vh": lambda x: _svd(x)[2], "qr_q": _qr_q, "pinv": _pinv, "expm": torch.linalg.matrix_exp,
    "einsum": lambda x, y, spec: torch.einsum(spec, x, y),
    "tensordot": lambda x, y, axes: torch.tensordot(x, y, dims=axes if isinstance(axes, int) else [list(axes[0]), list(axes[1])]),
    "erf": torch.erf, "erfc": torch.erfc, "expm1": torch.expm1, "asin": torch.asin, "acos": torch.acos,
    "atan": torch.atan, "atan2": torch.atan2, "floor": torch.floor, "ceil": torch.ceil, "trunc": torch.trunc,
    "round": torch.round,
    "lgamma": torch.lgamma, "erfinv": torch.erfinv, "polygamma": lambda n, x: torch.polygamma(_order(n), x),
    "besseli": lambda n, x: (torch.special.i0, torch.special.i1)[_order(n)](x),
    "zeta": torch.special.zeta, "gammainc": torch.special.gammainc, "gammaincc": torch.special.gammaincc,
}  # fmt: skip
