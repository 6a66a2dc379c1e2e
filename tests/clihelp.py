"""Run the CLI in-process the way a user would, with lines wide enough not to wrap."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from verifygrad.frontends.cli import main

REPO = Path(__file__).resolve().parent.parent
BUNDLED_CASES = REPO / "cases"


def run_cli(*args: str, tracebacks: bool = False) -> tuple[int, str]:
    """Exit code and everything printed (stdout and stderr) by `verifygrad run ARGS`."""
    result = CliRunner().invoke(main, ["run", "--no-color", *args], env={"COLUMNS": "1000"})
    # An exception escaping the CLI is a crash, whatever the exit code says.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert tracebacks or "Traceback" not in result.output
    return result.exit_code, result.output


def write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
