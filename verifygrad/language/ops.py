"""The one table of primitive operations.

Each primitive is declared once: its arity, shape rule, numpy forward, one
vector-Jacobian product per argument, and the names of its SymPy and torch
counterparts (names only, so importing this table imports neither library).
Every operation the expression language offers is either one of these or
composed from them in ``parse``.

A VJP takes ``(g, ans, *args, **attrs)`` and returns the gradient for its
argument; ``None`` means the argument takes no gradient (a mask, a sign).  A VJP
is written once and runs two ways, so the backward pass is itself differentiable:

- on numpy arrays it computes (the fast path: one numpy call per step, in place
  where it owns the buffer);
- on ``Traced`` values it records: each step appends a primitive of this same
  table to a program under construction, so the gradient of a program is again
  a program (``language/derivatives.py``), which can be run, and differentiated again for
  Hessian-vector products, JVPs (by transposition) and Jacobians.

So a VJP may use only: Python's operators (``+ - * / ** @``, unary ``-``,
``.T``), the primitives themselves through ``prim`` (``prim.cos(x)``, never
``np.cos(x)``: a numpy function on a ``Traced`` raises), the arguments' ``shape``,
``ndim``, ``size`` and ``dtype``, and constants made by numpy (``np.eye(n)``).
Augmented assignment (``out *= g``) on a buffer the VJP made itself is fine: on
arrays it updates in place, on ``Traced`` values it rebinds.  No JVP rules: forward
mode is the transpose of the (linear) backward program.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np

from verifygrad.language import arrays, decompose

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """An operation was applied to arguments of incompatible shapes."""


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    forward: Callable[..., np.ndarray]
    vjps: tuple[Callable[..., np.ndarray] | None, ...]
    shape: Callable[..., Shape]
    # Elementwise ops whose arguments broadcast: the engine sums each
    # argument's gradient back down to that argument's shape.
    broadcasts: bool = False
    # Name in the SymPy engine's table; None: the numpy forward itself works
    # on object arrays of SymPy expressions (structure only, no calculus).
    sympy: str | None = None
    # Name in the torch engine's table.
    torch: str = ""
    # Per VJP, what it reads of ("ans", "x", "y"); None: everything. The numpy
    # engine drops every other value after the forward pass and hands the VJP a
    # zero-memory stand-in of the right shape and dtype instead.
    # NOTE: a VJP that reads a value not listed here gets zeros: list every read.
    reads: tuple[tuple[str, ...], ...] | None = None
    # Where the op is not differentiable: a function of the argument values giving a boolean
    # mask of the output's shape; and the interval of valid local derivatives (subgradients)
    # there, or None where there is none (a singular point: sqrt and log at 0).
    kink: Callable[..., np.ndarray] | None = None
    subgradients: tuple[float, float] | None = None
    # Where a kink is not a slope but a choice between arguments (a tie in max): per argument, the
    # VJP (on arrays) with each tied element's share of g set to ``share`` in [0, 1]; and the words
    # for the report.  Every convex combination of the tied elements' gradients is valid there.
    kink_vjps: tuple[Callable[..., np.ndarray], ...] | None = None
    kink_text: str = ""
    # The arguments whose derivative the kink is about: pow at 0 has none in its base, yet its
    # derivative in the exponent exists there (0: x**y is 0 for every y > 0).
    kink_args: tuple[int, ...] = (0,)
    # Elements of the arrays an engine makes inside the op beyond its arguments and result (operands broadcast
    # over a batch), from the argument shapes (and attributes), as the shape rule takes them; and the words for them.
    # They count against --max-elements with the nodes' own, before any engine runs.
    intermediate: Callable[..., int] | None = None
    intermediate_text: str = ""
    # Arguments with a derivative that no engine computes (torch raises "not implemented" for it): a case that
    # differentiates through one is refused before any engine runs (``refuse_undifferentiable``), never given 0.
    not_differentiable: tuple[int, ...] = ()


# --- shape rules -----------------------------------------------------------


def same_shape(x: Shape) -> Shape:
    return x


def broadcast_shape(x: Shape, y: Shape) -> Shape:
    try:
        return tuple(np.broadcast_shapes(x, y))
    except ValueError:
        raise ShapeError(f"shapes {fmt(x)} and {fmt(y)} do not broadcast") from None


def reduced_shape(x: Shape, dim: int | None = None, keepdim: bool = False) -> Shape:
    if dim is None:
        return tuple(1 for _ in x) if keepdim else ()
    axis = normalize_dim(dim, len(x))
    return x[:axis] + ((1,) if keepdim else ()) + x[axis + 1 :]


def normalize_dim(dim: int, ndim: int) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1) or ndim == 0:
        raise ShapeError(f"dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return dim % ndim


def matmul_shape(x: Shape, y: Shape) -> Shape:
    """As np.matmul: 1-D and 2-D as in linear algebra; beyond 2-D, a stack of matrices with broadcast batch dims."""
    if not x or not y:
        raise ShapeError(f"matmul needs arguments of at least 1 dimension, got {fmt(x)} and {fmt(y)}")
    inner = y[0] if len(y) == 1 else y[-2]
    if x[-1] != inner:
        raise ShapeError(f"inner dimensions of {fmt(x)} and {fmt(y)} differ ({x[-1]} vs {inner})")
    if len(x) <= 2 and len(y) <= 2:
        return x[:-1] + y[1:]
    try:
        batch = broadcast_shape(x[:-2], y[:-2])
    except ShapeError:
        raise ShapeError(f"matmul: the batch dimensions of {fmt(x)} and {fmt(y)} do not broadcast") from None
    return batch + x[-2:-1] + y[-1:] if len(y) > 1 else batch + x[-2:-1]


def matmul_intermediate(x: Shape, y: Shape) -> int:
    """Beyond 2-D, each operand broadcast over the batch: torch copies it so, and its gradient has that size before
    it is summed back (100x1x1xK @ 1x100xKx1 holds 100 x 100 x K of each, where the result is 100x100x1x1)."""
    if len(x) <= 2 and len(y) <= 2:
        return 0
    batch = math.prod(broadcast_shape(x[:-2], y[:-2]))
    return max(0, batch * math.prod(x[-2:]) - math.prod(x)) + max(0, batch * math.prod(y[-2:]) - math.prod(y))


def outer_shape(x: Shape, y: Shape) -> Shape:
    if len(x) != 1 or len(y) != 1:
        raise ShapeError(f"outer needs two 1-D arguments, got {fmt(x)} and {fmt(y)}")
    return (x[0], y[0])


def transpose_shape(x: Shape, dim0: int, dim1: int) -> Shape:
    if len(x) < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x  # t() of a scalar or vector is itself, as in torch
    a, b = normalize_dim(dim0, len(x)), normalize_dim(dim1, len(x))
    out = list(x)
    out[a], out[b] = x[b], x[a]
    return tuple(out)


def trace_shape(x: Shape) -> Shape:
    if len(x) != 2:
        raise ShapeError(f"trace needs a 2-D argument, got {fmt(x)}")
    return ()


def one_hot_shape(target: Shape, x: Shape) -> Shape:
    if target == x or (len(x) >= 2 and target == x[:1] + x[2:]):
        return x
    raise ShapeError(
        f"targets of shape {fmt(target)} fit input {fmt(x)} neither as probabilities (the same shape) nor as class indices (the input's shape without dim 1)"
    )


def reshape_shape(x: Shape, shape: Shape) -> Shape:
    if list(shape).count(-1) == 1 and math.prod(shape) != 0 and math.prod(x) % -math.prod(shape) == 0:
        shape = tuple(n if n != -1 else math.prod(x) // -math.prod(shape) for n in shape)  # one -1: what is left
    if math.prod(x) != math.prod(shape) or any(n < 0 for n in shape):
        raise ShapeError(f"cannot reshape {fmt(x)} ({math.prod(x)} elements) to {fmt(shape)}")
    return tuple(shape)


def broadcast_to_shape(x: Shape, shape: Shape) -> Shape:
    if broadcast_shape(x, shape) != tuple(shape):
        raise ShapeError(f"{fmt(x)} does not broadcast to {fmt(shape)}")
    return tuple(shape)


def sum_to_shape(x: Shape, shape: Shape) -> Shape:
    if broadcast_shape(x, shape) != x:
        raise ShapeError(f"{fmt(x)} cannot be summed down to {fmt(shape)}")
    return tuple(shape)


def nonempty_reduced_shape(x: Shape, dim: int | None = None, keepdim: bool = False) -> Shape:
    if math.prod(x) == 0:
        raise ShapeError(f"max and min of an empty tensor ({fmt(x)}) are undefined")
    return reduced_shape(x, dim, keepdim)


def key_shape(x: Shape, key: arrays.Key) -> Shape:
    try:
        return np.broadcast_to(np.empty((), dtype=bool), x)[arrays.as_numpy_key(key)].shape
    except (IndexError, ValueError, TypeError) as err:
        raise ShapeError(f"index [{arrays.key_text(key)}] does not fit shape {fmt(x)}: {err}") from None


def scatter_shape(g: Shape, shape: Shape, key: arrays.Key) -> Shape:
    if key_shape(shape, key) != g:
        raise ShapeError(f"{fmt(g)} does not fill [{arrays.key_text(key)}] of {fmt(shape)}")
    return tuple(shape)


def expand_dims_shape(x: Shape, dim: int) -> Shape:
    axis = normalize_dim(dim, len(x) + 1)
    return x[:axis] + (1,) + x[axis:]


def squeeze_shape(x: Shape, dim: int | None = None) -> Shape:
    if dim is None:
        return tuple(n for n in x if n != 1)
    axis = normalize_dim(dim, len(x))
    return x[:axis] + x[axis + 1 :] if x[axis] == 1 else x


def flatten_shape(x: Shape, start_dim: int = 0, end_dim: int = -1) -> Shape:
    if not x:
        return (1,)
    start, end = normalize_dim(start_dim, len(x)), normalize_dim(end_dim, len(x))
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for {fmt(x)}")
    return x[:start] + (math.prod(x[start : end + 1]),) + x[end + 1 :]


def concat_shape(x: Shape, y: Shape, dim: int = 0) -> Shape:
    axis = normalize_dim(dim, len(x))
    if len(x) != len(y) or x[:axis] + x[axis + 1 :] != y[:axis] + y[axis + 1 :]:
        raise ShapeError(f"cannot join {fmt(x)} and {fmt(y)} along dim {dim}: the other dimensions differ")
    return x[:axis] + (x[axis] + y[axis],) + x[axis + 1 :]


def tile_shape(x: Shape, reps: tuple[int, ...]) -> Shape:
    ndim = max(len(x), len(reps))
    x, reps = (1,) * (ndim - len(x)) + x, (1,) * (ndim - len(reps)) + tuple(reps)
    return tuple(n * r for n, r in zip(x, reps))


def tile_sum_shape(g: Shape, shape: Shape, reps: tuple[int, ...]) -> Shape:
    if tile_shape(tuple(shape), reps) != g:
        raise ShapeError(f"{fmt(g)} is not {fmt(tuple(shape))} tiled {reps}")
    return tuple(shape)


def repeat_shape(x: Shape, repeats: int, dim: int | None = None) -> Shape:
    if dim is None:
        return (math.prod(x) * repeats,)
    axis = normalize_dim(dim, len(x))
    return x[:axis] + (x[axis] * repeats,) + x[axis + 1 :]


def repeat_sum_shape(g: Shape, shape: Shape, repeats: int, dim: int | None = None) -> Shape:
    if repeat_shape(tuple(shape), repeats, dim) != g:
        raise ShapeError(f"{fmt(g)} is not {fmt(tuple(shape))} repeated {repeats} times")
    return tuple(shape)


def dims_shape(x: Shape, dims: int | tuple[int, ...] | None = None) -> Shape:
    """The shape of flip and roll: unchanged, once every dim is checked."""
    for dim in (dims,) if isinstance(dims, int) else dims or ():
        normalize_dim(dim, len(x))
    return x


def pad_shape(x: Shape, pairs: tuple[tuple[int, int], ...], whole: bool = False) -> Shape:
    if whole and len(pairs) != len(x):
        raise ShapeError(f"np.pad of {fmt(x)} needs {len(x)} (before, after) pairs, one per dimension, got {len(pairs)}")
    if len(pairs) > len(x) or any(before < 0 or after < 0 for before, after in pairs):
        raise ShapeError(f"cannot pad {fmt(x)} by {pairs}: one non-negative (before, after) pair per dimension at most")
    kept = len(x) - len(pairs)
    return x[:kept] + tuple(n + before + after for n, (before, after) in zip(x[kept:], pairs))


def square_shape(x: Shape) -> Shape:
    if len(x) != 2 or x[0] != x[1]:
        raise ShapeError(f"needs a square matrix, got {fmt(x)}")
    return x


def square_batch_shape(x: Shape) -> Shape:
    """A stack of square matrices (..., n, n), as torch's linalg functions and numpy's take them."""
    if len(x) < 2 or x[-1] != x[-2]:
        raise ShapeError(f"needs a square matrix, got {fmt(x)}")
    return x


def matrices_shape(x: Shape) -> Shape:
    if len(x) < 2:
        raise ShapeError(f"needs a matrix (or a stack of them), got {fmt(x)}")
    return x


def svdvals_shape(x: Shape) -> Shape:
    return matrices_shape(x)[:-2] + (min(x[-2:]),)


def svd_u_shape(x: Shape) -> Shape:
    return matrices_shape(x)[:-1] + (min(x[-2:]),)


def svd_vh_shape(x: Shape) -> Shape:
    return matrices_shape(x)[:-2] + (min(x[-2:]), x[-1])


def tall_shape(x: Shape) -> Shape:
    if len(matrices_shape(x)) and x[-2] < x[-1]:
        raise ShapeError(f"qr's Q here needs at least as many rows as columns, got {fmt(x)}")
    return x


def pinv_shape(x: Shape, rtol: float | None = None, atol: float = 0.0) -> Shape:
    return matrices_shape(x)[:-2] + (x[-1], x[-2])


def det_shape(x: Shape) -> Shape:
    """One determinant per matrix of the stack."""
    return square_batch_shape(x)[:-2]


def per_matrix(g: Any) -> Any:
    """A value per matrix (..., ) lifted to (..., 1, 1), to scale each matrix of a stack."""
    return prim.expand_dims(prim.expand_dims(g, dim=-1), dim=-1)


def solve_shape(a: Shape, b: Shape) -> Shape:
    square_shape(a)
    if not 1 <= len(b) <= 2 or b[0] != a[0]:
        raise ShapeError(f"solve: the right-hand side {fmt(b)} does not fit the matrix {fmt(a)}")
    return b


def matrix_shape(x: Shape, k: int = 0) -> Shape:
    """A matrix, or a stack of them (..., m, n): tril and triu act on the last two dims, as numpy and torch."""
    if len(x) < 2:
        raise ShapeError(f"needs a matrix (at least 2-D), got {fmt(x)}")
    return x


def diag_shape(x: Shape, k: int = 0) -> Shape:
    if len(x) == 1:
        return (x[0] + abs(k),) * 2
    if len(x) == 2:
        return (len(arrays.diag_key(x[0], x[1], k)[0]),)
    raise ShapeError(f"diag needs a 1-D or 2-D argument, got {fmt(x)}")


def einsum_shape(x: Shape, y: Shape, spec: str) -> Shape:
    """The output shape of a two-operand einsum in explicit form ("ij,jk->ik"), each index's sizes checked."""
    inputs, output = spec.split("->")
    sizes: dict[str, int] = {}
    for letters, shape in zip(inputs.split(","), (x, y)):
        if len(letters) != len(shape):
            raise ShapeError(f"einsum '{spec}': '{letters}' names {len(letters)} dimensions, the operand is {fmt(shape)}")
        for letter, size in zip(letters, shape):
            if sizes.setdefault(letter, size) != size:
                raise ShapeError(f"einsum '{spec}': index {letter} is {sizes[letter]} in one place and {size} in another ({fmt(x)} and {fmt(y)})")
    return tuple(sizes[letter] for letter in output)


def tensordot_dims(x: Shape, y: Shape, axes: int | tuple[tuple[int, ...], tuple[int, ...]]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The contracted dims of each operand, counted from 0: the last ``axes`` of x with the first of y, or the two lists."""
    if isinstance(axes, int):
        if not 0 <= axes <= min(len(x), len(y)):
            raise ShapeError(f"tensordot: cannot contract {axes} dims of {fmt(x)} and {fmt(y)}")
        return tuple(range(len(x) - axes, len(x))), tuple(range(axes))
    first, second = axes
    if len(first) != len(second):
        raise ShapeError(f"tensordot: {len(first)} dims of the first operand paired with {len(second)} of the second")
    ours, theirs = tuple(normalize_dim(d, len(x)) for d in first), tuple(normalize_dim(d, len(y)) for d in second)
    if len(set(ours)) != len(ours) or len(set(theirs)) != len(theirs):
        raise ShapeError("tensordot: a dim is contracted twice")
    return ours, theirs


def tensordot_spec(x: Shape, y: Shape, axes: int | tuple[tuple[int, ...], tuple[int, ...]]) -> str:
    """The same contraction as an explicit einsum ("ijk,jkl->il"): free dims of x, then free dims of y."""
    ours, theirs = tensordot_dims(x, y, axes)
    x_letters = string.ascii_letters[: len(x)]
    fresh = iter(string.ascii_letters[len(x) :])
    paired = dict(zip(theirs, (x_letters[d] for d in ours)))
    y_letters = "".join(paired[d] if d in paired else next(fresh) for d in range(len(y)))
    free = "".join(x_letters[d] for d in range(len(x)) if d not in ours) + "".join(y_letters[d] for d in range(len(y)) if d not in theirs)
    return f"{x_letters},{y_letters}->{free}"


def tensordot_shape(x: Shape, y: Shape, axes: int | tuple[tuple[int, ...], tuple[int, ...]] = 2) -> Shape:
    ours, theirs = tensordot_dims(x, y, axes)
    for a, b in zip(ours, theirs):
        if x[a] != y[b]:
            raise ShapeError(f"tensordot: dim {a} of {fmt(x)} ({x[a]}) and dim {b} of {fmt(y)} ({y[b]}) differ")
    return tuple(n for d, n in enumerate(x) if d not in ours) + tuple(n for d, n in enumerate(y) if d not in theirs)


def piece_key(x: Shape, chunks: int, dim: int, part: int, numpy_style: bool, equal: bool = False) -> tuple[Any, ...]:
    """The slice of piece ``part`` when x is cut into ``chunks`` along dim: torch.chunk's pieces of
    ceil(n/chunks) (maybe fewer pieces), or np.array_split's (the first n % chunks one longer);
    ``equal``: np.split's, which must all be the same length."""
    d = normalize_dim(dim, len(x))
    size = x[d]
    if chunks < 1:
        raise ShapeError(f"cannot cut into {chunks} pieces")
    if equal and size % chunks:
        raise ShapeError(f"{fmt(x)} does not split into {chunks} equal sections along dim {dim}: {size} is not a multiple of {chunks}")
    if numpy_style:
        quotient, remainder = divmod(size, chunks)
        start, pieces = part * quotient + min(part, remainder), chunks
        stop = start + quotient + (part < remainder)
    else:
        step = max(-(-size // chunks), 1)
        start, stop, pieces = part * step, min(size, (part + 1) * step), max(-(-size // step), 1)
    if not 0 <= part < pieces:
        raise ShapeError(f"{fmt(x)} cut into {chunks} along dim {dim} makes {pieces} pieces, so no piece {part}")
    return (slice(None),) * d + (slice(start, stop),)


def fmt(shape: Shape) -> str:
    return "scalar" if shape == () else "x".join(map(str, shape))


# --- values that record instead of computing --------------------------------


class Tape(Protocol):
    """A program under construction: ``apply`` appends one primitive and returns its value."""

    def apply(self, name: str, args: tuple[Any, ...], attrs: dict[str, Any]) -> Traced: ...


class Traced:
    """A value of a program under construction: primitives and operators on it append nodes to its tape."""

    # NOTE: makes `array * traced` return NotImplemented, so Python calls Traced.__rmul__
    # instead of numpy building an object array; a numpy function on a Traced raises.
    __array_ufunc__ = None
    __slots__ = ("tape", "index", "shape", "dtype")

    def __init__(self, tape: Tape, index: int, shape: Shape, dtype: np.dtype):
        self.tape, self.index, self.shape, self.dtype = tape, index, shape, dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def T(self) -> Traced:  # noqa: N802 (numpy's name)
        return prim.transpose(self, dim0=0, dim1=-1) if self.ndim == 2 else self

    def __neg__(self) -> Traced:
        return prim.neg(self)

    def __add__(self, other: Any) -> Traced:
        return prim.add(self, other)

    def __radd__(self, other: Any) -> Traced:
        return prim.add(other, self)

    def __sub__(self, other: Any) -> Traced:
        return prim.sub(self, other)

    def __rsub__(self, other: Any) -> Traced:
        return prim.sub(other, self)

    def __mul__(self, other: Any) -> Traced:
        return prim.mul(self, other)

    def __rmul__(self, other: Any) -> Traced:
        return prim.mul(other, self)

    def __truediv__(self, other: Any) -> Traced:
        return prim.div(self, other)

    def __rtruediv__(self, other: Any) -> Traced:
        return prim.div(other, self)

    def __pow__(self, other: Any) -> Traced:
        return prim.pow(self, other)

    def __rpow__(self, other: Any) -> Traced:
        return prim.pow(other, self)

    def __matmul__(self, other: Any) -> Traced:
        return prim.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Traced:
        return prim.matmul(other, self)


def primitive(name: str, arity: int, forward: Callable[..., np.ndarray]) -> Callable[..., Any]:
    """The primitive as a function of its array arguments (attributes by keyword): computes on arrays, records on Traced ones."""

    # NOTE: one function per arity, without *args: this call sits on the fast path of every VJP that uses it.
    # A ufunc takes no attributes, and a function with ``**attrs`` costs several times a 10-element ufunc's
    # own call overhead (its keyword dict built, then unpacked into the ufunc's slow keyword path): so a ufunc's
    # wrapper takes its arguments alone.
    def ufunc_unary(x: Any) -> Any:
        if isinstance(x, Traced):
            return x.tape.apply(name, (x,), {})
        return forward(x)

    def ufunc_binary(x: Any, y: Any) -> Any:
        if isinstance(x, Traced):
            return x.tape.apply(name, (x, y), {})
        if isinstance(y, Traced):
            return y.tape.apply(name, (x, y), {})
        return forward(x, y)

    def unary(x: Any, **attrs: Any) -> Any:
        if isinstance(x, Traced):
            return x.tape.apply(name, (x,), attrs)
        return forward(x, **attrs)

    def binary(x: Any, y: Any, **attrs: Any) -> Any:
        if isinstance(x, Traced):
            return x.tape.apply(name, (x, y), attrs)
        if isinstance(y, Traced):
            return y.tape.apply(name, (x, y), attrs)
        return forward(x, y, **attrs)

    call = {1: ufunc_unary, 2: ufunc_binary}[arity] if isinstance(forward, np.ufunc) else {1: unary, 2: binary}[arity]
    call.__name__ = call.__qualname__ = name
    return call


# --- numpy helpers used by forwards and VJPs -------------------------------


def sigmoid(x: np.ndarray) -> np.ndarray:
    # NOTE: 1/(1+exp(-x)) overflows for large negative x, and 0.5*(1 + tanh(x/2)) loses
    # digits there (1 + tanh cancels: 350 ULP at x = -8); exp(-|x|) does neither.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def logsumexp(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    peak = np.max(x, axis=dim, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    out = np.log(np.sum(np.exp(x - peak), axis=dim, keepdims=True)) + peak
    return out if keepdim else np.squeeze(out, axis=dim)


def greater(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.greater(x, y).astype(np.result_type(x, y), copy=False)


def unbroadcast(g: np.ndarray, shape: Shape) -> np.ndarray:
    """Sum a broadcast gradient back down to ``shape``: the transpose of broadcast_to."""
    if g.shape == shape:
        return g
    g = np.sum(g, axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    kept = tuple(axis for axis, size in enumerate(shape) if size == 1 and g.shape[axis] != 1)
    return np.sum(g, axis=kept, keepdims=True) if kept else g


def reduce_sum(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    return np.sum(x, axis=dim, keepdims=keepdim)


def reduce_mean(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    return np.mean(x, axis=dim, keepdims=keepdim)


def swap_axes(x: np.ndarray, dim0: int, dim1: int) -> np.ndarray:
    return np.swapaxes(x, dim0, dim1) if np.ndim(x) > 1 else x


# --- VJPs too long for one line of the table ---------------------------------
# NOTE: the VJPs below update their own fresh buffer with augmented assignment
# (never g or an argument, which may be views); on 0-d arrays numpy returns
# scalars, and on Traced values there is no in-place: `*=` simply rebinds.


def expand_reduced(g: Any, x: Any, dim: int | None, keepdim: bool) -> Any:
    """Give a reduction's output gradient back the reduced axes, ready to broadcast against x."""
    if keepdim or x.ndim == 0:
        return g
    return prim.reshape(g, shape=reduced_shape(x.shape, dim, keepdim=True))


def sum_vjp(g: Any, ans: Any, x: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    return prim.broadcast_to(expand_reduced(g, x, dim, keepdim), shape=x.shape)


def mean_vjp(g: Any, ans: Any, x: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    return prim.broadcast_to(expand_reduced(g, x, dim, keepdim) * (ans.size / x.size), shape=x.shape)


def logsumexp_vjp(g: Any, ans: Any, x: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    return expand_reduced(g, x, dim, keepdim) * prim.exp(x - expand_reduced(ans, x, dim, keepdim))


def matrix_transpose(m: Any) -> Any:
    """Each matrix of a stack transposed (the last two dims swapped)."""
    return prim.transpose(m, dim0=-2, dim1=-1)


def matmul_vjp_left(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if x.ndim <= 2 and y.ndim <= 2:
        if y.ndim == 1:
            return prim.outer(g, y) if x.ndim == 2 else g * y
        return g @ y.T if x.ndim == 2 else y @ g
    if x.ndim == 1:  # x[k] y[..., k, n] -> g[..., n]
        return prim.sum_to(prim.sum(prim.reshape(g, shape=g.shape[:-1] + (1, g.shape[-1])) * y, dim=-1, keepdim=False), shape=x.shape)
    if y.ndim == 1:  # x[..., m, k] y[k] -> g[..., m]
        return prim.reshape(g, shape=g.shape + (1,)) * y
    return prim.sum_to(g @ matrix_transpose(y), shape=x.shape)


def matmul_vjp_right(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if x.ndim <= 2 and y.ndim <= 2:
        if x.ndim == 1:
            return prim.outer(x, g) if y.ndim == 2 else g * x
        return x.T @ g
    if x.ndim == 1:
        return prim.reshape(x, shape=(x.shape[0], 1)) * prim.reshape(g, shape=g.shape[:-1] + (1, g.shape[-1]))
    if y.ndim == 1:
        return prim.sum_to(prim.reshape(g, shape=g.shape + (1,)) * x, shape=y.shape)
    return prim.sum_to(matrix_transpose(x) @ g, shape=y.shape)


def pow_vjp_base(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # NOTE: written as y*ans/x, the gradient at x = 0 would be nan.
    # NOTE: x**0 is 1 everywhere, so its derivative is 0 even at x = 0, where 0 * 0**-1 would be nan:
    # the exponent is y - sign|y|, which is y - 1 except where y is 0, and there x**0 = 1 times y = 0.
    out = x ** (y - prim.sign(prim.abs(y)))  # already of the output's broadcast shape
    out *= y
    out *= g
    return out


def pow_vjp_exponent(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # NOTE: where x**y is 0 (x = 0 < y) it is 0 for every nearby y: the derivative is 0, not 0*log(0) = nan;
    # there log's argument is x + 1 (1 - sign|ans| is 1 exactly where ans is 0), and ans = 0 times it.
    out = prim.log(x + (1 - prim.sign(prim.abs(ans))))
    out *= ans
    out *= g
    return out


def sin_vjp(g: Any, ans: Any, x: Any) -> Any:
    out = prim.cos(x)
    out *= g
    return out


def cos_vjp(g: Any, ans: Any, x: Any) -> Any:
    out = prim.sin(x)
    out *= g
    out *= -1
    return out


def tanh_vjp(g: Any, ans: Any, x: Any) -> Any:
    # NOTE: 1.0, not 1: numpy converts a Python int for a float array's ufunc at a third of a small ufunc's cost
    out = 1.0 - ans * ans
    out *= g
    return out


def sigmoid_vjp(g: Any, ans: Any, x: Any) -> Any:
    out = 1 - ans
    out *= ans
    out *= g
    return out


def one_hot(target: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Class probabilities as they are; class indices (the input's shape without dim 1) as one-hot rows along dim 1."""
    if target.shape == x.shape:
        return target
    classes = x.shape[1]
    index = np.rint(target)  # NOTE: fd nudges the indices by 1e-4: they still name the same class
    if not np.all((index >= 0) & (index < classes) & (np.abs(target - index) < 0.01)):
        raise ValueError(f"class indices must be integers from 0 to {classes - 1}")
    return (np.expand_dims(index, 1) == np.arange(classes).reshape((classes,) + (1,) * (target.ndim - 1))).astype(x.dtype)


def one_hot_vjp(g: np.ndarray, ans: np.ndarray, target: np.ndarray, x: np.ndarray) -> np.ndarray:
    return g if target.shape == x.shape else np.zeros(target.shape, dtype=target.dtype)


# --- VJPs of the structural and special primitives --------------------------------


def amax_vjp(g: Any, ans: Any, x: Any, dim: int | None = None, keepdim: bool = False, lowest: bool = False) -> Any:
    """g shared evenly among the elements equal to the maximum (minimum), as torch's amax does."""
    peak = expand_reduced(ans, x, dim, keepdim)
    hit = 1 - (prim.gt(x, peak) if lowest else prim.gt(peak, x))
    return expand_reduced(g, x, dim, keepdim) * (hit / prim.sum(hit, dim=dim, keepdim=True))


def amin_vjp(g: Any, ans: Any, x: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    return amax_vjp(g, ans, x, dim, keepdim, lowest=True)


def amax_tie(x: np.ndarray, dim: int | None = None, keepdim: bool = False, lowest: bool = False) -> np.ndarray:
    """Where more than one element reaches the maximum (minimum): the ties."""
    peak = (np.min if lowest else np.max)(x, axis=dim, keepdims=True)
    return np.sum(x == peak, axis=dim, keepdims=keepdim) > 1


def amax_tie_vjp(g: np.ndarray, ans: np.ndarray, x: np.ndarray, share: float, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    """The gradient with every tied element's share of g set to ``share`` (an untied maximum takes all of g)."""
    hit = x == expand_reduced(ans, x, dim, keepdim)
    tied = np.sum(hit, axis=dim, keepdims=True) > 1
    return expand_reduced(g, x, dim, keepdim) * np.where(tied, hit * share, hit)


def maximum_tie_vjps(lowest: bool) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """Per argument, maximum's VJP (minimum's) with the first argument's share at a tie set to ``share``."""

    def first(g: np.ndarray, ans: np.ndarray, x: np.ndarray, y: np.ndarray, share: float) -> np.ndarray:
        return g * np.where(x == y, share, (x < y) if lowest else (x > y))

    def second(g: np.ndarray, ans: np.ndarray, x: np.ndarray, y: np.ndarray, share: float) -> np.ndarray:
        return g * np.where(x == y, 1 - share, (y < x) if lowest else (y > x))

    return first, second


def select(c: np.ndarray, a: np.ndarray) -> np.ndarray:
    """a where c is non-zero, else 0 (never nan from an a that is not taken)."""
    return np.where(c != 0, a, np.zeros((), dtype=np.result_type(a)))


def concat_vjps() -> tuple[Callable[..., Any], Callable[..., Any]]:
    def first(g: Any, ans: Any, x: Any, y: Any, dim: int = 0) -> Any:
        return prim.index(g, key=arrays.split_key(dim % x.ndim, 0, x.shape[dim]))

    def second(g: Any, ans: Any, x: Any, y: Any, dim: int = 0) -> Any:
        return prim.index(g, key=arrays.split_key(dim % x.ndim, x.shape[dim], x.shape[dim] + y.shape[dim]))

    return first, second


def cumsum_vjp(g: Any, ans: Any, x: Any, dim: int) -> Any:
    """The sum of g over every later position: cumsum of g reversed, reversed back."""
    return prim.flip(prim.cumsum(prim.flip(g, dims=(dim,)), dim=dim), dims=(dim,))


def cumprod_vjp(g: Any, ans: Any, x: Any, dim: int) -> Any:
    """d/dx[j] of <g, cumprod(x)> = before[j] * after[j]: before[j] the product of x[k] for k < j, after[j] the sum over
    i >= j of g[i] times the product of x[k] for j < k <= i. Neither divides by x, so both are exact where x has zeros.

    after solves after[j] = g[j] + x[j+1] * after[j+1], a linear recurrence, by doubling (Hillis-Steele): after step s,
    after[j] covers i < j + 2**s and span[j] is the product of x over (j, j + 2**s]; log2(n) steps of a few n-sized
    arrays each, so O(n) memory, where an n x n matrix of products would be 80 GB at 100,000 elements.
    """
    d = dim % x.ndim
    n = x.shape[d]
    if n == 0:
        return g
    first = np.zeros((n,) + (1,) * (x.ndim - d - 1), dtype=x.dtype)
    first[0] = 1
    before = prim.cumprod(_shifted(x, d, -1) + first, dim=d)  # 1, x[0], x[0] x[1], ...
    after = g
    span = _shifted(x, d, 1)
    step = 1
    while step < n:
        after = after + span * _shifted(after, d, step)
        if 2 * step < n:
            span = span * _shifted(span, d, step)
        step *= 2
    return before * after


def _shifted(x: Any, d: int, by: int) -> Any:
    """x moved by ``by`` places towards index 0 along dim d (away from it if negative), zeros filling in."""
    n = x.shape[d]
    kept = prim.index(x, key=arrays.split_key(d, by, n) if by > 0 else arrays.split_key(d, 0, n + by))
    pairs = ((0, by) if by > 0 else (-by, 0),) + ((0, 0),) * (x.ndim - d - 1)
    return prim.pad(kept, pairs=pairs)


def cholesky_vjp(g: Any, ans: Any, x: Any) -> Any:
    """L^-T Phi(L^T g) L^-1 symmetrized (Phi: the lower triangle, diagonal halved), then moved onto the lower
    triangle, the only part of x that the factorization reads: off the diagonal both halves of the pair add up. Each
    matrix of a stack (..., n, n) on its own."""
    n = x.shape[-1]
    phi = np.tril(np.ones((n, n), dtype=x.dtype), -1) + 0.5 * np.eye(n, dtype=x.dtype)
    inverse = prim.inv(ans)
    middle = matrix_transpose(inverse) @ ((matrix_transpose(ans) @ g) * phi) @ inverse
    return (middle + matrix_transpose(middle)) * phi


def prod_vjp(g: Any, ans: Any, x: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    return expand_reduced(g, x, dim, keepdim) * prim.prod_others(x, dim=dim)


def prod_others_vjp(g: Any, ans: Any, x: Any, dim: int | None = None) -> Any:
    # NOTE: second order only (prod's VJP is zero-safe); this form divides by x, so it is nan where x holds a zero.
    return (prim.sum(g * ans, dim=dim, keepdim=True) - g * ans) / x


def diag_vjp(g: Any, ans: Any, x: Any, k: int = 0) -> Any:
    if x.ndim == 1:  # the diagonal was placed in a matrix: take it back out
        return prim.index(g, key=arrays.diag_key(ans.shape[0], ans.shape[1], k))
    return prim.scatter(g, shape=x.shape, key=arrays.diag_key(x.shape[0], x.shape[1], k))


def solve_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    return prim.solve(a.T, g)


def solve_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    gb = prim.solve(a.T, g)
    return -(prim.outer(gb, ans) if b.ndim == 1 else gb @ ans.T)


# --- decompositions: the vectors' rules need distinct eigenvalues (singular values), which the forwards require -----


def eigvalsh_vjp(g: Any, ans: Any, x: Any) -> Any:
    """Q diag(g) Q^T: dL_k = q_k^T dS q_k (the signs of Q cancel)."""
    q = prim.eigvecsh(x)
    return (q * prim.expand_dims(g, dim=-2)) @ matrix_transpose(q)


def _off_diagonal_inverse(difference: Any, n: int) -> Any:
    """1 / difference off the diagonal, 0 on it (where difference is 0): never a division by 0."""
    eye = np.eye(n, dtype=difference.dtype)
    return (1 - eye) / (difference + eye)


def eigvecsh_vjp(g: Any, ans: Any, x: Any) -> Any:
    """Q (F o Q^T g) Q^T with F_ij = 1 / (L_j - L_i) off the diagonal: dQ = Q (F o Q^T dS Q) for a symmetric dS."""
    values = prim.eigvalsh(x)
    f = _off_diagonal_inverse(prim.expand_dims(values, dim=-2) - prim.expand_dims(values, dim=-1), x.shape[-1])
    return ans @ ((matrix_transpose(ans) @ g) * f) @ matrix_transpose(ans)


def svdvals_vjp(g: Any, ans: Any, x: Any) -> Any:
    """U diag(g) Vh: ds_k = u_k^T dA v_k (the signs of U and Vh cancel)."""
    return (prim.svd_u(x) * prim.expand_dims(g, dim=-2)) @ prim.svd_vh(x)


def _svd_parts(x: Any) -> tuple[Any, Any, Any, Any]:
    """U, S, Vh of x, and F with F_ij = 1 / (s_j^2 - s_i^2) off the diagonal."""
    u, s, vh = prim.svd_u(x), prim.svdvals(x), prim.svd_vh(x)
    squares = s * s
    return u, s, vh, _off_diagonal_inverse(prim.expand_dims(squares, dim=-2) - prim.expand_dims(squares, dim=-1), s.shape[-1])


def svd_u_vjp(g: Any, ans: Any, x: Any) -> Any:
    """U (F o (U^T g - g^T U)) S Vh + (I - U U^T) g S^-1 Vh: from dU = U (F o (dP S + S dP^T)) + (I - U U^T) dA V S^-1,
    dP = U^T dA V."""
    u, s, vh, f = _svd_parts(x)
    inner = matrix_transpose(u) @ g
    core = ((inner - matrix_transpose(inner)) * f) * prim.expand_dims(s, dim=-2)
    outside = g - u @ inner
    return u @ core @ vh + (outside / prim.expand_dims(s, dim=-2)) @ vh


def svd_vh_vjp(g: Any, ans: Any, x: Any) -> Any:
    """U S (F o (Vh g^T - g Vh^T)) Vh + U S^-1 g (I - Vh^T Vh): the same rule for V = Vh^T."""
    u, s, vh, f = _svd_parts(x)
    inner = vh @ matrix_transpose(g)
    core = prim.expand_dims(s, dim=-1) * ((inner - matrix_transpose(inner)) * f)
    outside = g - matrix_transpose(inner) @ vh
    return u @ core @ vh + u @ (outside / prim.expand_dims(s, dim=-1))


def qr_q_vjp(g: Any, ans: Any, x: Any) -> Any:
    """(g - Q B + Q tril(B - B^T, -1)) R^-T with B = Q^T g, R = Q^T A: from dQ = (I - Q Q^T) dA R^-1 + Q C, C the skew
    matrix whose strictly lower part is that of Q^T dA R^-1 (dR R^-1 is upper triangular)."""
    n = x.shape[-1]
    inner = matrix_transpose(ans) @ g
    lower = np.tril(np.ones((n, n), dtype=x.dtype), -1)
    middle = g - ans @ inner + ans @ ((inner - matrix_transpose(inner)) * lower)
    return middle @ matrix_transpose(prim.inv(matrix_transpose(ans) @ x))


def pinv_vjp(g: Any, ans: Any, x: Any, rtol: float | None = None, atol: float = 0.0) -> Any:
    """-P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A): Golub and Pereyra's derivative, where the rank is constant."""
    p, a = ans, x
    pt, gt = matrix_transpose(p), matrix_transpose(g)
    left = np.eye(a.shape[-2], dtype=a.dtype) - a @ p
    right = np.eye(a.shape[-1], dtype=a.dtype) - p @ a
    return -(pt @ g @ pt) + left @ gt @ (p @ pt) + (pt @ p) @ gt @ right


def expm_vjp(g: Any, ans: Any, x: Any) -> Any:
    """The Frechet derivative of exp at A^T in the direction g: the upper right block of exp([[A^T, g], [0, A^T]])."""
    n, batch = x.shape[-1], (slice(None),) * (len(x.shape) - 2)
    xt = matrix_transpose(x)
    block = prim.concat(prim.concat(xt, g, dim=-1), prim.concat(np.zeros(x.shape, dtype=x.dtype), xt, dim=-1), dim=-2)
    return prim.index(prim.expm(block), key=(*batch, slice(0, n), slice(n, 2 * n)))


def einsum_vjps() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Each operand's gradient is itself an einsum: g with the other operand, back to this operand's indices."""

    def first(g: Any, ans: Any, x: Any, y: Any, spec: str) -> Any:
        (a, b), out = spec.split("->")[0].split(","), spec.split("->")[1]
        return prim.einsum(g, y, spec=f"{out},{b}->{a}")

    def second(g: Any, ans: Any, x: Any, y: Any, spec: str) -> Any:
        (a, b), out = spec.split("->")[0].split(","), spec.split("->")[1]
        return prim.einsum(g, x, spec=f"{out},{a}->{b}")

    return first, second


def tensordot_vjps() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The contraction written as an einsum; each operand's gradient is that einsum's (an einsum again)."""
    first, second = einsum_vjps()
    return (
        lambda g, ans, x, y, axes: first(g, ans, x, y, spec=tensordot_spec(x.shape, y.shape, axes)),
        lambda g, ans, x, y, axes: second(g, ans, x, y, spec=tensordot_spec(x.shape, y.shape, axes)),
    )


def erf_vjp(g: Any, ans: Any, x: Any) -> Any:
    return g * (2 / math.sqrt(math.pi)) * prim.exp(-(x * x))


def erf(x: np.ndarray) -> np.ndarray:
    # NOTE: numpy has no erf; math.erf per element is correctly rounded to a few ULP and costs 0.1 us each.
    return np.asarray(_erf(x), dtype=np.result_type(x, np.float32))


def erfc(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erfc(x), dtype=np.result_type(x, np.float32))


_erf, _erfc = np.frompyfunc(math.erf, 1, 1), np.frompyfunc(math.erfc, 1, 1)


# NOTE: numpy has none of these; math and mpmath (a SymPy dependency) evaluate them element by element, to float64.
def lgamma(x: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: math.lgamma(v) if not (v <= 0 and v == math.floor(v)) else math.inf, otypes=[x.dtype])(x)


def _mpmath_elementwise(function: Callable[..., Any], *args: np.ndarray) -> np.ndarray:
    import mpmath

    dtype = np.result_type(*args)

    def one(*values: float) -> float:
        try:
            out = function(*values)
        except (ValueError, ZeroDivisionError):
            return math.nan
        return float(out.real) if isinstance(out, mpmath.mpc) and out.imag == 0 else float(out) if not isinstance(out, mpmath.mpc) else math.nan

    return np.vectorize(one, otypes=[dtype])(*args)


def erfinv(x: np.ndarray) -> np.ndarray:
    import mpmath

    return _mpmath_elementwise(lambda v: mpmath.inf if v == 1 else -mpmath.inf if v == -1 else mpmath.erfinv(v), x)


def polygamma(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """psi^(n)(x); at a pole (x a whole number <= 0) inf or nan, as torch."""
    import mpmath

    return _mpmath_elementwise(lambda k, v: mpmath.polygamma(int(k), v), n, x)


def besseli(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The modified Bessel function of the first kind, I_n(x), of whole order n."""
    import mpmath

    if np.all(n == 0):
        return np.broadcast_to(np.i0(x), np.broadcast_shapes(np.shape(n), np.shape(x))).astype(np.result_type(n, x))
    return _mpmath_elementwise(lambda k, v: mpmath.besseli(int(k), v), n, x)


def zeta(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The Hurwitz zeta function sum over k >= 0 of (k + q)^-x, where torch and SciPy define it: x > 1 (inf at x = 1),
    and q <= 0 only for a whole x; nan elsewhere (mpmath's analytic continuation is not what they compute)."""
    import mpmath

    def one(v: float, w: float) -> Any:
        if v == 1 or (w <= 0 and w == math.floor(w)):
            return mpmath.inf
        if v < 1 or (w <= 0 and v != math.floor(v)):
            return mpmath.nan
        return mpmath.zeta(v, w)

    return _mpmath_elementwise(one, x, q)


def gammainc(a: np.ndarray, x: np.ndarray, upper: bool = False) -> np.ndarray:
    """The regularized incomplete gamma function P(a, x) (Q(a, x) = 1 - P where ``upper``), for a >= 0 and x >= 0
    (P(0, x) = 1 for x > 0, as torch and SciPy); nan elsewhere."""
    import mpmath

    def one(b: float, v: float) -> Any:
        if b < 0 or v < 0 or (b == 0 and v == 0):
            return mpmath.nan
        if b == 0:
            return mpmath.mpf(0 if upper else 1)
        return mpmath.gammainc(b, v, mpmath.inf, regularized=True) if upper else mpmath.gammainc(b, 0, v, regularized=True)

    return _mpmath_elementwise(one, a, x)


def gammainc_vjp(g: Any, ans: Any, a: Any, x: Any) -> Any:
    """dP(a, x)/dx = x^(a-1) e^-x / Gamma(a), as torch writes it (so nan at x = 0 for a = 1 in every engine)."""
    return g * prim.exp((a - 1) * prim.log(x) - x - prim.lgamma(a))


def refuse_undifferentiable(nodes: tuple[Any, ...], differentiated: set[int]) -> tuple[int, str] | None:
    """The first node (and its op) that a differentiated node reaches through an argument without a derivative
    (``Op.not_differentiable``), or None.  ``differentiated``: the input nodes of wrt."""
    depends = set(differentiated)
    for index, node in enumerate(nodes):
        op = OPS.get(node.op)
        if op is None or not any(arg in depends for arg in node.args):
            continue
        if any(node.args[position] in depends for position in op.not_differentiable if position < len(node.args)):
            return index, node.op
        if any(vjp is not None and arg in depends for vjp, arg in zip(op.vjps, node.args)):  # NOTE: floor(k) passes no gradient on
            depends.add(index)
    return None


def at_pole(x: np.ndarray) -> np.ndarray:
    """Where lgamma and polygamma have a pole: the whole numbers <= 0."""
    return (x <= 0) & (x == np.floor(x))


def at_unit(x: np.ndarray) -> np.ndarray:
    return np.abs(x) == 1


def at_origin(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return (x == 0) & (y == 0)


def at_tie(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return x == y


def at_integer(x: np.ndarray) -> np.ndarray:
    return x == np.round(x)


def at_half(x: np.ndarray) -> np.ndarray:
    return np.abs(x - np.trunc(x)) == 0.5


def at_zero(x: np.ndarray) -> np.ndarray:
    return x == 0


def pow_kink(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # x**y at x = 0 for a non-integer y: singular (y < 1) or defined from one side only.
    return (x == 0) & (y != np.round(y))


# --- the table -------------------------------------------------------------

# One line per primitive, so that the table reads across: name, arity, forward, VJP per argument, shape rule, ...
# fmt: off
OPS: dict[str, Op] = {
    op.name: op
    for op in [
        Op("neg", 1, np.negative, (lambda g, ans, x: -g,), same_shape, torch="neg", reads=((),)),
        Op("exp", 1, np.exp, (lambda g, ans, x: g * ans,), same_shape, sympy="exp", torch="exp", reads=(("ans",),)),
        Op("log", 1, np.log, (lambda g, ans, x: g / x,), same_shape, sympy="log", torch="log", reads=(("x",),), kink=at_zero),
        Op("log1p", 1, np.log1p, (lambda g, ans, x: g / (1 + x),), same_shape, sympy="log1p", torch="log1p", reads=(("x",),)),
        Op("sqrt", 1, np.sqrt, (lambda g, ans, x: g / (2 * ans),), same_shape, sympy="sqrt", torch="sqrt", reads=(("ans",),), kink=at_zero),
        Op("sin", 1, np.sin, (sin_vjp,), same_shape, sympy="sin", torch="sin", reads=(("x",),)),
        Op("cos", 1, np.cos, (cos_vjp,), same_shape, sympy="cos", torch="cos", reads=(("x",),)),
        Op("tan", 1, np.tan, (lambda g, ans, x: g * (1 + ans * ans),), same_shape, sympy="tan", torch="tan", reads=(("ans",),)),
        Op("tanh", 1, np.tanh, (tanh_vjp,), same_shape, sympy="tanh", torch="tanh", reads=(("ans",),)),
        Op("sigmoid", 1, sigmoid, (sigmoid_vjp,), same_shape, sympy="sigmoid", torch="sigmoid", reads=(("ans",),)),
        # NOTE: relu'(0) is taken as 0, as torch does; any value in [0, 1] is a valid subgradient.
        Op("relu", 1, lambda x: np.maximum(x, 0), (lambda g, ans, x: g * prim.gt(x, 0),), same_shape, sympy="relu", torch="relu", reads=(("x",),), kink=at_zero, subgradients=(0.0, 1.0)),
        # NOTE: abs'(0) is taken as sign(0) = 0, as torch and SymPy do; any value in [-1, 1] is a valid subgradient.
        Op("abs", 1, np.abs, (lambda g, ans, x: g * prim.sign(x),), same_shape, sympy="abs", torch="abs", reads=(("x",),), kink=at_zero, subgradients=(-1.0, 1.0)),
        Op("softplus", 1, lambda x: np.logaddexp(0, x), (lambda g, ans, x: g * prim.sigmoid(x),), same_shape, sympy="softplus", torch="softplus", reads=(("x",),)),
        # NOTE: sign and gt are piecewise constant: derivative 0 wherever one exists, so no gradient flows back.
        Op("sign", 1, np.sign, (None,), same_shape, sympy="sign", torch="sign", reads=((),)),
        Op("gt", 2, greater, (None, None), broadcast_shape, broadcasts=True, sympy="gt", torch="gt", reads=((), ())),
        Op("add", 2, np.add, (lambda g, ans, x, y: g, lambda g, ans, x, y: g), broadcast_shape, broadcasts=True, torch="add", reads=((), ())),
        Op("sub", 2, np.subtract, (lambda g, ans, x, y: g, lambda g, ans, x, y: -g), broadcast_shape, broadcasts=True, torch="sub", reads=((), ())),
        Op("mul", 2, np.multiply, (lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x), broadcast_shape, broadcasts=True, torch="mul", reads=(("y",), ("x",))),
        Op("div", 2, np.divide, (lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y), broadcast_shape, broadcasts=True, torch="div", reads=(("y",), ("ans", "y"))),
        Op("pow", 2, np.power, (pow_vjp_base, pow_vjp_exponent), broadcast_shape, broadcasts=True, sympy="pow", torch="pow", reads=(("x", "y"), ("ans", "x")), kink=pow_kink, kink_args=(0,)),
        Op("sum", 1, reduce_sum, (sum_vjp,), reduced_shape, torch="sum", reads=((),)),
        Op("mean", 1, reduce_mean, (mean_vjp,), reduced_shape, torch="mean", reads=((),)),
        Op("logsumexp", 1, logsumexp, (logsumexp_vjp,), reduced_shape, sympy="logsumexp", torch="logsumexp"),
        Op("matmul", 2, np.matmul, (matmul_vjp_left, matmul_vjp_right), matmul_shape, torch="matmul", reads=(("y",), ("x",)),
           intermediate=matmul_intermediate, intermediate_text="its operands broadcast over the batch"),
        Op("outer", 2, np.multiply.outer, (lambda g, ans, x, y: g @ y, lambda g, ans, x, y: x @ g), outer_shape, torch="outer", reads=(("y",), ("x",))),
        Op("transpose", 1, swap_axes, (lambda g, ans, x, dim0, dim1: prim.transpose(g, dim0=dim0, dim1=dim1),), transpose_shape, torch="transpose", reads=((),)),
        # Targets of a classification loss: no gradient for the input (its shape only), nor for class indices.
        Op("one_hot", 2, one_hot, (one_hot_vjp, None), one_hot_shape, sympy="one_hot", torch="one_hot", reads=((), ())),
        # NOTE: detach(), .data and torch.no_grad(): the value passes, the gradient stops (the SymPy engine freezes the value to a constant).
        Op("stop_gradient", 1, np.copy, (None,), same_shape, sympy="stop_gradient", torch="detach", reads=((),)),
        Op("trace", 1, np.trace, (lambda g, ans, x: g * np.eye(*x.shape, dtype=x.dtype),), trace_shape, torch="trace", reads=((),)),
        # Shape plumbing: no surface name of their own yet; the backward pass of sum, mean and broadcasting ops emits them.
        Op("reshape", 1, np.reshape, (lambda g, ans, x, shape: prim.reshape(g, shape=x.shape),), reshape_shape, torch="reshape", reads=((),)),
        Op("broadcast_to", 1, np.broadcast_to, (lambda g, ans, x, shape: prim.sum_to(g, shape=x.shape),), broadcast_to_shape, torch="broadcast_to", reads=((),)),
        # --- max and min: ties share g evenly (torch's amax); any convex combination is valid -------------
        Op("amax", 1, lambda x, dim=None, keepdim=False: np.max(x, axis=dim, keepdims=keepdim), (amax_vjp,), nonempty_reduced_shape, sympy="amax", torch="amax", kink=amax_tie, kink_vjps=(amax_tie_vjp,), kink_text="a tie for the maximum"),
        Op("amin", 1, lambda x, dim=None, keepdim=False: np.min(x, axis=dim, keepdims=keepdim), (amin_vjp,), nonempty_reduced_shape, sympy="amin", torch="amin", kink=lambda x, dim=None, keepdim=False: amax_tie(x, dim, keepdim, lowest=True), kink_vjps=(amax_tie_vjp,), kink_text="a tie for the minimum"),
        # NOTE: at a tie the first argument takes all of g (numpy style); torch splits it evenly: both valid.
        Op("maximum", 2, np.maximum, (lambda g, ans, x, y: g * (1 - prim.gt(y, x)), lambda g, ans, x, y: g * prim.gt(y, x)), broadcast_shape, broadcasts=True, sympy="maximum", torch="maximum", reads=(("x", "y"), ("x", "y")), kink=at_tie, kink_vjps=maximum_tie_vjps(lowest=False), kink_text="a tie between the two arguments"),
        Op("minimum", 2, np.minimum, (lambda g, ans, x, y: g * (1 - prim.gt(x, y)), lambda g, ans, x, y: g * prim.gt(x, y)), broadcast_shape, broadcasts=True, sympy="minimum", torch="minimum", reads=(("x", "y"), ("x", "y")), kink=at_tie, kink_vjps=maximum_tie_vjps(lowest=True), kink_text="a tie between the two arguments"),
        # a where the mask c is non-zero, else 0; where(c, a, b) is select(c, a) + select(1 - c, b). The mask takes no gradient.
        Op("select", 2, select, (None, lambda g, ans, c, a: prim.select(c, g)), broadcast_shape, broadcasts=True, sympy="select", torch="select", reads=((), ("x",))),
        # --- indexing with static keys, and its transpose, the scatter-add ------------------------------------
        Op("index", 1, arrays.index, (lambda g, ans, x, key: prim.scatter(g, shape=x.shape, key=key),), key_shape, torch="index", reads=((),)),
        # One piece of torch.chunk / np.array_split: an index whose slice depends on the shape.
        Op("piece", 1, lambda x, **cut: arrays.index(x, piece_key(x.shape, **cut)),
           (lambda g, ans, x, **cut: prim.scatter(g, shape=x.shape, key=piece_key(x.shape, **cut)),),
           lambda x, **cut: key_shape(x, piece_key(x, **cut)), torch="piece", reads=((),)),
        Op("scatter", 1, arrays.scatter, (lambda g, ans, x, shape, key: prim.index(g, key=key),), scatter_shape, torch="scatter", reads=((),)),
        Op("expand_dims", 1, arrays.expand_dims, (lambda g, ans, x, dim: prim.reshape(g, shape=x.shape),), expand_dims_shape, torch="unsqueeze", reads=((),)),
        Op("squeeze", 1, arrays.squeeze, (lambda g, ans, x, dim=None: prim.reshape(g, shape=x.shape),), squeeze_shape, torch="squeeze", reads=((),)),
        Op("flatten", 1, arrays.flatten, (lambda g, ans, x, start_dim=0, end_dim=-1: prim.reshape(g, shape=x.shape),), flatten_shape, torch="flatten", reads=((),)),
        Op("concat", 2, arrays.concat, concat_vjps(), concat_shape, torch="cat", reads=((), ())),
        Op("tile", 1, arrays.tile, (lambda g, ans, x, reps: prim.tile_sum(g, shape=x.shape, reps=reps),), tile_shape, torch="tile", reads=((),)),
        Op("tile_sum", 1, arrays.tile_sum, (lambda g, ans, x, shape, reps: prim.tile(g, reps=reps),), tile_sum_shape, torch="tile_sum", reads=((),)),
        Op("repeat", 1, arrays.repeat, (lambda g, ans, x, repeats, dim=None: prim.repeat_sum(g, shape=x.shape, repeats=repeats, dim=dim),), repeat_shape, torch="repeat_interleave", reads=((),)),
        Op("repeat_sum", 1, arrays.repeat_sum, (lambda g, ans, x, shape, repeats, dim=None: prim.repeat(g, repeats=repeats, dim=dim),), repeat_sum_shape, torch="repeat_sum", reads=((),)),
        Op("flip", 1, arrays.flip, (lambda g, ans, x, dims=None: prim.flip(g, dims=dims),), dims_shape, torch="flip", reads=((),)),
        Op("roll", 1, arrays.roll, (lambda g, ans, x, shifts, dims=None: prim.roll(g, shifts=tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts, dims=dims),), lambda x, shifts, dims=None: dims_shape(x, dims), torch="roll", reads=((),)),
        Op("pad", 1, arrays.pad, (lambda g, ans, x, pairs, whole=False: prim.index(g, key=arrays.unpad_key(x.shape, pairs)),), pad_shape, torch="pad", reads=((),)),
        Op("tril", 1, lambda x, k=0: np.tril(x, k), (lambda g, ans, x, k=0: prim.tril(g, k=k),), matrix_shape, torch="tril", reads=((),)),
        Op("triu", 1, lambda x, k=0: np.triu(x, k), (lambda g, ans, x, k=0: prim.triu(g, k=k),), matrix_shape, torch="triu", reads=((),)),
        Op("diag", 1, arrays.diag, (diag_vjp,), diag_shape, torch="diag", reads=(("ans",),)),
        Op("cumsum", 1, arrays.cumsum, (cumsum_vjp,), lambda x, dim: dims_shape(x, (dim,)), torch="cumsum", reads=((),)),
        Op("cumprod", 1, arrays.cumprod, (cumprod_vjp,), lambda x, dim: dims_shape(x, (dim,)), torch="cumprod", reads=(("x",),)),
        Op("prod", 1, arrays.prod, (prod_vjp,), reduced_shape, torch="prod", reads=(("x",),)),
        Op("prod_others", 1, arrays.prod_others, (prod_others_vjp,), lambda x, dim=None: x, torch="prod_others"),
        # --- linear algebra (2-D) ---------------------------------------------------------------------------
        # NOTE: det's and logabsdet's VJPs go through inv: nan at a singular matrix, where torch still answers for det.
        # NOTE: two operands, explicit output; spellings/linalg.py refuses specs whose VJP would not be an einsum again.
        Op("einsum", 2, arrays.einsum, einsum_vjps(), einsum_shape, torch="einsum", reads=(("y",), ("x",))),
        # axes: an int (the last n dims of x with the first n of y) or a pair of tuples of dims, as np.tensordot takes them.
        Op("tensordot", 2, lambda x, y, axes: np.tensordot(x, y, axes=axes), tensordot_vjps(), tensordot_shape, torch="tensordot", reads=(("y",), ("x",))),
        Op("inv", 1, arrays.inv, (lambda g, ans, x: -(matrix_transpose(ans) @ (g @ matrix_transpose(ans))),), square_batch_shape, sympy="inv", torch="inv", reads=(("ans",),)),
        # NOTE: reads the lower triangle of x only (as LAPACK and torch do); not symmetric positive definite: nan.
        Op("cholesky", 1, arrays.cholesky, (cholesky_vjp,), square_batch_shape, sympy="cholesky", torch="cholesky", reads=(("ans",),)),
        Op("det", 1, np.linalg.det, (lambda g, ans, x: per_matrix(g * ans) * matrix_transpose(prim.inv(x)),), det_shape, sympy="det", torch="det", reads=(("ans", "x"),)),
        Op("logabsdet", 1, arrays.logabsdet, (lambda g, ans, x: per_matrix(g) * matrix_transpose(prim.inv(x)),), det_shape, sympy="logabsdet", torch="logabsdet", reads=(("x",),)),
        Op("solve", 2, arrays.solve, (solve_vjp_a, solve_vjp_b), solve_shape, sympy="solve", torch="solve", reads=(("ans", "x"), ("x",))),
        # --- decompositions (stacks of matrices; vectors' signs fixed as decompose.py says; distinct values required) ---
        Op("eigvalsh", 1, decompose.eigvalsh, (eigvalsh_vjp,), lambda x: square_batch_shape(x)[:-1], sympy="eigvalsh", torch="eigvalsh", reads=(("x",),)),
        Op("eigvecsh", 1, decompose.eigvecsh, (eigvecsh_vjp,), square_batch_shape, sympy="eigvecsh", torch="eigvecsh", reads=(("ans", "x"),)),
        Op("svdvals", 1, decompose.svdvals, (svdvals_vjp,), svdvals_shape, sympy="svdvals", torch="svdvals", reads=(("x",),)),
        Op("svd_u", 1, lambda x: decompose.svd(x)[0], (svd_u_vjp,), svd_u_shape, sympy="svd_u", torch="svd_u", reads=(("x",),)),
        Op("svd_vh", 1, lambda x: decompose.svd(x)[2], (svd_vh_vjp,), svd_vh_shape, sympy="svd_vh", torch="svd_vh", reads=(("x",),)),
        # NOTE: R is composed (Q^T A, its lower triangle masked to 0), so only Q is a primitive; wide matrices by composition.
        Op("qr_q", 1, decompose.qr_q, (qr_q_vjp,), tall_shape, sympy="qr_q", torch="qr_q", reads=(("ans", "x"),)),
        Op("expm", 1, decompose.expm, (expm_vjp,), square_batch_shape, sympy="expm", torch="expm", reads=(("x",),)),
        Op("pinv", 1, decompose.pinv, (pinv_vjp,), pinv_shape, sympy="pinv", torch="pinv", reads=(("ans", "x"),)),
        # --- special functions and the inverse trigonometric ones -------------------------------------------
        Op("erf", 1, erf, (erf_vjp,), same_shape, sympy="erf", torch="erf", reads=(("x",),)),
        Op("erfc", 1, erfc, (lambda g, ans, x: -erf_vjp(g, ans, x),), same_shape, sympy="erfc", torch="erfc", reads=(("x",),)),
        # NOTE: exp(x) - 1 loses every digit near 0; expm1 keeps them, so it is its own primitive, as log1p is.
        Op("expm1", 1, np.expm1, (lambda g, ans, x: g * (ans + 1),), same_shape, sympy="expm1", torch="expm1", reads=(("ans",),)),
        Op("asin", 1, np.arcsin, (lambda g, ans, x: g / prim.sqrt(1 - x * x),), same_shape, sympy="asin", torch="asin", reads=(("x",),), kink=at_unit),
        Op("acos", 1, np.arccos, (lambda g, ans, x: -g / prim.sqrt(1 - x * x),), same_shape, sympy="acos", torch="acos", reads=(("x",),), kink=at_unit),
        Op("atan", 1, np.arctan, (lambda g, ans, x: g / (1 + x * x),), same_shape, sympy="atan", torch="atan", reads=(("x",),)),
        Op("atan2", 2, np.arctan2, (lambda g, ans, y, x: g * x / (x * x + y * y), lambda g, ans, y, x: -g * y / (x * x + y * y)), broadcast_shape, broadcasts=True, sympy="atan2", torch="atan2", reads=(("x", "y"), ("x", "y")), kink=at_origin),
        # Piecewise constant: derivative 0 between the jumps, none at them.
        Op("floor", 1, np.floor, (None,), same_shape, sympy="floor", torch="floor", reads=((),), kink=at_integer),
        Op("ceil", 1, np.ceil, (None,), same_shape, sympy="ceil", torch="ceil", reads=((),), kink=at_integer),
        Op("trunc", 1, np.trunc, (None,), same_shape, sympy="trunc", torch="trunc", reads=((),), kink=lambda x: at_integer(x) & (x != 0)),
        # NOTE: half to even, as numpy and torch round; the jumps are at the halves.
        Op("round", 1, np.round, (None,), same_shape, sympy="round", torch="round", reads=((),), kink=at_half),
        # --- gamma, Bessel and inverse error functions (forwards by math and mpmath) --------------------------
        Op("lgamma", 1, lgamma, (lambda g, ans, x: g * prim.polygamma(np.zeros((), dtype=x.dtype), x),), same_shape, sympy="lgamma", torch="lgamma", reads=(("x",),), kink=at_pole, kink_text="a pole (a whole number <= 0)"),
        # psi^(n)(x), n a constant argument (a whole number >= 0): its derivative is psi^(n+1)(x).
        Op("polygamma", 2, polygamma, (None, lambda g, ans, n, x: g * prim.polygamma(n + 1, x)), broadcast_shape, broadcasts=True, sympy="polygamma", torch="polygamma", reads=((), ("x", "y")), kink=lambda n, x: np.broadcast_to(at_pole(x), np.broadcast_shapes(n.shape, x.shape)), kink_args=(1,), kink_text="a pole (a whole number <= 0)"),
        # I_n(x), n a constant argument (a whole number >= 0): I_n' = (I_|n-1| + I_n+1) / 2.
        Op("besseli", 2, besseli, (None, lambda g, ans, n, x: g * (prim.besseli(prim.abs(n - 1), x) + prim.besseli(n + 1, x)) / 2), broadcast_shape, broadcasts=True, sympy="besseli", torch="besseli", reads=((), ("x", "y"))),
        Op("erfinv", 1, erfinv, (lambda g, ans, x: g * (math.sqrt(math.pi) / 2) * prim.exp(ans * ans),), same_shape, sympy="erfinv", torch="erfinv", reads=(("ans",),), kink=at_unit),
        # The Hurwitz zeta(x, q) and the regularized incomplete gamma functions P(a, x), Q(a, x): as in torch, the
        # derivative in q (in x) only; in x (in a) it exists but torch does not implement it: differentiating it is refused.
        Op("zeta", 2, zeta, (None, lambda g, ans, x, q: -g * x * prim.zeta(x + 1, q)), broadcast_shape, broadcasts=True, sympy="zeta", torch="zeta", reads=((), ("x", "y")), not_differentiable=(0,)),
        Op("gammainc", 2, gammainc, (None, gammainc_vjp), broadcast_shape, broadcasts=True, sympy="gammainc", torch="gammainc", reads=((), ("x", "y")), not_differentiable=(0,)),
        Op("gammaincc", 2, lambda a, x: gammainc(a, x, upper=True), (None, lambda g, ans, a, x: -gammainc_vjp(g, ans, a, x)), broadcast_shape, broadcasts=True, sympy="gammaincc", torch="gammaincc", reads=((), ("x", "y")), not_differentiable=(0,)),
        Op("sum_to", 1, unbroadcast, (lambda g, ans, x, shape: prim.broadcast_to(g, shape=x.shape),), sum_to_shape, torch="sum_to", reads=((),)),
    ]
}
# fmt: on

# Every primitive as a function of arrays (computes) or of Traced values (records): what VJPs call.
prim = SimpleNamespace(**{name: primitive(name, op.arity, op.forward) for name, op in OPS.items()})
