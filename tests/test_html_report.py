"""--html: one self-contained page, every piece of user text escaped; looked at in a real browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.clihelp import write
from verifygrad.cases.load import load_mapping
from verifygrad.frontends.cli import main
from verifygrad.reports.html import run_html
from verifygrad.verdict.judge import check_case

DOCS = Path(__file__).parent / "fixtures" / "docs_site"
CHROMIUM = next((path for path in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium") if path and Path(path).exists()), None)
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install -y chromium); .ci/run installs it")
HOSTILE = "name: '<script>alert(1)</script> & \"q\"'\nexpr: x*x\ninputs: {x: 3}\nengines: [numpy, fd]\ntags: [a<b]\nexpect: {grad: {x: 7}}\n"


def invoke(*args: str) -> int:
    result = CliRunner().invoke(main, list(args), env={"NO_COLOR": "1", "GITHUB_ACTIONS": None})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code


def browse(page: Path, screenshot: Path, query: str = "") -> str:
    """The page's DOM after its script ran, from headless Chromium; a screenshot of it kept at ``screenshot``."""
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--window-size=1200,1800"]  # fmt: skip
    url = page.resolve().as_uri() + query
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, *flags, f"--user-data-dir={profile}", f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=True)
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([CHROMIUM, *flags, f"--user-data-dir={profile}", "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


class Visible(HTMLParser):
    """The text of the elements with a class, in document order, and every external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[tuple[str, str]] = []  # (class, text)
        self.external: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.external += [v for k, v in attrs if k in ("src", "href") and v and not v.startswith("#")]
        if tag not in ("br", "meta", "input", "rect", "line"):
            self.stack.append(values.get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and tag not in ("br", "meta", "input", "rect", "line"):
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.order.append((self.stack[-1] if self.stack else "", data))


def parsed(html: str) -> Visible:
    parser = Visible()
    parser.feed(html)
    return parser


def test_user_text_is_escaped_and_nothing_is_fetched(tmp_path: Path) -> None:
    path = write(tmp_path, "hostile.yaml", HOSTILE)
    page = tmp_path / "run.html"
    assert invoke("run", str(path), "--html", str(page)) == 1
    html = page.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;" in html
    assert 'data-tags="a&lt;b"' in html
    assert parsed(html).external == []  # no CDN, no stylesheet, no font: it opens from disk


def test_a_hessian_gets_a_heat_map_and_each_engine_a_plot() -> None:
    cases, _ = load_mapping({"name": "quad", "expr": "x @ A @ x", "inputs": {"x": [1, -2], "A": [[2, 1], [0, 3]]}, "wrt": ["x"],
                             "hessian": True, "engines": ["numpy", "fd"], "expect": {"hessian": {"x": [[4, 1], [1, 7]]}}}, "t.yaml", 1)  # fmt: skip
    outcome = check_case(cases[0])
    html = run_html([outcome], [], 0.1)
    heat = re.search(r'<table class="heat">(.*?)</table>', html).group(1)
    assert heat.count("<tr>") == 2 and heat.count("<td") == 4
    assert heat.count('class="bad"') == 1  # A + A.T = [[4, 1], [1, 6]]: the claimed H[1,1] = 7 is the one wrong cell
    assert '<svg class="plot"' in html and "error = allowed" in html


@needs_browser
def test_the_check_page_shows_the_wrong_claim_where_it_stands(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    page = tmp_path / "powers.html"
    assert invoke("check", str(DOCS / "powers.ipynb"), "--html", str(page)) == 1
    screenshot = tmp_path_factory.getbasetemp() / "check-powers.png"  # kept with pytest's last runs
    dom = parsed(browse(page, screenshot))
    texts = [text for _, text in dom.order]
    wrong = [(cls, text) for cls, text in dom.order if "claim wrong" in cls]
    assert any("cell 4, output of w.grad" in text and "claimed 2.0000, true 3" in text for _, text in wrong)
    # Where it stands: after the output it is about, which comes after the code printing it.
    output = texts.index("tensor([0.7500, 2.0000])")
    assert texts.index("w.grad") < output < next(i for i, (cls, text) in enumerate(dom.order) if "claim wrong" in cls and "cell 4" in text)
    assert any("claim holds" in cls and "cell 2, output of x.grad" in text for cls, text in dom.order)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000
    print(f"screenshot: {screenshot}")


@needs_browser
def test_the_run_page_filters_by_verdict_and_tag(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    cases = write(tmp_path, "c.yaml", "defaults: {engines: [numpy, fd]}\ncases:\n"
                  "  - {name: good, expr: x*x, inputs: {x: 3}, tags: [easy]}\n"
                  "  - {name: bad, expr: x*x, inputs: {x: 3}, expect: {grad: {x: 7}}, tags: [hard]}\n")  # fmt: skip
    page = tmp_path / "run.html"
    assert invoke("run", str(cases), "--html", str(page)) == 1
    screenshot = tmp_path_factory.getbasetemp() / "run-failed.png"
    dom = browse(page, screenshot, "?verdict=failed")
    rows = dict(re.findall(r'<tr data-verdict="(\w+)"[^>]*?(?:style="([^"]*)")?>', dom))
    assert "none" in rows["passed"] and "none" not in rows["failed"]
    assert re.search(r'id="shown">1<', dom)
