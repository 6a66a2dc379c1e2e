"""Whether a claimed derivative formula holds everywhere, not at one point.

A formula claim is a program like the case's own, so it is always checked numerically:
evaluated by the numpy engine's forward pass and compared with the reference's gradient at
the case's inputs (whatever route derived it) and, at seeded random points around the inputs
and across the domain, with two independent engines: the numpy engine's reverse mode and
finite differences.  Only the differentiated inputs move to random points; every other input
(labels, masks, data) keeps the case's own value, for which the formula is claimed.  Where
SymPy can expand the case, the claim is also compared with the symbolic derivative at 30 digits
and, if small, proven equal.  A claim that is not proven must have held against both engines at
MIN_POINTS points of the domain at least, and is reported "holds numerically, not proven".
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.cases.schema import FORMULA_KINDS
from verifygrad.language.statements import compile_program
from verifygrad.language.syntax import ExprError
from verifygrad.verdict.claims import Claim, ClaimCheck

if TYPE_CHECKING:
    from verifygrad.process.worker import Pending

AROUND, NEAR, POSITIVE, WIDE = 6, 4, 3, 7  # random points around the inputs, in [-2, 2], in (0, 2], and wide
MIN_POINTS = 4  # in-domain random points an unproven claim must hold at
SYMBOLIC_POINTS = 8
NUMERIC_RTOL = 1e-6  # float64 evaluations of two correct formulas differ by rounding only; a wrong one by far more
FORMULA_RTOL = 1e-9  # both sides evaluated to 30 digits, so only a real difference exceeds this
# NOTE: where the truth is exactly 0, 30-digit arithmetic leaves residues of about 1e-30 times the
# terms that cancelled (5.7e-42 from terms of 1e-12): the absolute floor scales with those terms.
TERMS_FLOOR = 1e-20
# NOTE: the same in float64: `1 - 1/(1 + exp(x))` is 1 - 1 = 0 at x = -300, where the truth is exp(x); a
# difference under CANCELLED_RTOL times the terms a side adds and subtracts is rounding, not a wrong claim.
CANCELLED_RTOL = 1e-12
MAX_PROOF_ELEMENTS = 64


@dataclass(frozen=True)
class Numeric:
    wrong: str | None  # why the claim is wrong, if it is
    points: int  # random points inside the domain where the claim held
    at_inputs: bool = False  # wrong at the case's inputs, against the reference itself


def sample_points(problem: Problem) -> list[dict[str, np.ndarray]]:
    """Seeded random values of the differentiated inputs: around the case's own, in [-2, 2], positive only, and wide.

    NOTE: every other input keeps the case's value: ``(softmax(z) - y)/N`` holds for one-hot labels ``y`` only.
    """
    rng = np.random.default_rng(0)
    reach = 2 * max((float(np.max(np.abs(v))) for v in problem.inputs.values() if v.size), default=0.0) + 10
    points = []
    for family, count in (("around", AROUND), ("near", NEAR), ("positive", POSITIVE), ("wide", WIDE)):
        for _ in range(count):
            point = {}
            for name, value in problem.inputs.items():
                if name not in problem.wrt:
                    point[name] = value
                    continue
                if family == "around":
                    drawn = value + rng.normal(size=value.shape) * (0.1 * np.abs(value) + 0.05)
                elif family == "wide":
                    drawn = rng.uniform(-reach, reach, value.shape)
                else:
                    drawn = rng.uniform(-2.0 if family == "near" else 0.05, 2.0, value.shape)
                point[name] = np.round(drawn, 6)  # NOTE: short decimals, so that a reported point reads back exactly
            points.append(point)
    return points


def check_formula(claim: Claim, problem: Problem, truth: np.ndarray | None) -> ClaimCheck:
    """The verdict on one formula claim: numeric always, symbolic where SymPy can expand the case."""
    points = sample_points(problem)
    numeric = check_numerically(claim, problem, truth, points)
    if numeric.wrong and numeric.at_inputs:  # against the reference itself: settled
        return ClaimCheck(claim, False, numeric.wrong)
    by_sympy = _time_limited_symbolic(claim, problem, points)
    # NOTE: a proof outweighs the numpy engine's gradient at a random point (numpy may be what is wrong).
    if by_sympy.ok is False or by_sympy.text == "proven":
        return by_sympy
    if numeric.wrong:
        return ClaimCheck(claim, False, numeric.wrong)
    if numeric.points < MIN_POINTS:
        return ClaimCheck(claim, None, f"unchecked: equal at only {numeric.points} random points inside the domain, at least {MIN_POINTS} are needed")
    at_inputs = " and the case's inputs" if truth is not None else ""
    why_not_proven = f": {by_sympy.text.removeprefix('unchecked: ')}" if by_sympy.ok is None else ""
    return ClaimCheck(claim, True, f"holds numerically, not proven (equal at {numeric.points} random points{at_inputs}, by numpy and fd{why_not_proven})")


def check_numerically(claim: Claim, problem: Problem, truth: np.ndarray | None, points: list[dict[str, np.ndarray]]) -> Numeric:
    """The claim against ``truth`` at the case's inputs, and at ``points`` against numpy's gradient and fd's (two engines)."""
    with np.errstate(all="ignore"):
        if truth is not None:
            wrong = _differs(claim, problem.inputs, _claimed(claim, problem, problem.inputs), truth, "true", _cancelled(claim, problem.inputs))
            if wrong:
                return Numeric(wrong, 0, at_inputs=True)
        held = 0
        for point in points:
            moved = _moved(problem, point)
            if moved is None:
                continue  # the program compiled at this point fails or gives another output shape
            value, grads = _shared(f"numpy {claim.kind}", moved, functools.partial(_numpy_at, moved, claim.kind))
            gradient = grads[claim.quantity]
            if not (np.all(np.isfinite(value)) and np.all(np.isfinite(gradient))):
                continue  # outside the domain
            claimed = _claimed(claim, problem, point)
            wrong = _differs(claim, point, claimed, gradient, "numpy's", _cancelled(claim, point))
            if wrong:
                return Numeric(wrong, held)
            if _fd_confirms(claim, moved, claimed):
                held += 1
    return Numeric(None, held)


def _fd_confirms(claim: Claim, problem: Problem, claimed: np.ndarray) -> bool:
    """Whether finite differences, independent of every derivative rule, agree with the claim at this point.

    NOTE: fd's own doubt (a kink within its step) or a disagreement leaves the point uncounted, never
    wrong: numpy's gradient has already agreed, and fd is the less accurate of the two.
    """
    from verifygrad.engines import fd_engine, fd_second_order
    from verifygrad.engines.fd_engine import fd_tolerance

    def differenced() -> tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray]]:
        if claim.kind != "formula":  # a Hessian block's or a Jacobian's formula
            return fd_second_order.quantities(problem)[0]
        result = fd_engine.run(dataclasses.replace(problem, wrt=(claim.quantity,), second=None))
        return result.grads, result.directional, result.unchecked

    grads, directional, doubted = _shared(f"fd {claim.kind} {claim.quantity}", problem, differenced)
    rtol, atol = fd_tolerance(NUMERIC_RTOL, 0.0, claim.quantity)
    scale = float(np.max(np.abs(claimed), initial=0.0))
    if claim.quantity in directional:
        directions, found = directional[claim.quantity]
        expected = np.tensordot(directions, claimed, axes=claimed.ndim)
        ok = np.abs(found - expected) <= atol + rtol * (np.abs(expected) + scale * np.abs(directions).reshape(len(directions), -1).sum(1))
    elif claim.quantity in grads:
        ok = np.abs(grads[claim.quantity] - claimed) <= atol + rtol * (np.abs(claimed) + scale)
    else:
        return False
    return bool(np.all(ok)) and not np.any(doubted.get(claim.quantity, False))


# Engine runs at the random points, shared by the claims and cases that ask the same at the same point (a case's
# claims on x and on y, a float32 case and its float64 twin: each is checked at float64 points): by what, and the
# problem's exact_key, which holds its program, inputs, wrt, grad_output and second-order request.
_at_points: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
MAX_SHARED_RUNS = 256
MAX_SHARED_ELEMENTS = 100_000  # inputs larger than this are run again rather than kept


def _shared(what: str, problem: Problem, compute: Callable[[], Any]) -> Any:
    """``compute()``, once per ``what`` and problem (by its exact_key) among the last MAX_SHARED_RUNS."""
    if sum(value.size for value in problem.inputs.values()) > MAX_SHARED_ELEMENTS:
        return compute()
    key = (what, problem.dtype, problem.exact_key)
    if key in _at_points:
        _at_points.move_to_end(key)
        return _at_points[key]
    found = _at_points[key] = compute()
    if len(_at_points) > MAX_SHARED_RUNS:
        _at_points.popitem(last=False)
    return found


def _numpy_at(problem: Problem, kind: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The numpy engine's value and the derivatives a claim of ``kind`` is compared with: gradients, or second order."""
    from verifygrad.engines import numpy_engine

    result = numpy_engine.run(problem)
    return result.value, result.grads if kind == "formula" else _second_order(problem)


def _moved(problem: Problem, point: dict[str, np.ndarray]) -> Problem | None:
    """The problem at another point; a program compiled at the case's values (an if, x[x > 0]) compiled again there."""
    moved = dataclasses.replace(problem, inputs=point, dtype="float64")
    if not problem.program.at_values:
        return moved
    try:
        program = compile_program(problem.program.text, point, output=problem.program.output)
        shapes = tuple(program.shapes({name: value.shape for name, value in point.items()}))
    except ExprError:
        return None
    return dataclasses.replace(moved, program=program, shapes=shapes) if shapes[-1] == problem.output_shape else None


def _claimed(claim: Claim, problem: Problem, inputs: dict[str, np.ndarray]) -> np.ndarray:
    from verifygrad.engines import numpy_engine

    value = numpy_engine.forward(claim.formula, inputs, "float64")[-1]
    shape = problem.inputs[claim.quantity].shape if claim.kind == "formula" else problem.second_quantities[claim.quantity]
    return np.broadcast_to(np.asarray(value, np.float64), shape)


def _second_order(problem: Problem) -> dict[str, np.ndarray]:
    from verifygrad.engines import numpy_second_order

    return numpy_second_order.quantities(problem)


def _true_name(claim: Claim) -> str:
    """What the claim is about, as the report names it: ∂/∂x, the Hessian block H[x,y] or the Jacobian J[x]."""
    return f"∂/∂{claim.quantity}" if claim.kind == "formula" else claim.quantity


def _cancelled(claim: Claim, inputs: dict[str, np.ndarray]) -> float:
    """The size of the terms the claimed formula adds or subtracts (which may cancel): the largest sum of their magnitudes."""
    from verifygrad.engines import numpy_engine

    values = numpy_engine.forward(claim.formula, inputs, "float64", keep=True)
    sizes = [0.0]
    for node in claim.formula.nodes:
        if node.op in ("add", "sub"):
            sizes.append(float(np.max(np.abs(values[node.args[0]]), initial=0.0) + np.max(np.abs(values[node.args[1]]), initial=0.0)))
        elif node.op in ("sum", "mean"):
            sizes.append(float(np.sum(np.abs(values[node.args[0]]))))
    finite = [size for size in sizes if np.isfinite(size)]
    return max(finite)


def _differs(claim: Claim, point: dict[str, np.ndarray], claimed: np.ndarray, gradient: np.ndarray, whose: str, terms: float = 0.0) -> str | None:
    """'wrong (differs at x = 0.5: claimed 1.5, true ∂/∂x = 0.75)', or None where they agree (non-finite truths left out).

    ``terms``: the size of the terms the claim cancels; rounding leaves up to CANCELLED_RTOL of it where the truth is tiny."""
    gradient = np.asarray(gradient, np.float64)
    finite = np.isfinite(gradient)
    scale = float(np.max(np.abs(gradient[finite]), initial=0.0))
    allowed = NUMERIC_RTOL * (np.abs(gradient) + scale) + CANCELLED_RTOL * terms + 1e-300
    bad = finite & ~(np.abs(claimed - gradient) <= allowed)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    element = f"[{','.join(map(str, index))}]" if index else ""
    return (
        f"wrong (differs at {_describe(point, *_input_element(claim, point, index))}: claimed {claimed[index]:.6g}, "
        f"{whose} {_true_name(claim)}{element} = {gradient[index]:.6g})"
    )


def _input_element(claim: Claim, point: dict[str, np.ndarray], index: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """The input and its element a claim's element is about: for H[x,y][i,j], x[i]; for J[x][i,j], x[j]; for Jv[i], the
    first input's element i where it has the output's shape (its first element otherwise)."""
    if claim.kind == "jvp_formula":
        name = next(iter(point))
        return name, index if len(index) == np.ndim(point[name]) else (0,) * np.ndim(point[name])
    if claim.kind == "jacobian_formula":
        name = claim.quantity[2:-1]
        return name, index[len(index) - np.ndim(point[name]) :]
    if claim.kind != "hessian_formula":
        return claim.quantity, index
    name = claim.quantity[2:-1].split(",")[0]
    return name, index[: np.ndim(point[name])]


def _describe(point: dict[str, np.ndarray], name: str, index: tuple[int, ...]) -> str:
    """The point, shortly: each scalar input, and the differentiated input's element in question."""
    parts = []
    for other, value in point.items():
        if value.shape == ():
            parts.append(f"{other} = {float(value):.6g}")
        elif other == name or value.shape == point[name].shape:
            element = value[index] if value.shape == point[name].shape else value.flat[0]
            parts.append(f"{other}[{','.join(map(str, index))}] = {float(element):.6g}")
    return ", ".join(parts[:4]) or "the case's inputs"


# Symbolic checks sent ahead to the SymPy worker, per problem, by the claim's id (with the claim): see send_ahead.
_sent: weakref.WeakKeyDictionary[Problem, dict[int, tuple[Claim, Pending]]] = weakref.WeakKeyDictionary()


def send_ahead(claims: list[Claim], problem: Problem) -> None:
    """Send each formula claim's symbolic check to the SymPy worker now, to run there while the engines run here.

    NOTE: a claim found wrong at the case's inputs needs no symbolic check: its answer is left unread.
    """
    from verifygrad.process import limits, worker

    seconds = limits.current().time_limit
    formulas = [claim for claim in claims if claim.kind in FORMULA_KINDS]
    if seconds <= 0 or not formulas:
        return
    points = sample_points(problem)
    sent = _sent.setdefault(problem, {})
    for claim in formulas:
        sent[id(claim)] = (claim, worker.submit("verifygrad.verdict.formulas:shared_check", problem, claim, points, seconds=seconds))


def _time_limited_symbolic(claim: Claim, problem: Problem, points: list[dict[str, np.ndarray]]) -> ClaimCheck:
    """The symbolic check, in the SymPy worker under the time limit (sp.simplify can take forever).

    NOTE: running out of time leaves the claim to the numeric check; it never makes a claim wrong.
    """
    from verifygrad.process import limits, worker

    seconds = limits.current().time_limit
    if seconds <= 0:
        return shared_check(claim, points, problem=problem)
    sent_claim, sent = _sent.get(problem, {}).pop(id(claim), (None, None))
    try:
        if sent is not None and sent_claim is claim:
            return sent.result()
        return worker.call("verifygrad.verdict.formulas:shared_check", problem, claim, points, seconds=seconds)
    except worker.TimedOut as err:
        return ClaimCheck(claim, None, f"unchecked: {err}")
    except Exception as err:  # noqa: BLE001 - SymPy failing on one claim must not end the run
        reason = str(err) if isinstance(err, worker.RemoteError) else f"{type(err).__name__}: {err}"
        return ClaimCheck(claim, None, f"unchecked: SymPy failed: {reason.splitlines()[0]}")


def shared_check(claim: Claim, points: list[dict[str, np.ndarray]], problem: Problem) -> ClaimCheck:
    """check_symbolically, once per distinct problem and claim (a float32 copy of a case shares its float64 twin's)."""
    from verifygrad.engines.sympy import shared

    about = (claim.kind, claim.quantity, claim.formula.key, tuple(v.tobytes() for point in points for v in point.values()))
    found = shared.once("formula", problem, lambda: check_symbolically(claim, points, problem), about)
    return dataclasses.replace(found, claim=claim)


def check_symbolically(claim: Claim, points: list[dict[str, np.ndarray]], problem: Problem) -> ClaimCheck:
    """Compare the claim with SymPy's derivative at 30 digits at the inputs and random points, then try to prove them equal."""

    from verifygrad.engines import EngineSkipped
    from verifygrad.engines.sympy import expand as symbolic

    try:
        derivation = symbolic.derive(problem)
        symbolic.check_exponents(claim.formula, problem.inputs)
    except EngineSkipped as skip:
        return ClaimCheck(claim, None, f"unchecked: {skip}")
    derived = {
        "formula": lambda: derivation.grads[claim.quantity],
        "hessian_formula": lambda: _hessian_block(claim.quantity, derivation),
        "jacobian_formula": lambda: _jacobian(claim.quantity, derivation, problem),
        "jvp_formula": lambda: _jvp(derivation, problem),
    }[claim.kind]()
    claimed = np.broadcast_to(symbolic.build(claim.formula, derivation.symbols, derivation.substitution), derived.shape)
    pairs = [(claimed[index], derived[index], index) for index in np.ndindex(*derived.shape)]
    substitutions = [(derivation.substitution, [symbolic.to_float(true, derivation.substitution) for _, true, _ in pairs])]
    for point in points if not problem.program.at_values else ():  # NOTE: compiled at the case's values, it means the case there only
        substitution = {s: symbolic.precise(float(v)) for name, value in point.items() for s, v in zip(derivation.symbols[name].flat, value.flat)}
        truths = []
        for _, true, _ in pairs:
            truths.append(symbolic.to_float(true, substitution))
            if not np.isfinite(truths[-1]):
                break
        else:
            substitutions.append((substitution, truths))
        if len(substitutions) > SYMBOLIC_POINTS:
            break
    for substitution, truths in substitutions:
        for (said, true, index), true_value in zip(pairs, truths):
            said_value = symbolic.to_float(said, substitution)
            if np.isnan(true_value):
                continue
            off = abs(said_value - true_value)
            if not off <= FORMULA_RTOL * abs(true_value) and not off <= TERMS_FLOOR * max(_terms(said, substitution), _terms(true, substitution)):
                element = f"[{','.join(map(str, index))}]" if index else ""
                at = _describe_symbols(said, true, substitution)
                text = f"wrong (differs at {at}: claimed {said_value:.6g}, true {_true_name(claim)}{element} = {true_value:.6g})"
                return ClaimCheck(claim, False, text)
    if problem.program.at_values:
        return ClaimCheck(claim, None, "unchecked: not proven (the program was compiled at the case's values)")
    if len(pairs) <= MAX_PROOF_ELEMENTS and all(simplifies_to_zero(said - true) for said, true, _ in pairs):
        return ClaimCheck(claim, True, "proven")
    return ClaimCheck(claim, None, "unchecked: not proven")


def _terms(expression, substitution: dict) -> float:
    """The size of the terms a sum adds (and may cancel): the sum of their absolute values, at 30 digits."""
    import sympy as sp

    from verifygrad.engines.sympy import expand as symbolic

    expression = sp.sympify(expression)
    terms = expression.args if isinstance(expression, sp.Add) else (expression,)
    sizes = [abs(symbolic.to_float(term, substitution)) for term in terms]
    return float(np.nansum(sizes)) if all(np.isfinite(sizes) | np.isnan(sizes)) else 0.0


def simplifies_to_zero(expression) -> bool:
    """``sp.simplify(expression) == 0``, simplified once per shape of expression: the difference at x[0] and
    at x[1] of an elementwise claim is one expression with its symbols renamed (same assumptions)."""
    import sympy as sp

    symbols = sorted(sp.sympify(expression).free_symbols, key=str)
    renamed = {symbol: sp.Symbol(f"_s{k}", **symbol.assumptions0) for k, symbol in enumerate(symbols)}
    return _simplifies_to_zero(sp.sympify(expression).xreplace(renamed))


@functools.lru_cache(maxsize=1024)
def _simplifies_to_zero(expression) -> bool:
    import sympy as sp

    return sp.simplify(expression) == 0


def _hessian_block(quantity: str, derivation) -> np.ndarray:
    """The symbolic Hessian block H[x,y] (shape x.shape + y.shape), from the expanded gradient."""
    from verifygrad.engines.sympy.second import derivatives

    x, y = quantity[2:-1].split(",")
    return derivatives(derivation.grads[x], derivation.symbols[y])


def _jacobian(quantity: str, derivation, problem: Problem) -> np.ndarray:
    """The symbolic Jacobian J[x] (shape output.shape + x.shape) of the expanded output."""
    from verifygrad.engines.sympy.second import derivatives

    return derivatives(derivation.output.reshape(problem.output_shape), derivation.symbols[quantity[2:-1]])


def _jvp(derivation, problem: Problem) -> np.ndarray:
    """The symbolic J·t of the expanded output along the case's tangents."""
    from verifygrad.engines.sympy.second import jvp_entries

    return jvp_entries(derivation.output.reshape(problem.output_shape), derivation.symbols, problem.wrt, problem.second.tangents)


def _describe_symbols(said, true, point: dict) -> str:
    import sympy as sp

    involved = sorted((sp.sympify(said).free_symbols | true.free_symbols) & set(point), key=str)
    involved = involved or sorted(point, key=str)
    return ", ".join(f"{s} = {float(point[s]):.6g}" for s in involved[:4])
