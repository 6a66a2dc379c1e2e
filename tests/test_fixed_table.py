"""The results table drawn a row at a time is rich's own table: the same characters in the same styles, at every width."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from verifygrad.cases.discover import load_cases
from verifygrad.cases.problem import Overrides
from verifygrad.reports.console import fitting_table
from verifygrad.reports.fixed_table import FixedTable
from verifygrad.verdict.judge import check_all

CASES = Path(__file__).resolve().parents[1] / "cases"
ENGINES = ["numpy", "fd"]


@pytest.fixture(scope="module")
def outcomes() -> list:
    """Passes, ties with unchecked elements (cells of two lines), wrong claims (failures), programs."""
    cases, errors = load_cases([CASES / "ties.yaml", CASES / "wrong_claims.yaml", CASES / "programs.yaml"], None)
    assert not errors
    return check_all(cases, Overrides(engines=tuple(ENGINES)))


def styled_characters(console: Console, renderable: object) -> list[tuple[str, str]]:
    return [(char, str(segment.style or "")) for segment in console.render(renderable) for char in segment.text]


@pytest.mark.parametrize("width", [60, 100, 140, 200, 300])
def test_every_character_and_its_style_as_rich_draws_the_table(outcomes: list, width: int) -> None:
    console = Console(file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True)
    chosen = fitting_table(console, outcomes, ENGINES)
    if not isinstance(chosen, FixedTable):
        pytest.skip(f"at {width} columns a cell wraps: rich draws the table itself")
    drawn = styled_characters(console, chosen)
    assert drawn == styled_characters(console, chosen.table)
    assert any(style for _, style in drawn) and "\n" in "".join(char for char, _ in drawn)


def test_widths_where_the_table_fits_are_drawn_by_rows(outcomes: list) -> None:
    console = Console(file=io.StringIO(), width=300)
    assert isinstance(fitting_table(console, outcomes, ENGINES), FixedTable)
