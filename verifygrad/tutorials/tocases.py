"""Derivations and the claims tied to them, written as verifygrad cases (mappings as a case file holds them)."""

from __future__ import annotations

import ast
import copy
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verifygrad.cases.schema import FORMULA_KINDS
from verifygrad.cases.second_order import JACOBIAN_MAX_ELEMENTS
from verifygrad.language.constants import CONSTRUCTORS
from verifygrad.language.parse import FUNCTIONS, NAMED_CONSTANTS, ExprError
from verifygrad.language.statements import NeedsValues, compile_program
from verifygrad.tutorials.constant import constant_array
from verifygrad.tutorials.dependence import derivative_depends
from verifygrad.tutorials.findings import UNSEEDED, Found, random_text
from verifygrad.tutorials.interpret import Derivation, Reading
from verifygrad.tutorials.values import COMPUTED, CONST, LEAF, Tensor, _Substitute, computed_of, leaves_of

# NOTE: an input named like a function or constant of the language would be read as that function; such leaves are renamed.
_RESERVED = set(FUNCTIONS) | set(CONSTRUCTORS) | set(NAMED_CONSTANTS)


@dataclass
class Draft:
    """One case being written, and the claims (with where they were found) that went into it."""

    mapping: dict[str, Any]
    line: int
    kind: str  # "derivation", "accumulated", "value" or "stated"
    names: dict[int, str]  # leaf id -> input name
    claims: list[tuple[str, str, Found]] = field(default_factory=list)  # (claim kind, quantity, found)
    about: str = ""  # what the case checks, in words

    @property
    def name(self) -> str:
        return self.mapping["name"]


def input_names(leaves: list[Tensor]) -> dict[int, str]:
    names: dict[int, str] = {}
    for leaf in leaves:
        base = leaf.name or "x"
        base = f"{base}_input" if base in _RESERVED else base
        name, suffix = base, 2
        while name in names.values():
            name, suffix = f"{base}_{suffix}", suffix + 1
        names[id(leaf)] = name
    return names


def program_of(outputs: list[Tensor], names: dict[int, str]) -> tuple[list[str], list[str]]:
    """The statements that compute the outputs, one per tensor the code named, with the code's names
    (``names`` gains each statement's variable); and each output as the program writes it."""
    lines: list[str] = []
    inline: dict[int, ast.expr] = {}
    for tensor in computed_of(outputs):
        lines += [source for source in tensor.defs if source not in lines]  # the tutorial's functions, before their first call
        parts = {f"_ref{index}": _written(ref, names, inline) for index, ref in enumerate(tensor.refs)}
        expression = _Substitute(parts).visit(copy.deepcopy(tensor.tree))
        if not tensor.bound and not tensor.retained and tensor not in outputs:
            inline[id(tensor)] = expression  # a step the code did not name: written inside the statement that uses it
            continue
        base = tensor.bound if tensor.bound and tensor.bound not in _RESERVED else "out"
        name, suffix = base, 2
        while name in names.values():
            name, suffix = f"{base}_{suffix}", suffix + 1
        names[id(tensor)] = name
        lines.append(f"{name} = {ast.unparse(expression)}")
    return lines, [names[id(output)] for output in outputs]


def _written(tensor: Tensor, names: dict[int, str], inline: dict[int, ast.expr]) -> ast.expr:
    if id(tensor) in names:
        return ast.Name(names[id(tensor)], ast.Load())
    if id(tensor) in inline:
        return copy.deepcopy(inline[id(tensor)])
    return ast.parse(tensor.value, mode="eval").body  # a constant, written out


def drafts_for(reading: Reading, found: list[Found], path: str, label: str, not_read: list[tuple[int, str]]) -> list[Draft]:
    """A case per derivation (with its printed value, intermediates, gradients and formulas), per accumulated .grad,
    per other printed tensor, and per value the prose states."""
    drafts: list[Draft] = []
    taken: set[int] = set()
    built: list[tuple[Derivation, Draft, list[Draft]]] = []
    passes: dict[str, int] = {}  # case name -> the derivations so far that would have it
    for item in found:
        if item.status == UNSEEDED and _beyond_random(item):
            item.status = ""  # the derivative is the same whatever the random values: compared at the stand-in ones
    for derivation in reading.derivations:
        failing = next((item for item in found if item.values is not None and not np.all(np.isfinite(item.values))
                        and (derivation in item.derivations or item.tensor is derivation.output)), None)  # fmt: skip
        if failing is not None:  # NOTE: the tutorial shows floating point failing here (an overflow it then fixes)
            entry = (derivation.line, f"{derivation.output_name}: not checked: at these inputs the tutorial prints a value that is not "
                                      f"finite (line {failing.line}): floating point fails here, which is what it shows")  # fmt: skip
            if entry not in not_read:
                not_read.append(entry)
            continue
        draft = _derivation_draft(derivation, path, label)
        passes[draft.name] = passes.get(draft.name, 0) + 1
        if passes[draft.name] > 1:  # NOTE: a derivation inside a loop is made once a pass, at the same line: each case is named apart
            draft.mapping["name"] = f"{draft.name}-pass{passes[draft.name]}"
        if draft.mapping["dtype"] == "float32" and _overflows_in_float32(draft):
            if not derivation.custom:  # NOTE: the page shows floating point breaking down (a naive softplus at 100), not a derivative
                entry = (derivation.line, f"{derivation.output_name}: not checked: at these inputs the float32 function overflows "
                                          "(its value is not finite): floating point fails here, which is what the page shows")  # fmt: skip
                if entry not in not_read:
                    not_read.append(entry)
                for item in found:
                    if derivation in item.derivations or item.tensor is derivation.output:
                        item.status = item.status or f"not checked: the float32 function overflows at line {derivation.line}"
                continue
            # NOTE: the rule is there because the float32 primal overflows (log(1 + exp(100))): its claim is about the math
            draft.mapping["dtype"] = "float64"
            draft.mapping["description"] += " (in float64: the float32 function overflows here)"
        if _invalid(draft, not_read, derivation.line, derivation.output_name):
            for item in found:
                if derivation in item.derivations or item.tensor is derivation.output:
                    item.status = item.status or f"not checked: the derivation at line {derivation.line} was not read"
            continue
        built.append((derivation, draft, []))
    for index, item in enumerate(found):
        if item.status:
            continue
        for derivation, draft, extras in built:
            if item.kind == "value" and item.tensor is derivation.output:
                _add(draft, extras, "value", "value", item)
            elif item.kind in ("grad", "jacobian", "hessian", "jvp", "order", *FORMULA_KINDS) and item.derivations == (derivation,):
                quantity = draft.names[id(item.leaf)]
                if item.kind == "hessian_formula" and item.second is not item.leaf:
                    quantity = f"{quantity},{draft.names[id(item.second)]}"  # a mixed second derivative: its block of the Hessian
                _add(draft, extras, item.kind, quantity, item)
            else:
                continue
            taken.add(index)
            break
        else:
            holders = [(derivation, draft, extras) for derivation, draft, extras in built if item.kind == "value" and item.tensor is not None
                       and item.tensor.kind == COMPUTED and id(item.tensor) in draft.names]  # fmt: skip
            if holders:  # an intermediate the derivation computes: a claim on its value
                derivation, draft, extras = min(holders, key=lambda held: abs(held[0].line - item.line))
                _add(draft, extras, "values", draft.names[id(item.tensor)], item)
                taken.add(index)
    for _, draft, extras in built:
        drafts += [draft, *extras]
    accumulated: dict[tuple[int, ...], Draft] = {}
    for index, item in enumerate(found):
        if item.status or index in taken:
            continue
        if item.kind == "grad" and len(item.derivations) > 1:
            key = tuple(id(d) for d in item.derivations)
            if key not in accumulated:
                accumulated[key] = _accumulated_draft(item.derivations, path, label, item.line)
                drafts.append(accumulated[key])
            extras = []
            _add(accumulated[key], extras, "grad", accumulated[key].names[id(item.leaf)], item)
            drafts += extras
        elif item.kind in ("value", "stated") and item.tensor is not None:
            draft = _value_draft(item, path, label)
            if _invalid(draft, not_read, item.line, item.label):
                item.status = "not checked: the code making this value is outside the language"
                continue
            _add(draft, [], "value", "value", item)
            drafts.append(draft)
    _named_apart(drafts)
    return drafts


def _named_apart(drafts: list[Draft]) -> None:
    """Two cases of one name (two steps of arithmetic on one line): the later ones are numbered, `#2`, `#3`.

    NOTE: results are reported by case name: two of one name would report one's verdict for the other's claims."""
    taken = {draft.name for draft in drafts}
    seen: set[str] = set()
    for draft in drafts:
        name = draft.name
        if name in seen:
            number = 2
            while f"{name}#{number}" in taken:
                number += 1
            draft.mapping["name"] = f"{name}#{number}"
            taken.add(draft.name)
        seen.add(draft.name)


def _beyond_random(item: Found) -> bool:
    """Whether a claimed derivative is the same whatever the unseeded random values are: no VJP on its paths reads a
    value they reach (the random inputs and constants become inputs of a program read for that, never run)."""
    if item.kind not in ("grad", "jacobian", "hessian") or item.leaf is None or not item.derivations:
        return False
    for derivation in item.derivations:
        if random_text(derivation.grad_output) or any(map(random_text, derivation.jvp.values())) or item.leaf not in derivation.leaves:
            return False
        names = input_names(derivation.leaves)
        randoms = [ref for tensor in computed_of([derivation.output]) for ref in tensor.refs if ref.kind == CONST and ref.unseeded]
        for ref in randoms:
            names[id(ref)] = next(name for number in itertools.count() if (name := f"random_{number}") not in names.values())
        unknown = {names[id(leaf)] for leaf in derivation.leaves if leaf.unseeded} | {names[id(ref)] for ref in randoms}
        values = {names[id(t)]: constant_array(t.value) for t in [*derivation.leaves, *randoms]}
        statements, (output,) = program_of([derivation.output], dict(names))
        try:
            program = compile_program("\n".join(statements) + "\n", values if all(v is not None for v in values.values()) else list(values),
                                      output=output)  # fmt: skip
        except (ExprError, NeedsValues):
            return False
        if derivative_depends(program, names[id(item.leaf)], unknown):
            return False
    return True


def _base(expr: str, leaves: list[Tensor], names: dict[int, str], name: str, line: int, path: str, grad_output: Any) -> dict[str, Any]:
    mapping: dict[str, Any] = {
        "name": name,
        "expr": expr,
        "inputs": {names[id(leaf)]: leaf.value for leaf in leaves},
        "dtype": "float64" if any(leaf.dtype == "float64" for leaf in leaves) else "float32",
        "source": f"{path}:{line}",
    }
    stand_ins = [names[id(leaf)] for leaf in leaves if leaf.unseeded]
    if stand_ins:
        mapping["stand_in"] = stand_ins
    if grad_output is not None:
        mapping["grad_output"] = grad_output
    devices = {leaf.device for leaf in leaves}
    mapping["device"] = "cuda" if "cuda" in devices else ("auto" if "auto" in devices else "cpu")
    return mapping


def _derivation_draft(derivation: Derivation, path: str, label: str) -> Draft:
    leaves = derivation.leaves
    names = input_names(leaves)
    lines, (output,) = program_of([derivation.output], names)
    retained = [names[id(t)] for t in computed_of([derivation.output]) if t.retained]
    name = f"{label}:{derivation.line}:{re.sub(r'[^A-Za-z0-9_.]+', '_', derivation.output_name).strip('_')}"
    if derivation.quantity != "grad":  # NOTE: grad(f)(x) and grad(grad(f))(x) on one line are two cases, named apart
        name += f"-{derivation.quantity}{derivation.order or ''}"
    # NOTE: backward() with no argument also works on a one-element tensor (old tutorials' "scalars" have shape 1)
    text = _program_text(lines, output) if not retained else "\n".join(lines) + "\n"  # NOTE: a retained output is named by its statement
    mapping = _base(text, leaves, names, name, derivation.line, path, derivation.grad_output or 1)
    if retained:
        mapping["wrt"] = [*mapping["inputs"], *retained]
    if derivation.quantity in ("jacobian", "hessian"):
        mapping[derivation.quantity] = True
    if derivation.quantity == "order":
        mapping["order"] = derivation.order
    if derivation.quantity == "jvp":  # forward mode: the tangent of each input it was pushed along
        mapping["jvp"] = {names[id(leaf)]: derivation.jvp[id(leaf)] for leaf in leaves if id(leaf) in derivation.jvp}
    asked = f"{derivation.output_name}.backward()" if derivation.quantity == "grad" and "(" not in derivation.output_name else derivation.output_name
    if derivation.quantity != "grad":
        asked = f"the {derivation.quantity} of {derivation.output_name}"
    if derivation.quantity == "order":
        asked = f"the derivative of order {derivation.order} of {derivation.output_name}"
    mapping["description"] = f"{asked} at {derivation.where}"
    return Draft(mapping, derivation.line, "derivation", names, about=asked)


def _program_text(lines: list[str], output: str) -> str:
    """The statements, the last naming the output; a program of one statement is written as its expression."""
    if len(lines) == 1:
        return lines[0].split(" = ", 1)[1]
    return "\n".join(lines) + "\n"


def _accumulated_draft(derivations: tuple[Derivation, ...], path: str, label: str, line: int) -> Draft:
    """`.grad` after several backward() calls: the gradient of the sum of each output times the gradient handed to it."""
    leaves: list[Tensor] = []
    for derivation in derivations:
        leaves += [leaf for leaf in derivation.leaves if leaf not in leaves]
    names = input_names(leaves)
    lines, outputs = program_of([d.output for d in derivations], names)
    # NOTE: backward() without a gradient on a non-scalar sums it (MXNet; torch refuses): sum() keeps a scalar as it is
    terms = [f"sum({output} * ({d.grad_output}))" if d.grad_output else f"sum({output})" for d, output in zip(derivations, outputs)]
    at = ", ".join(str(d.line) for d in derivations)
    text = "\n".join([*lines, " + ".join(terms)]) + "\n"
    mapping = _base(text, leaves, names, f"{label}:{line}:grad-after-{len(derivations)}-backward", line, path, None)
    mapping["description"] = f".grad accumulated over the backward() calls at lines {at}"
    return Draft(mapping, line, "accumulated", names, about=f".grad accumulated over backward() at lines {at}")


def _value_draft(item: Found, path: str, label: str) -> Draft:
    tensor = item.tensor
    leaves = leaves_of(tensor)
    if not leaves:  # a constant: checked as an input shown unchanged
        stand_in = Tensor(LEAF, tensor.line, tensor.where, name=item.label if item.label.isidentifier() else "shown", value=tensor.value,
                          dtype=tensor.dtype, device=tensor.device)  # fmt: skip
        leaves, tensor = [stand_in], stand_in
    names = input_names(leaves)
    if tensor.kind == COMPUTED:
        lines, (output,) = program_of([tensor], names)
        expr = _program_text(lines, output)
    else:
        expr = names[id(tensor)]
    kind = "stated" if item.kind == "stated" else "value"
    name = f"{label}:{item.line}:{kind}-{re.sub(r'[^A-Za-z0-9_.]+', '_', item.label).strip('_') or 'value'}"
    mapping = _base(expr, leaves, names, name, item.line, path, 1)
    mapping["description"] = f"{'stated' if kind == 'stated' else 'shown'} value of {item.label} at {item.where}"
    return Draft(mapping, item.line, kind, names, about=f"the value of {item.label}")


def _invalid(draft: Draft, not_read: list[tuple[int, str]], line: int, label: str) -> bool:
    """Whether the case's expression is outside verifygrad's language (then it is listed as not read)."""
    values = {name: constant_array(text) if isinstance(text, str) else np.asarray(text, dtype=np.float64) for name, text in draft.mapping["inputs"].items()}
    known = all(v is not None for v in values.values())
    try:
        program = compile_program(draft.mapping["expr"], values if known else list(values))
        beyond = _beyond_second_order(draft.mapping, program, values) if known else None
    except NeedsValues:
        return False  # in the language; what it computes depends on the inputs' values or shapes, which the case has
    except ExprError as err:
        message = re.sub(r"; known (functions|methods): .*", "", str(err))  # the language's whole vocabulary is not a reason
        entry = (line, f"{label}: {message} in {draft.mapping['expr'][:80]}".replace("\n", "; "))
        if entry not in not_read:
            not_read.append(entry)
        return True
    if beyond is not None:
        entry = (line, f"{label}: not checked: {beyond}")
        if entry not in not_read:
            not_read.append(entry)
        return True
    return False


def _beyond_second_order(mapping: dict[str, Any], program: Any, values: dict[str, np.ndarray]) -> str | None:
    """Why a Hessian or Jacobian the tutorial asks for is not a quantity a case checks, or None."""
    if not (mapping.get("hessian") or mapping.get("jacobian") or mapping.get("order")):
        return None
    output = program.shapes({name: value.shape for name, value in values.items()})[-1]
    if mapping.get("order") and (output != () or any(value.size != 1 for value in values.values())):
        return f"a derivative of order {mapping['order']} of a function of several elements (only one number of one number is checked)"
    if mapping.get("hessian") and output != ():
        return f"the function's value has shape {tuple(output)}, not one number (its Hessian is a tensor of third order)"
    size = int(np.prod(output)) * sum(value.size for value in values.values())
    if mapping.get("jacobian") and size > JACOBIAN_MAX_ELEMENTS:
        return f"the Jacobian would hold {size} elements (at most {JACOBIAN_MAX_ELEMENTS} are checked)"
    return None


def _overflows_in_float32(draft: Draft) -> bool:
    """Whether the case's value is finite in float64 but not in float32 at its inputs."""
    from verifygrad.language.evaluate import program_value

    values = {name: constant_array(text) if isinstance(text, str) else None for name, text in draft.mapping["inputs"].items()}
    if any(value is None for value in values.values()):
        return False
    try:
        program = compile_program(draft.mapping["expr"], values)
        wide = program_value(program, values)
        narrow = program_value(program, {name: value.astype(np.float32) for name, value in values.items()}, np.float32)
    except (ExprError, ValueError, TypeError, ArithmeticError):
        return False
    return bool(np.all(np.isfinite(wide)) and not np.all(np.isfinite(narrow)))


def _add(draft: Draft, extras: list[Draft], kind: str, quantity: str, item: Found) -> None:
    """Put a claim into the case; a second, different claim on the same quantity gets a copy of the case of its own."""
    for existing_kind, existing_quantity, existing in draft.claims:
        if (existing_kind, existing_quantity) == (kind, quantity):
            if _same(existing, item):
                draft.claims.append((kind, quantity, item))
                return
            extra = Draft({**draft.mapping, "name": f"{draft.name}#{len(extras) + 2}"}, draft.line, draft.kind, draft.names, about=draft.about)
            extra.mapping.pop("expect", None)
            extras.append(extra)
            _add(extra, [], kind, quantity, item)
            return
    expect = draft.mapping.setdefault("expect", {})
    if kind == "values":
        expect.setdefault("values", {})[quantity] = _claimed(item)
    elif kind in ("value", "jvp"):  # one tensor each, not one per input
        expect[kind] = _claimed(item)
    elif kind == "jvp_formula":
        expect[kind] = _renamed(item.formula or "", draft.names, item)
    else:
        claimed = item.formula if kind in FORMULA_KINDS else _claimed(item)
        if kind == "grad" and item.leaf is not None and np.ndim(constant_array(item.leaf.value)) == 0:
            claimed = _one_element(claimed)  # old Paddle prints a scalar's gradient as `[5.]`
        point = constant_array(item.leaf.value) if kind == "hessian" and item.leaf is not None else None
        if point is not None and point.size == 1 and point.ndim:  # NOTE: the gradient of `x.grad` for x = tensor([5.]): H[x,x] is 1 x 1
            claimed = _one_element(claimed)
            for _ in range(2 * point.ndim):
                claimed = [claimed]
        expect.setdefault(kind, {})[quantity] = claimed
    if kind in FORMULA_KINDS and kind != "jvp_formula":
        expect[kind][quantity] = _renamed(item.formula or "", draft.names, item)
    if item.rtol:
        tolerance = draft.mapping.setdefault("tolerance", {})
        tolerance["rtol"] = max(tolerance.get("rtol", 0.0), item.rtol)
    draft.claims.append((kind, quantity, item))


def _one_element(claimed: Any) -> Any:
    """A claim of one element written in brackets (`[5.]`), unwrapped: a scalar's gradient printed as shape 1."""
    while isinstance(claimed, list) and len(claimed) == 1:
        claimed = claimed[0]
    return claimed


def _claimed(item: Found) -> Any:
    """The numbers as printed (their text kept: 0.5000 is a claim to ±5e-5), or a constant expression."""
    if item.written is not None:
        return item.written
    if item.values is not None:
        return item.values.tolist()
    return item.value_text


def _same(first: Found, second: Found) -> bool:
    """Two claims that say the same thing (`2*3`, `6` and a printed `6`) are checked once."""
    if first.formula is not None or second.formula is not None:
        return first.formula == second.formula
    values = [item.values if item.values is not None else constant_array(item.value_text or "") for item in (first, second)]
    if values[0] is None or values[1] is None:
        return False
    try:
        return bool(np.array_equal(*np.broadcast_arrays(values[0], values[1])))
    except ValueError:
        return False


def _renamed(formula: str, names: dict[int, str], item: Found) -> str:
    """The formula with the tutorial's names replaced by the case's input names where they differ."""
    leaves = item.derivations[0].leaves if item.derivations else []
    mapping = {leaf.name: names[id(leaf)] for leaf in leaves if id(leaf) in names and leaf.name != names[id(leaf)]}
    if not mapping:
        return formula
    return re.sub(r"[A-Za-z_]\w*", lambda match: mapping.get(match.group(0), match.group(0)), formula)
