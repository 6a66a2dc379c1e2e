"""Fuzzing the renderer and the report writers: any text in names, paths, expressions and messages.

Whatever a case file calls things, the console shows it as text (no markup read, no control character
reaching the terminal), the JUnit XML parses back, and the JSON parses back with every name intact.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from io import StringIO

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from tests.strategies import fuzz_settings
from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides
from verifygrad.errors import CaseError, visible
from verifygrad.reports.console import render
from verifygrad.reports.json_report import run_report
from verifygrad.reports.junit import junit_xml
from verifygrad.verdict.judge import check_case
from verifygrad.verdict.outcome import ERROR

MARKUP = ["[/]", "[/dim]", "[bold green]✓ PASS", "[link=https://example.com]x[/link]", "[", "]", "\\[", "[red]", ":smile:", "@click"]
CONTROL = ["\x1b[2J", "\x1b]52;c;ZXZpbA==\x07", "\x01", "\x00", "\r", "\n", "\t", "\x7f", "\x9b", "\u202e", "\u2028", "\ufeff"]
hostile_text = st.lists(
    st.one_of(st.sampled_from(MARKUP + CONTROL), st.text(max_size=8), st.characters(blacklist_categories=["Cs"]).map(str)),
    min_size=1,
    max_size=8,
).map("".join)
path_text = st.one_of(hostile_text, st.binary(min_size=1, max_size=12).map(lambda b: b.decode("utf-8", "surrogateescape")))

# One real failing outcome (a wrong gradient claim); the fuzzer renames it, reroutes it and rewrites its reasons.
_CASE = Case(name="seed", expr="sum(x * x)", inputs={"x": [1.0, 2.0]}, path="seed.yaml", line=1, expect={"grad": {"x": [2.0, 5.0]}})
SEED = check_case(_CASE, Overrides(engines=("numpy", "torch")))


def outcomes_from(name: str, path: str, expr: str, reason: str) -> tuple[list, list[CaseError]]:
    case = dataclasses.replace(_CASE, name=name, path=visible(path), expr=expr, description=reason, source=reason)
    failing = dataclasses.replace(SEED, case=case, reasons=[*SEED.reasons, reason])
    invalid = dataclasses.replace(SEED, case=dataclasses.replace(case, name=name + "2"), verdict=ERROR, reasons=[reason], quantities=[], results={})
    return [failing, invalid], [CaseError(visible(path), 3, reason)]


@fuzz_settings(150)
@given(name=hostile_text, path=path_text, expr=hostile_text, reason=hostile_text, verbose=st.integers(0, 2), width=st.integers(40, 200))
def test_the_console_shows_any_text_as_text(name: str, path: str, expr: str, reason: str, verbose: int, width: int) -> None:
    outcomes, load_errors = outcomes_from(name, path, expr, reason)
    buffer = StringIO()
    render(Console(file=buffer, width=width, no_color=True, color_system=None, highlight=False), outcomes, load_errors, verbose)
    shown = buffer.getvalue()
    assert visible(shown, newlines=True) == shown  # not one control or format character reaches the terminal
    assert shown.rstrip().endswith("0 passed, 1 failed, 2 errors")


@fuzz_settings(150)
@given(name=hostile_text, path=path_text, expr=hostile_text, reason=hostile_text)
def test_the_reports_parse_back(name: str, path: str, expr: str, reason: str) -> None:
    outcomes, load_errors = outcomes_from(name, path, expr, reason)
    root = ET.fromstring(junit_xml(outcomes, load_errors, 1.0).encode("utf-8"))
    assert [t.get("name") for t in root.iter("testcase")][:2] == [visible(name), visible(name + "2")]
    assert root.get("tests") == "3" and root.get("failures") == "1" and root.get("errors") == "2"
    text = json.dumps(run_report(outcomes, load_errors, 1, 1.0), indent=2, ensure_ascii=False)
    report = json.loads(text.encode("utf-8", "backslashreplace").decode("utf-8"))  # as the CLI writes it
    assert [c["name"] for c in report["cases"]] == [name, name + "2"] and report["cases"][0]["expression"] == expr
    assert report["load_errors"][0]["message"] == load_errors[0].message
