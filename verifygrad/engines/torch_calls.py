"""Each torch call of a case evaluated as written: torch's own function, with the call's own arguments.

The function comes from a fixed table, built once from the names the expression language knows; the
case's text only picks an entry (no eval, nothing of the text in generated source).  Where torch's
answer differs from verifygrad's reading of the call, the difference names the call: a misread
argument (``torch.norm(x, 1)`` read as a norm along dim 1) shows as a disagreement about that spelling.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import torch

from verifygrad.errors import excerpt, visible
from verifygrad.language.parse import FUNCTIONS, METHOD, Argument, LibraryCall, Program
from verifygrad.language.spellings.compose import COMPARISONS
from verifygrad.language.spellings.linalg import SIGNED_PARTS

MODULES: dict[str, Any] = {
    "torch": torch, "torch.nn.functional": torch.nn.functional, "torch.linalg": torch.linalg, "torch.special": torch.special,
    "torch.masked": torch.masked, "torch.fft": torch.fft, METHOD: torch.Tensor,
}  # fmt: skip


def _function(module: Any, name: str) -> Callable[..., Any] | None:
    found = getattr(module, name, None)
    return found if callable(found) and not isinstance(found, torch.dtype) else None  # NOTE: torch.float is a dtype


# torch's operators as its own tests call them (torch.ops.aten.slice.Tensor), by name: looked up one by one, since each
# lookup in torch.ops.aten builds an operator packet.
ATEN_NAMES = ("_safe_softmax", "native_dropout_backward", "slice")
TORCH_FUNCTIONS: dict[tuple[str, str], Callable[..., Any]] = {
    **{(namespace, name): function for namespace, module in MODULES.items() for name in FUNCTIONS if (function := _function(module, name)) is not None},
    **{("torch.ops.aten", name): getattr(torch.ops.aten, name) for name in ATEN_NAMES},
}
# The arguments torch takes as integers or booleans, by position (the tensor of a method counted as 0) and keyword: a
# case's tensors are all floats, so class targets, indices and masks are converted for the call.
LONG, INT, BOOL, CLASSES, TARGET = "long", "int", "bool", "classes", "target"  # classes: indices (long), unless of the input's shape
# (probabilities); target: a float tensor torch takes no gradient for
TYPED_ARGUMENTS: dict[str, tuple[tuple[int, str, str], ...]] = {
    "cross_entropy": ((1, "target", CLASSES),), "linear_cross_entropy": ((2, "target", CLASSES),), "nll_loss": ((1, "target", LONG),),
    "multi_margin_loss": ((1, "target", LONG),),
    "multilabel_margin_loss": ((1, "target", LONG),), "gather": ((2, "index", LONG),), "take_along_dim": ((1, "indices", LONG),),
    "index_select": ((2, "index", LONG),), "repeat_interleave": ((1, "repeats", LONG),), "index_put": ((1, "indices", LONG),),
    "take": ((1, "index", LONG),), "embedding": ((0, "input", LONG),),
    "embedding_bag": ((0, "input", LONG), (2, "offsets", LONG)),
    "lu_solve": ((2, "LU_pivots", INT),), "linalg.lu_solve": ((1, "pivots", INT),), "lu_unpack": ((1, "LU_pivots", INT),),
    "scatter": ((2, "index", LONG),), "scatter_add": ((2, "index", LONG),), "scatter_reduce": ((2, "index", LONG),), "index_reduce": ((2, "index", LONG),),
    "index_add": ((2, "index", LONG),), "index_copy": ((2, "index", LONG),), "index_fill": ((2, "index", LONG),),
    "masked_fill": ((1, "mask", BOOL),), "soft_margin_loss": ((1, "target", TARGET),),
    **{f"max_unpool{n}d": ((1, "indices", LONG),) for n in (1, 2, 3)}, "where": ((0, "condition", BOOL),), "one_hot": ((0, "tensor", LONG),),
    "cov": ((9, "fweights", LONG),), "native_dropout_backward": ((1, "mask", BOOL),),
    "masked_select": ((1, "mask", BOOL),), "masked_scatter": ((1, "mask", BOOL),),
}  # fmt: skip
# Arguments (position, keyword) torch reads by their dtype (a boolean mask keeps, a float one is added): boolean where
# written as a comparison. NOTE: the call so typed is the torch engine's own; the program keeps ("node", i).
COMPARED = {"scaled_dot_product_attention": (3, "attn_mask")}
# Keywords torch.masked takes as boolean masks, whatever the function.
MASK_KEYWORDS = {"torch.masked": frozenset({"mask", "input_mask", "other_mask"})}
# Methods whose arguments sit elsewhere than the function's: x.where(condition, y) against torch.where(condition, x, y).
TYPED_METHOD_ARGUMENTS: dict[str, tuple[tuple[int, str, str], ...]] = {"where": ((1, "condition", BOOL),)}
# Calls torch evaluates through verifygrad's reading (torch's own function still computes it), with the reason.
# NOTE: the value is torch's; only the gradient convention for inputs off the function's domain differs.
_TRIANGLE = "torch spreads the gradient of a non-symmetric input over both triangles; verifygrad puts it on the triangle it reads"
READ_NOT_WRITTEN = {
    "cholesky": _TRIANGLE,
    "cholesky_ex": _TRIANGLE,
    "eigh": _TRIANGLE,
    "eigvalsh": _TRIANGLE,
    **dict.fromkeys(("cholesky_solve", "cholesky_inverse"), "torch reads one triangle of the factor, yet gives both a gradient"),
}
# Relative agreement between torch's answer and verifygrad's reading below which a call counts as misread.
MISREAD_RTOL = {"float64": 1e-6, "float32": 1e-3}


class CallRejected(ValueError):
    """torch refuses the call as written (a wrong argument type, a shape it does not take)."""


def torch_calls(program: Program) -> dict[int, LibraryCall]:
    """The calls torch evaluates itself, by the node of verifygrad's reading: torch's spellings, and the methods of a torch program."""
    wanted = set(MODULES) if program.library == "torch" else set(MODULES) - {METHOD}
    return {
        call.out: _compared(call, program)
        for call in program.calls
        if call.namespace in wanted and not call.identity and (call.namespace, call.name) in TORCH_FUNCTIONS and not read_not_written(call)
    }


def _compared(call: LibraryCall, program: Program) -> LibraryCall:
    """The call with the arguments torch reads by their dtype (COMPARED) boolean where written as a comparison."""
    if call.name not in COMPARED:
        return call
    position, keyword = COMPARED[call.name]

    def typed(argument: Argument) -> Argument:
        kind, value = argument
        return (BOOL, value) if kind == "node" and program.nodes[value].spelling in COMPARISONS else argument

    args = tuple(typed(a) if k == position else a for k, a in enumerate(call.args))
    return dataclasses.replace(call, args=args, keywords=tuple((key, typed(a) if key == keyword else a) for key, a in call.keywords))


def read_not_written(call: LibraryCall) -> bool:
    """Calls torch evaluates through verifygrad's reading: a triangle read (READ_NOT_WRITTEN, pinv(hermitian=True)), or
    singular vectors and eigenvectors, whose signs are torch's own choice where verifygrad fixes them (decompose.py)."""
    hermitian = call.name == "pinv" and any(key == "hermitian" and value == ("value", True) for key, value in call.keywords)
    return call.name in READ_NOT_WRITTEN or hermitian or call.part in SIGNED_PARTS.get(call.name, ())


def evaluate_call(call: LibraryCall, values: list[torch.Tensor], dtype: torch.dtype) -> torch.Tensor:
    """torch's own function on the call's arguments, its result in the case's dtype."""

    def argument(given: Argument) -> Any:
        kind, value = given
        if kind == "dtype":
            return getattr(torch, value)
        if kind == BOOL:
            return values[value].detach() != 0
        return values[value] if kind == "node" else [values[i] for i in value] if kind == "nodes" else value

    function = TORCH_FUNCTIONS[(call.namespace, call.name)]
    args, keywords = [argument(given) for given in call.args], {key: argument(given) for key, given in call.keywords}
    if call.name.endswith("_") and args and isinstance(args[0], torch.Tensor):
        args[0] = args[0].clone()  # NOTE: an in-place function (torch.zero_) on a copy: a case's input is a leaf torch will not overwrite
    typed = TYPED_METHOD_ARGUMENTS if call.namespace == METHOD and call.name in TYPED_METHOD_ARGUMENTS else TYPED_ARGUMENTS
    name = f"linalg.{call.name}" if call.namespace == "torch.linalg" and f"linalg.{call.name}" in typed else call.name  # NOTE: linalg.lu_solve's order
    for position, keyword, kind in typed.get(name, ()):
        if position < len(args) and isinstance(args[position], torch.Tensor):
            args[position] = _typed(args[position], kind, args[0])
        elif position < len(args) and isinstance(args[position], list):  # NOTE: index_put's tuple of index tensors
            args[position] = [_typed(t, kind, args[0]) for t in args[position]]
        if isinstance(keywords.get(keyword), torch.Tensor):
            keywords[keyword] = _typed(keywords[keyword], kind, args[0])
    for keyword in MASK_KEYWORDS.get(call.namespace, ()):
        if isinstance(keywords.get(keyword), torch.Tensor):
            keywords[keyword] = _typed(keywords[keyword], BOOL, None)
    try:
        with warnings.catch_warnings():  # NOTE: torch's deprecation notes about a spelling are not the run's output
            warnings.simplefilter("ignore")
            out = function(*args, **keywords)
        if call.part is not None:
            out = out[call.part]
    except (TypeError, ValueError, RuntimeError, IndexError) as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CallRejected(f"torch rejects the call {written(call)}: {excerpt(visible(message))}") from None
    out = out if isinstance(out, torch.Tensor) else torch.as_tensor(out)
    return out if out.dtype == dtype else out.to(dtype)


def _typed(tensor: torch.Tensor, kind: str, first: Any) -> torch.Tensor:
    if kind == BOOL:
        return tensor.detach() != 0
    if kind == TARGET:
        return tensor.detach()
    if kind == INT:  # NOTE: LAPACK's pivots, int32 in torch
        return tensor.detach().round().int()
    if kind == CLASSES and isinstance(first, torch.Tensor) and tensor.shape == first.shape:
        return tensor
    return tensor.detach().round().long()


def written(call: LibraryCall) -> str:
    place = f"line {call.line}, column {call.col}" if call.line else f"column {call.col}"
    return f"{excerpt(visible(call.text))} ({place})"


def misreading(call: LibraryCall, own: torch.Tensor, reading: torch.Tensor, dtype: str) -> str | None:
    """A sentence naming the call where torch's own answer and verifygrad's reading of it differ; None where they agree."""
    if own.shape != reading.shape:
        return f"{written(call)}: torch gives shape {tuple(own.shape)}, verifygrad reads it as shape {tuple(reading.shape)}"
    own, reading = own.detach().double(), reading.detach().double()
    finite = torch.isfinite(reading)
    scale = float(reading[finite].abs().max()) if bool(finite.any()) else 0.0
    rtol = MISREAD_RTOL.get(dtype, 1e-3)
    if torch.allclose(own, reading, rtol=rtol, atol=rtol * scale, equal_nan=True):
        return None
    worst = int(torch.argmax(torch.nan_to_num((own - reading).abs().reshape(-1), nan=float("inf"))))
    return f"{written(call)}: torch gives {float(own.reshape(-1)[worst]):.6g}, verifygrad reads it as {float(reading.reshape(-1)[worst]):.6g}" + (
        f" (element {worst} of the flattened result)" if own.numel() > 1 else ""
    )
