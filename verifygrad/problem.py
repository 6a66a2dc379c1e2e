"""A case made ready to run: its expression parsed and its inputs as arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verifygrad.ops import Shape
from verifygrad.parse import Program


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
