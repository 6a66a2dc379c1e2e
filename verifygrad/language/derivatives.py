"""A program's derivatives as programs: Hessian-vector products and Jacobian-vector products.

The backward pass here runs every VJP of ``ops.OPS`` on ``Traced`` values, so that
each step appends primitives of the same table instead of computing: the gradient
of a program is again a program, which any engine that interprets programs can run
and differentiate once more (reverse over reverse).  Forward mode needs no rules
of its own: the backward program is linear in its cotangent, so differentiating
``<J^T u, t>`` with respect to ``u`` gives ``J t`` (forward mode by transposition).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from verifygrad.language.ops import OPS, Shape, Traced
from verifygrad.language.parse import Node, Program

COTANGENT = "cotangent"  # NOTE: input names of derived programs hold characters no user name can
MAX_CACHED = 64


def tangent(name: str) -> str:
    """The name of the input holding the direction for ``name`` in a derived program."""
    return f"tangent({name})"


class Recorder:
    """A program under construction, starting from an existing one (the ``ops.Tape`` protocol)."""

    def __init__(self, program: Program, shapes: list[Shape]):
        self.nodes: list[Node] = list(program.nodes)
        self.shapes: list[Shape] = list(shapes)
        self.output = len(program.nodes) - 1  # the original program's output

    def traced(self, index: int) -> Traced:
        return Traced(self, index, self.shapes[index], np.dtype(np.float64))

    def add(self, node: Node, shape: Shape) -> Traced:
        self.nodes.append(node)
        self.shapes.append(tuple(shape))
        return self.traced(len(self.nodes) - 1)

    def input(self, name: str, shape: Shape) -> Traced:
        return self.add(Node("input", (), {"name": name}, spelling=name), shape)

    def constant(self, value: Any) -> Traced:
        array = np.asarray(value, dtype=np.float64)
        return self.add(Node("const", (), {"value": array, "symbol": None}, spelling="constant"), array.shape)

    def apply(self, name: str, args: tuple[Any, ...], attrs: dict[str, Any]) -> Traced:
        traced = [arg if isinstance(arg, Traced) else self.constant(arg) for arg in args]
        op = OPS[name]
        shape = op.shape(*[t.shape for t in traced], **attrs)
        if name == "mul":  # NOTE: the seed of a scalar output's backward pass is 1; g * 1 is g
            for one, other in ((traced[0], traced[1]), (traced[1], traced[0])):
                if self._is_one(one.index) and other.shape == shape:
                    return other
        constants = [self.nodes[t.index] for t in traced]
        if all(node.op == "const" for node in constants) and math.prod(shape) <= max(1, *(t.size for t in traced)):
            return self.constant(op.forward(*[node.attrs["value"] for node in constants], **attrs))  # folded, never larger
        return self.add(Node(name, tuple(t.index for t in traced), dict(attrs), spelling=name), shape)

    def _is_one(self, index: int) -> bool:
        """A constant 1, or ones made from it by reshape or broadcast_to (the seed spread by sum's VJP)."""
        node = self.nodes[index]
        while node.op in ("reshape", "broadcast_to"):
            node = self.nodes[node.args[0]]
        return node.op == "const" and node.attrs["value"].size == 1 and float(node.attrs["value"].flat[0]) == 1.0

    def program(self, text: str) -> Program:
        """The recorded program, less every node its output does not depend on (children before parents still)."""
        live = [False] * len(self.nodes)
        live[-1] = True
        for i in range(len(self.nodes) - 1, -1, -1):
            if live[i]:
                for j in self.nodes[i].args:
                    live[j] = True
        kept = [i for i, alive in enumerate(live) if alive or self.nodes[i].op == "input"]  # NOTE: inputs stay: callers pass them all
        new_index = {old: new for new, old in enumerate(kept)}
        nodes = [dataclasses.replace(self.nodes[i], args=tuple(new_index[j] for j in self.nodes[i].args)) for i in kept]
        return Program(text, tuple(nodes))


def backward(recorder: Recorder, seed: Traced, wrt: tuple[str, ...]) -> dict[str, Traced]:
    """The gradient of ``<seed, output>`` for each input in ``wrt`` that the output depends on, recorded."""
    nodes, output = recorder.nodes, recorder.output
    needs_grad: list[bool] = []
    for node in nodes[: output + 1]:
        if node.op in ("input", "const"):
            needs_grad.append(node.op == "input" and node.attrs["name"] in wrt)
        else:
            vjps = OPS[node.op].vjps
            needs_grad.append(any(needs_grad[j] and vjps[argnum] is not None for argnum, j in enumerate(node.args)))
    grads: list[Traced | None] = [None] * (output + 1)
    grads[output] = seed
    for i in range(output, -1, -1):
        node, g = nodes[i], grads[i]
        if g is None or node.op in ("input", "const"):
            continue
        op = OPS[node.op]
        ans, args = recorder.traced(i), [recorder.traced(j) for j in node.args]
        for argnum, (vjp, j) in enumerate(zip(op.vjps, node.args)):
            if vjp is None or not needs_grad[j]:
                continue
            arg_grad = vjp(g, ans, *args, **node.attrs)
            if not isinstance(arg_grad, Traced):  # a VJP that ignores g entirely
                arg_grad = recorder.constant(arg_grad)
            if op.broadcasts and arg_grad.shape != args[argnum].shape:
                arg_grad = recorder.apply("sum_to", (arg_grad,), {"shape": args[argnum].shape})
            grads[j] = arg_grad if grads[j] is None else grads[j] + arg_grad
    found = [(node.attrs["name"], grads[i]) for i, node in enumerate(nodes[: output + 1]) if node.op == "input" and needs_grad[i]]
    return {name: grad for name, grad in found if grad is not None}


def _dot(recorder: Recorder, pairs: list[tuple[Traced, Traced]]) -> Traced:
    """sum over pairs of sum(a * b), recorded; 0 when there are none.

    NOTE: where a is a product of matrices x @ y, <x @ y, b> is recorded as <x, b @ y.T>: the
    same number, but differentiating it again takes two matrix products instead of three
    (reverse over reverse of sum(tanh(A @ B)): 7 products instead of 9).
    """
    total: Traced | None = None
    for a, b in pairs:
        node = recorder.nodes[a.index]
        if node.op == "matmul" and all(len(recorder.shapes[j]) == 2 for j in node.args):
            x, y = (recorder.traced(j) for j in node.args)
            a, b = x, b @ y.T
        term = recorder.apply("sum", (a * b,), {})
        total = term if total is None else total + term
    return total if total is not None else recorder.constant(0.0)


_cache: dict[tuple[Any, ...], tuple[Program, Program]] = {}


def _cached(kind: str, program: Program, input_shapes: dict[str, Shape], wrt: tuple[str, ...], build: Any) -> Program:
    key = (kind, id(program), tuple(sorted(input_shapes.items())), wrt)
    hit = _cache.get(key)
    if hit is not None and hit[0] is program:  # NOTE: ids are reused once a program dies
        return hit[1]
    if len(_cache) >= MAX_CACHED:
        _cache.pop(next(iter(_cache)))
    built = build()
    _cache[key] = (program, built)
    return built


def hvp_program(program: Program, input_shapes: dict[str, Shape], wrt: tuple[str, ...]) -> Program:
    """``sum_x <∂f/∂x, tangent(x)>`` for a scalar program f: its gradient for ``wrt`` is H·tangent."""

    def build() -> Program:
        recorder = Recorder(program, program.shapes(input_shapes))
        if recorder.shapes[-1] != ():
            raise ValueError("a Hessian needs a scalar output")
        grads = backward(recorder, recorder.constant(1.0), wrt)
        pairs = [(grads[name], recorder.input(tangent(name), input_shapes[name])) for name in wrt if name in grads]
        _dot(recorder, pairs)
        return recorder.program(f"Hessian-vector product of {program.text}")

    return _cached("hvp", program, input_shapes, wrt, build)


def gradient_program(program: Program, input_shapes: dict[str, Shape], x: str) -> Program:
    """``∂f/∂x`` of a scalar program f as a scalar program, for an input ``x`` of one element: differentiated again
    (and again), it gives the derivatives of higher order (reverse over reverse over reverse)."""

    def build() -> Program:
        recorder = Recorder(program, program.shapes(input_shapes))
        if recorder.shapes[-1] != () or math.prod(input_shapes[x]) != 1:
            raise ValueError("a derivative of higher order needs a scalar output and an input of one element")
        grad = backward(recorder, recorder.constant(1.0), (x,)).get(x)
        grad = recorder.constant(0.0) if grad is None else grad
        recorder.add(Node("reshape", (grad.index,), {"shape": ()}, spelling="reshape"), ())  # NOTE: a node of its own, last
        return recorder.program(f"∂/∂{x} of {program.text}")

    return _cached(f"grad {x}", program, input_shapes, (x,), build)


def jvp_program(program: Program, input_shapes: dict[str, Shape], wrt: tuple[str, ...]) -> Program:
    """``sum_x <J_x^T cotangent, tangent(x)>``: linear in the cotangent, its gradient there is ``J·tangent``."""

    def build() -> Program:
        recorder = Recorder(program, program.shapes(input_shapes))
        grads = backward(recorder, recorder.input(COTANGENT, recorder.shapes[-1]), wrt)
        pairs = [(grads[name], recorder.input(tangent(name), input_shapes[name])) for name in wrt if name in grads]
        _dot(recorder, pairs)
        return recorder.program(f"Jacobian-vector product of {program.text}")

    return _cached("jvp", program, input_shapes, wrt, build)
