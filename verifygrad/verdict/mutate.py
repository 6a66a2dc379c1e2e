"""Negative controls: wrong versions of the reference that the comparison must flag.

For each quantity (the value, each gradient), three mutants of the reference
engine's array, each changed at its largest element (where a relative error is
easiest to see, so a mutant that passes there passes everywhere):

- ``sign flipped``: the element negated, a wrong sign in a rule;
- ``scaled by 1+1e-03``: the element off by the relative error ``SIZE``;
- ``term dropped``: the element zeroed, a contribution left out of the chain rule.

A quantity that is zero everywhere has no sign or size to change: its one mutant
is an element shifted by ``SIZE``.  Each mutant goes through ``compare_arrays``
with the case's tolerance, and with fd's where fd ran (it is looser); a mutant
that passes means the case cannot detect errors of that size, a failure under
``--mutate``.
"""

from __future__ import annotations

import numpy as np

from verifygrad.verdict.compare import compare_arrays, quantity_of
from verifygrad.verdict.outcome import FAILED, PASSED, XFAIL, CaseOutcome, MutantCheck

SIZE = 1e-3  # the relative error every case must be able to detect


def mutants(reference: np.ndarray) -> list[tuple[str, tuple[int, ...], np.ndarray]]:
    """(name, element changed, mutated copy) for each mutant of one array."""
    reference = np.asarray(reference, np.float64)
    magnitudes = np.where(np.isfinite(reference), np.abs(reference), -1.0)
    element = tuple(int(i) for i in np.unravel_index(int(np.argmax(magnitudes)), reference.shape)) if reference.size else ()
    if reference.size == 0 or not magnitudes[element] > 0:
        if reference.size == 0 or magnitudes[element] < 0:
            return []  # nothing finite to mutate
        return [(f"shifted by {SIZE:.0e}", element, _changed(reference, element, SIZE))]
    x = reference[element]
    return [
        ("sign flipped", element, _changed(reference, element, -x)),
        (f"scaled by 1+{SIZE:.0e}", element, _changed(reference, element, x * (1 + SIZE))),
        ("term dropped", element, _changed(reference, element, 0.0)),
    ]


def _changed(array: np.ndarray, element: tuple[int, ...], value: float) -> np.ndarray:
    changed = array.copy()
    changed[element] = value
    return changed


def apply(outcome: CaseOutcome) -> None:
    """Check the outcome's mutants; a case that lets one pass fails, saying what it cannot detect."""
    outcome.mutations = check_mutants(outcome)
    blind = missed(outcome.mutations)
    if blind and outcome.verdict in (PASSED, XFAIL):
        outcome.verdict, outcome.reasons = FAILED, [*blind, *outcome.reasons]


def check_mutants(outcome: CaseOutcome) -> list[MutantCheck]:
    """Every mutant of every quantity of an outcome, against its reference under its tolerances."""
    from verifygrad.engines.fd_engine import fd_tolerance

    checks = []
    for quantity in outcome.quantities:
        if quantity.reference is None:
            continue
        own = outcome.tolerance_of(quantity)
        tolerances = [own]
        if "fd" in outcome.results and outcome.results["fd"].ok:
            tolerances.append(fd_tolerance(*own, quantity.quantity))
        reference = np.asarray(quantity_of(outcome.results[quantity.reference], quantity.quantity), np.float64)
        for name, element, mutated in mutants(reference):
            caught = all(not compare_arrays(mutated, reference, rtol, atol).ok for rtol, atol in tolerances)
            x = abs(float(reference[element]))
            detects = max(atol + rtol * x for rtol, atol in tolerances) / (x or 1.0)
            checks.append(MutantCheck(quantity.quantity, name, element, caught, detects))
    return checks


def missed(checks: list[MutantCheck]) -> list[str]:
    """One reason per mutant that passed: the case cannot detect errors of that size."""
    return [
        f"cannot detect errors of size {SIZE:.0e}: {_where(c)} {c.mutant} passes (the tolerance flags only relative errors over {c.detects:.1e} there)"
        for c in checks
        if not c.caught
    ]


def summary(checks: list[MutantCheck]) -> str:
    """A line for the report: how many mutants were caught, and the weakest detection."""
    caught = sum(c.caught for c in checks)
    weakest = max(checks, key=lambda c: c.detects)
    return f"mutants: {caught}/{len(checks)} caught; flags relative errors over {weakest.detects:.1e} ({_where(weakest)})"


def _where(check: MutantCheck) -> str:
    base = "the value" if check.quantity == "value" else f"∂/∂{check.quantity}"
    return base + (f"[{','.join(map(str, check.element))}]" if check.element else "")
