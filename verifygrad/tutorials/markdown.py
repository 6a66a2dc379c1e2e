"""Markdown, MyST and reST: fenced or directive code, output blocks ("```output", "Output:", "输出结果:"), `>>>` sessions.

Markdown and MyST are read with markdown-it-py (CommonMark), so that what is code is what a renderer shows
as code: a fence inside an HTML comment is not, one inside a blockquote is. reST keeps its own scanner.
"""

from __future__ import annotations

import ast
import re

from verifygrad.tutorials.blocks import CODE, OUTPUT, PROSE, Block
from verifygrad.tutorials.html_export import reads_as_code

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{?([\w+-]*)\}?\s*([\w+-]*)")
_SHELL_LANGUAGES = {"bash", "sh", "shell", "zsh", "terminal", "log", "raw", "ansi"}  # an output fenced so, where it holds only values
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

    lines = newline_split(text)
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
            after_code = bool(blocks) and blocks[-1].kind == CODE and language in _CODE_LANGUAGES | _SHELL_LANGUAGES  # an output fenced as code
            printed = after_code and (looks_printed(code) or looks_symbolic(code, blocks[-1].text))
            blocks.extend(_fenced(language, code, start + 2 + options, expect_output or printed))
            expect_output = False
        elif token.type == "code_block":  # indented: code, or an output where one is announced or it looks printed
            after_fence = bool(blocks) and blocks[-1].kind == CODE and tokens[index - 2].type == "fence"
            kind = OUTPUT if expect_output or looks_printed(token.content) or after_fence and _shown(token.content, blocks[-1].text) else CODE
            blocks.append(Block(kind, token.content, start + 1))
            expect_output = False
        elif token.type == "inline":
            blocks.append(Block(PROSE, token.content + "\n", start + 1))
            expect_output = bool(OUTPUT_LABEL.match(token.content.rsplit("\n", 1)[-1]))
        elif token.type == "html_block" and (pre := _pre_block(lines, start, end)):  # <pre>: code as a blog shows it
            text, first, after = pre
            printed = bool(blocks) and blocks[-1].kind == CODE and looks_printed(text)  # `tensor([2.])` parses as Python too
            blocks.append(Block(CODE if reads_as_code(text) and not printed else OUTPUT, text, first))
            while index < len(tokens) and (tokens[index].map is None or tokens[index].map[0] < after):
                index += 1  # NOTE: a blank line inside <pre> splits it into several tokens; all of it was read here
            expect_output = False
        elif token.type == "html_block":  # a comment or markup: what a reader does not see as code
            if "math/tex" in token.content:  # MathJax's <script type="math/tex">: math a reader sees
                blocks.append(Block(PROSE, token.content, start + 1))
            expect_output = False
    return blocks


_PRE_OPEN = re.compile(r"<pre\b[^>]*>", re.I)
_PRE_CLOSE = re.compile(r"</pre\s*>", re.I)
_INNER_TAG = re.compile(r"</?(?:code|span|b|i|em|strong|font|a|div|samp|kbd)\b[^>]*>", re.I)  # highlighting inside <pre>


def _pre_block(lines: list[str], start: int, end: int) -> tuple[str, int, int] | None:
    """The text of a ``<pre>`` opened in the HTML block at ``lines[start:end]`` (up to its ``</pre>``, however many
    blocks CommonMark made of it), unescaped and without its highlighting tags; its first line and the line after it."""
    from html import unescape

    for number in range(start, end):
        opened = _PRE_OPEN.search(lines[number])
        if not opened:
            continue
        body = [lines[number][opened.end() :]]
        close = number
        while not _PRE_CLOSE.search(body[-1]) and close + 1 < len(lines):
            close += 1
            body.append(lines[close])
        body[-1] = _PRE_CLOSE.split(body[-1])[0]
        first = number + 1 if body[0].strip() else number + 2
        text = unescape(_INNER_TAG.sub("", "\n".join(body if body[0].strip() else body[1:])))
        return text.rstrip() + "\n", first, close + 1
    return None


# NOTE: `[^\S\n]`, not `\s`: with re.M, `^\s*` at each of 200,000 blank lines would run over all those below it.
_REST_MARK = re.compile(r"^[^\S\n]*\.\.[^\S\n]+[\w-]+::|::[^\S\n]*$", re.M)
_MARKDOWN_FENCE = re.compile(r"^[^\S\n]*(```|~~~)", re.M)


def newline_split(text: str) -> list[str]:
    """The lines of a text as markdown-it-py and the rest of `check` count them."""
    # NOTE: not str.splitlines(): it also ends a line at U+2028, form feeds and \x1c-\x1e, and every line below shifts.
    lines = text.replace("\r\n", "\n").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def is_rest(text: str) -> bool:
    """reST rather than Markdown: its directives or literal blocks (`::`), and no Markdown fence."""
    return bool(_REST_MARK.search(text)) and not _MARKDOWN_FENCE.search(text)


def read_rest(text: str) -> list[Block]:
    """reST (and anything with its directives): fenced blocks and directives as code or output; the rest as prose."""
    lines = newline_split(text)
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
            after_code = bool(blocks) and blocks[-1].kind == CODE and language in _CODE_LANGUAGES | _SHELL_LANGUAGES
            printed = after_code and (looks_printed(text) or looks_symbolic(text, blocks[-1].text))
            blocks.extend(_fenced(language, text, index + 2 + options, expect_output or printed))
            expect_output = False
            index = end + 1
            prose_start = index + 1
            continue
        if directive:
            flush_prose()
            end, body, first = _indented_body(lines, index + 1, len(directive.group(1)))
            kind = directive.group(2)
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
            end, body, first = _indented_body(lines, index + 1, len(line) - len(line.lstrip()))
            if body:
                prose.append(line)
                flush_prose()
                literal = _dedent(body)
                labelled = expect_output or OUTPUT_LABEL.match(line.rstrip()[:-2] + ":")  # `Output::`, `输出::`
                shown = labelled or looks_printed(literal)  # `tf.Tensor(\n[[ 6.  8.]] ...)`: what a run printed
                blocks.extend([Block(OUTPUT, literal, first)] if shown else _session_or_code(literal, first))
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
    return all(isinstance(statement, ast.Expr) and _is_shown_value(statement.value) or _label_and_value(statement) for statement in module.body)


def _label_and_value(statement: ast.stmt) -> bool:
    """`loss: 0.25` parses as an annotation with no value, which no code writes with a number for its type: a printed line."""
    return isinstance(statement, ast.AnnAssign) and statement.value is None and _is_shown_value(statement.annotation)


_PRETTY_MARKS = re.compile(r"[⋅ℯ⎛⎝⎞⎠─√∂]")
_LABEL = re.compile(r"^[^=]*?(?:\s=\s|:\s)")


def _shown(text: str, code: str) -> bool:
    """Whether an indented block right after fenced code is what it printed (Quarto and knitr write outputs so): text
    that is not Python (`Epoch: 1, Loss = 4.5000`), labelled numbers (`dw = 8.0000`, valid Python that reassigns nothing
    a reader would write so), or the formulas SymPy code printed (`2*x`)."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return all(_labelled_number(statement) for statement in module.body) or looks_symbolic(text, code)


def _labelled_number(statement: ast.stmt) -> bool:
    """`dw = 8.0000`, `loss = -0.5`: a name and a literal number, as a print with a label shows one."""
    value = statement.value if isinstance(statement, ast.Assign) and len(statement.targets) == 1 else None
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        value = value.operand
    return isinstance(value, ast.Constant) and type(value.value) in (int, float) and isinstance(statement.targets[0], ast.Name)


def looks_symbolic(text: str, code: str) -> bool:
    """Whether a fenced block after SymPy code holds the formulas it printed (`2*x*cos(x**2)`, `df/dx = 3*exp(3*x)`,
    `24⋅x`) rather than code: every line a formula, after a label, and none of them a statement or a bare name."""
    if "sympy" not in code and "diff(" not in code or not text.strip():
        return False
    return all(_is_formula_line(line) for line in text.split("\n") if line.strip())


def _is_formula_line(line: str) -> bool:
    if _PRETTY_MARKS.search(line) or re.fullmatch(r"[\s\w]*", line) and line.startswith(" "):
        return True  # drawn by SymPy's pretty printer (exponents sit on the line above)
    written = _LABEL.sub("", line, count=1).strip()
    try:
        node = ast.parse(written, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call)):
        return False
    allowed = (ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load, ast.operator, ast.unaryop)
    return all(isinstance(part, allowed) and (not isinstance(part, ast.Call) or isinstance(part.func, ast.Name)) for part in ast.walk(node))


def _is_shown_value(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float))
    if isinstance(node, (ast.List, ast.Tuple)):  # `(tensor([1.]), None)`: a gradient list with None where a source has none
        values = [element for element in node.elts if not (isinstance(element, ast.Constant) and element.value is None)]
        return bool(values) and all(_is_shown_value(element) for element in values) or not node.elts
    if isinstance(node, ast.Dict):  # {'b': Array(-2., dtype=float32), 'w': ...}: a dict of gradients printed
        return (
            bool(node.keys)
            and all(isinstance(key, ast.Constant) and isinstance(key.value, str) for key in node.keys)
            and all(_is_shown_value(value) for value in node.values)
        )
    if isinstance(node, ast.Subscript):  # numpy's rows without commas, `[[-0.1]\n [0.2]]`, parse as a list indexed by a list
        return _is_shown_value(node.value) and _is_shown_value(node.slice)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args and node.keywords:  # `Value(data=-8.0)`
        keys = [keyword.arg for keyword in node.keywords]
        return "data" in keys and set(keys) <= {"data", "grad"} and all(_is_shown_value(keyword.value) for keyword in node.keywords)
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


def _indented_body(lines: list[str], start: int, indent: int) -> tuple[int, list[str], int]:
    """The lines indented deeper than ``indent`` after a directive (options and blank lines before them skipped),
    where they end, and the line number of the first."""
    body: list[str] = []
    first = start
    index = start
    while index < len(lines) and (not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent):
        if body or not (not lines[index].strip() or lines[index].strip().startswith(":")):
            first = index if not body else first
            body.append(lines[index])
        index += 1
    while body and not body[-1].strip():
        body.pop()
    return index, body, first + 1


def _dedent(lines: list[str]) -> str:
    import textwrap

    return textwrap.dedent("\n".join(lines)).strip("\n") + "\n"


def _arrow_outputs(lines: list[str], line: int) -> list[Block] | None:
    """Code whose results a blog writes after `>>>` (`h1_in = 6*x1 - 2*x2` then `>>> 16.0`): code and output blocks in
    turn; None where the block is a session (it starts with the prompt) or a `>>>` line holds anything but numbers."""
    from verifygrad.tutorials.printed import number_row

    first = next((item.lstrip() for item in lines if item.strip()), "")
    marked = [item.lstrip()[3:].strip() for item in lines if item.lstrip().startswith(">>>")]
    if first.startswith(">>>") or not all(number_row(rest) for rest in marked):
        return None
    blocks: list[Block] = []
    start = 0
    for index in range(len(lines) + 1):
        kind = OUTPUT if index < len(lines) and lines[index].lstrip().startswith(">>>") else CODE
        if index == len(lines) or index > start and kind != (OUTPUT if lines[start].lstrip().startswith(">>>") else CODE):
            run = lines[start:index]
            if any(item.strip() for item in run):
                shown = [item.lstrip()[3:].strip() for item in run] if lines[start].lstrip().startswith(">>>") else run
                blocks.append(Block(OUTPUT if shown is not run else CODE, "\n".join(shown) + "\n", line + start))
            start = index
    return blocks


def _session_or_code(text: str, line: int) -> list[Block]:
    """A `>>>` session becomes code and output blocks, statement by statement; other text is one code block."""
    lines = newline_split(text)
    if not any(item.lstrip().startswith(">>>") for item in lines):
        return [Block(CODE, text, line)]
    arrows = _arrow_outputs(lines, line)
    if arrows is not None:
        return arrows
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
