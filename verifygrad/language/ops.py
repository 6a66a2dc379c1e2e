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
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np

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
    if not (1 <= len(x) <= 2 and 1 <= len(y) <= 2):
        raise ShapeError(f"matmul needs 1-D or 2-D arguments, got {fmt(x)} and {fmt(y)}")
    if x[-1] != y[0]:
        raise ShapeError(f"inner dimensions of {fmt(x)} and {fmt(y)} differ ({x[-1]} vs {y[0]})")
    return x[:-1] + y[1:]


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
    if math.prod(x) != math.prod(shape):
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

    call = {1: unary, 2: binary}[arity]
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


def matmul_vjp_left(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if y.ndim == 1:
        return prim.outer(g, y) if x.ndim == 2 else g * y
    return g @ y.T if x.ndim == 2 else y @ g


def matmul_vjp_right(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if x.ndim == 1:
        return prim.outer(x, g) if y.ndim == 2 else g * x
    return x.T @ g


def pow_vjp_base(g: Any, ans: Any, x: Any, y: Any) -> Any:
    # NOTE: written as y*ans/x, the gradient at x = 0 would be nan.
    out = x ** (y - 1)  # already of the output's broadcast shape
    out *= y
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
    out = 1 - ans * ans  # NOTE: numpy reuses the temporary ans*ans in place here
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
        Op("pow", 2, np.power, (pow_vjp_base, lambda g, ans, x, y: g * ans * prim.log(x)), broadcast_shape, broadcasts=True, torch="pow", reads=(("x", "y"), ("ans", "x")), kink=pow_kink),
        Op("sum", 1, reduce_sum, (sum_vjp,), reduced_shape, torch="sum", reads=((),)),
        Op("mean", 1, reduce_mean, (mean_vjp,), reduced_shape, torch="mean", reads=((),)),
        Op("logsumexp", 1, logsumexp, (logsumexp_vjp,), reduced_shape, sympy="logsumexp", torch="logsumexp"),
        Op("matmul", 2, np.matmul, (matmul_vjp_left, matmul_vjp_right), matmul_shape, torch="matmul", reads=(("y",), ("x",))),
        Op("outer", 2, np.multiply.outer, (lambda g, ans, x, y: g @ y, lambda g, ans, x, y: x @ g), outer_shape, torch="outer", reads=(("y",), ("x",))),
        Op("transpose", 1, swap_axes, (lambda g, ans, x, dim0, dim1: prim.transpose(g, dim0=dim0, dim1=dim1),), transpose_shape, torch="transpose", reads=((),)),
        # Targets of a classification loss: no gradient for the input (its shape only), nor for class indices.
        Op("one_hot", 2, one_hot, (one_hot_vjp, None), one_hot_shape, sympy="one_hot", torch="one_hot", reads=((), ())),
        Op("trace", 1, np.trace, (lambda g, ans, x: g * np.eye(*x.shape, dtype=x.dtype),), trace_shape, torch="trace", reads=((),)),
        # Shape plumbing: no surface name of their own yet; the backward pass of sum, mean and broadcasting ops emits them.
        Op("reshape", 1, np.reshape, (lambda g, ans, x, shape: prim.reshape(g, shape=x.shape),), reshape_shape, torch="reshape", reads=((),)),
        Op("broadcast_to", 1, np.broadcast_to, (lambda g, ans, x, shape: prim.sum_to(g, shape=x.shape),), broadcast_to_shape, torch="broadcast_to", reads=((),)),
        Op("sum_to", 1, unbroadcast, (lambda g, ans, x, shape: prim.broadcast_to(g, shape=x.shape),), sum_to_shape, torch="sum_to", reads=((),)),
    ]
}
# fmt: on

# Every primitive as a function of arrays (computes) or of Traced values (records): what VJPs call.
prim = SimpleNamespace(**{name: primitive(name, op.arity, op.forward) for name, op in OPS.items()})
