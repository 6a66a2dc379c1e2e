"""Exact arithmetic the SymPy routes share: numbers as the engines receive them, the working precision, SymPy's elementwise functions."""

from __future__ import annotations

import fractions
import math
from collections.abc import Callable

import mpmath
import numpy as np
import sympy as sp

PRECISION = 30
EXACT = f"{PRECISION} digits"  # how a route says it evaluated exactly; otherwise it says "float64..."
GUARD_DIGITS = 10  # extra digits the routes carry so that PRECISION digits are right at the end

ELEMENTWISE: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "exp": sp.exp,
    "log": sp.log,
    "log1p": lambda x: sp.log(1 + x),
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "tanh": sp.tanh,
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    # NOTE: Max(0, x) differentiates to Heaviside(x), which is 1/2 at 0; this
    # Piecewise gives relu'(0) = 0, the convention of torch and the numpy engine.
    "relu": lambda x: sp.Piecewise((x, x > 0), (0, True)),
    "abs": sp.Abs,
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    # NOTE: sp.sign differentiates to DiracDelta, which lambdify cannot print; this Piecewise to 0.
    "sign": lambda x: sp.Piecewise((1, x > 0), (-1, x < 0), (0, True)),
    "expm1": lambda x: sp.exp(x) - 1,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "lgamma": lambda x: lgamma(x),
    "erfinv": sp.erfinv,
}


BINARY: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: power(a, b),
}


def _power_numeric(x, y):
    return x**y


def _log_power_numeric(x, y):
    """x**y * log(x), numerically; 0 where x = 0 < y (mpmath numbers, or numpy arrays in the float64 route)."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        with np.errstate(all="ignore"):
            return np.where((x == 0) & (y > 0), 0.0, x**y * np.log(x))
    return mpmath.mpf(0) if x == 0 and y > 0 else x**y * mpmath.log(x)


class power(sp.Function):  # noqa: N801 - printed in derivations as power(x, y)
    """x**y where the exponent varies: its derivative in y is 0 where x**y is identically 0 (x = 0 < y).

    NOTE: SymPy's own x**y differentiates to x**y*log(x), which is 0*(-oo) = nan at x = 0.
    A constant exponent gives SymPy's Pow itself.
    """

    _imp_ = staticmethod(_power_numeric)  # what lambdify calls

    @classmethod
    def eval(cls, x: sp.Expr, y: sp.Expr) -> sp.Expr | None:
        return x**y if y.is_number else None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x, y = self.args
        return y * power(x, y - 1) if argindex == 1 else log_power(x, y)


class log_power(sp.Function):  # noqa: N801
    """x**y*log(x), and its limit 0 where x = 0 < y: the derivative of x**y in y."""

    _imp_ = staticmethod(_log_power_numeric)

    @classmethod
    def eval(cls, x: sp.Expr, y: sp.Expr) -> sp.Expr | None:
        if x.is_number and y.is_number:
            return sp.Integer(0) if x.is_zero and y.is_positive else x**y * sp.log(x)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x, y = self.args
        return y * log_power(x, y - 1) + power(x, y - 1) if argindex == 1 else log_power(x, y) * sp.log(x)


def _lgamma_numeric(x):
    """log|Gamma(x)| numerically (mpmath numbers, or numpy arrays in the float64 route); inf at the poles, as torch."""
    if isinstance(x, np.ndarray):
        return np.vectorize(lambda v: _lgamma_numeric(float(v)), otypes=[float])(x)
    try:
        return mpmath.re(mpmath.loggamma(x)) if isinstance(x, mpmath.mpf) else math.lgamma(x)
    except ValueError:  # NOTE: a pole (0, -1, -2, ...)
        return mpmath.inf if isinstance(x, mpmath.mpf) else math.inf


class lgamma(sp.Function):  # noqa: N801
    """log|Gamma(x)|, as torch.lgamma and SciPy's gammaln: real below 0 too, where SymPy's loggamma is complex."""

    _imp_ = staticmethod(_lgamma_numeric)

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        if x.is_number and x.is_positive:
            return sp.loggamma(x)
        if x.is_number and x.is_negative and x.is_integer is False:
            return sp.log(sp.Abs(sp.gamma(x)))
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.polygamma(0, self.args[0])


def precise(value: float) -> sp.Expr:
    """The float the engines receive, converted exactly (its binary value, not its shortest decimal): what inputs are evaluated at.

    NOTE: ``pi/2`` is the float nearest pi/2, whose cosine is 6.123e-17; its shortest decimal
    1.5707963267948966 is a third point (cosine 1.9e-17). An exact Rational would do as well, but a
    Rational with a 17-digit numerator raised to a non-integer Rational makes SymPy factor integers.
    """
    if math.isfinite(value):
        return sp.Float(float(value), PRECISION + 10)  # NOTE: from a float, SymPy keeps every binary digit
    return exact(value)


def exact(value: float) -> sp.Expr:
    """A constant as the engines hold it: its shortest decimal where that is the float exactly (2.5, 0.125),
    else the float's binary value to PRECISION + 10 digits (float64's 0.1 is 0.1000000000000000055511...)."""
    if not math.isfinite(value):
        return sp.nan if math.isnan(value) else (sp.oo if value > 0 else -sp.oo)
    written = sp.Rational(repr(float(value)))
    return written if fractions.Fraction(repr(float(value))) == fractions.Fraction(float(value)) else sp.Float(float(value), PRECISION + 10)


def mpf_exactly(value: float) -> mpmath.mpf:
    """The float the engines receive, exactly (mpmath holds a float's binary value without rounding)."""
    return mpmath.mpf(float(value))


def real_float(number: object) -> float:
    """To float64; complex results (log of a negative number) are nan, as in the expanded route."""
    if isinstance(number, mpmath.mpc):
        return float(number.real) if number.imag == 0 else math.nan
    try:
        return float(number)
    except (TypeError, ValueError):
        return math.nan
