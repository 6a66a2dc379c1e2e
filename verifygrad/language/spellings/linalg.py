"""Linear algebra: determinants, solves, decompositions (eigh, svd, qr, pinv, lstsq), matrix_exp, matrix norms, einsum and tensordot."""

from __future__ import annotations

import ast
import math
import re
import string
from collections.abc import Callable
from typing import Any

import numpy as np

from verifygrad.language.spellings.compose import PART, Call, Graph, alias, along, part_index, spelling, unary, whole_numbers
from verifygrad.language.spellings.shape import diagonal_offset, reordered
from verifygrad.language.syntax import ExprError, Function, NeedsValues, literal


def _trace(call: Call) -> int:
    """np.trace(x, offset): the sum of a diagonal; of x's first two dims where it has more (a mask of the diagonal, summed)."""
    g, x, k = call.graph, call.tensors[0], diagonal_offset("offset")(call)
    shape = g.builder.known_shape(x, g.col, "np.trace()")
    if len(shape) > 2:
        mask = np.eye(shape[0], shape[1], k).reshape(shape[:2] + (1,) * (len(shape) - 2))
        return g.reduce("sum", g.reduce("sum", g.op("mul", x, g.const(mask)), 0), 0)
    return g.op("trace", x) if k == 0 else g.reduce("sum", g.op("diag", x, k=k))


def _dims(call: Call, keys: tuple[str, ...], position: int, default: Any = None) -> tuple[int, ...] | None:
    """The dims a norm reduces over: one int or a list of them, by keyword or position; ``default`` where none is given."""
    given = next((call.literal(key, position, None) for key in keys if key in call.params), call.literal(keys[0], position, None))
    if given is None:
        return default
    dims = tuple(given) if isinstance(given, list) else (given,)
    if not dims or not all(type(d) is int for d in dims):
        raise ExprError(f"{call.graph.name}() takes its dims as integers", call.graph.col)
    return dims


def _keepdim(call: Call, position: int) -> bool:
    for key in ("keepdim", "keepdims"):
        if key in call.params:
            return call.flag(key, False)
    return bool(call.literal("keepdim", position, False))


def _order(call: Call, keys: tuple[str, ...], default: Any) -> Any:
    value = next((call.literal(key, 0, None) for key in keys if key in call.params), call.literal(keys[0], 0, default))
    if not (value is None or value in ("fro", "nuc") or (isinstance(value, (int, float)) and not isinstance(value, bool))):
        raise ExprError(f"{call.graph.name}() takes its order as a number, inf, 'fro' or 'nuc'", call.graph.col)
    return value


def reduce_over(g: Graph, op: str, x: int, dims: tuple[int, ...] | None, keepdim: bool) -> int:
    """A reduction over several dims: one at a time, the highest first so that the lower keep their place."""
    if dims is None or len(dims) == 1:
        return g.reduce(op, x, None if dims is None else dims[0], keepdim)
    n = len(g.builder.known_shape(x, g.col, f"{g.name}()"))
    for dim in sorted({d % n for d in dims}, reverse=True):
        x = g.reduce(op, x, dim, keepdim)
    return x


def vector_norm(g: Graph, x: int, order: float, dims: tuple[int, ...] | None, keepdim: bool) -> int:
    """(sum |x|**p)**(1/p) over dims (all where None); max |x| for inf, min for -inf, the count of non-zeros for 0."""
    if order == 2:  # NOTE: x*x, not |x|**2: smooth where an element is 0
        return g.op("sqrt", reduce_over(g, "sum", g.op("mul", x, x), dims, keepdim))
    size = g.op("abs", x)
    if order in (math.inf, -math.inf):
        return reduce_over(g, "amax" if order > 0 else "amin", size, dims, keepdim)
    if order == 0:
        return reduce_over(g, "sum", g.op("gt", size, g.const(0.0)), dims, keepdim)
    if order == 1:
        return reduce_over(g, "sum", size, dims, keepdim)
    return g.op("pow", reduce_over(g, "sum", g.op("pow", size, g.const(float(order))), dims, keepdim), g.const(1.0 / order))


def matrix_norm(g: Graph, x: int, order: Any, dims: tuple[int, ...], keepdim: bool) -> int:
    """'fro', or the largest (1, inf) or smallest (-1, -inf) absolute column (row) sum of the matrices over dims."""
    if order in ("fro", None):
        return vector_norm(g, x, 2, dims, keepdim)
    n = len(g.builder.known_shape(x, g.col, f"{g.name}()"))
    rows, columns = (d % n for d in dims)
    if order in (2, -2, "nuc"):
        return _spectral_norm(g, x, order, rows, columns, keepdim)
    if order not in (1, -1, math.inf, -math.inf):
        raise ExprError(f"{g.name}(): no matrix norm of order {order!r} (1, -1, 2, -2, inf, -inf, 'fro' or 'nuc')", g.col)
    summed, across = (rows, columns) if order in (1, -1) else (columns, rows)
    sums = g.reduce("sum", g.op("abs", x), summed, True)
    out = g.reduce("amax" if order > 0 else "amin", sums, across, True)
    for dim in sorted((rows, columns), reverse=True) if not keepdim else ():
        out = g.op("squeeze", out, dim=dim)
    return out


def _spectral_norm(g: Graph, x: int, order: Any, rows: int, columns: int, keepdim: bool) -> int:
    """The largest (2) or smallest (-2) singular value, or their sum ('nuc'), of the matrices over dims (rows, columns)."""
    n = len(g.builder.known_shape(x, g.col, f"{g.name}()"))
    others = [d for d in range(n) if d not in (rows, columns)]
    values = g.op("svdvals", reordered(g, x, list(range(n)), [*others, rows, columns]))
    out = g.reduce("sum", values, -1) if order == "nuc" else g.op("index", values, key=(Ellipsis, 0 if order == 2 else -1))
    for dim in sorted((rows, columns)) if keepdim else ():
        out = g.op("expand_dims", out, dim=dim)
    return out


def _torch_norm(call: Call) -> int:
    """torch.norm(x, p='fro', dim=None, keepdim=False), x.norm(): 'fro' or a vector p-norm over dim (every element where none);
    'nuc' the nuclear norm of a matrix (over two dims)."""
    order = _order(call, ("p",), "fro")
    if order == "nuc":
        dims = _dims(call, ("dim",), 1, (-2, -1))
        if len(dims) != 2:
            raise ExprError(f"{call.graph.name}(): the nuclear norm is over two dims", call.graph.col)
        return matrix_norm(call.graph, call.tensors[0], order, dims, _keepdim(call, 2))
    return vector_norm(call.graph, call.tensors[0], 2 if order == "fro" else order, _dims(call, ("dim",), 1), _keepdim(call, 2))


def _linalg_norm(call: Call) -> int:
    """torch.linalg.norm(x, ord=None, dim=None), np.linalg.norm(x, ord=None, axis=None): with an order and no dim, a
    vector norm of a 1-D x and a matrix norm of a 2-D x; without an order, the 2-norm of every element."""
    g, x = call.graph, call.tensors[0]
    order, dims, keepdim = _order(call, ("ord",), None), _dims(call, ("dim", "axis"), 1), _keepdim(call, 2)
    if order is None:
        return vector_norm(g, x, 2, dims, keepdim)
    if dims is None:
        dims = {1: (0,), 2: (0, 1)}.get(len(g.builder.known_shape(x, g.col, f"{g.name}()")))
        if dims is None:
            raise ExprError(f"{g.name}() with an order takes a 1-D or 2-D tensor, or dim", g.col)
    if len(dims) == 2:
        return matrix_norm(g, x, order, dims, keepdim)
    if isinstance(order, str):
        raise ExprError(f"{g.name}(): the order {order!r} is for matrices; give two dims", g.col)
    return vector_norm(g, x, order, dims, keepdim)


def _vector_norm(call: Call) -> int:
    order = _order(call, ("ord",), 2)
    if isinstance(order, str):
        raise ExprError("vector_norm() takes its order as a number or inf", call.graph.col)
    return vector_norm(call.graph, call.tensors[0], order, _dims(call, ("dim",), 1), _keepdim(call, 2))


def _matrix_norm(call: Call) -> int:
    return matrix_norm(call.graph, call.tensors[0], _order(call, ("ord",), "fro"), _dims(call, ("dim",), 1, (-2, -1)), _keepdim(call, 2))


def _cdist(call: Call) -> int:
    """torch.cdist(x1, x2, p=2): the p-norm distance of every row of x1 to every row of x2 (batched over leading dims)."""
    g, (a, b) = call.graph, call.tensors
    difference = g.op("sub", g.op("expand_dims", a, dim=-2), g.op("expand_dims", b, dim=-3))
    return vector_norm(g, difference, call.scalar("p", 0, 2.0), (-1,), False)


def _pairwise_distance(call: Call) -> int:
    """F.pairwise_distance(x1, x2, p=2, eps=1e-6, keepdim=False): the p-norm of x1 - x2 + eps along the last dim."""
    g, (a, b) = call.graph, call.tensors
    difference = g.op("add", g.op("sub", a, b), g.const(call.scalar("eps", 1, 1e-6)))
    return vector_norm(g, difference, call.scalar("p", 0, 2.0), (-1,), _keepdim(call, 2))


def _cross(default_last: bool) -> Callable[[Call], int]:
    """torch.linalg.cross(a, b, dim=-1), np.cross(a, b, axis=-1), torch.cross(a, b, dim=None) (torch: the first dim of
    size 3 when none is given): (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0) along dim, a and b broadcast."""

    def compose(call: Call) -> int:
        g, (a, b) = call.graph, call.tensors
        dim = next((call.integer(key, 0, None) for key in ("dim", "axis") if key in call.params), None)
        if dim is None and call.dims:
            dim = call.integer("dim", 0, None)
        if dim is None:
            shape = np.broadcast_shapes(g.builder.known_shape(a, g.col, f"{g.name}()"), g.builder.known_shape(b, g.col, f"{g.name}()"))
            dim = -1 if default_last else next((d for d, n in enumerate(shape) if n == 3), None)
            if dim is None:
                raise ExprError(f"{g.name}(): no dim of size 3", g.col)

        def part(x: int, i: int) -> int:
            return g.op("index", x, key=along(dim, slice(i, i + 1)))

        pieces = [g.op("sub", g.op("mul", part(a, i), part(b, j)), g.op("mul", part(a, j), part(b, i))) for i, j in ((1, 2), (2, 0), (0, 1))]
        return g.op("concat", g.op("concat", pieces[0], pieces[1], dim=dim), pieces[2], dim=dim)

    return compose


def _last(g: Graph, x: int, axis: int, ndim: int) -> int:
    """x with dim ``axis`` moved to the end (np.moveaxis(x, axis, -1))."""
    order = list(range(ndim))
    order.append(order.pop(axis % ndim))
    return reordered(g, x, list(range(ndim)), order) if order != list(range(ndim)) else x


def _numpy_cross(call: Call) -> int:
    """np.cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None): the vectors of a along axisa and of b along axisb, the
    result's along axisc (axis, where given, sets all three), as numpy moves them."""
    g, (a, b) = call.graph, call.tensors
    written = {key: node for key, node in call.params.items() if not (isinstance(node, ast.Constant) and node.value is None)}
    given = {key: call.integer(key, 0, None) if key in written else None for key in ("axisa", "axisb", "axisc", "axis")}
    axes = [given["axis"] if given["axis"] is not None else -1 if given[key] is None else given[key] for key in ("axisa", "axisb", "axisc")]
    shapes = [g.builder.known_shape(x, g.col, "np.cross()") for x in (a, b)]
    for axis, shape in zip(axes, shapes):
        if not -len(shape) <= axis < len(shape):
            raise ExprError(f"np.cross(): axis {axis} is out of range for {len(shape)} dimension(s)", g.col)
    a, b = _last(g, a, axes[0], len(shapes[0])), _last(g, b, axes[1], len(shapes[1]))
    out = _cross(default_last=True)(Call(g, [a, b], {}, [-1]))
    ndim = max(len(shapes[0]), len(shapes[1]))
    axisc = axes[2] % ndim if -ndim <= axes[2] < ndim else None
    if axisc is None:
        raise ExprError(f"np.cross(): axisc {axes[2]} is out of range for {ndim} dimension(s)", g.col)
    order = list(range(ndim - 1))
    order.insert(axisc, ndim - 1)  # NOTE: np.moveaxis(out, -1, axisc)
    return reordered(g, out, list(range(ndim)), order) if order != list(range(ndim)) else out


def _dist(call: Call) -> int:
    """torch.dist(x, y, p=2): the p-norm of x - y over every element (x and y broadcast)."""
    g, (x, y) = call.graph, call.tensors
    return vector_norm(g, g.op("sub", x, y), call.scalar("p", 0, 2.0), None, False)


def _vecdot(call: Call) -> int:
    """torch.linalg.vecdot(x, y, dim=-1): the sum of x * y along dim (real tensors: no conjugate), x and y broadcast."""
    g, (x, y) = call.graph, call.tensors
    return g.reduce("sum", g.op("mul", x, y), call.integer("dim", 0, -1))


def _inner(call: Call) -> int:
    """torch.inner(x, y), np.inner: the sum over the last dims of x and y of their products (x * y of a 0-d one)."""
    g, (x, y) = call.graph, call.tensors
    nx, ny = (len(g.builder.known_shape(t, g.col, f"{g.name}()")) for t in (x, y))
    if nx == 0 or ny == 0:
        return g.op("mul", x, y)
    return g.op("tensordot", x, y, axes=((nx - 1,), (ny - 1,)))


def _matrix_power(call: Call) -> int:
    """torch.linalg.matrix_power(A, n) (batched): A multiplied n times; the identity for n = 0; inv(A) |n| times for n < 0.

    NOTE: by squaring, as torch computes it, so that the products are rounded as torch rounds them."""
    g, a = call.graph, call.tensors[0]
    n = call.integer("n", 0, None)
    if n is None:
        raise ExprError(f"{g.name}() takes the power n as a whole number", g.col)
    shape = g.builder.known_shape(a, g.col, f"{g.name}()")
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ExprError(f"{g.name}() takes square matrices, got shape {shape}", g.col)
    if n == 0:
        return g.op("add", g.op("mul", a, g.const(0.0)), g.const(np.eye(shape[-1])))
    if n < 0:
        if len(shape) != 2:
            raise ExprError(f"not supported yet: {g.name}() of a negative power of a batch of matrices", g.col)
        a, n = g.op("inv", a), -n
    result, power = None, a
    while n:
        if n & 1:
            result = power if result is None else g.op("matmul", result, power)
        n >>= 1
        if n:
            power = g.op("matmul", power, power)
    return result


def _multi_dot(call: Call) -> int:
    """torch.linalg.multi_dot([a, b, ...]), np.linalg.multi_dot: the product left to right (a first or last 1-D
    operand a row or column vector, as matmul reads it)."""
    g, out = call.graph, call.tensors[0]
    for other in call.tensors[1:]:
        out = g.op("matmul", out, other)
    return out


def _trapezoid(cumulative: bool) -> Callable[[Call], int]:
    """torch.trapezoid/trapz(y, x=None, *, dx=1, dim=-1) and cumulative_trapezoid: the sum (running sum) along dim of
    (x[i+1] - x[i]) (y[i+1] + y[i]) / 2; x broadcasts against y, a 1-D x lies along dim."""

    def compose(call: Call) -> int:
        g, y = call.graph, call.tensors[0]
        dim = call.integer("dim", 0, -1)
        key_of = lambda part: along(dim, part)  # noqa: E731 - the slices of y and x along dim
        sums = g.op("add", g.op("index", y, key=key_of(slice(1, None))), g.op("index", y, key=key_of(slice(None, -1))))
        if len(call.tensors) > 1:
            x = call.tensors[1]
            y_ndim = len(g.builder.known_shape(y, g.col, f"{g.name}()"))
            if len(g.builder.known_shape(x, g.col, f"{g.name}()")) == 1 and y_ndim > 1:
                x = g.op("reshape", x, shape=tuple(-1 if d == dim % y_ndim else 1 for d in range(y_ndim)))
            steps = g.op("sub", g.op("index", x, key=key_of(slice(1, None))), g.op("index", x, key=key_of(slice(None, -1))))
            areas = g.scale(g.op("mul", steps, sums), 0.5)
        else:
            areas = g.scale(sums, 0.5 * call.number("dx", 1.0))
        return g.op("cumsum", areas, dim=dim) if cumulative else g.reduce("sum", areas, dim)

    return compose


def _pdist(call: Call) -> int:
    """F.pdist(x, p=2) of x (N, M): the p-norm distance of rows i < j, in the order (0, 1), (0, 2), ..., (N-2, N-1)."""
    g, x = call.graph, call.tensors[0]
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if len(shape) != 2:
        raise ExprError(f"{g.name}() takes a 2-D input, got shape {shape}", g.col)
    first, second = np.triu_indices(shape[0], 1)
    # NOTE: an empty index is a slice (an empty tuple of positions is no key numpy takes): one row gives no pair
    rows = [g.op("index", x, key=(tuple(int(i) for i in index) if index.size else slice(0, 0),)) for index in (first, second)]
    return vector_norm(g, g.op("sub", *rows), call.scalar("p", 0, 2.0), (-1,), False)


def _bilinear(call: Call) -> int:
    """F.bilinear(x1, x2, weight, bias=None): out[..., k] = sum_ij x1[..., i] weight[k, i, j] x2[..., j] + bias[k]."""
    g, x1, x2, weight = call.graph, *call.tensors[:3]
    bias = call.tensor("bias", 3)
    left = g.op("expand_dims", g.op("expand_dims", x1, dim=-2), dim=-1)  # (..., 1, i, 1)
    right = g.op("expand_dims", g.op("expand_dims", x2, dim=-2), dim=-2)  # (..., 1, 1, j)
    out = g.reduce("sum", g.reduce("sum", g.op("mul", g.op("mul", left, weight), right), -1), -1)
    return out if bias is None else g.op("add", out, bias)


def _ellipsis_spelled_out(spec: str, shapes: list[tuple[int, ...]], col: int) -> str:
    """The equation with each '...' written as letters of its own: the dims it covers, aligned from the right across
    the operands (as broadcasting aligns them), first in an implicit output, as numpy and torch order them."""
    inputs, arrow, output = spec.replace(" ", "").partition("->")
    parts = inputs.split(",")
    if len(parts) != len(shapes):
        raise ExprError(f"einsum '{spec}' names {len(parts)} operand(s), {len(shapes)} given", col)
    covered = [len(shape) - len(part.replace("...", "")) if "..." in part else 0 for part, shape in zip(parts, shapes)]
    if min(covered) < 0:
        raise ExprError(f"einsum '{spec}': an operand has fewer dims than its subscripts", col)
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in spec]
    width = max(covered)
    if len(free) < width:
        raise ExprError(f"einsum '{spec}': too many dims under '...'", col)
    letters = free[:width]
    sizes: dict[str, int] = {}
    for part, shape, k in zip(parts, shapes, covered):
        if "..." in part:
            for letter, n in zip(letters[width - k :], shape[part.index("...") : part.index("...") + k]):
                if sizes.setdefault(letter, n) != n:
                    raise ExprError(f"not supported yet: einsum '{spec}' with '...' dims that broadcast ({sizes[letter]} and {n})", col)
    parts = [part.replace("...", "".join(letters[width - k :])) for part, k in zip(parts, covered)]
    if not arrow:
        output = "".join(letters) + "".join(sorted(c for c in set(inputs) - {",", "."} if inputs.count(c) == 1))
    return ",".join(parts) + "->" + output.replace("...", "".join(letters))


def einsum_parts(spec: Any, operands: int, col: int) -> tuple[list[str], str]:
    """Each operand's subscripts and the output's, the output made explicit (numpy's implicit rule: the indices
    that appear once, in alphabetical order); checked as numpy checks them."""
    if not isinstance(spec, str) or not re.fullmatch(r"[a-zA-Z]*(,[a-zA-Z]*)*(->[a-zA-Z]*)?", spec.replace(" ", "")):
        raise ExprError("einsum() takes subscripts of letters (and '...'), e.g. einsum('ij,jk->ik', a, b)", col)
    spec = spec.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    letters = inputs.split(",")
    if len(letters) != operands:
        raise ExprError(f"einsum '{spec}' names {len(letters)} operand(s), {operands} given", col)
    if not arrow:
        output = "".join(sorted(letter for letter in set(inputs) - {","} if inputs.count(letter) == 1))
    if len(set(output)) != len(output):
        raise ExprError(f"einsum '{spec}': the output repeats an index", col)
    if set(output) - set(inputs):
        raise ExprError(f"einsum '{spec}': the output names an index no operand has", col)
    return letters, output


def _sublists_spelled_out(sublists: list[Any], operands: int, col: int) -> str:
    """numpy's sublist form, einsum(a, [0, 1], b, [1, 2], [0, 2]): each operand's list of axis numbers, then the
    output's (optional), as the equation 'ab,bc->ac' (axis k is the k-th letter)."""
    if len(sublists) not in (operands, operands + 1) or not all(
        isinstance(part, (tuple, list)) and all(type(k) is int and 0 <= k < 52 for k in part) for part in sublists
    ):
        raise ExprError("einsum()'s sublist form takes a list of axis numbers (0 to 51) after each operand, and optionally one for the output", col)
    letters = [("".join(string.ascii_letters[k] for k in part)) for part in sublists]
    return ",".join(letters[:operands]) + (f"->{letters[operands]}" if len(letters) > operands else "")


def _numpy_dot(call: Call) -> int:
    """np.dot(a, b): a matrix product, or a product where either is a scalar (0-d), as numpy defines it."""
    g, (a, b) = call.graph, call.tensors
    if () in (g.builder.known_shape(a, g.col, "np.dot()"), g.builder.known_shape(b, g.col, "np.dot()")):
        return g.op("mul", a, b)
    return g.op("matmul", a, b)


def einsum_call(call: Call) -> int:
    """einsum of any number of operands: repeated indices (diagonals) and indices summed within one operand first,
    then a left-to-right chain of the two-operand primitive, then the output's order."""
    g = call.graph
    spec = call.literal("equation", 0, None)
    if isinstance(spec, (tuple, list)):
        spec = _sublists_spelled_out(call.dims, len(call.tensors), g.col)
    if isinstance(spec, str) and "..." in spec:
        spec = _ellipsis_spelled_out(spec, [g.builder.known_shape(t, g.col, f"{g.name}() with '...'") for t in call.tensors], g.col)
    subscripts, output = einsum_parts(spec, len(call.tensors), g.col)
    operands = list(zip(call.tensors, subscripts))
    for k, (x, letters) in enumerate(operands):
        needed = set(output).union(*(other for j, (_, other) in enumerate(operands) if j != k))
        operands[k] = _own_indices_summed(g, *_diagonals_taken(g, x, letters), needed)
    x, letters = operands[0]
    for k, (y, other) in enumerate(operands[1:], start=1):
        later = set(output).union(*(rest for _, rest in operands[k + 1 :]))
        kept = "".join(dict.fromkeys(c for c in letters + other if c in later))
        x, letters = g.op("einsum", x, y, spec=f"{letters},{other}->{kept}"), kept
    if letters == output:
        return x
    return reordered(g, x, letters, output)


def _diagonals_taken(g: Graph, x: int, letters: str) -> tuple[int, str]:
    """x with each repeated index reduced to its diagonal ('ii' to 'i'): times a mask of equal positions, summed over the repeat.

    NOTE: the mask is built from x's own shape in the graph (cumulative counts of ones), so no size is needed here.
    """
    while len(set(letters)) != len(letters):
        first = next(i for i, c in enumerate(letters) if letters.index(c) != i)
        p, q = letters.index(letters[first]), first
        ones = g.op("add", g.op("mul", x, g.const(0.0)), g.const(1.0))
        along_p, along_q = g.op("cumsum", ones, dim=p), g.op("cumsum", ones, dim=q)
        equal = g.op("sub", g.const(1.0), g.op("add", g.op("gt", along_p, along_q), g.op("gt", along_q, along_p)))
        x, letters = g.reduce("sum", g.op("mul", x, equal), q), letters[:q] + letters[q + 1 :]
    return x, letters


def _own_indices_summed(g: Graph, x: int, letters: str, needed: set[str]) -> tuple[int, str]:
    """x summed over the indices no other operand and not the output has ('ij,jk->k': i is summed in the first)."""
    for position in reversed(range(len(letters))):
        if letters[position] not in needed:
            x, letters = g.reduce("sum", x, position), letters[:position] + letters[position + 1 :]
    return x, letters


def _tensordot(call: Call) -> int:
    given = call.literal("dims" if "dims" in call.params else "axes", 0, 2)
    if type(given) is int:
        return call.graph.op("tensordot", *call.tensors, axes=given)
    pair = given if isinstance(given, (list, tuple)) and len(given) == 2 else None
    if pair is not None and all(type(d) is int for d in pair):
        pair = ([pair[0]], [pair[1]])  # np.tensordot(a, b, axes=(1, 0)): one dim of each
    if pair is None or not all(isinstance(side, (list, tuple)) and all(type(d) is int for d in side) for side in pair):
        raise ExprError(f"{call.graph.name}() takes dims as a number or a pair of lists of dims, e.g. dims=([1], [0])", call.graph.col)
    return call.graph.op("tensordot", *call.tensors, axes=(tuple(pair[0]), tuple(pair[1])))


def _slogdet(call: Call) -> int:
    g, x = call.graph, call.tensors[0]
    return g.op("logabsdet", x) if part_index(call) == 1 else g.op("sign", g.op("det", x))


def _lapack_ex(compose: Callable[[Call], int], arity: int, keywords: tuple[str, ...] = ()) -> Function:
    """linalg.inv_ex(A)[0], linalg.solve_ex(A, B)[0]: inv and solve; [1] is LAPACK's info code, nothing to differentiate."""

    def first(call: Call) -> int:
        if part_index(call) != 0:
            raise ExprError(f"{call.graph.name}()[1] is LAPACK's info code, not a tensor: take [0]", call.graph.col)
        return compose(call)

    return spelling(first, (arity, arity), keywords=("check_errors", PART, *keywords))


def _linalg_solve(numpy_style: bool) -> Callable[[Call], int]:
    """torch.linalg.solve(A, B, *, left=True) and np.linalg.solve(a, b) over stacks: B is a stack of vectors where it is
    1-D, or (torch only) where its shape is A's without the last dim; X A = B where left is False."""

    def compose(call: Call) -> int:
        g, (a, b) = call.graph, call.tensors
        shape_a = g.builder.known_shape(a, g.col, f"{g.name}()")
        try:
            shape_b = g.builder.known_shape(b, g.col, f"{g.name}()")
        except NeedsValues:
            if len(shape_a) == 2 and call.flag("left", True):  # NOTE: parsed without the inputs: B a vector or one matrix
                return g.op("solve", a, b)
            raise
        vectors = len(shape_b) == 1 or (not numpy_style and len(shape_b) == len(shape_a) - 1 and tuple(shape_b) == tuple(shape_a[:-1]))
        if not call.flag("left", True):
            if vectors:
                raise ExprError(f"{g.name}(left=False) takes B as matrices (..., k, n), not vectors", g.col)
            return _transposed(g, _solve(g, _transposed(g, a), _transposed(g, b)))
        if not vectors:
            return _solve(g, a, b)
        return g.op("squeeze", _solve(g, a, g.op("expand_dims", b, dim=-1)), dim=-1)

    return compose


def _solve(g: Graph, a: int, b: int) -> int:
    """A^-1 B: the solve primitive for one matrix, inv(A) @ B over a stack of matrices (..., n, n) with (..., n, k)."""
    if len(g.builder.known_shape(a, g.col, f"{g.name}()")) == 2 and len(g.builder.known_shape(b, g.col, f"{g.name}()")) <= 2:
        return g.op("solve", a, b)
    return g.op("matmul", g.op("inv", a), b)


def _triangle(g: Graph, a: int, upper: bool, unitriangular: bool = False) -> int:
    """The triangle of A that LAPACK reads (with ones on the diagonal where it is unit): the rest of A takes no gradient."""
    if not unitriangular:
        return g.op("triu" if upper else "tril", a, k=0)
    n = g.builder.known_shape(a, g.col, f"{g.name}()")[-1]
    return g.op("add", g.op("triu" if upper else "tril", a, k=1 if upper else -1), g.const(np.eye(n)))


def _transposed(g: Graph, x: int) -> int:
    return g.op("transpose", x, dim0=-2, dim1=-1)


def _solve_triangular(call: Call) -> int:
    """torch.linalg.solve_triangular(A, B, *, upper, left=True, unitriangular=False): X with A X = B (X A = B where
    left is False), A's other triangle not read."""
    g, (a, b) = call.graph, call.tensors
    if "upper" not in call.params:
        raise ExprError(f"{g.name}() needs upper=True or upper=False, as torch does", g.col)
    t = _triangle(g, a, call.flag("upper", False), call.flag("unitriangular", False))
    if call.flag("left", True):
        return _solve(g, t, b)
    return _transposed(g, _solve(g, _transposed(g, t), _transposed(g, b)))


def _triangular_solve(call: Call) -> int:
    """torch.triangular_solve(b, A, upper=True, transpose=False, unitriangular=False): (X, A's copy) with A X = b
    (A^T X = b where transpose); [0] the solution."""
    g, (b, a) = call.graph, call.tensors
    if part_index(call) != 0:
        raise ExprError(f"{g.name}()[1] is a copy of A: take [0], the solution", g.col)
    t = _triangle(g, a, call.flag("upper", True), call.flag("unitriangular", False))
    return _solve(g, _transposed(g, t) if call.flag("transpose", False) else t, b)


def _upper_factor(call: Call) -> bool:
    """The upper flag of the Cholesky spellings, by keyword or written after the tensors (torch.cholesky(A, True))."""
    upper = call.literal("upper", 0, False)
    if not isinstance(upper, bool):
        raise ExprError(f"{call.graph.name}() takes upper as True or False", call.graph.col)
    return upper


def _cholesky(call: Call) -> int:
    """torch.linalg.cholesky(A, *, upper=False), torch.cholesky(A, upper=False), np.linalg.cholesky(a, *, upper=False):
    L with L L^T = A from A's lower triangle; upper=True gives U with U^T U = A from the upper triangle, which is
    cholesky(A^T)^T exactly (the lower factor of the matrix A's upper triangle mirrors)."""
    g, x = call.graph, call.tensors[0]
    if not _upper_factor(call):
        return g.op("cholesky", x)
    return _transposed(g, g.op("cholesky", _transposed(g, x)))


def _cholesky_ex(call: Call) -> int:
    """torch.linalg.cholesky_ex(A, *, upper=False, check_errors=False): [0] (.L) the factor; [1] is LAPACK's info code."""
    if part_index(call) != 0:
        raise ExprError(f"{call.graph.name}()[1] is LAPACK's info code, not a tensor: take [0]", call.graph.col)
    return _cholesky(call)


def _cholesky_product(call: Call, factor: int) -> int:
    """L L^T (U^T U where upper=True) of the triangle of the factor that LAPACK reads."""
    g = call.graph
    upper = _upper_factor(call)
    t = _triangle(g, factor, upper)
    return g.op("matmul", _transposed(g, t), t) if upper else g.op("matmul", t, _transposed(g, t))


def _cholesky_solve(call: Call) -> int:
    """torch.cholesky_solve(B, L, upper=False): X with (L L^T) X = B."""
    b, factor = call.tensors
    return _solve(call.graph, _cholesky_product(call, factor), b)


def _cholesky_inverse(call: Call) -> int:
    """torch.cholesky_inverse(L, upper=False): (L L^T)^-1."""
    return call.graph.op("inv", _cholesky_product(call, call.tensors[0]))


def _lu_matrix(call: Call, lu: int, pivots: int) -> int:
    """P L U from LAPACK's packed factors: L unit lower, U upper, P the row swaps of the (1-based) pivots, read at the
    case's values (whole numbers, constants)."""
    g = call.graph
    shape = g.builder.known_shape(lu, g.col, f"{g.name}()")
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ExprError(f"not supported yet: {g.name}() of a batch of factorizations (LU of shape {shape})", g.col)
    n = shape[0]
    swaps = g.builder.known_value(pivots, g.col, f"the pivots of {g.name}()")
    swaps = np.asarray(swaps, dtype=np.float64).reshape(-1)
    if swaps.shape != (n,) or not np.all(swaps == np.round(swaps)) or not np.all((swaps >= 1) & (swaps <= n)):
        raise ExprError(f"{g.name}() takes pivots as {n} whole numbers from 1 to {n} (LAPACK's row swaps)", g.col)
    rows = list(range(n))
    for i, j in enumerate(swaps.astype(int) - 1):  # NOTE: row i was swapped with row j, in order: A = P L U
        rows[i], rows[j] = rows[j], rows[i]
    permutation = np.zeros((n, n))
    permutation[rows, range(n)] = 1.0
    lower, upper = _triangle(g, lu, upper=False, unitriangular=True), _triangle(g, lu, upper=True)
    return g.op("add", g.op("matmul", g.const(permutation), g.op("matmul", lower, upper)), pivots_read(g, pivots))


def pivots_read(g: Graph, pivots: int) -> int:
    """0, computed from the pivots: read at the case's values only, they would be no node of the program, and the
    torch engine could not call torch's own function with them (a call reading a node the output does not need is
    dropped)."""
    return g.op("mul", g.reduce("sum", g.op("stop_gradient", pivots)), g.const(0.0))


def _lu_solve(call: Call) -> int:
    """torch.lu_solve(B, LU, pivots): X with (P L U) X = B."""
    b, lu, pivots = call.tensors
    return _solve(call.graph, _lu_matrix(call, lu, pivots), b)


def _linalg_lu_solve(call: Call) -> int:
    """torch.linalg.lu_solve(LU, pivots, B, *, left=True, adjoint=False): X with A X = B (X A = B where left is False;
    A^T for A where adjoint), A = P L U."""
    g, (lu, pivots, b) = call.graph, call.tensors
    a = _lu_matrix(call, lu, pivots)
    if call.flag("adjoint", False):
        a = _transposed(g, a)
    if call.flag("left", True):
        return _solve(g, a, b)
    return _transposed(g, _solve(g, _transposed(g, a), _transposed(g, b)))


def lapack_pivots(a: np.ndarray) -> np.ndarray:
    """LAPACK's getrf pivots (1-based, of each matrix of a stack): row i swapped with row pivots[i], the largest |entry|
    of column i at or below the diagonal, in partial pivoting's elimination. A tie for it raises ValueError."""
    a = np.array(a, dtype=np.float64)
    m, n = a.shape[-2:]
    pivots = np.zeros(a.shape[:-2] + (min(m, n),), dtype=np.int64)
    for index in np.ndindex(a.shape[:-2]):
        u = a[index]
        for i in range(min(m, n)):
            column = np.abs(u[i:, i])
            j = i + int(np.argmax(column))
            if np.count_nonzero(column == column[j - i]) > 1 and column[j - i] > 0:
                raise ValueError(f"a tie for the pivot of column {i}")
            pivots[index + (i,)] = j + 1
            u[[i, j]] = u[[j, i]]
            if u[i, i] != 0:
                u[i + 1 :, i:] -= np.outer(u[i + 1 :, i] / u[i, i], u[i, i:])
    return pivots


def _permutation(pivots: np.ndarray, m: int) -> np.ndarray:
    """P (m, m) of each matrix of a stack with A = P L U, from LAPACK's 1-based row swaps, made in order."""
    out = np.zeros(pivots.shape[:-1] + (m, m))
    for index in np.ndindex(pivots.shape[:-1]):
        rows = list(range(m))
        for i, j in enumerate(pivots[index] - 1):
            rows[i], rows[j] = rows[j], rows[i]
        out[index + (rows, tuple(range(m)))] = 1.0
    return out


def _lu_factors(call: Call) -> tuple[int, int, np.ndarray, np.ndarray]:
    """L (m, k) unit lower and U (k, n) upper of A (..., m, n), k = min(m, n), with P^T A = L U: P from LAPACK's pivots
    read at the case's values (fixed, as sorting's permutation), then Doolittle's elimination without pivoting, row j of
    U and column j of L in turn; the entries outside each triangle are cut off (tril, triu), so they take no gradient."""
    g, a = call.graph, call.tensors[0]
    shape = _shape(call, a)
    if call.literal("pivot", 0, True) is not True:
        raise ExprError(f"not supported: {g.name}(pivot=False) (torch computes it on CUDA only)", g.col)
    try:
        pivots = lapack_pivots(g.builder.known_value(a, g.col, f"{g.name}()"))
    except ValueError as err:
        raise ExprError(f"not supported: {g.name}() where {err} (which row LAPACK takes is its own choice)", g.col) from None
    m, n = shape[-2:]
    k = min(m, n)
    permutation = _permutation(pivots, m)
    b = g.op("matmul", g.const(np.swapaxes(permutation, -1, -2)), a)  # P^T A
    rows: int | None = None  # U's rows so far (..., j, n)
    columns: int | None = None  # L's columns so far (..., m, j)
    for j in range(k):
        row = g.op("index", b, key=(Ellipsis, slice(j, j + 1), slice(None)))
        column = g.op("index", b, key=(Ellipsis, slice(None), slice(j, j + 1)))
        if j:
            lower_row = g.op("index", columns, key=(Ellipsis, slice(j, j + 1), slice(None)))
            row = g.op("sub", row, g.op("matmul", lower_row, rows))
            column = g.op("sub", column, g.op("matmul", columns, g.op("index", rows, key=(Ellipsis, slice(None), slice(j, j + 1)))))
        column = g.op("div", column, g.op("index", row, key=(Ellipsis, slice(None), slice(j, j + 1))))
        rows = row if rows is None else g.op("concat", rows, row, dim=-2)
        columns = column if columns is None else g.op("concat", columns, column, dim=-1)
    lower = g.op("add", g.op("tril", columns, k=-1), g.const(np.eye(m, k)))
    return lower, g.op("triu", rows, k=0), permutation, pivots


def _lu(call: Call) -> int:
    """torch.linalg.lu(A, *, pivot=True): (P, L, U) with A = P L U; P a constant (no gradient)."""
    part = _one_of(call, ("P", "L", "U"))
    if part == 0:
        return call.graph.const(_lu_factors(call)[2])
    return _lu_factors(call)[part - 1]


def _lu_factor(call: Call) -> int:
    """torch.linalg.lu_factor(A, *, pivot=True), lu_factor_ex, torch.lu(A, pivot=True, get_infos=False): (LU, pivots[, info]),
    LU packing L's strict lower triangle and U (m, n), the pivots LAPACK's 1-based row swaps (constants), info 0."""
    g = call.graph
    part = _one_of(call, ("LU", "pivots", "info"))
    lower, upper, _, pivots = _lu_factors(call)
    if part == 1:
        return g.const(pivots.astype(np.float64))
    if part == 2:
        return g.const(np.zeros(pivots.shape[:-1]))
    m, n = _shape(call, call.tensors[0])[-2:]
    if m > n:  # NOTE: U's rows padded to m with zeros, L's columns to n (tall: L is m x n already)
        upper = g.op("concat", upper, g.op("mul", g.op("index", lower, key=(Ellipsis, slice(n, m), slice(None))), g.const(0.0)), dim=-2)
    elif n > m:
        lower = g.op("concat", lower, g.op("mul", g.op("index", upper, key=(Ellipsis, slice(None), slice(m, n))), g.const(0.0)), dim=-1)
    return g.op("add", g.op("tril", lower, k=-1), upper)


def _lu_unpack(call: Call) -> int:
    """torch.lu_unpack(LU_data, LU_pivots): (P, L, U) from LAPACK's packed factors (m, n) of a matrix or a stack: L
    unit lower (m, k) and U upper (k, n) read from their triangles, P from the 1-based row swaps (constants)."""
    g, (lu, pivots) = call.graph, call.tensors
    part = _one_of(call, ("P", "L", "U"))
    m, n = _shape(call, lu)[-2:]
    k = min(m, n)
    if part == 0:
        swaps = whole_numbers(g.builder.known_value(pivots, g.col, f"the pivots of {g.name}()"), f"the pivots of {g.name}()", g.col)
        if swaps.shape[-1:] != (k,) or np.any((swaps < 1) | (swaps > m)):
            raise ExprError(f"{g.name}() takes pivots as {k} whole numbers from 1 to {m} (LAPACK's row swaps)", g.col)
        return g.op("add", g.const(_permutation(swaps, m)), pivots_read(g, pivots))
    if part == 1:
        lower = g.op("index", lu, key=(Ellipsis, slice(None), slice(0, k)))
        return g.op("add", g.op("add", g.op("tril", lower, k=-1), g.const(np.eye(m, k))), pivots_read(g, pivots))
    return g.op("add", g.op("triu", g.op("index", lu, key=(Ellipsis, slice(0, k), slice(None))), k=0), pivots_read(g, pivots))


def _householder_q(call: Call, a: int, tau: int) -> int:
    """Q = H_1 ... H_k (m, m) of each matrix of a stack, H_i = I - tau_i v_i v_i^T, v_i column i of A below the diagonal
    with 1 on it (LAPACK's reflectors: the rest of A is not read, so it takes no gradient)."""
    g = call.graph
    m, n = _shape(call, a)[-2:]
    k = g.builder.known_shape(tau, g.col, f"{g.name}()")[-1]
    if k > min(m, n):
        raise ExprError(f"{g.name}(): tau has {k} scalars, more than the {min(m, n)} reflectors of a {m} x {n} A", g.col)
    vectors = g.op("add", g.op("tril", a, k=-1), g.const(np.eye(m, n)))
    q = None
    for i in range(k):
        v = g.op("index", vectors, key=(Ellipsis, slice(None), slice(i, i + 1)))
        scale = g.op("expand_dims", g.op("expand_dims", g.op("index", tau, key=(Ellipsis, i)), dim=-1), dim=-1)
        h = g.op("sub", g.const(np.eye(m)), g.op("mul", scale, g.op("matmul", v, _transposed(g, v))))
        q = h if q is None else g.op("matmul", q, h)
    return q if q is not None else g.op("add", g.op("mul", g.op("matmul", a, _transposed(g, a)), g.const(0.0)), g.const(np.eye(m)))


def _householder_product(call: Call) -> int:
    """torch.linalg.householder_product(A, tau), torch.orgqr: the first n columns of Q = H_1 ... H_k."""
    g, (a, tau) = call.graph, call.tensors
    n = _shape(call, a)[-1]
    return g.op("index", _householder_q(call, a, tau), key=(Ellipsis, slice(None), slice(0, n)))


def _ormqr(call: Call) -> int:
    """torch.ormqr(A, tau, C, left=True, transpose=False): Q C, Q^T C, C Q or C Q^T, Q = H_1 ... H_k the full (m, m)
    product of A's reflectors."""
    g, (a, tau, c) = call.graph, call.tensors
    q = _householder_q(call, a, tau)
    if call.flag("transpose", False):
        q = _transposed(g, q)
    return g.op("matmul", q, c) if call.flag("left", True) else g.op("matmul", c, q)


def _kron(call: Call) -> int:
    """torch.kron(a, b), np.kron: the Kronecker product, block (i, j, ...) being a[i, j, ...] * b; the shorter shape
    padded with leading 1s."""
    g, (a, b) = call.graph, call.tensors
    sa, sb = (g.builder.known_shape(t, g.col, f"{g.name}()") for t in (a, b))
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    spread_a = g.op("reshape", a, shape=tuple(v for size in sa for v in (size, 1)))
    spread_b = g.op("reshape", b, shape=tuple(v for size in sb for v in (1, size)))
    return g.op("reshape", g.op("mul", spread_a, spread_b), shape=tuple(x * y for x, y in zip(sa, sb)))


def _renorm(call: Call) -> int:
    """torch.renorm(x, p, dim, maxnorm): each slice of x along dim whose p-norm (over the other dims) exceeds maxnorm,
    scaled by maxnorm / (norm + 1e-7), as torch; the others as they are (which ones, fixed by the comparison)."""
    g, x = call.graph, call.tensors[0]
    p, dim, maxnorm = call.scalar("p", 0, 2.0), call.integer("dim", 1, None), call.scalar("maxnorm", 2, 1.0)
    n = len(g.builder.known_shape(x, g.col, f"{g.name}()"))
    if dim is None or not -n <= dim < n:
        raise ExprError(f"{g.name}() takes dim within the {n} dims of x", g.col)
    norm = vector_norm(g, x, p, tuple(d for d in range(n) if d != dim % n), True)
    over = g.op("gt", norm, g.const(maxnorm))
    shrink = g.op("sub", g.op("div", g.const(maxnorm), g.op("add", norm, g.const(1e-7))), g.const(1.0))
    return g.op("mul", x, g.op("add", g.const(1.0), g.op("select", over, shrink)))


def _vander(call: Call) -> int:
    """torch.linalg.vander(x, N=None): (..., n) to (..., n, N), column k holding x**k (k from 0), as running products
    (as torch computes it; exact at x = 0)."""
    g, x = call.graph, call.tensors[0]
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if not shape:  # NOTE: a 0-d x is read as one element, as torch reads it
        x, shape = g.op("reshape", x, shape=(1,)), (1,)
    n = call.integer("N", 0, None)
    n = shape[-1] if n is None else n
    if n < 1:
        raise ExprError(f"{g.name}() takes N >= 1, got {n}", g.col)
    ones = g.op("broadcast_to", g.const(1.0), shape=(*shape, 1))
    if n == 1:
        return ones
    column = g.op("expand_dims", x, dim=-1)
    powers = g.op("concat", ones, g.op("tile", column, reps=(1,) * len(shape) + (n - 1,)), dim=-1)
    return g.op("cumprod", powers, dim=-1)


# --- decompositions: the primitives of decompose.py; R, pinv's hermitian reading, lstsq composed from them -----------


def _shape(call: Call, x: int) -> tuple[int, ...]:
    g = call.graph
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if len(shape) < 2:
        raise ExprError(f"{g.name}() takes a matrix (or a stack of them), got shape {shape}", g.col)
    return shape


def symmetric_from(call: Call, x: int, upper: bool) -> int:
    """The symmetric matrix LAPACK reads from one triangle of each matrix of x: the lower, or the upper (UPLO='U').

    NOTE: as for cholesky, the other triangle is never read, so its gradient is 0 and the read one's counts twice."""
    g, shape = call.graph, _shape(call, x)
    if shape[-1] != shape[-2]:
        raise ExprError(f"{g.name}() takes square matrices, got shape {shape}", g.col)
    kept = np.triu(np.ones(shape[-2:])) if upper else np.tril(np.ones(shape[-2:]))
    mirrored = g.op("transpose", g.op("mul", x, g.const(kept - np.eye(shape[-1]))), dim0=-2, dim1=-1)
    return g.op("add", g.op("mul", x, g.const(kept)), mirrored)


def _upper(call: Call) -> bool:
    uplo = call.literal("UPLO", 0, "L")
    if uplo not in ("L", "U"):
        raise ExprError(f"{call.graph.name}() takes UPLO as 'L' or 'U'", call.graph.col)
    return uplo == "U"


def _one_of(call: Call, names: tuple[str, ...]) -> int:
    """The part of a tuple result taken, among those verifygrad reads (named in the error)."""
    part = part_index(call)
    if not 0 <= part < len(names) or not names[part]:
        taken = ", ".join(f"[{k}] {name}" for k, name in enumerate(names) if name)
        raise ExprError(f"{call.graph.name}() results read here: {taken}", call.graph.col)
    return part


def _eigh(call: Call) -> int:
    """torch.linalg.eigh(A, UPLO='L'), np.linalg.eigh: [0] the eigenvalues ascending, [1] the eigenvectors (columns)."""
    part = _one_of(call, ("eigenvalues", "eigenvectors"))
    return call.graph.op(("eigvalsh", "eigvecsh")[part], symmetric_from(call, call.tensors[0], _upper(call)))


def _eigvalsh(call: Call) -> int:
    return call.graph.op("eigvalsh", symmetric_from(call, call.tensors[0], _upper(call)))


def _svd(library: str) -> Callable[[Call], int]:
    """torch.linalg.svd(A, full_matrices=True) and np.linalg.svd (U, S, Vh), torch.svd(A, some=True) (U, S, V).

    NOTE: where full_matrices asks for more singular vectors than singular values (a non-square matrix), the extra ones
    are any orthonormal completion (each library its own): they are nan here, so a program that uses them is not
    verified, and one that slices them away (U[..., :k], as torch's own tests do) is."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        shape = _shape(call, x)
        m, n = shape[-2:]
        if library == "numpy" and not call.literal("compute_uv", 1, True):
            if call.part() is not None:
                raise ExprError(f"{g.name}(compute_uv=False) is the singular values alone: index it after naming it", g.col)
            return g.op("svdvals", x)
        if call.literal("hermitian", 2, False):
            raise ExprError(f"not supported yet: {g.name}(hermitian=True)", g.col)
        part = _one_of(call, ("U", "S", "V" if library == "torch" else "Vh"))
        full = not call.literal("some", 0, True) if library == "torch" else call.literal("full_matrices", 0, True)
        k = min(m, n)
        if part == 1:
            return g.op("svdvals", x)
        if part == 0:
            u = g.op("svd_u", x)
            return g.op("concat", u, g.const(np.full(shape[:-1] + (m - k,), np.nan)), dim=-1) if full and m > k else u
        vh = g.op("svd_vh", x)
        vh = g.op("concat", vh, g.const(np.full(shape[:-2] + (n - k, n), np.nan)), dim=-2) if full and n > k else vh
        return g.op("transpose", vh, dim0=-2, dim1=-1) if library == "torch" else vh

    return compose


def _qr(library: str) -> Callable[[Call], int]:
    """torch.linalg.qr(A, mode='reduced'), np.linalg.qr, torch.qr(A, some=True): Q (a primitive, on the first m columns
    of a wide matrix) and R = Q^T A with its lower triangle 0. np.linalg.qr(a, mode='r') is R alone."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        m, n = _shape(call, x)[-2:]
        mode = ("reduced" if call.literal("some", 0, True) else "complete") if library == "torch" else call.literal("mode", 0, "reduced")
        if mode not in ("reduced", "complete", "r"):
            raise ExprError(f"not supported: {g.name}(mode={mode!r}); 'reduced', 'complete' or 'r'", g.col)
        if mode == "complete" and m > n:
            raise ExprError(f"{g.name}(mode='complete') of a tall matrix: Q's columns beyond n = {n} are any completion; write mode='reduced'", g.col)
        part = 1 if library == "numpy" and mode == "r" else _one_of(call, ("Q", "R"))
        q = g.op("qr_q", x if m >= n else g.op("index", x, key=(Ellipsis, slice(0, m))))
        if part == 0:
            return q
        k = min(m, n)
        return g.op("mul", g.op("matmul", g.op("transpose", q, dim0=-2, dim1=-1), x), g.const(np.triu(np.ones((k, n)))))

    return compose


def _tolerance(call: Call, key: str) -> float | None:
    """A cutoff given by keyword: a number, None, or a 0-d tensor (fixed at the case's value)."""
    g, given = call.graph, call.params.get(key)
    if given is None and key == "rcond" and call.dims:  # NOTE: the one cutoff torch.pinverse, np.linalg.pinv and lstsq take by position
        given = call.dims[0]
        return None if given is None else float(given)
    if given is None or (isinstance(given, ast.Constant) and given.value is None):
        return None
    if isinstance(given, ast.AST):
        try:
            value = literal(given)
        except ExprError:
            value = g.builder.known_value(g.builder.visit_keyword(given), g.col, f"{g.name}()'s {key}")
        if np.size(value) != 1:
            raise ExprError(f"{g.name}() takes {key} as one number", g.col)
        return float(np.ravel(value)[0])
    return call.number(key, 0.0)


def _pinv(call: Call) -> int:
    """torch.linalg.pinv(A, *, atol, rtol, hermitian), torch.pinverse(A, rcond), np.linalg.pinv(a, rcond, hermitian, *, rtol):
    where the cutoff keeps every singular value (or none) it is differentiable; hermitian reads the lower triangle."""
    g, x = call.graph, call.tensors[0]
    rtol = next((value for key in ("rtol", "rcond") if (value := _tolerance(call, key)) is not None), None)
    atol = _tolerance(call, "atol") or 0.0
    if call.literal("hermitian", 1, False):
        x = symmetric_from(call, x, upper=False)
    return g.op("pinv", x, rtol=rtol, atol=atol)


def _lstsq(call: Call) -> int:
    """torch.linalg.lstsq(A, B, rcond=None, *, driver), np.linalg.lstsq(a, b, rcond): [0] the least-squares (for a wide
    A, the least-norm) solution pinv(A) @ B, where A has full rank (as every driver then answers)."""
    _one_of(call, ("solution",))
    g, (a, b) = call.graph, call.tensors
    return g.op("matmul", g.op("pinv", a, rtol=_tolerance(call, "rcond"), atol=0.0), b)


def _cond(call: Call) -> int:
    """torch.linalg.cond(A, p=None), np.linalg.cond(x, p=None): the largest singular value over the smallest (p None or 2;
    -2 the inverse), else norm(A, p) * norm(inv(A), p)."""
    g, x = call.graph, call.tensors[0]
    order = _order(call, ("p",), None)
    if order in (None, 2, -2):
        values = g.op("svdvals", x)
        largest, smallest = (g.op("index", values, key=(Ellipsis, k)) for k in (0, -1))
        return g.op("div", largest, smallest) if order != -2 else g.op("div", smallest, largest)
    return g.op("mul", matrix_norm(g, x, order, (-2, -1), False), matrix_norm(g, g.op("inv", x), order, (-2, -1), False))


_NORM = ("dim", "keepdim")

SPELLINGS: dict[str, Function] = {
    "norm": spelling(_torch_norm, (1, 1), keywords=("p", *_NORM)),
    "linalg.norm": spelling(_linalg_norm, (1, 1), keywords=("ord", *_NORM)),
    "np.norm": spelling(_linalg_norm, (1, 1), keywords=("ord", "axis", "keepdims")),
    "vector_norm": spelling(_vector_norm, (1, 1), keywords=("ord", *_NORM)),
    "cdist": spelling(_cdist, (2, 2), keywords=("p", "compute_mode")),
    "pairwise_distance": spelling(_pairwise_distance, (2, 2), keywords=("p", "eps", "keepdim")),
    "matrix_norm": spelling(_matrix_norm, (1, 1), keywords=("ord", *_NORM)),
    "det": alias("det"),
    "inv": alias("inv"),
    "inverse": alias("inv"),
    "solve": spelling(_linalg_solve(numpy_style=False), (2, 2), keywords=("left",)),
    "np.solve": spelling(_linalg_solve(numpy_style=True), (2, 2)),
    "inv_ex": _lapack_ex(lambda call: call.graph.op("inv", call.tensors[0]), 1),
    "solve_ex": _lapack_ex(_linalg_solve(numpy_style=False), 2, keywords=("left",)),
    "cholesky": spelling(_cholesky, (1, 1), ("upper",)),
    "cholesky_ex": spelling(_cholesky_ex, (1, 1), keywords=("upper", "check_errors", PART)),
    "solve_triangular": spelling(_solve_triangular, (2, 2), keywords=("upper", "left", "unitriangular")),
    "triangular_solve": spelling(_triangular_solve, (2, 2), ("upper", "transpose", "unitriangular"), keywords=(PART,)),
    "cholesky_solve": spelling(_cholesky_solve, (2, 2), ("upper",)),
    "cholesky_inverse": spelling(_cholesky_inverse, (1, 1), ("upper",)),
    "linalg.vander": spelling(_vander, (1, 1), keywords=("N",)),
    "renorm": spelling(_renorm, (1, 1), keywords=("p", "dim", "maxnorm")),
    "kron": spelling(_kron, (2, 2)),
    "lu_solve": spelling(_lu_solve, (3, 3)),
    "lu_unpack": spelling(_lu_unpack, (2, 2), keywords=("unpack_data", "unpack_pivots", PART)),
    "householder_product": spelling(_householder_product, (2, 2)),
    "orgqr": spelling(_householder_product, (2, 2)),
    "ormqr": spelling(_ormqr, (3, 3), keywords=("left", "transpose")),
    "linalg.lu": spelling(_lu, (1, 1), keywords=("pivot", PART)),
    "linalg.lu_factor": spelling(_lu_factor, (1, 1), keywords=("pivot", PART)),
    "linalg.lu_factor_ex": spelling(_lu_factor, (1, 1), keywords=("pivot", "check_errors", PART)),
    "lu": spelling(_lu_factor, (1, 1), keywords=("pivot", "get_infos", PART)),
    "linalg.lu_solve": spelling(_linalg_lu_solve, (3, 3), keywords=("left", "adjoint")),
    "eigh": spelling(_eigh, (1, 1), keywords=("UPLO", PART)),
    "eigvalsh": spelling(_eigvalsh, (1, 1), keywords=("UPLO",)),
    "svd": spelling(_svd("torch"), (1, 1), keywords=("some", "compute_uv", PART)),
    "linalg.svd": spelling(_svd("linalg"), (1, 1), keywords=("full_matrices", "driver", PART)),
    "np.svd": spelling(_svd("numpy"), (1, 1), keywords=("full_matrices", "compute_uv", "hermitian", PART)),
    "svdvals": spelling(lambda call: call.graph.op("svdvals", call.tensors[0]), (1, 1), keywords=("driver",)),
    "qr": spelling(_qr("torch"), (1, 1), keywords=("some", PART)),
    "linalg.qr": spelling(_qr("linalg"), (1, 1), keywords=("mode", PART)),
    "np.qr": spelling(_qr("numpy"), (1, 1), keywords=("mode", PART)),
    "pinv": spelling(_pinv, (1, 1), keywords=("rcond", "hermitian", "atol", "rtol")),
    "pinverse": spelling(_pinv, (1, 1), keywords=("rcond",)),
    "lstsq": spelling(_lstsq, (2, 2), keywords=("rcond", "driver", PART)),
    "cond": spelling(_cond, (1, 1), keywords=("p",)),
    "einsum": spelling(einsum_call, (1, 16), keywords=("equation",)),
    "tensordot": spelling(_tensordot, (2, 2), keywords=("dims", "axes")),
    "logdet": unary(lambda g, x: g.op("log", g.op("det", x))),
    "slogdet": spelling(_slogdet, (1, 1), keywords=(PART,)),
    "np.trace": spelling(_trace, (1, 1), keywords=("offset",)),
    "np.dot": spelling(_numpy_dot, (2, 2)),
    "cross": spelling(_cross(default_last=False), (2, 2), keywords=("dim",)),
    "dist": spelling(_dist, (2, 2), keywords=("p",)),
    "trapezoid": spelling(_trapezoid(cumulative=False), (1, 2), keywords=("x", "dx", "dim")),
    "trapz": spelling(_trapezoid(cumulative=False), (1, 2), keywords=("x", "dx", "dim")),
    "cumulative_trapezoid": spelling(_trapezoid(cumulative=True), (1, 2), keywords=("x", "dx", "dim")),
    "pdist": spelling(_pdist, (1, 1), keywords=("p",)),
    "bilinear": spelling(_bilinear, (3, 4), keywords=("bias",)),
    "vecdot": spelling(_vecdot, (2, 2), keywords=("dim",)),
    "inner": spelling(_inner, (2, 2)),
    "vdot": spelling(lambda call: call.graph.checked((frozenset({1}), frozenset({1})), "matmul", *call.tensors), (2, 2)),
    "matrix_power": spelling(_matrix_power, (1, 1), keywords=("n",)),
    "matrix_exp": alias("expm"),
    "multi_dot": spelling(_multi_dot, (2, 16), keywords=("tensors",)),
    "linalg.cross": spelling(_cross(default_last=True), (2, 2), keywords=("dim",)),
    "np.cross": spelling(_numpy_cross, (2, 2), keywords=("axisa", "axisb", "axisc", "axis")),
}  # fmt: skip

LITERAL_POSITIONAL = frozenset({
    "cholesky", "cholesky_solve", "cholesky_inverse",
    "lu", "linalg.lu", "linalg.lu_factor", "linalg.lu_factor_ex", "lu_unpack", "cross", "linalg.cross", "np.cross", "dist", "pdist", "vecdot", "matrix_power",
    "einsum", "tensordot", "np.trace", "eigh", "eigvalsh", "svd", "linalg.svd", "np.svd", "qr", "linalg.qr", "np.qr", "pinv", "pinverse",
    "lstsq", "cond", "renorm", "norm", "linalg.norm", "np.norm", "vector_norm", "matrix_norm", "cdist", "pairwise_distance",
})  # fmt: skip
# Of those, the names whose positional numbers are parameters too (a norm's order 1.5), not tensors.
NUMBER_POSITIONAL = frozenset({
    "renorm", "pinv", "pinverse", "lstsq", "cond",
    "pdist", "dist", "norm", "linalg.norm", "np.norm", "vector_norm", "matrix_norm", "cdist", "pairwise_distance",
})  # fmt: skip
UNSUPPORTED = dict.fromkeys(("eig", "eigvals"), "eigendecompositions of general (non-symmetric) matrices: complex results")
UNSUPPORTED["matrix_rank"] = "matrix_rank: a whole number, with no derivative"
TUPLE_RESULTS = frozenset({
    "linalg.lu", "linalg.lu_factor", "linalg.lu_factor_ex", "lu", "lu_unpack", "eigh", "svd", "linalg.svd", "np.svd", "qr", "linalg.qr", "np.qr", "lstsq",
    "triangular_solve", "cholesky_ex",
})  # fmt: skip
# The named fields of tuple results whose names are their own (torch.linalg.lu(A).U is [2], svd's .U is [0]).
NAMED_PARTS = {
    "linalg.lu": {"P": 0, "L": 1, "U": 2}, "lu_unpack": {"P": 0, "L": 1, "U": 2},
    "linalg.lu_factor": {"LU": 0, "pivots": 1}, "linalg.lu_factor_ex": {"LU": 0, "pivots": 1, "info": 2}, "cholesky_ex": {"L": 0, "info": 1},
}  # fmt: skip
# Tuple results whose parts are vectors with a sign convention (decompose.py): a library's own call gives its own signs.
SIGNED_PARTS: dict[str, frozenset[int]] = {"eigh": frozenset({1}), "svd": frozenset({0, 2})}
