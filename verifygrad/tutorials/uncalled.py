"""A custom derivative rule the tutorial defines but never applies to values it shows, checked at generated inputs.

`class MyReLU(torch.autograd.Function)` used only inside a training loop on random data, a `jax.custom_vjp` or a
`tf.custom_gradient` never called at numbers: the backward is still a claim (the VJP of the forward), checkable
without the tutorial's data. Its forward is applied to seeded inputs (a vector, then a matrix, until it reads), and
each input's gradient from the rule becomes a formula claim, as when the tutorial applies it itself.
"""

from __future__ import annotations

import ast

import numpy as np

from verifygrad.language.statements import compile_program
from verifygrad.language.syntax import ExprError, NeedsValues
from verifygrad.tutorials.blocks import CODE, Block
from verifygrad.tutorials.interpret import CodeReader
from verifygrad.tutorials.values import LEAF, Function, Tensor

SHAPES = ((4,), (3, 4))  # an elementwise rule reads at the first; a matrix one may need the second
SEED = 0


def uncalled_rules(reader: CodeReader) -> None:
    """Each rule no derivation of the page checked: its claims at generated inputs, or why not in the not-read list."""
    claimed = {label for *_, label in reader.reading.rules}
    for function in list(reader.names.values()):
        if not isinstance(function, Function) or function.rule is None:
            continue
        rule = function.rule
        label = f"{rule.name}.{rule.what}"
        if label in claimed:
            continue
        claimed.add(label)
        block = reader.defined_in.get(id(function.definition)) or reader.defined_in.get(id(rule.forward))
        for shape in SHAPES:
            trial = _applied(reader, function, shape, block)
            if trial is not None:
                reader.reading.rules += trial.reading.rules
                reader.reading.derivations += trial.reading.derivations
                break
        else:
            line = block.file_line(rule.line - 1) if block is not None else function.line
            reader.reading.not_read.append((line, f"the custom rule {label}: never applied to values the page shows, and it did not "
                                                       f"read at generated inputs of shape {' or '.join(map(str, SHAPES))}"))  # fmt: skip


def _applied(reader: CodeReader, function: Function, shape: tuple[int, ...], block: Block | None) -> CodeReader | None:
    """The rule applied to seeded leaves of ``shape`` in a reader of its own; None where that gives no claim."""
    trial = CodeReader()
    trial.names, trial.aliases, trial.defined_in = dict(reader.names), dict(reader.aliases), reader.defined_in
    trial.reading.shown.append([])
    trial.block = block or Block(CODE, "", function.line)
    generator = np.random.default_rng(SEED)
    parameters = [a.arg for a in function.definition.args.args]
    offset = 1 if block is None or block.one_line else function.line - block.line + 1  # the definition's line in its block
    line, where = trial.file_line(offset), trial.where(offset)
    leaves = [Tensor(LEAF, line, where, name=p, value=f"tensor({np.round(generator.standard_normal(shape), 3).tolist()!r})", dtype="float64")
              for p in parameters]  # fmt: skip
    node = ast.Call(ast.Name(function.definition.name, ast.Load()), [], [], lineno=offset, col_offset=0)
    try:
        made = trial.call_function(function, leaves, node)
        if isinstance(made, Tensor):
            trial.rule_claims(function, made, leaves, node)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, RecursionError):  # NOTE: a gap in the reader, never a crash
        return None
    return trial if trial.reading.rules and all(_compiles(formula, parameters) for _, _, formula, *_ in trial.reading.rules) else None


def _compiles(formula: str, names: list[str]) -> bool:
    """Whether a rule's formula is a program of the case language (`return None, None, g` for inputs without a rule is not)."""
    try:
        compile_program(formula, names)
    except NeedsValues:
        return True  # in the language; it needs the inputs' values, which the case has
    except ExprError:
        return False
    return True
