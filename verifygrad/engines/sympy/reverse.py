"""The SymPy engine's cheaper expansion: reverse mode over SymPy's own expression graph, at 30 digits.

Element expansion differentiates the whole objective once per input element (work: its size
times the number of elements); here the objective's expression graph is walked once forward,
evaluating every subexpression with mpmath from the inputs as written, and once backward,
each node passing its adjoint to its arguments through SymPy's own partial derivative of that
node (``fdiff``; Add, Mul and Pow by their rules).  So the work is linear in the expression's
size, every local derivative is SymPy's, and the chain rule is the only thing done here: none of
the op table's VJPs is used, so the numpy engine's rules are still checked against an independent
reference.
"""

from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from verifygrad.engines.sympy.exact import GUARD_DIGITS, PRECISION, mpf_exactly

NAN = mpmath.mpf("nan")


def postorder(root: sp.Basic) -> list[sp.Basic]:
    """Every distinct subexpression of ``root``, arguments before the expressions that use them."""
    order: list[sp.Basic] = []
    seen: set[sp.Basic] = set()
    stack: list[tuple[sp.Basic, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((arg, False) for arg in _operands(node) if arg not in seen)
    return order


def _operands(node: sp.Basic) -> tuple[sp.Basic, ...]:
    if isinstance(node, sp.Piecewise):  # branches and their conditions
        return tuple(part for pair in node.args for part in pair)
    return node.args


def _number(value: sp.Basic) -> Any:
    try:
        return mpmath.mpf(value.evalf(PRECISION + GUARD_DIGITS)) if value.is_real is not False else NAN
    except TypeError:  # complex, zoo
        return NAN


def _value(node: sp.Basic, values: dict[sp.Basic, Any]) -> Any:
    """The node's value from its arguments' values (mpmath numbers, or bools for conditions)."""
    if node.is_Number or node in (sp.pi, sp.E):
        return _number(node)
    args = [values[arg] for arg in node.args] if not isinstance(node, sp.Piecewise) else []
    if isinstance(node, sp.Add):
        return mpmath.fsum(args)
    if isinstance(node, sp.Mul):
        return mpmath.fprod(args)
    if isinstance(node, sp.Pow):
        return _power(*args)
    if isinstance(node, sp.Piecewise):
        return values[_branch(node, values)]
    if isinstance(node, (sp.core.relational.Relational, sp.logic.boolalg.BooleanFunction)):
        return bool(node.func(*[_as_sympy(a) for a in args]))
    if node in (sp.true, sp.false):
        return bool(node)
    return _number(node.func(*[arg if arg.is_Number else _as_sympy(values[arg]) for arg in node.args]))  # NOTE: a class index stays an Integer


def _power(base: Any, exponent: Any) -> Any:
    try:
        out = base**exponent
    except ZeroDivisionError:
        return mpmath.mpf("inf")
    return out if not isinstance(out, mpmath.mpc) else (out.real if out.imag == 0 else NAN)


def _as_sympy(value: Any) -> sp.Basic:
    if isinstance(value, bool):
        return sp.true if value else sp.false
    if mpmath.isnan(value):
        return sp.nan
    if mpmath.isinf(value):
        return sp.oo if value > 0 else -sp.oo
    return sp.Float(value, PRECISION + GUARD_DIGITS)


def _branch(node: sp.Piecewise, values: dict[sp.Basic, Any]) -> sp.Basic:
    for expression, condition in node.args:
        if values[condition] is True:
            return expression
    return node.args[-1][0]


def _partials(node: sp.Basic, values: dict[sp.Basic, Any]) -> list[tuple[sp.Basic, Any]]:
    """(argument, d node / d argument at the values) for each argument that takes a gradient."""
    args = node.args
    if isinstance(node, sp.Add):
        return [(arg, 1) for arg in args]
    if isinstance(node, sp.Mul):
        numbers = [values[arg] for arg in args]
        return [(arg, mpmath.fprod(numbers[:i] + numbers[i + 1 :])) for i, arg in enumerate(args) if not arg.is_Number]
    if isinstance(node, sp.Pow):
        base, exponent = args
        b, e = values[base], values[exponent]
        out = [(base, e * _power(b, e - 1) if e != 0 else 0)]
        if not exponent.is_Number:
            out.append((exponent, values[node] * (mpmath.log(b) if b > 0 else NAN)))
        return out
    if isinstance(node, sp.Piecewise):
        return [(_branch(node, values), 1)]
    if isinstance(node, sp.Function):
        numbers = {arg: _as_sympy(values[arg]) for arg in args if not arg.is_Number}
        return [(arg, _number(node.fdiff(i + 1).xreplace(numbers))) for i, arg in enumerate(args) if not arg.is_Number]
    return []


def value_and_grads(objective: sp.Expr, outputs: np.ndarray, symbols: dict[str, np.ndarray], substitution: dict[sp.Symbol, sp.Expr],
                    wrt: tuple[str, ...]) -> tuple[np.ndarray, dict[str, np.ndarray]]:  # fmt: skip
    """The outputs' values and the objective's gradient for each input in ``wrt``, to PRECISION digits."""
    with mpmath.workdps(PRECISION + GUARD_DIGITS):
        root = sp.Tuple(objective, *outputs.flat)
        order = postorder(root)
        values: dict[sp.Basic, Any] = {}
        for node in order:
            if isinstance(node, sp.Symbol):
                values[node] = mpf_exactly(float(substitution[node]))
            elif node is not root:
                values[node] = _value(node, values)
        adjoints: dict[sp.Basic, Any] = {objective: mpmath.mpf(1)}
        for node in reversed(order[:-1]):
            adjoint = adjoints.get(node)
            if adjoint is None or adjoint == 0 or isinstance(node, sp.Symbol) or node.is_Number:
                continue
            for arg, partial in _partials(node, values):
                adjoints[arg] = adjoints.get(arg, 0) + adjoint * partial
        value = np.array([_float(values[sp.sympify(z)]) for z in outputs.flat], dtype=np.float64).reshape(outputs.shape)
        grads = {name: np.array([_float(adjoints.get(s, 0)) for s in symbols[name].flat], dtype=np.float64).reshape(symbols[name].shape) for name in wrt}
    return value, grads


def _float(number: Any) -> float:
    if isinstance(number, sp.Basic):
        number = _number(number)
    return float(number) if not isinstance(number, bool) else math.nan
