"""A worked example in numbers (`net_{h1} = w_1 i_1 + b_1 = 0.15 \\cdot 0.05 + 0.35 = 0.3775`): the values the page gives
each symbol, read from how it writes a formula and then the same formula with numbers in place of the symbols.

The page's step with numbers is matched to its step with symbols part by part; where every part matches (the same
operations, the same numbers where both write one, and each symbol given one number throughout), each symbol has
the number written in its place. Nothing is guessed: a step that does not match gives no value.
"""

from __future__ import annotations

from verifygrad.tutorials.mathtext import names_in


def substituted(formula: object, numbers: object) -> dict[str, str] | None:
    """The number each symbol of ``formula`` has in ``numbers``, the same formula written with numbers; None where they
    do not match part by part (or ``numbers`` names a symbol, or nothing is given a value)."""
    if not isinstance(formula, tuple) or not isinstance(numbers, tuple) or names_in(numbers) or not names_in(formula):
        return None
    found: dict[str, str] = {}
    if not _match(formula, numbers, found):
        return None
    return found or None


def _match(formula: tuple, numbers: tuple, found: dict[str, str]) -> bool:
    if not isinstance(formula, tuple) or not isinstance(numbers, tuple):
        return False  # NOTE: a derivative written in a step (`\\frac{∂L}{∂e} \\cdot 1`) holds no number of a symbol
    if formula[0] == "name" and formula[2] is None:
        value = _number(numbers)
        if value is None or found.get(formula[1], value) != value and not _same(found[formula[1]], value):
            return False
        found[formula[1]] = value
        return True
    if formula[0] != numbers[0] or len(formula) != len(numbers):
        return False
    if formula[0] == "num":
        return _same(formula[1], numbers[1])
    if formula[0] == "bin":
        return formula[1] == numbers[1] and _match(formula[2], numbers[2], found) and _match(formula[3], numbers[3], found)
    if formula[0] == "neg":
        return _match(formula[1], numbers[1], found)
    if formula[0] == "call":
        return formula[1] == numbers[1] and _match(formula[2], numbers[2], found)
    return False


def _number(node: tuple) -> str | None:
    """A number as written (`0.15`, `-2`), or None for anything else: a symbol's place holds one number, not arithmetic."""
    if node[0] == "num" and node[1] != "e":
        return node[1]
    if node[0] == "neg" and node[1][0] == "num" and node[1][1] != "e":
        return f"-{node[1][1]}"
    return None


def _same(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def value_of(side: object) -> str | None:
    """A side that is one number (`0.3775`, `-0.019`): its text; None for anything else."""
    return _number(side) if isinstance(side, tuple) and not names_in(side) else None


# NOTE: a number a page works out by hand from numbers it rounded (`0.75136507(1 - 0.75136507)`) is off from the exact
# value by about that rounding, times how much the steps between magnify it: this many times the largest relative one
CARRIED = 20
ROUNDED_DIGITS = 4


def rounding_carried(texts: list[str]) -> float:
    """The relative error a hand computation from these written numbers may carry: CARRIED times the largest relative
    rounding among the ones rounded (half a unit in the last digit written, over the number).

    NOTE: a number of few digits (`0.3`, `1.0`) is an input as given, exact; one of ROUNDED_DIGITS significant digits or
    decimals or more (`0.5621765`, `-0.0549`) is a result the page rounded."""
    worst = 0.0
    for text in texts:
        mantissa, _, exponent = text.lstrip("+-").lower().partition("e")
        digits = len(mantissa.partition(".")[2])
        value = abs(float(text))
        significant = len(mantissa.replace(".", "").lstrip("0"))
        if value and "." in mantissa and (significant >= ROUNDED_DIGITS or digits >= ROUNDED_DIGITS):  # `-0.0549`: 4 decimals, rounded
            worst = max(worst, 0.5 * 10.0 ** (int(exponent or 0) - digits) / value)
    return CARRIED * worst


def rounding_of_arithmetic(texts: list[str]) -> float:
    """The relative error arithmetic on these written decimals (`0.562 \\cdot 0.438`, a hand step on numbers rounded
    earlier) may carry: the sum of each one's half unit in its last digit over it, every decimal counted as rounded."""
    carried = 0.0
    for text in texts:
        mantissa, _, exponent = text.lstrip("+-").lower().partition("e")
        value = abs(float(text))
        if value and "." in mantissa:
            carried += 0.5 * 10.0 ** (int(exponent or 0) - len(mantissa.partition(".")[2])) / value
    return carried


def numbers_in(node: object) -> list[str]:
    """The numbers written in a node, as written."""
    if not isinstance(node, tuple):
        return []
    if node[0] == "num":
        return [node[1]] if node[1] != "e" else []
    return [text for part in node[1:] for item in (part if isinstance(part, list) else [part]) for text in numbers_in(item)]
