"""Reading tutorials without running them: formats, printed tensors, math, and the code reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.test_tutorial_check import cli
from verifygrad.tutorials.blocks import CODE, OUTPUT, PROSE
from verifygrad.tutorials.detect import detect_format, read_document
from verifygrad.tutorials.mathtext import Derivative, MathError, read_relation, render
from verifygrad.tutorials.printed import read_printed
from verifygrad.tutorials.python2 import modernise
from verifygrad.tutorials.read import read_tutorial

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tutorials"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("exp_loss.ipynb", "notebook"),
        ("exp_loss_copied_from_page.txt", "notebook"),
        ("nb_export.html", "html"),
        ("tanh.md", "markdown"),
        ("sigmoid.rst", "markdown"),
        ("cubic_gallery.py", "gallery"),
        ("blog_post.txt", "text"),
    ],
)
def test_format_is_recognised_by_content(name: str, expected: str) -> None:
    path = FIXTURES / name
    assert detect_format(path.read_text(encoding="utf-8"), path.suffix) == expected
    # the content decides, whatever the file is called
    assert detect_format(path.read_text(encoding="utf-8"), ".txt") == expected


def _kinds(name: str) -> list[tuple[str, int]]:
    path = FIXTURES / name
    return [(block.kind, block.line) for block in read_document(path, path.read_text(encoding="utf-8")).blocks]


def test_notebook_blocks_point_at_file_lines_even_after_page_chrome() -> None:
    plain, copied = _kinds("exp_loss.ipynb"), _kinds("exp_loss_copied_from_page.txt")
    assert [kind for kind, _ in plain] == [PROSE, CODE, CODE, OUTPUT, PROSE, CODE, OUTPUT]
    assert [line + 4 for _, line in plain] == [line for _, line in copied]  # four lines of page text before the JSON


def test_html_export_gives_code_outputs_and_prose_with_their_lines() -> None:
    assert _kinds("nb_export.html") == [(CODE, 8), (OUTPUT, 17), (PROSE, 22), (CODE, 28), (OUTPUT, 35)]


def test_markdown_fences_output_labels_and_sessions() -> None:
    blocks = read_document(FIXTURES / "tanh.md", (FIXTURES / "tanh.md").read_text()).blocks
    kinds = [block.kind for block in blocks]
    assert kinds.count(OUTPUT) == 3 and kinds.count(CODE) == 6  # ```output, "Output:" + ```, and a >>> session's result
    session = [block for block in blocks if block.text.startswith("v.grad")]
    assert session and blocks[blocks.index(session[0]) + 1].text == "tensor([12.])\n"


def test_plain_text_separates_python2_code_from_prose_and_printed_results() -> None:
    blocks = read_document(FIXTURES / "blog_post.txt", (FIXTURES / "blog_post.txt").read_text()).blocks
    code = [block for block in blocks if block.kind == CODE]
    assert [block.line for block in code] == [7, 29]
    assert "print a.grad" in code[0].text
    assert [block.line for block in blocks if block.kind == OUTPUT] == [19, 23, 36]


def test_python2_prints_become_calls_and_keep_their_comments() -> None:
    assert modernise("print x.grad   # dz/dx = 6") == "print(x.grad)  # dz/dx = 6"
    assert modernise("print 'a # b'.format(x)") == "print('a # b'.format(x))"
    assert modernise("y.cuda(0, async=True)") == "y.cuda(0, non_blocking=True)"
    assert modernise("print(x)") == "print(x)"


@pytest.mark.parametrize(
    ("text", "values", "decimals"),
    [
        ("tensor([[4.5000, 4.5000]], grad_fn=<MeanBackward0>)", [[4.5, 4.5]], 4),
        ("tensor(7.5000, grad_fn=<MeanBackward0>)", 7.5, 4),
        ("tensor([1., 2.], requires_grad=True)", [1, 2], None),
        ("Variable containing:\n 0.5000  1.0000\n 1.5000  2.0000\n[torch.FloatTensor of size 2x2]\n", [[0.5, 1], [1.5, 2]], 4),
        ("Variable containing:\n 57\n[torch.cuda.FloatTensor of size 1 (GPU 0)]", 57, None),
        ("\n 1.0e-02 *\n  1.2345  2.0000\n[torch.FloatTensor of size 2]", [0.012345, 0.02], 6),
        ("array([[ 1.,  2.],\n       [ 3.,  4.]], dtype=float32)", [[1, 2], [3, 4]], None),
        ("[[ 1.  2.]\n [ 3.  4.]]", [[1, 2], [3, 4]], None),
        ("tensor([1.0000e-04, 2.0000e+00])", [1e-4, 2.0], 4),
        ("7.5", 7.5, None),
    ],
)
def test_printed_tensors_in_every_repr(text: str, values: object, decimals: int | None) -> None:
    (printed,) = read_printed(text)
    np.testing.assert_allclose(printed.values, values)
    assert printed.decimals == decimals


def test_printed_summaries_and_several_values_in_one_output() -> None:
    first, second = read_printed("tensor([0.1000, 0.2000,  ..., 0.9000])\nx.grad: Variable containing:\n 6\n[torch.FloatTensor of size 1]")
    assert first.summarised and not second.summarised
    assert float(second.values) == 6 and second.line_offset == 2


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        (r"\frac{\partial z}{\partial x_i}=\frac{5}{2}(x_i+1)", "(5 / 2) * (x + 1)"),
        (r"{d(v_{out}) \over d(variable)} = {variable \over 2}", "variable / 2"),
        (r"\frac{\partial o}{\partial x_i} = \frac{3}{2}(x_i+2)", "(3 / 2) * (x + 2)"),
        (r"\frac{\partial y}{\partial x} = 1 - \tanh(x)^2", "1 - (tanh(x) ** 2)"),
        ("dz/dx = 2x", "2 * x"),
        ("d(v_out)/d(variable) = 1/4*2*variable", "((1 / 4) * 2) * variable"),
    ],
)
def test_derivative_formulas_from_latex_and_plain_text(text: str, claim: str) -> None:
    head, *rest = read_relation(text, frozenset({"x", "z", "variable", "v_out", "o", "y"}))
    assert isinstance(head, Derivative)
    assert render(rest[-1]) == claim


def test_stated_values_sums_and_evaluation_points() -> None:
    assert render(read_relation(" x = [1, 2, 3, 4] ")[1]) == "[1, 2, 3, 4]"
    assert render(read_relation(r"z=\frac{1}{4}\sum_i 5(x_i+1)^2")[1]) == "(1 / 4) * sum(5 * ((x + 1) ** 2))"
    head, value = read_relation(r"\frac{\partial o}{\partial x_i}\bigr\rvert_{x_i=1} = 4.5", frozenset({"x"}))
    assert head.at == (("x", "1"),) and render(value) == "4.5"


def test_math_outside_the_subset_is_refused() -> None:
    with pytest.raises(MathError):
        read_relation(r"\int_0^1 x\,dx = \frac{1}{2}")


def _reading(tmp_path: Path, code: str):
    path = tmp_path / "t.py"
    path.write_text(code)
    return read_tutorial(path)


def test_code_reader_follows_grad_accumulation_and_zero(tmp_path: Path) -> None:
    tutorial = _reading(
        tmp_path,
        "import torch\nx = torch.ones(2, requires_grad=True)\n(x * x).sum().backward()\n(2 * x).sum().backward()\n"
        "print(x.grad)\nx.grad.zero_()\n(3 * x).sum().backward()\nprint(x.grad)\n",
    )
    shown = [item.value for items in tutorial.reading.shown for item in items]
    assert [len(item.contributions) for item in shown] == [2, 1]


def test_code_reader_lists_what_it_does_not_read_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    tutorial = _reading(
        tmp_path,
        f"import os\nimport mymodel\nopen({str(marker)!r}, 'w')\nos.system('touch {marker}')\nnet = mymodel.Net()\n"
        "for i in loader:\n    pass\nx = torch.ones(2, requires_grad=True)\nx[k].backward()\n",
    )
    assert not marker.exists()
    what = dict(tutorial.reading.not_read)
    assert what[2] == "an import of other code (mymodel)" and what[6] == "a for loop"
    assert "file I/O" in what[3] and "indexing" in what[9]
    assert not tutorial.drafts


def test_seeded_randn_is_reproduced_and_unseeded_is_marked(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    seeded = _reading(tmp_path, "import torch\ntorch.manual_seed(0)\nr = torch.randn(3, requires_grad=True)\n(r * r).sum().backward()\n")
    assert seeded.drafts[0].mapping["inputs"]["r"].startswith("tensor([1.5409960746765137, -0.29342")
    unseeded = _reading(tmp_path, "import torch\nr = torch.randn(3, requires_grad=True)\ns = (r * r).sum()\ns.backward()\nprint(s)\n# tensor(1.2345)\n")
    assert unseeded.drafts[0].mapping["inputs"]["r"] == "randn(3, seed=0)"


def test_detach_and_no_grad_make_constants(tmp_path: Path) -> None:
    tutorial = _reading(
        tmp_path,
        "import torch\nb = torch.tensor([1.0, 3.0], requires_grad=True)\nu = (b * b).detach()\nwith torch.no_grad():\n    w = b * 2\n"
        "q = (u * b + w).sum()\nq.backward()\n",
    )
    (draft,) = tutorial.drafts
    assert draft.mapping["expr"] == "(tensor([1.0, 3.0]) * tensor([1.0, 3.0]) * b + tensor([1.0, 3.0]) * 2).sum()"
    assert list(draft.mapping["inputs"]) == ["b"]


def test_code_that_doubles_its_expression_is_bounded(tmp_path: Path) -> None:
    code = "import torch\nc = torch.ones(2, requires_grad=True)\n" + "c = c + c * 2\n" * 40 + "c.sum().backward()\n"
    tutorial = _reading(tmp_path, code)
    assert not tutorial.drafts
    assert any("characters long written out" in what for _, what in tutorial.reading.not_read)


def test_retain_grad_differentiates_with_respect_to_the_intermediate(tmp_path: Path) -> None:
    tutorial = _reading(
        tmp_path,
        "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x * 2\ny.retain_grad()\nz = (y ** 2).sum()\nz.backward()\n"
        "print(y.grad)  # y.grad = [4, 8]\n",
    )
    (draft,) = tutorial.drafts
    assert draft.mapping["expr"] == "y = x * 2\nz = (y ** 2).sum()\n"
    assert draft.mapping["wrt"] == ["x", "y"] and draft.mapping["expect"]["grad"] == {"y": "tensor([4, 8])"}


@pytest.mark.parametrize(
    "text",
    [
        "$" * 400_000,
        "$x$\n" * 50_000,
        "<pre>" * 50_000,
        '{"cells": [' + "[" * 50_000 + "]" * 50_000 + "]}",
        '{"cells": [' + ",".join(['{"cell_type": "code", "source": "x = 1", "outputs": []}'] * 5_000) + "]}",
        "A post\n\n" + "\n".join(f"x{i} = torch.ones(2) * {i}" for i in range(1_000)),
        "```python\nx = torch.ones(2, requires_grad=True)\n" + "(" * 300 + "x" + ")" * 300 + ".sum().backward()\n```\n",
    ],
)
def test_hostile_documents_are_read_in_bounded_time(tmp_path: Path, text: str) -> None:
    import time

    start = time.perf_counter()
    read_tutorial(_write(tmp_path, text))
    assert time.perf_counter() - start < 5


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hostile.txt"
    path.write_text(text)
    return path


def test_print_of_two_tensors_on_one_line_gives_two_values() -> None:
    from verifygrad.tutorials.printed import read_printed

    assert [p.values.tolist() for p in read_printed("tensor(2.) tensor(1.)\ntensor(3.) tensor(2.)")] == [2.0, 1.0, 3.0, 2.0]


def test_markdown_is_read_as_a_renderer_shows_it(tmp_path: Path) -> None:
    """A fence inside an HTML comment is hidden from the reader of the page: not code. One inside a blockquote is shown: code."""
    page = (
        "# Hidden and quoted\n\n"
        "<!--\n```python\nhidden = torch.ones(2, requires_grad=True)\n```\n-->\n\n"
        "> ```python\n> import torch\n> q = torch.tensor([1.0, 3.0], requires_grad=True)\n> (q * q).sum().backward()\n> print(q.grad)\n> ```\n\n"
        "Output:\n\n```\ntensor([2., 6.])\n```\n"
    )
    path = tmp_path / "page.md"
    path.write_text(page, encoding="utf-8")
    blocks = read_document(path, page).blocks
    code = [block for block in blocks if block.kind == CODE]
    assert [block.line for block in code] == [10] and "hidden" not in code[0].text and code[0].text.startswith("import torch")
    assert [(block.kind, block.line) for block in blocks if block.kind == OUTPUT] == [(OUTPUT, 19)]
    (draft,) = read_tutorial(path).drafts
    assert [(kind, quantity, found.line) for kind, quantity, found in draft.claims] == [("grad", "q", 19)]


@pytest.mark.parametrize("separator", ["\u2028", "\x0c", "\x1c", "\x85"])
@pytest.mark.parametrize(
    ("page", "session_line"),
    [("Some{}prose.\n\n>>> x = 1\n>>> x + 1\n2\n", 3), ("A literal block::\n\n    y{}= 2\n\n>>> x = 1\n>>> x + 1\n2\n", 5)],
    ids=["markdown", "rest"],
)
def test_a_line_separator_inside_a_line_does_not_shift_the_lines_below(separator: str, page: str, session_line: int) -> None:
    """Lines end at newlines only, as markdown-it-py and the rest of `check` count them: a session below stays in place."""
    blocks = read_document(Path("page.md"), page.format(separator)).blocks
    session = [(block.kind, block.text, block.line) for block in blocks if block.line >= session_line]
    assert session == [(CODE, "x = 1\n", session_line), (CODE, "x + 1\n", session_line + 1), (OUTPUT, "2\n", session_line + 2)]


def test_rest_blocks_point_at_their_first_line_after_options_and_blank_lines() -> None:
    page = "Setup::\n\n    x = 1\n\n.. code-block:: python\n   :linenos:\n\n   y = 2\n\n.. testoutput::\n\n   tensor([2.])\n"
    blocks = read_document(Path("page.rst"), page).blocks
    assert [(block.kind, block.text, block.line) for block in blocks if block.kind != PROSE] == [
        (CODE, "x = 1\n", 3),
        (CODE, "y = 2\n", 8),
        (OUTPUT, "tensor([2.])\n", 12),
    ]


def test_a_markdown_post_with_figure_markup_is_read_as_markdown() -> None:
    # `class="fig fighighlight"` on a figure is page styling, not a highlighted code cell of an HTML export
    text = '---\ntitle: "post"\n---\n\n<div class="fig figcenter fighighlight">\n  <img src="a.png">\n</div>\n\n```python\nprint(1)\n```\n'
    assert detect_format(text, ".md") == "markdown"
    assert detect_format('<div class="highlight"><pre>x = 1</pre></div>\n', ".md") == "html"


def test_a_parsed_literal_after_code_in_rest_is_an_output() -> None:
    # nbconvert writes a notebook's outputs to reST as `.. parsed-literal::` after each `.. code:: ipython3`
    text = ".. code:: ipython3\n\n    print(1)\n\n.. parsed-literal::\n\n    1\n\nText.\n\n.. parsed-literal::\n\n    not after code\n"
    blocks = read_document(Path("nb.rst"), text).blocks
    assert [(block.kind, block.line) for block in blocks] == [(CODE, 3), (OUTPUT, 7), (PROSE, 9), (PROSE, 13)]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("Tensor x's grad is: [2. 4. 6.]", [[2, 4, 6]]),
        ("W_grad [-0.5  1.25]", [[-0.5, 1.25]]),
        ("dW1 = [[1. 2.]\n [3. 4.]]", [[[1, 2], [3, 4]]]),
        ("b_grad: -0.29227236", [-0.29227236]),
        ("Epoch 1/10 W: 0.000, Cost: 4.666667", [0.0, 4.666667]),  # a trace line: each labelled value, the counter none
        ("loss value 3.05", [3.05]),  # print('loss value', loss): a float ending the line after a label
        ("Epoch 3", []),  # a whole number after a label without ':' or '=' is not read
        ("Using 3.5 layers", []),  # nor a number with words after it
    ],
)
def test_a_value_printed_after_a_label_is_read(text: str, values: list) -> None:
    assert [printed.values.tolist() for printed in read_printed(text)] == values


def test_a_gallery_scripts_rst_text_blocks_read_their_math_directives(tmp_path: Path) -> None:
    path = tmp_path / "gallery_math.py"
    path.write_text("import torch\n\nu = torch.tensor([1., 2.], requires_grad=True)\nR = 2*u**3\n\n"
                    "######################################################################\n# The gradient is\n#\n# .. math::\n"
                    "#    \\frac{\\partial R}{\\partial u} = 6u^2\n#\n# and autograd agrees.\nR.backward(gradient=torch.ones(2))\n")  # fmt: skip
    code, output = cli("check", "--no-color", str(path))
    assert code == 0, output
    assert "✓ line 10 (LaTeX): ∂/∂u formula 6 * (u ** 2): proven" in output


def test_a_loop_stopped_by_a_condition_the_reader_cannot_decide_ties_none_of_its_printed_values(tmp_path: Path) -> None:
    """Gradient descent with an early stop: the reader cannot tell how many passes ran, so the x printed at the stop is
    not the x of the first pass (a false FAIL: 'claimed 0.0021, true 3.0')."""
    page = tmp_path / "descent.md"
    page.write_text(
        "```python\ndef slope(x):\n    return 2*x\n\nx = 5.0\nrate = 0.2\nfor step in range(30):\n    g = slope(x)\n"
        "    x = x - rate * g\n    print(f'step {step}: x = {x:.4f}')\n    if g < 0.01:\n        print(f'stopped at x = {x:.4f}')\n        break\n```\n\n"
        "    step 0: x = 3.0000\n    step 1: x = 1.8000\n    stopped at x = 0.0021\n"
    )
    code, output = cli("check", "--no-color", str(page))
    assert "FAIL" not in output, output
    assert code != 1, output
