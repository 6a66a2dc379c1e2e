"""Elementwise spellings: numpy's names for primitives, hyperbolic and angle functions, clamping, rounding, remainders, masks."""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

import numpy as np

from verifygrad.language.spellings.compose import METHOD_ONLY, NO_TENSOR, Builder, Call, Compose, Graph, alias, spelling, unary
from verifygrad.language.syntax import ExprError, Function, column


def _sinh(g: Graph, x: int) -> int:
    return g.scale(g.op("sub", g.op("exp", x), g.op("exp", g.op("neg", x))), 0.5)


def _cosh(g: Graph, x: int) -> int:
    return g.scale(g.op("add", g.op("exp", x), g.op("exp", g.op("neg", x))), 0.5)


def _asinh(g: Graph, x: int) -> int:
    # NOTE: x + sqrt(x*x + 1) cancels for large negative x: digits are lost there in float arithmetic.
    return g.op("log", g.op("add", x, g.op("sqrt", g.op("add", g.op("mul", x, x), g.const(1.0)))))


def _acosh(g: Graph, x: int) -> int:
    return g.op("log", g.op("add", x, g.op("sqrt", g.op("sub", g.op("mul", x, x), g.const(1.0)))))


def _atanh(g: Graph, x: int) -> int:
    return g.scale(g.op("sub", g.op("log1p", x), g.op("log1p", g.op("neg", x))), 0.5)


def _deg2rad(g: Graph, x: int) -> int:
    return g.op("div", g.op("mul", x, g.pi()), g.const(180.0))


def _rad2deg(g: Graph, x: int) -> int:
    return g.op("div", g.scale(x, 180.0), g.pi())


def clamp_between(g: Graph, x: int, low: int | None, high: int | None) -> int:
    """min(max(x, low), high), as torch and numpy clamp: high where the bounds cross (bounds may be tensors).

    NOTE: maximum and minimum give a bound exactly; low + relu(x - low) rounds, and gives low where low > high.
    """
    if low is None and high is None:
        raise ExprError(f"{g.name}() needs at least one of min and max", g.col)
    out = x if low is None else g.op("maximum", x, low)
    return out if high is None else g.op("minimum", out, high)


def _bound(call: Call, key: str) -> int | None:
    """A clamp bound: a positional node, or a keyword literal number; None (written or not) is no bound."""
    given = call.params.get(key)
    if given is None or given == NO_TENSOR or (isinstance(given, ast.Constant) and given.value is None):
        return None
    if isinstance(given, int):
        return given
    return call.graph.const(call.number(key, 0.0))


def _clamp(low_key: str, high_key: str) -> Compose:
    return lambda call: clamp_between(call.graph, call.tensors[0], _bound(call, low_key), _bound(call, high_key))


def _subtract(call: Call, reverse: bool = False) -> int:
    """torch.sub(x, y, alpha=1): x - alpha y; torch.rsub(x, y, alpha=1): y - alpha x."""
    g, (x, y) = call.graph, call.tensors
    x, y = (y, x) if reverse else (x, y)
    alpha = call.number("alpha", 1.0)
    return g.op("sub", x, y if alpha == 1 else g.scale(y, alpha))


def _divide(call: Call) -> int:
    """torch.div(x, y, rounding_mode=None|'trunc'|'floor')."""
    g = call.graph
    quotient = g.op("div", *call.tensors)
    mode = call.params.get("rounding_mode")
    if mode is None or (isinstance(mode, ast.Constant) and mode.value is None):
        return quotient
    return g.op(call.choice("rounding_mode", ("trunc", "floor"), "trunc"), quotient)


def _logaddexp(call: Call, base: float = 1.0) -> int:
    g, (x, y) = call.graph, call.tensors
    if base == 1.0:
        return g.op("add", y, g.op("softplus", g.op("sub", x, y)))  # NOTE: softplus is accurate where exp would overflow
    ln2 = g.log_of(2.0)
    return g.op("add", y, g.op("div", g.op("softplus", g.op("mul", g.op("sub", x, y), ln2)), ln2))


def _round(call: Call) -> int:
    """round(x, decimals=0), halves to even: torch's round(x * 10**d) / 10**d, or round(x / 10**-d) * 10**-d below 0
    (the same roundings as torch's own, so the same floats)."""
    g, x, decimals = call.graph, call.tensors[0], call.number("decimals", 0)
    if decimals != int(decimals) or abs(decimals) > 300:
        raise ExprError(f"{g.name}() takes decimals as a whole number", g.col)
    if decimals == 0:
        return g.op("round", x)
    scale = g.const(10.0 ** abs(int(decimals)))
    if decimals > 0:
        return g.op("div", g.op("round", g.op("mul", x, scale)), scale)
    return g.op("mul", g.op("round", g.op("div", x, scale)), scale)


def modulo(b: Builder, x: int, y: int, col: int, name: str = "%") -> int:
    """x - floor(x / y) * y: the remainder with the sign of y, as Python's %, np.mod and torch.remainder."""
    g = Graph(b, name, col)
    return g.op("sub", x, g.op("mul", g.op("floor", g.op("div", x, y)), y))


def _fmod(call: Call) -> int:
    g, (x, y) = call.graph, call.tensors
    return g.op("sub", x, g.op("mul", g.op("trunc", g.op("div", x, y)), y))  # the sign of x, as C's fmod


def _not_nan(g: Graph, x: int) -> int:
    """1 where x is a number (inf included), 0 where it is nan: nan is neither > -max nor < max (no gradient)."""
    largest = float(np.finfo(np.float64).max)
    return g.op("sign", g.op("add", g.op("gt", x, g.const(-largest)), g.op("gt", g.const(largest), x)))


def _nan_ignoring(op: str) -> Compose:
    """torch.fmax/fmin, np.fmax/fmin: the elementwise maximum (minimum), where one argument is nan the other."""

    def compose(call: Call) -> int:
        g, (x, y) = call.graph, call.tensors
        x_ok, y_ok = _not_nan(g, x), _not_nan(g, y)
        both = g.op("mul", x_ok, y_ok)
        only_x = g.op("sub", x_ok, both)
        only_y = g.op("sub", g.const(1.0), x_ok)  # y, nan or not, where x is nan
        return g.op("add", g.op("add", g.op("select", both, g.op(op, x, y)), g.op("select", only_x, x)), g.op("select", only_y, y))

    return compose


def _copysign(call: Call) -> int:
    """torch.copysign(x, y), np.copysign: |x| with the sign bit of y (-0.0 counts as negative, as in C).

    NOTE: atan2(y, -1) is -pi for every y with its sign bit set (-0.0 too) and pi otherwise: a sign bit without a division."""
    g, (x, y) = call.graph, call.tensors
    negative = g.op("gt", g.const(0.0), g.op("atan2", y, g.const(-1.0)))
    return g.op("mul", g.op("abs", x), g.op("sub", g.const(1.0), g.scale(negative, 2.0)))


def greater(g: Graph, x: int, y: int, strict: bool) -> int:
    """A 0/1 mask: x > y, or x >= y; comparisons take no gradient."""
    return g.op("gt", x, y) if strict else g.op("sub", g.const(1.0), g.op("gt", y, x))


def _comparison(g: Graph, kind: type[ast.cmpop], x: int, y: int) -> int:
    if kind in (ast.Gt, ast.GtE):
        return greater(g, x, y, kind is ast.Gt)
    if kind in (ast.Lt, ast.LtE):
        return greater(g, y, x, kind is ast.Lt)
    unequal = g.op("add", g.op("gt", x, y), g.op("gt", y, x))
    return unequal if kind is ast.NotEq else g.op("sub", g.const(1.0), unequal)


def _compare_call(kind: type[ast.cmpop]) -> Function:
    return spelling(lambda call: _comparison(call.graph, kind, *call.tensors), (2, 2))


def compare(b: Builder, node: ast.Compare, depth: int) -> int:
    """a < b (a 0/1 mask); a chain a < b < c is the product of its links."""
    g = Graph(b, "comparison", column(node))
    operands = [b.visit(item, depth + 1) for item in (node.left, *node.comparators)]
    masks = [_comparison(g, type(kind), left, right) for kind, left, right in zip(node.ops, operands, operands[1:])]
    out = masks[0]
    for mask in masks[1:]:
        out = g.op("mul", out, mask)
    return out


def _where(call: Call) -> int:
    g = call.graph
    if len(call.tensors) != 3:
        raise ExprError("where() takes a condition and two tensors, e.g. where(x > 0, x, 0 * x)", g.col)
    condition, a, b = call.tensors
    zero = g.const(0.0)
    elsewhere = g.op("sub", g.const(1.0), g.op("add", g.op("gt", condition, zero), g.op("gt", zero, condition)))  # 1 where it is 0
    return g.op("add", g.op("select", condition, a), g.op("select", elsewhere, b))


def _where_method(call: Call) -> int:
    """``x.where(condition, y)``: torch's method, x where the condition holds, else y (torch.where(condition, x, y))."""
    if len(call.tensors) != 3:
        raise ExprError("x.where() takes a condition and a tensor, e.g. x.where(x > 0, 0 * x)", call.graph.col)
    x, condition, y = call.tensors
    return _where(dataclasses.replace(call, tensors=[condition, x, y]))


def _fill(call: Call) -> int:
    """torch.fill(x, value), torch.zero_(x): x's shape filled with the number; no gradient reaches x."""
    g, x = call.graph, call.tensors[0]
    value = 0.0 if g.name == "zero_" else call.number("value", 0.0)
    return g.op("broadcast_to", g.const(value), shape=g.builder.known_shape(x, g.col, f"{g.name}()"))


def _nan_to_num(call: Call) -> int:
    """torch.nan_to_num(x, nan=0.0, posinf=None, neginf=None), np.nan_to_num: nan, inf and -inf replaced by the numbers
    given (no gradient there); infinities by float64's largest finite number where none is given (in a float32 case,
    give posinf and neginf: torch's default there is float32's largest)."""
    g, x = call.graph, call.tensors[0]
    largest = float(np.finfo(np.float64).max)
    nan, posinf, neginf = (default if _is_none_literal(call.params.get(key)) else call.number(key, default)
                           for key, default in (("nan", 0.0), ("posinf", largest), ("neginf", -largest)))  # fmt: skip
    number = _not_nan(g, x)
    above, below = g.op("gt", x, g.const(largest)), g.op("gt", g.const(-largest), x)
    finite = g.op("sub", g.op("sub", number, above), below)
    kept = g.op("select", finite, x)
    filled = [g.op("select", mask, g.const(value)) for mask, value in ((g.op("sub", g.const(1.0), number), nan), (above, posinf), (below, neginf))]
    return g.op("add", kept, g.op("add", filled[0], g.op("add", filled[1], filled[2])))  # NOTE: select, not 0 * inf: no nan


def _is_none_literal(given: Any) -> bool:
    return isinstance(given, ast.Constant) and given.value is None


SPELLINGS: dict[str, Function] = {
    "absolute": alias("abs"),
    "np.fabs": alias("abs"),
    "operator.truediv": alias("div", 2),  # NOTE: Python's operator module: add, sub, mul, mod, pow, neg, matmul are the names above
    "mul": alias("mul", 2), "sub": spelling(lambda call: _subtract(call), (2, 2), keywords=("alpha",)), "neg": alias("neg"),
    "positive": unary(lambda g, x: x), "div": spelling(_divide, (2, 2), keywords=("rounding_mode",)),
    "rsub": spelling(lambda call: _subtract(call, reverse=True), (2, 2), keywords=("alpha",)),
    "clamp_min": spelling(_clamp("min", "(none)"), (1, 1), ("min",)), "clamp_max": spelling(_clamp("(none)", "max"), (1, 1), ("max",)),
    "negative": alias("neg"),
    "power": alias("pow", 2),
    "add": alias("add", 2),
    "subtract": alias("sub", 2),
    "multiply": alias("mul", 2),
    "divide": alias("div", 2),
    "true_divide": alias("div", 2),
    "square": unary(lambda g, x: g.op("mul", x, x)),
    "cbrt": unary(lambda g, x: g.op("mul", g.op("sign", x), g.op("pow", g.op("abs", x), g.const(1 / 3)))),
    "reciprocal": unary(lambda g, x: g.op("div", g.const(1.0), x)),
    "rsqrt": unary(lambda g, x: g.op("div", g.const(1.0), g.op("sqrt", x))),
    "hypot": spelling(lambda c: c.graph.op("sqrt", c.graph.op("add", *(c.graph.op("mul", t, t) for t in c.tensors))), (2, 2)),
    "exp2": unary(lambda g, x: g.op("pow", g.const(2.0), x)),
    "log2": unary(lambda g, x: g.op("div", g.op("log", x), g.log_of(2.0))),
    "log10": unary(lambda g, x: g.op("div", g.op("log", x), g.log_of(10.0))),
    "logaddexp": spelling(_logaddexp, (2, 2)),
    "logaddexp2": spelling(lambda call: _logaddexp(call, base=2.0), (2, 2)),
    "deg2rad": unary(_deg2rad),
    "radians": unary(_deg2rad),
    "rad2deg": unary(_rad2deg),
    "degrees": unary(_rad2deg),
    "sinh": unary(_sinh),
    "cosh": unary(_cosh),
    "asinh": unary(_asinh),
    "acosh": unary(_acosh),
    "atanh": unary(_atanh),
    "arcsinh": unary(_asinh),
    "arccosh": unary(_acosh),
    "arctanh": unary(_atanh),
    "clamp": spelling(_clamp("min", "max"), (1, 1), ("min", "max")),
    "clip": spelling(_clamp("min", "max"), (1, 1), ("min", "max")),
    "np.clip": spelling(_clamp("a_min", "a_max"), (1, 1), ("a_min", "a_max")),
    "maximum": alias("maximum", 2),
    "minimum": alias("minimum", 2),
    "asin": alias("asin"),
    "acos": alias("acos"),
    "atan": alias("atan"),
    "atan2": alias("atan2", 2),
    "arcsin": alias("asin"),
    "arccos": alias("acos"),
    "arctan": alias("atan"),
    "arctan2": alias("atan2", 2),
    "floor": alias("floor"),
    "ceil": alias("ceil"),
    "trunc": alias("trunc"),
    "fix": alias("trunc"),
    "sign": alias("sign"),
    "round": spelling(_round, (1, 1), keywords=("decimals",)),
    "around": spelling(_round, (1, 1), keywords=("decimals",)),
    "rint": alias("round"),
    "frac": unary(lambda g, x: g.op("sub", x, g.op("trunc", x))),
    "remainder": spelling(lambda call: modulo(call.graph.builder, *call.tensors, call.graph.col, call.graph.name), (2, 2)),
    "mod": spelling(lambda call: modulo(call.graph.builder, *call.tensors, call.graph.col, call.graph.name), (2, 2)),
    "fmod": spelling(_fmod, (2, 2)),
    "where": spelling(_where, (3, 3)),
    "fill": spelling(_fill, (1, 1), ("value",)),
    "zero_": spelling(_fill, (1, 1)),
    "nan_to_num": spelling(_nan_to_num, (1, 1), ("nan", "posinf", "neginf")),
    "fmax": spelling(_nan_ignoring("maximum"), (2, 2)),
    "fmin": spelling(_nan_ignoring("minimum"), (2, 2)),
    "copysign": spelling(_copysign, (2, 2)),
    "ldexp": spelling(lambda call: call.graph.op("mul", call.tensors[0], call.graph.op("pow", call.graph.const(2.0), call.tensors[1])), (2, 2)),
    METHOD_ONLY + "where": spelling(_where_method, (3, 3)),
    **{name: _compare_call(kind) for names, kind in (
        (("gt", "greater"), ast.Gt), (("lt", "less"), ast.Lt), (("ge", "greater_equal"), ast.GtE),
        (("le", "less_equal"), ast.LtE), (("eq", "equal"), ast.Eq), (("ne", "not_equal"), ast.NotEq)) for name in names},
}  # fmt: skip

# clamp(x, None, hi): a bound written None is no bound.
OPTIONAL_TENSORS = frozenset({"clamp", "clip"})
UNSUPPORTED = {
    **dict.fromkeys(("complex", "imag", "angle", "view_as_complex", "polar"), "complex numbers"),
    **dict.fromkeys((f"{kind}{name}{n}" for kind in ("", "i", "r", "ir", "h", "ih") for name in ("fft",) for n in ("", "2", "n")), "FFT (complex numbers)"),
    **dict.fromkeys(("stft", "istft"), "the short-time Fourier transform (complex numbers)"),
}
# Of a real tensor (every tensor here is real), its conjugate and real part are the tensor itself, as in torch.
ALIASES = {
    **dict.fromkeys(("conj", "conj_physical", "resolve_conj", "resolve_neg", "real", "conjugate", "real_if_close"), "clone"),
    "float_power": "pow",
}  # fmt: skip
