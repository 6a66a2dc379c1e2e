"""Under GitHub Actions no line verifygrad prints can be read as a workflow command unless it is one of its own.

The runner reads any line of a step's output that starts with `::` (after leading spaces) as a command:
`::add-mask::`, `::stop-commands::`, `::error file=...::`. Case names, paths and messages are printed at the
start of lines (the table's first column, `path:line: message`), so on GitHub Actions both output streams
pass through `CommandSafe`, which prefixes such a line with a backslash; verifygrad's own annotations are
written past it with `write_command`.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any


def on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def neutralised(line: str) -> str:
    """The line, with a backslash before a leading `::` (the runner then reads it as text)."""
    text = line.lstrip()
    return line if not text.startswith("::") else line[: len(line) - len(text)] + "\\" + text


class CommandSafe:
    """A text stream that writes every line through `neutralised`; a line is decided once its start is known."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.pending = ""  # the start of a line that may still become `::`
        self.line_start = True

    def write(self, text: str) -> int:
        if not text:
            return 0
        out = []
        lines = text.split("\n")
        for index, piece in enumerate(lines):
            ends = index < len(lines) - 1
            piece += "\n" if ends else ""
            if not piece:
                continue
            if self.line_start:
                self.pending += piece
                start = self.pending.lstrip()
                if not ends and start in ("", ":"):
                    continue  # not yet known whether this line is a command
                out.append(neutralised(self.pending))
                self.pending = ""
            else:
                out.append(piece)
            self.line_start = ends
        self.stream.write("".join(out))
        return len(text)

    def write_command(self, line: str) -> None:
        """One of verifygrad's own workflow commands, written as it is."""
        if self.pending:
            self.stream.write(self.pending + "\n")  # an open line, ended, so that the command starts its own
            self.pending, self.line_start = "", True
        if not self.line_start:
            self.stream.write("\n")
        self.stream.write(line if line.endswith("\n") else line + "\n")
        self.line_start = True

    def flush(self) -> None:
        self.stream.flush()  # NOTE: an undecided line start (spaces, one `:`) stays pending: written, it could start a command

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def guard_output() -> None:
    """On GitHub Actions, route stdout and stderr through `CommandSafe` (once)."""
    if not on_github_actions():
        return
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, CommandSafe):
            setattr(sys, name, CommandSafe(stream))


def write_command(stream: IO[str], line: str) -> None:
    """Write a workflow command of verifygrad's own, past the guard where there is one."""
    if isinstance(stream, CommandSafe):
        stream.write_command(line)
    else:
        stream.write(line + "\n")
