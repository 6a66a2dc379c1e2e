"""PyTorch engine: the program built from torch operations, differentiated by autograd."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult, EngineSkipped
from verifygrad.engines.torch_calls import evaluate_call, misreading, torch_calls
from verifygrad.engines.torch_ops import TORCH_MORE
from verifygrad.language.arrays import SINGULAR
from verifygrad.language.ops import OPS
from verifygrad.language.parse import Program
from verifygrad.process import deadline


def _reduce(function: Callable) -> Callable:
    def reduce(x: torch.Tensor, dim: int | None = None, keepdim: bool = False) -> torch.Tensor:
        if dim is None:
            out = function(x.reshape(-1), 0)
            return out.reshape((1,) * x.dim()) if keepdim else out
        return function(x, dim, keepdim=keepdim)

    return reduce


def _transpose(x: torch.Tensor, dim0: int, dim1: int) -> torch.Tensor:
    return torch.transpose(x, dim0, dim1) if x.dim() > 1 else x


def _one_hot(target: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if target.shape == x.shape:
        return target
    return torch.nn.functional.one_hot(target.round().long(), x.shape[1]).movedim(-1, 1).to(x.dtype)


# NOTE: above its default threshold of 20 torch's softplus returns x itself, off by up to
# exp(-20) = 2e-9: far outside float64's error budget.  Above 40, exp(-40) < 2**-53.
SOFTPLUS_THRESHOLD = 40.0

TORCH_OPS: dict[str, Callable[..., torch.Tensor]] = {
    "neg": torch.neg, "exp": torch.exp, "log": torch.log, "log1p": torch.log1p, "sqrt": torch.sqrt,
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
    "relu": torch.relu, "abs": torch.abs, "softplus": lambda x: torch.nn.functional.softplus(x, threshold=SOFTPLUS_THRESHOLD),
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "sum": _reduce(torch.sum), "mean": _reduce(torch.mean), "logsumexp": _reduce(torch.logsumexp),
    "matmul": torch.matmul, "outer": torch.outer, "transpose": _transpose, "trace": torch.trace,
    "sign": torch.sign, "gt": lambda x, y: torch.gt(x, y).to(x.dtype),
    "reshape": torch.reshape, "broadcast_to": lambda x, shape: x.broadcast_to(shape), "sum_to": lambda x, shape: x.sum_to_size(shape),
    "one_hot": _one_hot,
    **TORCH_MORE,
    "detach": torch.Tensor.detach,
}  # fmt: skip


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise EngineSkipped("device cuda requested, but torch sees no CUDA device")
    return device


def evaluate(program: Program, leaves: dict[str, torch.Tensor], dtype: torch.dtype, device: str, misread: list[str] | None = None) -> torch.Tensor:
    """The program's output, built from torch operations on the given leaf tensors: each torch call as written, by
    torch's own function; the rest from the primitives.  ``misread`` collects the calls where verifygrad's reading
    of the call (its primitives) differs from torch's own answer."""
    calls = torch_calls(program)
    values: list[torch.Tensor] = []
    for i, node in enumerate(program.nodes):
        deadline.check()
        if node.op == "input":
            values.append(leaves[node.attrs["name"]])
        elif node.op == "const":
            values.append(torch.tensor(node.attrs["value"], dtype=dtype, device=device))
        else:
            args = [values[i] for i in node.args]
            values.append(TORCH_OPS[OPS[node.op].torch](*args, **node.attrs))
        if i in calls:
            own = evaluate_call(calls[i], values, dtype)
            found = misreading(calls[i], own, values[i], str(dtype).removeprefix("torch.")) if misread is not None else None
            if found:
                misread.append(found)
            values[i] = own
    return values[-1]


def seeded_backward(output: torch.Tensor, grad_output: torch.Tensor) -> None:
    """``output.backward(grad_output)``, run as the backward of ``sum(output * grad_output)``: the same products, bit for bit.

    NOTE: handed a gradient tensor, torch's backward imports torch.fx's symbolic shapes, and with them
    SymPy (about 0.7 s of CPU, more than the case). The sum's backward hands on ones, and ``1 * g`` is ``g``.
    """
    if output.shape != grad_output.shape:  # torch's own error; the product would broadcast
        output.backward(grad_output)
    (output * grad_output).sum().backward()


def run(problem: Problem) -> EngineResult:
    device = resolve_device(problem.device)
    dtype = getattr(torch, problem.dtype)
    leaves = {name: torch.tensor(value, dtype=dtype, device=device, requires_grad=name in problem.wrt) for name, value in problem.inputs.items()}
    misread: list[str] = []
    try:
        output = evaluate(problem.program, leaves, dtype, device, misread)
        if output.requires_grad:
            seeded_backward(output, torch.tensor(problem.grad_output, dtype=dtype, device=device))
    except torch.linalg.LinAlgError:  # inv or solve of a singular matrix: torch raises, as numpy does
        raise EngineSkipped(SINGULAR) from None
    grads = {}
    for name in problem.wrt:
        grad = leaves[name].grad if name in leaves else None
        grads[name] = grad.detach().cpu().double().numpy() if grad is not None else np.zeros(problem.inputs[name].shape)
    value = output.detach().cpu().double().numpy()
    return EngineResult("torch", "ok", value=value, grads=grads, detail=f"torch {torch.__version__} on {device}", misread=misread)
