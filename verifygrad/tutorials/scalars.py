"""Scalar autodiff classes written in a tutorial, micrograd's ``Value`` among them: a class holding a number (``data``) and
its gradient (``grad``), whose operator methods build new instances and whose ``backward()`` fills every node's ``grad``.

Recognised by structure, never by name: ``__init__(self, data, ...)`` keeping its number on ``self`` and a number as
``self.grad``, and ``__add__`` or ``__mul__``. ``Value(2.0)`` is then a leaf (float64, as Python's numbers), and each
operator or method is read inline on the tensors it is handed: the number its result is built from
(``Value(self.data * other.data, ...)``) is the forward, as a function of the operands' values; a method that composes
others (``return self * other**-1``) is read through them. The class's own ``_backward`` closures are not read: a
printed ``.grad`` claims the exact derivative, so a wrong rule shows as a FAIL at the printed line.

``x.grad = ...`` assigned by hand (manual backprop) is a claim too: the number is the derivative, with respect to ``x``,
of the output a ``backward()`` was called on, or else of the one final output that depends on ``x``.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verifygrad.tutorials import handwritten
from verifygrad.tutorials.constant import constant_array
from verifygrad.tutorials.values import COMPUTED, CONST, LEAF, Derivation, GradOf, Number, Other, Sequence, Tensor, Unknown

MAX_DEPTH = 40  # methods read inside methods (`tanh` through `exp` through `__mul__`): deeper is not followed
# What a library's scalar class computes, method by method: `_ref0` is the instance, `_ref1` the other operand.
MICROGRAD_METHODS = {
    "__add__": "_ref0 + _ref1", "__radd__": "_ref1 + _ref0", "__mul__": "_ref0 * _ref1", "__rmul__": "_ref1 * _ref0",
    "__sub__": "_ref0 - _ref1", "__rsub__": "_ref1 - _ref0", "__truediv__": "_ref0 / _ref1", "__rtruediv__": "_ref1 / _ref0",
    "__pow__": "_ref0 ** _ref1", "__neg__": "-_ref0", "relu": "relu",
}  # fmt: skip
MICROGRAD_PATHS = {"micrograd.engine.Value", "micrograd.Value"}
_OPERATORS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.Pow: "pow"}
_IGNORED_ATTRIBUTES = {"label", "_op", "_backward", "_prev", "_children", "name", "op"}  # bookkeeping: no number changes


@dataclass(frozen=True, eq=False)
class ScalarClass:
    """A micrograd-style class: its name, the attribute holding the number, its methods (or a library's table)."""

    name: str
    data: str  # the attribute the number is kept in (`data`, `value`)
    methods: dict[str, ast.FunctionDef] = field(default_factory=dict)
    library: dict[str, str] = field(default_factory=dict)  # a library's class: method -> what it computes
    seeds: bool = True  # backward() sets the output's own gradient to 1 before it goes through the graph
    zero_grad: bool = True  # a new instance's gradient is 0
    block: Any = None  # the code block the class was written in (its methods' lines are that block's)

    def defines(self, method: str) -> bool:
        return method in self.library or method in self.methods

    @property
    def backward(self) -> bool:
        return bool(self.library) or "backward" in self.methods


MICROGRAD = ScalarClass("Value", "data", library=MICROGRAD_METHODS)


def scalar_class(node: ast.ClassDef, block: Any = None) -> ScalarClass | None:
    """The class as a scalar autodiff class, where its structure says it is one; None otherwise."""
    if node.bases and not all(isinstance(base, ast.Name) and base.id == "object" for base in node.bases):
        return None
    methods = {item.name: item for item in node.body if isinstance(item, ast.FunctionDef)}
    init = methods.get("__init__")
    if init is None or len(init.args.args) < 2 or not ({"__add__", "__mul__"} & set(methods)):
        return None
    number = init.args.args[1].arg
    kept = {target.attr: statement.value for statement in init.body if isinstance(statement, ast.Assign)
            for target in statement.targets if _on_self(target, init)}  # fmt: skip
    data = next((name for name, value in kept.items() if isinstance(value, ast.Name) and value.id == number), None)
    if data is None or "grad" not in kept:
        return None
    grad = kept["grad"]
    defaults = dict(zip([a.arg for a in init.args.args][-len(init.args.defaults) :], init.args.defaults)) if init.args.defaults else {}
    start = defaults.get(grad.id) if isinstance(grad, ast.Name) else grad
    zero = isinstance(start, ast.Constant) and type(start.value) in (int, float) and start.value == 0
    backward = methods.get("backward")
    seeds = backward is not None and any(
        isinstance(s, ast.Assign) and len(s.targets) == 1 and _on_self(s.targets[0], backward) and s.targets[0].attr == "grad"
        and isinstance(s.value, ast.Constant) and s.value.value == 1 for s in backward.body
    )  # fmt: skip
    return ScalarClass(node.name, data, methods, seeds=seeds, zero_grad=zero, block=block)


def _on_self(target: ast.expr, method: ast.FunctionDef) -> bool:
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == method.args.args[0].arg


class ScalarValues:
    """Mixed into the code reader: instances of scalar autodiff classes, their operators, ``.grad`` and ``backward()``."""

    names: dict[str, Any]
    reading: Any
    block: Any

    def scalar_init(self) -> None:
        self.scalars: dict[int, tuple[Tensor, ScalarClass]] = {}  # id -> (the tensor, kept alive; its class)
        self.hand_grads: dict[int, Any] = {}  # id -> the gradient set by hand since (a Number, a constant Tensor or Unknown)
        self.in_scalar_method = 0
        self.scalar_stack: list[ScalarClass] = []  # the classes whose methods are being read, innermost last

    def scalar_of(self, value: Any) -> ScalarClass | None:
        if isinstance(value, Tensor) and id(value) in self.scalars and self.scalars[id(value)][0] is value:
            return self.scalars[id(value)][1]
        return None

    def _made(self, tensor: Any, cls: ScalarClass) -> Any:
        if isinstance(tensor, Tensor):
            self.scalars[id(tensor)] = (tensor, cls)
        return tensor

    def define_scalar_class(self, node: ast.ClassDef, cls: ScalarClass) -> None:
        self.aliases.pop(node.name, None)
        self.names[node.name] = cls

    # -- instances and their operators -----------------------------------------------------------

    def scalar_new(self, cls: ScalarClass, node: ast.Call) -> Any:
        """``Value(2.0, label='a')``: a new leaf holding the number; inside the class's methods, the number's own value."""
        if not node.args or any(isinstance(arg, ast.Starred) for arg in node.args):
            return self.unknown(node, f"{cls.name}() without its number")
        number = self.expression(node.args[0])
        if self.in_scalar_method:
            return number  # `Value(self.data + other.data, (self, other), '+')`: the sum, with its gradient
        others = [self.expression(arg) for arg in node.args[1:]]  # NOTE: children given to a leaf would be reached by its backward()
        if any(k.arg == "grad" for k in node.keywords) or not all(isinstance(o, Other) or o == Sequence(()) for o in others):
            return self.unknown(node, f"{cls.name}() given its gradient or children")
        if isinstance(number, Number) and math.isfinite(number.value):  # NOTE: `Value(2)` holds a whole number: its sums stay whole
            leaf = Tensor(LEAF, self.file_line(node.lineno), self.where(node.lineno), value=repr(float(number.value)), dtype="float64")
        elif isinstance(number, Tensor) and number.kind == CONST and _one(number):
            leaf = Tensor(LEAF, self.file_line(node.lineno), self.where(node.lineno), value=number.value, dtype="float64", random=number.random)
        else:
            return number if isinstance(number, Unknown) else self.unknown(node, f"{cls.name}() of something that is not a number")
        return self._made(leaf, cls)

    def scalar_operator(self, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
        """``a * b``, ``2 * a``, ``a ** 2``: the class's ``__mul__`` (or ``__rmul__`` where the instance is on the right)."""
        name = _OPERATORS.get(type(op))
        cls = self.scalar_of(left)
        if name is not None and cls is not None:
            return self.scalar_call(cls, f"__{name}__", left, [right], node)
        cls = self.scalar_of(right)
        if name is not None and cls is not None and not isinstance(left, Tensor):
            return self.scalar_call(cls, f"__r{name}__", right, [left], node)
        return self.unknown(node, f"the operator {type(op).__name__} on instances of a scalar class")

    def scalar_call(self, cls: ScalarClass, method: str, owner: Tensor, arguments: list, node: ast.AST) -> Any:
        """One method of the class on an instance (``owner``): its forward read inline; the result an instance too."""
        if not cls.defines(method):
            return self.unknown(node, f"{cls.name}.{method}, which the class does not define")
        if self.in_scalar_method > MAX_DEPTH:
            return self.unknown(node, f"{cls.name}.{method} nested too deeply")
        if cls.library:
            made = self._library_call(cls, method, owner, arguments, node)
        else:
            made = self._method_call(cls, cls.methods[method], [owner, *arguments], node)
        return self._made(made, cls)

    def _library_call(self, cls: ScalarClass, method: str, owner: Tensor, arguments: list, node: ast.AST) -> Any:
        operands = [owner, *arguments]
        if any(isinstance(a, Unknown) for a in operands):
            return next(a for a in operands if isinstance(a, Unknown))
        if not all(isinstance(a, (Tensor, Number)) for a in operands):
            return self.unknown(node, f"{cls.name}.{method} of something that is not a number")
        if method == "relu":  # NOTE: decided at the value, as micrograd's `0 if x < 0 else x`; at 0 exactly, not followed
            known = handwritten.known_value(owner) if owner.kind == COMPUTED else constant_array(owner.value)
            if known is None or known.size != 1 or abs(float(known.reshape(()))) <= 1e-9:
                return self.unknown(node, f"{cls.name}.relu() where the reader cannot tell the sign")
            template = "_ref0" if float(known.reshape(())) > 0 else "_ref0 * 0.0"
            return self.scalar_combine(template, [owner], node)
        template = cls.library[method]
        if method == "__pow__" and not isinstance(arguments[0], Number):
            return self.unknown(node, f"{cls.name} ** something that is not a number")
        return self.scalar_combine(template, operands, node)

    def scalar_combine(self, template: str, operands: list, node: ast.AST) -> Any:
        """``template`` (its ``_ref0``, ``_ref1``... the operands in order) made a tensor: numbers written in, tensors referred to."""
        parts: dict[str, ast.expr] = {}
        tensors: list[Tensor] = []
        for position, operand in enumerate(operands):
            if isinstance(operand, Number):
                parts[f"_ref{position}"] = ast.Constant(operand.value)
            else:
                parts[f"_ref{position}"] = ast.Name(f"_ref{len(tensors)}", ast.Load())
                tensors.append(operand)
        return self.combine(_Put(parts).visit(ast.parse(template, mode="eval").body), tensors, node)

    def _method_call(self, cls: ScalarClass, method: ast.FunctionDef, arguments: list, node: ast.AST) -> Any:
        """The method's statements read with its parameters bound (its own names restored after): assignments, ifs decided
        by what the operands are, its return; nested defs (``_backward``) and bookkeeping attributes passed over."""
        parameters = [a.arg for a in method.args.args]
        defaults = method.args.defaults
        if len(arguments) > len(parameters) or len(arguments) < len(parameters) - len(defaults):
            return self.unknown(node, f"{cls.name}.{method.name}() with {len(arguments) - 1} arguments")
        given = dict(zip(parameters, arguments))
        for parameter, default in zip(parameters[len(parameters) - len(defaults) :], defaults):
            given.setdefault(parameter, self.expression(default))
        saved_names, saved_block = self.names, self.block
        self.names = {**self.names, **given}
        self.in_scalar_method += 1
        self.scalar_stack.append(cls)
        if cls.block is not None:
            self.block = cls.block
        try:
            return self._body(cls, method.body, node)
        finally:
            self.names, self.block = saved_names, saved_block
            self.in_scalar_method -= 1
            self.scalar_stack.pop()

    def _body(self, cls: ScalarClass, body: list[ast.stmt], node: ast.AST) -> Any:
        pending = list(body)
        while pending:
            statement = pending.pop(0)
            if isinstance(statement, ast.Return):
                return self.expression(statement.value) if statement.value is not None else Other("None")
            if isinstance(statement, (ast.FunctionDef, ast.Assert, ast.Pass)) or (
                isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            ):
                continue  # NOTE: the class's own backward rules (`_backward`) are not read: a claim is checked against the truth
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
                self.names[statement.targets[0].id] = self.expression(statement.value)
            elif isinstance(statement, ast.Assign) and all(isinstance(t, ast.Attribute) and t.attr in _IGNORED_ATTRIBUTES for t in statement.targets):
                continue  # `out._backward = _backward`, `out.label = ...`
            elif isinstance(statement, ast.If):
                taken = self.scalar_test(statement.test)
                if taken is None:
                    return self.unknown(statement, f"a condition in {cls.name}'s method the reader cannot decide")
                branch = statement.body if taken else statement.orelse
                if any(isinstance(inner, ast.Raise) for inner in branch):
                    return self.unknown(statement, f"{cls.name}'s method raises on these operands")
                pending[:0] = branch
            else:
                return self.unknown(statement, f"a statement in {cls.name}'s method ({type(statement).__name__})")
        return Other("None")

    def scalar_test(self, test: ast.expr) -> bool | None:
        """``isinstance(other, Value)``, ``not isinstance(other, (int, float))``, or a comparison of known numbers."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self.scalar_test(test.operand)
            return None if inner is None else not inner
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance" and len(test.args) == 2:
            value = self.expression(test.args[0])
            kinds = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
            answers = []
            for kind in kinds:
                named = self.names.get(kind.id) if isinstance(kind, ast.Name) else None
                if isinstance(named, ScalarClass):
                    answers.append(self.scalar_of(value) is named)
                elif isinstance(kind, ast.Name) and kind.id in ("int", "float") and kind.id not in self.names:
                    answers.append(isinstance(value, Number) and (kind.id == "float" or isinstance(value.value, int)))
                else:
                    return None
            return None if isinstance(value, Unknown) else any(answers)
        return self.decided(test)

    def _IfExp(self, node: ast.IfExp) -> Any:
        """``other if isinstance(other, Value) else Value(other)``, ``0 if x < 0 else x``: the branch the values take; ``'OK'
        if ... else 'WRONG!'`` a string either way."""
        taken = self.scalar_test(node.test)
        if taken is None and all(isinstance(side, ast.Constant) and isinstance(side.value, str) for side in (node.body, node.orelse)):
            return Other("a string")
        if taken is None:
            return self.unknown(node, "a conditional expression the reader cannot decide")
        return self.expression(node.body if taken else node.orelse)

    def _ListComp(self, node: ast.ListComp) -> Any:
        """``[logit.exp() for logit in logits]`` over a list the reader holds: each item read with the name bound to it."""
        (generator,) = node.generators if len(node.generators) == 1 else (None,)
        if generator is None or generator.ifs or generator.is_async or not isinstance(generator.target, ast.Name):
            return self.unknown(node, "a list comprehension")
        source = self.expression(generator.iter)
        if isinstance(source, Tensor) and source.kind == CONST:
            source = _rows(source)  # `for v in torch.eye(n)`: each row of a constant the reader knows
        if not isinstance(source, Sequence) or source.shape or source.keys:
            return source if isinstance(source, Unknown) else self.unknown(node, "a list comprehension over what is not a list")
        name = generator.target.id
        saved = self.names.get(name)
        try:
            items = []
            for item in source.items:
                self.names[name] = item
                items.append(self.expression(node.elt))
        finally:
            if saved is None:
                self.names.pop(name, None)
            else:
                self.names[name] = saved
        unknown = next((item for item in items if isinstance(item, Unknown)), None)
        if unknown is not None:
            return unknown
        if items and all(isinstance(item, Number) for item in items):
            return Sequence(tuple(items), numbers=True)
        if items and all(isinstance(item, (Tensor, Number, GradOf, Sequence)) for item in items):
            return Sequence(tuple(items))
        return self.unknown(node, "a list comprehension of what is not numbers or tensors")

    def scalar_sum(self, node: ast.Call) -> Any:
        """``sum(counts)`` of a scalar class's instances: ``0 + counts[0] + ...``, as Python adds them; None for any other sum."""
        if len(node.args) != 1 or node.keywords or "sum" in self.names:
            return None
        items = self.expression(node.args[0])
        if not isinstance(items, Sequence) or not any(self.scalar_of(item) is not None for item in items.items):
            return None
        total: Any = Number(0)
        for item in items.items:
            total = self.scalar_operator(ast.Add(), total, item, node) if isinstance(total, Number) or self.scalar_of(total) else total
            if isinstance(total, Unknown):
                return total
        return total

    def scalar_function_call(self, function: Any, arguments: list, node: ast.AST) -> Any:
        """The tutorial's own function called with a scalar class's instances (`softmax(logits)`): read inline, at its block."""
        saved = self.block
        self.block = self.defined_in.get(id(function.definition), saved) or saved
        try:
            return self.higher_order(function, arguments, node)
        finally:
            self.block = saved

    def holds_scalars(self, value: Any) -> bool:
        return self.scalar_of(value) is not None or isinstance(value, Sequence) and any(self.holds_scalars(item) for item in value.items)

    # -- attributes, gradients and backward -------------------------------------------------------

    def scalar_attribute(self, owner: Tensor, cls: ScalarClass, node: ast.Attribute) -> Any:
        """``x.data`` (inside the class's methods the number with its gradient, outside a constant), ``x.grad``."""
        if node.attr == cls.data and self.in_scalar_method:
            return self.combine(ast.Name("_ref0", ast.Load()), [owner], node)  # NOTE: a plain number: no operator of the class
        if node.attr == cls.data:
            return self.detached(owner, node)
        if node.attr == "grad":
            return self.scalar_grad(owner, cls)
        if node.attr in _IGNORED_ATTRIBUTES:
            return Other(node.attr)
        return self.unknown(node, f"the attribute .{node.attr} of {cls.name}")

    def scalar_grad(self, owner: Tensor, cls: ScalarClass) -> Any:
        held = self.hand_grads.get(id(owner))
        if held is not None:
            return held
        if owner.grad_unknown:
            return Unknown(owner.grad_unknown)
        if owner.grad:
            return GradOf(owner, tuple(owner.grad))
        return Number(0.0) if cls.zero_grad else Unknown(f"{cls.name}'s first gradient is not a number the reader knows")

    def scalar_method(self, owner: Tensor, cls: ScalarClass, node: ast.Call) -> Any:
        """``n.tanh()``, ``x.exp()``: the class's method; one it does not define, or `o._backward()`, is not followed."""
        name = node.func.attr
        if name == "backward" or name.startswith("_") and not name.startswith("__") or not cls.defines(name):
            self.changed_unread(node, f"a call of {ast.unparse(node.func)[:40]}")
            self.scalar_grads_unknown(self.file_line(node.lineno), f"{ast.unparse(node.func)[:40]}()")
            return self.unknown(node, f"{ast.unparse(node.func)[:40]}() (not a method the reader follows)")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            return self.unknown(node, f"{cls.name}.{name}() with keywords or *arguments")
        return self.scalar_call(cls, name, owner, [self.expression(arg) for arg in node.args], node)

    def scalar_grads_unknown(self, line: int, what: str) -> None:
        """Code not followed that may have set any instance's ``.grad`` (`o._backward()`)."""
        self.gradients_unknown(line, what)
        for tensor, _ in self.scalars.values():
            tensor.grad_unknown = tensor.grad_unknown or f"line {line} changed the gradients and was not read ({what})"
            self.hand_grads.pop(id(tensor), None)

    def scalar_backward(self, output: Tensor, cls: ScalarClass, owner: ast.expr, call: ast.Call) -> bool:
        """Before ``o.backward()``: whether it is followed; a class without backward, or one that does not set the output's
        gradient to 1 where it was not set so by hand, is not."""
        what = f"{ast.unparse(owner)}.backward()"
        if not cls.backward or call.args or call.keywords:
            self.not_read(call.lineno, f"{what}: {cls.name} defines no backward() the reader follows")
            self.scalar_grads_unknown(self.file_line(call.lineno), what)
            return False
        seed = self.hand_grads.get(id(output))
        if not cls.seeds and not (isinstance(seed, Number) and seed.value == 1):
            self.not_read(call.lineno, f"{what}: {cls.name}'s backward() starts from the output's gradient, not set to 1")
            self.scalar_grads_unknown(self.file_line(call.lineno), what)
            return False
        for value in self.names.values():  # NOTE: every node keeps its gradient, as micrograd's do (those with a name can be asked)
            if self.scalar_of(value) is not None and value.kind == COMPUTED:
                value.retained = True
        return True

    def scalar_after_backward(self, output: Tensor, derivation: Derivation) -> None:
        """After it: every node's gradient adds this one's (a gradient set by hand to anything but 0 makes the sum unknown)."""
        output.grad = [derivation]
        for tensor, _ in list(self.scalars.values()):
            held = self.hand_grads.pop(id(tensor), None)
            if held is None or derivation not in tensor.grad:
                continue
            if isinstance(held, Number) and held.value == 0 or tensor is output:
                tensor.grad, tensor.grad_unknown = [derivation], ""
            else:
                tensor.grad_unknown = f"line {derivation.line} added a gradient to one set by hand"

    def scalar_set_grad(self, target: ast.Attribute, value: Any, node: ast.stmt) -> bool:
        """``x.grad = w.data * out.grad`` by hand: the value held from now on, and a claim that it is the derivative of the
        output (the one ``backward()`` was called on, or the one final output depending on ``x``) with respect to ``x``."""
        owner = self.expression(target.value)
        cls = self.scalar_of(owner)
        if cls is None:
            return False
        if isinstance(value, Number) and math.isfinite(value.value):
            held = value.tensor or Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno), value=repr(float(value.value)), dtype="float64")
        elif isinstance(value, Tensor) and value.kind == CONST and _one(value):
            held = value
        else:
            self.hand_grads[id(owner)] = value if isinstance(value, Unknown) else Unknown(f"{ast.unparse(target)} set to something not a number")
            why = value.reason if isinstance(value, Unknown) else "something that is not one number the reader knows"
            self.not_read(node.lineno, f"{ast.unparse(target)} set by hand; not checked: set from {why}")
            return True
        self.hand_grads[id(owner)] = value if isinstance(value, Number) else held
        owner.grad, owner.grad_unknown = [], ""
        if not isinstance(target.value, ast.Name):
            self.not_read(node.lineno, f"{ast.unparse(target)} set by hand; not paired: not a name")
            return True
        outputs = [d.output for d in reversed(self.reading.derivations) if self.scalar_of(d.output) is not None]
        bound = {name: item for name, item in self.names.items() if isinstance(item, Tensor) and self.scalar_of(item) is not None}
        name = ast.unparse(target)
        self.reading.hand_gradients.append(
            handwritten.pair_stated(name, held, bound, target.value.id, owner, outputs, self.file_line(node.lineno), self.where(node.lineno))
        )
        return True


def _one(tensor: Tensor) -> bool:
    known = constant_array(tensor.value)
    return known is not None and known.size == 1 and bool(np.all(np.isfinite(known)))


class _Put(ast.NodeTransformer):
    def __init__(self, parts: dict[str, ast.expr]):
        self.parts = parts

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.parts.get(node.id, node)


MAX_ROWS = 64  # rows of a constant tensor a comprehension is read over


def _rows(tensor: Tensor) -> Tensor | Sequence:
    """A constant tensor iterated over (`for v in unit_vectors`): its rows, each a constant; itself where they are not known."""
    value = constant_array(tensor.value)
    if value is None or value.ndim == 0 or not 0 < value.shape[0] <= MAX_ROWS:
        return tensor
    return Sequence(tuple(Tensor(CONST, tensor.line, tensor.where, value=f"tensor({row.tolist()!r})", dtype=tensor.dtype, device=tensor.device,
                                 random=tensor.random) for row in value))  # fmt: skip
