"""A standalone PyTorch script that reproduces the torch engine's value and gradients.

Printed from the parsed program, one line per node, through a table from each
primitive's torch name to its spelling; nothing of the user's text is copied
but input names (identifiers, checked here) and numbers (printed by ``repr``).
The script calls what ``torch_engine`` calls, in the same order, with constants
as tensors of the case's dtype, so that it prints the same numbers bit for bit.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.language.ops import OPS

MAX_ELEMENTS = 10_000  # inputs beyond this would make a script nobody reads
TEMP = "t_"  # prefix of the script's intermediate variables; an input named so is renamed


def _reduce(name: str) -> Callable[..., str]:
    def spell(x: str, dim: int | None = None, keepdim: bool = False, ndim: int = 0) -> str:
        if dim is None:  # NOTE: as torch_engine: all elements through dim 0 of the flattened tensor
            text = f"torch.{name}({x}.reshape(-1), 0)"
            return text + f".reshape({(1,) * ndim})" if keepdim else text
        return f"torch.{name}({x}, {dim}, keepdim={keepdim})"

    return spell


def _transpose(x: str, dim0: int, dim1: int, ndim: int = 0) -> str:
    return f"torch.transpose({x}, {dim0}, {dim1})" if ndim > 1 else x  # t() of a vector is itself


# Each primitive's spelling, by its torch name in ops.OPS; ``ndim`` is the first argument's.
SPELLINGS: dict[str, Callable[..., str]] = {
    "neg": lambda x, ndim: f"-{x}",
    **{name: (lambda x, ndim, name=name: f"torch.{name}({x})") for name in
       ("exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "trace")},
    "softplus": lambda x, ndim: f"torch.nn.functional.softplus({x})",
    **{name: (lambda x, y, ndim, sign=sign: f"{x} {sign} {y}") for name, sign in
       (("add", "+"), ("sub", "-"), ("mul", "*"), ("div", "/"), ("pow", "**"), ("matmul", "@"))},
    "outer": lambda x, y, ndim: f"torch.outer({x}, {y})",
    "sum": _reduce("sum"), "mean": _reduce("mean"), "logsumexp": _reduce("logsumexp"),
    "transpose": _transpose, "sign": lambda x, ndim: f"torch.sign({x})",
    "gt": lambda x, y, ndim: f"torch.gt({x}, {y}).to({x}.dtype)",
    "reshape": lambda x, shape, ndim: f"{x}.reshape({shape})",
    "broadcast_to": lambda x, shape, ndim: f"{x}.broadcast_to({shape})",
    "sum_to": lambda x, shape, ndim: f"{x}.sum_to_size({shape})",
    "one_hot": lambda t, x, ndim: f"({t} if {t}.shape == {x}.shape else "
    f"torch.nn.functional.one_hot({t}.round().long(), {x}.shape[1]).movedim(-1, 1).to({x}.dtype))",
}  # fmt: skip


def torch_script(problem: Problem, device: str, title: str) -> str:
    """The script: inputs, one line per operation, backward(grad_output), then the value and gradients printed."""
    too_large = [f"{name} ({value.size} elements)" for name, value in problem.inputs.items() if value.size > MAX_ELEMENTS]
    if too_large:
        raise ValueError(f"inputs too large to write out: {', '.join(too_large)}; the limit is {MAX_ELEMENTS}")
    dtype = f"torch.{problem.dtype}" + (f', device="{device}"' if device != "cpu" else "")
    names = _variable_names(list(problem.inputs))
    # NOTE: the title holds user text (a case name, an expression over several lines): one line, or it is code.
    lines = [f"# {' '.join(title.split())}", "import torch", ""]
    for name, value in problem.inputs.items():
        grad = ", requires_grad=True" if name in problem.wrt else ""
        lines.append(f"{names[name]} = torch.tensor({_literal(value)}, dtype={dtype}{grad})")
    terms: list[str] = []
    for i, node in enumerate(problem.program.nodes):
        if node.op == "input":
            terms.append(names[node.attrs["name"]])
        elif node.op == "const":
            terms.append(f"torch.tensor({_literal(node.attrs['value'])}, dtype={dtype})")
        else:
            ndim = len(problem.shapes[node.args[0]])
            attrs = {key: value for key, value in node.attrs.items()}
            text = SPELLINGS[OPS[node.op].torch](*[terms[j] for j in node.args], ndim=ndim, **attrs)
            lines.append(f"{TEMP}{i} = {text}")
            terms.append(f"{TEMP}{i}")
    lines += [
        f"out = {terms[-1]}",
        "if out.requires_grad:",
        f"    out.backward(torch.tensor({_literal(problem.grad_output)}, dtype={dtype}))",
        'print("value", out.tolist())',
    ]
    for name in problem.wrt:
        variable = names[name]
        lines.append(f'print("grad {name}", (torch.zeros_like({variable}) if {variable}.grad is None else {variable}.grad).tolist())')
    return "\n".join(lines) + "\n"


def _variable_names(inputs: list[str]) -> dict[str, str]:
    """Each input's name in the script: its own where that is a safe Python name, else t_in0, t_in1, ..."""
    reserved = {"torch", "out"}
    safe = lambda name: name.isidentifier() and not keyword.iskeyword(name) and name not in reserved and not name.startswith(TEMP)  # noqa: E731
    return {name: name if safe(name) else f"{TEMP}in{i}" for i, name in enumerate(inputs)}


def _literal(value: np.ndarray) -> str:
    """A nested list (or number) of Python floats that reads back exactly."""
    array = np.asarray(value, np.float64)
    if array.ndim == 0:
        return _number(float(array))
    return "[" + ", ".join(_literal(row) for row in array) + "]"


def _number(value: float) -> str:
    return repr(value) if math.isfinite(value) else f"float('{value}')"
