"""Every tutorial reader is linear in its input: 1 MB of a hostile shape reads about as fast as 1 MB of prose.

Each reader gets the shapes that made an earlier reader backtrack or rescan (a printed number of 30 digits then
`x`, unclosed `\\(` and `tensor(`, runs of spaces, inline and unclosed HTML tags) and must read each within a
bound relative to a plain document of the same size, read in the same process. The documents are read in a
child process with a time limit, so a reader that hangs fails the test, naming the shape, instead of hanging it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SIZE = 1_000_000
CHILD_TIME_LIMIT = 240  # seconds for all of one reader's documents
CODE = "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n(x * x).sum().backward()\nprint(x.grad)\n"
FENCED = f"```python\n{CODE}```\n\n```output\ntensor([2., 4.])\n```\n\n"
QUOTES = "'''"


def fill(unit: str, size: int = SIZE) -> str:
    return unit * max(1, size // len(unit))


def notebook(output: str = "tensor([2., 4.])\n", prose: str = "Words.") -> str:
    cells = [{"cell_type": "code", "source": CODE, "outputs": [{"output_type": "stream", "text": output}]}, {"cell_type": "markdown", "source": prose}]
    return json.dumps({"cells": cells, "nbformat": 4, "metadata": {}})


# reader -> (suffix, plain document, {shape: document})
SHAPES: dict[str, tuple[str, str, dict[str, str]]] = {
    "markdown": (
        ".md",
        FENCED + fill("Prose about gradients, with $f(x) = x^2$ in it.\nA second line.\n\n"),
        {
            "30 digits then x, per output line": FENCED + "```output\n" + fill("1" * 30 + "x\n") + "```\n",
            "a million digits then x": FENCED + "```output\n" + "1" * SIZE + "x\n```\n",
            "a million digits then x *": FENCED + "```output\n" + "1" * SIZE + " x *\n```\n",
            "unclosed tensor( lines": FENCED + "```output\n" + fill("tensor(1.0,\n") + "```\n",
            "unclosed [ lines": FENCED + "```output\n" + fill("[1.0,\n") + "```\n",
            "unclosed \\(": fill("\\("),
            "unclosed \\[": fill("\\["),
            "unclosed $$": fill("$$x"),
            "single $": fill("$"),
            "spaces between output and x": fill("output" + " " * 1000 + "x\n"),
            "blank lines": fill("\n"),
            "reST: blank lines after a literal block": "Text::\n\n    x = 1\n" + fill("\n"),
            "reST: colons, spaces, then x": fill("::" + " " * 1000 + "x\n"),
        },
    ),
    "script": (
        ".py",
        CODE + QUOTES + "\n" + fill("Words of a docstring, tensor([1.0, 2.0]) and more.\n") + QUOTES + "\n",
        {
            "30 digits then x in a string": CODE + QUOTES + "\n" + fill("1" * 30 + "x\n") + QUOTES + "\n",
            "a million digits then x in a string": CODE + QUOTES + "\n" + "1" * SIZE + "x\n" + QUOTES + "\n",
            "unclosed tensor( in a string": CODE + QUOTES + "\n" + fill("tensor(1.0,\n") + QUOTES + "\n",
        },
    ),
    "html": (
        ".html",
        "<html><body>" + fill("<p>Some <b>prose</b> text here, about gradients.</p>\n") + "</body></html>",
        {
            "inline tags": "<html><body><p>" + fill("<b>x</b>") + "</p></body></html>",
            "unclosed tags then stray end tags": "<html><body>" + fill("<div>", SIZE // 2) + fill("</span>", SIZE // 2),
            "a < that opens nothing": "<html><body>" + fill("<"),
            "unclosed </": "<html><body>" + fill("</"),
            "unclosed <a ": "<html><body>" + fill("<a "),
            "unclosed <!": "<html><body>" + fill("<!"),
            "unclosed <?": "<html><body>" + fill("<?"),
            "unclosed <![CDATA[": "<html><body>" + fill("<![CDATA["),
            "unclosed <pre>": "<html><body>" + fill("<pre>"),
        },
    ),
    "text": (
        ".txt",
        "x = 1\nprint(x)\n" + fill("Some prose about gradients here, and a second clause.\n"),
        {
            "30 digits then x": "x = 1\nprint(x)\n" + fill("1" * 30 + "x\n"),
            "spaces then x": "x = 1\nprint(x)\n1]" + " " * SIZE + "x\n",
            "unclosed tensor(": "x = 1\nprint(x)\n" + fill("tensor(1.0,\n"),
            "blank lines": "x = 1\nprint(x)\n" + fill("\n"),
        },
    ),
    "notebook": (
        ".ipynb",
        notebook(prose=fill("Some prose, about gradients $x^2$.\n")),
        {
            "30 digits then x": notebook(output=fill("1" * 30 + "x\n")),
            "unclosed \\(": notebook(prose=fill("\\(", SIZE * 2 // 3)),  # JSON doubles each backslash
            "unclosed tensor(": notebook(output=fill("tensor(1.0,\n")),
            "JSON starts that never close": fill('{"cells": [1,\n'),
            "lone { lines before the notebook": fill("{\n") + notebook(),
        },
    ),
}

CHILD = """
import json, sys, time
from pathlib import Path
from verifygrad.tutorials.read import read_tutorial
from verifygrad.errors import CaseError
for path in sys.argv[1:]:
    start = time.perf_counter()
    try:
        read_tutorial(Path(path))
    except CaseError:
        pass
    print(json.dumps([path, time.perf_counter() - start]), flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("reader", sorted(SHAPES))
def test_a_reader_reads_hostile_shapes_in_time_linear_in_their_size(tmp_path: Path, reader: str) -> None:
    suffix, plain, hostile = SHAPES[reader]
    paths = [tmp_path / f"plain{suffix}"] + [tmp_path / f"shape{index}{suffix}" for index in range(len(hostile))]
    for path, text in zip(paths, [plain, *hostile.values()]):
        assert len(text) <= 1.1 * SIZE + 1000
        path.write_text(text, encoding="utf-8")
    names = dict(zip(map(str, paths), ["plain", *hostile]))
    done: dict[str, float] = {}
    try:
        child = subprocess.run([sys.executable, "-c", CHILD, *map(str, paths)], capture_output=True, text=True, timeout=CHILD_TIME_LIMIT)
        output = child.stdout
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout.decode() if isinstance(expired.stdout, bytes) else expired.stdout or ""
    for line in output.splitlines():
        path, seconds = json.loads(line)
        done[names[path]] = seconds
    unfinished = [name for name in names.values() if name not in done]
    assert not unfinished, f"{reader}: still reading {unfinished[0]!r} after {CHILD_TIME_LIMIT} s"
    bound = 10 * done["plain"] + 2.0  # a quadratic reader takes 100x or more at this size
    slow = {name: round(seconds, 2) for name, seconds in done.items() if seconds > bound}
    assert not slow, f"{reader}: over {bound:.1f} s (plain: {done['plain']:.2f} s): {slow}"
