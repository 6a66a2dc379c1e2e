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
_OUTPUT_LINE = re.compile(
    r"^\s*(tensor\(|Variable containing|array\(|\[torch\.|\[\s*[-+\d.]|\(\s*[-+\d.]|[-+]?\d[\d.e+-]*(\s+[-+]?\d[\d.e+-]*)*\s*\]*\)?,?\s*$"
    r"|.*Variable containing:|.*(requires_grad=True|grad_fn=<\w+>)\)\s*$|\.\.\.|[-+\d. ,e\[\]]+\]\s*,?\s*$)"
)


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
    return bool(_OUTPUT_LINE.match(line)) and not _is_code(line)


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
    """Extend a code block over following code lines, blank lines between them, and open brackets or strings."""
    end = start + 1
    while True:
        if end < len(lines) and not _complete(modernise("\n".join(lines[start:end]))):
            end += 1
            continue
        probe = end
        while probe < len(lines) and not lines[probe].strip():
            probe += 1
        if probe == len(lines):
            return end
        indented = lines[probe].startswith((" ", "\t")) and not _is_output(lines[probe])
        if _is_code(lines[probe]) or (indented and _complete(modernise("\n".join(lines[start : probe + 1])))):
            end = probe + 1
            continue
        return end


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
