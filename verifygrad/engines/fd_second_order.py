"""Finite differences of second order and forward mode: forward values only, never a derivative rule.

A Hessian element is a second difference: on the diagonal
``D(t) = (f(x + t u) - 2 f(x) + f(x - t u)) / t**2``, off it the four-point mixed difference
``(f(+u,+v) - f(+u,-v) - f(-u,+v) + f(-u,-v)) / (4 t**2)``, each Richardson-extrapolated
from ``t`` and ``t/2``, ``(4 D(t/2) - D(t)) / 3``, which leaves ``t**4`` truncation and
about ``16 eps |f| / t**2`` rounding: balanced at ``t = eps**(1/6)`` (about 2.5e-3).
Jacobians and JVPs are central first differences of the whole output, as the gradient is.

Small Hessians are differenced element by element; larger ones (and every Hessian-vector
product) along ``DIRECTIONS`` seeded random directions ``u``: fd reports ``u·H·v``, and the
comparison projects the other engines' arrays on the same directions, as for gradients.
The doubt rules are the first-order ones: a value that is not finite, or Richardson from
``t/2`` and ``t/4`` disagreeing with it (a kink: relu'' does not exist at 0), and the number
is left out of the comparison and said so. A derivative of higher order (``order: n``) is the n-th central
difference, Richardson-extrapolated, its rounding (``eps |f| / t**n``) allowed for in the comparison.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.cases.second_order import JVP, hessian_key, hvp_key, jacobian_key, order_key
from verifygrad.engines import EngineResult
from verifygrad.engines.fd_engine import DIRECTIONS, EPS, FD2_ATOL, FD2_RTOL, FD_ATOL, FD_RTOL, SEED, STEP, frozen
from verifygrad.engines.numpy_engine import forward

SECOND_STEP = EPS ** (1 / 6)
PER_ELEMENT_MAX = 24  # differentiated elements in all: up to 300 pairs of 12 evaluations each

Found = tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray]]  # grads, directional, unchecked
Rounding = dict[str, np.ndarray]  # how far rounding in the differences may move a derivative of higher order


def complete(result: EngineResult, problem: Problem) -> None:
    """Add the second-order quantities to fd's result: arrays, directional numbers, and the ones it doubts."""
    (grads, directional, unchecked), how = quantities(problem)
    rounding = higher_order(problem, grads, unchecked)
    if rounding:
        how = "; ".join(part for part in (how, f"order {problem.second.order}: central differences, Richardson") if part)
    result.rounding.update(rounding)
    result.grads.update(grads)
    result.directional.update(directional)
    result.unchecked.update(unchecked)
    result.detail += f"; second order: {how}" + "".join(f"; {name}: {int(mask.sum())} of {mask.size} not compared" for name, mask in unchecked.items())


def quantities(problem: Problem) -> tuple[Found, str]:
    """fd's second-order and forward-mode quantities, and a line saying how they were found."""
    second, wrt = problem.second, problem.wrt
    inputs = {name: np.asarray(value, dtype=np.float64) for name, value in problem.inputs.items()}
    program = frozen(problem.program, inputs)  # NOTE: a detached value held where the inputs are, as for the gradient

    def output(steps: dict[str, np.ndarray]) -> np.ndarray:
        """The output with each named input moved by its step."""
        moved = {name: inputs[name] + step for name, step in steps.items()}
        return np.asarray(forward(program, {**inputs, **moved}, "float64")[-1], dtype=np.float64)

    def scalar(steps: dict[str, np.ndarray]) -> float:
        return float(output(steps))

    grads: dict[str, np.ndarray] = {}
    directional: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    unchecked: dict[str, np.ndarray] = {}
    how: list[str] = []
    rng = np.random.default_rng(SEED)
    center = float(output({})) if second.hessian else 0.0
    total = sum(inputs[name].size for name in wrt)
    if second.hessian and second.directions is None and total <= PER_ELEMENT_MAX:
        how.append(f"second differences, Richardson, {total * (total + 1) // 2} element pairs")
        for x in wrt:
            for y in wrt:
                block, doubtful = np.zeros(inputs[x].shape + inputs[y].shape), np.zeros(inputs[x].shape + inputs[y].shape, dtype=bool)
                for i in np.ndindex(*inputs[x].shape):
                    for j in np.ndindex(*inputs[y].shape):
                        u, v = _unit(inputs, x, i), _unit(inputs, y, j)
                        found, doubtful[i + j] = second_derivative(scalar, u, v, center)
                        block[i + j] = found / (_scale(u) * _scale(v))
                grads[hessian_key(x, y)] = block
                if doubtful.any():
                    unchecked[hessian_key(x, y)] = doubtful
    elif second.hessian:
        pairs = [(x, y) for x in wrt for y in wrt] if second.directions is None else [(x, None) for x in wrt]
        how.append(f"{DIRECTIONS} random directions per {'block' if second.directions is None else 'input'} ({total} elements)")
        for x, y in pairs:
            along_x = rng.standard_normal((DIRECTIONS, *inputs[x].shape))
            found = []
            for u_x in along_x:
                if y is None:  # u·(H v)[x], v over every input
                    v = {name: second.directions[name] for name in wrt}
                    found.append((np.asarray(u_x), second_derivative(scalar, {x: u_x}, v, center)))
                else:
                    v_y = rng.standard_normal(inputs[y].shape)
                    found.append((np.multiply.outer(u_x, v_y), second_derivative(scalar, {x: u_x}, {y: v_y}, center)))
            key = hvp_key(x) if y is None else hessian_key(x, y)
            directional[key] = (np.array([d for d, _ in found]), np.array([value for _, (value, _) in found]))
            doubtful = np.array([d for _, (_, d) in found])
            if doubtful.any():
                unchecked[key] = doubtful
    if second.jacobian:
        how.append("central differences of the output per input element")
        for x in wrt:
            block = np.zeros(problem.output_shape + inputs[x].shape)
            doubtful = np.zeros(block.shape, dtype=bool)
            for i in np.ndindex(*inputs[x].shape):
                unit = _unit(inputs, x, i)
                column, doubtful[(..., *i)] = first_derivative(output, unit)
                block[(..., *i)] = column / _scale(unit)
            grads[jacobian_key(x)] = block
            if doubtful.any():
                unchecked[jacobian_key(x)] = doubtful
    if second.tangents is not None:
        how.append("a central difference along the tangents")
        grads[JVP], doubtful = first_derivative(output, dict(second.tangents))
        if doubtful.any():
            unchecked[JVP] = doubtful
    return (grads, directional, unchecked), "; ".join(how)


def higher_order(problem: Problem, grads: dict[str, np.ndarray], unchecked: dict[str, np.ndarray]) -> Rounding:
    """``order: n``: the n-th central difference of the output along each one-element input, Richardson-extrapolated;
    its rounding (which grows as eps / t**n) is returned, to be allowed for in the comparison."""
    if problem.second is None or not problem.second.order:
        return {}
    inputs = {name: np.asarray(value, dtype=np.float64) for name, value in problem.inputs.items()}
    program = frozen(problem.program, inputs)
    order, rounding = problem.second.order, {}

    def scalar(steps: dict[str, np.ndarray]) -> float:
        return float(np.asarray(forward(program, {**inputs, **{n: inputs[n] + s for n, s in steps.items()}}, "float64")[-1]))

    for x in problem.wrt:
        unit = _unit(inputs, x, (0,) * inputs[x].ndim)
        found, doubtful, noise = nth_derivative(scalar, unit, order)
        scale = _scale(unit) ** order
        key = order_key(x, order)
        grads[key] = np.full(inputs[x].shape, found / scale)
        rounding[key] = np.full(inputs[x].shape, noise / scale)
        if doubtful:
            unchecked[key] = np.ones(inputs[x].shape, dtype=bool)
    return rounding


def nth_derivative(f: Callable[[dict[str, np.ndarray]], float], u: dict[str, np.ndarray], order: int) -> tuple[float, bool, float]:
    """d^n/dt^n f(x + t u) at 0: the central difference ``sum_k (-1)^k C(n, k) f((n/2 - k) h) / h^n`` (error h²),
    Richardson from h and h/2 (error h⁴, so h = eps**(1/(n+4))); whether h/2 and h/4 disagree (doubtful); its rounding."""
    scale = _scale(u)
    first = EPS ** (1 / (order + 4))
    estimates, values = [], []
    for t in (first, first / 2, first / 4):
        h = t / scale
        points = [f({name: (order / 2 - k) * h * m for name, m in u.items()}) for k in range(order + 1)]
        values += points
        estimates.append(sum((-1) ** k * math.comb(order, k) * point for k, point in enumerate(points)) / h**order)
    coarse, fine = (4 * estimates[1] - estimates[0]) / 3, (4 * estimates[2] - estimates[1]) / 3
    if not all(math.isfinite(value) for value in values):
        return coarse, True, 0.0
    largest = max(abs(value) for value in values)
    noise = 2**order * 4 * EPS * largest / (first / 2 / scale) ** order  # the coarse estimate's rounding: every point off by eps
    finer = 2**order * 4 * EPS * largest / (first / 4 / scale) ** order
    return coarse, abs(coarse - fine) > FD2_RTOL * abs(coarse) + FD2_ATOL + noise + finer, noise


def _unit(inputs: dict[str, np.ndarray], name: str, index: tuple[int, ...]) -> dict[str, np.ndarray]:
    step = np.zeros(inputs[name].shape)
    step[index] = max(1.0, abs(float(inputs[name][index])))  # NOTE: steps relative to |x|; callers divide the scale back out
    return {name: step}


def _scale(moves: dict[str, np.ndarray]) -> float:
    return max((float(np.max(np.abs(m))) for m in moves.values() if m.size), default=1.0) or 1.0


def second_derivative(f: Callable[[dict[str, np.ndarray]], float], u: dict[str, np.ndarray], v: dict[str, np.ndarray],
                      center: float) -> tuple[float, bool]:  # fmt: skip
    """d²/ds dt f(x + s u + t v) at 0, Richardson from SECOND_STEP and half of it; and whether it is doubtful."""
    su, sv = _scale(u), _scale(v)  # unit elements are scaled by max(1, |x|): undo it at the end

    def moved(a: float, b: float) -> float:
        steps: dict[str, np.ndarray] = {}
        for moves, t in ((u, a), (v, b)):
            for name, m in moves.items():
                steps[name] = steps.get(name, 0) + t * m
        return f(steps)

    estimates, values = [], [center]
    for t in (SECOND_STEP, SECOND_STEP / 2, SECOND_STEP / 4):
        a, b = t / su, t / sv
        corners = [moved(a, b), moved(a, -b), moved(-a, b), moved(-a, -b)]
        values += corners
        estimates.append((corners[0] - corners[1] - corners[2] + corners[3]) / (4 * a * b))
    coarse, fine = (4 * estimates[1] - estimates[0]) / 3, (4 * estimates[2] - estimates[1]) / 3
    if not all(math.isfinite(value) for value in values):
        return coarse, True
    t = SECOND_STEP / 4
    noise = 64 * EPS * max(abs(value) for value in values) / ((t / su) * (t / sv))
    return coarse, abs(coarse - fine) > FD2_RTOL * abs(coarse) + FD2_ATOL + noise


def first_derivative(output: Callable[[dict[str, np.ndarray]], np.ndarray], direction: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """d/dt output(x + t direction) at 0, elementwise, Richardson from STEP and STEP/2; and a mask of doubtful elements."""
    scale = _scale(direction)
    central = []
    for t in (STEP, STEP / 2, STEP / 4):
        step = t / scale
        plus = output({name: step * d for name, d in direction.items()})
        minus = output({name: -step * d for name, d in direction.items()})
        central.append((plus - minus) / (2 * step))
    coarse, fine = (4 * central[1] - central[0]) / 3, (4 * central[2] - central[1]) / 3
    with np.errstate(invalid="ignore"):
        noise = 64 * EPS * np.maximum(np.abs(plus), np.abs(minus)) * scale / (STEP / 4)  # rounding in the differences
    with np.errstate(invalid="ignore"):
        doubtful = ~np.isfinite(coarse) | (np.abs(coarse - fine) > FD_RTOL * np.abs(coarse) + FD_ATOL + noise)
    return coarse, doubtful
