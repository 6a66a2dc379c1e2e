"""Whether a derivative depends on values nobody knows (a tutorial's unseeded random draws), read from the program's nodes.

A derivative is the product of the local VJPs along every path from the input to the output; each op declares which
values its VJP reads (``ops.Op.reads``, which the numpy engine already relies on to free the others). Where no VJP on
those paths reads a value that an unknown input reaches, the derivative is the same whatever the unknown values are,
and a claim about it can be compared at stand-in values.
"""

from __future__ import annotations

from collections.abc import Collection

from verifygrad.language.ops import OPS, Op
from verifygrad.language.parse import Program

_ARGUMENTS = ("x", "y")


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


def _read(op: Op, argnum: int, index: int, args: tuple[int, ...]) -> list[int]:
    """The nodes whose values the VJP for argument ``argnum`` reads (every one where the op does not say)."""
    if op.reads is None:
        return [index, *args]
    return [index if name == "ans" else args[_ARGUMENTS.index(name)] for name in op.reads[argnum]]
