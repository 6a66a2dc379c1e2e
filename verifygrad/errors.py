"""Errors a user can act on: each names the file and line of what is wrong."""

from __future__ import annotations

EXIT_OK, EXIT_MISMATCH, EXIT_INVALID = 0, 1, 2
EXIT_NOTHING_CHECKABLE = 5  # `check`: every file was read, none holds a checkable derivation (pytest's "no tests collected")
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM, as shells report them
EXCERPT_CHARS = 40  # the most of a file's text a message quotes
MESSAGE_CHARS = 400


def excerpt(text: str, most: int = EXCERPT_CHARS) -> str:
    """At most ``most`` characters of text quoted from a file: a message must never echo the file's content."""
    return text if len(text) <= most else f"{text[: most - 1]}…"


def visible(text: str, newlines: bool = False) -> str:
    """Text safe for a terminal or an XML report: control and format characters (ESC, \\x01, U+202E) as escapes.

    A byte of a file name that was not UTF-8 (kept as a surrogate by Python) is shown as ``\\xff``.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or (newlines and ch == "\n") else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # NOTE: what os.fsdecode makes of a byte that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return ascii(ch)[1:-1]


class CaseError(Exception):
    """Something wrong in a case file, located at ``path:line``."""

    def __init__(self, path: str, line: int | None, message: str, case: str | None = None):
        message = excerpt(message, MESSAGE_CHARS)
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message
        self.case = case  # the name of the case it is in, where known: reports name the error after it

    def __str__(self) -> str:
        path = visible(self.path)  # NOTE: file names reach the terminal: OSC 52, bidi characters
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


class EngineSkipped(Exception):
    """Raised by an engine that cannot do this case; the message says why."""
