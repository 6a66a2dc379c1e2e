"""Inputs as written against the floats the engines receive: where the difference would change a claim's verdict, say so.

The verdict stays with the floats (what every engine computes from); a float32 case whose written inputs round
(``x: 0.1`` is 0.100000001490116 in float32) is also differentiated at the written values, in float64 by the
numpy engine, and each number claim judged there too. A claim that holds at one and not at the other gets a note.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.verdict.claims import ClaimCheck, Rounding, check_number_claim
from verifygrad.verdict.compare import quantity_of


def written_input_notes(problem: Problem, checks: list[ClaimCheck], tolerances: dict[str, Rounding]) -> list[str]:
    """A note per value or grad claim whose verdict differs at the inputs as written; none for float64 cases."""
    if problem.dtype != "float32":
        return []  # NOTE: float64 rounds a written decimal by half an ulp: below every claim's allowance
    rounded = {name: value for name, value in problem.inputs.items() if np.any(value.astype(np.float32).astype(np.float64) != value)}
    decided = [check for check in checks if check.claim.kind in ("value", "grad") and check.ok is not None]
    if not rounded or not decided:
        return []
    from verifygrad.engines import run_engine

    written = run_engine("numpy", dataclasses.replace(problem, dtype="float64"))
    if not written.ok:
        return []
    notes = []
    for check in decided:
        quantity = check.claim.quantity
        other = check_number_claim(check.claim, quantity_of(written, quantity), tolerances.get(quantity))
        if other.ok is None or other.ok == check.ok:
            continue
        label = "value" if check.claim.kind == "value" else f"grad.{quantity}"
        name, value = next(iter(rounded.items()))
        first = float(value.flat[int(np.argmax(value.astype(np.float32).astype(np.float64) != value))])
        where = f"{name} = {first!r} is {float(np.float32(first))!r} in float32" + (f", and {len(rounded) - 1} more input(s)" if len(rounded) > 1 else "")
        verdicts = ("holds", "would be wrong") if check.ok else ("is wrong", "would hold")
        notes.append(f"claim {label} {verdicts[0]} at the float32 inputs the engines receive and {verdicts[1]} at the inputs as written ({where})")
    return notes
