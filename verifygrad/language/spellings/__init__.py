"""Operations composed from primitives, one module per family; what the parser needs of them.

Each spelling builds a few primitive nodes of ``ops.OPS`` (softmax is ``exp(x - logsumexp(x, dim))``), so every
engine differentiates it with no rule of its own.  Where libraries give one name different meanings
(``torch.var`` is unbiased, ``np.var`` is not), the numpy meaning is filed under ``np.<name>`` and chosen by the
``np.``/``numpy.`` prefix.
"""

from __future__ import annotations

import ast

from verifygrad.language.spellings.compose import PART
from verifygrad.language.spellings.elementwise import compare, modulo
from verifygrad.language.spellings.subscripts import named_part, returns_tuple, several_tensors, subscript
from verifygrad.language.spellings.table import (
    ALIASES,
    DIM_POSITIONAL,
    JOINS,
    NUMPY_METHODS,
    OPTIONAL_TENSORS,
    SPELLINGS,
    UNSUPPORTED,
    arguments,
    library_name,
    unsupported,
)  # fmt: skip

# The syntax nodes the spellings read: indexing, comparisons and %.
AST_NODES = (ast.Subscript, ast.Slice, ast.Compare, ast.Gt, ast.Lt, ast.GtE, ast.LtE, ast.Eq, ast.NotEq, ast.Mod)

__all__ = [
    "ALIASES", "AST_NODES", "DIM_POSITIONAL", "JOINS", "NUMPY_METHODS", "OPTIONAL_TENSORS", "PART", "SPELLINGS", "UNSUPPORTED", "arguments", "compare",
    "library_name", "modulo", "named_part", "returns_tuple", "several_tensors", "subscript", "unsupported",
]  # fmt: skip
