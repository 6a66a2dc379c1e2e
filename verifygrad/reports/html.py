"""`--html FILE`: one self-contained page (inline style, script and SVG; nothing fetched), for a laptop or a CI artifact.

`run`: the table with filters (failed, skipped, by tag) and each case's panel, error against allowance per
engine drawn as a small plot. `check`: each tutorial as it reads (prose, math, code, outputs), every claim
marked where it stands, each derivation's panel after its `backward()`. Every piece of user text is escaped.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from html import escape

import numpy as np

from verifygrad.errors import CaseError, visible
from verifygrad.reports.lines import VERDICT_WORD, failure_line, is_failure
from verifygrad.tutorials.blocks import CODE, OUTPUT, Block
from verifygrad.tutorials.findings import Found
from verifygrad.tutorials.read import Tutorial
from verifygrad.verdict.compare import quantity_of
from verifygrad.verdict.outcome import ERROR, FAILED, PASSED, SKIPPED, XFAIL, CaseOutcome, QuantityCheck

MATH = re.compile(r"(\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\])")
HEADING = re.compile(r"^\s*#{1,6}\s")
GLYPH = {PASSED: "✓", XFAIL: "✓", FAILED: "✗", SKIPPED: "○", ERROR: "!"}
MAX_HEAT_CELLS = 400  # a larger Hessian block is not drawn
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#1d1d1f}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}code,pre{font:12.5px/1.4 ui-monospace,monospace}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #e5e5e5}
.passed,.xfail{color:#18794e}.failed,.error{color:#c62828}.skipped{color:#a15c00}
.summary span{margin-right:1em}.filters{margin:1em 0}.filters label{margin-right:1em}
details{margin:.4em 0;border:1px solid #ddd;border-radius:6px;padding:.3em .8em}details.v-failed,details.v-error{border-color:#e57373}
summary{cursor:pointer}.reason{margin:.2em 0}.plot text{font:11px system-ui,sans-serif}
.doc{border-left:3px solid #ddd;padding-left:1em}.prose{white-space:pre-wrap}.math{font-family:ui-serif,serif;background:#f6f6fa}
pre.code,pre.output{margin:0;overflow-x:auto;padding:.4em;border-radius:4px}pre.code{background:#f6f8fa}pre.output{background:#fffdf2}
.ln{color:#999;user-select:none;display:inline-block;width:3.5em}
.claim{display:block;margin:.15em 0 .15em 4em;padding:1px 6px;border-radius:4px;font:12.5px system-ui,sans-serif}
.claim.holds{background:#e6f4ea;color:#18794e}.claim.wrong{background:#fde8e8;color:#c62828;font-weight:600}
.claim.unchecked{background:#fff4e0;color:#a15c00}.panel{margin:.3em 0 .8em 4em}
.cell{color:#666;font:11px ui-monospace,monospace;margin-top:.6em}
.heat td{width:18px;height:18px;padding:0;border:1px solid #fff}.heat td.bad{outline:2px solid #c62828}
"""
SCRIPT = """
function applyFilters(){
  const verdicts=[...document.querySelectorAll('input[name=verdict]:checked')].map(e=>e.value);
  const tag=document.getElementById('tag').value;
  let shown=0;
  document.querySelectorAll('[data-verdict]').forEach(row=>{
    const tags=(row.dataset.tags||'').split(' ');
    const show=verdicts.includes(row.dataset.verdict)&&(tag===''||tags.includes(tag));
    row.style.display=show?'':'none';if(show&&row.tagName==='TR')shown++;
  });
  document.getElementById('shown').textContent=shown;
}
document.querySelectorAll('.filters input,.filters select').forEach(e=>e.addEventListener('change',applyFilters));
const asked=new URLSearchParams(location.search);  // ?verdict=failed,skipped&tag=float32 opens the page filtered
if(asked.has('verdict')){const v=asked.get('verdict').split(',');document.querySelectorAll('input[name=verdict]').forEach(e=>{e.checked=v.includes(e.value);});}
if(asked.has('tag')){document.getElementById('tag').value=asked.get('tag');}
applyFilters();
function openTarget(){const t=document.getElementById(location.hash.slice(1));if(t&&t.tagName==='DETAILS')t.open=true;}
window.addEventListener('hashchange',openTarget);openTarget();
"""


def _e(text: object) -> str:
    """User text for HTML: control characters made visible, then escaped (quotes too, for attributes)."""
    return escape(visible(str(text), newlines=True), quote=True)


def _page(title: str, body: str, script: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n{body}\n" + (f"<script>{script}</script>" if script else "") + "</body></html>\n"
    )


def _summary(outcomes: list[CaseOutcome], load_errors: list[CaseError]) -> str:
    counts = Counter(o.verdict for o in outcomes)
    parts = [f'<span class="{v}">{GLYPH[v]} {counts[v]} {VERDICT_WORD[v].lower()}</span>' for v in (PASSED, FAILED, XFAIL, SKIPPED, ERROR) if counts[v]]
    parts += [f'<span class="error">! {len(load_errors)} invalid</span>'] if load_errors else []
    return f'<p class="summary">{"".join(parts) or "no cases"}</p>'


# -- run ----------------------------------------------------------------------------------------


def run_html(outcomes: list[CaseOutcome], load_errors: list[CaseError], seconds: float) -> str:
    """The run as a page: the summary, a filterable table, a panel per case."""
    tags = sorted({tag for o in outcomes for tag in o.case.tags})
    filters = "".join(
        f'<label><input type="checkbox" name="verdict" value="{v}" checked> {GLYPH[v]} {VERDICT_WORD[v].lower()}</label>'
        for v in (PASSED, FAILED, XFAIL, SKIPPED, ERROR)
    )
    options = '<option value="">every tag</option>' + "".join(f'<option value="{_e(t)}">{_e(t)}</option>' for t in tags)
    rows = "".join(
        f'<tr data-verdict="{o.verdict}" data-tags="{_e(" ".join(o.case.tags))}"><td class="{o.verdict}">{GLYPH[o.verdict]} {VERDICT_WORD[o.verdict]}</td>'
        f'<td><a href="#case-{i}">{_e(o.case.name)}</a></td><td>{_e(f"{o.case.path}:{o.case.line}")}</td><td>{_e(", ".join(o.case.tags))}</td>'
        f"<td>{_e(o.reasons[0]) if o.reasons and not o.passed else ''}</td></tr>"
        for i, o in enumerate(outcomes)
    )
    invalid = "".join(f'<p class="error">{_e(error)}</p>' for error in load_errors)
    panels = "".join(case_panel(o, f"case-{i}") for i, o in enumerate(outcomes))
    body = (
        f"<h1>verifygrad run</h1>{_summary(outcomes, load_errors)}<p>{len(outcomes)} cases in {seconds:.1f} s</p>{invalid}"
        f'<div class="filters">{filters}<select id="tag">{options}</select> <span id="shown"></span> shown</div>'
        f"<table><thead><tr><th>verdict</th><th>case</th><th>where</th><th>tags</th><th>why</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<h2>Cases</h2>{panels}"
    )
    return _page("verifygrad run", body, SCRIPT)


def case_panel(outcome: CaseOutcome, anchor: str, open_: bool | None = None) -> str:
    """A case's details: the expression, the reasons, a plot of each engine's error against its allowance, the worst element, a Hessian's heat map."""
    case = outcome.case
    opened = " open" if (open_ if open_ is not None else not outcome.passed) else ""
    parts = [f"<pre class=code>{_e(case.expr.strip())}</pre>"]
    parts += [f'<p class="reason">• {_e(reason)}</p>' for reason in outcome.reasons]
    if is_failure(outcome) and outcome.quantities:
        parts.append(f'<p class="reason {outcome.verdict}"><code>{_e(failure_line(outcome))}</code></p>')
    for quantity in outcome.quantities:
        parts.append(_quantity_html(outcome, quantity))
    return (
        f'<details id="{anchor}" class="v-{outcome.verdict}" data-verdict="{outcome.verdict}" data-tags="{_e(" ".join(case.tags))}"{opened}>'
        f'<summary><span class="{outcome.verdict}">{GLYPH[outcome.verdict]} {VERDICT_WORD[outcome.verdict]}</span> {_e(case.name)} '
        f"<small>{_e(f'{case.path}:{case.line}')}</small></summary>{''.join(parts)}</details>"
    )


def _quantity_html(outcome: CaseOutcome, quantity: QuantityCheck) -> str:
    name = "value" if quantity.quantity == "value" else f"∂/∂{quantity.quantity}" if "[" not in quantity.quantity else quantity.quantity
    engines = []
    for engine, result in outcome.results.items():
        if engine == quantity.reference:
            engines.append(f"<tr><td>{engine}</td><td>reference</td><td></td><td>{_e(result.detail)}</td></tr>")
        elif engine in quantity.differences:
            d = quantity.differences[engine]
            engines.append(f'<tr><td>{engine}</td><td class="{"passed" if d.ok else "failed"}">{"✓" if d.ok else "✗"} {d.max_abs:.3g}</td>'
                           f"<td>{d.allowed:.3g}</td><td>{_e(result.detail)}</td></tr>")  # fmt: skip
        elif not result.ok:
            engines.append(f'<tr><td>{engine}</td><td class="skipped">{result.status}</td><td></td><td>{_e(result.reason)}</td></tr>')
    claims = "".join(
        f'<p class="claim {"holds" if c.ok else "wrong" if c.ok is False else "unchecked"}">{"✓" if c.ok else "✗" if c.ok is False else "○"} '
        f"{_e(c.claim.kind)} {_e(c.claim.written)}: {_e(c.text)}</p>"
        for c in quantity.claims
    )
    worst = _worst(quantity)
    allowance = f"rtol {quantity.tolerance.rtol:.2g}, atol {quantity.tolerance.atol:.2g} from {_e(quantity.tolerance.source)}" if quantity.tolerance else ""
    return (
        f"<h4>{_e(name)} <small>shape {_e(quantity.shape)}</small></h4>"
        f"<table><tr><th>engine</th><th>max error</th><th>allowed</th><th>how</th></tr>{''.join(engines)}</table>"
        f"{error_plot(quantity)}<p>{worst}</p><p>allowance: {allowance}</p>{claims}{heat_map(outcome, quantity)}"
    )


def _worst(quantity: QuantityCheck) -> str:
    candidates = [(e, d) for e, d in quantity.differences.items()] + [(f"claimed {c.claim.kind}", c.difference) for c in quantity.claims if c.difference]
    if not candidates:
        return ""
    who, d = max(candidates, key=lambda item: item[1].max_abs / max(item[1].allowed, 1e-300))
    index = ",".join(map(str, d.worst))
    error = abs(d.actual - d.expected)
    return _e(f"worst element [{index}]: {who} {d.actual:.10g} vs reference {d.expected:.10g} (error {error:.3g}, allowed {d.allowed:.3g})")


def error_plot(quantity: QuantityCheck) -> str:
    """Each engine's error over its allowance on a log scale, 1 (the allowance) marked: an inline SVG."""
    bars = [(e, d.max_abs / d.allowed if d.allowed else (0.0 if d.max_abs == 0 else math.inf), d.ok)
            for e, d in quantity.differences.items() if e != quantity.reference]  # fmt: skip
    if not bars:
        return ""
    low, high, width, left = -8.0, 2.0, 360, 60
    x_of = lambda ratio: left + width * (min(max(math.log10(ratio) if ratio > 0 else low, low), high) - low) / (high - low)  # noqa: E731
    rows = []
    for i, (engine, ratio, ok) in enumerate(bars):
        y = 6 + 18 * i
        shown = "0" if ratio == 0 else f"{ratio:.2g}"
        rows.append(
            f'<text x="0" y="{y + 11}">{escape(engine)}</text><rect x="{left}" y="{y}" width="{x_of(ratio) - left:.1f}" height="12" '
            f'fill="{"#4caf50" if ok else "#e53935"}"/><text x="{x_of(ratio) + 4:.1f}" y="{y + 11}">{shown}</text>'
        )
    one, height = x_of(1.0), 10 + 18 * len(bars)
    return (
        f'<svg class="plot" role="img" aria-label="error over allowance per engine" width="{left + width + 60}" height="{height + 14}">'
        f'{"".join(rows)}<line x1="{one:.1f}" x2="{one:.1f}" y1="0" y2="{height}" stroke="#c62828" stroke-dasharray="3,2"/>'
        f'<text x="{one - 40:.1f}" y="{height + 12}">error = allowed</text><text x="{left}" y="{height + 12}">1e-8</text></svg>'
    )


def heat_map(outcome: CaseOutcome, quantity: QuantityCheck) -> str:
    """A Hessian block as a grid of coloured cells (the reference's values), an engine's or claim's wrong elements outlined."""
    if not quantity.quantity.startswith("H[") or quantity.reference is None or quantity.reference not in outcome.results:
        return ""
    try:
        values = np.asarray(quantity_of(outcome.results[quantity.reference], quantity.quantity), dtype=float)
    except (KeyError, TypeError):
        return ""
    if values.size == 0 or values.size > MAX_HEAT_CELLS or values.ndim < 2:
        return ""
    rows = int(np.prod(values.shape[: values.ndim // 2]))
    grid = values.reshape(rows, -1)
    bad = {d.worst for d in quantity.differences.values() if not d.ok} | {c.difference.worst for c in quantity.claims if c.ok is False and c.difference}
    scale = float(np.nanmax(np.abs(grid))) or 1.0
    cells = []
    for r in range(grid.shape[0]):
        row = []
        for c in range(grid.shape[1]):
            v = grid[r, c]
            t = 0.0 if not np.isfinite(v) else float(v) / scale
            color = f"rgb(255,{int(255 * (1 - t))},{int(255 * (1 - t))})" if t >= 0 else f"rgb({int(255 * (1 + t))},{int(255 * (1 + t))},255)"
            index = np.unravel_index(r * grid.shape[1] + c, values.shape)
            outlined = ' class="bad"' if tuple(int(i) for i in index) in bad else ""
            row.append(f'<td{outlined} style="background:{color}" title="{_e(quantity.quantity)}{list(map(int, index))} = {v:.6g}"></td>')
        cells.append("<tr>" + "".join(row) + "</tr>")
    return f'<p>heat map of {_e(quantity.quantity)} (reference; red positive, blue negative)</p><table class="heat">{"".join(cells)}</table>'


# -- check --------------------------------------------------------------------------------------


def check_html(tutorials: list[Tutorial], outcomes: list[CaseOutcome], load_errors: list[CaseError]) -> str:
    """Each tutorial as it reads, every claim marked where it stands, each derivation's panel under its backward()."""
    from verifygrad.tutorials.load import claim_place

    by_name = {o.case.name: o for o in outcomes}
    sections = []
    for t_index, tutorial in enumerate(tutorials):
        marks: dict[int, list[str]] = {}  # file line -> claim marks shown after it
        for found in tutorial.findings.found:
            ok, text = _claim_state(found, tutorial, by_name)
            state = "holds" if ok else "wrong" if ok is False else "unchecked"
            glyph = "✓" if ok else "✗" if ok is False else "○ not checked:"
            marks.setdefault(found.line, []).append(
                f'<span class="claim {state}" data-line="{found.line}">{glyph} {_e(claim_place(tutorial.document, found))} '
                f"({_e(found.source)}) {_e(found.text)}: {_e(text)}</span>"
            )
        panels: dict[int, list[str]] = {}
        for d_index, draft in enumerate(tutorial.drafts):
            outcome = by_name.get(draft.name)
            if outcome is not None and draft.kind == "derivation":
                panels.setdefault(draft.line, []).append(f'<div class="panel">{case_panel(outcome, f"t{t_index}-d{d_index}")}</div>')
        shown = set()
        blocks = "".join(_block_html(block, marks, panels, shown) for block in tutorial.document.blocks)
        rest = [m for line, ms in sorted(marks.items()) if line not in shown for m in ms]  # lines no block showed
        rest += [p for line, ps in sorted(panels.items()) if line not in shown for p in ps]
        not_read = "".join(f"<li>{_e(tutorial.document.place(line))}: {_e(what)}</li>" for line, what in sorted(tutorial.reading.not_read))
        sections.append(
            f"<h2>{_e(tutorial.document.path)} <small>({_e(tutorial.document.format)})</small></h2>"
            f'<div class="doc">{blocks}{"".join(rest)}</div>' + (f"<h3>Not read</h3><ul>{not_read}</ul>" if not_read else "")
        )
    invalid = "".join(f'<p class="error">{_e(error)}</p>' for error in load_errors)
    return _page("verifygrad check", f"<h1>verifygrad check</h1>{_summary(outcomes, load_errors)}{invalid}{''.join(sections)}")


def _claim_state(found: Found, tutorial: Tutorial, by_name: dict[str, CaseOutcome]) -> tuple[bool | None, str]:
    if found.status:
        return None, found.status
    for draft in tutorial.drafts:
        for kind, quantity, claimed in draft.claims:
            if claimed is found and draft.name in by_name:
                outcome = by_name[draft.name]
                for q in outcome.quantities:
                    for check in q.claims:
                        if (check.claim.kind, check.claim.quantity) == (kind, quantity):
                            return check.ok, check.text
                return None, outcome.reasons[0] if outcome.reasons else "the case did not run"
    return None, "not checked: its case was not run"


def _block_html(block: Block, marks: dict[int, list[str]], panels: dict[int, list[str]], shown: set[int]) -> str:
    """A block line by line with its file line numbers, each line's claim marks and derivation panels after it."""
    if block.kind in (CODE, OUTPUT):
        kind = "code" if block.kind == CODE else "output"
        lines = block.text.rstrip("\n").split("\n")
        out, piece = [], []
        for offset, text in enumerate(lines):
            line = block.file_line(offset)
            number = offset + 1 if block.cell is not None else line  # a notebook's cells count their own lines
            piece.append(f'<span class="ln">{number}</span>{_e(text)}')
            last = offset == len(lines) - 1 or not block.one_line
            after = "".join(marks.get(line, [])) + "".join(panels.get(line, [])) if last and line not in shown else ""
            if after:  # the code so far, then what stands at this line
                shown.add(line)
                out.append(f'<pre class="{kind}">' + "\n".join(piece) + f"</pre>{after}")
                piece = []
        out += [f'<pre class="{kind}">' + "\n".join(piece) + "</pre>"] if piece else []
        label = f'<div class="cell">{"In" if block.kind == CODE else "Out"} [{block.cell}]</div>' if block.cell is not None else ""
        return label + "".join(out)
    html = []
    for offset, text in enumerate(block.text.rstrip("\n").split("\n")):
        line = block.file_line(offset)
        pieces = MATH.split(text)  # odd pieces are math, shown as written in a math face
        shown_text = "".join(f'<span class="math">{_e(p)}</span>' if i % 2 else _e(p) for i, p in enumerate(pieces))
        html.append(f"<b>{shown_text}</b>\n" if HEADING.match(text) else shown_text + "\n")
        if line not in shown and (offset == 0 or not block.one_line) and line in marks:
            shown.add(line)
            html.append("".join(marks[line]))
    return f'<div class="prose">{"".join(html)}</div>'
