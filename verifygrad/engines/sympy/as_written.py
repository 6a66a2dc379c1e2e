"""The reference is the value of the program as written, not of its simplified form.

SymPy simplifies as it builds: ``x/x`` becomes 1, ``x - x`` and ``x*0`` become 0, so at
``x = 0``, ``inf`` or ``nan`` its "exact" value would be 1 or 0 where the program computes nan.
Where the program's value is undefined as written, the reference says nan there, and, its
value being undefined, the case has no gradient either.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import sympy as sp

from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult
from verifygrad.engines.sympy.exact import precise
from verifygrad.engines.sympy.expand import MAX_TERMS, build, element_symbols, expanded_terms, to_float
from verifygrad.engines.sympy.finite import finite_everywhere


def as_written(problem: Problem, result: EngineResult) -> EngineResult:
    """``result`` with nan wherever the program as written is undefined (0/0, inf - inf, 0*nan) but SymPy's value is not."""
    undefined = _undefined(problem) & np.isfinite(result.value)
    if not undefined.any():
        return result
    value = np.where(undefined, np.nan, result.value)
    grads = {name: np.full_like(grad, np.nan) for name, grad in result.grads.items()}
    return dataclasses.replace(result, value=value, grads=grads, detail=result.detail + "; undefined as written where nan")


def _undefined(problem: Problem) -> np.ndarray:
    """Where the output is nan as written: in float64, then confirmed at 30 digits on the unsimplified expression.

    NOTE: both must agree: float64 alone also gives nan after an overflow (exp(800) - exp(800)), and
    SymPy alone turns log(0) into complex infinity, so exp(log(0)) would be nan where the program gives 0.
    """
    from verifygrad.engines.numpy_engine import forward

    if finite_everywhere(problem.program, problem.inputs):
        return np.zeros(problem.output_shape, dtype=bool)  # proven from the inputs' ranges: no float64 pass needed
    with np.errstate(all="ignore"):
        float_nan = np.isnan(np.asarray(forward(problem.program, problem.inputs, "float64")[-1], np.float64))
    if not float_nan.any() or expanded_terms(problem) > MAX_TERMS:
        return float_nan  # NOTE: too large to confirm at 30 digits: float64's nan stands
    symbols = {name: element_symbols(name, value.shape) for name, value in problem.inputs.items()}
    with sp.evaluate(False):
        output = build(problem.program, symbols)
    substitution = {s: precise(v) for name, value in problem.inputs.items() for s, v in zip(symbols[name].flat, value.flat)}
    exact_nan = np.array([math.isnan(to_float(e, substitution)) for e in np.ravel(output)], dtype=bool).reshape(np.shape(output))
    return float_nan & exact_nan
