"""The numpy engine's second order and forward mode, by running derived programs.

``derivatives`` turns a program into the program of its Hessian-vector product
(reverse over reverse) or of its Jacobian-vector product (the transpose of the
backward pass); the numpy engine's own fast forward and backward passes run them.
"""

from __future__ import annotations

import math

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.cases.second_order import JVP, hessian_key, hvp_key, jacobian_key, order_key
from verifygrad.engines import EngineResult, numpy_engine
from verifygrad.language import derivatives
from verifygrad.language.parse import Program


def hvp(program: Program, inputs: dict[str, np.ndarray], dtype: str, wrt: tuple[str, ...], directions: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """H·v for a scalar program: per input in ``wrt``, the sum over inputs y of ∂²f/∂x∂y · v[y]."""
    derived = derivatives.hvp_program(program, {name: np.shape(value) for name, value in inputs.items()}, wrt)
    leaves = {**inputs, **{derivatives.tangent(name): directions[name] for name in wrt}}
    values = numpy_engine.forward(derived, leaves, dtype, wrt)
    grads = numpy_engine.backward(derived, values, np.ones((), dtype=dtype), wrt)
    return {name: np.array(grads[name]) if name in grads else np.zeros(np.shape(inputs[name]), dtype=dtype) for name in wrt}


def jvp(program: Program, inputs: dict[str, np.ndarray], dtype: str, wrt: tuple[str, ...], tangents: dict[str, np.ndarray]) -> np.ndarray:
    """J·t: the derivative of the output along the tangent ``tangents[x]`` of each input in ``wrt``."""
    shapes = {name: np.shape(value) for name, value in inputs.items()}
    derived = derivatives.jvp_program(program, shapes, wrt)
    output_shape = program.shapes(shapes)[-1]
    # NOTE: the derived program is linear in the cotangent, so its value there does not matter.
    leaves = {**inputs, derivatives.COTANGENT: np.zeros(output_shape), **{derivatives.tangent(name): tangents[name] for name in wrt}}
    values = numpy_engine.forward(derived, leaves, dtype, (derivatives.COTANGENT,))
    grads = numpy_engine.backward(derived, values, np.ones((), dtype=dtype), (derivatives.COTANGENT,))
    return np.array(grads.get(derivatives.COTANGENT, np.zeros(output_shape, dtype=dtype)))


def hessian(program: Program, inputs: dict[str, np.ndarray], dtype: str, wrt: tuple[str, ...]) -> dict[tuple[str, str], np.ndarray]:
    """Every block ∂²f/∂x∂y, of shape x.shape + y.shape, one Hessian-vector product per element of the inputs."""
    blocks = {(x, y): np.zeros(np.shape(inputs[x]) + np.shape(inputs[y])) for x in wrt for y in wrt}
    for y in wrt:
        shape = np.shape(inputs[y])
        for k in range(math.prod(shape)):
            unit = np.zeros(math.prod(shape))
            unit[k] = 1.0
            directions = {name: unit.reshape(shape) if name == y else np.zeros(np.shape(inputs[name])) for name in wrt}
            column = hvp(program, inputs, dtype, wrt, directions)
            for x in wrt:
                blocks[x, y].reshape(np.shape(inputs[x]) + (-1,))[..., k] = column[x]
    return blocks


def jacobian(program: Program, inputs: dict[str, np.ndarray], dtype: str, wrt: tuple[str, ...]) -> dict[str, np.ndarray]:
    """∂output/∂x for each input in ``wrt``, of shape output.shape + x.shape: one backward pass per output element."""
    values_shape = program.shapes({name: np.shape(value) for name, value in inputs.items()})[-1]
    size = math.prod(values_shape)
    rows: dict[str, list[np.ndarray]] = {name: [] for name in wrt}
    for k in range(size):
        seed = np.zeros(size, dtype=dtype)
        seed[k] = 1.0
        values = numpy_engine.forward(program, inputs, dtype, wrt)
        grads = numpy_engine.backward(program, values, seed.reshape(values_shape), wrt)
        for name in wrt:
            rows[name].append(np.array(grads.get(name, np.zeros(np.shape(inputs[name])))))
    return {name: np.array(rows[name]).reshape(values_shape + np.shape(inputs[name])) for name in wrt}


def derivative_of_order(program: Program, inputs: dict[str, np.ndarray], dtype: str, x: str, order: int) -> np.ndarray:
    """d^n f/dx^n for a scalar program and an input of one element: the Hessian of the (n-2)-th derivative's program."""
    shapes = {name: np.shape(value) for name, value in inputs.items()}
    for _ in range(order - 2):
        program = derivatives.gradient_program(program, shapes, x)
    return hessian(program, inputs, dtype, (x,))[x, x].reshape(np.shape(inputs[x]))


def complete(result: EngineResult, problem: Problem) -> None:
    """Add the second-order quantities to the numpy engine's result."""
    result.grads.update(quantities(problem))


def quantities(problem: Problem) -> dict[str, np.ndarray]:
    """Every second-order and forward-mode quantity the problem asks for, in float64, computed in its dtype."""
    second, inputs, dtype, wrt = problem.second, problem.cast_inputs(), problem.dtype, problem.wrt
    found: dict[str, np.ndarray] = {}
    if second is None:
        return found
    if second.hessian and second.directions is None:
        found.update({hessian_key(x, y): block for (x, y), block in hessian(problem.program, inputs, dtype, wrt).items()})
    elif second.hessian:
        directions = {name: v.astype(dtype) for name, v in second.directions.items()}
        found.update({hvp_key(name): product for name, product in hvp(problem.program, inputs, dtype, wrt, directions).items()})
    if second.jacobian:
        found.update({jacobian_key(name): block for name, block in jacobian(problem.program, inputs, dtype, wrt).items()})
    if second.tangents is not None:
        found[JVP] = jvp(problem.program, inputs, dtype, wrt, {name: t.astype(dtype) for name, t in second.tangents.items()})
    for x in wrt if second.order else ():
        found[order_key(x, second.order)] = derivative_of_order(problem.program, inputs, dtype, x, second.order)
    return {name: np.asarray(array, dtype=np.float64) for name, array in found.items()}
