"""Default tolerances from an error budget: how far rounding in the case's dtype can move each result.

The numeric engines compute in the case's dtype (unit roundoff ``u``: 2**-53 for
float64, 2**-24 for float32); the reference is exact.  Their distance from it is
rounding error, and rounding error is a first-order perturbation: every rounding
multiplies a value by ``1 + d`` with ``|d| <= u``.  So the budget re-runs the
program (forward and reverse pass, in float64) with those roundings made large
and explicit, and measures how far each result moves:

- each input and constant moves by its actual rounding to the dtype (float32), or
  by a random unit (float64: ``0.1`` as written is within ``u`` of float64's 0.1);
- every node's forward value, and every gradient a VJP produces or a sum of two
  gradients makes, is multiplied by ``1 + h*k*s``: ``s`` a seeded random sign per
  element, ``k`` the number of roundings the operation makes (``ELEMENTWISE_ULPS``
  for an elementwise op, whose libm function may be off by a few units; ``1 +
  log2(n)`` for a reduction or product over n terms, summed pairwise).

The change divided by ``h`` and multiplied by ``u``, worst element of the worst of
``DRAWS`` draws, is the estimated error ``E`` of a quantity.  This is the first-order
rounding error analysis of Linnainmaa (1976), estimated by random perturbation as
in Monte Carlo arithmetic: cancellation, ill-conditioning (``exp(30*x)``, a sum
of large terms that cancel) and reduction sizes enlarge it, a well-conditioned
computation keeps it at a few units in the last place.  The tolerances are

    atol = SAFETY * E        rtol = SAFETY * ELEMENTWISE_ULPS * u

with ``SAFETY`` covering the randomness of the signs (a sum of n perturbed terms
grows like sqrt(n), the worst case like n) and differences between the engines'
libraries.  An explicit ``tolerance:`` in the case, or ``--rtol``/``--atol``, replaces
the budget's figure it names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, Problem
from verifygrad.cases.second_order import JVP, hessian_key, hvp_key, jacobian_key, order_key
from verifygrad.errors import EngineSkipped
from verifygrad.language.ops import OPS
from verifygrad.language.parse import Program
from verifygrad.process import deadline, limits

SAFETY = 4.0
ELEMENTWISE_ULPS = 4.0  # numpy's and torch's SIMD exp/log/sin are within about 4 ULP, not correctly rounded
DRAWS = 3
STEP = 2.0**-20  # h: far above float64's rounding, small enough to stay linear
REDUCTIONS = ("sum", "mean", "logsumexp", "trace", "prod", "sum_to")
SUMS = ("sum", "mean", "trace", "matmul", "sum_to", "expm")  # results that are sums of terms: rounded at the size of the partial sums
# (exp(A)'s series: its terms' sizes add up to exp(|A|) at most)
EXPM_PRODUCTS = 24  # matrix products in decompose.expm: 18 of Taylor's, and the squarings
# Functions whose result is rounded even where it is a whole number: tanh(21) is 1 - 1.2e-18, held as 1.
TRANSCENDENTAL = (
    "exp",
    "expm1",
    "log",
    "log1p",
    "tanh",
    "sigmoid",
    "softplus",
    "sin",
    "cos",
    "tan",
    "sqrt",
    "erf",
    "erfc",
    "asin",
    "acos",
    "atan",
    "atan2",
    "lgamma",
    "polygamma",
    "besseli",
    "erfinv",
    "zeta",
    "gammainc",
    "gammaincc",
)
LINEAR_ALGEBRA = ("inv", "det", "logabsdet", "solve")  # an n x n factorization: about n roundings per result, each amplified by the condition
# Iterative decompositions (LAPACK's SVD, eigh, QR, Cholesky; pinv through SVD): about max(m, n)^2 roundings per result,
# as for a factorization. NOTE: once elementwise, the nuclear norm's gradient U V^T of a 6x5 matrix was a FAIL at 66 ulp.
DECOMPOSITIONS = ("svdvals", "svd_u", "svd_vh", "eigvalsh", "eigvecsh", "qr_q", "cholesky", "pinv")
# (rtol, atol) where the budget ran out of time (reported as such in the tolerance's source).
FALLBACK = {"float64": ((1e-7, "fallback"), (1e-9, "fallback")), "float32": ((1e-4, "fallback"), (1e-5, "fallback"))}


class BudgetFailed(Exception):
    """The error budget raised: the case is an error with its reason, never silently held to a loose tolerance."""


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    source: str  # "budget", "case" (its `tolerance:`), "command line", or a mix such as "budget+case"


def tolerances(case: Case, problem: Problem, overrides: Overrides, engine_failed: bool = False) -> dict[str, Tolerance]:
    """Per quantity ("value" and each differentiated input): the budget, with explicit settings replacing it.

    A budget that fails raises BudgetFailed, unless an engine already failed (``engine_failed``): the case is
    an ERROR for that engine's reason, and the other engines are compared under the fixed fallback, reported.
    """
    explicit: dict[str, tuple[float, str]] = {}
    for key in ("rtol", "atol"):
        if getattr(overrides, key) is not None:
            explicit[key] = (float(getattr(overrides, key)), "command line")
        elif key in case.tolerance:
            explicit[key] = (float(case.tolerance[key]), "case")
    rtol = explicit.get("rtol", (SAFETY * ELEMENTWISE_ULPS * unit_roundoff(problem.dtype), "budget"))
    quantities = ("value", *problem.wrt, *problem.second_quantities)
    if "atol" in explicit:  # NOTE: then the budget's perturbed runs are not needed at all
        return {quantity: _tolerance(rtol, explicit["atol"]) for quantity in quantities}
    try:
        with deadline.limited(limits.current().part_time):
            estimates = {**error_estimates(problem), **second_order_estimates(problem)}
    except (deadline.PartTimedOut, EngineSkipped) as err:  # the report says why the tolerance is a fixed one
        return _fallback(problem, explicit, quantities, f"error budget {err}")
    except Exception as err:  # noqa: BLE001 - any other failure is the case's error, with its reason
        why = f"error budget failed: {type(err).__name__}: {err}".splitlines()[0]
        if engine_failed:
            return _fallback(problem, explicit, quantities, why)
        raise BudgetFailed(why) from err
    return {quantity: _tolerance(rtol, (SAFETY * error, "budget")) for quantity, error in estimates.items()}


def _fallback(problem: Problem, explicit: dict[str, tuple[float, str]], quantities: tuple[str, ...], why: str) -> dict[str, Tolerance]:
    """The fixed tolerance of the case's dtype, its source saying why the budget could not be used."""
    rtol, atol = ((value, f"fallback: {why}") for value, _ in FALLBACK[problem.dtype])
    return {quantity: _tolerance(explicit.get("rtol", rtol), explicit.get("atol", atol)) for quantity in quantities}


def second_order_estimates(problem: Problem) -> dict[str, float]:
    """E of each second-order quantity: the budget of the derived program that computes it.

    A Hessian column is the gradient of ``<grad f, v>``; a Jacobian row the gradient of one
    output element (bounded by the gradient's E with grad_output of ones); a JVP the
    gradient of ``<J^T u, t>`` with respect to ``u``.
    """
    second = problem.second
    if second is None:
        return {}
    from verifygrad.language import derivatives

    shapes = {name: value.shape for name, value in problem.inputs.items()}
    found: dict[str, float] = {}
    if second.hessian:
        rng = np.random.default_rng(0)
        directions = second.directions or {name: rng.choice((-1.0, 1.0), size=shapes[name]) for name in problem.wrt}
        program = derivatives.hvp_program(problem.program, shapes, problem.wrt)
        moved = _derived(problem, program, {derivatives.tangent(name): directions[name] for name in problem.wrt}, problem.wrt)
        for x, error in error_estimates(moved).items():
            found.update({key: error for key in (hvp_key(x), *(hessian_key(x, y) for y in problem.wrt)) if key in problem.second_quantities})
    for x in problem.wrt if second.order else ():  # the Hessian of the (n-2)-th derivative's program
        program = problem.program
        for _ in range(second.order - 2):
            program = derivatives.gradient_program(program, shapes, x)
        moved = _derived(problem, derivatives.hvp_program(program, shapes, (x,)), {derivatives.tangent(x): np.ones(shapes[x])}, (x,))
        found[order_key(x, second.order)] = error_estimates(moved)[x]
    if second.jacobian:
        ones = replace(problem, grad_output=np.ones(problem.output_shape))
        found.update({jacobian_key(name): error for name, error in error_estimates(ones).items() if name != "value"})
    if second.tangents is not None:
        program = derivatives.jvp_program(problem.program, shapes, problem.wrt)
        leaves = {derivatives.COTANGENT: np.zeros(problem.output_shape), **{derivatives.tangent(name): second.tangents[name] for name in problem.wrt}}
        found[JVP] = error_estimates(_derived(problem, program, leaves, (derivatives.COTANGENT,)))[derivatives.COTANGENT]
    return found


def _derived(problem: Problem, program: Program, leaves: dict[str, np.ndarray], wrt: tuple[str, ...]) -> Problem:
    """A scalar problem over a derived program, whose gradient for ``wrt`` is a second-order quantity."""
    inputs = {**problem.inputs, **leaves}
    shapes = tuple(program.shapes({name: value.shape for name, value in inputs.items()}))
    return Problem(program, inputs, wrt, np.ones(()), problem.dtype, problem.device, shapes)


def _tolerance(rtol: tuple[float, str], atol: tuple[float, str]) -> Tolerance:
    return Tolerance(rtol[0], atol[0], "+".join(dict.fromkeys((rtol[1], atol[1]))))


def unit_roundoff(dtype: str) -> float:
    return float(np.finfo(dtype).eps) / 2


def error_estimates(problem: Problem) -> dict[str, float]:
    """The estimated rounding error E of the value and of each gradient (see the module's docstring)."""
    unit = unit_roundoff(problem.dtype)
    with np.errstate(all="ignore"):
        base = evaluate(problem, None)
        worst = {quantity: 0.0 for quantity in base}
        rng = np.random.default_rng(0)
        for _ in range(DRAWS):
            moved = evaluate(problem, Perturbation(problem.dtype, rng))
            for quantity, value in moved.items():
                change = np.abs(value - base[quantity])
                change = change[np.isfinite(change)]
                if change.size:
                    worst[quantity] = max(worst[quantity], float(change.max()) / STEP * unit)
    return worst


_SIGNS = np.array((-1.0, 1.0))


class Perturbation:
    """Roundings made explicit: leaves by their actual rounding to the dtype, results by seeded random signs."""

    def __init__(self, dtype: str, rng: np.random.Generator):
        self.dtype, self.rng = dtype, rng
        self.exact_below = 2.0 ** (np.finfo(dtype).nmant + 1)

    def leaf(self, value: np.ndarray) -> np.ndarray:
        """An input or constant as the engines hold it: rounded to the dtype from the number as written."""
        if self.dtype == "float64":  # NOTE: 0.1 as written is within a unit of float64(0.1), which way unknown
            return self.result(value, 1.0)
        # NOTE: amplified by STEP/unit like every other rounding, and divided back out in error_estimates.
        return _infinities_kept(value, value + (value.astype(self.dtype).astype(np.float64) - value) * (STEP / unit_roundoff(self.dtype)))

    def result(self, value: np.ndarray, roundings: float, magnitude: np.ndarray | None = None, whole_exact: bool = True) -> np.ndarray:
        """``value`` moved by ``roundings`` units of ``magnitude``: its own size, or for a sum the size of its partial sums.

        ``whole_exact``: whether a whole number is an exact result (of arithmetic), or may be a rounded one
        (tanh near saturation: then 1 - tanh² cancels to 0 in every float library, and the budget must say so).
        """
        magnitude = np.abs(value) if magnitude is None else magnitude
        # NOTE: integers the dtype holds exactly are taken as exact results (2*1.5, exp(0)): perturbing
        # them would turn x**2 of a negative x into x**2.000001, NaN, and hide every other rounding.
        # A sum is exact only if its partial sums are too: 9e15 + 9e15 + 1 - 9e15 - 9e15 is 1 but rounds on the way.
        exact = (value == np.rint(value)) & (magnitude < self.exact_below) & whole_exact  # NOTE: rint is round(x, 0), without its wrapper
        # NOTE: rng.choice((-1.0, 1.0), size) draws these same signs (the same integers), at four times the cost
        signs = np.where(exact, 0.0, _SIGNS[self.rng.integers(0, 2, size=np.shape(value), dtype=np.int64)])
        return _infinities_kept(value, value + STEP * roundings * signs * magnitude)


def _infinities_kept(value: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """``moved``, but ±inf where ``value`` is: infinity is exact (a masked reduction's fill), and moved it would be nan."""
    infinite = np.isinf(value)
    return np.where(infinite, value, moved) if infinite.any() else moved


def roundings(problem: Problem, index: int) -> float:
    """How many roundings node ``index`` makes in each element of its result, at most."""
    node = problem.program.nodes[index]
    if node.op in REDUCTIONS:
        terms = math.prod(problem.shapes[node.args[0]]) // max(math.prod(problem.shapes[index]), 1)
    elif node.op == "matmul":
        terms = problem.shapes[node.args[0]][-1]
    elif node.op in LINEAR_ALGEBRA:
        terms = problem.shapes[node.args[0]][0] ** 2
    elif node.op in DECOMPOSITIONS:
        terms = max(problem.shapes[node.args[0]][-2:]) ** 2
    elif node.op == "expm":
        terms = problem.shapes[node.args[0]][-1] * EXPM_PRODUCTS
    elif node.op == "cumsum":
        terms = problem.shapes[index][node.attrs["dim"]]
    else:
        return ELEMENTWISE_ULPS
    return ELEMENTWISE_ULPS + math.log2(max(terms, 1))


def evaluate(problem: Problem, perturb: Perturbation | None) -> dict[str, np.ndarray]:
    """The value and the gradients in float64, every rounding perturbed by ``perturb`` where given.

    NOTE: a plain interpreter rather than the numpy engine: the budget needs every
    value and every VJP's result, which the engine's plan drops or never exposes.
    """
    return backward(problem, forward(problem, perturb), perturb)


def forward(problem: Problem, perturb: Perturbation | None = None) -> list[np.ndarray]:
    """Every node's value, in float64."""
    values: list[np.ndarray] = []
    for i, node in enumerate(problem.program.nodes):
        deadline.check()
        if node.op in ("input", "const"):
            value = problem.inputs[node.attrs["name"]] if node.op == "input" else node.attrs["value"]
            values.append(perturb.leaf(value) if perturb else value)
            continue
        args = [values[j] for j in node.args]
        value = np.asarray(OPS[node.op].forward(*args, **node.attrs))
        if perturb:
            summed = np.abs(OPS[node.op].forward(*map(np.abs, args), **node.attrs)) if node.op in SUMS else None
            value = perturb.result(value, roundings(problem, i), summed, whole_exact=node.op not in TRANSCENDENTAL)
        values.append(value)
    return values


def backward(problem: Problem, values: list[np.ndarray], perturb: Perturbation | None = None,
             slopes: dict[int, tuple[np.ndarray, float]] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """The value and the gradients from forward()'s values; ``slopes`` sets a unary node's derivative where its mask is set
    (for an op with ``kink_vjps``, the tied elements' share of g)."""
    from verifygrad.engines.numpy_engine import unbroadcast

    nodes = problem.program.nodes
    grads: list[np.ndarray | None] = [None] * len(nodes)
    grads[-1] = problem.grad_output
    for i in reversed(range(len(nodes))):
        deadline.check()
        node, g = nodes[i], grads[i]
        if g is None or node.op in ("input", "const"):
            continue
        op = OPS[node.op]
        args = [values[j] for j in node.args]
        for argnum, (vjp, j) in enumerate(zip(op.vjps, node.args)):
            if vjp is None:
                continue
            if slopes and i in slopes and op.kink_vjps:  # a tie: the tied elements' share of g set
                grad = np.asarray(op.kink_vjps[argnum](g, values[i], *args, share=slopes[i][1], **node.attrs), dtype=np.float64)
            else:
                grad = np.asarray(vjp(g, values[i], *args, **node.attrs), dtype=np.float64)
            if slopes and i in slopes and not op.kink_vjps:
                mask, slope = slopes[i]
                grad = np.where(mask, g * slope, grad)
            if op.broadcasts:
                grad = unbroadcast(grad, np.shape(args[argnum]))
            if perturb:
                summed = np.abs(vjp(np.abs(g), np.abs(values[i]), *map(np.abs, args), **node.attrs)) if node.op in SUMS else None
                grad = perturb.result(grad, roundings(problem, i), None if summed is None or op.broadcasts else summed)
            total = grad if grads[j] is None else grads[j] + grad
            grads[j] = perturb.result(total, 1.0, np.abs(grads[j]) + np.abs(grad)) if perturb and grads[j] is not None else total
    by_name = {node.attrs["name"]: i for i, node in enumerate(nodes) if node.op == "input"}
    out = {"value": values[-1]}
    for name in problem.wrt:
        grad = grads[by_name[name]] if name in by_name else None
        out[name] = np.zeros(problem.inputs[name].shape) if grad is None else np.broadcast_to(grad, problem.inputs[name].shape)
    return out
