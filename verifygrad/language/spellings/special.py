"""Special functions."""

from __future__ import annotations

from verifygrad.language.spellings.compose import alias, unary
from verifygrad.language.syntax import Function

SPELLINGS: dict[str, Function] = {
    "erf": alias("erf"),
    "erfc": alias("erfc"),
    "expm1": alias("expm1"),
    "logit": unary(lambda g, x: g.op("sub", g.op("log", x), g.op("log1p", g.op("neg", x)))),
}  # fmt: skip
