"""-k PATTERN as pytest reads it: words matched case-insensitively in a case's name, joined by and/or/not and parentheses.

A word matches where the name contains it; a word with glob characters (`*?[`) matches the whole name as a
glob. Parsed by recursive descent into a predicate; nothing is evaluated.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


class PatternError(ValueError):
    """A -k expression that does not parse: the message names what was expected and where."""


@functools.lru_cache(maxsize=64)
def matcher(pattern: str) -> Callable[[str], bool]:
    """The predicate of ``pattern`` over case names."""
    tokens = [match.group(1) for match in _TOKEN.finditer(pattern)]
    if not tokens:
        return lambda name: True
    position = [0]

    def peek() -> str | None:
        return tokens[position[0]] if position[0] < len(tokens) else None

    def take() -> str:
        position[0] += 1
        return tokens[position[0] - 1]

    def joined(word: str, operand: Callable[[], Callable[[str], bool]], combine: Callable[[bool, bool], bool]) -> Callable[[str], bool]:
        """Operands joined left to right by ``word`` (`or`, `and`)."""
        left = operand()
        while peek() == word:
            take()
            left = (lambda a, b: lambda name: combine(a(name), b(name)))(left, operand())
        return left

    def either() -> Callable[[str], bool]:
        return joined("or", both, lambda a, b: a or b)

    def both() -> Callable[[str], bool]:
        return joined("and", negated, lambda a, b: a and b)

    def negated() -> Callable[[str], bool]:
        if peek() == "not":
            take()
            inner = negated()
            return lambda name: not inner(name)
        return atom()

    def atom() -> Callable[[str], bool]:
        token = peek()
        if token is None or token in (")", "and", "or"):
            raise PatternError(f"-k {pattern!r}: expected a word, '(' or 'not' at word {position[0] + 1}, got {token or 'the end'!r}")
        take()
        if token == "(":
            inner = either()
            if peek() != ")":
                raise PatternError(f"-k {pattern!r}: a '(' is not closed")
            take()
            return inner
        return _word(token)

    predicate = either()
    if peek() is not None:
        raise PatternError(f"-k {pattern!r}: unexpected {peek()!r} at word {position[0] + 1}")
    return predicate


def _word(word: str) -> Callable[[str], bool]:
    lowered = word.lower()
    if any(char in word for char in "*?["):
        return lambda name: fnmatch.fnmatchcase(name.lower(), lowered)
    return lambda name: lowered in name.lower()
