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
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from verifygrad.language.syntax import ExprError, Function, column, literal, reduction_attrs

NUMPY_PREFIXES = frozenset({"np", "numpy", "np.linalg", "numpy.linalg"})
REDUCTIONS = ("mean", "sum", "none")  # the `reduction=` of torch's losses


class Builder(Protocol):
    """What a spelling needs of the parser's builder."""

    nodes: list[Any]

    def visit(self, node: ast.AST, depth: int) -> int: ...

    def visit_call(self, node: ast.Call, depth: int, part: int | None = None) -> int: ...

    def add(self, op: str, args: tuple[int, ...] = (), col: int = 0, spelling: str = "", **attrs: Any) -> int: ...

    def const(self, value: Any, col: int, symbol: str | None = None) -> int: ...

    def known_value(self, index: int, col: int, what: str, then: Callable[[Any], Any] = ...) -> Any: ...

    def known_shape(self, index: int, col: int, what: str) -> tuple[int, ...]: ...


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

    def checked(self, ndims: tuple[frozenset[int], ...], op: str, *args: int, **attrs: Any) -> int:
        """A node whose arguments must have these numbers of dimensions (else an error naming the spelling)."""
        index = self.op(op, *args, **attrs)
        self.builder.nodes[index] = replace(self.builder.nodes[index], ndims=ndims)
        return index

    def scale(self, x: int, factor: float) -> int:
        return self.op("mul", x, self.const(factor))

    def pi(self) -> int:
        return self.builder.const(math.pi, self.col, symbol="pi")

    def log_of(self, number: float) -> int:
        """log(number) as a node: exact in SymPy (log(2)), where a rounded float constant would not be."""
        return self.op("log", self.const(number))

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

    def part(self) -> int | None:
        """Which element of a tuple result is taken (torch.max(x, 0)[0] or .values), if any."""
        given = self.params.get(PART)
        return given.value if isinstance(given, ast.Constant) else None

    def literal(self, key: str, position: int, default: Any) -> Any:
        """A literal parameter: by keyword, or the position-th literal positional argument."""
        if key in self.params and isinstance(self.params[key], ast.AST):
            return literal(self.params[key])
        return self.dims[position] if len(self.dims) > position else default

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


def _deg2rad(g: Graph, x: int) -> int:
    return g.op("div", g.op("mul", x, g.pi()), g.const(180.0))


def _rad2deg(g: Graph, x: int) -> int:
    return g.op("div", g.scale(x, 180.0), g.pi())


def _gelu_tanh(g: Graph, x: int) -> int:
    cube = g.op("mul", g.op("mul", x, x), x)
    inner = g.op("mul", g.op("add", x, g.scale(cube, 0.044715)), g.op("sqrt", g.op("div", g.const(2.0), g.pi())))
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


def _hardtanh(call: Call) -> int:
    g = call.graph
    return _clamp_between(g, call.tensors[0], g.const(call.number("min_val", -1.0)), g.const(call.number("max_val", 1.0)))


def _logaddexp(call: Call, base: float = 1.0) -> int:
    g, (x, y) = call.graph, call.tensors
    if base == 1.0:
        return g.op("add", y, g.op("softplus", g.op("sub", x, y)))  # NOTE: softplus is accurate where exp would overflow
    ln2 = g.log_of(2.0)
    return g.op("add", y, g.op("div", g.op("softplus", g.op("mul", g.op("sub", x, y), ln2)), ln2))


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


def _class_weights(g: Graph, target: int, log_probabilities: int) -> int:
    """-sum over classes (dim 1) of target distribution * log probabilities: per sample."""
    distribution = g.op("one_hot", target, log_probabilities)
    return g.op("neg", g.reduce("sum", g.op("mul", distribution, log_probabilities), 1))


def _target_entropy_term(g: Graph, t: int) -> int:
    """t * log(t), 0 where t is 0 (torch's xlogy): log is taken of 1 there, so no nan reaches a gradient."""
    positive = g.op("gt", t, g.const(0.0))
    safe = g.op("add", g.op("select", positive, t), g.op("sub", g.const(1.0), positive))
    return g.op("mul", t, g.op("log", safe))


def _cross_entropy(call: Call) -> int:
    return _class_loss(call, lambda g, x: g.op("sub", x, g.reduce("logsumexp", x, 1, keepdim=True)))


def _nll_loss(call: Call) -> int:
    return _class_loss(call, lambda g, x: x)


def _class_loss(call: Call, log_probabilities: Callable[[Graph, int], int]) -> int:
    """cross_entropy and nll_loss: classes along dim 1 of (N, C, ...) input; an unbatched (C,) input (a 0-d class
    index, or C probabilities) as a batch of one, the result unbatched again."""
    g, (x, target) = call.graph, call.tensors
    if not _unbatched(g, x):
        return _reduce_loss(call, _class_weights(g, target, log_probabilities(g, x)))
    target_shape = g.builder.known_shape(target, g.col, f"the target of {g.name}()")
    batch = g.op("reshape", target, shape=(1,) + tuple(target_shape))
    per_sample = _class_weights(g, batch, log_probabilities(g, g.op("reshape", x, shape=(1, -1))))
    return _reduce_loss(call, g.op("reshape", per_sample, shape=()))


def _unbatched(g: Graph, x: int) -> bool:
    """Whether x is one sample of C scores (1-D); the parser alone cannot know, and reads it as a batch then."""
    if not getattr(g.builder, "decides", False):
        return False
    return len(g.builder.known_shape(x, g.col, f"{g.name}()")) == 1


def _kl_div(call: Call) -> int:
    g, (x, t) = call.graph, call.tensors
    log_target = call.flag("log_target", False)
    target = g.op("exp", t) if log_target else t
    pointwise = g.op("sub", _target_entropy_term(g, t), g.op("mul", t, x)) if not log_target else g.op("mul", target, g.op("sub", t, x))
    reduction = call.choice("reduction", (*REDUCTIONS, "batchmean"), "mean")
    if reduction == "batchmean":  # the sum divided by the batch size: the mean over dim 0, summed
        return g.reduce("sum", g.reduce("mean", pointwise, 0))
    return pointwise if reduction == "none" else g.reduce(reduction, pointwise)


# --- max and min, indexing, reshaping, joining --------------------------------------


def _extreme(op: str, elementwise: str, torch_style: bool) -> Compose:
    """max/min: of two tensors elementwise; over all or along dim (torch: a (values, indices) pair then)."""

    def compose(call: Call) -> int:
        g = call.graph
        if len(call.tensors) == 2:
            return g.op(elementwise, *call.tensors)
        dim, keepdim, part = call.dim(), call.keepdim(), call.part()
        if torch_style and dim is not None:
            if part is None:
                raise ExprError(f"{g.name}(x, dim) returns (values, indices): take .values or [0]", g.col)
            if part == 1:
                return _positions_of_extreme(call, lowest=op == "amin")
        elif part is not None:
            raise ExprError(f"{g.name}() returns one tensor here: it has no .values or [0]", g.col)
        return g.reduce(op, call.tensors[0], dim, keepdim)

    return compose


def _positions_of_extreme(call: Call, lowest: bool) -> int:
    """argmax/argmin, and the indices of torch.max(x, dim): integers without a gradient, so a constant fixed at the
    case's values (the first of a tie, as numpy and torch on the CPU); a note in the report gives them."""
    g, dim, keepdim = call.graph, call.dim(), call.keepdim()
    if keepdim and dim is None:
        raise ExprError(f"{g.name}() with keepdim needs a dim", g.col)

    def first(value: np.ndarray) -> np.ndarray:
        positions = (np.argmin if lowest else np.argmax)(value, axis=dim)
        return np.expand_dims(positions, dim) if keepdim else positions

    return g.builder.const(g.builder.known_value(call.tensors[0], g.col, f"{g.name}()", then=first), g.col)


def _shape_literal(call: Call) -> tuple[int, ...]:
    given = call.literal("shape", 0, None) if "shape" in call.params else call.literal("newshape", 0, None)
    shape = given if isinstance(given, list) else call.dims
    if not shape or not all(type(n) is int for n in shape):
        raise ExprError(f"{call.graph.name}() takes the new shape as integers, e.g. {call.graph.name}(x, (2, 3))", call.graph.col)
    return tuple(shape)


def _ints(value: Any, what: str, call: Call) -> tuple[int, ...]:
    values = value if isinstance(value, list) else [value]
    if not all(type(v) is int for v in values):
        raise ExprError(f"{call.graph.name}() takes {what} as integers", call.graph.col)
    return tuple(values)


def _reshape(call: Call) -> int:
    return call.graph.op("reshape", call.tensors[0], shape=_shape_literal(call))


def _flatten(call: Call) -> int:
    start, end = call.literal("start_dim", 0, 0), call.literal("end_dim", 1, -1)
    return call.graph.op("flatten", call.tensors[0], start_dim=start, end_dim=end)


def _unsqueeze(call: Call) -> int:
    return call.graph.op("expand_dims", call.tensors[0], dim=call.dim(required=True))


def _squeeze(call: Call) -> int:
    return call.graph.op("squeeze", call.tensors[0], dim=call.dim())


def _tile(call: Call) -> int:
    given = call.literal("reps", 0, None) if "reps" in call.params else call.literal("dims", 0, None)
    reps = given if isinstance(given, list) else call.dims
    return call.graph.op("tile", call.tensors[0], reps=_ints(reps, "the repetitions", call))


def _repeat_interleave(call: Call) -> int:
    repeats = call.literal("repeats", 0, None)
    if type(repeats) is not int:
        raise ExprError(f"{call.graph.name}() takes repeats as one integer", call.graph.col)
    dim = call.literal("dim", 1, None) if "dim" in call.params else call.literal("axis", 1, None)
    return call.graph.op("repeat", call.tensors[0], repeats=repeats, dim=dim)


def _flip(call: Call) -> int:
    given = next((call.literal(key, 0, None) for key in ("dims", "axis") if key in call.params), call.literal("dims", 0, None))
    if given is None and call.graph.name != "np.flip":
        raise ExprError("flip() needs dims, e.g. flip(x, [0])", call.graph.col)
    return call.graph.op("flip", call.tensors[0], dims=None if given is None else _ints(given, "dims", call))


def _flip_dim(dim: int) -> Compose:
    return lambda call: call.graph.op("flip", call.tensors[0], dims=(dim,))


def _roll(call: Call) -> int:
    shifts = call.literal("shifts", 0, None) if "shifts" in call.params else call.literal("shift", 0, None)
    dims = next((call.literal(key, 1, None) for key in ("dims", "axis") if key in call.params), call.literal("dims", 1, None))
    if isinstance(shifts, list) or isinstance(dims, list):
        shifts, dims = _ints(shifts, "shifts", call), _ints(dims, "dims", call)
    elif type(shifts) is not int:
        raise ExprError(f"{call.graph.name}() takes shifts as integers", call.graph.col)
    return call.graph.op("roll", call.tensors[0], shifts=shifts, dims=dims)


def _pad_torch(call: Call) -> int:
    flat = _ints(call.literal("pad", 0, None), "pad", call)
    mode = call.choice("mode", ("constant",), "constant")
    if len(flat) % 2 or call.number("value", 0.0) != 0 or mode != "constant":
        raise ExprError("pad() takes (before, after) widths for the last dims, last dim first, padding with zeros", call.graph.col)
    pairs = tuple((flat[i], flat[i + 1]) for i in range(len(flat) - 2, -1, -2))
    return call.graph.op("pad", call.tensors[0], pairs=pairs)


def _pad_numpy(call: Call) -> int:
    """np.pad(x, pad_width): one (before, after) pair per dimension, or one pair or one width for every dimension."""
    given = call.literal("pad_width", 0, None)
    if type(given) is int or (isinstance(given, list) and len(given) in (1, 2) and all(type(n) is int for n in given)):
        given = [[given, given] if type(given) is int else given * (3 - len(given))]  # 2 and [2] -> [2, 2]; [1, 2] stays
    if isinstance(given, list) and len(given) == 1 and getattr(call.graph.builder, "decides", False):  # one pair for every dim
        given = given * len(call.graph.builder.known_shape(call.tensors[0], call.graph.col, "np.pad()"))
    if not (isinstance(given, list) and all(isinstance(p, list) and len(p) == 2 for p in given)):
        raise ExprError("np.pad() takes a width, a (before, after) pair, or one pair per dimension, e.g. np.pad(x, ((1, 1), (0, 2)))", call.graph.col)
    pairs = tuple((int(before), int(after)) for before, after in given)
    return call.graph.op("pad", call.tensors[0], pairs=pairs, whole=True)


def _offset(key: str, default: int = 0) -> Callable[[Call], int]:
    def read(call: Call) -> int:
        value = next((call.literal(k, 0, None) for k in (key, "k", "offset", "diagonal") if k in call.params), call.literal(key, 0, default))
        if type(value) is not int:
            raise ExprError(f"{call.graph.name}() takes its diagonal as an integer", call.graph.col)
        return value

    return read


def _triangle(op: str) -> Compose:
    return lambda call: call.graph.op(op, call.tensors[0], k=_offset("diagonal")(call))


def _diag(call: Call) -> int:
    return call.graph.op("diag", call.tensors[0], k=_offset("diagonal")(call))


def _trace(call: Call) -> int:
    k = _offset("offset")(call)
    return call.graph.op("trace", call.tensors[0]) if k == 0 else call.graph.reduce("sum", call.graph.op("diag", call.tensors[0], k=k))


def _join_dim(call: Call) -> int:
    dim = call.dim()
    return 0 if dim is None else dim


def _cat(call: Call) -> int:
    g, dim = call.graph, _join_dim(call)
    out = call.tensors[0]
    for piece in call.tensors[1:]:
        out = g.op("concat", out, piece, dim=dim)
    return out


def _joined(call: Call, dim: int, lift: Callable[[Graph, int, int], int]) -> int:
    """The tensors, each lifted to the dims the join needs (by its number of dims), joined along ``dim``.

    NOTE: which dim numpy joins along depends on the arrays' dims, so their shapes are read from the inputs.
    """
    g = call.graph
    pieces = [lift(g, t, len(g.builder.known_shape(t, g.col, f"{g.name}()"))) for t in call.tensors]
    out = pieces[0]
    for piece in pieces[1:]:
        out = g.op("concat", out, piece, dim=dim)
    return out


def _hstack(call: Call) -> int:
    """Joined along dim 1, or dim 0 where the arrays are 1-D (np.hstack, torch.hstack)."""
    first = len(call.graph.builder.known_shape(call.tensors[0], call.graph.col, f"{call.graph.name}()"))
    return _joined(call, 0 if first <= 1 else 1, lambda g, t, ndim: g.op("reshape", t, shape=(1,)) if ndim == 0 else t)


def _vstack(call: Call) -> int:
    """Each array at least 2-D (a 1-D one becomes a row), joined along dim 0."""
    return _joined(call, 0, lambda g, t, ndim: g.op("reshape", t, shape=(1, -1)) if ndim < 2 else t)


def _dstack(call: Call) -> int:
    """Each array at least 3-D (n becomes 1 x n x 1, m x n becomes m x n x 1), joined along dim 2."""
    lifts = {0: (1, 1, 1), 1: (1, -1, 1)}
    return _joined(call, 2, lambda g, t, ndim: g.op("reshape", t, shape=lifts[ndim]) if ndim < 2 else g.op("expand_dims", t, dim=2) if ndim == 2 else t)


def _column_stack(call: Call) -> int:
    """1-D arrays as columns (n becomes n x 1), then joined along dim 1."""
    return _joined(call, 1, lambda g, t, ndim: g.op("reshape", t, shape=(-1, 1)) if ndim < 2 else t)


def _stack(call: Call) -> int:
    g, dim = call.graph, _join_dim(call)
    pieces = [g.op("expand_dims", t, dim=dim) for t in call.tensors]
    out = pieces[0]
    for piece in pieces[1:]:
        out = g.op("concat", out, piece, dim=dim)
    return out


def _along(dim: int, item: Any) -> tuple[Any, ...]:
    """The key that applies ``item`` along ``dim`` (negative dims counted from the end)."""
    return (slice(None),) * dim + (item,) if dim >= 0 else (Ellipsis, item) + (slice(None),) * (-dim - 1)


def _part_index(call: Call) -> int:
    part = call.part()
    if part is None:
        raise ExprError(f"{call.graph.name}() returns several tensors: take one, e.g. {call.graph.name}(...)[0]", call.graph.col)
    return part


def _split(call: Call) -> int:
    sizes = call.literal("split_size_or_sections", 0, None) if "split_size_or_sections" in call.params else call.literal("split_size", 0, None)
    dim = call.literal("dim", 1, 0)
    k = _part_index(call)
    if type(sizes) is int:
        bounds = (k * sizes, (k + 1) * sizes)
    else:
        ends = [sum(_ints(sizes, "the sizes", call)[: i + 1]) for i in range(len(sizes))]
        if k >= len(ends):
            raise ExprError(f"split() makes {len(ends)} pieces; there is no piece {k}", call.graph.col)
        bounds = (ends[k - 1] if k else 0, ends[k])
    return call.graph.op("index", call.tensors[0], key=_along(dim, slice(*bounds)))


def _np_split(call: Call) -> int:
    given = call.literal("indices_or_sections", 0, None)
    if type(given) is int:  # equal sections
        return call.graph.op("piece", call.tensors[0], chunks=given, dim=call.literal("axis", 1, 0), part=_part_index(call), numpy_style=True, equal=True)
    if not isinstance(given, list):
        raise ExprError("np.split() takes a number of equal sections or a list of split indices, e.g. np.split(x, [2, 4])[1]", call.graph.col)
    cuts = [None, *_ints(given, "the split indices", call), None]
    k = _part_index(call)
    if k >= len(cuts) - 1:
        raise ExprError(f"np.split() makes {len(cuts) - 1} pieces; there is no piece {k}", call.graph.col)
    return call.graph.op("index", call.tensors[0], key=_along(call.literal("axis", 1, 0), slice(cuts[k], cuts[k + 1])))


def _piece(numpy_style: bool) -> Compose:
    def compose(call: Call) -> int:
        sections = call.literal("indices_or_sections" if numpy_style else "chunks", 0, None)
        if type(sections) is not int:
            raise ExprError(f"{call.graph.name}() takes the number of pieces as a whole number, e.g. {call.graph.name}(x, 2)[0]", call.graph.col)
        dim = call.literal("axis" if numpy_style else "dim", 1, 0)
        return call.graph.op("piece", call.tensors[0], chunks=sections, dim=dim, part=_part_index(call), numpy_style=numpy_style)

    return compose


def _unbind(call: Call) -> int:
    return call.graph.op("index", call.tensors[0], key=_along(call.literal("dim", 0, 0), _part_index(call)))


def _cumulative(op: str) -> Compose:
    def compose(call: Call) -> int:
        g, x, dim = call.graph, call.tensors[0], call.dim()
        if dim is None:
            if not g.name.startswith("np."):
                raise ExprError(f"{op}() needs dim, e.g. {op}(x, dim=0)", g.col)
            return g.op(op, g.op("flatten", x, start_dim=0, end_dim=-1), dim=0)  # numpy: over the flattened array
        return g.op(op, x, dim=dim)

    return compose


def einsum_parts(spec: Any, operands: int, col: int) -> tuple[list[str], str]:
    """Each operand's subscripts and the output's, the output made explicit (numpy's implicit rule: the indices
    that appear once, in alphabetical order); checked as numpy checks them."""
    if not isinstance(spec, str) or not re.fullmatch(r"[a-zA-Z]*(,[a-zA-Z]*)*(->[a-zA-Z]*)?", spec.replace(" ", "")):
        raise ExprError("einsum() takes subscripts of letters, e.g. einsum('ij,jk->ik', a, b) ('...' is not supported yet)", col)
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


def _einsum(call: Call) -> int:
    """einsum of any number of operands: repeated indices (diagonals) and indices summed within one operand first,
    then a left-to-right chain of the two-operand primitive, then the output's order."""
    g = call.graph
    subscripts, output = einsum_parts(call.literal("equation", 0, None), len(call.tensors), g.col)
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
    return _reordered(g, x, letters, output)


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


def _reordered(g: Graph, x: int, letters: Sequence[Any], output: Sequence[Any]) -> int:
    """x with its dims (named by ``letters``) in the output's order, by transposes, each moving one wanted dim into place."""
    current = list(letters)
    for i, wanted in enumerate(output):
        j = current.index(wanted)
        if j != i:
            x = g.op("transpose", x, dim0=i, dim1=j)
            current[i], current[j] = current[j], current[i]
    return x


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


# --- linear algebra, special functions, rounding, masks --------------------------------


def _slogdet(call: Call) -> int:
    g, x = call.graph, call.tensors[0]
    return g.op("logabsdet", x) if _part_index(call) == 1 else g.op("sign", g.op("det", x))


def _gelu(call: Call) -> int:
    if call.choice("approximate", ("none", "tanh"), "none") == "tanh":
        return _gelu_tanh(call.graph, call.tensors[0])
    g, x = call.graph, call.tensors[0]
    return g.scale(g.op("mul", x, g.op("add", g.const(1.0), g.op("erf", g.op("div", x, g.op("sqrt", g.const(2.0)))))), 0.5)


def _round(call: Call) -> int:
    if call.number("decimals", 0) != 0:
        raise ExprError("not supported yet: round() to decimals other than 0", call.graph.col)
    return call.graph.op("round", call.tensors[0])


def modulo(b: Builder, x: int, y: int, col: int, name: str = "%") -> int:
    """x - floor(x / y) * y: the remainder with the sign of y, as Python's %, np.mod and torch.remainder."""
    g = Graph(b, name, col)
    return g.op("sub", x, g.op("mul", g.op("floor", g.op("div", x, y)), y))


def _fmod(call: Call) -> int:
    g, (x, y) = call.graph, call.tensors
    return g.op("sub", x, g.op("mul", g.op("trunc", g.op("div", x, y)), y))  # the sign of x, as C's fmod


def greater(g: Graph, x: int, y: int, strict: bool) -> int:
    """A 0/1 mask: x > y, or x >= y; comparisons take no gradient."""
    return g.op("gt", x, y) if strict else g.op("sub", g.const(1.0), g.op("gt", y, x))


def _comparison(g: Graph, kind: type[ast.cmpop], x: int, y: int) -> int:
    if kind in (ast.Gt, ast.GtE):
        return greater(g, x, y, kind is ast.Gt)
    if kind in (ast.Lt, ast.LtE):
        return greater(g, y, x, kind is ast.Lt)
    unequal = g.op("add", g.op("gt", x, y), g.op("gt", y, x))
    return unequal if kind is ast.NotEq else g.op("sub", g.const(1.0), unequal)


def _compare_call(kind: type[ast.cmpop]) -> Function:
    return spelling(lambda call: _comparison(call.graph, kind, *call.tensors), (2, 2))


def compare(b: Builder, node: ast.Compare, depth: int) -> int:
    """a < b (a 0/1 mask); a chain a < b < c is the product of its links."""
    g = Graph(b, "comparison", column(node))
    operands = [b.visit(item, depth + 1) for item in (node.left, *node.comparators)]
    masks = [_comparison(g, type(kind), left, right) for kind, left, right in zip(node.ops, operands, operands[1:])]
    out = masks[0]
    for mask in masks[1:]:
        out = g.op("mul", out, mask)
    return out


def _where(call: Call) -> int:
    g = call.graph
    if len(call.tensors) != 3:
        raise ExprError("where() takes a condition and two tensors, e.g. where(x > 0, x, 0 * x)", g.col)
    condition, a, b = call.tensors
    zero = g.const(0.0)
    elsewhere = g.op("sub", g.const(1.0), g.op("add", g.op("gt", condition, zero), g.op("gt", zero, condition)))  # 1 where it is 0
    return g.op("add", g.op("select", condition, a), g.op("select", elsewhere, b))


# --- indexing as Python writes it -----------------------------------------------------

PART = "(part)"  # NOTE: a keyword no Python call can spell: which element of a tuple result is taken
PARTS = {"values": 0, "indices": 1, "sign": 0, "logabsdet": 1}
TUPLE_RESULTS = frozenset({"max", "min", "slogdet", "split", "unbind", "np.split", "chunk", "array_split"})
AST_NODES = (ast.Subscript, ast.Slice, ast.Compare, ast.Gt, ast.Lt, ast.GtE, ast.LtE, ast.Eq, ast.NotEq, ast.Mod)
KEY_HELP = "indices are written out: x[0], x[-1], x[1:3], x[::-1], x[:, 0], x[[0, 2]], x[[True, False, True]], x[None]"


def subscript(b: Builder, node: ast.Subscript, depth: int) -> int:
    """x[...] with a key written out in the text; torch.max(x, 0)[0] takes part of a tuple result."""
    col = column(node)
    if isinstance(node.value, ast.Call) and _called_name(node.value) in TUPLE_RESULTS:
        part = literal(node.slice) if isinstance(node.slice, (ast.Constant, ast.UnaryOp)) else None
        if type(part) is not int or part < 0:
            raise ExprError(f"take one result of {_called_name(node.value)}() by a literal index, e.g. [0]", col)
        return b.visit_call(node.value, depth + 1, part=part)
    x = b.visit(node.value, depth + 1)
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    key = tuple(_key_item(item) if _written_out(item) else _computed_key_item(b, item, depth) for item in items)
    return b.add("index", (x,), col, "[]", key=key)


def _written_out(item: ast.AST) -> bool:
    """A key item in the text itself: a slice, a number, None, ..., or a list of them."""
    return isinstance(item, (ast.Slice, ast.Constant, ast.List)) or (isinstance(item, ast.UnaryOp) and isinstance(item.operand, ast.Constant))


def _computed_key_item(b: Builder, item: ast.AST, depth: int) -> tuple:
    """An index computed from the inputs (x[k], x[x > 0], x[torch.argmax(y)]): fixed at their values, as an if is.

    A comparison is a mask; anything else gives positions, which must be whole numbers.
    """
    value = b.known_value(b.visit(item, depth + 1), column(item), "the index")
    if isinstance(item, ast.Compare):
        return nested_tuple(np.asarray(value) != 0)
    return nested_tuple(whole_numbers(value, "the index", column(item)))


def whole_numbers(value: Any, what: str, col: int) -> np.ndarray:
    value = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(value)) or not np.all(value == np.round(value)):
        raise ExprError(f"{what} must be whole numbers (positions); for a mask, write a comparison, e.g. x[m > 0]", col)
    return value.astype(np.int64)


def nested_tuple(array: np.ndarray) -> Any:
    """An index array as a key item: nested tuples of Python ints (or bools), hashable and printable."""
    if array.ndim == 0:
        return array.item()
    return tuple(nested_tuple(row) for row in array) if array.ndim > 1 else tuple(array.tolist())


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        parts, value = [], func.value
        while isinstance(value, ast.Attribute):
            parts.append(value.attr)
            value = value.value
        prefix = ".".join([value.id, *reversed(parts)]) if isinstance(value, ast.Name) else None
        return library_name(func.attr, prefix)
    return ""


def _key_item(item: ast.AST) -> Any:
    if isinstance(item, ast.Slice):
        bounds = [None if part is None else _key_int(part) for part in (item.lower, item.upper, item.step)]
        if bounds[2] == 0:
            raise ExprError("a slice step cannot be zero", column(item))
        return slice(*bounds)
    if isinstance(item, ast.Constant) and (item.value is None or item.value is Ellipsis):
        return item.value
    if isinstance(item, ast.List):
        if item.elts and all(isinstance(e, ast.Constant) and isinstance(e.value, bool) for e in item.elts):
            return tuple(e.value for e in item.elts)  # a constant mask
        return tuple(_key_int(e) for e in item.elts)
    return _key_int(item)


def _key_int(item: ast.AST) -> int:
    try:
        value = literal(item)
    except ExprError:
        value = None
    if type(value) is not int:
        raise ExprError(f"not supported: this index; {KEY_HELP}", column(item))
    return value


def _broadcast_to(call: Call) -> int:
    """torch.broadcast_to/np.broadcast_to(x, shape), x.expand(*sizes) (-1 keeps that dim, read from x's shape)."""
    g = call.graph
    given = literal(call.params["shape"]) if isinstance(call.params.get("shape"), ast.AST) else call.dims
    shape = list(given[0]) if len(given) == 1 and isinstance(given[0], (list, tuple)) else list(given)
    if not shape or not all(type(n) is int and n >= -1 for n in shape):
        raise ExprError(f"{g.name}() takes the new shape as whole numbers, e.g. {g.name}(x, (2, 3))", g.col)
    if -1 in shape:
        own = g.builder.known_shape(call.tensors[0], g.col, f"{g.name}()")
        offset = len(shape) - len(own)
        shape = [own[i - offset] if n == -1 and i >= offset else n for i, n in enumerate(shape)]
        if -1 in shape:
            raise ExprError(f"{g.name}(): -1 is only allowed for the existing dims of x", g.col)
    return g.op("broadcast_to", call.tensors[0], shape=tuple(shape))


def _permute(call: Call) -> int:
    """torch.permute(x, dims) / x.permute(*dims): a sequence of transposes."""
    given = literal(call.params["dims"]) if isinstance(call.params.get("dims"), ast.AST) else call.dims
    return _permuted(call, list(given[0]) if len(given) == 1 and isinstance(given[0], (list, tuple)) else list(given))


def _moveaxis(call: Call) -> int:
    """np.moveaxis(x, source, destination), torch.movedim: the other dims keep their order (x's dims read from the inputs)."""
    g = call.graph
    named = [literal(call.params[k]) for k in ("source", "destination") if isinstance(call.params.get(k), ast.AST)]
    given = [*call.dims, *named]
    if len(given) != 2:
        raise ExprError(f"{g.name}() takes a source and a destination, e.g. {g.name}(x, 0, -1)", g.col)
    source, destination = ([d] if type(d) is int else list(d) for d in given)
    n = len(g.builder.known_shape(call.tensors[0], g.col, f"{g.name}()"))
    if len(source) != len(destination) or not all(type(d) is int and -n <= d < n for d in source + destination):
        raise ExprError(f"{g.name}(): source and destination must be dims of x, as many of one as of the other", g.col)
    source, destination = [d % n for d in source], [d % n for d in destination]
    order = [d for d in range(n) if d not in source]
    for where, dim in sorted(zip(destination, source)):
        order.insert(where, dim)
    return _permuted(call, order)


def _np_transpose(call: Call) -> int:
    """np.transpose(x, axes): the permutation; without axes, the dims reversed (for up to 2-D here: the parser knows no shapes)."""
    given = literal(call.params["axes"]) if isinstance(call.params.get("axes"), ast.AST) else (call.dims[0] if call.dims else None)
    if given is None:
        return call.graph.checked((frozenset({0, 1, 2}),), "transpose", call.tensors[0], dim0=0, dim1=-1)
    return _permuted(call, list(given) if isinstance(given, (list, tuple)) else [given])


def _permuted(call: Call, order: list) -> int:
    n = len(order)
    if not all(type(d) is int for d in order) or sorted(d % n for d in order) != list(range(n)):
        raise ExprError(f"{call.graph.name}() takes a permutation of the dims, e.g. permute(x, (1, 0, 2)); got {order}", call.graph.col)
    g = call.graph
    x = g.checked((frozenset({n}),), "transpose", call.tensors[0], dim0=0, dim1=0)  # NOTE: a no-op that checks x has n dims
    return _reordered(g, x, range(n), [d % n for d in order])


def _swapaxes(call: Call) -> int:
    named = [literal(call.params[k]) for k in ("axis1", "axis2", "dim0", "dim1") if isinstance(call.params.get(k), ast.AST)]
    dims = [d for d in call.dims if type(d) is int] + named
    if len(dims) != 2 or not all(type(d) is int for d in dims):
        raise ExprError(f"{call.graph.name}() needs two dimensions, e.g. {call.graph.name}(x, 0, 1)", call.graph.col)
    return call.graph.op("transpose", call.tensors[0], dim0=dims[0], dim1=dims[1])


def _diff(call: Call) -> int:
    """np.diff(x, n=1, axis=-1), torch.diff(x, n=1, dim=-1): x[1:] - x[:-1] along the dim, n times."""
    g, x = call.graph, call.tensors[0]
    times = call.literal("n", 0, 1)
    named = [literal(call.params[k]) for k in ("axis", "dim") if isinstance(call.params.get(k), ast.AST)]
    dim = (named or call.dims[1:2] or [-1])[0]
    if type(dim) is not int:
        raise ExprError(f"{g.name}() takes its axis as an integer", g.col)
    if type(times) is not int or times < 0:
        raise ExprError(f"{g.name}() takes n as a whole number", g.col)

    def along(part: slice) -> tuple:
        return (slice(None),) * dim + (part,) if dim >= 0 else (Ellipsis, part) + (slice(None),) * (-dim - 1)

    for _ in range(times):
        x = g.op("sub", g.op("index", x, key=along(slice(1, None))), g.op("index", x, key=along(slice(None, -1))))
    return x


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
    dim = _dim_of(call)
    norm = g.op("sqrt", g.reduce("sum", g.op("mul", x, x), 1 if dim is None else dim, keepdim=True))
    return g.op("div", x, _clamp_between(g, norm, g.const(call.number("eps", 1e-12)), None))


def _cosine_similarity(call: Call) -> int:
    """F.cosine_similarity(x1, x2, dim=1, eps=1e-8): x1 . x2 / (max(||x1||, eps) * max(||x2||, eps)), as torch documents it."""
    g, (a, b) = call.graph, call.tensors
    dim = _dim_of(call)
    dim = 1 if dim is None else dim
    eps = g.const(call.number("eps", 1e-8))
    norms = [_clamp_between(g, g.op("sqrt", g.reduce("sum", g.op("mul", v, v), dim)), eps, None) for v in (a, b)]
    return g.op("div", g.reduce("sum", g.op("mul", a, b), dim), g.op("mul", *norms))


def _index_argument(call: Call) -> np.ndarray:
    """The index of gather/take/index_select as whole numbers: written as a list, or a tensor computed from the inputs' values."""
    what = f"the index of {call.graph.name}()"
    written = [d for d in call.dims if isinstance(d, list)]
    if len(call.tensors) == 2:
        value = call.graph.builder.known_value(call.tensors[1], call.graph.col, what)
    elif len(written) == 1:
        value = np.asarray(written[0], dtype=np.float64)
    else:
        raise ExprError(f"{call.graph.name}() needs an index: a tensor or a list of positions", call.graph.col)
    return whole_numbers(value, what, call.graph.col)


def _dim_of(call: Call) -> int | None:
    """The dim (axis) of gather/take/index_select: by keyword, or the positional integer."""
    for key in ("dim", "axis"):
        if isinstance(call.params.get(key), ast.AST):
            value = literal(call.params[key])
            if type(value) is not int:
                raise ExprError(f"{call.graph.name}() takes {key} as an integer", call.graph.col)
            return value
    return next((d for d in call.dims if type(d) is int), None)


def _gather(call: Call) -> int:
    """torch.gather(x, dim, index), np.take_along_axis(x, index, axis): out[..., i, ...] = x[..., index[..., i, ...], ...]."""
    positions, dim = _index_argument(call), _dim_of(call)
    if positions.ndim == 0 or dim is None:
        raise ExprError(f"{call.graph.name}() takes a dim and an index with as many dimensions as x", call.graph.col)
    axis = dim % positions.ndim
    grid = np.indices(positions.shape)
    key = tuple(nested_tuple(positions if a == axis else grid[a]) for a in range(positions.ndim))
    return call.graph.checked((frozenset({positions.ndim}),), "index", call.tensors[0], key=key)


def _index_select(call: Call) -> int:
    """torch.index_select(x, dim, index) (1-D index) and np.take(x, indices, axis) (any index; flattened without an axis)."""
    x, positions, dim = call.tensors[0], _index_argument(call), _dim_of(call)
    if call.graph.name == "index_select" and (positions.ndim != 1 or dim is None):
        raise ExprError("index_select() takes a dim and a 1-D index, e.g. index_select(x, 0, idx)", call.graph.col)
    if dim is None:  # np.take without an axis, torch.take: positions in the flattened x
        x, dim = call.graph.op("reshape", x, shape=(-1,)), 0
    if dim < 0:
        return call.graph.op("index", x, key=(Ellipsis, nested_tuple(positions)) + (slice(None),) * (-dim - 1))
    return call.graph.op("index", x, key=(slice(None),) * dim + (nested_tuple(positions),))


def arguments(name: str, args: list[ast.AST], is_dim: Callable[[str, ast.AST], bool]) -> tuple[list[ast.AST], list[ast.AST]]:
    """A call's positional arguments: tensors (to visit), and literals (dims, shapes, sizes)."""
    if name in SEQUENCES and args and isinstance(args[0], (ast.List, ast.Tuple)):
        args = [*args[0].elts, *args[1:]]  # torch.cat([a, b], 0): the tensors, then the rest
    literal_here = [is_dim(name, arg) or (name in LITERAL_POSITIONAL and _is_literal(arg)) for arg in args]
    return [a for a, lit in zip(args, literal_here) if not lit], [a for a, lit in zip(args, literal_here) if lit]


def _is_literal(node: ast.AST) -> bool:
    try:
        return not isinstance(literal(node), float)
    except ExprError:
        return False


def _alias(op: str, arity: int = 1) -> Function:
    return spelling(lambda call: call.graph.op(op, *call.tensors), (arity, arity))


_LOSS = ("reduction",)
_REDUCE = ("dim", "axis", "keepdim", "keepdims", PART)
_VARIANCE = ("dim", "axis", "keepdim", "keepdims", "unbiased", "correction", "ddof")

COMPOSED: dict[str, Function] = {
    # numpy's names for primitives
    "absolute": _alias("abs"), "negative": _alias("neg"), "power": _alias("pow", 2), "add": _alias("add", 2),
    "subtract": _alias("sub", 2), "multiply": _alias("mul", 2), "divide": _alias("div", 2), "true_divide": _alias("div", 2),
    # elementwise
    "square": unary(lambda g, x: g.op("mul", x, x)),
    "cbrt": unary(lambda g, x: g.op("mul", g.op("sign", x), g.op("pow", g.op("abs", x), g.const(1 / 3)))),
    "reciprocal": unary(lambda g, x: g.op("div", g.const(1.0), x)),
    "rsqrt": unary(lambda g, x: g.op("div", g.const(1.0), g.op("sqrt", x))),
    "hypot": spelling(lambda c: c.graph.op("sqrt", c.graph.op("add", *(c.graph.op("mul", t, t) for t in c.tensors))), (2, 2)),
    "exp2": unary(lambda g, x: g.op("pow", g.const(2.0), x)),
    "log2": unary(lambda g, x: g.op("div", g.op("log", x), g.log_of(2.0))),
    "log10": unary(lambda g, x: g.op("div", g.op("log", x), g.log_of(10.0))),
    "logaddexp": spelling(_logaddexp, (2, 2)),
    "logaddexp2": spelling(lambda call: _logaddexp(call, base=2.0), (2, 2)),
    "deg2rad": unary(_deg2rad), "radians": unary(_deg2rad), "rad2deg": unary(_rad2deg), "degrees": unary(_rad2deg),
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
    # max and min
    "max": spelling(_extreme("amax", "maximum", torch_style=True), (1, 2), keywords=_REDUCE),
    "min": spelling(_extreme("amin", "minimum", torch_style=True), (1, 2), keywords=_REDUCE),
    "amax": spelling(_extreme("amax", "maximum", torch_style=False), (1, 1), keywords=_REDUCE),
    "amin": spelling(_extreme("amin", "minimum", torch_style=False), (1, 1), keywords=_REDUCE),
    "maximum": _alias("maximum", 2), "minimum": _alias("minimum", 2),
    "prod": spelling(lambda call: call.graph.reduce("prod", call.tensors[0], call.dim(), call.keepdim()), (1, 1), keywords=_REDUCE),
    "cumsum": spelling(_cumulative("cumsum"), (1, 1), keywords=("dim", "axis")),
    "cumprod": spelling(_cumulative("cumprod"), (1, 1), keywords=("dim", "axis")),
    # reshaping
    "reshape": spelling(_reshape, (1, 1), keywords=("shape", "newshape")), "view": spelling(_reshape, (1, 1), keywords=("shape",)),
    "flatten": spelling(_flatten, (1, 1), keywords=("start_dim", "end_dim")),
    "ravel": spelling(lambda call: call.graph.op("flatten", call.tensors[0], start_dim=0, end_dim=-1), (1, 1)),
    "unsqueeze": spelling(_unsqueeze, (1, 1), keywords=("dim", "axis")), "expand_dims": spelling(_unsqueeze, (1, 1), keywords=("dim", "axis")),
    "squeeze": spelling(_squeeze, (1, 1), keywords=("dim", "axis")),
    "tile": spelling(_tile, (1, 1), keywords=("reps", "dims")), "repeat": spelling(_tile, (1, 1), keywords=("dims",)),
    "repeat_interleave": spelling(_repeat_interleave, (1, 1), keywords=("repeats", "dim")),
    "flip": spelling(_flip, (1, 1), keywords=("dims",)), "fliplr": spelling(_flip_dim(1), (1, 1)), "flipud": spelling(_flip_dim(0), (1, 1)),
    "roll": spelling(_roll, (1, 1), keywords=("shifts", "dims")),
    "pad": spelling(_pad_torch, (1, 1), keywords=("pad", "mode", "value")),
    "tril": spelling(_triangle("tril"), (1, 1), keywords=("diagonal",)), "triu": spelling(_triangle("triu"), (1, 1), keywords=("diagonal",)),
    "diag": spelling(_diag, (1, 1), keywords=("diagonal",)), "diagonal": spelling(_diag, (1, 1), keywords=("offset",)),
    # joining and splitting
    "cat": spelling(_cat, (1, 64), keywords=("dim", "axis")), "concat": spelling(_cat, (1, 64), keywords=("dim", "axis")),
    "concatenate": spelling(_cat, (1, 64), keywords=("dim", "axis")), "stack": spelling(_stack, (1, 64), keywords=("dim", "axis")),
    "hstack": spelling(_hstack, (1, 64)), "vstack": spelling(_vstack, (1, 64)), "row_stack": spelling(_vstack, (1, 64)),
    "dstack": spelling(_dstack, (1, 64)), "column_stack": spelling(_column_stack, (1, 64)),
    "split": spelling(_split, (1, 1), keywords=("split_size_or_sections", "split_size", "dim", PART)),
    "unbind": spelling(_unbind, (1, 1), keywords=("dim", PART)),
    "chunk": spelling(_piece(numpy_style=False), (1, 1), keywords=("chunks", "dim", PART)),
    "array_split": spelling(_piece(numpy_style=True), (1, 1), keywords=("indices_or_sections", "axis", PART)),
    # linear algebra
    "det": _alias("det"), "inv": _alias("inv"), "inverse": _alias("inv"), "solve": _alias("solve", 2), "cholesky": _alias("cholesky"),
    "einsum": spelling(_einsum, (1, 16), keywords=("equation",)),
    "tensordot": spelling(_tensordot, (2, 2), keywords=("dims", "axes")),
    "logdet": unary(lambda g, x: g.op("log", g.op("det", x))),
    "slogdet": spelling(_slogdet, (1, 1), keywords=(PART,)),
    # special functions, rounding, remainders
    "erf": _alias("erf"), "erfc": _alias("erfc"), "expm1": _alias("expm1"), "gelu": spelling(_gelu, (1, 1), keywords=("approximate",)),
    "asin": _alias("asin"), "acos": _alias("acos"), "atan": _alias("atan"), "atan2": _alias("atan2", 2),
    "arcsin": _alias("asin"), "arccos": _alias("acos"), "arctan": _alias("atan"), "arctan2": _alias("atan2", 2),
    "floor": _alias("floor"), "ceil": _alias("ceil"), "trunc": _alias("trunc"), "fix": _alias("trunc"), "sign": _alias("sign"),
    "round": spelling(_round, (1, 1), keywords=("decimals",)),
    "frac": unary(lambda g, x: g.op("sub", x, g.op("trunc", x))),
    "remainder": spelling(lambda call: modulo(call.graph.builder, *call.tensors, call.graph.col, call.graph.name), (2, 2)),
    "mod": spelling(lambda call: modulo(call.graph.builder, *call.tensors, call.graph.col, call.graph.name), (2, 2)),
    "fmod": spelling(_fmod, (2, 2)),
    # masks
    "where": spelling(_where, (3, 3)),
    **{name: _compare_call(kind) for names, kind in (
        (("gt", "greater"), ast.Gt), (("lt", "less"), ast.Lt), (("ge", "greater_equal"), ast.GtE),
        (("le", "less_equal"), ast.LtE), (("eq", "equal"), ast.Eq), (("ne", "not_equal"), ast.NotEq)) for name in names},
}  # fmt: skip

# The numpy meaning of a name torch gives another meaning, chosen by the np./numpy. prefix.
NUMPY: dict[str, Function] = {
    "np.var": spelling(lambda call: _variance(call, 0.0), (1, 1), keywords=_VARIANCE),
    "np.std": spelling(lambda call: _std(call, 0.0), (1, 1), keywords=_VARIANCE),
    "np.clip": spelling(_clamp("a_min", "a_max"), (1, 1), ("a_min", "a_max")),
    "np.max": spelling(_extreme("amax", "maximum", torch_style=False), (1, 1), keywords=_REDUCE),
    "np.min": spelling(_extreme("amin", "minimum", torch_style=False), (1, 1), keywords=_REDUCE),
    "np.cumsum": spelling(_cumulative("cumsum"), (1, 1), keywords=("axis",)),
    "np.cumprod": spelling(_cumulative("cumprod"), (1, 1), keywords=("axis",)),
    "np.repeat": spelling(_repeat_interleave, (1, 1), keywords=("repeats", "axis")),
    "np.flip": spelling(_flip, (1, 1), keywords=("axis",)),
    "np.roll": spelling(_roll, (1, 1), keywords=("shift", "axis")),
    "np.pad": spelling(_pad_numpy, (1, 1), keywords=("pad_width",)),
    "np.transpose": spelling(_np_transpose, (1, 1), keywords=("axes",)),
    "np.tril": spelling(_triangle("tril"), (1, 1), keywords=("k",)),
    "np.triu": spelling(_triangle("triu"), (1, 1), keywords=("k",)),
    "np.diag": spelling(_diag, (1, 1), keywords=("k",)),
    "np.trace": spelling(_trace, (1, 1), keywords=("offset",)),
    "np.split": spelling(_np_split, (1, 1), keywords=("indices_or_sections", "axis", PART)),
    "gather": spelling(_gather, (1, 2), keywords=("dim",)),
    "argmax": spelling(lambda call: _positions_of_extreme(call, lowest=False), (1, 1), keywords=("dim", "axis", "keepdim", "keepdims")),
    "argmin": spelling(lambda call: _positions_of_extreme(call, lowest=True), (1, 1), keywords=("dim", "axis", "keepdim", "keepdims")),
    "permute": spelling(_permute, (1, 1), keywords=("dims",)),
    "moveaxis": spelling(_moveaxis, (1, 1), keywords=("source", "destination")),
    "movedim": spelling(_moveaxis, (1, 1), keywords=("source", "destination")),
    "broadcast_to": spelling(_broadcast_to, (1, 1), keywords=("shape",)),
    "expand": spelling(_broadcast_to, (1, 1), keywords=("size",)),
    "swapaxes": spelling(_swapaxes, (1, 1), keywords=("axis1", "axis2")),
    "swapdims": spelling(_swapaxes, (1, 1), keywords=("dim0", "dim1")),
    "diff": spelling(_diff, (1, 1), keywords=("n", "axis", "dim")),
    "around": spelling(_round, (1, 1), keywords=("decimals",)),
    "rint": _alias("round"),
    "hardsigmoid": unary(lambda g, x: g.scale(_clamp_between(g, g.op("add", x, g.const(3.0)), g.const(0.0), g.const(6.0)), 1 / 6)),
    "hardswish": unary(lambda g, x: g.op("mul", x, g.scale(_clamp_between(g, g.op("add", x, g.const(3.0)), g.const(0.0), g.const(6.0)), 1 / 6))),
    "celu": spelling(_celu, (1, 1), ("alpha",)),
    "logit": unary(lambda g, x: g.op("sub", g.op("log", x), g.op("log1p", g.op("neg", x)))),
    "normalize": spelling(_normalize, (1, 1), keywords=("p", "dim", "eps")),
    "cosine_similarity": spelling(_cosine_similarity, (2, 2), keywords=("dim", "eps")),
    "take_along_axis": spelling(_gather, (1, 2), keywords=("axis",)),
    "index_select": spelling(_index_select, (1, 2), keywords=("dim",)),
    "take": spelling(_index_select, (1, 2), keywords=("axis",)),
    "np.dot": spelling(lambda call: call.graph.op("matmul", *call.tensors), (2, 2)),
}

# Positional literals that are not dims: shapes, sizes, widths, repetitions, offsets.
LITERAL_POSITIONAL = frozenset({
    "reshape", "view", "flatten", "tile", "repeat", "repeat_interleave", "flip", "roll", "pad", "tril", "triu", "diag", "diagonal",
    "split", "unbind", "chunk", "array_split", "np.split", "einsum", "tensordot", "gather", "take_along_axis", "index_select", "take",
    "permute", "diff", "np.transpose", "broadcast_to", "expand", "moveaxis", "movedim",
    "np.repeat", "np.flip", "np.roll", "np.pad", "np.tril", "np.triu", "np.diag", "np.trace",
})  # fmt: skip
# Calls whose first argument may be a list of tensors: torch.cat([a, b]).
SEQUENCES = frozenset({"cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack"})

# Names whose positional integer arguments are dimensions: softmax(x, 1), var(x, 0).
DIM_POSITIONAL = frozenset(
    {
        "softmax",
        "log_softmax",
        "var",
        "std",
        "max",
        "min",
        "amax",
        "amin",
        "prod",
        "cumsum",
        "cumprod",
        "unsqueeze",
        "expand_dims",
        "squeeze",
        "cat",
        "concat",
        "concatenate",
        "stack",
        "gather",
        "argmax",
        "argmin",
        "permute",
        "swapaxes",
        "swapdims",
        "take_along_axis",
        "index_select",
        "take",
    }
)

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
