"""The value of a program of constants (``ones(2, 2) * 3``), or at given inputs: each node's numpy forward, in order."""

from __future__ import annotations

import numpy as np

from verifygrad.language.ops import OPS
from verifygrad.language.parse import Program


def constant_value(program: Program) -> np.ndarray:
    """The float64 value of a program without inputs; overflow and 0/0 give inf and nan, as in the engines."""
    return program_value(program, {})


def program_value(program: Program, inputs: dict[str, np.ndarray], dtype: type = np.float64) -> np.ndarray:
    """The value of a program at the given inputs, computed in ``dtype`` (float64 unless told)."""
    values: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for node in program.nodes:
            if node.op == "input":
                if node.attrs["name"] not in inputs:
                    raise ValueError(f"a constant expression has no inputs; found '{node.attrs['name']}'")
                values.append(np.asarray(inputs[node.attrs["name"]], dtype=dtype))
            elif node.op == "const":
                values.append(np.asarray(node.attrs["value"], dtype=dtype))
            else:
                values.append(np.asarray(OPS[node.op].forward(*[values[i] for i in node.args], **node.attrs), dtype=dtype))
    return values[-1]
