"""A program variable's value (`values:` claims), from engines that compute it on their own.

The float64 forward pass that reads the claim is the numpy engine's own op forwards: one engine.
The truth is SymPy's exact value where SymPy ran, else the forward pass where torch agrees with it;
otherwise the claim is unchecked, never held against one engine's word.
"""

from __future__ import annotations

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.engines import run_engine
from verifygrad.verdict.claims import Claim

OWN_VALUE_ENGINES = ("sympy", "torch")  # beside the float64 forward pass (numpy's op forwards)


def variable_truth(claim: Claim, problem: Problem, engines: list[str], rtol: float, atol: float) -> tuple[np.ndarray | None, str]:
    """The variable's true value and '' (and whose it is), or None and why it is not verified."""
    if claim.program is None:  # an input: its value is as given
        return claim.truth, ""
    program = claim.program
    inputs = {**{name: value for name, value in problem.inputs.items() if name in _input_names(program)}, **dict(program.declared)}
    shapes = tuple(program.shapes({name: value.shape for name, value in inputs.items()}))
    variable = Problem(program, inputs, (), np.ones(shapes[-1]), problem.dtype, problem.device, shapes)
    results = {name: run_engine(name, variable) for name in OWN_VALUE_ENGINES if name in engines}
    sympy = results.get("sympy")
    if sympy is not None and sympy.ok and sympy.exact and sympy.value is not None:
        return np.asarray(sympy.value, np.float64), ""
    torch = results.get("torch")
    forward = np.asarray(claim.truth, np.float64)
    if torch is not None and torch.ok and torch.value is not None:
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.abs(np.asarray(torch.value, np.float64) - forward) <= atol + rtol * np.abs(forward)
        if np.all(close | (np.isnan(forward) & np.isnan(np.asarray(torch.value, np.float64)))):
            return forward, ""
        return None, f"unchecked: numpy's and torch's forward passes differ on {claim.quantity}"
    return None, f"unchecked: only the numpy forward pass computed {claim.quantity}, at least two engines must agree"


def _input_names(program) -> set[str]:
    return {node.attrs["name"] for node in program.nodes if node.op == "input"}
