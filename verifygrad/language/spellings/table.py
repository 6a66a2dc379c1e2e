"""Every composed spelling, gathered from the family modules, and how a call's name and arguments are read."""

from __future__ import annotations

import ast
from collections.abc import Callable

from verifygrad.language.spellings import (
    convolution,
    distributions,
    elementwise,
    lax,
    layers,
    linalg,
    losses,
    masked,
    nn,
    reductions,
    sampling,
    scatter,
    shape,
    sorting,
    special,
)
from verifygrad.language.spellings.compose import NUMPY_PREFIXES
from verifygrad.language.syntax import ExprError, Function, column, literal

FAMILIES = (elementwise, nn, layers, reductions, masked, losses, shape, scatter, linalg, special, distributions, convolution, sampling, sorting, lax)

# Each name's composition; the numpy meaning of a name torch gives another meaning is filed under ``np.<name>``.
SPELLINGS: dict[str, Function] = {name: function for family in FAMILIES for name, function in family.SPELLINGS.items()}
# Positional literals that are not dims: shapes, sizes, widths, repetitions, offsets.
LITERAL_POSITIONAL = frozenset().union(*(getattr(family, "LITERAL_POSITIONAL", ()) for family in FAMILIES))
# Of those, the names whose positional numbers (floats too) are parameters, not tensors.
NUMBER_POSITIONAL = frozenset().union(*(getattr(family, "NUMBER_POSITIONAL", ()) for family in FAMILIES))
# Names whose optional tensors may be written None positionally.
OPTIONAL_TENSORS = layers.OPTIONAL_TENSORS | convolution.OPTIONAL_TENSORS | elementwise.OPTIONAL_TENSORS
# Names whose positional integer arguments are dimensions: softmax(x, 1), var(x, 0).
DIM_POSITIONAL = nn.DIM_POSITIONAL | reductions.DIM_POSITIONAL | shape.DIM_POSITIONAL | special.DIM_POSITIONAL
# Other names of a spelling (``view_copy`` is ``view``), read as the name they stand for; the call as written still
# goes to its library's own function (torch.view_copy).
ALIASES: dict[str, str] = {**elementwise.ALIASES, **shape.ALIASES}
# Asked for often, left out on purpose: a clear error rather than a wrong answer.
UNSUPPORTED: dict[str, str] = {**elementwise.UNSUPPORTED, **linalg.UNSUPPORTED, **reductions.UNSUPPORTED, **convolution.UNSUPPORTED}


# The calls that join a list of tensors (numpy's of one array join its rows).
JOINS = shape.SEQUENCES - {"meshgrid"}
# The ndarray methods that mean what numpy's function of that name means (x.var() is np.var(x) in a numpy program).
NUMPY_METHODS = frozenset({"var", "std", "max", "min", "cumsum", "cumprod", "repeat", "clip", "trace"})
# The table keys of library-specific meanings, by the prefix written: np.var, linalg.norm.
LIBRARY_KEYS = {
    **dict.fromkeys(NUMPY_PREFIXES, "np."), "torch.linalg": "linalg.", "torch.masked": "masked.", "F": "F.", "torch.nn.functional": "F.",
    "scipy.special": "special.", "operator": "operator.", "lax": "lax.", "jax.lax": "lax.", **distributions.PREFIXES,
}  # fmt: skip


def library_name(name: str, prefix: str | None) -> str:
    """The table key for a call: ``np.var`` for numpy's var, ``linalg.norm`` for torch.linalg's norm, the name an alias
    stands for (``view`` for ``view_copy``), the bare name otherwise."""
    key = f"{LIBRARY_KEYS[prefix]}{name}" if prefix in LIBRARY_KEYS else name
    return key if key in SPELLINGS else ALIASES.get(name, name)


def unsupported(name: str, col: int) -> ExprError:
    return ExprError(f"not supported yet: {UNSUPPORTED[name]} ('{name}')", col)


def arguments(name: str, args: list[ast.AST], is_dim: Callable[[str, ast.AST], bool],
              bound: Callable[[str], bool] = lambda _: False) -> tuple[list[ast.AST], list[ast.AST]]:  # fmt: skip
    """A call's positional arguments: tensors (to visit), and literals (dims, shapes, sizes).

    ``bound`` tells the names the program or case defines: an input named ``e`` is that tensor, not Euler's number.
    """
    if name in shape.SEQUENCES and args and isinstance(args[0], (ast.List, ast.Tuple)):
        args = [*args[0].elts, *args[1:]]  # torch.cat([a, b], 0): the tensors, then the rest
    elif name in JOINS and args and not isinstance(args[0], (ast.ListComp, ast.GeneratorExp)):
        # NOTE: np.vstack(x) of one array joins x's rows (x[0], x[1], ...); torch refuses a tensor here. Once read as [x].
        # A program spells a numpy join of one variable as its rows before this (statements.py).
        raise ExprError(f"{name}() takes a list of tensors to join, not one array (numpy would join its rows): write [x[0], x[1], ...]", column(args[0]))
    if name in ("lax.reduce_window", "lax.reduce", "lax.convert_element_type"):
        args = lax.as_literals(args)
    if name == "index_put":  # NOTE: torch.index_put(x, (i, j), v), x.index_put((i,), v): the index tensors in line
        at = next((k for k, arg in enumerate(args) if isinstance(arg, (ast.List, ast.Tuple))), None)
        args = args if at is None else [*args[:at], *args[at].elts, *args[at + 1 :]]
    numbers = name in NUMBER_POSITIONAL
    literal_here = [is_dim(name, arg) or (name in LITERAL_POSITIONAL and not _names_bound(arg, bound) and _is_literal(arg, numbers)) for arg in args]
    if name in LITERAL_POSITIONAL and name not in OPTIONAL_TENSORS:  # NOTE: torch's None for a parameter is its default: diff(x, 1, 0, None, None)
        literal_here = [here or (isinstance(arg, ast.Constant) and arg.value is None) for here, arg in zip(literal_here, args)]
    return [a for a, lit in zip(args, literal_here) if not lit], [a for a, lit in zip(args, literal_here) if lit]


def _names_bound(node: ast.AST, bound: Callable[[str], bool]) -> bool:
    return any(isinstance(part, ast.Name) and bound(part.id) for part in ast.walk(node))


def _is_literal(node: ast.AST, numbers: bool = False) -> bool:
    try:
        value = literal(node)
    except ExprError:
        return False
    return numbers or not isinstance(value, float)
