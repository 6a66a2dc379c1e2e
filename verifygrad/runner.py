"""Check one case end to end: prepare it, run its engines, compare, judge the claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from verifygrad.cases import Case
from verifygrad.claims import ClaimCheck, check_claims, read_claims
from verifygrad.compare import Difference, compare_engines, quantity_of
from verifygrad.engines import ENGINES, EngineResult, run_engine
from verifygrad.errors import CaseError
from verifygrad.problem import Overrides, Problem, prepare, tolerance

if TYPE_CHECKING:  # mutate imports this module
    from verifygrad.mutate import MutantCheck

PASSED, FAILED, SKIPPED, ERROR, XFAIL = "passed", "failed", "skipped", "error", "xfail"


@dataclass
class QuantityCheck:
    """One row of the report: the value or one input's gradient, across engines and claims."""

    quantity: str  # "value" or an input name
    shape: tuple[int, ...]
    reference: str | None
    differences: dict[str, Difference]  # per engine that ran, against the reference
    claims: list[ClaimCheck] = field(default_factory=list)


@dataclass
class CaseOutcome:
    case: Case
    verdict: str
    reasons: list[str]
    problem: Problem | None = None
    results: dict[str, EngineResult] = field(default_factory=dict)
    quantities: list[QuantityCheck] = field(default_factory=list)
    rtol: float = 0.0
    atol: float = 0.0
    seconds: float = 0.0  # wall time of the whole check, set by whoever times it
    mutations: list[MutantCheck] = field(default_factory=list)  # the negative controls, under --mutate

    @property
    def passed(self) -> bool:
        return self.verdict in (PASSED, XFAIL)


def check_case(case: Case, overrides: Overrides = Overrides()) -> CaseOutcome:
    try:
        problem = prepare(case, overrides)
        claims = read_claims(case, problem)
    except CaseError as err:
        return CaseOutcome(case, ERROR, [str(err)])
    rtol, atol = tolerance(case, problem.dtype, overrides)
    engines = [e for e in ENGINES if e in (overrides.engines or case.engines or ENGINES)]
    results = {name: run_engine(name, problem) for name in engines}
    ran = [name for name in engines if results[name].ok]
    reference = None
    quantities = []
    for quantity in ("value", *problem.wrt):
        shape = problem.output_shape if quantity == "value" else problem.inputs[quantity].shape
        reference, differences = compare_engines(results, quantity, rtol, atol)
        quantities.append(QuantityCheck(quantity, shape, reference, differences))
    truth = {q.quantity: quantity_of(results[reference], q.quantity) for q in quantities} if reference else None
    for claim_check in check_claims(claims, problem, truth, rtol, atol):
        next(q for q in quantities if q.quantity == claim_check.claim.quantity).claims.append(claim_check)
    verdict, reasons = judge(case, results, ran, quantities)
    outcome = CaseOutcome(case, verdict, reasons, problem, results, quantities, rtol, atol)
    if overrides.mutate or case.mutate:
        from verifygrad import mutate

        mutate.apply(outcome)
    return outcome


def judge(case: Case, results: dict[str, EngineResult], ran: list[str],
          quantities: list[QuantityCheck]) -> tuple[str, list[str]]:  # fmt: skip
    """The verdict and the reasons for it, one short sentence each."""
    mismatches = [
        f"{engine} differs from {q.reference} on {_label(q.quantity)}" for q in quantities for engine, difference in q.differences.items() if not difference.ok
    ]
    mismatches += [f"claim {_claim_label(c)}: {c.text}" for q in quantities for c in q.claims if c.ok is False]
    errors = [f"{name} failed: {r.reason}" for name, r in results.items() if r.status == "error"]
    unchecked = [f"claim {_claim_label(c)}: {c.text}" for q in quantities for c in q.claims if c.ok is None]
    skipped = [f"{name} skipped: {r.reason}" for name, r in results.items() if r.status == "skipped"]
    if case.expect_mismatch is not None:
        if mismatches:
            return XFAIL, [f"expected mismatch found ({case.expect_mismatch})", *mismatches]
        if not errors and len(ran) >= 2:
            return FAILED, [f"expected a mismatch ({case.expect_mismatch}), but everything agrees"]
    if errors:
        return ERROR, errors + mismatches
    if mismatches:
        return FAILED, mismatches
    if len(ran) < 2:
        only = f"only {ran[0]} ran" if ran else "no engine ran"
        return SKIPPED, [f"not checked: {only}, at least two engines must agree", *skipped]
    if unchecked:
        return SKIPPED, unchecked + skipped
    return PASSED, skipped


def _label(quantity: str) -> str:
    return "the value" if quantity == "value" else f"∂/∂{quantity}"


def _claim_label(check: ClaimCheck) -> str:
    claim = check.claim
    return "value" if claim.kind == "value" else f"{claim.kind}.{claim.quantity}"
