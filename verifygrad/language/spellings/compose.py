"""How a spelling is composed from primitives: the parser's builder as a spelling sees it, the nodes of one call, its arguments.

Each spelling builds a few primitive nodes of ``ops.OPS`` (softmax is ``exp(x - logsumexp(x, dim))``), so every
engine differentiates it with no rule of its own.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from verifygrad.errors import excerpt
from verifygrad.language.syntax import ExprError, Function, column, literal, reduction_attrs

NUMPY_PREFIXES = frozenset({"np", "numpy", "np.linalg", "numpy.linalg"})


class Builder(Protocol):
    """What a spelling needs of the parser's builder."""

    nodes: list[Any]

    def visit(self, node: ast.AST, depth: int) -> int: ...

    def visit_call(self, node: ast.Call, depth: int, part: int | None = None) -> int: ...

    def add(self, op: str, args: tuple[int, ...] = (), col: int = 0, spelling: str = "", **attrs: Any) -> int: ...

    def const(self, value: Any, col: int, symbol: str | None = None) -> int: ...

    def known_value(self, index: int, col: int, what: str, then: Callable[[Any], Any] = ...) -> Any: ...

    def known_shape(self, index: int, col: int, what: str) -> tuple[int, ...]: ...

    def visit_keyword(self, node: ast.AST) -> int: ...


@dataclass
class Graph:
    """Adds primitive nodes for one call of a composed spelling, all at the call's column and under its name."""

    builder: Builder
    name: str
    col: int

    def op(self, op: str, *args: int, **attrs: Any) -> int:
        return self.builder.add(op, args, self.col, self.name, **attrs)

    def const(self, value: float) -> int:
        return self.builder.const(value, self.col)

    def checked(self, ndims: tuple[frozenset[int], ...], op: str, *args: int, **attrs: Any) -> int:
        """A node whose arguments must have these numbers of dimensions (else an error naming the spelling)."""
        index = self.op(op, *args, **attrs)
        self.builder.nodes[index] = replace(self.builder.nodes[index], ndims=ndims)
        return index

    def scale(self, x: int, factor: float) -> int:
        return self.op("mul", x, self.const(factor))

    def pi(self) -> int:
        return self.builder.const(math.pi, self.col, symbol="pi")

    def log_of(self, number: float) -> int:
        """log(number) as a node: exact in SymPy (log(2)), where a rounded float constant would not be."""
        return self.op("log", self.const(number))

    def reduce(self, op: str, x: int, dim: int | None = None, keepdim: bool = False) -> int:
        return self.op(op, x, dim=dim, keepdim=keepdim)

    def count(self, x: int, dim: int | None, keepdim: bool = False) -> int:
        """The number of elements a reduction of x along dim takes in, computed in the graph.

        NOTE: the parser does not know shapes; 0*x + 1 summed is that number exactly in
        every engine, and passes no gradient back to x.
        """
        ones = self.op("add", self.op("mul", x, self.const(0.0)), self.const(1.0))
        return self.reduce("sum", ones, dim, keepdim)


@dataclass
class Call:
    """The arguments of one call: tensor node ids, and parameters read from literals."""

    graph: Graph
    tensors: list[int]
    params: dict[str, ast.AST | int]  # an AST literal (keyword) or a const node id (positional)
    dims: list[int]

    def number(self, key: str, default: float) -> float:
        given = self.params.get(key)
        if given is None:
            return default
        if isinstance(given, int):  # a positional argument, already a const node
            node = self.graph.builder.nodes[given]
            if node.op == "const" and node.attrs["value"].shape == ():
                return float(node.attrs["value"])
            raise ExprError(f"{self.graph.name}() takes {key} as a number", self.graph.col)
        value = literal(given)
        if not isinstance(value, (int, float)):
            raise ExprError(f"{self.graph.name}() takes {key} as a number", column(given))
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        given = self.params.get(key)
        if given is None:
            return default
        if isinstance(given, ast.Constant) and isinstance(given.value, bool):
            return given.value
        raise ExprError(f"{key} must be True or False", self.graph.col)

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        given = self.params.get(key)
        if given is None:
            return default
        if isinstance(given, ast.Constant) and given.value in options:
            return given.value
        raise ExprError(f"{self.graph.name}() takes {key} as one of {', '.join(map(repr, options))}", self.graph.col)

    def dim(self, required: bool = False, several: bool = False) -> Any:
        """The dim by keyword or position; None for all; ``several``: a tuple of dims is allowed too."""
        keywords = {key: node for key, node in self.params.items() if key in ("dim", "axis") and isinstance(node, ast.AST)}
        dim = reduction_attrs(self.graph.name, keywords, self.dims, self.graph.col, several)["dim"]
        if dim is None and required:
            raise ExprError(f"{self.graph.name}() needs a dimension, e.g. {self.graph.name}(x, dim=-1)", self.graph.col)
        return dim

    def part(self) -> int | None:
        """Which element of a tuple result is taken (torch.max(x, 0)[0] or .values), if any."""
        given = self.params.get(PART)
        return given.value if isinstance(given, ast.Constant) else None

    def literal(self, key: str, position: int, default: Any) -> Any:
        """A literal parameter: by keyword, or the position-th literal positional argument."""
        if key in self.params and isinstance(self.params[key], ast.AST):
            value = literal(self.params[key])
        else:
            value = self.dims[position] if len(self.dims) > position else default
        if any(type(v) is int and abs(v) > MAX_INTEGER for v in _flat(value)):  # NOTE: numpy and torch overflow a C long
            raise ExprError(f"{self.graph.name}() takes {key} within ±{MAX_INTEGER:.0e}, not {excerpt(str(value), 40)}", self.graph.col)
        return value

    def scalar(self, key: str, position: int, default: float) -> float:
        """A number parameter: by keyword, or the position-th literal positional argument (names in NUMBER_POSITIONAL)."""
        if key in self.params:
            return self.number(key, default)
        value = self.dims[position] if len(self.dims) > position else default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExprError(f"{self.graph.name}() takes {key} as a number", self.graph.col)
        return float(value)

    def tensor(self, key: str, position: int) -> int | None:
        """An optional tensor argument: the position-th tensor given, or the keyword's; None where it is not given (or None)."""
        if len(self.tensors) > position:
            return None if self.tensors[position] == NO_TENSOR else self.tensors[position]
        given = self.params.get(key)
        if given is None or isinstance(given, int):
            return given
        if isinstance(given, ast.Constant) and given.value is None:
            return None
        return self.graph.builder.visit_keyword(given)

    def integer(self, key: str, position: int, default: int | None) -> int | None:
        """An integer parameter: by keyword, the position-th literal, or a positional number node."""
        given = self.params.get(key)
        value = self.number(key, 0.0) if isinstance(given, int) else self.literal(key, position, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer()):
            raise ExprError(f"{self.graph.name}() takes {key} as a whole number", self.graph.col)
        return None if value is None else int(value)

    def keepdim(self) -> bool:
        """keepdim by keyword, or written after the dim (torch.max(x, 1, True))."""
        keywords = {key: node for key, node in self.params.items() if key in ("keepdim", "keepdims") and isinstance(node, ast.AST)}
        if not keywords and len(self.dims) == 2 and isinstance(self.dims[1], bool):
            return self.dims[1]
        return reduction_attrs(self.graph.name, keywords, [], self.graph.col)["keepdim"]


Compose = Callable[[Call], int]
MAX_INTEGER = 10**15  # an integer argument (a dim, an offset, a count) beyond this is no shape a case can have


def _flat(value: Any) -> list[Any]:
    return [v for item in value for v in _flat(item)] if isinstance(value, (list, tuple)) else [value]


def spelling(compose: Compose, tensors: tuple[int, int], params: tuple[str, ...] = (), keywords: tuple[str, ...] = ()) -> Function:
    """A parser Function for a composition: ``tensors`` (min, max) tensor arguments, then ``params`` positionally."""

    def build(b: Builder, name: str, args: list[int], given: dict[str, ast.AST], col: int, dims: list[int]) -> int:
        count = min(len(args), tensors[1])
        positional = dict(zip(params, args[count:]))
        if len(args) > count + len(params) or set(positional) & set(given):
            raise ExprError(f"{name}() got too many arguments", col)
        if count < tensors[0]:
            raise ExprError(f"{name}() takes at least {tensors[0]} tensor argument(s), got {count}", col)
        return compose(Call(Graph(b, name, col), args[:count], {**positional, **given}, dims))

    return Function(build, (tensors[0], tensors[1] + len(params)), frozenset(params) | frozenset(keywords))


def unary(formula: Callable[[Graph, int], int]) -> Function:
    return spelling(lambda call: formula(call.graph, call.tensors[0]), (1, 1))


def alias(op: str, arity: int = 1) -> Function:
    return spelling(lambda call: call.graph.op(op, *call.tensors), (arity, arity))


METHOD_ONLY = "Tensor."  # the key prefix of a method that differs from the function of its name: x.where(c, y)
NO_TENSOR = -1  # NOTE: a None written where an optional tensor goes, F.batch_norm(x, None, None, w, b, True): no node
PART = "(part)"  # NOTE: a keyword no Python call can spell: which element of a tuple result is taken
# The spellings of a comparison (x > 0, torch.gt(x, 0)): torch's result is boolean, where a case's tensors are floats.
COMPARISONS = frozenset({"comparison", "gt", "ge", "lt", "le", "eq", "ne", "greater", "greater_equal", "less", "less_equal", "not_equal"})


PARTS = {
    "values": 0, "indices": 1, "sign": 0, "logabsdet": 1, "eigenvalues": 0, "eigenvectors": 1, "U": 0, "S": 1, "Vh": 2, "V": 2, "Q": 0, "R": 1,
    "solution": 0,
}  # fmt: skip


class SeveralTensors(ExprError):
    """A call whose result is several tensors, read where one is needed: a program ending with it takes them all."""


def part_index(call: Call) -> int:
    part = call.part()
    if part is None:
        raise SeveralTensors(f"{call.graph.name}() returns several tensors: take one, e.g. {call.graph.name}(...)[0]", call.graph.col)
    return part


def along(dim: int, item: Any) -> tuple[Any, ...]:
    """The key that applies ``item`` along ``dim`` (negative dims counted from the end)."""
    return (slice(None),) * dim + (item,) if dim >= 0 else (Ellipsis, item) + (slice(None),) * (-dim - 1)


def ints(value: Any, what: str, call: Call) -> tuple[int, ...]:
    values = value if isinstance(value, list) else [value]
    if not all(type(v) is int for v in values):
        raise ExprError(f"{call.graph.name}() takes {what} as integers", call.graph.col)
    return tuple(values)


def dim_of(call: Call) -> int | None:
    """The dim (axis) of gather/take/index_select: by keyword, or the positional integer."""
    for key in ("dim", "axis"):
        if isinstance(call.params.get(key), ast.AST):
            value = literal(call.params[key])
            if type(value) is not int:
                raise ExprError(f"{call.graph.name}() takes {key} as an integer", call.graph.col)
            return value
    return next((d for d in call.dims if type(d) is int), None)


def whole_numbers(value: Any, what: str, col: int) -> np.ndarray:
    value = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(value)) or not np.all(value == np.round(value)):
        raise ExprError(f"{what} must be whole numbers (positions); for a mask, write a comparison, e.g. x[m > 0]", col)
    return value.astype(np.int64)


def nested_tuple(array: np.ndarray) -> Any:
    """An index array as a key item: nested tuples of Python ints (or bools), hashable and printable."""
    if array.ndim == 0:
        return array.item()
    return tuple(nested_tuple(row) for row in array) if array.ndim > 1 else tuple(array.tolist())
