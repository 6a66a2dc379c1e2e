"""A Hessian block as a small matrix: the reference beside whatever disagrees with it, the worst element highlighted."""

from __future__ import annotations

import math

import numpy as np
from rich.columns import Columns
from rich.table import Table
from rich.text import Text

from verifygrad.verdict.compare import Difference, compare_arrays, quantity_of
from verifygrad.verdict.outcome import CaseOutcome, QuantityCheck

MAX_SIDE = 8  # rows and columns; a larger block is left to the element table


def hessian_matrices(outcome: CaseOutcome, quantity: QuantityCheck) -> Columns | None:
    """H[x,y] with rows the elements of x and columns those of y; None for other quantities or large blocks."""
    if not quantity.quantity.startswith("H[") or quantity.reference is None or outcome.problem is None:
        return None
    x, y = quantity.quantity[2:-1].split(",")
    rows, columns = (math.prod(outcome.problem.inputs[name].shape) for name in (x, y))
    if rows > MAX_SIDE or columns > MAX_SIDE:
        return None
    reference = np.asarray(quantity_of(outcome.results[quantity.reference], quantity.quantity)).reshape(rows, columns)
    off = _worst_disagreement(outcome, quantity)
    worst = np.unravel_index(int(np.ravel_multi_index(off[1].worst, quantity.shape)), (rows, columns)) if off else None
    panels = [_matrix(f"{quantity.quantity}: {quantity.reference} (ref)", reference, worst, x, y)]
    if off:
        panels.append(_matrix(f"{quantity.quantity}: {off[0]}", off[2].reshape(rows, columns), worst, x, y))
    return Columns(panels)


def _worst_disagreement(outcome: CaseOutcome, quantity: QuantityCheck) -> tuple[str, Difference, np.ndarray] | None:
    """The engine or claim furthest out of tolerance, its difference, and its matrix."""
    candidates: list[tuple[str, Difference, np.ndarray]] = []
    for engine, difference in quantity.differences.items():
        result = outcome.results[engine]
        if not difference.ok and quantity.quantity in result.grads:
            candidates.append((engine, difference, np.asarray(result.grads[quantity.quantity])))
    for check in quantity.claims:
        claimed = check.claim.claimed if check.claim.claimed is not None else _formula_value(outcome, check.claim.formula)
        if check.ok is False and claimed is not None:
            reference = quantity_of(outcome.results[quantity.reference], quantity.quantity)
            difference = check.difference or compare_arrays(np.broadcast_to(claimed, quantity.shape), reference, *outcome.tolerance_of(quantity))
            candidates.append((f"claimed {check.claim.kind}", difference, np.broadcast_to(claimed, quantity.shape)))
    return max(candidates, key=lambda c: c[1].max_abs / max(c[1].allowed, 1e-300), default=None)


def _formula_value(outcome: CaseOutcome, formula) -> np.ndarray | None:
    """A claimed formula evaluated at the case's inputs (float64), to show beside the reference."""
    if formula is None:
        return None
    from verifygrad.engines.numpy_engine import forward

    with np.errstate(all="ignore"):
        return np.asarray(forward(formula, outcome.problem.inputs, "float64")[-1], dtype=np.float64)


def _matrix(title: str, matrix: np.ndarray, worst: tuple[int, ...] | None, x: str, y: str) -> Table:
    table = Table(title=Text(title), title_justify="left", header_style="bold", show_edge=False, min_width=len(title))
    table.add_column("")
    for j in range(matrix.shape[1]):
        table.add_column(Text(f"{y}[{j}]"), justify="right")
    for i in range(matrix.shape[0]):
        cells = [Text(f"{matrix[i, j]:.6g}", style="bold red reverse" if worst is not None and (i, j) == tuple(worst) else "") for j in range(matrix.shape[1])]
        table.add_row(Text(f"{x}[{i}]"), *cells)
    return table
