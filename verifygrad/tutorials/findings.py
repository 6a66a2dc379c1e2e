"""What a tutorial shows or states, tied to the code it is about: printed outputs, comments, LaTeX."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from verifygrad.cases.written import WrittenFloat
from verifygrad.errors import excerpt
from verifygrad.language.parse import parse
from verifygrad.language.syntax import ExprError
from verifygrad.tutorials.blocks import Block
from verifygrad.tutorials.constant import constant_array
from verifygrad.tutorials.formatted import Template
from verifygrad.tutorials.handwritten import HandGradient, known_value
from verifygrad.tutorials.interpret import Derivation, Reading, Shown
from verifygrad.tutorials.mathtext import APPROX, Derivative, MathError, constant_text, names_in, read_chain, render
from verifygrad.tutorials.printed import Printed, logical_lines, read_printed, whole_values
from verifygrad.tutorials.values import COMPUTED, CONST, LEAF, GradOf, Number, Other, Tensor, Unknown, computed_of, leaves_of, text_of

UNSEEDED = "not checkable: the inputs are random and unseeded"  # tocases checks it after all where no random value reaches the claim
_GRAD_COMMENT = re.compile(r"^\s*([A-Za-z_]\w*)\.grad\s*=\s*([-+\d.eE\[\], ]+)\s*$")
_REPR_HINT = re.compile(r"tensor\(|Variable containing|array\(|\[torch\.")
_DIFFERENTIAL = re.compile(r"d([A-Za-z_]\w*)\s*=\s*(.+?)\s*\*\s*d([A-Za-z_]\w*)")  # `dy = 2x * dx`: dy/dx = 2x
_NUMBER = r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
# A result written after the code that shows a gradient: `# [4.0, 108.0] (4 * x**3 at ...)`, `# 2*x => 4`, `# cos(x) => 1.0`.
# `# prints 138.8338, i.e. the value of dg/da` on the line of the print: what it printed, said in words.
_COMMENTED_RESULT = re.compile(
    rf"^\s*(\[[-+\d.eE, ]+\])(?=\s|\(|$)|=>\s*(\[[-+\d.eE, ]+\]|{_NUMBER})\.?\s*$|^\s*(?:prints|outputs|gives|shows):?\s+({_NUMBER})(?=[\s,;]|\.?$)"
)
# `dz/dx ... --> 108.0`: a comment naming a derivative, ending with the number it comes to
_ARROW_RESULT = re.compile(r"\bd([A-Za-z_]\w*)\s*/\s*d([A-Za-z_]\w*)\b.*?(?:-->|->|→)\s*(-?\d+(?:\.\d*)?)\.?\s*$")


@dataclass
class Found:
    """One claim found in the tutorial, with where it was found and what it is tied to."""

    kind: str  # "value", "grad", "formula", "hessian_formula" or "stated" (and a framework's "jacobian", "hessian", "jvp")
    line: int
    where: str
    source: str  # "printed output", "comment", "LaTeX", "text"
    text: str  # the claim as written, short
    tensor: Tensor | None = None  # value and stated claims: whose value
    leaf: Tensor | None = None  # grad and formula claims: with respect to which input
    second: Tensor | None = None  # a second derivative's formula (hessian_formula): the other input (the same one for ∂²/∂x²)
    derivations: tuple[Derivation, ...] = ()  # grad and formula claims: the backward() calls behind .grad
    values: np.ndarray | None = None
    value_text: str | None = None  # a numeric claim written as an expression (`2*3`, `9/2`)
    written: object = None  # the printed numbers with their text (WrittenFloat), which a case holds to their decimals
    formula: str | None = None
    status: str = ""  # why it is not checked; "" when a case checks it
    label: str = ""  # the code the claim is about (`x.grad`, `v_out`)
    rtol: float = 0.0  # a worked example's number, computed by hand from rounded ones: how far that rounding may carry it


@dataclass
class Findings:
    found: list[Found] = field(default_factory=list)
    math: list[tuple[int, str, str, str]] = field(default_factory=list)  # (file line, where, text, source) to tie after the code is read
    continued: set[int] = field(default_factory=set)  # the math statements (by index) that continue an align's chain (`&= ...`)


def tie_outputs(findings: Findings, shown: list[Shown], outputs: list[tuple[list[Printed], Block]]) -> None:
    """Pair the values a code block printed with what its statements show. A print of formatted text whose output line
    fits its template gives each field its own text (``_template_fields``); the other values are paired in order from
    the start up to the first code not read that may have printed, and from the end back to the last; values between
    are listed, never paired."""
    fields, listed, covered, unfit = _template_fields(shown, outputs)
    slots = [item for item in shown if _printed_count(item) != 0 and id(item) not in covered]
    items = [(printed, block) for values, block in outputs for printed in values if id(printed) not in covered]
    opaque = [item for item in slots if _printed_count(item) < 0]
    head = slots[: slots.index(opaque[0])] if opaque else slots
    pairs = dict(enumerate(head[: len(items)]))
    if not opaque and len(items) != len(slots):
        # NOTE: the output shows more or fewer values than the code prints (one not read, or left out by the writer),
        # or as many laid out on other lines than the prints put them: which value is which is not known, and a value
        # paired with its neighbour's print is a false FAIL
        pairs = {}
    if opaque:
        tail = slots[len(slots) - slots[::-1].index(opaque[-1]) :]
        paired_from_start = len(pairs)  # NOTE: not len(pairs) in the loop, which grows with the values paired from the end
        for back, item in enumerate(reversed(tail)):
            index = len(items) - 1 - back
            if index < paired_from_start or index in pairs:
                break
            pairs[index] = item
    blocks = {id(block): number for number, (_, block) in enumerate(outputs)}
    order = {id(item): position for position, item in enumerate(shown)}
    placed = [(pairs[index], items[index][0], blocks[id(items[index][1])], False) for index in pairs]
    placed += [(slot, printed, blocks[id(block)], True) for slot, printed, block in fields]
    lines_differ = not _lines_agree(sorted(placed, key=lambda pair: order.get(id(pair[0]), -1)))
    if lines_differ:  # NOTE: values laid out on other lines than the prints put them: which is which is not known
        pairs = {}
        items += [(printed, block) for _, printed, block in fields]
        fields = []
    findings.found += listed
    for slot, item, block in fields:
        claim = _claim_of(slot, item, block.file_line(item.line_offset), block.where(item.line_offset))
        if claim is not None:
            findings.found.append(claim)
    for index, (item, block) in enumerate(items):
        where, line = block.where(item.line_offset), block.file_line(item.line_offset)
        target = pairs.get(index)
        if target is None and item.none:
            continue  # `None` in a list of gradients: no value to list
        if target is None:
            why = f"printed by code that was not read ({opaque[0].label})" if opaque else "no statement of the code shows this value"
            if not opaque and slots:
                why = unfit or f"the output shows {len(items)} values where the code prints {len(slots)}: which is which is not known"
            if lines_differ:
                why = "the output's values are not on the lines the prints would give them: which is which is not known"
            findings.found.append(Found("value", line, where, "printed output", item.describe(), values=item.values, status=f"not tied: {why}"))
        else:
            claim = _claim_of(target, item, line, where)
            if claim is not None:
                findings.found.append(claim)


def _claim_of(target: Shown, item: Printed, line: int, where: str) -> Found | None:
    """The claim a printed value makes about what its statement shows; None for a plain number (a loop's, a shape's),
    and for `None` printed where the code shows no value. `None` against a value, or a value against `None`, is listed."""
    if item.none or _prints_none(target.value) and not isinstance(target.value, GradOf):
        if item.none and _prints_none(target.value):
            return None
        shows = "None" if item.none else item.describe()
        has = "no gradient" if _prints_none(target.value) else "a value"
        return Found("value", line, where, "printed output", shows, values=None if item.none else item.values,
                     status=f"not tied: the output shows {shows} where the reader has {has} for {target.label}")  # fmt: skip
    if isinstance(target.value, Number) and target.value.tensor is not None:  # computed from numbers bound to names
        return _printed_claim(replace(target, value=target.value.tensor), item, line, where)
    if isinstance(target.value, Number):
        return None
    return _printed_claim(target, item, line, where)


def _template_fields(shown: list[Shown], outputs: list[tuple[list[Printed], Block]]) -> tuple[list, list[Found], set[int], str]:
    """The prints of formatted text whose output lines fit their templates: (the value each field printed, with its
    statement and block; what is listed instead; the ids of the statements and of the values read otherwise that they
    account for; where none is matched for a print whose lines are not all there, why).

    A print is matched only where the output holds exactly as many lines of its literal text as the code runs prints of
    that text, and no line fits two, so the n-th run is the n-th line; a field the reader knows (a number) must print
    its own text, and a field that shows a value must print that value and nothing else. Anything else is left to the
    pairing in order, as before."""
    runs: list[tuple[Template, list[Shown]]] = []
    for item in shown:
        if item.template is not None and runs and runs[-1][0] is item.template:
            runs[-1][1].append(item)
        elif item.template is not None:
            runs.append((item.template, [item]))
    runs = [run for run in runs if run[0].worded]
    if not runs:
        return [], [], set(), ""
    logical = [logical_lines(block.text) for _, block in outputs]
    shapes: dict[tuple[str, ...], list[int]] = {}
    for index, (template, _) in enumerate(runs):
        shapes.setdefault(template.literals, []).append(index)
    places: dict[int, tuple[int, int]] = {}  # run -> (output block, first logical line)
    for indices in shapes.values():
        template, span = runs[indices[0]][0], runs[indices[0]][0].lines
        kinds: dict[tuple, set[tuple]] = {}  # what the runs' fields must print: the numbers each run knows, by the fields' kinds
        for index in indices:
            needs = _needs(*runs[index])
            kinds.setdefault(tuple(need if need[0] != "exact" else ("exact",) for need in needs), set()).add(
                tuple(need[1] for need in needs if need[0] == "exact")
            )
        fits = [(number, start) for number, lines in enumerate(logical) for start in range(len(lines) - span + 1)
                if _fits_any(template, kinds, _joined(lines, start, span))]  # fmt: skip
        if len(fits) != len(indices):  # NOTE: an output cut short or edited (`...`), or code the reader runs otherwise: no line is known
            line = runs[indices[0]][1][0].line
            return [], [], set(), f"{len(fits)} output lines fit the print at line {line}, run {len(indices)} times: which is which is not known"
        places.update(zip(indices, fits))
    claimed: dict[tuple[int, int], int] = {}
    for index, (number, start) in places.items():
        for offset in range(runs[index][0].lines):
            claimed[(number, start + offset)] = claimed.get((number, start + offset), 0) + 1
    fields, listed, covered = [], [], set()
    for index, (number, start) in sorted(places.items()):
        template, entries = runs[index]
        lines, (values, block) = logical[number], outputs[number]
        if any(claimed[(number, start + offset)] > 1 for offset in range(template.lines)):
            return [], [], set(), ""  # NOTE: a line that fits two prints' text: which printed it is not known
        first, last = lines[start][0], lines[start + template.lines - 1][1]
        inside = [value for value in values if first <= value.line_offset <= last]
        if any(value.line_offset < first <= value.line_offset + value.text.count("\n") for value in values):
            return [], [], set(), ""  # a value read from the lines before runs into this one
        text = _joined(lines, start, template.lines)
        if not _fits(template, entries, text):
            return [], [], set(), ""  # NOTE: the n-th line of this text is not the n-th run's (another point): the runs are not known
        tied, unread = _fields_of(template, entries, template.match(text), text, first, block)
        fields += tied
        listed += unread
        covered |= {id(value) for value in inside} | {id(entry) for entry in entries}
    return fields, listed, covered, ""


def _needs(template: Template, entries: list[Shown]) -> list[tuple]:
    """What each field of a run must print: ("exact", text) for a number the reader knows, ("values", n) for n values it
    shows, ("any",) for text, or for code not read (whatever it printed is its own)."""
    needs: list[tuple] = []
    for field_index, written in enumerate(template.fields):
        slots = [entry for entry in entries if entry.field == field_index and _printed_count(entry) != 0]
        if written.exact is not None:
            needs.append(("exact", written.exact))
        elif slots and all(_printed_count(slot) > 0 for slot in slots):
            needs.append(("values", len(slots)))
        else:
            needs.append(("any",))
    return needs


def _fits_any(template: Template, kinds: dict[tuple, set[tuple]], text: str) -> bool:
    """Whether one of the runs of a print's text could have written this text: its literals cut it, each number the run
    knows prints its own text, and each field that shows values prints those values alone (`12.0 (expected ...)` is not
    one value)."""
    cut = template.match(text, exact=False)
    if cut is None:
        return False
    for needs, exact in kinds.items():
        if tuple(piece for (_, piece), need in zip(cut, needs) if need[0] == "exact") not in exact:
            continue
        if all(need[0] != "values" or whole_values(piece, need[1]) is not None for (_, piece), need in zip(cut, needs)):
            return True
    return False


def _fits(template: Template, entries: list[Shown], text: str) -> bool:
    """Whether this run of a print could have written this text (as ``_fits_any``, for one run)."""
    needs = _needs(template, entries)
    return _fits_any(template, {tuple(need if need[0] != "exact" else ("exact",) for need in needs): {
        tuple(need[1] for need in needs if need[0] == "exact")}}, text)  # fmt: skip


def _fields_of(template: Template, entries: list[Shown], cut: list[tuple[int, str]], text: str, first: int,
               block: Block) -> tuple[list, list[Found]]:  # fmt: skip
    """Each field's value read out of its own text; a field whose text is not its value's repr is listed."""
    tied, listed = [], []
    for field_index, (start, piece) in enumerate(cut):
        slots = [entry for entry in entries if entry.field == field_index and _printed_count(entry) != 0]
        offset = first + text.count("\n", 0, start)
        if not slots:
            continue
        if any(_printed_count(slot) < 0 for slot in slots):
            for value in read_printed(piece):
                at = offset + value.line_offset
                listed.append(Found("value", block.file_line(at), block.where(at), "printed output", value.describe(), values=value.values,
                                    status=f"not tied: printed by code that was not read ({slots[0].label})"))  # fmt: skip
            continue
        values = whole_values(piece, len(slots)) or []  # NOTE: never empty: the run fits its line (``_fits``)
        tied += [(slot, replace(value, line_offset=offset + value.line_offset), block) for slot, value in zip(slots, values)]
    return tied, listed


def _joined(lines: list[tuple[int, int, str]], start: int, count: int) -> str:
    return "\n".join(text for _, _, text in lines[start : start + count])


def _lines_agree(pairs: list[tuple[Shown, Printed, int, bool]]) -> bool:
    """Whether values paired in order (each with the number of its output block) sit on the output lines their prints
    give them: the next statement's values on a later line; one statement's in order, and an f-string's fields on its
    one line (after a value printed over several), unless its template placed them."""
    for (before, printed_before, block_before, fitted), (after, printed_after, block_after, fitted_after) in zip(pairs, pairs[1:]):
        place_before, place_after = (block_before, printed_before.line_offset), (block_after, printed_after.line_offset)
        if after.statement != before.statement and place_after <= place_before:
            return False
        if after.statement == before.statement and place_after < place_before:
            return False
        one_line = before.inline and after.inline and "\n" not in printed_before.text.strip() and not (fitted and fitted_after)
        if after.statement == before.statement and one_line and place_after != place_before:
            return False
    return True


def last_shown(shown: list[Shown], count: int) -> list[Shown]:
    """The last ``count`` statements that printed a value (a string after them quotes what they printed)."""
    return [item for item in shown if _printed_count(item) != 0][-count:]


def _printed_count(shown: Shown) -> int:
    """How many values a statement's output shows: one for a tensor or number, or for `None` as an item of a list or
    tuple of values (`[<tf.Tensor ...>, None]`), none for text, -1 where unknown."""
    value = shown.value
    if shown.opaque or (isinstance(value, Unknown) and not value.tensor) or (isinstance(value, Other) and value.what == "a list"):
        return -1
    return 1 if isinstance(value, (Tensor, GradOf, Number, Unknown)) or shown.item >= 0 and _prints_none(value) else 0


def _prints_none(value: object) -> bool:
    """Whether the frameworks print this as `None`: no gradient for a source, the grad of a non-leaf, one not taken yet."""
    return isinstance(value, Other) and value.what in ("None", "grad of a non-leaf") or isinstance(value, GradOf) and not value.contributions


def _printed_claim(target: Shown, item: Printed, line: int, where: str) -> Found:
    value = target.value
    if target.rounded is not None and item.decimals is None and isinstance(item.written, WrittenFloat) and not item.written.rounded:
        # NOTE: `f"{x:.4f}"` prints `0.0019` for 0.00188: the code's format says the number is rounded, however short it is
        item = replace(item, decimals=target.rounded, written=WrittenFloat(float(item.written), item.written.text, True))
    claim = Found("value", line, where, "printed output", item.describe(), values=item.values, written=item.written,
                  label=target.label)  # fmt: skip
    if item.summarised:
        claim.status = "not checked: the printed value is a summary (`...`)"
    elif not np.all(np.isfinite(item.values)):
        # NOTE: a tutorial printing nan or inf shows what floating point did (an overflow it is about to fix), not the derivative
        shown = "nan" if np.any(np.isnan(item.values)) else "inf"
        claim.status = f"not checked: the printed value is not finite ({shown}): what floating point computed, not a derivative"
    if isinstance(value, Unknown) and " changed " in value.reason and value.reason.startswith("line "):
        claim.status = f"not checked: {value.reason}"  # a stale value is never compared
    elif isinstance(value, Unknown):
        claim.status = f"not checked: the code showing it ({target.label}, {target.where}) was not read: {value.reason}"
    elif isinstance(value, GradOf):
        claim.kind, claim.leaf, claim.derivations = value.quantity, value.leaf, value.contributions
        if not value.contributions:
            claim.status = f"not tied: {target.label} has no gradient yet at {target.where}"
        else:
            claim.status = claim.status or random_status(value.leaf, value.contributions)
    else:
        claim.tensor = value
        if value.unseeded:
            claim.status = UNSEEDED
    return claim


def random_status(leaf: Tensor, derivations: tuple[Derivation, ...]) -> str:
    """UNSEEDED where an unseeded random value enters the derivation: the input, the output or the gradient handed to it."""
    random = leaf.unseeded or any(d.output.unseeded or random_text(d.grad_output) or any(map(random_text, d.jvp.values())) for d in derivations)
    return UNSEEDED if random else ""


def random_text(text: str | None) -> bool:
    """Whether a constant's text holds a random draw that was not reproduced.

    NOTE: seeded draws the reader reproduces are written out as `tensor([...])`; only the others keep `randn(`."""
    return text is not None and "randn(" in text


def agreement_claims(findings: Findings, reading: Reading) -> None:
    """`assert allclose(x.grad, cos(x))`: a formula claim on the gradient; `assert_allclose(x.grad, [2, 4])`: a value claim.
    A formula holds whatever the inputs, so it is checked even where they are random."""
    for agreement in reading.agreements:
        grad, other = agreement.left, agreement.right
        found = Found("grad", agreement.line, agreement.where, "comparison" if agreement.shown else "assert", agreement.text)
        findings.found.append(found)
        if not isinstance(grad, GradOf):
            found.status = "not checked: an assert that is not about a gradient the reader followed"
            continue
        found.leaf, found.derivations, found.label = grad.leaf, grad.contributions, f"{grad.leaf.name}.grad"
        leaves = {id(leaf) for derivation in grad.contributions for leaf in derivation.leaves}
        value_kind, formula_kind = _ASSERTED.get(grad.quantity, (None, None))
        if grad.quantity == "hessian":
            found.second = grad.leaf  # `assert allclose(grad(grad(f))(x), -sin(x))`: the block H[x,x]
        if not grad.contributions:
            found.status = f"not tied: {grad.leaf.name} has no gradient yet"
        elif value_kind is None:
            found.status = f"not checked: an assert about a {grad.quantity} (gradients, Jacobians and Hessians only)"
            continue  # NOTE: kept listed: the random-input status below must not make it a claim with nothing to compare
        elif agreement.right_text is not None:
            found.kind = value_kind
            found.value_text = f"tensor({agreement.right_text})" if agreement.right_text.startswith("[") else agreement.right_text
        elif isinstance(other, Tensor) and other.kind == CONST and _formula_of_stand_in(other, grad):
            found.kind, found.formula = formula_kind, _formula_of_stand_in(other, grad)
            continue  # `assert allclose(grad(f)(x), cos(x))`: computed from the x the gradient was taken at, a formula in it
        elif isinstance(other, Tensor) and other.kind == CONST:
            found.kind, found.value_text = value_kind, other.value
        elif isinstance(other, Tensor) and {id(leaf) for leaf in leaves_of(other)} <= leaves and len(grad.contributions) == 1:
            found.kind = formula_kind
            found.formula = text_of(other, {id(leaf): leaf.name for leaf in leaves_of(other)})
            if not _writable(found.formula):  # `d / a` where d = f(a) of the code's own def: not a formula of the case language
                found.status = "not checked: the other side calls a function of the code's own, which a formula cannot"
            continue  # a formula: checked at the code's inputs, random or not
        elif (
            isinstance(other, Tensor) and any(step.defs for step in computed_of([other])) and _values_known(other) is not None
        ):  # `== y(x)`, y the tutorial's own function
            found.value_text = _values_known(other)
        elif isinstance(other, GradOf):
            found.status = "not checked: both sides are derivatives the code computes, each checked on its own"
            continue
        else:
            found.status = "not checked: the other side of the assert is not a formula in the inputs or a constant"
            continue
        if found.kind in ("grad", "jacobian", "hessian", "jvp"):
            found.status = random_status(grad.leaf, grad.contributions)


# An assert about a derivative, by what the framework computed: the claim kinds for a constant and for a formula on the other side.
_ASSERTED = {
    "grad": ("grad", "formula"),
    "jacobian": ("jacobian", "jacobian_formula"),
    "hessian": ("hessian", "hessian_formula"),
    "jvp": ("jvp", "jvp_formula"),
}


def _values_known(tensor: Tensor) -> str | None:
    """A value the tutorial's own functions computed from constants, written out (`tensor([0.0, 1.0])`); None where unknown."""
    known = known_value(tensor)
    return f"tensor({known.tolist()!r})" if known is not None and known.size <= 10_000 and np.all(np.isfinite(known)) else None


def _writable(formula: str) -> bool:
    """Whether a formula is an expression of the case language (not a call of a function the tutorial defined)."""
    try:
        parse(formula)
    except ExprError:
        return False
    return True


def hand_gradient_claims(findings: Findings, reading: Reading) -> None:
    """A printed variable named as a derivative of the loss (`dW1`, `dL_dw`): besides the code's arithmetic, a claim that it
    is the loss's gradient; one whose pairing could not be decided is listed with the reason."""
    for hand in reading.hand_gradients:
        shown = [item for item in findings.found if item.kind == "value" and item.tensor is hand.tensor]
        if not shown:
            continue
        if hand.derivation is None:
            _list_unpaired(reading, hand)
            continue
        reading.derivations.append(hand.derivation)
        for item in shown:
            findings.found.append(Found("grad", item.line, item.where, item.source, item.text, leaf=hand.leaf, derivations=(hand.derivation,),
                                        values=item.values, written=item.written, status=item.status, label=hand.name))  # fmt: skip


def held_claims(findings: Findings, reading: Reading) -> None:
    """Hand-written backprop on numbers (`dfdx = dfdq * dqdx`): the number each derivative-named variable holds, as the code
    computes it, claims to be the final output's derivative; claimed at its last assignment (`dx += ...` adds up), in a
    loop at its first pass."""
    claimed: set[tuple[int, str]] = set()
    for hand in reading.hand_gradients:
        if not hand.held or any(item.kind == "value" and item.tensor is hand.tensor for item in findings.found):
            continue  # a printed one is claimed where it is printed
        if (hand.line, hand.name) in claimed:
            continue
        claimed.add((hand.line, hand.name))
        if hand.derivation is None:
            if hand.why.startswith("several outputs"):
                _list_unpaired(reading, hand)
            continue
        values = constant_array(hand.tensor.value) if hand.tensor.kind != COMPUTED else known_value(hand.tensor)  # `sigmoid(z) * ...` of a def
        if values is None or values.size != 1:
            continue
        reading.derivations.append(hand.derivation)
        exact = repr(float(values.reshape(())))
        findings.found.append(Found("grad", hand.line, hand.where, "code", f"{hand.name} = {exact}", leaf=hand.leaf,
                                    derivations=(hand.derivation,), values=values, written=exact, label=hand.name))  # fmt: skip


def _list_unpaired(reading: Reading, hand: HandGradient) -> None:
    """A hand-written gradient whose loss could not be decided: listed once, with the reason."""
    entry = (hand.line, f"{hand.name} reads as a hand-written gradient; not paired with a loss: {hand.why}")
    if entry not in reading.not_read:
        reading.not_read.append(entry)


def derivative_function_claims(findings: Findings, reading: Reading) -> None:
    """What a function named as another's derivative returned (`print(df(3.0))` beside `f`): a claim about f's gradient."""
    for value, grad, what in reading.hand_functions:
        for item in [item for item in findings.found if item.kind == "value" and item.tensor is value]:
            for derivation in grad.contributions:
                if derivation not in reading.derivations:
                    reading.derivations.append(derivation)
            findings.found.append(Found("grad", item.line, item.where, item.source, f"{item.text}, {what}", leaf=grad.leaf,
                                        derivations=grad.contributions, values=item.values, written=item.written, status=item.status,
                                        label=what))  # fmt: skip


def step_claims(findings: Findings, reading: Reading) -> None:
    """A printed parameter after a step with a hand-written gradient (`w = w - lr * dw`, then `print(w)`): the value printed
    is the code's arithmetic, and the step claims dw is the loss's gradient there; that claim is checked at the printed line."""
    for step in reading.steps:
        shown = [item for item in findings.found if item.kind == "value" and item.tensor is step.tensor]
        hand = step.hand
        if not shown:
            continue
        if hand.derivation is None:
            _list_unpaired(reading, hand)
            continue
        values = constant_array(hand.tensor.value) if hand.tensor.kind == CONST else None
        if hand.derivation not in reading.derivations:
            reading.derivations.append(hand.derivation)
        for item in shown:
            text = f"{hand.name} of the step {step.text} (line {step.line})"
            status = "" if item.status == UNSEEDED else item.status  # NOTE: the code's gradient is compared at the same (stand-in) values
            if values is None:
                status = status or f"not checked: the value of {hand.name} is not known to the reader"
            exact = None if values is None else f"tensor({values.tolist()!r})" if values.ndim else repr(float(values))  # held exactly
            findings.found.append(Found("grad", item.line, item.where, item.source, text, leaf=hand.leaf, derivations=(hand.derivation,),
                                        values=values, written=exact, status=status, label=hand.name))  # fmt: skip


def _formula_of_stand_in(other: Tensor, grad: GradOf) -> str | None:
    """The other side of an assert as a formula in the inputs, where it was computed from the constants the derivative was
    taken at (each of them: a JVP along x and y is taken at both)."""
    from verifygrad.tutorials.handwritten import as_function_of

    if grad.leaf.stands_for is None or len(grad.contributions) != 1:
        return None
    leaves = [leaf for leaf in grad.contributions[0].leaves if leaf.stands_for is not None]
    rebuilt = other
    for leaf in leaves:
        rebuilt, _ = as_function_of(rebuilt, leaf.stands_for, leaf)
    if rebuilt is other or any(all(item is not leaf for leaf in leaves) for item in leaves_of(rebuilt)):
        return None
    return text_of(rebuilt, {id(leaf): leaf.name for leaf in leaves})


def comment_claims(findings: Findings, reading: Reading, shown_by_line: dict[int, Shown]) -> None:
    """Comments: printed results (`#输出结果:tensor(7.5000)`), `x.grad = 2`, and math (`dz/dx = 2x = 2*3 = 6`)."""
    for line, where, text in reading.comments:
        about = _about_gradient(text, *reading.gradients[line]) if line in reading.gradients else None
        differential = _DIFFERENTIAL.fullmatch(text.strip())
        if about is None and differential and line + 1 in reading.gradients:  # `# dy = 2x * dx` above `dy_dx = tape.gradient(y, x)`
            about = _about_gradient(f"d{differential.group(1)}/d{differential.group(3)} = {differential.group(2)}", *reading.gradients[line + 1])
        shown_below = shown_by_line.get(line + 1)
        if about is None and shown_below is not None and isinstance(shown_below.value, GradOf) and " = " in text:
            # `# dz_dy = 2 * y and y = x ** 2 = 9` above `print(tape.gradient(z, y))`: its first clause, where it names that derivative
            about = _about_gradient(re.split(r"\s+and\s+|[,;]", text)[0], "", shown_below.value, named_only=True)
        arrow = _ARROW_RESULT.search(text)
        if about is None and arrow and line + 1 in reading.gradients:  # `# Compute dz/dx. 4 * x^3 at x = 3 --> 108.0` above it
            about = _about_gradient(f"d{arrow.group(1)}/d{arrow.group(2)} = {arrow.group(3)}", *reading.gradients[line + 1])
        if about is not None:  # `dy_dx = g.gradient(y, x)  # y' = 2*x = 6`: what the comment says the gradient is
            findings.math.append((line, where, about, "comment"))
            continue
        result = _COMMENTED_RESULT.search(text)
        here = shown_by_line.get(line)  # NOTE: only a gradient shown on the comment's own line: the comment is about it
        printed = read_printed(result.group(1) or result.group(2) or result.group(3)) if result and here is not None and isinstance(here.value, GradOf) else []
        if printed:
            findings.found.append(_printed_claim(here, printed[0], line, where))
            findings.found[-1].source = "comment"
            continue
        below = _gradient_below(reading, shown_by_line, line)
        named = below is not None and re.match(rf"\s*{re.escape(below.label)}\s*=", text)
        if below is not None and not named and _shown_before(shown_by_line, line) is not None:
            below = None  # NOTE: a repr right after a print quotes what it printed (below), unless it names what the next line assigns
        stated = _stated_result(text[named.end() :] if named else text) if below is not None else None
        if stated is not None:  # `# <tf.Tensor: ..., numpy=6.0>` above `g = tape.gradient(y, x)`
            findings.found.append(_printed_claim(below, stated, line, where))
            findings.found[-1].source = "comment"
            continue
        if _REPR_HINT.search(text):
            shown = _shown_before(shown_by_line, line)
            printed = read_printed(text[_REPR_HINT.search(text).start() :])
            if shown is not None and printed:
                findings.found.append(_printed_claim(shown, printed[0], line, where))
                findings.found[-1].source = "comment"
            continue
        grad = _GRAD_COMMENT.match(text)
        shown = _shown_before(shown_by_line, line)
        if grad and shown is not None and isinstance(shown.value, GradOf) and grad.group(1) in (shown.value.leaf.name, shown.value.leaf.bound):
            written = grad.group(2).strip()
            claim = Found("grad", line, where, "comment", text, leaf=shown.value.leaf, derivations=shown.value.contributions, label=shown.label,
                          value_text=f"tensor({written})" if written.startswith("[") else written)  # fmt: skip
            claim.status = random_status(claim.leaf, claim.derivations) if claim.derivations else ""
            if not claim.derivations:
                claim.status = f"not tied: {shown.label} has no gradient yet at {shown.where}"
            findings.found.append(claim)
            continue
        if grad:
            findings.math.append((line, where, f"d{grad.group(1)}grad/d{grad.group(1)} = {grad.group(2)}", "comment"))
            continue
        for chunk in re.split(r"[,;，；。]|\s时|\s:\s", text):
            ascii_part = re.split(r"[^\x00-\x7f]", chunk)[0].strip()
            if "=" in ascii_part and re.search(r"[A-Za-z]", ascii_part):
                findings.math.append((line, where, ascii_part, "comment"))


_RESULT = re.compile(
    r"[A-Za-z ,]*?\b(?:computes? to|will compute to|is|be|gives|equals|returns)\s*:?\s*(-?\d+(?:\.\d*)?(?:e-?\d+)?)\.?\s*|"
    r"\s*(?:->|→)\s*(-?\d+(?:\.\d*)?(?:e-?\d+)?)\s*",
    re.I,
)


def _about_gradient(text: str, name: str, grad: GradOf, named_only: bool = False) -> str | None:
    """A comment on the line that assigns a gradient, as math about it (`dy/dx = ...`), where it says what the gradient is:
    `# y' = 2*x = 2*3 = 6`, `# dy/dx = 6`, `# dy_dx = 6`, `# Will compute to 6.0`. Anything else: None (read as before)."""
    if len(grad.contributions) != 1 or grad.quantity != "grad":
        return None
    derivation = grad.contributions[0]
    output, leaf = getattr(derivation.output, "bound", "") or derivation.output_name, grad.leaf.name
    if not (output.isidentifier() and leaf and leaf.isidentifier()):
        return None
    head = f"d{output}/d{leaf}"
    if "=" in text:
        left, rest = text.split("=", 1)
        names = rf"{re.escape(name)}|{output}\s*['’′]|{output}\s*['’′]\s*\(\s*{leaf}\s*\)|d{output}\s*/\s*d{leaf}|(?:the\s+)?(?:grad(?:ient)?|derivative)"
        if named_only:  # NOTE: above a printed gradient: only its own name (`dz_dy`, `dz/dy`) says the comment is about it
            names = rf"d{output}\s*/\s*d{leaf}|d{output}_d{leaf}"
        return f"{head} = {rest.replace('**', '^')}" if re.fullmatch(names, left.strip(), re.I) else None  # code comments write x**2
    result = _RESULT.fullmatch(text.strip())
    if result is None and re.fullmatch(r"-?\d+\.\d*", text.strip()):  # `dy_dx = t.gradient(y, x)  # 6.0`: the number it is (`# 2` may be a note)
        return f"{head} = {text.strip()}"
    return f"{head} = {result.group(1) or result.group(2)}" if result else None


def _gradient_below(reading: Reading, shown_by_line: dict[int, Shown], line: int) -> Shown | None:
    """The gradient the line below a comment shows (`print(g.numpy())`) or assigns (`g = tape.gradient(y, x)`), or None."""
    below = shown_by_line.get(line + 1)
    if below is not None and isinstance(below.value, GradOf):
        return below
    if line + 1 in reading.gradients:
        name, grad = reading.gradients[line + 1]
        return Shown(grad, line + 1, "", name)
    return None


_REPR_START = re.compile(r"<tf\.Tensor|tf\.Tensor\(|tensor\(|Array\(|array\(|DeviceArray\(")


def _stated_result(text: str) -> Printed | None:
    """What a comment says a value is, where that is all it says: a printed repr (`<tf.Tensor: ..., numpy=6.0>`, after the
    name it is about) or `... is 5` (`# The gradient of y with respect to x is 5`); None for anything else."""
    text = text.strip()
    result = _RESULT.fullmatch(text)
    printed = read_printed(result.group(1) or result.group(2) or result.group(3)) if result else read_printed(text) if _REPR_START.match(text) else []
    return printed[0] if len(printed) == 1 else None


def _shown_before(shown_by_line: dict[int, Shown], line: int) -> Shown | None:
    earlier = [number for number in shown_by_line if number <= line]
    return shown_by_line[max(earlier)] if earlier and line - max(earlier) <= 2 else None


MAX_MATH_SPANS = 2_000  # per document: a claim-heavy tutorial has dozens; more is noise or hostile
TOO_DEEP = "not checked: the math is nested too deeply to read"
UNREAD = "math spans after the first"


def dropped(found: Found) -> bool:
    """A claim that may be there but was not read (too deep, past the budget): the file must not pass for it."""
    return found.status == TOO_DEEP or UNREAD in found.status


def unread_math(findings: Findings, budget: list[int]) -> None:
    """One listed, unchecked finding for the math spans past the document's budget, if there were any."""
    if budget[1]:
        line = budget[2]
        status = f"not checked: {budget[1]} {UNREAD} {MAX_MATH_SPANS} of the document were not read"
        findings.found.append(Found("formula", line, f"line {line}", "LaTeX", f"{budget[1]} more math spans", status=status))


def math_spans(block: Block, lines: list[str], budget: list[int]) -> list[tuple[int, str]]:
    """The math in a prose block ($$...$$, $...$, \\[...\\], \\(...\\)) with the file line where each is written.

    ``budget``: [spans left to read, spans left unread, the line of the first unread one], across the document."""
    spans = []
    newlines, position, cursor = 0, 0, block.line
    for start, body in _math_bodies(block.text):
        newlines += block.text.count("\n", position, start)
        position = start
        if budget[0] <= 0:  # counted, not read: the document's claims past the budget are listed as not checked
            budget[1] += 1
            budget[2] = budget[2] or block.line + newlines
            continue
        budget[0] -= 1
        line = _locate(lines, body, cursor, block.line + newlines)
        cursor = line
        spans.append((line, body))
    return spans


_PROSE_DERIVATIVE = re.compile(r"(?<![\w\\])([d∂][A-Za-z]\w{0,20}\s*/\s*[d∂][A-Za-z]\w{0,20})\s*=(?=\s*[-+(\d.])")
_ARITHMETIC = re.compile(r"[-+\d.\s*×·/()^=≈−]*")


def prose_chains(block: Block) -> list[tuple[int, str]]:
    """Derivatives stated in plain prose, outside math (`dL/dw = 2 * 3 * 0.5 = 3`): the derivative and the arithmetic
    after it up to the first word, with the file line. A formula (`∂f/∂y = 3x + 2y`) is read whole."""
    found = []
    for offset, text in enumerate(block.text.split("\n")):
        text = re.sub(r"\$[^$]*\$", lambda span: " " * len(span.group(0)), text[:10_000])  # math is read as math
        for match in _PROSE_DERIVATIVE.finditer(text):
            arithmetic = _ARITHMETIC.match(text, match.end())
            rest = arithmetic.group(0).rstrip(" .=≈")
            run = arithmetic.group(0).rstrip()
            if _FORMULA_GOES_ON.match(text, match.end() + len(run)) or run[-1:] in tuple("+-*/^·×(−") and re.match(r"\s*[A-Za-z]", text[arithmetic.end() :]):
                # NOTE: `= 3x + 2y`, `= 2e-3`: the digits are a coefficient or a mantissa; read as 3 it is a false FAIL
                rest = _formula(text, match.end())
                if rest is None:
                    continue
            if any(char.isdigit() for char in rest):
                found.append((block.file_line(offset), f"{match.group(1)} ={rest}"))
    return found


_FORMULA_GOES_ON = re.compile(r"[A-Za-z]|\s+[A-Za-z](?![A-Za-z])\s*(?:[-+*/^·×(=]|$)")  # `2x`, `2 x + 1`: not `2 so`


def _formula(text: str, start: int) -> str | None:
    """The plain-prose formula from ``start`` up to the first word (`3x + 2y (how f ...` gives ` 3x + 2y`), cut before
    a bracket it does not close; None where a word is glued to it (`2xy`) or a number is written short (`2e-3`)."""
    body = _PLAIN_MATH.match(text, start)
    formula = body.group(0) if body else ""
    if re.match(r"[A-Za-z]", text[start + len(formula) : start + len(formula) + 1]) and re.search(r"[\w.]$", formula):
        return None
    if re.search(r"\d[eE][-+]?\d", formula):  # `2e-3` is 0.002 written short, not 2·e − 3
        return None
    depth, cut = 0, len(formula)
    for index, char in enumerate(formula):
        depth += (char == "(") - (char == ")")
        if depth < 0:
            cut = index
            break
    if depth > 0:
        cut = min(cut, _first_unclosed(formula))
    return formula[:cut].rstrip(" .,=≈")


def _first_unclosed(formula: str) -> int:
    """Where the first bracket of ``formula`` that is never closed opens."""
    opened: list[int] = []
    for index, char in enumerate(formula):
        if char == "(":
            opened.append(index)
        elif char == ")" and opened:
            opened.pop()
    return opened[0] if opened else len(formula)


_PLAIN_FUNCTION = re.compile(r"(?<![\w\\'`])([A-Za-z])('{0,2})\(\s*([A-Za-z0-9.\-+ ,]{1,20})\)\s*=\s*")
_PLAIN_MATH = re.compile(r"(?:[-+*/^()\d.\s,'=]|\*\*|(?:sin|cos|tan|exp|log|ln|sqrt|tanh)(?=\()|[A-Za-z](?![A-Za-z]))+")


def prose_functions(block: Block) -> list[tuple[int, str]]:
    """Functions and derivatives written in plain prose, outside math and code spans (`f(x) = 3x^2 + 2x, so f'(x) =
    6x + 2`): each statement up to the first word or sentence end, `**` read as `^`, with the file line."""
    found = []
    for offset, text in enumerate(block.text.split("\n")):
        text = re.sub(r"\$[^$]*\$|`[^`]*`", lambda span: " " * len(span.group(0)), text[:10_000])  # math is read as math
        for match in _PLAIN_FUNCTION.finditer(text):
            rest = _PLAIN_MATH.match(text, match.end())
            body = re.split(r",\s|\.\s|\.$", rest.group(0) if rest else "")[0].strip(" .,=")
            if body and re.search(r"[\dA-Za-z]", body):
                found.append((block.file_line(offset), f"{text[match.start() : match.end()].strip()} {body.replace('**', '^')}"))
    return found


_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"))
_BARE_ENVIRONMENT = re.compile(r"\\begin\{(align\*?|equation\*?|eqnarray\*?|gather\*?|multline\*?)\}")


def _math_bodies(text: str) -> list[tuple[int, str]]:
    """Each `$$..$$`, `\\[..\\]`, `\\(..\\)` and one-line `$..$` span (start, body), left to right, in linear time.

    NOTE: not a lazy regex (`\\((.+?)\\)` rescans to the end for every unclosed `\\(`): once a closer is not
    found, no later opener of its kind can close either."""
    spans: list[tuple[int, str]] = []
    unclosed: set[str] = set()
    position = 0
    while position < len(text):
        char = text[position]
        if char not in "$\\<:":
            position += 1
            continue
        tagged = _tagged_math(text, position)  # MathJax's `<script type="math/tex">`, reST's :math:`...`
        if tagged is not None:
            spans.append(tagged[:2])
            position = tagged[2]
            continue
        if char in "<:":
            position += 1
            continue
        environment = _BARE_ENVIRONMENT.match(text, position) if text.startswith("\\begin{", position) else None
        if environment is not None:  # MathJax reads `\\begin{align}...\\end{align}` without dollars too
            end = text.find(f"\\end{{{environment.group(1)}}}", environment.end())
            if end >= 0:
                closed = end + len(environment.group(1)) + 6
                spans.append((position, text[position:closed]))
                position = closed
                continue
        for opening, closing in _DELIMITERS:
            if text.startswith(opening, position) and closing not in unclosed:
                end = text.find(closing, position + 3)  # a body of one character at least
                if end >= 0:
                    body = text[position + 2 : end]
                    if opening[0] == "\\" and text[position - 1 : position] == "\\" and body.endswith("\\"):
                        body = body[:-1]  # NOTE: Markdown's escaped `\\(...\\)` (Jekyll pages): the closer's first backslash is not math
                    spans.append((position, body))
                    position = end + 2
                    break
                unclosed.add(closing)
        else:
            if char == "$":
                end = _single_dollar_end(text, position)
                if end is not None:
                    spans.append((position, text[position + 1 : end]))
                    position = end + 1
                    continue
            position += 1
    return spans


_SCRIPT = re.compile(r'<script type="math/tex(?:; mode=display)?">')


def _tagged_math(text: str, start: int) -> tuple[int, str, int] | None:
    """(start, body, end) of a `<script type="math/tex">...</script>` or `:math:`...`` span opened at ``start``."""
    opening = _SCRIPT.match(text, start) if text.startswith("<script", start) else None
    if opening is not None:
        end = text.find("</script>", opening.end())
        return None if end < 0 else (start, text[opening.end() : end], end + len("</script>"))
    if text.startswith(":math:`", start):
        end = text.find("`", start + 7)
        return None if end < 0 else (start, text[start + 7 : end], end + 1)
    return None


def _single_dollar_end(text: str, start: int) -> int | None:
    """The closing `$` of a one-line `$..$` span opened at `start`: the next `$` on the line, after one character."""
    dollar = text.find("$", start + 1)
    if dollar <= start + 1 or ("\n" in text[start + 1 : dollar] and not text[start + 1 : dollar].lstrip().startswith("\\begin")):
        return None  # the text up to the next `$` only: linear overall; over several lines only an environment (`$\begin{align*}`)
    return dollar


def _locate(lines: list[str], body: str, cursor: int, guess: int) -> int:
    """The file line holding the math: the first at or after the previous span's (HTML tags shift the block's lines)."""
    first = body.strip().split("\n")[0].strip()[:40]
    for number in range(max(cursor - 1, 0), min(len(lines), guess + 50, cursor + 300)):
        if first and first in lines[number][:10_000].replace("\\\\", "\\"):
            return number + 1
    return guess


_UNREAD = ("name", "?", None)  # a side of a chain outside the math read: no claim, and no step to its neighbours


def tie_math(findings: Findings, reading: Reading, read_already: set[int] | None = None) -> None:
    """Turn each math statement into claims tied to the nearest derivation or tensor of the same names (the statements
    ``read_already``, by index, were about the prose's own functions)."""
    names = frozenset(name for name, _, _ in reading.bindings) | frozenset(name for name, _ in reading.leaves)
    for index, (line, where, text, source) in enumerate(findings.math):
        if read_already and index in read_already:
            continue
        try:
            chain, signs = read_chain(text, names)
        except RecursionError:  # a claim may hide in it: listed, never dropped
            findings.found.append(Found("formula", line, where, source, excerpt(text.strip(), 60), status=TOO_DEEP))
            continue
        except (TypeError, ValueError, IndexError, KeyError, AttributeError) as err:  # NOTE: a gap in the reader, never a crash
            findings.found.append(Found("formula", line, where, source, excerpt(text.strip(), 60),
                                        status=f"not checked: math the reader could not follow ({type(err).__name__})"))  # fmt: skip
            continue
        start = 0
        for end in [index for index, sign in enumerate(signs) if sign in (",", ";")] + [len(signs)]:  # `a = 1, b = 2`: two
            sides, relations = chain[start : end + 1], signs[start:end]
            start = end + 1
            cut = next((index for index, sign in enumerate(relations) if sign != "=" and sign not in APPROX), len(relations))
            _tie_chain(findings, reading, names, sides[: cut + 1], relations[:cut], line, where, source, text)


def _tie_chain(findings: Findings, reading: Reading, names: frozenset[str], sides: list, relations: list[str], line: int, where: str,
               source: str, text: str) -> None:  # fmt: skip
    """One chain of equal sides (up to the first other relation): its arithmetic steps and what its head claims."""
    if len(sides) < 2 or sides[0] is None:
        return
    sides = [_UNREAD if side is None else side for side in sides]  # a side not read is skipped; the others still claim
    rounded = chain_steps(findings, sides, relations, line, where, source)
    head = sides[0]
    if isinstance(head, Derivative) and not head.of and not head.second:
        return  # NOTE: an operator (d/dx) is not a claim about the code's gradient; a second derivative is listed as not tied
    if isinstance(head, Derivative):
        _derivative_claims(findings, reading, head, sides[1:], line, where, source, text, rounded)
    elif head[0] == "name" and head[2] is None and head[1] in names:
        _stated_value(findings, reading, head[1], sides[1:], line, where, source, text)
    elif head[0] == "at" and head[1][0] == "name":
        _value_at_point(findings, reading, head, sides[1:], line, where, source, text)


def chain_steps(findings: Findings, sides: list, relations: list[str], line: int, where: str, source: str, always: bool = False) -> dict[int, bool]:
    """Each two neighbouring sides that are both numbers (`2 \\cdot 3 = 6`, `\\cos(3^2) \\approx -0.91`) agree to one
    unit in the last decimal written (rounded or cut short); a step that does not is a failing claim of its own, and
    so is one that holds exactly where it is matrix arithmetic written out (or ``always``): the page's worked example.

    Returns the sides (by index) that are approximate numbers, never compared with the code as they are: True where
    an exact neighbour in the chain holds them, False where none does."""
    values = [_numeric(side) for side in sides]
    if sides and sides[0] == ("num", "e"):
        values[0] = None  # NOTE: `e = 0.6225 - 1` names an error e: a definition, not a claim about Euler's number
    approximate = {index: False for index in range(1, len(sides)) if relations[index - 1] in APPROX and values[index] is not None}
    for index in range(1, len(sides)):
        before, after = values[index - 1], values[index]
        if before is None or after is None or before.shape != after.shape:
            continue
        scale = 1e-9 * max(float(np.max(np.abs(before), initial=0)), float(np.max(np.abs(after), initial=0)), 1e-300)
        difference = np.abs(before - after)
        if np.all(difference <= scale) and not (always or before.ndim or after.ndim):
            continue
        if not np.all(difference <= scale) and np.all(difference <= _unit(sides[index - 1]) + _unit(sides[index]) + scale):
            rounded = index if _unit(sides[index]) or not _unit(sides[index - 1]) else index - 1
            approximate[rounded] = True  # a rounding of its exact neighbour: held by the step, not against the code
            continue
        step = f"{render(sides[index - 1])} {relations[index - 1].lstrip(chr(92))} {render(sides[index])}"
        left, right = (_as_shaped(sides[i], before.shape) for i in (index - 1, index))
        findings.found.append(Found("value", line, where, source, f"the step {step}", label="step", value_text=right,
                                    tensor=Tensor(CONST, line, where, value=left)))  # fmt: skip
    return approximate


def _as_shaped(side: object, shape: tuple[int, ...]) -> str:
    """A side's constant text in the shape compared (a product's column (2, 1) is written as the column (2,))."""
    from verifygrad.tutorials.constant import constant_array

    text = constant_text(side)
    value = constant_array(text)
    if value is None or value.shape == shape:
        return text
    return f"sum({text})" if shape == () else f"reshape({text}, {shape})"  # a 1 x 1 product is its one number


def _numeric(side: object) -> np.ndarray | None:
    """A side's value where it is arithmetic on numbers only (a list or matrix of them too)."""
    from verifygrad.tutorials.constant import constant_array

    if isinstance(side, Derivative) or side[0] == "at" or names_in(side):
        return None
    try:
        value = constant_array(constant_text(side))
    except MathError:
        return None
    return None if value is None else np.squeeze(value)  # a product's column (2, 1) is the column written (2,)


def _unit(side: object, finest: float | None = None) -> float:
    """One unit in the last decimal of a side written as a number (or a list of numbers); for arithmetic on numbers
    (`0.3874 - 0.1702 + 0.2`), how far the rounding of its most precise numbers (one unit each) may move it, the
    coarser ones (`0.2`) taken as exact; 0 for anything else."""
    if side[0] == "neg":
        return _unit(side[1], finest)
    if side[0] == "list":
        return max((_unit(item, finest) for item in side[1]), default=0.0)
    if side[0] == "num" and "." in side[1]:
        unit = 10.0 ** -len(side[1].partition(".")[2])
        return unit if finest is None or unit <= finest else 0.0
    if side[0] == "bin" and side[1] in ("+", "-", "*", "/"):
        finest = _finest(side) if finest is None else finest
        left, right = _unit(side[2], finest), _unit(side[3], finest)
        if side[1] in ("+", "-"):
            return left + right
        a, b = _numeric(side[2]), _numeric(side[3])
        if a is None or b is None or a.shape or b.shape:
            return 0.0
        a, b = abs(float(a)), abs(float(b))
        if side[1] == "*":
            return left * b + a * right
        return left / b + a * right / b**2 if b else 0.0
    return 0.0


def _finest(side: object) -> float:
    """The unit of the most decimals written in a side (1 where it has no decimal number)."""
    if side[0] == "num":
        return 10.0 ** -len(side[1].partition(".")[2]) if "." in side[1] else 1.0
    children = [item for item in (side[1] if side[0] == "list" else side[1:]) if isinstance(item, tuple)]
    return min((_finest(child) for child in children), default=1.0)


def _nearest(candidates: list, line: int, line_of) -> object | None:
    return min(candidates, key=lambda item: (abs(line_of(item) - line), -line_of(item)), default=None)


def _derivative_claims(findings: Findings, reading: Reading, head: Derivative, rest: list, line: int, where: str, source: str, text: str,
                       approximate: dict[int, bool]) -> None:  # fmt: skip
    if head.second:  # NOTE: ∂²f/∂x∂x = 2y is not a claim about the code's first derivative of f (a false FAIL there)
        findings.found.append(Found("formula", line, where, source, text.strip(), status="not tied: a second derivative, where the code takes first ones"))
        return
    wrt = head.wrt[:-4] if head.wrt.endswith("grad") and head.of.endswith("grad") else head.wrt  # `x.grad = 2` in a comment
    candidates = [d for d in reading.derivations if any(leaf.name == wrt for leaf in d.leaves)]
    matching = [d for d in candidates if head.of in (d.output_name, d.output.bound)]
    if not matching and len({id(d.output) for d in candidates}) == 1 and head.of not in {name for name, _, _ in reading.bindings} | reading.numbers:
        matching = candidates  # NOTE: one function differentiated, named otherwise in the prose; a name the code gives another tensor never ties
    unread = None
    if source == "comment":  # NOTE: a code comment is about the code around it: never a derivation in another block
        block = next((lines for lines in reading.code_lines if line in lines), range(line, line + 1))
        matching = [d for d in matching if d.line in block]
        unread = min((at for at in reading.unread_requests if at in block and at >= line), default=None)
    derivation = _nearest(matching, line, lambda d: d.line)
    skipped = derivation is not None and unread is not None and line <= unread < derivation.line
    if skipped or (derivation is None and unread is not None):
        derivation = None  # NOTE: the gradient below the comment was not read; the one after it is another
    for index, side in enumerate(rest, start=1):
        if isinstance(side, Derivative) or side[0] == "at" or approximate.get(index):
            continue
        found = Found("formula", line, where, source, text.strip())
        if index in approximate:  # NOTE: `\approx -5.46` is rounded or cut short: compared exactly, it would be a false FAIL
            found.status = f"not checked: {render(side)} is written as approximate, and no exact step beside it holds it"
            findings.found.append(found)
            continue
        if derivation is None:
            found.status = f"not tied: no backward() in the code differentiates with respect to {wrt}"
            if unread is not None:
                found.status = f"not tied: the code below it (line {unread}) was not read"
            findings.found.append(found)
            continue
        leaf = next(leaf for leaf in derivation.leaves if leaf.name == wrt)
        found.leaf, found.derivations, found.label = leaf, (derivation,), f"∂{derivation.output_name}/∂{wrt}"
        leaf_names = {item.name for item in derivation.leaves}
        used = names_in(side)
        try:
            written = render(side)
        except MathError:
            continue
        if used and used <= leaf_names:
            found.formula = written
            if head.at:
                continue  # a formula evaluated at a point: its value below is the claim
        elif not used:
            if head.at and not _point_matches(head.at, derivation):
                found.status = f"not tied: stated at {head.at}, not at the code's inputs"
            found.kind, found.value_text = "grad", _shaped_like(leaf, side)
            if found.value_text is None:
                found.status = f"not tied: {written} does not have as many elements as {wrt}"
            found.status = found.status or random_status(leaf, (derivation,))
        else:
            continue  # a step that names other quantities (a definition on the way): not a claim about the code
        findings.found.append(found)


def _shaped_like(leaf: Tensor, side: object) -> str | None:
    """The numbers of a side as a constant; a vector or matrix written in the math (`\\begin{bmatrix} 2 \\\\ 4
    \\end{bmatrix}`) in the input's shape: a column of two for an input of shape (2,) or (2, 1) alike; None where the
    numbers do not fill it."""
    from verifygrad.tutorials.constant import constant_array

    text = constant_text(side)
    values, shape = _numeric(side), getattr(constant_array(leaf.value), "shape", None)
    if values is None or shape is None or values.ndim == 0 or values.shape == shape:
        return text
    if values.size != int(np.prod(shape)):
        return None
    return f"tensor({values.reshape(shape).tolist()})"


def _point_matches(point: tuple[tuple[str, str], ...], derivation: Derivation) -> bool:
    from verifygrad.tutorials.constant import constant_array

    for name, value in point:
        leaf = next((leaf for leaf in derivation.leaves if leaf.name == name), None)
        array = constant_array(leaf.value) if leaf is not None else None
        if array is None or not np.all(array == constant_array(value)):
            return False
    return True


def _stated_value(findings: Findings, reading: Reading, name: str, rest: list, line: int, where: str, source: str, text: str) -> None:
    side = rest[-1]
    if isinstance(side, Derivative) or names_in(side):
        return
    named = {n for step in rest if isinstance(step, tuple) for n in names_in(step)}
    if name in named or f"d{name}" in named:  # NOTE: `x = 3 so dz/dx = 2x = 6` (one chain): its last number is dz/dx's, not x's
        return
    bound = [(n, tensor, at) for n, tensor, at in reading.bindings if n == name]
    before = [item for item in bound if item[2] <= line]
    following = next((lines for lines in reading.code_lines if lines.start > line), range(0))
    after = [item for item in bound if item[2] in following]
    # NOTE: `b = 4.2` in the prose, the data's true b, with the model's `b = zeros(1)` code blocks later: not that b
    nearest = max(before, key=lambda item: item[2]) if before else min(after, key=lambda item: item[2]) if after else None
    if nearest is None or nearest[1].kind != LEAF:
        return  # a name the code computes: its value is claimed by what the code prints
    written = render(side)
    found = Found("stated", line, where, source, text.strip(), tensor=nearest[1], value_text=written if side[0] != "list" else f"tensor({written})")
    found.label = name
    if nearest[1].unseeded:
        found.status = UNSEEDED
    if before and after and not any(line in lines for lines in reading.code_lines):  # a comment is about its own block
        # NOTE: `we'll use x = [0, 1, 2]` between `x = ones(3)` and the next block's `x = arange(3)`: either x is meant
        again = min(item[2] for item in after)
        found.status = f"not tied: {name} is bound again at line {again}, in the code right after the text: which {name} is meant is not known"
    findings.found.append(found)


def _value_at_point(findings: Findings, reading: Reading, head: tuple, rest: list, line: int, where: str, source: str, text: str) -> None:
    name, point = head[1][1], head[2]
    bound = [(n, tensor, at) for n, tensor, at in reading.bindings if n == name]
    nearest = _nearest(bound, line, lambda item: item[2])
    side = rest[-1]
    if nearest is None or isinstance(side, Derivative) or names_in(side):
        return
    tensor = nearest[1]
    fake = Derivation(tensor, name, None, line, where)
    fake.leaves = leaves_of(tensor)
    found = Found("value", line, where, source, text.strip(), tensor=tensor, value_text=render(side), label=name)
    if not _point_matches(point, fake):
        found.status = f"not tied: stated at {point}, not at the code's inputs"
    findings.found.append(found)
