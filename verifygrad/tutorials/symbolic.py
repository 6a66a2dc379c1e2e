"""SymPy in a tutorial: a derivative `diff` computes and the page prints (or a comment states) is a formula claim
about the expression differentiated. The code and the printed formula are read with `ast` into the expression
language by one allowlist; nothing is sympified, evaluated or run."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

from verifygrad.errors import excerpt
from verifygrad.tutorials.blocks import Block
from verifygrad.tutorials.findings import Found
from verifygrad.tutorials.values import COMPUTED, LEAF, Derivation, Tensor

# SymPy's functions by the expression language's names; `cot`, `sec`, `csc` are reciprocals of one.
_FUNCTIONS = {name: name for name in ("sin", "cos", "tan", "exp", "log", "sqrt", "sinh", "cosh", "tanh", "asin", "acos", "atan", "asinh",
                                      "acosh", "atanh", "erf", "sign")} | {"Abs": "abs", "ln": "log"}  # fmt: skip
_RECIPROCALS = {"cot": "tan", "sec": "cos", "csc": "sin"}
_CONSTANTS = {"pi": "pi", "E": "e"}
_SAME_VALUE = {"simplify", "expand", "factor", "together", "cancel", "trigsimp", "powsimp", "radsimp", "collect", "nsimplify"}
# Assumptions that the points a derivative is checked at (in (0, 1)) meet; a symbol with another one is not read.
_MET = {"real", "positive", "nonnegative", "nonzero", "finite", "complex", "extended_real", "commutative", "extended_positive"}
_POINTS = ((0.35, 0.6, 0.85), (0.45, 0.7, 0.25), (0.55, 0.3, 0.75), (0.65, 0.4, 0.2), (0.25, 0.8, 0.5), (0.75, 0.15, 0.4))
_LABEL_WORDS = re.compile(r"^\s*(?:(?:always\s+)?(?:prints?|returns?|gives?|output:?|result:?|=>|->|→|==?)\s*)+", re.I)
MAX_FORMULA = 2_000  # characters of a printed formula read; longer ones are listed


class NotRead(Exception):
    """SymPy code or output outside what is read; the message says what."""


@dataclass(frozen=True)
class Diff:
    """`diff(expr, x)`: the expression differentiated, in the language with the symbols' names, and the order taken."""

    expression: str
    symbols: tuple[str, ...]
    wrt: tuple[str, ...]


@dataclass
class Display:
    """A statement that shows a SymPy value: a print (with the label written before it) or a block's last expression."""

    line: int
    where: str
    text: str
    value: Diff | str  # a derivative, or why what it shows is no claim read here ("" for a SymPy value that is no derivative)
    prefix: str = ""  # the literal text printed before the value
    pretty: bool = False  # `pprint`: drawn in 2-D


@dataclass
class Symbolic:
    """What the SymPy code of a tutorial shows, block by block, and the claims it makes."""

    modules: set[str] = field(default_factory=set)
    imported: dict[str, str] = field(default_factory=dict)  # a Python name -> the SymPy name it was imported as
    star: bool = False
    symbols: dict[str, str] = field(default_factory=dict)  # a Python name -> its symbol's name
    odd: set[str] = field(default_factory=set)  # symbols with an assumption the points do not meet
    values: dict[str, Diff | str] = field(default_factory=dict)  # a Python name -> a SymPy expression's text or a derivative
    derivations: list[Derivation] = field(default_factory=list)
    stated: dict[int, Display] = field(default_factory=dict)  # a statement's last line (in the block) -> the derivative it computes

    def read_block(self, block: Block, source: str) -> tuple[list[Display], list[Found], bool]:
        """The SymPy values the block shows, the claims its comments make about derivatives on their lines
        (`d = diff(x**2, x)  # 2*x`), and whether every statement was read here (only then are the block's printed
        outputs tied to the displays)."""
        try:
            body = ast.parse(source).body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return [], [], False
        displays: list[Display] = []
        self.stated = {}
        whole = True
        for index, statement in enumerate(body):
            try:
                whole &= self._statement(statement, index == len(body) - 1, block, displays)
            except RecursionError:
                whole = False
        return displays, self._commented(source, block), whole and bool(displays)

    # -- statements ---------------------------------------------------------------------------------

    def _statement(self, node: ast.stmt, last: bool, block: Block, displays: list[Display]) -> bool:
        """Reads one top-level statement; False where it may print what is not read here."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sympy":
                    self.modules.add(alias.asname or "sympy")
            return True
        if isinstance(node, ast.ImportFrom):
            if node.module == "sympy" or (node.module or "").startswith("sympy."):
                for alias in node.names:
                    if alias.name == "*":
                        self.star = True
                    else:
                        self.imported[alias.asname or alias.name] = alias.name
            return True
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            return self._assign(node.targets[0], node.value, block)
        if isinstance(node, ast.Expr):
            call = node.value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print":
                return self._print(call, block, displays)
            if isinstance(call, ast.Call) and self._sympy_name(call.func) in ("pprint", "init_printing", "init_session"):
                if self._sympy_name(call.func) == "pprint" and len(call.args) == 1:
                    displays.append(self._display(call.args[0], block, "", pretty=True))
                return True
            if last and self._is_sympy(call):
                displays.append(self._display(call, block, ""))
                self.stated[call.end_lineno or call.lineno] = displays[-1]
                return True
            self._forget(node)
            return False
        self._forget(node)
        return False

    def _assign(self, target: ast.expr, value: ast.expr, block: Block) -> bool:
        if isinstance(value, ast.Call) and self._sympy_name(value.func) in ("symbols", "Symbol", "var"):
            return self._symbols(target, value)
        for name in _bound(target):
            self.symbols.pop(name, None)
            self.values.pop(name, None)
        if isinstance(target, ast.Name):
            try:
                self.values[target.id] = self._value(value)
            except NotRead:
                return True
            if isinstance(self.values[target.id], Diff):
                line, where = block.file_line(value.lineno - 1), block.where(value.lineno - 1)
                self.stated[value.end_lineno or value.lineno] = Display(line, where, excerpt(ast.unparse(value), 80), self.values[target.id])
            return True
        return False

    def _symbols(self, target: ast.expr, call: ast.Call) -> bool:
        names = [target] if isinstance(target, ast.Name) else list(target.elts) if isinstance(target, (ast.Tuple, ast.List)) else []
        written = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str) else None
        symbols = re.split(r"[\s,]+", written.strip()) if written else []
        for name in _bound(target):
            self.symbols.pop(name, None)
            self.values.pop(name, None)
        if len(symbols) != len(names) or not all(isinstance(n, ast.Name) for n in names) or not all(s.isidentifier() for s in symbols):
            return True  # `symbols('x:3')` and the like: the names stay unknown
        assumed = {k.arg for k in call.keywords if k.arg and not (isinstance(k.value, ast.Constant) and k.value.value is False)}
        for name, symbol in zip(names, symbols):
            self.symbols[name.id] = symbol
            if assumed - _MET or symbol in _CONSTANTS or symbol in ("e", "pi"):
                self.odd.add(symbol)
            else:
                self.odd.discard(symbol)
        return True

    def _print(self, call: ast.Call, block: Block, displays: list[Display]) -> bool:
        if call.keywords or not call.args:
            return not call.args and not call.keywords  # print(): a blank line
        *labels, shown = call.args
        if isinstance(shown, ast.JoinedStr):  # print(f"df/dx = {d}")
            parts = shown.values
            if len(parts) != 2 or not isinstance(parts[0], ast.Constant) or not isinstance(parts[1], ast.FormattedValue) or parts[1].format_spec:
                return False
            labels, shown = [*labels, parts[0]], parts[1].value
            prefix_joiner = ""
        else:
            prefix_joiner = " "
        if not all(isinstance(label, ast.Constant) and isinstance(label.value, str) and "\n" not in label.value for label in labels):
            return False
        if not self._is_sympy(shown):
            return False
        texts = [label.value for label in labels]
        prefix = (" ".join(texts[:-1]) + " " if len(texts) > 1 else "") + (texts[-1] + prefix_joiner if texts else "")
        displays.append(self._display(shown, block, prefix))
        self.stated[call.end_lineno or call.lineno] = displays[-1]
        return True

    def _commented(self, source: str, block: Block) -> list[Found]:
        """`d = diff(x**2, x)  # 2*x`, `print(d)  # prints 2*x`: a comment after a derivative that reads as a formula
        in its symbols (other comments are prose, not claims)."""
        found: list[Found] = []
        if not any(isinstance(display.value, Diff) for display in self.stated.values()):
            return found
        for lineno, where, text in _comments(source, block):
            display = self.stated.get(lineno)
            if display is None or not isinstance(display.value, Diff):
                continue
            written = label_stripped(text)
            try:
                formula_of(written, set(display.value.symbols))
            except (NotRead, RecursionError):
                continue
            if written.isidentifier() and written == text:
                continue  # a bare name with nothing saying it is a result: prose as likely as a formula
            found.append(claim(self, display, written, block.file_line(lineno - 1), where, "comment"))
        return found

    def _display(self, node: ast.expr, block: Block, prefix: str, pretty: bool = False) -> Display:
        line, where = block.file_line(node.lineno - 1), block.where(node.lineno - 1)
        try:
            value = self._value(node)
        except NotRead as err:  # listed where it was a derivative; any other SymPy value shown is no claim
            value = f"not read: {err}" if _differentiates(node) else ""
        else:
            value = value if isinstance(value, Diff) else ""
        return Display(line, where, excerpt(ast.unparse(node), 80), value, prefix, pretty)

    def _forget(self, node: ast.stmt) -> None:
        """A statement not read here: every name it binds is unknown from now on."""
        for child in ast.walk(node):
            names = _bound(child) if isinstance(child, ast.expr) and isinstance(getattr(child, "ctx", None), ast.Store) else []
            if isinstance(child, (ast.Global, ast.Nonlocal)):
                names = child.names
            for name in names:
                self.symbols.pop(name, None)
                self.values.pop(name, None)

    # -- expressions --------------------------------------------------------------------------------

    def _sympy_name(self, node: ast.expr) -> str | None:
        """The SymPy name a function is spelled by: `sp.diff`, `sympy.diff`, `diff` (imported or `*`)."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.modules:
            return node.attr
        if isinstance(node, ast.Name):
            if node.id in self.imported:
                return self.imported[node.id]
            if self.star and node.id not in self.symbols and node.id not in self.values:
                return node.id
        return None

    def _is_sympy(self, node: ast.expr) -> bool:
        """Whether the expression is a SymPy value the reader knows of (a derivative or another one)."""
        if isinstance(node, ast.Name):
            return node.id in self.values or node.id in self.symbols
        if isinstance(node, ast.Call):
            func = node.func
            if self._sympy_name(func) is not None:
                return True
            return isinstance(func, ast.Attribute) and self._is_sympy(func.value)
        return False

    def _value(self, node: ast.expr) -> Diff | str:
        """A derivative, or the expression's text in the language (raises NotRead for what is not read)."""
        if isinstance(node, ast.Name) and node.id in self.values:
            return self.values[node.id]
        if isinstance(node, ast.Call):
            name = self._sympy_name(node.func)
            method = node.func.attr if isinstance(node.func, ast.Attribute) and name is None else None
            if name == "diff" and node.args:
                return self._diff(self._value(node.args[0]), node.args[1:], node)
            if method == "diff":
                return self._diff(self._value(node.func.value), node.args, node)
            if method == "doit" and not node.args and isinstance(node.func.value, ast.Call):
                inner = node.func.value
                if self._sympy_name(inner.func) == "Derivative" and inner.args:
                    return self._diff(self._value(inner.args[0]), inner.args[1:], inner)
            if (name in _SAME_VALUE and len(node.args) == 1) or (method in _SAME_VALUE and not node.args):
                return self._value(node.args[0] if name else node.func.value)  # the same value, rewritten
        text = self._language(node)
        return text

    def _diff(self, of: Diff | str, arguments: list[ast.expr], node: ast.Call) -> Diff:
        if isinstance(of, Diff):
            inner, order = of.expression, list(of.wrt)
        else:
            inner, order = of, []
        symbols = _names(inner, set(self.symbols.values()))
        if node.keywords:
            raise NotRead("diff() with keywords")
        if not arguments:
            if len(symbols) != 1:
                raise NotRead("diff() without a variable of an expression in several symbols")
            order.append(symbols[0])
        for argument in arguments:
            if isinstance(argument, ast.Name) and argument.id in self.symbols:
                order.append(self.symbols[argument.id])
            elif isinstance(argument, ast.Constant) and type(argument.value) is int and order and argument.value >= 1:
                order += [order[-1]] * (argument.value - 1)
            else:
                raise NotRead(f"diff() with respect to {excerpt(ast.unparse(argument), 30)}")
        return Diff(inner, tuple(symbols), tuple(order))

    def _language(self, node: ast.expr) -> str:
        """A SymPy expression written in the code, as expression-language text (symbols by their names)."""
        return ast.unparse(_Translate(self._resolve).visit(node))

    def _resolve(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return ast.Name(self.symbols[node.id], ast.Load())
            value = self.values.get(node.id)
            if isinstance(value, str):
                return ast.parse(value, mode="eval").body
            if node.id in _CONSTANTS and self._sympy_name(node) is not None:
                return ast.Name(_CONSTANTS[node.id], ast.Load())
            raise NotRead(f"{node.id}, which is not a SymPy expression read here")
        if isinstance(node, ast.Attribute) and self._sympy_name(node) in _CONSTANTS:
            return ast.Name(_CONSTANTS[self._sympy_name(node)], ast.Load())
        if isinstance(node, ast.Call) and len(node.args) >= 1 and not node.keywords:
            name = self._sympy_name(node.func)
            if name == "Rational" and len(node.args) == 2:
                return ast.BinOp(node.args[0], ast.Div(), node.args[1])
            if name in ("S", "Integer", "Float") and len(node.args) == 1:
                return node.args[0]
            if name in _FUNCTIONS and len(node.args) == 1:
                return ast.Call(ast.Name(_FUNCTIONS[name], ast.Load()), node.args, [])
            if name in _RECIPROCALS and len(node.args) == 1:
                return ast.BinOp(ast.Constant(1), ast.Div(), ast.Call(ast.Name(_RECIPROCALS[name], ast.Load()), node.args, []))
        raise NotRead(excerpt(ast.unparse(node), 40))


class _Translate(ast.NodeTransformer):
    """Numbers, + - * / ** and the allowlisted names and calls; anything else raises NotRead."""

    def __init__(self, resolve):
        self.resolve = resolve

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        if not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            raise NotRead(f"the operator {type(node.op).__name__}")
        return ast.BinOp(self.visit(node.left), node.op, self.visit(node.right))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise NotRead(f"the operator {type(node.op).__name__}")
        return ast.UnaryOp(node.op, self.visit(node.operand))

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        if type(node.value) not in (int, float):
            raise NotRead(f"the constant {excerpt(repr(node.value), 20)}")
        return ast.Constant(node.value)

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.resolve(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        return self.resolve(node)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        resolved = self.resolve(node)
        if isinstance(resolved, ast.Call):
            return ast.Call(resolved.func, [self.visit(argument) for argument in resolved.args], [])
        return self.visit(resolved)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        raise NotRead(excerpt(ast.unparse(node), 40) if isinstance(node, ast.expr) else type(node).__name__)


def _differentiates(node: ast.expr) -> bool:
    """Whether the expression calls `diff` or `Derivative` anywhere."""
    for part in ast.walk(node):
        if isinstance(part, ast.Call):
            name = part.func.attr if isinstance(part.func, ast.Attribute) else part.func.id if isinstance(part.func, ast.Name) else ""
            if name in ("diff", "Derivative"):
                return True
    return False


def _bound(target: ast.expr) -> list[str]:
    return [node.id for node in ast.walk(target) if isinstance(node, ast.Name)]


def _names(text: str, symbols: set[str]) -> list[str]:
    """The symbols an expression's text uses, in order of first use."""
    seen: list[str] = []
    for node in ast.walk(ast.parse(text, mode="eval")):
        if isinstance(node, ast.Name) and node.id in symbols and node.id not in seen:
            seen.append(node.id)
    return seen


def _comments(source: str, block: Block) -> list[tuple[int, str, str]]:
    found: list[tuple[int, str, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                found.append((token.start[0], block.where(token.start[0] - 1), token.string.lstrip("#").strip()))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return found


# -- the printed formula ------------------------------------------------------------------------------

_PRETTY = str.maketrans({"⋅": "*", "ℯ": "E", "π": "pi", "−": "-", "·": "*"})
_DRAWN = re.compile(r"[⎛⎜⎝⎞⎟⎠─│√∂⌠⌡⎮∫∑∏]")


def formula_of(text: str, symbols: set[str]) -> str:
    """The formula a SymPy value was printed as, in the language: its str() form (`2*x*cos(x**2)`), a one-line
    pretty form (`2⋅x`), or a pretty form with exponents on the line above (`x` under `2`). Raises NotRead."""
    lines = [line.rstrip() for line in text.rstrip("\n").split("\n") if line.strip()]
    if not lines or len(text) > MAX_FORMULA:
        raise NotRead("no formula" if not lines else "a formula too long to read")
    if len(lines) == 2 and _DRAWN.search(text) is None:
        lines = [_raise_exponents(lines[0], lines[1])]
    if len(lines) != 1 or _DRAWN.search(lines[0]):
        raise NotRead("a formula drawn in 2-D (pretty printing)")
    written = lines[0].strip().translate(_PRETTY)
    try:
        tree = ast.parse(written, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise NotRead("a formula that is not written as SymPy prints one") from None

    def resolve(node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Name) and node.id in symbols:
            return node
        if isinstance(node, ast.Name) and node.id in _CONSTANTS:
            return ast.Name(_CONSTANTS[node.id], ast.Load())
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1 and not node.keywords:
            if node.func.id in _FUNCTIONS:
                return ast.Call(ast.Name(_FUNCTIONS[node.func.id], ast.Load()), node.args, [])
            if node.func.id in _RECIPROCALS:
                return ast.BinOp(ast.Constant(1), ast.Div(), ast.Call(ast.Name(_RECIPROCALS[node.func.id], ast.Load()), node.args, []))
        raise NotRead(f"{excerpt(ast.unparse(node), 30)} in the printed formula")

    try:
        return ast.unparse(_Translate(resolve).visit(tree))
    except RecursionError:
        raise NotRead("a formula nested too deeply") from None


def _raise_exponents(top: str, base: str) -> str:
    """`   2` over `3⋅x ` is `3⋅x**(2)`: each run of characters on the upper line is the exponent of what ends below it."""
    if not re.fullmatch(r"[\sA-Za-z0-9]*", top):
        raise NotRead("a formula drawn in 2-D (pretty printing)")
    runs = [(match.start(), match.group(0)) for match in re.finditer(r"\S+", top)]
    text = base.ljust(len(top))
    for start, exponent in reversed(runs):
        if start == 0 or not text[start - 1].strip() or text[start : start + len(exponent)].strip():
            raise NotRead("a formula drawn in 2-D (pretty printing)")
        text = f"{text[:start]}**({exponent}){text[start + len(exponent) :]}"
    return text


def label_stripped(comment: str) -> str:
    """A comment's formula without the words before it (`prints 2*x`, `-> 2*x`)."""
    return _LABEL_WORDS.sub("", comment).strip()


# -- claims --------------------------------------------------------------------------------------------


def claim(reader: Symbolic, display: Display, printed: str | None, line: int, where: str, source: str) -> Found:
    """The formula claim a display of a derivative makes with what was printed (or said in a comment)."""
    shown = " ".join((printed or "").split())
    found = Found("formula", line, where, source, excerpt(f"{display.text} = {shown}", 100), label=display.text)
    diff = display.value
    if not isinstance(diff, Diff):
        found.status = f"not checked: {diff}"
        return found
    if len(diff.wrt) > 2:
        found.status = f"not checked: a derivative of order {len(diff.wrt)} (first and second derivatives are checked)"
        return found
    missing = [symbol for symbol in diff.wrt if symbol not in diff.symbols]
    if missing:
        found.status = f"not checked: {missing[0]} does not appear in {excerpt(diff.expression, 40)}"
        return found
    if set(diff.symbols) & reader.odd:
        found.status = f"not checked: {', '.join(sorted(set(diff.symbols) & reader.odd))} has assumptions the checked points do not meet"
        return found
    try:
        formula = formula_of(printed or "", set(diff.symbols))
    except NotRead as err:
        found.status = f"not checked: {err}"
        return found
    except RecursionError:
        found.status = "not checked: a formula nested too deeply"
        return found
    derivation = derivation_of(diff, display.line, display.where)
    found.leaf, found.second = (next(leaf for leaf in derivation.leaves if leaf.name == symbol) for symbol in (diff.wrt[0], diff.wrt[-1]))
    found.derivations, found.formula, found.label = (derivation,), formula, f"∂/∂{diff.wrt[0]} {excerpt(diff.expression, 40)}"
    if len(diff.wrt) == 2:  # NOTE: the Hessian of the sum over points is diagonal: each point's second derivative on it
        found.kind, found.formula, derivation.quantity = "hessian_formula", f"diag({formula})", "hessian"
    reader.derivations.append(derivation)
    return found


def derivation_of(diff: Diff, line: int, where: str, values: dict[str, str] | None = None) -> Derivation:
    """The expression as a derivation at points in (0, 1), one vector of points per symbol; its sum is differentiated,
    so each element of the gradient is the derivative at one point. ``values``: a symbol's own value (constant text:
    a point the text names, or one number for a symbol that is not elementwise)."""
    values = values or {}
    leaves = [Tensor(LEAF, line, where, name=symbol, value=values.get(symbol, f"tensor({list(_POINTS[index % len(_POINTS)])})"), dtype="float64")
              for index, symbol in enumerate(diff.symbols)]  # fmt: skip
    tree = ast.parse(diff.expression, mode="eval").body
    refs = {leaf.name: f"_ref{index}" for index, leaf in enumerate(leaves)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in refs:
            node.id = refs[node.id]
    output = Tensor(COMPUTED, line, where, tree=ast.Call(ast.Name("sum", ast.Load()), [tree], []), refs=tuple(leaves), dtype="float64", bound="f")
    derivation = Derivation(output, f"diff({excerpt(diff.expression, 40)}, {', '.join(diff.wrt)})", None, line, where)
    derivation.leaves = leaves
    return derivation


def tie(reader: Symbolic, displays: list[Display], outputs: list[Block]) -> list[Found]:
    """The claims of a block whose every statement was read here: one display and one output are paired whole (a
    formula may be drawn over several lines); several are paired line by line where each printed one line."""
    lines = [(block, offset, text) for block in outputs for offset, text in enumerate(block.text.split("\n")) if text.strip()]
    if len(displays) == 1 and len(outputs) == 1:
        pairs = [(displays[0], outputs[0].text, outputs[0], 0)]
    elif len(lines) == len(displays) and not any(display.pretty for display in displays):
        pairs = [(display, text, block, offset) for display, (block, offset, text) in zip(displays, lines)]
    else:
        return [Found("formula", display.line, display.where, "printed output", display.text,
                      status="not tied: the printed outputs could not be paired with the SymPy values shown")
                for display in displays if isinstance(display.value, Diff)]  # fmt: skip
    found = []
    for display, text, block, offset in pairs:
        if display.value == "":
            continue  # a SymPy value that is no derivative: printed, not a claim
        shown = text.strip("\n")
        if display.prefix and not shown.lstrip().startswith(display.prefix.strip()):
            found.append(Found("formula", block.file_line(offset), block.where(offset), "printed output", excerpt(shown, 60),
                               status=f"not tied: the printed line does not start with the label {display.prefix.strip()!r}"))  # fmt: skip
            continue
        if display.prefix:
            shown = shown.lstrip()[len(display.prefix.strip()) :]
        found.append(claim(reader, display, shown, block.file_line(offset), block.where(offset), "printed output"))
    return found
