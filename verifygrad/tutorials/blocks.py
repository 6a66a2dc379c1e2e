"""The one shape every reader produces: an ordered list of code, output, prose and math blocks."""

from __future__ import annotations

from dataclasses import dataclass

CODE, OUTPUT, PROSE, MATH = "code", "output", "prose", "math"


@dataclass(frozen=True)
class Block:
    """A piece of a tutorial with where it was found: file line of its first line, and its cell."""

    kind: str  # CODE, OUTPUT, PROSE or MATH
    text: str
    line: int
    cell: int | None = None  # notebook cell (1-based), or None outside notebooks
    one_line: bool = False  # the whole text sits on one file line (a notebook source saved as one JSON string)
    skip: bool = False  # the writer marked it to be left alone: a `verifygrad-skip` cell tag (a code block's own comment is read later)
    raised: str = ""  # a notebook cell whose saved output is an error: its name (`TypeError`)
    raised_at: int = 0  # the cell's line the error's traceback points at (1-based), 0 where it does not say

    def file_line(self, offset: int = 0) -> int:
        """The file line of the text's line ``offset`` (0-based)."""
        return self.line if self.one_line else self.line + offset

    def file_lines(self) -> range:
        """The file lines the text spans."""
        return range(self.line, self.file_line(max(0, self.text.count("\n", 0, len(self.text.rstrip("\n"))))) + 1)

    def where(self, offset: int = 0) -> str:
        """`line 12`, or in a notebook `line 40 (cell 3, line 2)` (`cell 3 output, line 1` for what the cell printed)."""
        if self.cell is None:
            return f"line {self.file_line(offset)}"
        part = f"cell {self.cell} output" if self.kind == OUTPUT else f"cell {self.cell}"
        return f"line {self.file_line(offset)} ({part}, line {offset + 1})"


@dataclass(frozen=True)
class Document:
    path: str
    format: str  # "notebook", "html", "markdown", "rest", "gallery", "python", "text"
    blocks: tuple[Block, ...]

    def place(self, line: int) -> str:
        """Where a file line is, as a reader finds it: `line 12`, or in a notebook `cell 4, line 3` / `cell 4, output`."""
        if self.format != "notebook":
            return f"line {line}"
        for block in self.blocks:
            if block.cell is not None and line in block.file_lines():
                if block.kind == OUTPUT:
                    return f"cell {block.cell}, output"
                return f"cell {block.cell}" if block.one_line else f"cell {block.cell}, line {line - block.line + 1}"
        return f"line {line}"
