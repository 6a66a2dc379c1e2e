"""A small reader for the math tutorials write, in LaTeX (`\\frac{\\partial z}{\\partial x_i} = \\frac{5}{2}(x_i+1)`)
or in plain text (`dz/dx = 2x = 2*3 = 6`), producing verifygrad expression text built by this code.

Nothing is handed to SymPy or eval: the text is tokenised and parsed here, and anything outside the
subset (integrals, matrices, unknown commands) raises MathError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\\[A-Za-z]+|\\[,;:! {}|]|\d+\.\d*|\.\d+|\d+|[A-Za-z]+|[∂·×−{}()\[\]^_+\-*/=,|]|\S")
_IGNORED = {"\\left", "\\right", "\\bigr", "\\Bigr", "\\big", "\\Big", "\\bigl", "\\Bigl", "\\biggr", "\\,", "\\;", "\\:", "\\!", "\\ ",
            "\\displaystyle", "\\quad", "\\qquad", "\\limits", "\\mathrm", "\\text", "\\operatorname", "\\mathbf", "\\boldsymbol", "\\textrm"}  # fmt: skip
_FUNCTIONS = {"exp", "log", "ln", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "sum", "mean"}
_INDEX_LETTERS = set("ijklmn")
_TIMES = {"*", "\\cdot", "\\times", "·", "×"}
_MATRICES = {"bmatrix", "pmatrix", "matrix", "Bmatrix", "smallmatrix"}
_BAR = {"\\rvert", "\\vert", "|", "\\mid", "\\Big|", "\\big|"}


class MathError(ValueError):
    """The math is outside the subset this reader understands."""


@dataclass(frozen=True)
class Derivative:
    of: str  # the differentiated quantity's name ("" when unnamed)
    wrt: str  # the variable, without an index: `x` for `x_i`
    at: tuple[tuple[str, str], ...] = ()  # an evaluation point `|_{x_i=1}`


APPROX = ("\\approx", "≈", "\\simeq", "\\sim")


def read_relation(text: str, names: frozenset[str] = frozenset(), relations: list[str] | None = None) -> list[object]:
    """The sides of `a = b = c`, each a node: tuples ("num", text), ("name", base, index), ("bin", op, a, b),
    ("neg", a), ("call", f, a), ("sum", a), ("list", [items]) (a matrix is a list of rows), or a Derivative.
    ``relations`` gets the sign between each two sides (`=`, or one of APPROX)."""
    # NOTE: a row break (two backslashes) is one token of its own: a backslash and a space is a space, and dropped
    tokens = [t for t in _TOKEN.findall(text.replace("−", "-").replace("\\\\", " \\cr ")) if t not in _IGNORED]
    parser = _Parser(tokens, names)
    sides = [parser.expr()]
    while parser.peek() in ("=", *APPROX):
        sign = parser.take()
        if relations is not None:
            relations.append(sign)
        sides.append(parser.expr())
    if parser.peek() is not None:
        raise MathError(f"unexpected {parser.peek()!r}")
    return sides


def render(node: object) -> str:
    """verifygrad expression text for a node; indices are dropped (`x_i` is `x`, evaluated elementwise)."""
    if isinstance(node, Derivative):
        raise MathError("a derivative inside an expression")
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        return node[1]
    if kind == "neg":
        return f"-{_wrapped(node[1])}"
    if kind == "bin":
        return f"{_wrapped(node[2])} {node[1]} {_wrapped(node[3])}"
    if kind == "call":
        return f"{node[1]}({render(node[2])})"
    if kind == "sum":
        return f"sum({render(node[1])})"
    if kind == "list":
        return "[" + ", ".join(render(item) for item in node[1]) + "]"
    raise MathError(f"cannot write {kind}")


def constant_text(node: object) -> str:
    """A side of numbers as a constant expression: a list (`[2, 4]`, a matrix's rows) is written `tensor([2, 4])`."""
    if not _has_list(node):
        return render(node)
    if node[0] == "list":
        return f"tensor({render(node)})"
    if node[0] == "neg":
        return f"-({constant_text(node[1])})"
    if node[0] == "bin":
        return f"({constant_text(node[2])}) {node[1]} ({constant_text(node[3])})"
    if node[0] == "call":
        return f"{node[1]}({constant_text(node[2])})"
    return render(node)


def _has_list(node: object) -> bool:
    return isinstance(node, tuple) and (node[0] == "list" or any(_has_list(part) for part in node[1:]))


def names_in(node: object) -> set[str]:
    if isinstance(node, Derivative):
        return {node.of, node.wrt}
    if node[0] == "name":
        return {node[1]}
    children = node[1] if node[0] == "list" else [part for part in node[1:] if isinstance(part, tuple)]
    return set().union(*(names_in(child) for child in children)) if children else set()


def _wrapped(node: object) -> str:
    text = render(node)
    return f"({text})" if node[0] in ("bin", "neg") else text


class _Parser:
    def __init__(self, tokens: list[str], names: frozenset[str]):
        self.tokens = tokens
        self.position = 0
        self.names = names

    def peek(self, ahead: int = 0) -> str | None:
        index = self.position + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise MathError(f"expected {expected or 'more'}, found {token!r}")
        self.position += 1
        return token

    def expr(self) -> object:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            node = ("bin", op, node, self.term())
        return node

    def term(self) -> object:
        node = self.factor()
        while True:
            token = self.peek()
            if token in _TIMES:
                self.take()
                node = ("bin", "*", node, self.factor())
            elif token == "/":
                self.take()
                bottom = self.factor()
                if bottom[:2] in (("name", "d"), ("name", "∂")) and self.peek() is not None and self.starts_atom(self.peek()):
                    bottom = ("bin", "*", bottom, self.factor())  # `/d(x)`: the differential is one unit
                node = _quotient(node, bottom, self.names)
            elif token is not None and self.starts_atom(token):
                node = ("bin", "*", node, self.factor())
            else:
                return node

    def factor(self) -> object:
        if self.peek() == "-":
            self.take()
            return ("neg", self.factor())
        if self.peek() == "+":
            self.take()
        return self.power()

    def power(self) -> object:
        node = self.atom()
        while self.peek() == "^":
            self.take()
            node = ("bin", "**", node, self.group_or_atom())
        if self.peek() in _BAR and self.peek(1) == "_":
            self.take()
            self.take()
            point = self.point()
            if isinstance(node, Derivative):
                return Derivative(node.of, node.wrt, point)
            return ("at", node, point)
        return node

    def point(self) -> tuple[tuple[str, str], ...]:
        """`{x_i=1}` or `{x=1, y=2}` after an evaluation bar."""
        braced = self.peek() == "{"
        if braced:
            self.take()
        pairs = []
        while True:
            name = self.atom()
            self.take("=")
            value = self.factor()
            if name[0] != "name":
                raise MathError("an evaluation point names a variable")
            pairs.append((name[1], render(value)))
            if self.peek() != ",":
                break
            self.take()
        if braced:
            self.take("}")
        return tuple(pairs)

    def starts_atom(self, token: str) -> bool:
        return (
            bool(re.match(r"[A-Za-z\d.({∂\[]", token))
            or token in ("\\frac", "\\dfrac", "\\tfrac", "\\partial", "\\sqrt", "\\sum")
            or (token.startswith("\\") and token[1:] in _FUNCTIONS)
        )

    def group_or_atom(self) -> object:
        if self.peek() == "{":
            return self.group()
        return self.atom()

    def group(self) -> object:
        """`{a}` or `{a \\over b}`."""
        self.take("{")
        if self.peek() == "}":
            raise MathError("an empty group")
        node = self.expr()
        if self.peek() == "\\over":
            self.take()
            node = _quotient(node, self.expr(), self.names)
        self.take("}")
        return node

    def atom(self) -> object:
        token = self.take()
        if re.fullmatch(r"\d+\.?\d*|\.\d+", token):
            return ("num", token)
        if token == "(":
            node = self.expr()
            self.take(")")
            return node
        if token == "[":
            items = [self.expr()]
            while self.peek() == ",":
                self.take()
                items.append(self.expr())
            self.take("]")
            return ("list", items)
        if token == "{":
            self.position -= 1
            return self.group()
        if token in ("\\frac", "\\dfrac", "\\tfrac"):
            return _quotient(self.group_or_atom(), self.group_or_atom(), self.names)
        if token in ("\\partial", "∂"):
            return ("name", "∂", None)
        if token == "\\begin":
            return self.matrix()
        if token == "\\nabla":  # `\nabla_w L`, `\nabla_{w} L`: the gradient of L with respect to w
            self.take("_")
            wrt = self.group_or_atom()
            of = self.atom() if self.peek() is not None and re.fullmatch(r"[A-Za-z]+", self.peek()) else ("name", "", None)
            if wrt[0] != "name" or of[0] != "name":
                raise MathError("a gradient of something other than a name")
            return Derivative(of[1], wrt[1])
        if token == "\\sqrt":
            return ("call", "sqrt", self.group_or_atom())
        if token == "\\sum":
            while self.peek() in ("_", "^"):
                self.take()
                self.group_or_atom()
            return ("sum", self.term_body())
        if token.startswith("\\") and (token[1:] in _FUNCTIONS or token == "\\sigma"):
            name = {"\\ln": "log", "\\sigma": "sigmoid"}.get(token, token[1:])
            argument = self.atom() if self.peek() in ("(", "{") else self.power()  # \tanh(x)^2 squares the tanh
            return ("call", name, argument)
        if re.fullmatch(r"[A-Za-z]+", token):
            return self.name(token)
        raise MathError(f"{token!r} is not in the math this reader understands")

    def matrix(self) -> object:
        """`\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}` (also pmatrix, matrix, Bmatrix): a list of rows; one row or one
        column is a flat list."""
        self.take("{")
        environment = self.take()
        self.take("}")
        if environment not in _MATRICES:
            raise MathError(f"the environment {environment!r}")
        rows: list[list[object]] = [[]]
        while True:
            if self.peek() == "\\end":
                self.take()
                self.take("{")
                self.take(environment)
                self.take("}")
                break
            if self.peek() == "\\cr":
                self.take()
                rows.append([])
                continue
            rows[-1].append(self.expr())
            if self.peek() == "&":
                self.take()
        rows = [row for row in rows if row]
        if not rows or len({len(row) for row in rows}) != 1:
            raise MathError("a matrix with rows of different lengths")
        if len(rows) == 1 or len(rows[0]) == 1:
            return ("list", [item for row in rows for item in row])
        return ("list", [("list", row) for row in rows])

    def term_body(self) -> object:
        """The summand after \\sum: one term (a product), as `\\sum_i 5(x_i+1)^2` writes it."""
        node = self.factor()
        while self.peek() is not None and (self.peek() in _TIMES or self.starts_atom(self.peek())):
            if self.peek() in _TIMES:
                self.take()
            node = ("bin", "*", node, self.factor())
        return node

    def name(self, letters: str) -> object:
        if letters in _FUNCTIONS and self.peek() == "(":
            self.take()
            node = self.expr()
            self.take(")")
            return ("call", "log" if letters == "ln" else letters, node)
        index = None
        if self.peek() == "_":
            self.take()
            subscript = self.group_or_atom()
            sub = render(subscript).replace(" ", "") if not isinstance(subscript, Derivative) else ""
            if sub in _INDEX_LETTERS:
                index = sub
            else:
                letters = f"{letters}_{sub}"
        if letters not in self.names and len(letters) > 1 and "_" not in letters and all(c in self.names for c in letters):
            node: object = ("name", letters[0], None)  # `xy` is x times y where both are the code's names
            for letter in letters[1:]:
                node = ("bin", "*", node, ("name", letter, None))
            return node
        return ("name", letters, index)


def _differential(node: object, names: frozenset[str]) -> str | None:
    """The name under a differential: `∂x`, `dx`, `d(x)`, `d x_i`; None if the node is not one."""
    if isinstance(node, tuple) and node[0] == "bin" and node[1] == "*" and node[2][:2] in (("name", "∂"), ("name", "d")):
        inner = node[3]
        return inner[1] if inner[0] == "name" else None
    if isinstance(node, tuple) and node[0] == "name" and node[1].startswith("d") and len(node[1]) > 1:
        rest = node[1][1:]
        if rest in names or node[1] not in names:
            return rest
    return None


def _quotient(top: object, bottom: object, names: frozenset[str]) -> object:
    of, wrt = _differential(top, names), _differential(bottom, names)
    if of is not None and wrt is not None:
        return Derivative(of, wrt)
    if isinstance(top, Derivative) or isinstance(bottom, Derivative):
        raise MathError("a derivative inside a fraction")
    return ("bin", "/", top, bottom)
