"""The decompositions at 30+ digits, for the SymPy engine's traced route: mpmath's eigsy, svd_r, expm and a Householder QR.

SymPy cannot take eigenvalues of a symbolic matrix beyond a few rows, so the reference evaluates each decomposition
with mpmath at the working precision and its partial derivatives from the standard identities, one direction dA = E_pq
at a time (the same conventions as every engine: decompose.py):

- eigh:  dL_k = q_k^T dA q_k,  dQ = Q (F o Q^T dA Q),  F_ij = 1 / (L_j - L_i) off the diagonal;
- svd:   ds_k = u_k^T dA v_k,  dU = U (F o (dP S + S dP^T)) + (I - U U^T) dA V S^-1,
         dV = V (F o (S dP + dP^T S)) + (I - V V^T) dA^T U S^-1,  dP = U^T dA V,  F_ij = 1 / (s_j^2 - s_i^2);
- qr:    dQ = (I - Q Q^T) dA R^-1 + Q C, C the skew matrix with the strictly lower part of Q^T dA R^-1;
- pinv:  dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P (where the rank does not change);
- expm:  d exp(A) = the upper right block of exp([[A, dA], [0, A]]) (the Frechet derivative; mpmath's expm, by Taylor).

Each function takes one matrix (a numpy object array of mpf) and returns, per result, the result and its Jacobian (of
shape result.shape + matrix.shape) as object arrays of mpf; ``FUNCTIONS`` picks each primitive's result.  The numpy
engine's VJPs are these identities transposed; torch's own backward and finite differences check them independently.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import numpy as np

from verifygrad.errors import EngineSkipped
from verifygrad.language import decompose

MAX_ELEMENTS = 256  # of one matrix: the Jacobian costs n^5 mpmath operations (16 x 16: a few seconds)
MAX_EXPM_ELEMENTS = 64  # expm's Jacobian takes one exponential of a 2n x 2n matrix per element (8 x 8: about a second)

Jacobian = tuple[np.ndarray, np.ndarray]  # a result and its Jacobian


def _check_size(a: np.ndarray, limit: int = MAX_ELEMENTS) -> None:
    if a.size > limit:
        raise EngineSkipped(f"a {a.shape[0]}x{a.shape[1]} decomposition is over the mpmath reference's {limit} elements")


def _array(matrix: mpmath.matrix, rows: int, columns: int) -> np.ndarray:
    out = np.empty((rows, columns), dtype=object)
    for i in range(rows):
        for j in range(columns):
            out[i, j] = matrix[i, j]
    return out


def _zero(shape: tuple[int, ...]) -> np.ndarray:
    return np.full(shape, mpmath.mpf(0), dtype=object)


def _float(values: np.ndarray) -> np.ndarray:
    return np.vectorize(float, otypes=[np.float64])(values) if values.size else np.zeros(values.shape)


def _direction_pairs(m: int, n: int) -> list[tuple[int, int]]:
    return [(p, q) for p in range(m) for q in range(n)]


def _off_diagonal_inverse(values: np.ndarray) -> np.ndarray:
    k = len(values)
    f = _zero((k, k))
    for i in range(k):
        for j in range(k):
            if i != j:
                f[i, j] = 1 / (values[j] - values[i])
    return f


def _require_distinct(values: np.ndarray, repeated: str, nonzero: bool = False) -> None:
    """decompose.require_distinct at float64's gap, so that the reference refuses where the float engines do."""
    decompose.require_distinct(_float(values), repeated, nonzero)


def eigh(a: np.ndarray) -> tuple[Jacobian, Jacobian]:
    """Eigenvalues (ascending) and eigenvectors (signs fixed) of a symmetric matrix, with their Jacobians."""
    _check_size(a)
    n = a.shape[0]
    if n == 0:
        return (_zero((0,)), _zero((0, 0, 0))), (_zero((0, 0)), _zero((0, 0, 0, 0)))
    values, vectors = mpmath.eigsy(mpmath.matrix(a.tolist()))
    order = sorted(range(n), key=lambda k: values[k])
    lam = np.array([values[k] for k in order], dtype=object)
    q = _array(vectors, n, n)[:, order]
    _require_distinct(lam, decompose.REPEATED_EIGENVALUES)
    q = q * decompose.pivot_signs(_float(q)).astype(int)
    f = _off_diagonal_inverse(lam)
    d_values, d_vectors = _zero((n, n, n)), _zero((n, n, n, n))
    for p, r in _direction_pairs(n, n):
        inner = np.outer(q[p, :], q[r, :])  # Q^T E_pr Q
        d_values[:, p, r] = np.diagonal(inner)
        d_vectors[:, :, p, r] = q @ (f * inner)
    return (lam, d_values), (q, d_vectors)


def svd(a: np.ndarray) -> tuple[Jacobian, Jacobian, Jacobian]:
    """U (m x k), S (k, descending) and Vh (k x n) with signs fixed, with their Jacobians."""
    _check_size(a)
    m, n = a.shape
    k = min(m, n)
    if k == 0:
        return (_zero((m, 0)), _zero((m, 0, m, n))), (_zero((0,)), _zero((0, m, n))), (_zero((0, n)), _zero((0, n, m, n)))
    u_matrix, s_matrix, vh_matrix = mpmath.svd_r(mpmath.matrix(a.tolist()), full_matrices=False)
    order = sorted(range(k), key=lambda i: -s_matrix[i])
    s = np.array([s_matrix[i] for i in order], dtype=object)
    u, vh = _array(u_matrix, m, k)[:, order], _array(vh_matrix, k, n)[order, :]
    _require_distinct(s, decompose.REPEATED_SINGULAR_VALUES, nonzero=True)
    signs = decompose.pivot_signs(_float(u)).astype(int)
    u, vh = u * signs, vh * signs.T
    v = vh.T
    f = _off_diagonal_inverse(s * s)
    outside_u = np.eye(m, dtype=int) - u @ u.T
    outside_v = np.eye(n, dtype=int) - v @ v.T
    d_u, d_s, d_vh = _zero((m, k, m, n)), _zero((k, m, n)), _zero((k, n, m, n))
    for p, r in _direction_pairs(m, n):
        inner = np.outer(u[p, :], v[r, :])  # dP = U^T E_pr V
        d_s[:, p, r] = np.diagonal(inner)
        d_u[:, :, p, r] = u @ (f * (inner * s[None, :] + s[:, None] * inner.T)) + np.outer(outside_u[:, p], v[r, :] / s)
        d_v = v @ (f * (s[:, None] * inner + inner.T * s[None, :])) + np.outer(outside_v[:, r], u[p, :] / s)
        d_vh[:, :, p, r] = d_v.T
    return (u, d_u), (s, d_s), (vh, d_vh)


def qr_q(a: np.ndarray) -> Jacobian:
    """Q of a tall matrix's reduced QR as LAPACK signs it (Householder, R's diagonal opposite each step's pivot), and its Jacobian."""
    _check_size(a)
    m, n = a.shape
    q, r = _householder(a)
    diagonal = _float(np.abs(np.diagonal(r)))
    if diagonal.size and np.any(diagonal <= decompose.gap(np.float64) * np.max(diagonal)):
        raise EngineSkipped(decompose.RANK_DEFICIENT)
    if n == 0:
        return q, _zero((m, 0, m, 0))
    r_inverse = _array(mpmath.inverse(mpmath.matrix(r.tolist())), n, n)
    outside = np.eye(m, dtype=int) - q @ q.T
    strictly_lower = np.tril(np.ones((n, n), dtype=int), -1)
    jacobian = _zero((m, n, m, n))
    for p, c in _direction_pairs(m, n):
        lower = np.outer(q[p, :], r_inverse[c, :]) * strictly_lower  # of Q^T E_pc R^-1
        jacobian[:, :, p, c] = np.outer(outside[:, p], r_inverse[c, :]) + q @ (lower - lower.T)
    return q, jacobian


def _householder(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reduced Q (m x n) and R (n x n) of a tall matrix by Householder reflections, with LAPACK's (dlarfg's) signs: no
    reflection where the column below the pivot is 0 already, else R's diagonal element is -sign(pivot) times the norm."""
    m, n = a.shape
    work = a.copy()
    reflectors = []
    for j in range(n):
        alpha, below = work[j, j], work[j + 1 :, j]
        rest = mpmath.sqrt(mpmath.fsum(x * x for x in below))
        if rest == 0:
            reflectors.append(None)
            continue
        beta = -mpmath.sqrt(alpha * alpha + rest * rest) * (1 if alpha >= 0 else -1)
        v = np.concatenate([[mpmath.mpf(1)], below / (alpha - beta)])
        tau = (beta - alpha) / beta
        work[j:, j:] = work[j:, j:] - tau * np.outer(v, v @ work[j:, j:])
        reflectors.append((v, tau))
    q = np.eye(m, n, dtype=int).astype(object) * mpmath.mpf(1)
    for j in reversed(range(n)):
        if reflectors[j] is not None:
            v, tau = reflectors[j]
            q[j:, :] = q[j:, :] - tau * np.outer(v, v @ q[j:, :])
    return q, np.triu(work[:n, :])


def pinv(a: np.ndarray, rtol: float | None, atol: float) -> Jacobian:
    """The pseudo-inverse where the cutoff keeps every singular value or none, and its Jacobian."""
    _check_size(a)
    m, n = a.shape
    values = mpmath.svd_r(mpmath.matrix(a.tolist()), compute_uv=False) if min(m, n) else []
    s = np.array([values[i] for i in range(min(m, n))], dtype=object)
    kept = decompose.cutoff(_float(s), decompose.default_rtol(a.shape, np.dtype(np.float64), atol) if rtol is None else rtol, atol)
    if kept.any() and not kept.all():
        raise EngineSkipped(decompose.PARTLY_CUT)
    if not kept.any():
        return _zero((n, m)), _zero((n, m, m, n))
    matrix = mpmath.matrix(a.tolist())
    normal = matrix.T * matrix if m >= n else matrix * matrix.T
    p = _array(mpmath.inverse(normal) * matrix.T if m >= n else matrix.T * mpmath.inverse(normal), n, m)
    left, right = np.eye(m, dtype=int) - a @ p, np.eye(n, dtype=int) - p @ a
    jacobian = _zero((n, m, m, n))
    for i, c in _direction_pairs(m, n):
        # dA = E_ic: P dA P = outer(P[:, i], P[c, :]); dA^T = E_ci
        jacobian[:, :, i, c] = -np.outer(p[:, i], p[c, :]) + np.outer((p @ p.T)[:, c], left[i, :]) + np.outer(right[:, c], (p.T @ p)[i, :])
    return p, jacobian


def expm(a: np.ndarray) -> Jacobian:
    """The matrix exponential and its Jacobian, one Frechet derivative exp([[A, E_pq], [0, A]])[:n, n:] per element."""
    _check_size(a, MAX_EXPM_ELEMENTS)
    n = a.shape[0]
    value = _array(mpmath.expm(mpmath.matrix(a.tolist())), n, n)
    jacobian = _zero((n, n, n, n))
    for p, q in _direction_pairs(n, n):
        block = mpmath.zeros(2 * n, 2 * n)
        for i, j in _direction_pairs(n, n):
            block[i, j] = block[n + i, n + j] = a[i, j]
        block[p, n + q] = 1
        jacobian[:, :, p, q] = _array(mpmath.expm(block), 2 * n, 2 * n)[:n, n:]
    return value, jacobian


# Each primitive of the op table this module evaluates: its result and Jacobian for one matrix.
FUNCTIONS: dict[str, Callable[..., Jacobian]] = {
    "eigvalsh": lambda a: eigh(a)[0],
    "eigvecsh": lambda a: eigh(a)[1],
    "svd_u": lambda a: svd(a)[0],
    "svdvals": lambda a: svd(a)[1],
    "svd_vh": lambda a: svd(a)[2],
    "qr_q": qr_q,
    "pinv": pinv,
    "expm": expm,
}
