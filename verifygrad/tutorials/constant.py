"""The value of a constant expression written by the reader (`arange(0, 4)`), through verifygrad's own language."""

from __future__ import annotations

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
