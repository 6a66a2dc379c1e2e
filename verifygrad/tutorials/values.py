"""What the code reader knows about each value: tensors built from constants, inputs and operations, never computed here."""

from __future__ import annotations

import ast
import copy
import itertools
from dataclasses import dataclass, field

_SERIAL = itertools.count()

LEAF, CONST, COMPUTED = "leaf", "const", "computed"


@dataclass(eq=False)
class Tensor:
    """A tensor of the tutorial: an input that requires grad, a constant, or an operation on others."""

    kind: str
    line: int
    where: str
    name: str = ""  # the Python name a leaf was first bound to
    value: str = ""  # LEAF and CONST: verifygrad constant expression text, e.g. "arange(0, 4)"
    tree: ast.expr | None = None  # COMPUTED: an expression whose names `_ref0`, `_ref1`... are `refs`
    refs: tuple[Tensor, ...] = ()
    dtype: str = "float32"
    device: str = "cpu"
    random: str = ""  # "seeded" or "unseeded" where the values come from a random generator
    retained: bool = False
    grad_written: bool = False  # MXNet's attach_grad(): backward() writes .grad instead of adding to it
    grad: list = field(default_factory=list)  # leaves: the derivations accumulated into .grad since the last zero_()
    grad_unknown: str = ""  # why .grad is unknown: code not read may have run a backward() or an optimizer step
    size: int = 0  # characters of the tensor written out as an expression (bounded by --limit expr_chars)
    bound: str = ""  # COMPUTED: the Python name it was first assigned to, the name of its statement in a program
    defs: tuple[str, ...] = ()  # COMPUTED by a call of the tutorial's functions: their definitions, as the program writes them
    origin: Tensor | None = None  # CONST computed from others without gradients (numpy): the computation, for hand-written gradients
    stands_for: Tensor | None = None  # a LEAF put in for a constant a transform differentiates at (grad(f)(x)): that constant
    for_number: bool = False  # a LEAF put in for a plain number passed to the tutorial's function (no gradient of its own)
    serial: int = field(default_factory=lambda: next(_SERIAL))  # creation order: a program's statements follow it

    @property
    def requires_grad(self) -> bool:
        return self.kind == LEAF or (self.kind == COMPUTED and any(ref.requires_grad for ref in self.refs))

    @property
    def unseeded(self) -> bool:
        return self.random == "unseeded" or any(ref.unseeded for ref in self.refs)


@dataclass(frozen=True)
class Number:
    """A plain Python number; ``tensor``: the same number as a constant with how the code computed it (``q = x + y`` of
    numbers bound to names), for hand-written backprop on numbers."""

    value: float
    tensor: Tensor | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Other:
    """A value that is not a tensor (a bool, a grad_fn, a type): printing it shows no claim."""

    what: str


@dataclass(frozen=True)
class Unknown:
    """A value the reader could not follow; `reason` says why, once, where it arose."""

    reason: str
    tensor: bool = False  # known to be one tensor (printed as one value), only its value unknown: a name code not read changed


@dataclass(frozen=True)
class GradOf:
    """`x.grad` at one point of the code: the derivations accumulated into it then.

    ``quantity`` is what a framework's request gave: "grad", or "jacobian"/"hessian" (`jax.hessian(f)(x)`), or "order" (a
    derivative of third order or beyond, by nesting: `grad(grad(grad(f)))(x)`, three tapes, create_graph thrice).
    """

    leaf: Tensor
    contributions: tuple
    quantity: str = "grad"
    recorded_by: tuple = field(default=(), compare=False)  # the tapes recording when it was taken (a gradient is on them only)


@dataclass(frozen=True)
class Function:
    """A function the tutorial defines (`def`, `lambda`): compiled by the program compiler wherever it is called."""

    definition: ast.FunctionDef
    line: int
    emitted: str = ""  # the name the case's program gives it: the tutorial's, numbered where the tutorial defines it again
    rule: object = None  # a custom derivative rule (custom.Rule) whose backward is claimed to be this function's VJP
    pending: bool = False  # jax.custom_vjp before its f.defvjp(fwd, bwd)
    layer: bool = False  # a layer class written from scratch: calling it makes an instance, not its forward


@dataclass(eq=False)
class Instance:
    """An instance of a layer class written from scratch (``mul = MulLayer()``): its methods, and what they kept on ``self``."""

    name: str  # the class's name
    methods: dict[str, ast.FunctionDef]
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Transform:
    """A framework's derivative request not yet called: `jax.grad(f, argnums=1)`, `torch.func.hessian(f)`."""

    kind: str  # "grad", "value_and_grad", "grad_and_value", "jacobian", "hessian", "elementwise_grad", "vjp", "jvp", "jit"
    inner: Function | Transform
    argnums: tuple[int, ...] | int = 0
    has_aux: bool = False
    library: str = ""
    axes: tuple | None = None  # vmap: in_axes, 0 (batched) or None (the same at every row) per argument; None: all batched


@dataclass(frozen=True)
class Sequence:
    """A tuple, list or dict of values (`tape.gradient(y, [w, b])`, `value_and_grad(f)(x)`, `(xhat, gamma, eps)`, `x.shape`)."""

    items: tuple
    shape: bool = False  # a tensor's shape (`N, D = x.shape`): printed, it shows no claim
    numbers: bool = False  # a list of plain numbers (`w = [2, -3, -3]`): printed, one list
    keys: tuple[str, ...] = ()  # a dict written out with string keys (`{'x': x, 'y': y}`): each item's key, in order


@dataclass(frozen=True)
class Pullback:
    """The function `jax.vjp(f, x)` and `torch.func.vjp` return: called with a cotangent, the VJP of `f` at `x`."""

    output: Tensor
    leaves: tuple[Tensor, ...]
    label: str


@dataclass(frozen=True)
class Tape:
    """A tf.GradientTape (or a vjp function waiting for its cotangent)."""

    what: str
    explicit: bool = False  # `watch_accessed_variables=False`: only what `tape.watch(...)` names is a source
    watched: list = field(default_factory=list, compare=False)  # an explicit tape's watched tensors


def leaves_of(tensor: Tensor) -> list[Tensor]:
    """The leaves a tensor depends on, in the order first met, each once."""
    seen: dict[int, Tensor] = {}
    stack = [tensor]
    order: list[Tensor] = []
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen[id(item)] = item
        if item.kind == LEAF:
            order.append(item)
        stack.extend(reversed(item.refs))
    return order


def computed_of(outputs: list[Tensor]) -> list[Tensor]:
    """The computed tensors the outputs depend on, in the order the code made them."""
    seen: dict[int, Tensor] = {}
    stack = list(outputs)
    while stack:
        item = stack.pop()
        if item.kind == COMPUTED and id(item) not in seen:
            seen[id(item)] = item
            stack.extend(item.refs)
    return sorted(seen.values(), key=lambda tensor: tensor.serial)


def render(tensor: Tensor, names: dict[int, str] | None = None) -> ast.expr:
    """The tensor as an expression: leaves by their names, or (``names`` None) by their constant values."""
    if tensor.kind == LEAF and names is not None:
        return ast.Name(names[id(tensor)], ast.Load())
    if tensor.kind in (LEAF, CONST):
        return ast.parse(tensor.value, mode="eval").body
    tree = copy.deepcopy(tensor.tree)
    parts = {f"_ref{index}": render(ref, names) for index, ref in enumerate(tensor.refs)}
    return _Substitute(parts).visit(tree)


def text_of(tensor: Tensor, names: dict[int, str] | None = None) -> str:
    return ast.unparse(render(tensor, names))


class _Substitute(ast.NodeTransformer):
    def __init__(self, parts: dict[str, ast.expr]):
        self.parts = parts

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return copy.deepcopy(self.parts[node.id]) if node.id in self.parts else node


@dataclass(eq=False)
class Derivation:
    """One `backward()` call: the output, the gradient handed to it, and the leaves it reaches."""

    output: Tensor
    output_name: str
    grad_output: str | None  # constant expression text; None for a scalar's backward()
    line: int
    where: str
    leaves: list[Tensor] = field(default_factory=list)
    quantity: str = "grad"  # "grad" (backward, grad(f), tape.gradient), "jacobian", "hessian" or "order" (third and beyond)
    order: int = 0  # quantity "order": the derivative's order (3 for grad(grad(grad(f))))
    jvp: dict[int, str] = field(default_factory=dict)  # forward mode: leaf id -> the tangent's constant text
    custom: bool = False  # of a function with a custom derivative rule
