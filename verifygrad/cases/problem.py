"""A case made ready to run: its expression parsed and its inputs as arrays."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from verifygrad.cases.load import Case
from verifygrad.language import constants
from verifygrad.language.constants import ConstantError
from verifygrad.language.evaluate import constant_value
from verifygrad.language.ops import Shape, fmt
from verifygrad.language.parse import ExprError, Program, parse
from verifygrad.process import limits


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: engines cache per problem
class Problem:
    """What every engine is given: one signature for all of them."""

    program: Program
    inputs: dict[str, np.ndarray]  # float64, the values as written in the case
    wrt: tuple[str, ...]
    grad_output: np.ndarray  # float64, of the output's shape (ones for a scalar output)
    dtype: str  # "float64" or "float32"
    device: str  # "auto", "cpu" or "cuda"
    shapes: tuple[Shape, ...]  # of every node of the program

    @property
    def output_shape(self) -> Shape:
        return self.shapes[-1]

    def cast_inputs(self) -> dict[str, np.ndarray]:
        """The inputs in the case's dtype: what the numeric engines compute with."""
        return {name: value.astype(self.dtype) for name, value in self.inputs.items()}


def parse_cached(text: str) -> Program:
    """Parse once per expression text: suites repeat expressions, and engines cache per Program."""
    return _parse_under(text, limits.current())


@functools.lru_cache(maxsize=1024)
def _parse_under(text: str, run_limits: limits.Limits) -> Program:
    # NOTE: keyed by the limits too: a text parsed under loose limits must not pass under strict ones.
    return parse(text)


def tensor_value(raw: Any, what: str) -> np.ndarray:
    """A case value (number, nested list, or constant expression) as a float64 array."""
    if isinstance(raw, str):
        program = parse(raw, allow_inputs=False)
        check_total_size(program, program.shapes({}))
        return constant_value(program)
    if isinstance(raw, bool):
        raise ConstantError(f"{what} must be a number, list or constant expression, not a boolean")
    return constants.to_array(raw, what)


def prepare(case: Case, overrides: Overrides) -> Problem:
    """Parse and check everything about a case that can be checked before any engine runs."""
    try:
        program = parse_cached(case.expr)
    except ExprError as err:
        raise case.error(f"expr: {err}", "expr") from None
    inputs = {}
    for name, raw in case.inputs.items():
        try:
            inputs[name] = tensor_value(raw, "the value")
        except (ExprError, ConstantError) as err:
            raise case.error(f"input '{name}': {err}", "inputs", name) from None
    try:
        shapes = tuple(program.shapes({name: value.shape for name, value in inputs.items()}))
        check_total_size(program, shapes)
    except ExprError as err:
        raise case.error(f"expr: {err}", "expr") from None
    wrt = tuple(case.wrt or inputs)
    for name in wrt:
        if name not in inputs:
            raise case.error(f"wrt names '{name}', which is not an input; inputs are: {', '.join(inputs)}", "wrt")
    return Problem(
        program=program,
        inputs=inputs,
        wrt=wrt,
        grad_output=_grad_output(case, shapes[-1]),
        dtype=overrides.dtype or case.dtype,
        device=overrides.device or case.device,
        shapes=shapes,
    )


def check_total_size(program: Program, shapes: list[Shape] | tuple[Shape, ...]) -> None:
    """Refuse, before anything is computed, a program whose tensors together exceed the element limit.

    NOTE: each constant is bounded when it is built, but outer(x, x) or a long chain of
    operations on a large input multiplies the memory every engine would hold.
    """
    limit = limits.current().max_elements
    total = 0
    for node, shape in zip(program.nodes, shapes):
        total += math.prod(shape)
        if total > limit:
            raise ExprError(f"the tensors of this expression hold over {limit} elements together; the limit is --max-elements", node.col)


def _grad_output(case: Case, shape: Shape) -> np.ndarray:
    if case.grad_output is None:
        if shape != ():
            raise case.error(
                f"the expression's value has shape {fmt(shape)}, not a scalar: give `grad_output` "
                "(the gradient handed to backward(), e.g. ones of that shape) or reduce it with sum/mean",
                "expr",
            )
        return np.ones(())
    try:
        grad_output = tensor_value(case.grad_output, "the value")
    except (ExprError, ConstantError) as err:
        raise case.error(f"grad_output: {err}", "grad_output") from None
    if grad_output.shape == ():
        return np.full(shape, float(grad_output))
    if grad_output.shape != shape:
        raise case.error(
            f"grad_output has shape {fmt(grad_output.shape)}, the expression's value has shape {fmt(shape)}",
            "grad_output",
        )
    return grad_output


@dataclass(frozen=True)
class Overrides:
    """Command-line settings that replace a case's own."""

    dtype: str | None = None
    device: str | None = None
    rtol: float | None = None
    atol: float | None = None
    engines: tuple[str, ...] = ()
    mutate: bool = False  # --mutate: negative controls for every case
