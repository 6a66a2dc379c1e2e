"""Reductions and scans: variance, max and min (with their positions), products, cumulative sums, differences (np.diff,
np.gradient)."""

from __future__ import annotations

import ast

import numpy as np

from verifygrad.language.spellings.compose import PART, Call, Compose, SeveralTensors, part_index, spelling
from verifygrad.language.spellings.shape import reordered
from verifygrad.language.syntax import ExprError, Function, literal

_REDUCE = ("dim", "axis", "keepdim", "keepdims", PART)


_VARIANCE = ("dim", "axis", "keepdim", "keepdims", "unbiased", "correction", "ddof")


def _positional_flags(call: Call) -> None:
    """torch.var(x, True), torch.var(x, 0, True, True): a positional True/False is unbiased, a second one keepdim."""
    flags = [d for d in call.dims if isinstance(d, bool)]
    for key, flag in zip(("unbiased", "keepdim"), flags):
        if key not in call.params:
            call.params[key] = ast.Constant(flag)
    call.dims = [d for d in call.dims if not isinstance(d, bool)]


def _variance(call: Call, default_correction: float) -> int:
    g, x = call.graph, call.tensors[0]
    _positional_flags(call)
    dim, keepdim = call.dim(), call.keepdim()
    correction = call.number("correction", call.number("ddof", default_correction))
    if "unbiased" in call.params:
        correction = 1.0 if call.flag("unbiased", True) else 0.0
    centred = g.op("sub", x, g.reduce("mean", x, dim, keepdim=True))
    total = g.reduce("sum", g.op("mul", centred, centred), dim, keepdim)
    return g.op("div", total, g.op("sub", g.count(x, dim, keepdim), g.const(correction)))


def _std(call: Call, default_correction: float) -> int:
    return call.graph.op("sqrt", _variance(call, default_correction))


def _with_mean(std: bool) -> Compose:
    """torch.var_mean/std_mean(x, dim, unbiased or correction, keepdim): (variance or standard deviation, mean); a
    positional True/False is unbiased (torch.var_mean(x, False))."""

    def compose(call: Call) -> int:
        g, part = call.graph, call.part()
        if part is None:
            raise ExprError(f"{g.name}() returns ({'std' if std else 'var'}, mean): take one, e.g. {g.name}(x)[0]", g.col)
        _positional_flags(call)
        if part == 1:
            return g.reduce("mean", call.tensors[0], call.dim(), call.keepdim())
        return _std(call, 1.0) if std else _variance(call, 1.0)

    return compose


def _nan_reduction(mean: bool) -> Compose:
    """nansum/nanmean(x, dim, keepdim): the sum (mean) of the elements that are not nan; a nan takes no gradient."""

    def compose(call: Call) -> int:
        g, x = call.graph, call.tensors[0]
        # NOTE: nan is neither > -max nor < max; every other number, inf included, is one of them (the largest float,
        # not inf, as the bound: an infinite constant makes the error budget's perturbed re-runs meaningless)
        largest = float(np.finfo(np.float64).max)
        kept = g.op("sign", g.op("add", g.op("gt", x, g.const(-largest)), g.op("gt", g.const(largest), x)))
        dim, keepdim = call.dim(), call.keepdim()
        total = g.reduce("sum", g.op("select", kept, x), dim, keepdim)
        return g.op("div", total, g.reduce("sum", kept, dim, keepdim)) if mean else total

    return compose


def _reduce(call: Call, op: str) -> int:
    """amax, amin or prod of x over dim: one, all (None), or a tuple of them (numpy's axis=(0, 1), torch.amax's
    dim=(0, 1)), those dims moved last and flattened into one, so a tie among all of them shares the gradient as one
    reduction does."""
    g, x = call.graph, call.tensors[0]
    dim, keepdim = call.dim(several=True), call.keepdim()
    if not isinstance(dim, tuple):
        return g.reduce(op, x, dim, keepdim)
    shape = g.builder.known_shape(x, g.col, f"{g.name}() over a tuple of dims")
    reduced = sorted({d % len(shape) for d in dim})
    kept = [d for d in range(len(shape)) if d not in reduced]
    if not kept:  # NOTE: over every dim, as over all (dim None): a tie shares the gradient in every engine
        return g.reduce(op, x, None, keepdim)
    flat = g.op("reshape", reordered(g, x, range(len(shape)), kept + reduced), shape=(*(shape[d] for d in kept), -1))
    out = g.reduce(op, flat, -1, False)
    return g.op("reshape", out, shape=tuple(1 if d in reduced else n for d, n in enumerate(shape))) if keepdim else out


def _extreme(op: str, elementwise: str, torch_style: bool) -> Compose:
    """max/min: of two tensors elementwise; over all or along dim (torch: a (values, indices) pair then)."""

    def compose(call: Call) -> int:
        g = call.graph
        if len(call.tensors) == 2:
            return g.op(elementwise, *call.tensors)
        dim, part = call.dim(several=not torch_style), call.part()
        if torch_style and dim is not None:
            if part is None:
                raise ExprError(f"{g.name}(x, dim) returns (values, indices): take .values or [0]", g.col)
            if part == 1:
                return _positions_of_extreme(call, lowest=op == "amin")
        elif part is not None:
            raise ExprError(f"{g.name}() returns one tensor here: it has no .values or [0]", g.col)
        return _reduce(call, op)

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


def _cumulative(op: str) -> Compose:
    def compose(call: Call) -> int:
        g, x, dim = call.graph, call.tensors[0], call.dim()
        if dim is None:
            if not g.name.startswith("np."):
                raise ExprError(f"{op}() needs dim, e.g. {op}(x, dim=0)", g.col)
            return g.op(op, g.op("flatten", x, start_dim=0, end_dim=-1), dim=0)  # numpy: over the flattened array
        return g.op(op, x, dim=dim)

    return compose


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


def _gradient(call: Call) -> int:
    """np.gradient(f, *spacing, axis=None, edge_order=1): central differences (f[i+1] - f[i-1]) / 2h inside, one-sided
    ones of edge_order 1 or 2 at the ends, along each axis asked for (all by default) with a number h per axis (one for
    all, or 1). Over several axes the result is one tensor per axis: a program ending with it takes them all, in order."""
    g, f = call.graph, call.tensors[0]
    shape = tuple(g.builder.known_shape(f, g.col, "np.gradient()"))
    given = call.params.get("axis")
    axis = None if given is None or (isinstance(given, ast.Constant) and given.value is None) else call.literal("axis", -1, None)
    axes = tuple(range(len(shape))) if axis is None else tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    if not shape or not all(type(a) is int and -len(shape) <= a < len(shape) for a in axes) or len({a % len(shape) for a in axes}) != len(axes):
        raise ExprError(f"np.gradient() takes distinct axes of the array's {len(shape)} dims", g.col)
    spacing = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in call.dims]
    if None in spacing or len(spacing) not in (0, 1, len(axes)) or 0.0 in spacing:
        raise ExprError("np.gradient() takes its spacing as one nonzero number, or one per axis (coordinate arrays are not read yet)", g.col)
    steps = spacing * len(axes) if len(spacing) == 1 else spacing or [1.0] * len(axes)
    order = call.integer("edge_order", 0, 1) if "edge_order" in call.params else 1
    if order not in (1, 2):
        raise ExprError("np.gradient() takes edge_order 1 or 2", g.col)
    part = call.part()
    if part is None and len(axes) > 1:
        raise SeveralTensors(f"np.gradient() over {len(axes)} axes returns one tensor per axis: give one axis, e.g. np.gradient(x, axis=0)", g.col)
    k = part or 0
    if k >= len(axes):
        raise ExprError(f"np.gradient() returns {len(axes)} tensors; there is no {k}", g.col)
    dim, h = axes[k] % len(shape), steps[k]
    if shape[dim] < order + 1:
        raise ExprError(f"np.gradient(): {shape[dim]} elements along axis {dim} are too few for edge_order {order} (numpy raises)", g.col)

    def at(start: int | None, stop: int | None) -> int:
        return g.op("index", f, key=(slice(None),) * dim + (slice(start, stop),))

    def combination(terms: list[tuple[float, int]], scale: float) -> int:
        out = g.scale(terms[0][1], terms[0][0])
        for weight, node in terms[1:]:
            out = g.op("add", out, g.scale(node, weight))
        return g.scale(out, scale)

    if order == 1:
        first, last = combination([(-1.0, at(0, 1)), (1.0, at(1, 2))], 1 / h), combination([(-1.0, at(-2, -1)), (1.0, at(-1, None))], 1 / h)
    else:
        first = combination([(-3.0, at(0, 1)), (4.0, at(1, 2)), (-1.0, at(2, 3))], 1 / (2 * h))
        last = combination([(1.0, at(-3, -2)), (-4.0, at(-2, -1)), (3.0, at(-1, None))], 1 / (2 * h))
    if shape[dim] == 2:
        return g.op("concat", first, last, dim=dim)
    inside = combination([(-1.0, at(None, -2)), (1.0, at(2, None))], 1 / (2 * h))
    return g.op("concat", g.op("concat", first, inside, dim=dim), last, dim=dim)


def _covariance(call: Call) -> int:
    """torch.cov(x, correction=1, fweights=None): the covariance of the rows of x (variables) over its columns
    (observations), each column counted fweights times: (x - m) diag(w) (x - m)^T / max(sum(w) - correction, 0), m the
    weighted means; one variable (a 1-D x, or one row) gives a 0-d result, as torch. aweights: not yet."""
    g, x = call.graph, call.tensors[0]
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if len(shape) > 2:
        raise ExprError(f"{g.name}() takes a 1-D or 2-D input", g.col)
    if call.tensor("aweights", 2) is not None:  # NOTE: torch's gradient for aweights differs from the formula's by 1e-6 relative: unexplained
        raise ExprError(f"not supported yet: {g.name}() with aweights", g.col)
    rows = g.op("reshape", x, shape=(-1, shape[-1] if shape else 1))
    frequency = call.tensor("fweights", 1)
    weights = g.op("add", g.op("mul", g.reduce("sum", rows, 0), g.const(0.0)), g.const(1.0))  # (N,) ones
    weights = weights if frequency is None else g.op("mul", weights, frequency)
    total = g.reduce("sum", weights)
    centred = g.op("sub", rows, g.op("div", g.reduce("sum", g.op("mul", rows, weights), 1, keepdim=True), total))
    divisor = g.op("relu", g.op("sub", total, g.const(call.number("correction", 1.0))))
    out = g.op("div", g.op("matmul", g.op("mul", centred, weights), g.op("transpose", centred, dim0=0, dim1=1)), divisor)
    return out if len(shape) == 2 and shape[0] > 1 else g.op("reshape", out, shape=())


def _corrcoef(call: Call) -> int:
    """torch.corrcoef(x): cov(x) / sqrt(d_i d_j), d its diagonal, clipped to [-1, 1] as torch."""
    g = call.graph
    c = _covariance(call)
    if not g.builder.known_shape(c, g.col, f"{g.name}()"):
        return g.op("minimum", g.op("maximum", g.op("div", c, c), g.const(-1.0)), g.const(1.0))
    d = g.op("sqrt", g.op("diag", c, k=0))
    scaled = g.op("div", g.op("div", c, g.op("expand_dims", d, dim=1)), g.op("expand_dims", d, dim=0))
    return g.op("minimum", g.op("maximum", scaled, g.const(-1.0)), g.const(1.0))


def _aminmax(call: Call) -> int:
    """torch.aminmax(x, *, dim=None, keepdim=False): [0] the minimum, [1] the maximum (amin's and amax's tie rule)."""
    op = ("amin", "amax")[part_index(call)]
    return call.graph.reduce(op, call.tensors[0], call.dim(), call.keepdim())


SPELLINGS: dict[str, Function] = {
    "aminmax": spelling(_aminmax, (1, 1), keywords=("dim", "keepdim", PART)),
    "cov": spelling(_covariance, (1, 1), keywords=("correction", "fweights", "aweights")),
    "corrcoef": spelling(_corrcoef, (1, 1)),
    "var": spelling(lambda call: _variance(call, 1.0), (1, 1), keywords=_VARIANCE),
    "std": spelling(lambda call: _std(call, 1.0), (1, 1), keywords=_VARIANCE),
    "np.var": spelling(lambda call: _variance(call, 0.0), (1, 1), keywords=_VARIANCE),
    "np.std": spelling(lambda call: _std(call, 0.0), (1, 1), keywords=_VARIANCE),
    "max": spelling(_extreme("amax", "maximum", torch_style=True), (1, 2), keywords=_REDUCE),
    "min": spelling(_extreme("amin", "minimum", torch_style=True), (1, 2), keywords=_REDUCE),
    "amax": spelling(_extreme("amax", "maximum", torch_style=False), (1, 1), keywords=_REDUCE),
    "amin": spelling(_extreme("amin", "minimum", torch_style=False), (1, 1), keywords=_REDUCE),
    "np.max": spelling(_extreme("amax", "maximum", torch_style=False), (1, 1), keywords=_REDUCE),
    "np.min": spelling(_extreme("amin", "minimum", torch_style=False), (1, 1), keywords=_REDUCE),
    "prod": spelling(lambda call: _reduce(call, "prod"), (1, 1), keywords=_REDUCE),
    "cumsum": spelling(_cumulative("cumsum"), (1, 1), keywords=("dim", "axis")),
    "cumprod": spelling(_cumulative("cumprod"), (1, 1), keywords=("dim", "axis")),
    "np.cumsum": spelling(_cumulative("cumsum"), (1, 1), keywords=("axis",)),
    "np.cumprod": spelling(_cumulative("cumprod"), (1, 1), keywords=("axis",)),
    "argmax": spelling(lambda call: _positions_of_extreme(call, lowest=False), (1, 1), keywords=("dim", "axis", "keepdim", "keepdims")),
    "argmin": spelling(lambda call: _positions_of_extreme(call, lowest=True), (1, 1), keywords=("dim", "axis", "keepdim", "keepdims")),
    "diff": spelling(_diff, (1, 1), keywords=("n", "axis", "dim")),
    "np.gradient": spelling(_gradient, (1, 1), keywords=("axis", "edge_order", PART)),
    "nansum": spelling(_nan_reduction(mean=False), (1, 1), keywords=("dim", "axis", "keepdim", "keepdims")),
    "nanmean": spelling(_nan_reduction(mean=True), (1, 1), keywords=("dim", "axis", "keepdim", "keepdims")),
    "var_mean": spelling(_with_mean(std=False), (1, 1), keywords=(*_VARIANCE, PART)),
    "std_mean": spelling(_with_mean(std=True), (1, 1), keywords=(*_VARIANCE, PART)),
}  # fmt: skip

LITERAL_POSITIONAL = frozenset({"diff", "var_mean", "std_mean", "var", "std", "np.gradient"})
NUMBER_POSITIONAL = frozenset({"np.gradient"})  # its spacing: np.gradient(f, 0.5)
DIM_POSITIONAL = frozenset({
    "nansum", "nanmean", "var", "std", "max", "min", "amax", "amin", "prod", "cumsum", "cumprod", "np.cumsum", "np.cumprod", "argmax", "argmin",
})  # fmt: skip
UNSUPPORTED = dict.fromkeys(("argsort",), "sorting")
