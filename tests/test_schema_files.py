"""`verifygrad schema`: every case file in the repo validates against it, and a typo fails it and the loader alike."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from verifygrad.cases.load import load_file
from verifygrad.frontends.cli import main

REPO = Path(__file__).resolve().parents[1]
CASE_FILES = sorted(p for folder in ("cases", "tests") for p in (REPO / folder).rglob("*") if p.suffix in (".yaml", ".yml"))
# Test fixtures that are invalid on purpose say so in their name.
VALID_FILES = [p for p in CASE_FILES if not any(word in p.name for word in ("invalid", "bad", "broken"))]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_there_are_bundled_case_files():
    assert any(p.is_relative_to(REPO / "cases") for p in VALID_FILES)


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_case_file_validates_against_the_printed_schema(path: Path, validator):
    validator.validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert load_file(path)[1] == []


TYPO_SINGLE = "name: a\nexpr: x*x\ninputs: {x: 2}\nexpcet: {value: 4}\n"
TYPO_LISTED = "defaults: {engines: [numpy, sympy]}\ncases:\n  - name: a\n    expr: x*x\n    input: {x: 2}\n"
TYPO_NESTED = "name: a\nexpr: x*x\ninputs: {x: 2}\ntolerance: {rtoll: 0.1}\n"


@pytest.mark.parametrize(("text", "line", "key"), [(TYPO_SINGLE, 4, "expcet"), (TYPO_LISTED, 5, "input"), (TYPO_NESTED, 4, "rtoll")])
def test_a_typoed_key_fails_the_schema_and_the_loader(tmp_path: Path, validator, text: str, line: int, key: str):
    assert not validator.is_valid(yaml.safe_load(text))
    path = tmp_path / "typo.yaml"
    path.write_text(text)
    cases, errors = load_file(path)
    assert cases == []
    assert [(error.line, f"unknown key '{key}'" in error.message) for error in errors] == [(line, True)]


def test_report_schema_is_printed_with_report_flag():
    result = CliRunner().invoke(main, ["schema", "--report"])
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "verifygrad run report"


def test_the_published_schema_is_the_printed_one_with_a_stable_id():
    """schema/case.schema.json is what the $id points at: regenerate it with `verifygrad schema > schema/case.schema.json`."""
    from verifygrad.cases.schema import SCHEMA_ID

    printed = json.loads(CliRunner().invoke(main, ["schema"]).stdout)
    published = json.loads((Path(__file__).resolve().parents[1] / "schema" / "case.schema.json").read_text())
    assert printed == published and printed["$id"] == SCHEMA_ID == published["$id"]
    assert SCHEMA_ID.endswith("/schema/case.schema.json")
