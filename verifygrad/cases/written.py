"""Numbers as written in a case file: their text kept, YAML 1.1's gaps filled, and hints for numbers quoted as text."""

from __future__ import annotations

import re

# NOTE: YAML 1.1 reads 1e-3 and 9.0e15 as text: its floats need a dot and a signed exponent.
# Case files are read with this pattern too, so that they mean what every other reader of them sees.
UNSIGNED_EXPONENT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
NUMBER_TEXT = re.compile(r"^\s*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*$")


class WrittenFloat(float):
    """A float that keeps the text it was written as: 0.5000 keeps its four decimals.

    ``rounded``: printed by a repr that rounds every number to fixed decimals (torch's `tensor(0.0014)`), so the
    number states its decimals however few significant digits it shows."""

    text: str
    rounded: bool

    def __new__(cls, value: float, text: str, rounded: bool = False) -> WrittenFloat:
        number = super().__new__(cls, value)
        number.text = text
        number.rounded = rounded
        return number

    def __getnewargs__(self) -> tuple[float, str, bool]:  # pickled to worker processes with its text
        return float(self), self.text, self.rounded


def portable(text: str) -> str:
    """The spelling every YAML reader takes as a number: 1e-3 -> 1.0e-3, 5E4 -> 5.0e+4."""
    mantissa, _, exponent = text.strip().lower().partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    elif mantissa.endswith("."):
        mantissa += "0"
    if exponent and exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}" if exponent else mantissa


def number_hint(value: object) -> str:
    """'; write 1.0e-3 (unquoted)' where ``value`` is text that spells a number, else ''."""
    if isinstance(value, str) and NUMBER_TEXT.match(value):
        return f"; write {portable(value)} (unquoted) for a number"
    return ""
