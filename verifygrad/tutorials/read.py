"""A tutorial file end to end: its blocks, its code read statically, the claims found, and the cases they make."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from verifygrad.cases.discover import files_under
from verifygrad.errors import CaseError
from verifygrad.process import limits
from verifygrad.tutorials import jaxrandom
from verifygrad.tutorials.blocks import CODE, OUTPUT, PROSE, Block, Document
from verifygrad.tutorials.derivative_defs import derivative_functions
from verifygrad.tutorials.detect import TUTORIAL_SUFFIXES, read_document
from verifygrad.tutorials.findings import (
    MAX_MATH_SPANS,
    Findings,
    Found,
    agreement_claims,
    comment_claims,
    derivative_function_claims,
    hand_gradient_claims,
    held_claims,
    last_shown,
    math_spans,
    prose_chains,
    prose_functions,
    step_claims,
    tie_math,
    tie_outputs,
    unread_math,
)
from verifygrad.tutorials.interpret import CodeReader, Reading
from verifygrad.tutorials.mathtext import statements
from verifygrad.tutorials.pairs import backward_pairs
from verifygrad.tutorials.printed import Printed, read_printed
from verifygrad.tutorials.prose import prose_claims
from verifygrad.tutorials.python2 import modernise
from verifygrad.tutorials.symbolic import Display, Symbolic, tie
from verifygrad.tutorials.tocases import Draft, drafts_for
from verifygrad.tutorials.uncalled import uncalled_rules


@dataclass
class Tutorial:
    document: Document
    reading: Reading
    findings: Findings
    drafts: list[Draft]


def read_tutorial(path: Path) -> Tutorial:
    """Read one tutorial; an unreadable file is a CaseError (one line, `path: what`).

    A page written once per framework (d2l's `%%tab pytorch` cells) is read once per framework, each with its own names."""
    text = _text(path)
    document = read_document(path, text)
    owners = tab_owners(document)
    tabs = list(dict.fromkeys(tab for names in owners.values() for tab in names))
    if not set(tabs) - {DEFAULT_TAB}:
        return _read(path, text, document)
    parts = [(tab, _read(path, text, only_tab(document, tab))) for tab in tabs]

    def kept(tab: str, line: int) -> bool:
        return tab in owners[line] if line in owners else tab == tabs[0]

    reading = Reading()
    findings = Findings()
    drafts: list[Draft] = []
    for tab, part in parts:
        reading.derivations += [item for item in part.reading.derivations if kept(tab, item.line)]
        reading.not_read += [(line, what) for line, what in part.reading.not_read if kept(tab, line) and not TAB_MAGIC.match(what)]
        findings.found += [item for item in part.findings.found if kept(tab, item.line)]
        drafts += [draft for draft in part.drafts if kept(tab, draft.line)]
    findings.found.sort(key=lambda item: item.line)
    drafts.sort(key=lambda draft: draft.line)
    return Tutorial(document, reading, findings, drafts)


TAB = re.compile(r"[^\S\n]*(?:%%tab|#@tab)[^\S\n]+([^\n]*)")  # d2l's cell marker, and its older comment
TAB_MAGIC = re.compile(r"an IPython magic or shell command \(%(%tab|load_ext d2lbook)")


DEFAULT_TAB = "(unmarked)"  # NOTE: d2lbook gives a code cell without a marker to the book's default framework, not to all


def tab_owners(document: Document) -> dict[int, tuple[str, ...]]:
    """The file lines of code written for some frameworks only (`%%tab pytorch, jax`, or no marker: the default one), with
    their outputs: line -> frameworks. Cells marked `all` belong to every framework and are not listed."""
    owners: dict[int, tuple[str, ...]] = {}
    tabs: tuple[str, ...] = ()
    for block in document.blocks:
        if block.kind == CODE:
            tabs = _tabs_of(block)
            tabs = () if "all" in tabs else tabs
        if tabs and block.kind in (CODE, OUTPUT):
            owners.update(dict.fromkeys(block.file_lines(), tabs))
    return owners


def only_tab(document: Document, tab: str) -> Document:
    """The document as one framework's reader sees it: the code of other frameworks' tabs (and its output) left out."""
    kept: list[Block] = []
    left_out = False
    for block in document.blocks:
        if block.kind == CODE:
            names = _tabs_of(block)
            left_out = tab not in names and "all" not in names
        if not (left_out and block.kind in (CODE, OUTPUT)):
            kept.append(block)
    return Document(document.path, document.format, tuple(kept))


def _tabs_of(block: Block) -> tuple[str, ...]:
    marker = TAB.match(block.text)
    return tuple(name for name in re.split(r"[,\s]+", marker.group(1)) if name) if marker else (DEFAULT_TAB,)


def _read(path: Path, text: str, document: Document) -> Tutorial:
    """The page read once; where its seeded JAX draws differ between the two random streams jax has had and the page does
    not say which made it, read once per stream, and kept on the one where printed values agree (where only one has any)."""
    legacy = (False,) if "DeviceArray(" in text else None  # NOTE: printed by jax before 0.4.1, on the stream jax 0.5 replaced
    tutorial = _read_on(path, text, document, legacy)
    if legacy or not any(what == jaxrandom.AMBIGUOUS for _, what in tutorial.reading.not_read):
        return tutorial
    readings = [_read_on(path, text, document, (stream,)) for stream in (True, False)]
    agreeing = [reading for reading in readings if jaxrandom.draws_agreeing(reading.findings.found)]
    return agreeing[0] if len(agreeing) == 1 else tutorial


def _read_on(path: Path, text: str, document: Document, streams: tuple[bool, ...] | None) -> Tutorial:
    reader = CodeReader()
    if streams is not None:
        reader.jax_streams = streams
    findings = Findings()
    lines = text.split("\n")
    math_budget = [MAX_MATH_SPANS, 0, 0]  # spans left to read, spans not read, the first one's line
    outputs: list[tuple[list[Printed], Block]] = []  # what the last code block printed, paired once all of it is seen
    symbolic = Symbolic()
    uses_sympy = "sympy" in text
    displays: tuple[list[Display], bool] = ([], False)  # the SymPy values the last code block showed; whether it was all SymPy
    code: Block | None = None
    for block in document.blocks:
        if block.kind == CODE:
            code = block
            if outputs:
                _tie(findings, reader, symbolic, displays, outputs)
            outputs = []
            source = modernise(block.text)
            reader.read_block(block, source)
            if uses_sympy:  # NOTE: a second parse of every block costs as much as reading it: only where SymPy is named
                shown, comments, whole = symbolic.read_block(block, source)
                findings.found += comments
                displays = (shown, whole)
        elif block.kind == OUTPUT and reader.reading.shown:
            outputs.append((read_printed(block.text), block))
            if code is not None and FALSE.search(block.text):
                _withdraw_shown(reader.reading, code)
        elif block.kind == PROSE:
            for line, body in math_spans(block, lines, math_budget):
                lead = body[: len(body) - len(body.lstrip())].count("\n")  # the span's line is its first written line's
                for offset, statement, continued in statements(body):  # an align environment: a statement a row, on its line
                    at = line + max(offset - lead, 0)
                    if continued:
                        findings.continued.add(len(findings.math))
                    findings.math.append((at, _where_in(block, at), statement, "LaTeX"))
            findings.math += [(line, _where_in(block, line), body, "text") for line, body in prose_chains(block)]
            findings.math += [(line, _where_in(block, line), body, "text") for line, body in prose_functions(block)]
    if outputs:
        _tie(findings, reader, symbolic, displays, outputs)
    reading = reader.reading
    for index, line, string in reading.strings:  # '''输出结果: tensor(...)''' after a print in the code
        printed = read_printed(string)
        if printed:
            earlier = [item for item in reading.shown[index] if item.line <= line]
            tie_outputs(findings, last_shown(earlier, len(printed)), [(printed, _string_block(index, line))])
    backward_pairs(reader, findings)
    uncalled_rules(reader)
    agreement_claims(findings, reading)
    hand_gradient_claims(findings, reading)
    step_claims(findings, reading)
    held_claims(findings, reading)
    derivative_function_claims(findings, reading)
    for derivation, leaf, formula, line, where, label in reading.rules:  # a custom backward: the VJP it claims for forward
        source = "custom jvp" if label.endswith(".jvp") else "custom backward"
        findings.found.append(Found("formula", line, where, source, label, leaf=leaf, derivations=(derivation,), formula=formula,
                                    label=label))  # fmt: skip
    comment_claims(findings, reading, {item.line: item for items in reading.shown for item in items})
    read_already, prose_derivations = prose_claims(findings, reading)
    tie_math(findings, reading, read_already)
    reading.derivations += prose_derivations
    reading.derivations += symbolic.derivations  # after the prose's formulas are tied: those name the code's own derivations
    derivative_functions(reader, findings)  # NOTE: after the page's math is tied: its derivations are at generated inputs
    unread_math(findings, math_budget)
    _leave_skipped(document, reading, findings)
    label = "".join(char if char.isprintable() else "?" for char in path.name)  # case names reach the terminal
    drafts = drafts_for(reading, findings.found, str(path), label, reading.not_read)
    return Tutorial(document, reading, findings, drafts)


def _tie(findings: Findings, reader: CodeReader, symbolic: Symbolic, displays: tuple[list[Display], bool],
         outputs: list[tuple[list[Printed], Block]]) -> None:  # fmt: skip
    """A block of SymPy code printed formulas, each a claim where it shows a derivative; any other printed numbers."""
    shown, whole = displays
    if whole:
        findings.found += tie(symbolic, shown, [block for _, block in outputs])
    else:
        tie_outputs(findings, reader.reading.shown[-1], outputs)


FALSE = re.compile(r"\bFalse\b")


def _withdraw_shown(reading: Reading, code: Block) -> None:
    """A comparison a block showed, whose output says False: the page shows that they differ, not a claim that they agree."""
    lines = set(code.file_lines())
    reading.agreements[:] = [item for item in reading.agreements if not (item.shown and item.line in lines)]


SKIP_COMMENT = re.compile(r"#\s*verifygrad:\s*skip\b")  # a code block's own marker, a comment of its own or after code


def _leave_skipped(document: Document, reading: Reading, findings: Findings) -> None:
    """The blocks the writer marked (a `# verifygrad: skip` comment, a `verifygrad-skip` cell tag), with their
    outputs: their code is still read (later blocks use its names), their derivations and claims are not checked."""
    skipped: dict[int, int] = {}  # file line -> the marker's line
    marked: int | None = None
    for block in document.blocks:
        if block.kind == CODE:
            comment = SKIP_COMMENT.search(block.text)
            marked = block.line if block.skip else block.file_line(block.text.count("\n", 0, comment.start())) if comment else None
        if marked is not None and block.kind in (CODE, OUTPUT):
            skipped.update(dict.fromkeys(block.file_lines(), marked))
    if not skipped:
        return
    left = [d for d in reading.derivations if d.line in skipped]
    reading.derivations[:] = [d for d in reading.derivations if d.line not in skipped]
    reading.not_read += [(d.line, f"{d.output_name}.backward(): skipped by the writer's marker at line {skipped[d.line]}") for d in left]
    for found in findings.found:
        if found.status:
            continue
        if found.line in skipped:
            found.status = f"skipped by the writer's marker at line {skipped[found.line]}"
        elif any(d in left for d in found.derivations):
            found.status = f"skipped: the derivation at line {found.derivations[0].line} is marked to be skipped"


def _where_in(block: Block, line: int) -> str:
    """Where a file line of a prose block is: in a notebook, its cell too."""
    if block.cell is None:
        return f"line {line}"
    if block.one_line:
        return f"line {line} (cell {block.cell})"
    return block.where(line - block.line)


def _string_block(index: int, line: int) -> Block:
    return Block(OUTPUT, "", line)


def _text(path: Path) -> str:
    bounds = limits.current()
    if not path.is_file():
        raise CaseError(str(path), None, "not a regular file")
    try:
        with path.open("rb") as file:
            data = file.read(bounds.file_bytes + 1)
    except OSError as err:
        raise CaseError(str(path), None, f"cannot read file: {err.strerror or err}") from None
    if len(data) > bounds.file_bytes:
        raise CaseError(str(path), None, f"file is over {bounds.file_bytes} bytes, the limit (--limit file_bytes=N)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CaseError(str(path), None, f"not UTF-8 text (byte {err.start})") from None


def collect_tutorials(paths: list[Path], skipped: list[str] | None = None) -> list[Path]:
    """Files as given; directories searched for files with a tutorial's suffix (`skipped` gets what was not read, and why)."""
    skipped = [] if skipped is None else skipped
    found: list[Path] = []
    for path in paths:
        if path.is_dir():  # searched as `run` searches: no hidden files, venvs or links that lead out of it
            found += [p for p in files_under(path, TUTORIAL_SUFFIXES + tuple(s.upper() for s in TUTORIAL_SUFFIXES), skipped) if p.is_file()]
        else:
            found.append(path)
    return found
