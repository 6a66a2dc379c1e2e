"""Render case outcomes with rich: a table, a panel per failing case, a summary line."""

from __future__ import annotations

from collections import Counter

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Console, Group
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Column, Table
from rich.text import Text

from verifygrad.cases.second_order import describe as describe_quantity
from verifygrad.engines import ENGINES, NOT_INSTALLED
from verifygrad.errors import CaseError, visible
from verifygrad.language.ops import fmt
from verifygrad.reports.fixed_table import FixedTable
from verifygrad.reports.lines import failure_line, is_failure
from verifygrad.reports.matrix import hessian_matrices
from verifygrad.verdict.compare import Difference, quantity_of, ulp_error
from verifygrad.verdict.outcome import ERROR, FAILED, PASSED, SKIPPED, XFAIL, CaseOutcome, QuantityCheck
from verifygrad.verdict.slim import element, worst_elements

# Each verdict reads without colour too: a glyph and a word.
VERDICT_STYLE = {
    PASSED: ("✓ PASS", "green"),
    XFAIL: ("✓ XFAIL", "green"),
    FAILED: ("✗ FAIL", "bold red"),
    SKIPPED: ("○ SKIP", "yellow"),
    ERROR: ("! ERROR", "bold magenta"),
}
MAX_ELEMENT_ROWS = 12


def summary_line(outcomes: list[CaseOutcome], load_errors: list[CaseError]) -> str:
    counts = Counter(outcome.verdict for outcome in outcomes)
    line = f"{counts[PASSED]} passed"
    stand_ins = sum(outcome.verdict == PASSED and bool(outcome.case.stand_in) for outcome in outcomes)
    if stand_ins:  # NOTE: a pass at stand-in inputs checks the derivative, not the numbers a page shows
        line += f" ({stand_ins} at stand-in inputs)"
    line += f", {counts[FAILED]} failed"
    if counts[XFAIL]:  # a documented wrong claim, caught: its own count, as pytest's xfailed
        line += f", {counts[XFAIL]} xfailed"
    if counts[SKIPPED]:
        line += f", {counts[SKIPPED]} skipped"
    errors = counts[ERROR] + len(load_errors)
    if errors:
        line += f", {errors} error{'s' if errors != 1 else ''}"
    return line


def render(console: Console, outcomes: list[CaseOutcome], load_errors: list[CaseError], verbose: int = 0, quiet: bool = False) -> None:
    """The table, the panels, one `path:line: VERDICT name: reason` line per failing case, the summary.

    A passing case's panel only with ``verbose``. ``quiet`` leaves out the table and the panels, and the
    failure lines too, which were shown as the cases finished (``reports.live``).
    """
    engines = [e for e in ENGINES if any(e in o.results and not _not_installed(o.results[e]) for o in outcomes)] or list(ENGINES)
    if outcomes and not quiet:
        console.print(fitting_table(console, outcomes, engines))
    for outcome in [] if quiet else outcomes:
        if outcome.quantities and (verbose or not outcome.passed):
            console.print(case_panel(outcome, verbose))
    # A case that could not even be prepared gets one line, `file:line: what is wrong`.
    invalid = [reason for outcome in outcomes if not outcome.quantities for reason in outcome.reasons]
    for line in [*map(str, load_errors), *([] if quiet else invalid)]:
        console.print(Text(visible(line), style="magenta"), soft_wrap=True)
    for outcome in [] if quiet else outcomes:
        if is_failure(outcome) and outcome.quantities:
            console.print(Text(failure_line(outcome), style=VERDICT_STYLE[outcome.verdict][1]), soft_wrap=True)
    for line in missing_engines(outcomes):
        console.print(Text(line, style="yellow"), soft_wrap=True)
    console.print(Text(summary_line(outcomes, load_errors)), soft_wrap=True)


def _not_installed(result) -> bool:
    """An engine whose library is missing: said once under the table, not in a column of ○ on every row."""
    return result.status == "skipped" and result.reason.startswith(NOT_INSTALLED)


def missing_engines(outcomes: list[CaseOutcome]) -> list[str]:
    """'torch skipped: not installed; pip install ...', once for the run rather than once per case."""
    lines = {f"{name} skipped: {result.reason}" for o in outcomes for name, result in o.results.items() if result.reason.startswith(NOT_INSTALLED)}
    return sorted(lines)


# Table layouts, richest first: the first whose natural width fits the console is used. Case name and
# verdict never wrap; what goes as the width shrinks is the shape, then one column per engine (merged
# into one), then the input column, the claims (merged with the engines), and finally everything else.
LAYOUTS = (
    ("case", "input", "shape", "ENGINES", "claim", "MUTANTS", "verdict"),
    ("case", "input", "ENGINES", "claim", "MUTANTS", "verdict"),
    ("case", "input", "engines", "claim", "MUTANTS", "verdict"),
    ("case", "input", "checks", "verdict"),
    ("case", "checks", "verdict"),
    ("case", "verdict"),
)
WRAPPING = ("checks",)  # the only column whose cells may wrap, at spaces
MIN_WRAPPED_WIDTH = 16


def fitting_table(console: Console, outcomes: list[CaseOutcome], engines: list[str]) -> Table | FixedTable:
    """The richest layout whose table fits the console's width without wrapping a case name or a verdict.

    NOTE: rich measures every cell of every column, once to fit and again to print (seconds for a thousand
    cases); the widths are taken here from the cells' text instead, and the columns given them."""
    unbounded = console.options.update_width(10**6)  # NOTE: measured within the console's width, every table "fits"
    for layout in LAYOUTS:
        table = outcome_table(outcomes, engines, layout)
        widths = [_widths(column) for column in table.columns]
        excess = Measurement.get(console, unbounded, _proxy(table, widths)).maximum - console.width
        if excess <= 0:
            for column, (natural, _) in zip(table.columns, widths):
                column.width = natural
            return FixedTable(table)  # nothing wraps: drawn a row at a time
        for column, (natural, longest_word) in zip(table.columns, widths):
            if column.header in WRAPPING and natural - excess >= max(longest_word, MIN_WRAPPED_WIDTH):  # it takes up all the shrinking
                for other, (width, _) in zip(table.columns, widths):
                    other.width = natural - excess if other is column else width
                return table
    return table


def _widths(column: Column) -> tuple[int, int]:
    """A column's natural width (its longest line, header included) and its longest word (where a wrapping cell may break)."""
    texts = [column.header if isinstance(column.header, str) else column.header.plain]
    texts += [cell.plain if isinstance(cell, Text) else str(cell) for cell in column.cells]
    lines = [line for text in texts for line in text.split("\n")]
    words = [word for line in lines for word in line.split(" ")] if column.header in WRAPPING else lines
    return max(map(cell_len, lines), default=0), max(map(cell_len, words), default=0)


def _proxy(table: Table, widths: list[tuple[int, int]]) -> Table:
    """The table with one row of each column's widest text: rich measures it as it would the whole table."""
    proxy = Table(show_lines=False, header_style="bold", box=table.box, pad_edge=table.pad_edge, show_edge=table.show_edge)
    for column, _ in zip(table.columns, widths):
        proxy.add_column(column.header, no_wrap=column.no_wrap, overflow=column.overflow)
    proxy.add_row(*["x" * natural for natural, _ in widths])
    return proxy


def outcome_table(outcomes: list[CaseOutcome], engines: list[str], layout: tuple[str, ...] = LAYOUTS[0]) -> Table:
    mutated = any(o.mutations for o in outcomes)
    columns: list[str] = []
    for name in layout:  # ENGINES: a column per engine; MUTANTS: a column under --mutate only
        columns += engines if name == "ENGINES" else (["mutants"] if mutated else []) if name == "MUTANTS" else [name]
    table = Table(show_lines=False, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in columns:
        table.add_column(column, no_wrap=column not in WRAPPING, overflow="fold")
    for outcome in outcomes:
        label, style = VERDICT_STYLE[outcome.verdict]
        verdict = Text(label, style=style)
        if not outcome.quantities or set(columns) <= {"case", "verdict"}:
            table.add_row(*[Text(visible(outcome.case.name)) if c == "case" else verdict if c == "verdict" else "" for c in columns], end_section=True)
            continue
        for row, quantity in enumerate(outcome.quantities):
            table.add_row(*[_cell(column, outcome, quantity, row, engines, columns, verdict) for column in columns],
                          end_section=row == len(outcome.quantities) - 1)  # fmt: skip
    return table


def _cell(column: str, outcome: CaseOutcome, quantity: QuantityCheck, row: int, engines: list[str], columns: list[str], verdict: Text) -> Text | str:
    """One cell of a quantity's row (only the layout's columns are made: a thousand cases make a table per layout tried)."""
    if column in engines:
        return engine_cell(outcome, quantity, column)
    if column == "case":
        return Text(visible(outcome.case.name) if row == 0 else "")
    if column == "input":
        return Text("(value)" if quantity.quantity == "value" else quantity.quantity)  # NOTE: H[x,y] is not markup
    if column == "shape":
        return fmt(quantity.shape)
    if column == "engines":
        return merged_engine_cell(outcome, quantity, engines)
    if column == "claim":
        return claim_cell(quantity)
    if column == "checks":
        checks = Text("; ").join(part for part in (merged_engine_cell(outcome, quantity, engines, ", "), claim_cell(quantity, ", ")) if part)
        return Text.assemble(f"∂/∂{quantity.quantity}: ", checks) if "input" not in columns and quantity.quantity != "value" else checks
    if column == "mutants":
        return mutants_cell(outcome, quantity.quantity)
    return verdict if row == 0 else ""


def merged_engine_cell(outcome: CaseOutcome, quantity: QuantityCheck, engines: list[str], separator: str = "\n") -> Text:
    """All engines in one cell: '✓ 4 agree' and only the engines that did not, each with its own cell."""
    agreeing, others = 0, []
    for engine in engines:
        cell = engine_cell(outcome, quantity, engine)
        if cell.plain.startswith("✓") and "unchecked" not in cell.plain:
            agreeing += 1
        elif cell.plain != "—":
            others.append(Text.assemble(f"{engine} ", cell))
    parts = ([Text(f"✓ {agreeing} agree", style="green")] if agreeing else []) + others
    return Text(separator).join(parts)


def engine_cell(outcome: CaseOutcome, quantity: QuantityCheck, engine: str) -> Text:
    result = outcome.results.get(engine)
    if result is None:
        return Text("—", style="dim")
    if result.status == "skipped":
        return Text("○ skipped", style="yellow")
    if result.status == "error":
        return Text("! error", style="magenta")
    if engine == quantity.reference:
        return Text("✓ ref", style="green")
    difference = quantity.differences.get(engine)
    if difference is None:  # fd ran, but no engine that can be a reference did
        return Text("○ no ref", style="yellow")
    size = f"{difference.max_abs:.0e}" if difference.max_abs else "0"
    along = "dir " if quantity.quantity in result.directional else ""  # compared along random directions only
    doubted = int(result.unchecked[quantity.quantity].sum()) if quantity.quantity in result.unchecked else 0
    if doubted and doubted == result.unchecked[quantity.quantity].size:
        return Text("○ unchecked", style="yellow")  # the engine doubts every number it has here
    left_out = f" ({doubted} unchecked)" if doubted else ""
    return Text(f"{'✓' if difference.ok else '✗'} {along}{size}{left_out}", style="green" if difference.ok else "bold red")


def mutants_cell(outcome: CaseOutcome, quantity: str) -> Text:
    """How many of this quantity's negative controls the comparison caught."""
    checks = [c for c in outcome.mutations if c.quantity == quantity]
    if not checks:
        return Text("")
    caught = sum(c.caught for c in checks)
    ok = caught == len(checks)
    return Text(f"{'✓' if ok else '✗'} {caught}/{len(checks)} caught", style="green" if ok else "bold red")


CLAIM_CHARS = 32  # of a claim's text in the table; the panel shows all of it


def claim_cell(quantity: QuantityCheck, separator: str = "\n") -> Text:
    text = Text()
    for i, check in enumerate(quantity.claims):
        glyph, style = {True: ("✓", "green"), False: ("✗", "bold red"), None: ("?", "yellow")}[check.ok]
        # The cell shows the claim as written and the rule it was held to; the panel says how it was decided.
        written = check.claim.written if len(check.claim.written) <= CLAIM_CHARS else check.claim.written[: CLAIM_CHARS - 1] + "…"
        rule = (
            " proven"
            if check.text == "proven"
            else f" ({check.claim.rule.removeprefix('to the ').removesuffix(' written')})"
            if check.claim.rule != "exactly"
            else ""
        )
        kind = f"{check.claim.quantity} =" if check.claim.kind == "values" else check.claim.kind  # a variable's value: its name
        text.append((separator if i else "") + f"{glyph} {kind} {written}{rule}", style=style)
    return text


def claim_lines(outcome: CaseOutcome) -> list[Text]:
    """'claim  value = 0.5000: holds to the 4 decimals written', one line per claim, as written in the file."""
    return [
        Text.assemble(("claim  ", "bold"), f"{_claim_name(check.claim)} = {check.claim.written}: {check.text}")
        for quantity in outcome.quantities
        for check in quantity.claims
        if check.ok  # a wrong or unchecked claim is one of the reasons above
    ]


def _claim_name(claim) -> str:
    return "value" if claim.kind == "value" else f"{claim.kind}.{claim.quantity}"  # values.y: the variable y


def case_panel(outcome: CaseOutcome, verbose: int) -> Panel:
    case = outcome.case
    program = case.expr.strip()
    # A program of several statements under its heading, each line indented as written.
    shown = "\n" + "\n".join("  " + line for line in program.splitlines()) if "\n" in program else program
    # NOTE: every piece of case text goes in as Text, never as a markup string: `[/]` in a name must not raise.
    parts: list = [Text.assemble(("expr  ", "bold"), visible(shown, newlines=True))]
    for label, value in (("about ", case.description), ("source ", case.source)):
        if value and verbose:
            parts.append(Text.assemble((label, "bold"), visible(value)))
    for reason in outcome.reasons:
        parts.append(Text(f"• {visible(reason)}", style=VERDICT_STYLE[outcome.verdict][1] if outcome.verdict != PASSED else ""))
    parts += claim_lines(outcome)
    sympy_result = outcome.results.get("sympy")
    if sympy_result and sympy_result.ok:
        for formula in sympy_result.formulas.values():
            parts.append(Text.assemble(("derived  ", "bold"), visible(formula)))
    if outcome.mutations:
        from verifygrad.verdict.mutate import summary

        parts.append(Text(summary(outcome.mutations)))
    for quantity in outcome.quantities:
        if verbose or _has_mismatch(quantity):
            matrices = hessian_matrices(outcome, quantity)
            parts += [matrices] if matrices else []
            parts.append(element_table(outcome, quantity))
    if verbose and outcome.results:
        timings = ", ".join(
            f"{name} {result.status} {result.seconds * 1000:.1f} ms" + (f" ({result.detail})" if result.detail else "")
            for name, result in outcome.results.items()
        )
        parts.append(Text(f"engines: {timings}", style="dim"))
    if verbose > 1:
        parts += [Text(visible(r.traceback, newlines=True), style="dim") for r in outcome.results.values() if r.traceback]
    title = Text.assemble(visible(case.name), "  ", (visible(f"{case.path}:{case.line}"), "dim"))
    return Panel(Group(*parts), title=title, title_align="left", border_style=VERDICT_STYLE[outcome.verdict][1])


def _has_mismatch(quantity: QuantityCheck) -> bool:
    return any(not d.ok for d in quantity.differences.values()) or any(c.ok is False for c in quantity.claims)


def element_table(outcome: CaseOutcome, quantity: QuantityCheck) -> Group:
    """The arrays side by side, one row per element; elements out of tolerance are highlighted."""
    name = "value" if quantity.quantity == "value" else describe_quantity(quantity.quantity).removeprefix("the ")
    table = Table(title=Text(f"{name} ({fmt(quantity.shape)})"), title_justify="left", header_style="bold")
    table.add_column("element")
    columns: list[tuple[str, np.ndarray]] = []
    for engine, result in outcome.results.items():
        if result.ok and quantity.quantity not in result.directional:
            columns.append((engine + (" (ref)" if engine == quantity.reference else ""), quantity_of(result, quantity.quantity)))
    for check in quantity.claims:
        if check.claim.claimed is not None and check.claim.kind != "values":  # NOTE: a variable's value has its own shape
            columns.append((f"claimed {check.claim.kind}", check.claim.claimed))
    reference = quantity_of(outcome.results[quantity.reference], quantity.quantity) if quantity.reference else None
    for label, _ in columns:
        table.add_column(label, justify="right")
    indices = worst_elements(outcome, quantity, MAX_ELEMENT_ROWS)
    for index in indices:
        cells = []
        for label, array in columns:
            value = element(array, quantity.shape, index)
            allowance = _allowance(outcome, quantity, label, index)
            bad = reference is not None and allowance is not None and not _close(value, element(reference, quantity.shape, index), *allowance)
            cells.append(Text(f"{value:.10g}" + (" ?" if allowance is None else ""), style="bold red reverse" if bad else ""))
        table.add_row(Text(_index_text(quantity.quantity, index)), *cells)
    hidden = int(np.prod(quantity.shape)) - len(indices)
    notes = [f"{hidden} more element(s) not shown"] if hidden > 0 else []
    dtype = outcome.problem.dtype if outcome.problem else "float64"
    notes += [line for line in (_worst_line(quantity, dtype), _allowance_line(quantity, dtype)) if line]
    return Group(table, *(Text(note) for note in notes))


def _allowance_line(quantity: QuantityCheck, dtype: str) -> str:
    """'err / allowed: numpy 2e-16 / 3e-13 (1 ulp float64), ...; tolerance from the error budget': the room each had."""
    if quantity.tolerance is None:
        return ""
    parts = [
        f"{engine} {d.max_abs:.2g} / {d.allowed:.2g} ({d.max_ulp:.3g} ulp {dtype})"
        for engine, d in quantity.differences.items()
        if engine != quantity.reference
    ]
    t = quantity.tolerance
    return f"err / allowed: {', '.join(parts) or '-'} (rtol {t.rtol:.2g}, atol {t.atol:.2g} from {t.source})"


def _allowance(outcome: CaseOutcome, quantity: QuantityCheck, label: str, index: tuple[int, ...]) -> tuple[float, float] | None:
    """(rtol, atol) a column's element is held to: fd's own for fd, None where fd doubts its number."""
    claimed = next((c for c in quantity.claims if f"claimed {c.claim.kind}" == label and c.allowed is not None), None)
    if claimed is not None:  # a claim is held to its own digits, not to the engines' tolerance
        return 0.0, float(np.broadcast_to(claimed.allowed, quantity.shape)[index])
    if label != "fd":
        return outcome.tolerance_of(quantity)
    from verifygrad.engines.fd_engine import fd_tolerance

    unchecked = outcome.results["fd"].unchecked.get(quantity.quantity)
    return None if unchecked is not None and unchecked[index] else fd_tolerance(*outcome.tolerance_of(quantity), quantity.quantity)


def _close(value: float, expected: float, rtol: float, atol: float) -> bool:
    return (np.isnan(value) and np.isnan(expected)) or abs(value - expected) <= atol + rtol * abs(expected)


def _index_text(quantity: str, index: tuple[int, ...]) -> str:
    base = "value" if quantity == "value" else quantity
    return f"{base}[{','.join(map(str, index))}]" if index else base


def _worst_line(quantity: QuantityCheck, dtype: str) -> str:
    bad: list[tuple[str, Difference]] = [(e, d) for e, d in quantity.differences.items() if not d.ok]
    bad += [(f"claimed {c.claim.kind}", c.difference) for c in quantity.claims if c.ok is False and c.difference and c.claim.kind != "values"]
    if not bad:
        return ""
    who, d = max(bad, key=lambda item: item[1].max_abs / max(item[1].allowed, 1e-300))
    element = _index_text(quantity.quantity, d.worst)
    rel = abs(d.actual - d.expected) / abs(d.expected) if d.expected else float("inf")
    ulp = float(ulp_error(d.actual, d.expected, dtype))
    return (
        f"worst element {element}: {who} {d.actual:.10g} vs reference {d.expected:.10g}, "
        f"abs error {abs(d.actual - d.expected):.3g}, rel error {rel:.3g}, {ulp:.3g} ulp {dtype}, allowed {d.allowed:.3g}"
    )
