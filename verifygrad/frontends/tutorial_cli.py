"""`verifygrad check TUTORIAL...` and `verifygrad extract TUTORIAL... -o cases.yaml`: tutorials read statically, checked as cases."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from verifygrad.errors import EXIT_INVALID, EXIT_OK, visible
from verifygrad.frontends.options import keyword_pattern

CHECK_HELP = """Check the derivations in tutorials: notebooks, Markdown/reST, HTML exports, gallery scripts, blog text.

The code is read, never run: each backward() becomes a case, and what the tutorial prints, writes in
comments or states in LaTeX becomes its claims. Same options, report and exit codes as `run`, and
exit 5 where every file was read and none holds anything checkable (each file's section says why;
--strict makes that a failure)."""


def check_command(run: click.Command, run_with_limits: Callable[..., None]) -> click.Command:
    """`check`: `run`'s options and pipeline, with tutorials instead of case files."""

    def check(paths: tuple[Path, ...], time_limit: float | None, max_elements: int | None, settings: tuple[str, ...], **options: Any) -> None:
        if not paths:
            raise click.UsageError("no TUTORIAL given: name notebooks, Markdown/reST pages, scripts or directories to check")
        tutorials: list = []
        run_with_limits(paths, time_limit, max_elements, settings, load=_loader(tutorials), per_file=_annotator(tutorials),
                        unchecked=_unchecked(tutorials), page=_page(tutorials), **options)  # fmt: skip

    params = [param for param in run.params if param.name != "examples"]  # the bundled examples are case files, for `run`
    return click.Command("check", callback=check, params=params, help=CHECK_HELP, short_help="Check the derivations in tutorials.")


def extract_command() -> click.Command:
    @click.command("extract", short_help="Write the cases check derives as a case file.")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option("-o", "--output", metavar="FILE", default="-", help="Write the cases to FILE (default: stdout); never overwrites.")
    @click.option("-k", "pattern", metavar="EXPRESSION", callback=keyword_pattern, help="Only cases whose name matches, as pytest's -k.")
    def extract(paths: tuple[Path, ...], output: str, pattern: str | None) -> None:
        """Write the cases `check` derives from tutorials as a case file, for review or for `verifygrad run` in CI."""
        from verifygrad.tutorials.extract import cases_yaml

        tutorials: list = []
        cases, errors = _loader(tutorials)(paths, pattern)
        for error in errors:
            click.echo(str(error), err=True)
        if not cases:
            click.echo(f"no derivations found in {', '.join(visible(str(path)) for path in paths)}", err=True)
            sys.exit(EXIT_INVALID)
        selected = {case.name for case in cases}
        text = cases_yaml([draft for tutorial in tutorials for draft in tutorial.drafts if draft.name in selected])
        if output == "-":
            click.echo(text, nl=False)
        else:
            try:
                with open(output, "x", encoding="utf-8") as file:
                    file.write(text)
            except OSError as err:
                click.echo(f"{visible(output)}: cannot write: {visible(str(err.strerror or err))}", err=True)
                sys.exit(EXIT_INVALID)
            click.echo(f"wrote {len(selected)} cases to {visible(output)}", err=True)
        sys.exit(EXIT_INVALID if errors else EXIT_OK)

    return extract


def _loader(tutorials: list) -> Callable[..., tuple[list, list]]:
    def load(paths: tuple[Path, ...], pattern: str | None) -> tuple[list, list]:
        from verifygrad.tutorials.load import load_tutorials

        cases, errors, read = load_tutorials(list(paths), pattern)
        tutorials.extend(read)
        return cases, errors

    return load


def _unchecked(tutorials: list) -> Callable[[], list[tuple[str, str]]]:
    """The files read in which nothing is checkable, each with why."""

    def unchecked() -> list[tuple[str, str]]:
        from verifygrad.reports.tutorial import unchecked_reasons

        return [(tutorial.document.path, unchecked_reasons(tutorial)) for tutorial in tutorials if not tutorial.drafts]

    return unchecked


def _annotator(tutorials: list) -> Callable[..., dict]:
    def annotate(console: Any, outcomes: list, verbose: int, quiet: bool = False) -> dict:
        from verifygrad.reports.tutorial import render_tutorials, tutorials_report

        if not quiet:  # -q: the failure lines and the summary only
            render_tutorials(console, tutorials, outcomes, verbose)
        return {"tutorials": tutorials_report(tutorials)}

    return annotate


def _page(tutorials: list) -> Callable[..., str]:
    def page(outcomes: list, load_errors: list) -> str:
        from verifygrad.reports.html import check_html

        return check_html(tutorials, outcomes, load_errors)

    return page
