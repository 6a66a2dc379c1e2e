"""HTML exports of notebooks (nbconvert's classic and lab templates) and other HTML pages, read in one pass."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

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
    for kind, line, value, attrs in html_events(strip_front_matter(text)):
        reader.line = line
        if kind == "start":
            reader.handle_starttag(value, attrs)
        elif kind == "end":
            reader.handle_endtag(value)
        else:
            reader.handle_data(value)
    reader.finish_text(reader.current_role())
    return [block for block in reader.blocks if block.text.strip()]


_TAG_NAME = re.compile(r"[a-zA-Z][^\t\n\r\f />\x00]*")
_ATTRIBUTE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*('[^']*'|"[^"]*"|[^\s>]*))?""")
_RAW_TEXT = {"script": re.compile(r"</script", re.I), "style": re.compile(r"</style", re.I)}


def html_events(text: str) -> Iterator[tuple[str, int, str, list[tuple[str, str | None]]]]:
    """("start" | "end" | "data", line, tag name or text, attributes) in document order, in linear time.

    NOTE: not html.parser: for every `</`, `<a `, `<!` or `<?` that never closes it searches to the end of the
    text again (quadratic). Here a construct that does not close ends the document, as HTML5 says of EOF in a tag."""
    position, line, counted = 0, 1, 0
    while position < len(text):
        line += text.count("\n", counted, position)
        counted = position
        if text[position] != "<":
            following = text.find("<", position)
            following = len(text) if following < 0 else following
            yield "data", line, unescape(text[position:following]), []
            position = following
            continue
        end, events = _markup(text, position)
        if end == position:  # a `<` that opens nothing: text, with the `<`s after it that open nothing either
            following = position + 1
            while following < len(text):
                following = text.find("<", following)
                following = len(text) if following < 0 else following
                if following == len(text) or _markup(text, following)[0] != following:
                    break
                following += 1
            yield "data", line, unescape(text[position:following]), []
            position = following
            continue
        for kind, name, attrs in events:
            yield kind, line, name, attrs
        position = end
        if events and events[-1][0] == "start" and events[-1][1] in _RAW_TEXT:  # <script>, <style>: text to their end tag
            closing = _RAW_TEXT[events[-1][1]].search(text, position)
            raw_end = len(text) if closing is None else closing.start()
            if raw_end > position:
                yield "data", line + text.count("\n", counted, position), text[position:raw_end], []
            position = raw_end


def _markup(text: str, start: int) -> tuple[int, list[tuple[str, str, list[tuple[str, str | None]]]]]:
    """Where the construct opened by the `<` at `start` ends (`start`: it opens none) and its events."""
    if text.startswith("<!--", start):
        close = text.find("-->", start + 4)
        return (len(text) if close < 0 else close + 3), []
    if text.startswith("<![CDATA[", start):
        close = text.find("]]>", start + 9)
        return (len(text) if close < 0 else close + 3), []
    if text.startswith(("<!", "<?"), start):
        close = text.find(">", start + 2)
        return (len(text) if close < 0 else close + 1), []
    closing = text.startswith("</", start)
    name = _TAG_NAME.match(text, start + 1 + closing)
    if name is None:
        return start, []
    position = name.end()
    while position < len(text) and text[position] != ">":  # attributes: a quoted value may hold `>`
        if text[position] in "\"'":
            quote = text.find(text[position], position + 1)
            position = len(text) if quote < 0 else quote + 1
        else:
            position += 1
    if position >= len(text):
        return len(text), []  # a tag cut off by the end of the document: dropped
    tag = name.group(0).lower()
    if closing:
        return position + 1, [("end", tag, [])]
    inside = text[name.end() : position]
    attrs = [(key.lower(), _attribute_value(value)) for key, value in _ATTRIBUTE.findall(inside)]
    events = [("start", tag, attrs)]
    if inside.rstrip().endswith("/"):  # `<br/>`: opened and closed
        events.append(("end", tag, []))
    return position + 1, events


def _attribute_value(value: str) -> str | None:
    if not value:
        return None
    return unescape(value[1:-1] if value[:1] in "\"'" else value)


class _Reader:
    """Collects text per region: notebook input/output/markdown areas, else <pre> blocks and prose."""

    def __init__(self) -> None:
        self.line = 1
        self.blocks: list[Block] = []
        self.stack: list[tuple[str, str | None, bool]] = []  # (tag, role, opens a region)
        self.cell = 0
        self.notebook = False
        self.parts: list[str] = []
        self.has_text = False  # whether `parts` holds more than whitespace (kept, not re-joined per tag: linear)
        self.open_tags: dict[str, int] = {}  # how many of each tag the stack holds: a stray end tag costs no search
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
            self.open_tags[tag] = self.open_tags.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags.get(tag):
            return
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                closed = self.stack[depth:]
                del self.stack[depth:]
                for name, _, _ in closed:
                    self.open_tags[name] -= 1
                if any(opens for _, _, opens in closed):
                    self.finish_text(closed[-1][1])
                elif tag in _BREAKING:
                    self.parts.append("\n")
                return

    def handle_data(self, data: str) -> None:
        if self.current_role() == "skip" or data == "":
            return
        if not self.has_text:
            lead = len(data) - len(data.lstrip("\n"))
            self.start_line = self.line + lead
            self.parts = []
            data = data.lstrip("\n")
        self.parts.append(data.replace("\xa0", " "))
        self.has_text = self.has_text or bool(data.strip())

    def current_role(self) -> str | None:
        return self.stack[-1][1] if self.stack else PROSE

    def finish_text(self, role: str | None) -> None:
        text = "".join(self.parts)
        self.parts, self.has_text = [], False
        if not text.strip() or role == "skip":
            return
        if role == "pre":
            role = CODE if reads_as_code(text) else OUTPUT
        kind = role if role in (CODE, OUTPUT) else PROSE
        cell = self.cell if self.notebook else None
        self.blocks.append(Block(kind, text.rstrip() + "\n" if kind != PROSE else text, self.start_line, cell))


def reads_as_code(text: str) -> bool:
    """A <pre> outside a notebook: code if it parses as Python and defines, assigns or calls something."""
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return False
    return any(isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.Call)) for node in ast.walk(tree))
