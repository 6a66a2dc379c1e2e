"""A custom derivative rule read as a claim: "this backward is the VJP of this forward", checked as gradcheck would, exactly.

torch.autograd.Function subclasses, jax.custom_vjp (``f.defvjp(fwd, bwd)``) and tf.custom_gradient each pair a
forward computation with a hand-written backward. The rule becomes a formula claim — a program that runs the
forward (to have what it saves), hands the backward a cotangent of ones, and returns the gradient for one input —
so that the case's exact derivative of the forward decides whether the hand-written backward is right.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass


class RuleError(ValueError):
    """The rule is written in a way this reader does not follow (a claim it lists, never compares)."""


@dataclass(frozen=True)
class Rule:
    """A forward paired with a hand-written backward: the formula claim of each input, and where the backward is written."""

    name: str  # MyReLU, f (custom_vjp), log1pexp (custom_gradient)
    forward: ast.FunctionDef  # the primal function, as the case's program calls it (ctx dropped)
    formulas: tuple[str | None, ...]  # per input of forward: the rule's gradient for it, as a program of the inputs (None: no rule)
    line: int  # the backward's line in the file
    what: str = "backward"  # "jvp" for a forward-mode rule: J times a tangent of ones, the gradient where J is diagonal


def _body(function: ast.FunctionDef) -> list[ast.stmt]:
    return [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]


def _split_return(function: ast.FunctionDef) -> tuple[list[ast.stmt], ast.expr]:
    body = _body(function)
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        raise RuleError(f"{function.name} does not end with a return")
    if any(isinstance(s, ast.Return) for s in _walk_own(body[:-1])):
        raise RuleError(f"{function.name} returns before its end")
    return body[:-1], body[-1].value


def _walk_own(statements: list[ast.stmt]) -> list[ast.AST]:
    """The nodes of the statements, not those of functions defined inside them (their returns are their own)."""
    found, pending = [], list(statements)
    while pending:
        node = pending.pop()
        found.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))
    return found


def _parts(value: ast.expr, count: int, what: str) -> list[ast.expr]:
    if count == 1 and not isinstance(value, ast.Tuple):
        return [value]
    if not isinstance(value, ast.Tuple) or len(value.elts) != count:
        raise RuleError(f"{what} returns {ast.unparse(value)[:40]}, not one gradient per input")
    return list(value.elts)


def _program(statements: list[ast.stmt], result: ast.expr) -> str:
    return "\n".join([*(ast.unparse(s) for s in statements), ast.unparse(result)]) + "\n"


def _assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign([ast.Name(name, ast.Store())], value, lineno=0)


def _ones_like(value: ast.expr) -> ast.expr:
    """A cotangent of ones shaped as ``value``, written without asking for its shape (the claim is compiled before values are known)."""
    return ast.BinOp(ast.BinOp(ast.Constant(0.0), ast.Mult(), value), ast.Add(), ast.Constant(1.0))


class _Renamed(ast.NodeTransformer):
    """Every use of one name under another."""

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(self.new, node.ctx) if node.id == self.old else node


class _Context(ast.NodeTransformer):
    """``ctx.save_for_backward(a, b)`` and ``ctx.k = v`` in forward, ``ctx.saved_tensors`` and ``ctx.k`` in backward."""

    def __init__(self, ctx: str):
        self.ctx = ctx
        self.saved: list[ast.expr] = []

    def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
        call = node.value
        on_ctx = isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and ast.unparse(call.func.value) == self.ctx
        if on_ctx and call.func.attr in ("save_for_backward", "mark_non_differentiable", "set_materialize_grads"):
            if call.func.attr == "save_for_backward":
                self.saved = list(call.args)
            return None
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == self.ctx:
            if node.attr in ("saved_tensors", "saved_variables") and isinstance(node.ctx, ast.Load):
                return ast.Tuple([copy.deepcopy(s) for s in self.saved], ast.Load())
            if node.attr == "needs_input_grad":
                raise RuleError("the backward asks ctx.needs_input_grad")
            return ast.Name(f"ctx_{node.attr}", node.ctx)  # NOTE: what forward keeps on ctx, as a variable of the claim's program
        return self.generic_visit(node)


def torch_function(node: ast.ClassDef) -> Rule:
    """``class F(torch.autograd.Function)`` with static ``forward(ctx, ...)`` and ``backward(ctx, grad, ...)``."""
    methods = {item.name: item for item in node.body if isinstance(item, ast.FunctionDef)}
    if "forward" not in methods or "backward" not in methods:
        raise RuleError(f"{node.name} has no forward and backward")
    forward, backward = methods["forward"], methods["backward"]
    if len(forward.args.args) < 2 or len(backward.args.args) != 2 or forward.args.vararg or backward.args.vararg:
        raise RuleError(f"{node.name}: forward(ctx, inputs...) and backward(ctx, grad_output) with one output are read")
    ctx = forward.args.args[0].arg
    context = _Context(ctx)
    forward_body = [context.visit(copy.deepcopy(s)) for s in _body(forward)]
    forward_body = [s for s in forward_body if s is not None]
    before, output = _split_return(ast.FunctionDef(forward.name, forward.args, forward_body, [], None, lineno=forward.lineno))
    primal = ast.FunctionDef(node.name, ast.arguments([], forward.args.args[1:], None, [], [], None, []), [*before, ast.Return(output)], [], None,
                             lineno=forward.lineno)  # fmt: skip
    primal.type_params = []
    backward_context = _Context(backward.args.args[0].arg)
    backward_context.saved = context.saved
    inputs = [a.arg for a in forward.args.args[1:]]
    incoming = backward.args.args[1].arg
    forward_names = {n.id for s in forward_body for n in ast.walk(s) if isinstance(n, ast.Name)} | set(inputs)
    renamed = f"{incoming}_incoming" if incoming in forward_names else incoming  # NOTE: backward(ctx, g) beside forward(ctx, g, x)
    backward_body = [backward_context.visit(_Renamed(incoming, renamed).visit(copy.deepcopy(s))) for s in _body(backward)]
    steps, returned = _split_return(ast.FunctionDef(backward.name, backward.args, [s for s in backward_body if s is not None], [], None, lineno=0))
    grads = _parts(returned, len(inputs), f"{node.name}.backward")
    seed = [_assign("forward_output", output), _assign(renamed, _ones_like(ast.Name("forward_output", ast.Load())))]
    formulas = tuple(_program([*before, *seed, *steps], grad) for grad in grads)
    return Rule(node.name, primal, formulas, backward.lineno)


def jax_custom_vjp(primal: ast.FunctionDef, fwd: ast.FunctionDef, bwd: ast.FunctionDef) -> Rule:
    """``f = jax.custom_vjp(f); f.defvjp(f_fwd, f_bwd)``: f_fwd returns (out, residuals), f_bwd(residuals, g) a gradient per input."""
    if len(bwd.args.args) != 2 or [a.arg for a in fwd.args.args] != [a.arg for a in primal.args.args]:
        raise RuleError(f"{bwd.name}(residuals, g) and {fwd.name} taking {primal.name}'s arguments are read")
    before, returned = _split_return(fwd)
    out, residuals = _parts(returned, 2, fwd.name)
    steps, grads = _split_return(bwd)
    inputs = [a.arg for a in primal.args.args]
    residual_name, cotangent = bwd.args.args[0].arg, bwd.args.args[1].arg
    seed = [_assign("forward_output", out), _assign(residual_name, residuals), _assign(cotangent, _ones_like(ast.Name("forward_output", ast.Load())))]
    plain = copy.deepcopy(primal)
    plain.decorator_list = []
    formulas = tuple(_program([plain, *before, *seed, *steps], grad) for grad in _parts(grads, len(inputs), bwd.name))
    return Rule(primal.name, plain, formulas, bwd.lineno)


def tf_custom_gradient(function: ast.FunctionDef) -> Rule:
    """``@tf.custom_gradient def f(x): ...; def grad(upstream): ...; return y, grad``."""
    before, returned = _split_return(function)
    value, gradient = _parts(returned, 2, function.name)
    inner = [s for s in before if isinstance(s, ast.FunctionDef)]
    if not isinstance(gradient, ast.Name) or [d.name for d in inner] != [gradient.id] or len(inner[0].args.args) != 1:
        raise RuleError(f"{function.name} returns (value, grad) with grad(upstream) defined inside it")
    grad = inner[0]
    statements = [s for s in before if s is not grad]
    steps, grads = _split_return(grad)
    inputs = [a.arg for a in function.args.args]
    seed = [_assign("forward_output", value), _assign(grad.args.args[0].arg, _ones_like(ast.Name("forward_output", ast.Load())))]
    primal = ast.FunctionDef(function.name, function.args, [*statements, ast.Return(value)], [], None, lineno=function.lineno)
    primal.type_params = []
    formulas = tuple(_program([*statements, *seed, *steps], g) for g in _parts(grads, len(inputs), grad.name))
    return Rule(function.name, primal, formulas, grad.lineno)


def _plain(primal: ast.FunctionDef) -> ast.FunctionDef:
    plain = copy.deepcopy(primal)
    plain.decorator_list = []
    return plain


def _tangents(inputs: list[str], along: int) -> ast.expr:
    """A tangent of ones for one input and zeros for the others (`0 * y` keeps each its input's shape)."""
    zero = [ast.BinOp(ast.Constant(0.0), ast.Mult(), ast.Name(name, ast.Load())) for name in inputs]
    return ast.Tuple([_ones_like(ast.Name(name, ast.Load())) if k == along else zero[k] for k, name in enumerate(inputs)], ast.Load())


def jax_custom_jvp(primal: ast.FunctionDef, rule: ast.FunctionDef) -> Rule:
    """``@f.defjvp def f_jvp(primals, tangents): ...; return out, tangent_out``: per input, tangent_out along it."""
    if len(rule.args.args) != 2 or rule.args.vararg:
        raise RuleError(f"{rule.name}(primals, tangents) is read")
    before, returned = _split_return(rule)
    _, tangent_out = _parts(returned, 2, rule.name)
    inputs = [a.arg for a in primal.args.args]
    primals_name, tangents_name = (a.arg for a in rule.args.args)
    packed = ast.Tuple([ast.Name(name, ast.Load()) for name in inputs], ast.Load())
    formulas = tuple(_program([_plain(primal), _assign(primals_name, packed), _assign(tangents_name, _tangents(inputs, k)), *before], tangent_out)
                     for k in range(len(inputs)))  # fmt: skip
    return Rule(primal.name, _plain(primal), formulas, rule.lineno, "jvp")


def jax_custom_jvps(primal: ast.FunctionDef, rules: list[ast.Lambda | None], line: int) -> Rule:
    """``f.defjvps(lambda t, ans, x, y: ..., None)``: one tangent rule per input; None gives that input no derivative."""
    inputs = [a.arg for a in primal.args.args]
    if len(rules) != len(inputs):
        raise RuleError(f"{primal.name}.defjvps() gives {len(rules)} rules for {len(inputs)} inputs")
    formulas: list[str | None] = []
    for k, rule in enumerate(rules):
        if rule is None:
            formulas.append(None)
            continue
        names = [a.arg for a in rule.args.args]
        if len(names) != len(inputs) + 2 or rule.args.vararg:
            raise RuleError(f"{primal.name}.defjvps(): a rule taking (tangent, answer, {', '.join(inputs)}) is read")
        call = ast.Call(ast.Name(primal.name, ast.Load()), [ast.Name(name, ast.Load()) for name in inputs], [])
        renamed = [_assign(mine, ast.Name(theirs, ast.Load())) for mine, theirs in zip(names[2:], inputs) if mine != theirs]
        seed = [_assign(names[1], call), _assign(names[0], _ones_like(ast.Name(inputs[k], ast.Load())))]
        formulas.append(_program([_plain(primal), *renamed, *seed], rule.body))
    return Rule(primal.name, _plain(primal), tuple(formulas), line, "jvp")
