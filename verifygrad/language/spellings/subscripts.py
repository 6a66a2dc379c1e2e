"""Indexing as Python writes it: x[...] with a key written out, or one part of a tuple result (torch.max(x, 0)[0])."""

from __future__ import annotations

import ast
from typing import Any

import numpy as np

from verifygrad.language import arrays
from verifygrad.language.spellings import layers, linalg, sorting
from verifygrad.language.spellings.compose import PARTS, Builder, nested_tuple, whole_numbers
from verifygrad.language.spellings.table import library_name
from verifygrad.language.syntax import ExprError, column, dotted, literal

TUPLE_SPLITS = frozenset({"meshgrid", "split", "unbind", "np.split", "chunk", "array_split", "tensor_split", "hsplit", "vsplit", "dsplit"})
TUPLE_RESULTS = (
    frozenset({"max", "min", "slogdet", "var_mean", "std_mean", "inv_ex", "solve_ex", "aminmax"})
    | layers.NATIVE
    | TUPLE_SPLITS
    | sorting.TUPLE_RESULTS
    | linalg.TUPLE_RESULTS
)
# Calls whose result is a (values, indices) pair only when return_indices is True: its place among the positional arguments.
INDICES_ON_REQUEST = {**{f"max_pool{n}d": 6 for n in (1, 2, 3)}, **{f"adaptive_max_pool{n}d": 2 for n in (1, 2, 3)}}


KEY_HELP = "indices are written out: x[0], x[-1], x[1:3], x[::-1], x[:, 0], x[[0, 2]], x[[True, False, True]], x[None]"


# numpy's index tricks that join what they are indexed with: np.r_[a, b] along dim 0, np.c_[a, b] as columns.
JOINERS = {f"{prefix}.{name}": name for prefix in ("np", "numpy") for name in ("r_", "c_")}


def subscript(b: Builder, node: ast.Subscript, depth: int) -> int:
    """x[...] with a key written out in the text; torch.max(x, 0)[0] takes part of a tuple result."""
    col = column(node)
    if dotted(node.value) in JOINERS:
        return _joined(b, JOINERS[dotted(node.value)], node, depth)
    if isinstance(node.value, ast.Call) and returns_tuple(node.value):
        part = literal(node.slice) if isinstance(node.slice, (ast.Constant, ast.UnaryOp)) else None
        if type(part) is not int or part < 0:
            raise ExprError(f"take one result of {_called_name(node.value)}() by a literal index, e.g. [0]", col)
        return b.visit_call(node.value, depth + 1, part=part)
    x = b.visit(node.value, depth + 1)
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    key = tuple(_key_item(item) if _written_out(item) else _computed_key_item(b, item, depth) for item in items)
    if arrays.mixed(key) and _reads_torch(b) and _readings_differ(b.known_shape(x, col, "x[...] with an int and a list of indices"), key):
        first, rest = arrays.ints_first(key)
        return b.add("index", (b.add("index", (x,), col, "[]", key=first),), col, "[]", key=rest)
    return b.add("index", (x,), col, "[]", key=key)


def _reads_torch(b: Builder) -> bool:
    """Whether the program so far is torch's (as Program.library decides: torch unless only numpy was called).

    NOTE: decided by the calls before the subscript; a numpy program that calls nothing before it is read as torch."""
    written = {call.namespace.split(".")[0] for call in getattr(b, "calls", ()) if call.namespace != "method"}
    return "torch" in written or (not written and not getattr(b, "other_library", False))  # NOTE: jnp reads keys as numpy


def _readings_differ(shape: tuple[int, ...], key: arrays.Key) -> bool:
    """Whether torch's reading of a mixed key (its ints first) picks other elements, or in another order, than numpy's."""
    if int(np.prod(shape)) > 1_000_000:
        return True  # NOTE: then torch's reading is taken as two index nodes whether or not it is numpy's too
    positions = np.arange(int(np.prod(shape))).reshape(shape)
    try:
        numpy_reading = positions[arrays.as_numpy_key(key)]
        first, rest = arrays.ints_first(key)
        torch_reading = positions[arrays.as_numpy_key(first)][arrays.as_numpy_key(rest)]
    except (IndexError, ValueError):
        return False  # NOTE: the key does not fit: the index node's shape rule says so
    return numpy_reading.shape != torch_reading.shape or bool(np.any(numpy_reading != torch_reading))


def _joined(b: Builder, kind: str, node: ast.Subscript, depth: int) -> int:
    """np.r_[a, b, ...]: the items joined along dim 0, a number counting as one element; np.c_[a, b, ...]: joined along
    the last dim, each item at least 2-D (a 1-D one as a column, a number as 1 x 1). Slices and strings (np.r_[0:3],
    np.r_['0,2', ...]) are not read."""
    col = column(node)
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    if any(isinstance(item, ast.Slice) or (isinstance(item, ast.Constant) and isinstance(item.value, str)) for item in items):
        raise ExprError(f"not supported yet: np.{kind}[...] with a slice or a directive string; join tensors, e.g. np.{kind}[a, b]", col)
    out = None
    for item in items:
        x = b.visit(item, depth + 1)
        ndim = len(b.known_shape(x, col, f"np.{kind}[...]"))
        if kind == "r_" and ndim == 0:
            x = b.add("reshape", (x,), col, f"np.{kind}", shape=(1,))
        elif kind == "c_" and ndim < 2:
            x = b.add("reshape", (x,), col, f"np.{kind}", shape=(-1, 1))
        out = x if out is None else b.add("concat", (out, x), col, f"np.{kind}", dim=0 if kind == "r_" else -1)
    return out


def _written_out(item: ast.AST) -> bool:
    """A key item in the text itself: a slice, a number, None, ..., or a list of them."""
    return isinstance(item, (ast.Slice, ast.Constant, ast.List)) or (isinstance(item, ast.UnaryOp) and isinstance(item.operand, ast.Constant))


def _computed_key_item(b: Builder, item: ast.AST, depth: int) -> tuple:
    """An index computed from the inputs (x[k], x[x > 0], x[torch.argmax(y)]): fixed at their values, as an if is.

    A comparison is a mask; anything else gives positions, which must be whole numbers.
    """
    value = b.known_value(b.visit(item, depth + 1), column(item), "the index")
    if isinstance(item, ast.Compare):
        return nested_tuple(np.asarray(value) != 0)
    return nested_tuple(whole_numbers(value, "the index", column(item)))


def returns_tuple(call: ast.Call) -> bool:
    """Whether the call's result is a tuple its parts are taken from (torch.max(x, 0), torch.linalg.svd(A))."""
    name = _called_name(call)
    if name not in INDICES_ON_REQUEST:
        return name in TUPLE_RESULTS
    asked = [keyword.value for keyword in call.keywords if keyword.arg == "return_indices"] + call.args[INDICES_ON_REQUEST[name] :][:1]
    return any(isinstance(given, ast.Constant) and given.value is True for given in asked)


# Calls whose parts are all tensors of the inputs (no positions, signs or flags): a program ending with one takes them all.
SEVERAL_TENSORS = TUPLE_SPLITS | frozenset({"eigh", "svd", "linalg.svd", "np.svd", "qr", "linalg.qr", "np.qr"})


def several_tensors(call: ast.Call) -> bool:
    """Whether the call's result is several tensors of the inputs (np.split(x, 3), torch.linalg.svd(A))."""
    return _called_name(call) in SEVERAL_TENSORS


def named_part(call: ast.Call, attr: str) -> int | None:
    """The part of a tuple result a field name takes (torch.max(x, 0).values is [0]); None where the call has no such field."""
    return linalg.NAMED_PARTS.get(_called_name(call), PARTS).get(attr)


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        parts, value = [], func.value
        while isinstance(value, ast.Attribute):
            parts.append(value.attr)
            value = value.value
        prefix = ".".join([value.id, *reversed(parts)]) if isinstance(value, ast.Name) else None
        return library_name(func.attr, prefix)
    return ""


def _key_item(item: ast.AST) -> Any:
    if isinstance(item, ast.Slice):
        bounds = [None if part is None else _key_int(part) for part in (item.lower, item.upper, item.step)]
        if bounds[2] == 0:
            raise ExprError("a slice step cannot be zero", column(item))
        return slice(*bounds)
    if isinstance(item, ast.Constant) and (item.value is None or item.value is Ellipsis):
        return item.value
    if isinstance(item, ast.List):
        if item.elts and all(isinstance(e, ast.Constant) and isinstance(e.value, bool) for e in item.elts):
            return tuple(e.value for e in item.elts)  # a constant mask
        return tuple(_key_int(e) for e in item.elts)
    return _key_int(item)


def _key_int(item: ast.AST) -> int:
    try:
        value = literal(item)
    except ExprError:
        value = None
    if type(value) is not int:
        raise ExprError(f"not supported: this index; {KEY_HELP}", column(item))
    return value
