"""Which engine is off: measured against an exact reference where there is one, else by majority.

With SymPy's 30-digit evaluation as the reference, an engine far from it is wrong,
whatever the others say.  Without one (SymPy skipped, timed out, or evaluated in
float64 only), the verdict is by agreement only: with three or more engines, one
that disagrees with every other while those all agree is blamed; otherwise the
engines are named together as disagreeing.
"""

from __future__ import annotations

import itertools

import numpy as np

from verifygrad.cases.second_order import describe as describe_quantity
from verifygrad.engines import EngineResult
from verifygrad.verdict.compare import Difference, compare_arrays, quantity_of, ulp_error


def label(quantity: str) -> str:
    return describe_quantity(quantity)


def exact_reference(results: dict[str, EngineResult], reference: str | None) -> bool:
    """Whether the reference is exact, so that distance from it alone says an engine is wrong."""
    return reference is not None and results[reference].exact


def why_not_exact(results: dict[str, EngineResult]) -> str:
    """A short reason the run has no exact reference, for the 'by agreement only' note."""
    sympy = results.get("sympy")
    if sympy is None:
        return "sympy did not run"
    if not sympy.ok:
        return f"sympy {sympy.status}: {sympy.reason}"
    return f"sympy evaluated in float64 only ({sympy.detail})"


def mismatch_reasons(results: dict[str, EngineResult], quantity: str, reference: str | None, differences: dict[str, Difference],
                     rtol: float, atol: float, dtype: str) -> list[str]:  # fmt: skip
    """One sentence per engine that is off on this quantity, naming it; empty when all agree."""
    off = [engine for engine, difference in differences.items() if not difference.ok]
    if not off or reference is None:
        return []
    # NOTE: where the exact answer is NaN or infinite (SymPy's log(0)), it cannot tell who is right.
    if exact_reference(results, reference) and np.all(np.isfinite(quantity_of(results[reference], quantity))):
        return [f"{engine} is off on {label(quantity)}: {describe(quantity, differences[engine], dtype)}" for engine in off]
    ran = [engine for engine in differences if quantity == "value" or quantity in results[engine].grads]  # not fd's directions

    def agree(a: str, b: str) -> bool:
        # NOTE: compare_arrays scales rtol by the expected side; either direction agreeing is agreement.
        first, second = quantity_of(results[a], quantity), quantity_of(results[b], quantity)
        return compare_arrays(first, second, rtol, atol).ok or compare_arrays(second, first, rtol, atol).ok

    pairs = {frozenset(pair): agree(*pair) for pair in itertools.combinations(ran, 2)}
    if len(ran) >= 3:
        outliers = []
        for engine in ran:
            others = [e for e in ran if e != engine]
            if all(pairs[frozenset(p)] for p in itertools.combinations(others, 2)) and not any(pairs[frozenset((engine, e))] for e in others):
                outliers.append((engine, others))
        if len(outliers) == 1:
            engine, others = outliers[0]
            # NOTE: against the reference, its difference leaves out what the engine doubts (fd at a pole): the worst element named is one it vouches for
            against = reference if reference in others else others[0]
            difference = differences[engine] if against == reference else compare_arrays(
                quantity_of(results[engine], quantity), quantity_of(results[against], quantity), rtol, atol, dtype)  # fmt: skip
            return [
                f"{engine} is off on {label(quantity)} (by agreement only: {' and '.join(others)} agree): "
                f"{describe(quantity, difference, dtype, against=against)}"
            ]
    return [f"{', '.join(ran)} disagree on {label(quantity)} (by agreement only: no exact reference to tell which is off)"]


def describe(quantity: str, difference: Difference, dtype: str, against: str = "exact") -> str:
    """'x[1] = 3 vs exact 2 (abs 1, rel 0.5, 4.5e+15 ulp float64, allowed 2e-09)'."""
    name = "value" if quantity == "value" else quantity
    element = f"{name}[{','.join(map(str, difference.worst))}]" if difference.worst else name
    error = abs(difference.actual - difference.expected)
    rel = error / abs(difference.expected) if difference.expected else float("inf")
    ulp = float(ulp_error(difference.actual, difference.expected, dtype))
    return (
        f"{element} = {difference.actual:.10g} vs {against} {difference.expected:.10g} "
        f"(abs {error:.3g}, rel {rel:.3g}, {ulp:.3g} ulp {dtype}, allowed {difference.allowed:.3g})"
    )
