"""A standalone PyTorch script that reproduces the torch engine's value and gradients.

Printed from the parsed program, one line per node, through a table from each
primitive's torch name to its spelling; nothing of the user's text is copied
but numbers and input names as string literals (both printed by ``repr``); variables have generated names.
The script calls what ``torch_engine`` calls, in the same order, with constants
as tensors of the case's dtype, so that it prints the same numbers bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.language import arrays
from verifygrad.language.decompose import TIE
from verifygrad.language.ops import OPS

MAX_ELEMENTS = 10_000  # inputs beyond this would make a script nobody reads
TEMP = "t_"  # prefix of the script's intermediate variables
INPUT = "in"  # prefix of the script's input variables


def _reduce(name: str) -> Callable[..., str]:
    def spell(x: str, dim: int | None = None, keepdim: bool = False, ndim: int = 0) -> str:
        if dim is None:  # NOTE: as torch_engine: all elements through dim 0 of the flattened tensor
            text = f"torch.{name}({x}.reshape(-1), 0)"
            return text + f".reshape({(1,) * ndim})" if keepdim else text
        return f"torch.{name}({x}, {dim}, keepdim={keepdim})"

    return spell


def _transpose(x: str, dim0: int, dim1: int, ndim: int = 0) -> str:
    return f"torch.transpose({x}, {dim0}, {dim1})" if ndim > 1 else x  # t() of a vector is itself


def _extreme(name: str) -> Callable[..., str]:
    def spell(x: str, dim: int | None = None, keepdim: bool = False, ndim: int = 0) -> str:
        if dim is None:  # NOTE: as torch_ops: ties share g evenly over everything, one index takes it along a dim
            return f"torch.{name}({x})" + (f".reshape({(1,) * ndim})" if keepdim else "")
        return f"torch.{name}({x}, {dim}, keepdim={keepdim}).values"

    return spell


def torch_key_text(key: arrays.Key) -> str:
    """A key as torch reads it: a list of positions, or a mask, as a tensor (torch reads a nested list as several indices)."""
    items = [f"torch.tensor({np.asarray(item).tolist()!r})" if isinstance(item, tuple) else arrays.key_text((item,)) for item in key]
    return ", ".join(items) if items else "()"


def _scatter(g: str, shape: tuple[int, ...], key: arrays.Key, ndim: int) -> str:
    size = math.prod(shape)
    positions = f"torch.arange({size}, device={g}.device).reshape({tuple(shape)})[{torch_key_text(key)}].reshape(-1)"
    if arrays.mixed(key):  # NOTE: numpy's reading of an int beside a list, as in the index above
        positions = f"torch.tensor({arrays.numpy_positions(shape, key).reshape(-1).tolist()}, device={g}.device)"
    return f"{g}.new_zeros({size}).index_add(0, {positions}, {g}.reshape(-1)).reshape({tuple(shape)})"


def _tile_sum(g: str, shape: tuple[int, ...], reps: tuple[int, ...], ndim: int) -> str:
    count = max(len(shape), len(reps))
    padded, reps = (1,) * (count - len(shape)) + tuple(shape), (1,) * (count - len(reps)) + tuple(reps)
    return f"{g}.reshape({[n for pair in zip(reps, padded) for n in pair]}).sum(dim={tuple(range(0, 2 * count, 2))}).reshape({tuple(shape)})"


def _repeat_sum(g: str, shape: tuple[int, ...], repeats: int, dim: int | None = None, ndim: int = 0) -> str:
    if dim is None:
        return f"{g}.reshape(-1, {repeats}).sum(1).reshape({tuple(shape)})"
    axis = dim % len(shape)
    return f"{g}.reshape({shape[:axis] + (shape[axis], repeats) + shape[axis + 1 :]}).sum({axis + 1})"


def _prod_others(x: str, dim: int | None = None, ndim: int = 0) -> str:
    rows = f"{x}.reshape(-1)" if dim is None else f"{x}.movedim({dim}, -1)"
    ones = f"torch.ones_like({rows}[..., :1])"
    before = f"torch.cumprod(torch.cat([{ones}, {rows}[..., :-1]], -1), -1)"
    after = f"torch.cumprod(torch.cat([{ones}, {rows}.flip(-1)[..., :-1]], -1), -1).flip(-1)"
    return f"({before} * {after})" + (f".reshape({x}.shape)" if dim is None else f".movedim(-1, {dim})")


# ±1 per column of the matrices {0}: its largest component (the first within TIE of it) made positive.
_SIGNS = ("torch.where({0}.gather(-2, ({0}.abs() >= {0}.abs().amax(-2, keepdim=True) * " + repr(1 - TIE) + ").to(torch.int8)"
          ".argmax(-2, keepdim=True)) < 0, -1.0, 1.0).to({0}.dtype)")  # fmt: skip


def _pinv(x: str, rtol: float | None = None, atol: float = 0.0, ndim: int = 0) -> str:
    relative = f"torch.finfo({x}.dtype).eps * max({x}.shape[-2:])" if rtol is None and atol <= 0 else repr(rtol or 0.0)
    kept = f"(lambda s: (s > torch.clamp(s.amax(-1, keepdim=True) * {relative}, min={atol!r})).any(-1))(torch.linalg.svdvals({x}))"
    pinv = f"torch.where({kept}[..., None, None], torch.linalg.pinv({x}, atol=0.0, rtol=0.0), {x}.mT * 0)"
    return f"({pinv} if min({x}.shape[-2:]) else {x}.mT * 0)"  # NOTE: as torch_ops.py: amax over nothing raises


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
    **{name: (lambda x, ndim, name=name: f"torch.{name}({x})") for name in
       ("erf", "erfc", "expm1", "asin", "acos", "atan", "floor", "ceil", "trunc", "round", "lgamma", "erfinv")},
    # NOTE: the order is a constant node: a whole number torch takes as an int
    "polygamma": lambda n, x, ndim: f"torch.polygamma(int({n}), {x})",
    "besseli": lambda n, x, ndim: f"(torch.special.i0, torch.special.i1)[int({n})]({x})",
    **{name: (lambda x, y, ndim, name=name: f"torch.special.{name}({x}, {y})") for name in ("zeta", "gammainc", "gammaincc")},
    **{name: (lambda x, y, ndim, name=name: f"torch.{name}({x}, {y})") for name in ("maximum", "minimum", "atan2")},
    "amax": _extreme("max"), "amin": _extreme("min"),
    "select": lambda c, a, ndim: f"torch.where({c} != 0, {a}, torch.zeros((), dtype={a}.dtype, device={a}.device))",
    "index": lambda x, key, ndim: f"{x}[{torch_key_text(key)}]",
    "scatter": _scatter,
    "piece": lambda x, chunks, dim, part, numpy_style, ndim, equal=False: f"torch.{'tensor_split' if numpy_style else 'chunk'}({x}, {chunks}, {dim})[{part}]",
    "unsqueeze": lambda x, dim, ndim: f"torch.unsqueeze({x}, {dim})",
    "squeeze": lambda x, dim=None, ndim=0: f"{x}.squeeze()" if dim is None else f"{x}.squeeze({dim})",
    "flatten": lambda x, start_dim=0, end_dim=-1, ndim=0: f"torch.flatten({x}, {start_dim}, {end_dim})",
    "cat": lambda x, y, dim=0, ndim=0: f"torch.cat([{x}, {y}], {dim})",
    "tile": lambda x, reps, ndim: f"torch.tile({x}, {tuple(reps)})", "tile_sum": _tile_sum,
    "repeat_interleave": lambda x, repeats, dim=None, ndim=0: f"torch.repeat_interleave({x}, {repeats}, {dim})",
    "repeat_sum": _repeat_sum,
    "flip": lambda x, dims=None, ndim=0: f"torch.flip({x}, {tuple(range(ndim)) if dims is None else tuple(dims)})",
    "roll": lambda x, shifts, dims=None, ndim=0: f"torch.roll({x}, {shifts}, {dims})",
    "pad": lambda x, pairs, whole=False, ndim=0: f"torch.nn.functional.pad({x}, {[w for pair in reversed(pairs) for w in pair]})",
    **{name: (lambda x, k=0, ndim=0, name=name: f"torch.{name}({x}, {k})") for name in ("tril", "triu", "diag")},
    "cumsum": lambda x, dim, ndim: f"torch.cumsum({x}, {dim})",
    "cumprod": lambda x, dim, ndim: f"torch.cumprod({x}, {dim})",
    "prod": lambda x, dim=None, keepdim=False, ndim=0: (f"torch.prod({x})" + (f".reshape({(1,) * ndim})" if keepdim else ""))
    if dim is None else f"torch.prod({x}, {dim}, keepdim={keepdim})",
    "prod_others": _prod_others,
    "cholesky": lambda x, ndim: f"torch.linalg.cholesky({x}.tril() + {x}.tril(-1).mT)",
    "inv": lambda x, ndim: f"torch.linalg.inv({x})", "det": lambda x, ndim: f"torch.linalg.det({x})",
    "logabsdet": lambda x, ndim: f"torch.linalg.slogdet({x}).logabsdet",
    "solve": lambda a, b, ndim: f"torch.linalg.solve({a}, {b})",
    # NOTE: the vectors' signs and pinv's cutoff as torch_ops.py fixes them (decompose.py), written out in torch
    "eigvalsh": lambda x, ndim: f"torch.linalg.eigh({x})[0]",
    "eigvecsh": lambda x, ndim: f"(lambda v: v * {_SIGNS.format('v')} if v.numel() else v)(torch.linalg.eigh({x})[1])",
    "svdvals": lambda x, ndim: f"torch.linalg.svd({x}, full_matrices=False)[1]",
    "svd_u": lambda x, ndim: f"(lambda u: u * {_SIGNS.format('u')} if u.numel() else u)(torch.linalg.svd({x}, full_matrices=False)[0])",
    "svd_vh": lambda x, ndim: f"(lambda r: r[2] * {_SIGNS.format('r[0]')}.mT if r[0].numel() else r[2])(torch.linalg.svd({x}, full_matrices=False))",
    "qr_q": lambda x, ndim: f"torch.linalg.qr({x}).Q", "pinv": _pinv, "expm": lambda x, ndim: f"torch.linalg.matrix_exp({x})",
    "einsum": lambda x, y, spec, ndim: f"torch.einsum({spec!r}, {x}, {y})",  # NOTE: spec is letters, ',' and '->' only (spellings/linalg.py)
    "tensordot": lambda x, y, axes, ndim: f"torch.tensordot({x}, {y}, dims={axes if isinstance(axes, int) else [list(a) for a in axes]!r})",
    "one_hot": lambda t, x, ndim: f"({t} if {t}.shape == {x}.shape else "
    f"torch.nn.functional.one_hot({t}.round().long(), {x}.shape[1]).movedim(-1, 1).to({x}.dtype))",
    "detach": lambda x, ndim: f"{x}.detach()",
}  # fmt: skip


def torch_script(problem: Problem, device: str, title: str) -> str:
    """The script: inputs, one line per operation (a comment at each program line), backward(grad_output), the numbers printed."""
    too_large = [f"{name} ({value.size} elements)" for name, value in problem.inputs.items() if value.size > MAX_ELEMENTS]
    if too_large:
        raise ValueError(f"inputs too large to write out: {', '.join(too_large)}; the limit is {MAX_ELEMENTS}")
    dtype = f"torch.{problem.dtype}" + (f', device="{device}"' if device != "cpu" else "")
    nodes = problem.program.nodes
    probes = {i for i, node in enumerate(nodes) if node.attrs.get("probe")}
    retained = {
        i: node.args[0] for i, node in enumerate(nodes) if node.op == "add" and node.args[1] in probes and nodes[node.args[0]].op not in ("input", "const")
    }
    # NOTE: generated names only (in0, in1, ...): an input named `print` or `torch` must not shadow what the script calls.
    names = {name: f"{INPUT}{k}" for k, name in enumerate(problem.inputs)}
    # NOTE: the title holds user text (a case name, an expression over several lines): one line, or it is code.
    lines = [f"# {' '.join(title.split())}", "import torch", ""]
    for k, (name, value) in enumerate(problem.inputs.items()):
        if any(nodes[i].attrs["name"] == name and retained_probe(i, retained, nodes) for i in probes):
            continue
        grad = ", requires_grad=True" if name in problem.wrt else ""
        lines.append(f"{names[name]} = torch.tensor({_literal(value)}, dtype={dtype}{grad})  # input {k + 1}: {name!r}")
    terms: list[str] = []
    line = None
    for i, node in enumerate(nodes):
        if node.line and node.line != line and node.op not in ("input", "const"):
            line = node.line
            lines.append(f"# line {line}")
        if node.op == "input":
            terms.append(names[node.attrs["name"]])
        elif node.op == "const":
            terms.append(f"torch.tensor({_literal(node.attrs['value'])}, dtype={dtype})")
        elif i in retained:  # an intermediate in wrt: torch's own retain_grad
            terms.append(terms[retained[i]])
            names[nodes[node.args[1]].attrs["name"]] = terms[retained[i]]
            lines.append(f"{terms[retained[i]]}.retain_grad()")
        else:
            ndim = len(problem.shapes[node.args[0]])
            attrs = {key: value for key, value in node.attrs.items()}
            key = node.attrs.get("key", ())
            if node.op == "index" and (any(isinstance(item, slice) and (item.step or 1) < 0 for item in key) or arrays.mixed(key)):
                # NOTE: as torch_ops: torch has no negative slice steps, and reads an int beside a list otherwise than
                # numpy does (whose key this is); the positions the key picks are gathered
                picked = arrays.numpy_positions(problem.shapes[node.args[0]], key).tolist()
                text = f"{terms[node.args[0]]}.reshape(-1)[torch.tensor({picked})]"
            else:
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
        lines.append(f'print("grad", {name!r}, (torch.zeros_like({variable}) if {variable}.grad is None else {variable}.grad).tolist())')
    return "\n".join(lines) + "\n"


def retained_probe(probe: int, retained: dict[int, int], nodes: tuple) -> bool:
    """Whether the probe input ``probe`` is written as retain_grad() rather than as an input of zeros."""
    return any(nodes[i].args[1] == probe for i in retained)


def _literal(value: np.ndarray) -> str:
    """A nested list (or number) of Python floats that reads back exactly."""
    array = np.asarray(value, np.float64)
    if array.ndim == 0:
        return _number(float(array))
    return "[" + ", ".join(_literal(row) for row in array) + "]"


def _number(value: float) -> str:
    return repr(value) if math.isfinite(value) else f"float('{value}')"
