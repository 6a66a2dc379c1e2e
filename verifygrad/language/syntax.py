"""What the parser and the composed spellings share: the error type, module prefixes and readers of literal arguments."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Module prefixes tutorial writers copy; `torch.mean(x)` means `mean(x)`.
PREFIXES = {
    "torch", "np", "numpy", "F", "torch.nn.functional", "np.linalg", "numpy.linalg", "torch.linalg", "torch.special", "torch.masked", "torch.fft", "math",
    "torch.ops.aten", "jnp", "jax.numpy", "jax.nn", "torch.autograd", "autograd", "scipy.special",
    "operator", "lax", "jax.lax", "scipy.stats.norm", "scipy.stats.t", "scipy.stats.gamma", "scipy.stats.chi2", "scipy.stats.beta", "scipy.stats.poisson",
}  # fmt: skip
NAMED_CONSTANTS = {"pi": math.pi, "e": math.e}


class ExprError(ValueError):
    """The expression text is not in the language; ``col`` is 1-based, ``line`` set only in a program of several lines."""

    def __init__(self, message: str, col: int | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.col = col
        self.line = line

    def __str__(self) -> str:
        return self.located(with_line=True)

    def located(self, with_line: bool = False) -> str:
        """The message with its place: "at column 5", and "at line 3, column 5" with the line."""
        place = [f"line {self.line}"] if with_line and self.line else []
        place += [f"column {self.col}"] if self.col else []
        if not place:
            return self.message
        head, sep, tail = self.message.partition("; ")  # "unknown function 'f' at column 5; known ..."
        return f"{head} at {', '.join(place)}{sep}{tail}"


class NeedsValues(ExprError):
    """What the text says depends on an input whose value was not given: compile again with the values."""


def column(node: ast.AST) -> int:
    return getattr(node, "col_offset", -1) + 1


def dotted(node: ast.AST) -> str | None:
    """`torch.nn.functional` for the attribute chain, None if it is not one."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def literal(node: ast.AST) -> Any:
    """A number, or nested list/tuple of numbers, written literally or as arithmetic on numbers (``2*pi``)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return number(node)
    if isinstance(node, ast.Constant) and type(node.value) is bool:
        return node.value  # NOTE: read only where a function takes a flag (training=True given positionally)
    if isinstance(node, ast.Constant) and type(node.value) is str:
        return node.value  # NOTE: read only where a function takes a string (einsum's subscripts, reduction='sum')
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = literal(node.operand)
        if isinstance(value, (int, float)):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple)):  # NOTE: None inside a list keeps a size as it is, adaptive_avg_pool2d(x, (None, 7))
        return [None if isinstance(item, ast.Constant) and item.value is None else literal(item) for item in node.elts]
    if isinstance(node, ast.Name) and node.id in NAMED_CONSTANTS:
        return NAMED_CONSTANTS[node.id]
    if isinstance(node, ast.Attribute) and dotted(node.value) in PREFIXES and node.attr in NAMED_CONSTANTS:
        return NAMED_CONSTANTS[node.attr]
    if isinstance(node, ast.Attribute) and dotted(node.value) in PREFIXES and node.attr == "inf":  # math.inf, np.inf
        return math.inf
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float" and len(node.args) == 1 and not node.keywords:
        text = node.args[0].value if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) else ""
        if text.strip().lower() in ("inf", "+inf", "-inf", "infinity", "-infinity"):  # float('inf')
            return -math.inf if text.strip().startswith("-") else math.inf
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        left, right = literal(node.left), literal(node.right)
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            return arithmetic(node, left, right)
    raise ExprError("expected a literal number or list of numbers", column(node))


MAX_INTEGER_EXPONENT = 64


def arithmetic(node: ast.BinOp, left: int | float, right: int | float) -> int | float:
    """Arithmetic on two numbers as Python does it, integers kept integers, never beyond float64's range."""
    small_power = type(left) is int and type(right) is int and 0 <= right <= MAX_INTEGER_EXPONENT
    if isinstance(node.op, ast.Pow) and not small_power:
        left, right = float(left), float(right)  # NOTE: floats, so that 9**9**9 overflows instead of computing for hours
    try:
        value = ARITHMETIC[type(node.op)](left, right)
        if isinstance(value, complex) or not math.isfinite(float(value)):
            raise OverflowError
    except ZeroDivisionError:
        raise ExprError("division by zero in a constant", column(node)) from None
    except OverflowError:
        raise ExprError("the constant is too large for float64 (or not a real number)", column(node)) from None
    return value


ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}  # fmt: skip


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


def reduction_attrs(name: str, keywords: dict[str, ast.AST], dims: list[Any], col: int, several: bool = False) -> dict[str, Any]:
    """dim and keepdim, by keyword or position (torch.sum(x, 0, True)); ``several``: dim may be a tuple of dims."""
    keep_given = dims[-1] if len(dims) == 2 and isinstance(dims[-1], bool) else None
    dims = dims[:-1] if keep_given is not None else dims
    dim_nodes = [keywords[k] for k in ("dim", "axis") if k in keywords]
    if len(dim_nodes) + len(dims) > 1:
        raise ExprError(f"{name}() got more than one dimension", col)
    given = dim_nodes[0] if dim_nodes else None
    explicit_none = isinstance(given, ast.Constant) and given.value is None  # NOTE: dim=None, the default written out
    dim = None if explicit_none else literal(given) if given is not None else (dims[0] if dims else None)
    if isinstance(dim, (list, tuple)) and several and dim and all(type(d) is int for d in dim):
        dim = tuple(dim) if len(dim) > 1 else dim[0]
    elif dim is not None and type(dim) is not int:
        raise ExprError("dim must be an integer" + (" or a tuple of integers" if several else ""), col)
    keep_nodes = [keywords[k] for k in ("keepdim", "keepdims") if k in keywords]
    keepdim = bool_literal(keep_nodes[0], "keepdim") if keep_nodes else bool(keep_given)
    return {"dim": dim, "keepdim": keepdim}


def dims_in_removal_order(dims: tuple[int, ...], ndim: Callable[[], int]) -> list[int]:
    """Dims to remove one at a time, each still naming its own dim when its turn comes: the non-negative highest first,
    the negative lowest first (``ndim`` is asked for only where both kinds are given)."""
    if all(d >= 0 for d in dims):
        return sorted(set(dims), reverse=True)
    if all(d < 0 for d in dims):
        return sorted(set(dims))
    n = ndim()
    return sorted({d % n for d in dims}, reverse=True)
