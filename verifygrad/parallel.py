"""Check cases serially or in worker processes; a crash or timeout is that case's error, not the run's.

Workers come from a fork server that has imported the engines but never run them: each worker starts
without paying for importing torch and SymPy again, and torch is never forked once its thread pools
have started (which is not safe). Where there is no fork server (Windows), workers are spawned.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from verifygrad import limits
from verifygrad.cases import Case
from verifygrad.engines import ENGINE_MODULES
from verifygrad.problem import Overrides
from verifygrad.runner import ERROR, CaseOutcome, check_case

OnDone = Callable[[CaseOutcome], None]


def job_count(text: str) -> int:
    """-j N, or "auto" for the cores this process may use."""
    if text == "auto":
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    count = int(text)
    if count < 1:
        raise ValueError("must be at least 1")
    return count


def check_timed(case: Case, overrides: Overrides) -> CaseOutcome:
    start = time.perf_counter()
    try:
        outcome = check_case(case, overrides)
    except Exception as err:  # noqa: BLE001 - a bug in one case's check is that case's error
        outcome = CaseOutcome(case, ERROR, [f"internal error: {type(err).__name__}: {err}".splitlines()[0]])
    outcome.seconds = time.perf_counter() - start
    return outcome


def check_all(cases: list[Case], overrides: Overrides, jobs: int = 1, timeout: float | None = None,
              on_done: OnDone | None = None) -> list[CaseOutcome]:  # fmt: skip
    """Every case's outcome, in the order of ``cases`` whatever order they finish in."""
    on_done = on_done or (lambda outcome: None)
    if jobs == 1 and timeout is None:
        outcomes = []
        for case in cases:
            outcomes.append(check_timed(case, overrides))
            on_done(outcomes[-1])
        return outcomes
    return _in_workers(cases, overrides, max(1, min(jobs, len(cases))), timeout, on_done)


def _worker(connection: Connection, overrides: Overrides, run_limits: limits.Limits) -> None:
    """A worker's loop: receive (index, case), send back (index, outcome), until None."""
    with limits.using(run_limits), contextlib.suppress(EOFError):  # EOF: the parent has gone; so do we
        # The parent's command-line limits hold in the worker too.
        while (task := connection.recv()) is not None:
            index, case = task
            connection.send((index, check_timed(case, overrides)))


@dataclass
class _Worker:
    process: Any
    connection: Connection
    task: tuple[int, Case, float] | None = None  # index, case, start time


def _in_workers(cases: list[Case], overrides: Overrides, jobs: int, timeout: float | None, on_done: OnDone) -> list[CaseOutcome]:
    context = _context()

    def start() -> _Worker:
        parent, child = context.Pipe()
        # NOTE: not a daemon: a daemon may not start children, and SymPy runs in a time-limited child of its own.
        process = context.Process(target=_worker, args=(child, overrides, limits.current()), daemon=False)
        process.start()
        child.close()
        return _Worker(process, parent)

    pending = deque(enumerate(cases))
    outcomes: list[CaseOutcome | None] = [None] * len(cases)
    workers = [start() for _ in range(jobs)]

    def finish(worker: _Worker, outcome: CaseOutcome) -> None:
        outcomes[worker.task[0]] = outcome
        worker.task = None
        on_done(outcome)

    try:
        while pending or any(w.task for w in workers):
            for worker in workers:
                if worker.task is None and pending:
                    index, case = pending.popleft()
                    worker.connection.send((index, case))
                    worker.task = (index, case, time.monotonic())
            busy = [w for w in workers if w.task]
            deadline = min(w.task[2] for w in busy) + timeout if timeout else None
            wait([w.connection for w in busy] + [w.process.sentinel for w in busy],
                 timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))  # fmt: skip
            for i, worker in enumerate(workers):
                if worker.task is None:
                    continue
                _, case, started = worker.task
                if worker.connection.poll():
                    try:
                        _, outcome = worker.connection.recv()
                    except EOFError:  # it died mid-message
                        outcome = None
                    if outcome is not None:
                        finish(worker, outcome)
                        continue
                if not worker.process.is_alive() or worker.connection.closed:
                    worker.process.join()
                    message = f"worker process crashed while checking this case (exit code {worker.process.exitcode})"
                elif timeout and time.monotonic() - started > timeout:
                    message = f"timed out after {timeout:g} s"
                else:
                    continue
                _stop(worker)
                finish(worker, CaseOutcome(case, ERROR, [message], seconds=time.monotonic() - started))
                workers[i] = start()
    finally:
        for worker in workers:
            _stop(worker, politely=True)
    return [outcome for outcome in outcomes if outcome is not None]


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["verifygrad.runner", *ENGINE_MODULES.values()])  # ignored if one cannot be imported
    return context


def _stop(worker: _Worker, politely: bool = False) -> None:
    if politely and worker.process.is_alive():
        with contextlib.suppress(OSError):  # it may have died since
            worker.connection.send(None)
        worker.process.join(timeout=5)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join()
    worker.connection.close()
