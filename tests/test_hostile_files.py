"""Hostile files: every run ends with a verdict per file, well-formed reports, and no traceback.

Each test runs a hostile file beside a good one and checks the exit code, that the hostile file is
named, that the good one was still checked, and that the JSON and JUnit reports parse back.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tests.clihelp import run_cli, write
from tests.conftest import torch_installed

GOOD = "name: good\nexpr: sum(x*x)\ninputs: {x: [1.0, 2.0]}\n"
SECOND = "torch" if torch_installed() else "fd"  # any second engine: these tests are about the files, not the engines
FAST = ("-e", "numpy", "-e", SECOND)


def run_beside_good(tmp_path: Path, hostile: list[Path], *options: str) -> tuple[int, str, dict, ET.Element]:
    """Run the hostile files and a good one; the exit code, the output and both reports, parsed back."""
    good = write(tmp_path, "good.yaml", GOOD)
    json_path, junit_path = tmp_path / "report.json", tmp_path / "report.xml"
    code, output = run_cli(*map(str, hostile), str(good), *FAST, *options, "--json", str(json_path), "--junit-xml", str(junit_path))
    report = json.loads(json_path.read_text(encoding="utf-8"))
    junit = ET.fromstring(junit_path.read_bytes())
    assert [case["verdict"] for case in report["cases"] if case["name"] == "good"] == ["passed"], output
    assert any(case.get("name") == "good" for case in junit.iter("testcase"))
    return code, output, report, junit


# --- 1. markup in user text is text ------------------------------------------------


@pytest.mark.parametrize("name", ["ok[/]", "bad[/dim]", "[link=https://example.com]click[/link]", "[bold green]✓ PASS"])
def test_markup_in_a_case_name_is_printed_as_written(tmp_path: Path, name: str) -> None:
    (tmp_path / "x[").mkdir()
    hostile = write(tmp_path, "x[/foo].yaml", f"name: {json.dumps(name)}\nexpr: sum(x)\ninputs: {{x: [1.0]}}\nexpect: {{value: 5}}\n")
    code, output, report, _ = run_beside_good(tmp_path, [hostile])
    assert code == 1  # the wrong claim is found, not a crash (which exits 1 too: hence the report checks)
    assert name in output and "x[/foo].yaml" in output  # the panel's title shows the name and the path as written
    assert [c["verdict"] for c in report["cases"] if c["name"] == name] == ["failed"]


def test_markup_in_list_and_explain(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from verifygrad.frontends.cli import main

    hostile = write(tmp_path, "m.yaml", 'name: "ok[/]"\nexpr: sum(x)\ninputs: {x: [1.0]}\n')
    listed = CliRunner().invoke(main, ["list", str(hostile)])
    assert listed.exit_code == 0 and "ok[/]" in listed.output
    code, output = run_cli(str(hostile), *FAST, "--explain", "ok[/]")
    assert code == 0 and "ok[/]" in output


# --- 2. control characters are shown escaped ------------------------------------


def test_control_characters_in_a_name_are_escaped_everywhere(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from verifygrad.frontends.cli import main

    name = "a\x1b[2J\x1b]52;c;ZXZpbA==\x07b\x01\u202e"
    hostile = write(tmp_path, "ctrl.yaml", f"name: {json.dumps(name)}\nexpr: sum(x)\ninputs: {{x: [1.0]}}\nexpect: {{value: 5}}\n")
    code, output, report, junit = run_beside_good(tmp_path, [hostile])
    assert code == 1
    assert "\x1b" not in output and "\x01" not in output and "\u202e" not in output
    assert r"a\x1b[2J\x1b]52;c;ZXZpbA==\x07b\x01\u202e" in output
    assert [c["name"] for c in report["cases"]] == [name, "good"]  # JSON escapes it itself, and keeps it exact
    assert any(r"\x01" in (t.get("name") or "") for t in junit.iter("testcase"))
    listed = CliRunner().invoke(main, ["list", str(hostile)])
    assert "\x1b" not in listed.output and r"a\x1b[2J" in listed.output


# --- 3. YAML keys that are not text ---------------------------------------------

NON_TEXT_KEYS = {
    "merge.yaml": ("<<: {bogus: 1}\ncases:\n  - {name: m, expr: sum(x), inputs: {x: [1.0]}}\n", "merge.yaml:1: unknown key 'bogus'"),
    "merge-defaults.yaml": (
        "defaults:\n  <<: {bogus: 1}\ncases:\n  - {name: d, expr: sum(x), inputs: {x: [1.0]}}\n",
        "merge-defaults.yaml:2: case 'd': unknown key 'bogus'",
    ),
    "merge-cases.yaml": ("<<: {cases: 5}\n", "merge-cases.yaml:1: `cases` must be a non-empty list"),
    "null.yaml": ("null: 1\ncases:\n  - {name: n, expr: sum(x), inputs: {x: [1.0]}}\n", "null.yaml:1: key 'null' is not text"),
    "hex.yaml": ("0x10: 1\nname: h\nexpr: sum(x)\ninputs: {x: [1.0]}\n", "hex.yaml:1: key '0x10' is not text"),
    "int-input.yaml": ("name: i\nexpr: sum(x)\ninputs:\n  x: [1.0]\n  3: [2.0]\n", "int-input.yaml:5: key '3' is not text"),
}


@pytest.mark.parametrize("file_name", NON_TEXT_KEYS)
def test_keys_that_are_not_text_are_one_line_errors(tmp_path: Path, file_name: str) -> None:
    text, message = NON_TEXT_KEYS[file_name]
    code, output, report, junit = run_beside_good(tmp_path, [write(tmp_path, file_name, text)])
    assert code == 2 and message in output, output
    assert report["load_errors"][0]["file"].endswith(file_name)
    assert any(t.find("error") is not None for t in junit.iter("testcase"))


# --- 4. file names that are not UTF-8 -------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_a_file_name_that_is_not_utf8_is_reported_escaped(tmp_path: Path) -> None:
    directory = os.fsencode(tmp_path / "cases")
    os.mkdir(directory)
    with open(os.path.join(directory, b"caf\xe9.yaml"), "w", encoding="utf-8") as file:
        file.write("name: latin\nexpr: sum(x)\ninputs: {x: [1.0]}\nexpect: {value: 5}\n")
    code, output, report, junit = run_beside_good(tmp_path, [tmp_path / "cases"], "--junit-family", "xunit1")  # xunit1 names the file
    assert code == 1 and r"caf\xe9.yaml" in output
    assert [c["file"] for c in report["cases"] if c["name"] == "latin"] == [str(tmp_path / "cases" / "caf") + r"\xe9.yaml"]
    assert any(t.get("file", "").endswith(r"caf\xe9.yaml") for t in junit.iter("testcase"))


# --- 5. every option validated ----------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--limit", "file_bytes=1e30"], "file_bytes must be a number from 0 to 1e+12"),
        (["--limit", "time_limit=inf"], "time_limit must be a number from 0 to 1e+06"),
        (["--timeout", "inf"], "'--timeout': 'inf' is not a number > 0"),
        (["--time-limit", "inf"], "'--time-limit': 'inf' is not a number >= 0"),
        (["--time-limit", "nan"], "'--time-limit': 'nan' is not a number"),
        (["--rtol", "nan"], "'--rtol': nan is not a finite number >= 0"),
        (["--max-elements", "1e40"], "'--max-elements': '1e40' is not a number >= 1"),
        (["--json", "r.out", "--junit-xml", "./r.out"], "--json and --junit-xml both name r.out"),
    ],
)
def test_extreme_option_values_are_usage_errors(tmp_path: Path, options: list[str], message: str) -> None:
    code, output = run_cli(str(write(tmp_path, "good.yaml", GOOD)), *options)
    assert code == 2 and message in output, output


def test_the_file_size_limit_never_allocates_the_limit(tmp_path: Path) -> None:
    code, output = run_cli(str(write(tmp_path, "good.yaml", GOOD)), *FAST, "--limit", "file_bytes=1e12")
    assert code == 0, output


def test_new_refuses_a_recursive_alias_in_an_input() -> None:
    from click.testing import CliRunner

    from verifygrad.frontends.cli import main

    result = CliRunner().invoke(main, ["new", "x", "--expr", "sum(x)", "--input", "x=&a [*a]"])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 2
    assert "--input x:1: YAML nested too deeply" in result.output


# --- 7. symbolic links out of a searched directory, and quotes from files -----------


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_link_to_a_secret_is_not_followed_and_never_echoed(tmp_path: Path) -> None:
    secret = write(tmp_path, "id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ" * 40 + "\n")
    searched = tmp_path / "cases"
    searched.mkdir()
    (searched / "secret.yaml").symlink_to(secret)
    code, output, report, junit = run_beside_good(tmp_path, [searched], "-v")
    assert code == 0 and "secret.yaml: a symbolic link out of the searched directory" in output
    assert "b3Blbn" not in output and "b3Blbn" not in json.dumps(report) and b"b3Blbn" not in ET.tostring(junit)
    # Named on the command line it is read, as any file named is, and quoted no further than an excerpt.
    code, output, report, junit = run_beside_good(tmp_path, [searched / "secret.yaml"])
    assert code == 2 and "secret.yaml:1: expected a case (a mapping)" in output
    assert output.count("b3Blbn") <= 1 and json.dumps(report).count("b3Blbn") <= 1 and "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQb3Bl" not in output


# --- 13. directory searches pass over other tools' files --------------------------


def test_a_repository_search_reads_only_case_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for directory in (".github/workflows", ".venv/lib", "venv", "node_modules/pkg", "build", "dist", "generated", "cases/sub"):
        (repo / directory).mkdir(parents=True)
    write(repo / "venv", "pyvenv.cfg", "home = /usr\n")
    for not_a_case in (".github/workflows/ci.yml", ".pre-commit-config.yaml", ".venv/lib/x.yaml", "venv/x.yaml",
                       "node_modules/pkg/x.yaml", "build/x.yaml", "dist/x.yml", "generated/x.yaml", "cases/sub/ignored.yaml"):  # fmt: skip
        write(repo, not_a_case, "on: push\n")
    write(repo, ".gitignore", "generated/\n*.yaml\n!cases/**/*.yaml\n")
    write(repo / "cases", ".gitignore", "sub/ignored.yaml\n")
    write(repo / "cases", "one.yaml", GOOD.replace("good", "one"))
    write(repo / "cases" / "sub", "two.yaml", GOOD.replace("good", "two"))
    code, output, report, _ = run_beside_good(tmp_path, [repo], "-v")
    assert code == 0, output
    assert sorted(case["name"] for case in report["cases"]) == ["good", "one", "two"]
    for line in (".github/: hidden", ".pre-commit-config.yaml: hidden", "venv/: a virtual environment", "node_modules/: node_modules is never searched",
                 "generated/: ignored by .gitignore", "sub/ignored.yaml: ignored by .gitignore"):  # fmt: skip
        assert line in output, line
    # Named explicitly, an ignored file is read.
    code, output = run_cli(str(repo / "build" / "x.yaml"), *FAST)
    assert code == 2 and "build/x.yaml:1: key 'on' is not text" in output


# --- 8. --max-elements counts every array a case makes, before making any ---------


def test_unused_inputs_count_and_nothing_is_allocated_before_refusing(tmp_path: Path) -> None:
    import tracemalloc

    from verifygrad.cases.load import load_file
    from verifygrad.cases.problem import Overrides, prepare
    from verifygrad.errors import CaseError

    inputs = "\n".join(f"  u{i}: zeros(9000000)" for i in range(20))
    hostile = write(tmp_path, "unused.yaml", f"name: unused\nexpr: sum(x)\ninputs:\n  x: [1.0]\n{inputs}\n")
    (case,), _ = load_file(hostile)
    tracemalloc.start()
    try:
        with pytest.raises(CaseError) as raised:
            prepare(case, Overrides())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "input 'u1': zeros() brings the case's tensors to over 10000000 elements together" in str(raised.value)
    assert peak < 100_000_000  # bytes: u0 (72 MB, within the limit) was built, u1 to u19 never were
    code, output, _, _ = run_beside_good(tmp_path, [hostile])
    assert code == 2 and "unused.yaml:6: input 'u1': zeros() brings the case's tensors to over 10000000 elements" in output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("grad_output: zeros(60, 60)\n", "unused.yaml:4: grad_output: zeros() brings"),
        ("expect: {grad: {x: 'zeros(60) + ones(60, 60)'}}\n", "unused.yaml:4: expect.grad.x: ones() brings"),
        ("expect: {formula: {x: 'outer(x, x) @ x'}}\n", "unused.yaml:4: expect.formula.x: expect.formula.x brings"),
    ],
)
def test_grad_output_and_claims_count_too(tmp_path: Path, extra: str, message: str) -> None:
    hostile = write(tmp_path, "unused.yaml", f"name: unused\nexpr: outer(x, x)\ninputs: {{x: 'ones(60)'}}\n{extra}")
    code, output, _, _ = run_beside_good(tmp_path, [hostile], "--max-elements", "5000")
    assert code == 2 and message in output, output


# --- 9 and 11. large arrays are excerpted once checked; --json-arrays full keeps them --------


@pytest.mark.parametrize(("mode", "whole"), [("summary", False), ("full", True)])
def test_json_arrays_are_summaries_unless_asked_for_in_full(tmp_path: Path, mode: str, whole: bool) -> None:
    big = write(
        tmp_path, "big.yaml", "name: big\nexpr: sum(x * x)\ninputs: {x: 'linspace(-1, 1, 5000)'}\nexpect: {grad: {x: 'linspace(-2, 2, 5000) * 1.001'}}\n"
    )
    code, output, report, _ = run_beside_good(tmp_path, [big], "--json-arrays", mode)
    assert code == 1 and "4988 more element(s) not shown" in output
    (case,) = [c for c in report["cases"] if c["name"] == "big"]
    grad = case["engines"]["numpy"]["grads"]["x"]
    if whole:
        assert len(grad) == 5000 and grad[-1] == pytest.approx(2.0)
    else:
        # The worst elements of a claim off by 0.1 %: the largest |x|, at both ends.
        assert grad["shape"] == [5000] and grad["min"] == pytest.approx(-2.0) and grad["sum"] == pytest.approx(0.0, abs=1e-9)
        indices = [e["index"][0] for e in grad["elements"]]
        assert indices == [0, 1, 2, 3, 4, 5, 4994, 4995, 4996, 4997, 4998, 4999]
        assert case["claims"][0]["claimed"]["elements"][0] == {"index": [0], "value": pytest.approx(-2.002)}
    import jsonschema

    from verifygrad.reports.json_report import REPORT_SCHEMA

    jsonschema.validate(report, REPORT_SCHEMA)


# --- 6. empty tensors, many dimensions, overflow inside reductions ------------------


def _nested(depth: int) -> str:
    return "[" * depth + "1.0" + "]" * depth


@pytest.mark.parametrize(
    ("expr", "inputs", "code", "message"),
    [
        ("sum(x * x)", "{x: 'zeros(0)'}", 0, None),
        ("sum(x)", "{x: []}", 0, None),
        ("mean(x)", "{x: 'zeros(0, 3)'}", 2, "odd.yaml:2: expr: `mean` of an empty tensor (0x3) at column 1 has no value"),
        ("sum(x)", f"{{x: {_nested(33)}}}", 2, "odd.yaml:3: input 'x': the value has over 16 dimensions"),
        ("sum(x)", f"{{x: {_nested(140)}}}", 2, "odd.yaml:3: input 'x': the value has over 16 dimensions"),
        ("sum(x)", "{x: 'ones(" + ", ".join(["1"] * 40) + ")'}", 2, "ones() would make 40 dimensions at column 1; at most 16"),
        ("sum(exp(x))", "{x: [709.5, 709.5]}", 0, "NaN or inf: `sum` (column 1) gives inf (overflow) from finite arguments"),
        ("sum(W @ x)", "{x: [1.0e+200, 1.0e+200], W: [[1.0e+200, 1.0], [1.0, 1.0]]}", 0, "NaN or inf: `@` (column 5) gives inf (overflow)"),
    ],
)
def test_odd_tensors_get_a_verdict_or_one_line(tmp_path: Path, expr: str, inputs: str, code: int, message: str | None) -> None:
    odd = write(tmp_path, "odd.yaml", f"name: odd\nexpr: '{expr}'\ninputs: {inputs}\n")
    got, output, report, _ = run_beside_good(tmp_path, [odd])
    assert got == code and "internal error" not in output and "RuntimeWarning" not in output, output
    assert message is None or message in output


# --- 10. every part of a case's check has a time limit ----------------------------


def test_each_in_process_part_has_a_time_limit(tmp_path: Path) -> None:
    from tests.helpers import make_problem
    from verifygrad.engines import run_engine
    from verifygrad.process import limits

    problem = make_problem("sum(exp(x) * sin(x))", x=[0.5, 1.0])
    with limits.using(limits.with_settings(limits.DEFAULT_LIMITS, {"part_time": 1e-9})):
        for engine in ("numpy", "fd", *(("torch",) if torch_installed() else ())):
            result = run_engine(engine, problem)
            assert (result.status, result.reason) == ("skipped", "timed out after 1e-09 s (--limit part_time=S)"), engine
    code, output = run_cli(str(write(tmp_path, "good.yaml", GOOD)), *FAST, "--limit", "part_time=1e-9")
    assert code == 2 and "kink analysis (a float64 forward pass) timed out after 1e-09 s (--limit part_time=S)" in output
    code, output = run_cli(str(write(tmp_path, "good.yaml", GOOD)), *FAST, "--limit", "part_time=60")
    assert code == 0, output


# --- 1 and 2 through the pytest plugin ------------------------------------------------


def test_the_pytest_plugin_reports_hostile_names_as_text(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.clihelp import REPO

    cases = [
        '  - {name: "ok[/]", expr: sum(x), inputs: {x: [1.0]}, expect: {value: 5}}',
        '  - {name: "bad[/dim] \\x1b[2J\\x01", expr: sum(x), inputs: {x: [1.0]}}',
        '  - {name: "[bold green]✓ PASS", expr: sum(x), inputs: {x: [1.0]}, inptus: 1}',
    ]
    write(tmp_path, "hostile.grad.yaml", f"defaults: {{engines: [numpy, {SECOND}]}}\ncases:\n" + "\n".join(cases) + "\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # Installed (as by the README's commands), the entry point loads the plugin, and naming it again with -p is an error.
    installed = bool(entry_points(group="pytest11", name="verifygrad"))
    plugin = [] if installed else ["-p", "verifygrad.frontends.pytest_plugin"]
    command = [sys.executable, "-m", "pytest", *plugin, "-p", "no:cacheprovider", "-rA", "hostile.grad.yaml"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "INTERNALERROR" not in output, output  # 1: tests failed; 3 would be pytest's own crash
    assert "\x1b" not in output and "\x01" not in output
    assert "FAILED hostile.grad.yaml::ok[/]" in output and r"PASSED hostile.grad.yaml::bad[/dim] \x1b[2J\x01" in output
    assert "unknown key 'inptus'" in output
