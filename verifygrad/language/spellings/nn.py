"""Activations, softmax and the normalizations of torch.nn.functional."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from verifygrad.language.spellings.compose import Call, Graph, along, dim_of, spelling, unary
from verifygrad.language.spellings.elementwise import clamp_between
from verifygrad.language.spellings.linalg import vector_norm
from verifygrad.language.syntax import ExprError, Function


def _gelu_tanh(g: Graph, x: int) -> int:
    cube = g.op("mul", g.op("mul", x, x), x)
    inner = g.op("mul", g.op("add", x, g.scale(cube, 0.044715)), g.op("sqrt", g.op("div", g.const(2.0), g.pi())))
    return g.scale(g.op("mul", x, g.op("add", g.const(1.0), g.op("tanh", inner))), 0.5)


def _leaky_relu(call: Call) -> int:
    g, x = call.graph, call.tensors[0]
    return g.op("sub", g.op("relu", x), g.scale(g.op("relu", g.op("neg", x)), call.number("negative_slope", 0.01)))


def _elu(call: Call, alpha: float | None = None, scale: float = 1.0) -> int:
    g, x = call.graph, call.tensors[0]
    alpha = call.number("alpha", 1.0) if alpha is None else alpha
    negative = g.op("exp", g.op("neg", g.op("relu", g.op("neg", x))))  # exp(min(x, 0))
    out = g.op("add", g.op("relu", x), g.scale(g.op("sub", negative, g.const(1.0)), alpha))
    return out if scale == 1.0 else g.scale(out, scale)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _hardtanh(call: Call) -> int:
    g = call.graph
    return clamp_between(g, call.tensors[0], g.const(call.number("min_val", -1.0)), g.const(call.number("max_val", 1.0)))


def _log_softmax(call: Call, negated: bool = False) -> int:
    g, x, dim = call.graph, call.tensors[0], call.dim(required=True)
    x = g.op("neg", x) if negated else x
    return g.op("sub", x, g.reduce("logsumexp", x, dim, keepdim=True))


def _softmax(call: Call, negated: bool = False) -> int:
    return call.graph.op("exp", _log_softmax(call, negated))


def _safe_softmax(call: Call) -> int:
    """torch's _safe_softmax(x, dim): softmax along dim, 0 along a slice holding nothing but -inf (softmax's nan there).

    NOTE: the -inf elements are left out of the sum (select) rather than computed with; the shift (a logsumexp of the
    kept elements and 0s, so no exp overflows) takes no gradient: it cancels."""
    g, x, dim = call.graph, call.tensors[0], call.dim(required=True)
    kept = g.op("gt", x, g.const(-float(np.finfo(np.float64).max)))
    shift = g.reduce("logsumexp", g.op("select", kept, g.op("stop_gradient", x)), dim, keepdim=True)
    exps = g.op("select", kept, g.op("exp", g.op("sub", g.op("select", kept, x), shift)))
    empty = g.op("sub", g.const(1.0), g.op("gt", g.reduce("sum", kept, dim, keepdim=True), g.const(0.0)))
    return g.op("div", exps, g.op("add", g.reduce("sum", exps, dim, keepdim=True), empty))


def _gelu(call: Call) -> int:
    if call.choice("approximate", ("none", "tanh"), "none") == "tanh":
        return _gelu_tanh(call.graph, call.tensors[0])
    g, x = call.graph, call.tensors[0]
    return g.scale(g.op("mul", x, g.op("add", g.const(1.0), g.op("erf", g.op("div", x, g.op("sqrt", g.const(2.0)))))), 0.5)


def _celu(call: Call) -> int:
    """celu(x, alpha) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    g, x = call.graph, call.tensors[0]
    alpha = call.number("alpha", 1.0)
    negative = g.op("neg", g.op("relu", g.op("neg", x)))  # min(x, 0)
    return g.op("add", g.op("relu", x), g.scale(g.op("sub", g.op("exp", g.scale(negative, 1 / alpha)), g.const(1.0)), alpha))


def _normalize(call: Call) -> int:
    """F.normalize(x, p=2, dim=1, eps=1e-12): x / max(||x||_p along dim, eps)."""
    g, x = call.graph, call.tensors[0]
    dim = dim_of(call)
    norm = vector_norm(g, x, call.number("p", 2.0), (1 if dim is None else dim,), True)
    return g.op("div", x, clamp_between(g, norm, g.const(call.number("eps", 1e-12)), None))


def _cosine_similarity(call: Call) -> int:
    """F.cosine_similarity(x1, x2, dim=1, eps=1e-8): x1 . x2 / (max(||x1||, eps) * max(||x2||, eps)), as torch documents it."""
    g, (a, b) = call.graph, call.tensors
    dim = dim_of(call)
    dim = 1 if dim is None else dim
    eps = g.const(call.number("eps", 1e-8))
    norms = [clamp_between(g, g.op("sqrt", g.reduce("sum", g.op("mul", v, v), dim)), eps, None) for v in (a, b)]
    return g.op("div", g.reduce("sum", g.op("mul", a, b), dim), g.op("mul", *norms))


def _glu(call: Call) -> int:
    """F.glu(x, dim=-1): the first half times the sigmoid of the second, along dim."""
    g, x = call.graph, call.tensors[0]
    dim = call.integer("dim", 0, -1)
    n = g.builder.known_shape(x, g.col, f"{g.name}()")[dim]
    if n % 2:
        raise ExprError(f"{g.name}(): dim {dim} has an odd size ({n}); it is halved", g.col)
    first, second = (g.op("index", x, key=along(dim, slice(a, b))) for a, b in ((0, n // 2), (n // 2, n)))
    return g.op("mul", first, g.op("sigmoid", second))


def _prelu(call: Call) -> int:
    """F.prelu(x, weight): relu(x) - weight * relu(-x), weight per channel (dim 1) or one number."""
    g, x, weight = call.graph, call.tensors[0], call.tensor("weight", 1)
    if weight is None:
        raise ExprError(f"{g.name}() takes a weight tensor", g.col)
    shape, size = g.builder.known_shape(x, g.col, f"{g.name}()"), g.builder.known_shape(weight, g.col, f"{g.name}()")
    if len(shape) >= 2 and size and size[0] > 1:
        weight = g.op("reshape", weight, shape=(size[0],) + (1,) * (len(shape) - 2))
    return g.op("sub", g.op("relu", x), g.op("mul", weight, g.op("relu", g.op("neg", x))))


def _softplus(call: Call) -> int:
    """F.softplus(x, beta=1, threshold=20): softplus(beta x) / beta, and x itself where beta x > threshold (as torch)."""
    g, x = call.graph, call.tensors[0]
    beta, threshold = call.scalar("beta", 0, 1.0), call.scalar("threshold", 1, 20.0)
    scaled = g.scale(x, beta) if beta != 1 else x
    smooth = g.op("softplus", scaled) if beta == 1 else g.scale(g.op("softplus", scaled), 1 / beta)
    linear = g.op("gt", scaled, g.const(threshold))
    return g.op("add", g.op("select", linear, x), g.op("select", g.op("sub", g.const(1.0), linear), smooth))


def _threshold(call: Call) -> int:
    """F.threshold(x, threshold, value): x where x > threshold, else value."""
    g, x = call.graph, call.tensors[0]
    above = g.op("gt", x, g.const(call.scalar("threshold", 0, 0.0)))
    return g.op("add", g.op("select", above, x), g.op("mul", g.op("sub", g.const(1.0), above), g.const(call.scalar("value", 1, 0.0))))


def _shrink(hard: bool) -> Callable[[Call], int]:
    """softshrink: x - lambd sign(x) beyond lambd, else 0; hardshrink: x beyond lambd, else 0."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        lambd = g.const(call.scalar("lambd", 0, 0.5))
        outside = g.op("add", g.op("gt", x, lambd), g.op("gt", g.op("neg", lambd), x))
        if hard:
            return g.op("select", outside, x)
        return g.op("sub", g.op("relu", g.op("sub", x, lambd)), g.op("relu", g.op("sub", g.op("neg", x), lambd)))

    return compose


def _rrelu(call: Call) -> int:
    """F.rrelu(x, lower=1/8, upper=1/3, training=False): in eval, leaky_relu with the mean slope; random in training."""
    if call.flag("training", False):
        raise ExprError(f"not supported: {call.graph.name}() in training draws unseeded random slopes; give training=False", call.graph.col)
    g, x = call.graph, call.tensors[0]
    slope = (call.scalar("lower", 0, 1 / 8) + call.scalar("upper", 1, 1 / 3)) / 2
    return g.op("sub", g.op("relu", x), g.scale(g.op("relu", g.op("neg", x)), slope))


SPELLINGS: dict[str, Function] = {
    "glu": spelling(_glu, (1, 1), keywords=("dim",)),
    "prelu": spelling(_prelu, (1, 2), keywords=("weight",)),
    "softmin": spelling(lambda call: _softmax(call, negated=True), (1, 1), keywords=("dim", "axis")),
    "F.softplus": spelling(_softplus, (1, 1), keywords=("beta", "threshold")),
    "threshold": spelling(_threshold, (1, 1), keywords=("threshold", "value")),
    "softshrink": spelling(_shrink(hard=False), (1, 1), keywords=("lambd",)),
    "hardshrink": spelling(_shrink(hard=True), (1, 1), keywords=("lambd",)),
    "tanhshrink": unary(lambda g, x: g.op("sub", x, g.op("tanh", x))),
    "rrelu": spelling(_rrelu, (1, 1), keywords=("lower", "upper", "training", "inplace")),
    "silu": unary(lambda g, x: g.op("mul", x, g.op("sigmoid", x))),
    "logsigmoid": unary(lambda g, x: g.op("neg", g.op("softplus", g.op("neg", x)))),
    "softsign": unary(lambda g, x: g.op("div", x, g.op("add", g.const(1.0), g.op("abs", x)))),
    "mish": unary(lambda g, x: g.op("mul", x, g.op("tanh", g.op("softplus", x)))),
    "leaky_relu": spelling(_leaky_relu, (1, 1), ("negative_slope",)),
    "elu": spelling(_elu, (1, 1), ("alpha",)),
    "selu": spelling(lambda call: _elu(call, SELU_ALPHA, SELU_SCALE), (1, 1)),
    "hardtanh": spelling(_hardtanh, (1, 1), ("min_val", "max_val")),
    "relu6": unary(lambda g, x: clamp_between(g, x, g.const(0.0), g.const(6.0))),
    "softmax": spelling(_softmax, (1, 1), keywords=("dim", "axis")),
    "log_softmax": spelling(_log_softmax, (1, 1), keywords=("dim", "axis")),
    "_safe_softmax": spelling(_safe_softmax, (1, 1), keywords=("dim", "dtype")),
    "gelu": spelling(_gelu, (1, 1), keywords=("approximate",)),
    "hardsigmoid": unary(lambda g, x: g.scale(clamp_between(g, g.op("add", x, g.const(3.0)), g.const(0.0), g.const(6.0)), 1 / 6)),
    "hardswish": unary(lambda g, x: g.op("mul", x, g.scale(clamp_between(g, g.op("add", x, g.const(3.0)), g.const(0.0), g.const(6.0)), 1 / 6))),
    "celu": spelling(_celu, (1, 1), ("alpha",)),
    "normalize": spelling(_normalize, (1, 1), keywords=("p", "dim", "eps")),
    "cosine_similarity": spelling(_cosine_similarity, (2, 2), keywords=("dim", "eps")),
}  # fmt: skip

DIM_POSITIONAL = frozenset({"softmax", "log_softmax", "softmin", "glu", "_safe_softmax"})
# Names whose positional numbers are parameters (F.threshold(x, 0.1, -2)), not tensors.
LITERAL_POSITIONAL = NUMBER_POSITIONAL = frozenset({"F.softplus", "threshold", "softshrink", "hardshrink", "rrelu"})
