"""nn layers: linear maps (F.linear, addmm and its family, lerp), normalization layers, embedding, dropout at p = 0."""

from __future__ import annotations

import ast
import dataclasses
import math
from collections.abc import Callable

import numpy as np

from verifygrad.language.spellings.compose import COMPARISONS, NO_TENSOR, PART, Call, Graph, along, nested_tuple, part_index, spelling, whole_numbers
from verifygrad.language.syntax import ExprError, Function


def _scaled(g: Graph, x: int, factor: float) -> int:
    return x if factor == 1.0 else g.scale(x, factor)


def _linear(call: Call) -> int:
    """F.linear(x, weight, bias=None): x @ weight.T + bias."""
    g, x, weight = call.graph, *call.tensors[:2]
    out = g.op("matmul", x, g.op("transpose", weight, dim0=0, dim1=-1))
    bias = call.tensor("bias", 2)
    return out if bias is None else g.op("add", out, bias)


def _add_product(product: str) -> Callable[[Call], int]:
    """addmm/addmv/addr/baddbmm/addbmm(input, a, b, beta=1, alpha=1): beta * input + alpha * (a b)."""

    def compose(call: Call) -> int:
        g, (x, a, b) = call.graph, call.tensors[:3]
        made = g.op("outer", a, b) if product == "outer" else g.op("matmul", a, b)
        if product == "batch_sum":
            made = g.reduce("sum", made, 0)
        beta, alpha = call.number("beta", 1.0), call.number("alpha", 1.0)
        if beta == 0:  # NOTE: torch ignores input where beta is 0, nan and inf included
            return g.op("add", _scaled(g, made, alpha), g.op("mul", g.op("stop_gradient", g.op("sign", x)), g.const(0.0)))
        return g.op("add", _scaled(g, x, beta), _scaled(g, made, alpha))

    return compose


def _addc(op: str) -> Callable[[Call], int]:
    """addcmul/addcdiv(input, t1, t2, value=1): input + value * t1 (* or /) t2."""
    return lambda call: call.graph.op("add", call.tensors[0], _scaled(call.graph, call.graph.op(op, *call.tensors[1:3]), call.number("value", 1.0)))


def _lerp(call: Call) -> int:
    """lerp(start, end, weight): start + weight * (end - start); weight a tensor or a number."""
    g, (start, end) = call.graph, call.tensors[:2]
    weight = call.tensor("weight", 2)
    weight = g.const(call.number("weight", 0.0)) if weight is None else weight
    return g.op("add", start, g.op("mul", weight, g.op("sub", end, start)))


def _normalized(g: Graph, x: int, dims: tuple[int, ...], eps: float) -> int:
    """(x - mean) / sqrt(var + eps) over dims, the variance biased (divided by n), as the normalization layers take it."""
    mean = x
    for dim in dims:
        mean = g.reduce("mean", mean, dim, keepdim=True)
    centred = g.op("sub", x, mean)
    variance = g.op("mul", centred, centred)
    for dim in dims:
        variance = g.reduce("mean", variance, dim, keepdim=True)
    return g.op("div", centred, g.op("sqrt", g.op("add", variance, g.const(eps))))


def _affine(call: Call, out: int, weight_position: int, channels: int | None = None, ndim: int = 0) -> int:
    """out * weight + bias, each per channel (dim 1) where ``channels`` is given, else over the trailing dims."""
    g = call.graph
    weight, bias = call.tensor("weight", weight_position), call.tensor("bias", weight_position + 1)
    shape = (channels,) + (1,) * (ndim - 2) if channels is not None else None
    for tensor, op in ((weight, "mul"), (bias, "add")):
        if tensor is not None:
            out = g.op(op, out, tensor if shape is None else g.op("reshape", tensor, shape=shape))
    return out


def _shape_of(call: Call, index: int = 0) -> tuple[int, ...]:
    return call.graph.builder.known_shape(call.tensors[index], call.graph.col, f"{call.graph.name}()")


def _layer_norm(call: Call) -> int:
    """F.layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5): over the last len(normalized_shape) dims."""
    given = call.literal("normalized_shape", 0, None)
    count = len(given) if isinstance(given, list) else 1
    out = _normalized(call.graph, call.tensors[0], tuple(range(-count, 0)), call.scalar("eps", 1, 1e-5))
    return _affine(call, out, 1)


def _rms_norm(call: Call) -> int:
    """F.rms_norm(x, normalized_shape, weight=None, eps=None): x / sqrt(mean(x**2) + eps) over the last dims.

    NOTE: torch's default eps is its dtype's machine epsilon; float64's is taken here (float32's differs by 1e-7).
    """
    g, x = call.graph, call.tensors[0]
    given = call.literal("normalized_shape", 0, None)
    count = len(given) if isinstance(given, list) else 1
    square = g.op("mul", x, x)
    for dim in range(-count, 0):
        square = g.reduce("mean", square, dim, keepdim=True)
    given = call.params.get("eps")
    written = given is not None and getattr(given, "value", 0) is not None
    eps_value = call.number("eps", 0.0) if written else float(call.literal("eps", 1, None) or 2.220446049250313e-16)
    out = g.op("div", x, g.op("sqrt", g.op("add", square, g.const(eps_value))))
    weight = call.tensor("weight", 1)
    return out if weight is None else g.op("mul", out, weight)


def _batch_norm(call: Call) -> int:
    """F.batch_norm(x, running_mean, running_var, weight, bias, training=False, momentum, eps=1e-5): per channel (dim 1),
    with the batch's statistics in training (the variance biased), else the running ones."""
    g, x = call.graph, call.tensors[0]
    shape = _shape_of(call)
    if len(shape) < 2:
        if 0 in shape:  # an empty batch: the value and the gradient are empty, as torch's
            return x
        raise ExprError(f"{g.name}() takes an input of shape (N, C, ...): 2 dims or more, not {len(shape)}", g.col)
    channels, ndim = shape[1], len(shape)
    training = call.literal("training", 0, False) if "training" not in call.params else call.flag("training", False)
    eps = call.scalar("eps", 2, 1e-5)
    if training:
        out = _normalized(g, x, (0, *range(2, ndim)), eps)
    else:
        mean, variance = call.tensor("running_mean", 1), call.tensor("running_var", 2)
        if mean is None or variance is None:
            raise ExprError(f"{g.name}() in eval mode needs running_mean and running_var", g.col)
        column = (channels,) + (1,) * (ndim - 2)
        centred = g.op("sub", x, g.op("reshape", mean, shape=column))
        out = g.op("div", centred, g.op("sqrt", g.op("add", g.op("reshape", variance, shape=column), g.const(eps))))
    return _affine(call, out, 3, channels, ndim)


def _instance_norm(call: Call) -> int:
    """F.instance_norm(x, running_mean=None, running_var=None, weight, bias, use_input_stats=True, momentum, eps): each
    sample's channel over its own spatial dims."""
    shape = _shape_of(call)
    out = _normalized(call.graph, call.tensors[0], tuple(range(2, len(shape))), call.number("eps", 1e-5))
    return _affine(call, out, 3, shape[1], len(shape))


def _group_norm(call: Call) -> int:
    """F.group_norm(x, num_groups, weight=None, bias=None, eps=1e-5): the channels (dim 1) in num_groups groups, each
    normalized over its channels and the spatial dims."""
    g, x = call.graph, call.tensors[0]
    shape = _shape_of(call)
    groups = call.integer("num_groups", 0, None)
    if not groups or shape[1] % groups:
        raise ExprError(f"{g.name}(): {shape[1]} channels do not split into {groups} groups", g.col)
    grouped = g.op("reshape", x, shape=(shape[0], groups, -1))
    out = g.op("reshape", _normalized(g, grouped, (2,), call.scalar("eps", 1, 1e-5)), shape=shape)
    return _affine(call, out, 1, shape[1], len(shape))


def _embedding(call: Call) -> int:
    """F.embedding(input, weight): the rows of weight at the positions input holds (fixed at the case's values)."""
    g = call.graph
    positions = whole_numbers(g.builder.known_value(call.tensors[0], g.col, f"the indices of {g.name}()"), f"the indices of {g.name}()", g.col)
    return g.op("index", call.tensors[1], key=along(0, nested_tuple(positions)))


def _embedding_bag(call: Call) -> int:
    """F.embedding_bag(input, weight, offsets=None, ..., mode='mean', per_sample_weights=None, include_last_offset=False,
    padding_idx=None): per bag (a row of a 2-D input, or the run of a 1-D input from one offset to the next), the sum,
    mean or max of the weight rows it names, padding_idx's left out; an empty bag gives 0s, as torch. The bags and rows
    are fixed at the case's values."""
    g, (indices, weight) = call.graph, call.tensors[:2]
    mode = call.choice("mode", ("sum", "mean", "max"), "mean")
    if call.params.get("max_norm") is not None and getattr(call.params["max_norm"], "value", 0) is not None:
        raise ExprError(f"not supported: {g.name}(max_norm=...) renormalizes weight in place", g.col)
    if call.flag("scale_grad_by_freq", False):
        raise ExprError(f"not supported: {g.name}(scale_grad_by_freq=True) scales the gradient, not the function", g.col)
    rows, dim = g.builder.known_shape(weight, g.col, f"the weight of {g.name}()")
    positions = whole_numbers(g.builder.known_value(indices, g.col, f"the indices of {g.name}()"), f"the indices of {g.name}()", g.col)
    offsets = call.tensor("offsets", 2)
    if positions.ndim == 2:
        starts = list(range(0, positions.size, positions.shape[1])) if positions.shape[1] else [0] * positions.shape[0]
    else:
        if offsets is None:
            raise ExprError(f"{g.name}() of a 1-D input needs offsets", g.col)
        starts = whole_numbers(g.builder.known_value(offsets, g.col, f"the offsets of {g.name}()"), f"the offsets of {g.name}()", g.col).tolist()
    ends = [*starts[1:], positions.size]
    if call.flag("include_last_offset", False):
        starts, ends = starts[:-1], ends[:-1]
    flat = positions.reshape(-1)
    padding = call.integer("padding_idx", 99, None)
    padding = None if padding is None else padding % rows
    weights = call.tensor("per_sample_weights", 3)
    if weights is not None and mode != "sum":
        raise ExprError(f"{g.name}() takes per_sample_weights with mode='sum' only, as torch", g.col)
    flat_weights = None if weights is None else g.op("reshape", weights, shape=(-1,))
    bags = []
    for start, end in zip(starts, ends):
        kept = [j for j in range(start, end) if flat[j] != padding]
        if not kept:
            bags.append(g.const(np.zeros((1, dim))))
            continue
        picked = g.op("index", weight, key=(tuple(int(flat[j]) for j in kept),))
        if flat_weights is not None:
            picked = g.op("mul", picked, g.op("expand_dims", g.op("index", flat_weights, key=(tuple(kept),)), dim=-1))
        bags.append(g.reduce("amax" if mode == "max" else "sum" if mode == "sum" else "mean", picked, 0, keepdim=True))
    out = bags[0]
    for bag in bags[1:]:
        out = g.op("concat", out, bag, dim=0)
    return out


def _dropout(call: Call) -> int:
    """dropout with p = 0 or training=False: the identity. A random mask is not supported (it is not seeded)."""
    p = call.number("p", 0.5) if "p" in call.params else float(call.literal("p", 0, 0.5))
    training = call.flag("training", True) if "training" in call.params else bool(call.literal("training", 1, True))
    if training and p != 0:
        raise ExprError(f"not supported: {call.graph.name}() with p > 0 in training draws an unseeded random mask; give p=0 or training=False", call.graph.col)
    return call.tensors[0]


def _dropout_backward(call: Call) -> int:
    """torch's native_dropout_backward(grad_output, mask, scale): grad_output * mask * scale, the mask (0/1) a constant."""
    g, (grad, mask) = call.graph, call.tensors
    return g.scale(g.op("mul", grad, g.op("stop_gradient", mask)), call.number("scale", 1.0))


def _native(compose: Callable[[Call], int], order: tuple[int, ...], literals: Callable[[list], list]) -> Callable[[Call], int]:
    """torch's native_layer_norm/native_group_norm/native_batch_norm (and _native_batch_norm_legit, _batch_norm_with_update):
    the F. function's output, [0] of their (output, saved statistics) tuple, with the arguments in the F. function's
    order (``order``: the tensors; ``literals``: the literal parameters, from the native ones)."""

    def build(call: Call) -> int:
        if part_index(call) != 0:
            raise ExprError(f"{call.graph.name}()[1:] are the statistics torch saves for its backward: take [0]", call.graph.col)
        tensors = [call.tensors[i] if i < len(call.tensors) else NO_TENSOR for i in order]
        return compose(dataclasses.replace(call, tensors=tensors, params={}, dims=literals(list(call.dims))))

    return build


def _shared_heads(g: Graph, x: int, q_shape: tuple[int, ...]) -> int:
    """enable_gqa: key (or value) heads (..., Hk, S, E) repeated to the query's Hq heads, each Hq // Hk times in a row
    (torch's repeat_interleave along dim -3): query head i reads key head i // (Hq // Hk)."""
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if len(q_shape) < 3 or len(shape) < 3 or shape[-3] == 0 or q_shape[-3] % shape[-3]:
        raise ExprError(f"{g.name}(enable_gqa=True) takes heads at dim -3, the query's a multiple of the key's and value's; got {q_shape} and {shape}", g.col)
    groups = q_shape[-3] // shape[-3]
    if groups == 1:
        return x
    return g.op("index", x, key=(Ellipsis, tuple(i // groups for i in range(q_shape[-3])), slice(None), slice(None)))


def _attention(call: Call) -> int:
    """F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    softmax(q k^T * scale + mask) v along the last dim, scale 1/sqrt(q's last size). A boolean attn_mask (written as a
    comparison: a case's tensors are floats) keeps key j for query i where it is true; any other is added to the
    scores (its -inf entries drop the key); is_causal keeps j <= i. A query with no key kept gives 0, as torch."""
    g, (q, k, v) = call.graph, call.tensors[:3]
    if call.number("dropout_p", 0.0) != 0:
        raise ExprError(f"not supported: {g.name}() with dropout_p > 0 draws an unseeded random mask; give dropout_p=0.0", g.col)
    mask = call.tensor("attn_mask", 3)
    if mask is not None and call.flag("is_causal", False):
        raise ExprError(f"{g.name}(): attn_mask and is_causal=True together, which torch refuses", g.col)
    if call.flag("enable_gqa", False):
        k, v = (_shared_heads(g, t, g.builder.known_shape(q, g.col, f"{g.name}()")) for t in (k, v))
    q_shape, k_shape = (g.builder.known_shape(t, g.col, f"{g.name}()") for t in (q, k))
    given = call.params.get("scale")
    scale = 1 / math.sqrt(q_shape[-1]) if given is None or (isinstance(given, ast.Constant) and given.value is None) else call.number("scale", 1.0)
    scores = g.scale(g.op("matmul", q, g.op("transpose", k, dim0=-2, dim1=-1)), scale)
    shape = (*np.broadcast_shapes(q_shape[:-2], k_shape[:-2]), q_shape[-2], k_shape[-2])
    if call.flag("is_causal", False):
        kept = np.broadcast_to(np.tril(np.ones(shape[-2:])), shape)
        kept_node = g.const(kept)
    elif mask is None:
        return g.op("matmul", g.op("exp", g.op("sub", scores, g.reduce("logsumexp", scores, -1, keepdim=True))), v)
    else:
        value = g.builder.known_value(mask, g.col, f"the attn_mask of {g.name}()")
        shape = np.broadcast_shapes(shape, value.shape)
        if g.builder.nodes[mask].spelling in COMPARISONS:
            # NOTE: the mask's own node is the condition: a mask no node reads would drop torch's own call of this one
            kept, kept_node = np.broadcast_to(value != 0, shape), g.op("gt", g.op("abs", mask), g.const(0.0))
        else:
            kept = np.broadcast_to(value != -np.inf, shape)
            kept_node = g.const(kept.astype(np.float64))
            scores = g.op("add", scores, g.op("select", kept_node, mask))
            if np.all(kept):
                return g.op("matmul", g.op("exp", g.op("sub", scores, g.reduce("logsumexp", scores, -1, keepdim=True))), v)
    # NOTE: a dropped score is left out of the sum (select), never set to -inf: an infinite or huge constant makes the
    # error budget's perturbed re-runs meaningless. The shift (logsumexp of the kept scores and 0s, at least the largest
    # kept, so no exp overflows) takes no gradient: it cancels. A row with nothing kept divides 0 by 1.
    shift = g.reduce("logsumexp", g.op("select", kept_node, g.op("stop_gradient", scores)), -1, keepdim=True)
    exps = g.op("select", kept_node, g.op("exp", g.op("sub", scores, shift)))
    total = g.reduce("sum", exps, -1, keepdim=True)
    empty = ~kept.any(-1, keepdims=True)
    if np.any(empty):
        total = g.op("add", total, g.const(empty.astype(np.float64)))
    return g.op("matmul", g.op("div", exps, total), v)


_NORM = ("weight", "bias", "eps")
DROPOUTS = frozenset({"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"})
SPELLINGS: dict[str, Function] = {
    "linear": spelling(_linear, (2, 3), keywords=("bias",)),
    "addmm": spelling(_add_product("matmul"), (3, 3), keywords=("beta", "alpha")),
    "addmv": spelling(_add_product("matmul"), (3, 3), keywords=("beta", "alpha")),
    "baddbmm": spelling(_add_product("matmul"), (3, 3), keywords=("beta", "alpha")),
    "addbmm": spelling(_add_product("batch_sum"), (3, 3), keywords=("beta", "alpha")),
    "addr": spelling(_add_product("outer"), (3, 3), keywords=("beta", "alpha")),
    "addcmul": spelling(_addc("mul"), (3, 3), keywords=("value",)),
    "addcdiv": spelling(_addc("div"), (3, 3), keywords=("value",)),
    "lerp": spelling(_lerp, (2, 3), keywords=("weight",)),
    "layer_norm": spelling(_layer_norm, (1, 3), keywords=("normalized_shape", *_NORM)),
    # (input, normalized_shape, weight, bias, eps)
    "native_layer_norm": spelling(_native(_layer_norm, (0, 1, 2), lambda d: d), (1, 3), keywords=(PART,)),
    # (input, weight, bias, N, C, HxW, group, eps)
    "native_group_norm": spelling(_native(_group_norm, (0, 1, 2), lambda d: d[3:5]), (1, 3), keywords=(PART,)),
    # (input, weight, bias, running_mean, running_var, training, momentum, eps)
    "native_batch_norm": spelling(_native(_batch_norm, (0, 3, 4, 1, 2), lambda d: d), (1, 5), keywords=(PART,)),
    "_native_batch_norm_legit": spelling(_native(_batch_norm, (0, 3, 4, 1, 2), lambda d: d), (1, 5), keywords=(PART,)),
    # (input, weight, bias, running_mean, running_var, momentum, eps): training
    "_batch_norm_with_update": spelling(_native(_batch_norm, (0, 3, 4, 1, 2), lambda d: [True, *d]), (1, 5), keywords=(PART,)),
    "rms_norm": spelling(_rms_norm, (1, 2), keywords=("normalized_shape", "weight", "eps")),
    "batch_norm": spelling(_batch_norm, (1, 5), keywords=("running_mean", "running_var", *_NORM, "training", "momentum")),
    "instance_norm": spelling(_instance_norm, (1, 5), keywords=("running_mean", "running_var", *_NORM, "use_input_stats", "momentum")),
    "group_norm": spelling(_group_norm, (1, 3), keywords=("num_groups", *_NORM)),
    "embedding": spelling(_embedding, (2, 2)),
    "embedding_bag": spelling(_embedding_bag, (2, 4), keywords=(
        "offsets", "max_norm", "norm_type", "scale_grad_by_freq", "mode", "sparse", "per_sample_weights", "include_last_offset", "padding_idx",
    )),
    "native_dropout_backward": spelling(_dropout_backward, (2, 2), ("scale",)),
    "scaled_dot_product_attention": spelling(_attention, (3, 4), keywords=("attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")),
    **{name: spelling(_dropout, (1, 1), keywords=("p", "training", "inplace")) for name in DROPOUTS},
}  # fmt: skip
NATIVE = frozenset({"native_layer_norm", "native_group_norm", "native_batch_norm", "_native_batch_norm_legit", "_batch_norm_with_update"})
LITERAL_POSITIONAL = frozenset({"layer_norm", "rms_norm", "group_norm", "batch_norm", "instance_norm", *DROPOUTS, *NATIVE})
NUMBER_POSITIONAL = frozenset({"batch_norm", "rms_norm", "layer_norm", "group_norm", *DROPOUTS, *NATIVE})
OPTIONAL_TENSORS = frozenset({"linear", "layer_norm", "rms_norm", "batch_norm", "instance_norm", "group_norm", *NATIVE})
