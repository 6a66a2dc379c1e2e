"""SciPy's distributions (``scipy.stats.norm.logpdf(x, loc, scale)``, ...), composed from the special functions.

Each density is written in standardized form, ``z = (x - loc) / scale``, as SciPy evaluates it: the log density of
``z`` minus ``log(scale)``; the densities are the exponentials of the log densities.  The CDFs of gamma, chi2 and
poisson are the regularized incomplete gamma functions (differentiable in x and mu, not in the shape a: as torch); those
of t and beta need the incomplete beta function, which the language has not: those are unknown names.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from verifygrad.language.spellings.compose import Call, Graph, spelling
from verifygrad.language.spellings.special import betaln_of, ndtr_of, xlogy_of
from verifygrad.language.syntax import ExprError, Function

LogDensity = Callable[[Graph, int, list[int]], int]  # the log density at z, given the shape parameters


def _located(call: Call, shapes: tuple[str, ...]) -> tuple[Graph, int, list[int], int | None]:
    """z = (x - loc) / scale, the shape parameters, and scale (None where it is 1)."""
    g = call.graph
    parameters = [call.tensor(name, 1 + k) for k, name in enumerate(shapes)]
    if any(p is None for p in parameters):
        raise ExprError(f"{g.name}() takes the shape parameters {', '.join(shapes)}", g.col)
    loc, scale = call.tensor("loc", 1 + len(shapes)), call.tensor("scale", 2 + len(shapes))
    z = call.tensors[0] if loc is None else g.op("sub", call.tensors[0], loc)
    return g, (z if scale is None else g.op("div", z, scale)), [p for p in parameters if p is not None], scale


def _logpdf(log_density: LogDensity, shapes: tuple[str, ...]) -> Callable[[Call], int]:
    def compose(call: Call) -> int:
        g, z, parameters, scale = _located(call, shapes)
        out = log_density(g, z, parameters)
        out = out if scale is None else g.op("sub", out, g.op("log", scale))
        inside = SUPPORT[log_density](g, z) if log_density in SUPPORT else None
        return out if inside is None else g.op("add", g.op("select", inside, out), g.op("log", inside))  # NOTE: -inf outside, as SciPy

    return compose


def _pdf(log_density: LogDensity, shapes: tuple[str, ...]) -> Callable[[Call], int]:
    return lambda call: call.graph.op("exp", _logpdf(log_density, shapes)(call))


def _norm(g: Graph, z: int, _: list[int]) -> int:
    """-z^2 / 2 - log(2 pi) / 2."""
    return g.op("sub", g.scale(g.op("mul", z, z), -0.5), g.const(0.5 * math.log(2 * math.pi)))


def _t(g: Graph, z: int, df: list[int]) -> int:
    """lgamma((df + 1) / 2) - lgamma(df / 2) - log(df pi) / 2 - (df + 1) / 2 log1p(z^2 / df)."""
    (nu,) = df
    half = g.scale(g.op("add", nu, g.const(1.0)), 0.5)
    out = g.op("sub", g.op("lgamma", half), g.op("lgamma", g.scale(nu, 0.5)))
    out = g.op("sub", out, g.scale(g.op("log", g.scale(nu, math.pi)), 0.5))
    return g.op("sub", out, g.op("mul", half, g.op("log1p", g.op("div", g.op("mul", z, z), nu))))


def _gamma(g: Graph, z: int, a: list[int]) -> int:
    """xlogy(a - 1, z) - z - lgamma(a)."""
    (shape,) = a
    return g.op("sub", g.op("sub", xlogy_of(g, g.op("sub", shape, g.const(1.0)), z, "log"), z), g.op("lgamma", shape))


def _chi2(g: Graph, z: int, df: list[int]) -> int:
    """The gamma density of z / 2 with a = df / 2, over 2."""
    return g.op("sub", _gamma(g, g.scale(z, 0.5), [g.scale(df[0], 0.5)]), g.const(math.log(2.0)))


def _beta(g: Graph, z: int, ab: list[int]) -> int:
    """xlog1py(b - 1, -z) + xlogy(a - 1, z) - betaln(a, b)."""
    a, b = ab
    one = g.const(1.0)
    out = g.op("add", xlogy_of(g, g.op("sub", b, one), g.op("neg", z), "log1p"), xlogy_of(g, g.op("sub", a, one), z, "log"))
    return g.op("sub", out, betaln_of(g, a, b))


def _normal_cdf(upper: bool, log: bool) -> Callable[[Call], int]:
    """norm.cdf, .sf (the upper tail), and their logs, from ndtr (erfc)."""

    def compose(call: Call) -> int:
        g, z, _, _ = _located(call, ())
        out = ndtr_of(g, g.op("neg", z) if upper else z)
        return g.op("log", out) if log else out

    return compose


def _poisson_logpmf(call: Call) -> int:
    """xlogy(k, mu) - lgamma(k + 1) - mu where k is a whole number >= 0 (after loc), -inf elsewhere (as SciPy)."""
    g, k, mu = call.graph, call.tensors[0], call.tensors[1]
    loc = call.tensor("loc", 2)
    k = k if loc is None else g.op("sub", k, loc)
    one = g.const(1.0)
    whole = g.op("mul", g.op("sub", one, g.op("gt", g.const(0.0), k)), g.op("sub", one, g.op("gt", k, g.op("floor", k))))
    out = g.op("sub", g.op("sub", xlogy_of(g, k, mu, "log"), g.op("lgamma", g.op("add", k, g.const(1.0)))), mu)
    return g.op("add", g.op("select", whole, out), g.op("log", whole))  # NOTE: log 0 is the -inf off the support


def _incomplete_gamma(g: Graph, a: int, z: int, upper: bool, log: bool) -> int:
    """P(a, z) (Q(a, z) where ``upper``) for z > 0; at z <= 0 the limit, 0 (1), with z taken as 1 there so that no
    0 * inf reaches the backward pass; the log where ``log``."""
    inside = _positive(g, z)
    safe = g.op("add", g.op("select", inside, z), g.op("sub", g.const(1.0), inside))
    out = g.op("select", inside, g.op("gammaincc" if upper else "gammainc", a, safe))
    out = g.op("add", out, g.op("sub", g.const(1.0), inside)) if upper else out
    return g.op("log", out) if log else out


def _gamma_cdf(shapes: tuple[str, ...], upper: bool, log: bool) -> Callable[[Call], int]:
    """gamma.cdf(x, a) = P(a, z); chi2.cdf(x, df) = P(df / 2, z / 2); .sf the upper tail Q; their logs."""

    def compose(call: Call) -> int:
        g, z, (a,), _ = _located(call, shapes)
        if shapes == ("df",):
            a, z = g.scale(a, 0.5), g.scale(z, 0.5)
        return _incomplete_gamma(g, a, z, upper, log)

    return compose


def _poisson_cdf(upper: bool, log: bool) -> Callable[[Call], int]:
    """poisson.cdf(k, mu) = Q(floor(k) + 1, mu) for k >= 0 (after loc), 0 below; .sf = P(floor(k) + 1, mu), 1 below."""

    def compose(call: Call) -> int:
        g, k, mu = call.graph, call.tensors[0], call.tensors[1]
        loc = call.tensor("loc", 2)
        k = k if loc is None else g.op("sub", k, loc)
        one = g.const(1.0)
        counted = g.op("sub", one, g.op("gt", g.const(0.0), k))  # k >= 0
        a = g.op("add", g.op("select", counted, g.op("add", g.op("floor", k), one)), g.op("sub", one, counted))
        out = g.op("select", counted, g.op("gammainc" if upper else "gammaincc", a, mu))
        out = g.op("add", out, g.op("sub", one, counted)) if upper else out
        return g.op("log", out) if log else out

    return compose


def _positive(g: Graph, z: int) -> int:
    return g.op("gt", z, g.const(0.0))


def _unit(g: Graph, z: int) -> int:
    return g.op("mul", g.op("gt", z, g.const(0.0)), g.op("gt", g.const(1.0), z))


# Where a density is not 0: 0 < z for gamma and chi2, 0 < z < 1 for beta (the ends' limits depend on the shapes: -inf here).
SUPPORT: dict[LogDensity, Callable[[Graph, int], int]] = {_gamma: _positive, _chi2: _positive, _beta: _unit}
SHAPES = {"norm": (_norm, ()), "t": (_t, ("df",)), "gamma": (_gamma, ("a",)), "chi2": (_chi2, ("df",)), "beta": (_beta, ("a", "b"))}
# The prefixes read (scipy.stats.norm.pdf), and the table key's start for each: stats.norm.pdf.
PREFIXES = {f"scipy.stats.{name}": f"stats.{name}." for name in (*SHAPES, "poisson")}

SPELLINGS: dict[str, Function] = {
    **{f"stats.{name}.logpdf": spelling(_logpdf(f, shapes), (1, 3 + len(shapes)), keywords=(*shapes, "loc", "scale")) for name, (f, shapes) in SHAPES.items()},
    **{f"stats.{name}.pdf": spelling(_pdf(f, shapes), (1, 3 + len(shapes)), keywords=(*shapes, "loc", "scale")) for name, (f, shapes) in SHAPES.items()},
    "stats.norm.cdf": spelling(_normal_cdf(upper=False, log=False), (1, 3), keywords=("loc", "scale")),
    "stats.norm.logcdf": spelling(_normal_cdf(upper=False, log=True), (1, 3), keywords=("loc", "scale")),
    "stats.norm.sf": spelling(_normal_cdf(upper=True, log=False), (1, 3), keywords=("loc", "scale")),
    "stats.norm.logsf": spelling(_normal_cdf(upper=True, log=True), (1, 3), keywords=("loc", "scale")),
    **{f"stats.{name}.{tail}": spelling(_gamma_cdf(shapes, tail.endswith("sf"), tail.startswith("log")), (1, 4), keywords=(*shapes, "loc", "scale"))
       for name, shapes in (("gamma", ("a",)), ("chi2", ("df",))) for tail in ("cdf", "logcdf", "sf", "logsf")},
    **{f"stats.poisson.{tail}": spelling(_poisson_cdf(tail.endswith("sf"), tail.startswith("log")), (2, 3), keywords=("loc",))
       for tail in ("cdf", "logcdf", "sf", "logsf")},
    "stats.poisson.logpmf": spelling(_poisson_logpmf, (2, 3), keywords=("loc",)),
    "stats.poisson.pmf": spelling(lambda call: call.graph.op("exp", _poisson_logpmf(call)), (2, 3), keywords=("loc",)),
}  # fmt: skip
