"""Compile a small program (statements, functions, loops) into the same flat list of nodes as one expression.

A name binds to a node index and rebinding rebinds, so ``c += c + 1`` or ``y.add_(1)``
costs exactly what the inlined expression costs; ``def`` functions are inlined at each
call; ``for i in range(N)`` is unrolled.  ``if`` and ``while`` conditions that depend on
values are decided by evaluating the nodes built so far at the given inputs, as PyTorch
decides them when it records its graph; a note says which way each went.  The output
node is moved last and nodes it does not need are dropped.  Nothing is ever evaluated
as Python: the text is read with ``ast`` and only the statements below are accepted.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable, Collection, Mapping
from typing import Any

import numpy as np

from verifygrad.errors import EngineSkipped
from verifygrad.language import arrays, spellings
from verifygrad.language.bindings import LIBRARIES, LIKE, canonical, imported
from verifygrad.language.ops import OPS
from verifygrad.language.parse import (
    FUNCTIONS,
    IN_PLACE_OPERATORS,
    MAX_NODES,
    NAMED_CONSTANTS,
    PREFIXES,
    ExprError,
    Node,
    Program,
    _Builder,
    _col,
    _describe,
    method_prefix,
    parse,
)
from verifygrad.language.spellings.compose import NUMPY_PREFIXES, SeveralTensors
from verifygrad.language.syntax import NeedsValues
from verifygrad.language.syntax import dotted as _dotted
from verifygrad.process import limits

MAX_LOOP_STEPS = 1_000  # iterations of one while loop, and the count of one for loop
MAX_PROGRAM_NODES = MAX_NODES  # nodes a program may unroll to
MAX_PROGRAM_STEPS = 20_000  # loop iterations and inlined calls of one program, nested ones included
NO_OP_CALLS = {"print", "retain_grad", "requires_grad_", "display"}  # statements that change no value


def compile_program(text: str, inputs: Mapping[str, np.ndarray] | Collection[str] | None = None, *,
                    line_offset: int = 0, output: str | None = None) -> Program:  # fmt: skip
    """The program in ``text`` as nodes; ``inputs`` names the inputs (with their values, if/while can be decided).

    Lines in nodes and errors are the text's own plus ``line_offset`` (a case's line in its file).
    A single expression compiles exactly as ``parse`` does it; ``inputs=None`` reads unknown names as inputs.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the expression is empty")
    if "\n" not in text.strip() and ";" not in text and output is None and inputs is None:
        return parse(text)
    bounds = limits.current()
    if len(text) > bounds.expr_chars:
        raise ExprError(f"the expression is {len(text)} characters long; the limit is {bounds.expr_chars} (--limit expr_chars=N)")
    multiline = "\n" in text.strip()
    try:
        body = _statements(textwrap.dedent(text) if multiline else text.strip())
    except SyntaxError as err:
        line = (err.lineno or 1) + line_offset if multiline else None
        raise ExprError(f"syntax error: {err.msg}", err.offset, line) from None
    except (RecursionError, MemoryError):
        raise ExprError(f"the expression is nested too deeply (limit {bounds.depth} levels, --limit depth=N)") from None
    builder = ProgramBuilder(inputs, bounds.depth, line_offset, multiline)
    builder.method_prefix = method_prefix(ast.Module(body, []))
    try:
        output_node = builder.program(body, output)
    except ExprError as err:
        if err.line is None and multiline:
            err.line = builder.line
        raise
    program = builder.finish(text, output_node)
    if isinstance(inputs, Mapping):  # the inputs' values, so their shapes: torch's reading of a 0-d tensor's dim 0
        program = program.scalar_dims_read({name: np.shape(value) for name, value in inputs.items()})
    return program


def _statements(source: str) -> list[ast.stmt]:
    """The statements of the text; one line that is an expression is read as one (its syntax errors say so)."""
    if "\n" not in source:
        try:
            return [ast.Expr(ast.parse(source, mode="eval").body, lineno=1, col_offset=0)]
        except SyntaxError as err:
            try:
                return ast.parse(source, mode="exec").body
            except SyntaxError:
                raise err from None
    return ast.parse(source, mode="exec").body


class ProgramBuilder(_Builder):
    """The expression builder with variables, functions, statements, and values to decide conditions with."""

    def __init__(self, inputs: Mapping[str, np.ndarray] | Collection[str] | None, max_depth: int, line_offset: int, multiline: bool):
        super().__init__(allow_inputs=True, max_depth=max_depth)
        self.known = None if inputs is None else set(inputs)
        self.input_values = dict(inputs) if isinstance(inputs, Mapping) else {}
        self.decides = True
        self.at_values = False  # whether what is compiled depends on the inputs' values
        self.output: str | None = None
        self.line_offset = line_offset
        self.multiline = multiline
        self.scope: dict[str, int] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.aliases: dict[str, str] = {}  # names imports bound, each to the module path it stands for
        self.sequences: dict[str, list[int]] = {}  # names bound to a list or tuple of tensors
        self.notes: list[str] = []
        self.declared: dict[str, np.ndarray] = {}  # inputs the program itself creates with requires_grad=True
        self.scalars: dict[tuple[bytes, str | None], int] = {}  # the node of each scalar constant
        self.values: list[Any] = []  # forward values of nodes[:len(values)], computed when a condition needs them
        self.unvalued = ""  # why a node has no forward value (a decomposition "not verified" at these inputs), if one has none
        self.dependence: list[tuple[bool, bool]] = []  # per node: computed from an input; from one without a value
        self.no_grad = 0  # depth of `with torch.no_grad():` blocks
        self.inlining: list[str] = []  # the functions being inlined, innermost last
        self.steps = 0  # loop iterations and inlined calls so far: bounded even where they add no operation
        self.last_assigned: int | None = None
        self.backward_of: int | None = None
        self.grad_output: np.ndarray | None = None  # what backward(v) was handed
        for name in sorted(self.known or ()):
            self.note_shadowing(name, "input")

    def const(self, value: Any, col: int, symbol: str | None = None) -> int:
        """One node per scalar constant: a loop body's 0.9 is one node however often the loop runs."""
        array = np.asarray(value, dtype=np.float64)
        if array.ndim:
            return super().const(array, col, symbol)
        key = (array.tobytes(), symbol)
        if key not in self.scalars:
            self.scalars[key] = super().const(array, col, symbol)
        return self.scalars[key]

    # --- names ------------------------------------------------------------------

    def variable(self, name: str) -> int | None:
        if name in self.scope:
            return self.scope[name]
        if self.known is not None and name in self.known:
            if name not in self.input_index:
                self.input_index[name] = self.add("input", (), 0, name=name)
            return self.input_index[name]
        return None

    def visit_name(self, name: str, col: int) -> int:
        if self.known is not None and self.variable(name) is None and name not in NAMED_CONSTANTS and name not in FUNCTIONS:
            raise ExprError(f"unknown name '{name}'; {self.defined()}", col)
        return super().visit_name(name, col)

    def defined(self) -> str:
        """'inputs are: x, y' and, if any, '; variables: c, d', for messages about unknown names."""
        inputs = ", ".join(self.known or ()) or "none"
        variables = ", ".join(name for name in self.scope if name not in (self.known or ()))
        return f"inputs are: {inputs}" + (f"; variables: {variables}" if variables else "")

    def note_shadowing(self, name: str, kind: str) -> None:
        what = "the constant" if name in NAMED_CONSTANTS else "the function" if name in FUNCTIONS else None
        note = f"the {kind} '{name}' shadows {what} {name} here, as in Python"
        if what and note not in self.notes:
            self.notes.append(note)

    def bind(self, target: ast.AST, node: int) -> None:
        if not isinstance(target, ast.Name):
            raise ExprError(f"{_target_words(target)} is not supported; assign to a plain name", _col(target))
        if self.no_grad and self.nodes[node].op not in ("const", "stop_gradient"):
            node = self.add("stop_gradient", (node,), _col(target), "torch.no_grad()")
        self.note_shadowing(target.id, "variable")
        self.aliases.pop(target.id, None)
        self.sequences.pop(target.id, None)
        self.functions.pop(target.id, None)
        self.scope[target.id] = node
        self.last_assigned = node

    # --- statements ---------------------------------------------------------------

    def program(self, body: list[ast.stmt], output: str | None) -> int:
        self.output = output
        final = self.block(body, top=True)
        if output is not None:
            if self.variable(output) is None:
                raise ExprError(f"output names '{output}', which the program does not define; {self.defined()}")
            return self.variable(output)
        for candidate in (final, self.backward_of, self.last_assigned):
            if candidate is not None:
                return candidate
        raise ExprError("the program computes nothing: end it with an expression, or assign a name")

    def block(self, body: list[ast.stmt], top: bool = False) -> int | None:
        """Run the statements; the value of a final bare expression, if the block ends with one."""
        final = None
        for index, statement in enumerate(body):
            self.line = statement.lineno + self.line_offset if self.multiline else 0
            final = self.statement(statement, depth=0, last=top and index == len(body) - 1)
            if len(self.nodes) > MAX_PROGRAM_NODES:
                raise ExprError(f"the program unrolls to over {MAX_PROGRAM_NODES} operations; the limit is {MAX_PROGRAM_NODES}", _col(statement))
        return final

    def statement(self, node: ast.stmt, depth: int, last: bool) -> int | None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            outside = sorted({path.split(".")[0] for path in imported(node).values()} - LIBRARIES)
            if outside:
                raise ExprError(f"an import is not supported in a program; only {', '.join(sorted(LIBRARIES - {'__future__'}))} are read, "
                                f"not '{outside[0]}'", _col(node))  # fmt: skip
            for name, path in imported(node).items():
                self.scope.pop(name, None)
                self.aliases[name] = path
            return None
        node = canonical(node, self.aliases)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Lambda):  # f = lambda x: ...: a function, as def f(x): return ...
                self.define(_lambda_def(node.targets[0].id, node.value))
                return None
            if isinstance(node.value, (ast.List, ast.Tuple, ast.ListComp)):
                items = self.sequence(node.value, depth)
                self.bind(node.targets[0], items[0] if items else self.const(0.0, _col(node)))
                self.scope.pop(node.targets[0].id)
                self.sequences[node.targets[0].id] = items
                return None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
            self.assign_item(node.targets[0], self.visit(node.value, depth), depth)
            return None
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript) and type(node.op) in _AUGMENTED:
            op, spelling = _AUGMENTED[type(node.op)]
            current = self.visit(ast.Subscript(node.target.value, node.target.slice, ast.Load(), **_place(node.target)), depth)
            self.assign_item(node.target, self.add(op, (current, self.visit(node.value, depth)), _col(node), spelling), depth)
            return None
        if isinstance(node, ast.Assign):
            marked, self.requires_grad = self.requires_grad, False
            value = self.assigned_value(node.targets, node.value, depth)
            declares, self.requires_grad = self.requires_grad, marked or self.requires_grad
            if declares and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and not isinstance(value, list):
                self.declare(node.targets[0].id, value, node.value)
                return None
            for target in node.targets:
                if isinstance(target, (ast.Tuple, ast.List)):
                    values = value if isinstance(value, list) else None
                    if values is None or len(values) != len(target.elts):
                        raise ExprError("tuple assignment needs as many values as names, written as a tuple (a, b = x, y)", _col(target))
                    for name, item in zip(target.elts, values):
                        self.bind(name, item)
                else:
                    if isinstance(value, list):
                        raise ExprError("a tuple of values needs as many names to assign to (a, b = x, y)", _col(node.value))
                    self.bind(target, value)
            return None
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            self.bind(node.target, self.visit(node.value, depth))
            return None
        if isinstance(node, ast.AugAssign):
            if type(node.op) not in _AUGMENTED:
                raise ExprError(f"the augmented operator {type(node.op).__name__} is not supported", _col(node))
            current = self.visit(node.target, depth) if isinstance(node.target, ast.Name) else None
            if current is None:
                raise ExprError(f"{_target_words(node.target)} is not supported; assign to a plain name", _col(node.target))
            op, spelling = _AUGMENTED[type(node.op)]
            self.bind(node.target, self.add(op, (current, self.visit(node.value, depth)), _col(node), spelling))
            return None
        if isinstance(node, ast.Expr):
            return self.expression_statement(node.value, depth, last)
        if isinstance(node, ast.FunctionDef):
            self.define(node)
            return None
        if isinstance(node, ast.For):
            self.unroll(node)
            return None
        if isinstance(node, ast.While):
            self.loop(node)
            return None
        if isinstance(node, ast.If):
            taken = self.decide(node.test, depth, what="if")
            self.block(node.body if taken else node.orelse)
            return None
        if isinstance(node, ast.With):
            self.with_block(node)
            return None
        if isinstance(node, ast.Pass):
            return None
        if isinstance(node, ast.Return):
            raise ExprError("return outside a function", _col(node))
        raise ExprError(f"{_describe(node)} is not supported in a program", _col(node))

    def assigned_value(self, targets: list[ast.expr], value: ast.expr, depth: int) -> int | list[int]:
        if any(isinstance(t, (ast.Tuple, ast.List)) for t in targets):
            if isinstance(value, ast.Name) and value.id in self.sequences:  # a, b = pair
                return list(self.sequences[value.id])
            unpacked = next((t for t in targets if isinstance(t, (ast.Tuple, ast.List))), None)
            if isinstance(value, ast.Call) and spellings.returns_tuple(value):  # L, Q = torch.linalg.eigh(A): each part read as [k]
                return [self.visit_call(value, depth, part=k) for k in range(len(unpacked.elts))]
            if not isinstance(value, (ast.Tuple, ast.List)):
                raise ExprError("tuple assignment needs as many values as names, written as a tuple (a, b = x, y)", _col(value))
            return [self.visit(item, depth) for item in value.elts]  # NOTE: all values first, then the names, as Python does
        return self.visit(value, depth)

    def expression_statement(self, value: ast.expr, depth: int, last: bool) -> int | None:
        """A call for its effect (``y.add_(1)``, ``out.backward()``, ``print(y)``), or a bare expression."""
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Name):
            receiver, method = value.func.value.id, value.func.attr
            if method == "backward":
                self.backward_of = self.visit(value.func.value, depth)
                self.grad_output = self.backward_argument(value)
                return None
            if method == "requires_grad_" and receiver in self.scope and all(_bool_argument(arg) for arg in value.args):
                self.declare(receiver, self.scope[receiver], value)
                return None
            if method in NO_OP_CALLS:
                self.visit(value.func.value, depth)  # NOTE: still read, so that a misspelt name is reported
                return None
            if method.endswith("_") and (method[:-1] in FUNCTIONS or method[:-1] in IN_PLACE_OPERATORS):
                if receiver not in self.scope:
                    raise ExprError(f"the in-place method '.{method}()' changes '{receiver}', which is not a variable of the program "
                                    "(torch refuses in-place changes of an input that requires grad)", _col(value))  # fmt: skip
                self.bind(value.func.value, self.visit(_out_of_place(value, method[:-1]), depth))
                return None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in NO_OP_CALLS and self.variable(value.func.id) is None:
            return None  # NOTE: what print() shows (x.grad, f-strings) is not part of the computation
        if last:
            several = self.outputs(value, depth)
            if several is not None:
                return several[0] if len(several) == 1 else self.joined(several, _col(value))
        node = self.visit(value, depth)
        return node if last else None

    # --- a program whose result is several tensors ------------------------------------------

    def outputs(self, value: ast.expr, depth: int) -> list[int] | None:
        """The tensors of a program's result that is several (a tuple or list of them, ``tuple(...)``/``list(...)`` of
        one, a list variable, a split, a function of the program returning one), nested ones flattened; None where the
        expression is not of that form. A function of the program gives its one tensor as a list of one."""
        if isinstance(value, (ast.Tuple, ast.List)):
            return [node for item in value.elts for node in (self.outputs(item, depth + 1) or [self.visit(item, depth + 1)])]
        if isinstance(value, ast.Name) and value.id in self.sequences:
            return list(self.sequences[value.id])
        if not isinstance(value, ast.Call):
            return None
        func = value.func
        if isinstance(func, ast.Name) and func.id in ("tuple", "list") and func.id not in self.functions and self.variable(func.id) is None:
            if len(value.args) == 1 and not value.keywords:
                return self.outputs(value.args[0], depth)
            return None
        if isinstance(func, ast.Name) and func.id in self.functions:
            return self.user_function(func.id, value, depth, several=True)
        if spellings.several_tensors(value):  # NOTE: not torch.max(x, 0) or sort: their indices are positions, not a result
            try:
                return self.parts(value, depth)
            except NeedsValues:
                raise  # NOTE: compiled again with the inputs' values
            except ExprError:
                return None  # NOTE: one tensor after all (torch.max(x)), or an error the plain reading reports
        try:
            return [self.visit(value, depth)]
        except SeveralTensors as several:  # np.gradient(x) of a matrix: one tensor per axis
            try:
                return self.parts(value, depth)
            except NeedsValues:
                raise
            except ExprError:
                raise several from None  # NOTE: the several tensors are an argument's (np.sum(np.split(x, 2))): its error

    def parts(self, call: ast.Call, depth: int) -> list[int]:
        """Every part of a tuple result (``np.split(x, 3)``, ``np.linalg.eigh(A)``), taken in turn until there is no next
        one; an empty piece after the first ends it too (torch.split's pieces past the end are empty: they add nothing)."""
        items: list[int] = []
        for k in range(MAX_OUTPUTS + 1):
            try:
                node = self.visit_call(call, depth, part=k)
                shape = self.known_shape(node, _col(call), "a part of the program's result")
            except NeedsValues:
                raise
            except ExprError:
                if k == 0:
                    raise
                return items
            if k and 0 in shape:
                return items
            items.append(node)
        raise ExprError(f"the program's result is over {MAX_OUTPUTS} tensors; the limit is {MAX_OUTPUTS}", _col(call))

    def joined(self, items: list[int], col: int) -> int:
        """Several tensors as one result: each flattened, then concatenated in order, so that a gradient of the result
        (a seeded cotangent) is one cotangent per tensor and the VJP their sum, as autograd checks a tuple's."""
        flat = [self.add("reshape", (item,), col, "the program's tensors, joined", shape=(-1,)) for item in items]
        out = flat[0]
        for piece in flat[1:]:
            out = self.add("concat", (out, piece), col, "the program's tensors, joined", dim=0)
        self.notes.append(f"the program's result is {len(items)} tensors: checked as one, each flattened and concatenated in order")
        return out

    def with_block(self, node: ast.With) -> None:
        for item in node.items:
            context = _dotted_call(item.context_expr)
            if context not in ("torch.no_grad", "no_grad") or item.optional_vars is not None:
                raise ExprError("only `with torch.no_grad():` is supported", _col(item.context_expr))
        self.no_grad += 1
        try:
            self.block(node.body)
        finally:
            self.no_grad -= 1

    # --- lists, item assignment, calls the compiler reads itself -----------------------------

    def sequence(self, node: ast.List | ast.Tuple | ast.ListComp, depth: int) -> list[int]:
        """The tensors of a list or tuple, or of a comprehension over constants (``[x * i for i in range(3)]``)."""
        if not isinstance(node, ast.ListComp):
            return [self.visit(item, depth + 1) for item in node.elts]
        if len(node.generators) != 1 or node.generators[0].ifs or node.generators[0].is_async or not isinstance(node.generators[0].target, ast.Name):
            raise ExprError("only a comprehension `[... for NAME in range(N)]` or over a written list of numbers is supported", _col(node))
        generator = node.generators[0]
        values = self.constant_iteration(generator.iter)
        name, saved = generator.target.id, self.scope.get(generator.target.id)
        items = []
        try:
            for value in values:
                self.scope[name] = self.const(value, _col(generator.target))
                items.append(self.visit(node.elt, depth + 1))
        finally:
            self.scope.pop(name, None)
            if saved is not None:
                self.scope[name] = saved
        return items

    def constant_iteration(self, node: ast.expr) -> list[float]:
        return loop_steps(node, self.constant_argument)

    def assign_item(self, target: ast.Subscript, value: int, depth: int) -> None:
        """``y[key] = v`` (a mask ``y[y < 0] = 0`` too) as a functional update: y elsewhere, v scattered at the key."""
        if not isinstance(target.value, ast.Name) or self.variable(target.value.id) is None:
            raise ExprError(f"{_target_words(target)} is supported on a variable only", _col(target))
        col = _col(target)
        current = self.variable(target.value.id)
        if _mask(target.slice) and self.nodes[value].op == "const" and np.size(self.nodes[value].attrs["value"]) == 1:
            mask = self.visit(target.slice, depth + 1)
            if self.depends(mask):  # `g[x < 0] = 0`: which elements depends on the inputs, so it is decided per point, never once
                kept = self.add("sub", (self.const(1.0, col), mask), col, "[]=")
                placed = self.add("add", (self.add("select", (mask, value), col, "[]="), self.add("select", (kept, current), col, "[]=")), col, "[]=")
                self.bind(target.value, placed)
                return
        shape = self.known_shape(current, col, "assigning to an element")
        read = spellings.subscript(self, ast.Subscript(target.value, target.slice, ast.Load(), **_place(target)), depth)
        key = self.nodes[read].attrs["key"]
        if read == len(self.nodes) - 1 and len(self.values) <= read and len(self.dependence) <= read:
            self.nodes.pop()  # NOTE: only the key was wanted: the read itself is never computed (it may not fit)
        placed = np.zeros(shape, dtype=bool)
        try:
            taken = arrays.index(placed, key)
            placed[arrays.as_numpy_key(key)] = True
        except (IndexError, ValueError, TypeError):
            raise ExprError(f"the index [{arrays.key_text(key)}] does not fit '{target.value.id}', of shape {shape}", col) from None
        spread = self.add("broadcast_to", (value,), col, "[]=", shape=np.shape(taken))
        scattered = self.add("scatter", (spread,), col, "[]=", shape=shape, key=key)
        kept = self.add("select", (self.const(~placed, col), current), col, "[]=")
        self.bind(target.value, self.add("add", (kept, scattered), col, "[]="))

    def like(self, name: str, node: ast.Call, depth: int) -> int:
        """``ones_like(x)``, ``zeros_like``, ``full_like(x, v)``, ``randn_like`` (seed 0): a constant of x's shape."""
        if not node.args:
            raise ExprError(f"{name}() takes the tensor whose shape it copies", _col(node))
        shape = self.known_shape(self.visit(node.args[0], depth + 1), _col(node), f"{name}()")
        made = LIKE[name]
        if made is None:
            raise ExprError(f"{name}() leaves its values uninitialised", _col(node))
        if made == "full":
            if len(node.args) != 2:
                raise ExprError("full_like() takes the tensor and the value to fill it with", _col(node))
            return self.const(np.full(shape, float(self.constant_argument(node.args[1]))), _col(node))
        if made == "randn":
            return self.const(np.random.default_rng(0).standard_normal(shape), _col(node))
        return self.const(np.ones(shape) if made == "ones" else np.zeros(shape), _col(node))

    def visit(self, node: ast.AST, depth: int) -> int:
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in self.sequences:
            items = self.sequences[node.value.id]
            position = self.constant_argument(node.slice)
            if type(position) is not int or not -len(items) <= position < len(items):
                raise ExprError(f"'{node.value.id}' holds {len(items)} tensors; index it by a constant position", _col(node))
            return items[position]
        if isinstance(node, ast.Name) and node.id in self.sequences:
            raise ExprError(f"'{node.id}' is a list of tensors here; take one ({node.id}[0]) or stack them", _col(node))
        return super().visit(node, depth)

    def visit_call(self, node: ast.Call, depth: int, part: int | None = None) -> int:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "copy" and not node.args and not node.keywords:
            return self.visit(func.value, depth + 1)  # numpy's copy: the same values (the language has no aliasing)
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) and _dotted(func.value) in PREFIXES else None
        if called in LIKE and (self.variable(called) is None):
            return self.like(called, node, depth)
        if isinstance(func, ast.Name) and func.id == "sum" and len(node.args) == 1 and self.variable("sum") is None and "sum" not in self.functions:
            listed = node.args[0]
            if isinstance(listed, (ast.List, ast.Tuple, ast.ListComp)) or (isinstance(listed, ast.Name) and listed.id in self.sequences):
                items = self.sequences[listed.id] if isinstance(listed, ast.Name) else self.sequence(listed, depth)
                total = self.const(0.0, _col(node))
                for item in items:
                    total = self.add("add", (total, item), _col(node), "sum()")
                return total
        if any(isinstance(arg, ast.Name) and arg.id in self.sequences for arg in node.args):
            node = ast.Call(func, [self.spread(arg) for arg in node.args], node.keywords, **_place(node))
        elif isinstance(func, ast.Attribute) and func.attr in spellings.JOINS and _dotted(func.value) in NUMPY_PREFIXES and node.args:
            node = ast.Call(func, [self.rows(node.args[0]), *node.args[1:]], node.keywords, **_place(node))
        return super().visit_call(node, depth, part)

    def rows(self, arg: ast.expr) -> ast.expr:
        """np.vstack(x) of one array variable: numpy joins its rows, x[0], x[1], ... (x's first dim read from the inputs)."""
        if not isinstance(arg, ast.Name) or self.variable(arg.id) is None:
            return arg
        shape = self.known_shape(self.variable(arg.id), _col(arg), f"a join of '{arg.id}'")
        if not shape:
            raise ExprError(f"'{arg.id}' is 0-D: numpy joins no rows of it", _col(arg))
        return ast.List([ast.Subscript(arg, ast.Constant(i, **_place(arg)), ast.Load(), **_place(arg)) for i in range(shape[0])], ast.Load(), **_place(arg))

    def spread(self, arg: ast.expr) -> ast.expr:
        """A list name handed to a call (``torch.stack(ys)``) as the list of its tensors, each under a name no program can write."""
        if not (isinstance(arg, ast.Name) and arg.id in self.sequences):
            return arg
        names = []
        for position, item in enumerate(self.sequences[arg.id]):
            hidden = f"{arg.id}[{position}]"
            self.scope[hidden] = item
            names.append(ast.Name(hidden, ast.Load(), **_place(arg)))
        return ast.List(names, ast.Load(), **_place(arg))

    # --- functions and loops --------------------------------------------------------

    def define(self, node: ast.FunctionDef) -> None:
        arguments = node.args
        if arguments.vararg or arguments.kwarg or arguments.kwonlyargs or arguments.defaults or arguments.posonlyargs or node.decorator_list:
            raise ExprError(f"function '{node.name}': only plain positional parameters are supported (no defaults, *args or decorators)", _col(node))
        body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))]
        if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
            raise ExprError(f"function '{node.name}' must end with `return <expression>`", _col(node))
        for statement in ast.walk(ast.Module(body[:-1], [])):
            if isinstance(statement, ast.Return):
                raise ExprError(f"function '{node.name}': a return before the end is not supported", _col(statement))
        if node.name in FUNCTIONS:
            self.notes.append(f"the function '{node.name}' defined here shadows the built-in {node.name}, as in Python")
        self.scope.pop(node.name, None)
        self.sequences.pop(node.name, None)
        self.functions[node.name] = node

    def step(self, node: ast.AST, what: str) -> None:
        """Count one loop iteration or inlined call, stopping before the program's total passes the limit."""
        self.steps += 1
        if self.steps > MAX_PROGRAM_STEPS:
            limit = MAX_PROGRAM_STEPS
            raise ExprError(f"the program runs over {limit} loop iterations and function calls (here: {what}); the limit is {limit}", _col(node))

    def user_function(self, name: str, node: ast.Call, depth: int, several: bool = False) -> Any:
        """A call of a function of the program, inlined: its result's node (``several``: the list of its result's tensors)."""
        definition = self.functions.get(name)
        if definition is None:
            return None
        self.step(node, f"a call of {name}()")
        parameters = [a.arg for a in definition.args.args]
        if len(node.args) != len(parameters) or node.keywords:
            raise ExprError(
                f"{name}() takes {len(parameters)} positional argument(s), got {len(node.args)}{' and keywords' if node.keywords else ''}", _col(node)
            )
        if len(self.inlining) >= MAX_INLINE_DEPTH:
            raise ExprError(f"functions call each other more than {MAX_INLINE_DEPTH} deep (recursion is not supported)", _col(node))
        arguments = [self.visit(arg, depth + 1) for arg in node.args]
        outer, line = self.scope, self.line
        self.scope = {**outer, **dict(zip(parameters, arguments))}  # NOTE: the body sees the program's names, as Python's globals
        self.inlining.append(name)
        try:
            body = [s for s in definition.body if not isinstance(s, ast.Expr)]
            for statement in body[:-1]:
                self.line = statement.lineno + self.line_offset if self.multiline else 0
                self.statement(statement, depth + 1, last=False)
            self.line = body[-1].lineno + self.line_offset if self.multiline else 0
            if several:
                return self.outputs(body[-1].value, depth + 1) or [self.visit(body[-1].value, depth + 1)]
            return self.visit(body[-1].value, depth + 1)
        finally:
            self.scope, self.line = outer, line
            self.inlining.pop()

    def unroll(self, node: ast.For) -> None:
        if node.orelse:
            raise ExprError("for ... else is not supported", _col(node))
        if not isinstance(node.target, ast.Name):
            raise ExprError("the loop variable must be a plain name", _col(node.target))
        if isinstance(node.iter, ast.Name) and node.iter.id in self.sequences:
            for item in list(self.sequences[node.iter.id]):
                self.step(node, "the for loop")
                self.scope[node.target.id] = item
                self.block(node.body)
            return
        for i in self.constant_iteration(node.iter):
            self.step(node, "the for loop")
            self.scope[node.target.id] = self.const(i, _col(node.target))
            self.block(node.body)

    def loop(self, node: ast.While) -> None:
        if node.orelse:
            raise ExprError("while ... else is not supported", _col(node))
        line = node.lineno + self.line_offset
        count, varies = 0, False
        while True:
            self.line = line if self.multiline else 0
            taken, depends = self.condition(node.test, 0)
            varies = varies or depends
            if not taken:
                break
            count += 1
            if count > MAX_LOOP_STEPS:
                raise ExprError(f"the while loop ran over {MAX_LOOP_STEPS} times; the limit is {MAX_LOOP_STEPS}", _col(node))
            self.step(node, "the while loop")
            self.block(node.body)
        if varies:
            self.at_values = True
            self.notes.append(f"the while loop at line {line} ran {count} time{'s' if count != 1 else ''} at these inputs")

    # --- conditions ---------------------------------------------------------------------

    def decide(self, test: ast.AST, depth: int, what: str = "conditional expression") -> bool:
        taken, depends = self.condition(test, depth)
        if depends:
            self.at_values = True
            line = self.line or 1
            branch = {"if": ("the if branch", "the else branch")}.get(what, ("the first value", "the value after else"))
            self.notes.append(f"the {what} at line {line} took {branch[0] if taken else branch[1]} at these inputs")
        return taken

    def condition(self, test: ast.AST, depth: int) -> tuple[bool, bool]:
        """The condition's truth at the inputs, and whether it depends on them."""
        if isinstance(test, ast.BoolOp):
            depends = False
            for value in test.values:
                taken, here = self.condition(value, depth + 1)
                depends = depends or here
                if taken != isinstance(test.op, ast.And):  # NOTE: short-circuits as Python does
                    return taken, depends
            return isinstance(test.op, ast.And), depends
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            taken, depends = self.condition(test.operand, depth + 1)
            return not taken, depends
        if isinstance(test, ast.Constant) and isinstance(test.value, bool):
            return test.value, False
        if isinstance(test, ast.Compare):
            nodes = [self.visit(test.left, depth + 1)] + [self.visit(c, depth + 1) for c in test.comparators]
            values = [self.value_of(i, test) for i in nodes]
            truth = all(COMPARISONS[type(op)](a, b) for op, a, b in zip(test.ops, values, values[1:]) if type(op) in COMPARISONS)
            if any(type(op) not in COMPARISONS for op in test.ops):
                raise ExprError("only <, <=, >, >=, == and != are supported in a condition", _col(test))
            return truth, any(self.depends(i) for i in nodes)
        node = self.visit(test, depth + 1)
        return bool(self.value_of(node, test) != 0), self.depends(node)

    def backward_argument(self, call: ast.Call) -> np.ndarray | None:
        """``z.backward(torch.ones(2, 2))``: the gradient handed to backward, a constant; None for ``z.backward()``."""
        if call.keywords or len(call.args) > 1:
            raise ExprError("backward() takes one argument here, the gradient of the output (retain_graph and the like are not read)", _col(call))
        if not call.args:
            return None
        index = self.visit(call.args[0], 0)
        if self.depends(index):
            raise ExprError("the gradient handed to backward() must be a constant, not computed from inputs", _col(call.args[0]))
        return np.asarray(self.array_of(index), dtype=np.float64)

    def declare(self, name: str, index: int, where: ast.AST) -> None:
        """``x = torch.tensor(..., requires_grad=True)`` (or ``x.requires_grad_()``): x becomes an input with that value."""
        if self.depends(index):
            raise ExprError(f"requires_grad on '{name}', a value computed from inputs: only a tensor made from numbers is a leaf", _col(where))
        if self.known is not None and name in self.known:
            raise ExprError(f"'{name}' is an input of the case and is also created in the program; keep one", _col(where))
        self.declared[name] = np.asarray(self.array_of(index), dtype=np.float64)
        self.known = {*(self.known or ()), name}
        self.input_values[name] = self.declared[name]
        self.scope.pop(name, None)
        self.input_index[name] = self.add("input", (), _col(where), name=name)
        self.last_assigned = self.input_index[name]

    def value_of(self, index: int, where: ast.AST) -> float:
        """The value of node ``index`` as one number, computed from the inputs' values."""
        if self.depends(index, without_value=True):
            missing = [self.nodes[i].attrs["name"] for i in _inputs_under(self.nodes, index) if self.nodes[i].attrs["name"] not in self.input_values]
            raise NeedsValues(f"the condition depends on the input '{missing[0]}', whose value is not known here", _col(where))
        value = self.computed(index, _col(where), "the condition")
        if np.size(value) != 1:
            raise ExprError(f"a condition must be one number; this one has {np.size(value)} elements (use .sum(), .mean() or .norm())", _col(where))
        return float(np.ravel(value)[0])

    def known_value(self, index: int, col: int, what: str, then: Callable[[np.ndarray], np.ndarray] = np.asarray) -> np.ndarray:
        """``then`` of node ``index``'s value, computed from the inputs' values before any engine runs (a note says so)."""
        if self.depends(index, without_value=True):
            missing = [self.nodes[i].attrs["name"] for i in _inputs_under(self.nodes, index) if self.nodes[i].attrs["name"] not in self.input_values]
            raise NeedsValues(f"{what} depends on the input '{missing[0]}', whose value is not known here", col)
        value = np.asarray(then(self.computed(index, col, what)), dtype=np.float64)
        if self.depends(index):
            self.at_values = True
            whole = np.all(np.isfinite(value)) and np.all(value == np.round(value))
            shown = np.array2string(value.astype(np.int64) if whole else value, threshold=8, separator=", ").replace("\n", "")
            note = f"{what} at line {self.line or 1}, column {col} is {shown} at these inputs"
            if note not in self.notes:  # NOTE: a composition may ask for the same value more than once
                self.notes.append(note)
        return value

    def known_shape(self, index: int, col: int, what: str) -> tuple[int, ...]:
        """The shape of node ``index``, from the inputs' values (shapes do not change from one point to another)."""
        if self.depends(index, without_value=True):
            missing = [self.nodes[i].attrs["name"] for i in _inputs_under(self.nodes, index) if self.nodes[i].attrs["name"] not in self.input_values]
            raise NeedsValues(f"{what} depends on the shape of the input '{missing[0]}', which is not known here", col)
        value = self.array_of(index)
        if value is None:
            return Program("", tuple(self.nodes[: index + 1])).shapes({name: np.shape(v) for name, v in self.input_values.items()})[index]
        return np.shape(value)

    def computed(self, index: int, col: int, what: str) -> np.ndarray:
        """array_of, where the forward pass gave a value: a decision needs one."""
        value = self.array_of(index)
        if value is None:
            raise ExprError(f"{what} has no value to decide on at these inputs ({self.unvalued})", col)
        return value

    def array_of(self, index: int) -> np.ndarray:
        """The value of node ``index``, every node up to it computed once (conditions reuse them).

        Nodes computed from an input whose value is not given have none (``None``); ``index`` must not be one.
        """
        with np.errstate(all="ignore"):
            for i in range(len(self.values), len(self.nodes)):
                node = self.nodes[i]
                if node.op == "input":
                    given = self.input_values.get(node.attrs["name"])
                    self.values.append(None if given is None else np.asarray(given, dtype=np.float64))
                elif node.op == "const":
                    self.values.append(node.attrs["value"])
                elif any(self.values[j] is None for j in node.args):
                    self.values.append(None)
                else:
                    try:
                        self.values.append(np.asarray(OPS[node.op].forward(*[self.values[j] for j in node.args], **node.attrs)))
                    except EngineSkipped as skipped:  # NOTE: no value to decide on (repeated eigenvalues); its shape is still known
                        self.values.append(None)
                        self.unvalued = self.unvalued or str(skipped)
                    except ValueError:  # NOTE: shapes are checked only here, where they fail: checking every node each time would be quadratic
                        Program("", tuple(self.nodes[: i + 1])).shapes({name: np.shape(v) for name, v in self.input_values.items()})
                        raise
        return self.values[index]

    def depends(self, index: int, without_value: bool = False) -> bool:
        """Whether node ``index`` is computed from an input (one without a value, with ``without_value``)."""
        for i in range(len(self.dependence), len(self.nodes)):  # NOTE: kept for every node once: loops ask again and again
            node = self.nodes[i]
            if node.op == "input":
                self.dependence.append((True, node.attrs["name"] not in self.input_values))
            else:
                args = [self.dependence[j] for j in node.args]
                self.dependence.append((any(a for a, _ in args), any(b for _, b in args)))
        return self.dependence[index][1 if without_value else 0]

    # --- the result -----------------------------------------------------------------------

    def finish(self, text: str, output: int) -> Program:
        """The nodes the output needs, in order, the output last; and each variable's final node among them."""
        needed = _needed(self.nodes, output)
        order = [i for i in range(len(self.nodes)) if needed[i] and i != output] + [output]
        renumber = {old: new for new, old in enumerate(order)}
        nodes = tuple(_renumbered(self.nodes[i], renumber) for i in order)
        bindings = tuple((name, renumber[i]) for name, i in self.scope.items() if i in renumber)
        declared = tuple((name, value) for name, value in self.declared.items())
        calls = tuple(call for call in (c.renumbered(renumber) for c in self.calls) if call is not None)
        return Program(text, nodes, tuple(self.notes), bindings, declared=declared, grad_output=self.grad_output, at_values=self.at_values, output=self.output,
                       calls=calls, other_library=self.other_library)  # fmt: skip


MAX_INLINE_DEPTH = 20
MAX_OUTPUTS = 64  # tensors of a program's result that is several

_AUGMENTED = {
    ast.Add: ("add", "+="), ast.Sub: ("sub", "-="), ast.Mult: ("mul", "*="), ast.Div: ("div", "/="),
    ast.Pow: ("pow", "**="), ast.MatMult: ("matmul", "@="),
}  # fmt: skip

COMPARISONS = {  # what an if or while condition compares with, in programs and tutorials alike
    ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
}  # fmt: skip


def loop_steps(node: ast.expr, constant: Callable[[ast.expr], Any]) -> list[float]:
    """What a ``for`` loop over constants runs through: range(N) (one to three integer constants) or a written list of
    numbers, ``constant`` giving each argument's value. Programs and tutorials unroll their loops through this one rule."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and not node.keywords:
        bounds = [constant(arg) for arg in node.args]
        if not 1 <= len(bounds) <= 3 or not all(type(b) is int for b in bounds):
            raise ExprError("range() takes one to three integer constants", _col(node))
        steps = range(*bounds)
    elif isinstance(node, (ast.List, ast.Tuple)):
        steps = [constant(item) for item in node.elts]
        if not all(isinstance(step, (int, float)) for step in steps):
            raise ExprError("a loop over a list runs through numbers written out here", _col(node))
    else:
        raise ExprError("only loops over range(N) or a written list of numbers are supported, with constants", _col(node))
    if len(steps) > MAX_LOOP_STEPS:
        raise ExprError(f"the for loop runs {len(steps)} times; the limit is {MAX_LOOP_STEPS}", _col(node))
    return list(steps)


def _place(node: ast.AST) -> dict[str, int]:
    return {key: getattr(node, key, 0) for key in ("lineno", "col_offset", "end_lineno", "end_col_offset")}


def _lambda_def(name: str, node: ast.Lambda) -> ast.FunctionDef:
    """``name = lambda ...: body`` as the function ``def name(...): return body``."""
    definition = ast.FunctionDef(name, node.args, [ast.Return(node.body, **_place(node))], [], None, **_place(node))
    definition.type_params = []
    return definition


def _bool_argument(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _out_of_place(call: ast.Call, name: str) -> ast.expr:
    """``y.add_(1)`` as ``y + 1``, ``y.exp_()`` as ``y.exp()``: what the in-place form computes."""
    if name in IN_PLACE_OPERATORS:
        if len(call.args) != 1 or call.keywords:
            raise ExprError(f".{name}_() takes one argument here", _col(call))
        replaced: ast.expr = ast.BinOp(call.func.value, IN_PLACE_OPERATORS[name](), call.args[0])
    else:
        replaced = ast.Call(ast.Attribute(call.func.value, name, ast.Load()), call.args, call.keywords)
        ast.copy_location(replaced.func, call.func)
    return ast.copy_location(replaced, call)


def _mask(node: ast.expr) -> bool:
    """`x < 0`: a comparison of elements, written as the index."""
    return isinstance(node, ast.Compare)


def _target_words(target: ast.AST) -> str:
    if isinstance(target, ast.Attribute):
        return f"assigning to an attribute (.{target.attr})"
    if isinstance(target, ast.Subscript):
        return "assigning to an element or slice (x[...] = ...)"
    if isinstance(target, ast.Starred):
        return "a starred assignment"
    return f"assigning to {_describe(target)}"


def _dotted_call(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call) or node.args or node.keywords:
        return None
    parts = []
    func = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    return ".".join([func.id, *reversed(parts)])


def _inputs_under(nodes: list[Node], index: int) -> list[int]:
    """The input nodes that node ``index`` is computed from."""
    seen, stack, found = set(), [index], []
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        if nodes[i].op == "input":
            found.append(i)
        stack.extend(nodes[i].args)
    return sorted(found)


def _needed(nodes: list[Node], output: int) -> list[bool]:
    needed = [False] * len(nodes)
    needed[output] = True
    for i in range(output, -1, -1):
        if needed[i]:
            for j in nodes[i].args:
                needed[j] = True
    return needed


def _renumbered(node: Node, renumber: dict[int, int]) -> Node:
    if not node.args:
        return node
    return Node(node.op, tuple(renumber[j] for j in node.args), node.attrs, node.col, node.spelling, node.ndims, node.line)


def with_probes(program: Program, names: Collection[str]) -> Program:
    """The program with ``y + probe`` in place of each named intermediate ``y``, the probe an input named ``y``.

    The gradient for the probe (an input of zeros) is the gradient with respect to the
    intermediate through its consumers only (torch's retain_grad), and every other
    gradient still flows through the intermediate: a program transformation, so every
    engine computes it the same way.
    """
    bound = dict(program.bindings)
    targets = {bound[name]: name for name in names}
    nodes: list[Node] = []
    renumber: dict[int, int] = {}
    own: dict[int, int] = {}  # each node's own new place (a call as written gives its value there, before the probe)
    for i, node in enumerate(program.nodes):
        nodes.append(_renumbered(node, renumber))
        renumber[i] = own[i] = len(nodes) - 1
        if i in targets:
            nodes.append(Node("input", (), {"name": targets[i], "probe": True}, node.col, targets[i], line=node.line))
            nodes.append(Node("add", (renumber[i], len(nodes) - 1), {}, node.col, f"retain_grad of {targets[i]}", line=node.line))
            renumber[i] = len(nodes) - 1
    bindings = tuple((name, renumber[i]) for name, i in program.bindings)
    calls = tuple(call for call in (c.renumbered(renumber, own) for c in program.calls) if call is not None)
    return Program(program.text, tuple(nodes), program.notes, bindings, declared=program.declared, grad_output=program.grad_output,
                   calls=calls, other_library=program.other_library)  # fmt: skip
