"""Parse expression text into a flat list of nodes, children before parents.

The text is read with Python's ``ast`` module and only an allow-list of node
types is accepted; nothing is ever evaluated.  Surface spellings
(``torch.mean``, ``x.pow(2)``, ``np.dot``, ``.T``) are mapped onto the
primitives of ``ops.OPS`` here, so the engines only ever see primitives,
``input`` leaves and ``const`` leaves.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verifygrad.language import constants, layers, spellings
from verifygrad.language.ops import OPS, Shape, ShapeError, fmt
from verifygrad.language.spellings.compose import METHOD_ONLY, NO_TENSOR
from verifygrad.language.syntax import NAMED_CONSTANTS, PREFIXES, ExprError, Function, NeedsValues, dims_in_removal_order
from verifygrad.language.syntax import bool_literal as _bool_literal
from verifygrad.language.syntax import column as _col
from verifygrad.language.syntax import dotted as _dotted
from verifygrad.language.syntax import int_literal as _int_literal
from verifygrad.language.syntax import literal as _literal
from verifygrad.language.syntax import number as _number
from verifygrad.language.syntax import reduction_attrs as _reduction_attrs
from verifygrad.process import limits

ALLOWED_AST_NODES = frozenset(
    {
        ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Attribute, ast.Constant,
        ast.keyword, ast.Load, ast.Tuple, ast.List,
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult, ast.USub, ast.UAdd,
        *spellings.AST_NODES,
    }
)  # fmt: skip


@dataclass(frozen=True)
class Node:
    op: str  # a name in ops.OPS, or "input" / "const"
    args: tuple[int, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)
    col: int = 0
    spelling: str = ""  # what the user wrote, for messages
    ndims: tuple[frozenset[int], ...] | None = None  # allowed ndim of each argument
    line: int = 0  # in a program of several lines: the statement's line (in the case file, where known)


# numpy's calls outside the reductions whose axis=None (axes=None), written out, is their default: the keyword is left out.
# NOTE: not np.concatenate's or np.sort's, where axis=None flattens and the default is 0 or -1.
AXIS_NONE_IS_DEFAULT = frozenset({"np.transpose", "np.repeat", "np.norm", "squeeze", "np.flip", "np.roll", "np.median"})
# The keywords whose value is a literal number (a dim, an order, an offset): a variable holding a number may be given.
LITERAL_KEYWORDS = frozenset({"axis", "dim", "offset", "k", "ord", "p", "n", "ddof", "correction", "diagonal", "decimals", "repeats", "reps"})
# Where a call's own library lives, by the prefix written: the engine of that library evaluates the call itself.
NAMESPACES = {
    "torch": "torch", "F": "torch.nn.functional", "torch.nn.functional": "torch.nn.functional", "torch.linalg": "torch.linalg",
    "torch.special": "torch.special", "torch.masked": "torch.masked", "torch.fft": "torch.fft", "torch.ops.aten": "torch.ops.aten",
    "np": "numpy", "numpy": "numpy", "np.linalg": "numpy.linalg", "numpy.linalg": "numpy.linalg",
}  # fmt: skip
ATEN = "torch.ops.aten"  # torch's operator namespace, as torch's own tests call an op: torch.ops.aten._safe_softmax.default
METHOD = "method"  # x.norm(1): a method of the tensor, of the program's library
# A call's argument: ("node", i) a tensor, ("nodes", (i, j)) a list of tensors, ("value", v) a literal as written,
# ("dtype", "float64") a dtype such as torch.float64.
Argument = tuple[str, Any]


@dataclass(frozen=True)
class LibraryCall:
    """A library's function called as the text writes it: the call's own arguments, for that library's engine to
    evaluate with the library's function (looked up in a fixed table by name, never eval)."""

    namespace: str  # a value of NAMESPACES, or METHOD
    name: str
    args: tuple[Argument, ...]
    keywords: tuple[tuple[str, Argument], ...]
    out: int  # the node of verifygrad's reading of the call
    part: int | None  # the element of a tuple result taken: torch.max(x, 0)[0]
    text: str  # as written, for messages (user text: print it through errors.visible)
    col: int
    line: int

    @property
    def identity(self) -> bool:
        """An identity spelling (x.clone(), x.float()): verifygrad's reading is the argument itself, no node of its own."""
        return any(argument == ("node", self.out) for argument in self.args)

    def nodes(self) -> tuple[int, ...]:
        """Every node the call reads, and its result."""
        found = [self.out]
        for kind, value in (*self.args, *(argument for _, argument in self.keywords)):
            found += [value] if kind == "node" else list(value) if kind == "nodes" else []
        return tuple(found)

    def renumbered(self, renumber: dict[int, int], own: dict[int, int] | None = None) -> LibraryCall | None:
        """The call with its nodes renumbered (its result by ``own``, where given); None where one of them is gone."""
        own = renumber if own is None else own
        if not all(i in renumber for i in self.nodes()) or self.out not in own:
            return None

        def moved(argument: Argument) -> Argument:
            kind, value = argument
            return (kind, renumber[value]) if kind == "node" else (kind, tuple(renumber[i] for i in value)) if kind == "nodes" else argument

        return dataclasses.replace(self, args=tuple(map(moved, self.args)), keywords=tuple((k, moved(a)) for k, a in self.keywords), out=own[self.out])


@dataclass(frozen=True, eq=False)  # equal and hashed by structure (``key``): the SymPy routes cache per program
class Program:
    text: str
    nodes: tuple[Node, ...]
    notes: tuple[str, ...] = ()  # how the compiler resolved what depends on values or names ("the while loop ran 9 times")
    bindings: tuple[tuple[str, int], ...] = ()  # each variable's final node, for claims about intermediates
    requires_grad: bool = False  # a constructor or Variable() in it said requires_grad=True (a tutorial's way to say wrt)
    declared: tuple[tuple[str, np.ndarray], ...] = ()  # inputs the program creates itself: x = torch.tensor(..., requires_grad=True)
    grad_output: np.ndarray | None = None  # what the program handed to backward(v), if it did
    at_values: bool = False  # an if, a loop or an index was decided by the inputs' values: another point needs compiling again
    output: str | None = None  # the variable named as the output, to compile it again
    calls: tuple[LibraryCall, ...] = ()  # the library calls as written, each with the node of verifygrad's reading
    other_library: bool = False  # a prefix of a library without an engine here (jnp., math.) is written

    @functools.cached_property
    def library(self) -> str | None:
        """The library whose methods ``x.sum()`` are: torch, unless the program calls numpy and not torch (or neither
        and another library's prefix, such as jnp., is written: None then)."""
        written = {call.namespace.split(".")[0] for call in self.calls if call.namespace != METHOD}
        if "torch" in written or (not written and not self.other_library):
            return "torch"
        return "numpy" if "numpy" in written else None

    @functools.cached_property
    def key(self) -> tuple:
        """The nodes as plain hashable data: two programs with one key compute the same thing."""
        return tuple((n.op, n.args, tuple((k, _hashable(v)) for k, v in sorted(n.attrs.items()))) for n in self.nodes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Program) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def where(self, index: int) -> str:
        """Where node ``index`` was written: "column 5", or "line 3, column 5" in a program of several lines."""
        node = self.nodes[index]
        return f"line {node.line}, column {node.col}" if node.line else f"column {node.col}"

    def scalar_dims_read(self, input_shapes: dict[str, Shape]) -> Program:
        """The program with each reduction or scan of a 0-d tensor over dim 0 or -1 read as torch reads it: over the
        tensor itself (a sum over every dim; a cumsum is the tensor). Nodes keep their places (calls point at them)."""
        nodes, shapes = list(self.nodes), []
        for i, node in enumerate(nodes):
            if node.op in ("input", "const"):
                shape = input_shapes.get(node.attrs["name"]) if node.op == "input" else node.attrs["value"].shape
                if shape is None:
                    return self  # NOTE: shapes() names the unknown input
                shapes.append(shape)
                continue
            args = [shapes[j] for j in node.args]
            if node.op in SCALAR_DIM_OPS and args and args[0] == () and node.attrs.get("dim") in (0, -1):
                attrs = {"shape": ()} if node.op in ("cumsum", "cumprod") else {**node.attrs, "dim": None, "keepdim": False}
                nodes[i] = node = dataclasses.replace(node, op="reshape" if node.op in ("cumsum", "cumprod") else node.op, attrs=attrs)
            try:
                shapes.append(OPS[node.op].shape(*args, **node.attrs))
            except ShapeError:
                return self  # NOTE: shapes() says what is wrong
        return self if tuple(nodes) == self.nodes else dataclasses.replace(self, nodes=tuple(nodes))

    def shapes(self, input_shapes: dict[str, Shape]) -> list[Shape]:
        """Shape of every node; raises ExprError naming the column on a shape error."""
        shapes: list[Shape] = []
        for node in self.nodes:
            if node.op == "input":
                name = node.attrs["name"]
                if name not in input_shapes:
                    known = ", ".join(input_shapes) or "none"
                    raise ExprError(f"unknown name '{name}'; inputs are: {known}", node.col, node.line or None)
                shapes.append(input_shapes[name])
            elif node.op == "const":
                shapes.append(node.attrs["value"].shape)
            else:
                arg_shapes = [shapes[i] for i in node.args]
                if node.ndims:
                    for allowed, shape in zip(node.ndims, arg_shapes):
                        if len(shape) not in allowed:
                            got = " and ".join(fmt(s) for s in arg_shapes)
                            want = " and ".join("/".join(f"{d}-D" for d in sorted(a)) for a in node.ndims)
                            raise ExprError(f"{node.spelling} needs {want} arguments, got {got}", node.col, node.line or None)
                try:
                    shapes.append(OPS[node.op].shape(*arg_shapes, **node.attrs))
                except ShapeError as err:
                    raise ExprError(f"{node.spelling}: {err}", node.col, node.line or None) from None
        return shapes


def _hashable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return (value.shape, value.tobytes())
    if isinstance(value, slice):  # NOTE: slices (in an index key) are not hashable before Python 3.12
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, tuple):
        return tuple(_hashable(item) for item in value)
    return value


def parse(text: str, allow_inputs: bool = True) -> Program:
    """Parse ``text``; with ``allow_inputs=False`` only constants are accepted."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the expression is empty")
    bounds = limits.current()
    if len(text) > bounds.expr_chars:
        raise ExprError(f"the expression is {len(text)} characters long; the limit is {bounds.expr_chars} (--limit expr_chars=N)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExprError(f"syntax error: {err.msg}", err.offset) from None
    except (RecursionError, MemoryError):
        raise ExprError(f"the expression is nested too deeply (limit {bounds.depth} levels, --limit depth=N)") from None
    builder = _Builder(allow_inputs, bounds.depth)
    builder.method_prefix = method_prefix(tree)
    builder.visit(tree.body, 0)
    return Program(text, tuple(builder.nodes), requires_grad=builder.requires_grad, calls=tuple(builder.calls), other_library=builder.other_library)


def method_prefix(tree: ast.AST) -> str | None:
    """Whose methods ``x.var()`` are: numpy's ("np") in a program that calls numpy and not torch, else None (torch's)."""
    written = {NAMESPACES.get(_dotted(node.func.value) or "", "").split(".")[0] for node in ast.walk(tree)
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}  # fmt: skip
    return "np" if "numpy" in written and "torch" not in written else None


MAX_NODES = 100_000  # operations one expression or program may unroll to (loops, inlined calls, diff's n, ...)


class _Builder:
    """Expression trees to nodes; the program compiler (``statements``) extends it with variables and statements."""

    def __init__(self, allow_inputs: bool, max_depth: int):
        self.allow_inputs = allow_inputs
        self.max_depth = max_depth
        self.nodes: list[Node] = []
        self.input_index: dict[str, int] = {}  # one node per input name, however often it is used
        self.line = 0  # the line of what is being read, in a program of several lines
        self.requires_grad = False  # a constructor or Variable() said requires_grad=True
        self.decides = False  # whether conditions can be decided (from the inputs' values)
        self.calls: list[LibraryCall] = []  # the library calls as written
        self.method_prefix: str | None = None  # "np": methods mean what numpy's do (a numpy program), else torch's
        self.keyword_tensors: dict[int, int] = {}  # the node of each tensor given by keyword (F.linear(x, w, bias=b)), by its syntax node's id
        self.other_library = False  # a call with the prefix of a library that has no engine here (jnp., math.)

    def add(self, op: str, args: tuple[int, ...] = (), col: int = 0, spelling: str = "", **attrs: Any) -> int:
        if len(self.nodes) >= MAX_NODES:  # NOTE: counted as they grow: diff(x, n=10**9) stops here, not after
            raise ExprError(f"the expression unrolls to over {MAX_NODES} operations; the limit is {MAX_NODES}", col)
        self.nodes.append(Node(op, args, attrs, col, spelling or op, line=self.line))
        return len(self.nodes) - 1

    def const(self, value: Any, col: int, symbol: str | None = None) -> int:
        return self.add("const", (), col, value=np.asarray(value, dtype=np.float64), symbol=symbol)

    def known_value(self, index: int, col: int, what: str, then: Callable[[np.ndarray], np.ndarray] = np.asarray) -> np.ndarray:
        """``then`` of node ``index``'s value where it is known before any engine runs: here, only a constant's."""
        node = self.nodes[index]
        if node.op == "const":
            return np.asarray(then(node.attrs["value"]), dtype=np.float64)
        raise NeedsValues(f"{what} depends on the inputs' values, which are not known here", col)

    def known_shape(self, index: int, col: int, what: str) -> tuple[int, ...]:
        """The shape of node ``index`` where it is known before any engine runs: here, only a constant's."""
        node = self.nodes[index]
        if node.op == "const":
            return np.shape(node.attrs["value"])
        raise NeedsValues(f"{what} depends on the inputs' shapes, which are not known here", col)

    def visit_keyword(self, node: ast.AST) -> int:
        """A tensor given by keyword, visited where the spelling asks for it."""
        self.keyword_tensors[id(node)] = self.visit(node, 1)
        return self.keyword_tensors[id(node)]

    def variable(self, name: str) -> int | None:
        """The node a name the program defines stands for; None where it defines no such name."""
        return None

    def user_function(self, name: str, node: ast.Call, depth: int) -> int | None:
        """A call of a function the program defines, inlined; None where it defines none of that name."""
        return None

    def decide(self, test: ast.AST, depth: int) -> bool:
        """A condition's truth, from values: only the program compiler, given the inputs' values, decides."""
        raise ExprError("a condition is not allowed here", _col(test))

    def visit(self, node: ast.AST, depth: int) -> int:
        if depth > self.max_depth:
            raise ExprError(f"the expression is nested too deeply (limit {self.max_depth} levels, --limit depth=N)", _col(node))
        if isinstance(node, ast.IfExp) and self.decides:
            return self.visit(node.body if self.decide(node.test, depth + 1) else node.orelse, depth + 1)
        if type(node) not in ALLOWED_AST_NODES:
            raise ExprError(f"{_describe(node)} is not allowed in an expression", _col(node))
        col = _col(node)
        if isinstance(node, ast.Constant):
            if type(node.value) is complex:
                raise ExprError("not supported yet: complex numbers", col)
            if type(node.value) not in (int, float):
                raise ExprError(f"{_describe(node)} is not allowed in an expression", col)
            return self.const(_number(node), col)
        if isinstance(node, ast.Name):
            return self.visit_name(node.id, col)
        # NOTE: the operator of a BinOp or UnaryOp is a node of its own that visit() never sees: check it here.
        if isinstance(node, (ast.UnaryOp, ast.BinOp)) and type(node.op) not in ALLOWED_AST_NODES:
            hint = "; write ** for a power" if isinstance(node.op, ast.BitXor) else ""
            raise ExprError(f"the operator {_OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)} is not allowed{hint}", col)
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand, depth + 1)
            return operand if isinstance(node.op, ast.UAdd) else self.add("neg", (operand,), col, "-")
        if isinstance(node, ast.BinOp):
            left = self.visit(node.left, depth + 1)
            right = self.visit(node.right, depth + 1)
            if isinstance(node.op, ast.Mod):
                return spellings.modulo(self, left, right, col)
            op, spelling = BINARY[type(node.op)]
            return self.add(op, (left, right), col, spelling)
        if isinstance(node, ast.Attribute):
            if _dotted(node.value) in PREFIXES and node.attr in NAMED_CONSTANTS:  # math.pi, np.e
                return self.const(NAMED_CONSTANTS[node.attr], col, symbol=node.attr)
            if node.attr in TRANSPOSES:
                return self.transposed(node.attr, self.visit(node.value, depth + 1), col)
            if node.attr == "data":  # NOTE: x.data is x's value cut off from the graph, as x.detach()
                return self.call_function("detach", [self.visit(node.value, depth + 1)], {}, col)
            if isinstance(node.value, ast.Call) and (part := spellings.named_part(node.value, node.attr)) is not None:  # torch.max(x, 0).values
                return self.visit_call(node.value, depth + 1, part=part)
            raise ExprError(f"unknown attribute '.{node.attr}'; only .T, .mT, .H, .mH, .data, and .values/.indices of max and min, are supported", col)
        if isinstance(node, ast.Subscript):
            return spellings.subscript(self, node, depth)
        if isinstance(node, ast.Compare):
            return spellings.compare(self, node, depth)
        if isinstance(node, ast.Call):
            return self.visit_call(node, depth)
        raise ExprError(f"{_describe(node)} is not allowed here", col)

    def visit_name(self, name: str, col: int) -> int:
        bound = self.variable(name)
        if bound is not None:
            return bound
        if name in NAMED_CONSTANTS:
            return self.const(NAMED_CONSTANTS[name], col, symbol=name)
        if name in FUNCTIONS or name in constants.CONSTRUCTORS:
            raise ExprError(f"'{name}' is a function; call it as {name}(...)", col)
        if not self.allow_inputs:
            raise ExprError(f"unknown name '{name}' (only constants are allowed here)", col)
        if name not in self.input_index:
            self.input_index[name] = self.add("input", (), col, name=name)
        return self.input_index[name]

    def transposed(self, attribute: str, x: int, col: int) -> int:
        """x.mT, x.mH: the last two dims swapped (a stack of matrices); x.T, x.H: a matrix transposed, a vector itself
        (every tensor here is real: .H and .mH conjugate nothing)."""
        if attribute in ("mT", "mH"):
            return self.add("transpose", (x,), col, f".{attribute}", dim0=-2, dim1=-1)
        return self.call_function("t", [x], {}, col)

    def visit_call(self, node: ast.Call, depth: int, part: int | None = None) -> int:
        """A call; ``part``: which element of a function's tuple result is taken (torch.max(x, 0)[0])."""
        col = _col(node)
        func = node.func
        receiver: list[int] = []
        prefix = None
        if isinstance(func, ast.Name):
            name = func.id
            if self.variable(name) is not None:
                raise ExprError(f"'{name}' is a variable here (it shadows the function {name}), so it cannot be called", col)
            inlined = self.user_function(name, node, depth)
            if inlined is not None:
                return inlined
        elif isinstance(func, ast.Attribute):
            prefix = _dotted(func.value)
            name = func.attr
            if prefix is not None and prefix.startswith(ATEN + ".") and prefix.count(".") == 3:
                prefix, name = ATEN, prefix.rsplit(".", 1)[1]  # NOTE: torch.ops.aten.slice.Tensor(...): the op, its overload left to torch
            if name in spellings.UNSUPPORTED:
                raise spellings.unsupported(name, col)
            if prefix not in PREFIXES:  # a method call: x.pow(2) means pow(x, 2)
                if name.endswith("_") and (name[:-1] in FUNCTIONS or name[:-1] in IN_PLACE_OPERATORS):
                    raise ExprError(f"the in-place method '.{name}()' inside an expression; write it as a statement of its own", col)
                if name in constants.CONSTRUCTORS or name not in FUNCTIONS:
                    raise ExprError(f"unknown method '.{name}()'; known methods: {_known()}", col)
                receiver = [self.visit(func.value, depth + 1)]
                col = func.value.end_col_offset + 2  # point at the method's name
        else:
            layer = layers.functional_call(node)
            if layer is None:
                raise ExprError("only named functions can be called (and the layers nn.Upsample, nn.UpsamplingBilinear2d, nn.UpsamplingNearest2d)", col)
            return self.visit_call(layer, depth, part)
        if name in constants.CONSTRUCTORS and not receiver and self.stacked(name, node) is not None:
            return self.visit(self.stacked(name, node), depth + 1)
        if name in constants.CONSTRUCTORS and not receiver:
            return self.constructor(name, node, col)
        written = name  # the library's own name for the call, as its engine looks it up
        name = spellings.library_name(name, (self.method_prefix if name in spellings.NUMPY_METHODS else None) if receiver else prefix)
        if receiver and METHOD_ONLY + name in FUNCTIONS:  # x.where(c, y) is not where(x, c, y)
            name = METHOD_ONLY + name
        if name in spellings.UNSUPPORTED:
            raise spellings.unsupported(name, col)
        if name not in FUNCTIONS:
            raise ExprError(f"unknown function '{name}'; known functions: {_known()}", col)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise ExprError("**keyword arguments are not allowed", col)
        if name == "Variable" and len(node.args) == 1 and not receiver:
            return self.variable_wrapper(node, depth, col)
        node = self.numbers_written_out(node)
        tensors, literals = spellings.arguments(name, node.args, _is_dim_literal, lambda bound: self.variable(bound) is not None)
        optional = name in spellings.OPTIONAL_TENSORS
        args = receiver + [NO_TENSOR if optional and _is_none(arg) else self.visit(arg, depth + 1) for arg in tensors]
        # A literal integer in positional place of a dim (sum(x, 0), transpose(x, 0, 1)) is an attribute.
        dims = [
            None if _is_none(arg) else _int_literal(arg, "a dimension") if _is_dim_literal(name, arg) and not _is_written_out(arg) else _literal(arg)
            for arg in literals
        ]
        keywords = {k.arg: k.value for k in node.keywords if not (name in AXIS_NONE_IS_DEFAULT and k.arg in ("axis", "axes") and _is_none(k.value))}
        if name in DTYPE_KEYWORD and "dtype" in keywords:
            _dtype_literal(keywords.pop("dtype"))  # NOTE: the case's dtype computes; torch's own call takes the one written
        if part is not None:
            keywords[spellings.PART] = ast.Constant(part)
        out = self.call_function(name, args, keywords, col, dims)
        namespace = METHOD if receiver else NAMESPACES.get(prefix or "")
        if namespace is None:
            self.other_library = self.other_library or prefix is not None
        else:
            visited = {**self.keyword_tensors, **dict(zip(map(id, tensors), args[len(receiver) :]))}
            self.record_call(namespace, written, node, visited, receiver, out, part)
        return out

    def numbers_written_out(self, node: ast.Call) -> ast.Call:
        """The call with each literal keyword (LITERAL_KEYWORDS) that names a variable holding a number written as that
        number, as Python passes it: ``offset = 1`` then ``np.trace(x, offset=offset)``."""
        keywords = []
        for keyword in node.keywords:
            index = self.variable(keyword.value.id) if keyword.arg in LITERAL_KEYWORDS and isinstance(keyword.value, ast.Name) else None
            held = self.nodes[index] if index is not None else None
            if held is not None and held.op == "const" and held.attrs["value"].ndim == 0 and np.isfinite(held.attrs["value"]):
                number = float(held.attrs["value"])  # NOTE: held as float64: 1 is 1.0 here, and an int again below
                written = ast.copy_location(ast.Constant(int(number) if number.is_integer() else number), keyword.value)
                keyword = ast.copy_location(ast.keyword(keyword.arg, written), keyword)
            keywords.append(keyword)
        return ast.copy_location(ast.Call(node.func, node.args, keywords), node) if keywords != node.keywords else node

    def record_call(self, namespace: str, name: str, node: ast.Call, visited: dict[int, int], receiver: list[int], out: int,
                    part: int | None) -> None:  # fmt: skip
        """Keep the call as written (``visited``: the node of each tensor argument, by the id of its syntax node)."""

        def argument(arg: ast.AST) -> Argument | None:
            if _is_none(arg):
                return ("value", None)
            if _dotted(arg) in DTYPES:
                return ("dtype", DTYPES[_dotted(arg)])
            if id(arg) in visited and not _is_number(arg):
                return ("node", visited[id(arg)])
            if isinstance(arg, (ast.List, ast.Tuple)) and arg.elts and all(id(item) in visited for item in arg.elts):
                return ("nodes", tuple(visited[id(item)] for item in arg.elts))
            try:
                value = _literal(arg)
            except ExprError:
                return None
            return ("value", tuple(value) if isinstance(arg, ast.Tuple) else value)

        args = [("node", receiver[0])] if receiver else []
        args += [argument(arg) for arg in node.args]
        keywords = [(k.arg, argument(k.value)) for k in node.keywords]
        if any(a is None for a in args) or any(a is None for _, a in keywords):
            return  # NOTE: a call with an argument that is neither a tensor nor a literal is not kept
        self.calls.append(LibraryCall(namespace, name, tuple(args), tuple(keywords), out, part, ast.unparse(node), _col(node), self.line))

    def variable_wrapper(self, node: ast.Call, depth: int, col: int) -> int:
        """``Variable(data, requires_grad=True)``: the data itself; requires_grad marks it as differentiated."""
        for keyword in node.keywords:
            if keyword.arg not in ("requires_grad", "volatile"):
                raise ExprError(f"Variable() got an unknown keyword '{keyword.arg}'; allowed: requires_grad", col)
            if keyword.arg == "requires_grad" and _bool_literal(keyword.value, "requires_grad"):
                self.requires_grad = True
        return self.visit(node.args[0], depth + 1)

    def call_function(self, name: str, args: list[int], keywords: dict[str, ast.AST], col: int,
                      dims: list[int] | None = None) -> int:  # fmt: skip
        function = FUNCTIONS[name]
        low, high = function.args
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low} to {high}"
            raise ExprError(f"{name}() takes {want} tensor argument(s), got {len(args)}", col)
        if spellings.PART in keywords and spellings.PART not in function.keywords:
            raise ExprError(f"{name}() returns one tensor: it has no .values, .indices or parts to take", col)
        unknown = set(keywords) - function.keywords
        if unknown:
            allowed = ", ".join(sorted(function.keywords - {spellings.PART})) or "none"
            raise ExprError(f"{name}() got an unknown keyword '{sorted(unknown)[0]}'; allowed: {allowed}", col)
        return function.build(self, name, args, keywords, col, dims or [])

    def constructor(self, name: str, node: ast.Call, col: int) -> int:
        args = [self.constant_argument(arg) for arg in node.args]
        keywords = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise ExprError("**keyword arguments are not allowed", col)
            if keyword.arg == "requires_grad":
                self.requires_grad = self.requires_grad or _bool_literal(keyword.value, "requires_grad")
            elif keyword.arg == "dtype":
                keywords["dtype"] = _dtype_literal(keyword.value)
            else:
                keywords[keyword.arg] = self.constant_argument(keyword.value)
        try:
            value = constants.construct(name, args, keywords)
        except constants.ConstantError as err:
            raise ExprError(str(err), col) from None
        return self.const(value, col)

    def stacked(self, name: str, node: ast.Call) -> ast.Call | None:
        """``jnp.array([x[0] + 2 * x[1], x[1] ** 3])``: data written out of expressions in variables is their ``stack``
        (nested lists, nested stacks); None for constant data, which is a constructor's."""
        if name not in _STACKED_DATA or len(node.args) != 1 or any(k.arg != "dtype" for k in node.keywords):
            return None
        data = node.args[0]
        if not self.mentions_variable(data):
            return None
        if not isinstance(data, (ast.List, ast.Tuple)):
            return data  # NOTE: np.array(x) of a computed array is a copy of it, its values and gradient

        def stack(items: ast.expr) -> ast.Call:
            if not self.mentions_variable(items):  # a constant row or number among computed ones (`[[1, 2], [0, x[1]]]`): the constructor's
                return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), [items], []), items)
            parts = [stack(item) if isinstance(item, (ast.List, ast.Tuple)) and item.elts or not self.mentions_variable(item) else item
                     for item in items.elts]  # fmt: skip
            return ast.copy_location(ast.Call(ast.Name("stack", ast.Load()), [ast.List(parts, ast.Load())], []), items)

        return ast.fix_missing_locations(stack(data))

    def mentions_variable(self, node: ast.AST) -> bool:
        return any(isinstance(item, ast.Name) and self.variable(item.id) is not None for item in ast.walk(node))

    def constant_argument(self, node: ast.AST) -> Any:
        """A constructor's argument: numbers, lists of them, and arithmetic on them (``2*pi``)."""
        for name in ast.walk(node):
            if isinstance(name, ast.Name) and self.variable(name.id) is not None:
                raise ExprError(f"a constructor's arguments must be constants; '{name.id}' is a variable here", _col(name))
        return _literal(node)


# Data of computed values given to these is their stack (jnp.array, autograd's np.array, tf.convert_to_tensor differentiate
# through it). NOTE: not torch.tensor nor tf.constant: those copy the values into a new tensor the gradient does not reach.
_STACKED_DATA = {"array", "asarray", "convert_to_tensor"}


def _known() -> str:
    """The functions to list in a message: the operations, not the spellings that change nothing (clone, item), dotted ones (F.softplus) nor private names."""
    return ", ".join(sorted(name for name, function in FUNCTIONS.items() if function.build is not _same and "." not in name and not name.startswith("_")))


def _dtype_literal(node: ast.AST) -> str:
    """``torch.float32`` or ``np.float64`` (or the text "float32") as the dtype's name."""
    name = _dotted(node) or (node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None)
    short = name.rsplit(".", 1)[-1] if name else None
    aliases = {"float": "float32", "double": "float64", "float32": "float32", "float64": "float64"}
    if short not in aliases:
        raise ExprError("dtype must be float32 or float64 (torch.float32, np.float64, ...)", _col(node))
    return aliases[short]


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_number(node: ast.AST) -> bool:
    """A number written in the text (2.0, -1): passed to the library as the number, as Python would."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _is_dim_literal(name: str, arg: ast.AST) -> bool:
    if name in NONE_DIM and isinstance(arg, ast.Constant) and arg.value is None:  # torch.sum(x, None): every dim
        return True
    if name in TUPLE_DIMS and (isinstance(arg, ast.Tuple) or (isinstance(arg, ast.Constant) and isinstance(arg.value, bool))):
        return True
    return name in DIM_POSITIONAL and isinstance(arg, (ast.Constant, ast.UnaryOp)) and _is_int(arg)


def _is_written_out(node: ast.AST) -> bool:
    """A tuple of dims or a bool written positionally: read as written, not as one integer dim."""
    return isinstance(node, ast.Tuple) or (isinstance(node, ast.Constant) and isinstance(node.value, bool))


def _is_int(node: ast.AST) -> bool:
    try:
        return type(_literal(node)) is int
    except ExprError:
        return False


def _describe(node: ast.AST) -> str:
    """A construct named in plain words, for "... is not allowed" messages."""
    if isinstance(node, ast.Constant):
        return f"the {type(node.value).__name__} constant {node.value!r}"
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    return CONSTRUCT_NAMES.get(type(node), f"the construct '{type(node).__name__}'")


CONSTRUCT_NAMES: dict[type, str] = {
    ast.Lambda: "a lambda", ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator", ast.JoinedStr: "an f-string", ast.Subscript: "indexing", ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator (and/or)", ast.IfExp: "a conditional expression", ast.Starred: "a starred argument",
    ast.Dict: "a dict", ast.Set: "a set", ast.NamedExpr: "the assignment operator := (write an assignment statement)",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "a slice",
    ast.Import: "an import", ast.ImportFrom: "an import", ast.ClassDef: "a class definition", ast.Try: "try/except",
    ast.Raise: "raise", ast.Assert: "assert", ast.Global: "a global declaration", ast.Nonlocal: "a nonlocal declaration",
    ast.Delete: "del", ast.Break: "break", ast.Continue: "continue", ast.AsyncFunctionDef: "an async function",
    ast.AsyncFor: "an async loop", ast.AsyncWith: "async with", ast.Match: "a match statement",
}  # fmt: skip


_OPERATOR_NAMES = {
    ast.Mod: "%", ast.FloorDiv: "//", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
    ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not",
}  # fmt: skip

TRANSPOSES = ("T", "H", "mT", "mH")
# Reductions and scans that torch applies to a 0-d tensor over dim 0 or -1 (the tensor itself).
SCALAR_DIM_OPS = frozenset({"sum", "mean", "logsumexp", "amax", "amin", "prod", "cumsum", "cumprod"})
# Calls that take a dtype= to compute in (torch.softmax(x, 0, dtype=torch.float64)): the case computes in its own dtype.
DTYPE_KEYWORD = frozenset({"softmax", "log_softmax", "softmin", "cumsum", "cumprod", "sum", "mean", "prod", "nansum", "nanmean"})
DTYPES = {"torch.float64": "float64", "torch.double": "float64", "torch.float32": "float32", "torch.float": "float32"}
IN_PLACE_OPERATORS = {"add": ast.Add, "sub": ast.Sub, "mul": ast.Mult, "div": ast.Div}  # y.add_(1) is y = y + 1

BINARY = {
    ast.Add: ("add", "+"), ast.Sub: ("sub", "-"), ast.Mult: ("mul", "*"),
    ast.Div: ("div", "/"), ast.Pow: ("pow", "**"), ast.MatMult: ("matmul", "@"),
}  # fmt: skip

# --- surface functions -----------------------------------------------------

ONE_D, TWO_D, THREE_D = frozenset({1}), frozenset({2}), frozenset({3})


def _primitive(op: str, ndims: tuple[frozenset[int], ...] | None = None) -> Callable[..., int]:
    def build(b: _Builder, name: str, args: list[int], keywords, col: int, dims: list[int]) -> int:
        b.nodes.append(Node(op, tuple(args), {}, col, name, ndims, b.line))
        return len(b.nodes) - 1

    return build


def _reduction(op: str) -> Callable[..., int]:
    """sum/mean/logsumexp(x, dim=None, keepdim=False): dim an int or a tuple of dims (reduced one at a time: the mean of
    equal-sized means, the logsumexp of logsumexps)."""

    def build(b: _Builder, name: str, args: list[int], keywords, col: int, dims: list[int]) -> int:
        attrs = _reduction_attrs(name, keywords, dims, col, several=True)
        if not isinstance(attrs["dim"], tuple):
            return b.add(op, tuple(args), col, name, **attrs)
        out = args[0]
        for dim in dims_in_removal_order(attrs["dim"], lambda: len(b.known_shape(args[0], col, f"{name}() over dims of both signs"))):
            out = b.add(op, (out,), col, name, dim=dim, keepdim=attrs["keepdim"])
        return out

    return build


def _transpose(b: _Builder, name: str, args: list[int], keywords, col: int, dims: list[int]) -> int:
    if name in ("t",) or (name == "transpose" and not dims and not keywords):
        b.nodes.append(Node("transpose", tuple(args), {"dim0": 0, "dim1": -1}, col, name, (frozenset({0, 1, 2}),), b.line))
        return len(b.nodes) - 1
    given = dims + [_int_literal(keywords[k], k) for k in ("dim0", "dim1") if k in keywords]
    if len(given) != 2:
        raise ExprError(f"{name}() needs two dimensions, e.g. {name}(x, 0, 1)", col)
    return b.add("transpose", tuple(args), col, name, dim0=given[0], dim1=given[1])


def _same(b: _Builder, name: str, args: list[int], keywords, col: int, dims: list[int]) -> int:
    """Spellings that change nothing verifygrad computes: x.clone(), x.item(), x.float()."""
    return args[0]


_REDUCE_KW = frozenset({"dim", "axis", "keepdim", "keepdims"})
DIM_POSITIONAL = {"sum", "mean", "logsumexp", "transpose", *spellings.DIM_POSITIONAL}
# Reductions whose positional dims may be a tuple and whose keepdim may follow positionally: torch.logsumexp(x, (0, 1), True).
# Reductions whose positional dim may be None (every dim) in torch and numpy alike: torch.sum(x, None), np.var(x, None).
NONE_DIM = frozenset({"sum", "mean", "nansum", "nanmean", "var", "std", "np.var", "np.std", "amax", "amin", "np.max", "np.min"})
TUPLE_DIMS = frozenset({"sum", "mean", "logsumexp", "squeeze", "max", "min", "np.max", "np.min", "amax", "amin", "prod", "np.expand_dims"})

FUNCTIONS: dict[str, Function] = {
    **{name: Function(_primitive(name), (1, 1)) for name in
       ("exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "softplus")},
    "pow": Function(_primitive("pow"), (2, 2)),
    "sum": Function(_reduction("sum"), (1, 1), _REDUCE_KW),
    "mean": Function(_reduction("mean"), (1, 1), _REDUCE_KW),
    "logsumexp": Function(_reduction("logsumexp"), (1, 1), _REDUCE_KW),
    "matmul": Function(_primitive("matmul"), (2, 2)),
    "mm": Function(_primitive("matmul", (TWO_D, TWO_D)), (2, 2)),
    "mv": Function(_primitive("matmul", (TWO_D, ONE_D)), (2, 2)),
    "dot": Function(_primitive("matmul", (ONE_D, ONE_D)), (2, 2)),
    "bmm": Function(_primitive("matmul", (THREE_D, THREE_D)), (2, 2)),
    "outer": Function(_primitive("outer"), (2, 2)),
    "t": Function(_transpose, (1, 1)),
    "transpose": Function(_transpose, (1, 1), frozenset({"dim0", "dim1"})),
    "trace": Function(_primitive("trace"), (1, 1)),
    "detach": Function(_primitive("stop_gradient"), (1, 1)),
    **{name: Function(_same, (1, 1)) for name in ("clone", "item", "float", "double", "contiguous")},
    "Variable": Function(_same, (1, 1), frozenset({"requires_grad", "volatile"})),
    **spellings.SPELLINGS,
}  # fmt: skip
FUNCTIONS.update({alias: FUNCTIONS[name] for alias, name in spellings.ALIASES.items()})
