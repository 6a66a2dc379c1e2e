"""Plain text (blog posts copied from the web): code, printed results and prose told apart line by line."""

from __future__ import annotations

import ast
import re

from verifygrad.tutorials.blocks import CODE, OUTPUT, PROSE, Block
from verifygrad.tutorials.markdown import OUTPUT_LABEL
from verifygrad.tutorials.python2 import modernise

_CODE_START = re.compile(
    r"^\s*(import\s|from\s+\S+\s+import\s|print\b|with\s|for\s|while\s|if\s|elif\s|else\s*:|def\s|class\s|return\b|@|#"
    r"|[A-Za-z_][\w.]*(\[[^\]]*\])?\s*(=|\+=|-=|\*=|/=|,)"
    r"|[A-Za-z_][\w.]*\s*\(.*\)"
    r"|[A-Za-z_]\w*(\.[A-Za-z_]\w*)+\s*$)"
)
# NOTE: written so that no run of spaces can be split two ways (`\s*,?\s*$` is quadratic in the spaces), with the
# leading spaces taken whole (`(?=\S)`) and the patterns that may start anywhere searched apart, not as `^\s*.*`.
_OUTPUT_LINE = re.compile(
    r"^\s*(?=\S)(tensor\(|Variable containing|array\(|\[torch\.|\[\s*[-+\d.]|\(\s*[-+\d.]"
    r"|[-+]?\d[\d.e+-]*(\s+[-+]?\d[\d.e+-]*)*\s*(?:(?:\]+\)?,?|\),?|,)\s*)?$"
    r"|\.\.\.|(?:(?<= )[-+\d. ,e\[\]]*|[-+\d. ,e\[\]]+)\](?:\s*,)?\s*$)"
)
_OUTPUT_ANYWHERE = re.compile(r"Variable containing:|(?:requires_grad=True|grad_fn=<\w+>)\)\s*$")


def read_text(text: str) -> list[Block]:
    """Runs of code lines become code blocks; runs of printed-looking lines after them, output blocks."""
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    expect_output = False
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        if OUTPUT_LABEL.match(line):
            blocks.append(Block(PROSE, line + "\n", index + 1))
            expect_output = True
            index += 1
            continue
        if _is_output(line) and (expect_output or (blocks and blocks[-1].kind in (CODE, OUTPUT))):
            end = index
            while end < len(lines) and lines[end].strip() and (_is_output(lines[end]) or end > index and not _is_code(lines[end])):
                end += 1
            blocks.append(Block(OUTPUT, "\n".join(lines[index:end]) + "\n", index + 1))
            index = end
            continue
        if _is_code(line):
            expect_output = False
            end = _code_end(lines, index)
            blocks.append(Block(CODE, "\n".join(lines[index:end]) + "\n", index + 1))
            index = end
            continue
        start = index
        while index < len(lines) and lines[index].strip() and not _is_code(lines[index]) and not OUTPUT_LABEL.match(lines[index]):
            index += 1
        blocks.append(Block(PROSE, "\n".join(lines[start:index]) + "\n", start + 1))
    return blocks


def _is_output(line: str) -> bool:
    return bool(_OUTPUT_LINE.match(line) or _OUTPUT_ANYWHERE.search(line)) and not _is_code(line)


def _is_code(line: str) -> bool:
    """A line that starts like Python and parses, alone or as the opening of a bracketed or indented statement."""
    if not _CODE_START.match(line) or re.match(r"^\s*(tensor|array)\(", line):
        return False
    source = modernise(line.strip())
    if source.startswith("#"):
        return True
    try:
        ast.parse(source)
        return True
    except SyntaxError as err:
        return any(reason in str(err.msg) for reason in _UNFINISHED)
    except (ValueError, RecursionError):
        return False


def _code_end(lines: list[str], start: int) -> int:
    """Extend a code block over following code lines, blank lines between them, open brackets and strings,
    and the indented body of a statement ending in a colon. Linear: each line is scanned once."""
    state = _Scan()
    index = start
    end = start + 1
    while index < len(lines):
        line = lines[index]
        if index > start and not state.open:
            probe = index
            while probe < len(lines) and not lines[probe].strip():
                probe += 1
            if probe == len(lines):
                return end
            indented = lines[probe][:1] in (" ", "\t") and state.block and not _is_output(lines[probe])
            if not (_is_code(lines[probe]) or indented):
                return end
            index = probe
            line = lines[index]
        state.feed(modernise(line))
        index += 1
        end = index
    return end


class _Scan:
    """Bracket depth and open triple-quoted strings across lines, and whether an indented body may follow."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote = ""
        self.block = False

    @property
    def open(self) -> bool:
        return self.depth > 0 or bool(self.quote)

    def feed(self, line: str) -> None:
        index, code = 0, []
        while index < len(line):
            char = line[index]
            if self.quote:
                if char == "\\":
                    index += 2
                    continue
                if line.startswith(self.quote, index):
                    index += len(self.quote)
                    self.quote = ""
                    continue
            elif line.startswith(('"""', "'''"), index):
                self.quote = line[index : index + 3]
                index += 3
                continue
            elif char in "\"'":
                closing = line.find(char, index + 1)
                index = len(line) if closing < 0 else closing + 1
                continue
            elif char == "#":
                break
            else:
                self.depth += char in "([{"
                self.depth -= char in ")]}"
                self.depth = max(self.depth, 0)
                code.append(char)
            index += 1
        text = "".join(code).rstrip()
        if not self.open and text:
            self.block = text.endswith(":") or (line[:1] in (" ", "\t") and self.block)


_UNFINISHED = ("was never closed", "unterminated triple", "unexpected EOF", "expected an indented block")


def _complete(source: str) -> bool:
    """Whether the source parses, or fails for a reason other than being cut short."""
    try:
        ast.parse(source)
        return True
    except SyntaxError as err:
        return not any(reason in str(err.msg) for reason in _UNFINISHED)
    except (ValueError, RecursionError):
        return True
