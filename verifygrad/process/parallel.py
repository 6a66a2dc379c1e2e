"""Run tasks serially or in worker processes; a crash or timeout is that task's failure, not the run's.

Generic over the task: the caller gives the work (a picklable function of one task), how a failed
task is reported, and the modules the fork server preloads. Workers come from a fork server that has
imported those modules (the engines) but never run them: each worker starts without paying for
importing torch and SymPy again, and torch is never forked once its thread pools have started (which
is not safe). Where there is no fork server (Windows), workers are spawned.
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
from typing import Any, Generic, TypeVar

from verifygrad.process import limits

Task = TypeVar("Task")
Result = TypeVar("Result")


def job_count(text: str) -> int:
    """-j N, or "auto" for the cores this process may use."""
    if text == "auto":
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    count = int(text)
    if count < 1:
        raise ValueError("must be at least 1")
    return count


@dataclass(frozen=True)
class Pool(Generic[Task, Result]):
    """How to run tasks: the work, how a crashed or timed-out task is reported, what workers preload."""

    work: Callable[[Task], Result]  # picklable: a module-level function or a partial of one
    failed: Callable[[Task, str, float], Result]  # (task, why, seconds) -> the task's result
    preload: tuple[str, ...] = ()  # modules the fork server imports once for every worker


def run_all(pool: Pool[Task, Result], tasks: list[Task], jobs: int = 1, timeout: float | None = None,
            on_done: Callable[[Result], None] | None = None) -> list[Result]:  # fmt: skip
    """Every task's result, in the order of ``tasks`` whatever order they finish in."""
    on_done = on_done or (lambda result: None)
    if jobs == 1 and timeout is None:
        results = []
        for task in tasks:
            results.append(pool.work(task))
            on_done(results[-1])
        return results
    return _in_workers(pool, tasks, max(1, min(jobs, len(tasks))), timeout, on_done)


def _worker(connection: Connection, work: Callable[[Any], Any], run_limits: limits.Limits) -> None:
    """A worker's loop: receive (index, task), send back (index, result), until None."""
    with limits.using(run_limits), contextlib.suppress(EOFError):  # EOF: the parent has gone; so do we
        # The parent's command-line limits hold in the worker too.
        while (message := connection.recv()) is not None:
            index, task = message
            connection.send((index, work(task)))


@dataclass
class _Worker:
    process: Any
    connection: Connection
    task: tuple[int, Any, float] | None = None  # index, task, start time


def _in_workers(pool: Pool, tasks: list, jobs: int, timeout: float | None, on_done: Callable[[Any], None]) -> list:
    context = _context(pool.preload)

    def start() -> _Worker:
        parent, child = context.Pipe()
        # NOTE: not a daemon: a daemon may not start children, and SymPy runs in a time-limited child of its own.
        process = context.Process(target=_worker, args=(child, pool.work, limits.current()), daemon=False)
        process.start()
        child.close()
        return _Worker(process, parent)

    pending = deque(enumerate(tasks))
    results: list[Any] = [None] * len(tasks)
    done = [False] * len(tasks)
    workers = [start() for _ in range(jobs)]

    def finish(worker: _Worker, result: Any) -> None:
        results[worker.task[0]] = result
        done[worker.task[0]] = True
        worker.task = None
        on_done(result)

    try:
        while pending or any(w.task for w in workers):
            for worker in workers:
                if worker.task is None and pending:
                    index, task = pending.popleft()
                    worker.connection.send((index, task))
                    worker.task = (index, task, time.monotonic())
            busy = [w for w in workers if w.task]
            deadline = min(w.task[2] for w in busy) + timeout if timeout else None
            wait([w.connection for w in busy] + [w.process.sentinel for w in busy],
                 timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))  # fmt: skip
            for i, worker in enumerate(workers):
                if worker.task is None:
                    continue
                _, task, started = worker.task
                if worker.connection.poll():
                    try:
                        _, result = worker.connection.recv()
                    except EOFError:  # it died mid-message
                        pass
                    else:
                        finish(worker, result)
                        continue
                if not worker.process.is_alive() or worker.connection.closed:
                    worker.process.join()
                    message = f"worker process crashed while checking this case (exit code {worker.process.exitcode})"
                elif timeout and time.monotonic() - started > timeout:
                    message = f"timed out after {timeout:g} s"
                else:
                    continue
                _stop(worker)
                finish(worker, pool.failed(task, message, time.monotonic() - started))
                workers[i] = start()
    finally:
        for worker in workers:
            _stop(worker, politely=True)
    return [result for result, finished in zip(results, done) if finished]


def _context(preload: tuple[str, ...]) -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))  # ignored if one cannot be imported
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
