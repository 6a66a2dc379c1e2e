"""Import aliases, resolved once where they are bound (pyflakes' bindings), and each library's spellings mapped onto the language's.

``import torch as t``, ``from torch import tensor``, ``import jax.numpy as jnp``, ``import tensorflow as tf``
and ``from autograd import grad`` bind a name to a module path; a call written through such a name is
rewritten to the spelling the language reads (``t.exp`` -> ``torch.exp``, ``tf.reduce_sum`` -> ``np.sum``)
by one table per library, so the compiler itself knows no framework.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping

from verifygrad.language.syntax import dotted

# Module path -> the prefix under which the language reads that library's functions.
LIBRARY_PREFIX = {
    "torch": "torch", "torch.nn.functional": "F", "torch.linalg": "torch.linalg", "torch.special": "torch.special",
    "numpy": "np", "numpy.linalg": "np.linalg", "jax.numpy": "np", "jax.numpy.linalg": "np.linalg", "autograd.numpy": "np",
    "jax.nn": "jax.nn", "jax.lax": "lax", "mxnet.nd": "np", "mxnet.ndarray": "np", "mxnet.np": "np", "mxnet.numpy": "np",
    "paddle": "torch", "paddle.nn.functional": "F", "mindspore.ops": "torch", "mindspore.numpy": "np", "math": "math",
    "tensorflow": "tf", "tensorflow.math": "tf", "tensorflow.nn": "tf", "tensorflow.linalg": "np.linalg",
}  # fmt: skip

# (prefix, name) -> the language's spelling, where a library names a function differently.
RENAMED = {
    ("tf", "reduce_sum"): "np.sum", ("tf", "reduce_mean"): "np.mean", ("tf", "reduce_max"): "np.max", ("tf", "reduce_min"): "np.min",
    ("tf", "reduce_prod"): "np.prod", ("tf", "reduce_logsumexp"): "torch.logsumexp", ("tf", "sigmoid"): "torch.sigmoid",
    ("tf", "relu"): "torch.relu", ("tf", "softplus"): "F.softplus", ("tf", "softmax"): "F.softmax", ("tf", "stop_gradient"): "torch.detach",
    ("tf", "pow"): "np.power", ("tf", "multiply"): "np.multiply", ("tf", "add"): "np.add", ("tf", "subtract"): "np.subtract",
    ("tf", "divide"): "np.divide", ("tf", "negative"): "np.negative", ("tf", "abs"): "np.abs", ("tf", "concat"): "np.concatenate",
    ("tf", "constant"): "torch.tensor", ("lax", "stop_gradient"): "torch.detach", ("torch", "to_tensor"): "torch.tensor",
    ("np", "asarray"): "np.array", ("torch", "Tensor"): "torch.Tensor",
    # NOTE: lax.max/min are elementwise, lax.cumsum's axis defaults to 0 (numpy's flattens): never numpy's of that name
    ("lax", "max"): "np.maximum", ("lax", "min"): "np.minimum", ("lax", "logistic"): "torch.sigmoid", ("lax", "erf_inv"): "torch.erfinv",
    ("lax", "integer_pow"): "np.power", ("lax", "bessel_i0e"): "torch.special.i0e", ("lax", "bessel_i1e"): "torch.special.i1e",
    ("lax", "rem"): "np.fmod", ("lax", "select"): "np.where", ("lax", "reduce_sum"): "np.sum", ("lax", "reduce_max"): "np.max",
    ("lax", "reduce_min"): "np.min", ("lax", "reduce_prod"): "np.prod", ("lax", "rev"): "np.flip", ("lax", "top_k"): "torch.topk",
    ("lax", "batch_matmul"): "torch.matmul", ("lax", "cumlogsumexp"): "torch.logcumsumexp",
    **{("lax", name): f"lax.{name}" for name in ("dot_general", "slice", "dynamic_slice", "broadcast_in_dim", "pad", "reduce_window", "conv_general_dilated",
                                                  "cumsum", "cumprod", "broadcast", "reshape", "dynamic_update_slice", "sort", "convert_element_type",
                                                  "reduce")},
    ("lax", "conv"): "lax.conv_general_dilated", ("lax", "conv_with_general_padding"): "lax.conv_general_dilated",
}  # fmt: skip

# Full path -> (the language's spelling, the keywords its positional arguments from the third on stand for), where a
# library passes positionally what torch's spelling takes by keyword (and torch.* would reduce otherwise than F.*).
POSITIONAL_KEYWORDS = {
    "mindspore.ops.binary_cross_entropy_with_logits": ("F.binary_cross_entropy_with_logits", ("weight", "pos_weight")),
}

# Libraries whose imports a program may hold: their arithmetic is mapped above, their autodiff by the tutorial adapters.
LIBRARIES = frozenset({"torch", "numpy", "jax", "autograd", "tensorflow", "mxnet", "paddle", "mindspore", "math", "functorch", "__future__"})

_READ_AS = {"tf": "np", "lax": "np"}  # libraries whose other functions are numpy's, by name

# Functions the program compiler reads whatever module they come from (constructors of the like of a tensor).
LIKE = {"ones_like": "ones", "zeros_like": "zeros", "full_like": "full", "randn_like": "randn", "empty_like": None}


def imported(node: ast.Import | ast.ImportFrom) -> dict[str, str]:
    """The names an import statement binds, each with the dotted path it stands for."""
    bound: dict[str, str] = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                bound[alias.asname] = alias.name
            else:  # `import jax.numpy` binds `jax`; `jax.numpy.sum` then reads through it
                root = alias.name.split(".")[0]
                bound[root] = root
        return bound
    if node.level:  # a relative import: the tutorial's own package, not a library
        return {alias.asname or alias.name: f".{alias.name}" for alias in node.names}
    for alias in node.names:
        if alias.name != "*":
            bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def resolve(name: str, aliases: Mapping[str, str]) -> str:
    """``name`` (dotted) with its first part replaced by what an import bound it to: ``jnp.sum`` -> ``jax.numpy.sum``."""
    root, _, rest = name.partition(".")
    if root not in aliases:
        return name
    return f"{aliases[root]}.{rest}" if rest else aliases[root]


def spelling(path: str) -> str | None:
    """The language's spelling of a library function given by its full path; None for a path no table names."""
    module, _, name = path.rpartition(".")
    prefix = LIBRARY_PREFIX.get(module)
    if prefix is None:
        return None
    if name in LIKE:
        return name
    return RENAMED.get((prefix, name), f"{_READ_AS.get(prefix, prefix)}.{name}")


def keywords_for(args: list[ast.expr], keywords: list[ast.keyword], names: tuple[str, ...]) -> tuple[list[ast.expr], list[ast.keyword]]:
    """The positional arguments from the third on, passed by the keywords ``names`` instead."""
    moved = [ast.keyword(name, arg) for name, arg in zip(names, args[2:])]
    return args[:2] + args[2 + len(names) :], [*keywords, *moved]


def library(path: str) -> str:
    """The library a full path belongs to: ``jax`` for ``jax.numpy.sum``, ``tensorflow`` for ``tensorflow.math.exp``."""
    return path.split(".")[0]


class _Canonical(ast.NodeTransformer):
    def __init__(self, aliases: Mapping[str, str]):
        self.aliases = aliases

    def visit_Call(self, node: ast.Call) -> ast.AST:
        written = dotted(node.func)
        path = resolve(written, self.aliases) if written is not None and written.partition(".")[0] in self.aliases else None
        spelt = spelling(path) if path is not None else None
        node.args = [self.visit(arg) for arg in node.args]
        node.keywords = [self.visit(keyword) for keyword in node.keywords]
        if path in POSITIONAL_KEYWORDS:
            spelt, names = POSITIONAL_KEYWORDS[path]
            node.args, node.keywords = keywords_for(node.args, node.keywords, names)
        # NOTE: the call's whole path first: `jax.lax.stop_gradient` is one function, not `jax.lax` (a module) then a method
        node.func = ast.copy_location(dotted_node(spelt), node.func) if spelt is not None else self.visit(node.func)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:  # `t.pi` through an alias
        written = dotted(node)
        if written is not None and written.partition(".")[0] in self.aliases and isinstance(node.ctx, ast.Load):
            module, _, name = resolve(written, self.aliases).rpartition(".")
            if module in LIBRARY_PREFIX:
                return ast.copy_location(dotted_node(f"{LIBRARY_PREFIX[module]}.{name}"), node)
        self.generic_visit(node)
        return node


def canonical(node: ast.AST, aliases: Mapping[str, str]) -> ast.AST:
    """A copy of ``node`` with every call written through an import alias spelt as the language reads it."""
    if not aliases:
        return node
    return _Canonical(aliases).visit(copy.deepcopy(node))


def dotted_node(path: str) -> ast.expr:
    """`torch.nn.functional` as the attribute chain Python parses it to."""
    first, *rest = path.split(".")
    node: ast.expr = ast.Name(first, ast.Load())
    for part in rest:
        node = ast.Attribute(node, part, ast.Load())
    return node
