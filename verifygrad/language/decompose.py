"""Eigen-, singular-value and QR decompositions and the matrix exponential over numpy, and the conventions every engine shares.

An eigenvector (a singular vector) is defined only up to its sign, so each engine fixes it the same way: the
largest component of each eigenvector (each left singular vector, its right one flipped with it) is positive;
components within ``TIE`` of the largest count as tied, and the first of them is taken (so that a perturbation
as small as a finite difference's never flips a sign).  QR keeps LAPACK's own signs (numpy and torch both call
it): each diagonal element of R has the sign opposite to its Householder step's pivot.

The vectors' derivatives exist only for distinct eigenvalues (singular values, nonzero as well): where two meet,
every engine says "not verified" instead of answering.  ``GAP`` says how close is meeting, relative to the
largest: a gap below the dtype's square-root epsilon is no gap a float engine resolves.
"""

from __future__ import annotations

import math

import numpy as np

from verifygrad.errors import EngineSkipped

TIE = 1e-2
REPEATED_EIGENVALUES = "not verified: repeated eigenvalues (their eigenvectors, and each eigenvalue alone, have no derivative there)"
REPEATED_SINGULAR_VALUES = "not verified: repeated singular values (their singular vectors, and each value alone, have no derivative there)"
ZERO_SINGULAR_VALUE = "not verified: a singular value of 0 (a rank-deficient matrix: the singular values have no derivative there)"
RANK_DEFICIENT = "not verified: a rank-deficient matrix (QR's Q is not unique there)"
PARTLY_CUT = "not verified: pinv keeps some singular values and cuts off others (the rank changes nearby: no derivative)"


def gap(dtype: np.dtype) -> float:
    """The relative distance below which two eigenvalues (singular values) count as one: sqrt(eps) of the dtype."""
    return float(np.sqrt(np.finfo(dtype if np.issubdtype(dtype, np.floating) else np.float64).eps))


def require_distinct(values: np.ndarray, repeated: str, nonzero: bool = False) -> None:
    """Raise "not verified" where two of the sorted values (..., k) of one matrix meet, or (``nonzero``) one is 0."""
    if values.size == 0:
        return
    scale = np.max(np.abs(values), axis=-1, keepdims=True)
    tolerance = gap(values.dtype) * scale
    if values.shape[-1] > 1 and np.any(np.abs(np.diff(values, axis=-1)) <= tolerance):
        raise EngineSkipped(repeated)
    if nonzero and np.any(np.abs(values) <= tolerance):
        raise EngineSkipped(ZERO_SINGULAR_VALUE)


def pivot_signs(vectors: np.ndarray) -> np.ndarray:
    """±1 per column of (..., n, k), as (..., 1, k): each column times it has its largest component positive."""
    if vectors.size == 0:
        return np.ones(vectors.shape[:-2] + (1, vectors.shape[-1]), dtype=vectors.dtype)
    size = np.abs(vectors)
    tied = size >= np.max(size, axis=-2, keepdims=True) * (1 - TIE)
    pivot = np.argmax(tied, axis=-2)[..., None, :]  # NOTE: argmax of a mask is its first True
    return np.where(np.take_along_axis(vectors, pivot, axis=-2) < 0, -1, 1).astype(vectors.dtype)


def eigvalsh(x: np.ndarray) -> np.ndarray:
    """The eigenvalues of each symmetric matrix of x (..., n, n), ascending."""
    values = np.linalg.eigvalsh(x)
    require_distinct(values, REPEATED_EIGENVALUES)
    return values


def eigvecsh(x: np.ndarray) -> np.ndarray:
    """The eigenvectors of each symmetric matrix of x, as columns in the eigenvalues' order, signs fixed."""
    values, vectors = np.linalg.eigh(x)
    require_distinct(values, REPEATED_EIGENVALUES)
    return vectors * pivot_signs(vectors)


def svd(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reduced SVD of each matrix of x (..., m, n): U (..., m, k), S (..., k) descending, Vh (..., k, n), signs fixed."""
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    require_distinct(s, REPEATED_SINGULAR_VALUES, nonzero=True)
    signs = pivot_signs(u)
    return u * signs, s, vh * np.swapaxes(signs, -1, -2)


def svdvals(x: np.ndarray) -> np.ndarray:
    s = np.linalg.svd(x, compute_uv=False)
    require_distinct(s, REPEATED_SINGULAR_VALUES, nonzero=True)
    return s


def qr_q(x: np.ndarray) -> np.ndarray:
    """Q of the reduced QR of each matrix of x (..., m, n), m >= n, as LAPACK gives it; full column rank required."""
    q, r = np.linalg.qr(x)
    diagonal = np.abs(np.diagonal(r, axis1=-2, axis2=-1))
    if diagonal.size and np.any(diagonal <= gap(x.dtype) * np.max(diagonal, axis=-1, keepdims=True)):
        raise EngineSkipped(RANK_DEFICIENT)
    return q


def cutoff(s: np.ndarray, rtol: float | None, atol: float) -> np.ndarray:
    """The singular values pinv keeps, as torch decides: those above max(atol, rtol * the largest)."""
    largest = np.max(s, axis=-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), dtype=s.dtype)
    return s > np.maximum(atol, largest * rtol)


def default_rtol(shape: tuple[int, ...], dtype: np.dtype, atol: float) -> float:
    """torch's rtol where none is given: max(m, n) * eps, or 0 where atol is given."""
    return 0.0 if atol > 0 else max(shape[-2:], default=0) * float(np.finfo(dtype).eps)


def pinv(x: np.ndarray, rtol: float | None = None, atol: float = 0.0) -> np.ndarray:
    """The pseudo-inverse of each matrix of x (..., m, n), where it keeps every singular value or none (else not verified)."""
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    kept = cutoff(s, default_rtol(x.shape, x.dtype, atol) if rtol is None else rtol, atol)
    if np.any(np.any(kept, axis=-1) & ~np.all(kept, axis=-1)):
        raise EngineSkipped(PARTLY_CUT)
    inverse = np.where(kept, 1 / np.where(kept, s, 1), 0)
    return np.swapaxes(vh, -1, -2) @ (inverse[..., :, None] * np.swapaxes(u, -1, -2))


def expm(x: np.ndarray) -> np.ndarray:
    """exp of each square matrix of x (..., n, n): scaled by 2^-s to a 1-norm of at most 1/2, Taylor's polynomial of
    degree 18 there (a remainder under 1e-22 of the result), then squared s times."""
    norms = np.max(np.sum(np.abs(x), axis=-2), axis=-1) if x.size else np.zeros(1)
    if not np.all(np.isfinite(norms)):
        return np.full(x.shape, np.nan, dtype=x.dtype)
    largest = float(np.max(norms, initial=0.0))
    squarings = max(0, math.ceil(math.log2(largest / 0.5))) if largest > 0 else 0
    scaled = x / x.dtype.type(2.0**squarings)
    identity = np.eye(x.shape[-1], dtype=x.dtype)
    out = identity + scaled / x.dtype.type(18)
    for k in range(17, 0, -1):
        out = identity + (scaled @ out) / x.dtype.type(k)
    for _ in range(squarings):
        out = out @ out
    return out
