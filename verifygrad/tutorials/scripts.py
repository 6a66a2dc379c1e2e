"""Python files: sphinx-gallery scripts (`# %%` cells and rST comment blocks) and plain scripts."""

from __future__ import annotations

import ast
import re
from dataclasses import replace

from verifygrad.tutorials.blocks import CODE, PROSE, Block
from verifygrad.tutorials.markdown import read_rest

_CELL_MARK = re.compile(r"^#\s?%%|^#{20,}\s*$")


def looks_like_gallery(text: str) -> bool:
    return bool(re.search(r"^#\s?%%|^#{20,}\s*$", text, re.M))


def read_script(text: str) -> list[Block]:
    """A gallery script as prose and code cells; a plain script as its module docstring and one code block."""
    lines = text.splitlines()
    blocks: list[Block] = []
    start = _docstring_end(text, blocks)
    if not looks_like_gallery(text):
        if start < len(lines):
            blocks.append(Block(CODE, "\n".join(lines[start:]) + "\n", start + 1))
        return blocks
    index = start
    while index < len(lines):
        end = index + 1
        while end < len(lines) and not _CELL_MARK.match(lines[end]):
            end += 1
        cell = lines[index:end]
        offset = 1 if _CELL_MARK.match(cell[0]) else 0
        comments = offset
        while comments < len(cell) and (cell[comments].startswith("#") or (comments > offset and not cell[comments].strip())):
            if not cell[comments].strip() and comments + 1 < len(cell) and not cell[comments + 1].startswith("#"):
                break
            comments += 1
        if offset and comments > offset:  # the comment block under `# %%` is the cell's rST text
            prose = [re.sub(r"^# ?", "", line) for line in cell[offset:comments]]
            start = index + offset + 1  # NOTE: read as reST: `.. math::` is math, a `::` literal block code
            blocks += [replace(block, line=start + block.line - 1) for block in read_rest("\n".join(prose) + "\n")]
        else:
            comments = offset
        code = cell[comments:]
        if "".join(code).strip():
            blocks.append(Block(CODE, "\n".join(code) + "\n", index + comments + 1))
        index = end
    return blocks


def _docstring_end(text: str, blocks: list[Block]) -> int:
    """Add the module docstring as prose; return the 0-based line after it."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return 0
    first = module.body[0] if module.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        blocks.append(Block(PROSE, first.value.value, first.lineno))
        return first.end_lineno or first.lineno
    return 0
