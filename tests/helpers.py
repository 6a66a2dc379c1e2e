"""Shared test helpers: build a Problem from text the way a case file would."""

from __future__ import annotations

import time

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.language.statements import compile_program


def make_problem(expr: str, grad_output=None, dtype: str = "float64", **inputs) -> Problem:
    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in inputs.items()}
    program = compile_program(expr, arrays)  # NOTE: as a case compiles it: with the values, for what depends on them
    shapes = tuple(program.shapes({name: a.shape for name, a in arrays.items()}))
    g = np.ones(shapes[-1]) if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    return Problem(program, arrays, tuple(arrays), g, dtype, "cpu", shapes)


def assert_closed_form(engine: str, expr: str, inputs: dict, value, grads: dict) -> None:
    """One engine's value and gradients of ``expr`` equal the hand-written closed forms (fd to its own tolerance)."""
    from verifygrad.engines import run_engine
    from verifygrad.process import limits

    # NOTE: a closed form is about the answer, not SymPy's speed: 5 s per case is too little on a loaded CI machine
    with limits.using(limits.with_settings(limits.current(), {"time_limit": 120})):
        result = run_engine(engine, make_problem(expr, **inputs))
    assert result.ok, result.reason
    rtol, atol = (1e-7, 1e-9) if engine == "fd" else (1e-11, 1e-13)
    np.testing.assert_allclose(result.value, value, rtol=rtol, atol=atol)
    for input_name, grad in grads.items():
        np.testing.assert_allclose(result.grads[input_name], grad, rtol=rtol, atol=atol, err_msg=f"d/d{input_name}")


def asleep(seconds: float, problem: object = None) -> float:
    """A SymPy-worker target that takes ``seconds``: for tests of the worker's time limit and queue."""
    time.sleep(seconds)
    return seconds


def echo(value: object, problem: object = None) -> object:
    """A SymPy-worker target that answers with what it was sent: for tests of large messages both ways."""
    return value
