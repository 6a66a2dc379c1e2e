"""A rich Table whose columns all have their widths and whose cells never wrap, drawn a line at a time.

rich lays out every cell of a table (padding, wrapping, cropping, measuring): seconds for a thousand cases.
Once ``console.fitting_table`` has given every column its natural width, nothing can wrap, and a row is
its cells' lines, each padded to its column's width, joined by the table's padding: the same characters in
the same styles as rich draws them (tests/test_fixed_table.py compares the two).
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

GAP = 3  # a column's right padding, the box's blank vertical and the next column's left padding


class FixedTable:
    """``table`` (box SIMPLE_HEAD, no edge, no lines between rows, every column's width set) drawn by rows."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        columns = self.table.columns
        widths = [column.width or 0 for column in columns]
        total = sum(widths) + GAP * (len(widths) - 1)
        header_style = console.get_style(self.table.header_style or "")
        yield from _line(console, [Text(str(column.header)) for column in columns], widths, header_style)
        yield Segment("─" * total, Style())
        yield Segment.line()
        cells = list(zip(*(column.cells for column in columns)))
        for index, (row, meta) in enumerate(zip(cells, self.table.rows)):
            texts = [cell if isinstance(cell, Text) else Text(str(cell)) for cell in row]
            split = [text.split("\n", allow_blank=True) if "\n" in text.plain else [text] for text in texts]
            for depth in range(max(map(len, split))):
                yield from _line(console, [lines[depth] if depth < len(lines) else None for lines in split], widths)
            if meta.end_section and index < len(cells) - 1:
                yield Segment(" " * total, Style())
                yield Segment.line()


def _line(console: Console, texts: list[Text | None], widths: list[int], padding: Style | None = None) -> Iterator[Segment]:
    """One line of the table: each cell's text padded to its width (in its own base style), the padding between in ``padding``."""
    pad = Segment(" ", padding or Style())
    for i, (text, width) in enumerate(zip(texts, widths)):
        if i:
            yield pad
            yield Segment(" ", Style())
            yield pad
        if text is None:
            yield Segment(" " * width, Style())
            continue
        if padding is not None:
            text = Text(text.plain, style=padding)
        short = width - text.cell_len
        if short > 0:
            text = text.copy()
            text.pad_right(short)
        base = console.get_style(text.style) if text.style else None
        yield from Segment.apply_style(text.render(console), base) if base else text.render(console)
    yield Segment.line()
