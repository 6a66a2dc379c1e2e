"""HTML exports of notebooks (nbconvert's classic and lab templates) and other HTML pages, read with html.parser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from verifygrad.tutorials.blocks import CODE, OUTPUT, PROSE, Block

# The class that marks each kind of region in nbconvert's classic and JupyterLab templates.
_ROLES = (
    ("prompt", None),
    ("jp-InputPrompt", None),
    ("jp-OutputPrompt", None),
    ("input_area", CODE),
    ("jp-InputArea-editor", CODE),
    ("output_subarea", OUTPUT),
    ("jp-OutputArea-output", OUTPUT),
    ("text_cell_render", PROSE),
    ("jp-RenderedMarkdown", PROSE),
)
_CELL_CLASSES = ("cell", "jp-Cell")
_BREAKING = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre", "ul", "ol", "table", "blockquote"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"}


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(html|body|div|pre|p)[\s>]", text[:200_000], re.I))


def strip_front_matter(text: str) -> str:
    """Blank out a leading `---` YAML front matter block, keeping line numbers."""
    match = re.match(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", text, re.S)
    if not match:
        return text
    return "\n" * match.group(0).count("\n") + text[match.end() :]


def read_html(text: str) -> list[Block]:
    reader = _Reader()
    reader.feed(strip_front_matter(text))
    reader.close()
    reader.finish_text(reader.current_role())
    return [block for block in reader.blocks if block.text.strip()]


class _Reader(HTMLParser):
    """Collects text per region: notebook input/output/markdown areas, else <pre> blocks and prose."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.stack: list[tuple[str, str | None, bool]] = []  # (tag, role, opens a region)
        self.cell = 0
        self.notebook = False
        self.parts: list[str] = []
        self.start_line = 0
        self.role: str | None = PROSE

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        role, opens = self.current_role(), False
        if any(name in classes for name in _CELL_CLASSES):
            self.cell += 1
            self.notebook = True
        for name, kind in _ROLES:
            if name in classes:
                role, opens = ("skip" if kind is None else kind), True
                break
        if tag == "pre" and not self.notebook and role in (PROSE, None):
            role, opens = "pre", True
        if opens:
            self.finish_text(self.current_role())
        elif tag in _BREAKING:
            self.parts.append("\n")
        if tag not in _VOID:
            self.stack.append((tag, role, opens))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                closed = self.stack[depth:]
                del self.stack[depth:]
                if any(opens for _, _, opens in closed):
                    self.finish_text(closed[-1][1])
                elif tag in _BREAKING:
                    self.parts.append("\n")
                return

    def handle_data(self, data: str) -> None:
        if self.current_role() == "skip" or data == "":
            return
        if not "".join(self.parts).strip():
            lead = len(data) - len(data.lstrip("\n"))
            self.start_line = self.getpos()[0] + lead
            self.parts = []
            data = data.lstrip("\n")
        self.parts.append(data.replace("\xa0", " "))

    def current_role(self) -> str | None:
        return self.stack[-1][1] if self.stack else PROSE

    def finish_text(self, role: str | None) -> None:
        text = "".join(self.parts)
        self.parts = []
        if not text.strip() or role == "skip":
            return
        if role == "pre":
            role = CODE if _reads_as_code(text) else OUTPUT
        kind = role if role in (CODE, OUTPUT) else PROSE
        cell = self.cell if self.notebook else None
        self.blocks.append(Block(kind, text.rstrip() + "\n" if kind != PROSE else text, self.start_line, cell))


def _reads_as_code(text: str) -> bool:
    """A <pre> outside a notebook: code if it parses as Python and assigns or calls something."""
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return False
    return any(isinstance(node, (ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.Call)) for node in ast.walk(tree))
