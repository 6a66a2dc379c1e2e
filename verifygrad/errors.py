"""Errors a user can act on: each names the file and line of what is wrong."""

from __future__ import annotations

EXIT_OK, EXIT_MISMATCH, EXIT_INVALID = 0, 1, 2


class CaseError(Exception):
    """Something wrong in a case file, located at ``path:line``."""

    def __init__(self, path: str, line: int | None, message: str, case: str | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message
        self.case = case  # the name of the case it is in, where known: reports name the error after it

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class EngineSkipped(Exception):
    """Raised by an engine that cannot do this case; the message says why."""
