"""The SymPy route that always applies: symbolic differentiation over the elements of each input.

Every input element becomes a real symbol (``x[0,1]``), the program is built
over object arrays of SymPy expressions, and each gradient element is a
SymPy derivative, evaluated exactly from the inputs as the engines receive them
(``0.1`` is float64's nearest binary value) to ``PRECISION`` significant digits: the reference.
"""

from __future__ import annotations

import fractions
import functools
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult, EngineSkipped
from verifygrad.engines.sympy import reverse
from verifygrad.engines.sympy.exact import BINARY, ELEMENTWISE, PRECISION, exact, precise
from verifygrad.language.ops import OPS
from verifygrad.language.parse import Node, Program
from verifygrad.process import limits

MAX_TERMS = 20_000  # size of the expanded expression
MAX_DERIVATIVE_WORK = 300_000  # expanded size times the number of elements differentiated
PER_ELEMENT_MAX = 64  # above this many elements to differentiate, reverse mode: one derivative each costs too much
MAX_REVERSE_TERMS = 20_000  # size of the expanded expression in reverse mode (reverse.py): its work is linear in it, about 1 s per 2000 terms
CHEAP_DERIVATIVE_WORK = 400  # above this, the traced route (traced.py) is faster: KL divergence of 4 elements takes 0.4 s here
READABLE_MAX_OPS = 60


def elementwise(function: Callable[[sp.Expr], sp.Expr]) -> Callable[[np.ndarray], np.ndarray]:
    ufunc = np.frompyfunc(function, 1, 1)
    return lambda x: np.asarray(ufunc(x), dtype=object)


def logsumexp(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    total = np.sum(SYMPY_OPS["exp"](x), axis=dim, keepdims=keepdim)
    return SYMPY_OPS["log"](np.asarray(total, dtype=object))


def one_hot(target: np.ndarray, x: np.ndarray) -> np.ndarray:
    """As ops.one_hot, over symbols: 1 where the index equals the class, else 0 (no derivative either way)."""
    if target.shape == x.shape:
        return target
    classes = np.arange(x.shape[1]).reshape((x.shape[1],) + (1,) * (target.ndim - 1))
    hit = np.frompyfunc(lambda t, k: is_class(t, sp.Integer(k)), 2, 1)
    return np.asarray(hit(np.expand_dims(target, 1), classes), dtype=object)


class is_class(sp.Function):  # noqa: N801 - named as SymPy names its functions
    """1 where a class index equals the class, else 0; derivative 0 (a Piecewise of Eq costs SymPy seconds to differentiate)."""

    @classmethod
    def eval(cls, index: sp.Expr, k: sp.Expr) -> sp.Expr | None:
        return sp.Integer(int(round(float(index)) == int(k))) if index.is_Number and k.is_Number else None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero


def greater(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.asarray(_greater(x, y), dtype=object)


_greater = np.frompyfunc(lambda x, y: sp.Piecewise((1, x > y), (0, True)), 2, 1)


def stepwise(function: type[sp.Function]) -> type[sp.Function]:
    """A piecewise-constant function (floor, ceiling) whose derivative is 0, where SymPy leaves it unevaluated."""
    return type(function.__name__, (function,), {"fdiff": lambda self, argindex=1: sp.S.Zero})


class round_half_even(sp.Function):  # noqa: N801 - named as SymPy names its functions
    """Rounding to the nearest integer, halves to the even one (numpy and torch); derivative 0."""

    @classmethod
    def eval(cls, arg: sp.Expr) -> sp.Expr | None:
        if arg.is_Number and arg.is_finite:
            return sp.Integer(round(fractions.Fraction(str(sp.Rational(arg)))))
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero


class first_extreme(sp.Function):  # noqa: N801 - named as SymPy names its functions
    """max (lowest=0) or min (lowest=1) of the remaining arguments; its derivative goes to the first one that reaches it.

    NOTE: a Piecewise over pairwise comparisons says the same, but SymPy spends seconds simplifying
    its conditions for six elements; this function is evaluated only once its arguments are numbers.
    """

    @classmethod
    def eval(cls, lowest: sp.Expr, *items: sp.Expr) -> sp.Expr | None:
        if all(item.is_Number for item in items):
            return (min if lowest else max)(items)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return is_first_extreme(sp.Integer(argindex - 2), *self.args)


class is_first_extreme(sp.Function):  # noqa: N801
    """1 if item ``index`` is the first to reach the max (min) of the items, else 0; derivative 0."""

    @classmethod
    def eval(cls, index: sp.Expr, lowest: sp.Expr, *items: sp.Expr) -> sp.Expr | None:
        if all(item.is_Number for item in items):
            peak = (min if lowest else max)(items)
            return sp.Integer(int(next(k for k, item in enumerate(items) if item == peak) == int(index)))
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero


def extreme(x: np.ndarray, dim: int | None = None, keepdim: bool = False, lowest: bool = False) -> np.ndarray:
    rows = x.reshape(-1) if dim is None else np.moveaxis(x, dim, -1)
    out = np.empty(rows.shape[:-1], dtype=object)
    for index in np.ndindex(*out.shape):
        items = list(rows[index])
        out[index] = first_extreme(sp.Integer(lowest), *items) if len(items) > 1 else items[0]
    if keepdim:
        return out.reshape((1,) * x.ndim) if dim is None else np.expand_dims(out, dim)
    return out


def matrix_function(function: Callable[[sp.Matrix], Any], square: bool = True) -> Callable[[np.ndarray], np.ndarray]:
    """The function of each matrix of a stack (..., n, n), stacked in the batch's shape: each result n x n where
    ``square``, else one number (a determinant)."""

    def stacked(x: np.ndarray) -> np.ndarray:
        n = x.shape[-1]
        core = (n, n) if square else ()
        count = math.prod(x.shape[:-2])
        out = np.empty((count, *core), dtype=object)
        for i, m in enumerate(x.reshape((count, n, n))):
            result = function(sp.Matrix(n, n, m.reshape(-1).tolist()))
            out[i] = (np.asarray(result, dtype=object) if n else np.empty(core, dtype=object)).reshape(core) if square else result
        return out.reshape(x.shape[:-2] + core)

    return stacked


def cholesky(m: sp.Matrix) -> sp.Matrix:
    """The lower factor, row by row from the lower triangle of m (as LAPACK reads it): the upper triangle is never used."""
    n = m.rows
    lower = sp.zeros(n, n)
    for i in range(n):
        for j in range(i + 1):
            rest = m[i, j] - sum((lower[i, k] * lower[j, k] for k in range(j)), sp.Integer(0))
            lower[i, j] = sp.sqrt(rest) if i == j else rest / lower[j, j]
    return lower


def solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # NOTE: the adjugate over the determinant, not LU: LU divides by symbolic pivots that may be 0 at the inputs.
    matrix = sp.Matrix(a.tolist())
    solution = matrix.adjugate() * sp.Matrix(b.tolist()) / matrix.det()
    return np.asarray(solution, dtype=object).reshape(b.shape)


def _elementwise2(function: Callable[[sp.Expr, sp.Expr], sp.Expr]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    ufunc = np.frompyfunc(function, 2, 1)
    return lambda x, y: np.asarray(ufunc(x, y), dtype=object)


SCALAR_UNARY: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    **ELEMENTWISE,
    "erf": sp.erf,
    "erfc": sp.erfc,
    "floor": stepwise(sp.floor),
    "ceil": stepwise(sp.ceiling),
    "trunc": lambda x: sp.Piecewise((stepwise(sp.floor)(x), x >= 0), (stepwise(sp.ceiling)(x), True)),
    "round": round_half_even,
}  # the SymPy meaning of each elementwise operation of one argument

SCALAR_BINARY: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "maximum": lambda x, y: sp.Piecewise((x, x >= y), (y, True)),
    "minimum": lambda x, y: sp.Piecewise((x, x <= y), (y, True)),
    "select": lambda c, a: sp.Piecewise((a, sp.Ne(c, 0)), (0, True)),
    "atan2": sp.atan2,
    "pow": BINARY["pow"],
    "polygamma": lambda n, x: sp.polygamma(n, x),
    "besseli": lambda n, x: sp.besseli(n, x),
    "zeta": lambda x, q: sp.zeta(x, q),
    "gammainc": lambda a, x: sp.lowergamma(a, x) / sp.gamma(a),
    "gammaincc": lambda a, x: sp.uppergamma(a, x) / sp.gamma(a),
}  # ... and of two arguments

SYMPY_OPS: dict[str, Callable[..., np.ndarray]] = {
    "logsumexp": logsumexp,
    "gt": greater,
    "one_hot": one_hot,
    "amax": extreme,
    "amin": lambda x, dim=None, keepdim=False: extreme(x, dim, keepdim, lowest=True),
    **{name: _elementwise2(function) for name, function in SCALAR_BINARY.items()},
    "inv": matrix_function(lambda m: m.inv(method="ADJ")),
    "det": matrix_function(lambda m: m.det(method="berkowitz"), square=False),
    "cholesky": matrix_function(cholesky),
    "logabsdet": matrix_function(lambda m: sp.log(sp.Abs(m.det(method="berkowitz"))), square=False),
    "solve": solve,
    **{name: elementwise(function) for name, function in SCALAR_UNARY.items()},
}


def element_symbols(name: str, shape: tuple[int, ...]) -> np.ndarray:
    if shape == ():
        return np.asarray(sp.Symbol(name, real=True), dtype=object)
    symbols = [sp.Symbol(f"{name}[{','.join(map(str, index))}]", real=True) for index in np.ndindex(*shape)]
    return np.array(symbols, dtype=object).reshape(shape)


@dataclass(frozen=True)
class Arithmetic:
    """What the elements of a build are: the functions over arrays of them, a constant, a value frozen by detach()."""

    functions: Mapping[str, Callable[..., np.ndarray]]
    constant: Callable[[Node], np.ndarray]
    freeze: Callable[[np.ndarray], np.ndarray]


def symbolic(substitution: dict[sp.Symbol, sp.Expr] | None) -> Arithmetic:
    """SymPy expressions; a detach()ed value is frozen at ``substitution``."""

    def freeze(values: np.ndarray) -> np.ndarray:
        if substitution is None:
            raise EngineSkipped("detach() needs the inputs' values, and none are given here")
        at_inputs = np.frompyfunc(lambda e: sp.N(sp.sympify(e).xreplace(substitution), PRECISION + 10), 1, 1)
        return np.asarray(at_inputs(values), dtype=object)

    return Arithmetic(SYMPY_OPS, _sympy_constant, freeze)


def _sympy_constant(node: Node) -> np.ndarray:
    symbol = node.attrs["symbol"]
    if symbol:
        return np.asarray(sp.pi if symbol == "pi" else sp.E, dtype=object)
    return np.vectorize(exact, otypes=[object])(node.attrs["value"])


def build(program: Program, leaves: dict[str, np.ndarray], substitution: dict[sp.Symbol, sp.Expr] | None = None,
          arithmetic: Arithmetic | None = None) -> np.ndarray:  # fmt: skip
    """The program's output as an object array of SymPy expressions (or of ``arithmetic``'s elements)."""
    arithmetic = arithmetic or symbolic(substitution)
    values: list[np.ndarray] = []
    for node in program.nodes:
        if node.op == "input":
            values.append(leaves[node.attrs["name"]])
        elif node.op == "stop_gradient":
            values.append(arithmetic.freeze(values[node.args[0]]))
        elif node.op == "const":
            values.append(arithmetic.constant(node))
        else:
            op = OPS[node.op]
            function = arithmetic.functions[op.sympy] if op.sympy else op.forward
            args = [values[i] for i in node.args]
            values.append(np.asarray(function(*args, **node.attrs), dtype=object))
    return values[-1]


def expanded_terms(problem: Problem) -> int:
    """Rough size of the element-expanded expression, to refuse cases that would take minutes."""
    terms = 0
    for node, shape in zip(problem.program.nodes, problem.shapes):
        size = math.prod(shape)
        if node.op in ("matmul", "sum", "mean", "logsumexp", "trace"):
            size = max(size, 1) * max(math.prod(problem.shapes[node.args[0]]) // max(size, 1), 1)
            if node.op == "matmul":
                size = math.prod(shape) * problem.shapes[node.args[0]][-1]
        terms += size
    return terms


@dataclass(frozen=True)
class Derivation:
    symbols: dict[str, np.ndarray]  # element symbols of each input
    output: np.ndarray  # the output's elements
    grads: dict[str, np.ndarray]  # derivative expressions, per wrt input, per element
    substitution: dict[sp.Symbol, sp.Expr]  # each symbol's value: the float the engines receive, exactly


def check_exponents(program: Program, inputs: dict[str, np.ndarray]) -> None:
    """Refuse powers whose exponent is too large to compute exactly.

    NOTE: inputs and constants become exact Rationals here, so 3**(10**10) would be
    computed digit by digit, inside one C call that no signal can interrupt.
    """
    from verifygrad.engines.numpy_engine import forward

    pows = [(i, node) for i, node in enumerate(program.nodes) if node.op == "pow"]
    computed = any(program.nodes[node.args[1]].op != "const" for _, node in pows)
    if computed:  # NOTE: with every input differentiated, forward keeps each exponent (pow's VJP reads it)
        with np.errstate(all="ignore"):
            values = forward(program, inputs, "float64", tuple(inputs))
    limit = limits.current().exponent
    for i, node in pows:
        exponent_node = program.nodes[node.args[1]]
        exponent = np.abs(exponent_node.attrs["value"] if exponent_node.op == "const" else values[node.args[1]])
        if not np.all(exponent <= limit):
            worst = np.nanmax(exponent) if not np.all(np.isnan(exponent)) else np.nan
            raise EngineSkipped(f"exponent {worst:g} of '**' at {program.where(i)} is over the SymPy engine's limit {limit:g} (--limit exponent=N)")


@functools.lru_cache(maxsize=8)
def derive(problem: Problem) -> Derivation:
    """Build and differentiate the problem symbolically (cached: claims reuse it)."""
    check_exponents(problem.program, problem.inputs)
    if too_large(problem):
        raise EngineSkipped(f"too large for symbolic expansion ({too_large(problem)})")
    symbols, output, objective, substitution = expand(problem)
    grads = {name: np.array([sp.diff(objective, s) for s in symbols[name].flat], dtype=object).reshape(symbols[name].shape) for name in problem.wrt}
    return Derivation(symbols, output, grads, substitution)


def too_large(problem: Problem, reverse: bool = False) -> str:
    """Why the expansion would take too long ("" if it would not): per-element derivatives, or reverse mode."""
    terms = expanded_terms(problem)
    wrt_elements = sum(problem.inputs[name].size for name in problem.wrt)
    if reverse:
        return f"about {terms} terms, over {MAX_REVERSE_TERMS} in reverse mode" if terms > MAX_REVERSE_TERMS else ""
    if terms > MAX_TERMS or terms * wrt_elements > MAX_DERIVATIVE_WORK or wrt_elements > PER_ELEMENT_MAX:
        return f"about {terms} terms, {wrt_elements} elements to differentiate"
    return ""


def per_element_is_cheap(problem: Problem) -> bool:
    """Few enough derivatives of a small enough expansion that one SymPy derivative per element takes well under a second."""
    return expanded_terms(problem) * sum(problem.inputs[name].size for name in problem.wrt) <= CHEAP_DERIVATIVE_WORK


def expand(problem: Problem) -> tuple[dict[str, np.ndarray], np.ndarray, sp.Expr, dict[sp.Symbol, sp.Expr]]:
    """Element symbols, the output over them, the objective <grad_output, output>, and each symbol's value."""
    symbols = {name: element_symbols(name, value.shape) for name, value in problem.inputs.items()}
    substitution = {s: precise(v) for name, value in problem.inputs.items() for s, v in zip(symbols[name].flat, value.flat)}
    output = build(problem.program, symbols, substitution)
    weights = np.vectorize(exact, otypes=[object])(problem.grad_output)
    objective = sp.Add(*(w * z for w, z in zip(weights.flat, output.flat)))
    return symbols, output, objective, substitution


def evaluate(expressions: np.ndarray, substitution: dict[sp.Symbol, sp.Expr]) -> np.ndarray:
    """Evaluate each expression to PRECISION digits, rounded to float64 at the end."""
    return np.array([to_float(e, substitution) for e in expressions.flat], dtype=np.float64).reshape(expressions.shape)


def to_float(expression: Any, substitution: dict[sp.Symbol, sp.Expr]) -> float:
    number = sp.sympify(expression).xreplace(substitution).evalf(PRECISION)
    try:
        return float(number)
    except TypeError:  # complex (log of a negative number) or complex infinity (1/0)
        return math.nan


def readable(expression: Any) -> Any:
    """Common factors pulled out, for a reader; a large expression as it is (factor_terms on it takes seconds)."""
    return sp.factor_terms(expression) if sp.count_ops(expression) <= READABLE_MAX_OPS else expression


def formula_text(name: str, derivation: Derivation, limit: int = 4) -> str:
    """The derivative for a reader: one elementwise formula where one exists, else per element."""
    grads = derivation.grads[name]
    if grads.shape == ():
        return f"∂/∂{name} = {readable(grads.item())}"
    same_shape = {other: symbols for other, symbols in derivation.symbols.items() if symbols.shape == grads.shape}
    element_symbols = {s for symbols in derivation.symbols.values() if symbols.shape for s in symbols.flat}
    forms = set()
    for index in np.ndindex(*grads.shape):
        # x[i,j] and y[i,j] at the gradient element's own index become plain x and y.
        to_plain = {symbols[index]: sp.Symbol(other, real=True) for other, symbols in same_shape.items()}
        forms.add(grads[index].xreplace(to_plain))
    if len(forms) == 1 and not next(iter(forms)).free_symbols & element_symbols:
        return f"∂/∂{name} = {readable(forms.pop())}"
    parts = [
        f"∂/∂{name}[{','.join(map(str, index))}] = {grads[index]}"  # NOTE: factor_terms here costs 10 ms an element
        for index in itertools.islice(np.ndindex(*grads.shape), limit)
    ]
    more = f"; … {grads.size - limit} more" if grads.size > limit else ""
    return "; ".join(parts) + more


def run_expanded(problem: Problem) -> EngineResult:
    """The route that always applies: every element its own symbol, every gradient element its own derivative.

    Where that is too much work, reverse mode over the same expansion (reverse.py): no formulas then.
    """
    check_exponents(problem.program, problem.inputs)
    elements = sum(problem.inputs[name].size for name in problem.inputs)
    if too_large(problem):
        if too_large(problem, reverse=True):
            raise EngineSkipped(f"too large for symbolic expansion ({too_large(problem, reverse=True)})")
        symbols, output, objective, substitution = expand(problem)
        value, grads = reverse.value_and_grads(objective, output, symbols, substitution, problem.wrt)
        detail = f"sympy: expanded {elements} elements, reverse mode over SymPy's expression, {PRECISION} digits"
        return EngineResult("sympy", "ok", value=value, grads=grads, detail=detail, exact=True)
    derivation = derive(problem)
    value = evaluate(derivation.output, derivation.substitution)
    grads = {name: evaluate(d, derivation.substitution) for name, d in derivation.grads.items()}
    formulas = {name: formula_text(name, derivation) for name in problem.wrt}
    detail = f"sympy: expanded {elements} element{'s' if elements != 1 else ''}, {PRECISION} digits"
    return EngineResult("sympy", "ok", value=value, grads=grads, formulas=formulas, detail=detail, exact=True)
