"""What checking a case gives: one outcome per case, one row per quantity, and the verdict names."""

from __future__ import annotations

from dataclasses import dataclass, field

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult
from verifygrad.verdict.budget import Tolerance
from verifygrad.verdict.claims import ClaimCheck
from verifygrad.verdict.compare import Difference

PASSED, FAILED, SKIPPED, ERROR, XFAIL = "passed", "failed", "skipped", "error", "xfail"


@dataclass(frozen=True)
class MutantCheck:
    """One negative control: a wrong version of the reference, and whether the comparison caught it."""

    quantity: str  # "value" or an input's name
    mutant: str  # "sign flipped", "scaled by 1+1e-03", "term dropped", "shifted by 1e-03"
    element: tuple[int, ...]
    caught: bool
    detects: float  # the smallest relative error the comparison flags at that element (absolute where it is 0)


@dataclass
class QuantityCheck:
    """One row of the report: the value or one input's gradient, across engines and claims."""

    quantity: str  # "value" or an input name
    shape: tuple[int, ...]
    reference: str | None
    differences: dict[str, Difference]  # per engine that ran, against the reference
    claims: list[ClaimCheck] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)  # which engine is off, one sentence each (blame)
    not_finite: str = ""  # why the quantity cannot be verified: '∂/∂x[0] is inf', where the reference is not finite
    tolerance: Tolerance | None = None  # what this quantity was held to: the error budget or explicit
    rows: list[tuple[int, ...]] | None = None  # the elements reports show, fixed when large arrays are excerpted (slim)
    exact: bool = False  # whether this quantity's reference is exact (SymPy at 30 digits), not the engines' agreement
    unverified: str = ""  # which elements fewer than two engines vouch for: '∂/∂x[0]: only numpy's number, ...'


@dataclass
class CaseOutcome:
    case: Case
    verdict: str
    reasons: list[str]
    problem: Problem | None = None
    results: dict[str, EngineResult] = field(default_factory=dict)
    quantities: list[QuantityCheck] = field(default_factory=list)
    rtol: float = 0.0  # the loosest of the quantities' tolerances
    atol: float = 0.0
    seconds: float = 0.0  # wall time of the whole check, set by whoever times it
    mutations: list[MutantCheck] = field(default_factory=list)  # the negative controls, under --mutate

    @property
    def passed(self) -> bool:
        return self.verdict in (PASSED, XFAIL)

    def tolerance_of(self, quantity: QuantityCheck) -> tuple[float, float]:
        """(rtol, atol) the quantity was held to: its own from the budget or the case, else the case's loosest."""
        return (quantity.tolerance.rtol, quantity.tolerance.atol) if quantity.tolerance else (self.rtol, self.atol)

    @property
    def exact_reference(self) -> bool:
        """Whether the verdict rests on an exact reference, not on the engines' agreement only."""
        return bool(self.quantities) and all(q.exact for q in self.quantities)
