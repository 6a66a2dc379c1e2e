"""The SymPy engine's scalar rule: one derivative per expression, whatever the size of the tensors.

An elementwise expression of same-shape (or scalar) inputs is the same scalar
function ``f`` at every element, so ``f`` is built once over one plain symbol per
input and differentiated once.  Whole-tensor reductions (sum, mean, logsumexp)
of such functions become scalars ``r_k``, and the output a scalar function
``G`` of them: ``d out/d x_i = sum_k dG/dr_k * dr_k/dx_i``, the outer chain rule
ours, every derivative SymPy's.  The derivatives are evaluated at every element
to ``PRECISION`` digits with mpmath for small inputs (this engine is the
reference), in float64 with numpy, vectorized, for large ones.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from verifygrad.cases.problem import Problem
from verifygrad.engines.sympy.exact import BINARY, ELEMENTWISE, EXACT, GUARD_DIGITS, PRECISION, exact, mpf_exactly, real_float
from verifygrad.language.parse import Program

PRECISE_MAX_ELEMENTS = 4096  # above this, float64 evaluation: 30 digits would take seconds

REDUCTIONS = ("sum", "mean", "logsumexp")
ELEMENT, SCALAR, EITHER = "element", "scalar", "either"  # what a node's expression ranges over


class NotApplicable(Exception):
    """The program is not elementwise-then-reduced; another route must take it."""


@dataclass(frozen=True)
class ScalarRule:
    symbols: tuple[sp.Symbol, ...]  # one per input, in problem order: its value at one element
    names: tuple[str, ...]  # the inputs' names, in the same order (the symbols have generated names)
    reductions: tuple[tuple[str, sp.Symbol, sp.Expr], ...]  # (kind, r_k, f_k); none: the output is elementwise
    outer: sp.Expr  # G over the r_k and scalar inputs; for an elementwise output, f itself
    wrt: tuple[str, ...]
    elementwise_output: bool  # the output is f at every element, not a scalar

    @functools.cached_property
    def element_outputs(self) -> list[sp.Expr]:
        """f_k for every k, then df_k/dx for every differentiated x and every k (one lambdify, shared CSE)."""
        functions = [f for _, _, f in self.reductions] or [self.outer]
        return functions + [sp.diff(f, s) for s in self._wrt_symbols for f in functions]

    @functools.cached_property
    def outer_outputs(self) -> list[sp.Expr]:
        """G, then dG/dr_k for every k, then dG/dx for every differentiated input."""
        return [self.outer, *(sp.diff(self.outer, r) for _, r, _ in self.reductions), *(sp.diff(self.outer, s) for s in self._wrt_symbols)]

    @property
    def _wrt_symbols(self) -> list[sp.Symbol]:
        by_name = dict(zip(self.names, self.symbols))
        return [by_name[name] for name in self.wrt]

    def compiled(self, part: str, module: str) -> Callable[..., list]:
        return _lambdify(self, part, module)


@functools.lru_cache(maxsize=512)
def _lambdify(rule: ScalarRule, part: str, module: str) -> Callable[..., list]:
    # NOTE: lambdify generates Python source and execs it.  That is safe here only because
    # these expressions are built by us from the parsed tree over our own Symbols: no user
    # text ever reaches the generated code: every symbol has a name we generated (_in0, _r0), never the user's.
    if part == "element":
        return sp.lambdify(list(rule.symbols), rule.element_outputs, modules=module, cse=True)
    arguments = [*(r for _, r, _ in rule.reductions), *rule.symbols]
    return sp.lambdify(arguments, rule.outer_outputs, modules=module, cse=True)


def applies(problem: Problem) -> bool:
    try:
        scalar_rule(problem)
    except NotApplicable:
        return False
    return True


def scalar_rule(problem: Problem) -> ScalarRule:
    element_shapes = {v.shape for v in problem.inputs.values()} - {()}
    if len(element_shapes) > 1:
        raise NotApplicable("inputs of different shapes")
    outcome = _derive(problem.program, tuple(problem.inputs), tuple(v.shape == () for v in problem.inputs.values()), problem.wrt)
    if isinstance(outcome, NotApplicable):
        raise outcome
    return outcome


@functools.lru_cache(maxsize=256)
def _derive(program: Program, names: tuple[str, ...], scalar: tuple[bool, ...], wrt: tuple[str, ...]) -> ScalarRule | NotApplicable:
    """Build f_k and G once per program (every case of one program shares them); differentiation is lazy."""
    # NOTE: generated names, never the user's: lambdify pastes names into source (an input named `print` or `r0`).
    symbols = {name: sp.Symbol(f"_in{k}", real=True) for k, name in enumerate(names)}
    kinds = {name: EITHER if is_scalar else ELEMENT for name, is_scalar in zip(names, scalar)}
    reductions: list[tuple[str, sp.Symbol, sp.Expr]] = []
    values: list[tuple[str, Any]] = []
    for node in program.nodes:
        args = [values[i] for i in node.args]
        if node.op == "input":
            values.append((kinds[node.attrs["name"]], symbols[node.attrs["name"]]))
        elif node.op == "const":
            if node.attrs["value"].shape != ():
                return NotApplicable("a constant tensor")
            symbol = node.attrs["symbol"]
            values.append((EITHER, {"pi": sp.pi, "e": sp.E}[symbol] if symbol else exact(float(node.attrs["value"]))))
        elif node.op in REDUCTIONS:
            if node.attrs["dim"] is not None or node.attrs["keepdim"]:
                return NotApplicable("a reduction along one dimension")
            kind, expr = args[0]
            if kind == ELEMENT:
                r = sp.Symbol(f"_r{len(reductions)}", real=True)
                reductions.append((node.op, r, expr))
                values.append((SCALAR, r))
            else:
                values.append((kind, expr))  # a reduction of a scalar is that scalar
        elif node.op in ("neg", *BINARY, *ELEMENTWISE):
            kinds_here = {kind for kind, _ in args} - {EITHER}
            if len(kinds_here) > 1:
                return NotApplicable("a reduction used inside an elementwise expression")
            exprs = [expr for _, expr in args]
            expr = -exprs[0] if node.op == "neg" else BINARY[node.op](*exprs) if node.op in BINARY else ELEMENTWISE[node.op](exprs[0])
            values.append((kinds_here.pop() if kinds_here else EITHER, expr))
        else:
            return NotApplicable(f"{node.op} is not elementwise")
    kind, outer = values[-1]
    if kind == ELEMENT and reductions:
        return NotApplicable("a reduction used inside an elementwise expression")
    return ScalarRule(tuple(symbols.values()), names, tuple(reductions), outer, wrt, kind == ELEMENT)


# --- evaluation --------------------------------------------------------------

FLOAT = SimpleNamespace(exp=np.exp, log=np.log, sum=np.sum, one=1.0, number=float, to_float=lambda v: np.asarray(v, dtype=np.float64))
PRECISE = SimpleNamespace(
    exp=np.frompyfunc(mpmath.exp, 1, 1),
    log=np.frompyfunc(mpmath.log, 1, 1),
    sum=lambda v: mpmath.fsum(np.ravel(v)),
    one=mpmath.mpf(1),
    number=lambda v: mpf_exactly(float(v)),
    to_float=lambda v: np.vectorize(real_float, otypes=[np.float64])(v),
)


def precise(problem: Problem) -> bool:
    """Small enough to evaluate at 30 digits; larger inputs are evaluated in float64."""
    return math.prod(np.broadcast_shapes(*(v.shape for v in problem.inputs.values()))) <= PRECISE_MAX_ELEMENTS


def evaluate(rule: ScalarRule, problem: Problem) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    """The value and the gradients, and how they were evaluated."""
    shape = np.broadcast_shapes(*(v.shape for v in problem.inputs.values()))
    precise = math.prod(shape) <= PRECISE_MAX_ELEMENTS
    with mpmath.workdps(PRECISION + GUARD_DIGITS), np.errstate(all="ignore"):
        value, grads = _evaluate(rule, problem, shape, PRECISE if precise else FLOAT)
    return value, grads, EXACT if precise else "float64, vectorized"


def _element_values(rule: ScalarRule, problem: Problem, shape: tuple[int, ...], lib: SimpleNamespace) -> list[Any]:
    """Each element output over the whole tensor: arrays (or plain numbers, where an output is constant)."""
    inputs = list(problem.inputs.values())
    if lib is FLOAT:
        return [np.broadcast_to(v, shape) for v in _in_blocks(rule.compiled("element", "numpy"), inputs, shape)]
    columns = [np.broadcast_to(np.vectorize(mpf_exactly, otypes=[object])(v), shape).ravel() for v in inputs]
    count = len(rule.element_outputs)
    rows = [_safe(rule, "element", "mpmath", args) for args in zip(*columns)] if columns else [_safe(rule, "element", "mpmath", [])]
    table = np.array(rows, dtype=object).reshape(len(rows), count).T
    return [column.reshape(shape) for column in table]


BLOCK = 16384  # elements per block: a block's temporaries stay in the core's cache (a multiple of every SIMD width)


def _in_blocks(function: Callable[..., list], inputs: list[np.ndarray], shape: tuple[int, ...]) -> list[Any]:
    """``function`` (elementwise) over the inputs, a block of elements at a time, into arrays of the whole shape.

    NOTE: over a whole 10^6-element tensor each of the dozen temporaries is a fresh 8 MB array, written to memory
    and read back; in blocks they stay in cache, and every element is computed by the same ufunc calls as before.
    """
    count = math.prod(shape)
    if count <= BLOCK:
        return function(*inputs)
    flat = [np.ravel(v) if v.shape else v for v in inputs]  # scalar inputs as they are
    outputs: list[Any] = []
    for start in range(0, count, BLOCK):
        block = slice(start, start + BLOCK)
        results = function(*[v[block] if v.ndim else v for v in flat])
        if not outputs:  # NOTE: an output that is a constant (a plain number) stays one
            outputs = [np.empty(count, np.result_type(r)) if np.ndim(r) else r for r in results]
        for output, result in zip(outputs, results):
            if np.ndim(output):
                output[block] = result
    return [output.reshape(shape) if np.ndim(output) else output for output in outputs]


def _evaluate(rule: ScalarRule, problem: Problem, shape: tuple[int, ...], lib: SimpleNamespace) -> tuple[np.ndarray, dict]:
    element = _element_values(rule, problem, shape, lib)
    k_count = max(len(rule.reductions), 1)
    functions, derivatives = element[:k_count], element[k_count:]
    weights = np.vectorize(lib.number, otypes=[object if lib is PRECISE else np.float64])(problem.grad_output)
    grads: dict[str, Any] = {}
    if rule.elementwise_output:
        value = lib.to_float(functions[0])
        for index, name in enumerate(rule.wrt):
            grads[name] = _to_input(derivatives[index] * weights, problem.inputs[name].shape, lib)
        return value.reshape(problem.output_shape), grads
    count = math.prod(shape)
    reduced = [_reduce(kind, f, count, lib) for (kind, _, _), f in zip(rule.reductions, functions)]
    scalars = [lib.number(v) if v.shape == () else 0 for v in problem.inputs.values()]  # only scalar inputs appear in G
    outer = _safe(rule, "outer", "mpmath" if lib is PRECISE else "numpy", [*reduced, *scalars])
    weight = weights.reshape(())[()]
    k = len(rule.reductions)
    for index, name in enumerate(rule.wrt):
        total: Any = outer[1 + k + index]  # dG/dx where x appears in G itself
        grad: Any = 0
        for j, ((kind, _, _), f, r) in enumerate(zip(rule.reductions, functions, reduced)):
            spread = lib.one / count if kind == "mean" else lib.exp(f - r) if kind == "logsumexp" else lib.one
            term = outer[1 + j] * spread * derivatives[index * k + j]
            grad = term if j == 0 else grad + term
        if problem.inputs[name].shape == ():
            grads[name] = lib.to_float((total + (lib.sum(grad) if np.ndim(grad) else grad)) * weight)
        else:
            grads[name] = lib.to_float(np.broadcast_to(grad * weight, shape))
    return lib.to_float(outer[0]).reshape(problem.output_shape), grads


def _reduce(kind: str, values: np.ndarray, count: int, lib: SimpleNamespace) -> Any:
    """A whole-tensor reduction of f's values (an array of the element shape)."""
    if kind == "logsumexp":
        if lib is FLOAT:
            finite = values[np.isfinite(values)]
            peak = np.max(finite) if finite.size else 0.0
        else:
            finite = [v for v in values.flat if mpmath.isfinite(v)]
            peak = max(finite) if finite else lib.number(0)
        return lib.log(lib.sum(lib.exp(values - peak))) + peak  # NOTE: without the peak taken out, exp overflows
    total = lib.sum(values)
    return total / count if kind == "mean" else total


def _to_input(grad: Any, shape: tuple[int, ...], lib: SimpleNamespace) -> np.ndarray:
    """A scalar input's gradient is the sum over every element it took part in."""
    if shape == () and np.ndim(grad):
        return lib.to_float(lib.sum(grad))
    return lib.to_float(np.broadcast_to(grad, shape) if np.ndim(grad) or shape else grad)


def formula_text(rule: ScalarRule, problem: Problem, name: str) -> str | None:
    """The derivative for a reader, in the inputs' own names (x stands for each element of x); None if no short one."""
    simple = rule.elementwise_output or (len(rule.reductions) == 1 and rule.outer == rule.reductions[0][1])
    if not simple or rule.reductions and rule.reductions[0][0] == "logsumexp":
        return None
    weights = problem.grad_output
    uniform = bool(rule.reductions) or weights.size == 0 or bool(np.all(weights == weights.flat[0]))  # NOTE: an empty output has no [0]
    scale = exact(float(weights.flat[0])) if uniform and weights.size else sp.Integer(1)
    if rule.reductions and rule.reductions[0][0] == "mean":
        scale /= math.prod(np.broadcast_shapes(*(v.shape for v in problem.inputs.values())))
    summed = problem.inputs[name].shape == () and any(v.shape != () for v in problem.inputs.values())
    return _formula(rule, name, scale, uniform, summed)


@functools.lru_cache(maxsize=1024)
def _formula(rule: ScalarRule, name: str, scale: sp.Expr, uniform: bool, summed: bool) -> str:
    function = rule.reductions[0][2] if rule.reductions else rule.outer
    derivative = sp.diff(function, dict(zip(rule.names, rule.symbols))[name])
    derivative = derivative.xreplace({s: sp.Symbol(n, real=True) for n, s in zip(rule.names, rule.symbols)})  # shown in the inputs' names
    # NOTE: constants are computed at their binary value (float64's 0.1); a reader sees them as written (1/10).
    derivative = derivative.xreplace({f: sp.Rational(repr(float(f))) for f in derivative.atoms(sp.Float)})
    text = f"{sp.factor_terms(derivative * scale)}" if uniform else f"grad_output·({sp.factor_terms(derivative)})"
    return f"∂/∂{name} = {'Σ over elements of ' if summed else ''}{text}"


def _safe(rule: ScalarRule, part: str, module: str, args: list | tuple) -> list:
    """Every output of ``part`` at one point; an output that raises (a singular element) is nan alone."""
    try:
        return rule.compiled(part, module)(*args)
    except _SINGULAR:  # NOTE: mpmath raises where numpy gives inf or nan
        return [_or_nan(function, args) for function in _lambdify_each(rule, part, module)]


_SINGULAR = (ZeroDivisionError, ValueError, OverflowError)


def _or_nan(function: Callable[..., Any], args: list | tuple) -> Any:
    try:
        return function(*args)
    except _SINGULAR:
        return mpmath.nan


@functools.lru_cache(maxsize=64)
def _lambdify_each(rule: ScalarRule, part: str, module: str) -> tuple[Callable[..., Any], ...]:
    """One function per output, for points where evaluating them together raised (see _lambdify's NOTE)."""
    outputs = rule.element_outputs if part == "element" else rule.outer_outputs
    arguments = list(rule.symbols) if part == "element" else [*(r for _, r, _ in rule.reductions), *rule.symbols]
    return tuple(sp.lambdify(arguments, output, modules=module) for output in outputs)
