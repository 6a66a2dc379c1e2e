"""Nothing read or written outside what was asked, and every file name escaped in every message.

`check` and `extract` search a directory by `run`'s rules (a link that leads out of it is not followed), a
report file named in `[tool.verifygrad]` stays inside the project, and a file name holding an OSC 52
clipboard write or a bidi override is shown escaped wherever a message names it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifygrad.frontends.cli import main

TUTORIAL = """# Squares

```python
import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
(x * x).sum().backward()
print(x.grad)
```

```output
tensor([2., 4.])
```
"""
WRONG = TUTORIAL.replace("tensor([2., 4.])", "tensor([7., 9.])")
HOSTILE_NAME = "a\x1b]52;c;ZXZpbA==\x07b\u202e"


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"COLUMNS": "1000", "GITHUB_ACTIONS": None, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("command", ["check", "extract"])
def test_a_link_out_of_the_directory_is_not_followed(tmp_path: Path, command: str) -> None:
    outside, searched = tmp_path / "outside", tmp_path / "docs"
    outside.mkdir()
    searched.mkdir()
    (outside / "secret.md").write_text(WRONG, encoding="utf-8")  # its wrong claim would show that it was read
    os.symlink(outside / "secret.md", searched / "linked.md")
    os.symlink(outside, searched / "linked_dir")
    (searched / "own.md").write_text(TUTORIAL, encoding="utf-8")
    code, output = cli(command, str(searched), *(["--no-color"] if command == "check" else []))
    assert code == 0, output
    assert "secret" not in output and "linked" not in output and "7." not in output
    code, output = cli(command, str(searched / "linked.md"))  # a file named on the command line is read
    assert "linked.md" in output or "7" in output


def test_a_configured_report_path_stays_inside_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "a" / "project"
    project.mkdir(parents=True)
    (project / "c.yaml").write_text("name: c\nexpr: sum(x)\ninputs: {x: [1.0]}\n", encoding="utf-8")
    config = '[tool.verifygrad]\npaths = ["c.yaml"]\nengines = ["numpy", "fd"]\n'
    (project / "pyproject.toml").write_text(config + 'json = "../../somewhere.json"\n', encoding="utf-8")
    monkeypatch.chdir(project)
    code, output = cli("run")
    assert code == 2 and "json = '../../somewhere.json' is outside the project" in output and "--json" in output
    assert not (tmp_path / "somewhere.json").exists()
    code, output = cli("run", "--json", str(tmp_path / "somewhere.json"))  # given on the command line: written
    assert code == 0 and (tmp_path / "somewhere.json").is_file()
    (project / "pyproject.toml").write_text(config + 'json = "reports/r.json"\n', encoding="utf-8")
    (project / "reports").mkdir()
    sub = project / "reports"
    monkeypatch.chdir(sub)  # relative to the project, wherever the run starts
    code, output = cli("run")
    assert code == 0 and (sub / "r.json").is_file(), output


@pytest.mark.parametrize("command", ["run", "list", "check", "extract"])
def test_a_file_name_is_escaped_in_the_nothing_found_message(tmp_path: Path, command: str) -> None:
    directory = tmp_path / HOSTILE_NAME
    directory.mkdir()
    code, output = cli(command, str(directory))
    assert code == 2
    assert "\x1b" not in output and "\u202e" not in output and "\x07" not in output
    assert "a\\x1b]52;c;ZXZpbA==\\x07b\\u202e" in output


def test_a_file_name_is_escaped_in_a_tutorial_read_error(tmp_path: Path) -> None:
    path = tmp_path / f"{HOSTILE_NAME}.md"
    path.write_bytes(b"\xff\xfe not text")
    code, output = cli("check", str(path))
    assert code == 2 and "not UTF-8" in output
    assert "\x1b" not in output and "\u202e" not in output
