"""verifygrad's own reverse-mode automatic differentiation over numpy arrays.

The program is already a flat list of nodes, children before parents, so the
forward pass is one loop over it and the backward pass one loop over it in
reverse, each node's VJPs taken from ``ops.OPS``.  A ``Plan``, built once per
program and set of differentiated inputs, says which values the backward pass
reads, so that every other value is dropped as soon as the forward pass is
done with it, and every value and gradient is dropped once it is dead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult
from verifygrad.engines.numpy_calls import value_as_written
from verifygrad.language.ops import OPS, Op, unbroadcast
from verifygrad.language.parse import Program
from verifygrad.process import deadline

MAX_CACHED_PLANS = 256


class Forward(NamedTuple):
    node: int
    function: Callable[..., np.ndarray]  # the node's attributes already bound
    args: tuple[int, ...]
    arity: int
    frees: tuple[int, ...]  # values dropped right after this step: the backward pass never reads them


class Backward(NamedTuple):
    node: int
    args: tuple[int, ...]
    arity: int
    vjps: tuple[tuple[Callable[..., np.ndarray], int], ...]  # (vjp, arg node) per argument taking a gradient
    broadcasts: bool


@dataclass(frozen=True)
class Plan:
    """Everything about a program and a set of differentiated inputs that does not depend on values."""

    leaves: tuple[tuple[int, str | None, np.ndarray | None], ...]  # (node, input name, or None and a constant)
    forward: tuple[Forward, ...]
    backward: tuple[Backward, ...]  # in reverse order: only nodes that pass a gradient on
    inputs: tuple[tuple[int, str], ...]  # differentiated input nodes


_plans: dict[tuple[int, tuple[str, ...]], tuple[Program, Plan]] = {}


def plan(program: Program, wrt: tuple[str, ...]) -> Plan:
    """The program's Plan for these inputs, cached (programs are shared: parsing is cached too)."""
    key = (id(program), wrt)
    cached = _plans.get(key)
    if cached is not None and cached[0] is program:  # NOTE: ids are reused once a program dies
        return cached[1]
    if len(_plans) >= MAX_CACHED_PLANS:
        _plans.pop(next(iter(_plans)))
    built = _build_plan(program, frozenset(wrt))
    _plans[key] = (program, built)
    return built


def _build_plan(program: Program, wanted: frozenset[str]) -> Plan:
    nodes = program.nodes
    needs_grad: list[bool] = []
    for node in nodes:
        if node.op in ("input", "const"):
            needs_grad.append(node.op == "input" and node.attrs["name"] in wanted)
        else:  # NOTE: a VJP of None (stop_gradient, a mask, a sign) passes no gradient on
            vjps = OPS[node.op].vjps
            needs_grad.append(any(needs_grad[j] and vjps[argnum] is not None for argnum, j in enumerate(node.args)))
    grad_args = [
        tuple((argnum, j) for argnum, j in enumerate(node.args) if needs_grad[j] and OPS[node.op].vjps[argnum] is not None) if needs_grad[i] else ()
        for i, node in enumerate(nodes)
    ]
    # A value is kept for the backward pass if it is an input, the output, or read by a VJP that will run.
    kept = [node.op == "input" for node in nodes]
    kept[-1] = True
    for i, node in enumerate(nodes):
        for argnum, _ in grad_args[i]:
            for name in _reads(OPS[node.op], argnum):
                kept[i if name == "ans" else node.args[_ARG_NAMES.index(name)]] = True
    last_use = {j: i for i, node in enumerate(nodes) for j in node.args}
    frees: list[list[int]] = [[] for _ in nodes]
    for j, i in last_use.items():
        if not kept[j]:
            frees[i].append(j)
    leaves = tuple((i, node.attrs.get("name"), node.attrs.get("value")) for i, node in enumerate(nodes) if node.op in ("input", "const"))
    forward_steps = tuple(
        Forward(i, _bind(OPS[node.op].forward, node.attrs), node.args, len(node.args), tuple(frees[i]))
        for i, node in enumerate(nodes)
        if node.op not in ("input", "const")
    )
    backward_steps = tuple(
        Backward(i, node.args, len(node.args), tuple((_bind(OPS[node.op].vjps[a], node.attrs), j) for a, j in grad_args[i]), OPS[node.op].broadcasts)
        for i, node in reversed(list(enumerate(nodes)))
        if grad_args[i]
    )
    inputs = tuple((i, node.attrs["name"]) for i, node in enumerate(nodes) if node.op == "input" and node.attrs["name"] in wanted)
    return Plan(leaves, forward_steps, backward_steps, inputs)


_ARG_NAMES = ("x", "y")


def _bind(function: Callable[..., np.ndarray], attrs: dict[str, Any]) -> Callable[..., np.ndarray]:
    return functools.partial(function, **attrs) if attrs else function  # NOTE: most nodes have none; `**{}` costs per call


def _reads(op: Op, argnum: int) -> tuple[str, ...]:
    return ("ans", *_ARG_NAMES[: op.arity]) if op.reads is None else op.reads[argnum]


def _stand_in(value: np.ndarray) -> np.ndarray:
    """A zero-memory array of the value's shape and dtype: what a VJP that reads only the shape gets."""
    return np.ndarray(value.shape, value.dtype, _ZERO, strides=(0,) * value.ndim)


_ZERO = np.zeros(1).tobytes()  # one zero of the widest dtype, the buffer of every stand-in
STAND_IN_MIN_SIZE = 1024  # NOTE: below this, making a stand-in costs more time than the memory is worth


def forward(program: Program, inputs: dict[str, np.ndarray], dtype: str, wrt: tuple[str, ...] = (), keep: bool = False) -> list[np.ndarray]:
    """The value of every node; values the backward pass for ``wrt`` will not read become shape-only stand-ins (unless ``keep``)."""
    steps = plan(program, wrt)
    values: list[Any] = [None] * len(program.nodes)
    for i, name, constant in steps.leaves:
        values[i] = np.asarray(inputs[name], dtype=dtype) if name is not None else constant.astype(dtype)
    asarray, limited = np.asarray, deadline.active()
    for i, function, args, arity, frees in steps.forward:
        if limited:
            deadline.check()
        # NOTE: one and two arguments spelled out: a list built per node costs as much as a small ufunc
        if arity == 1:
            values[i] = asarray(function(values[args[0]]))
        elif arity == 2:
            values[i] = asarray(function(values[args[0]], values[args[1]]))
        else:
            values[i] = asarray(function(*[values[j] for j in args]))
        for j in frees if not keep else ():
            if values[j].size >= STAND_IN_MIN_SIZE:
                values[j] = _stand_in(values[j])
    return values


def backward(program: Program, values: list[np.ndarray], grad_output: np.ndarray, wrt: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Gradients of <grad_output, output> for the inputs named in ``wrt``, from forward() values for the same ``wrt``.

    Drops each value and gradient once the loop has passed the node it belongs to.
    """
    steps = plan(program, wrt)
    grads: list[Any] = [None] * len(values)
    # NOTE: a VJP may return g itself, a view, or a broadcast_to result; only a sum
    # this loop made itself (owned) may be accumulated into in place.
    owned = [False] * len(values)
    grads[-1] = np.asarray(grad_output, dtype=values[-1].dtype)
    limited = deadline.active()
    for i, args, arity, vjps, broadcasts in steps.backward:
        if limited:
            deadline.check()
        g = grads[i]
        if g is None:
            continue
        ans = values[i]
        for vjp, j in vjps:
            if arity == 1:
                arg_grad = vjp(g, ans, values[args[0]])
            elif arity == 2:
                arg_grad = vjp(g, ans, values[args[0]], values[args[1]])
            else:
                arg_grad = vjp(g, ans, *[values[k] for k in args])
            if broadcasts and arg_grad.shape != values[j].shape:
                arg_grad = unbroadcast(arg_grad, values[j].shape)
            if grads[j] is None:
                grads[j] = arg_grad
            elif owned[j]:
                np.add(grads[j], arg_grad, out=grads[j])
            else:
                grads[j] = np.add(grads[j], arg_grad)
                owned[j] = np.ndim(grads[j]) > 0  # NOTE: 0-d sums come back as numpy scalars
        grads[i] = values[i] = None  # dead: every consumer of this node is behind us
    # NOTE: a gradient may be a read-only view (of grad_output, or a broadcast); run() copies.
    return {name: np.asarray(grads[i]) if grads[i] is not None else np.zeros_like(values[i]) for i, name in steps.inputs}


def run(problem: Problem) -> EngineResult:
    """The value (numpy's own for each numpy call as written), and the gradients by reverse mode over the primitives."""
    inputs = problem.cast_inputs()
    misread: list[str] = []
    own = value_as_written(problem.program, inputs, problem.dtype, misread)
    values = forward(problem.program, inputs, problem.dtype, problem.wrt)
    value = (values[-1] if own is None else own).astype(np.float64)
    grads = backward(problem.program, values, problem.grad_output, problem.wrt)
    for name in problem.wrt:
        if name not in grads:
            grads[name] = np.zeros_like(inputs[name])
    as64 = {name: g.astype(np.float64) for name, g in grads.items()}
    return EngineResult("numpy", "ok", value=value, grads=as64, misread=misread)
