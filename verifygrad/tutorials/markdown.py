"""Markdown, MyST and reST: fenced or directive code, output blocks ("```output", "Output:", "输出结果:"), `>>>` sessions.

Markdown and MyST are read with markdown-it-py (CommonMark), so that what is code is what a renderer shows
as code: a fence inside an HTML comment is not, one inside a blockquote is. reST keeps its own scanner.
"""

from __future__ import annotations

import ast
import re

from verifygrad.tutorials.blocks import CODE, OUTPUT, PROSE, Block

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{?([\w+-]*)\}?\s*([\w+-]*)")
_CODE_LANGUAGES = {"", "python", "py", "python3", "ipython", "ipython3", "pycon", "code-cell", "jupyter-execute", "ipython-input"}
_OUTPUT_LANGUAGES = {"output", "out", "text", "console", "none", "plain", "plaintext", "txt", "result", "stdout"}
# A line that announces the output below it, in the languages tutorials are written in.
OUTPUT_LABEL = re.compile(
    r"^\s*(\*\*|__)?(output|outputs|out|result|results|prints|printed|stdout|输出|输出结果|运行结果|结果|执行结果|出力|結果|実行結果)"
    r"(\*\*|__)?\s*(?:\(.*\)\s*)?[:：]\s*(?:(?:\*\*|__)\s*)?$",  # NOTE: no two `\s*` with only optional text between
    re.I,
)
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(code-block|code|sourcecode|ipython|jupyter-execute|doctest|testcode|testoutput|math|parsed-literal)::\s*(\S*)")


def read_markdown(text: str) -> list[Block]:
    """A Markdown or MyST page through markdown-it-py's tokens (each with its source lines); reST by its own scanner."""
    if is_rest(text):
        return read_rest(text)
    from markdown_it import MarkdownIt

    lines = text.splitlines()
    blocks: list[Block] = []
    expect_output = False
    # NOTE: block structure only: inline parsing (emphasis, links) is not needed and costs most of the time.
    tokens = MarkdownIt("commonmark").disable(["inline", "text_join"]).parse(text)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.map is None:
            continue
        start, end = token.map
        if token.type == "blockquote_open" and lines[start].lstrip().startswith(">>>"):  # a session, not a quote
            depth = token.level
            while index < len(tokens) and not (tokens[index].type == "blockquote_close" and tokens[index].level == depth):
                index += 1
            blocks.extend(_session_or_code("\n".join(lines[start:end]) + "\n", start + 1))
            expect_output = False
        elif token.type == "fence":
            fence = _FENCE.match("```" + token.info)
            language = (fence.group(3) or "").lower() if fence else ""
            if language in ("code-cell", "jupyter-execute") and fence and fence.group(4):
                language = "python"
            body = token.content.split("\n")
            options = 0  # MyST `:tags:` lines open a code-cell
            while options < len(body) and re.match(r"^\s*:[\w-]+:", body[options]):
                options += 1
            code = "\n".join(body[options:])
            after_code = bool(blocks) and blocks[-1].kind == CODE and language in _CODE_LANGUAGES  # an output fenced as code
            blocks.extend(_fenced(language, code, start + 2 + options, expect_output or (after_code and looks_printed(code))))
            expect_output = False
        elif token.type == "code_block":  # indented: code, or an output where one is announced or it looks printed
            kind = OUTPUT if expect_output or looks_printed(token.content) else CODE
            blocks.append(Block(kind, token.content, start + 1))
            expect_output = False
        elif token.type == "inline":
            blocks.append(Block(PROSE, token.content + "\n", start + 1))
            expect_output = bool(OUTPUT_LABEL.match(token.content.rsplit("\n", 1)[-1]))
        elif token.type == "html_block":  # a comment or markup: what a reader does not see as code
            expect_output = False
    return blocks


def is_rest(text: str) -> bool:
    """reST rather than Markdown: its directives or literal blocks (`::`), and no Markdown fence."""
    return bool(re.search(r"^\s*\.\.\s+[\w-]+::|::\s*$", text, re.M)) and not re.search(r"^\s*(```|~~~)", text, re.M)


def read_rest(text: str) -> list[Block]:
    """reST (and anything with its directives): fenced blocks and directives as code or output; the rest as prose."""
    lines = text.splitlines()
    blocks: list[Block] = []
    prose: list[str] = []
    prose_start = 1
    index = 0
    expect_output = False

    def flush_prose() -> None:
        if "".join(prose).strip():
            blocks.append(Block(PROSE, "\n".join(prose) + "\n", prose_start))
        prose.clear()

    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        directive = _DIRECTIVE.match(line)
        if fence:
            marker, language = fence.group(2), (fence.group(3) or "").lower()
            if language in ("code-cell", "jupyter-execute") and fence.group(4):
                language = "python"
            end = _fence_end(lines, index + 1, marker)
            body = lines[index + 1 : end]
            options = 0  # MyST `:tags:` lines open a code-cell
            while options < len(body) and re.match(r"^\s*:[\w-]+:", body[options]):
                options += 1
            flush_prose()
            text = "\n".join(body[options:]) + "\n"
            after_code = bool(blocks) and blocks[-1].kind == CODE and language in _CODE_LANGUAGES
            blocks.extend(_fenced(language, text, index + 2 + options, expect_output or (after_code and looks_printed(text))))
            expect_output = False
            index = end + 1
            prose_start = index + 1
            continue
        if directive:
            flush_prose()
            end, body = _indented_body(lines, index + 1, len(directive.group(1)))
            kind = directive.group(2)
            first = index + 2 + next((k for k, row in enumerate(body) if row.strip()), 0)  # the body's first line: _dedent drops blank ones
            if kind == "math":
                blocks.append(Block(PROSE, "$$" + " ".join(body) + "$$\n", index + 1))
            elif kind == "parsed-literal":  # nbconvert's reST: a code cell's output; elsewhere, literal prose
                blocks.append(Block(OUTPUT if blocks and blocks[-1].kind == CODE else PROSE, _dedent(body), first))
            elif kind == "testoutput" or (directive.group(3).lower() in _OUTPUT_LANGUAGES and directive.group(3)):
                blocks.append(Block(OUTPUT, _dedent(body), first))
            else:
                blocks.extend(_session_or_code(_dedent(body), first))
            index = end
            prose_start = index + 1
            continue
        if line.rstrip().endswith("::") and not line.lstrip().startswith(".."):  # a reST literal block
            end, body = _indented_body(lines, index + 1, len(line) - len(line.lstrip()))
            if body:
                prose.append(line)
                flush_prose()
                literal = _dedent(body)
                labelled = expect_output or OUTPUT_LABEL.match(line[:-1] + ":")
                blocks.extend([Block(OUTPUT, literal, index + 2)] if labelled else _session_or_code(literal, index + 2))
                index = end
                prose_start = index + 1
                continue
        if line.lstrip().startswith(">>> "):
            flush_prose()
            end = index
            while end < len(lines) and lines[end].strip():
                end += 1
            blocks.extend(_session_or_code("\n".join(lines[index:end]) + "\n", index + 1))
            index = end
            prose_start = index + 1
            continue
        if line.strip():
            expect_output = bool(OUTPUT_LABEL.match(line))
        if not prose:
            prose_start = index + 1
        prose.append(line)
        index += 1
    flush_prose()
    return blocks


_REPR_CALLS = {"tensor", "array", "Array", "DeviceArray", "Tensor", "tf.Tensor", "Variable"}


def looks_printed(text: str) -> bool:
    """Whether a fenced block holds what code printed rather than code: reprs (`tensor([6.])`, `tf.Tensor(2.0, shape=())`),
    numbers and lists, or text that is not Python and holds a printed value (`[[1. 2.]\n [3. 4.]]`, `<NDArray 2 @cpu(0)>`)."""
    from verifygrad.tutorials.printed import read_printed

    if not text.strip():
        return False
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return bool(read_printed(text))
    return all(isinstance(statement, ast.Expr) and _is_shown_value(statement.value) for statement in module.body)


def _is_shown_value(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float))
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_is_shown_value(element) for element in node.elts)
    if isinstance(node, ast.Subscript):  # numpy's rows without commas, `[[-0.1]\n [0.2]]`, parse as a list indexed by a list
        return _is_shown_value(node.value) and _is_shown_value(node.slice)
    return isinstance(node, ast.Call) and ast.unparse(node.func) in _REPR_CALLS


def _fence_end(lines: list[str], start: int, marker: str) -> int:
    for index in range(start, len(lines)):
        if lines[index].strip().startswith(marker[0] * len(marker)) and not lines[index].strip().strip(marker[0]):
            return index
    return len(lines)


def _fenced(language: str, body: str, line: int, expect_output: bool) -> list[Block]:
    if expect_output or language in _OUTPUT_LANGUAGES:
        return [Block(OUTPUT, body, line)]
    if language in ("math", "latex"):
        return [Block(PROSE, "$$" + body + "$$\n", line)]
    if language in _CODE_LANGUAGES:
        return _session_or_code(body, line)
    return []  # another language (bash, yaml, ...): not a tutorial's Python


def _indented_body(lines: list[str], start: int, indent: int) -> tuple[int, list[str]]:
    """The lines indented deeper than ``indent`` after a directive (options skipped), and where they end."""
    body: list[str] = []
    index = start
    while index < len(lines) and (not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent):
        if not (not body and lines[index].strip().startswith(":")):
            body.append(lines[index])
        index += 1
    while body and not body[-1].strip():
        body.pop()
    return index, body


def _dedent(lines: list[str]) -> str:
    import textwrap

    return textwrap.dedent("\n".join(lines)).strip("\n") + "\n"


def _session_or_code(text: str, line: int) -> list[Block]:
    """A `>>>` session becomes code and output blocks, statement by statement; other text is one code block."""
    lines = text.splitlines()
    if not any(item.lstrip().startswith(">>>") for item in lines):
        return [Block(CODE, text, line)]
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].lstrip()
        if stripped.startswith(">>>"):
            code = [stripped[4:] if stripped.startswith(">>> ") else stripped[3:]]
            start = index
            index += 1
            while index < len(lines) and lines[index].lstrip().startswith("..."):
                rest = lines[index].lstrip()
                code.append(rest[4:] if rest.startswith("... ") else rest[3:])
                index += 1
            blocks.append(Block(CODE, "\n".join(code) + "\n", line + start))
            start = index
            shown = []
            while index < len(lines) and not lines[index].lstrip().startswith(">>>") and lines[index].strip():
                shown.append(lines[index])
                index += 1
            if shown:
                blocks.append(Block(OUTPUT, "\n".join(shown) + "\n", line + start))
        else:
            index += 1
    return blocks
