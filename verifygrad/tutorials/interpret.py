"""Read a tutorial's code statically (the ast module; nothing is run or imported) into tensors and derivations.

Cells are read in order with one namespace, as the notebook ran. What the reader cannot follow is
recorded as "not read: LINE: what", never guessed; the values it makes unknown stay unknown.
"""

from __future__ import annotations

import ast
import copy
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from verifygrad.language.bindings import POSITIONAL_KEYWORDS, dotted_node, imported, keywords_for, resolve, spelling
from verifygrad.language.parse import ExprError
from verifygrad.language.statements import COMPARISONS, MAX_LOOP_STEPS, loop_steps
from verifygrad.language.syntax import dotted as dotted_name
from verifygrad.process import limits
from verifygrad.tutorials import autodiff, handwritten
from verifygrad.tutorials.blocks import Block
from verifygrad.tutorials.constant import constant_array, constant_index
from verifygrad.tutorials.effects import changed_names, shared_with, writes_gradients
from verifygrad.tutorials.formatted import Field, Template, print_parts
from verifygrad.tutorials.functions import FunctionCalls
from verifygrad.tutorials.jaxrandom import JaxRandom
from verifygrad.tutorials.objects import LayerObjects
from verifygrad.tutorials.scalars import MICROGRAD, MICROGRAD_PATHS, ScalarClass, ScalarValues, scalar_class
from verifygrad.tutorials.seeded import MAX_DRAWN, too_many_drawn
from verifygrad.tutorials.values import (
    COMPUTED,
    CONST,
    LEAF,
    Derivation,
    Function,
    GradOf,
    Instance,
    Number,
    Other,
    Pullback,
    Sequence,
    Tape,
    Tensor,
    Transform,
    Unknown,
    computed_of,  # fmt: skip
    leaves_of,
    text_of,
)

Value = Tensor | Number | Other | Unknown | GradOf | Function | Transform | Sequence | Tape | Pullback | Instance

# Constructors and what they are called in verifygrad's constant language.
_CONSTRUCTORS = {"ones": "ones", "zeros": "zeros", "arange": "arange", "range": "arange", "linspace": "linspace", "eye": "eye", "full": "full"}
_RANDOM = {"randn", "rand"}
_TF_RANDOM = {"tensorflow.random.normal": "randn", "tensorflow.random.uniform": "rand", "tensorflow.random.truncated_normal": "randn"}
_NAMED_NUMBERS = {"pi": math.pi, "e": math.e, "tau": math.tau}  # math.pi, np.pi, torch.pi
_NUMBER_LIBRARIES = ("math", "cmath", "numpy", "torch", "jax", "autograd", "mxnet")  # whose pi and e are those numbers
_RANGE_KEYWORDS = ("start", "end", "stop", "steps", "num", "step")  # linspace/arange's, in the order they stand
_FLOAT64 = {"float64", "double"}
_IDENTITY_METHODS = {"clone", "contiguous", "requires_grad_", "squeeze_", "float", "double", "cuda", "cpu", "to", "type_as"}
_DETACHING = {"detach", "numpy", "item", "tolist", "detach_", "asnumpy", "asscalar"}
_NOT_TENSOR_ATTRIBUTES = {"requires_grad", "grad_fn", "shape", "dtype", "device", "is_leaf", "size", "ndim", "stop_gradient", "trainable"}
_DTYPES = {"float16", "float32", "float64", "double", "int32", "int64", "bfloat16"}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv, ast.Pow: operator.pow,
           ast.Mod: operator.mod, ast.FloorDiv: operator.floordiv}  # fmt: skip
FOLD_CHARS = 400  # a constant's text longer than this is written as its values, where they are shorter
MAX_UNROLLED = 5_000  # statements the tutorial's own loops may run in all (each pass's body counted): a few seconds at most
_KNOWN_MODULES = {*autodiff.LIBRARIES, "functorch", "matplotlib", "__future__", "sympy", "IPython"}
# Names tutorials use without importing them (a snippet of a longer page): what they conventionally stand for.
DEFAULT_ALIASES = {
    "torch": "torch", "np": "numpy", "numpy": "numpy", "F": "torch.nn.functional", "nn": "torch.nn", "math": "math", "tf": "tensorflow",
    "jnp": "jax.numpy", "jax": "jax", "nd": "mxnet.nd", "mx": "mxnet", "paddle": "paddle", "mindspore": "mindspore", "ms": "mindspore",
    "Variable": "torch.autograd.Variable", "Parameter": "torch.nn.Parameter",
}  # fmt: skip
_IGNORED_CALLS = {"plt", "display", "type", "len", "isinstance", "input", "help", "dir", "id"}


@dataclass(frozen=True)
class Shown:
    """What one statement shows: a print's argument or a cell's last expression."""

    value: Value
    line: int
    where: str
    label: str  # the code as written, for messages
    opaque: bool = False  # code not read that may print: how many values it printed is unknown
    statement: int = 0  # which run of a statement showed it (a loop's passes differ): one print's values share its lines
    rounded: int | None = None  # decimals the code's format rounds it to (`f"{x:.4f}"`): `0.0019` is then not exact
    inline: bool = False  # formatted into a line of text (an f-string's field): that print's other fields are on its line
    template: Template | None = None  # the text its print writes (formatted.Template), where the print formats text
    field: int = -1  # which of the template's fields printed it
    item: int = -1  # its place in a list or tuple printed whole (`[<tf.Tensor ...>, None]`), where it is one of its items


@dataclass
class Reading:
    derivations: list[Derivation] = field(default_factory=list)
    leaves: list[tuple[str, Tensor]] = field(default_factory=list)  # (python name, leaf) in order of creation
    bindings: list[tuple[str, Tensor, int]] = field(default_factory=list)  # (python name, tensor, file line) of each assignment
    numbers: set[str] = field(default_factory=set)  # the names bound to numbers the reader traces (`q = x + y`)
    not_read: list[tuple[int, str]] = field(default_factory=list)
    comments: list[tuple[int, str, str]] = field(default_factory=list)  # (file line, where, text) of each comment
    shown: list[list[Shown]] = field(default_factory=list)  # per code block, in order
    code_lines: list[range] = field(default_factory=list)  # the file lines of each code block, in order
    strings: list[tuple[int, int, str]] = field(default_factory=list)  # (code block index, file line, text) of bare strings
    agreements: list[Agreement] = field(default_factory=list)  # asserts that two ways of computing a value agree
    rules: list[tuple[Derivation, Tensor, str, int, str, str]] = field(default_factory=list)  # custom backward claims: (derivation, input,
    # formula program, file line of the backward, where, what it is)
    hand_gradients: list[handwritten.HandGradient] = field(default_factory=list)  # variables named as derivatives of the loss
    gradients: dict[int, tuple[str, GradOf]] = field(default_factory=dict)  # file line -> (name, gradient) it assigns: `dy_dx = g.gradient(y, x)`
    steps: list[handwritten.Step] = field(default_factory=list)  # parameter updates with a hand-written gradient
    hand_functions: list[tuple[Tensor, GradOf, str]] = field(default_factory=list)  # what `df(3.0)` returned, f's gradient there, what
    unread_requests: list[int] = field(default_factory=list)  # file lines of derivative requests whose result the reader lost


@dataclass(frozen=True)
class Agreement:
    """`assert torch.allclose(x.grad, torch.cos(x))`: the code's claim that two values agree."""

    line: int
    where: str
    left: Value
    right: Value
    right_text: str | None  # the right side written out where it is a literal (`[2.0, 4.0]`)
    text: str
    shown: bool = False  # a comparison shown as a cell's value, not asserted: an output showing False withdraws it


class CodeReader(FunctionCalls, LayerObjects, JaxRandom, ScalarValues):
    """Reads code blocks one after another into a single namespace."""

    def __init__(self) -> None:
        self.names: dict[str, Value] = {}
        self.aliases: dict[str, str] = dict(DEFAULT_ALIASES)  # names imports bound: module paths, resolved once here
        self.reading = Reading()
        self.seed: int | None = None
        self.numpy_seed: int | None = None  # np.random.seed(k): numpy's legacy stream, and the draws made from it since
        self.numpy_calls: list[tuple[str, tuple[int, ...]]] = []
        self.random_calls: list[tuple[str, tuple[int, ...], str]] = []
        self.block: Block | None = None
        self.no_grad = 0
        self.shared: dict[str, set[str]] = {}  # name -> the names sharing its memory (views, .data, from_numpy, plain aliases)
        self.unrolled = 0  # statements run by the tutorial's loops so far (bounded by MAX_UNROLLED)
        self.looping = 0  # unrolled loops the statement being read is inside
        self.defined_in: dict[int, Block | None] = {}
        self.layer_classes: dict[int, ast.ClassDef] = {}
        self.in_method = 0  # layer methods being read inline: their derivative-named locals are not claims
        self.statements_run = 0  # expression statements run so far (each pass of a loop anew): Shown.statement
        self.scalar_init()
        self.recording: list[Tape] = []  # the tapes whose `with` blocks the statement being read is inside

    # -- blocks and statements ---------------------------------------------------------------

    def read_block(self, block: Block, source: str) -> None:
        self.block = block
        self.reading.shown.append([])
        self.reading.code_lines.append(block.file_lines())
        lines = source.split("\n")
        for number, line in enumerate(lines):
            if line.lstrip().startswith(("%", "!")):  # IPython magics and shell escapes: not Python, not read
                self.not_read(number + 1, f"an IPython magic or shell command ({line.strip()[:40]})")
                lines[number] = line[: len(line) - len(line.lstrip())] + "pass"
        source = "\n".join(lines)
        try:
            module = ast.parse(source)
        except SyntaxError as err:
            self.not_read(err.lineno or 1, f"code that is not valid Python ({err.msg})")
            return
        except (ValueError, RecursionError, MemoryError):
            self.not_read(1, "code that cannot be parsed")
            return
        self._comments(source)
        if block.raised:
            self.read_until_raised(module, block)
            return
        self.statements(module.body, True)

    def read_until_raised(self, module: ast.Module, block: Block) -> None:
        """A notebook cell whose saved output is an error: the statements before the one its traceback points at ran, that
        one raised, the rest never ran; where the traceback does not say, the whole cell is unknown. An assignment of a value
        computed without calls that raised bound nothing (`arr[3] = 10` on a JAX array); what any other statement that
        raised may have changed is unknown."""
        ran = [node for node in module.body if block.raised_at and (node.end_lineno or node.lineno) < block.raised_at]
        stopped = module.body[len(ran) :]
        self.statements(ran, False)
        if not stopped:
            return
        what = f"a statement that raised {block.raised} on the page" if block.raised_at else f"a cell that raised {block.raised} on the page"
        self.not_read(stopped[0].lineno, what)
        unknown = stopped[:1] if block.raised_at else stopped  # NOTE: the statements after the one that raised never ran
        if block.raised_at and _binds_without_calls(stopped[0]):
            unknown = []
        for node in unknown:
            self.changed_unread(node, what)
            self.may_print(node, what)

    def statements(self, body: list[ast.stmt], last: bool) -> None:
        """Statements in order; ``last``: the final one is a cell's last, whose value is shown."""
        for index, statement in enumerate(body):
            try:
                self.statement(statement, last and index == len(body) - 1)
            except RecursionError:
                self.not_read(statement.lineno, "code nested too deeply")
            except (KeyError, ValueError, TypeError, AttributeError, IndexError) as err:  # NOTE: a gap in the reader is a line not read, never a crash
                self.not_read(statement.lineno, f"a statement the reader could not follow ({type(err).__name__})")
                self.unread_statement(statement)

    def file_line(self, lineno: int) -> int:
        return self.block.file_line(lineno - 1) if self.block else lineno

    def where(self, lineno: int) -> str:
        return self.block.where(lineno - 1) if self.block else f"line {lineno}"

    def not_read(self, lineno: int, what: str) -> None:
        entry = (self.file_line(lineno), what)
        if entry not in self.reading.not_read:
            self.reading.not_read.append(entry)

    def _comments(self, source: str) -> None:
        import io
        import tokenize

        try:
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.COMMENT:
                    line = token.start[0]
                    self.reading.comments.append((self.file_line(line), self.where(line), token.string.lstrip("#").strip()))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            pass

    def statement(self, node: ast.stmt, last: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.import_(node)
        elif isinstance(node, ast.FunctionDef):
            self.define(node)
        elif isinstance(node, ast.ClassDef) and any(self.path(base) in autodiff.FUNCTION_CLASSES for base in node.bases):
            self.define_rule_class(node)
        elif isinstance(node, ast.ClassDef) and scalar_class(node, self.block) is not None:
            self.define_scalar_class(node, scalar_class(node, self.block))
        elif isinstance(node, ast.ClassDef) and _layer_class(node):
            self.define_layer_class(node)
        elif isinstance(node, ast.Assign) and _unpacked_literal(node):  # a, b = 2.0, x * 3: each name bound to its own part
            values = [self.expression(part) for part in node.value.elts]
            for target, value, part in zip(node.targets[0].elts, values, node.value.elts):
                self.assign(target, value, ast.Assign([target], part, lineno=node.lineno, col_offset=node.col_offset))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and self.seeds_torch(node.value):
            self.manual_seed(node.value)  # `_ = torch.manual_seed(0)`: the generator it returns is not used
            for target in node.targets:
                self.assign(target, Other("a torch.Generator"), node)
        elif isinstance(node, ast.Assign):
            value = self.expression(node.value)
            for target in node.targets:
                self.assign(target, value, node)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.assign(node.target, self.expression(node.value), node)
        elif isinstance(node, ast.AugAssign):
            self.augmented(node)
        elif isinstance(node, ast.Expr):
            self.expression_statement(node, last)
        elif isinstance(node, ast.With):
            self.with_(node, last)
        elif isinstance(node, ast.Pass) or self.unrolled_or_decided(node, last):
            pass
        elif isinstance(node, (ast.Break, ast.Continue)) and self.looping:
            raise _Leave(isinstance(node, ast.Break))
        elif isinstance(node, ast.Assert) and compared(node.test) is not None:
            self.agreement(node, *compared(node.test))
        else:
            self.unread_statement(node)

    def unrolled_or_decided(self, node: ast.stmt, last: bool) -> bool:
        """A loop over constants unrolled, or an if decided by numbers, and read; False for any other statement."""
        return isinstance(node, ast.For) and self.for_(node) or isinstance(node, ast.If) and self.if_(node, last)

    def for_(self, node: ast.For) -> bool:
        """``for epoch in range(3):`` over constants, unrolled by the rule a program's loop follows (``loop_steps``), its
        loop variable a number in each pass; False where the loop is not one of those (it is then listed as not read)."""
        if node.orelse or not isinstance(node.target, ast.Name) or _jumps(node.body) or _trains(node) or not _leaves_plainly(node.body):
            return False  # NOTE: a training loop with an optimizer is not read either way: it is listed as one
        try:
            steps: list[Value] = [Number(step) for step in loop_steps(node.iter, self.number)]
        except ExprError:
            steps = self.items_of(node.iter)
            if steps is None:
                return False
        cost = len(steps) * sum(isinstance(inner, ast.stmt) for statement in node.body for inner in ast.walk(statement))
        if self.unrolled + cost > MAX_UNROLLED:
            return False
        self.unrolled += cost
        self.looping += 1
        shown_before = len(self.reading.shown[-1]) if self.reading.shown else 0
        try:
            for index, step in enumerate(steps):
                if index:
                    self.fold_numbers(node)
                self.aliases.pop(node.target.id, None)
                self.names[node.target.id] = step
                try:
                    self.statements(node.body, False)
                except _Leave as leave:
                    if leave.stops:
                        break
        except _Lost as lost:  # NOTE: whether the loop stopped is not known: nothing it could change is known after it
            if self.reading.shown:  # nor which pass printed what: the values its passes read showed are withdrawn
                del self.reading.shown[-1][shown_before:]
            self.not_read(lost.node.lineno, "a break or continue under a condition the reader cannot decide")
            self.changed_unread(node, "a for loop")
            self.may_print(node, "a for loop")
        finally:
            self.looping -= 1
        return True

    def items_of(self, node: ast.expr) -> list[Value] | None:
        """What a loop over a name or a written list runs through, as a program's loop over a list of tensors does: the
        items of a list or tuple, or the rows of a tensor whose shape the reader knows, each read as ``node[i]`` is; None
        for anything else (the loop is then listed as not read)."""
        value = self.expression(node) if isinstance(node, (ast.Name, ast.List, ast.Tuple)) and not _unbound(node, self.names) else None
        if isinstance(value, Sequence) and not value.shape and not value.keys and len(value.items) <= MAX_LOOP_STEPS:
            return list(value.items)
        known = _known(value) if isinstance(value, Tensor) and value.kind != COMPUTED else None
        if known is None or known.ndim == 0 or len(known) > MAX_LOOP_STEPS:
            return None
        return [self.expression(ast.Subscript(node, ast.Constant(row), ast.Load(), **_place(node))) for row in range(len(known))]

    def fold_numbers(self, node: ast.For) -> None:
        """Between a loop's passes: a number the passes computed by calling the tutorial's functions (`x = x - lr *
        grad_f(x)`), written out past FOLD_CHARS, becomes the number it is. Its text would otherwise double each pass;
        held as a number it is what the next pass starts from, as in the code."""
        for name, value in list(self.names.items()):
            if not isinstance(value, Tensor) or value.kind != COMPUTED or value.size <= FOLD_CHARS:
                continue
            if not all(leaf.for_number for leaf in leaves_of(value)):
                continue  # NOTE: a tensor with a gradient of its own stays one: its backward() goes through every pass
            known = handwritten.known_value(value)
            if known is not None and known.size == 1 and np.all(np.isfinite(known)):
                self.names[name] = self.named_number(Number(float(known.reshape(()))), node)

    def if_(self, node: ast.If, last: bool) -> bool:
        """An ``if`` decided by numbers the reader knows (``epoch % 10 == 0``, ``__name__ == "__main__"``): the branch taken
        is read; False where the condition depends on anything else (the statement is then listed as not read)."""
        taken = self.decided(node.test)
        if taken is None and self.looping and not _leaves_plainly([node], False):
            raise _Lost(node)
        if taken is None:
            return False
        self.statements(node.body if taken else node.orelse, last)
        return True

    def decided(self, test: ast.expr) -> bool | None:
        """A condition's truth where it compares numbers the reader knows; None otherwise."""
        if isinstance(test, ast.BoolOp):
            parts = [self.decided(value) for value in test.values]
            return None if None in parts else (all(parts) if isinstance(test.op, ast.And) else any(parts))
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self.decided(test.operand)
            return None if inner is None else not inner
        if isinstance(test, ast.Constant) and isinstance(test.value, bool):
            return test.value
        if not isinstance(test, ast.Compare) or any(type(op) not in COMPARISONS for op in test.ops):
            return None
        sides = [test.left, *test.comparators]
        if ast.unparse(test) in ('__name__ == "__main__"', "__name__ == '__main__'"):
            return True  # a script read as it is run
        values, computed = [], False
        for side in sides:
            value = self.expression(side) if not isinstance(side, ast.Constant) or type(side.value) in (int, float) else None
            known = _known(value) if isinstance(value, Tensor) and not value.unseeded else None
            if known is not None and known.size == 1:  # `if loss < 0.01:` on a tensor of one element the reader knows
                value, computed = Number(float(known.reshape(()))), computed or value.kind == COMPUTED
            if not isinstance(value, Number):
                return None
            values.append(value.value)
        if computed and any(_borderline(a, b) for a, b in zip(values, values[1:])):
            return None  # NOTE: float32 or the order of a sum may decide a comparison this close either way
        return all(COMPARISONS[type(op)](a, b) for op, a, b in zip(test.ops, values, values[1:]))

    def number(self, node: ast.expr) -> float:
        """A loop bound the reader knows as a number (``range(nb_epochs + 1)``); an ExprError where it is not one."""
        value = self.expression(node)
        if not isinstance(value, Number):
            raise ExprError("not a number the reader knows", 0)
        return value.value

    def agreement(self, node: ast.stmt, left: ast.expr, right: ast.expr, shown: bool = False) -> None:
        """An assert (or assert_allclose) that two values agree: a claim, kept with both sides as the reader knows them."""
        values = [self.expression(side) for side in (left, right)]
        if isinstance(values[0], Tensor) and not isinstance(values[1], Tensor):
            values, (left, right) = values[::-1], (right, left)  # the gradient first where one side is one
        if not isinstance(values[0], GradOf) and isinstance(values[1], GradOf):
            values, (left, right) = values[::-1], (right, left)
        self.reading.agreements.append(Agreement(self.file_line(node.lineno), self.where(node.lineno), values[0], values[1],
                                                 _literal_text(right), ast.unparse(getattr(node, "test", None) or node)[:120],
                                                 shown))  # fmt: skip

    def import_(self, node: ast.Import | ast.ImportFrom) -> None:
        for name, path in imported(node).items():
            self.names.pop(name, None)
            if path in MICROGRAD_PATHS:  # micrograd's Value: a scalar class whose operators are known
                self.aliases.pop(name, None)
                self.names[name] = MICROGRAD
            elif path.split(".")[0] in _KNOWN_MODULES:
                self.aliases[name] = path
            else:
                self.aliases.pop(name, None)
                self.not_read(node.lineno, f"an import of other code ({path.rpartition('.')[0] or path})")
                self.names[name] = Unknown(f"imported from {path}")

    def path(self, node: ast.expr) -> str | None:
        """The full path a name or attribute chain stands for through the imports (`jnp.sum` -> `jax.numpy.sum`), or None."""
        written = dotted_name(node)
        if written is None or written.split(".")[0] in self.names:
            return None
        return resolve(written, self.aliases) if written.split(".")[0] in self.aliases else None

    def unread_statement(self, node: ast.stmt) -> None:
        what = {
            ast.For: "a for loop", ast.While: "a while loop whose condition depends on values", ast.If: "an if statement",
            ast.FunctionDef: "a function definition", ast.ClassDef: "a class definition", ast.Try: "a try statement",
            ast.Return: "a return statement", ast.Delete: "a del statement", ast.Global: "a global statement",
        }.get(type(node), f"a {type(node).__name__} statement")  # fmt: skip
        if isinstance(node, ast.ClassDef) and any("Module" in ast.unparse(base) for base in node.bases):
            what = "an nn.Module definition"
        if isinstance(node, (ast.For, ast.While)) and _trains(node):
            what = "a training loop with an optimizer"
        if isinstance(node, ast.While) and self._mentions_unseeded(node.test):
            what += " (unseeded random input decides the loop)"
        self.not_read(node.lineno, what)
        self.changed_unread(node, what.split(" (")[0])
        self.may_print(node, what.split(" (")[0])

    def may_print(self, node: ast.AST, what: str) -> None:
        """Code not read that calls anything may have printed: the values printed around it cannot be paired by order."""
        if self.reading.shown and any(isinstance(item, ast.Call) for item in ast.walk(node)):
            line = self.file_line(node.lineno)
            self.reading.shown[-1].append(Shown(Unknown(what), line, self.where(node.lineno), f"line {line}: {what}", opaque=True))

    def changed_unread(self, node: ast.AST, what: str) -> None:
        """Code not followed: every name it could have changed, and every name sharing memory with one, becomes unknown."""
        line = self.file_line(node.lineno)
        for name, how in changed_names(node):
            self.invalidate(name, f"line {line} changed {name} and was not read ({what}: {how})")
        if writes_gradients(node):
            self.gradients_unknown(line, what)

    def gradients_unknown(self, line: int, what: str) -> None:
        """A backward() or optimizer step not followed may have written any tensor's `.grad`."""
        for _, leaf in self.reading.leaves:
            leaf.grad_unknown = leaf.grad_unknown or f"line {line} changed {leaf.name}.grad and was not read ({what})"
        for value in self.names.values():
            if isinstance(value, Tensor) and value.kind == COMPUTED and value.retained:
                value.grad_unknown = value.grad_unknown or f"line {line} changed {value.bound}.grad and was not read ({what})"

    def invalidate(self, name: str, reason: str, keep: bool = False) -> None:
        """``name`` (unless ``keep``) and the names sharing its memory hold values the reader did not follow."""
        pending, seen = [name], set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            pending += sorted(self.shared.get(current, ()))
            # NOTE: a def's code is not changed by a call it is handed to (`timeit(lambda: f(1))`): only values are
            if current in self.names and not (keep and current == name) and not isinstance(self.names[current], (Unknown, Function)):
                was_tensor = isinstance(self.names[current], (Tensor, GradOf))
                self.names[current] = Unknown(reason if current == name else f"{reason}; {current} shares its memory", tensor=was_tensor)

    def share(self, target: str, value: ast.expr | None) -> None:
        """``target`` is bound anew: it shares memory with the names ``value`` is a view or alias of, and no longer with others."""
        for other in self.shared.pop(target, set()):
            self.shared.get(other, set()).discard(target)
        for other in shared_with(value) - {target} if value is not None else ():
            self.shared.setdefault(target, set()).add(other)
            self.shared.setdefault(other, set()).add(target)

    def _mentions_unseeded(self, node: ast.expr) -> bool:
        for name in ast.walk(node):
            value = self.names.get(name.id) if isinstance(name, ast.Name) else None
            if isinstance(value, Tensor) and value.unseeded:
                return True
        return False

    def assign(self, target: ast.expr, value: Value, node: ast.stmt, pairing: bool = True) -> None:
        if isinstance(target, ast.Name):
            self.aliases.pop(target.id, None)
            if isinstance(value, Function) and not value.emitted:  # f = lambda x: ...
                value = self.named(value, target.id)
            if (isinstance(value, Number) or isinstance(value, Sequence) and value.numbers) and _number_literal(getattr(node, "value", None)):
                value = self.named_number(value, node)
            if isinstance(value, Number) and value.tensor is not None:
                self.reading.numbers.add(target.id)
            if (isinstance(value, Number) or isinstance(value, Sequence) and value.numbers) and pairing and not self.in_method:
                self.pair_numbers(target.id, value, node)
            if isinstance(value, Tensor) and value.kind == LEAF and not value.name:
                value.name = target.id
                self.reading.leaves.append((target.id, value))
            if isinstance(value, Tensor):
                self.reading.bindings.append((target.id, value, self.file_line(node.lineno)))
                value.bound = value.bound or target.id
            if isinstance(value, Tensor) and pairing:
                self.pair(target.id, value, node)
            if isinstance(value, GradOf):
                self.reading.gradients[self.file_line(node.lineno)] = (target.id, value)
            old = self.names.get(target.id)
            self.names[target.id] = value
            self.share(target.id, getattr(node, "value", None))
            taken = getattr(node, "value", None)
            if isinstance(taken, ast.BinOp) and isinstance(taken.op, ast.Sub) and isinstance(taken.left, ast.Name) and taken.left.id == target.id:
                self.step(target.id, old, value, taken.right, node)
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, Sequence) and len(value.items) == len(target.elts):
            if value.numbers and _number_literal(getattr(node, "value", None)):  # `x, y = 2.0, -1.0`
                value = self.named_number(value, node)
            for element, item in zip(target.elts, value.items):
                self.assign(element, item, ast.Pass(lineno=node.lineno, col_offset=node.col_offset), pairing=False)  # NOTE: no memory shared
            for element, item in zip(target.elts, value.items):  # NOTE: `dw, loss = grads(w)`: paired once the loss is bound too
                if isinstance(element, ast.Name) and isinstance(item, Tensor):
                    self.pair(element.id, item, node)
                elif isinstance(element, ast.Name) and isinstance(item, Number) and not self.in_method:
                    self.pair_numbers(element.id, self.names[element.id], node)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.not_read(node.lineno, "tuple unpacking")
            self.changed_unread(target, "tuple unpacking")
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and isinstance(self.names.get(target.value.id), Instance):
            self.set_attribute(self.names[target.value.id], target.attr, value)  # `self.x = x` in a layer's method
        elif isinstance(target, ast.Attribute) and target.attr == "grad" and self.scalar_set_grad(target, value, node):
            pass  # `x.grad = w.data * out.grad`: a scalar class's manual backprop
        elif isinstance(target, ast.Attribute) and target.attr in ("label", "_op") and self.scalar_of(self.expression(target.value)) is not None:
            pass  # a scalar class's bookkeeping: no number changes
        elif isinstance(target, ast.Attribute) and target.attr == "grad" and isinstance(value, Other) and value.what == "None":
            leaf = self.expression(target.value)
            if isinstance(leaf, Tensor):
                leaf.grad, leaf.grad_unknown = [], ""
        elif isinstance(target, ast.Attribute) and target.attr == "requires_grad":
            self.requires_grad(target.value, node)
        elif isinstance(target, ast.Attribute) and target.attr == "stop_gradient" and isinstance(value, Other) and value.what == "False":
            self.requires_grad(target.value, node)  # paddle: x.stop_gradient = False
        elif isinstance(target, ast.Subscript) and self.assign_item(target, value, node):
            pass
        else:
            self.not_read(node.lineno, f"an assignment to {ast.unparse(target)}")
            self.changed_unread(node, f"an assignment to {ast.unparse(target)}")

    def assign_item(self, target: ast.Subscript, value: Value, node: ast.stmt) -> bool:
        """``dx[x < 0] = 0``, ``y[0] = 5.0``: a number put where a mask the reader decides at the values (or a constant index)
        says, as a functional update (``y * keep + 5.0 * (1 - keep)``, ``keep`` a constant), the name rebound and what shares its
        memory made unknown; False where the key, the value or the tensor is not known (the statement is then listed)."""
        target = ast.Subscript(target.value, _BoundInts(self.names).visit(copy.deepcopy(target.slice)), target.ctx)  # J[:, j] in a loop over j
        if isinstance(value, GradOf):
            return self.assemble(target, value, node)
        owner = self.names.get(target.value.id) if isinstance(target.value, ast.Name) else None
        if not isinstance(owner, Tensor) or owner.kind != CONST or not isinstance(value, Number):
            return False  # NOTE: a tensor with a gradient keeps it listed: the mask, decided here, must not reach a formula claim
        shape = constant_array(owner.value) if owner.kind != COMPUTED else handwritten.known_value(owner)
        mask = self.mask(target.slice, shape) if shape is not None else None
        if mask is None:
            return False
        keep = Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno), value=f"tensor({np.where(mask, 0.0, 1.0).tolist()!r})",
                      dtype=owner.dtype)  # fmt: skip
        template = ast.BinOp(ast.BinOp(_ref(0), ast.Mult(), _ref(1)), ast.Add(), ast.BinOp(ast.Constant(float(value.value)), ast.Mult(),
                             ast.BinOp(ast.Constant(1.0), ast.Sub(), _ref(1))))  # fmt: skip
        updated = self.combine(template, [owner, keep], node)
        if isinstance(updated, Unknown):
            return False
        name = target.value.id
        self.invalidate(name, f"line {self.file_line(node.lineno)} changed {name} in place", keep=True)  # NOTE: its views change too
        updated.bound = updated.bound or name
        self.names[name] = updated
        return True

    def mask(self, key: ast.expr, value: np.ndarray) -> np.ndarray | None:
        """Where ``key`` selects in an array shaped as ``value``: a comparison of values the reader knows (``x < 0``), or a
        constant index or slice; None otherwise."""
        if isinstance(key, ast.Compare) and len(key.ops) == 1 and type(key.ops[0]) in COMPARISONS:
            sides = []
            for side in (key.left, key.comparators[0]):
                known = self.expression(side)
                if isinstance(known, Number):
                    sides.append(np.asarray(float(known.value)))
                elif isinstance(known, Tensor):
                    sides.append(constant_array(known.value) if known.kind != COMPUTED else handwritten.known_value(known))
                else:
                    return None
            if any(side is None for side in sides):
                return None
            try:
                chosen = np.asarray(COMPARISONS[type(key.ops[0])](*sides), dtype=bool)
                return np.broadcast_to(chosen, value.shape) if chosen.shape != value.shape else chosen
            except ValueError:
                return None
        index = constant_index(key)
        if index is None:
            return None
        chosen = np.zeros(value.shape, dtype=bool)
        try:
            chosen[index] = True
        except (IndexError, TypeError, ValueError):
            return None
        return chosen

    def pair(self, name: str, value: Tensor, node: ast.stmt) -> None:
        """A tensor bound to a name that reads as a derivative (``dW1``, ``dL_dw``): its pairing with the loss, recorded."""
        earlier = [hand for hand in self.reading.hand_gradients if hand.tensor is value]  # a function's dw, returned and bound again
        if any(hand.derivation is not None for hand in earlier):
            return
        paired = handwritten.pair(name, value, self.names, self.file_line(node.lineno), self.where(node.lineno))
        if paired is not None and paired.derivation is not None and leaves_of(value) and all(leaf.for_number for leaf in leaves_of(value)):
            # NOTE: plain numbers through the tutorial's own function (`sigmoid(z) * ...`): the value held is the claim, as of
            # plain arithmetic; paired only with a loss it names or the one loss in scope, never a guessed final output
            paired = replace(paired, held=True)
        if paired is not None and (paired.derivation is not None or not earlier):
            self.reading.hand_gradients[:] = [hand for hand in self.reading.hand_gradients if hand not in earlier]
            self.reading.hand_gradients.append(paired)

    def pair_numbers(self, name: str, value: Number | Sequence, node: ast.stmt) -> None:
        """A number bound to a name that reads as a derivative (``dfdx``, ``dq``): paired like a tensor, a list item by item
        with the list its name differentiates with respect to (``dx = [...]`` for ``x = [...]``); a value added up
        (``dx += ...``) replaces the part it was computed from."""
        named = handwritten.named_derivative(name, self.names)
        if named is None:
            return
        loss_name, wrt_name = named
        bound = {key: _traced(item) if isinstance(item, Number) else item for key, item in self.names.items()}
        wrt = self.names[wrt_name]
        line, where = self.file_line(node.lineno), self.where(node.lineno)
        if isinstance(value, Sequence) and isinstance(wrt, Sequence) and len(value.items) == len(wrt.items):
            pairs = [(f"{name}[{i}]", item, (loss_name, f"{wrt_name}[{i}]", _traced(of))) for i, (item, of) in enumerate(zip(value.items, wrt.items))]
        elif isinstance(value, Number) and isinstance(wrt, Number):
            pairs = [(name, value, (loss_name, wrt_name, bound[wrt_name]))]
        else:
            if isinstance(wrt, (Number, Sequence)) and (isinstance(value, Sequence) or isinstance(wrt, Sequence)):
                self.not_read(node.lineno, f"{name} reads as a hand-written gradient; not paired: it and {wrt_name} are not both numbers or lists as long")
            return
        hands = self.reading.hand_gradients
        for label, item, of in pairs:
            if not isinstance(item, Number) or item.tensor is None:
                continue
            parts = {id(ref) for ref in item.tensor.origin.refs} if item.tensor.origin is not None else set()  # `dx + ...` of `dx += ...`
            hands[:] = [hand for hand in hands if not (hand.held and hand.name == label and id(hand.tensor) in parts)]
            hands.append(handwritten.pair_with(label, item.tensor, bound, of, line, where, held=True))

    def augmented(self, node: ast.AugAssign) -> None:
        if not isinstance(node.target, ast.Name):
            self.not_read(node.lineno, f"an in-place update of {ast.unparse(node.target)}")
            self.changed_unread(node, f"an in-place update of {ast.unparse(node.target)}")
            return
        current = self.names.get(node.target.id)
        if self.scalar_of(current) is not None:  # `c += 1` on a scalar class's instance makes a new one (no __iadd__)
            self.assign(node.target, self.expression(ast.copy_location(ast.BinOp(ast.Name(node.target.id, ast.Load()), node.op, node.value), node)), node)
            return
        if isinstance(current, Tensor) and current.kind == LEAF:
            self.not_read(node.lineno, f"an in-place change of the leaf {node.target.id}")
            self.changed_unread(node, f"an in-place change of the leaf {node.target.id}")
            return
        combined = ast.BinOp(ast.Name(node.target.id, ast.Load()), node.op, node.value)
        ast.copy_location(combined, node)
        # NOTE: `x += 1` on an array or tensor changes it in place: what shares its memory changes too
        self.invalidate(node.target.id, f"line {self.file_line(node.lineno)} changed {node.target.id} in place", keep=True)
        self.names[node.target.id] = self.expression(combined)
        if isinstance(self.names[node.target.id], Number):
            self.pair_numbers(node.target.id, self.names[node.target.id], node)
        if isinstance(node.op, ast.Sub):
            self.step(node.target.id, current, self.names[node.target.id], node.value, node)

    def step(self, name: str, old: Value | None, new: Value, taken: ast.expr, node: ast.stmt) -> None:
        """``w = w - lr * dw`` or ``w -= lr * dw`` where dw is a hand-written gradient paired with this w: recorded, so that
        the new value printed is also a claim that dw was the loss's true gradient (lr a number, or dw alone)."""
        if not isinstance(old, Tensor) or not isinstance(new, Tensor):
            return
        if isinstance(taken, ast.Name):
            pairs = [(taken, None)]
        elif isinstance(taken, ast.BinOp) and isinstance(taken.op, ast.Mult):
            pairs = [(taken.left, taken.right), (taken.right, taken.left)]
        else:
            return
        for gradient, rate_node in pairs:
            rate = Number(1.0) if rate_node is None else self.expression(rate_node) if isinstance(rate_node, (ast.Name, ast.Constant)) else None
            if not isinstance(gradient, ast.Name) or not isinstance(rate, Number):
                continue
            value = self.names.get(gradient.id)
            hand = next((h for h in reversed(self.reading.hand_gradients) if h.tensor is value and h.of is old), None)
            if hand is None and isinstance(value, Tensor) and handwritten.STEPPED.match(gradient.id):  # `W -= lr * gradient`: the step says of what
                hand = handwritten.pair_with(gradient.id, value, self.names, (None, name, old), self.file_line(node.lineno), self.where(node.lineno))
                self.reading.hand_gradients.append(hand)
            if hand is not None:
                text = f"{name} - {ast.unparse(taken)}"
                self.reading.steps.append(handwritten.Step(name, new, hand, float(rate.value), self.file_line(node.lineno), text))
                return

    def with_(self, node: ast.With, last: bool) -> None:
        stops, opened = 0, []
        for item in node.items:
            manager = item.context_expr
            path = self.path(manager.func) if isinstance(manager, ast.Call) else None
            method = manager.func.attr if isinstance(manager, ast.Call) and isinstance(manager.func, ast.Attribute) else None
            if path in autodiff.TAPES:
                if isinstance(item.optional_vars, ast.Name):
                    explicit = any(k.arg == "watch_accessed_variables" and ast.unparse(k.value) == "False" for k in manager.keywords)
                    self.names[item.optional_vars.id] = Tape("tape", explicit)
                    opened.append(self.names[item.optional_vars.id])
            elif path in autodiff.NOT_RECORDING or (method == "stop_recording" and isinstance(self.expression(manager.func.value), Tape)):
                stops += 1
            elif path not in autodiff.RECORDING and not ast.unparse(manager).endswith("no_grad()"):
                self.unread_statement(node)
                return
            elif ast.unparse(manager).endswith("no_grad()"):
                stops += 1
        self.no_grad += stops
        self.recording += opened  # NOTE: a tape records only inside its block: a gradient taken after it is not on it
        try:
            for index, statement in enumerate(node.body):
                self.statement(statement, last and index == len(node.body) - 1)
        finally:
            self.no_grad -= stops
            del self.recording[len(self.recording) - len(opened) :]

    def requires_grad(self, node: ast.expr, statement: ast.stmt) -> Value:
        value = self.expression(node)
        if isinstance(value, Tensor) and value.kind == CONST:
            value.kind = LEAF
            if isinstance(node, ast.Name):
                value.name = value.name or node.id
                self.reading.leaves.append((node.id, value))
        elif isinstance(value, Tensor) and value.kind == COMPUTED:
            self.not_read(statement.lineno, "requires_grad set on a computed tensor")
        return value

    def expression_statement(self, node: ast.Expr, last: bool) -> None:
        self.statements_run += 1
        call = node.value
        if isinstance(call, ast.Constant) and isinstance(call.value, str):
            self.reading.strings.append((len(self.reading.shown) - 1, self.file_line(node.lineno), call.value))
            return
        if isinstance(call, ast.Call) and (isinstance(call.func, ast.Name) and call.func.id == "print" or self.path(call.func) == "tensorflow.print"):
            self.print_(call)  # NOTE: tf.print(x) shows a tensor's values as print(x.numpy()) does
            return
        if _shown_comparison(call):  # `x.grad == 4 * x` shown on its own: the writer shows that the two agree
            self.agreement(node, *compared(call), shown=True)
            return
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
            method, owner = call.func.attr, call.func.value
            if method == "backward":
                self.backward(owner, call)
                return
            if method in ("zero_", "data.zero_") and isinstance(owner, ast.Attribute) and owner.attr in ("grad", "data"):
                inner = owner.value.value if owner.attr == "data" and isinstance(owner.value, ast.Attribute) else owner.value
                leaf = self.expression(inner)
                if isinstance(leaf, Tensor):
                    leaf.grad, leaf.grad_unknown = [], ""
                return
            if method in ("clear_gradient", "clear_grad") and not call.args:  # Paddle's x.grad.zero_()
                leaf = self.expression(owner)
                if isinstance(leaf, Tensor):
                    leaf.grad, leaf.grad_unknown = [], ""
                    return
            if method == "retain_grad":
                value = self.expression(owner)
                if isinstance(value, Tensor) and value.kind == COMPUTED:
                    value.retained = True
                return
            if method in autodiff.ATTACH:
                value = self.requires_grad(owner, node)
                if method == "attach_grad" and isinstance(value, Tensor):  # NOTE: MXNet's grad_req='write': each backward() replaces .grad
                    value.grad_written = not any(k.arg == "grad_req" and ast.unparse(k.value) == "'add'" for k in call.keywords)
                return
            tape = self.expression(owner)
            if method == "watch" and isinstance(tape, Tape):
                for argument in call.args:  # tape.watch(x) or tape.watch([a, b])
                    for watched in argument.elts if isinstance(argument, (ast.List, ast.Tuple)) else [argument]:
                        tape.watched.append(self.requires_grad(watched, node))
                return
            if method == "reset" and isinstance(self.expression(owner), Tape):
                # NOTE: the tape forgets what it recorded; the reader's record is the whole program: the tape is unknown from here
                if isinstance(owner, ast.Name):
                    self.invalidate(owner.id, f"line {self.file_line(node.lineno)} reset the tape {owner.id} (tape.reset() is not followed)")
                return
            if self.seeds_torch(call):
                self.manual_seed(call)
                return
            if self.path(call.func) == "numpy.random.seed" and len(call.args) == 1:
                seed = call.args[0].value if isinstance(call.args[0], ast.Constant) else None
                self.numpy_seed, self.numpy_calls = (seed, []) if type(seed) is int and seed >= 0 else (None, [])
                return
        if isinstance(call, ast.Call) and compared(call) is not None and (dotted_name(call.func) or "").split(".")[-1].startswith("assert"):
            self.agreement(node, *compared(call))
            return
        if isinstance(call, ast.Call) and self.path(call.func) in autodiff.CHECKS:
            return  # gradcheck(F.apply, (x,)) only compares and changes nothing: F's rule is checked on its own, exactly
        value = self.expression(call)
        own = isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and isinstance(self.names.get(call.func.id), Function)
        immutable = isinstance(call, ast.Call) and (self.path(call.func) or "").startswith("jax.")  # NOTE: no jax function changes its arguments
        if isinstance(value, Unknown) and isinstance(call, ast.Call) and not own and not immutable:  # `theta.assign_sub(lr * g)` not followed
            self.changed_unread(node, f"a call of {ast.unparse(call.func)[:40]}")  # (the tutorial's own functions: what their body changes)
        if last:
            self.show(value, node, ast.unparse(call))
        elif isinstance(value, Unknown) and not value.tensor and not self.silent(call):
            self.may_print(node, f"a call of {ast.unparse(call)[:40]}")

    def print_(self, call: ast.Call) -> None:
        parts = print_parts(call)
        if parts is not None:
            self.print_template(call, parts)
            return
        for argument in call.args:
            if _shown_comparison(argument):  # `print(9*a**2 == a.grad)`: the writer shows that the two agree
                self.agreement(call, *compared(argument), shown=True)
                continue
            if isinstance(argument, ast.Call) and isinstance(argument.func, ast.Attribute) and argument.func.attr == "format":
                for inner in argument.args:  # '{0}'.format(x.grad): the tensors among the arguments are shown
                    self.show_formatted(self.expression(inner), call, ast.unparse(inner))
                continue
            if isinstance(argument, ast.JoinedStr):
                for part in argument.values:
                    if isinstance(part, ast.FormattedValue):
                        self.show_formatted(self.expression(part.value), call, ast.unparse(part.value), _fixed_decimals(part))
                continue
            if isinstance(argument, ast.BinOp) and isinstance(argument.op, ast.Mod) and isinstance(argument.left, ast.Constant):
                shown = argument.right.elts if isinstance(argument.right, ast.Tuple) else [argument.right]  # "%s" % x.grad
                for inner in shown:
                    value = self.expression(inner)
                    if isinstance(value, (Tensor, GradOf, Sequence)):
                        self.show(value, call, ast.unparse(inner))
                continue
            self.show(self.expression(argument), call, ast.unparse(argument))

    def print_template(self, call: ast.Call, parts: list) -> None:
        """A print of formatted text: each field shown in the order it prints, with the print's template, so that the
        output line gives each field its own text (`f'(3.0) = 6.0`: the point, then the gradient)."""
        shown = self.reading.shown[-1]
        first = len(shown)
        literals, fields = [""], []
        for part in parts:
            if isinstance(part, str):
                literals[-1] += part
                continue
            before = len(shown)
            label = ast.unparse(part.node)
            if part.style == "plain" and _shown_comparison(part.node):
                self.agreement(call, *compared(part.node), shown=True)
                value: Value = Other("a comparison")
            else:
                value = self.expression(part.node)
                if part.style == "plain":
                    self.show(value, call, label)
                else:
                    self.show_formatted(value, call, label, part.rounded)
            # NOTE: a number the code writes or loops over (not one it computes, which is a claim): the text it must print
            plain = isinstance(value, Number) and type(value.value) in (int, float) and (value.tensor is None or value.tensor.origin is None)
            exact = part.text_of(value.value) if plain else None
            shown[before:] = [replace(item, field=len(fields)) for item in shown[before:]]
            fields.append(Field(exact))
            literals.append("")
        template = Template(tuple(literals), tuple(fields))
        if len(shown) == first:  # text only: its line is still the print's, which no value of another print is on
            line = self.file_line(call.lineno)
            shown.append(Shown(Other("text"), line, self.where(call.lineno), ast.unparse(call)[:60], statement=self.statements_run))
        shown[first:] = [replace(item, template=template) for item in shown[first:]]

    def show_formatted(self, value: Value, node: ast.AST, label: str, rounded: int | None = None) -> None:
        """A value formatted into printed text: a tensor is shown; one the reader does not know (the grad of a non-leaf,
        a name not followed) may print numbers, so the values around it are not paired by order past it."""
        if isinstance(value, Sequence) and not value.shape and value.items and all(isinstance(item, (Tensor, GradOf)) for item in value.items):
            self.show(value, node, label)  # f"{vjp_fn(v)}": a tuple of gradients prints each in turn
        elif isinstance(value, (Tensor, GradOf)) or isinstance(value, Number) and (isinstance(value.value, float) or value.tensor is not None):
            # NOTE: a whole number (`Epoch {i}`) prints as one the output is not read for, unless computed from numbers
            # bound to names (hand-written backprop's)
            self.show(value, node, label, rounded, inline=True)
        elif isinstance(value, Unknown) or isinstance(value, Other) and value.what == "grad of a non-leaf":
            line = self.file_line(node.lineno)
            self.reading.shown[-1].append(Shown(Unknown(label), line, self.where(node.lineno), f"line {line}: {label}", opaque=True))

    def show(self, value: Value, node: ast.AST, label: str, rounded: int | None = None, inline: bool = False) -> None:
        if isinstance(value, Sequence) and value.shape:
            value = Other("shape")
        if isinstance(value, Sequence) and value.numbers:
            value = Other("a list")  # NOTE: printed as one list, not item by item
        if isinstance(value, Sequence) and value.keys and not all(isinstance(item, (Tensor, GradOf)) for item in value.items):
            value = Unknown("a dict")  # NOTE: how a dict of plain numbers prints is not read: the values around it are not paired past it
        if isinstance(value, Sequence):  # a tuple of gradients prints each in turn
            for index, item in enumerate(value.items):
                before = len(self.reading.shown[-1])
                self.show(item, node, f"{label}[{index}]")
                if len(self.reading.shown[-1]) == before + 1 and not isinstance(item, Sequence):
                    self.reading.shown[-1][-1] = replace(self.reading.shown[-1][-1], item=index)
            return
        place = (self.file_line(node.lineno), self.where(node.lineno))
        self.reading.shown[-1].append(Shown(value, *place, label, statement=self.statements_run, rounded=rounded, inline=inline))

    def seeds_torch(self, call: ast.Call) -> bool:
        """Whether the call is torch.manual_seed (under any import alias)."""
        return (self.path(call.func) or dotted_name(call.func)) in ("torch.manual_seed", "torch.random.manual_seed")

    def manual_seed(self, call: ast.Call) -> None:
        if len(call.args) == 1 and isinstance(call.args[0], ast.Constant) and type(call.args[0].value) is int:
            self.seed = call.args[0].value
            self.random_calls = []
        else:
            self.not_read(call.lineno, "a seed that is not a literal integer")

    def backward(self, owner: ast.expr, call: ast.Call) -> None:
        output = self.expression(owner)
        if not isinstance(output, Tensor) or not output.requires_grad:
            reason = output.reason if isinstance(output, Unknown) else "it does not require grad"
            self.not_read(call.lineno, f"{ast.unparse(owner)}.backward(): {reason}")
            self.gradients_unknown(self.file_line(call.lineno), f"{ast.unparse(owner)[:40]}.backward()")
            return
        scalar = self.scalar_of(output)
        if scalar is not None and not self.scalar_backward(output, scalar, owner, call):
            return
        grad_output = None
        argument = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "gradient"), None)
        if argument is not None:
            given = self.like(argument, output)
            if isinstance(given, Number):
                grad_output = repr(given.value)
            elif isinstance(given, Tensor) and given.kind == CONST:
                grad_output = given.value
            else:
                self.not_read(call.lineno, f"{ast.unparse(owner)}.backward(): the gradient handed to it is not a constant")
                self.gradients_unknown(self.file_line(call.lineno), f"{ast.unparse(owner)[:40]}.backward()")
                return
        name = ast.unparse(owner)
        derivation = Derivation(output, name, grad_output, self.file_line(call.lineno), self.where(call.lineno))
        derivation.leaves = leaves_of(output)
        self.reading.derivations.append(derivation)
        for tensor in [*derivation.leaves, *(t for t in computed_of([output]) if t.retained)]:
            tensor.grad = [derivation] if tensor.grad_written else [*tensor.grad, derivation]
        if scalar is not None:
            self.scalar_after_backward(output, derivation)

    # -- expressions ------------------------------------------------------------------------

    def expression(self, node: ast.expr) -> Value:
        handler: Callable[[ast.expr], Value] | None = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            return self.unknown(node, f"{_describe(node)}")
        return handler(node)

    def unknown(self, node: ast.AST, what: str) -> Unknown:
        self.not_read(getattr(node, "lineno", 1), what)
        return Unknown(what)

    def _Constant(self, node: ast.Constant) -> Value:
        if type(node.value) in (int, float):
            return Number(node.value)
        return Other(repr(node.value))

    def _Name(self, node: ast.Name) -> Value:
        if node.id in self.names:
            return self.names[node.id]
        if node.id in ("True", "False", "None"):
            return Other(node.id)
        return Unknown(f"'{node.id}' is not defined in the tutorial")

    def _UnaryOp(self, node: ast.UnaryOp) -> Value:
        operand = self.expression(node.operand)
        if self.scalar_of(operand) is not None and isinstance(node.op, ast.USub):
            return self.scalar_call(self.scalar_of(operand), "__neg__", operand, [], node)
        if isinstance(operand, Number) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operands, parts = _placeholders([_traced(operand)])
            return self.traced(-operand.value if isinstance(node.op, ast.USub) else operand.value, ast.UnaryOp(node.op, parts[0]), operands, node)
        if isinstance(operand, Tensor) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return self.combine(ast.UnaryOp(node.op, _ref(0)), [operand], node)
        return operand if isinstance(operand, Unknown) else self.unknown(node, f"the operator {type(node.op).__name__}")

    def _BinOp(self, node: ast.BinOp) -> Value:
        left, right = self.expression(node.left), self.expression(node.right)
        for side in (left, right):
            if isinstance(side, Unknown):
                return side
        if self.scalar_of(left) is not None or self.scalar_of(right) is not None:
            return self.scalar_operator(node.op, left, right, node)
        if isinstance(left, Number) and isinstance(right, Number) and type(node.op) in _BINARY:
            try:
                value = _BINARY[type(node.op)](left.value, right.value)
            except (ArithmeticError, ValueError):
                return self.unknown(node, "arithmetic on numbers that fails")
            operands, parts = _placeholders([_traced(left), _traced(right)])
            return self.traced(value, ast.BinOp(parts[0], node.op, parts[1]), operands, node)
        if isinstance(left, (Tensor, Number)) and isinstance(right, (Tensor, Number)):
            operands, parts = _placeholders([left, right])
            return self.combine(ast.BinOp(parts[0], node.op, parts[1]), operands, node)
        if _text(node):  # `"=" * 70`, `"-" * 20 + " step"`: a rule of text printed between values, no value itself
            return Other("text")
        return self.unknown(node, f"arithmetic on {_describe(node)}")

    def _Compare(self, node: ast.Compare) -> Value:
        """`x < 1.5` on a tensor: a mask the program compares per element (``torch.where(x < 1.5, ...)``)."""
        sides = [self.expression(side) for side in (node.left, *node.comparators)]
        unknown = next((side for side in sides if isinstance(side, Unknown)), None)
        if unknown is not None or len(node.ops) != 1 or type(node.ops[0]) not in COMPARISONS:
            return unknown or self.unknown(node, "a comparison")
        if not any(isinstance(side, Tensor) for side in sides) or not all(isinstance(side, (Tensor, Number)) for side in sides):
            return self.unknown(node, "a comparison")
        operands, parts = _placeholders(sides)
        return self.combine(ast.Compare(parts[0], node.ops, [parts[1]]), operands, node)

    def _Attribute(self, node: ast.Attribute) -> Value:
        owner = self.expression(node.value) if self.path(node) is None else None
        if self.scalar_of(owner) is not None:
            return self.scalar_attribute(owner, self.scalar_of(owner), node)
        if self.in_scalar_method and isinstance(owner, Number) and node.attr == self.scalar_stack[-1].data:
            return owner  # `other.data` of a number a scalar class's method wrapped (`Value(other)`)
        if node.attr == "grad":
            if isinstance(owner, Tensor) and owner.grad_unknown:
                return Unknown(owner.grad_unknown, tensor=True)
            if isinstance(owner, Tensor) and (owner.kind == LEAF or owner.retained):
                return GradOf(owner, tuple(owner.grad))
            return owner if isinstance(owner, Unknown) else Other("grad of a non-leaf")
        if self.path(node) is not None:
            path = self.path(node)
            named = _NAMED_NUMBERS.get(path.rsplit(".", 1)[-1]) if path.split(".")[0] in _NUMBER_LIBRARIES else None
            return Number(named) if named is not None else Other(path)
        if isinstance(owner, Unknown):
            return owner
        if isinstance(owner, Instance):
            return self.attribute_of(owner, node.attr, node)
        if node.attr == "data" and isinstance(owner, Tensor):
            return self.detached(owner, node)
        if node.attr == "shape" and isinstance(owner, Tensor):
            known = constant_array(owner.value) if owner.kind != COMPUTED else handwritten.known_value(owner)
            if known is not None:  # `N, D = x.shape`: whole numbers the code computes with
                return Sequence(tuple(Number(size) for size in known.shape), shape=True)
        if node.attr in ("T", "mT") and isinstance(owner, Tensor):
            return self.combine(ast.Attribute(_ref(0), node.attr, ast.Load()), [owner], node)
        if node.attr in _NOT_TENSOR_ATTRIBUTES or isinstance(owner, GradOf):
            return Other(node.attr)
        return self.unknown(node, f"the attribute .{node.attr}")

    def _Call(self, node: ast.Call) -> Value:
        path = self.path(node.func)
        if path is None:
            callee = self.names.get(node.func.id) if isinstance(node.func, ast.Name) else None
            if callee is None and not isinstance(node.func, (ast.Attribute, ast.Name)):
                callee = self.expression(node.func)  # grad(f)(x)
            if isinstance(callee, (Function, Transform, Tape, Pullback)):
                return self.call(callee, node)
            if isinstance(callee, ScalarClass):
                return self.scalar_new(callee, node)
            if isinstance(node.func, ast.Name) and node.func.id == "sum" and callee is None:
                added = self.scalar_sum(node)  # sum(counts) of a scalar class's instances
                if added is not None:
                    return added
            if isinstance(callee, Unknown):
                return callee
            if isinstance(node.func, ast.Attribute):
                return self.method(node)
            if isinstance(node.func, ast.Name) and node.func.id == "len" and len(node.args) == 1 and not node.keywords:
                shape = self.expression(ast.Attribute(node.args[0], "shape", ast.Load(), **_place(node)))
                if isinstance(shape, Sequence) and shape.items:  # len(y): the first dimension of a tensor the reader knows
                    return shape.items[0]
            if isinstance(node.func, ast.Name) and node.func.id in ("float", "int") and len(node.args) == 1:
                inner = self.expression(node.args[0])
                if isinstance(inner, Number) and node.func.id == "int":
                    return Number(int(inner.value)) if math.isfinite(inner.value) else Unknown("int() of an infinite number")
                return inner if isinstance(inner, (Number, Unknown)) else Other(node.func.id)
            if isinstance(node.func, ast.Name) and (node.func.id in _IGNORED_CALLS or node.func.id in ("print", "range", "str", "repr")):
                return Other(node.func.id)
            if isinstance(node.func, ast.Name) and node.func.id in ("open", "exec", "eval", "compile", "__import__"):
                return self.unknown(node, f"{node.func.id}() (file I/O and dynamic code are not read)")
            self.changed_unread(node, f"a call of {ast.unparse(node.func)[:40]}")
            return Unknown(f"a call of {ast.unparse(node.func)[:40]}")
        handled = self.framework_call(path, node)
        if handled is not None:
            return handled
        dotted = path
        short = dotted.split(".")[-1]
        if dotted == "jax.config.update":
            self.jax_config(node)
        if dotted in ("torch.device", "torch.cuda.is_available", "torch.set_printoptions", "torch.set_grad_enabled", "torch.set_default_dtype",
                      "numpy.set_printoptions", "jax.config.update", "paddle.seed", "mindspore.set_context"):  # fmt: skip
            return Other(dotted)  # settings, not values: `.to(device)` is read where it is used
        if dotted in ("Variable", "torch.autograd.Variable", "autograd.Variable", "nn.Parameter", "torch.nn.Parameter", "Parameter"):
            return self.variable(node, wants_grad=short == "Parameter")
        constructs = short in _CONSTRUCTORS or short in autodiff.DATA or short in _RANDOM
        if constructs and dotted.split(".")[0] in autodiff.LIBRARIES and (".random." not in dotted or dotted.startswith("numpy.random.")):
            return self.constructor(node, short)
        if dotted.startswith(("torch.optim", "torch.nn.Module", "torch.nn.Linear", "torch.load", "torch.save", "torch.utils", "tensorflow.keras",
                              "mxnet.gluon", "paddle.nn.Linear", "mindspore.nn")):  # fmt: skip
            self.changed_unread(node, dotted)
            return self.unknown(node, f"{dotted} (models, optimizers and I/O are not read)")
        if dotted.startswith("jax.random."):
            return self.jax_random(dotted, node)
        if dotted in _TF_RANDOM:  # NOTE: TensorFlow's draws are not reproduced here: unseeded, whatever its seed
            shape = self.shape_of(node.args[:1] or [k.value for k in node.keywords if k.arg == "shape"])
            if shape is None:
                return self.unknown(node, f"{dotted}() with a shape that is not literal")
            text = f"randn({', '.join([*shape, 'seed=0'])})"
            made = Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno), value=text if _TF_RANDOM[dotted] == "randn" else f"sigmoid({text})",
                          random="unseeded")  # fmt: skip
            return made
        if dotted in POSITIONAL_KEYWORDS:  # mindspore.ops.binary_cross_entropy_with_logits(x, t, weight, pos_weight)
            spelt, names = POSITIONAL_KEYWORDS[dotted]
            args, keywords = keywords_for(node.args, node.keywords, names)
            return self.function(ast.copy_location(ast.Call(node.func, args, keywords), node), spelt)
        spelt = spelling(dotted)
        if spelt is not None:
            return self.function(node, spelt)
        if dotted in ("open", "exec", "eval", "compile", "__import__"):
            return self.unknown(node, f"{dotted}() (file I/O and dynamic code are not read)")
        if dotted in ("float", "int") and len(node.args) == 1:
            inner = self.expression(node.args[0])
            return inner if isinstance(inner, (Number, Unknown)) else Other(dotted)
        if dotted.split(".")[0] in _IGNORED_CALLS:
            return Other(dotted)
        if not dotted.startswith("jax."):  # NOTE: JAX arrays are immutable: no jax function changes what it is handed
            self.changed_unread(node, f"a call of {dotted}")
        return Unknown(f"a call of {dotted}")

    def _List(self, node: ast.List | ast.Tuple) -> Value:
        items = tuple(self.expression(item) for item in node.elts)
        tensors = [item for item in items if not (isinstance(item, Other) and item.what in ("None", "grad of a non-leaf"))]
        if tensors and all(isinstance(item, (Tensor, GradOf, Sequence)) for item in tensors):
            return Sequence(items)  # `(x.grad, w.grad, y.grad)`: a non-leaf's grad is None among them, printed in its place
        if any(isinstance(item, Tensor) for item in items) and all(isinstance(item, (Tensor, Number)) for item in items):
            return Sequence(items)  # `cache = (xhat, gamma, eps)`: unpacked again later
        if items and all(isinstance(item, Number) for item in items):
            return Sequence(items, numbers=True)  # `w = [2, -3, -3]`, `dx = [w[0] * ddot, w[1] * ddot]`
        return Other("a list")

    def _Subscript(self, node: ast.Subscript) -> Value:
        owner = self.expression(node.value)
        if isinstance(owner, Sequence) and isinstance(node.slice, ast.Constant) and node.slice.value in owner.keys:
            return owner.items[owner.keys.index(node.slice.value)]  # grad['x'] of tape.gradient(z, {'x': x, 'y': y})
        position = node.slice.value if isinstance(node.slice, ast.Constant) and type(node.slice.value) is int else None
        if position is None and isinstance(owner, Sequence) and isinstance(node.slice, ast.Name):  # logits[dim], dim a loop's number
            index = self.expression(node.slice)
            position = index.value if isinstance(index, Number) and type(index.value) is int else None
        if isinstance(owner, Sequence) and position is not None and -len(owner.items) <= position < len(owner.items):
            return owner.items[position]
        if isinstance(owner, Unknown):
            return owner
        if isinstance(owner, Tensor):
            key = _literal_text(node.slice) if not isinstance(node.slice, ast.Slice) else None
            if key is not None or isinstance(node.slice, (ast.Slice, ast.Tuple)) and "Name" not in ast.dump(node.slice):
                return self.combine(ast.Subscript(_ref(0), node.slice, ast.Load()), [owner], node)
        return self.unknown(node, "indexing")

    def _Lambda(self, node: ast.Lambda) -> Value:
        definition = ast.FunctionDef("lambda_", node.args, [ast.Return(node.body, lineno=node.lineno, col_offset=node.col_offset)], [], None,
                                     lineno=node.lineno, col_offset=node.col_offset)  # fmt: skip
        definition.type_params = []
        return Function(definition, self.file_line(node.lineno))

    _Tuple = _List

    def _Dict(self, node: ast.Dict) -> Value:
        """``{'x': x, 'y': y}`` of tensors under string keys written out (the sources of ``tape.gradient``); a dict otherwise."""
        keys = tuple(key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None for key in node.keys)
        if not keys or None in keys or len(set(keys)) != len(keys):
            return self.unknown(node, "a dict")
        items = tuple(self.expression(value) for value in node.values)
        if not all(isinstance(item, (Tensor, Number)) for item in items):
            return next((item for item in items if isinstance(item, Unknown)), None) or self.unknown(node, "a dict of values that are not tensors")
        return Sequence(items, keys=keys)  # {'x': 2.0, 'y': 3.0}: numbers a transform differentiates at

    def _JoinedStr(self, node: ast.JoinedStr) -> Value:
        return Other("a string")

    # -- what calls make ---------------------------------------------------------------------

    def variable(self, node: ast.Call, wants_grad: bool) -> Value:
        if not node.args:
            return self.unknown(node, "Variable() without data")
        inner = self.expression(node.args[0])
        if not isinstance(inner, Tensor):
            return inner if isinstance(inner, Unknown) else self.unknown(node, "Variable() of something that is not a tensor")
        wants_grad = wants_grad or _keyword_true(node, "requires_grad")
        if not wants_grad:
            return inner
        if inner.kind != CONST:
            return self.unknown(node, "requires_grad on a computed tensor")
        return self.leaf_from(inner, node)

    def leaf_from(self, constant: Tensor, node: ast.AST) -> Tensor:
        return Tensor(LEAF, self.file_line(node.lineno), self.where(node.lineno), value=constant.value, dtype=constant.dtype,
                      device=constant.device, random=constant.random)  # fmt: skip

    def constructor(self, node: ast.Call, short: str) -> Value:
        dtypes = [arg for arg in node.args if ast.unparse(arg).split(".")[-1] in _DTYPES]  # Tensor(data, mindspore.float32)
        if dtypes or any(k.arg in ("initial_value", "data", "value") for k in node.keywords):
            node = ast.Call(node.func, [arg for arg in node.args if arg not in dtypes] + [k.value for k in node.keywords if k.arg in
                            ("initial_value", "data", "value")], [k for k in node.keywords if k.arg not in ("initial_value", "data", "value")],
                            lineno=node.lineno, col_offset=node.col_offset)  # fmt: skip
            node.keywords += [ast.keyword("dtype", arg) for arg in dtypes]
        numpy = (self.path(node.func) or "").startswith(("numpy.", "autograd.numpy."))  # numpy's arrays are float64 unless told otherwise
        written = next((ast.unparse(k.value).split(".")[-1] for k in node.keywords if k.arg == "dtype"), None)
        dtype = "float64" if (written in _FLOAT64 or (numpy and written is None)) else "float32"
        if short == "DoubleTensor":
            dtype = "float64"
        device = "cuda" if any(k.arg == "device" and "cuda" in ast.unparse(k.value) for k in node.keywords) else "cpu"
        if short in _RANDOM:
            made = self.random_tensor(node, short)
        elif short in autodiff.DATA:
            if len(node.args) != 1:
                return self.unknown(node, f"{short}() with a shape (uninitialised memory)")
            data = node.args[0]
            literal = _literal_text(data) or _truth_values(data)
            if literal is None:
                inner = self.expression(data)
                if not isinstance(inner, Tensor) or inner.kind != CONST:
                    return inner if isinstance(inner, Unknown) else self.unknown(node, f"{short}() of data that is not written out")
                if _makes_leaf(node):  # paddle.to_tensor(x, stop_gradient=False): a new leaf holding x's values
                    made = Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno), value=inner.value, random=inner.random)
                    dtype = dtype if written is not None else inner.dtype
                elif written is not None:  # Tensor(np_array, float32): cast
                    return Tensor(CONST, inner.line, inner.where, value=inner.value, dtype=dtype, device=device, random=inner.random)
                else:
                    return inner
            else:
                made = Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno), value=f"tensor({literal})")
        else:
            sized = [k.value for k in node.keywords if k.arg in ("shape", "size")]  # tf.ones(shape=(2, 2)), np.zeros(shape=3)
            shaped = self.shape_of(node.args) if short in ("ones", "zeros") and node.args and not node.keywords else None
            if sized and (short not in ("ones", "zeros") or node.args or self.shape_of(sized) is None):
                return self.unknown(node, f"{short}() with a shape the reader does not know")
            shaped = self.shape_of(sized) if sized else shaped
            positional = [*node.args, *(k.value for k in node.keywords if k.arg in _RANGE_KEYWORDS)]
            if short == "linspace" and numpy and len(positional) == 2:
                positional.append(ast.Constant(50))  # NOTE: numpy's num defaults to 50; torch asks for steps
            args = [f"({', '.join(shaped)},)"] if shaped is not None else [self.number_text(arg) for arg in positional]
            keywords = [k for k in node.keywords if k.arg == "fill_value"]
            if None in args:
                return self.unknown(node, f"{short}() with arguments that are not literal numbers")
            written = ", ".join([*args, *(f"fill_value={ast.unparse(k.value)}" for k in keywords)])
            made = Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno), value=f"{_CONSTRUCTORS[short]}({written})")
        if isinstance(made, Unknown):
            return made
        made.dtype, made.device = dtype, device
        return self.leaf_from(made, node) if _makes_leaf(node) else made

    def random_tensor(self, node: ast.Call, short: str) -> Tensor | Unknown:
        shape = self.shape_of(node.args)
        if shape is None:
            return self.unknown(node, f"{short}() with a shape that is not literal")
        dims = tuple(int(text) for text in shape)
        line, where = self.file_line(node.lineno), self.where(node.lineno)
        if math.prod(dims) > MAX_DRAWN:  # NOTE: the stream is kept: the draws after it are still reproduced
            self.random_calls.append((short, dims, ""))
            self.numpy_calls.append((short, dims))
            return self.unknown(node, too_many_drawn(dims))
        if self.path(node.func) in ("numpy.random.randn", "numpy.random.rand"):
            return self.numpy_random(node, short, shape, dims)
        if self.seed is None:
            # NOTE: unseeded: the derivation is still checked, at numpy's seeded normal values
            text = f"randn({', '.join([*shape, 'seed=0'])})" if short == "randn" else f"sigmoid(randn({', '.join([*shape, 'seed=0'])}))"
            return Tensor(CONST, line, where, value=text, random="unseeded")
        self.random_calls.append((short, dims, ""))
        from verifygrad.tutorials.seeded import reproduce

        values = reproduce(self.seed, [(kind, size) for kind, size, _ in self.random_calls])
        if values is None:
            self.not_read(node.lineno, f"torch.{short}() after torch.manual_seed({self.seed}): torch is not installed to reproduce it")
            return Tensor(CONST, line, where, value=f"randn({', '.join([*shape, f'seed={self.seed}'])})", random="unseeded")
        return Tensor(CONST, line, where, value=f"tensor({values})", random="seeded")

    def number_text(self, argument: ast.expr) -> str | None:
        """A literal, or arithmetic on numbers the reader knows (`2. * math.pi`, `-n`), written as a number; None otherwise."""
        literal = _literal_text(argument)
        if literal is not None or isinstance(argument, (ast.List, ast.Tuple)):
            return literal
        value = self.expression(argument)
        if not isinstance(value, Number) or not np.isfinite(value.value):
            return None
        return repr(value.value) if isinstance(value.value, int) else repr(float(value.value))  # NOTE: a count stays whole (200 + 1)

    def shape_of(self, arguments: list[ast.expr]) -> list[str] | None:
        """A shape written as numbers, a list or tuple of them (`randn([])`, `randn((2, 3))`) or names bound to whole numbers."""
        if len(arguments) == 1 and isinstance(arguments[0], (ast.List, ast.Tuple)):
            arguments = arguments[0].elts
        elif len(arguments) == 1 and isinstance(arguments[0], ast.Attribute) and arguments[0].attr == "shape":
            known = self.expression(arguments[0])  # np.ones(x.shape)
            return [repr(item.value) for item in known.items] if isinstance(known, Sequence) and known.shape else None
        shape = []
        for argument in arguments:
            value = self.expression(argument) if isinstance(argument, ast.Name) else None
            text = _literal_text(argument) if value is None else repr(value.value) if isinstance(value, Number) else None
            if text is None or not text.isdigit():
                return None
            shape.append(text)
        return shape

    def numpy_random(self, node: ast.Call, short: str, shape: list[str], dims: tuple[int, ...]) -> Tensor:
        """np.random.randn after np.random.seed(k): numpy's own legacy stream, reproduced exactly (no torch, no running)."""
        from verifygrad.tutorials.seeded import reproduce_numpy

        line, where = self.file_line(node.lineno), self.where(node.lineno)
        if self.numpy_seed is None:
            text = f"randn({', '.join([*shape, 'seed=0'])})" if short == "randn" else f"sigmoid(randn({', '.join([*shape, 'seed=0'])}))"
            return Tensor(CONST, line, where, value=text, random="unseeded", dtype="float64")
        self.numpy_calls.append((short, dims))
        return Tensor(CONST, line, where, value=f"tensor({reproduce_numpy(self.numpy_seed, self.numpy_calls)})", random="seeded", dtype="float64")

    def method(self, node: ast.Call) -> Value:
        assert isinstance(node.func, ast.Attribute)
        name = node.func.attr
        owner = self.expression(node.func.value)
        if isinstance(owner, Unknown):
            self.changed_unread(node, f"a call of {ast.unparse(node.func)[:40]}")
            return owner
        if isinstance(owner, Tape):
            return self.tape_request(owner, name, node)
        if isinstance(owner, Function):
            return self.function_method(owner, name, node)
        if isinstance(owner, Instance):
            return self.call_method(owner, name, node)
        if self.scalar_of(owner) is not None:
            return self.scalar_method(owner, self.scalar_of(owner), node)
        if isinstance(owner, GradOf):
            return owner if name in _IDENTITY_METHODS | _DETACHING | {"data"} else Other(f"grad.{name}()")
        if not isinstance(owner, Tensor):
            return Other(f".{name}()")
        if name in ("cuda", "to") and (name == "cuda" or any("cuda" in ast.unparse(a) or ast.unparse(a) == "device" for a in node.args)):
            return self.moved(owner, "cuda" if name == "cuda" or "cuda" in ast.unparse(node.args[0]) else "auto")
        if name in ("float", "double"):
            owner.dtype = "float64" if name == "double" else "float32"
            return owner
        if name == "requires_grad_":
            if owner.kind == CONST and not (node.args and ast.unparse(node.args[0]) == "False"):
                owner.kind = LEAF
            return owner
        if name in _IDENTITY_METHODS or name == "copy":
            return owner
        if name in _DETACHING:
            return self.detached(owner, node)
        if name in ("size", "dim", "numel", "is_leaf", "type"):
            return Other(name)
        if name.endswith("_"):
            self.changed_unread(node, f"the in-place method .{name}()")
            return self.unknown(node, f"the in-place method .{name}()")
        arguments, written = [], []  # written: a literal tuple or list argument as the code writes it (`x.reshape((3, 2))`)
        for arg in node.args:
            value = self.expression(arg) if not isinstance(arg, (ast.Tuple, ast.List)) or arg.elts else Sequence((), numbers=True)
            items = list(value.items) if isinstance(value, Sequence) and value.shape else [value]  # x.reshape(y.shape)
            arguments += items
            literal = isinstance(value, Sequence) and value.numbers and _literal_text(arg) is not None or value == Sequence((), numbers=True)
            written += [arg if literal else None for _ in items]
        operands, parts = _placeholders([owner, *(Number(0) if literal is not None else value for value, literal in zip(arguments, written))])
        parts[1:] = [literal if literal is not None else part for part, literal in zip(parts[1:], written)]
        operands = [operand for operand, literal in zip(operands, [None, *written]) if literal is None]
        for operand in operands[1:]:
            if isinstance(operand, Unknown):
                return operand
        if name == "dot" and len(operands) == 2 and _matrices(operands):  # NOTE: numpy's a.dot(b) of matrices is a @ b
            return self.combine(ast.BinOp(parts[0], ast.MatMult(), parts[1]), operands, node)
        call = ast.Call(ast.Attribute(parts[0], name, ast.Load()), parts[1:], [k for k in node.keywords if _literal_text(k.value) is not None])
        made = self.combine(call, operands, node)
        if any(written) and isinstance(made, Tensor) and made.kind == CONST and not made.unseeded and constant_array(made.value) is None:
            return self.unknown(node, f".{name}() of these arguments, which the reader cannot evaluate")  # x.reshape(()) of 3 elements
        return made

    def function(self, node: ast.Call, dotted: str) -> Value:
        if self.path(node.func) in ("tensorflow.cast", "tensorflow.dtypes.cast") and node.args:  # tf.cast(x, tf.float32)
            dtype = ast.unparse(node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "dtype"), node.args[0]))
            value = self.expression(node.args[0])
            if isinstance(value, Tensor) and dtype.rsplit(".", 1)[-1] in ("float32", "float64", "double"):
                return value  # NOTE: as x.to(torch.float32) is read: the same values, differentiable
        arguments = [self.expression(arg) for arg in node.args]
        if dotted.rpartition(".")[2] in ("stack", "concatenate", "hstack", "vstack") and len(node.args) == 1 and isinstance(node.args[0], ast.List):
            return self.stacked(node, dotted, arguments[0])  # jnp.stack([theta, theta]): the tensors listed, stacked
        if dotted.rpartition(".")[2] in ("stack", "vstack") and len(arguments) == 1 and isinstance(arguments[0], Sequence) and not node.keywords:
            rows = self.jacobian_of_rows(arguments[0], node)  # torch.stack([autograd.grad(f(x), x, v)[0] for v in eye(m)])
            if rows is not None:
                return rows
        if dotted.rpartition(".")[2] in ("vdot", "dot", "inner") and len(arguments) == 2 and any(isinstance(a, GradOf) for a in arguments):
            return self.directional(arguments, node)  # jnp.vdot(grad(loss)(W, b), u): the derivative along u
        for argument in arguments:
            if isinstance(argument, Unknown):
                return argument
            if isinstance(argument, (Other, GradOf)):  # NOTE: named as the tutorial spells it (tf.cast), not as the language does
                return self.unknown(node, f"{ast.unparse(node.func)[:80]}() of something that is not a tensor")
        if arguments and all(isinstance(a, Number) for a in arguments) and not node.keywords:  # math.exp(-x), x a named number
            operands, parts = _placeholders([_traced(a) for a in arguments])
            made = self.traced(0.0, ast.Call(dotted_node(dotted), parts, []), operands, node)
            value = constant_array(made.tensor.value) if made.tensor is not None else None
            if value is not None and value.size == 1:
                return Number(float(value.reshape(())), made.tensor)
            if made.tensor is None:  # jnp.cos(1.0) of numbers written out: the number it computes
                value = constant_array(ast.unparse(ast.Call(dotted_node(dotted), [ast.Constant(float(a.value)) for a in arguments], [])))
                if value is not None and value.size == 1 and np.isfinite(value).all():
                    return Number(float(value.reshape(())))
        if not any(isinstance(a, Tensor) for a in arguments):
            return self.unknown(node, f"{dotted}() of numbers")
        keywords = [k for k in node.keywords if k.arg is not None]
        tensors = [(k.arg, self.expression(k.value)) for k in keywords if _literal_text(k.value) is None and not isinstance(k.value, ast.Constant)]
        for name, value in tensors:  # weight=w: a tensor passed by keyword is an operand like the others
            if not isinstance(value, Tensor):
                return value if isinstance(value, Unknown) else self.unknown(node, f"{dotted}() with {name}= something that is not a tensor")
        operands, parts = _placeholders([*arguments, *(value for _, value in tensors)])
        if dotted in ("np.dot", "numpy.dot") and len(operands) == 2 and not keywords and _matrices(operands):  # np.dot(A, B) is A @ B
            return self.combine(ast.BinOp(parts[0], ast.MatMult(), parts[1]), operands, node)
        by_name = dict(zip((name for name, _ in tensors), parts[len(arguments) :]))
        written = [ast.keyword(k.arg, by_name[k.arg]) if k.arg in by_name else k for k in keywords]
        call = ast.Call(dotted_node(dotted), parts[: len(arguments)], written)
        return self.combine(call, operands, node)

    def stacked(self, node: ast.Call, dotted: str, listed: Value) -> Value:
        items = list(listed.items) if isinstance(listed, Sequence) and not listed.shape else []
        if not items or not all(isinstance(item, (Tensor, Number)) for item in items) or node.keywords:
            return next((item for item in items if isinstance(item, Unknown)), None) or self.unknown(node, f"{dotted}() of a list the reader cannot follow")
        if not any(isinstance(item, Tensor) for item in items):
            items[0] = Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno), value=repr(float(items[0].value)), dtype="float64")
        operands, parts = _placeholders(items)
        return self.combine(ast.Call(dotted_node(dotted), [ast.List(parts, ast.Load())], []), operands, node)

    def traced(self, value: float, template: ast.expr, operands: list[Tensor | Number], node: ast.AST) -> Number:
        """A number computed from numbers, with how it was computed where one of them was bound to a name (hand-written
        backprop on numbers); without, where that is too long to write out (a sum over a long loop)."""
        tensors = [operand for operand in operands if isinstance(operand, Tensor)]
        size = len(ast.unparse(template)) + sum(t.size or len(t.value) for t in tensors)
        if not tensors or size > limits.current().expr_chars:
            return Number(value)
        made = self.combine(template, operands, node)
        return Number(value, made if isinstance(made, Tensor) and made.kind == CONST else None)

    def named_number(self, value: Number | Sequence, node: ast.stmt) -> Number | Sequence:
        """A number (or list of numbers) written as a literal and bound to a name: a constant of its own, which what the
        code computes from it is traced back to (``q = x + y`` then ``dfdx = ...``: hand-written backprop on numbers)."""
        if isinstance(value, Sequence):
            return Sequence(tuple(self.named_number(item, node) for item in value.items))
        if value.tensor is not None or not math.isfinite(value.value):
            return value
        line, where = self.file_line(node.lineno), self.where(node.lineno)
        return Number(value.value, Tensor(CONST, line, where, value=repr(float(value.value)), dtype="float64"))

    def combine(self, template: ast.expr, operands: list[Tensor | Number], node: ast.AST) -> Tensor | Unknown:
        tensors = tuple(operand for operand in operands if isinstance(operand, Tensor))
        line, where = self.file_line(node.lineno), self.where(node.lineno)
        dtype = "float64" if any(t.dtype == "float64" for t in tensors) else "float32"
        device = "cuda" if any(t.device == "cuda" for t in tensors) else ("auto" if any(t.device == "auto" for t in tensors) else "cpu")
        size = len(ast.unparse(template)) + sum(t.size or len(t.value) for t in tensors)
        if size > limits.current().expr_chars:  # NOTE: `c = c + c` repeated doubles the text each time
            return self.unknown(node, f"an expression over {limits.current().expr_chars} characters long written out (--limit expr_chars=N)")
        made = Tensor(COMPUTED, line, where, tree=template, refs=tensors, dtype=dtype, device=device, size=size)
        made.random = "unseeded" if made.unseeded else ("seeded" if any(t.random for t in tensors) else "")
        if not made.requires_grad or self.no_grad:
            text = text_of(made) if made.unseeded else _folded(text_of(made))
            return Tensor(CONST, line, where, value=text, dtype=dtype, device=device, random=made.random, origin=made)
        return made

    def detached(self, tensor: Tensor, node: ast.AST) -> Tensor | Unknown:
        """detach(), .data, .numpy(): the same values as a constant, no gradient through it."""
        if tensor.kind == CONST:
            return tensor
        text = text_of(tensor)
        if any(step.defs for step in computed_of([tensor])) and not tensor.unseeded:  # stop_gradient(y(x)), y the tutorial's own:
            known = handwritten.known_value(tensor)  # NOTE: a constant cannot call y: its values written out instead
            if known is None or known.size > FOLD_CHARS or not np.all(np.isfinite(known)):
                return self.unknown(node, "a value of the tutorial's own function made constant, which the reader cannot evaluate")
            text = f"tensor({known.tolist()!r})"
        return Tensor(CONST, self.file_line(node.lineno), self.where(node.lineno), value=text, dtype=tensor.dtype,
                      device=tensor.device, random="unseeded" if tensor.unseeded else tensor.random)  # fmt: skip

    def moved(self, tensor: Tensor, device: str) -> Tensor:
        if tensor.kind == COMPUTED:
            moved = Tensor(COMPUTED, tensor.line, tensor.where, tree=tensor.tree, refs=tensor.refs, dtype=tensor.dtype, device=device)
            return moved
        tensor.device = device
        return tensor


_AGREEING = {"allclose", "array_equal", "equal", "assert_allclose", "assert_close", "assert_array_almost_equal", "assert_array_equal",
             "assert_almost_equal", "isclose"}  # fmt: skip


def _fixed_decimals(part: ast.FormattedValue) -> int | None:
    """The decimals a fixed-point format rounds a value to (`{x:.4f}`, `{x: .4f}`, `{x:>8.3f}`); None for any other."""
    spec = part.format_spec
    if not isinstance(spec, ast.JoinedStr) or not all(isinstance(piece, ast.Constant) for piece in spec.values):
        return None
    fixed = re.fullmatch(r"[^.{}]*\.(\d+)[fF]", "".join(str(piece.value) for piece in spec.values))
    return int(fixed.group(1)) if fixed else None


def _place(node: ast.AST) -> dict[str, int]:
    return {key: getattr(node, key, 0) for key in ("lineno", "col_offset", "end_lineno", "end_col_offset")}


def _folded(text: str) -> str:
    """A long constant's text as its values written out, where shorter: a loop's `w = w - lr * dw` would otherwise
    write every earlier step out again each time (twice where dw reads w), its text doubling with each pass."""
    if len(text) <= FOLD_CHARS:
        return text
    array = constant_array(text)
    if array is None or array.size > FOLD_CHARS or not np.all(np.isfinite(array)):
        return text
    literal = f"tensor({array.tolist()!r})"
    return literal if len(literal) < len(text) else text


class _BoundInts(ast.NodeTransformer):
    """Names bound to whole numbers (a loop's index) written as those numbers: the index they make is a constant one."""

    def __init__(self, names: dict):
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.expr:
        value = self.names.get(node.id)
        if isinstance(value, Number) and float(value.value).is_integer():
            return ast.Constant(int(value.value))
        return node


def _matrices(operands: list) -> bool:
    """Two tensors of one or two dimensions, one of them two (where numpy's dot is the matrix product), their values known."""
    dimensions = []
    for operand in operands:
        if not isinstance(operand, Tensor):
            return False
        value = constant_array(operand.value) if operand.kind != COMPUTED else handwritten.known_value(operand)
        if value is None:
            return False
        dimensions.append(value.ndim)
    return all(d in (1, 2) for d in dimensions) and 2 in dimensions


def _trains(node: ast.AST) -> bool:
    """Whether a loop steps an optimizer (`optimizer.step()`, `zero_grad()`)."""
    return any(isinstance(n, ast.Attribute) and n.attr in ("step", "zero_grad") for n in ast.walk(node))


class _Leave(Exception):  # noqa: N818 - control flow, not an error
    """A break (``stops``) or continue reached in an unrolled loop."""

    def __init__(self, stops: bool):
        super().__init__()
        self.stops = stops


def _unbound(node: ast.expr, names: dict) -> bool:
    """Whether an expression names something the code never bound (reading it would list it as not read twice)."""
    return any(isinstance(inner, ast.Name) and inner.id not in names for inner in ast.walk(node))


def _known(tensor: Tensor) -> np.ndarray | None:
    """A tensor's value where the reader knows it: a constant, or computed from constants (`loss` of a hand-written loop)."""
    return constant_array(tensor.value) if tensor.kind != COMPUTED else handwritten.known_value(tensor)


def _borderline(a: float, b: float) -> bool:
    """Whether two numbers compared are too close for a comparison of them to be decided by values computed in float64."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


class _Lost(Exception):  # noqa: N818 - control flow, not an error
    """A break or continue under a condition the reader cannot decide: whether the loop went on is not known."""

    def __init__(self, node: ast.stmt):
        super().__init__()
        self.node = node


def _leaves_plainly(body: list[ast.stmt], allowed: bool = True) -> bool:
    """Whether every break and continue of this loop (not of loops or functions inside it) sits under ifs and withs only
    (``allowed``), or (``allowed`` False) whether there is none."""
    pending = [(statement, True) for statement in body]
    while pending:
        node, plain = pending.pop()
        if isinstance(node, (ast.Break, ast.Continue)) and not (allowed and plain):
            return False
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        pending += [(child, plain and isinstance(node, (ast.If, ast.With))) for child in ast.iter_child_nodes(node)]
    return True


def _jumps(body: list[ast.stmt]) -> bool:
    """Whether a loop's body returns or yields, outside functions it defines."""
    pending = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(node))
    return False


def _binds_without_calls(node: ast.stmt) -> bool:
    """An assignment whose value calls nothing: where it raised, it raised before or in binding, and bound nothing."""
    value = getattr(node, "value", None)
    return isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and value is not None and not any(isinstance(part, ast.Call) for part in ast.walk(node))


def _unpacked_literal(node: ast.Assign) -> bool:
    """`a, b = 2.0, x * 3`: one tuple target and a tuple or list written out, of the same length, nothing starred."""
    if len(node.targets) != 1 or not isinstance(node.targets[0], (ast.Tuple, ast.List)) or not isinstance(node.value, (ast.Tuple, ast.List)):
        return False
    parts = [*node.targets[0].elts, *node.value.elts]
    return len(node.targets[0].elts) == len(node.value.elts) and not any(isinstance(part, ast.Starred) for part in parts)


def compared(test: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    """The two sides an assert says agree: `allclose(a, b)`, `assert_allclose(a, b)`, `a == b`, `(a == b).all()`, `all(a == b)`."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        return test.left, test.comparators[0]
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Lt, ast.LtE)):
        return _difference(test.left) if _small_number(test.comparators[0]) else None
    if not isinstance(test, ast.Call):
        return None
    name = test.func.attr if isinstance(test.func, ast.Attribute) else test.func.id if isinstance(test.func, ast.Name) else ""
    if name in _AGREEING and len(test.args) >= 2:
        return test.args[0], test.args[1]
    if name == "all" and isinstance(test.func, ast.Attribute) and not test.args:
        return compared(test.func.value)
    if name == "all" and len(test.args) == 1:
        return compared(test.args[0])
    return None


def _difference(node: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    """`abs(a - b)`, `np.abs(a - b).max()`, `np.max(np.abs(a - b))`, `np.linalg.norm(a - b)`: the two sides that differ."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "max" and not node.args:
        return _difference(node.func.value)  # np.abs(a - b).max()
    if not isinstance(node, ast.Call) or len(node.args) != 1 or node.keywords:
        return None
    name = (dotted_name(node.func) or "").split(".")[-1]
    if name in ("max", "amax"):
        return _difference(node.args[0])
    inner = node.args[0]
    if name in ("abs", "fabs", "absolute", "norm") and isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub):
        return inner.left, inner.right
    return None


def _small_number(node: ast.expr) -> bool:
    """A tolerance: a literal number between 0 and 0.01 (`1e-6`, `0.000001`)."""
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and 0 < node.value <= 0.01


def _shown_comparison(node: ast.expr) -> bool:
    """`a == b`, `torch.allclose(a, b)`, `(a == b).all()` as a statement of its own (not an `assert_*` call, read as one)."""
    if compared(node) is None:
        return False
    return not isinstance(node, ast.Call) or not (dotted_name(node.func) or "").split(".")[-1].startswith("assert")


def _ref(index: int) -> ast.Name:
    return ast.Name(f"_ref{index}", ast.Load())


def _number_literal(node: ast.expr | None) -> bool:
    """``-2``, ``1.5``, ``[2, -3, -3]``, ``(0.5, 1)``: numbers written out (a number the code computed otherwise is untraced)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _number_literal(node.operand)
    if isinstance(node, (ast.List, ast.Tuple)):
        return bool(node.elts) and all(_number_literal(item) for item in node.elts)
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _traced(number: Number) -> Tensor | Number:
    """A number as an operand: the constant that traces how it was computed, where it has one."""
    return number.tensor if number.tensor is not None else number


def _placeholders(values: list[Value]) -> tuple[list, list[ast.expr]]:
    """Operands and the expression parts that stand for them: tensors by placeholder, numbers written out."""
    operands, parts = [], []
    for value in values:
        if isinstance(value, Number):
            operands.append(value)
            parts.append(ast.Constant(value.value))
        else:
            parts.append(_ref(sum(isinstance(o, Tensor) for o in operands)))
            operands.append(value)
    return operands, parts


def _literal_text(node: ast.expr) -> str | None:
    """A literal number or nested list of numbers, written back; None for anything else."""
    try:
        value = ast.literal_eval(node)  # literals only: no names, no calls
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    if _numeric(value):
        return ast.unparse(node) if not isinstance(node, ast.Tuple) else repr(list(value))
    return None


def _truth_values(node: ast.expr) -> str | None:
    """``[True, True, False]``: booleans written out as array data (labels), as the numbers arithmetic makes of them; None otherwise."""
    try:
        value = ast.literal_eval(node)  # literals only: no names, no calls
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    flat = np.asarray(value, dtype=object).ravel() if isinstance(value, list) and value else []
    if not len(flat) or not all(isinstance(item, bool) for item in flat):
        return None
    return repr(np.asarray(value, dtype=np.float64).tolist())


def _text(node: ast.expr) -> bool:
    """Text made from string constants by + and * with whole numbers: ``"=" * 70``, ``"-" * 20 + " step"``."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) and _text(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        count = [side for side in (node.left, node.right) if isinstance(side, ast.Constant) and type(side.value) is int]
        return len(count) == 1 and any(_text(side) for side in (node.left, node.right))
    return False


def _numeric(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, (list, tuple)) and all(_numeric(item) for item in value)


def _makes_leaf(node: ast.Call) -> bool:
    """`requires_grad=True` (torch) or `stop_gradient=False` (Paddle, MindSpore) given to a constructor."""
    return _keyword_true(node, "requires_grad") or any(k.arg == "stop_gradient" and ast.unparse(k.value) == "False" for k in node.keywords)


def _keyword_true(node: ast.Call, name: str) -> bool:
    return any(k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords)


def _describe(node: ast.AST) -> str:
    return {
        "Subscript": "indexing", "Lambda": "a lambda", "ListComp": "a list comprehension", "DictComp": "a dict comprehension",
        "GeneratorExp": "a generator expression", "IfExp": "a conditional expression", "Compare": "a comparison",
        "BoolOp": "a boolean operation", "Dict": "a dict", "Set": "a set", "NamedExpr": "an assignment expression (:=)",
        "Await": "await", "Yield": "yield", "Starred": "a starred expression", "Slice": "a slice",
    }.get(type(node).__name__, type(node).__name__)  # fmt: skip


def _layer_class(node: ast.ClassDef) -> bool:
    """A plain class with ``forward(self, inputs...)`` and ``backward(self, dout)`` methods: a layer written from scratch."""
    if node.bases and not all(isinstance(base, ast.Name) and base.id == "object" for base in node.bases):
        return False
    methods = {item.name: item for item in node.body if isinstance(item, ast.FunctionDef)}
    return "forward" in methods and "backward" in methods and len(methods["backward"].args.args) == 2
