"""Python 2 as old tutorials print it, rewritten line by line into Python 3 for the ast module."""

from __future__ import annotations

import re

_PRINT_STATEMENT = re.compile(r"^(\s*)print(\s+(?![\s(=.,)])|\s*$)(.*)$")
_ASYNC_KEYWORD = re.compile(r"\basync\s*=")  # torch's `.cuda(async=True)`, now `non_blocking`


def modernise(source: str) -> str:
    """`print x.grad  # note` -> `print(x.grad)  # note`; `async=` -> `non_blocking=`; other lines unchanged."""
    return "\n".join(_line(line) for line in source.split("\n"))


def _line(line: str) -> str:
    line = _ASYNC_KEYWORD.sub("non_blocking=", line)
    match = _PRINT_STATEMENT.match(line)
    if not match:
        return line
    indent, rest = match.group(1), match.group(3)
    code, comment = _split_comment(rest)
    code = code.rstrip().rstrip(",")
    return f"{indent}print({code}){'  ' + comment if comment else ''}"


def _split_comment(text: str) -> tuple[str, str]:
    """The code and the `# comment` of a line, a `#` inside a string literal not counting."""
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif text.startswith(quote, index):
                index += len(quote) - 1
                quote = ""
        elif text.startswith(('"""', "'''"), index):
            quote = text[index : index + 3]
            index += 2
        elif char in "\"'":
            quote = char
        elif char == "#":
            return text[:index], text[index:]
        index += 1
    return text, ""
