"""Every primitive of the op table is exercised by a bundled case in float64 and in float32, each with a claim."""

from __future__ import annotations

from pathlib import Path

import pytest

from verifygrad.cases.discover import load_cases
from verifygrad.cases.problem import Overrides, prepare
from verifygrad.language.ops import OPS

CASES = Path(__file__).resolve().parent.parent / "cases"
# Primitives no spelling produces: they appear only in the backward programs that second order differentiates.
BACKWARD_ONLY = {"prod_others", "repeat_sum", "scatter", "sum_to", "tile_sum"}


def operations_used() -> dict[str, set[str]]:
    cases, errors = load_cases([CASES], None)
    assert not errors
    used: dict[str, set[str]] = {"float64": set(), "float32": set()}
    for case in cases:
        problem = prepare(case, Overrides())
        if case.expect:  # NOTE: a case without a claim checks the engines against each other only
            used[problem.dtype] |= {node.op for node in problem.program.nodes}
    return used


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_primitive_is_in_a_bundled_case_with_a_claim(dtype: str) -> None:
    missing = set(OPS) - BACKWARD_ONLY - operations_used()[dtype]
    assert not missing, f"no {dtype} bundled case with a claim uses {sorted(missing)}"


def test_the_backward_only_primitives_have_no_spelling() -> None:
    from verifygrad.language.parse import FUNCTIONS

    # NOTE: `scatter` is also torch.scatter, a spelling of its own (dim, index, src) that builds the primitive only
    # through its composition; the primitive's own signature (source, shape, key) is never reachable by name.
    assert not BACKWARD_ONLY & set(FUNCTIONS) - {"scatter"}
    assert FUNCTIONS["scatter"].args == (2, 3) and "src" in FUNCTIONS["scatter"].keywords
