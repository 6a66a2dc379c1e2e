"""Output that fits: the table at 80 and 100 columns, colour apart from width, -q, one line per failure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from tests.clihelp import BUNDLED_CASES, write
from verifygrad.cases.discover import load_cases
from verifygrad.frontends.cli import main

VERDICTS = ("✓ PASS", "✓ XFAIL", "✗ FAIL", "○ SKIP", "! ERROR")
WRONG = "name: wrong-grad\nexpr: mean(5*(x+1)**2)\ninputs: {x: 'arange(0, 4)'}\nexpect:\n  value: 37.5\n  grad: {x: [2.5, 5, 7.5, 11]}\n"
RIGHT = "name: right\nexpr: x*x\ninputs: {x: 3}\nengines: [numpy, sympy]\nexpect: {grad: {x: 6}}\n"


def invoke(*args: str, **env: str | None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *args], env={"NO_COLOR": None, "FORCE_COLOR": None, "GITHUB_ACTIONS": None, **env})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


@pytest.mark.slow  # checks every bundled case twice: 20-30 s
@pytest.mark.parametrize("columns", [80, 100])
def test_every_case_name_and_verdict_whole_at_a_narrow_width(columns: int) -> None:
    code, output = invoke(str(BUNDLED_CASES), COLUMNS=str(columns))
    assert code == 0, output
    names = [case.name for case in load_cases([BUNDLED_CASES])[0]]
    table = output[output.index("\ncase ") + 1 :].split("╭")[0]  # the table: after the lines shown as cases finished, before the first panel
    rows = [line for line in table.splitlines() if line and not line.startswith(("case ", "─")) and " passed, " not in line]  # not the summary
    first_cells = [line.split()[0] for line in rows if not line.startswith(" ")]
    assert first_cells == names  # each name whole, at the start of its row, never wrapped
    assert sum(any(verdict in line for verdict in VERDICTS) for line in rows) == len(names)
    report = output[output.index("\ncase ") + 1 :]  # the lines shown as cases finished are one per case, for grep: never wrapped
    assert max(cell_len(line) for line in report.splitlines()) <= columns


def test_wide_output_keeps_a_column_per_engine() -> None:
    code, output = invoke(str(BUNDLED_CASES / "pytorch_tutorials.yaml"), "-e", "numpy", "-e", "sympy", COLUMNS="200")
    header = next(line for line in output.splitlines() if line.startswith("case ")).split()
    assert header == ["case", "input", "shape", "sympy", "numpy", "claim", "verdict"]


def test_colour_does_not_decide_width_or_progress(tmp_path: Path) -> None:
    two = "cases:\n  - {name: one, expr: x*x, inputs: {x: 3}, engines: [numpy, sympy]}\n  - {name: two, expr: x*x, inputs: {x: 2}, expect: {grad: {x: 5}}}\n"
    code, output = invoke(str(write(tmp_path, "cases.yaml", two)), FORCE_COLOR="1", COLUMNS=None)  # NOTE: pytest-xdist workers may set COLUMNS
    assert code == 1
    assert "\x1b[" in output  # FORCE_COLOR: colour...
    assert "checking" not in output  # ...but no progress-bar frames in a log
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    panel_top = next(line for line in plain.splitlines() if line.startswith("╭"))
    assert cell_len(panel_top) == 130  # and the log's width, not the 80 rich assumes for a forced terminal


@pytest.mark.parametrize(("args", "env", "coloured"), [
    (["--color", "always"], {}, True),
    (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    (["--no-color"], {"FORCE_COLOR": "1"}, False),
    ([], {"NO_COLOR": "1"}, False),
    ([], {}, False),  # piped, auto
    (["--color", "always"], {"NO_COLOR": "1"}, True),  # the option wins over the variable
])  # fmt: skip
def test_color_option_and_variables(tmp_path: Path, args: list[str], env: dict[str, str], coloured: bool) -> None:
    code, output = invoke(str(write(tmp_path, "r.yaml", RIGHT)), *args, **env)
    assert code == 0 and ("\x1b[" in output) is coloured


def test_failing_case_gets_one_grep_friendly_line_at_the_claim(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WRONG)
    code, output = invoke(str(path), COLUMNS="80")
    assert code == 1
    assert f"{path}:6: FAIL wrong-grad: claim grad.x: wrong (x[3]: claimed 11, true 10)" in output.splitlines()


def test_quiet_shows_only_the_failures_and_the_summary(tmp_path: Path) -> None:
    wrong = write(tmp_path, "w.yaml", WRONG)
    code, output = invoke(str(wrong), str(write(tmp_path, "r.yaml", RIGHT)), "-q")
    assert code == 1
    lines = output.splitlines()
    assert len(lines) == 2 and lines[1] == "1 passed, 1 failed"
    assert lines[0].startswith(f"{wrong}:6: FAIL wrong-grad: claim grad.x: wrong (x[3]: claimed 11, true 10")


THREE = (
    "cases:\n"
    "  - {name: first, expr: x*x, inputs: {x: 3}, engines: [numpy, fd]}\n"
    "  - {name: second, expr: x*x, inputs: {x: 2}, engines: [numpy, fd], expect: {grad: {x: 5}}}\n"
    "  - {name: third, expr: sum(log(x)), inputs: {x: [-1, 2]}, engines: [numpy, fd]}\n"
)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_log_gets_a_line_per_case_in_file_order_before_the_table(tmp_path: Path, jobs: str) -> None:
    path = write(tmp_path, "three.yaml", THREE)
    code, output = invoke(str(path), "-j", jobs)
    assert code == 1
    lines = output.splitlines()
    assert lines[0] == f"{path}:2: PASS first"
    assert lines[1].startswith(f"{path}:3: FAIL second: claim grad.x: wrong (x: claimed 5, true 4")
    assert lines[2] == f"{path}:4: SKIP third: not verified: the value is nan, not a finite number"
    assert lines[3].startswith("case ")  # then the table


def test_passing_cases_get_a_panel_only_with_verbose(tmp_path: Path) -> None:
    kink = write(tmp_path, "kink.yaml", "name: at-a-kink\nexpr: sum(relu(x))\ninputs: {x: [0, 1]}\nengines: [numpy, sympy]\n")
    code, output = invoke(str(kink))
    assert code == 0 and "╭" not in output
    code, output = invoke(str(kink), "-v")
    assert code == 0 and "╭" in output and "non-differentiable at x[0]" in output


def test_missing_paths_without_configuration_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = invoke()
    assert code == 2 and "no PATHS given" in output and "Traceback" not in output


def test_examples_are_the_bundled_cases() -> None:
    result = CliRunner().invoke(main, ["list", "--examples"])
    assert result.exit_code == 0
    listed = [line.split("\t")[1] for line in result.output.splitlines()]
    assert listed == [case.name for case in load_cases([BUNDLED_CASES])[0]]
    assert all(re.match(r".+\.yaml:\d+$", line.split("\t")[0]) for line in result.output.splitlines())
