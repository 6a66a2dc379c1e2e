"""A long run's memory stays flat: outcomes keep summaries and the worst elements, not every array."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clihelp import REPO, write

CASES = 1000
MEASURE = """
import resource, sys
from verifygrad.frontends.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print("exit", code, "peak_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
@pytest.mark.needs_torch
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_a_thousand_cases_of_a_million_elements_stay_under_a_gibibyte(tmp_path: Path) -> None:
    # Every case holds a 10^6-element input (8 MB); one in fifty differentiates it (an 8 MB gradient per
    # engine, and a failing panel to rank). Kept until the end, they would take over 8 GB.
    lines = ["defaults: {expr: 'sum(x) * 0 + sum(y * y)', engines: [numpy, torch]}", "cases:"]
    for i in range(CASES):
        if i % 50:
            lines.append(f"  - {{name: c{i}, wrt: [y], inputs: {{x: 'zeros(1000000)', y: 'ones(3) * {i}'}}}}")
        else:
            lines.append(f"  - {{name: c{i}, inputs: {{x: 'randn(1000000, seed={i})', y: [1.0]}}, expect: {{grad: {{x: 1e-3}}}}}}")
    write(tmp_path, "soak.yaml", "\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", MEASURE, "run", "soak.yaml", "--no-color", "--json", "report.json"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    *_, last = done.stdout.strip().splitlines()
    _, code, _, peak_kib = last.split()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert int(code) == 1 and report["summary"]["passed"] == CASES - CASES // 50 and report["summary"]["failed"] == CASES // 50
    assert int(peak_kib) < 1024 * 1024, f"peak RSS {int(peak_kib) // 1024} MiB"
    differentiated = report["cases"][0]["engines"]["numpy"]["grads"]["x"]
    assert differentiated["shape"] == [1000000] and len(differentiated["elements"]) == 12
