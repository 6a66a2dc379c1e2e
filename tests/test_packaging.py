"""What a new user meets first: the README's commands and links, the package's metadata, the CI and
pre-commit recipes, and a run without torch."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# An import hook that makes `import torch` fail as it does where torch is not installed.
HIDE_TORCH = """\
import sys


class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, NoTorch())
"""


def test_readme_has_the_two_commands_ci_runs() -> None:
    """.ci/run runs the README's lines that start a fresh environment: the main job, then the tests."""
    commands = [line for line in README.splitlines() if line.startswith("python -m venv .venv && ")]
    assert len(commands) == 2
    main_job, tests = commands
    assert 'pip install torch==2.13.0 && pip install ".[torch]" && verifygrad run cases/' in main_job
    assert 'pip install ".[torch,test]" && python -m pytest' in tests
    assert "grep -E '^python -m venv \\.venv && ' README.md" in (REPO / ".ci" / "run").read_text()
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in README


def test_readme_links_are_absolute() -> None:
    """The README is the package's page on the index too, where a relative link leads nowhere."""
    links = re.findall(r"\]\(([^)]+)\)", README)
    assert links and all(link.startswith("https://") for link in links), [link for link in links if not link.startswith("https://")]


def test_metadata_torch_extra_license_classifiers_urls() -> None:
    assert not any(dep.startswith("torch") for dep in PYPROJECT["dependencies"])
    assert PYPROJECT["optional-dependencies"]["torch"] == ["torch>=2.0"]
    assert PYPROJECT["optional-dependencies"]["jax"] == ["jax>=0.4.16"]  # seeded jax.random draws in tutorials
    assert "Framework :: Pytest" in PYPROJECT["classifiers"] and PYPROJECT["keywords"]
    assert {"Homepage", "Source", "Issues"} <= set(PYPROJECT["urls"])
    assert PYPROJECT["license"] == "MIT" and "MIT License" in (REPO / "LICENSE").read_text()
    assert list(PYPROJECT["entry-points"]["pytest11"]) == ["verifygrad"]


def test_github_actions_recipe_is_current() -> None:
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", (REPO / "docs" / "ci.md").read_text(), re.S) if b.startswith("# .github/workflows/gradients.yml"))
    workflow = yaml.safe_load(block)
    assert workflow["permissions"]["checks"] == "write"
    steps = workflow["jobs"]["verifygrad"]["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert "actions/checkout@v5" in uses and "actions/setup-python@v6" in uses
    setup = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip" and setup["with"]["cache-dependency-path"]


def test_pre_commit_hooks_build_their_own_environment_and_run_serially() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"verifygrad", "verifygrad-lint"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["require_serial"] is True
    assert hooks["verifygrad-lint"]["entry"] == "verifygrad list"


def test_without_torch_the_run_passes_and_says_how_to_add_it(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(HIDE_TORCH)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]), "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "verifygrad", "run", "--examples", "-k", "mean*"],
                            capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines.count("torch skipped: not installed; pip install 'verifygrad[torch]'") == 1
    assert not any("○ skipped" in line for line in lines)  # said once, not in a torch column on every row
    assert re.fullmatch(r"\d+ passed, 0 failed", lines[-1])
    assert "Traceback" not in result.stdout + result.stderr
