"""The SymPy engine's matrix route: matrix calculus on MatrixSymbols, whatever the size of the matrices.

The program becomes a scalar function ``G`` of "functionals" ``t_k`` (each a trace
or a whole-matrix sum of a matrix expression over MatrixSymbols with symbolic
dimensions), so ``dG/dA = sum_k dG/dt_k * dt_k/dA``: the scalar chain rule is
ours, each ``dt_k/dA`` is SymPy's matrix calculus.
NOTE: SymPy answers 0 for the derivative of a sum of traces, of exp(trace), and
fails on nested elementwise functions; so every derivation is checked against
element expansion on a small random instance before it is trusted.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.tensor.array.expressions.arrayexpr_derivatives import matrix_derive

from verifygrad.cases.problem import Problem
from verifygrad.engines.sympy.exact import BINARY, ELEMENTWISE, EXACT, GUARD_DIGITS, PRECISION, exact, mpf_exactly, real_float
from verifygrad.engines.sympy.expand import run_expanded
from verifygrad.language.parse import Program

CHECK_RTOL = 1e-9
PRECISE_MAX_MATRIX_ELEMENTS = 256  # above this, float64: object-array matmul at 30 digits grows as n^3


class NotApplicable(Exception):
    """The program is outside what this route handles; another route must."""


class CheckFailed(Exception):
    """The matrix derivative disagreed with element expansion on a small instance."""


@dataclasses.dataclass(frozen=True)
class MatrixRule:
    inputs: dict[str, sp.Basic]  # MatrixSymbol (column for a vector) or Symbol per input
    dims: tuple[sp.Symbol, ...]  # the symbolic dimensions, in order of first appearance
    functionals: tuple[tuple[sp.Symbol, sp.Basic], ...]  # (t_k, trace expression)
    outer: sp.Expr  # G, over the t_k and the scalar inputs
    grads: dict[str, list[tuple[sp.Expr, sp.Basic]]]  # per input: (dG/dt_k, dt_k/dinput) terms; (dG/dy, 1) for scalars


def applies(problem: Problem) -> bool:
    nodes = problem.program.nodes
    return problem.output_shape == () and any(n.op in ("matmul", "trace", "transpose") for n in nodes)


def matrix_rule(problem: Problem) -> MatrixRule:
    """The derivation for this expression and pattern of dimensions (cached), checked against expansion."""
    sizes: dict[int, int] = {}
    pattern = tuple(tuple(sizes.setdefault(d, len(sizes)) for d in value.shape) for value in problem.inputs.values())
    outcome = _checked(problem.program, tuple(problem.inputs), pattern, problem.wrt)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@functools.lru_cache(maxsize=128)
def _checked(program: Program, names: tuple[str, ...], pattern: tuple[tuple[int, ...], ...], wrt: tuple[str, ...]) -> MatrixRule | NotApplicable | CheckFailed:
    """The checked derivation, or why there is none: failures are cached too, they cost as much to find."""
    try:
        rule = _derive(program, names, pattern, wrt)
        _self_check(rule, program, names, pattern, wrt)
    except (NotApplicable, CheckFailed) as err:
        return err
    except Exception as err:  # noqa: BLE001 - SymPy's matrix calculus raises many kinds (ShapeError on nested applyfunc)
        return CheckFailed(f"SymPy's matrix calculus failed: {type(err).__name__}: {err}")
    return rule


def _derive(program: Program, names: tuple[str, ...], pattern: tuple[tuple[int, ...], ...], wrt: tuple[str, ...]) -> MatrixRule:
    dims = tuple(sp.Symbol(f"n{k}", integer=True, positive=True) for k in range(1 + max((d for p in pattern for d in p), default=-1)))
    inputs: dict[str, sp.Basic] = {}
    for k, (name, shape) in enumerate(zip(names, pattern)):
        if len(shape) > 2:
            raise NotApplicable("more than 2 dimensions")
        rows, cols = (dims[shape[0]], dims[shape[1]]) if len(shape) == 2 else ((dims[shape[0]], 1) if shape else (None, None))
        # NOTE: generated names, never the user's: lambdify pastes the scalar ones into source.
        inputs[name] = sp.MatrixSymbol(f"_in{k}", rows, cols) if rows is not None else sp.Symbol(f"_in{k}", real=True)
    functionals: list[tuple[sp.Symbol, sp.Basic]] = []
    values: list[Any] = []
    for node in program.nodes:
        args = [values[i] for i in node.args]
        values.append(_build(node.op, node.attrs, args, inputs, functionals))
    outer = _scalar(values[-1])
    grads: dict[str, list[tuple[sp.Expr, sp.Basic]]] = {}
    for name in wrt:
        symbol = inputs[name]
        if isinstance(symbol, sp.Symbol):
            grads[name] = [(sp.diff(outer, symbol), sp.Integer(1))]
        else:
            grads[name] = [(sp.diff(outer, t), matrix_derive(trace, symbol)) for t, trace in functionals if trace.has(symbol)]
    return MatrixRule(inputs, dims, tuple(functionals), outer, grads)


def _matrix(value: Any) -> sp.MatrixExpr:
    if not isinstance(value, sp.MatrixExpr):
        raise NotApplicable("a scalar where a matrix is needed")
    return value


def _scalar(value: Any) -> sp.Expr:
    if isinstance(value, sp.MatrixExpr):
        raise NotApplicable("a matrix where a scalar is needed")
    return value


def _build(op: str, attrs: dict, args: list, inputs: dict, functionals: list) -> Any:
    """One node as a MatrixExpr or a scalar Expr; reductions become new functionals t_k."""
    if op == "input":
        return inputs[attrs["name"]]
    if op == "const":
        if attrs["value"].shape != ():
            raise NotApplicable("a constant tensor")
        return {"pi": sp.pi, "e": sp.E}[attrs["symbol"]] if attrs["symbol"] else exact(float(attrs["value"]))
    matrices = [isinstance(a, sp.MatrixExpr) for a in args]
    if not any(matrices):
        if op in BINARY:
            return BINARY[op](*args)
        if op == "neg":
            return -args[0]
        if op in ELEMENTWISE:
            return ELEMENTWISE[op](args[0])
        raise NotApplicable(f"{op} of scalars")
    if any(not m and not a.is_number for m, a in zip(matrices, args)):
        raise NotApplicable("a variable scalar inside a matrix expression")  # NOTE: keeps every t_k a function of matrices only
    if op in ("sum", "mean", "trace"):
        (m,) = args
        if op != "trace" and attrs["dim"] is not None:
            raise NotApplicable("a reduction along one dimension")
        rows, cols = m.shape
        trace = sp.Trace(m) if op == "trace" else sp.Trace(sp.OneMatrix(1, rows) * m * sp.OneMatrix(cols, 1))
        t = sp.Symbol(f"t{len(functionals)}", real=True)
        functionals.append((t, trace))
        return t / (rows * cols) if op == "mean" else t
    if op == "matmul":
        x, y = map(_matrix, args)
        if x.shape[1] == 1 and y.shape[1] != 1:  # a vector on the left: x @ Y is (Y.T x), kept a column
            return y.T * x
        if x.shape[1] == 1:
            raise NotApplicable("a dot product of vectors")
        return x * y
    if op == "transpose":
        m = _matrix(args[0])
        return m if m.shape[1] == 1 else m.T
    if op == "neg":
        return -args[0]
    if op in ELEMENTWISE:
        return _matrix(args[0]).applyfunc(ELEMENTWISE[op])
    if op in BINARY:
        return _binary(op, *args)
    raise NotApplicable(f"{op} on matrices")


def _binary(op: str, x: Any, y: Any) -> sp.MatrixExpr:
    if isinstance(x, sp.MatrixExpr) and isinstance(y, sp.MatrixExpr):
        if x.shape != y.shape:
            raise NotApplicable("broadcasting between matrices")
        if op in ("add", "sub"):
            return x + y if op == "add" else x - y
        if op == "mul":
            return sp.hadamard_product(x, y)
        if op == "div":
            return sp.hadamard_product(x, sp.HadamardPower(y, -1))
        raise NotApplicable("a matrix power of a matrix")
    matrix, number = (x, y) if isinstance(x, sp.MatrixExpr) else (y, x)
    ones = sp.OneMatrix(*matrix.shape)
    if op == "add":
        return matrix + number * ones
    if op == "sub":
        return x - y * ones if matrix is x else x * ones - y
    if op == "mul":
        return number * matrix
    if op == "div":
        return x / y if matrix is x else number * sp.HadamardPower(matrix, -1)
    if matrix is x:
        return sp.HadamardPower(x, y)
    raise NotApplicable("a number to a matrix power")


# --- evaluation: our own printer for what lambdify cannot print --------------


class Evaluator:
    """Evaluates matrix expressions over numpy arrays: float64, or object arrays of mpmath numbers (precise)."""

    def __init__(self, values: dict[sp.Basic, Any], dims: dict[sp.Symbol, int], precise: bool):
        self.memo = dict(values)  # NOTE: shared subexpressions (A*B in the value and in both gradients) are computed once
        self.dims = {d: sp.Integer(v) for d, v in dims.items()}
        self.precise = precise

    def __call__(self, expr: sp.Basic) -> Any:
        if expr not in self.memo:
            self.memo[expr] = self._evaluate(expr)
        return self.memo[expr]

    def number(self, expr: sp.Basic) -> Any:
        value = expr.xreplace(self.dims)
        return mpmath.mpf(sp.N(value, PRECISION + GUARD_DIGITS)) if self.precise else float(value)

    def shape(self, expr: sp.MatrixExpr) -> tuple[int, int]:
        return tuple(int(sp.sympify(d).xreplace(self.dims)) for d in expr.shape)

    def _evaluate(self, e: sp.Basic) -> Any:
        if isinstance(e, sp.Trace):
            return np.trace(self(e.arg))
        if not isinstance(e, sp.MatrixExpr):
            if e.free_symbols - set(self.dims):
                raise NotApplicable(f"cannot evaluate {e}")
            return self.number(e)
        if isinstance(e, sp.MatMul):
            out: Any = 1
            for factor in e.args:
                value = self(factor)
                out = out @ value if isinstance(out, np.ndarray) and isinstance(value, np.ndarray) else out * value
            return out
        if isinstance(e, sp.MatAdd):
            return functools.reduce(lambda a, b: a + b, map(self, e.args))
        if isinstance(e, sp.HadamardProduct):
            return functools.reduce(lambda a, b: a * b, map(self, e.args))
        if isinstance(e, sp.HadamardPower):
            return self(e.base) ** self(e.exp)
        if isinstance(e, sp.Transpose):
            return self(e.arg).T
        if isinstance(e, ElementwiseApplyFunction):
            return _elementwise(e.function, self.precise)(self(e.expr))
        if isinstance(e, (sp.OneMatrix, sp.Identity, sp.ZeroMatrix)):
            shape = self.shape(e)
            dtype = object if self.precise else np.float64
            make = np.ones if isinstance(e, sp.OneMatrix) else np.zeros
            return np.eye(shape[0], dtype=dtype) if isinstance(e, sp.Identity) else make(shape, dtype=dtype)
        raise NotApplicable(f"cannot evaluate {type(e).__name__}")


@functools.lru_cache(maxsize=256)
def _elementwise(function: sp.Lambda, precise: bool) -> Callable[[np.ndarray], np.ndarray]:
    # NOTE: lambdify execs generated code; safe only because the Lambda is built by us, never from user text.
    (variable,) = function.variables
    if precise:
        return np.frompyfunc(_nan_on_error(sp.lambdify([variable], function.expr, modules="mpmath")), 1, 1)
    scalar = sp.lambdify([variable], function.expr, modules="numpy")
    return lambda x: np.broadcast_to(scalar(x), x.shape)


def evaluate(rule: MatrixRule, problem: Problem) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    """The value and gradients; to PRECISION digits for small inputs, else float64."""
    precise = max((v.size for v in problem.inputs.values()), default=1) <= PRECISE_MAX_MATRIX_ELEMENTS
    try:
        return _evaluate(rule, problem, precise)
    except ArithmeticError:  # NOTE: mpmath raises on 1/0 in matrix arithmetic, where expansion gives inf or nan
        raise NotApplicable("a division by zero") from None


def _evaluate(rule: MatrixRule, problem: Problem, precise: bool) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    with mpmath.workdps(PRECISION + GUARD_DIGITS), np.errstate(all="ignore"):
        convert = np.vectorize(mpf_exactly, otypes=[object]) if precise else (lambda v: v)
        values, dims = {}, {}
        for name, symbol in rule.inputs.items():
            value = convert(problem.inputs[name])
            values[symbol] = value.reshape(-1, 1) if value.ndim == 1 else (value.item() if value.ndim == 0 else value)
            if isinstance(symbol, sp.MatrixSymbol):
                dims.update((d, size) for d, size in zip(symbol.shape, values[symbol].shape) if isinstance(d, sp.Symbol))
        run = Evaluator(values, dims, precise)
        scalars = {symbol: values[symbol] for symbol in rule.inputs.values() if isinstance(symbol, sp.Symbol)}
        scalars.update({t: _total(run(trace)) for t, trace in rule.functionals})
        scalars.update({d: run.number(d) for d in dims})  # mean divides by a symbolic size
        weight = convert(problem.grad_output).item()
        value = real_float(_scalar_value(rule.outer, scalars, precise))
        grads = {}
        for name, terms in rule.grads.items():
            grad: Any = 0
            for outer_derivative, inner in terms:
                grad = grad + _scalar_value(outer_derivative, scalars, precise) * (run(inner) if isinstance(inner, sp.MatrixExpr) else 1)
            symbol = rule.inputs[name]
            if np.ndim(grad) and np.shape(grad) != np.shape(values[symbol]):
                raise CheckFailed(f"∂/∂{name} came out {np.shape(grad)}, not {np.shape(values[symbol])}")
            grad = np.broadcast_to(np.asarray(grad * weight), np.shape(values[symbol]))
            grads[name] = np.vectorize(real_float, otypes=[np.float64])(grad) if precise else np.array(grad, dtype=np.float64)
            grads[name] = grads[name].reshape(problem.inputs[name].shape)
    return np.asarray(value), grads, EXACT if precise else "float64"


def _total(value: Any) -> Any:
    return value.item() if isinstance(value, np.ndarray) else value


def _scalar_value(expr: sp.Expr, scalars: dict[sp.Symbol, Any], precise: bool) -> Any:
    free = sorted(expr.free_symbols, key=str)
    function = _scalar_function(expr, tuple(free), precise)
    return function(*(scalars[s] for s in free))


@functools.lru_cache(maxsize=256)
def _scalar_function(expr: sp.Expr, free: tuple[sp.Symbol, ...], precise: bool) -> Callable[..., Any]:
    function = sp.lambdify(list(free), expr, modules="mpmath" if precise else "numpy")  # NOTE: ours, never user text
    return _nan_on_error(function) if precise else function


def _nan_on_error(function: Callable[..., Any]) -> Callable[..., Any]:
    """NOTE: mpmath raises (1/0) where numpy and the expanded route give inf or nan."""

    def safe(*args: Any) -> Any:
        try:
            return function(*args)
        except (ZeroDivisionError, ValueError, OverflowError):
            return mpmath.nan

    return safe


def _self_check(rule: MatrixRule, program: Program, names: tuple[str, ...], pattern: tuple[tuple[int, ...], ...], wrt: tuple[str, ...]) -> None:
    """Compare with element expansion at small sizes (2, 3, 4, ...) and seeded random inputs."""
    from verifygrad.engines import EngineSkipped

    rng = np.random.default_rng(0)
    inputs = {name: rng.uniform(0.2, 1.2, tuple(2 + d for d in shape)) for name, shape in zip(names, pattern)}
    shapes = tuple(program.shapes({name: value.shape for name, value in inputs.items()}))
    small = Problem(program, inputs, wrt, np.ones(()), "float64", "cpu", shapes)
    value, grads, _ = evaluate(rule, small)
    try:
        expected = run_expanded(small)
    except EngineSkipped as skip:
        raise CheckFailed(f"no expansion to check against ({skip})") from None
    for quantity, ours, theirs in [("value", value, expected.value), *((n, grads[n], expected.grads[n]) for n in wrt)]:
        if not np.allclose(ours, theirs, rtol=CHECK_RTOL, atol=1e-12, equal_nan=True):
            raise CheckFailed(f"{quantity} differs from element expansion on a small instance")
    if math.isnan(float(value)):
        raise CheckFailed("the small instance is outside the expression's domain")
