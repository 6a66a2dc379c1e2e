"""Special functions (issue 21): torch.special's and SciPy's names; value and gradient against closed forms (known
values of the gamma family at halves and whole numbers, the Bessel series, math.erf), in every engine."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tests.helpers import assert_closed_form
from verifygrad.language.syntax import ExprError

GAMMA = 0.5772156649015329  # the Euler-Mascheroni constant
HALVES = np.array([0.5, 1.0, 2.0, 3.5])
# digamma and trigamma there: psi(1) = -gamma, psi(1/2) = -gamma - 2 log 2, psi(x + 1) = psi(x) + 1/x;
# psi'(1) = pi^2/6, psi'(1/2) = pi^2/2, psi'(x + 1) = psi'(x) - 1/x^2.
DIGAMMA = np.array([-GAMMA - 2 * math.log(2), -GAMMA, 1 - GAMMA, -GAMMA - 2 * math.log(2) + 2 * (1 + 1 / 3 + 1 / 5)])
TRIGAMMA = np.array([math.pi**2 / 2, math.pi**2 / 6, math.pi**2 / 6 - 1, math.pi**2 / 2 - 4 * (1 + 1 / 9 + 1 / 25)])
DIGAMMA_3_2 = DIGAMMA[0] + 2  # psi(3/2) = psi(1/2) + 2
ZETA3 = 1.2020569031595942
TETRAGAMMA_1 = -2 * ZETA3  # psi''(1)
X = np.array([-1.3, -0.2, 0.4, 2.1])
P = np.array([0.05, 0.3, 0.5, 0.975])


def bessel(n: int, x: np.ndarray) -> np.ndarray:
    """I_n(x) = sum over k of (x/2)^(2k+n) / (k! (k+n)!)."""
    return sum((x / 2) ** (2 * k + n) / (math.factorial(k) * math.factorial(k + n)) for k in range(40))


def normal_pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


NDTR = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in X])
# ndtri at 0.5 is 0, at 0.975 the familiar 1.959963984540054; the others from erfinv(erf(v)) = v, checked in the value
QUANTILES = np.array([-1.6448536269514722, -0.5244005127080407, 0.0, 1.959963984540054])
SAFE = np.where(X != 0, X, 1.0)
ERFCX_AT = np.array([-1.5, -0.2, 0.0, 0.7, 3.0, 8.0])  # erfcx' = 2x erfcx - 2/sqrt(pi); at 8 erfc is 1e-29, erfcx 0.07
ERFCX = np.array([math.exp(v * v) * math.erfc(v) for v in ERFCX_AT])

CASES = [
    ("torch.lgamma(x).sum() + torch.special.gammaln(x).sum()", {"x": HALVES}, 2 * sum(math.lgamma(v) for v in HALVES), {"x": 2 * DIGAMMA}),
    ("torch.digamma(x).sum()", {"x": HALVES}, float(DIGAMMA.sum()), {"x": TRIGAMMA}),
    ("torch.special.psi(x).sum() + torch.polygamma(1, x).sum()", {"x": HALVES}, float(DIGAMMA.sum() + TRIGAMMA.sum()), {}),
    ("x.polygamma(1).sum()", {"x": np.array([1.0])}, math.pi**2 / 6, {"x": np.array([TETRAGAMMA_1])}),
    ("torch.special.multigammaln(x, 2).sum()", {"x": np.array([1.5, 2.0])},
     float(sum(math.log(math.pi) / 2 + math.lgamma(v) + math.lgamma(v - 0.5) for v in (1.5, 2.0))),
     {"x": np.array([DIGAMMA_3_2 + DIGAMMA[1], DIGAMMA[2] + DIGAMMA_3_2])}),  # psi(x) + psi(x - 1/2)
    ("torch.erfinv(torch.erf(x)).sum()", {"x": X}, float(X.sum()), {"x": np.ones(4)}),
    ("torch.special.erfinv(y).sum()", {"y": np.array([math.erf(0.3), math.erf(-1.1)])}, -0.8,
     {"y": math.sqrt(math.pi) / 2 * np.exp(np.array([0.3, -1.1]) ** 2)}),
    ("torch.special.ndtr(x).sum()", {"x": X}, float(NDTR.sum()), {"x": normal_pdf(X)}),
    ("torch.special.log_ndtr(x).sum()", {"x": X}, float(np.log(NDTR).sum()), {"x": normal_pdf(X) / NDTR}),
    ("torch.special.ndtri(p).sum()", {"p": P}, float(QUANTILES.sum()), {"p": 1 / normal_pdf(QUANTILES)}),
    ("torch.special.erfcx(x).sum()", {"x": ERFCX_AT}, float(ERFCX.sum()), {"x": 2 * ERFCX_AT * ERFCX - 2 / math.sqrt(math.pi)}),
    ("(torch.i0(x) + torch.special.i1(x)).sum()", {"x": X}, float((bessel(0, X) + bessel(1, X)).sum()),
     {"x": bessel(1, X) + (bessel(0, X) + bessel(2, X)) / 2}),
    ("(torch.special.i0e(x) + torch.special.i1e(x)).sum()", {"x": X}, float((np.exp(-np.abs(X)) * (bessel(0, X) + bessel(1, X))).sum()),
     {"x": np.exp(-np.abs(X)) * (bessel(1, X) + (bessel(0, X) + bessel(2, X)) / 2 - np.sign(X) * (bessel(0, X) + bessel(1, X)))}),
    ("torch.special.entr(y).sum()", {"y": np.array([0.25, 0.5, 2.0])}, float(-(0.25 * math.log(0.25) + 0.5 * math.log(0.5) + 2 * math.log(2))),
     {"y": -np.log(np.array([0.25, 0.5, 2.0])) - 1}),
    ("torch.special.entr(y * 0).sum()", {"y": np.array([0.25, 0.5])}, 0.0, {}),
    ("torch.sinc(x).sum() + torch.special.sinc(z).sum()", {"x": X, "z": np.array([0.0])},
     float((np.sin(math.pi * X) / (math.pi * X)).sum() + 1),
     {"x": (np.cos(math.pi * X) * math.pi * X - np.sin(math.pi * X)) / (math.pi * SAFE**2), "z": np.array([0.0])}),
    ("(torch.special.expit(x) + torch.special.logit(p) + torch.logit(p, 0.1)).sum()", {"x": X, "p": P},
     float((1 / (1 + np.exp(-X)) + np.log(P / (1 - P)) + np.log(np.clip(P, 0.1, 0.9) / (1 - np.clip(P, 0.1, 0.9)))).sum()),
     {"x": np.exp(-X) / (1 + np.exp(-X)) ** 2}),
]  # fmt: skip


# NOTE: torch's trigamma (polygamma(1, x), digamma's derivative) is good to about 5e-10 relative, not to float64.
TORCH_TRIGAMMA_RTOL = 1e-9


@pytest.mark.parametrize("engine", ["numpy", "torch", "fd", "sympy"])
@pytest.mark.parametrize(("expr", "inputs", "value", "grads"), CASES, ids=[case[0] for case in CASES])
def test_matches_closed_form(engine: str, expr: str, inputs: dict, value: float, grads: dict) -> None:
    if engine == "torch" and any(name in expr for name in ("digamma", "psi", "polygamma")):
        from tests.helpers import make_problem
        from verifygrad.engines import run_engine

        result = run_engine(engine, make_problem(expr, **inputs))
        np.testing.assert_allclose(result.value, value, rtol=TORCH_TRIGAMMA_RTOL)
        for name, grad in grads.items():
            np.testing.assert_allclose(result.grads[name], grad, rtol=TORCH_TRIGAMMA_RTOL)
        return
    assert_closed_form(engine, expr, inputs, value, grads)


EDGES = [
    ("torch.xlogy(x, y).sum() + torch.special.xlog1py(x, y).sum()", {"x": np.array([0.0, 2.0, -1.5]), "y": np.array([0.0, 3.0, 0.5])},
     float(2 * math.log(3) - 1.5 * math.log(0.5) + 2 * math.log(4) - 1.5 * math.log(1.5)),
     {"x": np.array([0.0, math.log(3) + math.log(4), math.log(0.5) + math.log(1.5)]), "y": np.array([0.0, 2 / 3 + 2 / 4, -1.5 / 0.5 - 1.5 / 1.5])}),
    ("torch.special.entr(-y).sum()", {"y": np.array([0.25, 2.0])}, -math.inf, {"y": np.zeros(2)}),  # constant -inf below 0 (torch: nan)
]  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "sympy", "torch", "fd"])
@pytest.mark.parametrize(("expr", "inputs", "value", "grads"), EDGES, ids=["xlogy-at-0", "entr-below-0"])
def test_at_the_edges_torch_and_fd_give_nan(engine: str, expr: str, inputs: dict, value: float, grads: dict) -> None:
    """xlogy(0, 0) and entr below 0: verifygrad's partials are 0 (xlogy(0, y) is 0 for every y; entr is the constant
    -inf below 0); torch's are nan there, and so are finite differences (a step reaches -inf)."""
    from tests.helpers import make_problem
    from verifygrad.engines import run_engine

    result = run_engine(engine, make_problem(expr, **inputs))
    np.testing.assert_allclose(result.value, value, rtol=1e-12)
    for name, grad in grads.items():
        got, grad = result.grads[name], grad.copy()
        if engine == "torch":  # torch's partial in y at (0, 0), and entr's below 0
            grad[(inputs["x"] == 0) if "xlogy" in expr else slice(None)] = np.nan if name == "y" else 0.0
        if engine == "fd":  # NOTE: a step of x away from 0 takes xlogy(x, 0) to -inf; every step of entr below 0 is -inf
            keep = inputs["x"] != 0 if "xlogy" in expr else np.zeros(got.shape, dtype=bool)
            got, grad = got[keep], grad[keep]
        np.testing.assert_allclose(got, grad, rtol=1e-7 if engine == "fd" else 1e-12, atol=1e-15)


def test_poles_are_singular_points() -> None:
    """lgamma and digamma at 0, -1, ...: no derivative there; reported as a singular point, never a wrong PASS."""
    from verifygrad.cases.load import load_mapping
    from verifygrad.verdict.judge import check_case

    cases, errors = load_mapping({"name": "pole", "expr": "torch.lgamma(x).sum()", "inputs": {"x": [-1.0, 2.5]}}, "t.yaml")
    outcome = check_case(cases[0])
    assert outcome.verdict == "skipped", outcome.reasons
    assert any(reason.startswith("non-differentiable at x[0]: lgamma at a pole (a whole number <= 0) has no derivative") for reason in outcome.reasons)


def test_a_negative_order_is_refused() -> None:
    from verifygrad.language.statements import compile_program

    with pytest.raises(ExprError, match=re.escape("polygamma() takes its order n as a whole number >= 0")):
        compile_program("torch.polygamma(-1, x)", {"x": X})


def test_hessians_are_the_next_derivatives() -> None:
    """d^2/dx^2 lgamma = trigamma; d^2/dx^2 erfinv(y) = 2 erfinv(y) erfinv'(y)^2."""
    from verifygrad.engines import numpy_second_order as second
    from verifygrad.language.statements import compile_program

    hessian = second.hessian(compile_program("torch.lgamma(x).sum()", {"x": HALVES}), {"x": HALVES}, "float64", ("x",))["x", "x"]
    np.testing.assert_allclose(hessian, np.diag(TRIGAMMA), rtol=1e-12, atol=1e-12)
    y = np.array([math.erf(0.3), math.erf(-1.1)])
    slope = math.sqrt(math.pi) / 2 * np.exp(np.array([0.3, -1.1]) ** 2)
    hessian = second.hessian(compile_program("torch.erfinv(y).sum()", {"y": y}), {"y": y}, "float64", ("y",))["y", "y"]
    np.testing.assert_allclose(hessian, np.diag(2 * np.array([0.3, -1.1]) * slope**2), rtol=1e-10)
    x = np.array([0.7, -1.2])
    hessian = second.hessian(compile_program("torch.i0(x).sum()", {"x": x}), {"x": x}, "float64", ("x",))["x", "x"]
    np.testing.assert_allclose(hessian, np.diag((bessel(0, x) + bessel(2, x)) / 2), rtol=1e-12)
