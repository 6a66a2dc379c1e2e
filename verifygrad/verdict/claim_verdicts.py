"""Every claim of a case checked: what each is held to, and the check that decides it."""

from __future__ import annotations

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.cases.schema import FORMULA_KINDS
from verifygrad.verdict.budget import Tolerance
from verifygrad.verdict.claims import Claim, ClaimCheck, Rounding, check_number_claim, note_asymmetry
from verifygrad.verdict.outcome import QuantityCheck


def claim_tolerances(quantities: list[QuantityCheck], allowed: dict[str, Tolerance], dtype: str) -> dict[str, Rounding]:
    """Per quantity, how far a legitimate computation may be from the truth: the case's error budget in its dtype
    (or the tolerance the case or the command line sets), the second part of every number claim's allowance.

    NOTE: per quantity: SymPy may be exact for the gradient and leave the Hessian to numpy.
    """
    exact = {q.quantity: q.exact for q in quantities}
    of = {quantity: "the exact value" if exact.get(quantity) else "the engines' value" for quantity in allowed}
    return {
        q: Rounding(t.rtol, t.atol, f"{dtype} rounding of {of[q]}" if t.source == "budget" else f"the tolerance set ({t.source})") for q, t in allowed.items()
    }


def judge_claims(claims: list[Claim], problem: Problem, truth: dict[str, np.ndarray] | None,
                 tolerances: dict[str, Rounding], bounds: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
                 engines: list[str] = ()) -> list[ClaimCheck]:  # fmt: skip
    """Value and grad claims against the reference; formula claims numerically and symbolically (``formulas``).

    ``bounds``: per gradient, the valid subgradients at the kinks the inputs sit on (lenient cases only).
    ``engines``: the engines that ran: those that compute a program variable's value on their own.
    """
    from verifygrad.verdict.formulas import check_formula
    from verifygrad.verdict.variables import variable_truth

    checks = []
    for claim in claims:
        if claim.kind in FORMULA_KINDS:
            checks.append(check_formula(claim, problem, truth[claim.quantity] if truth else None))
        elif claim.kind == "values":  # a program variable's value: SymPy's, or two engines' forward passes agreeing
            rounding = tolerances["value"]
            found, why = variable_truth(claim, problem, engines, rounding.rtol, rounding.atol)
            checks.append(check_number_claim(claim, found, rounding) if found is not None else ClaimCheck(claim, None, why))
        elif truth is None:
            checks.append(ClaimCheck(claim, None, "unchecked: no engine ran"))
        else:
            kink = (bounds or {}).get(claim.quantity) if claim.kind == "grad" else None
            check = check_number_claim(claim, truth[claim.quantity], tolerances.get(claim.quantity), kink)
            checks.append(note_asymmetry(check) if claim.kind == "hessian" else check)
    return checks
