"""The benchmark's quick mode runs end to end, so that it cannot rot (a smoke test, not a timing)."""

from __future__ import annotations

import pytest

bench = pytest.importorskip("bench.__main__")


@pytest.mark.needs_torch
def test_quick_benchmark_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--quick"])
    table = capsys.readouterr().out
    figures = ["W1 verifygrad numpy", "W1 peak memory", "W2 verifygrad numpy", "W3 verifygrad numpy", "W1 via sympy"]
    figures += ["W2 via sympy (sympy: matrix calculus", "start-up: verifygrad --help", "one case, engines numpy+sympy", "suite of 4"]
    figures += ["small CNN (2 conv, max pool, batch norm, linear, cross-entropy), batch 2 of 1x6x6 via numpy", "batch 1 of 1x6x6 via sympy"]
    for figure in figures:
        assert figure in table
    assert "4 passed" in table
