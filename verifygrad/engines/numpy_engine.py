"""verifygrad's own reverse-mode automatic differentiation over numpy arrays.

The program is already a flat list of nodes, children before parents, so the
forward pass is one loop over it and the backward pass one loop over it in
reverse, each node's VJPs taken from ``ops.OPS``.
"""

from __future__ import annotations

import numpy as np

from verifygrad.engines import EngineResult
from verifygrad.ops import OPS
from verifygrad.parse import Program
from verifygrad.problem import Problem


def forward(program: Program, inputs: dict[str, np.ndarray], dtype: str) -> list[np.ndarray]:
    """The value of every node."""
    values: list[np.ndarray] = []
    for node in program.nodes:
        if node.op == "input":
            values.append(np.asarray(inputs[node.attrs["name"]], dtype=dtype))
        elif node.op == "const":
            values.append(node.attrs["value"].astype(dtype))
        else:
            args = [values[i] for i in node.args]
            values.append(np.asarray(OPS[node.op].forward(*args, **node.attrs)))
    return values


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast gradient back down to the shape of the argument it belongs to."""
    if g.shape == shape:
        return g
    g = np.sum(g, axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    kept = tuple(axis for axis, size in enumerate(shape) if size == 1 and g.shape[axis] != 1)
    return np.sum(g, axis=kept, keepdims=True) if kept else g


def backward(program: Program, values: list[np.ndarray], grad_output: np.ndarray, wrt: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Gradients of <grad_output, output> for the inputs named in ``wrt`` that the program uses."""
    nodes = program.nodes
    wanted = set(wrt)
    needs_grad = [False] * len(nodes)
    for i, node in enumerate(nodes):
        if node.op == "input":
            needs_grad[i] = node.attrs["name"] in wanted
        elif node.op != "const":
            needs_grad[i] = any(needs_grad[j] for j in node.args)

    grads: list[np.ndarray | None] = [None] * len(nodes)
    grads[-1] = np.asarray(grad_output, dtype=values[-1].dtype)
    for i in range(len(nodes) - 1, -1, -1):
        g, node = grads[i], nodes[i]
        if g is None or node.op in ("input", "const"):
            continue
        op = OPS[node.op]
        args = [values[j] for j in node.args]
        for argnum, j in enumerate(node.args):
            if not needs_grad[j]:
                continue
            arg_grad = op.vjps[argnum](g, values[i], *args, **node.attrs)
            if op.broadcasts:
                arg_grad = unbroadcast(arg_grad, values[j].shape)
            grads[j] = arg_grad if grads[j] is None else grads[j] + arg_grad
        grads[i] = None  # free memory as soon as a gradient has been passed on

    return {
        node.attrs["name"]: np.asarray(grads[i]) if grads[i] is not None else np.zeros_like(values[i])
        for i, node in enumerate(nodes)
        if node.op == "input" and node.attrs["name"] in wanted
    }


def run(problem: Problem) -> EngineResult:
    inputs = problem.cast_inputs()
    values = forward(problem.program, inputs, problem.dtype)
    grads = backward(problem.program, values, problem.grad_output, problem.wrt)
    for name in problem.wrt:
        if name not in problem.program.input_names:
            grads[name] = np.zeros_like(inputs[name])
    as64 = {name: g.astype(np.float64) for name, g in grads.items()}
    return EngineResult("numpy", "ok", value=values[-1].astype(np.float64), grads=as64)
