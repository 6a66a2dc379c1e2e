"""Tutorials collected by pytest (--verifygrad-docs): a test per derivation, named by file, cell and line."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.test_pytest_plugin import PLUGIN, REPO

pytest_plugins = ["pytester"]

DOCS = REPO / "tests" / "fixtures" / "docs_site"
PRINTED_WRONG = """\
```python
import torch
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = (a * 3).sum()
print(b)
b.backward()
print(a.grad)
```

Output:

```
tensor(10., grad_fn=<SumBackward0>)
tensor([3., 3.])
```
"""
NOT_READ = """\
```python
import torch
from mylib import make_data
d = make_data()
c = torch.tensor([2.0], requires_grad=True)
(c * c).sum().backward()
print(c.grad)
```

```
tensor([4.])
```
"""


@pytest.fixture
def docs(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    folder = pytester.path / "docs"
    shutil.copytree(DOCS, folder)
    return folder


@pytest.mark.slow  # pytest in a subprocess checking the tutorials: 10-30 s
def test_a_docs_folder_gives_one_failed_item_at_the_wrong_claims_cell(pytester: pytest.Pytester, docs: Path) -> None:
    (docs / "unread.md").write_text(NOT_READ, encoding="utf-8")
    result = pytester.runpytest_subprocess(*PLUGIN, "docs", "--verifygrad-docs", "-rs", "-v")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "docs/powers.ipynb::cell 2, line 4: y.backward() PASSED*",
        "docs/powers.ipynb::cell 4, line 3: q.backward() FAILED*",
        "docs/sigmoid.md::line 7: p.backward() PASSED*",
        "docs/powers.ipynb:48: cell 4, output of w.grad: claim grad.w: wrong (w?1?: claimed 2.0000, true 3*",
        "*verifygrad: not read in tutorials*",
        "docs/unread.md:3: line 3: not read: an import of other code (mylib)",
    ])  # fmt: skip


def test_nothing_is_collected_without_the_option_or_the_plugin(pytester: pytest.Pytester, docs: Path) -> None:
    for options in ([*PLUGIN], ["-p", "no:verifygrad", "-p", "no:cacheprovider", "--verifygrad-docs"]):
        result = pytester.runpytest_subprocess(*options, "docs", "--collect-only", "-q")
        assert "docs/powers.ipynb" not in result.stdout.str()
    assert result.ret != 0  # -p no:verifygrad: the option is unknown too


@pytest.mark.slow  # pytest in a subprocess checking the tutorials: 10-30 s
def test_the_ini_setting_collects_and_lax_mode_checks_only_derivative_claims(pytester: pytest.Pytester, docs: Path) -> None:
    for name in ("powers.ipynb", "sigmoid.md"):
        (docs / name).unlink()
    (docs / "printed.md").write_text(PRINTED_WRONG, encoding="utf-8")  # the value printed is 9, not 10; the gradient is right
    pytester.makeini("[pytest]\nverifygrad_docs = true\n")
    pytester.runpytest_subprocess(*PLUGIN, "docs").assert_outcomes(failed=1)
    pytester.runpytest_subprocess(*PLUGIN, "docs", "--verifygrad-lax").assert_outcomes(passed=1)


@pytest.mark.slow  # pytest in a subprocess checking the tutorials: 10-30 s
def test_a_writer_skips_a_cell_by_tag_and_a_block_by_comment(pytester: pytest.Pytester, docs: Path) -> None:
    notebook = json.loads((docs / "powers.ipynb").read_text(encoding="utf-8"))
    notebook["cells"][3]["metadata"]["tags"] = ["verifygrad-skip"]  # the cell with the wrong output
    (docs / "powers.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    page = (docs / "sigmoid.md").read_text(encoding="utf-8")
    (docs / "sigmoid.md").write_text(page.replace("import torch\n", "import torch  # verifygrad: skip\n"), encoding="utf-8")
    result = pytester.runpytest_subprocess(*PLUGIN, "docs", "--verifygrad-docs", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED * docs/powers.ipynb:*: q.backward(): skipped by the writer's marker at line *"])


def test_tool_verifygrad_docs_in_pyproject_collects_tutorials(pytester: pytest.Pytester, docs: Path) -> None:
    pytester.makepyprojecttoml("[tool.verifygrad]\ndocs = true\ndocs-lax = true\n")
    result = pytester.runpytest_subprocess(*PLUGIN, "docs", "--collect-only", "-q")
    assert "docs/powers.ipynb::cell 2, line 4: y.backward()" in result.stdout.str()


def test_a_docs_switch_that_is_not_a_boolean_is_a_usage_error(pytester: pytest.Pytester, docs: Path) -> None:
    pytester.makepyprojecttoml('[tool.verifygrad]\ndocs = "yes"\n')
    result = pytester.runpytest_subprocess(*PLUGIN, "docs", "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*[[]tool.verifygrad]: docs must be true or false; found 'yes'"])
