"""The command line end to end: exit codes, the summary line, panels, and no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifygrad.cases.discover import load_cases
from verifygrad.frontends.cli import main

CASES = Path(__file__).resolve().parent.parent / "cases"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", "--no-color", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_bundled_cases_pass(tmp_path: Path) -> None:
    code, output = run(str(CASES))
    assert code == 0, output
    cases = load_cases([CASES])[0]
    documented = sum(case.expect_mismatch is not None for case in cases)  # wrong on purpose, and caught: xfailed
    assert output.splitlines()[-1].startswith(f"{len(cases) - documented} passed, 0 failed, {documented} xfailed")  # every bundled case
    assert "mean-5-x-plus-1-squared" in output and "Traceback" not in output


def test_wrong_claim_exits_1_and_shows_claim_truth_and_worst_element(tmp_path: Path) -> None:
    path = write(tmp_path, "wrong.yaml", "name: w\nexpr: mean(5*(x+1)**2)\ninputs: {x: 'arange(0, 4)'}\nexpect:\n  grad: {x: [2.5, 5, 7.5, 11]}\n")
    code, output = run(path)
    assert code == 1
    assert "claim grad.x: wrong (x[3]: claimed 11, true 10)" in output
    assert "worst element x[3]: claimed grad 11 vs reference 10" in output
    assert output.splitlines()[-1] == "0 passed, 1 failed"


def test_formula_claim_true_only_at_the_case_input_is_wrong(tmp_path: Path) -> None:
    path = write(tmp_path, "f.yaml", "name: f\nexpr: x**3\ninputs: {x: 1}\nexpect: {formula: {x: 3*x}}\n")
    code, output = run(path)
    assert code == 1 and "claim formula.x: wrong (differs at x = " in output


def test_proven_formula(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "name: p\nexpr: mean(x*x)\ninputs: {x: [[1, 2], [3, 4]]}\nexpect: {formula: {x: x/2}}\n")
    code, output = run(path, "-v")
    assert code == 0 and "✓ formula x/2 proven" in output and "derived  ∂/∂x = x/2" in output


def test_expect_mismatch_passes_only_when_the_mismatch_is_found(tmp_path: Path) -> None:
    found = write(tmp_path, "a.yaml", "name: a\nexpr: x*x\ninputs: {x: 2}\nexpect: {grad: {x: 5}}\nexpect_mismatch: it is 4\n")
    missing = write(tmp_path, "b.yaml", "name: b\nexpr: x*x\ninputs: {x: 2}\nexpect: {grad: {x: 4}}\nexpect_mismatch: it is 4\n")
    code, output = run(found)
    assert code == 0 and output.splitlines()[-1] == "0 passed, 0 failed, 1 xfailed"  # its own count, not a pass
    code, output = run(missing)
    assert code == 1 and "expected a mismatch (it is 4), but every claim holds" in output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\nexpr: x\ninputs: {x: 1\n", "bad.yaml:4: invalid YAML"),
        ("name: a\nexpr: x\ninput: {x: 1}\n", "bad.yaml:3: case 'a': unknown key 'input'; did you mean 'inputs'?"),
        ("name: a\nexpr: frobnicate(x)\ninputs: {x: 1}\n", "bad.yaml:2: expr: unknown function 'frobnicate' at column 1"),
        (
            "name: a\nexpr: x.mm(y)\ninputs: {x: 'ones(2, 3)', y: 'ones(2, 3)'}\n",
            "bad.yaml:2: expr: mm: inner dimensions of 2x3 and 2x3 differ (3 vs 2)",
        ),
    ],
)
def test_bad_input_exits_2_with_file_line_and_other_files_still_run(tmp_path: Path, text: str, message: str) -> None:
    bad = write(tmp_path, "bad.yaml", text)
    good = write(tmp_path, "good.yaml", "name: good\nexpr: x*x\ninputs: {x: 3}\nexpect: {grad: {x: 6}}\n")
    code, output = run(bad, good)
    assert code == 2
    assert any(line.endswith(message) or message in line for line in output.splitlines()), output
    assert "good" in output and output.splitlines()[-1] == "1 passed, 0 failed, 1 error"
    assert "Traceback" not in output


def test_non_scalar_output_without_grad_output_is_an_error(tmp_path: Path) -> None:
    code, output = run(write(tmp_path, "n.yaml", "name: n\nexpr: x*2\ninputs: {x: [1, 2]}\n"))
    assert code == 2 and "not a scalar: give `grad_output`" in output


@pytest.mark.needs_torch
def test_cuda_without_a_gpu_skips_torch_and_says_why(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, output = run(str(CASES / "pytorch_tutorials.yaml"), "--device", "cuda", "-k", "mean-of-square", "-v")
    assert code == 0 and "torch skipped: device cuda requested, but torch sees no CUDA device" in output


def test_one_engine_alone_cannot_pass(tmp_path: Path) -> None:
    code, output = run(str(CASES / "pytorch_tutorials.yaml"), "-e", "numpy", "-k", "mean-of-square")
    # A run that verified nothing fails (exit 1), and says why on stderr.
    assert code == 1 and "not checked: only numpy ran" in output and "0 passed, 0 failed, 1 skipped" in output
    assert "nothing was verified" in output


@pytest.mark.needs_torch
def test_options_select_and_override(tmp_path: Path) -> None:
    code, output = run(str(CASES), "-k", "mm-*", "-e", "numpy", "-e", "torch", "--dtype", "float32", "--rtol", "1e-3")
    assert code == 0 and "mm-with-transpose" in output and "mean-of-square" not in output
    assert "sympy" not in output.split("\n")[1]


def test_a_missing_path_is_reported_and_the_rest_runs(tmp_path: Path) -> None:
    code, output = run(str(tmp_path / "nope.yaml"), str(CASES / "pytorch_tutorials.yaml"), "-k", "mean-of-square")
    assert code == 2 and "nope.yaml: no such file or directory" in output


def test_duplicate_names_are_an_error(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "name: same\nexpr: x\ninputs: {x: 1}\n")
    b = write(tmp_path, "b.yaml", "name: same\nexpr: x\ninputs: {x: 1}\n")
    code, output = run(a, b)
    assert code == 2 and "duplicate case name 'same' (first at" in output


def test_usage_error_exits_2() -> None:
    result = CliRunner().invoke(main, ["run", "--engine", "jax", "x.yaml"])
    assert result.exit_code == 2


def test_version_and_help_do_not_import_torch_or_sympy() -> None:
    code = (
        "import sys; from verifygrad.frontends.cli import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('torch', 'sympy', 'numpy') if m in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip().endswith("[]")
    version = subprocess.run([sys.executable, "-m", "verifygrad", "--version"], capture_output=True, text=True, check=True)
    assert "verifygrad, version" in version.stdout


def test_a_claim_written_rounded_holds_only_if_it_is_the_truth_rounded(tmp_path: Path) -> None:
    # e and e**2 to 5 decimals hold; 7.3880 (e**2 is 7.38906) and a 2-digit 4.6 for 4.5 do not.
    good = write(tmp_path, "good.yaml", "name: g\nexpr: sum(exp(x))\ninputs: {x: [1, 2]}\nexpect: {grad: {x: [2.71828, 7.38906]}}\n")
    code, output = run(good, "-v")
    assert code == 0, output
    off = write(tmp_path, "off.yaml", "name: o\nexpr: sum(exp(x))\ninputs: {x: [1, 2]}\nexpect: {grad: {x: [2.7183, 7.3880]}}\n")
    assert run(off)[0] == 1
    short = write(tmp_path, "short.yaml", "name: s\nexpr: 3*x\ninputs: {x: 1.5}\nexpect: {value: 4.6}\n")
    assert run(short)[0] == 1


@pytest.mark.parametrize(
    ("expression", "chosen"),
    [
        ("SQUARE", ["square-sum", "Square-Mean"]),  # case-insensitive, as pytest's -k
        ("square and not mean", ["square-sum"]),
        ("cube or mean", ["Square-Mean", "cube"]),
        ("not (square or cube)", ["other"]),
        ("squ*", ["square-sum", "Square-Mean"]),  # a glob word matches the whole name
    ],
)
def test_k_takes_pytests_expressions(tmp_path: Path, expression: str, chosen: list[str]) -> None:
    names = ["square-sum", "Square-Mean", "cube", "other"]
    path = write(tmp_path, "k.yaml", "cases:\n" + "".join(f"  - {{name: {name}, expr: x*x, inputs: {{x: 1}}}}\n" for name in names))
    result = CliRunner().invoke(main, ["list", str(path), "-k", expression])
    assert [line.split("\t")[1] for line in result.output.splitlines()] == chosen


def test_a_k_expression_that_does_not_parse_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, "k.yaml", "name: a\nexpr: x\ninputs: {x: 1}\n")
    result = CliRunner().invoke(main, ["run", str(path), "-k", "a and (b"])
    assert result.exit_code == 2 and "a '(' is not closed" in result.output and "Traceback" not in result.output


def test_help_is_whole_and_check_asks_for_a_tutorial() -> None:
    listing = CliRunner().invoke(main, ["--help"], env={"COLUMNS": "80"}).output
    commands = listing[listing.index("Commands:") :].splitlines()[1:]
    assert len(commands) == 6 and not any(line.endswith("...") for line in commands)  # no description cut short
    assert "--examples" not in CliRunner().invoke(main, ["check", "--help"]).output
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2 and "no TUTORIAL given" in result.output and "no cases found in" not in result.output
