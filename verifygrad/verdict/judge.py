"""Check one case end to end: prepare it, run its engines, compare, judge the claims."""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, Problem, prepare
from verifygrad.cases.schema import FORMULA_KINDS
from verifygrad.cases.second_order import describe, is_second_order
from verifygrad.engines import ENGINE_MODULES, ENGINES, EngineResult, start_engine
from verifygrad.errors import CaseError
from verifygrad.process import deadline, limits
from verifygrad.process.parallel import Pool, run_all
from verifygrad.verdict import agreement, formulas, kinks, symmetry
from verifygrad.verdict.blame import exact_reference, mismatch_reasons, why_not_exact
from verifygrad.verdict.budget import BudgetFailed, tolerances
from verifygrad.verdict.claim_verdicts import claim_tolerances, judge_claims
from verifygrad.verdict.claims import Claim, ClaimCheck, read_claims
from verifygrad.verdict.compare import compare_engines, nonfinite_text, quantity_of, reference_engine
from verifygrad.verdict.outcome import ERROR, FAILED, PASSED, SKIPPED, XFAIL, CaseOutcome, QuantityCheck
from verifygrad.verdict.slim import slim
from verifygrad.verdict.written_inputs import written_input_notes

# Cases whose SymPy work (the engine, the formula claims' proofs) is sent to the worker before their turn, in a
# serial run: the worker computes them while this process runs the numeric engines of the cases before.
LOOK_AHEAD = 4


def check_all(cases: list[Case], overrides: Overrides, jobs: int = 1, timeout: float | None = None,
              on_done: Callable[[CaseOutcome], None] | None = None, keep_arrays: bool = False) -> list[CaseOutcome]:  # fmt: skip
    """Every case's outcome, in the order of ``cases``; with ``jobs`` > 1 or a timeout, in worker processes.

    Each outcome's large arrays are excerpted as soon as its case is checked (see ``slim``) unless ``keep_arrays``.
    """
    then = None if keep_arrays else slim
    if jobs == 1 and timeout is None and limits.current().time_limit > 0:
        return run_all(Pool(_Ahead(cases, overrides, then).check, _crashed), cases, on_done=on_done)
    work = functools.partial(check_timed, overrides=overrides) if keep_arrays else functools.partial(_checked_slim, overrides=overrides)
    pool = Pool(work, _crashed, preload=(__name__, *ENGINE_MODULES.values()))
    return run_all(pool, cases, jobs, timeout, on_done)


def _checked_slim(case: Case, overrides: Overrides) -> CaseOutcome:
    return check_timed(case, overrides, then=slim)


@dataclass
class Started:
    """A case prepared, its SymPy work sent to the worker: the engine's result to come, and the formula claims' proofs."""

    problem: Problem | None
    claims: list[Claim]
    engines: list[str]
    sympy: Callable[[], EngineResult] | None  # None where SymPy does not run on this case
    error: str = ""  # why the case could not be prepared
    seconds: float = 0.0  # spent preparing it


def start_case(case: Case, overrides: Overrides) -> Started:
    """Prepare ``case`` and send its SymPy work to the worker, which computes it while the caller goes on."""
    start = time.perf_counter()
    try:
        problem = prepare(case, overrides)
        claims = read_claims(case, problem)
    except CaseError as err:
        return Started(None, [], [], None, str(err), time.perf_counter() - start)
    engines = [e for e in ENGINES if e in (overrides.engines or case.engines or ENGINES)]
    sympy = start_engine("sympy", problem) if "sympy" in engines else None
    formulas.send_ahead(claims, problem)  # the formula claims' symbolic checks, behind the engine
    return Started(problem, claims, engines, sympy, seconds=time.perf_counter() - start)


class _Ahead:
    """Checks cases in their order, with the next LOOK_AHEAD cases' SymPy work already sent (see ``start_case``).

    NOTE: each request's time limit counts from when the worker takes it (``process.worker``), so a case sent ahead
    has its own limit, not the queue's. A case whose preparation fails here is prepared again in its turn, and fails there.
    """

    def __init__(self, cases: list[Case], overrides: Overrides, then: Callable[[CaseOutcome], CaseOutcome] | None) -> None:
        self.cases, self.overrides, self.then = cases, overrides, then
        self.started: dict[int, Started | None] = {}
        self.next = 0  # the index of the case checked next

    def check(self, case: Case) -> CaseOutcome:
        index = self.next if self.next < len(self.cases) and self.cases[self.next] is case else self.cases.index(case)
        self.next = index + 1
        for ahead in range(index, min(index + 1 + LOOK_AHEAD, len(self.cases))):
            if ahead not in self.started:
                self.started[ahead] = self._start(self.cases[ahead])
        started = self.started.pop(index)
        outcome = check_timed(case, self.overrides, self.then, started)
        outcome.seconds += started.seconds if started else 0.0  # its own preparation, done during an earlier case's turn
        return outcome

    def _start(self, case: Case) -> Started | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return start_case(case, self.overrides)
        except Exception:  # noqa: BLE001 - a bug in preparing it: prepared again in its turn, where it is that case's error
            return None


def _crashed(case: Case, why: str, seconds: float) -> CaseOutcome:
    return CaseOutcome(case, ERROR, [why], seconds=seconds)


def check_timed(case: Case, overrides: Overrides, then: Callable[[CaseOutcome], CaseOutcome] | None = None,
                started: Started | None = None) -> CaseOutcome:  # fmt: skip
    """check_case (and ``then`` on its outcome), timed; a bug in one case's check is that case's error, not the run's."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow and empty means are results, reported as such
            outcome = check_case(case, overrides, started)
            outcome = then(outcome) if then else outcome
    except Exception as err:  # noqa: BLE001
        outcome = CaseOutcome(case, ERROR, [f"internal error: {type(err).__name__}: {err}".splitlines()[0]])
    outcome.seconds = time.perf_counter() - start
    return outcome


def check_case(case: Case, overrides: Overrides = Overrides(), started: Started | None = None) -> CaseOutcome:
    """The case's outcome; ``started``: the case already prepared and its SymPy work sent (``start_case``)."""
    started = started or start_case(case, overrides)
    if started.problem is None:
        return CaseOutcome(case, ERROR, [started.error])
    problem, claims, engines = started.problem, started.claims, started.engines
    strict = case.subgradient == "strict"
    try:
        with deadline.limited(limits.current().part_time):
            values, found = kinks.analyse(problem)
    except deadline.PartTimedOut as err:
        return CaseOutcome(case, ERROR, [f"kink analysis (a float64 forward pass) {err}"], problem)
    # SymPy went first to its worker process (start_case) and computes there while the other engines run here.
    ran_first = {name: start_engine(name, problem)() for name in engines if name != "sympy"}
    ran_first |= {"sympy": started.sympy()} if started.sympy else {}
    results = kinks.without_singular({name: ran_first[name] for name in engines}, reference_engine(ran_first), found)
    ran = [name for name in engines if results[name].ok]
    try:  # NOTE: after the engines: the budget re-runs numpy's rules, and an engine's own failure names it better
        allowed = tolerances(case, problem, overrides, engine_failed=any(r.status == "error" for r in results.values()))
    except BudgetFailed as err:
        return CaseOutcome(case, ERROR, [str(err)], problem, results)
    bounds = kinks.subgradient_range(problem, values, found) if found and not strict else {}
    quantities = []
    unverified: dict[str, np.ndarray] = {}
    shapes = {"value": problem.output_shape, **{name: problem.inputs[name].shape for name in problem.gradient_quantities}, **problem.second_quantities}
    for quantity, shape in shapes.items():
        rtol, atol = allowed[quantity].rtol, allowed[quantity].atol
        results = agreement.unanimous_nan(results, quantity) if is_second_order(quantity) else results
        reference, differences = compare_engines(results, quantity, rtol, atol, problem.dtype)
        if reference and quantity in bounds:
            differences = kinks.excuse_all(differences, results, quantity, reference, bounds[quantity], rtol, atol)
        if reference and found and not strict and is_second_order(quantity):
            undefined = kinks.undefined_second_order(problem, found, quantity, shape, values)
            differences = kinks.excuse_undefined(differences, results, quantity, reference, undefined, rtol, atol, problem.dtype)
        blamed = mismatch_reasons(results, quantity, reference, differences, rtol, atol, problem.dtype)
        not_finite = nonfinite_text(quantity_of(results[reference], quantity), quantity) if reference else ""
        missing, why = (
            agreement.unverified(results, quantity, reference, shape, rtol, atol, bounds.get(quantity)) if reference else (np.ones(shape, dtype=bool), "")
        )
        unverified[quantity] = missing
        quantities.append(QuantityCheck(quantity, shape, reference, differences, mismatches=blamed, not_finite=not_finite, tolerance=allowed[quantity],
                                        exact=exact_reference(results, reference), unverified=why))  # fmt: skip
    # NOTE: each quantity's own reference: SymPy may have left a second-order quantity to numpy.
    truth = {q.quantity: quantity_of(results[q.reference], q.quantity) for q in quantities if q.reference} or None
    rounding = claim_tolerances(quantities, allowed, problem.dtype)
    for claim_check in judge_claims(claims, problem, truth, rounding, bounds, ran):
        row = "value" if claim_check.claim.kind == "values" else claim_check.claim.quantity  # NOTE: a variable's value sits on the value row
        if claim_check.claim.kind not in ("values", *FORMULA_KINDS):
            claim_check = only_where_verified(claim_check, truth[row], unverified[row]) if truth and row in truth else claim_check
        next(q for q in quantities if q.quantity == row).claims.append(claim_check)
    notes = [*problem.program.notes, *kinks.notes(problem, results, values, found)]
    notes += written_input_notes(problem, [check for q in quantities for check in q.claims], rounding)
    asymmetric = symmetry.asymmetries(problem, results, {q: (t.rtol, t.atol) for q, t in allowed.items()}) if problem.second else []
    verdict, reasons = judge(case, results, ran, quantities, notes, strict and bool(found), asymmetric)
    loosest = (max(t.rtol for t in allowed.values()), max(t.atol for t in allowed.values()))
    outcome = CaseOutcome(case, verdict, reasons, problem, results, quantities, *loosest)
    if overrides.mutate or case.mutate:
        from verifygrad.verdict import mutate

        mutate.apply(outcome)
    return outcome


def only_where_verified(check: ClaimCheck, truth: np.ndarray, missing: np.ndarray) -> ClaimCheck:
    """A claim wrong only at elements no two engines vouch for is not known to be wrong: unchecked."""
    if check.ok is not False or not missing.any() or check.allowed is None:
        return check
    off = ~(np.abs(np.asarray(check.claim.claimed, np.float64) - np.asarray(truth, np.float64)) <= check.allowed)
    if np.any(off & ~np.broadcast_to(missing, off.shape)):
        return check
    return ClaimCheck(check.claim, None, f"unchecked: {check.text.removeprefix('wrong (').removesuffix(')')} against one engine's number only",
                      check.difference, check.allowed)  # fmt: skip


def judge(case: Case, results: dict[str, EngineResult], ran: list[str], quantities: list[QuantityCheck],
          notes: list[str] = (), strict_kink: bool = False, asymmetric: list[str] = ()) -> tuple[str, list[str]]:  # fmt: skip
    """The verdict and the reasons for it, one short sentence each; ``notes`` (kinks, NaN) ride along."""
    mismatches = [reason for q in quantities for reason in q.mismatches] + list(asymmetric)
    # A call its own library answers differently from verifygrad's reading of it: the disagreement names the spelling.
    misread = [f"{name} evaluates {sentence}" for name, result in results.items() for sentence in result.misread]
    mismatches += misread if mismatches else []
    notes = [*notes, *(misread if not mismatches else [])]
    # NOTE: under `subgradient: strict` a kink fails the case even where the engines agree:
    # they agree on a convention (relu'(0) = 0), not on a derivative, which does not exist there.
    wrong = [f"subgradient: strict: {note}" for note in notes if strict_kink and note.startswith("non-differentiable")]
    notes = [note for note in notes if not (strict_kink and note.startswith("non-differentiable"))]
    wrong += [f"claim {_claim_label(c)}: {c.text}" for q in quantities for c in q.claims if c.ok is False]
    errors = [f"{name} failed: {r.reason}" for name, r in results.items() if r.status == "error"]
    unchecked = [f"claim {_claim_label(c)}: {c.text}" for q in quantities for c in q.claims if c.ok is None]
    unchecked += [f"not verified: {q.not_finite}, not a finite number" for q in quantities if q.not_finite]
    skipped = [f"{name} skipped: {r.reason}" for name, r in results.items() if r.status == "skipped"]
    if len(ran) < 2:
        only = f"only {ran[0]} ran" if ran else "no engine ran"
        unchecked.insert(0, f"not checked: {only}, at least two engines must agree")
    else:  # NOTE: counted per quantity and per element: one engine's number is no verdict, whatever the claims say
        unchecked += [f"not verified: {q.unverified}" for q in quantities if q.unverified and _holds_the_verdict(q)]
        notes = [*notes, *(f"not verified: {q.unverified}" for q in quantities if q.unverified and not _holds_the_verdict(q))]
    if errors:
        return ERROR, errors + mismatches + wrong + notes
    if mismatches:
        return FAILED, mismatches + wrong + notes
    if case.expect_mismatch is not None:
        # NOTE: only a wrong claim (or a strict kink) is the documented mismatch; a claim that could
        # not be checked (SymPy out of time) leaves the case unchecked, never failed; and an XFAIL
        # needs a verified truth to be wrong against: with one engine, nothing is.
        if wrong and not (len(ran) < 2):
            return XFAIL, [f"expected mismatch found ({case.expect_mismatch})", *wrong, *notes]
        if unchecked:
            return SKIPPED, [f"expected a mismatch ({case.expect_mismatch}), but it could not be checked", *unchecked, *skipped]
        return FAILED, [f"expected a mismatch ({case.expect_mismatch}), but every claim holds"]
    if wrong:
        return FAILED, wrong + notes
    if unchecked:
        return SKIPPED, unchecked + skipped + notes
    if quantities and not quantities[0].exact:
        skipped = [f"verdict by agreement only: no exact reference ({why_not_exact(results)})"] + [s for s in skipped if not s.startswith("sympy ")]
    else:
        skipped += [f"{describe(q.quantity)} by agreement only: no exact reference ({_why_not_exact_here(results)})" for q in quantities if not q.exact]
    return PASSED, stand_in_note(case) + skipped + notes


def stand_in_note(case: Case) -> list[str]:
    """A pass at values that stand in for unknown ones (unseeded random inputs) says so: it vouches for the derivative, not the page's numbers."""
    if not case.stand_in:
        return []
    return [f"at stand-in inputs: {', '.join(case.stand_in)} (random and unseeded in the source); numbers shown there that depend on them are not compared"]


def _holds_the_verdict(quantity: QuantityCheck) -> bool:
    """A derivative always; the value (which a case computes to differentiate) only where a claim is about it."""
    return quantity.quantity != "value" or bool(quantity.claims)


def _why_not_exact_here(results: dict[str, EngineResult]) -> str:
    """Why SymPy, exact for the value, left a quantity to the float engines: its own note where it gave one."""
    detail = results["sympy"].detail if "sympy" in results else ""
    left = next((part.strip() for part in detail.split(";") if "skipped" in part), "")
    return f"sympy {left}" if left else "sympy evaluated it in float64 only"


def _claim_label(check: ClaimCheck) -> str:
    claim = check.claim
    if claim.kind == "value":
        return "value"
    return f"{claim.kind} {claim.quantity}" if is_second_order(claim.quantity) else f"{claim.kind}.{claim.quantity}"
