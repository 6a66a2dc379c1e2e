"""The command line: a thin layer over cases, runner and report."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from verifygrad import __version__
from verifygrad.engines import ENGINES
from verifygrad.errors import EXIT_INVALID, EXIT_OK
from verifygrad.frontends.exit_status import exit_status, finite_tolerance
from verifygrad.process.limits import DEFAULT_LIMITS

PIPED_WIDTH = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="verifygrad")
def main() -> None:
    """Check gradients four ways: SymPy, a numpy reverse-mode engine, PyTorch, and finite differences."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-e", "--engine", "engines", multiple=True, type=click.Choice(ENGINES), help="Run only these engines (repeatable).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Device for the torch engine.")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), help="Override every case's dtype.")
@click.option("--rtol", type=float, callback=finite_tolerance, help="Override every case's relative tolerance.")
@click.option("--atol", type=float, callback=finite_tolerance, help="Override every case's absolute tolerance.")
@click.option("-k", "pattern", metavar="PATTERN", help="Only cases whose name contains PATTERN (or matches it as a glob).")
@click.option("-v", "--verbose", count=True, help="Show passing cases' panels and timings; -vv adds tracebacks.")
@click.option("--no-color", is_flag=True, help="Plain output without colour.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    help=f"Seconds of SymPy work per case (default {DEFAULT_LIMITS.time_limit:g}; 0: no limit).",
)
@click.option("--max-elements", type=click.IntRange(min=1), help=f"Elements of a case's tensors together (default {DEFAULT_LIMITS.max_elements:,}).")
@click.option("--limit", "settings", multiple=True, metavar="NAME=VALUE",
              help="Any other limit: expr_chars, depth, exponent, file_bytes, cases_per_file, yaml_nodes (repeatable).")  # fmt: skip
@click.option("-j", "--jobs", default="1", metavar="N|auto", help="Check cases in N worker processes (auto: one per core).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds a case may take (runs it in a worker).")
@click.option("--explain", metavar="CASE", help="Print one case in full: every element, the derivative at the worst, a PyTorch reproducer.")
@click.option("--strict", is_flag=True, help="A skipped (unchecked) case fails the run.")
@click.option("--mutate", is_flag=True, help="Negative controls: check that each case would catch a wrong gradient.")
@click.option("--json", "json_path", metavar="FILE", help="Write a JSON report to FILE (- for stdout).")
@click.option("--junit-xml", "junit_path", metavar="FILE", help="Write a JUnit XML report to FILE (- for stdout).")
def run(paths: tuple[Path, ...], time_limit: float | None, max_elements: int | None, settings: tuple[str, ...],
        **options: Any) -> None:  # fmt: skip
    """Check the cases in PATHS (files, or directories searched for *.yaml and *.yml)."""
    run_with_limits(paths, time_limit, max_elements, settings, **options)


def run_with_limits(paths: tuple[Path, ...], time_limit: float | None, max_elements: int | None, settings: tuple[str, ...],
                    **options: Any) -> None:  # fmt: skip
    """`run` (and `check`, which passes its own loader) under the limits the options set."""
    from verifygrad.process import limits

    chosen: dict[str, float] = {}
    for setting in settings:
        try:
            name, value = limits.parse_setting(setting)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--limit") from None
        chosen[name] = value
    chosen.update({k: v for k, v in (("time_limit", time_limit), ("max_elements", max_elements)) if v is not None})
    with limits.using(limits.with_settings(DEFAULT_LIMITS, chosen)):
        _run(paths, **options)


def _run(paths: tuple[Path, ...], engines: tuple[str, ...], device: str | None, dtype: str | None,
         rtol: float | None, atol: float | None, pattern: str | None, verbose: int, no_color: bool,
         jobs: str, timeout: float | None, explain: str | None, strict: bool, mutate: bool, json_path: str | None,
         junit_path: str | None, load: Any = None, annotate: Any = None) -> None:  # fmt: skip
    import time

    from rich.console import Console

    from verifygrad.cases.discover import load_cases
    from verifygrad.cases.problem import Overrides
    from verifygrad.process import limits
    from verifygrad.process.parallel import job_count
    from verifygrad.reports.console import render

    try:
        workers = job_count(jobs)
    except ValueError:
        raise click.BadParameter(f"{jobs!r} is not a positive whole number or 'auto'", param_hint="'-j'") from None
    if json_path == "-" and junit_path == "-":
        raise click.UsageError("only one of --json and --junit-xml can write to stdout")
    start = time.perf_counter()
    to_stderr = "-" in (json_path, junit_path)  # a report on stdout keeps stdout to itself
    console = Console(no_color=no_color or None, highlight=False, stderr=to_stderr)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH  # logs (CI, files) are read wide; rich would assume 80 columns
    if workers == 1 and limits.current().time_limit and (not engines or "sympy" in engines):
        from verifygrad.process import worker

        worker.prestart(("verifygrad.engines.sympy.engine", "verifygrad.verdict.claims"))  # SymPy's import in the worker overlaps torch's here
    cases, load_errors = (load or load_cases)(paths, pattern)
    if not cases and not load_errors:
        click.echo(f"no cases found in {', '.join(map(str, paths))}" + (f" matching -k {pattern}" if pattern else ""), err=True)
        sys.exit(EXIT_INVALID)

    overrides = Overrides(dtype=dtype, device=device, rtol=rtol, atol=atol, engines=engines, mutate=mutate)
    if explain is not None:
        from verifygrad.reports.explain import explain_case

        sys.exit(explain_case(console, cases, explain, overrides))
    outcomes = _check_all(console, cases, overrides, workers, timeout)
    extra = annotate(console, outcomes, verbose) if annotate else {}  # `check`: the per-file report and its JSON
    render(console, outcomes, load_errors, verbose)
    code, why = exit_status(outcomes, load_errors, strict)
    if why:
        click.echo(why, err=True)
    seconds = time.perf_counter() - start
    if json_path:
        import json

        from verifygrad.reports.json_report import run_report

        _write(json_path, json.dumps({**run_report(outcomes, load_errors, code, seconds), **extra}, indent=2, ensure_ascii=False) + "\n")
    if junit_path:
        from verifygrad.reports.junit import junit_xml

        _write(junit_path, junit_xml(outcomes, load_errors, seconds))
    sys.exit(code)


def _write(path: str, text: str) -> None:
    """Write a report to a file, or to stdout for "-"; an unwritable path is a one-line error."""
    if path == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as err:
        click.echo(f"{path}: cannot write report: {err.strerror or err}", err=True)
        sys.exit(EXIT_INVALID)


def _check_all(console, cases, overrides, jobs: int, timeout: float | None) -> list:
    """Check every case, with a progress bar on a terminal and none when piped."""
    from verifygrad.verdict.judge import check_all

    if not console.is_terminal or len(cases) < 2:
        return check_all(cases, overrides, jobs, timeout)
    from rich.progress import Progress

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("checking", total=len(cases))
        return check_all(cases, overrides, jobs, timeout, on_done=lambda outcome: progress.advance(task))


@main.command()
@click.option("--report", is_flag=True, help="The schema of the --json report instead of a case file's.")
def schema(report: bool) -> None:
    """Print the JSON Schema of a case file (for editors and CI validation)."""
    import json

    if report:
        from verifygrad.reports.json_report import REPORT_SCHEMA as chosen
    else:
        from verifygrad.cases.schema import FILE_SCHEMA as chosen
    click.echo(json.dumps(chosen, indent=2))


@main.command(name="list")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-k", "pattern", metavar="PATTERN", help="Only cases whose name contains PATTERN (or matches it as a glob).")
def list_cases(paths: tuple[Path, ...], pattern: str | None) -> None:
    """List the cases that `run` would check, with their files and lines."""
    from verifygrad.cases.discover import load_cases

    cases, load_errors = load_cases(paths, pattern)
    for case in cases:
        click.echo(f"{case.path}:{case.line}\t{case.name}\t{'; '.join(case.expr.strip().splitlines())}")  # a program on one line
    for error in load_errors:
        click.echo(str(error), err=True)
    if not cases and not load_errors:
        click.echo(f"no cases found in {', '.join(map(str, paths))}" + (f" matching -k {pattern}" if pattern else ""), err=True)
    sys.exit(EXIT_INVALID if load_errors or not cases else EXIT_OK)


@main.command()
@click.argument("name")
@click.option("--expr", required=True, help="The expression, e.g. 'mean(5*(x+1)**2)', or a program: statements separated by ';' or newlines.")
@click.option("--input", "inputs", multiple=True, required=True, metavar="NAME=VALUE",
              help="An input: a number, [list] or constant expression such as 'ones(2, 2)' (repeatable).")  # fmt: skip
@click.option("--grad-output", metavar="VALUE", help="The gradient handed to backward() for a non-scalar expression.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout (never overwrites).")
def new(name: str, expr: str, inputs: tuple[str, ...], grad_output: str | None, output: Path | None) -> None:
    """Write a case whose expected value and gradients are the engines' consensus, marked for review."""
    from verifygrad.errors import CaseError
    from verifygrad.frontends.scaffold import draft, parse_input, scaffold

    try:
        parsed = dict(parse_input(text) for text in inputs)
        text, _ = scaffold(draft(name, expr, parsed, grad_output))
    except CaseError as err:
        click.echo(f"verifygrad new: {err}", err=True)
        sys.exit(EXIT_INVALID)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with output.open("x", encoding="utf-8") as file:
            file.write(text)
    except OSError as err:
        click.echo(f"{output}: cannot write: {err.strerror or err}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(f"wrote {output}; review its `expect:` before relying on it", err=True)


from verifygrad.frontends.tutorial_cli import check_command, extract_command  # noqa: E402 - they reuse `run`'s options

main.add_command(check_command(run, run_with_limits))
main.add_command(extract_command())
