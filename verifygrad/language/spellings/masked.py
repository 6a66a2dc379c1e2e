"""torch.masked's reductions, scans and normalizations of a plain tensor with a mask.

As torch.masked defines them: the masked-out elements (mask 0, torch's False) are replaced by the reduction's identity
(0 for sum, cumsum, norm and normalize; 1 for prod and cumprod; -inf for amax, logsumexp and softmax; inf for amin and
softmin), then the plain operation runs; mean, var and std divide by the count of elements kept. ``mask=None`` keeps
every element. The mask broadcasts to the input's shape and takes no gradient. MaskedTensor objects are not read.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from verifygrad.language.spellings.compose import Call, Graph, spelling
from verifygrad.language.spellings.linalg import reduce_over, vector_norm
from verifygrad.language.spellings.sorting import lower_median
from verifygrad.language.syntax import ExprError, Function

_REDUCE = ("dim", "keepdim", "mask")


def _kept(call: Call, key: str = "mask", position: int = 1) -> int | None:
    """1 where the mask keeps an element, 0 where it masks it out (no gradient); None where every element is kept."""
    mask = call.tensor(key, position)
    if mask is None:
        return None
    g = call.graph
    return g.op("gt", g.op("abs", mask), g.const(0.0))


def _filled(g: Graph, x: int, kept: int | None, identity: float) -> int:
    """x where kept, the identity where masked out (select never multiplies an infinite identity by 0)."""
    if kept is None:
        return x
    out = g.op("select", kept, x)
    return out if identity == 0 else g.op("add", out, g.op("select", g.op("sub", g.const(1.0), kept), g.const(identity)))


def _dims(call: Call, position: int) -> tuple[int, ...] | None:
    """The dims reduced over: an int or a list of them (every dim where None)."""
    given = call.literal("dim", position, None)
    if given is None:
        return None
    dims = tuple(given) if isinstance(given, (list, tuple)) else (given,)
    if not all(type(d) is int for d in dims):
        raise ExprError(f"{call.graph.name}() takes its dims as integers", call.graph.col)
    return dims or None


def _count(g: Graph, x: int, kept: int | None, dims: tuple[int, ...] | None, keepdim: bool) -> int:
    """The number of elements kept along dims (the mask broadcast to x's shape)."""
    ones = g.op("add", g.op("mul", x, g.const(0.0)), g.const(1.0))
    return reduce_over(g, "sum", ones if kept is None else g.op("select", kept, ones), dims, keepdim)


def _reduction(op: str, identity: float) -> Callable[[Call], int]:
    """masked.sum/prod/amax/amin/logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None)."""

    def compose(call: Call) -> int:
        g = call.graph
        return reduce_over(g, op, _filled(g, call.tensors[0], _kept(call), identity), _dims(call, 0), call.flag("keepdim", False))

    return compose


def _mean(call: Call) -> int:
    """masked.mean: the sum of the kept elements over their count (nan where none is kept, as torch)."""
    g, x, kept = call.graph, call.tensors[0], _kept(call)
    dims, keepdim = _dims(call, 0), call.flag("keepdim", False)
    return g.op("div", reduce_over(g, "sum", _filled(g, x, kept, 0.0), dims, keepdim), _count(g, x, kept, dims, keepdim))


def _variance(root: bool) -> Callable[[Call], int]:
    """masked.var/std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, mask=None): the kept elements'
    squared deviations from their mean, summed, over max(count - correction, 0); correction 1 unless unbiased=False."""

    def compose(call: Call) -> int:
        g, x, kept = call.graph, call.tensors[0], _kept(call)
        dims, keepdim = _dims(call, 0), call.flag("keepdim", False)
        unbiased = call.flag("unbiased", True) if "unbiased" in call.params else bool(call.literal("unbiased", 1, True))
        correction = call.number("correction", 1.0) if "correction" in call.params else float(unbiased)
        mean = g.op("div", reduce_over(g, "sum", _filled(g, x, kept, 0.0), dims, True), _count(g, x, kept, dims, True))
        deviation = g.op("sub", x, mean)
        total = reduce_over(g, "sum", _filled(g, g.op("mul", deviation, deviation), kept, 0.0), dims, keepdim)
        count = g.op("maximum", g.op("sub", _count(g, x, kept, dims, keepdim), g.const(correction)), g.const(0.0))
        out = g.op("div", total, count)
        return g.op("sqrt", out) if root else out

    return compose


def _order(call: Call) -> float:
    order = call.literal("ord", 0, 2.0)
    if isinstance(order, bool) or not isinstance(order, (int, float)):
        raise ExprError(f"{call.graph.name}() takes its order as a number or inf", call.graph.col)
    return float(order)


def _norm(call: Call) -> int:
    """masked.norm(input, ord=2, dim=None, *, keepdim=False, mask=None): the vector norm of the kept elements."""
    g, order = call.graph, _order(call)
    x = _filled(g, call.tensors[0], _kept(call), math.inf if order == -math.inf else 0.0)
    return vector_norm(g, x, order, _dims(call, 1), call.flag("keepdim", False))


def _normalize(call: Call) -> int:
    """masked.normalize(input, ord, dim, *, eps=1e-12, mask=None): the kept elements (0 elsewhere) over
    max(their ord-norm along dim, eps)."""
    g, order, kept = call.graph, _order(call), _kept(call)
    dims = _dims(call, 1)
    if dims is None or len(dims) != 1:
        raise ExprError(f"{g.name}() takes one dim", g.col)
    x = call.tensors[0]
    norm = vector_norm(g, _filled(g, x, kept, math.inf if order == -math.inf else 0.0), order, dims, True)
    return g.op("div", _filled(g, x, kept, 0.0), g.op("maximum", norm, g.const(call.number("eps", 1e-12))))


def _one_dim(call: Call) -> int:
    dims = _dims(call, 0)
    if dims is None or len(dims) != 1:
        raise ExprError(f"{call.graph.name}() takes one dim", call.graph.col)
    return dims[0]


def _along(op: str, identity: float, negated: bool = False, log: bool = False) -> Callable[[Call], int]:
    """masked.cumsum/cumprod (a scan of the filled input) and softmax/log_softmax/softmin (masked-out elements get 0,
    or -inf in log_softmax; a slice with nothing kept is nan, as torch) along one dim."""

    def compose(call: Call) -> int:
        g, dim, kept = call.graph, _one_dim(call), _kept(call)
        if op in ("cumsum", "cumprod"):
            return g.op(op, _filled(g, call.tensors[0], kept, identity), dim=dim)
        x = g.op("neg", call.tensors[0]) if negated else call.tensors[0]
        if kept is None or log:  # NOTE: log_softmax's masked-out outputs are -inf - logsumexp, as torch differentiates them
            x = _filled(g, x, kept, -identity if negated else identity)
            out = g.op("sub", x, g.reduce("logsumexp", x, dim, keepdim=True))
            return out if log else g.op("exp", out)
        # NOTE: the masked-out elements are left out of the sum (select), never set to -inf: an infinite constant makes
        # the error budget's perturbed re-runs meaningless. The shift (a logsumexp of the kept elements and 0s, so no
        # exp overflows) takes no gradient: it cancels.
        shift = g.reduce("logsumexp", g.op("select", kept, g.op("stop_gradient", x)), dim, keepdim=True)
        shifted = g.op("sub", g.op("select", kept, x), shift)
        exps = g.op("select", kept, g.op("exp", shifted))
        return g.op("div", exps, g.reduce("sum", exps, dim, keepdim=True))

    return compose


def _median(call: Call) -> int:
    """masked.median(input, dim=-1, *, keepdim=False, mask=None) without a mask: the lower median along dim (torch's
    nanmedian of the filled input, which has no nan to leave out). With a mask it needs nanmedian: not yet."""
    if _kept(call) is not None:
        raise ExprError(f"not supported yet: {call.graph.name}() with a mask (the median of the kept elements)", call.graph.col)
    dims = _dims(call, 0) or (-1,)
    return lower_median(call, call.tensors[0], dims[0], call.flag("keepdim", False))


def _logaddexp(call: Call) -> int:
    """masked.logaddexp(input, other, *, input_mask=None, other_mask=None) without masks: logaddexp."""
    g, (x, y) = call.graph, call.tensors
    if _kept(call, "input_mask", 2) is not None or _kept(call, "other_mask", 3) is not None:
        raise ExprError(f"not supported yet: {g.name}() with masks (-inf where both are masked out)", g.col)
    return g.op("add", y, g.op("softplus", g.op("sub", x, y)))


SPELLINGS: dict[str, Function] = {
    "masked.sum": spelling(_reduction("sum", 0.0), (1, 1), keywords=_REDUCE),
    "masked.prod": spelling(_reduction("prod", 1.0), (1, 1), keywords=_REDUCE),
    "masked.amax": spelling(_reduction("amax", -math.inf), (1, 1), keywords=_REDUCE),
    "masked.amin": spelling(_reduction("amin", math.inf), (1, 1), keywords=_REDUCE),
    "masked.logsumexp": spelling(_reduction("logsumexp", -math.inf), (1, 1), keywords=_REDUCE),
    "masked.mean": spelling(_mean, (1, 1), keywords=_REDUCE),
    "masked.var": spelling(_variance(root=False), (1, 1), keywords=(*_REDUCE, "unbiased", "correction")),
    "masked.std": spelling(_variance(root=True), (1, 1), keywords=(*_REDUCE, "unbiased", "correction")),
    "masked.norm": spelling(_norm, (1, 1), keywords=("ord", *_REDUCE)),
    "masked.normalize": spelling(_normalize, (1, 1), keywords=("ord", "dim", "eps", "mask")),
    "masked.cumsum": spelling(_along("cumsum", 0.0), (1, 1), keywords=("dim", "mask")),
    "masked.cumprod": spelling(_along("cumprod", 1.0), (1, 1), keywords=("dim", "mask")),
    "masked.softmax": spelling(_along("softmax", -math.inf), (1, 1), keywords=("dim", "mask")),
    "masked.log_softmax": spelling(_along("softmax", -math.inf, log=True), (1, 1), keywords=("dim", "mask")),
    "masked.softmin": spelling(_along("softmax", math.inf, negated=True), (1, 1), keywords=("dim", "mask")),
    "masked.median": spelling(_median, (1, 1), keywords=_REDUCE),
    "masked.logaddexp": spelling(_logaddexp, (2, 2), keywords=("input_mask", "other_mask")),
}  # fmt: skip
LITERAL_POSITIONAL = frozenset(SPELLINGS)
NUMBER_POSITIONAL = frozenset({"masked.norm", "masked.normalize"})
