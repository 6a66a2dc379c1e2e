"""What crosses the pipe to the SymPy worker and back arrives whole: every array exact, writable, its own."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from verifygrad.errors import EngineSkipped
from verifygrad.process.worker import receive, send


def round_trip(message):
    here, there = multiprocessing.Pipe()
    sender = threading.Thread(target=send, args=(here, message))  # a large message fills the pipe: read it meanwhile
    sender.start()
    try:
        return receive(there)
    finally:
        sender.join()
        here.close()
        there.close()


def test_arrays_arrive_exact_and_writable():
    rng = np.random.default_rng(0)
    big = rng.standard_normal(300_000)  # 2.4 MB: far over the pipe's buffer
    message = (True, {"grad": big, "fortran": np.asfortranarray(rng.standard_normal((3, 4))), "strided": big[::7],
                      "empty": np.zeros((0, 3)), "objects": np.array([1, "a", None], dtype=object), "value": 1.5})  # fmt: skip
    ok, found = round_trip(message)
    assert ok and found["value"] == 1.5
    for name in ("grad", "fortran", "strided", "empty"):
        np.testing.assert_array_equal(found[name], message[1][name])
        assert found[name].dtype == message[1][name].dtype
        assert found[name].flags.writeable
    assert found["fortran"].flags.f_contiguous
    assert list(found["objects"]) == [1, "a", None]
    found["grad"][0] = 7.0  # its own buffer: the sender's array is untouched
    assert big[0] != 7.0


def test_an_exception_crosses_as_itself():
    ok, err = round_trip((False, EngineSkipped("too large")))
    assert not ok and isinstance(err, EngineSkipped) and str(err) == "too large"


def test_the_sympy_engine_answers_through_its_worker_for_a_large_input():
    from verifygrad.cases.load import Case
    from verifygrad.cases.problem import Overrides, prepare
    from verifygrad.engines import run_engine
    from verifygrad.process import limits

    x = np.linspace(-2.0, 2.0, 20_000)
    problem = prepare(Case("w", "sum(x*x*x)", {"x": x.tolist()}, "test", 1), Overrides())
    with limits.using(limits.with_settings(limits.DEFAULT_LIMITS, {"time_limit": 300})):
        result = run_engine("sympy", problem)
    assert result.ok, result.reason
    np.testing.assert_allclose(result.grads["x"], 3 * x * x, rtol=1e-15)
    assert result.grads["x"].flags.writeable


def test_sympy_computes_while_the_caller_works_and_each_reply_reaches_its_own_request():
    from verifygrad.cases.load import Case
    from verifygrad.cases.problem import Overrides, prepare
    from verifygrad.engines import run_engine, start_engine
    from verifygrad.process import limits

    x = np.array([0.5, -1.5, 2.0])
    cube, square = (prepare(Case(name, expr, {"x": x.tolist()}, "test", 1), Overrides()) for name, expr in (("c", "sum(x**3)"), ("s", "sum(x**2)")))
    with limits.using(limits.with_settings(limits.DEFAULT_LIMITS, {"time_limit": 300})):
        pending = start_engine("sympy", cube)  # sent: its reply waits in the pipe while another request goes out
        other = run_engine("sympy", square)
        first = pending()
    assert first.ok and other.ok, (first.reason, other.reason)
    np.testing.assert_allclose(first.grads["x"], 3 * x**2, rtol=1e-15)
    np.testing.assert_allclose(other.grads["x"], 2 * x, rtol=1e-15)


def test_requests_sent_ahead_are_answered_in_order_and_one_past_its_limit_loses_only_itself():
    from tests.helpers import make_problem
    from verifygrad.process import worker

    first, second, third = (make_problem(f"sum(x*{k})", x=[1.0]) for k in (1, 2, 3))
    worker.call("tests.helpers:asleep", first, 0.0, seconds=60)  # the worker up
    quick = worker.submit("tests.helpers:asleep", first, 2.0, seconds=60)
    sending = time.perf_counter()
    slow = worker.submit("tests.helpers:asleep", second, 30.0, seconds=1.0)
    behind = worker.submit("tests.helpers:asleep", third, 0.25, seconds=60)  # queued behind the slow one, in the same worker
    assert time.perf_counter() - sending < 1.0  # sending waits for no answer
    assert behind.result() == 0.25  # the slow one timed out on the way: its worker killed, this one sent again to a fresh one
    assert quick.result() == 2.0
    with pytest.raises(worker.TimedOut):
        slow.result()
    with pytest.raises(worker.TimedOut):  # the same problem again: at once, a case costs one time limit
        worker.call("tests.helpers:asleep", second, 0.0, seconds=60)


def test_large_requests_and_large_answers_in_flight_together_do_not_block_each_other():
    """The worker answers while the caller is still sending: both messages far over the pipe's buffer."""
    from tests.helpers import make_problem
    from verifygrad.process import worker

    problem = make_problem("sum(x)", x=[1.0])
    big = np.arange(1_000_000, dtype=float)  # 8 MB each way
    worker.call("tests.helpers:asleep", problem, 0.0, seconds=60)  # the worker up
    done: list[bool] = []

    def send_several() -> None:
        pending = [worker.submit("tests.helpers:echo", problem, big + k, seconds=60) for k in range(3)]
        for k, each in enumerate(pending):
            np.testing.assert_array_equal(each.result(), big + k)
        done.append(True)

    sender = threading.Thread(target=send_several, daemon=True)
    sender.start()
    sender.join(60)
    assert done, "the caller and the SymPy worker blocked each other, each sending to the other"


def test_a_request_sent_ahead_is_timed_from_when_the_worker_took_it_not_from_when_its_answer_is_read():
    from tests.helpers import make_problem
    from verifygrad.process import worker

    first, second = (make_problem(f"sum(x*{k})", x=[1.0]) for k in (4, 5))
    worker.call("tests.helpers:asleep", first, 0.0, seconds=60)  # the worker up
    quick = worker.submit("tests.helpers:asleep", first, 0.5, seconds=60)
    slow = worker.submit("tests.helpers:asleep", second, 30.0, seconds=1.0)
    time.sleep(3.0)  # the caller busy with its own engines: the worker took the slow request 2.5 s ago
    assert quick.result() == 0.5
    reading = time.perf_counter()
    with pytest.raises(worker.TimedOut):
        slow.result()
    assert time.perf_counter() - reading < 0.5  # past its limit already: not another second from the reading


def test_a_request_queued_behind_a_long_one_has_its_whole_limit_for_itself():
    from tests.helpers import make_problem
    from verifygrad.process import worker

    first, second = (make_problem(f"sum(x*{k})", x=[1.0]) for k in (6, 7))
    worker.call("tests.helpers:asleep", first, 0.0, seconds=60)  # the worker up
    long = worker.submit("tests.helpers:asleep", first, 2.0, seconds=60)
    behind = worker.submit("tests.helpers:asleep", second, 0.5, seconds=1.0)  # 2 s in the queue, 0.5 s of its own
    assert behind.result() == 0.5
    assert long.result() == 2.0


@pytest.mark.skipif(not hasattr(__import__("os"), "memfd_create"), reason="shared memory by memfd is Linux's")
def test_a_large_array_crosses_in_shared_memory_not_through_the_socket():
    # NOTE: through the socket, sending 8 MB blocks until the other side reads; in shared memory it does not
    here, there = multiprocessing.Pipe()
    gradient = np.random.default_rng(1).standard_normal(1_000_000)
    sender = threading.Thread(target=send, args=(here, (True, {"x": gradient})), daemon=True)
    sender.start()
    sender.join(timeout=30)
    finished_alone = not sender.is_alive()
    ok, found = receive(there)  # (unblocks the sender, if it was waiting)
    sender.join()
    assert finished_alone
    np.testing.assert_array_equal(found["x"], gradient)
    found["x"][0] = 7.0  # writable, and its own
    assert gradient[0] != 7.0


FORKED_WORKER = """
import sys, time
from verifygrad.process import worker
worker.prestart(("verifygrad.engines.sympy.engine",))
popen = type(worker._worker.process._popen).__module__
from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, prepare
problem = prepare(Case("w", "sum(x*x*x)", {"x": [0.5, -2.0]}, "test", 1), Overrides())
result = worker.call("verifygrad.engines.sympy.engine:run", problem, seconds=300)
process = worker._worker.process
worker._worker.conn.close()  # the worker reads EOF and ends: it holds no copy of this end
process.join(60)
print(popen, result.grads["x"].tolist(), process.exitcode)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")
def test_a_worker_started_before_numpy_is_forked_answers_and_ends_with_its_parent():
    done = subprocess.run([sys.executable, "-c", FORKED_WORKER], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    popen, grads, exitcode = done.stdout.split(" ", 1)[0], done.stdout.split("[")[1].split("]")[0], done.stdout.split()[-1]
    assert popen == "multiprocessing.popen_fork"
    assert [float(g) for g in grads.split(",")] == [0.75, 12.0]  # 3 x^2
    assert exitcode == "0"
