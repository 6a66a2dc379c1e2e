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
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from verifygrad.cases.problem import Problem
from verifygrad.engines import EngineResult
from verifygrad.engines.numpy_calls import value_as_written
from verifygrad.language.ops import OPS, Op, Shape, unbroadcast
from verifygrad.language.parse import Program
from verifygrad.process import deadline

MAX_CACHED_PLANS = 256
MAX_SHAPES_PER_PLAN = 16


class Forward(NamedTuple):
    node: int
    function: Callable[..., np.ndarray]  # the node's attributes already bound
    x: int  # the first argument's node
    y: int  # the second argument's node; -1 for one argument, -2 for more (then ``args``)
    args: tuple[int, ...]
    wrap: bool  # the result may not be an array (a numpy scalar from a 0-d result): np.asarray it
    frees: tuple[int, ...]  # values dropped right after this step: the backward pass never reads them


class Grad(NamedTuple):
    """One argument's share of a node's backward step."""

    vjp: Callable[..., np.ndarray]
    arg: int  # the argument's node
    broadcasts: bool  # the VJP may return the output's shape: summed down to the argument's
    sole: bool  # the argument's only gradient: nothing to add it to


class Backward(NamedTuple):
    # NOTE: the first argument's Grad is spelled out (most nodes pass a gradient to one argument): the loop's own
    # cost per node is as much as a small ufunc's, and a nested tuple or an inner loop adds a tenth of it
    node: int
    x: int
    y: int  # as in Forward
    args: tuple[int, ...]
    vjp: Callable[..., np.ndarray]
    arg: int
    broadcasts: bool
    sole: bool
    chained: bool  # the argument's gradient is all of the next step's: handed on directly, never stored
    rest: tuple[Grad, ...]  # the other arguments taking a gradient


class Steps(NamedTuple):
    """The two loops' steps for one set of input shapes.

    NOTE: each step is kept as a plain tuple of its Forward's (Backward's) fields: CPython unpacks an exact tuple by a
    fast path a NamedTuple does not take, a tenth of a 10-element ufunc's time per step.
    """

    forward: tuple[tuple[Any, ...], ...]
    backward: tuple[tuple[Any, ...], ...]  # in reverse order: only nodes that pass a gradient on


@dataclass(frozen=True)
class Plan:
    """Everything about a program and a set of differentiated inputs that does not depend on values."""

    program: Program
    leaves: tuple[tuple[int, str | None, np.ndarray | None], ...]  # (node, input name, or None and a constant)
    inputs: tuple[tuple[int, str], ...]  # differentiated input nodes
    input_nodes: tuple[int, ...]  # every input node: their shapes pick the steps
    input_leaves: tuple[tuple[int, str], ...]  # (node, name) of every input node
    grad_args: tuple[tuple[tuple[int, int], ...], ...]  # per node, (argnum, arg node) of each argument taking a gradient
    frees: tuple[tuple[int, ...], ...]  # per node, the values its step is the last to read and the backward pass never does
    sized: dict[tuple[Shape, ...], Steps] = field(default_factory=dict)
    cast: dict[Any, tuple[tuple[int, np.ndarray], ...]] = field(default_factory=dict)  # per dtype, the constants in it

    def constants(self, dtype: Any) -> tuple[tuple[int, np.ndarray], ...]:
        """(node, value) of every constant in ``dtype``, cast once per plan and dtype (fd runs a program thousands of times).

        NOTE: read-only: every run shares them, so a forward or VJP that wrote into one would raise, not change them.
        """
        cast = self.cast.get(dtype)
        if cast is None:
            cast = self.cast[dtype] = tuple((i, _read_only(constant.astype(dtype))) for i, name, constant in self.leaves if name is None)
        return cast

    def steps(self, values: list[Any]) -> Steps:
        """The steps for the shapes of these inputs, built at the first call with them.

        NOTE: knowing every node's shape, the steps skip what a check per call would find: a stand-in for a value too
        small to be worth one, and summing back a broadcast gradient where the argument has the output's shape
        (comparing two shapes costs as much as a small ufunc).
        """
        shapes = tuple(values[i].shape for i in self.input_nodes)
        steps = self.sized.get(shapes)
        if steps is None:
            if len(self.sized) >= MAX_SHAPES_PER_PLAN:
                self.sized.pop(next(iter(self.sized)))
            steps = self.sized[shapes] = _build_steps(self, dict(zip((self.program.nodes[i].attrs["name"] for i in self.input_nodes), shapes)))
        return steps


_plans: dict[tuple[int, tuple[str, ...]], Plan] = {}


def plan(program: Program, wrt: tuple[str, ...]) -> Plan:
    """The program's Plan for these inputs, cached (programs are shared: parsing is cached too)."""
    key = (id(program), wrt)
    cached = _plans.get(key)
    if cached is not None and cached.program is program:  # NOTE: ids are reused once a program dies
        return cached
    if len(_plans) >= MAX_CACHED_PLANS:
        _plans.pop(next(iter(_plans)))
    built = _plans[key] = _build_plan(program, frozenset(wrt))
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
    grad_args = tuple(
        tuple((argnum, j) for argnum, j in enumerate(node.args) if needs_grad[j] and OPS[node.op].vjps[argnum] is not None) if needs_grad[i] else ()
        for i, node in enumerate(nodes)
    )
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
    inputs = tuple((i, node.attrs["name"]) for i, node in enumerate(nodes) if node.op == "input" and node.attrs["name"] in wanted)
    input_nodes = tuple(i for i, node in enumerate(nodes) if node.op == "input")
    input_leaves = tuple((i, name) for i, name, _ in leaves if name is not None)
    return Plan(program, leaves, inputs, input_nodes, input_leaves, grad_args, tuple(map(tuple, frees)))


def _build_steps(plan: Plan, input_shapes: dict[str, Shape]) -> Steps:
    nodes = plan.program.nodes
    try:
        shapes: list[Shape] | None = plan.program.shapes(input_shapes)
    except Exception:  # noqa: BLE001 (NOTE: without shapes every check stays per call, and the forward pass says what is wrong)
        shapes = None
    # How many gradients reach each node: one alone is stored as it comes, never added to.
    arrivals = [0] * len(nodes)
    for pairs in plan.grad_args:
        for _, j in pairs:
            arrivals[j] += 1
    forward_steps = tuple(
        tuple(
            Forward(
                i,
                _bind(OPS[node.op].forward, node.attrs),
                *_operands(node.args),
                node.args,
                # NOTE: a ufunc returns an array wherever its result has a dimension; numpy scalars come from 0-d ones
                shapes is None or shapes[i] == () or not isinstance(OPS[node.op].forward, np.ufunc),
                tuple(j for j in plan.frees[i] if shapes is not None and math.prod(shapes[j]) >= STAND_IN_MIN_SIZE),
            )
        )
        for i, node in enumerate(nodes)
        if node.op not in ("input", "const")
    )
    order = [i for i in reversed(range(len(nodes))) if plan.grad_args[i]]
    backward_steps = []
    for k, i in enumerate(order):
        node, op = nodes[i], OPS[nodes[i].op]
        grads = [
            Grad(_bind(op.vjps[a], node.attrs), j, op.broadcasts and (shapes is None or shapes[j] != shapes[i]), arrivals[j] == 1) for a, j in plan.grad_args[i]
        ]
        first = grads[0]
        chained = len(grads) == 1 and not first.broadcasts and first.sole and k + 1 < len(order) and order[k + 1] == first.arg
        backward_steps.append(tuple(Backward(i, *_operands(node.args), node.args, *first, chained, tuple(tuple(grad) for grad in grads[1:]))))
    return Steps(forward_steps, tuple(backward_steps))


_ARG_NAMES = ("x", "y")


def _operands(args: tuple[int, ...]) -> tuple[int, int]:
    """(x, y) of a step: y is -1 for one argument, and both are -2 for more (the loops read ``args`` then)."""
    return (args[0], -1) if len(args) == 1 else (args[0], args[1]) if len(args) == 2 else (-2, -2)


def _bind(function: Callable[..., np.ndarray], attrs: dict[str, Any]) -> Callable[..., np.ndarray]:
    return functools.partial(function, **attrs) if attrs else function  # NOTE: most nodes have none; `**{}` costs per call


def _reads(op: Op, argnum: int) -> tuple[str, ...]:
    return ("ans", *_ARG_NAMES[: op.arity]) if op.reads is None else op.reads[argnum]


def _read_only(value: np.ndarray) -> np.ndarray:
    value.flags.writeable = False
    return value


def _stand_in(value: np.ndarray) -> np.ndarray:
    """A zero-memory array of the value's shape and dtype: what a VJP that reads only the shape gets."""
    return np.ndarray(value.shape, value.dtype, _ZERO, strides=(0,) * value.ndim)


_ZERO = np.zeros(1).tobytes()  # one zero of the widest dtype, the buffer of every stand-in
STAND_IN_MIN_SIZE = 1024  # NOTE: below this, making a stand-in costs more time than the memory is worth


def forward(program: Program, inputs: dict[str, np.ndarray], dtype: str, wrt: tuple[str, ...] = (), keep: bool = False) -> list[np.ndarray]:
    """The value of every node; values the backward pass for ``wrt`` will not read become shape-only stand-ins (unless ``keep``)."""
    program_plan = plan(program, wrt)
    values: list[Any] = [None] * len(program.nodes)
    for i, name in program_plan.input_leaves:
        values[i] = np.asarray(inputs[name], dtype=dtype)
    for i, constant in program_plan.constants(dtype):
        values[i] = constant
    asarray, ends, monotonic = np.asarray, deadline.ends(), time.monotonic
    for i, function, x, y, args, wrap, frees in program_plan.steps(values).forward:
        if ends is not None and monotonic() > ends:
            deadline.check()
        # NOTE: one and two arguments spelled out: a list built per node costs as much as a small ufunc
        if y == -1:
            out = function(values[x])
        elif y >= 0:
            out = function(values[x], values[y])
        else:
            out = function(*[values[j] for j in args])
        values[i] = asarray(out) if wrap else out
        if frees and not keep:
            for j in frees:
                values[j] = _stand_in(values[j])
    return values


def backward(program: Program, values: list[np.ndarray], grad_output: np.ndarray, wrt: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Gradients of <grad_output, output> for the inputs named in ``wrt``, from forward() values for the same ``wrt``.

    Drops each value and gradient once the loop has passed the node it belongs to.
    """
    program_plan = plan(program, wrt)
    grads: list[Any] = [None] * len(values)
    # NOTE: a VJP may return g itself, a view, or a broadcast_to result; only a sum
    # this loop made itself (owned) may be accumulated into in place.
    owned = [False] * len(values)
    grads[-1] = np.asarray(grad_output, dtype=values[-1].dtype)
    ends, monotonic = deadline.ends(), time.monotonic
    g = None  # NOTE: set here only by a chained step before: then the gradient of this step's node, all of it
    for i, x, y, args, vjp, j, broadcasts, sole, chained, rest in program_plan.steps(values).backward:
        if ends is not None and monotonic() > ends:
            deadline.check()
        if g is None:
            g = grads[i]
            if g is None:
                continue
            grads[i] = None
        ans = values[i]
        values[i] = None  # dead: every consumer of this node is behind us
        if y == -1:
            arg_grad = vjp(g, ans, values[x])
        elif y >= 0:
            arg_grad = vjp(g, ans, values[x], values[y])
        else:
            arg_grad = vjp(g, ans, *[values[k] for k in args])
        if chained:
            g = arg_grad
            continue
        if broadcasts and arg_grad.shape != values[j].shape:
            arg_grad = unbroadcast(arg_grad, values[j].shape)
        if sole:
            grads[j] = arg_grad
        else:
            _accumulate(grads, owned, j, arg_grad)
        if rest:
            for vjp, j, broadcasts, sole in rest:
                arg_grad = vjp(g, ans, values[x], values[y]) if y >= 0 else vjp(g, ans, *[values[k] for k in args])
                if broadcasts and arg_grad.shape != values[j].shape:
                    arg_grad = unbroadcast(arg_grad, values[j].shape)
                if sole:
                    grads[j] = arg_grad
                else:
                    _accumulate(grads, owned, j, arg_grad)
        g = None
    # NOTE: a gradient may be a read-only view (of grad_output, or a broadcast); run() copies.
    return {name: np.asarray(grads[i]) if grads[i] is not None else np.zeros_like(values[i]) for i, name in program_plan.inputs}


def _accumulate(grads: list[Any], owned: list[bool], j: int, arg_grad: np.ndarray) -> None:
    """Add one more gradient into node j's (in place only into a sum made here)."""
    if grads[j] is None:
        grads[j] = arg_grad
    elif owned[j]:
        np.add(grads[j], arg_grad, out=grads[j])
    else:
        grads[j] = np.add(grads[j], arg_grad)
        owned[j] = np.ndim(grads[j]) > 0  # NOTE: 0-d sums come back as numpy scalars


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
