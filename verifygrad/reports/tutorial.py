"""The per-file part of `verifygrad check`: each derivation, the claims found and where, their verdicts, what was not read."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from rich.console import Console
from rich.text import Text

from verifygrad.errors import visible
from verifygrad.reports.console import VERDICT_STYLE
from verifygrad.tutorials.constant import constant_array
from verifygrad.tutorials.findings import Found
from verifygrad.tutorials.read import Tutorial
from verifygrad.tutorials.tocases import Draft
from verifygrad.verdict.outcome import PASSED, CaseOutcome


def _shown(text: object) -> str:
    """Document text as the terminal may show it: control characters (escape sequences) escaped, newlines kept."""
    return visible(str(text), newlines=True)


def render_tutorials(console: Console, tutorials: list[Tutorial], outcomes: list[CaseOutcome], verbose: int = 0) -> None:
    by_name = {outcome.case.name: outcome for outcome in outcomes}
    for tutorial in tutorials:
        console.print(Text(_shown(f"{tutorial.document.path} ({tutorial.document.format})"), style="bold"), soft_wrap=True)
        for line in tutorial_lines(tutorial, by_name, verbose):
            console.print(line, soft_wrap=True)
        console.print()


def tutorial_lines(tutorial: Tutorial, by_name: dict[str, CaseOutcome], verbose: int = 0) -> list[Text]:
    lines: list[Text] = []
    if not tutorial.drafts:
        lines.append(Text(_shown(f"  nothing checkable: {found_summary(tutorial)}"), style="yellow"))
    for draft in tutorial.drafts:
        outcome = by_name.get(draft.name)
        if outcome is None:
            continue  # deselected by -k
        label, style = VERDICT_STYLE[outcome.verdict]
        head = Text("  ")
        head.append(label, style=style)
        if outcome.verdict == PASSED and draft.mapping.get("stand_in"):
            head.append(_shown(f" at stand-in inputs ({', '.join(draft.mapping['stand_in'])} random and unseeded)"), style="yellow")
        head.append(_shown(f"  {draft.about} at {_place(tutorial, draft.line)}: "))
        head.append(_shown(_program(draft)), style="cyan")
        lines.append(head)
        checks = _claim_checks(outcome)
        for kind, quantity, found in draft.claims:
            order = draft.mapping.get("order", 0)
            ok, text = checks.get((kind, _checked_as(kind, quantity, order)), (None, "not checked: the case did not run"))
            lines.append(_claim_line(found, kind, quantity, ok, text, order))
            if draft.kind == "stated" and ok is False:
                lines.append(Text(_shown(f"      {contradiction(found, tutorial, by_name)}"), style="red"))
    unchecked = [found for found in tutorial.findings.found if found.status]
    if unchecked:
        lines.append(Text("  claims not checked:"))
        lines += [Text(_shown(f"    {found.where or f'line {found.line}'}: {found.source} {found.text}: {found.status}")) for found in unchecked]
    if tutorial.reading.not_read:
        lines.append(Text("  not read:"))
        lines += [Text(_shown(f"    {_place(tutorial, line)}: {what}")) for line, what in sorted(tutorial.reading.not_read)]
    return lines


def found_summary(tutorial: Tutorial) -> str:
    """What the reader found in a file, in one line: blocks, derivations, claims by source."""
    blocks = Counter(block.kind for block in tutorial.document.blocks)
    sources = Counter(found.source for found in tutorial.findings.found)
    claims = ", ".join(f"{count} in {source}" for source, count in sources.items())
    derivations = len(tutorial.reading.derivations)
    return (f"found {blocks['code']} code block{'s' * (blocks['code'] != 1)}, {blocks['output']} output{'s' * (blocks['output'] != 1)}, "
            f"{derivations} derivation{'s' * (derivations != 1)}, {sum(sources.values())} claim{'s' * (sum(sources.values()) != 1)}"
            f"{f' ({claims})' if claims else ''}; {len(tutorial.reading.not_read)} not read")  # fmt: skip


def unchecked_reasons(tutorial: Tutorial, most: int = 20) -> str:
    """Why a file has nothing checkable: what was found, then the not-read lines and the unchecked claims."""
    reasons = [f"{_place(tutorial, line)}: {what}" for line, what in sorted(tutorial.reading.not_read)]
    reasons += [f"line {found.line}: {found.source} {found.text}: {found.status}" for found in tutorial.findings.found if found.status]
    more = f"; and {len(reasons) - most} more" if len(reasons) > most else ""
    return "; ".join([found_summary(tutorial), *reasons[:most]]) + more


MAX_SHOWN = 160  # characters of a case's program, of one input's value and of its backward() argument in a summary line


def _program(draft: Draft) -> str:
    """The case a derivation became, in one line: its program, inputs, dtype (long constants cut short: `extract` has them)."""
    mapping = draft.mapping
    inputs = ", ".join(f"{name} = {_cut(str(value))}" for name, value in mapping["inputs"].items())
    given = f", backward({_cut(str(mapping['grad_output']))})" if mapping.get("grad_output", 1) != 1 and draft.kind == "derivation" else ""
    device = f", {mapping['device']}" if mapping.get("device") == "cuda" else ""
    program = "; ".join(line for line in mapping["expr"].splitlines() if line.strip())
    return f"{_cut(program, 2 * MAX_SHOWN)} at {inputs} ({mapping['dtype']}{device}{given})"


def _cut(text: str, most: int = MAX_SHOWN) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _claim_checks(outcome: CaseOutcome) -> dict[tuple[str, str], tuple[bool | None, str]]:
    checks = {}
    for quantity in outcome.quantities:
        for check in quantity.claims:
            checks[(check.claim.kind, check.claim.quantity)] = (check.ok, check.text)
    if not outcome.quantities and outcome.reasons:
        return {key: (None, f"not checked: {outcome.reasons[0]}") for key in checks} or {}
    return checks


def _place(tutorial: Tutorial, line: int) -> str:
    """`line 12`; in a notebook with where a reader finds it: `line 59 (cell 4, line 3)`."""
    if tutorial.document.format != "notebook":
        return f"line {line}"
    return f"line {line} ({tutorial.document.place(line)})"


def _checked_as(kind: str, quantity: str, order: int = 0) -> str:
    """The row a claim's check sits on: a Hessian claim about x on H[x,x], a Jacobian's on J[x], a third derivative's on D3[x]."""
    from verifygrad.cases.second_order import JVP, hessian_key, jacobian_key, order_key

    if kind in ("jvp", "jvp_formula"):
        return JVP
    if kind == "order":
        return order_key(quantity, order)
    if kind == "hessian_formula":
        first, _, second = quantity.partition(",")
        return hessian_key(first, second or first)
    return hessian_key(quantity, quantity) if kind == "hessian" else jacobian_key(quantity) if kind.startswith("jacobian") else quantity


def _claim_line(found: Found, kind: str, quantity: str, ok: bool | None, text: str, order: int = 0) -> Text:
    glyph, style = ("✓", "green") if ok else (("✗", "red") if ok is False else ("○", "yellow"))
    power = str(order).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    what = {"value": "value", "values": f"value of {quantity}", "grad": f"∂/∂{quantity}", "formula": f"∂/∂{quantity} formula",
            "hessian": f"∂²/∂{quantity}²", "jacobian": f"J[{quantity}]",
            "jacobian_formula": f"J[{quantity}] formula", "jvp": "Jv", "jvp_formula": "Jv formula", "order": f"∂{power}/∂{quantity}{power}",
            "hessian_formula": f"∂²/∂{quantity}² formula" if "," not in quantity else f"∂²/∂{'∂'.join(quantity.split(','))} formula"}[kind]  # fmt: skip
    line = Text("    ")
    line.append(glyph, style=style)
    line.append(_shown(f" {found.where or f'line {found.line}'} ({found.source}): {what} {_short(found)}: "))
    line.append(_shown(text), style=style)
    return line


def _short(found: Found) -> str:
    if found.formula is not None:
        return found.formula if "\n" not in found.formula.strip() else found.text  # a program (a custom backward): named, not printed
    if found.values is not None:
        return found.text
    return found.value_text or found.text


def contradiction(found: Found, tutorial: Tutorial, by_name: dict[str, CaseOutcome]) -> str:
    """`line 47 states x = [1, 2, 3, 4]; the code at line 61 makes x = [0, 1, 2, 3] (arange(0, 4)); ...`."""
    leaf = found.tensor
    made = constant_array(leaf.value) if leaf is not None else None
    shown = _list(made) if made is not None else leaf.value if leaf is not None else "?"
    stated = constant_array(found.value_text or "")
    sentence = f"line {found.line} states {found.label} = {_list(stated) if stated is not None else found.value_text}; "
    sentence += f"the code at line {leaf.line if leaf else '?'} makes {found.label} = {shown} ({leaf.value if leaf else '?'})"
    fits = [d for d in tutorial.drafts if d.kind == "derivation" and leaf is not None and id(leaf) in d.names and d.claims]
    for draft in fits:
        outcome = by_name.get(draft.name)
        grads = [(kind, f) for kind, _, f in draft.claims if kind == "grad"]
        if outcome is not None and grads and all(ok for ok, _ in _claim_checks(outcome).values()):
            sentence += f"; the stated gradient {_short(grads[0][1])} fits the code, not the text"
            break
    return sentence


def _list(array: np.ndarray) -> str:
    text = np.array2string(np.asarray(array), separator=", ", formatter={"float_kind": lambda v: f"{v:g}"})
    return " ".join(text.split())


def tutorials_report(tutorials: list[Tutorial]) -> list[dict[str, Any]]:
    """The --json report's `tutorials` list: per file, its cases with where their claims were found, and what was not read."""
    return [
        {
            "file": tutorial.document.path,
            "format": tutorial.document.format,
            "checkable": bool(tutorial.drafts),
            "found": found_summary(tutorial),
            "cases": [
                {
                    "name": draft.name,
                    "line": draft.line,
                    "kind": draft.kind,
                    "claims": [
                        {"kind": kind, "quantity": quantity, "line": found.line, "source": found.source, "text": found.text}
                        for kind, quantity, found in draft.claims
                    ],
                }  # fmt: skip
                for draft in tutorial.drafts
            ],
            "not_checked": [{"line": f.line, "source": f.source, "text": f.text, "reason": f.status} for f in tutorial.findings.found if f.status],
            "not_read": [{"line": line, "where": _place(tutorial, line), "what": what} for line, what in tutorial.reading.not_read],
        }
        for tutorial in tutorials
    ]
