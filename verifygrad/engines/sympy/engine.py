"""The SymPy engine: the first of its routes that applies (scalar rule, matrix calculus, element expansion).

Every route evaluates exactly from the inputs as written (``0.1`` is one tenth) to ``PRECISION``
significant digits where the inputs are small enough, so this engine is the reference.
"""

from __future__ import annotations

from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult, EngineSkipped
from verifygrad.engines.sympy import scalar
from verifygrad.engines.sympy.as_written import as_written
from verifygrad.engines.sympy.exact import EXACT
from verifygrad.engines.sympy.expand import check_exponents, run_expanded


def run(problem: Problem) -> EngineResult:
    """The gradient by the first route that applies; then second order, by routes that check each other."""
    result = first_order(problem)
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


def first_order(problem: Problem) -> EngineResult:
    """The first route that applies, its value taken as the program computes it as written."""
    return as_written(problem, _derived(problem))


def _derived(problem: Problem) -> EngineResult:
    """The first route that applies: the scalar rule, matrix calculus, or element expansion."""
    check_exponents(problem.program, problem.inputs)
    if scalar.applies(problem):
        rule = scalar.scalar_rule(problem)
        value, grads, how = scalar.evaluate(rule, problem)
        formulas = {name: text for name in problem.wrt if (text := scalar.formula_text(rule, problem, name))}
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
                result = run_expanded(problem)
            except EngineSkipped as skip:
                raise EngineSkipped(f"matrix calculus failed its self-check ({failed}), and {skip}") from None
            result.detail += f" (matrix calculus failed its self-check: {failed})"
            return result
    return run_expanded(problem)
