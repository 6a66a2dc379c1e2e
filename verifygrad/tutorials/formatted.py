"""The text a print writes, as a template: its literal parts in order with a field between each two.

`print(f"f'({x}) = {df(x)}")` writes `f'(`, a field, `) = `, a field. Matched against an output line, each field takes
exactly the text between its literals (`3.0`, `6.0`), so a value is tied to the field that printed it, never by counting
the numbers on the line (the point in the label is one too). f-strings, `%` and `str.format` are read, and a print's
other arguments joined by its `sep`. The format string is only split here, never formatted with the page's values.
"""

from __future__ import annotations

import ast
import re
import string
from dataclasses import dataclass

# A `%` conversion: flags, width and precision written out (a mapping key or a `*` is not read)
_PERCENT = re.compile(r"%([#0\- +]*)(\d*)(?:\.(\d+))?[hlL]?([diouxXeEfFgGcrsa%])")
_FIXED = re.compile(r"[^.{}]*\.(\d+)[fF]")  # `.4f`, ` .4f`, `>8.3f`: rounded to that many decimals
MAX_FIELDS = 32


@dataclass(frozen=True)
class Part:
    """One field of a print's text: the code printed there and how it is formatted."""

    node: ast.expr
    spec: str | None = ""  # the format spec as written (`.4f`, `%`'s flags, width and precision); None where it is computed
    conversion: str = ""  # f-strings and str.format: "s", "r", "a" or ""; `%`: its conversion letter ("s", "f", "d"...)
    style: str = "format"  # "format" (f-strings, str.format), "percent", or "plain" (a print's argument, printed as str())

    @property
    def rounded(self) -> int | None:
        """The decimals a fixed-point format rounds the value to (`{x:.4f}`, `%.3f`); None for any other."""
        spec = (self.spec or "") + (self.conversion if self.style == "percent" else "")
        fixed = _FIXED.fullmatch(spec)
        return int(fixed.group(1)) if fixed else None

    def text_of(self, value: float) -> str | None:
        """The text this field prints for a Python number, as Python formats it; None where that is not known."""
        if self.spec is None or isinstance(value, bool):
            return None
        try:
            if self.style == "percent":
                return f"%{self.spec}{self.conversion}" % value  # NOTE: only flags, width and precision the pattern admitted
            if self.style == "plain":
                return str(value)
            shown = repr(value) if self.conversion in ("r", "a") else str(value) if self.conversion == "s" else value
            return format(shown, self.spec)
        except (ValueError, TypeError, OverflowError):
            return None


@dataclass(frozen=True)
class Field:
    """A field of a template: ``exact`` is the text it must print where the reader knows it (`{x}` with x = 3.0: `3.0`)."""

    exact: str | None = None


@dataclass(frozen=True)
class Template:
    """The text one print writes: ``literals`` has one more item than ``fields``, a field between each two."""

    literals: tuple[str, ...]
    fields: tuple[Field, ...]

    def match(self, text: str, exact: bool = True) -> list[tuple[int, str]] | None:
        """Each field's place and text where the whole of ``text`` is this template's and the literals cut it one way
        only; ``exact``: each field the reader knows prints its own text (else the literals alone decide)."""
        first, last = self.literals[0], self.literals[-1]
        if not self.fields:
            return [] if text == first else None
        if not text.startswith(first) or not text.endswith(last) or len(first) + len(last) > len(text):
            return None
        stop = len(text) - len(last)
        earliest, position = [], len(first)  # NOTE: each literal at its first place and at its last: the same places, one cut
        for literal in self.literals[1:-1]:
            found = text.find(literal, position, stop)
            if found < 0:
                return None
            earliest.append(found)
            position = found + len(literal)
        latest, position = [], stop
        for literal in reversed(self.literals[1:-1]):
            found = text.rfind(literal, len(first), position)
            latest.append(found)
            position = found
        if earliest != latest[::-1]:
            return None
        starts = [len(first)] + [at + len(literal) for at, literal in zip(earliest, self.literals[1:-1])]
        pieces = [(start, text[start:end]) for start, end in zip(starts, [*earliest, stop])]
        if exact and any(field.exact is not None and piece != field.exact for (_, piece), field in zip(pieces, self.fields)):
            return None
        return pieces

    @property
    def worded(self) -> bool:
        """Whether its literals hold any text to match (`{g}` alone matches every line: it is not matched)."""
        return any(literal.strip() for literal in self.literals)

    @property
    def lines(self) -> int:
        """How many output lines the text spans (a literal `\\n` starts another)."""
        return 1 + sum(literal.count("\n") for literal in self.literals)


def print_parts(call: ast.Call) -> list[str | Part] | None:
    """A print's text as literal strings and fields in order, where one of its arguments is a formatted string; None
    for any other print, or one whose text is not known in this form (a computed `sep`, an `end` without a newline)."""
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    sep = _constant_text(keywords.pop("sep", ast.Constant(" ")))
    end = _constant_text(keywords.pop("end", ast.Constant("\n")))
    keywords.pop("flush", None)
    if sep is None or end != "\n" or keywords or any(isinstance(argument, ast.Starred) for argument in call.args):
        return None
    if not any(_formatted(argument) for argument in call.args):
        return None
    parts: list[str | Part] = []
    for index, argument in enumerate(call.args):
        if index:
            parts.append(sep)
        inner = _parts_of(argument)
        if inner is None:
            return None
        parts += inner
    return parts if sum(isinstance(part, Part) for part in parts) <= MAX_FIELDS else None


def _formatted(node: ast.expr) -> bool:
    return (
        _concatenated(node) is not None
        or isinstance(node, ast.JoinedStr)
        or isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _constant_text(node.left) is not None
        or isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" and _constant_text(node.func.value) is not None
    )  # fmt: skip


def _parts_of(node: ast.expr) -> list[str | Part] | None:
    text = _constant_text(node)
    if text is not None:
        return [text]
    if isinstance(node, ast.JoinedStr):
        return _joined(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _constant_text(node.left) is not None:
        return _percent(_constant_text(node.left), node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" and _constant_text(node.func.value) is not None:
        return _format(_constant_text(node.func.value), node)
    if isinstance(node, ast.Starred):
        return None
    joined = _concatenated(node)
    if joined is not None:
        return joined
    return [Part(node, "", "", "plain")]


def _concatenated(node: ast.expr) -> list[str | Part] | None:
    """`"dtheta = " + str(dtheta)`: strings joined with `+`, each a literal, `str(...)` of a value, or formatted text;
    None for anything else (a `+` of numbers is arithmetic)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return None
    parts: list[str | Part] = []
    for side in (node.left, node.right):
        if _constant_text(side) is not None or _formatted(side):
            inner = _parts_of(side)
        elif isinstance(side, ast.Call) and isinstance(side.func, ast.Name) and side.func.id == "str" and len(side.args) == 1 and not side.keywords:
            inner = [Part(side.args[0], "", "", "plain")]
        else:
            return None
        if inner is None:
            return None
        parts += inner
    return parts if any(isinstance(part, str) for part in parts) else None


def _joined(node: ast.JoinedStr) -> list[str | Part] | None:
    parts: list[str | Part] = []
    for piece in node.values:
        if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
            parts.append(piece.value)
        elif isinstance(piece, ast.FormattedValue):
            spec = _spec_text(piece.format_spec)
            conversion = chr(piece.conversion) if piece.conversion > 0 else ""
            parts.append(Part(piece.value, spec, conversion))
        else:
            return None
    return parts


def _spec_text(spec: ast.expr | None) -> str | None:
    if spec is None:
        return ""
    if isinstance(spec, ast.JoinedStr) and all(isinstance(piece, ast.Constant) for piece in spec.values):
        return "".join(str(piece.value) for piece in spec.values)
    return None


def _percent(text: str, right: ast.expr) -> list[str | Part] | None:
    """`"f(%s) = %.4f" % (x, g)`: a conversion per item of the tuple (one value where it is not a tuple)."""
    values = list(right.elts) if isinstance(right, ast.Tuple) else [right]
    parts: list[str | Part] = []
    position, used = 0, 0
    for match in re.finditer(r"%", text):
        if match.start() < position:
            continue
        conversion = _PERCENT.match(text, match.start())
        if conversion is None:
            return None  # `%(name)s`, `%*d`: not read
        parts.append(text[position : match.start()])
        position = conversion.end()
        if conversion.group(4) == "%":
            parts.append("%")
            continue
        if used >= len(values) or isinstance(values[used], ast.Starred):
            return None
        flags, width, precision, letter = conversion.groups()
        spec = flags + width + (f".{precision}" if precision is not None else "")
        parts.append(Part(values[used], spec, letter, "percent"))
        used += 1
    parts.append(text[position:])
    return parts if used == len(values) else None


def _format(text: str, call: ast.Call) -> list[str | Part] | None:
    """`"f({}) = {:.4f}".format(x, g)`: each field the argument it names (`{}` in turn, `{0}`, `{name}`)."""
    if any(isinstance(argument, ast.Starred) for argument in call.args) or any(keyword.arg is None for keyword in call.keywords):
        return None
    named = {keyword.arg: keyword.value for keyword in call.keywords}
    parts: list[str | Part] = []
    automatic = 0
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError:
        return None
    for literal, name, spec, conversion in pieces:
        parts.append(literal)
        if name is None:
            continue
        if spec and "{" in spec:
            return None
        if name == "":
            index, automatic = automatic, automatic + 1
            node = call.args[index] if index < len(call.args) else None
        elif name.isdecimal():
            node = call.args[int(name)] if int(name) < len(call.args) else None
        else:
            node = named.get(name)
        if node is None:
            return None
        parts.append(Part(node, spec or "", conversion or ""))
    return parts


def _constant_text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
