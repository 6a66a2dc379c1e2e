"""Tests that need torch are marked `needs_torch`; where torch is not installed they skip, saying why."""

from __future__ import annotations

import importlib.util

import pytest

NO_TORCH = "needs torch, which is not installed (pip install 'verifygrad[torch]')"


def torch_installed() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except ImportError:  # an import hook that hides it
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    callspec = getattr(item, "callspec", None)
    on_torch = callspec is not None and callspec.params.get("engine") == "torch"  # a test run once per engine
    if (on_torch or item.get_closest_marker("needs_torch")) and not torch_installed():
        pytest.skip(NO_TORCH)
