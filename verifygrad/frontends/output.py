"""Where the output goes and how it looks: one place for the options every reporting command shares.

Width and the progress bar follow whether the output is an interactive terminal; colour follows
``--color`` (auto: ``NO_COLOR``, ``FORCE_COLOR`` and the terminal decide). They are independent:
``FORCE_COLOR=1`` in a CI log gives colour, not an 80-column table or progress-bar frames.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

PIPED_WIDTH = 130  # logs (CI, files) are read wide; rich would assume 80 columns
COLORS = ("auto", "always", "never")


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--color, --no-color and -q, as the report commands take them."""
    command = click.option("-q", "--quiet", is_flag=True, help="Only the failing cases' rows and lines, and the summary.")(command)
    command = click.option("--no-color", is_flag=True, help="Same as --color never.")(command)
    return click.option("--color", type=click.Choice(COLORS), default="auto", show_default=True,
                        help="Colour the output (auto: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it).")(command)  # fmt: skip


def interactive(stderr: bool = False) -> bool:
    """Whether the output goes to a terminal a person watches (not a pipe, file or CI log)."""
    stream = sys.stderr if stderr else sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def make_console(color: str = "auto", no_color: bool = False, stderr: bool = False) -> Console:
    from rich.console import Console

    color = "never" if no_color else color
    if color == "always":
        console = Console(stderr=stderr, force_terminal=True, no_color=False, highlight=False)
    elif color == "never":
        console = Console(stderr=stderr, no_color=True, color_system=None, highlight=False)
    else:
        console = Console(stderr=stderr, highlight=False)
    if not interactive(stderr) and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console
