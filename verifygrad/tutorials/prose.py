"""Functions a tutorial defines in its math (`f(x) = x^2`, `g(x, y) = \\sin(xy)`, `\\phi(U) = 1/(1+e^{-U})`,
`L = (y - t)^2`) and the derivatives it states of them (`f'(x) = 2x`, `\\frac{\\partial g}{\\partial x} = y\\cos(xy)`,
`\\frac{\\partial^2 g}{\\partial x^2} = ...`, `f'(3) = 6`), and the values it states (`f(0) = 1/2`): formula and value
claims checked like a SymPy derivative's. Each statement is tied to the definition written last before it; where the
meaning of a symbol is not known (a function the text does not define, one defined through abstract functions
`g(h(x))`, a definition not read) the statement is listed with the reason, never guessed."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import numpy as np

from verifygrad.errors import excerpt
from verifygrad.language.parse import ExprError, Program
from verifygrad.language.statements import NeedsValues, compile_program
from verifygrad.tutorials.dependence import derivative_constant, derivative_depends
from verifygrad.tutorials.findings import APPROX, Findings, Found, chain_steps
from verifygrad.tutorials.interpret import Reading
from verifygrad.tutorials.mathtext import GRADIENT, GREEK, INDEX_LETTERS, Derivative, MathError, constant_text, names_in, read_chain, render, tokens
from verifygrad.tutorials.symbolic import Diff, derivation_of
from verifygrad.tutorials.values import COMPUTED, CONST, LEAF, Derivation, Tensor, text_of
from verifygrad.tutorials.worked import numbers_in, rounding_carried, rounding_of_arithmetic, substituted, value_of

# The functions the reader knows without a definition (`\sin'(x) = \cos(x)`), by the names the math reader gives them
_KNOWN = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid")
NEAR = 2  # lines: a number given to a symbol holds for the derivatives stated on its line and the next two
WRITTEN_OUT_LEVELS = 8  # names defined by formulas written out this deep (`E` of `out` of `net` of `w`...)
NEAR_DEFINITIONS = 30  # lines: a name defined again this near with nothing said of it is an exercise's list (which is meant?)
NEAR_ALTERNATIVE = 12  # lines: a derivative said to be the negative of what was said of it this near shows another convention
MAX_NODES = 500  # the parts of a definition written out; past it, it is listed as too long
_SCALARS = (0.45, 0.3, 0.75, 0.2, 0.6, 0.35)  # the values of the symbols of a sum's formula that are one number each


_AMBIGUOUS = "which one is meant is not known"


class _NotConcrete(Exception):
    """A side that is not a formula in known symbols (a derivative in it, a function not defined); the message says why."""


@dataclass
class Definition:
    name: str
    params: tuple[str, ...]  # the variables in order (`f(x, y)`); a name's definition (`L = ...`): its symbols
    node: object | None  # the formula; None where the definition is not usable
    line: int
    why: str = ""  # why it is not usable
    named: bool = False  # a name's definition (`z = x + 1`), not a function's
    tensor: Tensor | None = None  # the code's tensor, where the definition is the code's assignment
    latest: Definition | None = None  # a name defined twice (which is meant is not known): the later one, for claims on its line

    def symbols(self) -> tuple[str, ...]:
        """The variables first, then the other symbols the formula uses (constants such as `c` in `f(x) = cx`)."""
        others = sorted(names_in(self.node) - set(self.params)) if self.node is not None else []
        return (*self.params, *others)


def prose_claims(findings: Findings, reading: Reading) -> tuple[set[int], list[Derivation]]:
    """The claims of the math about functions it defines itself, in document order; returns the statements read here
    (by index in ``findings.math``, so that they are not read again as claims about the code) and their derivations."""
    code = frozenset(name for name, _, _ in reading.bindings) | frozenset(name for name, _ in reading.leaves)
    code_derivatives: dict[str, list[int]] = {}  # what the code differentiates (and by what, `∂x`), at which lines
    for d in reading.derivations:
        for name in {d.output_name, d.output.bound, *(f"∂{leaf.name}" for leaf in d.leaves)} - {"", None}:
            code_derivatives.setdefault(name, []).append(d.line)
    order = sorted((item[0], index) for index, item in enumerate(findings.math) if item[3] in ("LaTeX", "text"))
    functions, letters = _scan([findings.math[index][2] for _, index in order])
    reader = _Reader(findings, code, code_derivatives, functions, frozenset(letters) | code)
    reader.bindings = reading.bindings
    reader.code_derivations = reading.derivations
    for _, index in order:  # what the page differentiates each quantity by, anywhere on it
        try:
            sides, _ = read_chain(findings.math[index][2], reader.names, functions)
        except RecursionError:
            continue
        for side in sides:
            if isinstance(side, Derivative) and side.of:
                reader.depends.setdefault(side.of, set()).add(side.wrt)
    for _, index in order:
        line, where, text, source = findings.math[index]
        try:
            if reader.statement(line, where, text, source, index in findings.continued):
                reader.handled.add(index)
        except (RecursionError, TypeError, ValueError, IndexError, KeyError, AttributeError):
            continue  # NOTE: nested too deeply, or a gap in the reader: read (and listed) as a claim about the code, never a crash
    return reader.handled, reader.derivations


def _scan(texts: list[str]) -> tuple[frozenset[str], set[str]]:
    """The names applied as functions somewhere (`f(x, y) =` defines one, `f'` differentiates one), and the names the
    math uses: the letters written alone (so that `xy` in `\\sin(xy)` reads as x times y) and the words it defines
    (`cost = ...`, never read as c times o times s times t)."""
    functions: set[str] = set()
    letters: set[str] = set()
    for text in texts:
        items = tokens(text[:5_000])
        if "=" in items:
            letters.update(item for item in items if item.isalpha() and len(item) == 1 and item != "e")
            if len(items) > 1 and items[0].isalpha() and items[1] in ("=", "(") and (items[0] != "e" or _names_error(items)):
                letters.add(items[0])  # NOTE: e = lim (1 + 1/n)^n is Euler's; `e = \hat{y} - y` names an error
        subscript = -1  # the position of a subscript read as part of a name: not a name of its own
        for index, token in enumerate(items):
            name = token[1:] if token.startswith("\\") else token
            if not name.isalpha() or index == subscript:
                continue
            after = items[index + 1 : index + 2]
            named = GREEK.get(token, token)
            if after == ["_"] and index + 3 < len(items) and items[index + 2].isalnum() and items[index + 2] not in INDEX_LETTERS:
                named, after = f"{named}_{items[index + 2]}", items[index + 3 : index + 4]  # `P_3(x) =`, `f_c'`: one function's name
                subscript = index + 2
                index += 2
            if after and after[0] in ("'", "’", "′") and not token.startswith("\\"):
                functions.add(named)
            if after == ["("]:
                close = _params(items, index + 1)
                if close is not None and items[close + 1 : close + 2] == ["="]:
                    functions.add(named)
    return frozenset(functions), letters


def _names_error(items: list[str]) -> bool:
    """Whether `e = ...` defines a name (an error `e = \\hat{y} - y`), not Euler's number (`e = \\lim_n (1 + 1/n)^n`,
    `e = 2.718...`, `e = \\sum 1/n!`): a formula in other quantities, with no limit, series or factorial."""
    rest = items[2:]
    if items[1] != "=" or any(token in ("\\lim", "\\sum", "!", "\\approx") for token in rest):
        return False
    return any(token.isalpha() and token not in ("e", "n") or token in GREEK or token == "\\hat" for token in rest)


def _params(items: list[str], start: int) -> int | None:
    """The index of the `)` closing `(x, y)` at ``start`` where it holds plain names only; None otherwise."""
    index = start + 1
    while index < len(items) and index < start + 20:
        if items[index] == ")":
            return index if index > start + 1 else None
        if not (items[index].isalpha() or items[index] in (",", "_", "{", "}", "\\hat", "\\bar", "\\tilde") or items[index].isdigit()):
            return None
        index += 1
    return None


class _Reader:
    def __init__(self, findings: Findings, code: frozenset[str], code_derivatives: dict[str, list[int]], functions: frozenset[str],
                 names: frozenset[str]):  # fmt: skip
        self.findings = findings
        self.code = code
        self.code_derivatives = code_derivatives
        self.functions = functions
        self.names = names
        self.definitions: dict[str, Definition] = {}
        self.referenced: set[str] = set()  # the functions a statement has said something about since they were defined
        self.handled: set[int] = set()
        self.derivations: list[Derivation] = []
        self.defining = False  # whether the last statement was a definition (an align's rows after it restate it)
        self.values: dict[str, tuple[str, int]] = {}  # a symbol the text gives a number (`$x = 3$`), and the line
        self.worked: dict[str, str] = {}  # the number each symbol has in the page's worked example (`= 0.15 \\cdot 0.05`)
        self.formula: tuple[object, object] | None = None  # the last statement's head and its formula: an align's rows after
        self.evaluated: set[str] = set()  # the derivatives this align has written as a formula, whose rows of numbers follow
        self.continued = False
        self.said: dict[str, tuple[int, object]] = {}  # what the last claim about each derivative said it is, and where
        self.given: set[str] = set()  # the quantities the page gives a value of but never a formula for
        self.substituted: set[str] = set()  # the symbols the worked example put a number in the place of, in a formula
        self.depends: dict[str, set[str]] = {}  # what the page differentiates each quantity by, anywhere (∂E_{o2}/∂out_{h1})
        self.line = 0  # the statement being read
        self.source = ""  # where it is written: "LaTeX", or "text" (plain prose)
        self.bindings: list = []  # the code's assignments (name, tensor, line): a quantity the text differentiates may be one
        self.code_derivations: list[Derivation] = []  # the derivatives the code itself takes
        self.sides: list = []  # the statement's sides

    # -- one statement -------------------------------------------------------------------------------

    def statement(self, line: int, where: str, text: str, source: str, continued: bool = False) -> bool:
        """Reads one statement; True where it was about the prose's own functions (read here, not as code claims)."""
        self.line, self.source = line, source
        try:
            sides, signs = read_chain(text, self.names, self.functions)
        except RecursionError:
            return False
        if len(sides) < 2:
            return False
        where_text = (line, where, source, excerpt(" ".join(text.split()), 100))
        self.continued = continued
        if not continued:
            self.formula, self.evaluated = None, set()
        self._work(sides, signs)
        self.sides = sides
        references = [index for index, side in enumerate(sides) if self._reference(side)]
        if references:
            self.defining = False
            self._claims(sides, signs, references, where_text)
            return True
        if continued and self.defining:
            return True  # NOTE: the rows after a definition restate it (`H(y) &= ...` then `&= -y \log s^\top`): not a redefinition
        self.defining = self._define(sides, signs, line)
        return self.defining

    def _work(self, sides: list, signs: list[str]) -> None:
        """The numbers a worked example gives its symbols: a formula's symbols where a later side (or row) writes it with
        numbers in their places, and a name's value where a chain about it ends in one number (`out_{h1} = ... = 0.59`)."""
        head = sides[0]
        if any(sign != "=" for sign in signs) or head is None:
            return
        formulas = [side for side in sides[1:] if side is not None and not isinstance(side, Derivative) and names_in(side)]
        if formulas and (self.formula is None or self.formula[0] != head):
            self.formula = (head, formulas[-1])
        if self.formula is not None and self.formula[0] == head:
            for side in sides[1:]:
                self._substituted(substituted(self.formula[1], side))
        elif isinstance(head, tuple) and head[0] == "name" and head[2] is None:
            defined = self.definitions.get(head[1])  # NOTE: a table's row `z_1 = 0.2 \times 3`, its formula `z_1 = wx` rows above
            if defined is not None and defined.named and defined.node is not None:
                for side in sides[1:]:
                    found = substituted(defined.node, side)
                    self._substituted(found)
        value = value_of(sides[-1])
        if isinstance(head, tuple) and head[0] == "name" and head[2] is None and head[1] in self.worked and len(sides) == 2:
            defined = self.definitions.get(head[1])
            given = sides[1] is None or not isinstance(sides[1], Derivative) and not names_in(sides[1]) and not _applies(sides[1])
            if given and (defined is None or defined.node is None) and (value is None or not _close(value, self.worked[head[1]])):
                self.worked, self.substituted = {}, set()  # NOTE: an input given another number: a new worked example starts
        if value is not None and isinstance(head, tuple) and head[0] == "name" and head[2] is None:
            self.worked[head[1]] = value
            if not formulas and (self.formula is None or self.formula[0] != head):
                self.given.add(head[1])  # `out_{h2} = 0.596884378`: its value, not how it is computed

    def _substituted(self, found: dict[str, str] | None) -> None:
        self.worked.update(found or {})
        self.substituted.update(found or {})

    def _reference(self, side: object) -> bool:
        """Whether a side names a derivative or value of a function the prose defines (or a known one)."""
        if isinstance(side, Derivative) and side.wrt == GRADIENT:
            return side.of in self.definitions or side.of not in self.code  # `\nabla f(x) = [...]`: an entry per variable of f
        if isinstance(side, Derivative):  # NOTE: where the code differentiates by the same variable, the code's derivation is meant
            if side.of not in self.definitions:
                # NOTE: `∂y/∂w = x` of the code's `y = w * x`: a formula checked as one; a number, against the code's own
                # backward() of that y by w where there is one (at the code's values)
                chosen = self._code_definition(side.of, side.wrt) if not side.second else None
                if chosen is None:  # NOTE: a second derivative of the code's quantity is listed by the code's reader
                    return False
                tied = [d for d in self.code_derivations if d.output is chosen.tensor and any(leaf.name == side.wrt for leaf in d.leaves)]
                if not tied:
                    return True
                leaves = {leaf.name for d in tied for leaf in d.leaves}  # NOTE: a formula in the inputs: the code's backward() holds it
                if any(_formula_side(other) and not names_in(other) <= leaves for other in self.sides if other is not side):
                    return True
                if any(other is not None and not isinstance(other, Derivative) and _has(other, "list") for other in self.sides):
                    return False  # NOTE: a matrix of numbers is the code's gradient in its shape: the code's backward() holds it
                through = self._through(chosen, (side.wrt,))  # NOTE: `∂z/∂b = 1`, the same at any values: proven as a formula
                return not isinstance(through, str) and _constant_derivative(through, through.symbols(), (side.wrt,))
            since = self.definitions[side.of].line  # NOTE: the code's derivation is meant where it comes between the text's definition
            code = [line for key in (side.of, f"∂{side.wrt}") for line in self.code_derivatives.get(key, [])]  # and this statement
            if side.of in self.code and code and self.definitions[side.of].named:
                return False  # NOTE: `z = ...` of a name the code binds and differentiates: the text describes the code's derivation
            return not any(since <= line <= self.line for line in code) and not (code and all(line <= since for line in code))
        if _operator(side) is not None:
            return self._concrete(side[3])
        if isinstance(side, tuple) and side[0] == "fn":
            if side[2] == 0:
                return side[3] is not None and not names_in(side) and (side[1] in self.definitions)
            return True
        return False

    # -- definitions ---------------------------------------------------------------------------------

    def _define(self, sides: list, signs: list[str], line: int) -> bool:
        for index, side in enumerate(sides[:-1]):
            if signs[index] != "=":
                continue
            if isinstance(side, tuple) and side[0] == "fn" and side[2] == 0 and side[3] and _plain(side[3]):
                params = tuple(arg[1] for arg in side[3])
                earlier = self.definitions.get(side[1])
                body = sides[index + 1]
                if earlier is not None and earlier.node is not None and body is not None and not names_in(body) and not _has(body, "list"):
                    return False  # NOTE: `f(x,y) = -12` after `x = 4, y = -3`: the function's value there, not a new f
                definition = self._definition(side[1], params, sides[index + 1], line)
                if earlier is not None and earlier.node is not None and earlier.line == line and self.source == "text":
                    return True  # NOTE: the same definition found again on its line as plain text, cut short (`f(x) = x^` of `x^{2}`)
                if (earlier is not None and side[1] not in self.referenced and None not in (earlier.node, definition.node)
                        and earlier.params == definition.params and not _same_function(earlier, definition)):  # fmt: skip
                    # NOTE: `L(w, b) = ...` then `L(x) = ...`: a new function of other variables replaces it, nothing to confuse
                    # NOTE: an exercise's `a) f(w) = ...`, `b) f(w) = ...` and then its answers: which f an answer is about is not known
                    why = f"it is defined at line {earlier.line} and again at line {line}, with nothing said of the first: {_AMBIGUOUS}"
                    definition = Definition(side[1], params, None, line, why, latest=definition)
                self.definitions[side[1]] = definition
                if earlier is None or None in (earlier.node, definition.node) or not _same_function(earlier, definition):
                    self.referenced.discard(side[1])  # NOTE: the same definition read again (as math and as prose) keeps what was said of it
                head = sides[0]
                if index == 1 and signs[0] == "=" and isinstance(head, tuple) and head[0] == "name" and head[2] is None:
                    self._define([head, sides[2]], ["="], line)  # NOTE: `\hat{y} = f(x, w, b) = xw + b` names the value too
                return True
        head = sides[0]
        if isinstance(head, tuple) and head[0] == "name" and head[2] is None and signs[0] == "=" and not isinstance(sides[1], Derivative):
            body = sides[1]
            valued = body is not None and not names_in(body) and not _applies(body)
            linked = self._linked(body) if valued else None
            if linked is not None:  # NOTE: `a_1 = \sigma(0.5)` where z_1 was worked out to 0.5: a_1 = \sigma(z_1)
                body, valued = linked, False
            if valued:
                self._given(sides, signs, line)
            earlier = self.definitions.get(head[1])
            worked = valued and earlier is not None and earlier.named and earlier.node is not None
            if worked and (substituted(earlier.node, body) or self._at_point(earlier, body)):
                return False  # NOTE: `z_1 = 0.2 \times 3` after `z_1 = wx`: the worked example's numbers, not a new definition
            if valued:
                self.definitions.pop(head[1], None)  # given a value: no longer a function of anything
            if head[1] in self.code and (valued or body is None or not names_in(body)):
                return False  # NOTE: `x = 3` of the code's x is a claim about its value; `y = wx + b` defines it in the text
            if valued:
                if not _has(body, "list"):
                    self.values[head[1]] = (constant_text(body), line)
                return False
            if head[1] in self.definitions or (body is not None and names_in(body)):
                definition = self._definition(head[1], (), body, line)
                definition.named = True
                if definition.node is not None:
                    definition.params = tuple(sorted(names_in(definition.node)))
                if _indexed_name(head[1], self.code):
                    definition.node, definition.why = None, f"{head[1]} is an indexed quantity (its derivatives are a Jacobian's entries)"
                elif (earlier is not None and earlier.named and head[1] not in self.referenced and definition.node is not None
                      and line - earlier.line <= NEAR_DEFINITIONS):  # fmt: skip
                    # NOTE: an exercise's `a) y = (3x + 1)^2`, `b) y = \sigma(2x - 1)`, then its answers: which y is meant is not known
                    unknown = earlier.node is None and _AMBIGUOUS in earlier.why
                    if unknown or earlier.node is not None and not self._same_written_out(earlier, definition):
                        why = f"it is defined at line {earlier.line} and again at line {line}, with nothing said of the first: {_AMBIGUOUS}"
                        definition = Definition(head[1], definition.params, None, line, why, named=True, latest=definition)
                self.definitions[head[1]] = definition
                if earlier is None or None in (earlier.node, definition.node) or not _same_function(earlier, definition):
                    self.referenced.discard(head[1])
                return True
        return False

    def _same_written_out(self, first: Definition, second: Definition) -> bool:
        """Whether two definitions of a name are one quantity once the names they use are written out (`L = (\\hat{y} - y)^2`
        and, in steps, `L = e^2` with `e = \\hat{y} - y`)."""
        if _same_function(first, second):
            return True
        nodes = [self._written_out(d.node, set()) for d in (first, second)]
        return _same_function(*(Definition(d.name, tuple(sorted(names_in(node))), node, d.line) for d, node in zip((first, second), nodes)))

    def _at_point(self, definition: Definition, body: object) -> bool:
        """Whether a number given to a quantity the text defined by a formula is that formula's value at the worked example's
        numbers (`z = 1.0` after `z = z_1 + b`, with z_1 and b worked out), to the rounding the page carries; a number that
        is not (`y = 1`, a target given after an exercise's `y = (5 - \\sigma(x))^2`) makes it an input of its own."""
        from verifygrad.tutorials.constant import constant_array

        value = value_of(body)
        node = self._written_out(definition.node, set())
        if value is None or not names_in(node) or not all(self.worked.get(name) for name in names_in(node)):
            return False
        numbers = {name: ("num", self.worked[name]) if not self.worked[name].startswith("-") else ("neg", ("num", self.worked[name][1:]))
                   for name in names_in(node)}  # fmt: skip
        try:
            exact = constant_array(constant_text(_substitute(node, numbers)))
        except (MathError, _NotConcrete):
            return False
        if exact is None or exact.shape != ():
            return False
        rtol = max(rounding_carried([*self.worked.values(), value]), 1e-9)
        unit = 10.0 ** -len(value.partition(".")[2]) if "." in value else 0.0
        return bool(abs(float(exact) - float(value)) <= rtol * abs(float(exact)) + unit)

    def _linked(self, body: object) -> object | None:
        """A function of a number the worked example computed just before (`\\sigma(-0.1225)` after `z_2 = ... = -0.1225`):
        the function of that quantity; None where no argument is one quantity's worked value, or is several's."""
        changed = False

        def leaf(part: object) -> object | None:
            nonlocal changed
            if part[0] != "call" or value_of(part[2]) is None:
                return None
            value = value_of(part[2])
            owners = [name for name, worked in self.worked.items() if worked and _close(worked, value) and self._named(name) is not None]
            if len(owners) != 1 or "." not in value:
                return None
            changed = True
            return ("call", part[1], ("name", owners[0], None))

        try:
            linked = _map(body, leaf)
        except _NotConcrete:
            return None
        return linked if changed else None

    def _given(self, sides: list, signs: list[str], line: int) -> None:
        """`x = 4, y = -3`: each name given a number in a chain cut by commas, with its line."""
        for index in range(len(sides) - 1):
            name, body = sides[index], sides[index + 1]
            if index and signs[index - 1] not in (",", ";") or signs[index] != "=" or body is None or isinstance(body, Derivative):
                continue
            plain = isinstance(name, tuple) and name[0] == "name" and name[2] is None and name[1] not in self.code
            if plain and not names_in(body) and not _applies(body) and not _has(body, "list"):
                self.values[name[1]] = (constant_text(body), line)

    def _definition(self, name: str, params: tuple[str, ...], body: object | None, line: int) -> Definition:
        if body is None or isinstance(body, Derivative):
            return Definition(name, params, None, line, f"its definition at line {line} is not read")
        try:
            node = self._expand(body, name)
        except _NotConcrete as err:
            return Definition(name, params, None, line, f"it is defined at line {line} {err}")
        if name in names_in(node):
            return Definition(name, params, None, line, f"its definition at line {line} uses {name} itself")
        if _size(node) > MAX_NODES:  # NOTE: f2(x) = f1(f1(x)), f3(x) = f2(f2(x)), ...: written out, each doubles
            return Definition(name, params, None, line, f"its definition at line {line} is too long written out")
        return Definition(name, params, node, line)

    def _expand(self, node: object, name: str = "") -> object:
        """The node with each function the prose defines applied (`u(v(x))` written out); raises _NotConcrete."""

        def leaf(part: object) -> object | None:
            if isinstance(part, Derivative):
                raise _NotConcrete("through a derivative")
            if part[0] != "fn":
                return None
            if part[2] or part[3] is None:
                raise _NotConcrete(f"through {part[1]}{chr(39) * part[2]}, a derivative")
            definition = self.definitions.get(part[1])
            if definition is None and part[1] in _KNOWN and len(part[3]) == 1:
                return ("call", part[1], self._expand(part[3][0], name))
            if definition is not None and definition.node is None and definition.why:
                raise _NotConcrete(f"through {part[1]} (line {definition.line}), which is not known")
            if definition is None or definition.node is None:
                abstract = sorted({f[1] for f in _applied(node) if f[1] not in self.definitions or self.definitions[f[1]].node is None})
                raise _NotConcrete(f"through {', '.join(abstract)}, which the text does not define")
            if len(part[3]) != len(definition.params):
                raise _NotConcrete(f"through {part[1]} with {len(part[3])} arguments where it takes {len(definition.params)}")
            return _substitute(definition.node, {p: self._expand(a, name) for p, a in zip(definition.params, part[3])})

        return _map(node, leaf)

    # -- claims --------------------------------------------------------------------------------------

    def _claims(self, sides: list, signs: list[str], references: list[int], where_text: tuple) -> None:
        line, where, source, text = where_text
        runs = _runs(signs, len(sides))
        valued: list[list[int]] = []
        for index in references:
            side = sides[index]
            run = next(run for run in runs if index in run)
            others = [j for j in run if j != index and j not in references and sides[j] is not None]
            if isinstance(side, tuple) and side[0] == "fn" and side[2] == 0:
                if run not in valued:
                    valued.append(run)
                    self._values(sides, signs, run, where_text)
                continue
            if isinstance(side, Derivative) and side.wrt == GRADIENT:
                self.referenced.add(side.of)
                self._gradient(side, [(j, sides[j]) for j in others], signs, where_text)
                continue
            target = self._target(side)
            if others:  # NOTE: `\frac{df}{dw} = ___`, an exercise's blank, says nothing of f
                self.referenced.add(side.of if isinstance(side, Derivative) else side[1] if isinstance(side, tuple) and side[0] == "fn" else "")
            if isinstance(target, str):
                if others:
                    self._list(where_text, f"not checked: {target}")
                continue
            definition, wrt, rename, point = target
            claims = []
            for j in others:
                try:
                    claimed = self._expand(_substitute(sides[j], rename), definition.name)
                    claims.append((j, self._written_out(claimed, set(definition.symbols()))))  # `\cos(z)` where z = x + 1
                except _NotConcrete:
                    continue  # a step written with derivatives or abstract functions: notation on the way
            evaluated = any(names_in(claimed) for _, claimed in claims)  # a formula, then numbers: it was evaluated somewhere
            key = render_or(side) if isinstance(side, Derivative) else ""
            # NOTE: the chain rule written out (`= \\frac{∂E}{∂out} \\cdot \\frac{∂out}{∂net}`), then numbers: worked out too
            evaluated = evaluated or any(_chain_rule(sides[j]) for j in others)
            if evaluated:
                self.evaluated.add(key)
            evaluated = evaluated or self.continued and key in self.evaluated  # an align's rows of numbers after its formula
            for j, claimed in claims:
                approximate = any(sign in APPROX for sign in signs[:j])  # NOTE: what follows an ≈ equals an approximation
                earlier = self.said.get(key)
                named = {n for n in names_in(sides[j]) - set(wrt) if n in self.definitions and self.definitions[n].named}
                if named and earlier is not None and line - earlier[0] <= NEAR_ALTERNATIVE and _negatives(claimed, earlier[1]):
                    # NOTE: `= δ out_h1`, then `some sources write it = -δ out_h1`: a page cannot mean both, it shows another convention
                    self._list(where_text, f"not checked: the negative of what line {earlier[0]} says of the same derivative: another convention's")
                    continue
                self.said[key] = (line, claimed)
                self._claim(definition, wrt, point, claimed, approximate, where_text, evaluated)

    def _gradient(self, side: Derivative, others: list[tuple[int, object]], signs: list[str], where_text: tuple) -> None:
        """`\\nabla f(x) = [6x_1, 4x_2]^T`: each entry is the derivative of f by its variable in order (the function's
        variables, or the numbered ones its formula uses: x_1, x_2, ...); listed where the entries cannot be paired."""
        definition = self.definitions.get(side.of)
        if definition is None or definition.node is None:
            why = definition.why if definition is not None else f"{side.of} is not defined in the text before this line"
            self._list(where_text, f"not checked: {why}")
            return
        for j, claimed in others:
            if not isinstance(claimed, tuple) or claimed[0] != "list" or any(isinstance(item, tuple) and item[0] == "list" for item in claimed[1]):
                continue
            variables = _gradient_variables(definition, len(claimed[1]))
            if variables is None:
                self._list(where_text, f"not checked: which of the variables of {side.of} (line {definition.line}) each entry is, is not known")
                continue
            approximate = any(sign in APPROX for sign in signs[:j])
            for variable, item in zip(variables, claimed[1]):
                try:
                    written = self._written_out(self._expand(item, definition.name), set(definition.symbols()))
                except _NotConcrete:
                    continue
                self._claim(definition, (variable,), {}, written, approximate, where_text)

    def _target(self, side: object) -> tuple[Definition, tuple[str, ...], dict[str, object], dict[str, str]] | str:
        """What a derivative reference differentiates: the definition, the variables, the renaming of the variables the
        text writes (`f'(x_A)`: x_A is x), and the point where it is stated at one; or why it is not read."""
        operator = _operator(side)
        if operator is not None:  # `\frac{d}{dx}[x^2]`: the derivative of what is written after it
            node = self._expand(side[3])
            if node[0] == "list" and len(node) == 2 and len(node[1]) == 1:
                node = node[1][0]  # `\frac{d}{dx}[x^2]`: brackets, not a list
            others = tuple(sorted(names_in(node) - {operator.wrt}))
            if operator.wrt not in names_in(node):
                return f"what follows d/d{operator.wrt} does not depend on {operator.wrt}"
            return Definition(render_or(node), (operator.wrt, *others), node, 0), (operator.wrt,), {}, {}
        if isinstance(side, Derivative):
            name, primes, args = side.of, 0, None
        else:
            _, name, primes, args = side
        definition = self.definitions.get(name)
        if definition is None and isinstance(side, Derivative):
            definition = self._code_definition(name, side.wrt)
        if definition is None and name in _KNOWN:
            plain = args is not None and len(args) == 1 and args[0][0] == "name" and args[0][2] is None
            variable = args[0][1] if plain else "x"  # NOTE: `\sigma'(z_2)` is about z_2: the page's own x is another symbol
            definition = Definition(name, (variable,), ("call", name, ("name", variable, None)), 0)
        if definition is None:
            return f"{name} is not defined in the text before this line"
        if definition.node is None and definition.latest is not None and definition.latest.line == self.line:
            definition = definition.latest  # NOTE: `consider f(x) = ...; we find f'(x) = ...`: the f of the same sentence
        if definition.node is None:
            return f"{name} is not known here: {definition.why}"
        if isinstance(side, Derivative):
            variables = (side.wrt,) if not side.second else (side.wrt, side.second)
            variables = tuple(self._spelled(v) for v in variables)
            through = self._through(definition, variables)
            if isinstance(through, str):
                return through
            definition = through
            missing = [v for v in variables if v not in definition.symbols()]
            if missing:
                return f"{name} (defined at line {definition.line}) does not depend on {missing[0]}"
            point = dict(side.at)
            if any(v not in definition.params for v in point):
                return "a derivative stated at a point that does not name the function's variables"
            return definition, variables, {}, point
        if len(definition.params) != 1:
            return f"{name}{chr(39) * primes} of {name}, a function of {len(definition.params)} variables: which one is not said"
        if primes > 2:
            return f"a derivative of order {primes} (first and second derivatives are checked)"
        variable = definition.params[0]
        arg = args[0] if args else ("name", variable, None)
        if args is not None and len(args) != 1:
            return f"{name} takes one argument, {len(args)} are written"
        if arg[0] == "name" and arg[2] is None:
            return definition, (variable,) * primes, {arg[1]: ("name", variable, None)} if arg[1] != variable else {}, {}
        if names_in(arg):
            return f"{name}{chr(39) * primes} at {render_or(arg)}, an expression: not read"
        return definition, (variable,) * primes, {}, {variable: constant_text(arg)}

    def _spelled(self, name: str) -> str:
        """`w5` where the text calls it `w_5` everywhere else (a worked example's slip): that symbol; else the name."""
        other = re.sub(r"^([A-Za-z]+)(\d+)$", r"\1_\2", name)
        return other if other != name and other in self.worked and name not in self.worked else name

    def _written_out(self, node: object, keep: set[str]) -> object:
        """The node with the names the text defined by a formula (other than ``keep``) replaced by it, a few levels deep."""
        for _ in range(WRITTEN_OUT_LEVELS):
            named = {name: self._named(name).node for name in _plain_names(node) - keep if self._named(name) is not None}
            if not named:
                break
            node = _substitute(node, named, indexed=False)  # NOTE: y_i (a data point) is not the y = ax + b defined
        return node

    def _named(self, name: str) -> Definition | None:
        """The formula a name stands for: the text's definition by a formula; where the text gives none, the code's."""
        if name in self.definitions:
            definition = self.definitions[name]
            return definition if definition.named and definition.node is not None else None
        return self._code_definition(name) if self.bindings else None

    def _code_definition(self, name: str, wrt: str = "") -> Definition | None:
        """The code's assignment of ``name`` nearest the statement as a
        formula in the names the code gave its parts (`y = w * x`: w times x); None where the code does not bind it to
        arithmetic the math can write (a constant, a call of the tutorial's own function, a matrix product)."""
        names = {id(t): n for n, t, _ in self.bindings if n}
        bound = [(line, tensor) for bound_name, tensor, line in self.bindings if bound_name == name]
        if wrt:  # NOTE: `∂y/∂w` is about a y computed from w: an assignment of y that does not use w is another y
            bound = [(line, tensor) for line, tensor in bound if wrt in _reached(tensor, names)]
        if not bound:
            return None
        # NOTE: text explains the code beside it, before or after: the assignment nearest it (the earlier one on a tie)
        line, tensor = min(bound, key=lambda item: (abs(item[0] - self.line), item[0] > self.line))
        if tensor.kind != COMPUTED:
            return None
        node = code_formula(tensor, names)
        if node is None or not names_in(node) or name in names_in(node):
            return None
        return Definition(name, tuple(sorted(names_in(node))), node, line, named=True, tensor=tensor)

    def _through(self, definition: Definition, variables: tuple[str, ...]) -> Definition | str:
        """The definition in the variables differentiated by: as written where it names them; else with the names it
        uses that the text defined written out (`L = (y - t)^2`, `y = wx + b`: ∂L/∂w), where they name them."""
        named = {name: self._named(name) for name in _plain_names(definition.node) if self._named(name) is not None}
        if not named:
            return definition
        direct = [v for v in variables if v in definition.symbols()]
        node = self._written_out(definition.node, set(variables))  # NOTE: ∂E/∂out_h1 holds out_h1 as it is, not its formula
        if direct:
            hidden = [v for v in direct if any(v in names_in(self._written_out(named[name].node, set())) for name in named)]
            if hidden:  # NOTE: ∂/∂v with v written in the formula and inside a name it uses: which is held fixed is not said
                return f"{definition.name} depends on {hidden[0]} directly and through {', '.join(sorted(named))}"
            return definition
        if not all(v in names_in(node) for v in variables):
            return definition
        return Definition(definition.name, tuple(sorted(names_in(node))), node, definition.line, named=True)

    def _claim(self, definition: Definition, wrt: tuple[str, ...], point: dict[str, str], claimed: object, approximate: bool,
               where_text: tuple, evaluated: bool = False) -> None:  # fmt: skip
        line, where, source, text = where_text
        symbols = definition.symbols()
        used = names_in(claimed)
        extra = sorted(used - set(symbols))
        if extra:
            if claimed[0] != "name":  # a bare name is a name given to the derivative, not a claim about it
                self._list(where_text, f"not checked: it names {', '.join(extra)}, which {definition.name} (line {definition.line}) does not use")
            return
        if approximate:
            self._list(where_text, f"not checked: {render_or(claimed)} is written as approximate")
            return
        if point and (used or set(symbols) - set(point)):
            unknown = sorted(set(symbols) - set(point))
            why = f"{', '.join(unknown)} has no value at the point" if unknown else "a formula stated at a point"
            self._list(where_text, f"not checked: {why}")
            return
        stated = {s: self.values[s][0] for s in symbols if s in self.values and 0 <= line - self.values[s][1] <= NEAR}
        # NOTE: a number worked out (`= 0.2875 \times 3`, not `= 0`, which is an equation to solve) at the values just given
        evaluated = evaluated or not used and _nonzero(claimed)
        rtol = 0.0
        if not point and not used and evaluated and symbols and len(stated) == len(symbols):
            point = stated  # `with $x = 3$, $\frac{df}{dx} = 2x = 6$`: the numbers are the derivative at the values just given
        needed = _needed(definition, symbols, wrt) if not point and not used and evaluated and not stated else symbols
        # NOTE: the point differentiated at is where the worked example put numbers in the formulas; a value only said
        # somewhere (`$x = 2$` lines above) is not it
        if (not point and not used and evaluated and needed and all(s in self.worked for s in needed) and not stated
                and all(s not in self.given or s in self.substituted for s in wrt)):  # fmt: skip
            hidden = self._hidden(symbols, wrt)
            if hidden:
                self._list(where_text, f"not checked: {hidden}")
                return
            # a worked example: its derivative in numbers, at the page's numbers; the symbols it does not read, one number each
            point = {s: self.worked.get(s, str(_SCALARS[k % len(_SCALARS)])) if s not in needed else self.worked[s] for k, s in enumerate(symbols)}
            rtol = rounding_carried([*point.values(), *numbers_in(claimed)])
        if not point and not used and set(wrt) & names_in(definition.node) and not _constant_derivative(definition, symbols, wrt):
            # NOTE: `f'(x) = 0` of a function whose derivative depends on x is an equation to solve, not an identity
            self._list(where_text, f"not checked: {render_or(claimed)} for a derivative that depends on {wrt[0]} reads as an equation to solve")
            return
        try:
            expression, formula = render(definition.node), render(claimed)
        except MathError as err:
            self._list(where_text, f"not checked: {err}")
            return
        vectors = {s for s in symbols if _indexed_in(definition.node, s)} if _has(definition.node, "sum") else set(symbols)
        scalars = [s for s in symbols if s not in vectors]  # each its own value: equal ones would hide a swap of two
        values = {s: str(_SCALARS[k % len(_SCALARS)]) for k, s in enumerate(scalars)} | {s: f"tensor({v})" for s, v in point.items()}
        diff = Diff(expression, symbols, wrt)
        derivation = derivation_of(diff, line, where, values)
        leaf = next(leaf for leaf in derivation.leaves if leaf.name == wrt[0])
        second = next(leaf for leaf in derivation.leaves if leaf.name == wrt[-1])
        label = f"∂/∂{wrt[0]} {definition.name} (line {definition.line})"
        if point and not used and len(numbers_in(claimed)) > 1:  # `= 0.562 \cdot 0.438`: a hand step on numbers rounded earlier
            rtol = max(rtol, rounding_of_arithmetic(numbers_in(claimed)))
        found = Found("formula", line, where, source, text, leaf=leaf, derivations=(derivation,), formula=formula, label=label, rtol=rtol)
        if point:
            found.kind, found.formula, found.value_text = "grad", None, formula
        if len(wrt) == 2:
            if point:
                self._list(where_text, "not checked: a second derivative at a point (formulas are checked)")
                return
            spread = formula if used else f"{formula} + 0 * {leaf.name}"  # NOTE: d²x/dt² = 9.8 is 9.8 at each element of t
            found.kind, found.second, found.formula, derivation.quantity = "hessian_formula", second, f"diag({spread})", "hessian"
        elif not wrt:
            return
        self.derivations.append(derivation)
        self.findings.found.append(found)

    def _hidden(self, symbols: tuple[str, ...], wrt: tuple[str, ...]) -> str:
        """Why a worked example's derivative is not checked, or "": it goes through a quantity the page gives no formula for,
        which the page differentiates (anywhere) by the variable or by something computed from it (`E_{o2}`, whose
        formula is left out, differentiated by out_{h1}: ∂E_{total}/∂w_1 then has a part the reader cannot write)."""
        for name in symbols:
            known = self.definitions.get(name)
            if name in wrt or known is not None and known.node is not None:
                continue  # NOTE: a formula the text gives is written out already
            for through in sorted(self.depends.get(name, ())):
                definition = self.definitions.get(through)
                computed = definition is not None and definition.node is not None and any(v in names_in(self._written_out(definition.node, set())) for v in wrt)
                if through in wrt or computed:
                    return f"it goes through {name}, which the page gives no formula for and differentiates by {through}"
        return ""

    def _values(self, sides: list, signs: list[str], run: list[int], where_text: tuple) -> None:
        """`f(\\sqrt 2) = -1/2`: the function's values, arithmetic on numbers once its definition is applied."""
        line, where, source, _ = where_text
        written = []
        for j in run:
            try:
                written.append(self._expand(sides[j]) if sides[j] is not None else ("name", "?", None))
            except _NotConcrete:
                written.append(("name", "?", None))
        chain_steps(self.findings, written, [signs[j] for j in run[:-1]], line, where, source, always=True)

    def _concrete(self, side: object) -> bool:
        try:
            self._expand(side)
        except _NotConcrete:
            return False
        return True

    def _list(self, where_text: tuple, status: str) -> None:
        line, where, source, text = where_text
        if not any(f.line == line and f.text == text and f.status == status for f in self.findings.found):
            self.findings.found.append(Found("formula", line, where, source, text, status=status))


def _close(first: str, second: str) -> bool:
    try:
        return float(first) == float(second)
    except ValueError:
        return first == second


_ELEMENTWISE = {"exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "sqrt", "abs"}
_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_METHODS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def code_formula(tensor: Tensor, names: dict[int, str], depth: int = 0) -> object | None:
    """A tensor the code computed, as a math node in the names the code bound its parts to (a part it did not name written
    in place); None where it is not elementwise arithmetic and functions of it, with `sum`/`mean` of a known size."""
    if depth and id(tensor) in names:
        return ("name", names[id(tensor)], None)
    if tensor.kind == LEAF:
        return ("name", tensor.name, None) if tensor.name else None
    if tensor.kind == CONST:
        return ("num", tensor.value) if re.fullmatch(r"\d+(\.\d*)?", tensor.value) else None
    if depth > WRITTEN_OUT_LEVELS * 4 or tensor.tree is None:
        return None
    try:
        return _formula_of(tensor.tree, tensor.refs, names, depth)
    except (_NotConcrete, RecursionError):
        return None


def _gradient_variables(definition: Definition, count: int) -> tuple[str, ...] | None:
    """The variables a gradient of ``count`` entries is taken in: the function's own where it has that many, else the
    numbered symbols of one letter its formula uses (`x_1` ... `x_5` of f(x)), in the order of their numbers."""
    if len(definition.params) == count and all(p in names_in(definition.node) for p in definition.params):
        return definition.params
    numbered = [s for s in names_in(definition.node) if re.fullmatch(r"[A-Za-z]+_\d+", s)]
    if len(numbered) != count or len({s.partition("_")[0] for s in numbered}) != 1:
        return None
    return tuple(sorted(numbered, key=lambda s: int(s.partition("_")[2])))


def _formula_side(side: object) -> bool:
    """A side that is a formula in symbols (`x`, `2a`), not a number, a derivative or the chain rule written out."""
    return side is not None and not isinstance(side, Derivative) and not _chain_rule(side) and bool(names_in(side))


def _reached(tensor: Tensor, names: dict[int, str]) -> set[str]:
    """The names of the code's tensors a tensor is computed from (through any number of steps)."""
    found: set[str] = set()
    stack, seen = list(tensor.refs), set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        found |= {names[id(item)]} if id(item) in names else set()
        found |= {item.name} if item.kind == LEAF and item.name else set()
        stack.extend(item.refs)
    return found


def _formula_of(tree: ast.expr, refs: tuple, names: dict[int, str], depth: int) -> object:
    def part(node: ast.expr) -> object:
        if isinstance(node, ast.Name) and node.id.startswith("_ref") and node.id[4:].isdigit() and int(node.id[4:]) < len(refs):
            found = code_formula(refs[int(node.id[4:])], names, depth + 1)
            if found is None:
                raise _NotConcrete("a part the math cannot write")
            return found
        if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value >= 0:
            return ("num", repr(node.value))
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return ("bin", _ARITHMETIC[type(node.op)], part(node.left), part(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return ("neg", part(node.operand))
        if isinstance(node, ast.Call) and not node.keywords:
            function = node.func
            if isinstance(function, ast.Attribute) and function.attr in _METHODS and len(node.args) == 1:
                return ("bin", _METHODS[function.attr], part(function.value), part(node.args[0]))
            argument = function.value if isinstance(function, ast.Attribute) and not node.args else node.args[0] if len(node.args) == 1 else None
            called = function.attr if isinstance(function, ast.Attribute) else function.id if isinstance(function, ast.Name) else ""
            if argument is not None and called in _ELEMENTWISE and (isinstance(function, ast.Name) or not node.args):
                return ("call", called, part(argument))
            if argument is not None and called in ("sum", "mean") and (isinstance(function, ast.Name) or not node.args):
                return _reduced(called, argument, refs, part)
        raise _NotConcrete(ast.dump(node)[:40])

    return part(tree)


def _reduced(called: str, argument: ast.expr, refs: tuple, part) -> object:
    """`c.sum()`, `c.mean()`: the sum over the elements (each name in it one element, `c_i`), the mean that sum over the
    number of elements the code's value has (the derivative of each element's share is 1/n: n must be the code's)."""
    from verifygrad.tutorials.constant import constant_array

    inner = _map(part(argument), lambda node: ("name", node[1], "i") if node[0] == "name" and node[2] is None else None)
    if called == "sum":
        return ("sum", inner)
    tensor = Tensor(COMPUTED, 0, "", tree=argument, refs=refs)
    try:
        value = constant_array(text_of(tensor))
    except (KeyError, SyntaxError, ValueError):
        value = None
    if value is None or value.size == 0:
        raise _NotConcrete("a mean over a number of elements not known")
    return ("bin", "/", ("sum", inner), ("num", str(value.size)))


def _nonzero(node: object) -> bool:
    """Whether a side is arithmetic on numbers whose value is not zero."""
    from verifygrad.tutorials.constant import constant_array

    try:
        value = constant_array(constant_text(node))
    except (MathError, _NotConcrete):
        return False
    return value is not None and value.size > 0 and bool(np.all(np.isfinite(value))) and bool(np.any(value != 0))


def _indexed_name(name: str, code: frozenset[str]) -> bool:
    """`y_1` where the code has a `y`: an element of the code's vector. `out_o1`, `E_total`, `w_5` where it has none: a
    quantity of its own, the way a worked example by hand labels each neuron's value."""
    base, _, sub = name.partition("_")
    if sub in ("hat", "bar", "tilde"):
        return False  # NOTE: `\\hat{y}` is a quantity of its own beside the code's y, not an element of it
    return bool(sub) and (base in code or sub.isdigit() and len(base) > 1)


def render_or(node: object) -> str:
    try:
        return render(node)
    except MathError:
        return "it"


def _runs(signs: list[str], count: int) -> list[list[int]]:
    """The sides joined by `=` (or ≈): a chain is cut at any other relation (`<`, `\\to`)."""
    runs = [[0]]
    for index in range(1, count):
        if signs[index - 1] == "=" or signs[index - 1] in APPROX:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _operator(side: object) -> Derivative | None:
    """The `d/dx` of `\\frac{d}{dx}[x^2]` (an operator written before what it differentiates), or None."""
    if isinstance(side, tuple) and side[0] == "bin" and side[1] == "*" and isinstance(side[2], Derivative) and not side[2].of:
        return side[2] if not isinstance(side[3], Derivative) else None
    return None


def _plain(args: tuple) -> bool:
    names = [arg[1] for arg in args if isinstance(arg, tuple) and arg[0] == "name" and arg[2] is None]
    return len(names) == len(args) and len(set(names)) == len(names)


def _map(node: object, leaf) -> object:
    replaced = leaf(node)
    if replaced is not None:
        return replaced
    kind = node[0]
    if kind in ("num", "name"):
        return node
    if kind == "bin":
        return ("bin", node[1], _map(node[2], leaf), _map(node[3], leaf))
    if kind in ("neg", "sum"):
        return (kind, _map(node[1], leaf))
    if kind == "call":
        return ("call", node[1], _map(node[2], leaf))
    if kind == "list":
        return ("list", [_map(item, leaf) for item in node[1]], *node[2:])
    raise _NotConcrete(f"through {kind}")


def _substitute(node: object, values: dict[str, object], indexed: bool = True) -> object:
    """The node with names replaced (``indexed``: `x_i` too, by the name's base; else only `x` written plain)."""
    if not values:
        return node

    def leaf(part: object) -> object | None:
        if isinstance(part, Derivative):
            raise _NotConcrete("a derivative")
        if part[0] == "name" and part[1] in values and (indexed or part[2] is None):
            return values[part[1]]
        if part[0] == "fn" and part[3] is not None:
            return ("fn", part[1], part[2], tuple(_substitute(arg, values, indexed) for arg in part[3]))
        return None

    return _map(node, leaf)


def _same_function(first: Definition, second: Definition) -> bool:
    """Whether two definitions are one function written two ways (`x^r` and `e^{\\ln(x^r)}`, `1/x` and `x^{-1}`): the
    same variables, and equal values at a few points in (0, 1)."""
    from verifygrad.tutorials.constant import constant_array

    if first.node == second.node:
        return True
    if first.params != second.params or set(first.symbols()) != set(second.symbols()):
        return False
    for shift in (0.0, 0.17, 0.31):
        values = {name: ("num", repr(round(0.35 + shift + 0.07 * index, 4))) for index, name in enumerate(first.symbols())}
        try:
            a, b = (constant_array(constant_text(_substitute(d.node, values))) for d in (first, second))
        except (MathError, _NotConcrete):
            return False
        if a is None or b is None or a.shape != b.shape or not np.all(np.isfinite(a)) or not np.allclose(a, b, rtol=1e-9, atol=1e-12):
            return False
    return True


def _chain_rule(node: object) -> bool:
    """Whether a side is derivatives multiplied or added (`\\frac{∂E}{∂out} \\cdot \\frac{∂out}{∂net}`), the chain rule."""
    if isinstance(node, Derivative):
        return False
    parts = [node]
    while parts:
        part = parts.pop()
        if isinstance(part, tuple) and part[0] == "bin" and part[1] in "*+":
            if any(isinstance(p, Derivative) for p in part[2:]):
                return True
            parts += list(part[2:])
    return False


def _negatives(first: object, second: object) -> bool:
    """Whether two formulas are each other's negative (and not zero), at a few points in (0, 1)."""
    from verifygrad.tutorials.constant import constant_array

    symbols = sorted(names_in(first) | names_in(second))
    for shift in (0.0, 0.17):
        values = {name: ("num", repr(round(0.35 + shift + 0.07 * index, 4))) for index, name in enumerate(symbols)}
        try:
            a, b = (constant_array(constant_text(_substitute(node, values))) for node in (first, second))
        except (MathError, _NotConcrete):
            return False
        if a is None or b is None or a.shape != b.shape or not np.all(np.isfinite(a)) or np.allclose(a, 0.0):
            return False
        if not np.allclose(a, -b, rtol=1e-9, atol=1e-12):
            return False
    return True


def _size(node: object) -> int:
    count = 0
    for _ in _walk(node):
        count += 1
        if count > MAX_NODES:
            break
    return count


def _plain_names(node: object) -> set[str]:
    """The names written without an index (`y`, not `y_i`)."""
    return {part[1] for part in _walk(node) if part[0] == "name" and part[2] is None}


def _walk(node: object):
    if isinstance(node, Derivative) or not isinstance(node, tuple):
        return
    yield node
    children = node[1] if node[0] == "list" else node[3] if node[0] == "fn" and node[3] else node[1:]
    for child in children or ():
        if isinstance(child, tuple):
            yield from _walk(child)


def _applied(node: object) -> list[tuple]:
    return [part for part in _walk(node) if part[0] == "fn"]


def _applies(node: object) -> bool:
    return isinstance(node, Derivative) or bool(_applied(node))


def _has(node: object, kind: str) -> bool:
    return any(part[0] == kind for part in _walk(node))


def _indexed_in(node: object, name: str) -> bool:
    """Whether the name is written with an index in the formula (`x_i`, `y_{qj}`): a vector's element; a name without
    one (`a` in `\\sum_i (a x_i - y_i)^2`) is one number."""
    return any(part[0] == "name" and part[1] == name and (part[2] is not None or "_" in name) for part in _walk(node))


def _program(definition: Definition, symbols: tuple[str, ...]) -> Program | None:
    """The definition compiled as a program of its symbols; None where the language cannot write it."""
    try:
        return compile_program(f"{render(definition.node)}\n", list(symbols))
    except (MathError, ExprError, NeedsValues):
        return None


def _needed(definition: Definition, symbols: tuple[str, ...], wrt: tuple[str, ...]) -> tuple[str, ...]:
    """The symbols whose values the derivative depends on (∂E/∂ŷ_1 of `½(t_1 - ŷ_1)² + ½(t_2 - ŷ_2)²` needs t_1 and ŷ_1
    only): the variables, and each other symbol the derivative reads; all of them where that cannot be decided."""
    program = _program(definition, symbols) if len(wrt) == 1 else None
    if program is None:
        return symbols
    return tuple(s for s in symbols if s in wrt or derivative_depends(program, wrt[0], {s}))


def _constant_derivative(definition: Definition, symbols: tuple[str, ...], wrt: tuple[str, ...]) -> bool:
    """Whether the derivative is the same wherever it is taken (`f(x, y) = x + y`: ∂f/∂x = 1 is an identity, not an equation
    to solve): no VJP on the way from the variable to the value reads any symbol's value (decided from the program's nodes)."""
    program = _program(definition, symbols)
    return program is not None and derivative_constant(program, wrt, dict.fromkeys(symbols, ()))
