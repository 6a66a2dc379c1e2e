"""`run --explain CASE`: one case in full, the derivative at its worst element, and a PyTorch reproducer."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from verifygrad.cases.load import Case
from verifygrad.cases.problem import Overrides, Problem
from verifygrad.cases.second_order import is_second_order
from verifygrad.errors import EXIT_INVALID, EXIT_MISMATCH, EXIT_OK, visible
from verifygrad.verdict.outcome import ERROR, FAILED, CaseOutcome

MAX_SHOWN_SYMBOLS = 6


def explain_case(console: Console, cases: list[Case], name: str, overrides: Overrides) -> int:
    """Check the case called ``name`` and print everything about it; the exit code of its verdict."""
    from verifygrad.reports.console import case_panel, outcome_table
    from verifygrad.verdict.judge import check_timed

    chosen = [case for case in cases if case.name == name]
    if not chosen:
        known = ", ".join(case.name for case in cases[:20]) + (", ..." if len(cases) > 20 else "")
        console.print(Text(visible(f"--explain: no case named '{name}'; cases: {known or 'none'}"), style="magenta"), soft_wrap=True)
        return EXIT_INVALID
    outcome = check_timed(chosen[0], overrides)
    console.print(outcome_table([outcome], [engine for engine in outcome.results]))
    if not outcome.quantities:  # invalid: the reasons say why, `file:line: what is wrong`
        for reason in outcome.reasons:
            console.print(Text(visible(reason), style="magenta"), soft_wrap=True)
        return EXIT_INVALID
    console.print(case_panel(outcome, verbose=1))
    worst = worst_element(outcome)
    if worst is not None:
        console.print(Text.assemble(("at the worst element  ", "bold"), _formula_line(outcome.problem, *worst)), soft_wrap=True)
    console.print(Text("PyTorch reproducer (plain torch, no verifygrad; prints the torch engine's numbers):", style="bold"))
    console.print(Text(visible(_script(outcome), newlines=True)), soft_wrap=True, highlight=False)
    return {ERROR: EXIT_INVALID, FAILED: EXIT_MISMATCH}.get(outcome.verdict, EXIT_OK)


def worst_element(outcome: CaseOutcome) -> tuple[str, tuple[int, ...]] | None:
    """(input, index) of the gradient element furthest over its allowance, among engines and claims."""
    candidates = [
        (quantity.quantity, difference)
        for quantity in outcome.quantities
        if quantity.quantity != "value" and not is_second_order(quantity.quantity)  # SymPy's formula is per gradient element
        for engine, difference in quantity.differences.items()
        if quantity.quantity not in outcome.results[engine].directional  # indexes directions, not elements
    ]
    candidates += [
        (q.quantity, c.difference)
        for q in outcome.quantities
        if q.quantity in (outcome.problem.wrt if outcome.problem else ())
        for c in q.claims
        if c.difference
    ]
    if not candidates:
        wrt = outcome.problem.wrt if outcome.problem else ()
        return (wrt[0], (0,) * outcome.problem.inputs[wrt[0]].ndim) if wrt and outcome.problem.inputs[wrt[0]].size else None
    name, difference = max(candidates, key=lambda item: abs(item[1].actual - item[1].expected) / max(item[1].allowed, 1e-300))
    return name, difference.worst


def formula_at(name: str, index: tuple[int, ...], problem: Problem) -> str:
    """SymPy's derivative of the element ``name[index]``, its value there, and the values it depends on."""
    from verifygrad.engines.sympy import expand as symbolic

    derivation = symbolic.derive(problem)
    expression = derivation.grads[name][index]
    value = symbolic.to_float(expression, derivation.substitution)
    element = f"{name}[{','.join(map(str, index))}]" if index else name
    symbols = sorted(expression.free_symbols, key=str)
    at = ", ".join(f"{s} = {float(derivation.substitution[s]):.10g}" for s in symbols[:MAX_SHOWN_SYMBOLS])
    more = f", … {len(symbols) - MAX_SHOWN_SYMBOLS} more" if len(symbols) > MAX_SHOWN_SYMBOLS else ""
    return f"∂/∂{element} = {symbolic.readable(expression)} = {value:.17g}" + (f" at {at}{more}" if at else "")


def _formula_line(problem: Problem, name: str, index: tuple[int, ...]) -> str:
    """formula_at in the SymPy worker, under the time limit; a reason where SymPy cannot say."""
    from verifygrad.engines import EngineSkipped
    from verifygrad.process import limits, worker

    seconds = limits.current().time_limit
    try:
        if seconds <= 0:
            return formula_at(name, index, problem)
        return worker.call("verifygrad.reports.explain:formula_at", problem, name, index, seconds=seconds)
    except (EngineSkipped, worker.TimedOut) as reason:
        return f"no formula: {reason}"
    except Exception as err:  # noqa: BLE001 - SymPy failing here must not hide the rest of the explanation
        return f"no formula: SymPy failed: {str(err).splitlines()[0] if str(err) else type(err).__name__}"


def _script(outcome: CaseOutcome) -> str:
    from verifygrad.engines import EngineSkipped
    from verifygrad.reports.reproducer import torch_script

    try:
        from verifygrad.engines.torch_engine import resolve_device

        device = resolve_device(outcome.problem.device)
    except ImportError:  # torch is not installed here: the script is written for a machine that has it
        device = "cpu" if outcome.problem.device == "auto" else outcome.problem.device
    except EngineSkipped:
        device = "cpu"  # CUDA was asked for but there is none: the script runs on the CPU
    try:
        expr = outcome.case.expr.strip()
        shown = f": {expr}" if "\n" not in expr else ""  # NOTE: a program's statements are the `# line N` comments' code below
        return torch_script(outcome.problem, device, f"verifygrad --explain {outcome.case.name}{shown}")
    except ValueError as err:
        return f"(not written: {err})"
