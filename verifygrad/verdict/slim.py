"""Outcomes that keep what the reports need, not every engine's arrays: a run's memory stays flat.

Once a case is checked, each large array (an engine's value or gradient, a claimed array, fd's masks) is
replaced by an ``Excerpt``: its shape, a summary, and the elements the reports show (the worst ones
against the reference). Arrays of up to ``KEEP_WHOLE`` elements are kept whole.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from verifygrad.verdict.compare import has_array, quantity_of
from verifygrad.verdict.outcome import CaseOutcome, QuantityCheck

KEEP_WHOLE = 1000  # elements: an array this small is kept as it is
WORST_SHOWN = 12  # elements of a large quantity kept: the worst against the reference, as the panel shows them


@dataclass(frozen=True)
class Excerpt:
    """A large array reduced to its shape, a summary and a few elements by index."""

    shape: tuple[int, ...]
    elements: dict[tuple[int, ...], float]
    total: float  # the sum of every element (for a mask, how many are set)
    minimum: float
    maximum: float
    nans: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def sum(self) -> float:
        return self.total

    def __getitem__(self, index: tuple[int, ...]) -> float:
        return self.elements[index]

    @classmethod
    def of(cls, array: Any, shape: tuple[int, ...], kept: list[tuple[int, ...]]) -> Excerpt:
        values = np.broadcast_to(np.asarray(array, dtype=np.float64), shape)
        finite = values[~np.isnan(values)]
        return cls(
            shape=shape,
            elements={index: float(values[index]) for index in kept},
            total=float(finite.sum()),
            minimum=float(finite.min()) if finite.size else math.nan,
            maximum=float(finite.max()) if finite.size else math.nan,
            nans=int(values.size - finite.size),
        )


def element(array: Any, shape: tuple[int, ...], index: tuple[int, ...]) -> float:
    """One element of a quantity's array, whole (broadcast to ``shape``) or excerpted."""
    return float(array[index]) if isinstance(array, Excerpt) else float(np.broadcast_to(array, shape)[index])


def worst_elements(outcome: CaseOutcome, quantity: QuantityCheck, count: int = WORST_SHOWN) -> list[tuple[int, ...]]:
    """The ``count`` elements furthest out of tolerance over every engine and claim, in index order.

    Vectorised: a failing panel on 10^6 elements ranks them in milliseconds. Without a reference, the first ones.
    """
    if quantity.rows is not None:
        return quantity.rows
    size = math.prod(quantity.shape)
    if size <= count or quantity.reference is None:
        return [np.unravel_index(i, quantity.shape) if quantity.shape else () for i in range(min(size, count))]
    reference = np.broadcast_to(quantity_of(outcome.results[quantity.reference], quantity.quantity), quantity.shape).ravel()
    rtol, atol = outcome.tolerance_of(quantity)
    allowed = np.maximum(atol + rtol * np.abs(reference), 1e-300)
    badness = np.zeros(size)
    with np.errstate(all="ignore"):
        for array in _columns(outcome, quantity):
            error = np.abs(np.broadcast_to(array, quantity.shape).ravel() - reference) / allowed
            badness = np.fmax(badness, np.where(np.isnan(error), np.inf, error))
    chosen = np.sort(np.argsort(-badness, kind="stable")[:count])
    return [tuple(int(i) for i in np.unravel_index(flat, quantity.shape)) for flat in chosen]


def _columns(outcome: CaseOutcome, quantity: QuantityCheck) -> list[Any]:
    """The arrays a panel shows side by side for this quantity: each engine's and each claimed one."""
    arrays = [quantity_of(r, quantity.quantity) for r in outcome.results.values() if has_array(r, quantity.quantity) and quantity.quantity not in r.directional]
    return arrays + [c.claim.claimed for c in quantity.claims if c.claim.claimed is not None]


def slim(outcome: CaseOutcome) -> CaseOutcome:
    """The outcome with its large arrays replaced by excerpts, and the case's inputs let go."""
    for quantity in outcome.quantities:
        if math.prod(quantity.shape) <= KEEP_WHOLE:
            continue
        kept = worst_elements(outcome, quantity)
        quantity.rows = kept
        for result in outcome.results.values():
            name = quantity.quantity
            if name == "value" and result.value is not None:
                result.value = Excerpt.of(result.value, quantity.shape, kept)
            elif name in result.grads:
                result.grads[name] = Excerpt.of(result.grads[name], quantity.shape, kept)
            if name in result.unchecked and name not in result.directional:
                result.unchecked[name] = Excerpt.of(result.unchecked[name], quantity.shape, kept)
            result.rounding.pop(name, None)  # the comparison is done: no report reads it
            if name in result.directional:  # NOTE: the random directions are as large as the input; the report needs none
                result.directional[name] = (np.empty(0), result.directional[name][1])
        for check in quantity.claims:
            if check.claim.claimed is not None:
                claim = dataclasses.replace(check.claim, claimed=Excerpt.of(check.claim.claimed, quantity.shape, kept))
                quantity.claims[quantity.claims.index(check)] = dataclasses.replace(check, claim=claim)
    if outcome.problem is not None:
        # The reports read the problem's dtype and shapes, never the inputs' values.
        empty = {name: np.broadcast_to(np.float64(np.nan), value.shape) for name, value in outcome.problem.inputs.items()}
        outcome.problem = dataclasses.replace(outcome.problem, inputs=empty, grad_output=np.broadcast_to(np.float64(np.nan), outcome.problem.grad_output.shape))
    return outcome
