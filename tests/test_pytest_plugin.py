"""The pytest plugin: case files become tests, one per case, opt-in by file name or ini option."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import xmlschema
from junitparser import Failure, JUnitXml, Skipped

# NOTE: imported here so that pytester's in-process runs reuse them: it drops modules first imported
# inside a run, and PyYAML's C loader does not survive being imported a second time.
import verifygrad.reports.text  # noqa: F401
import verifygrad.verdict.judge  # noqa: F401

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]
# Installed (as by the README's commands), the entry point loads the plugin; from a checkout, -p does.
INSTALLED = bool(entry_points(group="pytest11", name="verifygrad"))
PLUGIN = [*([] if INSTALLED else ["-p", "verifygrad.frontends.pytest_plugin"]), "-p", "no:cacheprovider"]
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


def test_failure_is_one_line_at_the_claim_and_the_panel_only_at_tb_long(suite: pytest.Pytester):
    result = suite.runpytest(*PLUGIN)
    result.stdout.fnmatch_lines([
        "*_ case wrong-claim _*",
        "mixed.grad.yaml:10: FAIL: claim grad.x: wrong (x[1]: claimed 5, true 4)",
    ])  # fmt: skip
    result.stdout.fnmatch_lines(["mixed.grad.yaml:17: invalid case file: case 'typo': unknown key 'inptus'; did you mean 'inputs'?"])
    failures = result.stdout.str().split(" FAILURES ")[1]
    assert "╭─" not in failures and str(suite.path) not in failures  # no panel, relative paths
    long = suite.runpytest(*PLUGIN, "--tb=long")
    long.stdout.fnmatch_lines(["mixed.grad.yaml:10: FAIL: claim grad.x*", "╭─ wrong-claim  mixed.grad.yaml:7 *", "*│ expr  sum(x*x)*"])


@pytest.mark.parametrize(("style", "expected"), [("line", "mixed.grad.yaml:10: FAIL: claim grad.x: wrong*"), ("short", "mixed.grad.yaml:10: FAIL*")])
def test_tb_styles(suite: pytest.Pytester, style: str, expected: str):
    result = suite.runpytest(*PLUGIN, f"--tb={style}")
    result.stdout.fnmatch_lines([expected])
    assert result.stdout.str().count("mixed.grad.yaml:10: FAIL") == 1
    assert "╭─" not in result.stdout.str()


def test_tb_no_prints_no_failure_text(suite: pytest.Pytester):
    result = suite.runpytest(*PLUGIN, "--tb=no")
    result.assert_outcomes(passed=1, failed=2, skipped=1)
    assert "claimed 5, true 4" not in result.stdout.str().split("short test summary")[0]


def test_skip_is_reported_at_the_case(suite: pytest.Pytester):
    result = suite.runpytest(*PLUGIN, "-rs")
    result.stdout.fnmatch_lines(["SKIPPED [[]1] mixed.grad.yaml:11: SKIP: not checked: only numpy ran*"])
    assert "pytest_plugin.py" not in result.stdout.str()


def test_tags_are_markers(suite: pytest.Pytester):
    suite.makefile(".grad.yaml", tagged=FAST + "cases:\n  - {name: a, expr: x*x, inputs: {x: 1}, tags: [fast, float64]}\n"
                                              "  - {name: b, expr: x*x, inputs: {x: 2}, tags: [slow, 'not a marker']}\n")  # fmt: skip
    result = suite.runpytest(*PLUGIN, "--strict-markers", "-m", "fast or slow", "tagged.grad.yaml", "-rA")
    result.assert_outcomes(passed=2)
    result = suite.runpytest(*PLUGIN, "--strict-markers", "-m", "float64", "tagged.grad.yaml", "-rA")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["PASSED tagged.grad.yaml::a"])


def test_installed_plugin_is_named_verifygrad_and_can_be_disabled(suite: pytest.Pytester, tmp_path: Path):
    """The pytest11 entry point as pyproject.toml declares it, installed into a throwaway path."""
    from tests.test_packaging import PYPROJECT

    declared = PYPROJECT["entry-points"]["pytest11"]
    assert declared == {"verifygrad": "verifygrad.frontends.pytest_plugin"}
    site = tmp_path / "site"
    (site / "verifygrad_fake-0.dist-info").mkdir(parents=True)
    (site / "verifygrad_fake-0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: verifygrad-fake\nVersion: 0\n")
    (site / "verifygrad_fake-0.dist-info" / "entry_points.txt").write_text(f"[pytest11]\nverifygrad = {declared['verifygrad']}\n")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(site), os.environ["PYTHONPATH"]])  # the fixture's monkeypatch restores it
    enabled = suite.runpytest_subprocess("-p", "no:cacheprovider", "-rA")
    enabled.assert_outcomes(passed=1, failed=2, skipped=1)
    disabled = suite.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:verifygrad")
    assert "mixed.grad.yaml" not in disabled.stdout.str()


def test_k_selects_by_case_name(suite: pytest.Pytester):
    result = suite.runpytest(*PLUGIN, "-k", "square-sum or only-numpy")
    result.assert_outcomes(passed=1, skipped=1, deselected=2)


def test_ini_paths_collect_any_yaml_under_them(suite: pytest.Pytester):
    suite.makeini("[pytest]\nverifygrad_paths = gradcases\n")
    (suite.path / "gradcases").mkdir()
    shutil.move(suite.path / "unrelated.yaml", suite.path / "gradcases" / "listed.yaml")
    result = suite.runpytest(*PLUGIN, "-rA")
    result.stdout.fnmatch_lines(["PASSED gradcases/listed.yaml::not-collected"])


def test_junitxml_validates_against_junit_10_xsd_with_clean_messages(suite: pytest.Pytester):
    result = suite.runpytest(*PLUGIN, "--junitxml=out.xml")
    result.assert_outcomes(passed=1, failed=2, skipped=1)
    xmlschema.XMLSchema(str(REPO / "tests" / "data" / "junit-10.xsd")).validate(str(suite.path / "out.xml"))
    cases = {case.name: case for suite_ in JUnitXml.fromfile(str(suite.path / "out.xml")) for case in suite_}
    assert set(cases) == {"square-sum", "wrong-claim", "only-numpy", "typo"}  # a load error named after its case
    failure = cases["wrong-claim"].result[0]
    assert isinstance(failure, Failure)
    assert failure.message == "FAIL: claim grad.x: wrong (x[1]: claimed 5, true 4)"  # one line, no box drawing
    assert "╭" not in failure.text and "/" not in failure.text.split(":")[0]
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

    documented_wrong = _bundled_count(expect_mismatch=True)  # XFAIL: a wrong claim caught, pytest's `x`
    expected = {"passed": _bundled_count() - documented_wrong + 1, "xfailed": documented_wrong, "failed": 2, "skipped": 1}
    serial.assert_outcomes(**expected)
    distributed.assert_outcomes(**expected)
    assert outcomes(distributed) == outcomes(serial)


def _bundled_count(expect_mismatch: bool = False) -> int:
    from verifygrad.cases.discover import load_cases

    return len([case for case in load_cases([REPO / "cases"])[0] if bool(case.expect_mismatch) or not expect_mismatch])


def test_repo_collects_only_its_python_tests():
    """With the plugin active (as when installed), the repo's own run collects no case file."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *PLUGIN], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    items = [line for line in result.stdout.splitlines() if "::" in line]
    assert items and all(line.startswith("tests/") and ".py::" in line for line in items), result.stdout[-2000:]


def test_a_documented_mismatch_is_an_xfail_not_a_pass(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    case = "{name: documented, expr: x*x, inputs: {x: 2}, expect: {grad: {x: 5}}, expect_mismatch: it is 4}"
    pytester.makefile(".grad.yaml", documented=FAST + f"cases:\n  - {case}\n")
    result = pytester.runpytest_subprocess(*PLUGIN, "-rx")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["XFAIL *documented*XFAIL: expected mismatch found (it is 4)*"])


def test_xdist_workers_import_torch_only_for_a_torch_case(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker pays for torch's import only when it checks a case with the torch engine."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    cases = "".join(f"  - {{name: c{i}, expr: sum(x*x*{i}), inputs: {{x: [1, 2]}}}}\n" for i in range(4))
    pytester.makefile(".grad.yaml", numpy_only="defaults: {engines: [numpy, fd]}\ncases:\n" + cases)
    pytester.makeconftest(
        "import os, sys\n"
        "def pytest_sessionfinish(session):\n"
        "    with open(f\"imported-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.txt\", 'w') as file:\n"
        "        file.write(str('torch' in sys.modules))\n"
    )
    pytester.runpytest_subprocess(*PLUGIN, "-n", "2").assert_outcomes(passed=4)
    workers = sorted(pytester.path.glob("imported-gw*.txt"))
    assert len(workers) == 2 and all(path.read_text() == "False" for path in workers)
