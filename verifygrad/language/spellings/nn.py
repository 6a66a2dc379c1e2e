"""Activations, softmax and the normalizations of torch.nn.functional."""

from __future__ import annotations

from verifygrad.language.spellings.compose import Call, Graph, dim_of, spelling, unary
from verifygrad.language.spellings.elementwise import clamp_between
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


def _log_softmax(call: Call) -> int:
    g, x, dim = call.graph, call.tensors[0], call.dim(required=True)
    return g.op("sub", x, g.reduce("logsumexp", x, dim, keepdim=True))


def _softmax(call: Call) -> int:
    return call.graph.op("exp", _log_softmax(call))


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
    """F.normalize(x, p=2, dim=1, eps=1e-12): x / max(||x||_2 along dim, eps)."""
    g, x = call.graph, call.tensors[0]
    if call.number("p", 2.0) != 2.0:
        raise ExprError("not supported yet: normalize() with p other than 2", g.col)
    dim = dim_of(call)
    norm = g.op("sqrt", g.reduce("sum", g.op("mul", x, x), 1 if dim is None else dim, keepdim=True))
    return g.op("div", x, clamp_between(g, norm, g.const(call.number("eps", 1e-12)), None))


def _cosine_similarity(call: Call) -> int:
    """F.cosine_similarity(x1, x2, dim=1, eps=1e-8): x1 . x2 / (max(||x1||, eps) * max(||x2||, eps)), as torch documents it."""
    g, (a, b) = call.graph, call.tensors
    dim = dim_of(call)
    dim = 1 if dim is None else dim
    eps = g.const(call.number("eps", 1e-8))
    norms = [clamp_between(g, g.op("sqrt", g.reduce("sum", g.op("mul", v, v), dim)), eps, None) for v in (a, b)]
    return g.op("div", g.reduce("sum", g.op("mul", a, b), dim), g.op("mul", *norms))


SPELLINGS: dict[str, Function] = {
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
    "gelu": spelling(_gelu, (1, 1), keywords=("approximate",)),
    "hardsigmoid": unary(lambda g, x: g.scale(clamp_between(g, g.op("add", x, g.const(3.0)), g.const(0.0), g.const(6.0)), 1 / 6)),
    "hardswish": unary(lambda g, x: g.op("mul", x, g.scale(clamp_between(g, g.op("add", x, g.const(3.0)), g.const(0.0), g.const(6.0)), 1 / 6))),
    "celu": spelling(_celu, (1, 1), ("alpha",)),
    "normalize": spelling(_normalize, (1, 1), keywords=("p", "dim", "eps")),
    "cosine_similarity": spelling(_cosine_similarity, (2, 2), keywords=("dim", "eps")),
}  # fmt: skip

DIM_POSITIONAL = frozenset({"softmax", "log_softmax"})
