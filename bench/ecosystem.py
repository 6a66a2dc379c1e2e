"""What a CI user waits for around the engines: the first verdict of a piped run, pytest with the plugin serial and -n 2."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

Row = tuple[str, str, str, str]
REPO = Path(__file__).resolve().parents[1]
VERDICT = re.compile(r": (PASS|FAIL|SKIP|XFAIL|ERROR) ")


def first_verdict_seconds(cases: Path) -> tuple[float, float]:
    """Seconds from start-up to the first verdict line of `verifygrad run cases/` piped, and to its end."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "verifygrad", "run", str(cases)], stdout=subprocess.PIPE, text=True)
    first = None
    for line in process.stdout:  # type: ignore[union-attr]
        if first is None and VERDICT.search(line):
            first = time.perf_counter() - start
    process.wait()
    return (first if first is not None else float("nan")), time.perf_counter() - start


def pytest_seconds(cases: Path, workers: int) -> float:
    """Wall seconds of pytest collecting the bundled cases through the plugin, serial (0) or with -n workers."""
    argv = [sys.executable, "-m", "pytest", str(cases), "-q", "-p", "no:cacheprovider", "-o", f"verifygrad_paths={cases}"]
    if workers:
        argv += ["-n", str(workers)]
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, cwd=cases.parent, check=False)
    return time.perf_counter() - start


def rows(repeats: int = 3, cases: Path = REPO / "cases") -> list[Row]:
    """The first verdict piped (median of ``repeats``) and pytest -n 2 against serial, interleaved."""
    firsts, totals = zip(*(first_verdict_seconds(cases) for _ in range(repeats)))
    serial, parallel = [], []
    for _ in range(max(1, repeats // 2)):
        serial.append(pytest_seconds(cases, 0))
        parallel.append(pytest_seconds(cases, 2))
    first, total = statistics.median(firsts), statistics.median(totals)
    serial_s, parallel_s = statistics.median(serial), statistics.median(parallel)
    return [
        ("bundled cases piped: first verdict line / whole run", f"{first:.2f} s / {total:.1f} s", "", "≤ 3 s"),
        ("bundled cases under pytest with the plugin: -n 2 / serial", f"{parallel_s:.1f} s / {serial_s:.1f} s", f"{parallel_s / serial_s:.2f}x", "≤ 1x"),
    ]
