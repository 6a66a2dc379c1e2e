"""jax.lax's structural spellings, composed: dot_general (an einsum), slice and dynamic_slice (an index), broadcast_in_dim
(a reshape and a broadcast), pad with interior padding (a scatter, then a pad), reduce_window with lax.add or lax.max (a
gather of the windows, then a sum or a max) and conv_general_dilated (the convolution of spellings/convolution.py).

bindings.py reads ``lax.<name>`` as the key ``lax.<name>`` for these; lax's other names are numpy's or renamed there.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from verifygrad.language.spellings import convolution, linalg, sorting
from verifygrad.language.spellings.compose import Call, Graph, nested_tuple, spelling, whole_numbers
from verifygrad.language.spellings.shape import reordered
from verifygrad.language.syntax import ExprError, Function, dotted

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _shape(g: Graph, x: int) -> tuple[int, ...]:
    return tuple(g.builder.known_shape(x, g.col, f"{g.name}()"))


def _ints(call: Call, key: str, position: int, default: Any = None) -> tuple[int, ...] | None:
    value = call.literal(key, position, default)
    if value is None:
        return None
    value = list(value) if isinstance(value, (list, tuple)) else [value]
    if not all(type(v) is int for v in value):
        raise ExprError(f"{call.graph.name}() takes {key} as whole numbers", call.graph.col)
    return tuple(value)


def _written(value: Any) -> ast.expr:
    """A literal of numbers this module computed (never user text), as the AST a spelling's parameter is."""
    return ast.parse(repr(value), mode="eval").body


def _dot_general(call: Call) -> int:
    """lax.dot_general(lhs, rhs, (((lhs_contracting), (rhs_contracting)), ((lhs_batch), (rhs_batch)))): the batch dims,
    then lhs's free dims, then rhs's, in order, as an einsum."""
    g, (x, y) = call.graph, call.tensors
    numbers = call.literal("dimension_numbers", 0, None)
    try:
        (contract_x, contract_y), (batch_x, batch_y) = numbers
        parts = [tuple(p) for p in (contract_x, contract_y, batch_x, batch_y)]
    except (TypeError, ValueError):
        raise ExprError("lax.dot_general() takes dimension_numbers as (((lhs contracting), (rhs contracting)), ((lhs batch), (rhs batch)))", g.col) from None
    x_shape, y_shape = _shape(g, x), _shape(g, y)
    if len(parts[0]) != len(parts[1]) or len(parts[2]) != len(parts[3]) or len(x_shape) + len(y_shape) > len(LETTERS):
        raise ExprError("lax.dot_general(): the contracting (batch) dims of lhs and rhs must pair up", g.col)
    x_letters, y_letters = list(LETTERS[: len(x_shape)]), [""] * len(y_shape)
    fresh = iter(LETTERS[len(x_shape) :])
    for a, b in [*zip(parts[0], parts[1]), *zip(parts[2], parts[3])]:
        if not (-len(x_shape) <= a < len(x_shape) and -len(y_shape) <= b < len(y_shape)) or x_shape[a] != y_shape[b]:
            raise ExprError(f"lax.dot_general(): lhs dim {a} and rhs dim {b} do not pair up for shapes {x_shape} and {y_shape}", g.col)
        y_letters[b] = x_letters[a]
    y_letters = [letter or next(fresh) for letter in y_letters]
    batch = [x_letters[a] for a in parts[2]]
    paired = {x_letters[a] for a in (*parts[0], *parts[2])}
    free_x = [c for c in x_letters if c not in paired]
    free_y = [c for c, k in zip(y_letters, range(len(y_shape))) if k % len(y_shape) not in {b % len(y_shape) for b in (*parts[1], *parts[3])}]
    spec = f"{''.join(x_letters)},{''.join(y_letters)}->{''.join(batch + free_x + free_y)}"
    return linalg.einsum_call(Call(g, [x, y], {"equation": ast.Constant(spec)}, []))


def _slice(call: Call) -> int:
    """lax.slice(x, start_indices, limit_indices, strides=None): x[start:limit:stride] in each dim."""
    g, x = call.graph, call.tensors[0]
    start, limit = _ints(call, "start_indices", 0), _ints(call, "limit_indices", 1)
    strides = _ints(call, "strides", 2) or (1,) * len(_shape(g, x))
    shape = _shape(g, x)
    if start is None or limit is None or not len(start) == len(limit) == len(strides) == len(shape):
        raise ExprError("lax.slice() takes start_indices, limit_indices (and strides) with one number per dim", g.col)
    if any(not 0 <= s <= e <= n for s, e, n in zip(start, limit, shape)) or any(s < 1 for s in strides):
        raise ExprError(f"lax.slice(): start {start} and limit {limit} must be within the shape {shape}, strides at least 1", g.col)
    return g.op("index", x, key=tuple(slice(s, e, st if st != 1 else None) for s, e, st in zip(start, limit, strides)))


def _dynamic_slice(call: Call) -> int:
    """lax.dynamic_slice(x, start_indices, slice_sizes): each start clamped to [0, n - size], as lax does."""
    g, x = call.graph, call.tensors[0]
    shape = _shape(g, x)
    start, sizes = _ints(call, "start_indices", 0), _ints(call, "slice_sizes", 1)
    if start is None or sizes is None or not len(start) == len(sizes) == len(shape) or any(not 0 <= k <= n for k, n in zip(sizes, shape)):
        raise ExprError(f"lax.dynamic_slice() takes start_indices and slice_sizes (at most the shape {shape}), one per dim", g.col)
    starts = [min(max(s, 0), n - k) for s, n, k in zip(start, shape, sizes)]
    return g.op("index", x, key=tuple(slice(s, s + k) for s, k in zip(starts, sizes)))


def _broadcast_in_dim(call: Call) -> int:
    """lax.broadcast_in_dim(x, shape, broadcast_dimensions): x's dim i becomes dim broadcast_dimensions[i] of the result,
    of size shape[...] (x's size there, or 1 broadcast)."""
    g, x = call.graph, call.tensors[0]
    shape, dims = _ints(call, "shape", 0), _ints(call, "broadcast_dimensions", 1, ())
    own = _shape(g, x)
    if shape is None or len(dims) != len(own) or len(set(dims)) != len(dims) or any(not 0 <= d < len(shape) for d in dims):
        raise ExprError("lax.broadcast_in_dim() takes the result's shape and one distinct result dim per operand dim", g.col)
    if any(n not in (1, shape[d]) for n, d in zip(own, dims)):
        raise ExprError(f"lax.broadcast_in_dim(): an operand of shape {own} does not fit the shape {shape} at dims {dims}", g.col)
    order = sorted(range(len(dims)), key=lambda i: dims[i])
    if order != list(range(len(dims))):
        x = g.op("reshape", reordered(g, x, list(range(len(dims))), order), shape=tuple(own[i] for i in order))
    placed = [1] * len(shape)
    for i in order:
        placed[dims[i]] = own[i]
    return g.op("broadcast_to", g.op("reshape", x, shape=tuple(placed)), shape=tuple(shape))


def _pad(call: Call) -> int:
    """lax.pad(x, padding_value, padding_config): per dim (low, high, interior): interior copies of the value between
    neighbours, then low before and high after (negative: cropped). The value may be a tensor of the program."""
    g, x = call.graph, call.tensors[0]
    if len(call.tensors) > 1:
        value, config = call.tensors[1], call.literal("padding_config", 0, None)
    else:
        number = call.literal("padding_value", 0, None)
        value, config = (g.const(float(number)) if isinstance(number, (int, float)) else None), call.literal("padding_config", 1, None)
    shape = _shape(g, x)
    if value is None or not (
        isinstance(config, (list, tuple))
        and len(config) == len(shape)
        and all(isinstance(c, (list, tuple)) and len(c) == 3 and all(type(v) is int for v in c) for c in config)
    ):
        raise ExprError("lax.pad() takes a padding value and padding_config as one (low, high, interior) per dim", g.col)
    if any(c[2] < 0 for c in config):
        raise ExprError("lax.pad(): interior padding must be at least 0", g.col)
    mask = np.ones(shape)  # NOTE: 1 where an element of x lands, 0 where the padding value goes
    for d, (low, high, interior) in enumerate(config):
        n = mask.shape[d]
        if interior and n > 1:
            spread = list(mask.shape)
            spread[d] = n + (n - 1) * interior
            key = (slice(None),) * d + (slice(None, None, interior + 1),)
            x = g.op("scatter", x, shape=tuple(spread), key=key)
            widened = np.zeros(spread)
            widened[key] = mask
            mask = widened
        x, mask = _low_high(g, x, mask, d, low, high)
    return g.op("add", x, g.op("mul", value, g.const(1.0 - mask)))


def _low_high(g: Graph, x: int, mask: np.ndarray, d: int, low: int, high: int) -> tuple[int, np.ndarray]:
    """x (and its mask) cropped where low or high is negative, then padded with zeros where positive, along dim d."""
    n = mask.shape[d]
    if max(-low, 0) + max(-high, 0) > n:
        raise ExprError(f"lax.pad(): cropping more than dim {d}'s size ({n})", g.col)
    crop = slice(max(-low, 0), n - max(-high, 0))
    if crop != slice(0, n):
        key = (slice(None),) * d + (crop,)
        x, mask = g.op("index", x, key=key), mask[key]
    pairs = tuple((max(low, 0), max(high, 0)) if k == d else (0, 0) for k in range(mask.ndim))
    if low > 0 or high > 0:
        x, mask = g.op("pad", x, pairs=pairs), np.pad(mask, pairs)
    return x, mask


COMPUTATIONS = {"add": "sum", "max": "amax", "min": "amin"}


def _reduce_window(call: Call) -> int:
    """lax.reduce_window(x, init_value, computation, window_dimensions, window_strides, padding, base_dilation,
    window_dilation): each window's sum (lax.add, init 0) or max (lax.max, init -inf) or min; padding 'VALID', 'SAME' or
    (low, high) per dim, padded with the init value; the operand spread by base_dilation (the init between its elements),
    the window's taps window_dilation apart. NOTE: an init other than the computation's identity is refused."""
    g, x = call.graph, call.tensors[0]
    name = _computation(call)
    if name not in COMPUTATIONS:
        raise ExprError("lax.reduce_window() takes computation lax.add, lax.max or lax.min", g.col)
    init = call.literal("init_value", 0, None)
    identity = {"add": 0.0, "max": -math.inf, "min": math.inf}[name]
    if not isinstance(init, (int, float)) or float(init) != identity:
        raise ExprError(f"lax.reduce_window() with lax.{name} takes init_value {identity} (its identity), written as a number", g.col)
    shape = _shape(g, x)
    window = _ints(call, "window_dimensions", 2)
    strides = _ints(call, "window_strides", 3) or (1,) * len(shape)
    if window is None or not len(window) == len(strides) == len(shape) or min(window + strides, default=1) < 1:
        raise ExprError("lax.reduce_window() takes window_dimensions and window_strides (at least 1), one per dim", g.col)
    base = _ints(call, "base_dilation", 5) or (1,) * len(shape)
    dilation = _ints(call, "window_dilation", 6) or (1,) * len(shape)
    if not len(base) == len(dilation) == len(shape) or min(base + dilation, default=1) < 1:
        raise ExprError("lax.reduce_window() takes base_dilation and window_dilation (at least 1), one per dim", g.col)
    if any(b > 1 for b in base):  # NOTE: the operand spread out, the init value (the identity) between its elements
        spread = tuple((n - 1) * b + 1 if n else 0 for n, b in zip(shape, base))
        key = tuple(slice(None, None, b) for b in base)
        x = g.op("scatter", x, shape=spread, key=key)
        if identity:
            landed = np.zeros(spread)
            landed[key] = 1.0
            x = g.op("add", x, g.const(np.where(landed == 1, 0.0, identity)))
        shape = spread
    pairs = _padding(call, "padding", 4, shape, window, strides, dilation)
    if any(b or a for b, a in pairs):
        padded = g.op("pad", x, pairs=pairs)
        if identity:
            mask = np.pad(np.zeros(shape), pairs, constant_values=1.0)
            padded = g.op("add", padded, g.const(np.where(mask == 1, identity, 0.0)))
        x, shape = padded, tuple(n + b + a for n, (b, a) in zip(shape, pairs))
    spans = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    outputs = [(n - span) // s + 1 if n >= span else 0 for n, span, s in zip(shape, spans, strides)]
    if 0 in outputs:
        raise ExprError(f"lax.reduce_window(): a window of {window} (dilated {tuple(spans)}) does not fit the (padded) shape {shape}", g.col)
    key = []
    full = [v for o, k in zip(outputs, window) for v in (o, k)]
    for d, (o, s, k, w) in enumerate(zip(outputs, strides, window, dilation)):
        positions = (np.arange(o)[:, None] * s + np.arange(k)[None, :] * w).reshape([o if j == 2 * d else k if j == 2 * d + 1 else 1 for j in range(len(full))])
        key.append(nested_tuple(np.broadcast_to(positions, full)))
    windows = g.op("index", x, key=tuple(key))
    out = windows
    for d in reversed(range(len(shape))):
        out = g.op(COMPUTATIONS[name], out, dim=2 * d + 1, keepdim=False)
    return out


def _padding(
    call: Call, key: str, position: int, shape: tuple[int, ...], window: tuple[int, ...], strides: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    """lax's padding: 'VALID' (none), 'SAME' (the output ceil(n / stride), the extra low half rounded down) or pairs."""
    given = call.literal(key, position, "VALID")
    if isinstance(given, str) and given.upper() == "VALID":
        return ((0, 0),) * len(shape)
    if isinstance(given, str) and given.upper() in ("SAME", "SAME_LOWER"):
        pairs = []
        for n, k, s, d in zip(shape, window, strides, dilation):
            total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
            low = total // 2 if given.upper() == "SAME" else total - total // 2
            pairs.append((low, total - low))
        return tuple(pairs)
    if isinstance(given, (list, tuple)) and len(given) == len(shape) and all(len(p) == 2 and all(type(v) is int and v >= 0 for v in p) for p in given):
        return tuple((int(b), int(a)) for b, a in given)
    raise ExprError(f"{call.graph.name}() takes padding 'VALID', 'SAME' or one (low, high) pair (at least 0) per dim", call.graph.col)


def _conv_general_dilated(call: Call) -> int:
    """lax.conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
    dimension_numbers=None, feature_group_count=1): lhs (N, C, ...) and rhs (O, C/groups, ...) as F.convNd takes them;
    the padding applied first (it may differ low and high). lhs_dilation (a transposed convolution) is not read."""
    g, (x, weight) = call.graph, call.tensors[:2]
    shape, w_shape = _shape(g, x), _shape(g, weight)
    spatial = len(shape) - 2
    if spatial not in (1, 2, 3) or len(w_shape) != len(shape):
        raise ExprError("lax.conv_general_dilated() takes lhs (N, C, ...) and rhs (O, C, ...) of 1 to 3 spatial dims", g.col)
    numbers = call.literal("dimension_numbers", 4, None)
    default = ("NC" + "DHW"[3 - spatial :], "OI" + "DHW"[3 - spatial :], "NC" + "DHW"[3 - spatial :])
    if numbers is not None and tuple(numbers) != default:
        raise ExprError(f"not supported yet: lax.conv_general_dilated() with dimension_numbers other than {default}", g.col)
    if any(v != 1 for v in (_ints(call, "lhs_dilation", 2) or ())):
        raise ExprError("not supported yet: lax.conv_general_dilated() with lhs_dilation (a transposed convolution): write F.conv_transpose", g.col)
    strides = _ints(call, "window_strides", 0) or (1,) * spatial
    dilation = _ints(call, "rhs_dilation", 3) or (1,) * spatial
    groups = call.integer("feature_group_count", 5, 1) or 1
    if (call.integer("batch_group_count", 6, 1) or 1) != 1:
        raise ExprError("not supported yet: lax.conv_general_dilated() with batch_group_count other than 1", g.col)
    pairs = _padding(call, "padding", 1, shape[2:], w_shape[2:], strides, dilation)
    if any(b or a for b, a in pairs):
        x = g.op("pad", x, pairs=((0, 0), (0, 0), *pairs))
    params = {"stride": _written(tuple(strides)), "dilation": _written(tuple(dilation)), "groups": _written(groups)}
    return convolution.conv(spatial)(Call(g, [x, weight], params, []))


def _computation(call: Call) -> str | None:
    """The `computation` argument of lax.reduce/reduce_window (`lax.add`, or its name as a string): `add`; None if neither."""
    given = call.params.get("computation")
    computation = dotted(given) if isinstance(given, ast.Attribute) else call.literal("computation", 1, None)
    return computation.rpartition(".")[2] if isinstance(computation, str) else None


def _reduce(call: Call) -> int:
    """lax.reduce(x, init_value, computation, dimensions): x summed (lax.add), multiplied (lax.mul), or its max or min
    along the dimensions, then combined with the init value once (its identity changes nothing)."""
    g, x = call.graph, call.tensors[0]
    name = _computation(call)
    if name not in REDUCTIONS:
        raise ExprError("lax.reduce() takes computation lax.add, lax.mul, lax.max or lax.min", g.col)
    init = call.literal("init_values", 0, None)
    dims, shape = _ints(call, "dimensions", 2), _shape(g, x)
    if not isinstance(init, (int, float)) or isinstance(init, bool):
        raise ExprError("lax.reduce() takes its init value as a number", g.col)
    if dims is None or len(set(dims)) != len(dims) or any(not 0 <= d < len(shape) for d in dims):
        raise ExprError(f"lax.reduce() takes distinct dimensions of the operand's {len(shape)} dims", g.col)
    if name in ("max", "min") and any(shape[d] == 0 for d in dims):
        raise ExprError(f"lax.reduce() with lax.{name} over a dim of size 0 (the init value alone): not read yet", g.col)
    out = x
    for d in sorted(dims, reverse=True):
        out = g.reduce(REDUCTIONS[name], out, d)
    identity = {"add": 0.0, "mul": 1.0, "max": -math.inf, "min": math.inf}[name]
    if float(init) == identity:
        return out
    combine = {"add": "add", "mul": "mul", "max": "maximum", "min": "minimum"}[name]
    return g.op(combine, out, g.builder.const(float(init), g.col))


REDUCTIONS = {"add": "sum", "mul": "prod", "max": "amax", "min": "amin"}


def _cumulative(op: str) -> Callable[[Call], int]:
    """lax.cumsum / lax.cumprod(x, axis=0, reverse=False): along axis, from the end where reverse (a flip either side)."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        rank = len(_shape(g, x))
        axis = call.integer("axis", 0, 0)
        reverse = call.flag("reverse", False) if "reverse" in call.params else call.dims[1] if len(call.dims) > 1 else False
        if rank == 0 or not -rank <= axis < rank:
            raise ExprError(f"{g.name}() takes an axis of the operand's {rank} dims", g.col)
        if not isinstance(reverse, bool):
            raise ExprError(f"{g.name}() takes reverse as True or False", g.col)
        dims = (axis % rank,)
        out = g.op(op, g.op("flip", x, dims=dims) if reverse else x, dim=axis % rank)
        return g.op("flip", out, dims=dims) if reverse else out

    return compose


def _broadcast(call: Call) -> int:
    """lax.broadcast(x, sizes): x behind new leading dims of the given sizes."""
    g, x = call.graph, call.tensors[0]
    sizes = _ints(call, "sizes", 0)
    if sizes is None or any(n < 0 for n in sizes):
        raise ExprError("lax.broadcast() takes the sizes of the new leading dims, e.g. lax.broadcast(x, (2, 3))", g.col)
    return g.op("broadcast_to", x, shape=sizes + _shape(g, x))


def _reshape(call: Call) -> int:
    """lax.reshape(x, new_sizes, dimensions=None): x's dims put in the order ``dimensions`` first, then reshaped."""
    g, x = call.graph, call.tensors[0]
    sizes, order = _ints(call, "new_sizes", 0), _ints(call, "dimensions", 1)
    shape = _shape(g, x)
    if sizes is None or math.prod(sizes) != math.prod(shape):
        raise ExprError(f"lax.reshape() takes new sizes of as many elements as the operand's shape {shape}", g.col)
    if order is not None:
        if sorted(order) != list(range(len(shape))):
            raise ExprError(f"lax.reshape() takes dimensions as an order of the operand's {len(shape)} dims", g.col)
        x = reordered(g, x, list(range(len(shape))), order)
    return g.op("reshape", x, shape=sizes)


def _dynamic_update_slice(call: Call) -> int:
    """lax.dynamic_update_slice(x, update, start_indices): x with update written from the start (each clamped to
    [0, n - size], as lax does); start_indices written out or a constant array of whole numbers."""
    g, (x, update) = call.graph, call.tensors[:2]
    shape, size = _shape(g, x), _shape(g, update)
    if len(call.tensors) > 2:
        given = g.builder.known_value(call.tensors[2], g.col, "lax.dynamic_update_slice()'s start")
        start = tuple(int(v) for v in whole_numbers(given, "the start", g.col).reshape(-1))
    else:
        start = _ints(call, "start_indices", 0)
    if start is None or not len(start) == len(size) == len(shape) or any(not 0 <= k <= n for k, n in zip(size, shape)):
        raise ExprError(f"lax.dynamic_update_slice() takes an update of at most the shape {shape} and one start per dim", g.col)
    key = tuple(slice(s, s + k) for s, k in zip((min(max(s, 0), n - k) for s, n, k in zip(start, shape, size)), size))
    kept = g.op("sub", x, g.op("scatter", g.op("index", x, key=key), shape=shape, key=key))
    return g.op("add", kept, g.op("scatter", update, shape=shape, key=key))


def _sort(call: Call) -> int:
    """lax.sort(x, dimension=-1, is_stable=True): x sorted along dimension (sorting.py's order at the case's values)."""
    if len(call.tensors) != 1:
        raise ExprError("not supported yet: lax.sort() of several operands (num_keys): sort one array", call.graph.col)
    return sorting.sorted_along(call, call.tensors[0], call.integer("dimension", 0, -1))


def _convert_element_type(call: Call) -> int:
    """lax.convert_element_type(x, new_dtype): x itself for a float dtype (a case computes in one dtype)."""
    given = call.params.get("new_dtype")
    written = dotted(given) if isinstance(given, ast.AST) else call.dims[0] if call.dims else None
    if not isinstance(written, str) or written.rpartition(".")[2] not in FLOAT_DTYPES:
        raise ExprError("lax.convert_element_type() is read for a float dtype only (jnp.float32, jnp.float64): a case has one dtype", call.graph.col)
    return call.tensors[0]


FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")

SPELLINGS: dict[str, Function] = {
    "lax.dot_general": spelling(_dot_general, (2, 2), keywords=("dimension_numbers", "precision", "preferred_element_type")),
    "lax.slice": spelling(_slice, (1, 1), keywords=("start_indices", "limit_indices", "strides")),
    "lax.dynamic_slice": spelling(_dynamic_slice, (1, 1), keywords=("start_indices", "slice_sizes")),
    "lax.broadcast_in_dim": spelling(_broadcast_in_dim, (1, 1), keywords=("shape", "broadcast_dimensions")),
    "lax.pad": spelling(_pad, (1, 2), keywords=("padding_value", "padding_config")),
    "lax.reduce": spelling(_reduce, (1, 1), keywords=("init_values", "computation", "dimensions")),
    "lax.cumsum": spelling(_cumulative("cumsum"), (1, 1), keywords=("axis", "reverse")),
    "lax.cumprod": spelling(_cumulative("cumprod"), (1, 1), keywords=("axis", "reverse")),
    "lax.broadcast": spelling(_broadcast, (1, 1), keywords=("sizes",)),
    "lax.reshape": spelling(_reshape, (1, 1), keywords=("new_sizes", "dimensions")),
    "lax.dynamic_update_slice": spelling(_dynamic_update_slice, (2, 3), keywords=("start_indices",)),
    "lax.sort": spelling(_sort, (1, 1), keywords=("dimension", "is_stable", "num_keys")),
    "lax.convert_element_type": spelling(_convert_element_type, (1, 1), keywords=("new_dtype",)),
    "lax.reduce_window": spelling(
        _reduce_window,
        (1, 1),
        keywords=("init_value", "computation", "window_dimensions", "window_strides", "padding", "base_dilation", "window_dilation"),
    ),
    "lax.conv_general_dilated": spelling(
        _conv_general_dilated,
        (2, 2),
        keywords=(
            "window_strides",
            "padding",
            "lhs_dilation",
            "rhs_dilation",
            "dimension_numbers",
            "feature_group_count",
            "batch_group_count",
            "precision",
            "preferred_element_type",
        ),
    ),
}
# Their positional parameters after the tensors are literals (shapes, configs, strides, numbers: pad's value, an init),
# and reduce_window's computation (a function such as lax.add) and an init of -inf are read as written (table.arguments).
LITERAL_POSITIONAL = frozenset(SPELLINGS)
NUMBER_POSITIONAL = frozenset({"lax.pad", "lax.reduce_window", "lax.reduce"})


def as_literals(args: list[ast.expr]) -> list[ast.expr]:
    """reduce_window's and reduce's positional init and computation as literals: -jnp.inf as -inf, lax.add as 'lax.add'; and
    convert_element_type's dtype (jnp.float32 as 'jnp.float32')."""
    out = list(args)
    if len(args) == 2 and isinstance(args[1], ast.Attribute) and dotted(args[1]) is not None and args[1].attr in FLOAT_DTYPES:
        out[1] = ast.copy_location(ast.Constant(dotted(args[1])), args[1])
        return out
    for k, arg in enumerate(args[1:3], start=1):
        negative = isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.USub)
        inner = arg.operand if negative else arg
        if isinstance(inner, ast.Attribute) and inner.attr == "inf":
            out[k] = ast.copy_location(ast.Constant(-math.inf if negative else math.inf), arg)
        elif isinstance(arg, ast.Attribute) and arg.attr in REDUCTIONS:  # lax.add, lax.mul, lax.max, lax.min
            out[k] = ast.copy_location(ast.Constant(dotted(arg)), arg)
    return out
