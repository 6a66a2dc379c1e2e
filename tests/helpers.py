"""Shared test helpers: build a Problem from text the way a case file would."""

from __future__ import annotations

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.language.parse import parse


def make_problem(expr: str, grad_output=None, dtype: str = "float64", **inputs) -> Problem:
    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in inputs.items()}
    program = parse(expr)
    shapes = tuple(program.shapes({name: a.shape for name, a in arrays.items()}))
    g = np.ones(shapes[-1]) if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    return Problem(program, arrays, tuple(arrays), g, dtype, "cpu", shapes)
