"""What a CI run needs beyond the report: stopping early, splitting a suite across machines, GitHub's
annotations and step summary. The options are declared here once and shared."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from verifygrad.errors import visible

if TYPE_CHECKING:
    from rich.console import Console

    from verifygrad.errors import CaseError
    from verifygrad.verdict.outcome import CaseOutcome

ANNOTATE = ("github", "none")


class ShardType(click.ParamType):
    """K/N: the K-th of N shards, 1 <= K <= N."""

    name = "K/N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        index, _, count = str(value).partition("/")
        if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
            self.fail(f"{value!r} is not K/N with 1 <= K <= N (e.g. 2/4)", param, ctx)
        return int(index), int(count)


def ci_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--maxfail, -x, --shard and --annotate."""
    command = click.option("--annotate", type=click.Choice(ANNOTATE),
                           help="Print GitHub Actions annotations (default: github when GITHUB_ACTIONS is set).")(command)  # fmt: skip
    command = click.option("--shard", type=ShardType(), help="Check only the K-th of N equal shares of the cases (a CI matrix of N jobs).")(command)
    command = click.option("-x", "--exitfirst", is_flag=True, help="Stop at the first failing case (--maxfail 1).")(command)
    return click.option("--maxfail", type=click.IntRange(min=1), metavar="N", help="Stop after N failing cases.")(command)


def stop_after(maxfail: int | None, exitfirst: bool) -> int | None:
    return 1 if exitfirst else maxfail


def annotating(choice: str | None) -> bool:
    """--annotate github, or on GitHub Actions unless --annotate none."""
    return choice == "github" or (choice is None and os.environ.get("GITHUB_ACTIONS") == "true")


def publish(console: Console, outcomes: list[CaseOutcome], load_errors: list[CaseError], annotate: str | None, summary: str) -> None:
    """Annotations on the console's stream; the Markdown summary appended to $GITHUB_STEP_SUMMARY if it is set."""
    from verifygrad.frontends.workflow import write_command
    from verifygrad.reports.github import annotations, step_summary

    if annotating(annotate):
        for line in annotations(outcomes, load_errors, os.environ.get("GITHUB_WORKSPACE")):
            write_command(console.file, line)  # NOTE: not console.print: a wrapped command is no command
        console.file.flush()
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        try:
            with open(target, "a", encoding="utf-8") as file:
                file.write(step_summary(outcomes, load_errors, summary))
        except OSError as err:
            click.echo(f"{visible(target)}: cannot write the step summary: {visible(str(err.strerror or err))}", err=True)
