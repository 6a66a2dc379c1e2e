"""Operations composed from primitives: activations, losses, softmax, variance, numpy aliases.

Each spelling here builds a few primitive nodes of ``ops.OPS`` (softmax is
``exp(x - logsumexp(x, dim))``), so every engine differentiates it with no rule of
its own.  Where libraries give one name different meanings (``torch.var`` is
unbiased, ``np.var`` is not), the numpy meaning is filed under ``np.<name>``
and chosen by the ``np.``/``numpy.`` prefix.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from verifygrad.language.syntax import ExprError, Function, column, literal, reduction_attrs

NUMPY_PREFIXES = frozenset({"np", "numpy", "np.linalg", "numpy.linalg"})
REDUCTIONS = ("mean", "sum", "none")  # the `reduction=` of torch's losses
LN2, LN10 = math.log(2), math.log(10)


class Builder(Protocol):
    """What a spelling needs of the parser's builder."""

    nodes: list[Any]

    def add(self, op: str, args: tuple[int, ...] = (), col: int = 0, spelling: str = "", **attrs: Any) -> int: ...

    def const(self, value: Any, col: int, symbol: str | None = None) -> int: ...


@dataclass
class Graph:
    """Adds primitive nodes for one call of a composed spelling, all at the call's column and under its name."""

    builder: Builder
    name: str
    col: int

    def op(self, op: str, *args: int, **attrs: Any) -> int:
        return self.builder.add(op, args, self.col, self.name, **attrs)

    def const(self, value: float) -> int:
        return self.builder.const(value, self.col)

    def scale(self, x: int, factor: float) -> int:
        return self.op("mul", x, self.const(factor))

    def reduce(self, op: str, x: int, dim: int | None = None, keepdim: bool = False) -> int:
        return self.op(op, x, dim=dim, keepdim=keepdim)

    def count(self, x: int, dim: int | None, keepdim: bool = False) -> int:
        """The number of elements a reduction of x along dim takes in, computed in the graph.

        NOTE: the parser does not know shapes; 0*x + 1 summed is that number exactly in
        every engine, and passes no gradient back to x.
        """
        ones = self.op("add", self.op("mul", x, self.const(0.0)), self.const(1.0))
        return self.reduce("sum", ones, dim, keepdim)


@dataclass
class Call:
    """The arguments of one call: tensor node ids, and parameters read from literals."""

    graph: Graph
    tensors: list[int]
    params: dict[str, ast.AST | int]  # an AST literal (keyword) or a const node id (positional)
    dims: list[int]

    def number(self, key: str, default: float) -> float:
        given = self.params.get(key)
        if given is None:
            return default
        if isinstance(given, int):  # a positional argument, already a const node
            node = self.graph.builder.nodes[given]
            if node.op == "const" and node.attrs["value"].shape == ():
                return float(node.attrs["value"])
            raise ExprError(f"{self.graph.name}() takes {key} as a number", self.graph.col)
        value = literal(given)
        if not isinstance(value, (int, float)):
            raise ExprError(f"{self.graph.name}() takes {key} as a number", column(given))
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        given = self.params.get(key)
        if given is None:
            return default
        if isinstance(given, ast.Constant) and isinstance(given.value, bool):
            return given.value
        raise ExprError(f"{key} must be True or False", self.graph.col)

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        given = self.params.get(key)
        if given is None:
            return default
        if isinstance(given, ast.Constant) and given.value in options:
            return given.value
        raise ExprError(f"{self.graph.name}() takes {key} as one of {', '.join(map(repr, options))}", self.graph.col)

    def dim(self, required: bool = False) -> int | None:
        keywords = {key: node for key, node in self.params.items() if key in ("dim", "axis") and isinstance(node, ast.AST)}
        dim = reduction_attrs(self.graph.name, keywords, self.dims, self.graph.col)["dim"]
        if dim is None and required:
            raise ExprError(f"{self.graph.name}() needs a dimension, e.g. {self.graph.name}(x, dim=-1)", self.graph.col)
        return dim

    def keepdim(self) -> bool:
        keywords = {key: node for key, node in self.params.items() if key in ("keepdim", "keepdims") and isinstance(node, ast.AST)}
        return reduction_attrs(self.graph.name, keywords, [], self.graph.col)["keepdim"]


Compose = Callable[[Call], int]


def spelling(compose: Compose, tensors: tuple[int, int], params: tuple[str, ...] = (), keywords: tuple[str, ...] = ()) -> Function:
    """A parser Function for a composition: ``tensors`` (min, max) tensor arguments, then ``params`` positionally."""

    def build(b: Builder, name: str, args: list[int], given: dict[str, ast.AST], col: int, dims: list[int]) -> int:
        count = min(len(args), tensors[1])
        positional = dict(zip(params, args[count:]))
        if len(args) > count + len(params) or set(positional) & set(given):
            raise ExprError(f"{name}() got too many arguments", col)
        if count < tensors[0]:
            raise ExprError(f"{name}() takes at least {tensors[0]} tensor argument(s), got {count}", col)
        return compose(Call(Graph(b, name, col), args[:count], {**positional, **given}, dims))

    return Function(build, (tensors[0], tensors[1] + len(params)), frozenset(params) | frozenset(keywords))


# --- elementwise -------------------------------------------------------------


def unary(formula: Callable[[Graph, int], int]) -> Function:
    return spelling(lambda call: formula(call.graph, call.tensors[0]), (1, 1))


def _sinh(g: Graph, x: int) -> int:
    return g.scale(g.op("sub", g.op("exp", x), g.op("exp", g.op("neg", x))), 0.5)


def _cosh(g: Graph, x: int) -> int:
    return g.scale(g.op("add", g.op("exp", x), g.op("exp", g.op("neg", x))), 0.5)


def _asinh(g: Graph, x: int) -> int:
    # NOTE: x + sqrt(x*x + 1) cancels for large negative x: digits are lost there in float arithmetic.
    return g.op("log", g.op("add", x, g.op("sqrt", g.op("add", g.op("mul", x, x), g.const(1.0)))))


def _acosh(g: Graph, x: int) -> int:
    return g.op("log", g.op("add", x, g.op("sqrt", g.op("sub", g.op("mul", x, x), g.const(1.0)))))


def _atanh(g: Graph, x: int) -> int:
    return g.scale(g.op("sub", g.op("log1p", x), g.op("log1p", g.op("neg", x))), 0.5)


def _gelu_tanh(g: Graph, x: int) -> int:
    cube = g.op("mul", g.op("mul", x, x), x)
    inner = g.scale(g.op("add", x, g.scale(cube, 0.044715)), math.sqrt(2 / math.pi))
    return g.scale(g.op("mul", x, g.op("add", g.const(1.0), g.op("tanh", inner))), 0.5)


def _clamp_between(g: Graph, x: int, low: int | None, high: int | None) -> int:
    """x held to [low, high] with relu: low + relu(x - low) - relu(x - high) (bounds may be tensors)."""
    if low is None and high is None:
        raise ExprError(f"{g.name}() needs at least one of min and max", g.col)
    if low is None:
        return g.op("sub", high, g.op("relu", g.op("sub", high, x)))
    out = g.op("add", low, g.op("relu", g.op("sub", x, low)))
    return out if high is None else g.op("sub", out, g.op("relu", g.op("sub", x, high)))


def _bound(call: Call, key: str) -> int | None:
    """A clamp bound: a positional node, or a keyword literal number."""
    given = call.params.get(key)
    if given is None or isinstance(given, int):
        return given
    return call.graph.const(call.number(key, 0.0))


def _clamp(low_key: str, high_key: str) -> Compose:
    return lambda call: _clamp_between(call.graph, call.tensors[0], _bound(call, low_key), _bound(call, high_key))


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


def _gelu(call: Call) -> int:
    if call.choice("approximate", ("none", "tanh"), "none") == "none":
        raise ExprError("not supported yet: the exact gelu (it needs erf); write gelu(x, approximate='tanh')", call.graph.col)
    return _gelu_tanh(call.graph, call.tensors[0])


def _hardtanh(call: Call) -> int:
    g = call.graph
    return _clamp_between(g, call.tensors[0], g.const(call.number("min_val", -1.0)), g.const(call.number("max_val", 1.0)))


def _logaddexp(call: Call, base: float = 1.0) -> int:
    g, (x, y) = call.graph, call.tensors
    if base == 1.0:
        return g.op("add", y, g.op("softplus", g.op("sub", x, y)))  # NOTE: softplus is accurate where exp would overflow
    return g.op("add", y, g.scale(g.op("softplus", g.scale(g.op("sub", x, y), LN2)), 1 / LN2))


# --- softmax, variance, losses ---------------------------------------------------


def _log_softmax(call: Call) -> int:
    g, x, dim = call.graph, call.tensors[0], call.dim(required=True)
    return g.op("sub", x, g.reduce("logsumexp", x, dim, keepdim=True))


def _softmax(call: Call) -> int:
    return call.graph.op("exp", _log_softmax(call))


def _variance(call: Call, default_correction: float) -> int:
    g, x = call.graph, call.tensors[0]
    dim, keepdim = call.dim(), call.keepdim()
    correction = call.number("correction", call.number("ddof", default_correction))
    if "unbiased" in call.params:
        correction = 1.0 if call.flag("unbiased", True) else 0.0
    centred = g.op("sub", x, g.reduce("mean", x, dim, keepdim=True))
    total = g.reduce("sum", g.op("mul", centred, centred), dim, keepdim)
    return g.op("div", total, g.op("sub", g.count(x, dim, keepdim), g.const(correction)))


def _std(call: Call, default_correction: float) -> int:
    return call.graph.op("sqrt", _variance(call, default_correction))


def _reduce_loss(call: Call, pointwise: int) -> int:
    reduction = call.choice("reduction", REDUCTIONS, "mean")
    return pointwise if reduction == "none" else call.graph.reduce(reduction, pointwise)


def _difference(call: Call) -> int:
    return call.graph.op("sub", *call.tensors)


def _mse_loss(call: Call) -> int:
    d = _difference(call)
    return _reduce_loss(call, call.graph.op("mul", d, d))


def _l1_loss(call: Call) -> int:
    return _reduce_loss(call, call.graph.op("abs", _difference(call)))


def _huber(g: Graph, d: int, delta: float) -> int:
    """0.5 d**2 within delta of 0, delta*(|d| - delta/2) beyond: with m = min(|d|, delta), 0.5 m**2 + delta (|d| - m)."""
    size = g.op("abs", d)
    excess = g.op("relu", g.op("sub", size, g.const(delta)))
    held = g.op("sub", size, excess)
    return g.op("add", g.scale(g.op("mul", held, held), 0.5), g.scale(excess, delta))


def _huber_loss(call: Call) -> int:
    return _reduce_loss(call, _huber(call.graph, _difference(call), call.number("delta", 1.0)))


def _smooth_l1_loss(call: Call) -> int:
    beta = call.number("beta", 1.0)
    d = _difference(call)
    if beta == 0:
        return _reduce_loss(call, call.graph.op("abs", d))
    return _reduce_loss(call, call.graph.scale(_huber(call.graph, d, beta), 1 / beta))


def _bce_with_logits(call: Call) -> int:
    g, (x, t) = call.graph, call.tensors
    return _reduce_loss(call, g.op("sub", g.op("softplus", x), g.op("mul", x, t)))  # log(1 + e^x) - t x


def _bce(call: Call) -> int:
    # NOTE: torch clamps each log at -100; at p = 0 or 1 exactly this gives inf, as the formula does.
    g, (p, t) = call.graph, call.tensors
    one = g.const(1.0)
    log_terms = g.op("add", g.op("mul", t, g.op("log", p)), g.op("mul", g.op("sub", one, t), g.op("log1p", g.op("neg", p))))
    return _reduce_loss(call, g.op("neg", log_terms))


def _class_weights(call: Call, log_probabilities: int) -> int:
    """-sum over classes (dim 1) of target distribution * log probabilities: per sample."""
    g, target = call.graph, call.tensors[1]
    distribution = g.op("one_hot", target, log_probabilities)
    return g.op("neg", g.reduce("sum", g.op("mul", distribution, log_probabilities), 1))


def _cross_entropy(call: Call) -> int:
    g, x = call.graph, call.tensors[0]
    log_probabilities = g.op("sub", x, g.reduce("logsumexp", x, 1, keepdim=True))
    return _reduce_loss(call, _class_weights(call, log_probabilities))


def _nll_loss(call: Call) -> int:
    return _reduce_loss(call, _class_weights(call, call.tensors[0]))


def _kl_div(call: Call) -> int:
    g, (x, t) = call.graph, call.tensors
    # NOTE: torch takes 0*log(0) as 0 (xlogy); t*log(t) gives nan there: targets must be positive.
    log_target = call.flag("log_target", False)
    target = g.op("exp", t) if log_target else t
    pointwise = g.op("mul", target, g.op("sub", t if log_target else g.op("log", t), x))
    reduction = call.choice("reduction", (*REDUCTIONS, "batchmean"), "mean")
    if reduction == "batchmean":  # the sum divided by the batch size: the mean over dim 0, summed
        return g.reduce("sum", g.reduce("mean", pointwise, 0))
    return pointwise if reduction == "none" else g.reduce(reduction, pointwise)


def _alias(op: str, arity: int = 1) -> Function:
    return spelling(lambda call: call.graph.op(op, *call.tensors), (arity, arity))


_LOSS = ("reduction",)
_VARIANCE = ("dim", "axis", "keepdim", "keepdims", "unbiased", "correction", "ddof")

COMPOSED: dict[str, Function] = {
    # numpy's names for primitives
    "absolute": _alias("abs"), "negative": _alias("neg"), "power": _alias("pow", 2), "add": _alias("add", 2),
    "subtract": _alias("sub", 2), "multiply": _alias("mul", 2), "divide": _alias("div", 2), "true_divide": _alias("div", 2),
    # elementwise
    "square": unary(lambda g, x: g.op("mul", x, x)),
    "reciprocal": unary(lambda g, x: g.op("div", g.const(1.0), x)),
    "rsqrt": unary(lambda g, x: g.op("div", g.const(1.0), g.op("sqrt", x))),
    "hypot": spelling(lambda c: c.graph.op("sqrt", c.graph.op("add", *(c.graph.op("mul", t, t) for t in c.tensors))), (2, 2)),
    "exp2": unary(lambda g, x: g.op("pow", g.const(2.0), x)),
    "log2": unary(lambda g, x: g.scale(g.op("log", x), 1 / LN2)),
    "log10": unary(lambda g, x: g.scale(g.op("log", x), 1 / LN10)),
    "logaddexp": spelling(_logaddexp, (2, 2)),
    "logaddexp2": spelling(lambda call: _logaddexp(call, base=2.0), (2, 2)),
    "deg2rad": unary(lambda g, x: g.scale(x, math.pi / 180)), "radians": unary(lambda g, x: g.scale(x, math.pi / 180)),
    "rad2deg": unary(lambda g, x: g.scale(x, 180 / math.pi)), "degrees": unary(lambda g, x: g.scale(x, 180 / math.pi)),
    "sinh": unary(_sinh), "cosh": unary(_cosh), "asinh": unary(_asinh), "acosh": unary(_acosh), "atanh": unary(_atanh),
    "arcsinh": unary(_asinh), "arccosh": unary(_acosh), "arctanh": unary(_atanh),
    # activations
    "silu": unary(lambda g, x: g.op("mul", x, g.op("sigmoid", x))),
    "logsigmoid": unary(lambda g, x: g.op("neg", g.op("softplus", g.op("neg", x)))),
    "softsign": unary(lambda g, x: g.op("div", x, g.op("add", g.const(1.0), g.op("abs", x)))),
    "mish": unary(lambda g, x: g.op("mul", x, g.op("tanh", g.op("softplus", x)))),
    "leaky_relu": spelling(_leaky_relu, (1, 1), ("negative_slope",)),
    "elu": spelling(_elu, (1, 1), ("alpha",)),
    "selu": spelling(lambda call: _elu(call, SELU_ALPHA, SELU_SCALE), (1, 1)),
    "gelu": spelling(_gelu, (1, 1), keywords=("approximate",)),
    "hardtanh": spelling(_hardtanh, (1, 1), ("min_val", "max_val")),
    "relu6": unary(lambda g, x: _clamp_between(g, x, g.const(0.0), g.const(6.0))),
    "clamp": spelling(_clamp("min", "max"), (1, 1), ("min", "max")),
    "clip": spelling(_clamp("min", "max"), (1, 1), ("min", "max")),
    # softmax and variance
    "softmax": spelling(_softmax, (1, 1), keywords=("dim", "axis")),
    "log_softmax": spelling(_log_softmax, (1, 1), keywords=("dim", "axis")),
    "var": spelling(lambda call: _variance(call, 1.0), (1, 1), keywords=_VARIANCE),
    "std": spelling(lambda call: _std(call, 1.0), (1, 1), keywords=_VARIANCE),
    # losses (torch.nn.functional)
    "mse_loss": spelling(_mse_loss, (2, 2), keywords=_LOSS),
    "l1_loss": spelling(_l1_loss, (2, 2), keywords=_LOSS),
    "huber_loss": spelling(_huber_loss, (2, 2), keywords=(*_LOSS, "delta")),
    "smooth_l1_loss": spelling(_smooth_l1_loss, (2, 2), keywords=(*_LOSS, "beta")),
    "binary_cross_entropy_with_logits": spelling(_bce_with_logits, (2, 2), keywords=_LOSS),
    "binary_cross_entropy": spelling(_bce, (2, 2), keywords=_LOSS),
    "cross_entropy": spelling(_cross_entropy, (2, 2), keywords=_LOSS),
    "nll_loss": spelling(_nll_loss, (2, 2), keywords=_LOSS),
    "kl_div": spelling(_kl_div, (2, 2), keywords=(*_LOSS, "log_target")),
}  # fmt: skip

# The numpy meaning of a name torch gives another meaning, chosen by the np./numpy. prefix.
NUMPY: dict[str, Function] = {
    "np.var": spelling(lambda call: _variance(call, 0.0), (1, 1), keywords=_VARIANCE),
    "np.std": spelling(lambda call: _std(call, 0.0), (1, 1), keywords=_VARIANCE),
    "np.clip": spelling(_clamp("a_min", "a_max"), (1, 1), ("a_min", "a_max")),
}

# Names whose positional integer arguments are dimensions: softmax(x, 1), var(x, 0).
DIM_POSITIONAL = frozenset({"softmax", "log_softmax", "var", "std", "np.var", "np.std"})

# Asked for often, left out on purpose: a clear error rather than a wrong answer.
UNSUPPORTED: dict[str, str] = {
    **dict.fromkeys(("complex", "real", "imag", "conj", "angle", "view_as_complex", "polar"), "complex numbers"),
    **dict.fromkeys(("svd", "svdvals", "eig", "eigh", "eigvals", "eigvalsh", "pinv", "matrix_rank", "lstsq"), "SVD and eigendecompositions"),
    **dict.fromkeys(("sort", "argsort", "topk", "kthvalue", "median", "quantile", "nanmedian", "msort"), "sorting"),
    **dict.fromkeys(("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolve", "correlate",
                     "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool2d",
                     "adaptive_max_pool2d", "unfold", "fold"), "convolutions and pooling"),
}  # fmt: skip


def library_name(name: str, prefix: str | None) -> str:
    """The table key for a call: ``np.var`` for numpy's var, the bare name otherwise."""
    return f"np.{name}" if prefix in NUMPY_PREFIXES and f"np.{name}" in NUMPY else name


def unsupported(name: str, col: int) -> ExprError:
    return ExprError(f"not supported yet: {UNSUPPORTED[name]} ('{name}')", col)
