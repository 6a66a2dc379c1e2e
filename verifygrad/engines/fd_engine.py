"""Finite differences: the gradient from forward values alone, independent of every derivative rule.

Only ``numpy_engine.forward`` is called, never a VJP.  Each derivative is a
central difference along a direction ``v``, ``D(t) = (f(x + t v) - f(x - t v)) / 2t``,
Richardson-extrapolated from the steps ``t`` and ``t/2``: ``(4 D(t/2) - D(t)) / 3``
cancels the ``t**2`` error term, leaving ``t**4`` truncation and about
``3 eps |f| / t`` rounding.  The step that balances those two is ``eps**(1/5)``
(about 7e-4 in float64), scaled per element by ``max(1, |x|)``; the
``eps**(1/3)`` step of a plain central difference would leave rounding, not
truncation, as the larger error and waste the extrapolation.

NOTE: always computed in float64, at the inputs as written, whatever the case's
dtype: in float32 the rounding error ``eps32 |f| / t`` alone would be about 1e-4
relative, as large as the tolerance, and float32 arithmetic is already checked by
the numpy and torch engines; fd checks the derivative rules.

Where fd's number is doubtful (see ``derivative``) it says so in ``unchecked``
and the comparison leaves that element or direction out, saying which.

Up to ``MAX_PER_ELEMENT`` elements of an input (and ``MAX_PER_ELEMENT_WORK``
elements computed in all), every element is its own direction (6 forward
evaluations each: steps t, t/2 and t/4, both ways).  Above that, the cost would
grow with the square of the size, so fd checks ``DIRECTIONS`` seeded random
directions ``v`` per input instead, and reports ``<grad, v>`` rather than a gradient array
(like torch gradcheck's fast mode); ``compare.compare_engines`` projects the
reference gradient onto the same directions.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult
from verifygrad.engines.numpy_engine import forward
from verifygrad.language.evaluate import program_value
from verifygrad.language.ops import OPS
from verifygrad.language.parse import Node, Program

EPS = float(np.finfo(np.float64).eps)
STEP = EPS ** (1 / 5)
MAX_PER_ELEMENT = 2_000
MAX_PER_ELEMENT_WORK = 10**7  # elements differentiated times elements the program computes per evaluation
DIRECTIONS = 4
SEED = 0
# fd's own error after Richardson, relative and absolute: the floor under the case's tolerance.
FD_RTOL = 1e-6
FD_ATOL = 1e-8
# Units of float64 rounding in each value fd differences (a sum's partial sums round at its size: a few units).
ROUNDING_ULPS = 8


# The same for second differences, whose rounding is eps/t**2 relative to f rather than to the derivative.
FD2_RTOL = 1e-5
FD2_ATOL = 1e-6


def fd_tolerance(rtol: float, atol: float, quantity: str = "") -> tuple[float, float]:
    """(rtol, atol) for comparing fd with the reference: the case's, but never tighter than fd's own error."""
    if quantity.startswith(("H[", "Hv[", "D")):  # Hessians, Hessian-vector products, higher order: second differences and beyond
        return max(rtol, FD2_RTOL), max(atol, FD2_ATOL)
    return max(rtol, FD_RTOL), max(atol, FD_ATOL)


def run(problem: Problem) -> EngineResult:
    inputs = {name: np.asarray(value, dtype=np.float64) for name, value in problem.inputs.items()}
    program = frozen(problem.program, inputs)
    jumps = step_nodes(program)
    keep = bool(jumps)  # NOTE: otherwise forward() leaves a large intermediate as a shape-only stand-in, all zeros
    values = forward(program, inputs, "float64", keep=keep)
    value = values[-1]
    weights = np.asarray(problem.grad_output, dtype=np.float64)
    center = float(np.sum(weights * value))
    steps = {i: values[i] for i in jumps}

    def objective(name: str, moved: np.ndarray) -> float:
        """<grad_output, output> with input ``name`` replaced: its gradient is what the engines report;
        nan where the move crossed a step of a piecewise-constant op (the difference then measures the step)."""
        moved_values = forward(program, {**inputs, name: moved}, "float64", keep=keep)
        if any(not np.array_equal(moved_values[i], held, equal_nan=True) for i, held in steps.items()):
            return math.nan  # NOTE: round(x, decimals=3) moves in steps of 1e-3, finer than fd's step: it looks like x
        return float(np.sum(weights * moved_values[-1]))

    grads: dict[str, np.ndarray] = {}
    directional: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    unchecked: dict[str, np.ndarray] = {}
    rounding: dict[str, np.ndarray] = {}
    rng = np.random.default_rng(SEED)
    for name in problem.wrt:
        x = inputs[name]
        f = functools.partial(objective, name)
        scale = np.maximum(1.0, np.abs(x))
        if per_element(problem, name):
            grad, doubtful, noise = np.zeros(x.shape), np.zeros(x.shape, dtype=bool), np.zeros(x.shape)
            for index in np.ndindex(*x.shape):
                direction = np.zeros(x.shape)
                direction[index] = scale[index]
                slope, doubtful[index], noise[index] = derivative(f, x, direction, center, with_noise=True)
                grad[index], noise[index] = slope / scale[index], noise[index] / scale[index]
            grads[name] = grad
            rounding[name] = noise
        else:
            directions = rng.standard_normal((DIRECTIONS, *x.shape)) * scale
            found = [derivative(f, x, v, center, with_noise=True) for v in directions]
            doubtful = np.array([d for _, d, _ in found])
            directional[name] = (directions, np.array([slope for slope, _, _ in found]))
            rounding[name] = np.array([noise for _, _, noise in found])
        if doubtful.any():
            unchecked[name] = doubtful
    detail = describe(problem) + "".join(f"; {_unchecked_text(name, mask, name in directional)}" for name, mask in unchecked.items())
    return EngineResult("fd", "ok", value=np.asarray(value, np.float64), grads=grads, directional=directional, unchecked=unchecked,
                        rounding=rounding, detail=detail)  # fmt: skip


def step_nodes(program: Program) -> list[int]:
    """The nodes of piecewise-constant ops (round, floor, ceil, trunc): flat between jumps, with no derivative rule."""
    return [i for i, node in enumerate(program.nodes) if (op := OPS.get(node.op)) is not None and op.kink is not None
            and all(vjp is None for vjp in op.vjps)]  # fmt: skip


def frozen(program: Program, inputs: dict[str, np.ndarray]) -> Program:
    """The program with each stop_gradient (detach) a constant of its value at the inputs.

    NOTE: differences of forward values see a detached value move with the inputs; the
    gradient must not, so it is held where the inputs are, as the other engines hold it.
    """
    if not any(node.op == "stop_gradient" for node in program.nodes):
        return program
    nodes = list(program.nodes)
    for i, node in enumerate(nodes):
        if node.op == "stop_gradient":
            value = program_value(Program(program.text, tuple(nodes[: i + 1])), inputs)
            nodes[i] = Node("const", (), {"value": value, "symbol": None}, node.col, node.spelling, line=node.line)
    return Program(program.text, tuple(nodes), program.notes, program.bindings)


def derivative(f: Callable[[np.ndarray], float], x: np.ndarray, direction: np.ndarray, center: float,
               with_noise: bool = False) -> tuple[float, bool] | tuple[float, bool, float]:  # fmt: skip
    """d/dt f(x + t direction) at t = 0, Richardson from the steps STEP/2 and STEP/4; and whether it is doubtful;
    ``with_noise``: also how far rounding of the values differenced may move it (``ROUNDING_ULPS`` units of the
    largest value, through the quotient and the extrapolation).

    Doubtful: a value is not finite (a step left the domain), the one-sided slopes differ by as
    much at STEP/2 as at STEP (a kink: the central difference averages the two sides), or
    Richardson from STEP and STEP/2 disagrees with it by more than fd's tolerance (the
    function is not smooth on the scale of the step).
    """
    steps = (STEP, STEP / 2, STEP / 4)
    plus = [f(x + t * direction) for t in steps]
    minus = [f(x - t * direction) for t in steps]
    central = [(p - m) / (2 * t) for p, m, t in zip(plus, minus, steps)]
    coarse, fine = (4 * central[1] - central[0]) / 3, (4 * central[2] - central[1]) / 3
    if not all(math.isfinite(v) for v in (*plus, *minus, center)):
        return (coarse, True, 0.0) if with_noise else (coarse, True)
    gaps = [abs(p - 2 * center + m) / t for p, m, t in zip(plus, minus, steps)]  # one-sided slopes' difference: t f'' if smooth
    largest = max(abs(v) for v in (*plus, *minus, center))
    noise = 64 * EPS * largest / steps[2]  # rounding in the differences
    kink = gaps[1] > 0.75 * gaps[0] and gaps[1] > max(noise, FD_ATOL)
    unsteady = abs(coarse - fine) > FD_RTOL * abs(coarse) + FD_ATOL + noise
    # NOTE: the finer extrapolation is the answer: its truncation error is about |coarse - fine| / 15, so a slope that
    # passes the `unsteady` test is well inside fd's tolerance (coarse itself can sit at its edge, near a pole).
    # (4 D(t/2) - D(t)) / 3 with each D = (f+ - f-) / 2t: rounding of the f's, at most ROUNDING_ULPS units of the
    # largest, reaches (4 * 2/t + 2/(2t)) / 3 = 3/t of them, with t = STEP/2 for the finer one.
    rounding = ROUNDING_ULPS * EPS * largest * 3 / steps[1]
    return (fine, kink or unsteady, rounding) if with_noise else (fine, kink or unsteady)


def _unchecked_text(name: str, mask: np.ndarray, along_directions: bool) -> str:
    """Which of fd's numbers are not compared, for the detail line."""
    if along_directions:
        return f"{int(mask.sum())} of {mask.size} directions for {name} not compared (not smooth within the step)"
    shown = [f"{name}[{','.join(map(str, index))}]" if index else name for index in np.ndindex(*mask.shape) if mask[index]][:3]
    more = f" and {int(mask.sum()) - 3} more" if mask.sum() > 3 else ""
    return f"{', '.join(shown)}{more} not compared (not smooth within the step: a kink, or the edge of the domain)"


def per_element(problem: Problem, name: str) -> bool:
    """Whether differencing each element of input ``name`` on its own takes seconds at most."""
    size = problem.inputs[name].size
    return size <= MAX_PER_ELEMENT and size * sum(math.prod(shape) for shape in problem.shapes) <= MAX_PER_ELEMENT_WORK


def describe(problem: Problem) -> str:
    """Which mode ran for which input, and why: the report's detail line."""
    each = sum(problem.inputs[name].size for name in problem.wrt if per_element(problem, name))
    parts = [f"central differences, Richardson, {each} element{'s' if each != 1 else ''}"] if each or not problem.wrt else []
    for name in problem.wrt:
        if not per_element(problem, name):
            size = problem.inputs[name].size
            why = f"> {MAX_PER_ELEMENT}" if size > MAX_PER_ELEMENT else f"in a program of {sum(math.prod(s) for s in problem.shapes)}"
            parts.append(f"{DIRECTIONS} random directions for {name} ({size} elements {why})")
    return "fd: " + "; ".join(parts)
