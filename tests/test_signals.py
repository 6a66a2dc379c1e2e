"""No process outlives a run: a timeout, SIGTERM or Ctrl-C ends every child, and the finished cases are reported.

Each run starts in a session of its own, so that its process group holds verifygrad and every process it
started (fork server, workers, SymPy workers, the resource tracker); the group must be empty soon after.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.clihelp import REPO, write

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")]


def slow_cases(directory: Path, count: int, elements: int) -> Path:
    """Cases whose SymPy work takes seconds each (exact evaluation of many elements)."""
    # NOTE: each case its own inputs: SymPy's answer for a question asked before is shared, and 300 alike cases took 8 s
    lines = ["cases:"] + [
        f"  - {{name: c{i}, expr: 'sum(exp(x)*sin(x)*cos(x)**3)', inputs: {{x: 'linspace(0, {1 + i / 1000}, {elements})'}}}}" for i in range(count)
    ]
    return write(directory, "slow.yaml", "\n".join(lines) + "\n")


def start(directory: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}  # each case's line as it is checked
    command = [sys.executable, "-m", "verifygrad", "run", "--no-color", *args]
    return subprocess.Popen(command, cwd=directory, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def living(pid: int | None = None, group: int | None = None) -> list[int]:
    """Processes (the one ``pid``, or all of process group ``group``) still running: zombies count as ended.

    NOTE: where PID 1 does not reap orphans (some containers), a killed orphan stays a zombie for good.
    """
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        this = int(stat.parent.name)
        if state != "Z" and (this == pid or int(pgrp) == group):
            found.append(this)
    return found


def group_ends(group: int, seconds: float = 10.0) -> bool:
    """Whether every process of the group has ended within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not living(group=group):
            return True
        time.sleep(0.1)
    for pid in living(group=group):
        os.kill(pid, signal.SIGKILL)  # leave nothing behind for the next test
    return False


@pytest.mark.parametrize(("sent", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
# -j 1 without --timeout: in this process, the next cases' SymPy work already sent to its worker (judge.LOOK_AHEAD)
@pytest.mark.parametrize("jobs", [("-j", "1", "--timeout", "300"), ("-j", "2", "--timeout", "300"), ("-j", "1")], ids=["1", "2", "serial"])
def test_a_signal_ends_every_process_and_reports_the_finished_cases(tmp_path: Path, sent: int, code: int, word: str, jobs: tuple[str, ...]) -> None:
    slow_cases(tmp_path, 1000, 200)  # distinct inputs: nothing cached across cases; far more than 8 s of work
    run = start(tmp_path, "slow.yaml", *jobs, "--json", "report.json")
    time.sleep(8)  # start-up, and a few cases done
    os.kill(run.pid, sent)
    output, _ = run.communicate(timeout=120)
    assert run.returncode == code, output
    assert f"{word} after" in output and "Traceback" not in output and "KeyboardInterrupt" not in output
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["exit_code"] == code and report["summary"]["cases"] < 1000
    assert all(case["verdict"] == "passed" for case in report["cases"])
    assert group_ends(run.pid)


def start_a_grandchild_and_hang(pid_file: str) -> None:
    """A task that starts a process of its own (as a case worker starts SymPy's), then runs past its time."""
    child = subprocess.Popen(["sleep", "120"])
    Path(pid_file).write_text(str(child.pid))
    time.sleep(120)


def test_a_timed_out_worker_takes_its_own_children_along(tmp_path: Path) -> None:
    from verifygrad.process.parallel import Pool, run_all

    pid_file = tmp_path / "grandchild"
    pool = Pool(start_a_grandchild_and_hang, lambda task, why, seconds: why)
    assert run_all(pool, [str(pid_file)], jobs=1, timeout=3) == ["timed out after 3 s"]
    grandchild = int(pid_file.read_text())
    try:
        assert not living(pid=grandchild)
    finally:
        for pid in living(pid=grandchild):
            os.kill(pid, signal.SIGKILL)


def long_program(calls: int, iterations: int) -> str:
    """A function of a loop with four operations a step, called ``calls`` times: seconds of compiling, within the limits."""
    body = f"def f(x):\n    for i in range({iterations}):\n        x = (x * 1.0 + 0.0) * 1.0 - 0.0\n    return x\ny = x\n" + "y = f(y)\n" * calls
    return "".join(f"      {line}\n" for line in (body + "out = y.sum()\n").splitlines())


WARM_UP = "  - {name: warm, expr: 'sum(x * x)', inputs: {x: [1.0, 2.0]}}\n"  # its line shows that the next case has begun
STAGES = {
    "compiling nested functions": (f"  - name: long\n    expr: |\n{long_program(19, 1000)}    inputs: {{x: [1.0, 2.0]}}\n", ("-e", "numpy")),
    "a long SymPy call in its worker": (
        "  - {name: long, expr: 'sum(F.softmax(x, dim=0) * x)', inputs: {x: 'randn(100000, seed=2)'}}\n",  # tens of seconds of SymPy
        ("-e", "sympy", "--time-limit", "300"),
    ),
    # three einsums of 1700**3 steps each (value, then each VJP): numpy computes each in one C call of seconds
    "one long numpy call in an engine": (
        "  - {name: long, expr: \"sum(einsum('ij,jk->ik', a, b))\", inputs: {a: 'ones(1700, 1700)', b: 'ones(1700, 1700)'}}\n",
        ("-e", "numpy", "--limit", "part_time=300"),
    ),
    "one long numpy call in a worker (-j 2)": (
        "  - {name: long, expr: \"sum(einsum('ij,jk->ik', a, b))\", inputs: {a: 'ones(1700, 1700)', b: 'ones(1700, 1700)'}}\n",
        ("-e", "numpy", "--limit", "part_time=300", "-j", "2"),
    ),
    "compiling in a worker (--timeout)": (
        f"  - name: long\n    expr: |\n{long_program(19, 1000)}    inputs: {{x: [1.0, 2.0]}}\n",
        ("-e", "numpy", "--timeout", "300"),
    ),
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_sigterm_ends_the_run_within_a_second_at_any_stage(tmp_path: Path, stage: str) -> None:
    case, options = STAGES[stage]
    write(tmp_path, "stage.yaml", "cases:\n" + WARM_UP + case)
    run = start(tmp_path, "stage.yaml", *options)
    assert run.stdout is not None
    seen = ""
    while "warm" not in seen:  # the warm-up case is reported: the long one has begun
        line = run.stdout.readline()
        assert line, f"the run ended before the long case: {seen}"
        seen += line
    time.sleep(2.0)  # well inside the long case
    assert run.poll() is None, "the long case ended before the signal"
    sent = time.monotonic()
    os.kill(run.pid, signal.SIGTERM)
    output, _ = run.communicate(timeout=60)
    seconds = time.monotonic() - sent
    assert run.returncode == 143, seen + output
    assert seconds < 1.0, f"{stage}: the run ended {seconds:.1f} s after SIGTERM"
    assert "terminated" in output and "Traceback" not in output
    assert group_ends(run.pid, seconds=2.0)
