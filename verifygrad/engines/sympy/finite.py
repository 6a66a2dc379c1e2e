"""Whether a program is finite at every element in float64, proven from its inputs' ranges (interval arithmetic).

The SymPy engine asks where the program as written is undefined (nan); where every node's range is finite and
no division, log or root leaves its domain, it is nowhere, and the float64 pass that would look is not needed.
An op without a rule here is simply not proven: the caller then computes the program and looks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from verifygrad.language.parse import Program

Range = tuple[float, float]

LIMIT = 1e300  # NOTE: a margin under float64's overflow: bounds are computed in float64 and may round inward
TINY = 1e-300  # a divisor this close to 0 is not proven safe

_MONOTONE: dict[str, Callable[[float], float]] = {"exp": math.exp, "tanh": math.tanh, "sigmoid": lambda v: 0.5 * (1 + math.tanh(v / 2))}
_BOUNDED = {"sin": (-1.0, 1.0), "cos": (-1.0, 1.0)}


def finite_everywhere(program: Program, inputs: dict[str, np.ndarray]) -> bool:
    """True only where every node of ``program`` is proven finite at every element for inputs in their ranges."""
    try:
        sizes = [math.prod(shape) for shape in program.shapes({name: value.shape for name, value in inputs.items()})]
    except ValueError:
        return False
    ranges: list[Range] = []
    for node in program.nodes:
        if node.op == "input":
            values = inputs[node.attrs["name"]]
            bound = (float(np.min(values)), float(np.max(values))) if values.size else (0.0, 0.0)
        elif node.op == "const":
            value = node.attrs["value"]
            bound = (float(np.min(value)), float(np.max(value))) if value.size else (0.0, 0.0)
        else:
            bound = _bound(node.op, [ranges[i] for i in node.args], [sizes[i] for i in node.args], program, node.args)
        if bound is None or not -LIMIT < bound[0] <= bound[1] < LIMIT:  # NOTE: a nan bound fails the comparison too
            return False
        ranges.append(bound)
    return True


def _bound(op: str, args: list[Range], sizes: list[int], program: Program, indices: tuple[int, ...]) -> Range | None:
    """The range of one node's values from its arguments' ranges; None where no rule here proves one."""
    if op in _BOUNDED and len(args) == 1:
        return _BOUNDED[op]
    if op in _MONOTONE and len(args) == 1:
        try:
            return _MONOTONE[op](args[0][0]), _MONOTONE[op](args[0][1])
        except OverflowError:
            return None
    if op == "neg":
        return -args[0][1], -args[0][0]
    if op in ("add", "sub", "mul") and len(args) == 2:
        (a, b), (c, d) = args
        if op == "add":
            return a + c, b + d
        if op == "sub":
            return a - d, b - c
        products = (a * c, a * d, b * c, b * d)
        return min(products), max(products)
    if op == "div" and len(args) == 2:
        (a, b), (c, d) = args
        if c <= TINY and d >= -TINY:
            return None
        quotients = (a / c, a / d, b / c, b / d)
        return min(quotients), max(quotients)
    if op == "pow" and len(args) == 2:
        exponent = program.nodes[indices[1]]
        if exponent.op != "const" or exponent.attrs["value"].size != 1:
            return None
        return _power(args[0], float(exponent.attrs["value"]))
    if op == "log" and args[0][0] > TINY:
        return math.log(args[0][0]), math.log(args[0][1])
    if op == "sqrt" and args[0][0] >= 0:
        return math.sqrt(args[0][0]), math.sqrt(args[0][1])
    if op == "abs":
        low, high = args[0]
        return (0.0 if low <= 0 <= high else min(abs(low), abs(high))), max(abs(low), abs(high))
    if op == "relu":
        return max(args[0][0], 0.0), max(args[0][1], 0.0)
    if op == "mean":
        return args[0] if sizes[0] else None  # NOTE: the mean of nothing is nan
    if op == "sum":
        return args[0][0] * max(sizes[0], 1) if args[0][0] < 0 else args[0][0], args[0][1] * max(sizes[0], 1) if args[0][1] > 0 else args[0][1]
    return None


def _power(base: Range, exponent: float) -> Range | None:
    """x**k for a constant k: a whole k of either sign where 0 is not hit by a negative k; any k on positive x."""
    low, high = base
    if exponent == int(exponent) and abs(exponent) <= 64:
        k = int(exponent)
        if k < 0 and low <= TINY and high >= -TINY:
            return None
        try:
            ends = (low**k, high**k)
        except (OverflowError, ZeroDivisionError):
            return None
        if k % 2 == 0 and k > 0 and low < 0 < high:
            return 0.0, max(ends)
        return min(ends), max(ends)
    if low <= TINY:
        return None
    try:
        ends = (low**exponent, high**exponent)
    except OverflowError:
        return None
    return min(ends), max(ends)
