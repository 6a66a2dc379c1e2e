"""Hand-written backprop read as claims: a variable named as a derivative of the loss (``dW1``, ``dL_dw``,
``grad_w``, ``w_grad``, ``dz2``) is a claim that its value is the loss's derivative with respect to that name.

The pairing is decided where the variable is assigned, from the names bound then, and only where it is
unambiguous: the name says which tensor it differentiates with respect to (``dW1`` -> ``W1``), the loss is
named in it (``dL_dw``) or is the one tensor called loss, cost, ... that depends on that tensor, the loss
has one element, and the gradient has the tensor's shape. Anything else is listed with the reason; the
printed value then stays a claim about the code's arithmetic only.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import numpy as np

from verifygrad.language.constants import ConstantError
from verifygrad.language.evaluate import program_value
from verifygrad.language.parse import ExprError
from verifygrad.language.statements import compile_program
from verifygrad.tutorials.constant import constant_array
from verifygrad.tutorials.values import COMPUTED, CONST, LEAF, Derivation, Tensor, computed_of, leaves_of, text_of

LOSS_NAMES = ("loss", "cost", "L", "J", "E", "error", "objective", "total_loss", "data_loss", "err", "Loss", "Cost")
_EXPLICIT = re.compile(r"^d([A-Za-z]\w*?)_?d([A-Za-z]\w*)$")  # dL_dw, dloss_dW1, dLdw
_GRAD_OF = re.compile(r"^(?:grad_|d_)([A-Za-z]\w*)$|^([A-Za-z]\w*?)_grad(?:ient)?$")  # grad_w, d_out, w_grad, w_gradient
_SHORT = re.compile(r"^d([A-Za-z]\w*)$")  # dW1, dz2, dout
# A name no derivative is spelt in, which a parameter update `w -= lr * gradient` says is the gradient with respect to w
STEPPED = re.compile(r"^(?:grad|grads|gradient|gradients)$")  # NOTE: not `g`, `v`: a momentum is stepped by too


@dataclass(frozen=True)
class HandGradient:
    """A variable named as a derivative, and what its name pairs it with (or why it could not be paired)."""

    name: str
    tensor: Tensor
    line: int
    where: str
    derivation: Derivation | None = None  # the loss as a function of the tensor the name differentiates with respect to
    leaf: Tensor | None = None
    why: str = ""  # why it was not paired
    of: object = None  # the value its name differentiates with respect to, as bound when it was assigned
    held: bool = False  # plain numbers: the value held is the claim, no print needed


@dataclass(frozen=True)
class Step:
    """A parameter update with a hand-written gradient, ``w = w - lr * dw`` or ``w -= lr * dw``: the new value printed
    claims that it is the old one minus ``rate`` times the loss's true gradient."""

    name: str
    tensor: Tensor  # the new value
    hand: HandGradient
    rate: float
    line: int
    text: str  # the step as written: `w - lr * dw`


def named_derivative(name: str, bound: dict[str, object]) -> tuple[str | None, str] | None:
    """(the loss named, or None; the name differentiated with respect to) where ``name`` reads as a derivative of names bound."""
    explicit = _EXPLICIT.match(name)
    if explicit and explicit.group(1) in bound and explicit.group(2) in bound:
        return explicit.group(1), explicit.group(2)
    losses = [n for n in LOSS_NAMES if n in bound]
    if explicit and explicit.group(1) in LOSS_NAMES and explicit.group(2) in bound and len(losses) == 1:
        return losses[0], explicit.group(2)  # `dL_dw` where the code calls its loss `loss`
    of = _GRAD_OF.match(name)
    if of and (of.group(1) or of.group(2)) in bound:
        return None, of.group(1) or of.group(2)
    short = _SHORT.match(name)
    if short and short.group(1) in bound:
        return None, short.group(1)
    return None


def pair(name: str, tensor: Tensor, bound: dict[str, object], line: int, where: str, returned: bool = False) -> HandGradient | None:
    """The pairing of a derivative-named tensor with the loss and the tensor its name says, decided from ``bound`` (the names now);
    ``returned``: a gradient a backward function returns for its forward's input (`dbeta = dout.sum(0)` reads no input)."""
    named = named_derivative(name, bound)
    if named is None:
        return None
    loss_name, wrt_name = named
    return pair_with(name, tensor, bound, (loss_name, wrt_name, bound[wrt_name]), line, where, returned)


def pair_with(name: str, tensor: Tensor, bound: dict[str, object], named: tuple[str | None, str, object], line: int, where: str,
              returned: bool = False, held: bool = False) -> HandGradient:  # fmt: skip
    """The pairing of ``name`` with (the loss named or None, the name differentiated with respect to, its value); ``held``:
    a number of hand-written backprop on numbers, whose loss may be the one final output that depends on the value."""
    loss_name, wrt_name, wrt = named
    unpaired = HandGradient(name, tensor, line, where, of=wrt, held=held)
    if not isinstance(wrt, Tensor):
        return _why(unpaired, f"{wrt_name} is not a tensor the reader followed")
    candidates = [loss_name] if loss_name else [n for n in LOSS_NAMES if isinstance(bound.get(n), Tensor) and n != name]
    leaf = Tensor(LEAF, wrt.line, wrt.where, name=re.sub(r"\W+", "_", wrt_name).strip("_"), value=_value_text(wrt),
                  dtype=wrt.dtype, device=wrt.device, random="unseeded" if wrt.unseeded else wrt.random)  # fmt: skip
    functions = {n: as_function_of(bound[n], wrt, leaf) for n in candidates if isinstance(bound.get(n), Tensor) and n != wrt_name}
    depending = {n: output for n, output in functions.items() if output[0] is not bound[n]}
    if not depending and held and not loss_name:
        depending = final_outputs(bound, wrt, leaf, {name, wrt_name})
        if len(depending) > 1:
            return _why(unpaired, f"several outputs depend on {wrt_name} ({', '.join(depending)})")
    if not depending:
        names = ", ".join(candidates) or "loss, cost, L, J, E, error"
        return _why(unpaired, f"no loss in scope ({names}) depends on {wrt_name}")
    if len(depending) > 1:
        return _why(unpaired, f"several losses depend on {wrt_name} ({', '.join(depending)})")
    ((loss, (output, downstream)),) = depending.items()
    # NOTE: a finite-difference step (`dx = 0.001`, `dx = 0.01 * ones(3)`) is not computed from the graph
    if held and not loss_name and not {id(step) for step in graph(tensor)} & {id(step) for step in graph(bound[loss])}:
        return _why(unpaired, f"{name} is not computed from what {loss} is computed from")
    if not held and not returned and not any(id(step) in downstream or step.stands_for is wrt for step in graph(tensor)):
        return _why(unpaired, f"{name} is not computed from {wrt_name} or from what {loss} computes with it")
    loss_value, grad_value, wrt_value = (known_value(t) for t in (bound[loss], tensor, wrt))
    if loss_value is None or grad_value is None or wrt_value is None:
        return _why(unpaired, "the values are not known to the reader (their shapes decide the pairing)")
    if loss_value.size != 1:
        return _why(unpaired, f"{loss} has {loss_value.size} elements, not one")
    if grad_value.shape != wrt_value.shape and not grad_value.size == wrt_value.size == 1:  # NOTE: a number for a tensor of one
        return _why(unpaired, f"{name} has shape {grad_value.shape}, {wrt_name} has {wrt_value.shape}")
    derivation = Derivation(output, f"∂{loss}/∂{wrt_name} (by hand: {name})", None, line, where, leaves=leaves_of(output))
    return HandGradient(name, tensor, line, where, derivation, leaf, of=wrt, held=held)


def _why(unpaired: HandGradient, why: str) -> HandGradient:
    return HandGradient(unpaired.name, unpaired.tensor, unpaired.line, unpaired.where, why=why, of=unpaired.of, held=unpaired.held)


def final_outputs(bound: dict[str, object], wrt: Tensor, leaf: Tensor, besides: set[str]) -> dict[str, tuple[Tensor, set[int]]]:
    """The names bound to final outputs that depend on ``wrt``: no other value that depends on it is computed from them
    (names read as derivatives and ``besides`` left out), each as a function of ``leaf``."""
    depending = {}
    for name, value in bound.items():
        if name not in besides and isinstance(value, Tensor) and named_derivative(name, bound) is None:
            output = as_function_of(value, wrt, leaf)
            if output[0] is not value:
                depending[name] = output
    used = {id(step) for name in depending for step in graph(bound[name]) if step is not bound[name]}
    finals: dict[int, str] = {}
    for name in depending:  # NOTE: `y = f` binds one output to two names
        finals.setdefault(id(bound[name]), name)
    return {name: depending[name] for key, name in finals.items() if key not in used}


def graph(tensor: Tensor) -> list[Tensor]:
    """The tensor and every tensor it was computed from (through constants' computations), in the order the code made them."""
    found: dict[int, Tensor] = {}
    stack = [tensor]
    while stack:  # NOTE: without recursion (a long chain of steps is deep)
        item = stack.pop()
        if id(item) not in found:
            found[id(item)] = item
            stack.extend(_steps(item).refs if _steps(item) is not None else ())
    return sorted(found.values(), key=lambda item: item.serial)  # what a tensor is computed from is made before it


def as_function_of(output: Tensor, wrt: Tensor, leaf: Tensor) -> tuple[Tensor, set[int]]:
    """``output`` rebuilt with ``wrt`` replaced by ``leaf``, through how each constant was computed (``output`` itself if it
    does not depend on it), and the ids of the tensors between them (``wrt`` and ``output`` included)."""
    rebuilt: dict[int, Tensor] = {}
    for tensor in graph(output):
        if tensor is wrt or tensor.stands_for is wrt:  # NOTE: a call of the tutorial's function at wrt has a stand-in for it
            rebuilt[id(tensor)] = leaf
            continue
        steps = _steps(tensor)
        refs = tuple(rebuilt.get(id(ref), ref) for ref in steps.refs) if steps is not None else ()
        if steps is None or all(new is old for new, old in zip(refs, steps.refs)):
            rebuilt[id(tensor)] = tensor
            continue
        rebuilt[id(tensor)] = Tensor(COMPUTED, steps.line, steps.where, tree=steps.tree, refs=refs, dtype=steps.dtype, device=steps.device,
                                     bound=tensor.bound, defs=steps.defs, size=steps.size)  # fmt: skip
    return rebuilt[id(output)], {key for key, tensor in rebuilt.items() if tensor is leaf or tensor.kind == COMPUTED and key != id(tensor)}


def _value_text(tensor: Tensor) -> str:
    """A tensor's value as constant text: computed through the tutorial's functions (`sigmoid(z)` of its own def), the
    values themselves, as the text of the call names a function only the program of the case would define."""
    if tensor.kind != COMPUTED:
        return tensor.value
    if any(step.defs for step in computed_of([tensor])):
        known = known_value(tensor)
        if known is not None and np.all(np.isfinite(known)):
            return f"tensor({known.tolist()!r})"
    return text_of(tensor)


def known_value(tensor: Tensor) -> np.ndarray | None:
    """A tensor's value at the values the code gives its inputs (through the tutorial's functions it calls), or None."""
    text = text_of(tensor)
    sources = list(dict.fromkeys(source for step in computed_of([tensor]) for source in step.defs))
    if not sources:
        return constant_array(text)
    try:
        program = compile_program("\n".join([*sources, text]) + "\n", {})
        return program_value(program, dict(program.declared))
    except (ExprError, ConstantError, ValueError, TypeError, ArithmeticError, RecursionError):
        return None


def _steps(tensor: Tensor) -> Tensor | None:
    """How a tensor was computed: itself if computed with gradients, the computation a constant was folded from, or None."""
    if tensor.kind == COMPUTED:
        return tensor
    return tensor.origin if tensor.kind == CONST else None


def pair_stated(name: str, held: Tensor, bound: dict[str, object], wrt_name: str, wrt: Tensor, outputs: list[Tensor], line: int,
                where: str) -> HandGradient:  # fmt: skip
    """``x.grad = ...`` set by hand (a scalar class's manual backprop): the code says it is a gradient, so no name need say so.
    Paired with the latest output a backward() was called on that depends on ``x`` (``outputs``, latest first), else the one
    final output bound (``bound``) that depends on it, else, where ``x`` is computed and nothing depends on it, ``x`` itself
    (``o.grad = 1.0``: the output's own derivative)."""
    unpaired = HandGradient(name, held, line, where, of=wrt, held=True)
    leaf = Tensor(LEAF, wrt.line, wrt.where, name=re.sub(r"\W+", "_", wrt_name).strip("_"), value=_value_text(wrt), dtype=wrt.dtype,
                  device=wrt.device, random="unseeded" if wrt.unseeded else wrt.random)  # fmt: skip
    itself = Tensor(COMPUTED, wrt.line, wrt.where, tree=ast.Name("_ref0", ast.Load()), refs=(leaf,), dtype=wrt.dtype, device=wrt.device)
    chosen = next(((output.bound or "the output", as_function_of(output, wrt, leaf) if output is not wrt else (itself, set()))
                   for output in outputs if output is wrt or as_function_of(output, wrt, leaf)[0] is not output), None)  # fmt: skip
    if chosen is None:
        finals = final_outputs(bound, wrt, leaf, {wrt_name})
        if len(finals) > 1:
            return _why(unpaired, f"several outputs depend on {wrt_name} ({', '.join(finals)})")
        if not finals and wrt.kind != COMPUTED:
            return _why(unpaired, f"no output computed from {wrt_name} is bound to a name")
        chosen = next(iter(finals.items())) if finals else (wrt_name, (itself, set()))  # NOTE: as itself, so that a program computes it
    output_name, (output, _) = chosen
    output_value, held_value = known_value(output if output is not leaf else wrt), known_value(held)
    if output_value is None or held_value is None or output_value.size != 1 or held_value.size != 1:
        return _why(unpaired, "the values are not known to the reader as single numbers")
    derivation = Derivation(output, f"∂{output_name}/∂{wrt_name} (by hand: {name})", None, line, where, leaves=leaves_of(output))
    return HandGradient(name, held, line, where, derivation, leaf, of=wrt, held=True)
