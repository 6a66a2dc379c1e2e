"""Fuzzing: whatever the text, the parser and loader return a result or a verifygrad error with a message."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import any_text, fuzz_settings, mutated_case_file, token_text, yaml_document
from verifygrad.cases.load import load_file
from verifygrad.cases.problem import Overrides, tensor_value
from verifygrad.errors import CaseError
from verifygrad.language.parse import ExprError, parse
from verifygrad.language.statements import compile_program
from verifygrad.verdict.judge import check_case

INPUT_SHAPES = {"x": (2, 3), "y": (3,), "z": (), "W": (3, 3), "v": (3,), "a": (2,)}
NUMERIC = Overrides(engines=("numpy", "torch"))  # SymPy is covered by the differential tests; here speed matters


def parse_or_error(text: str) -> None:
    """Parse, take shapes, evaluate as a constant: each step ends in a value or an ExprError with a message."""
    try:
        program = parse(text)
        program.shapes(INPUT_SHAPES)
    except ExprError as err:
        assert str(err).strip()
    try:
        tensor_value(text, "the value")
    except ExprError as err:
        assert str(err).strip()
    except ValueError as err:  # ConstantError is a ValueError; nothing else may escape
        assert type(err).__name__ == "ConstantError" and str(err).strip()


@fuzz_settings(300)
@given(any_text)
def test_parser_on_arbitrary_text(text: str) -> None:
    parse_or_error(text)


@fuzz_settings(400)
@given(token_text)
def test_parser_on_token_sequences(text: str) -> None:
    parse_or_error(text)


def load_and_check(text: str) -> None:
    """Load a case file and check each case: only CaseErrors and verdicts come out, never an exception."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        cases, errors = load_file(path)
    for error in errors:
        assert isinstance(error, CaseError) and error.message.strip() and str(error).startswith(str(path))
    for case in cases:
        outcome = check_case(case, NUMERIC)
        assert all(reason.strip() for reason in outcome.reasons)
        assert_verdict_follows_from_findings(outcome)


def assert_verdict_follows_from_findings(outcome) -> None:
    """The verdict is what the findings say: a pass has no mismatch, wrong claim or unverified quantity; a fail has one."""
    off = any(q.mismatches for q in outcome.quantities)
    wrong = any(c.ok is False for q in outcome.quantities for c in q.claims)
    unverified = any(q.unverified and (q.quantity != "value" or q.claims) for q in outcome.quantities)
    strict = any(r.startswith("subgradient: strict") for r in outcome.reasons)
    if outcome.verdict == "passed":
        assert not (off or wrong or unverified or strict), outcome.reasons
        assert len([r for r in outcome.results.values() if r.ok]) >= 2, outcome.reasons
    elif outcome.verdict == "failed":
        assert off or wrong or strict or outcome.case.expect_mismatch is not None, outcome.reasons
    elif outcome.verdict == "xfail":
        assert outcome.case.expect_mismatch is not None and (wrong or strict) and not off, outcome.reasons
    elif outcome.verdict == "error":
        assert not outcome.reasons[0].startswith("internal error"), outcome.reasons  # a bug of verifygrad, not the case's
    else:
        assert outcome.verdict == "skipped" and not off, outcome.reasons


@fuzz_settings(150)
@given(yaml_document)
def test_loader_on_random_documents(document: dict) -> None:
    load_and_check(yaml.safe_dump(document, allow_unicode=True))


@fuzz_settings(100)
@given(mutated_case_file())
def test_loader_on_mutated_bundled_cases(text: str) -> None:
    load_and_check(text)


STATEMENT_STARTS = [
    "y = ", "y += ", "y *= ", "a, y = ", "y.add_(", "y.exp_()", "for i in range(3):\n    y = ", "while ", "if ", "else:\n    y = ",
    "def f(q):\n    return ", "y = f(", "with torch.no_grad():\n    y = ", "import ", "y.backward()", "print(", "return ",
    "y = y.detach() * ", "y = x if ", " > ", " < 0 else ", "out = ", "e = ", "exp = ", "y[0] = ", "y.data = ",
]  # fmt: skip
program_text = st.lists(st.tuples(st.sampled_from(STATEMENT_STARTS), token_text), min_size=1, max_size=6).map(
    lambda lines: "\n".join(start + tokens for start, tokens in lines)
)


@fuzz_settings(300)
@given(program_text)
def test_program_compiler_on_statement_sequences(text: str) -> None:
    """Whatever the statements, the compiler gives a program or an ExprError with a message, never another exception."""
    inputs = {name: np.full(shape, 0.5) for name, shape in INPUT_SHAPES.items()}
    try:
        program = compile_program(text, inputs)
        program.shapes(INPUT_SHAPES)
    except ExprError as err:
        assert str(err).strip()
