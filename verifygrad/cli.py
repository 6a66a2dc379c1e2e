"""The command line: a thin layer over cases, runner and report."""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

import click

from verifygrad import __version__
from verifygrad.engines import ENGINES
from verifygrad.errors import EXIT_INVALID, EXIT_MISMATCH, EXIT_OK
from verifygrad.limits import DEFAULT_LIMITS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="verifygrad")
def main() -> None:
    """Check gradients three ways: SymPy, a numpy reverse-mode engine, and PyTorch."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-e", "--engine", "engines", multiple=True, type=click.Choice(ENGINES), help="Run only these engines (repeatable).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Device for the torch engine.")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), help="Override every case's dtype.")
@click.option("--rtol", type=click.FloatRange(min=0), help="Override every case's relative tolerance.")
@click.option("--atol", type=click.FloatRange(min=0), help="Override every case's absolute tolerance.")
@click.option("-k", "pattern", help="Only cases whose name contains PATTERN (or matches it as a glob).")
@click.option("-v", "--verbose", count=True, help="Show passing cases' panels and timings; -vv adds tracebacks.")
@click.option("--no-color", is_flag=True, help="Plain output without colour.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    help=f"Seconds of SymPy work per case (default {DEFAULT_LIMITS.time_limit:g}; 0: no limit).",
)
@click.option(
    "--max-elements", type=click.IntRange(min=1), help=f"Elements of a case's tensors together (default {DEFAULT_LIMITS.max_elements:,})."
)
@click.option("--limit", "settings", multiple=True, metavar="NAME=VALUE",
              help="Any other limit: expr_chars, depth, exponent, file_bytes, cases_per_file, yaml_nodes (repeatable).")  # fmt: skip
def run(paths: tuple[Path, ...], engines: tuple[str, ...], device: str | None, dtype: str | None,
        rtol: float | None, atol: float | None, pattern: str | None, verbose: int, no_color: bool,
        time_limit: float | None, max_elements: int | None, settings: tuple[str, ...]) -> None:  # fmt: skip
    """Check the cases in PATHS (files, or directories searched for *.yaml and *.yml)."""
    from verifygrad import limits

    chosen: dict[str, float] = {}
    for setting in settings:
        try:
            name, value = limits.parse_setting(setting)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--limit") from None
        chosen[name] = value
    chosen.update({k: v for k, v in (("time_limit", time_limit), ("max_elements", max_elements)) if v is not None})
    with limits.using(limits.with_settings(DEFAULT_LIMITS, chosen)):
        _run(paths, engines, device, dtype, rtol, atol, pattern, verbose, no_color)


def _run(paths: tuple[Path, ...], engines: tuple[str, ...], device: str | None, dtype: str | None,
         rtol: float | None, atol: float | None, pattern: str | None, verbose: int, no_color: bool) -> None:  # fmt: skip
    from rich.console import Console

    from verifygrad.cases import collect, load_file
    from verifygrad.errors import CaseError
    from verifygrad.problem import Overrides
    from verifygrad.report import render
    from verifygrad.runner import ERROR, FAILED, check_case

    console = Console(no_color=no_color or None, highlight=False)
    load_errors: list[CaseError] = []
    cases = []
    first_seen: dict[str, str] = {}
    for path in paths:
        if not path.exists():
            load_errors.append(CaseError(str(path), None, "no such file or directory"))
    for path in collect([p for p in paths if p.exists()]):
        file_cases, file_errors = load_file(path)
        load_errors += file_errors
        for case in file_cases:
            if case.name in first_seen:
                load_errors.append(CaseError(case.path, case.line, f"duplicate case name '{case.name}' (first at {first_seen[case.name]})"))
                continue
            first_seen[case.name] = f"{case.path}:{case.line}"
            if pattern is None or pattern in case.name or fnmatch.fnmatchcase(case.name, pattern):
                cases.append(case)
    if not cases and not load_errors:
        click.echo(f"no cases found in {', '.join(map(str, paths))}" + (f" matching -k {pattern}" if pattern else ""), err=True)
        sys.exit(EXIT_INVALID)

    overrides = Overrides(dtype=dtype, device=device, rtol=rtol, atol=atol, engines=engines)
    outcomes = _check_all(console, cases, overrides, check_case)
    render(console, outcomes, load_errors, verbose)
    if load_errors or any(o.verdict == ERROR for o in outcomes):
        sys.exit(EXIT_INVALID)
    sys.exit(EXIT_MISMATCH if any(o.verdict == FAILED for o in outcomes) else EXIT_OK)


def _check_all(console, cases, overrides, check_case) -> list:
    """Check every case, with a progress bar on a terminal and none when piped."""
    if not console.is_terminal or len(cases) < 2:
        return [check_case(case, overrides) for case in cases]
    from rich.progress import Progress

    outcomes = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("checking", total=len(cases))
        for case in cases:
            progress.update(task, description=case.name)
            outcomes.append(check_case(case, overrides))
            progress.advance(task)
    return outcomes
