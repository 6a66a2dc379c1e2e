"""`[tool.verifygrad]` in pyproject.toml: defaults for `run` and `list` that the command line overrides.

The nearest pyproject.toml with a `[tool.verifygrad]` table, from the current directory up, is used.
Its keys are `run`'s long option names (`jobs`, `engines`, `timeout`, `junit-family`, ...) plus
`paths`, `exclude` and a `limits` table; paths and patterns are relative to the pyproject.toml.
`docs` and `docs-lax` are the pytest plugin's (as `--verifygrad-docs` and `--verifygrad-lax`).
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from verifygrad.errors import visible

FILE = "pyproject.toml"
SECTION = "[tool.verifygrad]"
# Keys spelled as users would write them, mapped to the name of the `run` option they set.
ALIASES = {"engine": "engines", "k": "pattern", "junit-xml": "junit_path", "json": "json_path"}
OWN_KEYS = ("paths", "exclude", "limits")
PYTEST_KEYS = ("docs", "docs-lax")  # the pytest plugin's switches: `run` leaves them alone
REPORT_PATHS = {"json_path": "--json", "junit_path": "--junit-xml"}  # files a run writes: kept inside the project


@dataclass
class Config:
    path: Path | None = None  # the pyproject.toml read, or None
    paths: list[Path] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)  # glob patterns, relative to the current directory
    defaults: dict[str, Any] = field(default_factory=dict)  # option name -> value, for click's default_map
    outside: dict[str, str] = field(default_factory=dict)  # report option -> why its configured file is refused

    def check_reports(self, ctx: click.Context) -> None:
        """A report file outside the project is refused where it comes from the configuration, not the command line."""
        from click.core import ParameterSource

        for name, why in self.outside.items():
            if ctx.get_parameter_source(name) == ParameterSource.DEFAULT_MAP:
                raise click.UsageError(why)


def find(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml with a [tool.verifygrad] table, from ``start`` up."""
    directory = (start or Path.cwd()).resolve()
    for folder in (directory, *directory.parents):
        candidate = folder / FILE
        if candidate.is_file() and "verifygrad" in _read(candidate).get("tool", {}):
            return candidate
    return None


def load(run_command: click.Command, start: Path | None = None) -> Config:
    """The configuration, checked against `run`'s options; a mistake is a one-line usage error."""
    path = find(start)
    if path is None:
        return Config()
    table = _read(path)["tool"]["verifygrad"]
    if not isinstance(table, dict):
        raise _error(path, "must be a table")
    options = {param.name: param for param in run_command.params if isinstance(param, click.Option)}
    config = Config(path=path)
    root = path.parent
    for key, value in table.items():
        name = ALIASES.get(key, key.replace("-", "_"))
        if key == "paths":
            config.paths = [_relative(root / entry) for entry in _strings(path, key, value)]
        elif key == "exclude":
            config.exclude = [_relative(root / pattern).as_posix() for pattern in _strings(path, key, value)]
        elif key in PYTEST_KEYS:
            pytest_switch(path, table, key)
        elif key == "limits":
            if not isinstance(value, dict):
                raise _error(path, "limits must be a table of NAME = VALUE")
            config.defaults["settings"] = [f"{limit}={number}" for limit, number in value.items()]
        elif name in REPORT_PATHS and value != "-":
            config.defaults[name], why = _inside(path, key, value, REPORT_PATHS[name])
            if why:
                config.outside[name] = why
        elif name in options and name not in ("paths", "settings", "explain"):
            if options[name].multiple:  # a single value for a repeatable option: `engines = "numpy"`
                value = [str(v) for v in ([value] if isinstance(value, (str, int, float)) else value)]
            config.defaults[name] = value
        else:
            known = [*OWN_KEYS, *PYTEST_KEYS, *(p.name.replace("_", "-") for p in options.values() if p.name not in ("settings", "explain"))]
            close = difflib.get_close_matches(key.replace("_", "-"), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(sorted(known))}"
            raise _error(path, f"unknown key '{key}'{hint}")
    if "jobs" in config.defaults:
        config.defaults["jobs"] = str(config.defaults["jobs"])
    return config


def pytest_switch(path: Path | None, table: dict[str, Any], key: str) -> bool:
    """`docs = true` or `docs-lax = true` in the table: a boolean, or a one-line error."""
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise _error(path, f"{key} must be true or false; found {visible(repr(value))}")
    return value


def table_at(start: Path) -> tuple[Path | None, dict[str, Any]]:
    """The nearest pyproject.toml from ``start`` up and its `[tool.verifygrad]` table (empty where there is none)."""
    path = find(start)
    table = _read(path)["tool"]["verifygrad"] if path else {}
    return path, table if isinstance(table, dict) else {}


def _read(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise click.UsageError(f"{visible(str(path))}: cannot read: {visible(str(err))}") from None


def _strings(path: Path, key: str, value: Any) -> list[str]:
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _error(path, f"{key} must be a list of strings")
    return value


def _inside(path: Path, key: str, value: Any, flag: str) -> tuple[str, str]:
    """A report file named in the configuration, relative to the project; and why not, where it lies outside it."""
    if not isinstance(value, str) or not value:
        raise _error(path, f"{key} must be a file name")
    root = path.parent.resolve()
    target = (root / value).resolve()  # NOTE: links resolved: a link inside the project may point out of it
    if root in target.parents:
        return str(_relative(target)), ""
    why = f"{key} = '{visible(value)}' is outside the project ({visible(str(root))}); to write there, give {flag} on the command line"
    return str(target), str(_error(path, why).message)


def _relative(path: Path) -> Path:
    """A configured path as the user would type it from the current directory."""
    try:
        return Path(os.path.relpath(path))
    except ValueError:  # another drive (Windows)
        return path


def _error(path: Path, message: str) -> click.UsageError:
    return click.UsageError(f"{visible(str(path))}: {SECTION}: {message}")
