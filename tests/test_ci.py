"""CI-native runs: GitHub annotations at the failing claim's line, the step summary, --maxfail, --shard,
[tool.verifygrad] in pyproject.toml, and JUnit XML that strict consumers validate."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner

from tests.clihelp import write
from verifygrad.frontends.cli import main

JUNIT_10 = xmlschema.XMLSchema(str(Path(__file__).parent / "data" / "junit-10.xsd"))
FAST = "defaults: {engines: [numpy, sympy]}\n"
SUITE = (
    FAST
    + """\
cases:
  - name: right
    expr: sum(x*x)
    inputs: {x: [1, 2]}
    expect: {grad: {x: [2, 4]}}
  - name: wrong-value
    expr: sum(x*x)
    inputs: {x: [1, 2]}
    expect:
      value: 6
  - name: wrong-grad
    expr: sum(x*x)
    inputs: {x: [1, 2]}
    expect:
      value: 5
      grad:
        x: [2, 5]
  - name: skipped
    expr: x*x
    inputs: {x: 2}
    engines: [numpy]
  - name: "typo\\u001b[31m"
    expr: x
    inptus: {x: 1}
"""
)
ANNOTATION = re.compile(r"^::(error|warning) file=([^,]*),line=(\d+),title=([^:]*)::(.*)$")


def invoke(*args: str, **env: str | None) -> tuple[int, str]:
    base = {"NO_COLOR": "1", "GITHUB_ACTIONS": None, "GITHUB_STEP_SUMMARY": None, "COLUMNS": "120"}
    result = CliRunner().invoke(main, ["run", *args], env={**base, **env})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write(tmp_path, "suite.yaml", SUITE)


def annotations(output: str) -> list[tuple[str, str, int, str, str]]:
    found = [ANNOTATION.match(line) for line in output.splitlines() if line.startswith("::")]
    assert all(found), output
    return [(m[1], m[2], int(m[3]), m[4], m[5]) for m in found]


def test_github_actions_get_an_annotation_at_each_failing_claims_line(suite: Path) -> None:
    code, output = invoke(str(suite), GITHUB_ACTIONS="true")
    assert code == 2  # the load error
    found = {title: (level, file, line, message) for level, file, line, title, message in annotations(output)}
    lines = SUITE.splitlines()
    assert found["verifygrad FAIL%3A wrong-value"] == ("error", str(suite), lines.index("      value: 6") + 1, "claim value: wrong (value: claimed 6, true 5)")
    level, file, line, message = found["verifygrad FAIL%3A wrong-grad"]
    assert (level, line) == ("error", lines.index("        x: [2, 5]") + 1)  # the claim's line, not the case's
    assert message == "claim grad.x: wrong (x[1]: claimed 5, true 4)"
    assert found["verifygrad SKIP%3A skipped"][0] == "warning"
    level, _, line, message = found["verifygrad%3A invalid case file"]
    assert level == "error" and line == lines.index("    inptus: {x: 1}") + 1 and "unknown key 'inptus'" in message
    assert not any("\x1b" in line for line in output.splitlines() if line.startswith("::"))


def test_annotations_on_request_only(suite: Path) -> None:
    assert annotations(invoke(str(suite))[1]) == []
    assert len(annotations(invoke(str(suite), "--annotate", "github")[1])) == 4
    assert annotations(invoke(str(suite), "--annotate", "none", GITHUB_ACTIONS="true")[1]) == []


@pytest.mark.parametrize("name", ["::add-mask::hunter2", "::stop-commands::tok", "::error file=README.md,line=1::pwned", "  ::warning::x"])
def test_on_github_actions_only_verifygrads_own_annotations_start_a_line_with_two_colons(tmp_path: Path, name: str) -> None:
    (tmp_path / "::add-mask::dir").mkdir()
    hostile = write(tmp_path / "::add-mask::dir", "::error::file.yaml", f"name: {json.dumps(name)}\nexpr: sum(x)\ninputs: {{x: [1.0]}}\nexpect: {{value: 5}}\n")
    broken = write(tmp_path / "::add-mask::dir", "::stop-commands::bad.yaml", "name: [\n")
    code, output = invoke(str(hostile), str(broken), "-e", "numpy", "-e", "fd", "-v", GITHUB_ACTIONS="true")
    assert code == 2
    commands = [line for line in output.splitlines() if line.lstrip().startswith("::")]
    assert [level for level, *_ in annotations("\n".join(commands))] == ["warning", "error"]  # its own: the skip, the file
    assert f"\\{name.lstrip()}" in output  # the case's row in the table, escaped with a backslash


def test_a_command_written_in_pieces_is_still_escaped() -> None:
    import io

    from verifygrad.frontends.workflow import CommandSafe

    stream = io.StringIO()
    safe = CommandSafe(stream)
    for piece in [" ", ":", "", ":add-mask::x\nok ", "::not at a line start\n", ":", ":error::y"]:
        safe.write(piece)
        safe.flush()
    safe.write_command("::error file=a.yaml::own")
    assert stream.getvalue().splitlines() == [" \\::add-mask::x", "ok ::not at a line start", "\\::error::y", "::error file=a.yaml::own"]


def test_annotation_paths_are_relative_to_the_github_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nested = tmp_path / "repo" / "sub"
    nested.mkdir(parents=True)
    write(nested, "suite.yaml", SUITE)
    monkeypatch.chdir(nested)  # a run from a subdirectory of the workspace
    _, output = invoke("suite.yaml", GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(tmp_path / "repo"))
    assert {file for _, file, *_ in annotations(output)} == {"sub/suite.yaml"}
    _, output = invoke("suite.yaml", GITHUB_ACTIONS="true", GITHUB_WORKSPACE=None)
    assert {file for _, file, *_ in annotations(output)} == {"suite.yaml"}


def test_step_summary_is_appended_as_markdown(suite: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    invoke(str(suite), GITHUB_STEP_SUMMARY=str(summary))
    text = summary.read_text()
    assert text.startswith("earlier step\n### verifygrad\n\n**1 passed, 2 failed, 1 skipped, 1 error**\n")
    assert "| FAIL | wrong-grad |" in text and "claimed 5, true 4" in text
    assert text.count("\n| ") == 5  # header and four rows, each one line


@pytest.mark.parametrize(("args", "checked"), [(["-x"], 2), (["--maxfail", "2"], 3), (["--maxfail", "5"], 4)])
def test_maxfail_stops_after_n_failing_cases(suite: Path, args: list[str], checked: int) -> None:
    code, output = invoke(str(suite), *args)
    counts = output.splitlines()[-1]
    assert sum(int(n) for n in re.findall(r"(\d+) (?:passed|failed|skipped)", counts)) == checked
    assert ("stopped after" in output) is (checked < 4)


def test_maxfail_in_worker_processes(suite: Path) -> None:
    code, output = invoke(str(suite), "-x", "-j", "2")  # the case in flight at the first failure is left out
    assert "stopped after" in output and ", 1 failed" in output.splitlines()[-1]


def test_shards_partition_the_cases(tmp_path: Path) -> None:
    many = FAST + "cases:\n" + "".join(f"  - {{name: c{i}, expr: x*{i}, inputs: {{x: 1}}}}\n" for i in range(7))
    path = write(tmp_path, "many.yaml", many)
    shards = []
    for k in (1, 2, 3):
        code, output = invoke(str(path), "--shard", f"{k}/3", "--json", "-")
        assert code == 0
        shards.append([case["name"] for case in json.loads(output[output.index("{") :])["cases"]])
    assert sorted(sum(shards, [])) == [f"c{i}" for i in range(7)]
    assert [len(s) for s in shards] == [3, 2, 2]
    assert invoke(str(path), "--shard", "4/3")[0] == 2


def test_pyproject_configures_paths_engines_exclude_and_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "grads").mkdir()
    write(tmp_path / "grads", "a.yaml", "name: a\nexpr: x*x\ninputs: {x: 3}\nexpect: {grad: {x: 6}}\n")
    write(tmp_path / "grads", "draft.yaml", "name: draft\nexpr: x*\ninputs: {x: 3}\n")
    write(tmp_path, "pyproject.toml", """\
[tool.verifygrad]
paths = ["grads"]
engines = ["numpy", "fd"]
exclude = ["grads/draft*"]
limits = {expr_chars = 100}
junit-family = "xunit2"
""")  # fmt: skip
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # found from a subdirectory, paths relative to the pyproject.toml
    code, output = invoke("--json", "-")
    assert code == 0, output
    report = output[output.index("{") :]
    assert '"name": "a"' in report and "draft" not in report
    assert '"sympy"' not in report.split('"versions"')[0]  # engines from the configuration
    code, output = invoke("-e", "sympy", "-e", "numpy", "-v")  # the command line wins
    assert code == 0 and "sympy ok" in output
    write(tmp_path / "grads", "long.yaml", "name: long\nexpr: " + "+".join(["x"] * 60) + "\ninputs: {x: 1}\n")
    code, output = invoke()
    assert code == 2 and "100" in output  # limits.expr_chars from the configuration


def test_pyproject_mistake_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "pyproject.toml", '[tool.verifygrad]\nengine = ["numpy"]\nenignes = 1\n')
    monkeypatch.chdir(tmp_path)
    code, output = invoke()
    assert code == 2 and "unknown key 'enignes'; did you mean 'engines'?" in output and "Traceback" not in output


def test_junit_xunit2_validates_against_junit_10_xsd(suite: Path, tmp_path: Path) -> None:
    strict, extended = tmp_path / "strict.xml", tmp_path / "extended.xml"
    invoke(str(suite), "--junit-xml", str(strict))  # xunit2 is the default, as pytest's
    invoke(str(suite), "--junit-xml", str(extended), "--junit-family", "xunit1")
    JUNIT_10.validate(str(strict))
    assert not JUNIT_10.is_valid(str(extended))  # xunit1 adds file and line, which junit-10.xsd does not allow
    cases = {case.get("name"): case for case in ET.parse(extended).iter("testcase")}
    assert cases["wrong-grad"].get("line") == "12" and cases["wrong-grad"].get("classname").endswith(".suite")


def test_junit_escapes_and_names_load_errors_after_their_case(suite: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    invoke(str(suite), "--junit-xml", str(report))
    names = [case.get("name") for case in ET.parse(report).iter("testcase")]
    assert "typo\\x1b[31m" in names  # the load error, named after its case; the control character escaped
    failure = next(ET.parse(report).iter("failure"))
    assert failure.get("message") == "FAIL: claim value: wrong (value: claimed 6, true 5)"


def test_classname_drops_the_grad_suffix(tmp_path: Path) -> None:
    from verifygrad.reports.junit import classname

    assert classname("cases/tutorials.grad.yaml") == "cases.tutorials"
    assert classname("cases/tutorials.yaml") == "cases.tutorials"
    assert classname("./x.grad.yml") == "x"
