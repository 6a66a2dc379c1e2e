"""The peer-test converter (tests/peer.py) on a small file in autograd's test style, written here: read, never run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import peer

pytestmark = pytest.mark.needs_torch

SAMPLE = """
import autograd.numpy as np
import autograd.numpy.random as npr
from autograd.test_util import check_grads, combo_check

raise SystemExit("a converter that runs this file stops here")

npr.seed(3)


def test_tanh_of_a_product():
    def fun(x, y):
        scale = 2.0
        return np.sum(np.tanh(x * y) * scale)

    a = npr.randn(3, 2)
    b = npr.rand(3, 2) + 0.5
    check_grads(fun)(a, b)


def test_sum_over_each_axis():
    combo_check(np.sum, [0])([npr.randn(2, 3)], axis=[0, 1], keepdims=[True, False])


def test_misspelled_sine():
    def fun(x):
        return np.sine(x)

    check_grads(fun)(npr.randn(4))


def test_complex_input():
    def fun(x):
        return np.sum(np.abs(x))

    check_grads(fun)(npr.randn(3) + 1j * npr.randn(3))
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[peer.PeerTest, tuple[str, str]]]:
    path = tmp_path_factory.mktemp("peer") / "autograd_style.py"
    path.write_text(SAMPLE)
    return {test.name: (test, peer.test_verdict(test, ("numpy", "torch", "fd"))) for test in peer.read_tests(Path(path))}


def test_every_test_function_is_read(results: dict) -> None:
    assert list(results) == ["test_tanh_of_a_product", "test_sum_over_each_axis", "test_misspelled_sine", "test_complex_input"]


def test_a_convertible_test_is_a_program_on_seeded_inputs_and_passes(results: dict) -> None:
    test, (verdict, _) = results["test_tanh_of_a_product"]
    (case,) = test.cases
    assert case.expr.startswith("def fun(x, y):") and case.expr.endswith("fun(arg0, arg1)")
    assert case.wrt == ["arg0", "arg1"] and min(min(row) for row in case.inputs["arg1"]) >= 0.5  # npr.rand(3, 2) + 0.5
    assert verdict == peer.PASSED


def test_combo_check_gives_a_case_per_combination_each_with_its_gradient_output(results: dict) -> None:
    test, (verdict, _) = results["test_sum_over_each_axis"]
    assert [case.expr for case in test.cases] == [f"np.sum(arg0, axis={a}, keepdims={k})" for a in (0, 1) for k in (True, False)]
    assert all(case.grad_output is not None for case in test.cases)  # a seeded vector for a non-scalar output
    assert verdict == peer.PASSED


def test_a_wrong_spelling_is_rejected_with_the_language_s_reason(results: dict) -> None:
    _, (verdict, reason) = results["test_misspelled_sine"]
    assert verdict == peer.REJECTED and "unknown function 'sine'" in reason


def test_what_the_converter_cannot_write_is_unconvertible_not_rejected(results: dict) -> None:
    test, (verdict, reason) = results["test_complex_input"]
    assert not test.cases and (verdict, reason) == (peer.UNCONVERTIBLE, "a complex number")
