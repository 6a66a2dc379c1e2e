"""The run as JUnit XML, the dialect GitHub Actions, GitLab and Jenkins read: a testcase per case.

Two families, named as pytest names them: ``xunit1`` adds ``file`` and ``line`` to each testcase and
``skipped`` to ``<testsuites>`` (GitLab and most report actions read them); ``xunit2`` keeps to the
attributes Jenkins' ``junit-10.xsd`` allows, so that strict consumers validate it.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import PurePath

from verifygrad.cases.second_order import is_second_order
from verifygrad.errors import CaseError, visible
from verifygrad.reports.text import plain_panel, verdict_line
from verifygrad.verdict.outcome import ERROR, FAILED, SKIPPED, CaseOutcome

FAMILIES = ("xunit1", "xunit2")
# Characters XML 1.0 cannot hold at all, even escaped (control characters but tab and newlines; lone surrogates).


def junit_xml(outcomes: list[CaseOutcome], load_errors: list[CaseError], seconds: float, family: str = "xunit1",
              unchecked: Iterable[tuple[str, str]] = ()) -> str:  # fmt: skip
    """One <testsuite> per case file, one <testcase> per case; a part of a file that fails to load is an <error>;
    a tutorial with nothing checkable (``unchecked``: path and why) is one skipped <testcase> that says why."""
    extended = family == "xunit1"
    by_file: dict[str, list[ET.Element]] = defaultdict(list)
    for outcome in outcomes:
        by_file[outcome.case.path].append(_testcase(outcome, extended))
    for error in load_errors:
        by_file[error.path].append(_load_error(error, extended))
    for path, why in unchecked:
        by_file[path].append(_nothing_checkable(path, why, extended))
    root = ET.Element("testsuites", name="verifygrad", time=f"{seconds:.3f}")
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    for path, testcases in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=path, timestamp=stamp, hostname=socket.gethostname())
        suite.extend(testcases)
        _count(suite, testcases, skipped=True)
    _count(root, [case for suite in root for case in suite], skipped=extended)
    _only_xml_characters(root)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _only_xml_characters(root: ET.Element) -> None:
    """Escape what XML 1.0 cannot hold at all (\x01, ESC, a lone surrogate): one such character loses the whole report."""
    for element in root.iter():
        element.attrib = {key: visible(value) for key, value in element.attrib.items()}
        if element.text:
            element.text = visible(element.text, newlines=True)


def _testcase(outcome: CaseOutcome, extended: bool) -> ET.Element:
    case = outcome.case
    testcase = ET.Element("testcase", name=case.name, classname=classname(case.path), time=f"{outcome.seconds:.3f}")
    if extended:
        testcase.attrib.update(file=case.path, line=str(case.line))
    second = [q for q in outcome.quantities if is_second_order(q.quantity)]
    if second and extended:  # NOTE: the second-order quantities' worst errors, for CI dashboards that read properties
        # (junit-10.xsd allows no <properties> in a <testcase>: xunit2 leaves them out)
        properties = ET.SubElement(testcase, "properties")
        for quantity in second:
            errors = ", ".join(f"{engine} {d.max_abs:.2g}" for engine, d in quantity.differences.items() if engine != quantity.reference)
            ET.SubElement(properties, "property", name=quantity.quantity, value=f"reference {quantity.reference}; {errors}")
    tag = {FAILED: "failure", ERROR: "error", SKIPPED: "skipped"}.get(outcome.verdict)
    if tag == "skipped":
        ET.SubElement(testcase, tag, message=verdict_line(outcome))
    elif tag:
        child = ET.SubElement(testcase, tag, message=verdict_line(outcome), type=outcome.verdict)
        child.text = plain_panel(outcome) if outcome.quantities else "\n".join(outcome.reasons)
    return testcase


def _load_error(error: CaseError, extended: bool) -> ET.Element:
    """A part of a case file that is not a valid case: named after its case where the loader knows it."""
    where = f"{PurePath(error.path).name}:{error.line}" if error.line else PurePath(error.path).name
    testcase = ET.Element("testcase", name=error.case or where, classname=classname(error.path), time="0.000")
    if extended:
        testcase.set("file", error.path)
        if error.line:
            testcase.set("line", str(error.line))
    ET.SubElement(testcase, "error", message=str(error), type="invalid case file").text = str(error)
    return testcase


def _nothing_checkable(path: str, why: str, extended: bool) -> ET.Element:
    testcase = ET.Element("testcase", name=f"{PurePath(path).name}: nothing checkable", classname=classname(path), time="0.000")
    if extended:
        testcase.set("file", path)
    ET.SubElement(testcase, "skipped", message=why)
    return testcase


def classname(path: str) -> str:
    """cases/tutorials.grad.yaml -> cases.tutorials, as test reports group by dotted class name."""
    pure = PurePath(path)
    stem = pure.name.split(".")[0] if pure.name.endswith((".grad.yaml", ".grad.yml")) else pure.stem
    parts = [*pure.parent.parts, stem]
    return ".".join(part for part in parts if part not in ("", ".", "..", "/")) or "verifygrad"


def _count(element: ET.Element, testcases: list[ET.Element], skipped: bool) -> None:
    element.set("tests", str(len(testcases)))
    for tag, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        if attribute != "skipped" or skipped:
            element.set(attribute, str(sum(case.find(tag) is not None for case in testcases)))
    if element.tag == "testsuite":
        element.set("time", f"{sum(float(case.get('time', 0)) for case in testcases):.3f}")
