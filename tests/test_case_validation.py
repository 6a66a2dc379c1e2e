"""The loader's fast schema check accepts exactly what jsonschema accepts: it only decides when jsonschema is needed."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import fuzz_settings
from verifygrad.cases.load import _accepted, load_mapping
from verifygrad.cases.schema import CASE_PROPERTIES, CASE_SCHEMA

REPO = Path(__file__).resolve().parents[1]
JSONSCHEMA = jsonschema.Draft202012Validator(CASE_SCHEMA)

TRICKY = [
    {"name": "a", "expr": "x", "inputs": {"x": [1, 2]}},
    {"name": "a", "expr": "x", "inputs": {"x": [True]}},  # a boolean is not a number
    {"name": "a", "expr": "x", "inputs": {"x": [[1, 2], [3, "4"]]}},
    {"name": "a", "expr": "x", "inputs": {"x": "ones(2, 2)"}},
    {"name": "a", "expr": "x", "inputs": {"x": ""}},
    {"name": "a", "expr": "x", "inputs": {"x\n": [1]}},  # `$` matches before a final newline in Python's re
    {"name": "a", "expr": "x", "inputs": {"1x": [1]}},
    {"name": "a", "expr": "x", "inputs": {}},
    {"name": "a", "expr": "x", "output": "y\n"},
    {"name": "a", "expr": "x", "wrt": ["x", "x"]},
    {"name": "a", "expr": "x", "wrt": []},
    {"name": "a", "expr": "x", "tolerance": {"rtol": -1}},
    {"name": "a", "expr": "x", "tolerance": {"rtol": 1e-3, "btol": 1}},
    {"name": "a", "expr": "x", "tolerance": {"rtol": True}},
    {"name": "a", "expr": "x", "expect": {"formula": {"x": 3}}},
    {"name": "a", "expr": "x", "expect": {"formula": {"x": ""}}},
    {"name": "a", "expr": "x", "expect": {"grads": {}}},
    {"name": "a", "expr": "x", "engines": ["numpy", "jax"]},
    {"name": "a", "expr": "x", "dtype": "float16"},
    {"name": "a", "expr": "x", "mutate": 1},
    {"name": "a", "expr": ""},
    {"name": "", "expr": "x"},
    {"expr": "x"},
    {"name": "a", "expr": "x", "ftol": 1},
    {"name": "a", "expr": "x", "tags": ["t", 1]},
]


@pytest.mark.parametrize("mapping", TRICKY, ids=range(len(TRICKY)))
def test_the_fast_check_agrees_with_jsonschema_on_tricky_mappings(mapping):
    assert _accepted(mapping) == JSONSCHEMA.is_valid(mapping)


def test_every_bundled_case_passes_the_fast_check():
    files = sorted((REPO / "cases").rglob("*.yaml"))
    assert files
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data.get("cases", [data]):
            merged = {**data.get("defaults", {}), **case}
            assert _accepted(merged), f"{path.name}: {case.get('name')}"


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.sampled_from(["", "x", "x\n", "ones(2)", "1x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["x", "y", "rtol", "atol", "x\n", "grad", "formula"]), inner, max_size=3),
    max_leaves=8,
)


@fuzz_settings(300)
@given(st.dictionaries(st.sampled_from([*CASE_PROPERTIES, "extra"]), VALUES, max_size=5))
def test_the_fast_check_agrees_with_jsonschema_on_random_mappings(mapping):
    assert _accepted(mapping) == JSONSCHEMA.is_valid(mapping)


def test_an_invalid_case_is_still_explained_by_jsonschema():
    cases, errors = load_mapping({"name": "a", "expr": "x", "tolerance": {"rtol": -1}}, "f.yaml", line=3)
    assert not cases
    assert str(errors[0]) == "f.yaml:3: case 'a': tolerance.rtol: -1 is less than the minimum of 0"
