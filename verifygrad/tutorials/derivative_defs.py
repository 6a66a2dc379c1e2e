"""Functions a tutorial writes as another's derivative (`sigmoid_derivative` beside `sigmoid`, `grad_f`, `df_dx`,
`f_reverse`, `jacobian_softmax`, `gradient(w, x, y)` beside its loss): each a formula claim, that its body is the exact
derivative of the function it names, checked at generated inputs whether or not the page calls it; a pairing that
could not be decided is listed with the reason.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass

import numpy as np

from verifygrad.language.bindings import canonical
from verifygrad.language.derivatives import Recorder, backward
from verifygrad.language.evaluate import program_value
from verifygrad.language.parse import Node
from verifygrad.language.statements import compile_program
from verifygrad.language.syntax import ExprError
from verifygrad.tutorials import handwritten
from verifygrad.tutorials.blocks import CODE, Block
from verifygrad.tutorials.findings import Findings, Found
from verifygrad.tutorials.functions import DerivativePairing, _returned, derivative_pairing
from verifygrad.tutorials.interpret import CodeReader
from verifygrad.tutorials.values import COMPUTED, LEAF, Derivation, Function, Tensor, Unknown, leaves_of

SEED = 0  # of the generated inputs
VECTOR, ROWS = 4, 3  # a vector first (a scalar hides `2 * x` written for `sum(x) ** 2`); a loss's data as ROWS x VECTOR
LOW, HIGH = 0.25, 1.75  # generated inputs are positive: a log or a square root in the function reads there
MAX_JACOBIAN = 64  # elements of a Jacobian computed to decide whether a function is elementwise


def derivative_functions(reader: CodeReader, findings: Findings) -> None:
    """Each function the page writes as another's derivative (`sigmoid_derivative` beside `sigmoid`, `grad_f`, `df_dx`,
    `function1_dx0`, `jacobian_softmax`), called or not: a formula claim, that its body is the exact derivative of the
    function it names, checked at generated inputs; a pairing that could not be decided is listed with the reason."""
    seen: set[int] = set()
    pairings: list[tuple[Function, DerivativePairing | str | None]] = []
    for function in list(reader.names.values()):
        if not isinstance(function, Function) or function.rule is not None or function.layer or function.pending:
            continue
        if id(function.definition) in seen or reader.requests_derivatives(function):  # NOTE: it asks a framework; written by hand is the claim
            continue
        seen.add(id(function.definition))
        pairings.append((function, derivative_pairing(function, reader.names, _notes(reader, function))))
    paired = [(function, pairing) for function, pairing in pairings if isinstance(pairing, DerivativePairing)]
    for function, pairing in pairings:
        pairing = _twin(function, paired) if pairing is None else pairing
        if pairing is None:
            continue
        line, where = _return_place(reader, function)
        name = function.definition.name
        if isinstance(pairing, str):
            _listed(reader, line, f"{name}() reads as a derivative; not paired: {pairing}")
            continue
        why = ""
        for shapes in _trials(pairing):
            outcome = _derivative_claims(reader, function, pairing, shapes, line, where)
            if isinstance(outcome, _Final):
                why = outcome  # NOTE: the vector read: a number would hide what it showed (softmax of one number is 1)
                break
            if isinstance(outcome, str):
                why = why or outcome  # NOTE: the vector's reason: one number is only a fallback
                continue
            for found, derivation in outcome:
                reader.reading.derivations.append(derivation)
                findings.found.append(found)
            why = ""
            break
        if why:
            what = "Jacobian" if pairing.quantity == "jacobian" else "derivative"
            _listed(reader, line, f"{name}() as the {what} of {pairing.of.definition.name}() ({pairing.how}): not checked: {why}")


def _twin(function: Function, paired: list[tuple[Function, DerivativePairing]]) -> DerivativePairing | None:
    """The pairing of a function that returns what a derivative function of the same parameters returns, named alike
    (`symbolic_f1_full` beside `function1_reverse`, both `return y, vbar0, vbar1, ...`): the page's other way to the same."""
    returned = _returned(function.definition)
    if not (isinstance(returned, ast.Tuple) and len(returned.elts) > 1 and all(isinstance(item, ast.Name) for item in returned.elts)):
        return None
    names = [item.id for item in returned.elts]
    parameters = [a.arg for a in function.definition.args.args]
    for other, pairing in paired:
        theirs = _returned(other.definition)
        if (isinstance(theirs, ast.Tuple) and [getattr(item, "id", None) for item in theirs.elts] == names
                and [a.arg for a in other.definition.args.args] == parameters):  # fmt: skip
            how = f"it returns what {other.definition.name}() returns ({', '.join(names[:3])}, ...), of the same parameters"
            parts = _parts(other, pairing)
            if isinstance(parts, list):
                return DerivativePairing(pairing.of, pairing.argnums, pairing.quantity, pairing.convention, how, tuple(parts))
    return None


class _Final(str):
    """Why a pairing was not checked, decided from values the reader computed: not retried at other shapes."""


def _listed(reader: CodeReader, line: int, what: str) -> None:
    if (line, what) not in reader.reading.not_read:
        reader.reading.not_read.append((line, what))


def _notes(reader: CodeReader, function: Function) -> str:
    """The function's docstring and the comments right above its def, in the block it is written in."""
    notes = [ast.get_docstring(function.definition) or ""]
    block = reader.defined_in.get(id(function.definition))
    lines = block.text.split("\n") if block is not None else []
    index = min([function.definition.lineno, *(d.lineno for d in function.definition.decorator_list)]) - 2
    while 0 <= index < len(lines) and lines[index].strip().startswith("#"):
        notes.append(lines[index].strip().lstrip("#").strip())
        index -= 1
    return "\n".join(notes)


def _return_place(reader: CodeReader, function: Function) -> tuple[int, str]:
    """The file line of the function's return (where its derivative is written), and how a reader finds it."""
    block = reader.defined_in.get(id(function.definition))
    returned = [node for node in function.definition.body if isinstance(node, ast.Return)]
    offset = (returned[-1].lineno if returned else function.definition.lineno) - 1
    if block is None:
        return function.line + offset - (function.definition.lineno - 1), f"line {function.line}"
    return block.file_line(offset), block.where(offset)


def _trials(pairing: DerivativePairing) -> list[dict[str, tuple[int, ...]]]:
    """Shapes of the generated inputs, tried in turn: every one a vector; a loss's data as a matrix of rows (``x``) and a
    vector of targets (``y``) with its parameters vectors; every one a number."""
    parameters = [a.arg for a in pairing.of.definition.args.args]
    trials = [dict.fromkeys(parameters, (VECTOR,))]
    data = [p for index, p in enumerate(parameters) if index not in pairing.argnums]
    if data and len(data) < len(parameters):
        first = data[0]
        trials.append({p: (VECTOR,) if p not in data else (ROWS, VECTOR) if p == first else (ROWS,) for p in parameters})
    return [*trials, dict.fromkeys(parameters, ())]


def _derivative_claims(reader: CodeReader, function: Function, pairing: DerivativePairing, shapes: dict[str, tuple[int, ...]],
                       line: int, where: str) -> list[tuple[Found, Derivation]] | str:  # fmt: skip
    """The claims at generated inputs of these shapes, or why they could not be made there."""
    of, name = pairing.of, function.definition.name
    of_name = of.definition.name
    parameters = [a.arg for a in of.definition.args.args]
    generator = np.random.default_rng(SEED)
    values = {p: np.round(generator.uniform(LOW, HIGH, shapes[p]), 3) for p in parameters}
    trial = CodeReader()
    trial.names, trial.aliases, trial.defined_in = dict(reader.names), dict(reader.aliases), reader.defined_in
    trial.reading.shown.append([])
    trial.block = reader.defined_in.get(id(of.definition)) or Block(CODE, "", of.line)
    leaves = [Tensor(LEAF, line, where, name=p, value=_literal(values[p]), dtype="float64") for p in parameters]
    try:
        output = trial.call_function(of, leaves, ast.Call(ast.Name(of_name, ast.Load()), [], [], lineno=1, col_offset=0))
        primal = _program(trial, of, f"{of_name}({', '.join(parameters)})")
        returned = _parts(function, pairing)
        if isinstance(returned, str):
            return returned
        claims = []
        for argnum, part in returned:
            own = [a.arg for a in function.definition.args.args]
            callee = _variant(trial, function, part, dict(zip(own, (values[p].shape for p in parameters))))
            formulas = {"input": f"{callee}({', '.join(parameters)})", "output": f"{callee}({of_name}({', '.join(parameters)}))"}
            if not isinstance(output, Tensor) or output.kind != COMPUTED:
                return output.reason if isinstance(output, Unknown) else f"{of_name}() does not give a tensor the reader follows"
            outcome = _claim(trial, pairing, primal, formulas, values, parameters[argnum])
            if isinstance(outcome, str):
                return outcome
            written, claimed, convention = outcome
            leaf = leaves[argnum]
            said = f"{name}() as the {'Jacobian' if pairing.quantity == 'jacobian' else 'derivative'} of {of_name}()"
            said += f" in terms of its output ({pairing.how})" if convention == "output" else f" ({pairing.how})"
            derivation = Derivation(output, f"{of_name}()", None, line, where, leaves=leaves_of(output), quantity=pairing.quantity)
            if pairing.quantity == "jacobian":
                claims.append((Found("jacobian", line, where, "derivative function", said, leaf=leaf, derivations=(derivation,),
                                     values=claimed, written=_literal(claimed), label=name), derivation))  # fmt: skip
            else:
                claims.append((Found("formula", line, where, "derivative function", said, leaf=leaf, derivations=(derivation,),
                                     formula=written, label=name), derivation))  # fmt: skip
        return claims
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, RecursionError, ExprError) as err:  # NOTE: a gap, never a crash
        return f"a statement the reader could not follow ({type(err).__name__})"


def _parts(function: Function, pairing: DerivativePairing) -> list[tuple[int, int | None]] | str:
    """(argument differentiated, the part of the function's returned tuple that is its derivative, or None for all of it)."""
    if pairing.parts:
        return list(pairing.parts)
    returned = _returned(function.definition)
    if returned is None:
        return f"{function.definition.name}() does not end with a return"
    count = len(pairing.argnums)
    if not isinstance(returned, ast.Tuple):
        if count == 1:
            return [(pairing.argnums[0], None)]
        return f"it returns one value for the {count} arguments of {pairing.of.definition.name}(): which one it is for is not said"
    if len(returned.elts) == count:
        return list(zip(pairing.argnums, range(count)))
    # `return y, dydx0`, `return y, vbar0, vbar1, ...`: the parts whose names say they are derivatives by each argument
    parameters = [a.arg for a in function.definition.args.args]
    said = [_derivative_by(item.id, function.definition) if isinstance(item, ast.Name) else None for item in returned.elts]
    parts = []
    for argnum in pairing.argnums:
        found = [index for index, by in enumerate(said) if by == parameters[argnum] or count == 1 and by == ""]
        if len(found) != 1:
            return f"it returns {len(returned.elts)} values: which is the derivative by {parameters[argnum]} is not said"
        parts.append((argnum, found[0]))
    return parts


_ADJOINT = re.compile(r"^([A-Za-z]+)_?bar_?(\d*)$|^bar_?([A-Za-z]+)(\d*)$")  # vbar0, v0_bar, bar_v0: the adjoint of v0


def _derivative_by(name: str, definition: ast.FunctionDef) -> str | None:
    """The parameter a returned local's name says it is the derivative by (`dydx0`: x0; `vbar0` of `v0 = x0`: x0), ""
    where it names a derivative by no parameter of the function, None where it is not named as a derivative."""
    aliases = {node.targets[0].id: node.value.id for node in definition.body if isinstance(node, ast.Assign) and len(node.targets) == 1
               and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Name)}  # fmt: skip
    parameters = {a.arg for a in definition.args.args}
    adjoint, explicit = _ADJOINT.match(name), handwritten._EXPLICIT.match(name)
    if adjoint:
        by = (adjoint.group(1) or adjoint.group(3)) + (adjoint.group(2) or adjoint.group(4) or "")
    elif explicit:
        by = explicit.group(2)
    else:
        return None
    for _ in range(len(aliases)):  # `v0 = x0`: the adjoint of v0 is the derivative by x0
        by = aliases.get(by, by) if by not in parameters else by
    return by if by in parameters else ""


def _variant(trial: CodeReader, function: Function, part: int | None, shapes: dict[str, tuple[int, ...]]) -> str:
    """The function as the claim calls it: returning only one part of its tuple, and with ``len(y)``, ``x.shape[0]`` of
    parameters it never rebinds written as the numbers they are at the generated inputs; bound in the trial reader."""
    written = copy.deepcopy(function.definition)
    rebound = {n.id for n in ast.walk(written) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    folded = _ShapesFolded({name: shape for name, shape in shapes.items() if name not in rebound})
    written = folded.visit(written)
    if part is None and not folded.changed:
        return function.definition.name
    written.name = f"{function.definition.name}_part{part}" if part is not None else f"{function.definition.name}_at"
    if part is not None:
        last = written.body[-1]
        assert isinstance(last, ast.Return) and isinstance(last.value, ast.Tuple)
        last.value = last.value.elts[part]
    trial.names[written.name] = Function(ast.fix_missing_locations(written), function.line, written.name)
    return written.name


class _ShapesFolded(ast.NodeTransformer):
    """``len(x)``, ``x.shape[k]``, ``x.size``, ``x.ndim`` of parameters of known shape, as numbers."""

    def __init__(self, shapes: dict[str, tuple[int, ...]]):
        self.shapes = shapes
        self.changed = False

    def _number(self, node: ast.AST, value: int) -> ast.AST:
        self.changed = True
        return ast.copy_location(ast.Constant(value), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        argument = node.args[0] if len(node.args) == 1 and not node.keywords else None
        if isinstance(node.func, ast.Name) and node.func.id == "len" and isinstance(argument, ast.Name) and self.shapes.get(argument.id):
            return self._number(node, self.shapes[argument.id][0])
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        value, key = node.value, node.slice
        if not (isinstance(value, ast.Attribute) and value.attr == "shape" and isinstance(value.value, ast.Name) and value.value.id in self.shapes):
            return node
        shape = self.shapes[value.value.id]
        if isinstance(key, ast.Constant) and type(key.value) is int and -len(shape) <= key.value < len(shape):
            return self._number(node, shape[key.value])
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id in self.shapes and node.attr in ("size", "ndim") and isinstance(node.ctx, ast.Load):
            shape = self.shapes[node.value.id]
            return self._number(node, int(np.prod(shape)) if node.attr == "size" else len(shape))
        return node


def _program(trial: CodeReader, of: Function, formula: str) -> str:
    """A formula in the inputs of ``of``: the page's functions it calls written before it, the numbers they read bound."""
    program = trial.rule_program(_Inputs(of.definition, of.line), formula)
    if isinstance(program, Unknown):
        raise ValueError(program.reason)
    return ast.unparse(canonical(ast.parse(program), trial.aliases)) + "\n"


@dataclass(frozen=True)
class _Inputs:
    """What ``rule_program`` reads of a rule: the function whose parameters the formula's inputs are, and its line."""

    forward: ast.FunctionDef
    line: int


def _claim(trial: CodeReader, pairing: DerivativePairing, primal: str, formulas: dict[str, str], values: dict[str, np.ndarray],
           wrt: str) -> tuple[str, np.ndarray, str] | str:  # fmt: skip
    """The formula claimed (as a program), its value at ``values`` and the convention it was read in; or why not."""
    inputs = dict(values)
    exact = _jacobian(primal, inputs, wrt)
    claimed, errors = {}, {}
    for convention in ("input", "output"):
        try:
            written = _program(trial, pairing.of, formulas[convention])
            claimed[convention] = (written, program_value(compile_program(written, list(inputs)), inputs))
        except (ExprError, ValueError, TypeError, ArithmeticError, RecursionError) as err:
            claimed[convention], errors[convention] = None, str(err).split("; known functions")[0]
    if claimed["input"] is None:
        return f"{formulas['input']} is not read: {errors['input']}"
    shape = values[wrt].shape
    if pairing.quantity == "grad":
        if exact is not None and exact.shape[: exact.ndim - len(shape)] not in ((), shape):
            return _Final(f"{pairing.of.definition.name}() gives shape {exact.shape[: exact.ndim - len(shape)]}: not a number nor elementwise")
        if exact is not None and exact.shape[: exact.ndim - len(shape)] == shape and len(shape) and not _diagonal(exact, shape):
            return _Final(f"{pairing.of.definition.name}() is not elementwise: its derivative is a Jacobian, not one number per input")
        target = None if exact is None else exact.reshape(-1, *shape).sum(axis=0) if len(shape) else exact.reshape(())
    else:
        target = exact
    chosen = "input"
    if pairing.convention == "either":
        if target is None:
            return f"whether {pairing.of.definition.name}()'s input or its output is handed to it is not said, and its value was not computed"
        agree = {c: claimed[c] is not None and claimed[c][1].shape == target.shape and np.allclose(claimed[c][1], target, rtol=1e-7, atol=1e-9)
                 for c in ("input", "output")}  # fmt: skip
        chosen = "output" if agree["output"] and not agree["input"] else "input"
    written, value = claimed[chosen]
    wanted = target.shape if target is not None else (shape if pairing.quantity == "grad" else None)
    if wanted is not None and value.shape != wanted:
        return f"{formulas[chosen]} has shape {value.shape}, the derivative has {wanted}"
    if not np.all(np.isfinite(value)):
        return _Final(f"{formulas[chosen]} is not finite at the generated inputs")
    return written, value, chosen


def _jacobian(primal: str, inputs: dict[str, np.ndarray], wrt: str) -> np.ndarray | None:
    """The exact Jacobian of the program ``primal`` with respect to ``wrt`` at ``inputs`` (output shape + input shape), or None."""
    try:
        program = compile_program(primal, list(inputs))
        shapes = program.shapes({name: value.shape for name, value in inputs.items()})
        size = int(np.prod(shapes[-1]))
        if size > MAX_JACOBIAN:
            return None
        rows = []
        for index in range(size):
            recorder = Recorder(program, shapes)
            seed = np.zeros(size)
            seed[index] = 1.0
            grad = backward(recorder, recorder.constant(seed.reshape(shapes[-1])), (wrt,)).get(wrt)
            if grad is None:
                rows.append(np.zeros(inputs[wrt].shape))
                continue
            recorder.add(Node("reshape", (grad.index,), {"shape": inputs[wrt].shape}, spelling="reshape"), inputs[wrt].shape)
            rows.append(program_value(recorder.program("the Jacobian's row"), inputs))
        return np.stack(rows).reshape(*shapes[-1], *inputs[wrt].shape)
    except (ExprError, ValueError, TypeError, KeyError, IndexError, ArithmeticError, RecursionError):
        return None


def _diagonal(jacobian: np.ndarray, shape: tuple[int, ...]) -> bool:
    size = int(np.prod(shape))
    square = jacobian.reshape(size, size)
    return bool(np.allclose(square - np.diag(np.diag(square)), 0.0))


def _literal(values: np.ndarray) -> str:
    return f"tensor({np.asarray(values).tolist()!r})" if np.ndim(values) else repr(float(values))
