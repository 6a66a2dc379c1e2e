"""The JAX peer-test converter (tests/peer_jax.py) on a small file in JAX's test style, written here: read, never run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import peer, peer_jax

pytestmark = pytest.mark.needs_torch

SAMPLE = """
import collections
import itertools
from functools import partial

from absl.testing import parameterized
import numpy as np

from jax import lax
from jax._src import test_util as jtu
from jax.test_util import check_grads

raise SystemExit("a converter that runs this file stops here")

Spec = collections.namedtuple("Spec", ["op", "nargs", "rng_factory"])
def spec(op, nargs, rng_factory=jtu.rand_default):
  return Spec(op, nargs, rng_factory)

OPS = [
    spec(lax.tanh, 1),
    spec(lax.log, 1, jtu.rand_positive),
    spec(lax.atan2, 2),
]


class SampleTest(jtu.JaxTestCase):

  @parameterized.parameters(itertools.chain.from_iterable(
    jtu.sample_product_testcases(
      [dict(op=rec.op, rng_factory=rec.rng_factory)],
      shapes=[[(3,)] * rec.nargs, [(2, 2)] * rec.nargs],
      dtype=jtu.dtypes.floating,
    )
    for rec in OPS
  ))
  def testOpGrad(self, op, rng_factory, shapes, dtype):
    rng = rng_factory(self.rng())
    args = tuple(rng(shape, dtype) for shape in shapes)
    check_grads(op, args, 2, ["fwd", "rev"])

  @jtu.sample_product(
    [dict(shape=shape, starts=starts, limits=limits)
     for shape, starts, limits in [[(5,), (1,), (4,)], [(4, 3), (1, 0), (3, 2)]]],
    dtype=[np.float32, np.complex64],
  )
  def testSliceGrad(self, shape, dtype, starts, limits):
    rng = jtu.rand_default(self.rng())
    operand = rng(shape, dtype)
    slice = lambda x: lax.slice(x, starts, limits, None)
    check_grads(slice, (operand,), 2, ["fwd", "rev"], eps=1.)

  def testDotGeneralBilinear(self):
    rng = jtu.rand_small(self.rng())
    lhs, rhs = rng((2, 3), np.float32), rng((3, 4), np.float32)
    dot_general = partial(lax.dot_general, dimension_numbers=(([1], [0]), ([], [])), precision=lax.Precision.HIGHEST)
    check_grads_bilinear(dot_general, (lhs, rhs), order=2)

  @jtu.sample_product(dtype=jtu.dtypes.floating)
  def testMisspelled(self, dtype):
    rng = jtu.rand_default(self.rng())
    check_grads(lambda x: lax.sine(x), (rng((3,), dtype),), 1)

  @jtu.sample_product(dtype=jtu.dtypes.complex)
  def testComplexOnly(self, dtype):
    rng = jtu.rand_default(self.rng())
    check_grads(lax.exp, (rng((3,), dtype),), 1)

  @jtu.unknowable_decorator(3)
  def testValuesOnly(self):
    x = jnp.arange(3.0)
    self.assertAllClose(jnp.cumsum(x), np.cumsum(x))

  @jtu.unknowable_decorator(3)
  def testThroughHelper(self):
    self._checkCumsum(True)

  def _checkCumsum(self, reverse):
    check_grads(lax.exp, (np.ones(3),), 1)

  @jtu.sample_product(shape=[(3,), (0,)])
  def testCheckUnderAnIf(self, shape):
    x = jtu.rand_default(self.rng())(shape, np.float64)
    if all(d > 0 for d in shape):
      check_grads(lax.exp, (x,), 1)

  def testUndecidableIf(self):
    x = np.ones(3)
    if jnp.unknowable_helper(x):
      check_grads(lax.exp, (x,), 1)

  def testCumsumReverse(self):
    reverse = True
    rng = partial(jtu.rand_default, scale=1)(self.rng())
    tol = {dtypes.bfloat16: 2e-1, np.float32: 1e-1}
    x = rng((4,), np.float64)
    check_grads(partial(lax.cumsum, axis=0, reverse=reverse), (x,), 2, ["rev"], tol, tol)
    check_grads(partial(lax.mul, out_dtype=np.float64), (x, x), 1)
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[peer.PeerTest, tuple[str, str]]]:
    path = tmp_path_factory.mktemp("peer") / "jax_style_test.py"
    path.write_text(SAMPLE)
    return {test.name: (test, peer.test_verdict(test, ("numpy", "torch", "fd"))) for test in peer_jax.read_tests(Path(path))}


def test_an_op_table_is_a_test_per_op(results: dict) -> None:
    """parameterized.parameters over a table of namedtuples (made by a helper with a default) gives one test per op."""
    assert [name for name in results if name.startswith("testOpGrad")] == ["testOpGrad[lax.tanh]", "testOpGrad[lax.log]", "testOpGrad[lax.atan2]"]
    test, (verdict, _) = results["testOpGrad[lax.atan2]"]
    assert [case.expr.splitlines()[-1] for case in test.cases] == ["lax.atan2(arg0, arg1)"] * 2 and test.cases[0].wrt == ["arg0", "arg1"]
    assert verdict == peer.PASSED


def test_the_sampler_draws_its_distribution(results: dict) -> None:
    """jtu.rand_positive: uniform on [1, 3) (rand * 2 + 1), so log's inputs are positive."""
    test, _ = results["testOpGrad[lax.log]"]
    values = [v for case in test.cases for row in [case.inputs["arg0"]] for v in (row if isinstance(row[0], float) else sum(row, []))]
    assert values and all(1 <= v < 3 for v in values)


def test_sample_product_keeps_real_dtypes_and_writes_constants_in(results: dict) -> None:
    """The complex64 combinations are left out; the test's tuples and None are written into the lambda (a variable
    holding a tuple is no literal to the language)."""
    test, (verdict, _) = results["testSliceGrad"]
    assert len(test.cases) == 2 and verdict == peer.PASSED
    assert "slice = lambda x: lax.slice(x, (1, 0), (3, 2), None)" in test.cases[1].expr
    assert test.cases[1].expr.startswith("from jax import lax\n")


def test_a_partial_checked_bilinearly_is_a_case_per_argument(results: dict) -> None:
    """check_grads_bilinear(partial(lax.dot_general, ...), (lhs, rhs)): the partial as a lambda of two parameters, its
    precision dropped; one case differentiates lhs, the other rhs."""
    test, (verdict, _) = results["testDotGeneralBilinear"]
    assert [case.wrt for case in test.cases] == [["arg0"], ["arg1"]]
    assert "fun = lambda a0, a1: lax.dot_general(a0, a1, dimension_numbers=(([1], [0]), ([], [])))" in test.cases[0].expr
    assert verdict == peer.PASSED


def test_a_wrong_spelling_is_rejected_and_complex_only_is_unconvertible(results: dict) -> None:
    _, (verdict, reason) = results["testMisspelled"]
    assert verdict == peer.REJECTED and "sine" in reason
    test, (verdict, reason) = results["testComplexOnly"]
    assert not test.cases and (verdict, reason) == (peer.UNCONVERTIBLE, "complex or integer dtypes only")


def test_a_test_without_a_gradient_check_is_counted_so_whatever_stops_its_conversion(results: dict) -> None:
    """Both tests carry a decorator the converter cannot read; testValuesOnly calls no check_grads, so it is "no gradient
    check", where testThroughHelper (whose class helper calls one) stays an unconvertible test with a gradient check."""
    assert results["testValuesOnly"][1] == (peer.UNCONVERTIBLE, "no gradient check")
    verdict, reason = results["testThroughHelper"][1]
    assert verdict == peer.UNCONVERTIBLE and "unknowable_decorator" in reason


def test_dtype_keyed_tolerances_a_scaled_sampler_and_out_dtype(results: dict) -> None:
    """A dict keyed by dtypes is read, rand_default's scale=1 is a normal draw of scale 1, lax.mul's out_dtype is dropped
    (float64 is the case's dtype), and lax.cumsum's reverse is read."""
    test, (verdict, reason) = results["testCumsumReverse"]
    assert verdict == peer.PASSED, reason
    assert len(test.cases) == 2 and "reverse=True" in test.cases[0].expr and "out_dtype" not in test.cases[1].expr
    assert all(abs(v) < 6 for v in test.cases[0].inputs["arg0"])


def test_a_check_under_an_if_is_converted_where_taken_and_named_where_undecidable(results: dict) -> None:
    """all(d > 0 for d in shape) is read (the (0,) combination takes no check, the (3,) one does); an if the converter
    cannot decide, around a check, makes the test unconvertible with that reason, never "no gradient check"."""
    test, (verdict, _) = results["testCheckUnderAnIf"]
    assert len(test.cases) == 1 and verdict == peer.PASSED
    verdict, reason = results["testUndecidableIf"][1]
    assert verdict == peer.UNCONVERTIBLE and "cannot decide" in reason
