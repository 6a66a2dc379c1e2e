"""What a tutorial claims (value, gradient, derivative formula) and whether it holds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Problem, tensor_value
from verifygrad.language.constants import ConstantError
from verifygrad.language.ops import fmt
from verifygrad.language.parse import ExprError, Program, parse
from verifygrad.verdict.compare import Difference, compare_arrays

RANDOM_POINTS = 8
FORMULA_RTOL = 1e-9  # both sides are evaluated to 30 digits, so only a real difference exceeds this
MAX_PROOF_ELEMENTS = 64
MIN_ROUNDED_DIGITS = 4  # a value claim with this many significant digits may be the truth rounded


@dataclass(frozen=True)
class Claim:
    kind: str  # "value", "grad" or "formula"
    quantity: str  # "value" or the input's name
    claimed: np.ndarray | None = None  # for value and grad claims
    formula: Program | None = None  # for formula claims


@dataclass(frozen=True)
class ClaimCheck:
    claim: Claim
    ok: bool | None  # None: could not be checked
    text: str  # "holds", "proven", "equal at 8 random points", "wrong (...)", "unchecked: ..."
    difference: Difference | None = None


def read_claims(case: Case, problem: Problem) -> list[Claim]:
    """The case's `expect:` as claims, each checked for shape and syntax now rather than later."""
    claims: list[Claim] = []
    expect = case.expect
    if "value" in expect:
        claims.append(Claim("value", "value", _claimed(case, expect["value"], problem.output_shape, "value")))
    for name, raw in (expect.get("grad") or {}).items():
        shape = _input_shape(case, problem, name, "grad")
        claims.append(Claim("grad", name, _claimed(case, raw, shape, "grad", name)))
    for name, text in (expect.get("formula") or {}).items():
        shape = _input_shape(case, problem, name, "formula")
        try:
            program = parse(text)
            shapes = program.shapes({n: v.shape for n, v in problem.inputs.items()})
            np.broadcast_shapes(shapes[-1], shape)
        except ExprError as err:
            raise case.error(f"expect.formula.{name}: {err}", "expect", "formula", name) from None
        except ValueError:
            raise case.error(
                f"expect.formula.{name} has shape {fmt(shapes[-1])}; the gradient has shape {fmt(shape)}",
                "expect", "formula", name,
            ) from None  # fmt: skip
        claims.append(Claim("formula", name, formula=program))
    return claims


def _input_shape(case: Case, problem: Problem, name: str, kind: str) -> tuple[int, ...]:
    if name not in problem.wrt:
        raise case.error(f"expect.{kind} names '{name}', which is not differentiated; wrt: {', '.join(problem.wrt)}",
                         "expect", kind, name)  # fmt: skip
    return problem.inputs[name].shape


def _claimed(case: Case, raw: object, shape: tuple[int, ...], *keys: str) -> np.ndarray:
    where = "expect." + ".".join(keys)
    try:
        value = tensor_value(raw, "the value")
    except (ExprError, ConstantError) as err:
        raise case.error(f"{where}: {err}", "expect", *keys) from None
    if value.shape != shape and value.shape != ():
        raise case.error(f"{where} has shape {fmt(value.shape)}; the true one has shape {fmt(shape)}", "expect", *keys)
    return np.broadcast_to(value, shape)


def check_value_claim(claim: Claim, truth: np.ndarray, rtol: float, atol: float) -> ClaimCheck:
    difference = compare_arrays(claim.claimed, truth, rtol, atol)
    if difference.ok:
        return ClaimCheck(claim, True, "holds", difference)
    if all(_rounded_as_written(c, t) for c, t in zip(np.ravel(claim.claimed), np.ravel(truth))):
        return ClaimCheck(claim, True, "holds to the digits written", difference)
    where = f"[{','.join(map(str, difference.worst))}]" if difference.worst else ""
    text = f"wrong ({claim.quantity}{where}: claimed {difference.actual:.6g}, true {difference.expected:.6g})"
    return ClaimCheck(claim, False, text, difference)


def _rounded_as_written(claimed: float, truth: float) -> bool:
    """True where ``claimed``, as written, is ``truth`` rounded to its decimals: 7.389 for e**2.

    Only claims written with a fraction and at least MIN_ROUNDED_DIGITS significant digits
    count as rounded; 4.5 or 10 must be exact, since nothing tells them from exact values.
    """
    text = repr(float(claimed))  # the shortest form that reads back as the claim: the digits as written
    if "e" in text or text.endswith(".0") or "." not in text or not np.isfinite(truth):
        return claimed == truth
    decimals = len(text.split(".")[1])
    if len(text.lstrip("-").replace(".", "").lstrip("0")) < MIN_ROUNDED_DIGITS:
        return False
    return abs(truth - claimed) <= 0.5 * 10.0**-decimals * (1 + 1e-9)


def check_formula_claim(claim: Claim, problem: Problem) -> ClaimCheck:
    """Compare a claimed derivative formula with SymPy's, everywhere rather than at one point."""
    import sympy as sp

    from verifygrad.engines import EngineSkipped
    from verifygrad.engines.sympy import expand as symbolic

    try:
        derivation = symbolic.derive(problem)
        symbolic.check_exponents(claim.formula, problem.inputs)
    except EngineSkipped as skip:
        return ClaimCheck(claim, None, f"unchecked: {skip}")
    derived = derivation.grads[claim.quantity]
    claimed = np.broadcast_to(symbolic.build(claim.formula, derivation.symbols), derived.shape)
    pairs = [(claimed[index], derived[index], index) for index in np.ndindex(*derived.shape)]
    points = [derivation.substitution, *_random_points(derivation, pairs)]
    for point in points:
        for said, true, index in pairs:
            said_value, true_value = symbolic.to_float(said, point), symbolic.to_float(true, point)
            if np.isnan(true_value):
                continue
            if not abs(said_value - true_value) <= FORMULA_RTOL * max(abs(true_value), 1e-300) or np.isnan(said_value):
                at = _describe_point(said, true, point)
                element = f"[{','.join(map(str, index))}]" if index else ""
                text = f"wrong (differs at {at}: claimed {said_value:.6g}, true ∂/∂{claim.quantity}{element} = {true_value:.6g})"
                return ClaimCheck(claim, False, text)
    if len(pairs) <= MAX_PROOF_ELEMENTS and all(sp.simplify(said - true) == 0 for said, true, _ in pairs):
        return ClaimCheck(claim, True, "proven")
    return ClaimCheck(claim, True, f"equal at {len(points) - 1} random points and the case's inputs")


def _random_points(derivation, pairs) -> list[dict]:
    """Seeded random points of the inputs' domain where the true derivative is defined."""
    from verifygrad.engines.sympy import expand as symbolic

    rng = np.random.default_rng(0)
    symbols = list(derivation.substitution)
    points: list[dict] = []
    for attempt in range(RANDOM_POINTS * 4):
        low = -2.0 if attempt < RANDOM_POINTS * 2 else 0.05  # then positive only: log, sqrt, pow
        point = {s: symbolic.precise(round(float(v), 6)) for s, v in zip(symbols, rng.uniform(low, 2.0, len(symbols)))}
        if all(np.isfinite(symbolic.to_float(true, point)) for _, true, _ in pairs):
            points.append(point)
        if len(points) == RANDOM_POINTS:
            break
    return points


def _describe_point(said, true, point: dict) -> str:
    import sympy as sp

    involved = sorted((sp.sympify(said).free_symbols | true.free_symbols) & set(point), key=str)
    involved = involved or sorted(point, key=str)
    return ", ".join(f"{s} = {float(point[s]):.6g}" for s in involved[:4])


def check_claims(claims: list[Claim], problem: Problem, truth: dict[str, np.ndarray] | None,
                 tolerances: dict[str, tuple[float, float]]) -> list[ClaimCheck]:  # fmt: skip
    """Check each claim: values against the engines' consensus under that quantity's (rtol, atol), formulas symbolically."""
    checks = []
    for claim in claims:
        if claim.kind == "formula":
            checks.append(_time_limited_formula_check(claim, problem))
        elif truth is None:
            checks.append(ClaimCheck(claim, None, "unchecked: no engine ran"))
        else:
            checks.append(check_value_claim(claim, truth[claim.quantity], *tolerances[claim.quantity]))
    return checks


def _time_limited_formula_check(claim: Claim, problem: Problem) -> ClaimCheck:
    """The formula check, in the SymPy worker under the time limit (sp.simplify can take forever)."""
    from verifygrad.process import limits, worker

    seconds = limits.current().time_limit
    if seconds <= 0:
        return check_formula_claim(claim, problem)
    try:
        return worker.call("verifygrad.verdict.claims:check_formula_claim", problem, claim, seconds=seconds)
    except worker.TimedOut as err:
        return ClaimCheck(claim, None, f"unchecked: {err}")
    except Exception as err:  # noqa: BLE001 - SymPy failing on one claim must not end the run
        reason = str(err) if isinstance(err, worker.RemoteError) else f"{type(err).__name__}: {err}"
        return ClaimCheck(claim, None, f"unchecked: SymPy failed: {reason.splitlines()[0]}")
