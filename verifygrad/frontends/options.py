"""Command-line value types that refuse what the run could not use: nan, inf, numbers past the system's range."""

from __future__ import annotations

import math
from typing import Any

import click

from verifygrad.process.limits import LARGEST_COUNT, LARGEST_SECONDS


class Bounded(click.ParamType):
    """A finite number in [low, high] (a whole one if ``whole``); ``low`` itself excluded if ``low_open``."""

    def __init__(self, low: float, high: float, whole: bool = False, low_open: bool = False):
        self.low, self.high, self.whole, self.low_open = low, high, whole, low_open
        self.name = "integer" if whole else "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        too_low = number <= self.low if self.low_open else number < self.low
        if not math.isfinite(number) or too_low or number > self.high:
            side = ">" if self.low_open else ">="
            self.fail(f"{value!r} is not a number {side} {self.low:g} and <= {self.high:g}", param, ctx)
        if self.whole:
            if number != int(number):
                self.fail(f"{value!r} is not a whole number", param, ctx)
            return int(number)
        return number


SECONDS = Bounded(0, LARGEST_SECONDS)
POSITIVE_SECONDS = Bounded(0, LARGEST_SECONDS, low_open=True)
COUNT = Bounded(1, LARGEST_COUNT, whole=True)


def keyword_pattern(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """-k: a pytest expression that parses, or a usage error naming what is wrong."""
    if value is not None:
        from verifygrad.cases.keyword import PatternError, matcher

        try:
            matcher(value)
        except PatternError as err:
            raise click.BadParameter(str(err)) from None
    return value
