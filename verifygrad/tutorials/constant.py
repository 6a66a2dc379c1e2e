"""The value of a constant expression written by the reader (`arange(0, 4)`), through verifygrad's own language; a constant index."""

from __future__ import annotations

import ast

import numpy as np

from verifygrad.language.constants import ConstantError
from verifygrad.language.evaluate import constant_value
from verifygrad.language.parse import ExprError, parse


def constant_array(text: str) -> np.ndarray | None:
    """The float64 value, or None when the text is not a constant expression verifygrad reads."""
    try:
        return constant_value(parse(text, allow_inputs=False))
    except (ExprError, ConstantError, ValueError, RecursionError):
        return None


def constant_index(key: ast.expr) -> object:
    """An index written with whole numbers and slices of them (`0`, `1:3`, `0, ::2`), as Python's index; None otherwise."""
    if isinstance(key, ast.Tuple):
        parts = [constant_index(part) for part in key.elts]
        return None if any(part is None for part in parts) else tuple(parts)
    if isinstance(key, ast.Slice):
        bounds = [None if part is None else constant_index(part) for part in (key.lower, key.upper, key.step)]
        written = [part for part in (key.lower, key.upper, key.step) if part is not None]
        return None if any(isinstance(b, (tuple, slice)) for b in bounds) or len(written) != sum(b is not None for b in bounds) else slice(*bounds)
    if isinstance(key, ast.UnaryOp) and isinstance(key.op, ast.USub) and isinstance(key.operand, ast.Constant) and type(key.operand.value) is int:
        return -key.operand.value
    return key.value if isinstance(key, ast.Constant) and type(key.value) is int else None
