"""The SymPy engine's route for large cases: element expansion over traced numbers instead of SymPy expressions.

Building one SymPy expression per element costs SymPy's canonical ordering and hashing for every term,
about 1 s per 2000 terms.  Here every element is a ``Traced`` number: its value at ``PRECISION +
GUARD_DIGITS`` significant digits (a Decimal, from the inputs as written, correctly rounded at each
step) and, for each argument, the partial derivative there.  The partials come from SymPy: each operation's SymPy meaning (``SCALAR_UNARY``,
``SCALAR_BINARY``) is differentiated by SymPy once and compiled to mpmath, which evaluates it at the same precision.  The structure (sums,
indexing, matmul, reshapes, joins) is numpy's own forward over object arrays, as in the expression
route, so +, -, *, / and ** are the only rules written here.  The chain rule then runs backward over
the recorded elements.  No VJP of the op table is used: the numpy engine is checked against an
independent reference, at a cost linear in the expanded size (a few µs a term).
"""

from __future__ import annotations

import contextlib
import decimal
import functools
import gc
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from mpmath import libmp
from sympy.core.relational import Relational
from sympy.functions.elementary.piecewise import ExprCondPair
from sympy.logic.boolalg import BooleanAtom

from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult
from verifygrad.engines.sympy import spectral
from verifygrad.engines.sympy.exact import GUARD_DIGITS, PRECISION
from verifygrad.engines.sympy.expand import SCALAR_BINARY, SCALAR_UNARY, Arithmetic, build, expanded_terms
from verifygrad.language.ops import OPS
from verifygrad.language.parse import Node

DIGITS = PRECISION + GUARD_DIGITS
CONTEXT = decimal.Context(prec=DIGITS, traps=[])  # no traps: 1/0 is inf and 0/0 is nan, as in floating point
NAN, ZERO, ONE, MINUS_ONE, TWO = Decimal("nan"), Decimal(0), Decimal(1), Decimal(-1), Decimal(2)
MAX_TERMS = 1_000_000  # size of the expanded program (expand.expanded_terms); 603,000 (1000x100 cross-entropy) take 4 s, 360 MB
QUICK_TERMS = 200_000  # about a second: where another route has an answer (in float64), this one must be quicker than that
DETAIL = "sympy: traced"  # how this route's results begin their detail
UNSUPPORTED = frozenset({"inv", "det", "cholesky", "logabsdet", "solve"})  # matrix functions: the expression routes do them


class Traced:
    """One element: its value, and (argument, partial derivative) for each argument that is itself traced."""

    __slots__ = ("value", "parents", "adjoint")

    def __init__(self, value: Decimal, parents: tuple[tuple[Traced, Decimal], ...]) -> None:
        self.value = value
        self.parents = parents
        self.adjoint: Decimal = ZERO
        _TAPE[-1].append(self)

    def __add__(self, other: Any) -> Traced:
        if isinstance(other, Traced):
            return Traced(self.value + other.value, ((self, ONE), (other, ONE)))
        return Traced(self.value + number(other), ((self, ONE),))

    __radd__ = __add__

    def __sub__(self, other: Any) -> Traced:
        if isinstance(other, Traced):
            return Traced(self.value - other.value, ((self, ONE), (other, MINUS_ONE)))
        return Traced(self.value - number(other), ((self, ONE),))

    def __rsub__(self, other: Any) -> Traced:
        return Traced(number(other) - self.value, ((self, MINUS_ONE),))

    def __mul__(self, other: Any) -> Traced:
        if isinstance(other, Traced):
            return Traced(self.value * other.value, ((self, other.value), (other, self.value)))
        other = number(other)
        return Traced(self.value * other, ((self, other),))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Traced:
        if isinstance(other, Traced):
            inverse = ONE / other.value
            return Traced(self.value / other.value, ((self, inverse), (other, -self.value * inverse * inverse)))
        other = number(other)
        return Traced(self.value / other, ((self, ONE / other),))

    def __rtruediv__(self, other: Any) -> Traced:
        value = number(other) / self.value
        return Traced(value, ((self, -value / self.value),))

    def __pow__(self, other: Any) -> Traced:
        if isinstance(other, Traced):
            return apply("pow", self, other)
        exponent = number(other)
        partial = exponent * _power(self.value, exponent - 1) if exponent else ZERO
        return Traced(_power(self.value, exponent), ((self, partial),))

    def __rpow__(self, other: Any) -> Traced:
        return apply("pow", other, self)

    def __neg__(self) -> Traced:
        return Traced(-self.value, ((self, MINUS_ONE),))

    def __pos__(self) -> Traced:
        return self


_TAPE: list[list[Traced]] = []  # the recording in progress (innermost last)


def number(value: Any) -> Decimal:
    """A number as a Decimal: an integer, or a float's exact binary value (as the engines receive it)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, np.integer)):
        return Decimal(int(value))
    return Decimal(float(value))  # NOTE: exact: Decimal(0.1) is 0.1000000000000000055511151231257827...


def _power(base: Decimal, exponent: Decimal) -> Decimal:
    return ONE if exponent == 0 else base**exponent  # NOTE: Decimal says 0**0 is nan; floating point says 1


def _to_mpmath(value: Decimal) -> mpmath.mpf:
    """The Decimal at the working precision: its DIGITS-digit integer times a power of ten (twice as fast as through a string)."""
    if not value.is_finite():
        return mpmath.mpf(float(value))
    exponent = value.adjusted() - (DIGITS - 1)
    precision = mpmath.mp.prec
    out = mpmath.mpf.__new__(mpmath.mpf)
    out._mpf_ = libmp.mpf_mul(libmp.from_int(int(value.scaleb(-exponent))), _power_of_ten(exponent, precision), precision, libmp.round_nearest)
    return out


@functools.cache
def _power_of_ten(exponent: int, precision: int) -> tuple:
    """10**exponent as a raw mpmath number, 30 bits past the working precision."""
    return libmp.mpf_pow_int(libmp.from_int(10), exponent, precision + 30, libmp.round_nearest)


def _from_mpmath(value: Any) -> Decimal:
    """A real result as a Decimal; complex results (log of a negative number) are nan, as in the expression route."""
    if isinstance(value, mpmath.mpc):
        value = value.real if value.imag == 0 else NAN
    if not isinstance(value, mpmath.mpf):
        return number(value)
    negative, mantissa, exponent, _ = value._mpf_  # NOTE: (-1)**negative * mantissa * 2**exponent, exactly
    if not mantissa:  # zero, or one of mpmath's special values
        return ZERO if value == 0 else Decimal(float(value))
    return Decimal(-mantissa if negative else mantissa) * _power_of_two(exponent)


@functools.cache
def _power_of_two(exponent: int) -> Decimal:
    with decimal.localcontext(CONTEXT):
        return TWO**exponent


@functools.cache
def compiled(name: str, traced: tuple[bool, ...]) -> tuple[Callable[..., Any], bool]:
    """An operation's SymPy meaning compiled: its value, then SymPy's partial derivative in each traced argument.

    Piecewise-rational meanings (relu, maximum, select, ...) are compiled to plain Python over the Decimals
    themselves (True); the others to mpmath (False), which evaluates them at the same precision.
    """
    definition = SCALAR_UNARY.get(name) or SCALAR_BINARY[name]
    arguments = sp.symbols("a b", real=True)[: len(traced)]
    expression = definition(*arguments)
    formulas = [expression, *(sp.diff(expression, a) for a, differentiated in zip(arguments, traced) if differentiated)]
    if all(_rational(node) for formula in formulas for node in sp.preorder_traversal(formula)):
        return sp.lambdify(arguments, formulas, [{}], cse=True), True
    return sp.lambdify(arguments, formulas, [NUMERIC, "mpmath"], cse=True), False


# NOTE: mpmath gives I_n(x) of a negative order n, or one that is an mpf (-1.0, from the derivative), at x < 0 as complex.
NUMERIC = {"round_half_even": mpmath.nint, "besseli": lambda n, x: mpmath.besseli(abs(int(n)), x)}  # I_-n = I_n


RATIONAL_NODES = (sp.Symbol, sp.Integer, sp.Add, sp.Mul, sp.Piecewise, ExprCondPair, Relational, BooleanAtom)


def _rational(node: sp.Basic) -> bool:
    """A node plain Python computes exactly on Decimals: integers, +, *, integer powers, Piecewise and its conditions."""
    if isinstance(node, sp.Pow):
        return node.exp.is_Integer
    return isinstance(node, RATIONAL_NODES)


def apply(name: str, *args: Any) -> Any:
    """``name`` of ``args`` (traced elements or constant numbers); traced if any argument is."""
    if len(args) == 1 and type(args[0]) is Traced:  # NOTE: the common case, kept short: it runs once per element
        element = args[0]
        value, partial = _evaluate(name, (True,), (element.value,))
        return Traced(value, ((element, partial),))
    traced = tuple(type(a) is Traced for a in args)
    value, *partials = _evaluate(name, traced, [a.value if is_traced else number(a) for a, is_traced in zip(args, traced)])
    if not partials:
        return value
    return Traced(value, tuple(zip([a for a, is_traced in zip(args, traced) if is_traced], partials)))


def _evaluate(name: str, traced: tuple[bool, ...], values: Any) -> list[Decimal]:
    """The value and the partials in the traced arguments; nan at a pole or outside the domain."""
    function, on_decimals = compiled(name, traced)
    try:
        results = function(*values) if on_decimals else function(*map(_to_mpmath, values))
    except (ZeroDivisionError, ValueError, TypeError):
        return [NAN] * (1 + sum(traced))
    converted = [_from_mpmath(results[0])]
    for result, previous in zip(results[1:], results):
        converted.append(converted[-1] if result is previous else _from_mpmath(result))  # NOTE: exp's partial is exp itself
    return converted


def power(base: Any, exponent: Any) -> Any:
    """base ** exponent: by the power rule where only the base is traced (Decimal's own power, exact for integer exponents)."""
    if isinstance(base, Traced) and not isinstance(exponent, Traced):
        return base**exponent
    return apply("pow", base, exponent)


def _arrays(function: Callable[..., Any], nin: int) -> Callable[..., np.ndarray]:
    """``function`` of elements, over arrays of them (broadcast)."""
    ufunc = np.frompyfunc(function, nin, 1)
    return lambda *arrays: np.asarray(ufunc(*arrays), dtype=object)


def _elementwise(name: str) -> Callable[..., np.ndarray]:
    return _arrays(functools.partial(apply, name), 2 if name in SCALAR_BINARY else 1)


def value_of(element: Any) -> Any:
    return element.value if isinstance(element, Traced) else element


def _constant_array(function: Callable[..., Any], nin: int) -> Callable[..., np.ndarray]:
    """A function of the elements' values only: its result carries no derivative."""
    return _arrays(lambda *elements: function(*map(value_of, elements)), nin)


def logsumexp(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    return FUNCTIONS["log"](np.asarray(np.sum(FUNCTIONS["exp"](x), axis=dim, keepdims=keepdim), dtype=object))


def one_hot(target: np.ndarray, x: np.ndarray) -> np.ndarray:
    """1 where the class index equals the class, else 0 (constants); probabilities as they are."""
    if target.shape == x.shape:
        return target
    classes = np.arange(x.shape[1]).reshape((x.shape[1],) + (1,) * (target.ndim - 1))
    return _constant_array(lambda t, k: ONE if round(float(t)) == int(k) else ZERO, 2)(np.expand_dims(target, 1), classes)


def extreme(x: np.ndarray, dim: int | None = None, keepdim: bool = False, lowest: bool = False) -> np.ndarray:
    """max (min) along ``dim``; its derivative goes to the first element that reaches it, as in the expression route."""
    rows = x.reshape(-1) if dim is None else np.moveaxis(x, dim, -1)
    out = np.empty(rows.shape[:-1], dtype=object)
    for index in np.ndindex(*out.shape):
        items = list(rows[index])
        values = [value_of(item) for item in items]
        first = values.index((min if lowest else max)(values))
        out[index] = Traced(values[first], ((items[first], ONE),)) if isinstance(items[first], Traced) else values[first]
    if keepdim:
        return out.reshape((1,) * x.ndim) if dim is None else np.expand_dims(out, dim)
    return out


def _constant(node: Node) -> np.ndarray:
    symbol = node.attrs["symbol"]
    if symbol:
        with mpmath.workdps(DIGITS):
            return np.asarray(_from_mpmath(+(mpmath.pi if symbol == "pi" else mpmath.e)), dtype=object)
    return np.vectorize(number, otypes=[object])(node.attrs["value"])


# Each decomposition of one matrix of mpmath numbers: its result and Jacobian (spectral.py).
SPECTRAL: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "eigvalsh": lambda a: (lambda r: (r[0], r[2]))(spectral.eigh(a)),
    "eigvecsh": lambda a: (lambda r: (r[1], r[3]))(spectral.eigh(a)),
    "svd_u": lambda a: (lambda r: (r[0], r[3]))(spectral.svd(a)),
    "svdvals": lambda a: (lambda r: (r[1], r[4]))(spectral.svd(a)),
    "svd_vh": lambda a: (lambda r: (r[2], r[5]))(spectral.svd(a)),
    "qr_q": spectral.qr_q,
    "pinv": spectral.pinv,
}


def _decomposition(name: str) -> Callable[..., np.ndarray]:
    """A decomposition over a stack of matrices of elements: each result element traced, its partials from the Jacobian."""

    def function(x: np.ndarray, **attrs: Any) -> np.ndarray:
        out = np.empty(OPS[name].shape(x.shape, **attrs), dtype=object)
        batch = x.shape[:-2]
        for index in np.ndindex(*batch):
            matrix = x[index]
            numbers = np.empty(matrix.shape, dtype=object)
            for position, element in np.ndenumerate(matrix):
                numbers[position] = _to_mpmath(number(value_of(element)))
            value, jacobian = SPECTRAL[name](numbers, **attrs)
            out[index] = _traced_result(value, jacobian.reshape(value.size, matrix.size), matrix.reshape(-1))
        return out

    return function


def _traced_result(value: np.ndarray, jacobian: np.ndarray, elements: np.ndarray) -> np.ndarray:
    traced = [f for f, element in enumerate(elements) if type(element) is Traced]
    out = np.empty(value.shape, dtype=object)
    for o, result in enumerate(value.flat):
        parents = tuple((elements[f], _from_mpmath(jacobian[o, f])) for f in traced if jacobian[o, f] != 0)
        out.flat[o] = Traced(_from_mpmath(result), parents) if traced else _from_mpmath(result)
    return out


FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    **{name: _decomposition(name) for name in SPECTRAL},
    **{name: _elementwise(name) for name in (*SCALAR_UNARY, *SCALAR_BINARY)},
    "pow": _arrays(power, 2),
    "logsumexp": logsumexp,
    "gt": _constant_array(lambda x, y: ONE if x > y else ZERO, 2),
    "one_hot": one_hot,
    "amax": extreme,
    "amin": lambda x, dim=None, keepdim=False: extreme(x, dim, keepdim, lowest=True),
}
TRACED = Arithmetic(FUNCTIONS, _constant, _constant_array(lambda value: value, 1))


def decomposes(problem: Problem) -> bool:
    """The program takes a decomposition, which only this route evaluates (at 30+ digits, by mpmath)."""
    return any(node.op in SPECTRAL for node in problem.program.nodes)


def supports(problem: Problem) -> bool:
    """Every operation of the program has a traced meaning (the matrix functions have not)."""
    return not any(node.op in UNSUPPORTED for node in problem.program.nodes)


def quick(problem: Problem) -> bool:
    """Every operation has a traced meaning, and the expansion takes about a second at most."""
    return supports(problem) and expanded_terms(problem) <= QUICK_TERMS


def too_large(problem: Problem) -> str:
    """Why the traced expansion would take too long or too much memory ("" if it would not)."""
    terms = expanded_terms(problem)
    return f"about {terms} terms, over {MAX_TERMS} traced" if terms > MAX_TERMS else ""


def run(problem: Problem) -> EngineResult:
    """The traced route's result: exact, and its value as the program computes it (nothing is simplified)."""
    value, grads = value_and_grads(problem)
    elements = sum(array.size for array in problem.inputs.values())
    detail = f"{DETAIL} over {elements} elements at {PRECISION} digits, with SymPy's partial derivatives"
    return EngineResult("sympy", "ok", value=value, grads=grads, detail=detail, exact=True)


def value_and_grads(problem: Problem) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The program's value and the gradient of <grad_output, output> for each input in ``wrt``, to PRECISION digits."""
    with mpmath.workdps(DIGITS), decimal.localcontext(CONTEXT), _no_cycle_collection():
        tape: list[Traced] = []
        _TAPE.append(tape)
        try:
            leaves = {name: _leaves(value, traced=name in problem.wrt) for name, value in problem.inputs.items()}
            output = np.asarray(build(problem.program, leaves, arithmetic=TRACED), dtype=object)
        finally:
            _TAPE.pop()
        for element, weight in zip(output.flat, np.broadcast_to(problem.grad_output, output.shape).flat):
            if isinstance(element, Traced) and weight:
                element.adjoint += number(weight)
        for element in reversed(tape):
            adjoint = element.adjoint
            if adjoint:
                for parent, partial in element.parents:
                    parent.adjoint += adjoint * partial
        value = np.array([float(value_of(e)) for e in output.flat], dtype=np.float64).reshape(output.shape)
        grads = {name: np.array([float(e.adjoint) for e in leaves[name].flat], dtype=np.float64).reshape(leaves[name].shape) for name in problem.wrt}
    return value, grads


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The graph has no cycles; Python's collector would walk its millions of objects again and again (a third of the time at 10^5 elements)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _leaves(value: np.ndarray, traced: bool) -> np.ndarray:
    """An input's elements as written: traced where it is differentiated, else constant numbers."""
    out = np.empty(value.shape, dtype=object)
    for index, element in np.ndenumerate(value):
        out[index] = Traced(number(element), ()) if traced else number(element)
    return out
