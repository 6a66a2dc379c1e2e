"""Jupyter notebooks as saved (JSON, nbformat 3 or 4), also when page text copied from a web page precedes the JSON."""

from __future__ import annotations

import bisect
import itertools
import json
import re

from verifygrad.tutorials.blocks import CODE, OUTPUT, PROSE, Block

SKIP_TAG = "verifygrad-skip"  # a cell tag: the writer asks for the cell's derivations and outputs to be left unchecked
# NOTE: `[^\S\n]`, not `\s`: with re.M, `^\s*` at every line start would run over all the blank lines below it.
_START = re.compile(r'^[^\S\n]*\{[^\S\n]*$|^[^\S\n]*\{\s*"(cells|worksheets|metadata|nbformat)"', re.M)
MAX_JSON_STARTS = 20  # places where the notebook's JSON may begin, tried in order: each try may read to the end


class NotANotebook(ValueError):
    """The text holds no notebook JSON."""


def notebook_json(text: str) -> tuple[dict, int]:
    """The notebook's JSON object and the file line (0-based) where it starts, skipping page chrome before it."""
    for match in itertools.islice(_START.finditer(text), MAX_JSON_STARTS):
        start = match.start() + match.group(0).index("{")
        try:
            data, _ = json.JSONDecoder().raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(data, dict) and ("cells" in data or "worksheets" in data):
            return data, text.count("\n", 0, start)
    raise NotANotebook("no notebook JSON found")


def looks_like_notebook(text: str) -> bool:
    return bool(re.search(r'"cells"\s*:\s*\[|"worksheets"\s*:\s*\[', text)) and bool(re.search(r'"cell_type"\s*:', text))


def read_notebook(text: str) -> list[Block]:
    """Each cell's source, then its saved outputs, in order; lines point into the file where the source is found."""
    data, _ = notebook_json(text)
    cells = data.get("cells")
    if cells is None:  # nbformat 3 keeps cells in worksheets
        cells = [cell for sheet in data.get("worksheets") or [] for cell in sheet.get("cells") or []]
    blocks: list[Block] = []
    locator = _Locator(text)
    for number, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
        if not isinstance(cell, dict):
            continue
        locator.next_cell()
        raw = cell.get("source", cell.get("input", ""))
        source = _joined(raw)
        kind = CODE if cell.get("cell_type") == "code" else PROSE
        line = locator.find(source)
        skip = SKIP_TAG in _tags(cell)
        raised, raised_at = _error(cell.get("outputs")) if kind == CODE else ("", 0)
        blocks.append(Block(kind, source, line, number, one_line=not isinstance(raw, list), skip=skip, raised=raised, raised_at=raised_at))
        for output in cell.get("outputs") or [] if kind == CODE else []:
            printed = _output_text(output)
            if printed is not None:
                blocks.append(Block(OUTPUT, printed, locator.find(printed), number, one_line=True, skip=skip))
        locator.end_cell()
    return blocks


ANSI = re.compile(r"\x1b\[[0-9;]*m")
ARROW = re.compile(r"^-+>\s*(\d+)", re.MULTILINE)  # IPython's `----> 4 arr[3] = 10`: the line that raised


def _error(outputs: object) -> tuple[str, int]:
    """A cell's saved error: its name and the line of the cell its traceback points at first (0 where it does not say)."""
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict) and output.get("output_type") == "error":
            name = output.get("ename") if isinstance(output.get("ename"), str) else "an error"
            frames = output.get("traceback") if isinstance(output.get("traceback"), list) else []
            arrow = ARROW.search(ANSI.sub("", "\n".join(frame for frame in frames if isinstance(frame, str))))
            return name[:80], int(arrow.group(1)) if arrow else 0
    return "", 0


def _tags(cell: dict) -> list[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def _joined(source: object) -> str:
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else ""


def _output_text(output: object) -> str | None:
    """The text an output shows: a stream's text, or a result's text/plain."""
    if not isinstance(output, dict):
        return None
    if output.get("output_type") == "stream":
        return _joined(output.get("text", ""))
    data = output.get("data")
    if isinstance(data, dict) and "text/plain" in data:
        return _joined(data["text/plain"])
    if "text" in output:  # nbformat 3 results
        return _joined(output["text"])
    return None


class _Locator:
    """Finds the file line where a cell's source or output is written in the JSON, searching from the cell's start."""

    def __init__(self, text: str):
        self.text = text
        self.cell_start = 0
        self.furthest = 0
        self.line_starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]

    def line_of(self, position: int) -> int:
        return bisect.bisect_right(self.line_starts, position)

    def next_cell(self) -> None:
        found = self.text.find('"cell_type"', self.furthest)
        self.cell_start = self.furthest = found if found >= 0 else self.furthest

    def end_cell(self) -> None:
        self.furthest += 1

    def find(self, content: str) -> int:
        first = next((line for line in content.splitlines() if line.strip()), "")
        if first:
            for encoded in (json.dumps(first)[1:-1], json.dumps(first, ensure_ascii=False)[1:-1]):
                found = self.text.find(encoded, max(0, self.text.rfind("{", 0, self.cell_start)))
                if found >= 0:
                    self.furthest = max(self.furthest, found)
                    return self.line_of(found)
        return self.line_of(self.cell_start)
