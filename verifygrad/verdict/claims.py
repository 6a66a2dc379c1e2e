"""What a tutorial claims (value, gradient, derivative formula), read as written, and whether value claims hold.

A printed claim holds when it is within half a unit of its last written digit of a value
the computation could legitimately produce: the exact value give or take the case's own
error budget for that quantity in its dtype.  ``0.5000`` states four decimals: within 5e-5
(and float rounding) of the truth; ``4.5`` or ``[2.5, 5]`` state nothing beyond themselves
and hold within float rounding of the truth; a float32 result printed in full
(``0.070650935``) holds within float32 rounding.  Formula claims are checked in ``formulas``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Problem, compile_case_program, expr_error, expr_line_offset, tensor_value
from verifygrad.cases.schema import FORMULA_KINDS
from verifygrad.cases.second_order import HESSIAN_MAX_ELEMENTS, JVP, hessian_key, jacobian_key, order_key
from verifygrad.cases.written import NUMBER_TEXT, WrittenFloat
from verifygrad.language.constants import ConstantError
from verifygrad.language.evaluate import program_value
from verifygrad.language.ops import fmt
from verifygrad.language.parse import ExprError, Program
from verifygrad.verdict.compare import Difference, compare_arrays

MIN_ROUNDED_DIGITS = 4  # a claim with a number of this many significant digits states its decimals
EXACT_RTOL = 1e-12  # a claim written as an exact number: only the reference's rounding to float64 separates them


@dataclass(frozen=True)
class Claim:
    kind: str  # "value", "grad", "formula", "values" (of a program's variable), or "hessian", "hessian_formula", "jacobian",
    # "jacobian_formula", "jvp"
    quantity: str  # "value", the input's name, the variable's name, or a second-order quantity (H[x,y], J[x], Jv)
    claimed: np.ndarray | None = None  # for value, grad, values and second-order number claims
    formula: Program | None = None  # for formula claims
    truth: np.ndarray | None = None  # for values claims: the variable's value by the float64 forward pass
    program: Program | None = None  # for values claims of a program variable: the program whose output it is
    written: str = ""  # the claim as written in the file: "0.5000", "[-0.3410, 0.2424]", "x/2"
    # Per element of a value or grad claim: half a unit in the last decimal written where the claim
    # states its decimals (0.5000: 5e-5), 0 where it is written as an exact number.
    half_unit: np.ndarray | None = None
    element_texts: tuple[str, ...] = ()  # each number as written, in element order (one where it broadcasts)

    @property
    def rule(self) -> str:
        """How the claim is held: 'to the 4 decimals written', 'exactly'."""
        if self.half_unit is None or not np.any(self.half_unit):
            return "exactly"
        decimals = {round(-math.log10(2 * h)) for h in np.ravel(self.half_unit) if h}
        if len(decimals) != 1:
            return "to the decimals written"
        count = decimals.pop()
        return f"to the {count} decimal{'s' if count != 1 else ''} written"


@dataclass(frozen=True)
class ClaimCheck:
    claim: Claim
    ok: bool | None  # None: could not be checked
    text: str  # "holds to the 4 decimals written", "proven", "wrong (...)", "unchecked: ..."
    difference: Difference | None = None
    allowed: np.ndarray | None = None  # per element, how far the claim may be from the reference


def read_claims(case: Case, problem: Problem) -> list[Claim]:
    """The case's `expect:` as claims, each checked for shape and syntax now rather than later."""
    claims: list[Claim] = []
    expect = case.expect
    if "value" in expect:
        claims.append(_number_claim(case, "value", "value", expect["value"], problem.output_shape))
    for name, raw in (expect.get("grad") or {}).items():
        claims.append(_number_claim(case, "grad", name, raw, _input_shape(case, problem, name, "grad")))
    for name, raw in (expect.get("formula") or {}).items():
        shape = _input_shape(case, problem, name, "formula")
        text = _written(raw)
        try:
            program = compile_case_program(text, problem.inputs)  # an element assignment in it needs the inputs' shapes
            claimed_shape = program.shapes({n: v.shape for n, v in problem.inputs.items()})[-1]
        except ExprError as err:
            raise case.error(f"expect.formula.{name}: {err}", "expect", "formula", name) from None
        if not _broadcasts_to(claimed_shape, shape):
            raise case.error(
                f"expect.formula.{name} has shape {fmt(claimed_shape)}; the gradient ∂/∂{name} has shape {fmt(shape)}",
                "expect", "formula", name,
            )  # fmt: skip
        claims.append(Claim("formula", name, formula=program, written=text))
    for name, raw in (expect.get("values") or {}).items():
        truth, program = _variable_value(case, problem, name)
        claims.append(dataclasses.replace(_number_claim(case, "values", name, raw, truth.shape), truth=truth, program=program))
    return claims + second_order_claims(case, problem)


def second_order_claims(case: Case, problem: Problem) -> list[Claim]:
    """`expect: hessian / hessian_formula / jacobian / jacobian_formula / jvp` as claims on the second-order quantities."""
    expect, asked = case.expect, problem.second_quantities
    claims: list[Claim] = []
    for kind in ("hessian", "hessian_formula", "jacobian", "jacobian_formula"):
        jacobian = kind.startswith("jacobian")
        for written, raw in (expect.get(kind) or {}).items():
            names = [part.strip() for part in str(written).split(",")]
            if len(names) not in (1, 2) or any(name not in problem.wrt for name in names) or (jacobian and len(names) != 1):
                pair = "" if jacobian else " or a pair 'x,y' of them"
                raise case.error(f"expect.{kind} names '{written}'; give a differentiated input{pair} (wrt: {', '.join(problem.wrt)})",
                                 "expect", kind, written)  # fmt: skip
            quantity = jacobian_key(names[0]) if jacobian else hessian_key(names[0], names[-1])
            if quantity not in asked:
                hessian = problem.second is not None and problem.second.hessian
                too_many = f"the Hessian has over {HESSIAN_MAX_ELEMENTS} elements (only H·v is checked)"
                why = too_many if hessian and not jacobian else f"{kind.split('_')[0]}: true"
                raise case.error(f"expect.{kind}.{written} needs {why}", "expect", kind, written)
            if kind in FORMULA_KINDS:
                program = _formula_program(case, kind, raw, asked[quantity], written, problem)
                claims.append(Claim(kind, quantity, formula=program, written=_written(raw)))
            else:
                claims.append(_number_claim(case, kind, quantity, raw, asked[quantity], key=str(written)))
    for name, raw in (expect.get("order") or {}).items():
        quantity = order_key(str(name), problem.second.order) if problem.second is not None and problem.second.order else ""
        if quantity not in asked:
            raise case.error(f"expect.order.{name} needs order: (3 to 6) and '{name}' among the differentiated inputs", "expect", "order", name)
        claims.append(_number_claim(case, "order", quantity, raw, asked[quantity], key=str(name)))
    if "jvp" in expect:
        if JVP not in asked:
            raise case.error("expect.jvp needs jvp: tangents for the inputs", "expect", "jvp")
        claims.append(_number_claim(case, "jvp", JVP, expect["jvp"], asked[JVP], key=None))
    if "jvp_formula" in expect:
        if JVP not in asked:
            raise case.error("expect.jvp_formula needs jvp: tangents for the inputs", "expect", "jvp_formula")
        raw = expect["jvp_formula"]
        claims.append(Claim("jvp_formula", JVP, formula=_formula_program(case, "jvp_formula", raw, asked[JVP], None, problem), written=_written(raw)))
    return claims


def _formula_program(case: Case, kind: str, raw: object, shape: tuple[int, ...], written: str | None, problem: Problem) -> Program:
    keys = ("expect", kind) if written is None else ("expect", kind, written)
    where = ".".join(map(str, keys))
    try:
        program = compile_case_program(_written(raw), problem.inputs)
        got = program.shapes({n: v.shape for n, v in problem.inputs.items()})[-1]
    except ExprError as err:
        raise case.error(f"{where}: {err}", *keys) from None
    if not _broadcasts_to(got, shape):
        block = {"jacobian_formula": "Jacobian", "jvp_formula": "Jacobian-vector product"}.get(kind, "Hessian block")
        raise case.error(f"{where} has shape {fmt(got)}; the {block} has shape {fmt(shape)}", *keys)
    return program


def note_asymmetry(check: ClaimCheck) -> ClaimCheck:
    """A claimed diagonal Hessian block that is not symmetric cannot be a Hessian: say so beside the verdict."""
    x, y = check.claim.quantity[2:-1].split(",")
    claimed = np.asarray(check.claim.claimed, np.float64)
    side = math.isqrt(claimed.size) if x == y else 0
    if not side or side * side != claimed.size or np.allclose(claimed.reshape(side, side), claimed.reshape(side, side).T, rtol=1e-12, atol=0):
        return check
    return ClaimCheck(check.claim, check.ok, f"{check.text}; the claimed Hessian is not symmetric", check.difference, check.allowed)


def _variable_value(case: Case, problem: Problem, name: str) -> tuple[np.ndarray, Program | None]:
    """The value of a program's variable (or input) at the case's inputs, in float64, and the program that computes it."""
    if name in case.inputs:
        return problem.inputs[name], None
    # NOTE: the case's own inputs only: neither the probes of intermediates in wrt nor those the program creates
    inputs = {n: v for n, v in problem.inputs.items() if n in case.inputs}
    try:
        program = compile_case_program(case.expr, inputs, expr_line_offset(case), output=name)
    except ExprError as err:
        raise expr_error(case, ExprError(f"expect.values names '{name}': {err.message}", err.col, err.line)) from None
    return program_value(program, {**inputs, **dict(program.declared)}), program


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether a claim of ``shape`` fills ``target`` by broadcasting alone (3x3 does not fill a 3-vector)."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _input_shape(case: Case, problem: Problem, name: str, kind: str) -> tuple[int, ...]:
    if name not in problem.wrt:
        raise case.error(f"expect.{kind} names '{name}', which is not differentiated; wrt: {', '.join(problem.wrt)}",
                         "expect", kind, name)  # fmt: skip
    return problem.inputs[name].shape


def _number_claim(case: Case, kind: str, quantity: str, raw: object, shape: tuple[int, ...], key: str | None = "") -> Claim:
    keys = (kind,) if kind == "value" or key is None else (kind, key or quantity)
    where = "expect." + ".".join(keys)
    try:
        value = tensor_value(raw, "the value")
    except (ExprError, ConstantError) as err:
        raise case.error(f"{where}: {err}", "expect", *keys) from None
    if value.shape != shape and value.shape != ():
        raise case.error(f"{where} has shape {fmt(value.shape)}; the true one has shape {fmt(shape)}", "expect", *keys)
    half_unit = np.broadcast_to(_half_units(raw, value.shape), shape)
    plain = not isinstance(raw, str) or NUMBER_TEXT.match(raw)  # "0.5000" quoted is still a number as written
    texts = tuple(_number_text(n) for n in np.ravel(np.asarray(raw, dtype=object))) if plain else ()
    texts = texts * math.prod(shape) if len(texts) == 1 else texts
    return Claim(kind, quantity, claimed=np.broadcast_to(value, shape), written=_written(raw), half_unit=half_unit, element_texts=texts)


def _written(raw: object) -> str:
    """The claim's text as written in the file (a WrittenFloat keeps it; lists are printed back)."""
    if isinstance(raw, WrittenFloat):
        return raw.text
    if isinstance(raw, list):
        return "[" + ", ".join(map(_written, raw)) + "]"
    return str(raw)


def _half_units(raw: object, shape: tuple[int, ...]) -> np.ndarray:
    """Per number of a claim, half a unit in its last decimal where the claim states its decimals, else 0."""
    if isinstance(raw, str) and not NUMBER_TEXT.match(raw):  # a constant expression: exact
        return np.zeros(shape)
    numbers = np.ravel(np.asarray(raw, dtype=object))
    texts = [_number_text(number) for number in numbers]
    # NOTE: torch prints `tensor(0.0014)` rounded to 4 decimals: its few digits state them all the same
    stated = any(_states_decimals(text) for text in texts) or any(getattr(n, "rounded", False) for n in numbers)
    return np.asarray([_half_unit(text) if stated else 0.0 for text in texts], dtype=np.float64).reshape(shape)


def _number_text(number: object) -> str:
    if isinstance(number, WrittenFloat):
        return number.text
    if isinstance(number, str):
        return number.strip()
    return repr(float(number)) if isinstance(number, float) else str(number)


def _fraction(text: str) -> tuple[str, str, int] | None:
    """('0', '5000', 0) for '0.5000', ('1', '50', -3) for '1.50e-3'; None for a number without a fraction."""
    mantissa, _, exponent = text.strip().lower().lstrip("+-").partition("e")
    whole, dot, fraction = mantissa.partition(".")
    if not dot or not (whole + fraction).isdigit():
        return None
    return whole, fraction, int(exponent or 0)


def _states_decimals(text: str) -> bool:
    """A number states its decimals when it has 4+ significant digits (7.389) or trailing zeros (0.50)."""
    parts = _fraction(text)
    if parts is None:
        return False
    whole, fraction, _ = parts
    return len((whole + fraction).lstrip("0")) >= MIN_ROUNDED_DIGITS or (len(fraction) >= 2 and fraction.endswith("0"))


def _half_unit(text: str) -> float:
    parts = _fraction(text)
    return 0.0 if parts is None else 0.5 * 10.0 ** (parts[2] - len(parts[1]))


def _element(quantity: str, index: tuple[int, ...]) -> str:
    return f"{quantity}[{','.join(map(str, index))}]" if index else quantity


@dataclass(frozen=True)
class Rounding:
    """The second part of a claim's allowance: how far a legitimate computation may be from the truth."""

    rtol: float
    atol: float
    label: str  # "float32 rounding of the exact value", "the case's tolerance"


def check_number_claim(claim: Claim, truth: np.ndarray, rounding: Rounding | None,
                       bounds: tuple[np.ndarray, np.ndarray] | None = None) -> ClaimCheck:  # fmt: skip
    """A value or gradient claim against the truth: it holds within half a unit of its last written digit
    (where it states its digits) of a value the computation could produce, the truth give or take ``rounding``.

    ``bounds``: at a kink (under `subgradient: lenient`), the lowest and highest valid derivative per
    element; a claim between them holds there, as an engine's answer does.
    """
    truth = np.asarray(truth, np.float64)
    if truth.size == 0:  # NOTE: an empty value or gradient (a zero-size dim): nothing to be wrong about
        return ClaimCheck(claim, True, "holds (empty)")
    if not np.all(np.isfinite(truth)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(truth))[0]) if truth.ndim else ()
        return ClaimCheck(claim, None, f"unchecked: the true {_element(claim.quantity, index)} is {truth[index]}, not a finite number")
    rtol, atol = (rounding.rtol, rounding.atol) if rounding else (0.0, 0.0)
    floor = EXACT_RTOL * np.abs(truth)
    printed = claim.half_unit * (1 + 1e-9) + floor
    computed = atol + max(rtol, EXACT_RTOL) * np.abs(truth)
    allowed = claim.half_unit * (1 + 1e-9) + computed
    claimed = np.asarray(claim.claimed, np.float64)
    error = np.abs(claimed - truth)
    close = error <= allowed
    within = close.copy()
    if bounds is not None:
        low, high = (np.broadcast_to(b, truth.shape) for b in bounds)
        within |= (claimed >= low - allowed) & (claimed <= high + allowed)
    excess = np.where(within, -np.inf, error - allowed)  # the element furthest outside
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), excess.shape)) if excess.size else ()
    difference = compare_arrays(claimed, truth, 0.0, 0.0)
    difference = Difference(
        bool(np.all(within)), difference.max_abs, difference.max_rel, worst,
        float(claimed[worst]), float(truth[worst]), float(allowed[worst]), difference.max_ulp,
    )  # fmt: skip
    subgradient = " (a valid subgradient at the kink)" if not np.all(close) else ""
    digits = claim.rule.removeprefix("to the ").removesuffix(" written")  # "4 decimals"
    label = rounding.label if rounding else ""
    if difference.ok:
        if np.all(error[close] <= printed[close]):
            decided = "holds" if claim.rule == "exactly" else f"holds: within the printed {digits}"
        elif np.all(error[close] <= computed[close]) or claim.rule == "exactly":
            decided = f"holds: within {label}"
        else:
            decided = f"holds: within the printed {digits} of {label}"
        return ClaimCheck(claim, True, decided + subgradient, difference, allowed)
    flat = int(np.ravel_multi_index(worst, truth.shape)) if worst else 0
    said = claim.element_texts[flat] if claim.element_texts else f"{difference.actual:.6g}"  # the number as written
    # NOTE: a whole number written exactly, off in float64, needs no word on its allowance (a few ulps)
    said_rounding = label and not (claim.rule == "exactly" and label.startswith("float64"))
    parts = ([] if claim.rule == "exactly" else [f"the printed {digits}"]) + ([label] if said_rounding else [])
    held = f"; held to {' and '.join(parts)}" if parts else ""
    text = f"wrong ({_element(claim.quantity, worst)}: claimed {said}, true {difference.expected:.6g}{held})"
    return ClaimCheck(claim, False, text, difference, allowed)
