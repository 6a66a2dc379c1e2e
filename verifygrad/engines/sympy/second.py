"""SymPy's exact second derivatives, Jacobians and JVPs, by two routes that check each other.

- The scalar rule: for ``G(r)`` of one whole-tensor sum or mean ``r = c·Σ f(x, y, ...)`` of an
  elementwise ``f``, ``∂²/∂x_i∂y_j = G''(r) c² f_x(i) f_y(j) + G'(r) c [i = j] f_xy(i)``: one
  symbolic second derivative of ``f``, evaluated at every element (the diagonal of an
  elementwise Hessian), so it scales to 10^6 elements; an elementwise output's Jacobian is
  ``diag(f_x)``.
- Element expansion: every element its own symbol, every entry its own ``sp.diff`` (and a derivative of higher order,
  ``order: n``, ``sp.diff`` n times of the one element).

Never one route alone: where both apply, the scalar rule's numbers are checked against the
expansion's and the route says so; where they differ the expansion's stand.  SymPy's matrix
calculus is not used for second order (its ``diff`` silently returns 0 for several trace and
determinant forms).
"""

from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from verifygrad.cases.problem import Problem
from verifygrad.cases.second_order import JVP, hessian_key, hvp_key, jacobian_key, order_key
from verifygrad.engines import EngineSkipped
from verifygrad.engines.sympy import expand, scalar, traced
from verifygrad.engines.sympy.exact import EXACT, GUARD_DIGITS, PRECISION, exact, mpf_exactly, real_float

MAX_HESSIAN_WORK = 3_000_000  # expanded terms times (elements differentiated) squared
CHECK_RTOL = 1e-12  # both routes are exact to 30 digits: any real difference is far above this


class NotApplicable(Exception):
    """The scalar rule's second-order form does not fit this program."""


def quantities(problem: Problem) -> tuple[dict[str, np.ndarray], str, bool]:
    """The quantities asked for, the route that found them, and whether they are exact (30 digits)."""
    if traced.decomposes(problem):
        raise EngineSkipped("the mpmath reference of a decomposition (eigh, svd, qr, pinv) or matrix_exp gives first derivatives only")
    try:
        found, how = scalar_route(problem)
    except NotApplicable:
        return expanded(problem), f"expanded, {EXACT}", True
    try:
        check = expanded(problem)
    except EngineSkipped as skip:
        return found, f"scalar rule, {how} (not cross-checked: {skip})", how == EXACT
    differing = [name for name in found if not _close(found[name], check[name])]
    if differing:
        return check, f"expanded, {EXACT} (the scalar rule differed on {', '.join(differing)})", True
    return found, f"scalar rule, {how}, checked against element expansion", how == EXACT


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.nanmax(np.abs(b), initial=0.0)), 1e-300)
    return bool(np.all((np.abs(a - b) <= CHECK_RTOL * (np.abs(b) + scale)) | (np.isnan(a) & np.isnan(b))))


# --- the scalar rule -----------------------------------------------------------


def scalar_route(problem: Problem) -> tuple[dict[str, np.ndarray], str]:
    """Hessian blocks (or H·v) of G(c·Σ f), or the diagonal Jacobian of an elementwise f, evaluated per element."""
    second = problem.second
    if second.order:
        raise NotApplicable("a derivative of higher order")
    try:
        rule = scalar.scalar_rule(problem)
    except scalar.NotApplicable as err:
        raise NotApplicable(str(err)) from None
    shape = np.broadcast_shapes(*(v.shape for v in problem.inputs.values()))
    if any(problem.inputs[name].shape != shape for name in problem.wrt):
        raise NotApplicable("a differentiated input is broadcast")
    if second.hessian and not (len(rule.reductions) == 1 and rule.reductions[0][0] in ("sum", "mean") and rule.outer.free_symbols <= {rule.reductions[0][1]}):
        raise NotApplicable("not G(sum or mean of one elementwise function)")
    if (second.jacobian or second.tangents is not None) and not rule.elementwise_output and not second.hessian:
        raise NotApplicable("the output is not elementwise")
    if (second.jacobian or second.tangents is not None) and not rule.elementwise_output:
        raise NotApplicable("a Jacobian of a reduced output")
    symbols = dict(zip(rule.names, rule.symbols))  # NOTE: the rule's own symbols, not the inputs' names
    f = rule.reductions[0][2] if rule.reductions else rule.outer
    xs = [symbols[name] for name in problem.wrt]
    expressions = [f, *(sp.diff(f, x) for x in xs), *(away_from_kinks(sp.diff(f, x, y)) for x in xs for y in xs)]
    precise = math.prod(shape) <= scalar.PRECISE_MAX_ELEMENTS
    values = _elementwise(expressions, rule.symbols, problem, shape, precise)
    n = len(xs)
    first = dict(zip(problem.wrt, values[1 : 1 + n]))
    second_derivatives = {(x, y): values[1 + n + i * n + j] for i, x in enumerate(problem.wrt) for j, y in enumerate(problem.wrt)}
    found: dict[str, np.ndarray] = {}
    if second.hessian:
        found.update(_hessian(rule, problem, values[0], first, second_derivatives, shape, precise))
    if second.jacobian:
        eye = np.eye(math.prod(shape)).reshape(shape + shape)
        found.update({jacobian_key(x): eye * np.asarray(first[x], np.float64).reshape(shape + (1,) * len(shape)) for x in problem.wrt})
    if second.tangents is not None:
        found[JVP] = sum(np.asarray(first[x], np.float64) * second.tangents[x] for x in problem.wrt)
    return found, EXACT if precise else "float64, vectorized"


def _hessian(rule: scalar.ScalarRule, problem: Problem, f_values: Any, first: dict, second: dict,
             shape: tuple[int, ...], precise: bool) -> dict[str, np.ndarray]:  # fmt: skip
    """G''(r) c² f_x f_yᵀ + G'(r) c diag(f_xy), per block; or its product with the problem's directions."""
    kind, r_symbol, _ = rule.reductions[0]
    outer = sp.lambdify([r_symbol], [away_from_kinks(sp.diff(rule.outer, r_symbol, k)) for k in (1, 2)], modules="mpmath" if precise else "numpy")
    to64 = np.vectorize(real_float, otypes=[np.float64]) if precise else (lambda v: np.asarray(v, np.float64))
    with mpmath.workdps(PRECISION + GUARD_DIGITS):
        one = mpmath.mpf(1) if precise else 1.0
        c = one / math.prod(shape) if kind == "mean" else one
        r = (mpmath.fsum(np.ravel(f_values)) if precise else float(np.sum(f_values))) * c
        g1, g2 = outer(r)
        rank_one = {x: np.broadcast_to(to64(np.asarray(v) * (g2 * c * c)), shape) for x, v in first.items()}  # G'' c² f_x
        plain = {x: np.broadcast_to(to64(np.asarray(v)), shape) for x, v in first.items()}  # f_y
        diagonal = {pair: np.broadcast_to(to64(np.asarray(v) * (g1 * c)), shape) for pair, v in second.items()}  # G' c f_xy
    weight = float(problem.grad_output.reshape(()))
    directions = problem.second.directions
    found: dict[str, np.ndarray] = {}
    for x in problem.wrt:
        if directions is None:
            for y in problem.wrt:
                block = np.multiply.outer(rank_one[x], plain[y]) + np.diag(diagonal[x, y].ravel()).reshape(shape + shape)
                found[hessian_key(x, y)] = block * weight
        else:
            along = sum(float(np.sum(plain[y] * directions[y])) for y in problem.wrt)
            found[hvp_key(x)] = (rank_one[x] * along + sum(diagonal[x, y] * directions[y] for y in problem.wrt)) * weight
    return found


def _elementwise(expressions: list[sp.Expr], symbols: tuple[sp.Symbol, ...], problem: Problem, shape: tuple[int, ...], precise: bool) -> list[Any]:
    """Each expression at every element: float64 arrays (vectorized), or object arrays of mpmath numbers (30 digits)."""
    inputs = list(problem.inputs.values())
    # NOTE: lambdify execs generated source; safe here: the expressions are ours, over our own Symbols.
    if not precise:
        function = sp.lambdify(list(symbols), expressions, modules="numpy", cse=True)
        with np.errstate(all="ignore"):
            return [np.broadcast_to(np.asarray(v, np.float64), shape) for v in function(*inputs)]
    function = sp.lambdify(list(symbols), expressions, modules="mpmath", cse=True)
    columns = [np.broadcast_to(np.vectorize(mpf_exactly, otypes=[object])(v), shape).ravel() for v in inputs]
    with mpmath.workdps(PRECISION + GUARD_DIGITS):
        rows = [_safe(function, args, len(expressions)) for args in zip(*columns)]
    table = np.array(rows, dtype=object).reshape(len(rows), len(expressions)).T
    return [column.reshape(shape) for column in table]


def _safe(function: Any, args: tuple, count: int) -> list:
    try:
        return function(*args)
    except (ZeroDivisionError, ValueError, OverflowError):  # NOTE: mpmath raises where numpy gives inf or nan
        return [mpmath.nan] * count


# --- element expansion -----------------------------------------------------------


def expanded(problem: Problem) -> dict[str, np.ndarray]:
    """Every entry its own symbolic derivative, evaluated to 30 digits."""
    second = problem.second
    wrt_elements = sum(problem.inputs[name].size for name in problem.wrt)
    if second.hessian and expand.expanded_terms(problem) * wrt_elements**2 > MAX_HESSIAN_WORK:
        raise EngineSkipped(f"too large for a symbolic Hessian ({wrt_elements} elements differentiated)")
    derivation = expand.derive(problem)
    symbols, at = derivation.symbols, derivation.substitution
    found: dict[str, np.ndarray] = {}
    if second.hessian:
        blocks = {(x, y): derivatives(derivation.grads[x], symbols[y]) for x in problem.wrt for y in problem.wrt}
        if second.directions is None:
            found.update({hessian_key(x, y): expand.evaluate(block, at) for (x, y), block in blocks.items()})
        else:
            for x in problem.wrt:
                direction = second.directions
                found[hvp_key(x)] = sum(np.tensordot(expand.evaluate(blocks[x, y], at), direction[y], axes=direction[y].ndim) for y in problem.wrt)
    outputs = derivation.output.reshape(problem.output_shape)
    if second.jacobian:
        for x in problem.wrt:
            found[jacobian_key(x)] = expand.evaluate(derivatives(outputs, symbols[x]), at)
    for x in problem.wrt if second.order else ():
        (symbol,) = symbols[x].flat  # NOTE: an input of one element: the case refuses others
        entry = derivation.grads[x].flat[0]
        for _ in range(second.order - 1):
            entry = away_from_kinks(sp.diff(entry, symbol))
        found[order_key(x, second.order)] = expand.evaluate(np.array(entry, dtype=object).reshape(problem.inputs[x].shape), at)
    if second.tangents is not None:
        found[JVP] = expand.evaluate(jvp_entries(outputs, symbols, problem.wrt, second.tangents), at)
    return found


def jvp_entries(outputs: np.ndarray, symbols: dict[str, np.ndarray], wrt: tuple[str, ...], tangents: dict[str, np.ndarray]) -> np.ndarray:
    """J·t as expressions, one per output element: the derivative of each along the tangents (exact)."""
    tangent = [(s, exact(float(t))) for x in wrt for s, t in zip(symbols[x].flat, tangents[x].flat) if t != 0]
    entries = [away_from_kinks(sp.Add(*(sp.diff(o, s) * t for s, t in tangent))) for o in outputs.flat]
    return np.array(entries, dtype=object).reshape(outputs.shape)


def derivatives(expressions: np.ndarray, symbols: np.ndarray) -> np.ndarray:
    """d expression / d symbol for every pair, of shape expressions.shape + symbols.shape."""
    entries = [[away_from_kinks(sp.diff(e, s)) for s in symbols.flat] for e in expressions.flat]
    return np.array(entries, dtype=object).reshape(expressions.shape + symbols.shape)


def away_from_kinks(expression: sp.Expr) -> sp.Expr:
    """The derivative with SymPy's DiracDelta (from d sign(x)/dx, d Heaviside(x)/dx) as 0: its value away from the kink.

    NOTE: at the kink itself the second derivative does not exist; the kink rule (verdict.kinks) says so
    there, as in first order. Left in, DiracDelta reaches an evaluator that cannot print it (NameError).
    """
    return expression.replace(sp.DiracDelta, lambda *args: sp.S.Zero) if expression.has(sp.DiracDelta) else expression
