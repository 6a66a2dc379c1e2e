"""The SymPy engine: the first of its routes that applies (scalar rule, matrix calculus, element expansion).

Every route evaluates exactly from the inputs as the engines receive them (``0.1`` is the float64,
or in a float32 case the float32, nearest one tenth, converted exactly) to ``PRECISION``
significant digits where the inputs are small enough, so this engine is the reference.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult, EngineSkipped
from verifygrad.engines.sympy import scalar, shared, traced
from verifygrad.engines.sympy.as_written import as_written
from verifygrad.engines.sympy.exact import EXACT
from verifygrad.engines.sympy.expand import check_exponents, per_element_is_cheap, run_expanded
from verifygrad.language.arrays import SINGULAR


def run(problem: Problem) -> EngineResult:
    """The gradient by the first route that applies; then second order, by routes that check each other.

    Done once per distinct problem (``shared``): a float32 copy of a case gets the float64 case's reference
    where its inputs are the same floats (integers, halves), never where float32 rounds them.
    """
    problem = as_received(problem)
    return shared.once("engine", problem, lambda: _run(problem))


def _run(problem: Problem) -> EngineResult:
    from sympy.matrices.common import NonInvertibleMatrixError

    try:
        result = first_order(problem)
    except NonInvertibleMatrixError:  # inv or solve of a matrix singular at these inputs
        raise EngineSkipped(SINGULAR) from None
    if problem.second is not None:
        from verifygrad.engines.sympy import second

        try:
            found, how, exact = second.quantities(problem)
        except EngineSkipped as skip:  # NOTE: the gradient stays the exact reference; numpy's second order leads
            result.detail += f"; second order skipped: {skip}"
            return result
        result.grads.update(found)
        result.detail += f"; second order: {how}"
        result.exact = result.exact and exact
    return result


def as_received(problem: Problem) -> Problem:
    """The problem at the inputs the float engines receive: each rounded to the case's dtype (float32 cases)."""
    if problem.dtype == "float64":
        return problem
    inputs = {name: value.astype(problem.dtype).astype(np.float64) for name, value in problem.inputs.items()}
    return dataclasses.replace(problem, inputs=inputs)


def first_order(problem: Problem) -> EngineResult:
    """The first route that applies; a route that simplifies as it builds has its value taken as the program computes it."""
    check_exponents(problem.program, problem.inputs)
    result = _derived(problem)
    return result if result.detail.startswith(traced.DETAIL) else as_written(problem, result)


def _derived(problem: Problem) -> EngineResult:
    """The scalar rule, matrix calculus, or element expansion; traced where the others would be float64 or slow."""
    if scalar.applies(problem):
        rule = scalar.scalar_rule(problem)
        formulas = {name: text for name in problem.wrt if (text := scalar.formula_text(rule, problem, name))}
        if not scalar.precise(problem) and traced.quick(problem):
            return dataclasses.replace(traced.run(problem), formulas=formulas)
        value, grads, how = scalar.evaluate(rule, problem)
        return EngineResult("sympy", "ok", value=value, grads=grads, formulas=formulas, detail=f"sympy: scalar rule, {how}", exact=how == EXACT)
    from verifygrad.engines.sympy import matrix  # NOTE: only here: its SymPy modules take 0.1 s to import

    if matrix.applies(problem):
        try:
            value, grads, how = matrix.evaluate(matrix.matrix_rule(problem), problem)
            return EngineResult("sympy", "ok", value=value, grads=grads, detail=f"sympy: matrix calculus, {how}", exact=how == EXACT)
        except matrix.NotApplicable:
            pass
        except matrix.CheckFailed as failed:
            try:
                result = expanded(problem)
            except EngineSkipped as skip:
                raise EngineSkipped(f"matrix calculus failed its self-check ({failed}), and {skip}") from None
            result.detail += f" (matrix calculus failed its self-check: {failed})"
            return result
    return expanded(problem)


def expanded(problem: Problem) -> EngineResult:
    """Element expansion: a derivative per element (with formulas) where that is cheap, else traced, else reverse mode."""
    if traced.decomposes(problem):  # NOTE: eigh, svd, qr, pinv, matrix_exp: mpmath's numbers and partials, never SymPy expressions
        if not traced.supports(problem):
            raise EngineSkipped("a decomposition (eigh, svd, qr, pinv) or matrix_exp with inv, det, solve or cholesky: the mpmath reference does not do both")
        if traced.too_large(problem):
            raise EngineSkipped(f"too large for element expansion ({traced.too_large(problem)})")
        return traced.run(problem)
    if traced.supports(problem):
        if traced.too_large(problem):
            raise EngineSkipped(f"too large for element expansion ({traced.too_large(problem)})")
        if not per_element_is_cheap(problem):
            return traced.run(problem)
    return run_expanded(problem)
