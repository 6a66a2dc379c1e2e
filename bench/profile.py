"""``python -m bench.profile [PATHS] [--cprofile N]``: where a run's time goes, by stage and engine.

Runs ``verifygrad run PATHS`` (default ``cases/``) in this process, serially, with the usual limits
(SymPy in its time-limited worker), and times each stage of checking a case: the stage's own time,
less the stages it calls (claims that re-run an engine count that engine's run under the engine).
Prints a Markdown table; ``--cprofile N`` adds the N functions with the most time of their own.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import io
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

START = time.perf_counter()

# (module, function, stage): each wrapped where the caller looks it up.
STAGES = (
    ("verifygrad.cases.discover", "load_cases", "load and validate the case files"),
    ("verifygrad.verdict.judge", "prepare", "prepare (compile the program, read the inputs)"),
    ("verifygrad.verdict.judge", "read_claims", "read the claims"),
    ("verifygrad.verdict.judge", "tolerances", "error budget (perturbed float64 re-runs)"),
    ("verifygrad.verdict.judge", "kinks", "kink analysis (float64 forward pass)"),
    ("verifygrad.verdict.judge", "compare_engines", "compare engines"),
    ("verifygrad.verdict.judge", "mismatch_reasons", "compare engines"),
    ("verifygrad.verdict.judge", "judge_claims", "judge the claims (formula claims: sample points)"),
    ("verifygrad.verdict.judge", "symmetry", "second order symmetry"),
    ("verifygrad.verdict.judge", "slim", "excerpt large arrays"),
    ("verifygrad.verdict.mutate", "apply", "mutants (--mutate)"),
    ("verifygrad.reports.console", "render", "render the report"),
    ("verifygrad.frontends.ci", "publish", "render the report"),
)

_own: dict[str, float] = defaultdict(float)
_own_cpu: dict[str, float] = defaultdict(float)
_calls: dict[str, int] = defaultdict(int)
_stack: list[list[Any]] = []  # [stage, start, cpu start, time of nested stages, cpu time of nested stages]


def timed(stage: str | Callable[..., str], function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        label = stage(*args, **kwargs) if callable(stage) else stage
        _stack.append([label, time.perf_counter(), time.process_time(), 0.0, 0.0])
        try:
            return function(*args, **kwargs)
        finally:
            label, start, cpu_start, nested, nested_cpu = _stack.pop()
            spent, spent_cpu = time.perf_counter() - start, time.process_time() - cpu_start
            _own[label] += spent - nested
            _own_cpu[label] += spent_cpu - nested_cpu
            _calls[label] += 1
            if _stack:
                _stack[-1][3] += spent
                _stack[-1][4] += spent_cpu

    return wrapper


class _Timed:
    """A module seen through ``timed``: every function it holds is one stage."""

    def __init__(self, module: Any, stage: str) -> None:
        self._module, self._stage = module, stage

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._module, name)
        return timed(self._stage, attribute) if callable(attribute) and not isinstance(attribute, type) else attribute


def instrument() -> None:
    import verifygrad.engines as engines

    for module_name, name, stage in STAGES:
        module = importlib.import_module(module_name)
        original = getattr(module, name)
        setattr(module, name, _Timed(original, stage) if isinstance(original, type(sys)) else timed(stage, original))
    label = lambda name, problem: f"engine {name}" + (" (in its worker: the wait, pickling both ways)" if name == "sympy" else "")  # noqa: E731
    engines.run_engine = timed(label, engines.run_engine)
    start_engine = engines.start_engine

    def started(name: str, problem: Any) -> Callable[[], Any]:  # NOTE: a case's engines start before it is judged (look-ahead)
        return timed(label(name, problem), start_engine(name, problem))

    engines.start_engine = started
    importlib.import_module("verifygrad.verdict.judge").start_engine = started
    for module_name in ("verifygrad.verdict.judge", "verifygrad.verdict.formulas", "verifygrad.verdict.claim_verdicts"):
        module = importlib.import_module(module_name)
        if hasattr(module, "run_engine"):
            module.run_engine = engines.run_engine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("paths", nargs="*", default=["cases/"])
    parser.add_argument("--cprofile", type=int, default=0, metavar="N")
    parser.add_argument("--dump", metavar="FILE", help="with --cprofile, also write the profile to FILE (for pstats)")
    parser.add_argument("--run-option", action="append", default=[], metavar="OPTION", help="passed to verifygrad run")
    args = parser.parse_args(argv)
    from verifygrad.frontends import cli

    imported, imported_cpu = time.perf_counter(), time.process_time()
    instrument()
    profile = cProfile.Profile() if args.cprofile else None
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        if profile:
            profile.enable()
        try:
            cli.main(["run", "-q", *args.run_option, *args.paths], standalone_mode=False)
        finally:
            if profile:
                profile.disable()
    total, total_cpu = time.perf_counter() - START, time.process_time()
    summary = out.getvalue().strip().splitlines()[-1:] or [""]
    rows = {"start-up (imports of the CLI)": (imported - START, imported_cpu), **{k: (v, _own_cpu[k]) for k, v in _own.items()}}
    other = "other (the run's own loop, workers' start, engine imports not in a stage)"
    rows[other] = (total - sum(w for w, _ in rows.values()), total_cpu - sum(c for _, c in rows.values()))
    print(f"{' '.join(args.paths)}: {summary[0]}; {total:.2f} s wall, {total_cpu:.2f} s CPU of this process in all\n")
    print("| stage | wall s | share | CPU s (this process) | calls |\n|---|---|---|---|---|")
    for stage, (seconds, cpu) in sorted(rows.items(), key=lambda item: -item[1][0]):
        print(f"| {stage} | {seconds:.2f} | {seconds / total:.0%} | {cpu:.2f} | {_calls.get(stage, '')} |")
    if profile:
        stream = io.StringIO()
        if args.dump:
            profile.dump_stats(args.dump)
        pstats.Stats(profile, stream=stream).sort_stats("tottime").print_stats(args.cprofile)
        print("\n```\n" + stream.getvalue().strip() + "\n```")


if __name__ == "__main__":
    main()
