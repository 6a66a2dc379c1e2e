"""The run as JSON: per case its verdict, every engine's arrays, errors, timings and claims."""

from __future__ import annotations

import dataclasses
import math
import platform
from importlib import metadata
from typing import Any

from verifygrad import __version__
from verifygrad.cases.schema import FORMULA_KINDS
from verifygrad.cases.second_order import describe
from verifygrad.errors import CaseError
from verifygrad.reports.text import verdict_line
from verifygrad.verdict.compare import Difference
from verifygrad.verdict.outcome import CaseOutcome
from verifygrad.verdict.slim import Excerpt

FORMAT_VERSION = 1


def versions() -> dict[str, str | None]:
    """Installed versions, read from package metadata so that torch and sympy are not imported."""
    found: dict[str, str | None] = {"verifygrad": __version__, "python": platform.python_version()}
    for package in ("numpy", "sympy", "torch"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def run_report(outcomes: list[CaseOutcome], load_errors: list[CaseError], exit_code: int, seconds: float) -> dict[str, Any]:
    counts = {verdict: sum(o.verdict == verdict for o in outcomes) for verdict in ("passed", "xfail", "failed", "skipped", "error")}
    return {
        "format": FORMAT_VERSION,
        "versions": versions(),
        "summary": {
            "cases": len(outcomes),
            **counts,
            "stand_in": sum(o.verdict == "passed" and bool(o.case.stand_in) for o in outcomes),
            "load_errors": len(load_errors),
            "exit_code": exit_code,
            "seconds": seconds,
        },
        "cases": [case_report(outcome) for outcome in outcomes],
        "load_errors": [{"file": e.path, "line": e.line, "case": e.case, "message": e.message} for e in load_errors],
    }


def case_report(outcome: CaseOutcome) -> dict[str, Any]:
    case = outcome.case
    reference = outcome.quantities[0].reference if outcome.quantities else None
    return {
        "file": case.path,
        "line": case.line,
        "name": case.name,
        "expression": case.expr,
        "verdict": outcome.verdict,
        "message": verdict_line(outcome),
        "reasons": outcome.reasons,
        "seconds": outcome.seconds,
        "dtype": outcome.problem.dtype if outcome.problem else case.dtype,
        "tolerance": {
            "rtol": outcome.rtol,
            "atol": outcome.atol,
            "quantities": {q.quantity: dataclasses.asdict(q.tolerance) for q in outcome.quantities if q.tolerance},
        },
        "reference": reference,
        "exact_reference": outcome.exact_reference,
        "engines": {name: _engine_report(outcome, name) for name in outcome.results},
        "claims": [
            {
                "kind": c.claim.kind,
                "quantity": c.claim.quantity,
                "claimed": _array(c.claim.claimed),
                "written": c.claim.written,
                "rule": c.claim.rule if c.claim.kind not in FORMULA_KINDS else "everywhere",
                "ok": c.ok,
                "text": c.text,
            }  # fmt: skip
            for q in outcome.quantities
            for c in q.claims
        ],
        "mutations": [
            {"quantity": m.quantity, "mutant": m.mutant, "element": list(m.element), "caught": m.caught, "detects": _number(m.detects)}
            for m in outcome.mutations
        ],
        "second_order": _second_order(outcome),
    }


def _second_order(outcome: CaseOutcome) -> dict[str, Any] | None:
    """The second-order and forward-mode quantities checked (their arrays are in each engine's grads), or None."""
    problem = outcome.problem
    if problem is None or problem.second is None:
        return None
    return {
        "quantities": {name: {"shape": list(shape), "what": describe(name)} for name, shape in problem.second_quantities.items()},
        "hessian_directions": None if problem.second.directions is None else {n: _array(v) for n, v in problem.second.directions.items()},
    }


def _engine_report(outcome: CaseOutcome, name: str) -> dict[str, Any]:
    result = outcome.results[name]
    return {
        "status": result.status,
        "reason": result.reason,
        "detail": result.detail,
        "seconds": result.seconds,
        "value": _array(result.value),
        "grads": {input_name: _array(grad) for input_name, grad in result.grads.items()},
        "formulas": result.formulas,
        "errors": {q.quantity: _difference(q.differences[name]) for q in outcome.quantities if name in q.differences},
    }


def _difference(difference: Difference) -> dict[str, Any]:
    return {
        "ok": difference.ok,
        "max_abs": _number(difference.max_abs),
        "max_rel": _number(difference.max_rel),
        "worst": list(difference.worst),
        "allowed": _number(difference.allowed),
        "max_ulp": _number(difference.max_ulp),
    }


def _array(array: Any) -> Any:
    """Nested lists of numbers; NaN and infinities as the strings "nan", "inf", "-inf" (JSON has none).

    A large array excerpted after its check (the default; ``--json-arrays full`` keeps every array whole)
    is written as its summary and its worst elements.
    """
    if array is None:
        return None
    if isinstance(array, Excerpt):
        return {
            "shape": list(array.shape),
            "min": _number(array.minimum),
            "max": _number(array.maximum),
            "sum": _number(array.total),
            "nans": array.nans,
            "elements": [{"index": list(index), "value": _number(value)} for index, value in array.elements.items()],
        }
    import numpy as np

    values = np.asarray(array, dtype=np.float64)
    return _nested(values.tolist())


def _nested(value: Any) -> Any:
    return [_nested(v) for v in value] if isinstance(value, list) else _number(value)


def _number(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


_NUMBER = {"anyOf": [{"type": "number"}, {"enum": ["nan", "inf", "-inf"]}]}
_ARRAY = {"anyOf": [{"$ref": "#/$defs/nested"}, {"$ref": "#/$defs/excerpt"}, {"type": "null"}]}
_VERDICTS = ["passed", "xfail", "failed", "skipped", "error"]

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "verifygrad run report",
    "type": "object",
    "required": ["format", "versions", "summary", "cases", "load_errors"],
    "additionalProperties": False,
    "$defs": {
        "number": _NUMBER,
        "nested": {"anyOf": [{"$ref": "#/$defs/number"}, {"type": "array", "items": {"$ref": "#/$defs/nested"}}]},
        "excerpt": {
            "type": "object",
            "description": "An array of over 1000 elements (unless --json-arrays full): its summary and its worst elements.",
            "required": ["shape", "min", "max", "sum", "nans", "elements"],
            "additionalProperties": False,
            "properties": {
                "shape": {"type": "array", "items": {"type": "integer"}},
                "min": {"$ref": "#/$defs/number"},
                "max": {"$ref": "#/$defs/number"},
                "sum": {"$ref": "#/$defs/number"},
                "nans": {"type": "integer"},
                "elements": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["index", "value"],
                        "properties": {"index": {"type": "array", "items": {"type": "integer"}}, "value": {"$ref": "#/$defs/number"}},
                    },
                },
            },
        },
        "difference": {
            "type": "object",
            "required": ["ok", "max_abs", "max_rel", "worst", "allowed", "max_ulp"],
            "additionalProperties": False,
            "properties": {
                "ok": {"type": "boolean"},
                "max_abs": {"$ref": "#/$defs/number"},
                "max_rel": {"$ref": "#/$defs/number"},
                "worst": {"type": "array", "items": {"type": "integer"}, "description": "Index of the worst element."},
                "allowed": {"$ref": "#/$defs/number", "description": "atol + rtol*|reference| at the worst element."},
                "max_ulp": {"$ref": "#/$defs/number", "description": "Largest error in units in the last place of the case's dtype."},
            },
        },
        "engine": {
            "type": "object",
            "required": ["status", "reason", "detail", "seconds", "value", "grads", "formulas", "errors"],
            "additionalProperties": False,
            "properties": {
                "status": {"enum": ["ok", "skipped", "error"]},
                "reason": {"type": "string", "description": "Why it was skipped or failed."},
                "detail": {"type": "string", "description": "How it ran: the device, the symbolic route."},
                "seconds": {"type": "number"},
                "value": _ARRAY,
                "grads": {"type": "object", "additionalProperties": _ARRAY},
                "formulas": {"type": "object", "additionalProperties": {"type": "string"}},
                "errors": {
                    "type": "object",
                    "description": "Against the reference engine, per quantity: 'value' or an input's name.",
                    "additionalProperties": {"$ref": "#/$defs/difference"},
                },
            },
        },
        "case": {
            "type": "object",
            "required": [
                "file",
                "line",
                "name",
                "expression",
                "verdict",
                "message",
                "reasons",
                "seconds",
                "dtype",
                "tolerance",
                "reference",
                "exact_reference",
                "engines",
                "claims",
                "mutations",
                "second_order",
            ],  # fmt: skip
            "additionalProperties": False,
            "properties": {
                "file": {"type": "string"},
                "line": {"type": "integer"},
                "name": {"type": "string"},
                "expression": {"type": "string"},
                "verdict": {"enum": _VERDICTS},
                "message": {"type": "string", "description": "The one-line verdict."},
                "reasons": {"type": "array", "items": {"type": "string"}},
                "seconds": {"type": "number"},
                "dtype": {"enum": ["float64", "float32"]},
                "tolerance": {
                    "type": "object",
                    "required": ["rtol", "atol"],
                    "description": "The loosest over the quantities; per quantity, with where it came from, under 'quantities'.",
                    "properties": {
                        "rtol": {"type": "number"},
                        "atol": {"type": "number"},
                        "quantities": {
                            "type": "object",
                            "additionalProperties": {
                                "type": "object",
                                "required": ["rtol", "atol", "source"],
                                "properties": {
                                    "rtol": {"type": "number"},
                                    "atol": {"type": "number"},
                                    "source": {"type": "string", "description": "budget, case, command line, or two joined by +."},
                                },
                            },
                        },
                    },
                },
                "reference": {"type": ["string", "null"], "description": "The engine the others are compared with."},
                "exact_reference": {"type": "boolean", "description": "false: the verdict is by agreement only (no 30-digit reference)."},
                "engines": {"type": "object", "additionalProperties": {"$ref": "#/$defs/engine"}},
                "claims": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind", "quantity", "claimed", "written", "rule", "ok", "text"],
                        "additionalProperties": False,
                        "properties": {
                            "kind": {
                                "enum": [
                                    "value",
                                    "grad",
                                    "formula",
                                    "hessian",
                                    "hessian_formula",
                                    "jacobian",
                                    "jacobian_formula",
                                    "jvp",
                                    "jvp_formula",
                                    "values",
                                    "order",
                                ]
                            },
                            "quantity": {"type": "string"},
                            "claimed": _ARRAY,
                            "written": {"type": "string", "description": "The claim as written in the case file: 0.5000, [1.50, 2], x/2."},
                            "rule": {"type": "string", "description": "What it was held to: exactly, to the 4 decimals written, everywhere (formulas)."},
                            "ok": {"type": ["boolean", "null"], "description": "null: could not be checked."},
                            "text": {"type": "string"},
                        },
                    },
                },
                "second_order": {
                    "description": "Hessian (H[x,y], or Hv[x] along hessian_directions), Jacobian (J[x]) and JVP (Jv) quantities; null if none.",
                    "anyOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "required": ["quantities", "hessian_directions"],
                            "additionalProperties": False,
                            "properties": {
                                "quantities": {"type": "object"},
                                "hessian_directions": {"anyOf": [{"type": "null"}, {"type": "object", "additionalProperties": {"$ref": "#/$defs/nested"}}]},
                            },
                        },
                    ],
                },
                "mutations": {
                    "type": "array",
                    "description": "Negative controls (--mutate): mutants of the reference and whether the comparison caught each.",
                    "items": {
                        "type": "object",
                        "required": ["quantity", "mutant", "element", "caught", "detects"],
                        "additionalProperties": False,
                        "properties": {
                            "quantity": {"type": "string", "description": "'value' or an input's name."},
                            "mutant": {"type": "string"},
                            "element": {"type": "array", "items": {"type": "integer"}},
                            "caught": {"type": "boolean"},
                            "detects": {"$ref": "#/$defs/number", "description": "Smallest relative error flagged at that element."},
                        },
                    },
                },
            },
        },
    },
    "properties": {
        "tutorials": {
            "type": "array",
            "items": {"type": "object", "required": ["file", "format", "checkable", "found", "cases", "not_checked", "not_read"]},
            "description": "`verifygrad check` only: per tutorial: its cases with each claim's line and source, the claims not checked, what was not read.",
        },
        "format": {"const": FORMAT_VERSION},
        "versions": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
        "summary": {
            "type": "object",
            "required": ["cases", *_VERDICTS, "load_errors", "exit_code", "seconds"],
            "additionalProperties": False,
            "properties": {
                "cases": {"type": "integer"},
                **{verdict: {"type": "integer"} for verdict in _VERDICTS},
                "stand_in": {"type": "integer", "description": "Of the passed, those checked at stand-in inputs (unseeded random values)."},
                "load_errors": {"type": "integer"},
                "exit_code": {"enum": [0, 1, 2, 5, 130, 143], "description": "5: `check`: nothing checkable; 130: SIGINT, 143: SIGTERM."},
                "seconds": {"type": "number"},
            },
        },
        "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}},
        "load_errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "line", "case", "message"],
                "additionalProperties": False,
                "properties": {
                    "file": {"type": "string"},
                    "line": {"type": ["integer", "null"]},
                    "case": {"type": ["string", "null"], "description": "The name of the case it is in, where the loader knows it."},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
