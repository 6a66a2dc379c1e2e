"""The command line: a thin layer over cases, runner and report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from verifygrad import __version__
from verifygrad.engines import ENGINES
from verifygrad.errors import EXIT_INVALID, EXIT_OK, visible
from verifygrad.frontends.ci import ci_options
from verifygrad.frontends.config import Config
from verifygrad.frontends.exit_status import exit_status, finite_tolerance, nothing_checkable_status
from verifygrad.frontends.options import COUNT, POSITIVE_SECONDS, SECONDS, keyword_pattern
from verifygrad.frontends.output import output_options
from verifygrad.frontends.workflow import guard_output
from verifygrad.process.limits import DEFAULT_LIMITS

CONFIGURED = ("run", "check", "list")  # the commands [tool.verifygrad] in pyproject.toml gives defaults to


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="verifygrad")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Check gradients four ways: SymPy, a numpy reverse-mode engine, PyTorch, and finite differences."""
    guard_output()
    if ctx.invoked_subcommand in CONFIGURED:
        from verifygrad.frontends import config

        ctx.obj = config.load(run)  # NOTE: before the subcommand parses its options, which take these as defaults
        ctx.default_map = {"run": ctx.obj.defaults, "check": ctx.obj.defaults, "list": {k: v for k, v in ctx.obj.defaults.items() if k == "pattern"}}


def selection_options(command: Any) -> Any:
    """PATHS, --examples, --exclude and -k: which cases a command takes, the same for run and list."""
    for option in reversed([
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--examples", is_flag=True, help="Also take the cases bundled with verifygrad (an install self-check)."),
        click.option("--exclude", multiple=True, metavar="GLOB", help="Leave out case files whose path matches GLOB (repeatable)."),
        click.option("-k", "pattern", metavar="EXPRESSION", callback=keyword_pattern,
                     help="Only cases whose name matches, as pytest's -k: words (case-insensitive; a glob matches the whole name) with and/or/not."),
    ]):  # fmt: skip
        command = option(command)
    return command


@main.command(short_help="Check the cases in case files.")
@selection_options
@click.option("-e", "--engine", "engines", multiple=True, type=click.Choice(ENGINES), help="Run only these engines (repeatable).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Device for the torch engine.")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), help="Override every case's dtype.")
@click.option("--rtol", type=float, callback=finite_tolerance, help="Override every case's relative tolerance.")
@click.option("--atol", type=float, callback=finite_tolerance, help="Override every case's absolute tolerance.")
@click.option("-v", "--verbose", count=True, help="Show passing cases' panels and timings; -vv adds tracebacks.")
@output_options
@ci_options
@click.option(
    "--time-limit",
    type=SECONDS,
    help=f"Seconds of SymPy work per case (default {DEFAULT_LIMITS.time_limit:g}; 0: no limit).",
)
@click.option("--max-elements", type=COUNT, help=f"Elements of a case's tensors together (default {DEFAULT_LIMITS.max_elements:,}).")
@click.option("--limit", "settings", multiple=True, metavar="NAME=VALUE",
              help="Any other limit: expr_chars, depth, exponent, file_bytes, cases_per_file, yaml_nodes, part_time (repeatable).")  # fmt: skip
@click.option("-j", "--jobs", default="1", metavar="N|auto", help="Check cases in N worker processes (auto: one per core).")
@click.option("--timeout", type=POSITIVE_SECONDS, help="Seconds a case may take (runs it in a worker).")
@click.option("--explain", metavar="CASE", help="Print one case in full: every element, the derivative at the worst, a PyTorch reproducer.")
@click.option("--strict", is_flag=True, help="A skipped (unchecked) case fails the run.")
@click.option("--mutate", is_flag=True, help="Negative controls: check that each case would catch a wrong gradient.")
@click.option("--json", "json_path", metavar="FILE", help="Write a JSON report to FILE (- for stdout).")
@click.option("--junit-xml", "junit_path", metavar="FILE", help="Write a JUnit XML report to FILE (- for stdout).")
@click.option("--html", "html_path", metavar="FILE", help="Write a self-contained HTML report to FILE (nothing fetched: opens from disk).")
@click.option("--junit-family", type=click.Choice(["xunit1", "xunit2"]), default="xunit2", show_default=True,
              help="xunit2 keeps to Jenkins' junit-10.xsd, as pytest's default; xunit1 adds file and line attributes (GitLab reads them).")  # fmt: skip
@click.option("--json-arrays", type=click.Choice(["summary", "full"]), default="summary", show_default=True,
              help="Arrays over 1000 elements in --json: a summary and the worst elements, or every element (memory grows with the run).")  # fmt: skip
def run(paths: tuple[Path, ...], time_limit: float | None, max_elements: int | None, settings: tuple[str, ...],
        **options: Any) -> None:  # fmt: skip
    """Check the cases in PATHS (files, or directories searched for *.yaml and *.yml).

    Without PATHS, the `paths` of [tool.verifygrad] in pyproject.toml.
    """
    run_with_limits(_chosen_paths(paths, options.pop("examples")), time_limit, max_elements, settings, **options)


def run_with_limits(paths: tuple[Path, ...] | list[Path], time_limit: float | None, max_elements: int | None, settings: tuple[str, ...],
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
    from verifygrad.process.children import Stopped, exit_now, stopped_by_signals

    with limits.using(limits.with_settings(DEFAULT_LIMITS, chosen)), stopped_by_signals():
        try:
            _run(paths, **options)
        except Stopped as stop:  # before any case was checked: nothing to report
            click.echo(stop.word, err=True)
            exit_now(stop.exit_code)


def _chosen_paths(paths: tuple[Path, ...], examples: bool) -> list[Path]:
    """The paths given, else the configured ones; with --examples, the bundled cases too."""
    from verifygrad.cases.discover import bundled_examples

    config = click.get_current_context().find_object(Config)
    chosen = list(paths) or ([] if examples or config is None else config.paths)
    chosen += [bundled_examples()] if examples else []
    if not chosen:
        raise click.UsageError("no PATHS given, and no `paths` in [tool.verifygrad] of a pyproject.toml")
    return chosen


def _excluded(patterns: tuple[str, ...]) -> list[str]:
    """--exclude patterns, added to the configured ones."""
    config = click.get_current_context().find_object(Config)
    return [*(config.exclude if config else []), *patterns]


def _run(paths: list[Path], engines: tuple[str, ...], device: str | None, dtype: str | None,
         rtol: float | None, atol: float | None, pattern: str | None, verbose: int, color: str, no_color: bool, quiet: bool,
         maxfail: int | None, exitfirst: bool, shard: tuple[int, int] | None, annotate: str | None, exclude: tuple[str, ...],
         jobs: str, timeout: float | None, explain: str | None, strict: bool, mutate: bool, json_path: str | None,
         junit_path: str | None, junit_family: str, json_arrays: str, html_path: str | None = None, load: Any = None, per_file: Any = None,
         unchecked: Any = None, page: Any = None) -> None:  # fmt: skip
    import time

    from verifygrad.process import limits
    from verifygrad.process.parallel import job_count

    try:
        workers = job_count(jobs)
    except ValueError:
        raise click.BadParameter(f"{jobs!r} is not a positive whole number or 'auto'", param_hint="'-j'") from None
    if workers == 1 and limits.current().time_limit and (not engines or "sympy" in engines):
        from verifygrad.process import worker

        # NOTE: first, before numpy, rich and the case machinery are imported here: SymPy's import in the worker overlaps theirs and torch's
        worker.prestart(("verifygrad.engines.sympy.engine", "verifygrad.verdict.claims"))
    from verifygrad.cases.discover import load_cases, select_shard
    from verifygrad.cases.problem import Overrides
    from verifygrad.frontends.ci import publish, stop_after
    from verifygrad.frontends.output import make_console
    from verifygrad.reports.console import render, summary_line

    config = click.get_current_context().find_object(Config)
    if config is not None:
        config.check_reports(click.get_current_context())
    if json_path == "-" and junit_path == "-":
        raise click.UsageError("only one of --json and --junit-xml can write to stdout")
    if json_path and junit_path and json_path != "-" and Path(json_path).resolve() == Path(junit_path).resolve():
        raise click.UsageError(f"--json and --junit-xml both name {visible(json_path)}: one report would overwrite the other")
    start = time.perf_counter()
    to_stderr = "-" in (json_path, junit_path)  # a report on stdout keeps stdout to itself
    console = make_console(color, no_color, stderr=to_stderr)
    skipped: list[str] = []
    cases, load_errors = load(paths, pattern) if load else load_cases(paths, pattern, exclude=_excluded(exclude), skipped=skipped)
    if verbose:
        from rich.text import Text

        for line in skipped:
            console.print(Text(visible(f"not read: {line}"), style="dim"), soft_wrap=True)
    cases = select_shard(cases, *shard) if shard else cases
    if not cases and not load_errors and not shard and (unchecked is None or pattern or not unchecked()):  # `check`: why, per file read
        click.echo(f"no cases found in {', '.join(visible(str(path)) for path in paths)}" + (f" matching -k {visible(pattern)}" if pattern else ""), err=True)
        sys.exit(EXIT_INVALID)

    overrides = Overrides(dtype=dtype, device=device, rtol=rtol, atol=atol, engines=engines, mutate=mutate)
    if explain is not None:
        from verifygrad.reports.explain import explain_case

        sys.exit(explain_case(console, cases, explain, overrides))
    from verifygrad.process.children import Stopped, signals_held

    try:
        limit = stop_after(maxfail, exitfirst)
        outcomes = _check_all(console, cases, overrides, workers, timeout, limit, quiet, keep_arrays=json_arrays == "full")
        stopped = None
    except Stopped as stop:  # Ctrl-C or SIGTERM: the cases finished so far are reported, and the run says it stopped
        outcomes, stopped = stop.results, stop
    with signals_held() as held:  # a signal from now on ends the run once its reports are out, not mid-table
        extra = per_file(console, outcomes, verbose, quiet) if per_file else {}  # `check`: the per-file report and its JSON
        publish(console, outcomes, load_errors, annotate, summary_line(outcomes, load_errors))
        if len(outcomes) < len(cases) and not stopped:
            console.print(f"stopped after {len(outcomes)} of {len(cases)} cases (--maxfail)", soft_wrap=True, highlight=False)
        render(console, outcomes, load_errors, verbose, quiet)
        stopped = stopped or (Stopped(held[0]) if held else None)
        if stopped:
            code = stopped.exit_code
            click.echo(f"{stopped.word} after {len(outcomes)} of {len(cases)} cases", err=True)
        else:
            code, why = exit_status(outcomes, load_errors, strict)
            if unchecked is not None:
                code, why = nothing_checkable_status(code, why, [path for path, _ in unchecked()], strict, bool(outcomes))
            if why:
                click.echo(why, err=True)
        seconds = time.perf_counter() - start
        if json_path:
            import json

            from verifygrad.reports.json_report import run_report

            _write(json_path, json.dumps({**run_report(outcomes, load_errors, code, seconds), **extra}, indent=2, ensure_ascii=False) + "\n")
        if junit_path:
            from verifygrad.reports.junit import junit_xml

            _write(junit_path, junit_xml(outcomes, load_errors, seconds, junit_family, unchecked() if unchecked else ()))
        if html_path:
            from verifygrad.reports.html import run_html

            _write(html_path, page(outcomes, load_errors) if page else run_html(outcomes, load_errors, seconds))
    if held and not stopped:  # a signal while the reports were written: they are out, the run ends as it asks
        stopped = Stopped(held[0])
        click.echo(f"{stopped.word} after {len(outcomes)} of {len(cases)} cases", err=True)
        code = stopped.exit_code
    if stopped:
        from verifygrad.process.children import exit_now

        exit_now(code)
    sys.exit(code)


def _write(path: str, text: str) -> None:
    """Write a report to a file, or to stdout for "-"; an unwritable path is a one-line error."""
    # NOTE: a lone surrogate (a name escaped by YAML as "\ud800") cannot be UTF-8: it is written as the
    # six characters of its JSON escape, which a JSON reader reads back as the same string.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if path == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as err:
        click.echo(f"{visible(str(path))}: cannot write report: {visible(str(err.strerror or err))}", err=True)
        sys.exit(EXIT_INVALID)


class _MaxFail(Exception):
    """Raised from the progress callback to stop the run at --maxfail failing cases."""


def _check_all(console, cases, overrides, jobs: int, timeout: float | None, maxfail: int | None, quiet: bool = False, keep_arrays: bool = False) -> list:
    """Check every case (or up to the maxfail-th failing one), each shown as it finishes (see ``reports.live``)."""
    from verifygrad.frontends.output import interactive
    from verifygrad.reports.lines import is_failure
    from verifygrad.reports.live import Live
    from verifygrad.verdict.judge import check_all

    done, failures = [], []

    def on_done(outcome) -> None:
        done.append(outcome)
        failures.extend([outcome] if is_failure(outcome) else [])
        live.done(outcome)
        if maxfail is not None and len(failures) >= maxfail and len(done) < len(cases):
            raise _MaxFail

    bar = interactive(console.stderr) and not console.is_dumb_terminal and len(cases) > 1
    with Live(console, cases, bar=bar, quiet=quiet) as live:
        try:
            return check_all(cases, overrides, jobs, timeout, on_done=on_done, keep_arrays=keep_arrays)
        except _MaxFail:
            order = {(case.path, case.line): i for i, case in enumerate(cases)}  # NOTE: a worker's outcome holds a copy of its case
            return sorted(done, key=lambda outcome: order[outcome.case.path, outcome.case.line])


@main.command(short_help="Print the JSON Schema of a case file.")
@click.option("--report", is_flag=True, help="The schema of the --json report instead of a case file's.")
def schema(report: bool) -> None:
    """Print the JSON Schema of a case file (for editors and CI validation)."""
    import json

    if report:
        from verifygrad.reports.json_report import REPORT_SCHEMA as chosen
    else:
        from verifygrad.cases.schema import FILE_SCHEMA as chosen
    click.echo(json.dumps(chosen, indent=2))


@main.command(name="list", short_help="List the cases run would check (validates only).")
@selection_options
def list_cases(paths: tuple[Path, ...], examples: bool, exclude: tuple[str, ...], pattern: str | None) -> None:
    """List the cases that `run` would check, with their files and lines; loads and validates, checks nothing."""
    from verifygrad.cases.discover import load_cases
    from verifygrad.errors import visible

    paths = _chosen_paths(paths, examples)
    cases, load_errors = load_cases(paths, pattern, _excluded(exclude))
    for case in cases:
        click.echo(f"{visible(case.path)}:{case.line}\t{visible(case.name)}\t{visible('; '.join(case.expr.strip().splitlines()))}")  # a program on one line
    for error in load_errors:
        click.echo(visible(str(error)), err=True)
    if not cases and not load_errors:
        click.echo(f"no cases found in {', '.join(visible(str(path)) for path in paths)}" + (f" matching -k {visible(pattern)}" if pattern else ""), err=True)
    sys.exit(EXIT_INVALID if load_errors or not cases else EXIT_OK)


@main.command(short_help="Write a case with the engines' answers, to review.")
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
        click.echo(f"verifygrad new: {visible(str(err))}", err=True)
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
