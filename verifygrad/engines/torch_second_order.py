"""torch's second order and forward mode: double backward with create_graph, and torch.func.jvp.

Derivatives of higher order (``order: n``) by ``torch.autograd.grad`` with ``create_graph=True`` nested n times.

Hessian blocks row by row from the gradient built with ``create_graph=True``;
Hessian-vector products by one more backward pass of ``<grad, v>``; Jacobians row by
row by reverse mode; JVPs by torch's own forward mode (``torch.func.jvp``), so a
torch forward-mode rule is checked independently of its backward rules.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from verifygrad.cases.problem import Problem
from verifygrad.cases.second_order import JVP, hessian_key, hvp_key, jacobian_key, order_key
from verifygrad.engines import EngineResult
from verifygrad.engines.torch_engine import evaluate, resolve_device


def complete(result: EngineResult, problem: Problem) -> None:
    """Add the second-order quantities to the torch engine's result, computed on the case's device."""
    result.grads.update(quantities(problem, resolve_device(problem.device)))
    result.detail += "; second order by double backward (create_graph), torch.func.jvp"


def quantities(problem: Problem, device: str) -> dict[str, np.ndarray]:
    """Every second-order and forward-mode quantity the problem asks for, computed in its dtype on ``device``."""
    second, wrt = problem.second, problem.wrt
    dtype = getattr(torch, problem.dtype)

    def tensors(arrays: dict[str, np.ndarray], grad: bool) -> dict[str, torch.Tensor]:
        return {name: torch.tensor(value, dtype=dtype, device=device, requires_grad=grad and name in wrt) for name, value in arrays.items()}

    def function(*xs: torch.Tensor) -> torch.Tensor:
        return evaluate(problem.program, {**tensors(problem.inputs, False), **dict(zip(wrt, xs))}, dtype, device)

    found: dict[str, torch.Tensor] = {}
    if second.hessian:
        leaves = tensors(problem.inputs, True)
        xs = [leaves[name] for name in wrt]
        output = evaluate(problem.program, leaves, dtype, device)
        grads = _grad(output, xs, create_graph=True)
        if second.directions is None:
            found.update(_hessian_blocks(grads, xs, wrt))
        else:
            directions = [torch.tensor(second.directions[name], dtype=dtype, device=device) for name in wrt]
            dot = sum((g * v).sum() for g, v in zip(grads, directions))
            found.update({hvp_key(name): product for name, product in zip(wrt, _grad(dot, xs))})
    if second.jacobian:
        primals = tuple(tensors(problem.inputs, False)[name] for name in wrt)
        blocks = torch.autograd.functional.jacobian(function, primals)
        found.update({jacobian_key(name): block for name, block in zip(wrt, blocks)})
    if second.tangents is not None:
        primals = tuple(tensors(problem.inputs, False)[name] for name in wrt)
        tangents = tuple(tensors(second.tangents, False)[name] for name in wrt)
        _, found[JVP] = torch.func.jvp(function, primals, tangents)
    for x in wrt if second.order else ():
        leaves = tensors(problem.inputs, True)
        derivative = evaluate(problem.program, leaves, dtype, device)
        for _ in range(second.order):  # NOTE: create_graph nested: each gradient is differentiated once more
            derivative = _grad(derivative.sum(), [leaves[x]], create_graph=True)[0]
        found[order_key(x, second.order)] = derivative
    return {name: value.detach().cpu().double().numpy() for name, value in found.items()}


def _grad(output: torch.Tensor, xs: list[torch.Tensor], create_graph: bool = False) -> list[torch.Tensor]:
    """d output / d x for each x; zeros where the output does not depend on x (or on nothing that needs a gradient)."""
    if not output.requires_grad:
        return [torch.zeros_like(x) for x in xs]
    grads = torch.autograd.grad(output, xs, create_graph=create_graph, retain_graph=True, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for g, x in zip(grads, xs)]


def _hessian_blocks(grads: list[torch.Tensor], xs: list[torch.Tensor], wrt: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """H[x,y] row by row: one more backward pass per element of each gradient."""
    blocks: dict[str, torch.Tensor] = {}
    for x, g, leaf in zip(wrt, grads, xs):
        rows = [_grad(g.reshape(-1)[k], xs) for k in range(math.prod(leaf.shape))]
        for j, y in enumerate(wrt):
            stacked = torch.stack([row[j] for row in rows]) if rows else torch.zeros((0, *xs[j].shape), dtype=leaf.dtype, device=leaf.device)
            blocks[hessian_key(x, y)] = stacked.reshape(tuple(leaf.shape) + tuple(xs[j].shape))
    return blocks
