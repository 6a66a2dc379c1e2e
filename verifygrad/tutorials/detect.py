"""Which reader a document needs, decided by its content (the extension only breaks ties)."""

from __future__ import annotations

import re
from pathlib import Path

from verifygrad.tutorials.blocks import Block, Document
from verifygrad.tutorials.html_export import looks_like_html, read_html, strip_front_matter
from verifygrad.tutorials.markdown import read_markdown
from verifygrad.tutorials.notebook import NotANotebook, looks_like_notebook, read_notebook
from verifygrad.tutorials.plaintext import read_text
from verifygrad.tutorials.scripts import looks_like_gallery, read_script

TUTORIAL_SUFFIXES = (".ipynb", ".md", ".markdown", ".myst", ".rst", ".txt", ".html", ".htm", ".py", ".text")


def detect_format(text: str, suffix: str = "") -> str:
    """One of notebook, html, markdown, gallery, python, text."""
    if looks_like_notebook(text):
        return "notebook"
    body = strip_front_matter(text)
    if looks_like_html(body) and (suffix in (".html", ".htm") or re.search(r'class="([^"]*\s)?(input_area|jp-Cell|highlight)[\s"-]', body) or suffix == ".txt"):
        return "html"
    if suffix == ".py" or (looks_like_gallery(text) and suffix not in (".md", ".rst")):
        return "gallery" if looks_like_gallery(text) else "python"
    if re.search(r"^[^\S\n]*(```|~~~)|^\.\. (code-block|code|math|sourcecode)::", body, re.M) or suffix in (".md", ".markdown", ".myst", ".rst"):
        return "markdown"
    return "text"


def read_document(path: Path, text: str) -> Document:
    """Split a tutorial into blocks with the reader its content calls for."""
    kind = detect_format(text, path.suffix.lower())
    try:
        blocks = _READERS[kind](text)
    except NotANotebook:
        kind, blocks = "text", read_text(text)
    return Document(str(path), kind, tuple(blocks))


_READERS = {
    "notebook": read_notebook,
    "html": read_html,
    "markdown": read_markdown,
    "gallery": read_script,
    "python": read_script,
    "text": read_text,
}


def describe(blocks: tuple[Block, ...] | list[Block]) -> str:
    """One line per block, for debugging and tests."""
    return "\n".join(f"{b.kind:6} {b.where()}: {b.text.splitlines()[0][:60] if b.text.strip() else ''}" for b in blocks)
