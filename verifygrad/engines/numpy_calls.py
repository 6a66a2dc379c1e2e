"""Each numpy call of a case evaluated as written, for the value check: numpy's own function, with the call's own arguments.

As for torch (``torch_calls``): the function comes from a fixed table built from the names the expression
language knows, and a call whose numpy answer differs from verifygrad's reading of it is named.  The
gradient is still verifygrad's own reverse mode over its reading; only the value is numpy's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from verifygrad.errors import excerpt, visible
from verifygrad.language.ops import OPS
from verifygrad.language.parse import FUNCTIONS, METHOD, Argument, LibraryCall, Program
from verifygrad.language.spellings.linalg import SIGNED_PARTS
from verifygrad.process import deadline

MODULES: dict[str, Any] = {"numpy": np, "numpy.linalg": np.linalg, METHOD: np.ndarray}
NUMPY_FUNCTIONS: dict[tuple[str, str], Callable[..., Any]] = {
    (namespace, name): function
    for namespace, module in MODULES.items()
    for name in FUNCTIONS
    if callable(function := getattr(module, name, None)) and not isinstance(function, type)  # NOTE: np.float64 is a type
}
# The arguments numpy takes as integers, by position (the array of a method counted as 0) and keyword.
INDEX_ARGUMENTS: dict[str, tuple[tuple[int, str], ...]] = {"take": ((1, "indices"),), "take_along_axis": ((1, "indices"),)}
MISREAD_RTOL = {"float64": 1e-6, "float32": 1e-3}


class CallRejected(ValueError):
    """numpy refuses the call as written."""


def numpy_calls(program: Program) -> dict[int, LibraryCall]:
    """The calls numpy evaluates itself, by the node of verifygrad's reading: numpy's spellings, and the methods of a numpy program."""
    wanted = set(MODULES) if program.library == "numpy" else set(MODULES) - {METHOD}
    return {
        call.out: call
        for call in program.calls
        if call.namespace in wanted
        and not call.identity
        and (call.namespace, call.name) in NUMPY_FUNCTIONS
        and call.part not in SIGNED_PARTS.get(call.name, ())  # NOTE: numpy's own signs of its vectors, where verifygrad fixes them
    }


def value_as_written(program: Program, inputs: dict[str, np.ndarray], dtype: str, misread: list[str]) -> np.ndarray | None:
    """The program's value with each numpy call evaluated by numpy itself; None where the program has none."""
    calls = numpy_calls(program)
    if not calls:
        return None
    values: list[np.ndarray] = []
    for i, node in enumerate(program.nodes):
        deadline.check()
        if node.op == "input":
            values.append(np.asarray(inputs[node.attrs["name"]], dtype=dtype))
        elif node.op == "const":
            values.append(node.attrs["value"].astype(dtype))
        else:
            values.append(np.asarray(OPS[node.op].forward(*[values[j] for j in node.args], **node.attrs)))
        if i in calls:
            own = evaluate_call(calls[i], values, dtype)
            found = misreading(calls[i], own, values[i], dtype)
            if found:
                misread.append(found)
            values[i] = own
    return values[-1]


def evaluate_call(call: LibraryCall, values: list[np.ndarray], dtype: str) -> np.ndarray:
    def argument(given: Argument) -> Any:
        kind, value = given
        return values[value] if kind == "node" else [values[i] for i in value] if kind == "nodes" else value

    args, keywords = [argument(given) for given in call.args], {key: argument(given) for key, given in call.keywords}
    for position, keyword in INDEX_ARGUMENTS.get(call.name, ()):
        if position < len(args) and isinstance(args[position], np.ndarray):
            args[position] = np.round(args[position]).astype(np.int64)
        if isinstance(keywords.get(keyword), np.ndarray):
            keywords[keyword] = np.round(keywords[keyword]).astype(np.int64)
    try:
        out = NUMPY_FUNCTIONS[(call.namespace, call.name)](*args, **keywords)
        if call.part is not None:
            out = out[call.part]
    except (TypeError, ValueError, IndexError, np.linalg.LinAlgError) as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CallRejected(f"numpy rejects the call {written(call)}: {excerpt(visible(message))}") from None
    return np.asarray(out, dtype=dtype)


def written(call: LibraryCall) -> str:
    place = f"line {call.line}, column {call.col}" if call.line else f"column {call.col}"
    return f"{excerpt(visible(call.text))} ({place})"


def misreading(call: LibraryCall, own: np.ndarray, reading: np.ndarray, dtype: str) -> str | None:
    """A sentence naming the call where numpy's own answer and verifygrad's reading of it differ; None where they agree."""
    if own.shape != np.shape(reading):
        return f"{written(call)}: numpy gives shape {own.shape}, verifygrad reads it as shape {np.shape(reading)}"
    own, reading = own.astype(np.float64), np.asarray(reading, np.float64)
    finite = np.isfinite(reading)
    scale = float(np.max(np.abs(reading[finite]))) if finite.any() else 0.0
    rtol = MISREAD_RTOL.get(dtype, 1e-3)
    if np.allclose(own, reading, rtol=rtol, atol=rtol * scale, equal_nan=True):
        return None
    worst = int(np.argmax(np.nan_to_num(np.abs(own - reading).reshape(-1), nan=np.inf)))
    element = f" (element {worst} of the flattened result)" if own.size > 1 else ""
    return f"{written(call)}: numpy gives {own.reshape(-1)[worst]:.6g}, verifygrad reads it as {reading.reshape(-1)[worst]:.6g}{element}"
