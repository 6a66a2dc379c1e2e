"""Run SymPy work in a child process that is killed when it runs past the time limit.

SymPy is pure Python and can take unbounded time (simplification, exact powers of
big integers inside one C call); a thread cannot be stopped and ``signal.alarm``
works only in the main thread and not inside a C call, so the robust bound is a
process.  One worker lives for the whole run (started on first use, about as
costly as importing SymPy, which the main process then never does), receives
each Problem once, and is replaced only after a timeout.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import itertools
import mmap
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
import types
import weakref
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle
from typing import Any

from verifygrad.process import limits
from verifygrad.process.children import become_worker

STARTUP_SECONDS = 120
TAKING_SECONDS = 0.01  # how often a wait for the worker to take the next request looks again


class TimedOut(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"timed out after {seconds:g} s (--time-limit)")


class RemoteError(Exception):
    """An exception raised in the worker: its one-line reason and its traceback there."""

    def __init__(self, kind: str, message: str, remote_traceback: str):
        super().__init__(message)
        self.kind = kind
        self.remote_traceback = remote_traceback

    def __reduce__(self) -> tuple[Any, ...]:  # NOTE: the default pickles only args=(message,)
        return (RemoteError, (self.kind, str(self), self.remote_traceback))


_tokens: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
# A problem that ran out of time once would again (the formula claims redo the engine's derivation):
# its later calls time out at once, so that a case costs one time limit, not one per claim.
_timed_out: weakref.WeakSet[Any] = weakref.WeakSet()
_counter = itertools.count()


def _start_method() -> str:
    """fork while nothing that starts threads of its own (numpy's BLAS, torch) has been imported, else spawn.

    NOTE: spawn, not fork, once they have: forking a process that holds torch's or BLAS's threads can deadlock. Before,
    fork spares the worker a fresh interpreter, its site packages and this module's imports: a tenth of a second or more
    of the first SymPy answer's wait, which without torch is most of a one-case run's (0.3 s of 0.8 s here).
    """
    if sys.platform.startswith("linux") and not {"numpy", "torch", "sympy", "jax", "tensorflow"} & sys.modules.keys():
        return "fork"
    return "spawn"


class _Worker:
    def __init__(self, preload: tuple[str, ...]) -> None:
        method = _start_method()
        context = multiprocessing.get_context(method)
        self.conn, child_end = context.Pipe()
        # Which request the worker is on (they are numbered from 1 in the order sent) and since when (time.monotonic).
        self.taken = context.RawArray("d", 2)
        target = functools.partial(_serve_forked, self.conn) if method == "fork" else _serve
        self.process = context.Process(target=target, args=(child_end, preload, self.taken), daemon=True, name="verifygrad-sympy")
        with _bare_main():
            self.process.start()
        child_end.close()
        self.last_token: int | None = None
        self.sent = 0  # requests sent to this worker
        self.ready = False

    def wait_ready(self) -> None:
        # Importing SymPy takes a second or more: it must not count against the first case's limit.
        if self.ready:
            return
        if not self.conn.poll(STARTUP_SECONDS):
            self.stop()
            raise RemoteError("WorkerStartup", f"the SymPy worker did not start within {STARTUP_SECONDS} s", "")
        self.conn.recv()
        self.ready = True

    def started(self, number: int) -> float | None:
        """When the worker took request ``number`` (time.monotonic, one clock for every process); None if not yet."""
        while True:  # NOTE: the worker writes the time, then the number: read the number on both sides of the time
            taken, since = self.taken[0], self.taken[1]
            if self.taken[0] == taken:
                break
        return since if taken >= number else None

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


@contextlib.contextmanager
def _bare_main() -> Iterator[None]:
    """Hide the parent's ``__main__`` from spawn while it starts a child.

    NOTE: spawn runs the parent's main script again in the child (the `verifygrad` script imports the
    CLI and click, pytest's imports pytest and its plugins); the worker needs none of it, and that
    import sits between the run's start and the first SymPy answer.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


_worker: _Worker | None = None
_preload: tuple[str, ...] = ()  # modules every new worker imports before it says it is ready
_lock = threading.Lock()


def prestart(preload: tuple[str, ...]) -> None:
    """Start the worker now, importing ``preload`` there, so that SymPy's import overlaps the main process's own start-up."""
    global _worker, _preload
    with _lock:
        _preload = preload
        if _worker is None or not _worker.process.is_alive():
            _worker = _Worker(preload)


class Pending:
    """A request sent to the worker: ``result()`` waits for its reply, at most ``seconds`` of the worker's time on it."""

    def __init__(self, target: str, problem: Any, args: tuple[Any, ...], seconds: float) -> None:
        self.target, self.problem, self.args, self.seconds = target, problem, args, seconds
        self.number = 0  # its place among the requests sent to its worker
        self.reply: tuple[bool, Any] | None = None
        self.lost = False  # its worker was replaced before it was answered: sent again when its result is asked for
        self.worked = 0.0  # the worker's own seconds on it

    def result(self) -> Any:
        with _lock:
            _read(self)
        ok, value = self.reply  # type: ignore[misc]
        if ok:
            return value
        raise value


# Requests sent and not yet answered, in the order the worker takes them.
_queue: list[Pending] = []
_lost: list[Pending] = []  # those a replaced worker had not answered, in the same order


def call(target: str, problem: Any, *args: Any, seconds: float) -> Any:
    """``module:function(*args, problem=problem)`` run in the worker; TimedOut past ``seconds``."""
    return submit(target, problem, *args, seconds=seconds).result()


def submit(target: str, problem: Any, *args: Any, seconds: float) -> Pending:
    """Send ``module:function(*args, problem=problem)`` to the worker and return at once: it runs there, after the
    requests sent before it, while the caller goes on."""
    pending = Pending(target, problem, args, seconds)
    with _lock:  # one message at a time on the pipe, should cases be checked from several threads
        if problem in _timed_out:
            pending.reply = (False, TimedOut(seconds))
        else:
            _transmit(pending)
    return pending


def _transmit(pending: Pending) -> None:
    global _worker
    if _worker is None or not _worker.process.is_alive():
        _replace_worker()
        # NOTE: the target's module too: importing it (SymPy, seconds on a loaded machine) is no request's work
        module = pending.target.partition(":")[0]
        _worker = _Worker(_preload if module in _preload else (*_preload, module))
    token = _tokens.setdefault(pending.problem, next(_counter))
    # The problem travels once; the worker keeps it, so SymPy's per-problem cache works across calls.
    payload = None if token == _worker.last_token else pending.problem
    send(_worker.conn, (pending.target, token, payload, pending.args, limits.current()))
    _worker.last_token = token
    _worker.sent += 1
    pending.number, pending.lost = _worker.sent, False
    _queue.append(pending)


def _read(pending: Pending) -> None:
    """Read answers in order until ``pending`` has its own (sent again first if its worker was replaced)."""
    while pending.reply is None:
        if pending.lost:
            _send_lost()
            continue
        _read_first()


def _send_lost() -> None:
    """Send every request a replaced worker had not answered to the next one, in their order, so that it works ahead again."""
    global _lost
    lost, _lost = _lost, []
    for each in lost:
        if each.reply is not None or not each.lost:
            continue
        if each.problem in _timed_out:
            each.reply = (False, TimedOut(each.seconds))
        else:
            _transmit(each)


def _read_first() -> None:
    """The oldest request's answer; past its time limit the worker is killed, and the requests behind it are lost."""
    head = _queue[0]
    assert _worker is not None
    _worker.wait_ready()  # NOTE: requests wait in the pipe while SymPy imports: no request's clock runs till then
    # NOTE: the limit counts from when the worker took this request, by its own record: requests sent ahead wait
    # in the worker's queue while it answers the ones before, and an answer may wait here unread while it goes on.
    while (started := _worker.started(head.number)) is None:
        if _worker.conn.poll(TAKING_SECONDS) or not _worker.process.is_alive():
            break  # the answer is here (or the worker is gone: recv says so)
    if started is not None and not _worker.conn.poll(max(started + head.seconds - time.monotonic(), 0.0)):
        head.worked = time.monotonic() - started
        _timed_out.add(head.problem)
        head.reply = (False, TimedOut(head.seconds))
        _replace_worker()
        return
    try:
        ok, value, head.worked = receive(_worker.conn)
    except EOFError:  # the worker died (killed by the OS for memory, or a crash in C code)
        head.reply = (False, RemoteError("WorkerDied", "the SymPy worker process died", ""))
        _replace_worker()
        return
    _queue.pop(0)
    head.reply = (ok, value)


def _replace_worker() -> None:
    """Stop the worker (if any); every request it had not answered is lost, to be sent again to the next one."""
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None
    for lost in _queue:
        lost.lost = lost.reply is None
    _lost.extend(_queue)
    _queue.clear()


def _serve_forked(parent_end: Connection, conn: Connection, preload: tuple[str, ...], taken: Any) -> None:
    """``_serve`` in a forked child: first let go of what it inherited of the parent's."""
    parent_end.close()  # NOTE: held open here, the parent's end would keep this end from ever reading EOF
    signal.set_wakeup_fd(-1)  # the parent's Ctrl-C watcher (process/children.py) is not ours
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _serve(conn, preload, taken)


def _serve(conn: Connection, preload: tuple[str, ...], taken: Any) -> None:
    become_worker()
    for module in preload:
        importlib.import_module(module)
    conn.send("ready")
    requests = _drained(conn)
    kept: Any = None  # the last problem sent; None in a message means "the same as before"
    number = 0
    while (request := requests.get()) is not None:
        target, _token, payload, args, bounds = request
        if payload is not None:
            kept = payload
        module, _, name = target.partition(":")
        number += 1
        taken[1] = time.monotonic()  # NOTE: the time first: the parent reads the number on both sides of it
        taken[0] = number
        start = time.perf_counter()
        try:
            with limits.using(bounds):
                function = getattr(importlib.import_module(module), name)
                reply = (True, function(*args, problem=kept))
        except Exception as err:  # noqa: BLE001 - sent back to be reported as this engine's error
            reply = (False, _portable(err))
        send(conn, (*reply, time.perf_counter() - start))


def _drained(conn: Connection) -> queue.SimpleQueue[Any]:
    """The requests arriving on ``conn``, read as they come by a thread of their own; None once the parent has gone.

    NOTE: the parent sends requests without waiting for answers: were the worker to read only between
    answers, it could block sending a large answer while the parent blocks sending a large request.
    """
    requests: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def read() -> None:
        try:
            while True:
                requests.put(receive(conn))
        except (EOFError, OSError):
            requests.put(None)

    threading.Thread(target=read, name="verifygrad-sympy-requests", daemon=True).start()
    return requests


# At and above this many bytes an array crosses in shared memory: the worker's answer for a 10^6-element gradient took
# 25-40 ms through the socket (its buffer holds a few hundred KB: two processes taking turns, each turn a wait for a core
# on a loaded machine), against about 3 ms written once into a memfd whose descriptor is passed over the socket.
SHARED_MIN_BYTES = 1 << 20
SHARED = hasattr(os, "memfd_create")  # Linux; elsewhere every array goes through the socket


def send(conn: Connection, message: Any) -> None:
    """``message`` with its arrays out of band: each crosses as its own bytes, a large one in shared memory.

    NOTE: pickled in band, a 10^6-element gradient was copied into the pickle, read in pieces and
    copied out again: 60-90 ms a round trip here, against 4 ms out of band.
    """
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    views = [buffer.raw() for buffer in buffers]
    shared = [SHARED and view.nbytes >= SHARED_MIN_BYTES for view in views]
    conn.send((head, [view.nbytes for view in views], shared))
    for view, in_memory in zip(views, shared):
        if in_memory:
            _send_shared(conn, view)
        else:
            conn.send_bytes(view)


def _send_shared(conn: Connection, view: memoryview) -> None:
    """The bytes written into an anonymous shared file, whose descriptor crosses the socket: nothing to name or clean up."""
    fd = os.memfd_create("verifygrad", os.MFD_CLOEXEC)
    try:
        written = 0
        while written < view.nbytes:  # NOTE: written by the kernel, not through a mapping: a fault per page costs 3x
            written += os.write(fd, view[written:])
        send_handle(conn, fd, 0)  # NOTE: the descriptor is duplicated into the message: closing ours is safe
    finally:
        os.close(fd)


def receive(conn: Connection) -> Any:
    """A message from ``send``; its arrays writable, in buffers of their own (a shared one is mapped, not copied)."""
    head, sizes, shared = conn.recv()
    buffers: list[Any] = []
    for size, in_memory in zip(sizes, shared):
        if in_memory:
            fd = recv_handle(conn)
            try:
                buffers.append(mmap.mmap(fd, size))
            finally:
                os.close(fd)
            continue
        buffer = bytearray(size)
        if size:
            conn.recv_bytes_into(buffer)
        else:
            conn.recv_bytes()
        buffers.append(buffer)
    return pickle.loads(head, buffers=buffers)


def _portable(err: Exception) -> Exception:
    """The exception if it survives pickling, else a RemoteError carrying its text and traceback."""
    from verifygrad.errors import EngineSkipped

    if isinstance(err, EngineSkipped):
        return err
    if isinstance(err, ImportError):
        return EngineSkipped(f"{err.name or err} is not installed")
    message = f"{type(err).__name__}: {err}".splitlines()[0] if str(err) else type(err).__name__
    remote = RemoteError(type(err).__name__, message, traceback.format_exc())
    try:
        pickle.dumps(remote)
    except Exception:  # noqa: BLE001
        return RemoteError(type(err).__name__, message[:200], "")
    return remote
