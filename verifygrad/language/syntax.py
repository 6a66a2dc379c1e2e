"""What the parser and the composed spellings share: the error type and readers of literal arguments."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NAMED_CONSTANTS = {"pi": math.pi, "e": math.e}


class ExprError(ValueError):
    """The expression text is not in the language; ``col`` is 1-based."""

    def __init__(self, message: str, col: int | None = None):
        super().__init__(message)
        self.message = message
        self.col = col

    def __str__(self) -> str:
        if not self.col:
            return self.message
        head, sep, tail = self.message.partition("; ")  # "unknown function 'f' at column 5; known ..."
        return f"{head} at column {self.col}{sep}{tail}"


def column(node: ast.AST) -> int:
    return getattr(node, "col_offset", -1) + 1


def literal(node: ast.AST) -> Any:
    """A number, or nested list/tuple of numbers, written literally (or a string: einsum's subscripts)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return number(node)
    if isinstance(node, ast.Constant) and type(node.value) is str:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = literal(node.operand)
        if isinstance(value, (int, float)):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [literal(item) for item in node.elts]
    if isinstance(node, ast.Name) and node.id in NAMED_CONSTANTS:
        return NAMED_CONSTANTS[node.id]
    raise ExprError("expected a literal number or list of numbers", column(node))


def number(node: ast.Constant) -> int | float:
    try:
        float(node.value)
    except OverflowError:  # NOTE: an int literal of 400 digits is valid Python but no float64
        raise ExprError("the number is too large for float64", column(node)) from None
    return node.value


def int_literal(node: ast.AST, what: str) -> int:
    value = literal(node)
    if type(value) is not int:
        raise ExprError(f"{what} must be an integer", column(node))
    return value


def bool_literal(node: ast.AST, what: str) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    raise ExprError(f"{what} must be True or False", column(node))


@dataclass(frozen=True)
class Function:
    """A surface function: how many tensor arguments and which keywords it takes."""

    build: Callable[..., int]
    args: tuple[int, int]  # min, max positional arguments
    keywords: frozenset[str] = frozenset()


def reduction_attrs(name: str, keywords: dict[str, ast.AST], dims: list[int], col: int) -> dict[str, Any]:
    dim_nodes = [keywords[k] for k in ("dim", "axis") if k in keywords]
    if len(dim_nodes) + len(dims) > 1:
        raise ExprError(f"{name}() got more than one dimension", col)
    dim = int_literal(dim_nodes[0], "dim") if dim_nodes else (dims[0] if dims else None)
    keep_nodes = [keywords[k] for k in ("keepdim", "keepdims") if k in keywords]
    keepdim = bool_literal(keep_nodes[0], "keepdim") if keep_nodes else False
    return {"dim": dim, "keepdim": keepdim}
