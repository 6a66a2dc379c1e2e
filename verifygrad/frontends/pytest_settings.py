"""The pytest plugin's switches: the command line, else the ini file, else `[tool.verifygrad]` of the nearest pyproject.toml."""

from __future__ import annotations

import pytest

SWITCHES = pytest.StashKey[dict]()
KEYS = {"verifygrad_docs": "docs", "verifygrad_lax": "docs-lax"}  # option -> its key in [tool.verifygrad]


def read_switches(config: pytest.Config) -> None:
    """Decide the switches once, at configuration: a bad `[tool.verifygrad]` is a usage error before collection."""
    import click

    from verifygrad.frontends.config import pytest_switch, table_at

    switches = {name: bool(config.getoption(name) or config.getini(name)) for name in KEYS}
    if not all(switches.values()):
        try:
            path, table = table_at(config.rootpath)
            switches = {name: on or pytest_switch(path, table, KEYS[name]) for name, on in switches.items()}
        except click.UsageError as err:
            raise pytest.UsageError(err.message) from None
    config.stash[SWITCHES] = switches


def setting(config: pytest.Config, name: str) -> bool:
    """Whether the switch ``name`` (``verifygrad_docs``, ``verifygrad_lax``) is on."""
    return config.stash[SWITCHES][name]
