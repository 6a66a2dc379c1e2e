"""Whether a derivative depends on values nobody knows (a tutorial's unseeded random draws), read from the program's nodes.

A derivative is the product of the local VJPs along every path from the input to the output; each op declares which
values its VJP reads (``ops.Op.reads``, which the numpy engine already relies on to free the others). Where no VJP on
those paths reads a value that an unknown input reaches, the derivative is the same whatever the unknown values are,
and a claim about it can be compared at stand-in values.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from verifygrad.language.derivatives import gradient_program
from verifygrad.language.evaluate import program_value
from verifygrad.language.ops import OPS, Op, Shape
from verifygrad.language.parse import Program

_ARGUMENTS = ("x", "y")
POINTS = 5  # points a derivative the nodes cannot decide is compared at


def derivative_depends(program: Program, wrt: str, unknown: Collection[str]) -> bool:
    """Whether the derivative of the program's output (its last node) with respect to input ``wrt`` may change with
    the values of the inputs named in ``unknown``.

    Conservative: a program whose structure was decided at the inputs' values (an if, a loop, an index) depends."""
    if program.at_values:
        return True
    nodes = program.nodes
    reached: list[bool] = []  # the value depends on an unknown input
    carries: list[bool] = []  # a derivative with respect to ``wrt`` flows through it
    for node in nodes:
        if node.op in ("input", "const"):
            name = node.attrs.get("name") if node.op == "input" else None
            reached.append(name in unknown)
            carries.append(name == wrt)
            continue
        vjps = OPS[node.op].vjps
        reached.append(any(reached[j] for j in node.args))
        carries.append(any(carries[j] and vjps[argnum] is not None for argnum, j in enumerate(node.args)))
    feeds = [False] * len(nodes)  # the output depends on it
    feeds[-1] = True
    for index in range(len(nodes) - 1, -1, -1):
        if feeds[index]:
            for j in nodes[index].args:
                feeds[j] = True
    for index, node in enumerate(nodes):
        if node.op in ("input", "const") or not (carries[index] and feeds[index]):
            continue
        op = OPS[node.op]
        for argnum, j in enumerate(node.args):
            if not carries[j] or op.vjps[argnum] is None:
                continue
            if any(reached[value] for value in _read(op, argnum, index, node.args)):
                return True
    return False


def derivative_constant(program: Program, wrt: tuple[str, ...], shapes: dict[str, Shape]) -> bool:
    """Whether the derivative of the program's output with respect to ``wrt[0]``, then ``wrt[1]``, ... is the same at every
    value of its inputs (`x = 4.9 t²`: d²x/dt² = 9.8 is an identity, not an equation in t): the derivatives before the last
    are written as programs (reverse over reverse), and the last is read as ``derivative_depends`` reads a first one."""
    try:
        for name in wrt[:-1]:
            program = gradient_program(program, shapes, name)
        if not derivative_depends(program, wrt[-1], set(shapes)):
            return True
        # NOTE: the nodes say "depends" wherever a VJP reads a value (`pow(t, 1)`'s reads t): the derivative's values decide,
        # at points drawn apart; a claim then stated as an identity is still proven or refuted by the case, everywhere
        derivative = gradient_program(program, shapes, wrt[-1])
        generator = np.random.default_rng(0)
        values = [program_value(derivative, {name: generator.uniform(-2.0, 2.0, shape) for name, shape in shapes.items()}) for _ in range(POINTS)]
    except (ValueError, KeyError, TypeError, ArithmeticError):  # NOTE: an output or input of several elements: not decided here
        return False
    return all(np.all(np.isfinite(value)) for value in values) and all(np.allclose(value, values[0], rtol=1e-9, atol=1e-12) for value in values)


def _read(op: Op, argnum: int, index: int, args: tuple[int, ...]) -> list[int]:
    """The nodes whose values the VJP for argument ``argnum`` reads (every one where the op does not say)."""
    if op.reads is None:
        return [index, *args]
    return [index if name == "ans" else args[_ARGUMENTS.index(name)] for name in op.reads[argnum]]
