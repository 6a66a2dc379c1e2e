"""A small reader for the math tutorials write, in LaTeX (`\\frac{\\partial z}{\\partial x_i} = \\frac{5}{2}(x_i+1)`)
or in plain text (`dz/dx = 2x = 2*3 = 6`), producing verifygrad expression text built by this code.

Nothing is handed to SymPy or eval: the text is tokenised and parsed here, and anything outside the
subset (integrals, matrices, unknown commands) raises MathError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# NOTE: `w5`, `h1`: a worked example's labels, one name each (`2x` is still 2 times x, `x^2` x squared)
_TOKEN = re.compile(r"\\[A-Za-z]+|\\[,;:! {}|]|\d+\.\d*|\.\d+|\d+|[A-Za-z]+\d+(?![\d.])|[A-Za-z]+|[∂·×−{}()\[\]^_+\-*/=,|]|\S")
_IGNORED = {"\\left", "\\right", "\\bigr", "\\Bigr", "\\big", "\\Big", "\\bigl", "\\Bigl", "\\biggr", "\\,", "\\;", "\\:", "\\!", "\\ ",
            "\\displaystyle", "\\quad", "\\qquad", "\\space", "\\limits", "\\mathrm", "\\text", "\\operatorname", "\\mathbf", "\\boldsymbol", "\\textrm",
            "\\mathbb"}  # fmt: skip
_WORD_FONTS = {"\\mathrm", "\\text", "\\operatorname", "\\textrm", "\\rm"}
_FUNCTIONS = {"exp", "log", "ln", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "sum", "mean"}
INDEX_LETTERS = set("ijklmn")
_TIMES = {"*", "\\cdot", "\\times", "·", "×"}
_MATRICES = {"bmatrix", "pmatrix", "matrix", "Bmatrix", "smallmatrix"}
_COMPARISONS = {">": ">", "\\gt": ">", "\\geq": ">", "\\ge": ">", "≥": ">", "<": "<", "\\lt": "<", "\\leq": "<", "\\le": "<", "≤": "<"}
_ACCENTS = {"\\hat": "hat", "\\bar": "bar", "\\tilde": "tilde", "\\widehat": "hat", "\\overline": "bar"}
_NORMS = {"\\|": "\\|", "\\lVert": "\\rVert", "\\Vert": "\\Vert"}  # the bars that open a norm, and the ones that close it
_BAR = {"\\rvert", "\\vert", "|", "\\mid", "\\Big|", "\\big|"}
# Greek letters as names (`\\lambda` is `lam`: a name is written into expression text, and `lambda` is Python's keyword)
GREEK = {
    f"\\{letter}": letter
    for letter in (
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "eta",
        "theta",
        "iota",
        "kappa",
        "mu",
        "nu",
        "xi",
        "rho",
        "tau",
        "phi",
        "chi",
        "psi",
        "omega",
        "Phi",
        "Psi",
        "Theta",
        "Delta",
    )
}
GREEK |= {"\\varepsilon": "epsilon", "\\varphi": "phi", "\\vartheta": "theta", "\\lambda": "lam"}
_PRIMES = ("'", "’", "′")
_TRANSPOSE = {"\\top", "T", "\\intercal"}
# Signs that relate two sides without saying they are equal: a chain is cut there
_OTHER_RELATIONS = {"<", ">", "\\leq", "\\geq", "\\le", "\\ge", "\\neq", "\\ne", "\\to", "\\rightarrow", "\\Rightarrow",
                    "\\leftarrow", "\\mapsto", "\\in", "\\equiv", "\\propto", "\\implies", "\\iff"}  # fmt: skip


class MathError(ValueError):
    """The math is outside the subset this reader understands."""


@dataclass(frozen=True)
class Derivative:
    of: str  # the differentiated quantity's name ("" when unnamed)
    wrt: str  # the variable, without an index: `x` for `x_i`
    at: tuple[tuple[str, str], ...] = ()  # an evaluation point `|_{x_i=1}`
    second: str = ""  # a second derivative's other variable (`x` again for ∂²f/∂x²)


GRADIENT = "∇"  # a Derivative's variable where it is the gradient in all the variables (`\nabla f(x)`)
APPROX = ("\\approx", "≈", "\\simeq", "\\sim")


def _indicator(left: object, comparison: str, right: object) -> object:
    """The indicator of `left > right` (or `<`) as `(sign(left - right) + 1) / 2`: one where it holds, zero where not
    (one half on the boundary, where the derivative it states has a kink)."""
    difference = ("bin", "-", left, right) if comparison == ">" else ("bin", "-", right, left)
    return ("bin", "/", ("bin", "+", ("call", "sign", difference), ("num", "1")), ("num", "2"))


def tokens(text: str) -> list[str]:
    """The math's tokens, spacing and font commands dropped.

    NOTE: a row break (two backslashes) is one token of its own: a backslash and a space is a space, and dropped; a word in
    a font command (`\\text{Sigmoid}`, `\\operatorname{ReLU}`) is the word alone, so that `\\text{Sigmoid}(z)` applies it"""
    found = _TOKEN.findall(text.replace("−", "-").replace("\\\\", " \\cr "))
    kept: list[str] = []
    index = 0
    while index < len(found):
        if found[index] in _WORD_FONTS and found[index + 1 : index + 2] == ["{"] and found[index + 3 : index + 4] == ["}"] and found[index + 2].isalpha():
            kept.append(found[index + 2])
            index += 4
            continue
        if found[index] not in _IGNORED:
            kept.append(found[index])
        index += 1
    return kept


def read_relation(text: str, names: frozenset[str] = frozenset(), relations: list[str] | None = None,
                  functions: frozenset[str] = frozenset()) -> list[object]:  # fmt: skip
    """The sides of `a = b = c`, each a node: tuples ("num", text), ("name", base, index), ("bin", op, a, b),
    ("neg", a), ("call", f, a), ("sum", a), ("list", [items]) (a matrix is a list of rows), ("fn", f, primes, args)
    (`f'(x)`, for the ``functions`` named), or a Derivative. ``relations`` gets the sign between each two sides
    (`=`, or one of APPROX)."""
    parser = _Parser(tokens(text), names, functions)
    sides = [parser.expr()]
    while parser.peek() in ("=", *APPROX):
        sign = parser.take()
        if relations is not None:
            relations.append(sign)
        sides.append(parser.expr())
    if parser.peek() is not None:
        raise MathError(f"unexpected {parser.peek()!r}")
    return sides


def read_chain(text: str, names: frozenset[str] = frozenset(), functions: frozenset[str] = frozenset()) -> tuple[list[object | None], list[str]]:
    """The sides of a chain `a = b < c \\approx d` read one by one: a side outside the subset is None (the others are
    still read), and each sign between two sides is kept (`=`, one of APPROX, or another relation or a comma, which cut
    the chain). Raises RecursionError for math nested too deeply."""
    pieces: list[list[str]] = [[]]
    signs: list[str] = []
    depth = 0
    text = re.sub(r"[.,;]\s*$", "", text.rstrip())  # NOTE: display math ends its sentence: `= 24x.` is 24x, not an unread side
    for token in tokens(text):
        if token in ("{", "(", "[", "\\begin"):
            depth += 1
        elif token in ("}", ")", "]", "\\end"):
            depth -= 1
        if depth == 0 and (token in ("=", *APPROX, ",", ";") or token in _OTHER_RELATIONS):
            signs.append(token)  # NOTE: `a = 1, b = 2`: a comma or semicolon ends a chain like any relation but `=`
            pieces.append([])
            continue
        pieces[-1].append(token)
    sides: list[object | None] = []
    for piece in pieces:
        parser = _Parser(piece, names, functions)
        try:
            node = parser.expr()
            sides.append(node if parser.peek() is None else None)
        except MathError:
            sides.append(None)
    return sides, signs


_ALIGNED = re.compile(r"\\(?:begin|end)\{(?:align|aligned|alignat|eqnarray|gather|gathered|split|multline|equation)\*?\}(?:\{\d+\})?")
_MATRIX_SPAN = re.compile(r"\\begin\{(\w*matrix|cases|array)\*?\}.*?\\end\{\1\*?\}", re.S)
_WORDS = re.compile(r"\\(?:text|textrm|textbf|mbox|hbox)\s*\{[^{}]*\}")
_LEADING = re.compile(r"^(?:\s|\\(?:quad|qquad|therefore|because|Rightarrow|implies|,|;)\b|\\[,;]|" + _WORDS.pattern + ")*")
_MARKS = re.compile(r"\\(?:tag|label)\s*\{[^{}]*\}|\\(?:nonumber|notag)\b")
_SPACING = re.compile(r"^\s*\[-?[\d.]+\s*(?:em|ex|pt|mm|cm)\]")


def statements(body: str) -> list[tuple[int, str, bool]]:
    """The statements of one math span, each with its line offset in the span: an `align` (`aligned`, `eqnarray`...)
    environment is one statement a row, the words leading a row (`\\text{Similarly,}`) and alignment marks dropped,
    the comment column after `&&` cut off, and a row that starts with `=` continued from the left side of the row
    before it (marked True: it restates what the chain's first row says). Words inside a row (`\\text{diag}(s)`) are
    kept: the side is then not read, never read without them."""
    if not _ALIGNED.search(body):
        return _apart(body)
    protected: list[str] = []

    def protect(match: re.Match) -> str:  # a matrix's rows are not the alignment's
        protected.append(match.group(0))
        return f"\x00{len(protected) - 1}\x00"

    text = _MATRIX_SPAN.sub(protect, _ALIGNED.sub(" ", body))
    found: list[tuple[int, str, bool]] = []
    left = ""
    line = 0
    for row in text.split("\\\\"):
        start = line + row[: len(row) - len(row.lstrip())].count("\n")
        line += row.count("\n")
        row, _, comment = _SPACING.sub("", row).partition("&&")
        comment = _MARKS.sub(" ", _LEADING.sub("", comment.replace("&", " "))).strip()
        if "=" in comment and not _WORDS.search(comment):  # `&& \text{since } f(x) = x^2`: what the row uses, stated first
            found.append((start, comment, False))
        row = _MARKS.sub(" ", _LEADING.sub("", row.replace("&", " ")))
        row = re.sub("\x00(\\d+)\x00", lambda m: protected[int(m.group(1))], _WORDS.sub(lambda _: " \\unread ", row)).strip()
        if not row:
            continue
        continued = row.startswith(("=", "\\approx"))
        if continued:
            row = f"{left} {row}" if left else ""
        else:
            left = re.split(r"=|\\approx", row)[0] if re.search(r"=|\\approx", row) else ""
        if row:
            found.append((start, row, continued))
    return found


_APART = re.compile(
    r"\\hspace\*?\s*\{[^{}]*\}|\\q?quad\b|\\(?:Rightarrow|rightarrow|Longrightarrow|longrightarrow|implies)\b|\\\\"
    r"|\\(?:text|textrm|mbox)\s*\{\s*(?:and|or)\s*\}|(?:\\[,;:]\s*){3,}"  # NOTE: `xw + b \,\,\,\, \hat{y} \in R^N`: a wide space
)


_EDGE_SPACING = re.compile(r"^(?:\\[,;:! ]\s*)+|(?:\s*\\[,;:! ])+$")


def _apart(body: str) -> list[tuple[int, str, bool]]:
    """One display's statements set apart by wide space, an arrow or a row break (`f(x,y) = xy \\hspace{1in} \\rightarrow
    \\hspace{1in} \\frac{\\partial f}{\\partial x} = y`: a definition, then a claim about it), each with its line offset;
    only where they stand outside every brace, bracket and matrix (`\\lim_{h \\rightarrow 0}` is one expression)."""
    cuts: list[tuple[int, int]] = []
    for match in _APART.finditer(body):
        before = body[: match.start()]
        nested = sum(before.count(o) - before.count(c) for o, c in ("{}", "()", "[]"))
        if nested == 0 and before.count("\\begin") == before.count("\\end"):
            cuts.append(match.span())
    if not cuts:
        return [(0, body, False)]
    found: list[tuple[int, str, bool]] = []
    start = 0
    for cut_start, cut_end in [*cuts, (len(body), len(body))]:
        piece = body[start:cut_start]
        text = _EDGE_SPACING.sub("", piece.strip())  # NOTE: `= 1 \;` before `\textrm{and}`: a space, not a semicolon ending it
        if text:
            found.append((body[:start].count("\n") + piece[: len(piece) - len(piece.lstrip())].count("\n"), text, False))
        start = cut_end
    return found


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
    if kind == "fn":
        raise MathError(f"the function {node[1]}, which the expression language does not know")
    raise MathError(f"cannot write {kind}")


def constant_text(node: object) -> str:
    """A side of numbers as a constant expression: a list (`[2, 4]`, a matrix's rows) is written `tensor([2, 4])`."""
    if not _has_list(node):
        return render(node)
    if node[0] == "bin" and node[1] == "@":
        return f"({_matrix_text(node[2])}) @ ({_matrix_text(node[3])})"
    if node[0] == "list":
        return f"tensor({render(node)})"
    if node[0] == "neg":
        return f"-({constant_text(node[1])})"
    if node[0] == "bin":
        return f"({constant_text(node[2])}) {node[1]} ({constant_text(node[3])})"
    if node[0] == "call":
        return f"{node[1]}({constant_text(node[2])})"
    return render(node)


def _matrix_text(node: object) -> str:
    """A matrix product's operand in two dimensions: a column written as one (`tensor([[1], [2]])`), a row as one row."""
    if node[0] == "list" and len(node) > 2 and node[2] in ("column", "row"):
        items = ", ".join(render(item) for item in node[1])
        return f"tensor([{', '.join(f'[{render(item)}]' for item in node[1])}])" if node[2] == "column" else f"tensor([[{items}]])"
    return constant_text(node)


def _has_list(node: object) -> bool:
    return isinstance(node, tuple) and (node[0] == "list" or any(_has_list(part) for part in node[1:]))


def names_in(node: object) -> set[str]:
    if isinstance(node, Derivative):
        return {node.of, node.wrt}
    if node[0] == "name":
        return {node[1]}
    if node[0] == "fn":
        return set().union(*(names_in(arg) for arg in node[3])) if node[3] else set()
    children = node[1] if node[0] == "list" else [part for part in node[1:] if isinstance(part, tuple)]
    return set().union(*(names_in(child) for child in children)) if children else set()


def _wrapped(node: object) -> str:
    text = render(node)
    return f"({text})" if node[0] in ("bin", "neg") else text


class _Parser:
    def __init__(self, tokens: list[str], names: frozenset[str], functions: frozenset[str] = frozenset()):
        self.tokens = tokens
        self.position = 0
        self.names = names
        self.functions = functions  # names applied to arguments (`f(x)`, `\\phi(U)`), not multiplied with them
        self.split: object = None  # the last name read as a product of letters (`xy`)
        self.norms = 0  # norms opened (`\\|`) and not yet closed

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
            if token in _TIMES or token == "\\odot":
                self.take()
                right = self.factor()
                matrices = token != "\\odot" and _is_matrix(node) and _is_matrix(right)
                node = ("bin", "@" if matrices else "*", node, right)  # two matrices side by side: their product
            elif token == "/":
                self.take()
                bottom = self.factor()
                if bottom[:2] in (("name", "d"), ("name", "∂")) and self.peek() is not None and self.starts_atom(self.peek()):
                    bottom = ("bin", "*", bottom, self.factor())  # `/d(x)`: the differential is one unit
                node = _quotient(node, bottom, self.names)
            elif token is not None and self.starts_atom(token):
                right = self.factor()
                node = ("bin", "@" if _is_matrix(node) and _is_matrix(right) else "*", node, right)
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
            if [self.peek(k) for k in (0, 1, 3, 4)] == ["{", "(", ")", "}"] and re.fullmatch(r"[a-z]", self.peek(2) or ""):
                index = self.peek(2)  # `x^{(i)}`: the i-th example, an index, not a power
                if node[0] == "name":
                    node = ("name", node[1], index)
                elif node is self.split:  # `Wx^{(i)}`: the last letter's
                    node = ("bin", "*", node[2], ("name", node[3][1], index))
                else:
                    raise MathError("an example index on an expression")
                for _ in range(5):
                    self.take()
                continue
            if self.peek() in _TRANSPOSE or (self.peek() == "{" and self.peek(1) in _TRANSPOSE and self.peek(2) == "}"):
                for _ in range(3 if self.peek() == "{" else 1):
                    self.take()
                node = _transposed(node)
                continue
            exponent = self.group_or_atom()
            if node is self.split:  # `rx^2` is r times x squared
                node = ("bin", "*", node[2], ("bin", "**", node[3], exponent))
                continue
            euler = node == ("num", "e") or node == ("name", "e", None) and not ("e" in self.names and exponent == ("num", "2"))
            node = ("call", "exp", exponent) if euler else ("bin", "**", node, exponent)  # e^{x}; `L = e^2` of an error e named
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
            or token in ("\\frac", "\\dfrac", "\\tfrac", "\\partial", "\\sqrt", "\\sum", "\\nabla", "\\begin")
            or token in GREEK
            or (token.startswith("\\") and token[1:] in _FUNCTIONS)
            or token in _ACCENTS
            or token in _NORMS
            and not self.norms  # NOTE: `\\|` both opens and closes: inside a norm it closes
        )

    def subscript_word(self) -> str | None:
        """`_{o1}`, `_{h2}`, `_{\\text{total}}`: a subscript of letters and digits only is a label, taken whole (`out_o1`),
        not a product (`o*1`); None where the subscript holds anything else (`_{i+1}`)."""
        if self.peek() != "{":
            return None
        depth, ahead, parts = 0, 0, []
        while (token := self.peek(ahead)) is not None:
            depth += (token == "{") - (token == "}")
            ahead += 1
            if depth == 0:
                break
            if token not in ("{", "}", "\\text", "\\mathrm", "\\textrm", "\\rm"):
                parts.append(token)
        if depth or not parts or not all(re.fullmatch(r"[A-Za-z0-9]+", part) for part in parts):
            return None
        self.position += ahead
        return "".join(parts)

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
            if self.peek() in _COMPARISONS:  # `1(x > 0)`, `\mathbb{1}(x > 0)`: the indicator, one where it holds
                node = _indicator(node, _COMPARISONS[self.take()], self.expr())
            self.take(")")
            return node
        if token in _ACCENTS:  # `\\hat{y1}`: a quantity of its own beside y1 (`y1_hat`)
            inner = self.group_or_atom()
            if not isinstance(inner, tuple) or inner[0] != "name" or inner[2] is not None:
                raise MathError(f"{token} over something other than a name")
            return self.name(f"{inner[1]}_{_ACCENTS[token]}")
        if token in _NORMS:  # `\\|t - o\\|^2`, `\\lVert x \\rVert^2`: a squared norm, the sum of the squares taken elementwise
            self.norms += 1
            node = self.expr()
            self.take(_NORMS[token])
            self.norms -= 1
            if self.peek() == "_" and (self.peek(1) == "2" or [self.peek(k) for k in (1, 2, 3)] == ["{", "2", "}"]):
                for _ in range(2 if self.peek(1) == "2" else 4):  # `\|v\|_2^2`: the Euclidean norm, the one read
                    self.take()
            squared = self.peek() == "^" and (self.peek(1) == "2" or self.peek(1) == "{" and self.peek(2) == "2" and self.peek(3) == "}")
            if not squared:  # NOTE: |v| elementwise would sum to the L1 norm; squared, the sum a derivative is taken of is ‖v‖²
                raise MathError("a norm that is not squared")
            return ("call", "abs", node)
        if token == "\\max":
            return self.maximum()
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
        if token == "\\nabla" and self.peek() != "_" and self.peek() is not None and re.fullmatch(r"[A-Za-z]+", self.peek()):
            of = self.atom()  # `\nabla f(x)`, `\nabla f`: the gradient of f in all its variables, an entry each
            if of[0] == "fn" and not of[2]:
                of = ("name", of[1], None)
            if of[0] != "name" or of[2] is not None:
                raise MathError("a gradient of something other than a name")
            return Derivative(of[1], GRADIENT)
        if token == "\\nabla":  # `\nabla_w L`, `\nabla_{w} L`: the gradient of L with respect to w
            self.take("_")
            wrt = self.group_or_atom()
            of = self.atom() if self.peek() is not None and re.fullmatch(r"[A-Za-z]+", self.peek()) else ("name", "", None)
            if wrt[0] != "name" or of[0] != "name":
                raise MathError("a gradient of something other than a name")
            return Derivative(of[1], wrt[1])
        if token == "\\sqrt" and self.peek() == "[":  # \sqrt[3]{x}: a cube root
            self.take()
            degree = self.expr()
            self.take("]")
            return ("bin", "**", self.group_or_atom(), ("bin", "/", ("num", "1"), degree))
        if token == "\\sqrt":
            return ("call", "sqrt", self.group_or_atom())
        if token == "\\pi":
            return ("num", "pi")
        if token == "\\sum":
            while self.peek() in ("_", "^"):  # the limits (`_{i=1}^{n}`) are skipped: the sum is over all elements
                self.take()
                self.skip_group()
            return ("sum", self.term_body())
        if token in GREEK:
            return self.name(GREEK[token], split=False)
        if token.startswith("\\") and (token[1:] in _FUNCTIONS or token == "\\sigma"):
            name = {"\\ln": "log", "\\sigma": "sigmoid"}.get(token, token[1:])
            if self.peek() in _PRIMES or (token[1:] in self.functions and self.peek() == "("):
                return self.applied(name)  # `\sin'(x)`: the derivative of a function, named
            power = None
            if self.peek() == "^" and self.peek(1) != "{" and self.peek(2) in ("(", "{"):  # \cos^2(x): the square of the cosine
                self.take()
                power = self.atom()
            argument = self.atom() if self.peek() in ("(", "{") else self.power()  # \tanh(x)^2 squares the tanh
            return ("call", name, argument) if power is None else ("bin", "**", ("call", name, argument), power)
        if re.fullmatch(r"[A-Za-z]+", token):
            return self.name(token)
        if re.fullmatch(r"[A-Za-z]+\d+", token):
            return self.name(token, split=False)
        raise MathError(f"{token!r} is not in the math this reader understands")

    def matrix(self) -> object:
        """`\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}` (also pmatrix, matrix, Bmatrix): a list of rows; one row or one
        column is a flat list."""
        self.take("{")
        environment = self.take()
        self.take("}")
        if environment == "cases":  # NOTE: read as written but not as math: a derivative by cases still says something of f
            while self.take() != "\\end" or self.peek(1) != "cases":
                pass
            for expected in ("{", "cases", "}"):
                self.take(expected)
            return ("cases",)
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
            if self.peek() == "&" or self.peek() == "," and "&" not in self.tokens:
                self.take()  # NOTE: `\begin{bmatrix} 6x_1, 4x_2 \end{bmatrix}`: a row written with commas
        rows = [row for row in rows if row]
        if not rows or len({len(row) for row in rows}) != 1:
            raise MathError("a matrix with rows of different lengths")
        if len(rows) == 1 or len(rows[0]) == 1:  # one row or one column: a flat list that remembers which
            return ("list", [item for row in rows for item in row], "row" if len(rows) == 1 else "column")
        return ("list", [("list", row) for row in rows])

    def term_body(self) -> object:
        """The summand after \\sum: one term (a product), as `\\sum_i 5(x_i+1)^2` writes it."""
        node = self.factor()
        while self.peek() is not None and (self.peek() in _TIMES or self.starts_atom(self.peek())):
            if self.peek() in _TIMES:
                self.take()
            node = ("bin", "*", node, self.factor())
        return node

    def skip_group(self) -> None:
        """A group (`{i=1}`) or one token, not read."""
        if self.peek() != "{":
            self.take()
            return
        depth = 0
        while True:
            token = self.take()
            depth += {"{": 1, "}": -1}.get(token, 0)
            if depth == 0:
                return

    def applied(self, name: str) -> object:
        """`f(x, y)`, `f'(x)`, `f''(3)`, `f'`: ("fn", name, primes, args or None where none are written)."""
        primes = 0
        while self.peek() in _PRIMES:
            self.take()
            primes += 1
        if self.peek() != "(":
            return ("fn", name, primes, None)
        self.take("(")
        args = [self.expr()]
        while self.peek() == ",":
            self.take()
            args.append(self.expr())
        self.take(")")
        return ("fn", name, primes, tuple(args))

    def maximum(self) -> object:
        """`max(0, x)`: the larger of two, written as `(a + b + |a - b|) / 2` (the math's own operations)."""
        self.take("(")
        first = self.expr()
        self.take(",")
        second = self.expr()
        self.take(")")
        return ("bin", "/", ("bin", "+", ("bin", "+", first, second), ("call", "abs", ("bin", "-", first, second))), ("num", "2"))

    def name(self, letters: str, split: bool = True) -> object:
        if letters == "max" and self.peek() == "(" and "max" not in self.names:
            return self.maximum()
        if letters.lower() in _FUNCTIONS and letters not in self.names and self.peek() in ("(", *_PRIMES):
            letters = letters.lower()  # `\text{Sigmoid}(z_2)`, `\mathrm{ReLU}(x)`: the function, as a page capitalises it
        elif len(letters) > 2 and letters[0].isupper() and letters not in self.names and self.peek() == "(":
            return self.applied(letters)  # `\text{Softplus}(z)`, `Loss(\hat{p}, p)`: a function applied, never a product
        if letters in _FUNCTIONS and self.peek() in _PRIMES:
            return self.applied("log" if letters == "ln" else letters)
        if letters in _FUNCTIONS and self.peek() == "(":
            self.take()
            node = self.expr()
            self.take(")")
            return ("call", "log" if letters == "ln" else letters, node)
        index = None
        if self.peek() == "_":
            self.take()
            word = self.subscript_word()
            if word is not None:
                sub = word
            elif (self.peek() or "").isalnum():  # NOTE: `f_c'(x)`: the subscript is the one token, not c's derivative
                sub = self.take()
            else:
                subscript = self.group_or_atom()
                sub = render(subscript).replace(" ", "") if not isinstance(subscript, Derivative) else ""
            if sub in INDEX_LETTERS:
                index = sub
            else:
                letters = f"{letters}_{sub}"
        if index is None and (self.peek() in _PRIMES or (letters in self.functions and self.peek() == "(")):
            return self.applied(letters)
        if letters == "e" and index is None and "e" not in self.names:
            return ("num", "e")  # Euler's number, where no code names e
        if split and letters not in self.names and len(letters) > 1 and "_" not in letters and all(c in self.names for c in letters):
            node: object = ("name", letters[0], None)  # `xy` is x times y where both are the code's names
            for position, letter in enumerate(letters[1:], start=2):
                node = ("bin", "*", node, ("name", letter, index if position == len(letters) else None))  # `ax_i`: x's index
            self.split = node
            return node
        return ("name", letters, index)


def _is_matrix(node: object) -> bool:
    """A matrix or vector written out (`\\begin{bmatrix}...`), perhaps transposed: juxtaposed, two are a product."""
    return isinstance(node, tuple) and node[0] == "list" and (len(node) > 2 or all(isinstance(row, tuple) and row[0] == "list" for row in node[1]))


def _transposed(node: object) -> object:
    """`A^\\top` of a matrix written out; anything else transposed is not read."""
    if not _is_matrix(node):
        raise MathError("a transpose of something other than a matrix written out")
    if len(node) > 2:
        return ("list", node[1], "row" if node[2] == "column" else "column")
    rows = [row[1] for row in node[1]]
    return ("list", [("list", list(column)) for column in zip(*rows)])


def _differential(node: object, names: frozenset[str]) -> str | None:
    """The name under a differential: `∂x`, `dx`, `d(x)`, `d x_i`, `d f(x)`; None if the node is not one."""
    if isinstance(node, tuple) and node[0] == "bin" and node[1] == "*" and isinstance(node[2], tuple) and node[2][:2] in (("name", "∂"), ("name", "d")):
        inner = node[3]
        return inner[1] if isinstance(inner, tuple) and (inner[0] == "name" or (inner[0] == "fn" and inner[2] == 0)) else None
    if isinstance(node, tuple) and node[0] == "name" and node[1].startswith("d") and len(node[1]) > 1:
        rest = node[1][1:]
        if rest in names or node[1] not in names:
            return rest
    return None


_D = (("name", "∂", None), ("name", "d", None))


def _second(top: object, bottom: object) -> tuple[str, str, str] | None:
    """`∂²f / ∂x²` or `∂²f / ∂y ∂x`: (f, the first variable, the second); None if it is not a second derivative."""
    if not (isinstance(top, tuple) and top[0] == "bin" and top[1] == "*" and top[2] in (("bin", "**", d, ("num", "2")) for d in _D)):
        return None
    of = top[3][1] if top[3][0] == "name" or (top[3][0] == "fn" and top[3][2] == 0) else None
    factors: list[object] = []
    stack = [bottom]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple) and node[0] == "bin" and node[1] == "*":
            stack += [node[3], node[2]]
        else:
            factors.append(node)
    names = [f[1] for f in factors if f not in _D and f[0] == "name"]
    squares = [f[2][1] for f in factors if f[0] == "bin" and f[1] == "**" and f[2][0] == "name" and f[3] == ("num", "2")]
    if of is None or len(factors) - len(names) - len(squares) not in (1, 2):
        return None
    if len(squares) == 1 and not names:
        return of, squares[0], squares[0]
    if len(names) == 2 and not squares:
        return of, names[1], names[0]  # ∂²f/∂y∂x: ∂/∂y of ∂f/∂x
    return None


def _quotient(top: object, bottom: object, names: frozenset[str]) -> object:
    of, wrt = _differential(top, names), _differential(bottom, names)
    if of is not None and wrt is not None:
        return Derivative(of, wrt)
    if top in _D and wrt is not None:
        return Derivative("", wrt)  # `\frac{d}{dx}`, an operator: what it applies to follows
    second = _second(top, bottom)
    if second is not None:
        return Derivative(second[0], second[1], second=second[2])
    if isinstance(top, Derivative) or isinstance(bottom, Derivative):
        raise MathError("a derivative inside a fraction")
    return ("bin", "/", top, bottom)
