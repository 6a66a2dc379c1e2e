"""The reader's calls: the tutorial's own functions and every framework's derivative requests.

A tutorial's ``def`` or ``lambda`` is never interpreted here: a call of it becomes a call in the
case's program, with the definition (its imports resolved, the globals it reads passed in as
parameters) written before it, and the program compiler inlines it as it inlines any ``def`` of a
case file. A derivative request (``grad(f)(x)``, ``tape.gradient(y, x)``, ``torch.autograd.grad``)
becomes a derivation of the quantity it asks for, at the point it is called with.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from verifygrad.cases.second_order import MAX_ORDER
from verifygrad.language.bindings import LIKE, canonical, dotted_node, spelling
from verifygrad.tutorials import autodiff, custom, handwritten, pytrees
from verifygrad.tutorials.constant import constant_array, constant_index
from verifygrad.tutorials.effects import base_name, changed_names
from verifygrad.tutorials.values import (
    COMPUTED,
    CONST,
    LEAF,
    Derivation,
    Function,
    GradOf,
    Number,
    Other,
    Pullback,
    Sequence,
    Tape,
    Tensor,
    Transform,
    Unknown,
    leaves_of,
)

# Calls a silent function's body may make: builtins that print nothing, and methods other than these printing ones.
_SILENT_BUILTINS = {"range", "len", "zip", "enumerate", "float", "int", "abs", "min", "max", "sum", "list", "tuple", "round", "sorted",
                    "isinstance", "str", "dict", "set", "map", "reversed", "iter", "next", "bool", "type"}  # fmt: skip
_PRINTING_METHODS = {"print", "display", "pprint", "write", "info", "warning", "debug", "error", "log", "format_exc", "print_exc"}
MAX_VMAP_ROWS = 64  # rows of a vmapped batch written out as calls in the case's program
_QUANTITY = {"grad": "grad", "value_and_grad": "grad", "grad_and_value": "grad", "elementwise_grad": "grad", "jacobian": "jacobian", "hessian": "hessian"}


class FunctionCalls:
    """Mixed into the code reader: what a call of a function value or of a framework's autodiff API gives."""

    names: dict[str, Any]
    aliases: dict[str, str]
    defined_in: dict[int, Any]  # id of a def's node -> the code block it was written in

    # -- the tutorial's functions ---------------------------------------------------------------

    def define(self, node: ast.FunctionDef) -> None:
        self.aliases.pop(node.name, None)
        self.defined_in[id(node)] = self.block
        pending = self.rule_pending(node.decorator_list[0]) if len(node.decorator_list) == 1 else None
        if pending is not None:  # @f.defjvp def f_jvp(primals, tangents)
            self.names[node.name] = Function(node, self.file_line(node.lineno), node.name)
            self.bind_jvp(pending, custom.jax_custom_jvp, node, node.decorator_list[0])
            return
        for decorator in node.decorator_list:
            path = self.path(decorator.func if isinstance(decorator, ast.Call) else decorator)
            if path in autodiff.CUSTOM_VJP and len(node.decorator_list) == 1:
                plain = copy.deepcopy(node)
                plain.decorator_list = []
                self.names[node.name] = Function(plain, self.file_line(node.lineno), node.name, pending=True)
                return
            if path in autodiff.CUSTOM_GRADIENT and len(node.decorator_list) == 1:
                self.bind_rule(node, "custom gradient", custom.tf_custom_gradient)
                return
            request = autodiff.TRANSFORMS.get(path or "")
            if request is None or request.kind != "jit":
                self.not_read(node.lineno, f"the function {node.name} with the decorator {ast.unparse(decorator)[:40]}")
                self.names[node.name] = Unknown(f"{node.name} has a decorator that is not read")
                return
        self.names[node.name] = self.named(Function(node, self.file_line(node.lineno)), node.name)

    def define_rule_class(self, node: ast.ClassDef) -> None:
        """``class F(torch.autograd.Function)``: F.apply(x) computes forward; backward is a claim about forward's VJP."""
        self.bind_rule(node, "autograd.Function", custom.torch_function)

    def define_layer_class(self, node: ast.ClassDef) -> None:
        """A layer class (``forward(self, x, y)`` keeping on self what ``backward(self, dout)`` reads): its backward is a claim
        about forward's VJP, checked at generated inputs; its instances and their method calls are not followed."""
        self.bind_rule(node, "layer class", custom.torch_function, layer=True)

    def bind_rule(self, node: ast.FunctionDef | ast.ClassDef, kind: str, read: Any, layer: bool = False) -> None:
        """A custom derivative rule bound to its name: its forward to call, its backward a claim; unknown if not readable."""
        try:
            rule = read(node)
        except custom.RuleError as err:
            self.not_read(node.lineno, f"the {kind} {node.name}: {err}")
            self.names[node.name] = Unknown(f"the {kind} {node.name} is not read")
            return
        self.names[node.name] = Function(rule.forward, self.file_line(node.lineno), node.name, rule=rule, layer=layer)
        if layer and isinstance(node, ast.ClassDef):
            self.layer_classes[id(rule.forward)] = node
        self.defined_in[id(rule.forward)] = self.block  # where its lines are, should it be checked without a call

    def rule_pending(self, decorator: ast.expr) -> Function | None:
        """The jax.custom_jvp function of a `@f.defjvp` decorator, or None."""
        if isinstance(decorator, ast.Attribute) and decorator.attr == "defjvp" and isinstance(decorator.value, ast.Name):
            function = self.names.get(decorator.value.id)
            return function if isinstance(function, Function) and function.pending else None
        return None

    def bind_jvp(self, function: Function, read: Any, rule: Any, node: ast.expr) -> Any:
        """A jax.custom_jvp's forward-mode rule read (``read(primal, rule)``) and bound to the function's name."""
        name = node.value.id if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) else _name_of(function)
        try:
            made = read(function.definition, rule)
        except custom.RuleError as err:
            self.names[name] = Unknown(f"the custom jvp of {_name_of(function)} is not read: {err}")
            return self.unknown(node, f"the custom jvp of {_name_of(function)}: {err}")
        self.names[name] = Function(function.definition, function.line, function.emitted, rule=made)
        return Other("defjvp")

    def function_method(self, function: Function, method: str, node: ast.Call) -> Any:
        """``F.apply(x)`` of an autograd.Function; ``f.defvjp(fwd, bwd)`` of a jax.custom_vjp, ``f.defjvp(rule)``/``f.defjvps(...)`` of a custom_jvp."""
        if method == "apply" and function.rule is not None:
            return self.call(function, node)
        if method == "defjvp" and function.pending and len(node.args) == 1:
            rule = self.expression(node.args[0])
            if isinstance(rule, Function):
                return self.bind_jvp(function, custom.jax_custom_jvp, rule.definition, node.func)
        if method == "defjvps" and function.pending and node.args and not node.keywords:
            rules = [None if isinstance(arg, ast.Constant) and arg.value is None else arg for arg in node.args]
            if all(rule is None or isinstance(rule, ast.Lambda) for rule in rules):
                return self.bind_jvp(function, lambda primal, given: custom.jax_custom_jvps(primal, given, node.lineno), rules, node.func)
        if method == "defvjp" and function.pending and len(node.args) == 2:
            parts = [self.expression(arg) for arg in node.args]
            if all(isinstance(part, Function) for part in parts):
                try:
                    rule = custom.jax_custom_vjp(function.definition, parts[0].definition, parts[1].definition)
                except custom.RuleError as err:
                    return self.unknown(node, f"the custom VJP of {_name_of(function)}: {err}")
                name = node.func.value.id if isinstance(node.func.value, ast.Name) else _name_of(function)
                self.names[name] = Function(function.definition, function.line, function.emitted, rule=rule)
                return Other("defvjp")
        return self.unknown(node, f"{_name_of(function)}.{method}()")

    def rule_claims(self, function: Function, output: Any, arguments: list, node: ast.AST) -> None:
        """A call of a function with a custom backward: its derivation, and the backward's gradient for each input as a formula claim."""
        rule = function.rule
        if not isinstance(output, Tensor) or not output.requires_grad:
            return
        derivation = Derivation(output, f"{rule.name}.{rule.what}()", None, self.file_line(node.lineno), self.where(node.lineno), leaves=leaves_of(output),
                                custom=True)  # fmt: skip
        parameters = [a.arg for a in rule.forward.args.args]
        given = []  # every parameter bound: a leaf by its input's name, a constant by its value
        for parameter, argument in zip(parameters, arguments):
            if isinstance(argument, Number):
                given.append(f"{parameter} = {float(argument.value)!r}\n")
            elif isinstance(argument, Tensor) and argument.kind in (LEAF, CONST):
                given.append(f"{parameter} = {argument.name if argument.kind == LEAF else argument.value}\n")
            else:
                return
        if rule.what == "jvp" and any(not _scalar(argument) for argument in arguments):
            # NOTE: J times ones is the gradient only where J is diagonal; at scalar inputs it always is
            self.not_read(getattr(node, "lineno", 1), f"the custom jvp of {rule.name} at inputs of several elements: checked at scalar inputs only")
            return
        claimed = False
        written_in = self.defined_in.get(id(function.definition)) or self.defined_in.get(id(rule.forward)) or self.block
        line, where = (written_in.file_line(rule.line - 1), written_in.where(rule.line - 1)) if written_in else (rule.line, f"line {rule.line}")
        for parameter, argument, formula in zip(parameters, arguments, rule.formulas):
            if formula is not None and isinstance(argument, Tensor) and argument.kind == LEAF:
                bound = "".join(line for line in given if line != f"{parameter} = {parameter}\n")
                program = self.rule_program(rule, formula)
                if isinstance(program, Unknown):
                    self.not_read(rule.line, f"the custom rule {rule.name}.{rule.what}: {program.reason}")
                    continue
                written = ast.unparse(canonical(ast.parse(bound + program), self.aliases)) + "\n"  # tf.exp -> np.exp, as in the case's program
                self.reading.rules.append((derivation, argument, written, line, where, f"{rule.name}.{rule.what}"))
                claimed = True
        if claimed:
            self.reading.derivations.append(derivation)

    def rule_program(self, rule: Any, formula: str) -> str | Unknown:
        """A rule's formula with the tutorial's functions it calls written before it (``cube_forward(x)``, and another rule's
        ``CubeBackward.apply(g, x)`` as a call of that rule's forward), and the numbers and constants they read bound."""
        tree = _ApplyAsCall(self.names).visit(ast.parse(formula))
        parameters = [*rule.forward.args.args, *(ast.arg(n.id) for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id.startswith("ctx_"))]
        wrapper = ast.FunctionDef("_rule", ast.arguments([], parameters, None, [], [], None, []), tree.body, [], None, lineno=rule.line)
        helpers = self.closure(Function(wrapper, rule.line, "_rule"))
        if isinstance(helpers, Unknown):
            return helpers
        functions, free = helpers
        lines = []
        for name, value in free.items():
            if isinstance(value, Number):
                lines.append(f"{name} = {float(value.value)!r}")
            elif isinstance(value, Tensor) and value.kind == CONST:
                lines.append(f"{name} = {value.value}")
            else:
                return Unknown(f"it reads {name}, which is not a constant")
        called = {used for used, _ in functions}
        lines += [_emitted(used, item.definition, [], called, self.aliases, None) for used, item in functions if item.definition is not wrapper]
        return "\n".join([*lines, ast.unparse(ast.fix_missing_locations(tree))]) + "\n"

    def named(self, function: Function, name: str) -> Function:
        """The function under the name it is bound to, numbered (f_2) where an earlier function had that name."""
        counts = self.__dict__.setdefault("_defined", {})
        counts[name] = counts.get(name, 0) + 1
        emitted = name if counts[name] == 1 else f"{name}_{counts[name]}"
        return Function(function.definition, function.line, emitted)

    def call(self, callee: Function | Transform | Tape | Pullback, node: ast.Call) -> Any:
        if isinstance(callee, Function) and callee.layer:  # NOTE: Dense(W) makes an instance; it is not the forward of W
            return self.instance(callee, node)
        if isinstance(callee, Pullback) and len(node.args) == 1 and not node.keywords:
            return self.pulled_back(callee, node.args[0], node)
        if isinstance(callee, (Tape, Pullback)) or node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            if isinstance(callee, Function):
                self.mutated_by(callee, node, followed=False)  # NOTE: not read, it may still change what it is handed
            return self.unknown(node, f"a call of {ast.unparse(node.func)[:40]} with keywords or *arguments")
        arguments = [self.expression(arg) for arg in node.args]
        if isinstance(callee, Transform):
            return self.requested(self.transformed(callee, arguments, node), node)
        made = self.call_function(callee, arguments, node)
        self.derivative_function(callee, arguments, made, node)
        if callee.rule is not None and isinstance(made, Tensor):
            leaves = any(isinstance(a, Tensor) and a.kind == LEAF for a in arguments)
            self.rule_claims(callee, made, arguments if leaves else list(made.refs[: len(arguments)]), node)  # at constants: the stand-ins
        self.mutated_by(callee, node, followed=not isinstance(made, Unknown))
        return made

    def derivative_function(self, function: Function, arguments: list, made: Any, node: ast.Call) -> None:
        """``df(3.0)`` beside ``f``: a function named as another's derivative (``df``, ``f_prime``, ``grad_f``, ``dfdx``), called
        at numbers, returns what it claims is f's gradient there; recorded so that what it prints is checked as that."""
        target = derivative_target(function.definition.name, self.names, len(arguments))
        if target is None or not all(isinstance(a, Number) or isinstance(a, Tensor) and a.kind == CONST for a in arguments):
            return
        of, argnums = target
        if _approximates(function.definition, _name_of(of)):
            self.not_read(node.lineno, f"{_name_of(function)}() approximates the derivative of {_name_of(of)}() numerically: not a claim")
            return
        returned = made.items if isinstance(made, Sequence) else (made,)
        if len(returned) != (len(argnums) if isinstance(argnums, tuple) else 1) or not all(isinstance(v, Tensor) for v in returned):
            return
        before = len(self.reading.derivations)
        grads = self.transformed(Transform("grad", of, argnums, False, "numpy"), arguments, node)
        del self.reading.derivations[before:]  # NOTE: made a case only where what the function returns is shown
        grads = grads.items if isinstance(grads, Sequence) else (grads,)
        for value, grad in zip(returned, grads):
            if isinstance(grad, GradOf):
                self.reading.hand_functions.append((value, grad, f"{_name_of(function)}() as the derivative of {_name_of(of)}()"))

    def silent(self, call: ast.expr) -> bool:
        """A call of the tutorial's own function whose body prints nothing (plots, computes): no printed value is its.
        Its body may call the libraries' functions and methods, and the tutorial's functions that are silent too."""
        pending = [call.func.id] if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) else []
        outer = self.names.get(pending[0]) if pending else None
        handed = {}  # the top function's parameters bound to the functions the call hands it (`visualize_fn(f)` calls f)
        if isinstance(outer, Function):
            given = {**dict(zip([a.arg for a in outer.definition.args.args], call.args)), **{k.arg: k.value for k in call.keywords if k.arg}}
            handed = {name: value.id for name, value in given.items() if isinstance(value, ast.Name)}
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            function = self.names.get(handed.get(name, name))
            if name in seen:
                continue
            seen.add(name)
            if not isinstance(function, Function):
                return False
            for inner in ast.walk(function.definition):
                if not isinstance(inner, ast.Call):
                    continue
                if isinstance(inner.func, ast.Attribute):
                    if inner.func.attr in _PRINTING_METHODS:
                        return False
                elif isinstance(inner.func, ast.Name) and inner.func.id not in _SILENT_BUILTINS:
                    pending.append(inner.func.id)  # NOTE: print, display and anything unknown are not silent
                elif not isinstance(inner.func, ast.Name):
                    return False
        return bool(seen)

    def mutated_by(self, function: Function, node: ast.Call, followed: bool = True) -> None:
        """A function that changes an argument or a global in place (``a[0] = 1``, ``a.add_(1)``): what the caller handed it is unknown after.

        A call the reader did not follow may also have changed what its body hands to other calls (an optimizer's
        ``apply_gradients([(g, x)])`` changes the global x); a followed body's calls are the language's, which change nothing."""
        parameters = [a.arg for a in function.definition.args.args]
        local = {n.id for n in ast.walk(function.definition) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for statement in ast.walk(ast.Module(function.definition.body, [])):  # NOTE: `a -= 1` on an array changes it in place
            if isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name) and statement.target.id in parameters:
                position = parameters.index(statement.target.id)
                handed = base_name(node.args[position]) if position < len(node.args) else None
                if handed is not None and isinstance(self.names.get(handed), Tensor):
                    self.invalidate(handed, f"line {self.file_line(node.lineno)} changed {handed} and was not read ({_name_of(function)}() "
                                            f"updates {statement.target.id} in place)")  # fmt: skip
        for name, how in changed_names(ast.Module(function.definition.body, [])):
            if followed and not (how.endswith(" assigned") or how.startswith(".")):
                continue
            if name in parameters and parameters.index(name) < len(node.args):
                handed = base_name(node.args[parameters.index(name)])
                if handed is not None:
                    self.invalidate(handed, f"line {self.file_line(node.lineno)} changed {handed} and was not read ({_name_of(function)}() {how})")
            elif name not in local:
                self.invalidate(name, f"line {self.file_line(node.lineno)} changed {name} and was not read ({_name_of(function)}() {how})")

    def call_function(self, function: Function, arguments: list, node: ast.AST, part: int | None = None, stand_ins: bool = True) -> Any:
        """``f(x)``: a tensor computed by a call in the case's program, the definition written before it."""
        definition = function.definition
        name = _name_of(function)
        parameters = [a.arg for a in definition.args.args]
        spec = definition.args
        if spec.vararg or spec.kwarg or spec.kwonlyargs or spec.defaults or spec.posonlyargs or len(arguments) != len(parameters):
            return self.unknown(node, f"a call of {name}() with other arguments than its plain parameters")
        if any(isinstance(a, (Function, Transform)) for a in arguments):
            return self.higher_order(function, arguments, node)
        if any(self.holds_scalars(a) for a in arguments):  # instances of a scalar autodiff class: read inline, as their operators are
            return self.scalar_function_call(function, arguments, node)
        for argument in arguments:
            if isinstance(argument, Unknown):
                return argument
            if not isinstance(argument, (Tensor, Number)):
                return self.unknown(node, f"{name}() of something that is not a tensor")
        if self.by_hand(function, arguments) or self.requests_derivatives(function):
            return self.inline(function, arguments, node)
        returned = _returned(definition)
        if isinstance(returned, ast.Tuple) and part is None:
            return Sequence(tuple(self.call_function(function, arguments, node, index, stand_ins) for index in range(len(returned.elts))))
        helpers = self.closure(function)
        if isinstance(helpers, Unknown):
            self.not_read(getattr(node, "lineno", 1), helpers.reason)
            return helpers
        functions, free = helpers
        if stand_ins and not any(isinstance(a, Tensor) and a.requires_grad for a in [*arguments, *free.values()]):
            arguments = [self.stand_in(argument, parameter, node) for argument, parameter in zip(arguments, parameters)]
        called = {used for used, _ in functions}
        sources = tuple(_emitted(used, item.definition, list(free), called, self.aliases, part if item is function else None)
                        for used, item in functions)  # fmt: skip
        operands, parts = _placeholders([*arguments, *free.values()])
        made = self.combine(ast.Call(ast.Name(name if part is None else f"{name}_part{part}", ast.Load()), parts, []), operands, node)
        if isinstance(made, Tensor) and made.kind != COMPUTED:
            return self.unknown(node, f"{name}() under no_grad or of constants only")
        if isinstance(made, Tensor):
            made.defs = sources
        return made

    def closure(self, function: Function) -> tuple[list[tuple[str, Function]], dict[str, Any]] | Unknown:
        """The functions a function calls (itself last) under the names it calls them by, and the tensors and numbers it reads."""
        found: list[tuple[str, Function]] = []
        free: dict[str, Any] = {}
        stack = [(_name_of(function), function)]  # NOTE: the functions it calls are written under the names it calls them by
        while stack:
            used, item = stack.pop()
            if any(item is seen for _, seen in found):
                continue
            found.insert(0, (used, item))
            local = {a.arg for a in item.definition.args.args} | {n.id for n in ast.walk(item.definition) if isinstance(n, ast.Name) and
                                                                   isinstance(n.ctx, ast.Store)}  # fmt: skip
            for node in ast.walk(item.definition):
                if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)) or node.id in local or node.id not in self.names:
                    continue
                value = self.names[node.id]
                if isinstance(value, Function):
                    stack.append((node.id, value))
                elif isinstance(value, (Tensor, Number)):
                    free[node.id] = value
                elif isinstance(value, Unknown):
                    return Unknown(f"{_name_of(item)}() reads {node.id}, which was not read: {value.reason}")
                else:
                    return Unknown(f"{_name_of(item)}() reads {node.id}, which is not a tensor")
        return found, free

    def stand_in(self, value: Any, parameter: str, node: ast.AST) -> Any:
        """A constant argument as an input of the case (its value shown for a value claim): a leaf no backward() reaches."""
        if isinstance(value, Number):
            return Tensor(LEAF, self.file_line(node.lineno), self.where(node.lineno), name=parameter, value=f"tensor({float(value.value)!r})",
                          for_number=True)  # fmt: skip
        if isinstance(value, Tensor) and value.kind in (CONST, LEAF):
            return Tensor(LEAF, self.file_line(node.lineno), self.where(node.lineno), name=parameter, value=value.value, dtype=value.dtype,
                          device=value.device, random=value.random, stands_for=value)  # fmt: skip
        return value

    def point_leaf(self, value: Any, function: Function, parameters: list[str], position: int, dtype: str, node: ast.AST, what: str) -> Any:
        """A transform's point (a constant argument) as the differentiated input of the case, in the library's number
        dtype where it is a plain number; Unknown where it is not a constant."""
        if isinstance(value, Unknown):
            return value
        if not isinstance(value, (Tensor, Number)) or (isinstance(value, Tensor) and value.kind == COMPUTED):
            return self.unknown(node, f"{what} at a value that is not a constant ({_name_of(function)}'s argument {position})")
        leaf = self.stand_in(value, parameters[position] if position < len(parameters) else "x", node)
        if isinstance(value, Number):
            leaf.dtype = dtype
        return leaf

    def by_hand(self, function: Function, arguments: list) -> bool:
        """A function of constants (numpy, or torch without autograd) that assigns a variable named as a derivative
        (``dW1 = ...``): read inline, so that its hand-written gradient is paired with the loss it computes."""
        if function.rule is not None or not all(isinstance(a, Number) or isinstance(a, Tensor) and a.kind == CONST for a in arguments):
            return False
        definition = function.definition
        local = {a.arg for a in definition.args.args} | {n.id for n in ast.walk(definition) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        return any(handwritten.named_derivative(name, dict.fromkeys(local)) is not None for name in local)

    def requests_derivatives(self, function: Function) -> bool:
        """A function whose body asks a framework for a derivative (``jvp(f, (x,), (e,))`` in a loop): read statement by
        statement here, where those requests are understood, not compiled as a program of the language."""
        requests = {*autodiff.TRANSFORMS, *autodiff.FUNCTIONAL, *autodiff.GRADIENT_CALLS}
        return function.rule is None and any(isinstance(inner, ast.Call) and self.path(inner.func) in requests
                                             for inner in ast.walk(function.definition))  # fmt: skip

    def inline(self, function: Function, arguments: list, node: ast.AST) -> Any:
        """A call read by binding the parameters and reading the body's statements here, then its return; the caller's
        names are restored after (what the body changes in place is made unknown by ``mutated_by``)."""
        return self.higher_order(function, arguments, node)

    def higher_order(self, function: Function, arguments: list, node: ast.AST) -> Any:
        """``def hessian(f): return jacfwd(jacrev(f))``, ``def vgrad(f, x): y, pull = vjp(f, x); return pull(ones(y.shape))[0]``:
        a function of functions, read by binding its parameters here and reading its statements, then its return."""
        returned = _returned(function.definition)
        body = [s for s in function.definition.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if returned is None or any(isinstance(inner, (ast.Return, ast.Global, ast.Nonlocal)) for s in body[:-1] for inner in ast.walk(s)):
            return self.unknown(node, f"{_name_of(function)}() of a function, with a return before its end")
        parameters = [a.arg for a in function.definition.args.args]
        assigned = {n.id for s in body[:-1] for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        saved = {name: self.names.get(name) for name in {*parameters, *assigned, *(s.name for s in body[:-1] if isinstance(s, ast.FunctionDef))}}
        try:
            self.names.update(zip(parameters, arguments))
            for statement in body[:-1]:  # NOTE: its own names, restored after: the caller's are not changed
                self.statement(statement, False)
            return self.expression(returned)
        finally:
            for name, value in saved.items():
                if value is None:
                    self.names.pop(name, None)
                else:
                    self.names[name] = value

    # -- function transforms: grad(f)(x) --------------------------------------------------------

    def transform(self, path: str, request: autodiff.Request, node: ast.Call) -> Any:
        if not node.args:
            return self.unknown(node, f"{path}() without a function")
        inner = self.expression(node.args[0])
        if isinstance(inner, Unknown):
            return inner
        if isinstance(inner, Other):  # grad(jnp.tanh): a library function of one argument
            inner = self.library_function(inner.what, node) or inner
        if not isinstance(inner, (Function, Transform)):
            return self.unknown(node, f"{path}() of something that is not a function the tutorial defines")
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        written = autodiff.argnums_of(request, node.args, keywords)
        try:
            argnums = request.default if written is None else ast.literal_eval(written)
        except (ValueError, SyntaxError, TypeError):
            return self.unknown(node, f"{path}(): the arguments to differentiate are not written as numbers")
        if isinstance(argnums, list):
            argnums = tuple(argnums)
        if not (type(argnums) is int or (isinstance(argnums, tuple) and argnums and all(type(a) is int for a in argnums))):
            return self.unknown(node, f"{path}(): arguments to differentiate given as {ast.unparse(written)[:30]} (weights, None) are not read")
        has_aux = any(k.arg == "has_aux" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords)
        mapped = None
        if request.kind == "vmap":
            mapped = _mapped_axes(node)
            if isinstance(mapped, str):
                return self.unknown(node, f"{path}() {mapped}")
        return Transform(request.kind, inner, argnums, has_aux, path.split(".")[0], mapped)

    def library_function(self, path: str, node: ast.AST) -> Function | None:
        """A library function handed to a transform (`grad(jnp.tanh)`), as a function of one argument calling it; None where
        the path is not a function the language spells."""
        spelt = spelling(path)
        if spelt is None or spelt in LIKE:
            return None
        name = f"{path.rpartition('.')[2]}_of_x"
        call = ast.Call(dotted_node(path), [ast.Name("x", ast.Load())], [])
        definition = ast.FunctionDef(name, ast.arguments([], [ast.arg("x")], None, [], [], None, []), [ast.Return(call)], [], None,
                                     lineno=getattr(node, "lineno", 1), col_offset=0)  # fmt: skip
        definition.type_params = []
        return Function(ast.fix_missing_locations(definition), self.file_line(getattr(node, "lineno", 1)), name)

    def transformed(self, transform: Transform, arguments: list, node: ast.AST) -> Any:
        """A transformed function called at a point: a derivation of the quantity, and what the transform returns."""
        flat = pytrees.flat_call(transform, arguments)  # grad(loss)({'W': W, 'b': b}): one input per key
        if flat is not None:
            result = self.transformed(*flat, node)
            return result if isinstance(result, Unknown) else pytrees.regrouped(result, transform, arguments)
        chain: list[Transform] = []
        inner: Any = transform
        while isinstance(inner, Transform):
            if inner.kind != "jit":
                chain.append(inner)
            inner = inner.inner
        if not chain:
            return self.call_function(inner, arguments, node)
        kinds = [t.kind for t in chain]
        if kinds[0] == "vmap":
            return self.vmapped(chain[1:], inner, arguments, node, chain[0].axes)
        if any(kind not in _QUANTITY for kind in kinds):
            return self.unknown(node, f"{'/'.join(kinds)} (vmap, vjp and jvp transforms) at this point")
        if len({repr(t.argnums) for t in chain}) > 1:  # NOTE: grad(grad(f, argnums=1))'s outer grad is with respect to x, not y
            return self.unknown(node, f"a mixed derivative ({' of '.join(kinds)} with respect to different arguments)")
        order = sum(2 if _QUANTITY[k] == "hessian" else 1 for k in kinds)
        nested = all(_QUANTITY[k] in ("grad", "jacobian", "hessian") for k in kinds) and "elementwise_grad" not in kinds
        if len(chain) == 1:
            quantity = _QUANTITY[kinds[0]]
        elif order == 2 and nested:
            quantity = "hessian"  # grad(grad(f)), jacfwd(jacrev(f)): second derivatives
        elif 3 <= order <= MAX_ORDER and nested and all(k in ("grad", "jacobian", "hessian") for k in kinds[1:]):
            quantity = "order"  # grad(grad(grad(f))): the derivative of that order, of one number of one number
        else:
            what = f"a derivative of order {order} ({' of '.join(kinds)}): beyond order {MAX_ORDER} or not nested gradients"
            self.not_read(getattr(node, "lineno", 1), what)
            return Unknown(what, tensor=True)  # NOTE: one value all the same: printed beside others, it keeps them paired
        innermost = chain[-1]
        positions = innermost.argnums if isinstance(innermost.argnums, tuple) else (innermost.argnums,)
        if not all(-len(arguments) <= p < len(arguments) for p in positions):
            return self.unknown(node, f"differentiating argument {positions} of a call with {len(arguments)} arguments")
        if quantity != "grad" and isinstance(innermost.argnums, tuple):
            return self.unknown(node, f"a {quantity} in blocks of several arguments")
        function = inner
        parameters = [a.arg for a in function.definition.args.args]
        if function.rule is not None and any(p < len(function.rule.formulas) and function.rule.formulas[p] is None for p in positions):
            missing = ", ".join(parameters[p] for p in positions if function.rule.formulas[p] is None)
            return self.unknown(node, f"the custom rule of {_name_of(function)} gives no derivative for {missing} (None)")
        dtype = autodiff.NUMBER_DTYPE.get(innermost.library, "float32")
        operands, leaves = list(arguments), []
        for position in positions:
            leaf = self.point_leaf(arguments[position], function, parameters, position, dtype, node, "a derivative")
            if isinstance(leaf, Unknown):
                return leaf
            operands[position] = leaf
            leaves.append(leaf)
        output = self.call_function(function, operands, node, part=0 if innermost.has_aux else None, stand_ins=False)
        if not isinstance(output, Tensor) or not output.requires_grad:
            return output if isinstance(output, Unknown) else self.unknown(node, f"{_name_of(function)}() does not give one tensor")
        if function.rule is not None:
            self.rule_claims(function, output, operands, node)
        grad_output = "1" if kinds[-1] == "elementwise_grad" else None
        derivation = Derivation(output, f"{kinds[0]}({_name_of(function)})", grad_output, self.file_line(node.lineno), self.where(node.lineno),
                                leaves=leaves_of(output), quantity=quantity, custom=function.rule is not None,
                                order=order if quantity == "order" else 0)  # fmt: skip
        self.reading.derivations.append(derivation)
        grads = [GradOf(leaf, (derivation,), quantity) for leaf in leaves]
        result: Any = Sequence(tuple(grads)) if isinstance(innermost.argnums, tuple) else grads[0]
        value: Any = output
        if innermost.has_aux:
            aux = self.call_function(function, arguments, node, part=1)
            value = Sequence((output, aux)) if kinds[0] in ("value_and_grad", "grad_and_value") else output
            if kinds[0] not in ("value_and_grad", "grad_and_value"):
                return Sequence((result, aux))
        if kinds[0] == "value_and_grad":
            return Sequence((value, result))
        if kinds[0] == "grad_and_value":
            return Sequence((result, value))
        return result

    def vmapped(self, rest: list[Transform], function: Function, arguments: list, node: ast.AST, axes: tuple | None = None) -> Any:
        """``vmap(f)(xs)``, ``vmap(grad(f))(xs)``, ``vmap(grad(f), in_axes=(None, 0))(w, xs)``: f (or its gradient) at each row
        of the batched arguments (the others the same at every row), stacked.

        The rows are independent: the per-row gradients with respect to a batched argument are the gradient of the sum
        of the stacked values; with respect to an argument every row shares (per-example gradients), they are the rows
        of the Jacobian of the stacked values."""
        kinds = [t.kind for t in rest]
        argnums = rest[0].argnums if rest else 0
        if kinds not in ([], ["grad"]) or any(t.has_aux for t in rest) or type(argnums) is not int:
            return self.unknown(node, "vmap of other than f or grad(f) with respect to one argument")
        axes = tuple(axes) if axes is not None else (0,) * len(arguments)
        parameters = [a.arg for a in function.definition.args.args]
        if len(axes) != len(arguments) or len(parameters) != len(arguments) or not -len(arguments) <= argnums < len(arguments) or 0 not in axes:
            return self.unknown(node, "vmap with in_axes that do not match the arguments")
        argnums %= len(arguments)
        sizes = set()
        for argument, axis in zip(arguments, axes):
            if isinstance(argument, Unknown):
                return argument
            rows = constant_array(argument.value) if isinstance(argument, Tensor) and argument.kind in (LEAF, CONST) else None
            if axis == 0 and (rows is None or rows.ndim == 0 or not 0 < rows.shape[0] <= MAX_VMAP_ROWS):
                return self.unknown(node, f"vmap over a batch that is not a constant of 1 to {MAX_VMAP_ROWS} rows")
            if axis == 0:
                sizes.add(rows.shape[0])
        if len(sizes) != 1:
            return self.unknown(node, "vmap over batches of different sizes")
        name = _name_of(function)
        names = [f"_arg{index}" for index in range(len(arguments))]  # NOTE: never the tutorial's names: one may be the function's own

        def row(i: int) -> ast.Call:
            return ast.Call(ast.Name(name, ast.Load()), [ast.Subscript(ast.Name(n, ast.Load()), ast.Constant(i), ast.Load()) if axis == 0
                                                         else ast.Name(n, ast.Load()) for n, axis in zip(names, axes)], [])  # fmt: skip

        stacked = ast.Call(dotted_node("numpy.stack"), [ast.List([row(i) for i in range(sizes.pop())], ast.Load())], [])
        definition = ast.FunctionDef(f"{name}_rows", ast.arguments([], [ast.arg(n) for n in names], None, [], [], None, []), [ast.Return(stacked)],
                                     [], None, lineno=getattr(node, "lineno", 1), col_offset=0)  # fmt: skip
        definition.type_params = []
        batched = Function(ast.fix_missing_locations(definition), function.line, f"{name}_rows")
        hidden = self.names.get(name)
        self.names[name] = function  # NOTE: the rows' function calls it by this name; the closure finds it here
        try:
            if not rest:
                return self.call_function(batched, arguments, node)
            leaf = self.stand_in(arguments[argnums], parameters[argnums], node)
            operands = [leaf if index == argnums else argument for index, argument in enumerate(arguments)]
            output = self.call_function(batched, operands, node, stand_ins=False)
        finally:
            if hidden is None:
                self.names.pop(name, None)
            else:
                self.names[name] = hidden
        if not isinstance(output, Tensor) or not output.requires_grad:
            return output if isinstance(output, Unknown) else self.unknown(node, f"{name}() does not give one tensor")
        shared = axes[argnums] is None
        derivation = Derivation(output, f"vmap(grad({name}))", None if shared else "1", self.file_line(node.lineno), self.where(node.lineno),
                                leaves=leaves_of(output), quantity="jacobian" if shared else "grad")  # fmt: skip
        self.reading.derivations.append(derivation)
        return GradOf(leaf, (derivation,), derivation.quantity)

    def directional(self, arguments: list, node: ast.AST) -> Any:
        """``jnp.vdot(grad(f)(x), u)`` (or ``dot``, either order): a gradient used in arithmetic, read as what it computes, the
        derivative of f along the constant u: the case's ``jvp:`` row along u (zero along f's other inputs)."""
        grad, vector = arguments if isinstance(arguments[0], GradOf) else arguments[::-1]
        (derivation,) = grad.contributions if len(grad.contributions) == 1 else (None,)
        if derivation is None or grad.quantity != "grad" or derivation.grad_output is not None or derivation.jvp:
            return self.unknown(node, "the product of a gradient that is not of one number's derivation")
        if not (isinstance(vector, Tensor) and vector.kind == CONST) or isinstance(vector, GradOf):
            return self.unknown(node, "the product of a gradient with something that is not a constant")
        values, point = constant_array(vector.value), constant_array(grad.leaf.value)
        if values is None or point is None or values.shape != point.shape:
            return self.unknown(node, "the product of a gradient with a constant of another shape")
        along = Derivation(derivation.output, f"{derivation.output_name} along a direction", None, self.file_line(node.lineno), self.where(node.lineno),
                           leaves=derivation.leaves, quantity="jvp", jvp={id(grad.leaf): vector.value})  # fmt: skip
        self.reading.derivations.append(along)
        return GradOf(grad.leaf, (along,), "jvp")

    # -- a Jacobian put together from JVPs or VJPs ------------------------------------------------

    def assemble(self, target: ast.Subscript, piece: GradOf, node: ast.stmt) -> bool:
        """``J[:, j] = jvp(f, (x,), (e_j,))[1]`` or ``J[i] = vjp(f, x)[1](e_i)[0]`` into an array of zeros: a Jacobian put
        together column by column (JVPs along unit tangents) or row by row (VJPs along unit cotangents). Until every column
        or row is in, the array is unknown (never compared as the zeros it began as); then it is the Jacobian of f at x.
        False where it is not that (the statement is then listed as not read)."""
        name = target.value.id if isinstance(target.value, ast.Name) else None
        (derivation,) = piece.contributions if len(piece.contributions) == 1 else (None,)
        point = constant_array(piece.leaf.value) if piece.leaf.kind == LEAF else None
        output = handwritten.known_value(derivation.output) if derivation is not None else None
        if name is None or point is None or output is None or point.ndim != 1 or output.ndim != 1:
            return False
        if piece.quantity == "jvp":
            direction, along = constant_array(derivation.jvp.get(id(piece.leaf), "")), "column"
        elif piece.quantity == "grad" and derivation.grad_output is not None:
            direction, along = constant_array(derivation.grad_output), "row"
        else:
            return False
        k, (m, n) = _unit_index(direction), (output.size, point.size)
        if k is None:
            return False
        index = constant_index(target.slice)
        if index not in (((slice(None), k),) if along == "column" else (k, (k, slice(None)))):
            return False
        states = self.__dict__.setdefault("_assembling", {})
        state = states.get(name)
        current = self.names.get(name)
        if state is None or current is not state["unknown"]:
            zeros = constant_array(current.value) if isinstance(current, Tensor) and current.kind == CONST else None
            if zeros is None or zeros.shape != (m, n) or np.any(zeros):
                return False
            state = states[name] = {"along": along, "pieces": {}, "unknown": Unknown(f"{name} is being put together from derivatives", tensor=True)}
        first = next(iter(state["pieces"].values()), None)
        if state["along"] != along or first is not None and not (first[0].output_name == derivation.output_name and
                                                                 np.array_equal(constant_array(first[1].value), point)):  # fmt: skip
            return False
        state["pieces"][k] = (derivation, piece.leaf)
        if len(state["pieces"]) < (n if along == "column" else m):
            self.names[name] = state["unknown"]
            return True
        del states[name]
        derivation, leaf = state["pieces"][0]
        jacobian = Derivation(derivation.output, derivation.output_name, None, self.file_line(node.lineno), self.where(node.lineno),
                              leaves=leaves_of(derivation.output), quantity="jacobian")  # fmt: skip
        self.reading.derivations.append(jacobian)
        self.names[name] = GradOf(leaf, (jacobian,), "jacobian")
        return True

    def jacobian_of_rows(self, rows: Sequence, node: ast.AST) -> GradOf | None:
        """``stack([grad(f(x), x, e_i)[0] for e_i in eye(m)])``: the VJPs along each unit cotangent, in order, stacked: the
        Jacobian of f at x. None where the list is not that."""
        pieces = [item.contributions[0] if isinstance(item, GradOf) and item.quantity == "grad" and len(item.contributions) == 1 else None
                  for item in rows.items]  # fmt: skip
        if not pieces or any(piece is None or piece.grad_output is None for piece in pieces):
            return None
        first, leaf = pieces[0], rows.items[0].leaf
        output = handwritten.known_value(first.output)
        if output is None or output.ndim != 1 or len(pieces) != output.size or any(item.leaf is not leaf for item in rows.items):
            return None
        for k, piece in enumerate(pieces):
            direction = constant_array(piece.grad_output)
            if piece.output_name != first.output_name or direction is None or direction.shape != output.shape or _unit_index(direction) != k:
                return None
        jacobian = Derivation(first.output, first.output_name, None, self.file_line(node.lineno), self.where(node.lineno),
                              leaves=leaves_of(first.output), quantity="jacobian")  # fmt: skip
        self.reading.derivations.append(jacobian)
        return GradOf(leaf, (jacobian,), "jacobian")

    # -- gradients of outputs with respect to inputs ----------------------------------------------

    def gradient_of(self, target: Any, sources: Any, grad_output: ast.expr | None, node: ast.AST, label: str, quantity: str = "grad",
                    tape: Tape | None = None) -> Any:  # fmt: skip
        """tape.gradient(y, x), torch.autograd.grad(y, [x, w]), paddle.grad: gradients returned, not accumulated into .grad.

        ``tape``: a constant the tape did not watch has no gradient (None), as TensorFlow gives; nor, on a tape opened with
        ``watch_accessed_variables=False``, anything it did not watch (a variable too)."""
        items = list(sources.items) if isinstance(sources, Sequence) else [sources]
        if isinstance(target, Sequence) and len(target.items) == 1:
            target = target.items[0]
        for value in [target, *items]:
            if isinstance(value, Unknown):
                return value
        if isinstance(target, GradOf):
            if tape is not None and not any(tape is recording for recording in target.recorded_by):
                return Sequence((Other("None"),) * len(items)) if isinstance(sources, Sequence) else Other("None")  # taken outside its block
            return self.second_order(target, items, node, tape)
        if not isinstance(target, Tensor) or not target.requires_grad:
            return self.unknown(node, f"the gradient of {label}, which does not require grad")
        handed = None
        if grad_output is not None:
            given = self.like(grad_output, target)
            if isinstance(given, Number):
                handed = repr(given.value)
            elif isinstance(given, Tensor) and given.kind == CONST:
                handed = given.value
            else:
                return self.unknown(node, f"the gradient of {label}: the output gradient handed to it is not a constant")
        cut = self.intermediates(target, items, node, label)
        if isinstance(cut, Unknown):
            return cut
        target, items, inner = cut
        reached = leaves_of(target)
        if not all(isinstance(item, Tensor) and (item.kind == LEAF or tape is not None and item.kind == CONST) for item in items):
            return self.unknown(node, f"the gradient of {label} with respect to something that is not an input (an intermediate)")
        derivation = Derivation(target, label, handed, self.file_line(node.lineno), self.where(node.lineno), leaves=reached, quantity=quantity)
        self.reading.derivations.append(derivation)
        sourced = [item for item in items if any(item is leaf for leaf in reached)]
        if tape is not None and tape.explicit:
            sourced = [item for item in sourced if any(item is watched for watched in [*tape.watched, *inner])]
        on = tuple(self.recording)
        grads = tuple(GradOf(item, (derivation,), quantity, on) if any(item is s for s in sourced) else Other("None") for item in items)
        return grads[0] if not isinstance(sources, Sequence) else Sequence(grads, keys=sources.keys)  # a dict of sources: a dict of gradients

    def intermediates(self, target: Tensor, items: list, node: ast.AST, label: str) -> tuple[Tensor, list, list[Tensor]] | Unknown:
        """``tape.gradient(z, y)``, ``torch.autograd.grad(z, y)`` where y = f(x) was computed: z as a function of an input put in
        for y, at y's value (what flows into z through y: the gradient the framework gives). Returns the target rebuilt, the
        sources with each intermediate replaced by its input, and those inputs; Unknown where y's value is not known."""
        inner = [item for item in items if isinstance(item, Tensor) and item.kind == COMPUTED and item.requires_grad]
        if not inner:
            return target, items, []
        if any(other is not item and any(step is other for step in handwritten.graph(item)) for item in inner for other in inner):
            return self.unknown(node, f"the gradient of {label} with respect to intermediates computed from one another")
        replaced: dict[int, Tensor] = {}
        for item in inner:
            value = handwritten.known_value(item)  # NOTE: of unseeded draws, at their stand-ins: marked so, as they are
            if value is None or not np.all(np.isfinite(value)):
                return self.unknown(node, f"the gradient of {label} with respect to an intermediate whose value is not known")
            written = f"tensor({value.tolist()!r})" if np.ndim(value) else f"tensor({float(value)!r})"
            leaf = Tensor(LEAF, self.file_line(node.lineno), self.where(node.lineno), name=item.bound or "intermediate", value=written,
                          dtype=item.dtype, device=item.device, random="unseeded" if item.unseeded else "")  # fmt: skip
            rebuilt, _ = handwritten.as_function_of(target, item, leaf)
            if rebuilt is target:
                replaced[id(item)] = leaf  # z does not depend on it: no gradient (None), as the frameworks give
                continue
            target, replaced[id(item)] = rebuilt, leaf
        return target, [replaced.get(id(item), item) for item in items], list(replaced.values())

    def second_order(self, first: GradOf, items: list, node: ast.AST, tape: Tape | None = None) -> Any:
        """The gradient of a gradient with respect to the same one-element input: the second derivative (a Hessian of one
        element); of that, the third, and so on (nested tapes, ``torch.autograd.grad`` with ``create_graph`` again and again)."""
        (derivation,) = first.contributions if len(first.contributions) == 1 else (None,)
        leaf = first.leaf
        value = constant_array(leaf.value)
        known = derivation is not None and first.quantity in ("grad", "hessian", "order")
        if not known or len(items) != 1 or items[0] is not leaf or value is None or np.size(value) != 1:
            return self.unknown(node, "a second derivative with respect to several inputs or an input of several elements")
        order = {"grad": 1, "hessian": 2}.get(first.quantity, derivation.order) + 1
        if order > MAX_ORDER:
            return self.unknown(node, f"a derivative of order {order} (at most {MAX_ORDER} are checked)")
        quantity = "hessian" if order == 2 else "order"
        output = derivation.output
        known = handwritten.known_value(output)
        if known is not None and known.size == 1 and known.ndim:  # NOTE: `tensor([5.])`: one number in an array of one element
            summed = self.combine(ast.Call(ast.Attribute(_ref0(), "sum", ast.Load()), [], []), [output], node)
            output = summed if isinstance(summed, Tensor) else output
        higher = Derivation(output, derivation.output_name, None, self.file_line(node.lineno), self.where(node.lineno),
                            leaves=derivation.leaves, quantity=quantity, order=order if order > 2 else 0)  # fmt: skip
        self.reading.derivations.append(higher)
        return GradOf(leaf, (higher,), quantity, tuple(self.recording))

    def tape_request(self, tape: Tape, method: str, node: ast.Call) -> Any:
        return self.requested(self.tape_gradient(tape, method, node), node)

    def requested(self, result: Any, node: ast.AST) -> Any:
        """A derivative request's result; where it is unknown, its line is kept: what a comment above it says is about it alone."""
        if isinstance(result, Unknown):
            self.reading.unread_requests.append(self.file_line(getattr(node, "lineno", 1)))
        return result

    def tape_gradient(self, tape: Tape, method: str, node: ast.Call) -> Any:
        if method in ("gradient", "jacobian") and len(node.args) >= 2:
            output_gradients = next((k.value for k in node.keywords if k.arg == "output_gradients"), node.args[2] if len(node.args) > 2 else None)
            target, sources = self.expression(node.args[0]), self.expression(node.args[1])
            label = f"tape.{method}({ast.unparse(node.args[0])})"
            return self.gradient_of(target, sources, output_gradients, node, label, "grad" if method == "gradient" else "jacobian",
                                    tape=tape)  # fmt: skip
        return self.unknown(node, f"tape.{method}()")

    def like(self, node: ast.expr, output: Any) -> Any:
        """A gradient handed to backward: ``ones_like(y)``/``ones(y.shape)``/``ones(len(y))`` is 1 at every element (a scalar the case broadcasts)."""
        if isinstance(node, ast.Call):
            path = self.path(node.func) or ""
            short = path.rpartition(".")[2]
            written = ast.unparse(node.args[0]) if len(node.args) == 1 else ""
            shape_of = written.endswith((".shape", ".size()")) or written.startswith("len(")  # ones(len(y)): torch takes y's own shape only
            if short in LIKE or (short in ("ones", "zeros") and shape_of):
                if short in ("ones_like", "ones"):
                    return Number(1.0)
                if short in ("zeros_like", "zeros"):
                    return Number(0.0)
                if short == "full_like" and len(node.args) == 2:
                    return self.expression(node.args[1])
        return self.expression(node)

    # -- the frameworks' calls ------------------------------------------------------------------------

    def framework_call(self, path: str, node: ast.Call) -> Any:
        """What a call of a framework's autodiff API gives; None where the path is not one."""
        kind = autodiff.TRANSFORMS[path].kind if path in autodiff.TRANSFORMS else None
        if kind == "vjp" and len(node.args) >= 2 and not node.keywords:  # jax.vjp(f, *primals): (f(primals), pullback)
            return self.pullback(node.args[0], node.args[1:], node, path)
        if kind == "jvp" and len(node.args) == 3 and not node.keywords:  # jax.jvp(f, primals, tangents): (f(primals), J tangents)
            return self.pushforward(node.args[0], node.args[1], node.args[2], node, path)
        if path in autodiff.TRANSFORMS:
            return self.transform(path, autodiff.TRANSFORMS[path], node)
        if path in autodiff.FUNCTIONAL:
            return self.functional(path, node)
        if path in autodiff.GRADIENT_CALLS:
            arguments = {**dict(zip(("outputs", "inputs", "grad_outputs"), node.args)), **{k.arg: k.value for k in node.keywords if k.arg}}
            if "outputs" not in arguments or "inputs" not in arguments:
                return self.unknown(node, f"{path}() without outputs and inputs")
            outputs, inputs = self.expression(arguments["outputs"]), self.expression(arguments["inputs"])
            handed = arguments.get("grad_outputs")
            if isinstance(handed, (ast.List, ast.Tuple)) and len(handed.elts) == 1:
                handed = handed.elts[0]
            result = self.gradient_of(outputs, inputs, handed, node, f"{path.rpartition('.')[2]}({ast.unparse(arguments['outputs'])})")
            return self.requested(result, node) if isinstance(result, (Sequence, Unknown)) else Sequence((result,))  # torch returns a tuple
        if path in autodiff.STOP_GRADIENT and len(node.args) == 1:
            value = self.expression(node.args[0])
            return self.detached(value, node) if isinstance(value, Tensor) else value
        given = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("initial_value", "data", "default_input")), None)
        if path in autodiff.LEAF_MAKERS and given is not None:
            written = _literal(given)
            value = self.expression(given) if written is None else Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno),
                                                                                 value=f"tensor({written})")  # fmt: skip
            trainable = not any(k.arg in ("trainable", "requires_grad") and isinstance(k.value, ast.Constant) and k.value.value is False
                                for k in node.keywords)  # fmt: skip
            if isinstance(value, Number):
                value = Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno), value=f"tensor({float(value.value)!r})")
            if isinstance(value, Tensor) and value.kind == CONST and trainable:
                return self.leaf_from(value, node)
            return value if isinstance(value, (Tensor, Unknown)) else self.unknown(node, f"{path}() of something that is not a tensor")
        return None

    # -- vjp and jvp: a cotangent pulled back, a tangent pushed forward ---------------------------------

    def linearised(self, function_node: ast.expr, point_nodes: list[ast.expr], node: ast.AST, path: str) -> Any:
        """``f`` called at the point (each argument an input of the case): (output, inputs), or Unknown."""
        function = self.expression(function_node)
        if not isinstance(function, Function):
            return function if isinstance(function, Unknown) else self.unknown(node, f"{path}() of something that is not a function the tutorial defines")
        parameters = [a.arg for a in function.definition.args.args]
        dtype = autodiff.NUMBER_DTYPE.get(path.split(".")[0], "float32")
        leaves = []
        for position, point in enumerate(point_nodes):
            leaf = self.point_leaf(self.expression(point), function, parameters, position, dtype, node, f"{path}()")
            if isinstance(leaf, Unknown):
                return leaf
            leaves.append(leaf)
        output = self.call_function(function, leaves, node, stand_ins=False)
        if not isinstance(output, Tensor) or not output.requires_grad:
            return output if isinstance(output, Unknown) else self.unknown(node, f"{_name_of(function)}() does not give one tensor")
        if function.rule is not None:
            self.rule_claims(function, output, leaves, node)
        return output, leaves

    def constant_text(self, node: ast.expr, like: Tensor) -> str | None:
        """A cotangent or tangent written as a constant (`ones_like(y)` is 1 everywhere): its text; None where it is not one."""
        given = self.like(node, like)
        if isinstance(given, Number):
            return repr(float(given.value))
        return given.value if isinstance(given, Tensor) and given.kind == CONST else None

    def pullback(self, function_node: ast.expr, point_nodes: list[ast.expr], node: ast.AST, path: str) -> Any:
        at = self.linearised(function_node, point_nodes, node, path)
        if isinstance(at, Unknown):
            return at
        output, leaves = at
        return Sequence((output, Pullback(output, tuple(leaves), f"vjp({ast.unparse(function_node)[:30]})")))

    def pulled_back(self, pullback: Pullback, cotangent: ast.expr, node: ast.AST) -> Any:
        """``f_vjp(v)``: the gradient of the output along the cotangent ``v``, one per input (a tuple, as JAX and torch.func give)."""
        handed = self.constant_text(cotangent, pullback.output)
        if handed is None:
            return self.unknown(node, f"{pullback.label}: the cotangent handed to it is not a constant")
        derivation = Derivation(pullback.output, pullback.label, handed, self.file_line(node.lineno), self.where(node.lineno),
                                leaves=leaves_of(pullback.output))  # fmt: skip
        self.reading.derivations.append(derivation)
        return Sequence(tuple(GradOf(leaf, (derivation,)) for leaf in pullback.leaves))

    def pushforward(self, function_node: ast.expr, primals: ast.expr, tangents: ast.expr, node: ast.AST, path: str) -> Any:
        """``jvp(f, (x,), (v,))``: (f(x), J v), the case's `jvp:` row along the tangents."""
        if not (isinstance(primals, (ast.Tuple, ast.List)) and isinstance(tangents, (ast.Tuple, ast.List)) and len(primals.elts) == len(tangents.elts)):
            return self.unknown(node, f"{path}() with primals and tangents not written as tuples of the same length")
        return self.jvp_at(function_node, primals.elts, tangents.elts, node, path)

    def jvp_at(self, function_node: ast.expr, primals: list[ast.expr], tangents: list[ast.expr], node: ast.AST, path: str) -> Any:
        at = self.linearised(function_node, primals, node, path)
        if isinstance(at, Unknown):
            return at
        output, leaves = at
        written = {}
        for leaf, tangent in zip(leaves, tangents):
            text = self.constant_text(tangent, leaf)
            if text is None:
                return self.unknown(node, f"{path}(): a tangent that is not a constant")
            written[id(leaf)] = text
        derivation = Derivation(output, ast.unparse(function_node)[:30], None, self.file_line(node.lineno), self.where(node.lineno),
                                leaves=leaves_of(output), quantity="jvp", jvp=written)  # fmt: skip
        self.reading.derivations.append(derivation)
        return Sequence((output, GradOf(leaves[0], (derivation,), "jvp")))

    def functional(self, path: str, node: ast.Call) -> Any:
        """torch.autograd.functional.jacobian(f, x) / hessian(f, x), vjp(f, x, v) and jvp(f, x, v): the quantity at once (hvp is listed, not read)."""
        kind = autodiff.FUNCTIONAL[path]
        if kind in ("vjp", "jvp") and len(node.args) == 3 and not node.keywords:
            inputs, vectors = node.args[1], node.args[2]
            several = isinstance(inputs, (ast.Tuple, ast.List))
            points, given = (inputs.elts, vectors.elts if isinstance(vectors, (ast.Tuple, ast.List)) else [vectors]) if several else ([inputs], [vectors])
            if kind == "jvp":
                result = self.jvp_at(node.args[0], points, given, node, path)
                return result
            pulled = self.pullback(node.args[0], points, node, path)
            if isinstance(pulled, Unknown):
                return pulled
            output, pullback = pulled.items
            grads = self.pulled_back(pullback, vectors, node)
            return Sequence((output, grads if several or not isinstance(grads, Sequence) else grads.items[0]))
        if kind not in ("jacobian", "hessian") or len(node.args) != 2:
            return self.unknown(node, f"{path}() (only jacobian(f, x) and hessian(f, x) are read)")
        function, inputs = self.expression(node.args[0]), self.expression(node.args[1])
        if not isinstance(function, (Function, Transform)):
            return function if isinstance(function, Unknown) else self.unknown(node, f"{path}() of something that is not a function")
        points = list(inputs.items) if isinstance(inputs, Sequence) else [inputs]
        argnums = tuple(range(len(points))) if isinstance(inputs, Sequence) else 0
        return self.transformed(Transform(kind, function, argnums, False, "torch"), points, node)


_SUFFIXES = re.compile(r"(?<=\w)_(?:manual|manually|analytic|analytical|exact|by_hand|hand|closed_form|explicit|symbolic|true)$")
_PREFIXES = re.compile(r"^(?:symbolic|analytic|analytical|manual|explicit|exact|true|closed_form|hand|my)_(?=\w)")
# A name that says it is a derivative of another function (group 1), maybe with respect to a parameter (group 2), and what
# derivative: the gradient (one per argument) or the Jacobian. `g_f` only where a docstring or comment also says so.
_NAMED = ((r"^d_?([A-Za-z]\w*)$", "grad"), (r"^(\w+?)_?prime$", "grad"), (r"^grad(?:ient)?_(?:of_)?(\w+)$", "grad"),
          (r"^(\w+?)_grad(?:ient)?$", "grad"), (r"^(\w+?)_deriv(?:ative)?$", "grad"), (r"^deriv(?:ative)?_(?:of_)?(\w+)$", "grad"),
          (r"^jacobian_(?:of_)?(\w+)$", "jacobian"), (r"^(\w+?)_jacobian$", "jacobian"),
          (r"^(\w+?)_(?:reverse|reverse_mode|backprop|adjoints?)$", "grad"))  # fmt: skip
_PARTIAL = (r"^d(\w+?)_?d([A-Za-z]\w*)$", r"^(\w+?)_d([A-Za-z]\w*)$")  # dfdx, df_dx; function1_dx0
_SAID = re.compile(r"\b(?:gradient|derivative|jacobian|hessian|sensitivity|partials?)\b|∂|∇", re.I)
_SAID_OF = re.compile(r"\b(gradient|derivative|jacobian)\s+(?:function\s+|matrix\s+|vector\s+)?of\s+(?:the\s+)?([A-Za-z][\w-]*)", re.I)


def derivative_target(name: str, names: dict[str, Any], count: int) -> tuple[Function, int | tuple[int, ...]] | None:
    """The function ``name`` says it is the derivative of, and the arguments it differentiates: `df`, `f_prime`, `grad_f`,
    `f_grad`, `f_derivative` (every argument), `dfdx`/`df_dx` (the argument x), each maybe ending `_manual`, `_analytic`,
    `_exact`; None where no such function takes ``count``."""
    candidates = [(of_name, wrt) for of_name, wrt, quantity in _named_candidates(name) if quantity == "grad"]
    for of_name, wrt in candidates:
        of = names.get(of_name)
        if not isinstance(of, Function) or of.rule is not None or of_name == name:
            continue
        parameters = [a.arg for a in of.definition.args.args]
        if len(parameters) != count or (wrt is not None and wrt not in parameters):
            continue
        if wrt is not None:
            return of, parameters.index(wrt)
        return of, tuple(range(count)) if count > 1 else 0
    return None


def _named_candidates(name: str) -> list[tuple[str, str | None, str]]:
    """(the function, the parameter or None, "grad" or "jacobian") that a derivative's name may mean, likeliest first."""
    name = _PREFIXES.sub("", _SUFFIXES.sub("", name))  # grad_f_manual, symbolic_df1dx: grad_f, df1dx
    candidates = [(match.group(1), None, quantity) for pattern, quantity in _NAMED if (match := re.match(pattern, name))]
    candidates += [(match.group(1), match.group(2), "grad") for pattern in _PARTIAL if (match := re.match(pattern, name))]
    return candidates


@dataclass(frozen=True)
class DerivativePairing:
    """A function the page writes as another's derivative: which, with respect to which arguments, and how that was decided."""

    of: Function
    argnums: tuple[int, ...]
    quantity: str  # "grad" (one per argument) or "jacobian"
    convention: str  # "input": called with the function's inputs; "output": with its output; "either": the values decide
    how: str  # how the pairing was decided, as the report says it
    parts: tuple[tuple[int, int], ...] = ()  # (argument, part of the returned tuple) where another function's names decided them


def derivative_pairing(function: Function, names: dict[str, Any], notes: str) -> DerivativePairing | str | None:
    """The function ``function`` is written as the derivative of, from its name (`sigmoid_derivative`, `grad_f`, `df_dx`,
    `function1_dx0`, `jacobian_softmax`; `g_f` where ``notes`` says gradient) or its docstring or the comments above it
    (``notes``: "the gradient of f"); a text saying why the pairing could not be decided; None where nothing says it is one."""
    name = function.definition.name
    candidates = _named_candidates(name)
    said = _SAID.search(notes) is not None
    if said and (match := re.match(r"^g_(\w+)$", name)):
        candidates.append((match.group(1), None, "grad"))
    if said and (match := re.match(r"^g([A-Za-z]\w*?)_([A-Za-z]\w*)$", name)):  # gw_mse_loss: the gradient of mse_loss by w
        candidates.append((match.group(2), match.group(1), "grad"))
    how = "its name says it is a derivative of {}()"
    if not any(_page_function(names, of_name, function) for of_name, _, _ in candidates) and said:
        named = {match.group(2).replace("-", "_").lower(): match.group(1).lower() for match in _SAID_OF.finditer(notes)}
        found = [(of_name, kind) for of_name, kind in named.items() if _page_function(names, of_name, function)]
        if len(found) > 1:
            return f"its docstring or comment names several functions ({', '.join(f'{n}()' for n, _ in found)})"
        candidates = [(of_name, None, "jacobian" if kind == "jacobian" else "grad") for of_name, kind in found]
        how = "its docstring or comment says it is a derivative of {}()"
    parameters = [a.arg for a in function.definition.args.args]
    reasons = []
    for of_name, wrt, quantity in candidates:
        of = _page_function(names, of_name, function)
        if of is None:
            if wrt is not None and any(p.startswith(wrt) for p in parameters) and re.match(r"^[A-Za-z]\w*$", of_name):
                reasons.append(f"it reads as d{of_name}/d{wrt}, and the page defines no function {of_name}()")
            continue
        own = [a.arg for a in of.definition.args.args]
        if _approximates(function.definition, of_name):
            return f"it approximates the derivative of {of_name}() numerically: not a claim"
        if wrt is not None and wrt not in own:
            reasons.append(f"{of_name}() has no parameter {wrt}")
            continue
        if len(parameters) != len(own):
            reasons.append(f"it takes {len(parameters)} argument(s) where {of_name}() takes {len(own)}")
            continue
        calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == of_name
                    and [ast.unparse(a) for a in n.args] == parameters for n in ast.walk(function.definition))  # fmt: skip
        if parameters == own or calls:
            convention = "either" if len(own) == 1 and not calls else "input"
        elif len(own) == 1:
            convention = "either"  # NOTE: `sigmoid_derivative(s)` beside `sigmoid(x)`: s may be the output (s * (1 - s))
        else:
            reasons.append(f"its parameters ({', '.join(parameters)}) are not those of {of_name}() ({', '.join(own)})")
            continue
        if quantity == "jacobian" and len(own) != 1:
            reasons.append(f"a Jacobian of {of_name}() of {len(own)} arguments")
            continue
        argnums = (own.index(wrt),) if wrt is not None else tuple(range(len(own)))
        return DerivativePairing(of, argnums, quantity, convention, how.format(of_name))
    if reasons:
        return reasons[0]
    of_loss = _loss_gradient(function, names, candidates)
    if of_loss is not None:
        return of_loss
    first = notes.strip().split("\n\n")[0]  # NOTE: the docstring's summary and the comments above: what the function is
    mentioned = [n for n, v in names.items() if _page_function(names, n, function) is v and _mentions(first, n)]
    if _SAID.search(first) and mentioned:
        return f"its docstring or comment speaks of a derivative and names {', '.join(f'{n}()' for n in mentioned)}, not which derivative it is"
    return None


_GRADIENT = re.compile(r"^(?:compute_|get_|calc_|calculate_|eval_|evaluate_)?(?:grad|gradient|gradients|grads|derivative|derivatives)$")
_LOSS = re.compile(r"(?:^|_)(?:loss|cost|objective|error|mse|risk|nll|likelihood)(?:_|$|\d)|^(?:J|L|E)$", re.I)
DATA = re.compile(r"^(?:x|X|y|Y|t|T|xs|ys|data|inputs?|targets?|labels?|features|samples|batch|obs|observations)(?:_?\w*)$")
PARAMETERS = re.compile(r"^(?:w|W|b|B|theta|Theta|beta|weights?|bias(?:es)?|params|parameters|coef|coefs)\d*$")


def _loss_gradient(function: Function, names: dict[str, Any], candidates: list[tuple[str, str | None, str]]) -> DerivativePairing | str | None:
    """``gradient(w, x, y)``, ``grad_w(w, x, y)``, ``dW(W, X)`` beside a loss function of the same parameters (``loss(w, x, y)``):
    the gradient of that loss with respect to what the name says, else its parameters (``w``, ``b``, ``theta``), not its data."""
    name = _PREFIXES.sub("", _SUFFIXES.sub("", function.definition.name))
    parameters = [a.arg for a in function.definition.args.args]
    named = [wrt for wrt in [of for of, wrt, quantity in candidates if wrt is None and quantity == "grad"] if wrt in parameters]
    if not (_GRADIENT.match(name) or named) or {"f", "func", "fn", "fun", "function", "eps", "epsilon", "h", "delta"} & set(parameters):
        return None  # NOTE: gradients(func, x, eps) estimates any function's gradient: a tool, not a claim about one
    losses = [n for n, v in names.items() if _LOSS.search(n) and _page_function(names, n, function) is v
              and [a.arg for a in v.definition.args.args] == parameters]  # fmt: skip
    if not losses:
        return f"no loss function of the page takes its parameters ({', '.join(parameters)})" if _GRADIENT.match(name) else None
    if len(losses) > 1:
        return f"several loss functions take its parameters ({', '.join(f'{n}()' for n in losses)})"
    of = names[losses[0]]
    if _approximates(function.definition, losses[0]):
        return f"it approximates the derivative of {losses[0]}() numerically: not a claim"
    wrt = named[:1] or [p for p in parameters if PARAMETERS.match(p)]
    if not wrt or len(wrt) == len(parameters) or not (named or all(DATA.match(p) for p in parameters if p not in wrt)):
        return f"which of {losses[0]}()'s arguments ({', '.join(parameters)}) it differentiates is not said"
    data = [p for p in parameters if p not in wrt]
    how = f"its name says it is a gradient; {losses[0]}() is the loss of the same arguments, {', '.join(wrt)} its parameters, {', '.join(data)} its data"
    if named:
        how = f"its name says it is the gradient with respect to {named[0]}, of the loss {losses[0]}() of the same parameters"
    return DerivativePairing(of, tuple(parameters.index(p) for p in wrt), "grad", "input", how)


def _mentions(text: str, name: str) -> bool:
    """Whether a text names a function: called (`f(x)`), or a name no English word is (`cross_entropy`, `cross-entropy`, `f1`)."""
    if re.search(rf"\b{re.escape(name)}\s*\(", text):
        return True
    return bool(re.search(r"[_\d]", name)) and re.search(rf"\b{re.escape(name).replace('_', '[-_ ]')}\b", text, re.I) is not None


def _page_function(names: dict[str, Any], name: str, besides: Function) -> Function | None:
    of = names.get(name)
    if not isinstance(of, Function) or of.rule is not None or of.layer or of.pending or of.definition is besides.definition:
        return None
    return of


def _ref0() -> ast.Name:
    return ast.Name("_ref0", ast.Load())


def _mapped_axes(node: ast.Call) -> tuple[int | None, ...] | None | str:
    """A vmap's ``in_axes``/``in_dims`` as a tuple of 0 and None (None: every argument's first axis); a text saying why not."""
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    if len(node.args) > 1 or any(ast.unparse(keywords[k]) != "0" for k in ("out_axes", "out_dims") if k in keywords):
        return "with axes given by position, or outputs stacked along another axis than the first"
    written = keywords.get("in_axes", keywords.get("in_dims"))
    if written is None or ast.unparse(written) == "0":
        return None
    try:
        axes = ast.literal_eval(written)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return "with in_axes that are not written out"
    if not (isinstance(axes, (tuple, list)) and all(axis is None or type(axis) is int and axis == 0 for axis in axes)):
        return "over other axes than the first"
    return tuple(axes)


def _literal(node: ast.expr) -> str | None:
    """A number or nested list of numbers written out, as text; None for anything else."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    return ast.unparse(node) if numeric or (isinstance(value, list) and constant_array(f"tensor({ast.unparse(node)})") is not None) else None


def _scalar(value: Any) -> bool:
    """A Python number or a tensor of one element."""
    if isinstance(value, Number):
        return True
    array = constant_array(value.value) if isinstance(value, Tensor) and value.kind in (LEAF, CONST) else None
    return array is not None and array.size == 1


def _approximates(definition: ast.AST, primal: str) -> bool:
    """Whether a derivative function computes numerically (f handed to a helper, f at shifted points, a small step):
    `gradients(f, [x, y])[0]`, `(f(x + h) - f(x)) / h`; `sigmoid(x) * (1 - sigmoid(x))` is not."""
    called = {id(node.func) for node in ast.walk(definition) if isinstance(node, ast.Call)}
    for node in ast.walk(definition):
        if isinstance(node, ast.Name) and node.id == primal and id(node) not in called:
            return True  # the function itself handed on
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == primal and not all(isinstance(a, ast.Name) for a in node.args):
            return True
        if isinstance(node, ast.Constant) and type(node.value) is float and 0 < abs(node.value) <= 1e-3:
            return True
    return False


def _name_of(function: Function) -> str:
    return function.emitted or function.definition.name


def _returned(definition: ast.FunctionDef) -> ast.expr | None:
    body = [s for s in definition.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return body[-1].value if body and isinstance(body[-1], ast.Return) else None


def _emitted(used: str, definition: ast.FunctionDef, free: list[str], called: set[str], aliases: dict[str, str], part: int | None) -> str:
    """The definition as the case's program writes it: named as called, the globals it reads as parameters, its imports resolved."""
    written = copy.deepcopy(definition)
    written.name = used if part is None else f"{used}_part{part}"
    written.decorator_list = []
    written.returns = None
    for argument in written.args.args:
        argument.annotation = None
    written.args.args = [*written.args.args, *(ast.arg(name) for name in free)]
    if part is not None:
        returned = written.body[-1]
        if isinstance(returned, ast.Return) and isinstance(returned.value, ast.Tuple):
            returned.value = returned.value.elts[part]
    written = canonical(written, {name: path for name, path in aliases.items() if name not in free})
    return ast.unparse(ast.fix_missing_locations(_PassFree(free, called).visit(written)))


class _ApplyAsCall(ast.NodeTransformer):
    """``Other.apply(a, b)`` inside a rule, where ``Other`` is an autograd.Function the tutorial defines: a call of its forward."""

    def __init__(self, names: dict[str, Any]):
        self.names = names

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "apply" and isinstance(func.value, ast.Name):
            named = self.names.get(func.value.id)
            if isinstance(named, Function) and named.rule is not None:
                node.func = ast.Name(func.value.id, ast.Load())
        return node


class _PassFree(ast.NodeTransformer):
    """Calls of the tutorial's functions inside a definition pass the globals on, as the definitions now take them."""

    def __init__(self, free: list[str], called: set[str]):
        self.free = free
        self.called = called

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if self.free and isinstance(node.func, ast.Name) and node.func.id in self.called:
            node.args = [*node.args, *(ast.Name(name, ast.Load()) for name in self.free)]
        return node


def _placeholders(values: list) -> tuple[list, list[ast.expr]]:
    operands, parts = [], []
    for value in values:
        if isinstance(value, Number):
            operands.append(value)
            parts.append(ast.Constant(value.value))
        else:
            parts.append(ast.Name(f"_ref{sum(isinstance(o, Tensor) for o in operands)}", ast.Load()))
            operands.append(value)
    return operands, parts


def _unit_index(direction: np.ndarray | None) -> int | None:
    """k where ``direction`` is the k-th unit vector (a cotangent or tangent picking one row or column); None otherwise."""
    if direction is None or direction.ndim != 1 or np.count_nonzero(direction) != 1 or float(direction.max(initial=0)) != 1.0:
        return None
    return int(np.argmax(direction))
