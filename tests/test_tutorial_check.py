"""`verifygrad check` and `extract` end to end on tutorials in every format, and on the real ones in ../shared/seeds."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from verifygrad.frontends.cli import main
from verifygrad.reports.json_report import REPORT_SCHEMA

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"
SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args], env={"COLUMNS": "1000"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


CORRECT = ["exp_loss.ipynb", "exp_loss_copied_from_page.txt", "nb_export.html", "tanh.md", "sigmoid.rst", "cubic_gallery.py", "blog_post.txt"]


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_tutorial_passes(name: str) -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / name))
    assert code == 0, output
    assert " 0 failed" in output.splitlines()[-1]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (
            "exp_loss_stale_output.ipynb",
            "✗ line 57 (cell 5 output, line 1) (printed output): ∂/∂w [3.2974, 0.7358, 14.7]: wrong (w[2]: claimed 14.7000, true 14.7781",
        ),
        ("tanh_wrong_formula.md", "✗ line 17 (LaTeX): ∂/∂x formula 1 - tanh(x): wrong (differs at x[1] = 0.5"),
        ("cubic_gallery_wrong_comment.py", "✗ line 26 (comment): ∂/∂x 13: wrong (x: claimed 13, true 12; held to float32 rounding of the exact value)"),
        (
            "nb_export_wrong_value.html",
            "line 22 states q = [1, 3]; the code at line 9 makes q = [1, 2] (tensor([1.0, 2.0])); the stated gradient [2, 4] fits the code",
        ),
    ],
)
def test_a_stale_output_or_wrong_formula_fails_and_names_its_line(name: str, says: str) -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / name))
    assert code == 1, output
    assert says in output


@pytest.mark.needs_torch
def test_each_claim_is_listed_with_where_it_was_found_and_the_not_read_list() -> None:
    code, output = cli("check", "--no-color", str(FIXTURES / "cubic_gallery.py"))
    assert code == 0
    assert "✓ line 33 (comment): ∂/∂a tensor([5, 7]): holds" in output  # .grad after two backward() calls
    assert "✓ line 50 (comment): ∂/∂r [3.082, -0.5869, -4.3576]: holds: within the printed 4 decimals" in output
    assert "not read:\n    line 53: an in-place update of r.data" in output  # the loop is unrolled; its step is not read
    code, output = cli("check", "--no-color", str(FIXTURES / "blog_post.txt"))
    assert "line 37: printed output [0.1234, -1, 2.5, 0.01]: not checkable: the inputs are random and unseeded" in output


def test_json_report_has_the_tutorials_and_k_selects(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    code, _ = cli("check", "--no-color", "-k", "*:20:*", "--json", str(report), str(FIXTURES / "tanh.md"))
    data = json.loads(report.read_text())
    jsonschema.validate(data, REPORT_SCHEMA)
    assert code == 0 and [case["name"] for case in data["cases"]] == ["tanh.md:20:y"]
    claims = data["tutorials"][0]["cases"][0]["claims"]
    assert {(claim["kind"], claim["line"], claim["source"]) for claim in claims} == {
        ("value", 14, "printed output"), ("grad", 27, "printed output"), ("formula", 17, "LaTeX"),
    }  # fmt: skip


def test_extracted_cases_pass_verifygrad_run(tmp_path: Path) -> None:
    target = tmp_path / "cases.yaml"
    code, _ = cli("extract", str(FIXTURES / "tanh.md"), str(FIXTURES / "cubic_gallery.py"), "-o", str(target))
    assert code == 0
    text = target.read_text()
    assert "# y.backward() at line 20; claims: value value: line 14 (printed output)" in text
    code, output = cli("run", "--no-color", str(target))
    assert code == 0, output
    assert output.splitlines()[-1] == "8 passed, 0 failed"
    code, _ = cli("extract", str(FIXTURES / "tanh.md"), "-o", str(target))
    assert code == 2  # never overwrites


def test_bad_documents_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "binary.ipynb").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "empty.md").write_text("nothing to see\n")
    code, output = cli("check", "--no-color", str(tmp_path / "binary.ipynb"), str(tmp_path / "missing.md"))
    assert code == 2
    assert f"{tmp_path / 'binary.ipynb'}: not UTF-8 text (byte 0)" in output
    assert f"{tmp_path / 'missing.md'}: no such file or directory" in output
    code, output = cli("check", "--no-color", str(tmp_path / "empty.md"))
    assert code == 5 and "nothing checkable: found 0 code blocks" in output  # read, not broken: not exit 2


SEED_EXPECTATIONS = {
    "000": (0, ["✓ line 88 (cell 5 output, line 1) (printed output): value 7.5: holds",
                "∂/∂variable [0.5, 1, 1.5, 2]: holds", "∂/∂variable formula variable / 2: proven"]),
    "001": (0, ["(comment): value 7.5: holds", "∂/∂variable [0.5, 1, 1.5, 2]: holds", "(comment): ∂/∂variable formula ((1 / 4) * 2) * variable: proven"]),
    "002": (0, ["out.backward() at line 144 (cell 15, line 1): y = x + 2; z = y * y * 3; out = z.mean() at x = ones(2, 2)", "value of z 27: holds",
                "∂/∂x formula (3 / 2) * (x + 2): proven",
                "∂/∂x 4.5: holds", "line 190 (cell 20, line 4): a while loop whose condition depends on values (unseeded random input decides the loop)"]),
    "003": (1, ["value 37.5: holds", "value of y [5, 20, 45, 80]: holds", "∂/∂x [2.5, 5, 7.5, 10]: holds", "∂/∂x formula (5 / 2) * (x + 1): proven",
                "line 222 states x = [1, 2, 3, 4]; the code at line 240 makes x = [0, 1, 2, 3] (arange(0, 4)); "
                "the stated gradient [2.5, 5, 7.5, 10] fits the code, not the text"]),
    "004": (0, ["x.mm(y.t()) at x = tensor([[1, 2, 3], [4, 5, 6]])", "x.mv(y) at x", "(float32, cuda)", "∂/∂x formula 2 * x: proven",
                "∂/∂y formula 6 * y: proven", "∂/∂y [24, 30, 36]: holds"]),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the repository")
@pytest.mark.parametrize("prefix", sorted(SEED_EXPECTATIONS))
def test_real_tutorials(prefix: str) -> None:
    (path,) = SEEDS.glob(f"{prefix}_*")
    code, output = cli("check", "--no-color", str(path))
    expected_code, lines = SEED_EXPECTATIONS[prefix]
    assert code == expected_code, output
    for line in lines:
        assert line in output
    if prefix == "004":
        assert output.count(".backward() at line") == 7  # five derivations and two CUDA twins


def test_control_characters_in_a_document_never_reach_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "escape.md"
    path.write_text("```python\nimport torch\nimport evil\x1b[2J\nx = torch.ones(2, requires_grad=True)\n(x * x).sum().backward()\nprint(x.grad)\n```\n\n"
                    "```output\ntensor([2., 2.])\n```\n")  # fmt: skip
    code, output = cli("check", "--no-color", str(path))
    assert "\x1b" not in output and code == 5  # the line is not Python: nothing checkable, and it says so


@pytest.mark.parametrize(
    ("name", "line", "says"),
    [
        ("exp_loss_stale_output.ipynb", 57, "FAIL exp_loss_stale_output.ipynb:66:loss: cell 5, output of w.grad: claim grad.w: wrong (w[2]"),
        ("tanh_wrong_formula.md", 17, "FAIL tanh_wrong_formula.md:20:y: claim formula.x: wrong (differs at x[1] = 0.5"),
        (
            "cubic_gallery_wrong_comment.py",
            26,
            "FAIL cubic_gallery_wrong_comment.py:25:y#2: claim grad.x: wrong (x: claimed 13, true 12; held to float32 rounding of the exact value)",
        ),
    ],
)
def test_failure_lines_and_annotations_name_the_wrong_claims_own_line(tmp_path: Path, name: str, line: int, says: str) -> None:
    """Not the backward() line: the printed number, the comment or the LaTeX that is wrong; a notebook's names its cell."""
    summary = tmp_path / "summary.md"
    env = {"COLUMNS": "1000", "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = CliRunner().invoke(main, ["check", "-q", str(FIXTURES / name)], env=env)
    path = FIXTURES / name
    assert any(out.startswith(f"{path}:{line}: {says}") for out in result.output.splitlines()), result.output
    annotation = next(out for out in result.output.splitlines() if out.startswith("::error "))
    assert annotation.startswith(f"::error file={path},line={line},")
    assert f"{path.name}:{line} |".replace("_", "\\_") in summary.read_text(encoding="utf-8")
