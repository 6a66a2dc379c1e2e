"""The pytest plugin: case files become tests, one per case, opt-in by file name or ini option."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml, Skipped

# NOTE: imported here so that pytester's in-process runs reuse them: it drops modules first imported
# inside a run, and PyYAML's C loader does not survive being imported a second time.
import verifygrad.reports.text  # noqa: F401
import verifygrad.verdict.judge  # noqa: F401

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]
PLUGIN = ["-p", "verifygrad.frontends.pytest_plugin", "-p", "no:cacheprovider"]
FAST = "defaults: {engines: [numpy, sympy]}\n"
MIXED = (
    FAST
    + """\
cases:
  - name: square-sum
    expr: sum(x*x)
    inputs: {x: [1, 2]}
    expect: {grad: {x: [2, 4]}}
  - name: wrong-claim
    expr: sum(x*x)
    inputs: {x: [1, 2]}
    expect: {grad: {x: [2, 5]}}
  - name: only-numpy
    expr: sum(x*x)
    inputs: {x: [1, 2]}
    engines: [numpy]
  - name: typo
    expr: x
    inptus: {x: 1}
"""
)


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    pytester.makefile(".grad.yaml", mixed=MIXED)
    pytester.makefile(".yaml", unrelated=FAST + "cases:\n  - {name: not-collected, expr: x, inputs: {x: 1}}\n")
    return pytester


def test_each_case_is_a_test_with_its_verdict(suite: pytest.Pytester):
    result = suite.runpytest(*PLUGIN, "-rA")
    result.assert_outcomes(passed=1, failed=2, skipped=1)
    result.stdout.fnmatch_lines(["PASSED mixed.grad.yaml::square-sum", "FAILED mixed.grad.yaml::wrong-claim - FAIL: claim grad.x*"])
    result.stdout.no_fnmatch_line("*not-collected*")


def test_failure_report_is_the_plain_panel(suite: pytest.Pytester):
    result = suite.runpytest(*PLUGIN)
    result.stdout.fnmatch_lines([
        "*_ case wrong-claim _*",
        "FAIL: claim grad.x: wrong (x[1]: claimed 5, true 4)",
        "╭─ wrong-claim  *",
        "*│ expr  sum(x*x)*",
    ])  # fmt: skip
    result.stdout.fnmatch_lines(["*mixed.grad.yaml:17: case 'typo': unknown key 'inptus'; did you mean 'inputs'?"])


def test_k_selects_by_case_name(suite: pytest.Pytester):
    result = suite.runpytest(*PLUGIN, "-k", "square-sum or only-numpy")
    result.assert_outcomes(passed=1, skipped=1, deselected=2)


def test_ini_paths_collect_any_yaml_under_them(suite: pytest.Pytester):
    suite.makeini("[pytest]\nverifygrad_paths = gradcases\n")
    (suite.path / "gradcases").mkdir()
    shutil.move(suite.path / "unrelated.yaml", suite.path / "gradcases" / "listed.yaml")
    result = suite.runpytest(*PLUGIN, "-rA")
    result.stdout.fnmatch_lines(["PASSED gradcases/listed.yaml::not-collected"])


def test_junitxml_has_a_testcase_per_case(suite: pytest.Pytester):
    result = suite.runpytest(*PLUGIN, "--junitxml=out.xml")
    result.assert_outcomes(passed=1, failed=2, skipped=1)
    cases = {case.name: case for suite_ in JUnitXml.fromfile(str(suite.path / "out.xml")) for case in suite_}
    assert set(cases) == {"square-sum", "wrong-claim", "only-numpy", "line-17"}
    assert isinstance(cases["wrong-claim"].result[0], Failure)
    assert "╭─ wrong-claim" in cases["wrong-claim"].result[0].text
    assert isinstance(cases["only-numpy"].result[0], Skipped)


@pytest.mark.slow  # two xdist workers each import torch: 10-25 s
def test_bundled_cases_give_the_same_result_with_xdist(suite: pytest.Pytester):
    """The bundled cases, one test per case, serially and in two xdist workers."""
    shutil.copytree(REPO / "cases", suite.path / "bundled")
    suite.makeini("[pytest]\nverifygrad_paths = bundled\n")
    serial = suite.runpytest(*PLUGIN, "-rA")
    distributed = suite.runpytest_subprocess(*PLUGIN, "-rA", "-n", "2")

    def outcomes(result: pytest.RunResult) -> set[str]:
        return {line.split(" - ")[0] for line in result.outlines if line.startswith(("PASSED ", "FAILED ", "SKIPPED "))}

    expected = {"passed": _bundled_count() + 1, "failed": 2, "skipped": 1}
    serial.assert_outcomes(**expected)
    distributed.assert_outcomes(**expected)
    assert outcomes(distributed) == outcomes(serial)


def _bundled_count() -> int:
    from verifygrad.cases.discover import load_cases

    return len(load_cases([REPO / "cases"])[0])


def test_repo_collects_only_its_python_tests():
    """With the plugin active (as when installed), the repo's own run collects no case file."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *PLUGIN], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    items = [line for line in result.stdout.splitlines() if "::" in line]
    assert items and all(line.startswith("tests/") and ".py::" in line for line in items), result.stdout[-2000:]
