"""vjp and jvp, as JAX, torch.func and torch.autograd.functional ask for them: a VJP is a gradient along the
cotangent handed to the pullback; a JVP is the case's `jvp:` row along the tangents."""

from __future__ import annotations

from pathlib import Path

from tests.test_tutorial_check import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"


def test_jax_vjp_pullback_and_jvp_are_checked() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "jax_vjp_jvp.md"))
    assert code == 0, output
    assert "✓ line 17 (printed output): ∂/∂x [0.918217, 2.76355, 0.231011]: holds" in output
    assert "✓ line 28 (printed output): Jv [0.918217, 0, -0.0770038]: holds" in output
    assert "not read" not in output


def test_torch_func_and_autograd_functional_vjp_and_jvp_are_checked() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "torch_vjp_jvp.md"))
    assert code == 0, output
    assert output.count("∂/∂x [0.9182, 2.7635, 0.231]: holds") == 2
    assert output.count("Jv [0.9182, 0, -0.077]: holds") == 2


def test_a_wrong_printed_jvp_fails_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "wrong.md"
    path.write_text((FIXTURES / "jax_vjp_jvp.md").read_text().replace("-0.07700378", "-0.17700378"))
    code, output = cli("check", "--no-color", str(path))
    assert code == 1 and "wrong.md:28: FAIL" in output, output
