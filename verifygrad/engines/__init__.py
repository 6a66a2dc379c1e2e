"""The engines: numpy (own reverse mode), torch, fd (finite differences) and SymPy (the exact reference).

Each takes a ``Problem`` and gives an ``EngineResult``, on its own, borrowing no other's answer.
Engine modules are imported only when a case needs them, so that torch and SymPy cost nothing to a
run that leaves them out.
"""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from verifygrad.cases.schema import ENGINES
from verifygrad.errors import EngineSkipped

if TYPE_CHECKING:  # numpy is not imported here: the CLI reads ENGINES and must start fast
    import numpy as np

    from verifygrad.cases.problem import Problem

ENGINE_MODULES = {
    "sympy": "verifygrad.engines.sympy.engine",
    "numpy": "verifygrad.engines.numpy_engine",
    "torch": "verifygrad.engines.torch_engine",
    "fd": "verifygrad.engines.fd_engine",
}
assert tuple(ENGINE_MODULES) == ENGINES, "every engine name the case files accept has a module"
# Second order and forward mode beside each engine, each module's complete(result, problem) adding them
# to the engine's result. NOTE: SymPy's runs inside its own engine, under the worker's time limit.
SECOND_ORDER_MODULES = {
    "numpy": "verifygrad.engines.numpy_second_order",
    "torch": "verifygrad.engines.torch_second_order",
    "fd": "verifygrad.engines.fd_second_order",
}
__all__ = ["ENGINES", "ENGINE_MODULES", "EngineResult", "EngineSkipped", "TIME_LIMITED", "run_engine", "start_engine"]
# Pure-Python engines whose time is unbounded: run in a worker process killed at the time limit.
# numpy and torch run in-process; their work is bounded by the element limit.
TIME_LIMITED = frozenset({"sympy"})
# Engines whose library is an optional extra: a missing one is a skip that says how to install it.
NOT_INSTALLED = "not installed"
INSTALL_HINTS = {"torch": "pip install 'verifygrad[torch]'"}


@dataclass
class EngineResult:
    engine: str
    status: str  # "ok", "skipped" or "error"
    value: np.ndarray | None = None
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    reason: str = ""
    seconds: float = 0.0
    formulas: dict[str, str] = field(default_factory=dict)  # derivative formula per input (sympy)
    detail: str = ""  # how it ran: the device, the symbolic route
    # Evaluated exactly (30 digits from the inputs as written): a reference that can blame the others.
    # NOTE: SymPy's scalar and matrix routes fall back to float64 for large inputs: not exact then.
    exact: bool = False
    # Per input with no gradient array (fd on a large input): (directions, <grad, direction> for each).
    directional: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # Per input, a mask of the numbers above (gradient elements or directions) the engine itself doubts (fd at a kink).
    unchecked: dict[str, np.ndarray] = field(default_factory=dict)
    # Per input, how far rounding in the engine's own arithmetic may move each number above (fd: the
    # rounding of every output its difference quotient touches, divided by the step); added to the tolerance.
    rounding: dict[str, np.ndarray] = field(default_factory=dict)
    traceback: str = ""
    # Calls the engine's own library evaluated as written whose answer differs from verifygrad's reading of them,
    # one sentence each naming the call ("torch.norm(x, 1) (column 1): torch gives 10, verifygrad reads it as 7.236").
    misread: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def run_engine(name: str, problem: Problem) -> EngineResult:
    """Run one engine on one problem; anything it raises becomes that engine's result."""
    return start_engine(name, problem)()


def start_engine(name: str, problem: Problem) -> Callable[[], EngineResult]:
    """Start one engine on one problem; the function returned gives its result.

    A time-limited engine is sent to its worker process at once and computes while the caller runs the
    others; an in-process engine runs when its result is asked for.
    """
    from verifygrad.process import limits, worker

    seconds = limits.current().time_limit
    if name in TIME_LIMITED and seconds > 0:
        start = time.perf_counter()
        try:
            pending = worker.submit(f"{ENGINE_MODULES[name]}:run", problem, seconds=seconds)
        except Exception as err:  # noqa: BLE001 - raised again as the result's reason
            failed = err
            return lambda: _guarded(name, lambda: _raise(failed), start)
        return lambda: _guarded(name, pending.result, start, lambda: pending.worked)
    return lambda: _guarded(name, lambda: _in_process(name, problem), time.perf_counter())


def _raise(err: Exception) -> EngineResult:
    raise err


def _in_process(name: str, problem: Problem) -> EngineResult:
    import numpy as np

    from verifygrad.process import deadline, limits

    # Overflow to inf and 0/0 are results to compare, not warnings to print.
    with np.errstate(all="ignore"), deadline.limited(limits.current().part_time):
        result = importlib.import_module(ENGINE_MODULES[name]).run(problem)
        if problem.second is not None and name in SECOND_ORDER_MODULES:
            importlib.import_module(SECOND_ORDER_MODULES[name]).complete(result, problem)
    return result


def _guarded(name: str, compute: Callable[[], EngineResult], start: float, worked: Callable[[], float] | None = None) -> EngineResult:
    """``compute()``, anything it raises made the engine's result; timed (by the worker's own clock where it ran there)."""
    from verifygrad.process import deadline, worker

    try:
        result = compute()
    except (EngineSkipped, worker.TimedOut, deadline.PartTimedOut) as skip:
        result = EngineResult(name, "skipped", reason=str(skip))
    except ImportError as err:
        missing = (err.name or "").split(".")[0]
        hint = INSTALL_HINTS.get(name) if missing == name else None
        result = EngineResult(name, "skipped", reason=f"{NOT_INSTALLED}; {hint}" if hint else f"{missing or err} is {NOT_INSTALLED}")
    except Exception as err:  # noqa: BLE001 - an engine's failure is that engine's result, not the run's
        remote = isinstance(err, worker.RemoteError)
        reason = (str(err) if remote else f"{type(err).__name__}: {err}").splitlines()[0]
        trace = err.remote_traceback if remote else traceback.format_exc()
        result = EngineResult(name, "error", reason=reason, traceback=trace)
    # NOTE: a request sent ahead waited in the worker's queue: its seconds are the worker's own on it, where it took it
    result.seconds = worked() if worked and worked() > 0 else time.perf_counter() - start
    return result
