"""The SymPy engine's scalar rule: one derivative, whatever the size of the tensors.

An elementwise expression of same-shape (or scalar) inputs, optionally summed or
averaged over the whole tensor, is the same scalar function ``f`` at every
element.  So ``f`` is built once over one plain symbol per input and
differentiated once; the derivative is then evaluated at every element: to
``PRECISION`` digits with mpmath for small inputs (this engine is the
reference), in float64 with numpy, vectorized, for large ones.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from verifygrad.engines.sympy_engine import ELEMENTWISE, PRECISION, exact
from verifygrad.parse import parse
from verifygrad.problem import Problem

PRECISE_MAX_ELEMENTS = 4096  # above this, float64 evaluation: 30 digits would take seconds
GUARD_DIGITS = 10

BINARY: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}
REDUCTIONS = ("sum", "mean")


@dataclass(frozen=True)
class ScalarRule:
    symbols: tuple[sp.Symbol, ...]  # one per input, in problem order
    function: sp.Expr  # the elementwise part, over those symbols
    derivatives: tuple[tuple[str, sp.Expr], ...]  # (input, d function / d input) per differentiated input
    reduction: str | None  # "sum", "mean" or None (the output is elementwise)

    def compiled(self, module: str) -> Callable[..., list]:
        """The function and its derivatives as one Python function over "numpy" arrays or "mpmath" numbers."""
        return _lambdify(self, module)


@functools.lru_cache(maxsize=512)
def _lambdify(rule: ScalarRule, module: str) -> Callable[..., list]:
    # NOTE: lambdify generates Python source and execs it.  That is safe here only because
    # these expressions are built by us from the parsed tree over our own Symbols: no user
    # text ever reaches the generated code (names are parse-checked identifiers).
    outputs = [rule.function, *(derivative for _, derivative in rule.derivatives)]
    return sp.lambdify(list(rule.symbols), outputs, modules=module, cse=True)


def applies(problem: Problem) -> bool:
    """Whether the program is elementwise over same-shape inputs, reduced (if at all) only at the end, as a whole."""
    nodes, shapes = problem.program.nodes, problem.shapes
    body = nodes[:-1] if nodes[-1].op in REDUCTIONS and nodes[-1].attrs["dim"] is None else nodes
    element_shape = shapes[len(body) - 1]
    if any(value.shape not in ((), element_shape) for value in problem.inputs.values()):
        return False
    for node, shape in zip(body, shapes):
        if shape not in ((), element_shape):
            return False
        if node.op == "const" and shape != ():
            return False
        if node.op not in ("input", "const", "neg", *BINARY, *ELEMENTWISE):
            return False
    return True


def scalar_rule(problem: Problem) -> ScalarRule:
    program = problem.program
    last = program.nodes[-1]
    reduction = last.op if last.op in REDUCTIONS and last.attrs["dim"] is None else None
    return _derive(program.text, tuple(problem.inputs), problem.wrt, reduction)


@functools.lru_cache(maxsize=256)
def _derive(text: str, names: tuple[str, ...], wrt: tuple[str, ...], reduction: str | None) -> ScalarRule:
    """Build and differentiate f once per expression text: every case of one expression shares it."""
    program = parse(text)
    symbols = {name: sp.Symbol(name, real=True) for name in names}
    values: list[sp.Expr] = []
    for node in program.nodes[:-1] if reduction else program.nodes:
        if node.op == "input":
            values.append(symbols[node.attrs["name"]])
        elif node.op == "const":
            symbol = node.attrs["symbol"]
            values.append({"pi": sp.pi, "e": sp.E}[symbol] if symbol else exact(float(node.attrs["value"])))
        elif node.op == "neg":
            values.append(-values[node.args[0]])
        elif node.op in BINARY:
            values.append(BINARY[node.op](*(values[i] for i in node.args)))
        else:
            values.append(ELEMENTWISE[node.op](values[node.args[0]]))
    function = values[-1]
    derivatives = tuple((name, sp.diff(function, symbols[name])) for name in wrt)
    return ScalarRule(tuple(symbols.values()), function, derivatives, reduction)


def evaluate(rule: ScalarRule, problem: Problem) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    """The value and the gradients, and how they were evaluated."""
    size = max((v.size for v in problem.inputs.values()), default=1)
    if size <= PRECISE_MAX_ELEMENTS:
        return (*_precise(rule, problem), f"{PRECISION} digits")
    return (*_float64(rule, problem), "float64, vectorized")


def _float64(rule: ScalarRule, problem: Problem) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    with np.errstate(all="ignore"):
        outputs = rule.compiled("numpy")(*problem.inputs.values())
    shape = np.broadcast_shapes(*(v.shape for v in problem.inputs.values()))
    function, derivatives = outputs[0], {name: out for (name, _), out in zip(rule.derivatives, outputs[1:])}
    weights, count = problem.grad_output, math.prod(shape)
    if rule.reduction:
        value = np.sum(function) if rule.reduction == "sum" else np.mean(function)
        scale = float(weights) / (count if rule.reduction == "mean" else 1)
    else:
        value, scale = np.broadcast_to(function, shape), weights
    grads = {}
    for name, derivative in derivatives.items():
        grad = np.multiply(derivative, scale)  # NOTE: a constant derivative comes back as a plain number
        grads[name] = _reduce_to(np.broadcast_to(grad, shape), problem.inputs[name].shape)
    return np.asarray(value, dtype=np.float64).reshape(problem.output_shape), grads


def _reduce_to(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A scalar input's gradient is the sum over every element it took part in."""
    return np.asarray(np.sum(grad), dtype=np.float64) if shape == () and grad.shape != () else np.array(grad, dtype=np.float64)


def _precise(rule: ScalarRule, problem: Problem) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    shape = np.broadcast_shapes(*(v.shape for v in problem.inputs.values()))
    count, outputs = math.prod(shape), 1 + len(rule.derivatives)
    with mpmath.workdps(PRECISION + GUARD_DIGITS):
        columns = [[_mpf(v) for v in np.broadcast_to(value, shape).flat] for value in problem.inputs.values()]
        precise = rule.compiled("mpmath")
        rows = [_safe(precise, args, outputs) for args in zip(*columns)] if columns else [_safe(precise, [], outputs)]
        scale = mpmath.mpf(1) / count if rule.reduction == "mean" else mpmath.mpf(1)
        if rule.reduction:
            value = np.asarray(_float(mpmath.fsum(row[0] for row in rows) * scale)).reshape(problem.output_shape)
            weights = [_mpf(float(problem.grad_output)) * scale] * count
        else:
            value = np.array([_float(row[0]) for row in rows], dtype=np.float64).reshape(shape)
            weights = [_mpf(w) for w in problem.grad_output.flat]
        grads = {}
        for k, (name, _) in enumerate(rule.derivatives, start=1):
            terms = [row[k] * weight for row, weight in zip(rows, weights)]
            if problem.inputs[name].shape == () and shape != ():
                grads[name] = np.asarray(_float(mpmath.fsum(terms)))
            else:
                grads[name] = np.array([_float(t) for t in terms], dtype=np.float64).reshape(shape)
    return value, grads


def formula_text(rule: ScalarRule, problem: Problem, name: str) -> str:
    """The derivative for a reader, in the inputs' own names (x stands for each element of x)."""
    derivative = dict(rule.derivatives)[name]
    weights = problem.grad_output
    if rule.reduction or np.all(weights == weights.flat[0]):
        scale = exact(float(weights.flat[0])) if weights.size else sp.Integer(1)
        if rule.reduction == "mean":
            scale /= math.prod(np.broadcast_shapes(*(v.shape for v in problem.inputs.values())))
        text = f"∂/∂{name} = {sp.factor_terms(derivative * scale)}"
    else:
        text = f"∂/∂{name} = grad_output·({sp.factor_terms(derivative)})"
    summed = problem.inputs[name].shape == () and any(v.shape != () for v in problem.inputs.values())
    return text.replace("= ", "= Σ over elements of ", 1) if summed else text


def _mpf(value: float) -> mpmath.mpf:
    """The number as written (the shortest decimal that reads back as this float), to the working precision."""
    return mpmath.mpf(repr(float(value))) if math.isfinite(value) else mpmath.mpf(value)


def _safe(function: Callable[..., list], args: list | tuple, outputs: int) -> list:
    try:
        return function(*args)
    except (ZeroDivisionError, ValueError, OverflowError):  # NOTE: mpmath raises where numpy gives inf or nan
        return [mpmath.nan] * outputs


def _float(number: object) -> float:
    """To float64; complex results (log of a negative number) are nan, as in the expanded route."""
    if isinstance(number, mpmath.mpc):
        return float(number.real) if number.imag == 0 else math.nan
    try:
        return float(number)
    except (TypeError, ValueError):
        return math.nan
