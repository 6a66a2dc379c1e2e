"""Linear algebra: determinants, solves, einsum and tensordot, traces."""

from __future__ import annotations

import re
from typing import Any

from verifygrad.language.spellings.compose import PART, Call, Graph, alias, part_index, spelling, unary
from verifygrad.language.spellings.shape import diagonal_offset, reordered
from verifygrad.language.syntax import ExprError, Function


def _trace(call: Call) -> int:
    k = diagonal_offset("offset")(call)
    return call.graph.op("trace", call.tensors[0]) if k == 0 else call.graph.reduce("sum", call.graph.op("diag", call.tensors[0], k=k))


def einsum_parts(spec: Any, operands: int, col: int) -> tuple[list[str], str]:
    """Each operand's subscripts and the output's, the output made explicit (numpy's implicit rule: the indices
    that appear once, in alphabetical order); checked as numpy checks them."""
    if not isinstance(spec, str) or not re.fullmatch(r"[a-zA-Z]*(,[a-zA-Z]*)*(->[a-zA-Z]*)?", spec.replace(" ", "")):
        raise ExprError("einsum() takes subscripts of letters, e.g. einsum('ij,jk->ik', a, b) ('...' is not supported yet)", col)
    spec = spec.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    letters = inputs.split(",")
    if len(letters) != operands:
        raise ExprError(f"einsum '{spec}' names {len(letters)} operand(s), {operands} given", col)
    if not arrow:
        output = "".join(sorted(letter for letter in set(inputs) - {","} if inputs.count(letter) == 1))
    if len(set(output)) != len(output):
        raise ExprError(f"einsum '{spec}': the output repeats an index", col)
    if set(output) - set(inputs):
        raise ExprError(f"einsum '{spec}': the output names an index no operand has", col)
    return letters, output


def _einsum(call: Call) -> int:
    """einsum of any number of operands: repeated indices (diagonals) and indices summed within one operand first,
    then a left-to-right chain of the two-operand primitive, then the output's order."""
    g = call.graph
    subscripts, output = einsum_parts(call.literal("equation", 0, None), len(call.tensors), g.col)
    operands = list(zip(call.tensors, subscripts))
    for k, (x, letters) in enumerate(operands):
        needed = set(output).union(*(other for j, (_, other) in enumerate(operands) if j != k))
        operands[k] = _own_indices_summed(g, *_diagonals_taken(g, x, letters), needed)
    x, letters = operands[0]
    for k, (y, other) in enumerate(operands[1:], start=1):
        later = set(output).union(*(rest for _, rest in operands[k + 1 :]))
        kept = "".join(dict.fromkeys(c for c in letters + other if c in later))
        x, letters = g.op("einsum", x, y, spec=f"{letters},{other}->{kept}"), kept
    if letters == output:
        return x
    return reordered(g, x, letters, output)


def _diagonals_taken(g: Graph, x: int, letters: str) -> tuple[int, str]:
    """x with each repeated index reduced to its diagonal ('ii' to 'i'): times a mask of equal positions, summed over the repeat.

    NOTE: the mask is built from x's own shape in the graph (cumulative counts of ones), so no size is needed here.
    """
    while len(set(letters)) != len(letters):
        first = next(i for i, c in enumerate(letters) if letters.index(c) != i)
        p, q = letters.index(letters[first]), first
        ones = g.op("add", g.op("mul", x, g.const(0.0)), g.const(1.0))
        along_p, along_q = g.op("cumsum", ones, dim=p), g.op("cumsum", ones, dim=q)
        equal = g.op("sub", g.const(1.0), g.op("add", g.op("gt", along_p, along_q), g.op("gt", along_q, along_p)))
        x, letters = g.reduce("sum", g.op("mul", x, equal), q), letters[:q] + letters[q + 1 :]
    return x, letters


def _own_indices_summed(g: Graph, x: int, letters: str, needed: set[str]) -> tuple[int, str]:
    """x summed over the indices no other operand and not the output has ('ij,jk->k': i is summed in the first)."""
    for position in reversed(range(len(letters))):
        if letters[position] not in needed:
            x, letters = g.reduce("sum", x, position), letters[:position] + letters[position + 1 :]
    return x, letters


def _tensordot(call: Call) -> int:
    given = call.literal("dims" if "dims" in call.params else "axes", 0, 2)
    if type(given) is int:
        return call.graph.op("tensordot", *call.tensors, axes=given)
    pair = given if isinstance(given, (list, tuple)) and len(given) == 2 else None
    if pair is not None and all(type(d) is int for d in pair):
        pair = ([pair[0]], [pair[1]])  # np.tensordot(a, b, axes=(1, 0)): one dim of each
    if pair is None or not all(isinstance(side, (list, tuple)) and all(type(d) is int for d in side) for side in pair):
        raise ExprError(f"{call.graph.name}() takes dims as a number or a pair of lists of dims, e.g. dims=([1], [0])", call.graph.col)
    return call.graph.op("tensordot", *call.tensors, axes=(tuple(pair[0]), tuple(pair[1])))


def _slogdet(call: Call) -> int:
    g, x = call.graph, call.tensors[0]
    return g.op("logabsdet", x) if part_index(call) == 1 else g.op("sign", g.op("det", x))


SPELLINGS: dict[str, Function] = {
    "det": alias("det"),
    "inv": alias("inv"),
    "inverse": alias("inv"),
    "solve": alias("solve", 2),
    "cholesky": alias("cholesky"),
    "einsum": spelling(_einsum, (1, 16), keywords=("equation",)),
    "tensordot": spelling(_tensordot, (2, 2), keywords=("dims", "axes")),
    "logdet": unary(lambda g, x: g.op("log", g.op("det", x))),
    "slogdet": spelling(_slogdet, (1, 1), keywords=(PART,)),
    "np.trace": spelling(_trace, (1, 1), keywords=("offset",)),
    "np.dot": spelling(lambda call: call.graph.op("matmul", *call.tensors), (2, 2)),
}  # fmt: skip

LITERAL_POSITIONAL = frozenset({"einsum", "tensordot", "np.trace"})
UNSUPPORTED = dict.fromkeys(("svd", "svdvals", "eig", "eigh", "eigvals", "eigvalsh", "pinv", "matrix_rank", "lstsq"), "SVD and eigendecompositions")
