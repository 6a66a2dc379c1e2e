"""The losses of torch.nn.functional, with their ``reduction=``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from verifygrad.language.spellings.compose import Call, Graph, spelling, whole_numbers
from verifygrad.language.spellings.linalg import vector_norm
from verifygrad.language.syntax import ExprError, Function

REDUCTIONS = ("mean", "sum", "none")  # the `reduction=` of torch's losses


_LOSS = ("reduction",)


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
    """-w (p t log s(x) + (1 - t) log(1 - s(x))): without pos_weight p, log(1 + e^x) - t x.

    NOTE: MindSpore's ops.binary_cross_entropy_with_logits(logits, label, weight, pos_weight) gives both positionally."""
    g, (x, t) = call.graph, call.tensors[:2]
    weight, pos_weight = call.tensor("weight", 2), call.tensor("pos_weight", 3)
    if pos_weight is None:
        pointwise = g.op("sub", g.op("softplus", x), g.op("mul", x, t))
    else:
        positive = g.op("mul", g.op("mul", pos_weight, t), g.op("softplus", g.op("neg", x)))
        pointwise = g.op("add", positive, g.op("mul", g.op("sub", g.const(1.0), t), g.op("softplus", x)))
    return _reduce_loss(call, pointwise if weight is None else g.op("mul", weight, pointwise))


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


def _linear_cross_entropy(call: Call) -> int:
    """F.linear_cross_entropy(x, linear_weight, target, *, linear_bias=None, reduction): cross_entropy(linear(x, W) + b, target)."""
    g, (x, weight, target) = call.graph, call.tensors
    if len(g.builder.known_shape(weight, g.col, f"the linear_weight of {g.name}()")) != 2:
        raise ExprError(f"not supported yet: {g.name}() with a linear_weight of more than 2 dims", g.col)
    logits = g.op("matmul", x, g.op("transpose", weight, dim0=0, dim1=1))
    bias = call.tensor("linear_bias", 3)
    logits = logits if bias is None else g.op("add", logits, bias)
    return _cross_entropy(Call(g, [logits, target], call.params, call.dims))


def _nll_loss(call: Call) -> int:
    return _class_loss(call, lambda g, x: x)


def _weighted_class_loss(call: Call, x: int, target: int, log_probabilities: Callable[[Graph, int], int]) -> int:
    """cross_entropy and nll_loss with weight= (per class), ignore_index= or label_smoothing=, as torch computes them.

    Class indices (fixed at the case's values): -w[t] log p[t] per sample (0 where t is ignore_index); with smoothing e,
    (1 - e) of that plus e / C of -sum_c w[c] log p[c]; the mean divided by the sum of w[t] kept. Class probabilities:
    -sum_c w[c] t'[c] log p[c], t' = (1 - e) t + e / C, the mean over the samples."""
    g = call.graph
    weight, ignore = call.tensor("weight", 2), call.integer("ignore_index", 99, -100)
    smoothing = call.number("label_smoothing", 0.0)
    x_shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    along_classes = None if weight is None else g.op("reshape", weight, shape=(1, x_shape[1]) + (1,) * (len(x_shape) - 2))
    log_p = log_probabilities(g, x)
    weighted_log_p = log_p if along_classes is None else g.op("mul", log_p, along_classes)
    if g.builder.known_shape(target, g.col, f"the target of {g.name}()") == x_shape:
        if smoothing:
            target = g.op("add", g.scale(target, 1.0 - smoothing), g.const(smoothing / x_shape[1]))
        return _reduce_loss(call, g.op("neg", g.reduce("sum", g.op("mul", target, weighted_log_p), 1)))
    classes = whole_numbers(g.builder.known_value(target, g.col, f"the target of {g.name}()"), f"the class indices of {g.name}()", g.col)
    kept = classes != ignore
    if np.any((classes[kept] < 0) | (classes[kept] >= x_shape[1])):
        raise ExprError(f"{g.name}(): a class index is out of range for {x_shape[1]} classes", g.col)
    chosen = g.op("one_hot", g.const(np.where(kept, classes, 0).astype(np.float64)), x)
    share = g.const(kept.astype(np.float64))
    losses = g.op("mul", g.op("neg", g.reduce("sum", g.op("mul", chosen, weighted_log_p), 1)), share)
    if along_classes is not None:
        share = g.op("mul", share, g.reduce("sum", g.op("mul", chosen, along_classes), 1))
    if smoothing:
        smooth = g.op("mul", g.op("neg", g.reduce("sum", weighted_log_p, 1)), g.const(kept.astype(np.float64)))
        losses = g.op("add", g.scale(losses, 1.0 - smoothing), g.scale(smooth, smoothing / x_shape[1]))
    reduction = call.choice("reduction", REDUCTIONS, "mean")
    if reduction == "mean":
        return g.op("div", g.reduce("sum", losses), g.reduce("sum", share))
    return losses if reduction == "none" else g.reduce("sum", losses)


def _class_loss(call: Call, log_probabilities: Callable[[Graph, int], int]) -> int:
    """cross_entropy and nll_loss: classes along dim 1 of (N, C, ...) input; an unbatched (C,) input (a 0-d class
    index, or C probabilities) as a batch of one, the result unbatched again."""
    g, (x, target) = call.graph, call.tensors[:2]
    if call.tensor("weight", 2) is not None or call.params.get("ignore_index") is not None or call.number("label_smoothing", 0.0):
        if _unbatched(g, x):
            target_shape = g.builder.known_shape(target, g.col, f"the target of {g.name}()")
            x, target = g.op("reshape", x, shape=(1, -1)), g.op("reshape", target, shape=(1, *target_shape))
            out = _weighted_class_loss(call, x, target, log_probabilities)
            return out if call.choice("reduction", REDUCTIONS, "mean") != "none" else g.op("reshape", out, shape=())
        return _weighted_class_loss(call, x, target, log_probabilities)
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


def _soft_margin_loss(call: Call) -> int:
    """F.soft_margin_loss(x, y): log(1 + exp(-y x)), as softplus(-y x); no gradient for the target y (as torch)."""
    g, (x, y) = call.graph, call.tensors
    y = g.op("stop_gradient", y)
    return _reduce_loss(call, g.op("softplus", g.op("neg", g.op("mul", y, x))))


def _margin_ranking_loss(call: Call) -> int:
    """F.margin_ranking_loss(x1, x2, y, margin=0): max(0, -y (x1 - x2) + margin)."""
    g, (a, b, y) = call.graph, call.tensors
    ranked = g.op("neg", g.op("mul", y, g.op("sub", a, b)))
    return _reduce_loss(call, g.op("relu", g.op("add", ranked, g.const(call.number("margin", 0.0)))))


def _not_equal(g: Graph, y: int, value: float) -> int:
    """1 where y is not ``value``, else 0 (no gradient)."""
    return g.op("add", g.op("gt", y, g.const(value)), g.op("gt", g.const(value), y))


def _hinge_embedding_loss(call: Call) -> int:
    """F.hinge_embedding_loss(x, y, margin=1): x where y is 1, max(0, margin - x) where y is -1 (as torch: both terms
    where y is neither)."""
    g, (x, y) = call.graph, call.tensors
    below = g.op("relu", g.op("sub", g.const(call.number("margin", 1.0)), x))
    return _reduce_loss(call, g.op("add", g.op("select", _not_equal(g, y, 1.0), below), g.op("select", _not_equal(g, y, -1.0), x)))


def _poisson_nll_loss(call: Call) -> int:
    """F.poisson_nll_loss(x, target, log_input=True, full=False, eps=1e-8): exp(x) - target x, or x - target log(x + eps);
    full adds Stirling's target log(target) - target + log(2 pi target) / 2 where target > 1."""
    g, (x, t) = call.graph, call.tensors
    if call.flag("log_input", True):
        loss = g.op("sub", g.op("exp", x), g.op("mul", t, x))
    else:
        loss = g.op("sub", x, g.op("mul", t, g.op("log", g.op("add", x, g.const(call.number("eps", 1e-8))))))
    if call.flag("full", False):
        above = g.op("gt", t, g.const(1.0))
        safe = g.op("add", g.op("select", above, t), g.op("sub", g.const(1.0), above))  # NOTE: 1 where the term is 0: no log(0)
        stirling = g.op("add", g.op("sub", g.op("mul", safe, g.op("log", safe)), safe), g.scale(g.op("log", g.op("mul", g.scale(g.pi(), 2.0), safe)), 0.5))
        loss = g.op("add", loss, g.op("select", above, stirling))
    return _reduce_loss(call, loss)


def _triplet_margin_loss(call: Call) -> int:
    """F.triplet_margin_loss(anchor, positive, negative, margin=1, p=2, eps=1e-6, swap=False): max(0, d(a, p) - d(a, n)
    + margin), d the pairwise distance (the p-norm of the difference + eps along the last dim); swap takes the smaller of
    d(a, n) and d(p, n)."""
    g, (a, positive, negative) = call.graph, call.tensors
    p, eps = call.number("p", 2.0), g.const(call.number("eps", 1e-6))

    def distance(x: int, y: int) -> int:
        return vector_norm(g, g.op("add", g.op("sub", x, y), eps), p, (-1,), False)

    far = distance(a, negative)
    if call.flag("swap", False):
        far = g.op("minimum", far, distance(positive, negative))
    return _reduce_loss(call, g.op("relu", g.op("add", g.op("sub", distance(a, positive), far), g.const(call.number("margin", 1.0)))))


def _equal_to(g: Graph, y: int, value: float) -> int:
    """1 where y equals value, else 0 (no gradient)."""
    v = g.const(value)
    return g.op("sub", g.const(1.0), g.op("add", g.op("gt", y, v), g.op("gt", v, y)))


def _cosine_embedding_loss(call: Call) -> int:
    """F.cosine_embedding_loss(x1, x2, y, margin=0): 1 - cos where y is 1, max(0, cos - margin) where y is -1 (0 for any
    other y), cos along the last dim as torch computes it: x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))."""
    g, (a, b, y) = call.graph, call.tensors
    eps = g.const(1e-12)
    squares = [g.op("add", g.reduce("sum", g.op("mul", t, t), -1), eps) for t in (a, b)]
    cos = g.op("div", g.reduce("sum", g.op("mul", a, b), -1), g.op("sqrt", g.op("mul", *squares)))
    positive = g.op("select", _equal_to(g, y, 1.0), g.op("sub", g.const(1.0), cos))
    negative = g.op("select", _equal_to(g, y, -1.0), g.op("relu", g.op("sub", cos, g.const(call.number("margin", 0.0)))))
    return _reduce_loss(call, g.op("add", positive, negative))


def _gaussian_nll_loss(call: Call) -> int:
    """F.gaussian_nll_loss(x, target, var, full=False, eps=1e-6): (log v + (x - target)^2 / v) / 2 (+ log(2 pi) / 2 where
    full), v = max(var, eps) in value while the gradient passes to var as if unclamped (torch clamps it under no_grad);
    a var of x's shape less its last dim is one variance per row, as torch reads it."""
    g, (x, target, var) = call.graph, call.tensors
    x_shape, var_shape = (g.builder.known_shape(t, g.col, f"{g.name}()") for t in (x, var))
    if var_shape != x_shape and var_shape == x_shape[:-1]:
        var = g.op("expand_dims", var, dim=-1)
    clamped = g.op("add", var, g.op("stop_gradient", g.op("sub", g.op("maximum", var, g.const(call.number("eps", 1e-6))), var)))
    d = g.op("sub", x, target)
    loss = g.scale(g.op("add", g.op("log", clamped), g.op("div", g.op("mul", d, d), clamped)), 0.5)
    if call.flag("full", False):
        loss = g.op("add", loss, g.scale(g.op("log", g.scale(g.pi(), 2.0)), 0.5))
    return _reduce_loss(call, loss)


def _multilabel_soft_margin_loss(call: Call) -> int:
    """F.multilabel_soft_margin_loss(x, y, weight=None): -(y log s(x) + (1 - y) log s(-x)) (times weight), averaged over
    the last dim (the classes), then reduced over the rest."""
    g, x, y = call.graph, call.tensors[0], call.tensors[1]
    weight = call.tensor("weight", 2)
    log_sig = g.op("neg", g.op("softplus", g.op("neg", x)))
    log_sig_neg = g.op("neg", g.op("softplus", x))
    loss = g.op("neg", g.op("add", g.op("mul", y, log_sig), g.op("mul", g.op("sub", g.const(1.0), y), log_sig_neg)))
    loss = loss if weight is None else g.op("mul", loss, weight)
    return _reduce_loss(call, g.reduce("mean", loss, -1))


def _multi_margin_loss(call: Call) -> int:
    """F.multi_margin_loss(x, y, p=1, margin=1, weight=None): per sample, the sum over the classes i other than y of
    max(0, margin - x[y] + x[i])**p (times weight[y]), over the number of classes; x (N, C), or one sample (C,) or ()."""
    g, x, y = call.graph, call.tensors[0], call.tensors[1]
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if len(shape) > 2:
        raise ExprError(f"{g.name}() takes an input of (N, C), (C,) or one score", g.col)
    batched = g.op("reshape", x, shape=(-1, shape[-1] if shape else 1))
    target = g.op("reshape", y, shape=(-1,))
    chosen = g.op("one_hot", target, batched)  # 1 at each sample's class (no gradient)
    picked = g.reduce("sum", g.op("mul", chosen, batched), 1, keepdim=True)
    hinge = g.op("relu", g.op("add", g.op("sub", g.const(call.number("margin", 1.0)), picked), batched))
    power = call.number("p", 1.0)
    if power not in (1.0, 2.0):
        raise ExprError(f"{g.name}() takes p = 1 or 2, as torch", g.col)
    terms = g.op("mul", hinge if power == 1 else g.op("mul", hinge, hinge), g.op("sub", g.const(1.0), chosen))
    weight = call.tensor("weight", 2)
    if weight is not None:
        terms = g.op("mul", terms, g.reduce("sum", g.op("mul", chosen, weight), 1, keepdim=True))
    per_sample = g.reduce("mean", terms, 1)
    return _reduce_loss(call, per_sample if len(shape) == 2 else g.op("reshape", per_sample, shape=()))


def _multilabel_margin_loss(call: Call) -> int:
    """F.multilabel_margin_loss(x, y): per sample, y's classes up to its first -1 are the targets J (fixed at the case's
    values; a class named twice counts twice, as in torch); the loss is the sum over j in J and i not in J of
    max(0, 1 - (x[j] - x[i])), over the number of classes."""
    g, x, y = call.graph, call.tensors[0], call.tensors[1]
    shape = g.builder.known_shape(x, g.col, f"{g.name}()")
    if len(shape) > 2:
        raise ExprError(f"{g.name}() takes an input of (N, C), (C,) or one score", g.col)
    classes = shape[-1] if shape else 1
    labels = np.rint(np.asarray(g.builder.known_value(y, g.col, f"the target of {g.name}()"), dtype=float)).astype(int).reshape(-1, classes)
    rows = g.op("reshape", x, shape=(-1, classes))
    pairs = []  # (sample, target class, other class)
    for n, row in enumerate(labels):
        ending = list(row).index(-1) if -1 in row else classes
        targets = [int(c) for c in row[:ending]]  # NOTE: as torch, a class named twice counts twice
        pairs += [(n, j, i) for j in targets for i in range(classes) if i not in targets]
    if not pairs:
        per_sample = g.reduce("sum", g.op("mul", rows, g.const(0.0)), 1)
    else:
        sample, target, other = (tuple(p[k] for p in pairs) for k in range(3))
        margins = g.op("relu", g.op("add", g.op("sub", g.const(1.0), g.op("index", rows, key=(sample, target))), g.op("index", rows, key=(sample, other))))
        belongs = np.zeros((labels.shape[0], len(pairs)))
        belongs[list(sample), range(len(pairs))] = 1.0
        per_sample = g.op("matmul", g.const(belongs), margins)
    per_sample = g.scale(per_sample, 1.0 / classes)
    return _reduce_loss(call, per_sample if len(shape) == 2 else g.op("reshape", per_sample, shape=()))


SPELLINGS: dict[str, Function] = {
    "multilabel_margin_loss": spelling(_multilabel_margin_loss, (2, 2), keywords=_LOSS),
    "multi_margin_loss": spelling(_multi_margin_loss, (2, 3), keywords=(*_LOSS, "p", "margin", "weight")),
    "cosine_embedding_loss": spelling(_cosine_embedding_loss, (3, 3), keywords=(*_LOSS, "margin")),
    "gaussian_nll_loss": spelling(_gaussian_nll_loss, (3, 3), keywords=(*_LOSS, "full", "eps")),
    "multilabel_soft_margin_loss": spelling(_multilabel_soft_margin_loss, (2, 3), keywords=(*_LOSS, "weight")),
    "poisson_nll_loss": spelling(_poisson_nll_loss, (2, 2), keywords=(*_LOSS, "log_input", "full", "eps", "size_average", "reduce")),
    "triplet_margin_loss": spelling(_triplet_margin_loss, (3, 3), keywords=(*_LOSS, "margin", "p", "eps", "swap", "size_average", "reduce")),
    "soft_margin_loss": spelling(_soft_margin_loss, (2, 2), keywords=_LOSS),
    "margin_ranking_loss": spelling(_margin_ranking_loss, (3, 3), keywords=(*_LOSS, "margin")),
    "hinge_embedding_loss": spelling(_hinge_embedding_loss, (2, 2), keywords=(*_LOSS, "margin")),
    "mse_loss": spelling(_mse_loss, (2, 2), keywords=_LOSS),
    "l1_loss": spelling(_l1_loss, (2, 2), keywords=_LOSS),
    "huber_loss": spelling(_huber_loss, (2, 2), keywords=(*_LOSS, "delta")),
    "smooth_l1_loss": spelling(_smooth_l1_loss, (2, 2), keywords=(*_LOSS, "beta")),
    "binary_cross_entropy_with_logits": spelling(_bce_with_logits, (2, 4), keywords=(*_LOSS, "weight", "pos_weight")),
    "binary_cross_entropy": spelling(_bce, (2, 2), keywords=_LOSS),
    "cross_entropy": spelling(_cross_entropy, (2, 3), keywords=(*_LOSS, "weight", "ignore_index", "label_smoothing")),
    "nll_loss": spelling(_nll_loss, (2, 3), keywords=(*_LOSS, "weight", "ignore_index")),
    "linear_cross_entropy": spelling(_linear_cross_entropy, (3, 3), keywords=(*_LOSS, "linear_bias")),
    "kl_div": spelling(_kl_div, (2, 2), keywords=(*_LOSS, "log_target")),
}  # fmt: skip
