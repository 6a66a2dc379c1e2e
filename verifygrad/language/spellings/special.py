"""Special functions: torch.special's names, SciPy's (gammaln, expit, ndtr, ...), and torch's own spellings of them.

Seven are primitives (lgamma, polygamma, besseli, erfinv, zeta, gammainc, gammaincc: numpy has none, so math and mpmath
evaluate them); the rest are composed: the normal distribution's functions from erf and erfinv, the exponentially scaled Bessel functions,
xlogy, entr, sinc, SciPy's gamma, rgamma, gammasgn, beta and betaln from lgamma.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

from verifygrad.language.spellings.compose import Call, Graph, alias, spelling, unary
from verifygrad.language.syntax import ExprError, Function, dims_in_removal_order, reduction_attrs


def _nonzero(g: Graph, x: int) -> int:
    """1 where x is not 0, else 0 (no gradient)."""
    return g.op("add", g.op("gt", x, g.const(0.0)), g.op("gt", g.const(0.0), x))


def _xlog(log: str) -> Callable[[Call], int]:
    """xlogy(x, y) = x log(y), xlog1py(x, y) = x log1p(y); 0 where x is 0, whatever y (as torch and SciPy).

    NOTE: where x is 0 the log takes 1 in y's place (log1p 0), so no 0 * -inf reaches either partial: both are 0 there
    (torch gives nan for y's where y is 0 as well)."""

    return lambda call: xlogy_of(call.graph, *call.tensors, log)


def xlogy_of(g: Graph, x: int, y: int, log: str) -> int:
    """x log(y) (log "log") or x log1p(y) (log "log1p"), 0 where x is 0: what xlogy and xlog1py compose."""
    nonzero = _nonzero(g, x)
    neutral = 0.0 if log == "log1p" else 1.0
    safe = g.op("add", g.op("select", nonzero, y), g.op("mul", g.op("sub", g.const(1.0), nonzero), g.const(neutral)))
    return g.op("select", nonzero, g.op("mul", x, g.op(log, safe)))


def _entr(g: Graph, x: int) -> int:
    """-x log(x) for x > 0, 0 at 0 (where its slope is infinite: log's singular point), -inf below (a constant).

    NOTE: below 0 the log takes 1 in x's place, so the gradient there is 0 (torch's is nan)."""
    negative = g.op("gt", g.const(0.0), x)
    safe = g.op("add", g.op("select", negative, g.const(1.0)), g.op("select", g.op("sub", g.const(1.0), negative), x))
    positive = g.op("select", g.op("gt", x, g.const(0.0)), g.op("neg", g.op("mul", safe, g.op("log", safe))))
    return g.op("add", positive, g.op("select", negative, g.const(-math.inf)))


def _sinc(g: Graph, x: int) -> int:
    """sin(pi x) / (pi x), and 1 at 0 (its limit; the derivative there is 0).

    NOTE: the division takes x with 0 replaced by 1, so that no 0/0 reaches the backward pass."""
    nonzero = _nonzero(g, x)
    safe = g.op("mul", g.op("add", x, g.op("sub", g.const(1.0), nonzero)), g.pi())
    ratio = g.op("div", g.op("sin", safe), safe)
    return g.op("add", g.op("select", nonzero, ratio), g.op("sub", g.const(1.0), nonzero))


def ndtr_of(g: Graph, x: int) -> int:
    """The standard normal CDF: erfc(-x / sqrt 2) / 2."""
    return g.scale(g.op("erfc", g.op("div", g.op("neg", x), g.op("sqrt", g.const(2.0)))), 0.5)


def _erfcx(g: Graph, x: int) -> int:
    """The scaled complementary error function exp(x^2) erfc(x).

    NOTE: as written, so past x = 26.6 exp(x^2) overflows and the product is inf * 0 = nan (torch's own stays finite)."""
    return g.op("mul", g.op("exp", g.op("mul", x, x)), g.op("erfc", x))


def _ndtri(g: Graph, p: int) -> int:
    """The standard normal quantile: sqrt 2 erfinv(2p - 1)."""
    return g.op("mul", g.op("sqrt", g.const(2.0)), g.op("erfinv", g.op("sub", g.scale(p, 2.0), g.const(1.0))))


def _order(call: Call, key: str = "n") -> int:
    n = call.integer(key, 0, None)
    if n is None or n < 0:
        raise ExprError(f"{call.graph.name}() takes its order {key} as a whole number >= 0, e.g. polygamma(1, x)", call.graph.col)
    return n


def _polygamma(call: Call) -> int:
    """torch.polygamma(n, x) / x.polygamma(n): the n-th derivative of digamma."""
    g = call.graph
    return g.op("polygamma", g.const(float(_order(call))), call.tensors[0])


def _bessel(order: int, scaled: bool) -> Callable[[Graph, int], int]:
    """I_order(x), and exp(-|x|) I_order(x) where scaled (i0e, i1e)."""

    def compose(g: Graph, x: int) -> int:
        out = g.op("besseli", g.const(float(order)), x)
        return g.op("mul", g.op("exp", g.op("neg", g.op("abs", x))), out) if scaled else out

    return compose


def _gammasgn(g: Graph, x: int) -> int:
    """The sign of Gamma(x): 1 for x > 0, sign(sin(pi x)) below (the reflection formula; constant between the poles).

    NOTE: not (-1)^(floor(-x) + 1): floor's steps at every whole number would be kinks at x = 1, 2, ... too."""
    below = g.op("sign", g.op("sin", g.scale(x, math.pi)))
    positive = g.op("gt", x, g.const(0.0))
    return g.op("add", positive, g.op("mul", g.op("sub", g.const(1.0), positive), below))


def _gamma(g: Graph, x: int, power: float = 1.0) -> int:
    """Gamma(x) (power 1) or 1 / Gamma(x) (power -1, rgamma): its sign times exp(+-lgamma(x)), lgamma being log|Gamma|."""
    return g.op("mul", _gammasgn(g, x), g.op("exp", g.scale(g.op("lgamma", x), power)))


def betaln_of(g: Graph, a: int, b: int) -> int:
    """log|B(a, b)| = lgamma(a) + lgamma(b) - lgamma(a + b)."""
    return g.op("sub", g.op("add", g.op("lgamma", a), g.op("lgamma", b)), g.op("lgamma", g.op("add", a, b)))


def _beta(call: Call) -> int:
    """B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b): the three signs times exp(betaln)."""
    g, (a, b) = call.graph, call.tensors
    sign = g.op("mul", g.op("mul", _gammasgn(g, a), _gammasgn(g, b)), _gammasgn(g, g.op("add", a, b)))
    return g.op("mul", sign, g.op("exp", betaln_of(g, a, b)))


def _logsumexp(call: Call) -> int:
    """scipy.special.logsumexp(a, axis=None, b=None, keepdims=False): log(sum(b exp(a))) over axis. With b, a is shifted
    by its largest value held constant (its gradient cancels), so a negative b that leaves the sum positive stays finite."""
    g, a, b = call.graph, call.tensors[0], call.tensor("b", 1)
    keywords = {key: node for key, node in call.params.items() if key in ("axis", "keepdims") and isinstance(node, ast.AST)}
    attrs = reduction_attrs(g.name, keywords, call.dims, g.col, several=True)
    if b is None:
        return g.reduce("logsumexp", a, attrs["dim"], keepdim=attrs["keepdim"])
    shift = g.op("stop_gradient", g.reduce("amax", a))
    terms, dim = g.op("mul", b, g.op("exp", g.op("sub", a, shift))), attrs["dim"]
    total = terms
    for d in dims_in_removal_order(dim, lambda: len(g.builder.known_shape(terms, g.col, "logsumexp()"))) if isinstance(dim, tuple) else [dim]:
        total = g.reduce("sum", total, d, keepdim=attrs["keepdim"])
    return g.op("add", g.op("log", total), shift)


def _multigammaln(call: Call) -> int:
    """multigammaln(x, p) (torch.mvlgamma): sum over j < p of lgamma(x - j / 2), plus p (p - 1) / 4 log(pi)."""
    g, x = call.graph, call.tensors[0]
    p = _order(call, "p")
    if p < 1:
        raise ExprError(f"{g.name}() takes p >= 1", g.col)
    out = g.scale(g.op("log", g.pi()), p * (p - 1) / 4)
    for j in range(p):
        out = g.op("add", out, g.op("lgamma", g.op("sub", x, g.const(j / 2))))
    return out


def _zeta(call: Call) -> int:
    """torch.special.zeta(x, q) / scipy.special.zeta(x, q=None): the Hurwitz zeta function, Riemann's where q is not given.

    NOTE: differentiable in q only, as in torch (-x zeta(x + 1, q)); a case differentiating x is refused."""
    g = call.graph
    q = call.tensor("q", 1)
    q = call.tensor("other", 1) if q is None else q
    return g.op("zeta", call.tensors[0], g.const(1.0) if q is None else q)


def _logit(call: Call) -> int:
    """torch.logit(x, eps=None): log(x / (1 - x)), x clamped to [eps, 1 - eps] first where eps is given."""
    g, x = call.graph, call.tensors[0]
    eps = call.scalar("eps", 0, -1.0) if "eps" in call.params or call.dims else None
    if eps is not None and eps >= 0:
        x = g.op("minimum", g.op("maximum", x, g.const(eps)), g.const(1 - eps))
    return g.op("sub", g.op("log", x), g.op("log1p", g.op("neg", x)))


SPELLINGS: dict[str, Function] = {
    "erf": alias("erf"),
    "erfc": alias("erfc"),
    "expm1": alias("expm1"),
    "erfinv": alias("erfinv"),
    "logit": spelling(_logit, (1, 1), keywords=("eps",)),
    "expit": alias("sigmoid"),
    "lgamma": alias("lgamma"),
    "gammaln": alias("lgamma"),
    "digamma": unary(lambda g, x: g.op("polygamma", g.const(0.0), x)),
    "psi": unary(lambda g, x: g.op("polygamma", g.const(0.0), x)),
    "polygamma": spelling(_polygamma, (1, 1), keywords=("n",)),
    "multigammaln": spelling(_multigammaln, (1, 1), keywords=("p",)),
    "mvlgamma": spelling(_multigammaln, (1, 1), keywords=("p",)),
    "i0": unary(_bessel(0, scaled=False)),
    "i1": unary(_bessel(1, scaled=False)),
    "i0e": unary(_bessel(0, scaled=True)),
    "i1e": unary(_bessel(1, scaled=True)),
    "ndtr": unary(ndtr_of),
    "ndtri": unary(_ndtri),
    "log_ndtr": unary(lambda g, x: g.op("log", ndtr_of(g, x))),
    "erfcx": unary(_erfcx),
    "xlogy": spelling(_xlog("log"), (2, 2)),
    "xlog1py": spelling(_xlog("log1p"), (2, 2)),
    "entr": unary(_entr),
    "sinc": unary(_sinc),
    "special.logsumexp": spelling(_logsumexp, (1, 1), keywords=("axis", "b", "keepdims")),
    "gamma": unary(_gamma),
    "rgamma": unary(lambda g, x: _gamma(g, x, -1.0)),
    "gammasgn": unary(_gammasgn),
    "betaln": spelling(lambda call: betaln_of(call.graph, *call.tensors), (2, 2)),
    "beta": spelling(_beta, (2, 2)),
    # NOTE: differentiable in the second argument only (torch does not implement the first's derivative): the case is refused.
    "zeta": spelling(_zeta, (1, 2), keywords=("q", "other")),
    "gammainc": alias("gammainc", 2),
    "gammaincc": alias("gammaincc", 2),
    "igamma": alias("gammainc", 2),
    "igammac": alias("gammaincc", 2),
    "erfcinv": unary(lambda g, x: g.op("erfinv", g.op("sub", g.const(1.0), x))),
}  # fmt: skip
# Names whose positional integer arguments are dimensions: scipy.special.logsumexp(a, 0).
DIM_POSITIONAL = frozenset({"special.logsumexp"})
# The order of polygamma comes first (polygamma(n, x)), the p of multigammaln second: parameters, not tensors.
LITERAL_POSITIONAL = frozenset({"polygamma", "multigammaln", "mvlgamma", "logit"})
NUMBER_POSITIONAL = frozenset({"logit"})  # logit(x, 1e-6): eps
