"""A signal that comes once every case is checked ends the run after its reports are out, not in the middle of its table."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.clihelp import run_cli, write
from verifygrad.process import children
from verifygrad.reports import console


@pytest.mark.parametrize(("sent", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_while_the_table_is_drawn_ends_the_run_with_its_reports_and_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent: int, code: int, word: str
) -> None:
    cases = write(tmp_path, "two.yaml", "cases:\n  - {name: square, expr: x*x, inputs: {x: 2}, expect: {grad: {x: 4}}}\n"
                  "  - {name: cube, expr: x**3, inputs: {x: 2}, expect: {grad: {x: 12}}}\n")  # fmt: skip
    drawn = console.render

    def render_after_a_signal(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), sent)  # NOTE: a signal to oneself is taken at the next bytecode, inside this draw
        drawn(*args, **kwargs)

    monkeypatch.setattr(console, "render", render_after_a_signal)
    monkeypatch.setattr(children, "exit_now", sys.exit)  # NOTE: the real one ends the process (pytest's own) at once
    status, output = run_cli(str(cases), "-e", "numpy", "-e", "sympy", "--json", str(tmp_path / "report.json"))
    assert status == code, output
    assert f"{word} after 2 of 2 cases" in output and "2 passed" in output
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["exit_code"] == code and [case["verdict"] for case in report["cases"]] == ["passed", "passed"]
