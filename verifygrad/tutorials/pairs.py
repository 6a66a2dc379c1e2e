"""A hand-written ``*_backward(dout, cache)`` beside its ``*_forward(x, ...)``, never called: checked as the VJP of the forward.

cs231n-style layers come as a pair: ``out, cache = layer_forward(x, w, b)`` and ``dx, dw, db = layer_backward(dout, cache)``.
The pair is a claim (each gradient the backward returns is ∂ sum(out * dout)/∂ the input its name says), checkable without
the tutorial ever calling them: both are read inline at generated inputs (seeded, shapes tried until the gradients the
backward returns have the shapes of the inputs they are named after) and each returned gradient is paired with that loss
the way a printed hand-written gradient is. The claim's line is the backward's ``return``.
"""

from __future__ import annotations

import ast
import itertools

import numpy as np

from verifygrad.tutorials import handwritten
from verifygrad.tutorials.blocks import CODE, Block
from verifygrad.tutorials.findings import Findings, Found
from verifygrad.tutorials.functions import _returned
from verifygrad.tutorials.interpret import CodeReader
from verifygrad.tutorials.values import CONST, Function, Number, Sequence, Tensor, Unknown

ROWS, COLUMNS = 4, 3  # the generated first input is ROWS x COLUMNS; the others are tried in the shapes below
OTHER_SHAPES = ((COLUMNS,), (1, COLUMNS), (COLUMNS, COLUMNS), (ROWS, COLUMNS), ())
SMALL = {"eps", "epsilon", "eps_", "tol"}  # parameters without a gradient the reader may choose a value for: 1e-5
SEED = 0


def backward_pairs(reader: CodeReader, findings: Findings) -> None:
    """Each ``NAME_backward`` with a ``NAME_forward`` the tutorial defines: its returned gradients checked at generated inputs."""
    for name, backward in list(reader.names.items()):
        if not (isinstance(backward, Function) and name.endswith("_backward") and backward.rule is None):
            continue
        forward = reader.names.get(name[: -len("backward")] + "forward")
        if isinstance(forward, Function) and forward.rule is None:
            _check_pair(reader, findings, forward, backward)


def _check_pair(reader: CodeReader, findings: Findings, forward: Function, backward: Function) -> None:
    block = reader.defined_in.get(id(backward.definition))
    returned = _returned(backward.definition)
    parameters = [a.arg for a in forward.definition.args.args]
    line, where = _place_of(backward, returned, block)
    names = [item.id if isinstance(item, ast.Name) else "" for item in (returned.elts if isinstance(returned, ast.Tuple) else [returned])]
    wrt = {index: handwritten.named_derivative(name, dict.fromkeys(parameters)) for index, name in enumerate(names) if name}
    wrt = {index: named[1] for index, named in wrt.items() if named is not None}
    if len(backward.definition.args.args) != 2 or not wrt:
        return  # not a (dout, cache) backward returning gradients named after the forward's inputs
    others = [p for p in parameters if p not in wrt.values()]
    chosen = [p for p in others if p.lower() not in SMALL]
    if chosen:
        _unchecked(reader, line, backward, f"{forward.definition.name}()'s parameter {chosen[0]} has no gradient and no value to choose")
        return
    why = "no shapes tried fit"
    for shapes in _trials(len(wrt)):
        outcome = _try(reader, forward, backward, parameters, wrt, dict(zip(wrt.values(), shapes)), line, where)
        if isinstance(outcome, str):
            why = outcome
            continue
        for found, derivation in outcome:
            reader.reading.derivations.append(derivation)
            findings.found.append(found)
        return
    _unchecked(reader, line, backward, why)


def _unchecked(reader: CodeReader, line: int, backward: Function, why: str) -> None:
    entry = (line, f"the hand-written backward {backward.definition.name}(): not checked: {why}")
    if entry not in reader.reading.not_read:
        reader.reading.not_read.append(entry)


def _trials(count: int) -> list[tuple[tuple[int, ...], ...]]:
    """Shapes for the differentiated inputs: the first ROWS x COLUMNS, the others one shape of OTHER_SHAPES each."""
    return [((ROWS, COLUMNS), *rest) for rest in itertools.product(OTHER_SHAPES, repeat=count - 1)][:64]


def _try(reader: CodeReader, forward: Function, backward: Function, parameters: list[str], wrt: dict[int, str],
         shapes: dict[str, tuple[int, ...]], line: int, where: str) -> list[tuple[Found, object]] | str:  # fmt: skip
    """The pair read at inputs of these shapes, in a reader of its own: the claims, or why it did not fit."""
    trial = CodeReader()
    trial.names, trial.aliases, trial.defined_in = dict(reader.names), dict(reader.aliases), reader.defined_in
    trial.reading.shown.append([])
    try:
        return _read_pair(trial, forward, backward, parameters, wrt, shapes, line, where)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, RecursionError) as err:  # NOTE: a gap in the reader, never a crash
        return f"a statement the reader could not follow ({type(err).__name__})"


def _read_pair(trial: CodeReader, forward: Function, backward: Function, parameters: list[str], wrt: dict[int, str],
               shapes: dict[str, tuple[int, ...]], line: int, where: str) -> list[tuple[Found, object]] | str:  # fmt: skip
    generator = np.random.default_rng(SEED)
    inputs = {}
    for parameter in parameters:
        if parameter in shapes:
            values = np.round(generator.standard_normal(shapes[parameter]), 3)
            inputs[parameter] = Tensor(CONST, line, where, value=_literal(values), dtype="float64")
        else:
            inputs[parameter] = Number(1e-5)
    call = ast.Call(ast.Name(forward.definition.name, ast.Load()), [], [], lineno=1, col_offset=0)
    trial.block = trial.defined_in.get(id(forward.definition)) or Block(CODE, "", forward.line)
    made = trial.inline(forward, [inputs[p] for p in parameters], call)
    if not (isinstance(made, Sequence) and len(made.items) == 2 and isinstance(made.items[0], Tensor)):
        return _reason(made, f"{forward.definition.name}() does not give (out, cache) the reader follows")
    out, cache = made.items
    shape = handwritten.known_value(out)
    if shape is None:
        return f"the value of {forward.definition.name}()'s output is not known to the reader"
    dout = Tensor(CONST, line, where, value=_literal(np.round(np.random.default_rng(SEED + 1).standard_normal(shape.shape), 3)), dtype="float64")
    trial.block = trial.defined_in.get(id(backward.definition)) or Block(CODE, "", backward.line)
    grads = trial.inline(backward, [dout, cache], call)
    grads = grads.items if isinstance(grads, Sequence) else (grads,)
    if not all(isinstance(grad, Tensor) for grad in grads):
        return _reason(next(g for g in grads if not isinstance(g, Tensor)), f"{backward.definition.name}() does not give gradients the reader follows")
    template = ast.Call(ast.Attribute(ast.BinOp(ast.Name("_ref0", ast.Load()), ast.Mult(), ast.Name("_ref1", ast.Load())), "sum", ast.Load()), [], [])
    loss = trial.combine(template, [out, dout], call)
    claims = []
    for index, name in wrt.items():
        if index >= len(grads):
            return f"{backward.definition.name}() returns fewer values than it names"
        text = f"d{name}" if _returned_name(backward, index) is None else _returned_name(backward, index)
        hand = handwritten.pair(text, grads[index], {"loss": loss, name: inputs[name]}, line, where, returned=True)
        if hand is None or hand.derivation is None:
            return hand.why if hand is not None else f"{text} is not read as a gradient"
        value = handwritten.known_value(grads[index])
        if value is None or not np.all(np.isfinite(value)):
            return f"the value of {text} is not known to the reader"
        label = f"{backward.definition.name}() gives {text}: the VJP of {forward.definition.name}() along a random dout"
        claims.append((Found("grad", line, where, "hand-written backward", label, leaf=hand.leaf, derivations=(hand.derivation,), values=value,
                             written=_literal(value), label=text), hand.derivation))  # fmt: skip
    return claims


def _returned_name(backward: Function, index: int) -> str | None:
    returned = _returned(backward.definition)
    items = returned.elts if isinstance(returned, ast.Tuple) else [returned]
    return items[index].id if index < len(items) and isinstance(items[index], ast.Name) else None


def _reason(value: object, otherwise: str) -> str:
    return value.reason if isinstance(value, Unknown) else otherwise


def _literal(values: np.ndarray) -> str:
    return f"tensor({values.tolist()!r})" if np.ndim(values) else repr(float(values))


def _place_of(backward: Function, returned: ast.expr | None, block: Block | None) -> tuple[int, str]:
    """The file line of the backward's return (where its gradients are claimed) and how a reader finds it."""
    offset = (returned.lineno if returned is not None else backward.definition.lineno) - 1
    if block is None:
        return backward.line + offset - (backward.definition.lineno - 1), f"line {backward.line}"
    return block.file_line(offset), block.where(offset)
