"""Seeded ``jax.random`` draws in tutorials: keys followed as known values, draws reproduced with jax where it is installed."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

from tests.test_tutorial_check import cli
from verifygrad.tutorials import autodiff, jaxrandom
from verifygrad.tutorials.constant import constant_array
from verifygrad.tutorials.read import read_tutorial

PINNED = 'jax.config.update("jax_threefry_partitionable", True)\n'
DRAW = "key = jax.random.PRNGKey(0)\nkey, subkey = jax.random.split(key)\nw = jax.random.normal(subkey, (3,))\n"
# jax's own values for DRAW on the partitionable stream (jax >= 0.5's default): w, and the gradient of sum(w ** 2) there
W_VALUES = "[-2.4424558  -2.0356805   0.20554423]"
GRAD_VALUES = "[-4.8849115  -4.071361    0.41108847]"


def page(tmp_path: Path, setting: str, printed: str) -> Path:
    code = f"import jax\nimport jax.numpy as jnp\n\n{setting}{DRAW}g = jax.grad(lambda w: jnp.sum(w ** 2))(w)\nprint(g)\n"
    path = tmp_path / "draws.md"
    path.write_text(f"# Seeded draws\n\n```python\n{code}```\n\n```\n{printed}\n```\n")
    return path


def inputs_of(tmp_path: Path, code: str) -> dict[str, str]:
    path = tmp_path / "t.py"
    path.write_text("import jax\nimport jax.numpy as jnp\n" + PINNED + code + "jax.grad(lambda w: jnp.sum(w ** 3))(w)\n")
    (draft,) = read_tutorial(path).drafts
    return draft.mapping["inputs"]


def test_a_gradient_printed_at_seeded_jax_draws_is_checked_and_a_wrong_one_fails(tmp_path: Path) -> None:
    pytest.importorskip("jax", reason="seeded JAX draws are reproduced with jax (pip install verifygrad[jax])")
    code, output = cli("check", "--no-color", str(page(tmp_path, PINNED, GRAD_VALUES)))
    assert code == 0 and "∂/∂w [-4.88491, -4.07136, 0.411088]: holds" in output, output
    code, output = cli("check", "--no-color", str(page(tmp_path, PINNED, W_VALUES)))
    assert code == 1 and "✗ line 16 (printed output): ∂/∂w" in output, output  # the draw itself printed where its gradient is


def _split_uniform(jax):
    return jax.random.uniform(jax.random.split(jax.random.PRNGKey(3), 4)[2], shape=(2,), minval=-1.0, maxval=2.0)


def _folded_normal(jax):
    return jax.random.normal(jax.random.fold_in(jax.random.key(1), 7), (2, 2), dtype=jax.numpy.float32)


def _integers(jax):
    k = jax.random.PRNGKey(5)
    return 1.0 + jax.random.randint(k, (3,), 0, 10) * jax.random.bernoulli(k, 0.5, (3,))


@pytest.mark.parametrize(("code", "reference"), [
    ("keys = jax.random.split(jax.random.PRNGKey(3), 4)\nw = jax.random.uniform(keys[2], shape=(2,), minval=-1.0, maxval=2.0)\n", _split_uniform),
    ("k = jax.random.fold_in(jax.random.key(1), 7)\nw = jax.random.normal(k, (2, 2), dtype=jnp.float32)\n", _folded_normal),
    ("k = jax.random.PRNGKey(5)\nw = 1.0 + jax.random.randint(k, (3,), 0, 10) * jax.random.bernoulli(k, 0.5, (3,))\n", _integers),
])  # fmt: skip
def test_keys_split_indexed_and_folded_give_jaxs_own_draws(tmp_path: Path, code: str, reference) -> None:
    jax = pytest.importorskip("jax", reason="seeded JAX draws are reproduced with jax (pip install verifygrad[jax])")
    import numpy as np

    with _stream(jax, True):
        expected = np.asarray(reference(jax), dtype=np.float64)
    written = constant_array(inputs_of(tmp_path, code)["w"])
    assert written is not None and np.array_equal(written, expected), (written, expected)


def test_a_page_that_does_not_say_its_stream_gets_no_verdict_at_the_draws(tmp_path: Path) -> None:
    pytest.importorskip("jax", reason="seeded JAX draws are reproduced with jax (pip install verifygrad[jax])")
    code, output = cli("check", "--no-color", str(page(tmp_path, "", "[-0.7 0.3 1.9]")))  # values of some other jax version
    assert code == 0 and "wrong" not in output, output
    assert jaxrandom.AMBIGUOUS in output


def test_a_page_printed_by_jax_before_0_4_1_is_read_on_the_legacy_stream(tmp_path: Path) -> None:
    jax = pytest.importorskip("jax", reason="seeded JAX draws are reproduced with jax (pip install verifygrad[jax])")
    with _stream(jax, False):
        key, subkey = jax.random.split(jax.random.PRNGKey(0))
        w = jax.random.normal(subkey, (3,))
    printed = f"DeviceArray({[round(float(2 * v), 6) for v in w]}, dtype=float32)"
    code, output = cli("check", "--no-color", str(page(tmp_path, "", printed)))
    assert code == 0 and ": holds" in output and jaxrandom.AMBIGUOUS not in output, output


def test_without_jax_the_draws_are_listed_as_needing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jax", None)  # `import jax` raises ImportError, as where it is not installed
    code, output = cli("check", "--no-color", str(page(tmp_path, PINNED, W_VALUES)))
    assert code == 0 and "wrong" not in output, output
    assert f"line 10: {autodiff.SEEDED_JAX}" in output


@contextlib.contextmanager
def _stream(jax, partitionable: bool):
    """jax's draws on one threefry stream, its setting put back after."""
    before = jax.config.jax_threefry_partitionable
    jax.config.update("jax_threefry_partitionable", partitionable)
    try:
        yield
    finally:
        jax.config.update("jax_threefry_partitionable", before)


# A page that prints a value the draws reach (the loss) beside the gradient; jax's own values on each stream.
SHOWN = ("import jax\nimport jax.numpy as jnp\n\nk1, k2 = jax.random.split(jax.random.PRNGKey(0))\nw = jax.random.normal(k1, (3,))\n"
         "print('loss', jnp.sum(w ** 2))\nprint('grad', jax.grad(lambda w: jnp.sum(w ** 2))(w))\n")  # fmt: skip
ON_STREAM = {True: "loss 2.3892534\ngrad [ 2.0080285 -1.8126744 -1.4963444]", False: "loss 0.5608562\ngrad [ 0.27786335  1.01867    -1.0623221 ]"}


@pytest.mark.parametrize("partitionable", [True, False])
def test_the_stream_a_page_ran_with_is_the_one_its_printed_values_agree_with(tmp_path: Path, partitionable: bool) -> None:
    pytest.importorskip("jax", reason="seeded JAX draws are reproduced with jax (pip install verifygrad[jax])")
    path = tmp_path / "shown.md"
    path.write_text(f"```python\n{SHOWN}```\n\n```\n{ON_STREAM[partitionable]}\n```\n")
    code, output = cli("check", "--no-color", str(path))
    assert code == 0 and "value" in output and "∂/∂w" in output and ": holds" in output, output
    assert jaxrandom.AMBIGUOUS not in output, output


def test_a_wrong_gradient_is_still_a_failure_on_the_stream_its_values_chose(tmp_path: Path) -> None:
    pytest.importorskip("jax", reason="seeded JAX draws are reproduced with jax (pip install verifygrad[jax])")
    path = tmp_path / "wrong.md"
    path.write_text(f"```python\n{SHOWN}```\n\n```\nloss 0.5608562\ngrad [ 0.27786335  1.01867    1.0623221 ]\n```\n")
    code, output = cli("check", "--no-color", str(path))
    assert code == 1 and "∂/∂w [0.277863, 1.01867, 1.06232]: wrong" in output, output
