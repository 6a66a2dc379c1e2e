"""Hypothesis strategies: hostile text for the parser and loader, well-typed expressions for the engines."""

from __future__ import annotations

import os
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.clihelp import BUNDLED_CASES


def fuzz_settings(default: int) -> settings:
    """Seeded and bounded in the default suite; ``python -m tests.fuzz --scale N`` multiplies the count."""
    scale = float(os.environ.get("VERIFYGRAD_FUZZ_SCALE", "1"))
    return settings(
        max_examples=max(1, int(default * scale)),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


# --- hostile text ---------------------------------------------------------------

TOKENS = [
    *["x", "y", "z", "W", "v", "a"],
    *["exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "softplus", "pow"],
    *["sum", "mean", "logsumexp", "norm", "matmul", "mm", "mv", "dot", "outer", "t", "transpose", "trace"],
    *["ones", "zeros", "full", "eye", "arange", "linspace", "tensor", "array", "randn"],
    "torch.",
    "np.",
    "F.",
    "torch.nn.functional.",
    ".T",
    ".mT",
    ".pow",
    ".sum",
    ".__class__",
    "__import__",
    "lambda",
    "+",
    "-",
    "*",
    "/",
    "**",
    "@",
    "%",
    "//",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "==",
    "!",
    "'",
    '"',
    ";",
    "\\",
    "\n",
    "dim",
    "axis",
    "keepdim",
    "seed",
    "fill_value",
    "True",
    "False",
    "None",
    "pi",
    "e",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "0.5",
    "1e400",
    "1e-308",
    "1e308",
    "nan",
    "inf",
    "10**10",
    "9" * 30,
    "0x10",
    "1_000",
    "1j",
]

token_text = st.lists(st.sampled_from(TOKENS), max_size=30).map(lambda tokens: " ".join(tokens) if len(tokens) % 2 else "".join(tokens))
any_text = st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1")), token_text)

CASE_KEYS = [
    "name",
    "expr",
    "inputs",
    "wrt",
    "grad_output",
    "dtype",
    "device",
    "engines",
    "tolerance",
    "expect",
    "expect_mismatch",
    "cases",
    "defaults",
]
yaml_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    token_text,
    st.sampled_from(["x", "ones(2, 2)", "sum(x)", "float32", "cpu", "numpy", "randn(3, seed=1)", "1e400", "x**10**10**10"]),
)
yaml_value = st.recursive(
    yaml_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(CASE_KEYS + ["x", "y", "rtol", "atol", "value", "grad", "formula"]), st.text(max_size=8)),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)
yaml_document = st.dictionaries(st.sampled_from(CASE_KEYS), yaml_value, max_size=8)


def bundled_texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(BUNDLED_CASES.glob("*.yaml"))]


@st.composite
def mutated_case_file(draw: st.DrawFn) -> str:
    """A bundled case file with a few random edits: deletions, insertions, swapped or repeated lines."""
    text = draw(st.sampled_from(bundled_texts()))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "swap", "repeat", "replace-char"]))
        lines = text.splitlines(keepends=True)
        if kind in ("swap", "repeat") and len(lines) > 1:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            text = "".join(lines)
            continue
        at = draw(st.integers(0, len(text)))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            insert = st.one_of(st.sampled_from([*TOKENS, "&a ", "*a", "!!python/name:os.system ", "{", "- ", ": "]), st.text(max_size=5))
            text = text[:at] + draw(insert) + text[at:]
        else:
            text = text[:at] + draw(st.characters()) + text[at + 1 :]
    return text


# --- well-typed expressions for differential testing ------------------------------------


@dataclass(frozen=True)
class Shapes:
    m: int
    n: int


POSITIVE_WRAPS = ["softplus({}) + 0.5", "exp(tanh({}))", "({})**2 + 0.5", "sigmoid({}) + 0.25"]
UNARY_ANY = [
    "exp(tanh({}))",
    "tan({})",
    "sin({})",
    "cos({})",
    "tanh({})",
    "sigmoid({})",
    "softplus({})",
    "-({})",
    "relu({})",
    "abs({})",
    "({}).pow(2)",
    "({})**3",
]
UNARY_POSITIVE = ["log({})", "sqrt({})", "log1p({})", "({})**0.5", "({})**-1", "({})**tanh({})"]


@st.composite
def expression(draw: st.DrawFn, shape: tuple[int, ...], dims: Shapes, depth: int) -> str:
    """A random expression of exactly ``shape`` over inputs s (scalar), u (m), v (n), A (m x n)."""
    m, n = dims.m, dims.n
    leaves = {(): ["s"], (m,): ["u"], (n,): ["v"], (m, n): ["A"], (n, m): ["A.T", "t(A)", "transpose(A, 0, 1)"]}
    leaves[(m, m)] = ["outer(u, u)", "A @ A.T"]
    leaves[(n, n)] = ["outer(v, v)", "A.T @ A"]
    if depth <= 0 or draw(st.integers(0, 5)) == 0:
        options = leaves.get(shape, [])
        if shape != () and draw(st.booleans()):
            options = options + [f"({draw(st.sampled_from(options))} * {draw(st.sampled_from(['2', '0.5', '-1.5', 's', 'pi']))})"]
        return draw(st.sampled_from(options))
    sub = lambda target: expression(shape=target, dims=dims, depth=depth - 1)  # noqa: E731
    kind = draw(st.sampled_from(["unary", "unary", "positive", "binary", "binary", "divide", "reduce", "linear"]))
    if kind == "unary":
        return draw(st.sampled_from(UNARY_ANY)).format(draw(sub(shape)))
    if kind == "positive":
        inner = draw(st.sampled_from(POSITIVE_WRAPS)).format(draw(sub(shape)))
        template = draw(st.sampled_from(UNARY_POSITIVE))
        return template.format(inner, draw(sub(()))) if template.count("{}") == 2 else template.format(inner)
    if kind in ("binary", "divide"):
        # The right operand may broadcast: a scalar, or a vector along the last axis.
        right_shape = draw(st.sampled_from([shape, (), shape[-1:]] if shape else [()]))
        left, right = draw(sub(shape)), draw(sub(right_shape))
        if kind == "divide":
            return f"({left}) / ({draw(st.sampled_from(POSITIVE_WRAPS)).format(right)})"
        return f"({left}) {draw(st.sampled_from(['+', '-', '*']))} ({right})"
    if kind == "reduce":
        return draw(reduction(shape, dims, depth))
    return draw(linear(shape, dims, depth))


@st.composite
def reduction(draw: st.DrawFn, shape: tuple[int, ...], dims: Shapes, depth: int) -> str:
    sub = lambda target: expression(shape=target, dims=dims, depth=depth - 1)  # noqa: E731
    function = draw(st.sampled_from(["sum", "mean", "logsumexp", "norm"]))
    if shape == ():
        source = draw(st.sampled_from([(dims.m,), (dims.n,), (dims.m, dims.n)]))
        body = draw(sub(source))
        if function == "norm":  # NOTE: norm is not differentiable at 0; keep its argument away from it
            body = f"softplus({body}) + 0.1"
        return f"{function}({body})"
    if len(shape) == 1:
        dim = 0 if shape == (dims.n,) and (dims.m != dims.n or draw(st.booleans())) else 1
        body = draw(sub((dims.m, dims.n)))
        if function == "norm":
            body = f"softplus({body}) + 0.1"
        if function == "norm":  # NOTE: norm's positional argument is its order p, not a dim
            return f"{function}({body}, dim={dim})"
        spellings = [f"{function}({body}, dim={dim})", f"{function}({body}, {dim})", f"({body}).{function}(axis={dim})"]
        return draw(st.sampled_from(spellings))
    # A 2-D result: broadcast a keepdim reduction back against a full-shape expression.
    dim = draw(st.sampled_from([0, 1, -1]))
    body = draw(sub(shape))
    return f"({draw(sub(shape))}) * {function}({body if function != 'norm' else f'softplus({body}) + 0.1'}, dim={dim}, keepdim=True)"


@st.composite
def linear(draw: st.DrawFn, shape: tuple[int, ...], dims: Shapes, depth: int) -> str:
    sub = lambda target: expression(shape=target, dims=dims, depth=depth - 1)  # noqa: E731
    m, n = dims.m, dims.n
    if shape == ():
        k = draw(st.sampled_from([m, n]))
        left, right = draw(sub((k,))), draw(sub((k,)))
        return draw(st.sampled_from([f"dot({left}, {right})", f"({left}) @ ({right})", f"trace({draw(sub((k, k)))})"]))
    if len(shape) == 1:
        (size,) = shape
        other = n if size == m else m
        vector = draw(sub((other,)))
        return draw(st.sampled_from([f"mv({draw(sub((size, other)))}, {vector})", f"({vector}) @ ({draw(sub((other, size)))})"]))
    rows, cols = shape
    k = draw(st.sampled_from([m, n]))
    return draw(
        st.sampled_from([
            f"mm({draw(sub((rows, k)))}, {draw(sub((k, cols)))})",
            f"({draw(sub((rows, k)))}) @ ({draw(sub((k, cols)))})",
            f"outer({draw(sub((rows,)))}, {draw(sub((cols,)))})",
            f"transpose({draw(sub((cols, rows)))}, 0, 1)",
            f"({draw(sub((cols, rows)))}).T",
        ])
    )  # fmt: skip


def values(shape: tuple[int, ...]) -> st.SearchStrategy:
    """Input values written with three decimals: exact for SymPy, kept away from 0 by the domain checks."""
    number = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))
    if shape == ():
        return number
    return st.lists(values(shape[1:]), min_size=shape[0], max_size=shape[0])


@st.composite
def differential_case(draw: st.DrawFn, max_depth: int = 3) -> tuple[str, dict, object]:
    """An expression, its inputs, and a grad_output of the expression's shape."""
    dims = Shapes(draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    out_shape = draw(st.sampled_from([(), (), (dims.m,), (dims.m, dims.n)]))
    text = draw(expression(out_shape, dims, draw(st.integers(1, max_depth))))
    inputs = {"s": draw(values(())), "u": draw(values((dims.m,))), "v": draw(values((dims.n,))), "A": draw(values((dims.m, dims.n)))}
    return text, inputs, draw(values(out_shape))
