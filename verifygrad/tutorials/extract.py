"""The cases read from tutorials, written as one case file that `verifygrad run` checks."""

from __future__ import annotations

import yaml

from verifygrad.cases.written import WrittenFloat, portable
from verifygrad.tutorials.tocases import Draft


def cases_yaml(drafts: list[Draft]) -> str:
    """A `cases:` file, each case preceded by where its claims were found."""
    parts = ["# Cases read from tutorials by `verifygrad extract`; review them before relying on them.\ncases:\n"]
    for draft in drafts:
        where = "; ".join(f"{kind} {quantity}: line {found.line} ({found.source})" for kind, quantity, found in draft.claims)
        comment = f"  # {draft.about} at line {draft.line}" + (f"; claims: {where}" if where else "")
        body = yaml.dump([draft.mapping], Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
        parts.append(_one_line(comment) + "\n" + "\n".join("  " + line if line else line for line in body.splitlines()) + "\n")
    return "".join(parts)


class _Dumper(yaml.SafeDumper):
    """Safe YAML, with a program written as a block (`expr: |`), one statement a line."""


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


def _written(dumper: yaml.SafeDumper, number: WrittenFloat) -> yaml.ScalarNode:
    """A number as it was printed (0.5000 keeps its decimals, which `run` holds the claim to)."""
    return dumper.represent_scalar("tag:yaml.org,2002:float", portable(number.text))


_Dumper.add_representer(str, _text)
_Dumper.add_representer(WrittenFloat, _written)


def _one_line(text: str) -> str:
    return "".join(char if char.isprintable() else " " for char in text)
