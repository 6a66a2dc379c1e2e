"""What a tutorial claims (value, gradient, derivative formula) and whether it holds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Problem, tensor_value
from verifygrad.cases.second_order import HESSIAN_MAX_ELEMENTS, JVP, hessian_key, jacobian_key
from verifygrad.language.constants import ConstantError
from verifygrad.language.ops import fmt
from verifygrad.language.parse import ExprError, Program, parse
from verifygrad.verdict.compare import Difference, compare_arrays

RANDOM_POINTS = 8
FORMULA_RTOL = 1e-9  # both sides are evaluated to 30 digits, so only a real difference exceeds this
MAX_PROOF_ELEMENTS = 64
MAX_PROOF_OPS = 150  # per element, both sides: beyond it sp.simplify can take longer than the time limit
MIN_ROUNDED_DIGITS = 4  # a value claim with this many significant digits may be the truth rounded


@dataclass(frozen=True)
class Claim:
    kind: str  # "value", "grad", "formula", or "hessian", "hessian_formula", "jacobian", "jvp"
    quantity: str  # "value", the input's name, or a second-order quantity (H[x,y], J[x], Jv)
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
    return claims + second_order_claims(case, problem)


def second_order_claims(case: Case, problem: Problem) -> list[Claim]:
    """`expect: hessian / hessian_formula / jacobian / jvp` as claims on the second-order quantities."""
    expect, asked = case.expect, problem.second_quantities
    claims: list[Claim] = []
    for kind, key_of, needs in (("hessian", _hessian_pair, "hessian: true"), ("hessian_formula", _hessian_pair, "hessian: true"),
                                ("jacobian", lambda names: jacobian_key(names[0]), "jacobian: true")):  # fmt: skip
        for written, raw in (expect.get(kind) or {}).items():
            names = [part.strip() for part in str(written).split(",")]
            if len(names) not in (1, 2) or any(name not in problem.wrt for name in names) or (kind == "jacobian" and len(names) != 1):
                raise case.error(f"expect.{kind} names '{written}'; give a differentiated input or a pair 'x,y' of them (wrt: {', '.join(problem.wrt)})",
                                 "expect", kind, written)  # fmt: skip
            quantity = key_of(names)
            if quantity not in asked:
                why = f"the Hessian has over {HESSIAN_MAX_ELEMENTS} elements (only H·v is checked)" if problem.second and problem.second.hessian else needs
                raise case.error(f"expect.{kind}.{written} needs {why}", "expect", kind, written)
            if kind == "hessian_formula":
                claims.append(Claim(kind, quantity, formula=_formula_program(case, raw, asked[quantity], kind, written, problem)))
            else:
                claims.append(Claim(kind, quantity, _claimed(case, raw, asked[quantity], kind, str(written))))
    if "jvp" in expect:
        if JVP not in asked:
            raise case.error("expect.jvp needs jvp: tangents for the inputs", "expect", "jvp")
        claims.append(Claim("jvp", JVP, _claimed(case, expect["jvp"], asked[JVP], "jvp")))
    return claims


def _hessian_pair(names: list[str]) -> str:
    return hessian_key(names[0], names[-1])


def _formula_program(case: Case, text: str, shape: tuple[int, ...], kind: str, written: str, problem: Problem) -> Program:
    try:
        program = parse(text)
        got = program.shapes({n: v.shape for n, v in problem.inputs.items()})[-1]
    except ExprError as err:
        raise case.error(f"expect.{kind}.{written}: {err}", "expect", kind, written) from None
    if got != shape and got != ():
        raise case.error(f"expect.{kind}.{written} has shape {fmt(got)}; the Hessian block has shape {fmt(shape)}", "expect", kind, written)
    return program


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
    derived = derivation.grads[claim.quantity] if claim.kind == "formula" else _hessian_block(claim.quantity, derivation)
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
                true_name = f"∂/∂{claim.quantity}" if claim.kind == "formula" else claim.quantity
                text = f"wrong (differs at {at}: claimed {said_value:.6g}, true {true_name}{element} = {true_value:.6g})"
                return ClaimCheck(claim, False, text)
    small = len(pairs) <= MAX_PROOF_ELEMENTS and all(sp.count_ops(said) + sp.count_ops(true) <= MAX_PROOF_OPS for said, true, _ in pairs)
    if small and all(sp.simplify(said - true) == 0 for said, true, _ in pairs):
        return ClaimCheck(claim, True, "proven")
    return ClaimCheck(claim, True, f"equal at {len(points) - 1} random points and the case's inputs")


def _hessian_block(quantity: str, derivation) -> np.ndarray:
    """The symbolic Hessian block H[x,y] (shape x.shape + y.shape) from the expanded gradient."""
    from verifygrad.engines.sympy.second import derivatives

    x, y = quantity[2:-1].split(",")
    return derivatives(derivation.grads[x], derivation.symbols[y])


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
        if claim.kind in ("formula", "hessian_formula"):
            checks.append(_time_limited_formula_check(claim, problem))
        elif truth is None:
            checks.append(ClaimCheck(claim, None, "unchecked: no engine ran"))
        else:
            check = check_value_claim(claim, truth[claim.quantity], *tolerances[claim.quantity])
            checks.append(_note_asymmetry(check) if claim.kind == "hessian" else check)
    return checks


def _note_asymmetry(check: ClaimCheck) -> ClaimCheck:
    """A claimed diagonal block that is not symmetric cannot be a Hessian: say so beside the verdict."""
    x, y = check.claim.quantity[2:-1].split(",")
    claimed = np.asarray(check.claim.claimed)
    size = int(np.sqrt(claimed.size)) if x == y else 0
    square = claimed.reshape(size, size) if size * size == claimed.size and size else None
    if square is None or np.allclose(square, square.T, rtol=1e-12, atol=0):
        return check
    return ClaimCheck(check.claim, check.ok, f"{check.text}; the claimed Hessian is not symmetric", check.difference)


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
