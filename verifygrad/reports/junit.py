"""The run as JUnit XML, the dialect GitHub Actions, GitLab and Jenkins read: a testcase per case."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import PurePath

from verifygrad.errors import CaseError
from verifygrad.reports.text import plain_panel, verdict_line
from verifygrad.verdict.outcome import ERROR, FAILED, SKIPPED, CaseOutcome


def junit_xml(outcomes: list[CaseOutcome], load_errors: list[CaseError], seconds: float) -> str:
    """One <testsuite> per case file, one <testcase> per case; a file that fails to load is an <error>."""
    by_file: dict[str, list[ET.Element]] = defaultdict(list)
    for outcome in outcomes:
        by_file[outcome.case.path].append(_testcase(outcome))
    for error in load_errors:
        by_file[error.path].append(_load_error(error))
    root = ET.Element("testsuites", name="verifygrad", time=f"{seconds:.3f}")
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    for path, testcases in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=path, timestamp=stamp, hostname=socket.gethostname())
        suite.extend(testcases)
        _count(suite, testcases)
    _count(root, [case for suite in root for case in suite])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(outcome: CaseOutcome) -> ET.Element:
    case = outcome.case
    testcase = ET.Element("testcase", name=case.name, classname=_classname(case.path), file=case.path, line=str(case.line), time=f"{outcome.seconds:.3f}")
    tag = {FAILED: "failure", ERROR: "error", SKIPPED: "skipped"}.get(outcome.verdict)
    if tag:
        child = ET.SubElement(testcase, tag, message=verdict_line(outcome), type=outcome.verdict)
        if tag != "skipped":
            child.text = plain_panel(outcome)
    return testcase


def _load_error(error: CaseError) -> ET.Element:
    name = f"{PurePath(error.path).name}:{error.line}" if error.line else PurePath(error.path).name
    testcase = ET.Element("testcase", name=name, classname=_classname(error.path), file=error.path, time="0.000")
    if error.line:
        testcase.set("line", str(error.line))
    ET.SubElement(testcase, "error", message=str(error), type="invalid case file").text = str(error)
    return testcase


def _classname(path: str) -> str:
    """cases/tutorials.yaml -> cases.tutorials, as test reports group by dotted class name."""
    parts = PurePath(path).with_suffix("").parts
    return ".".join(part for part in parts if part not in ("", ".", "..", "/")) or "verifygrad"


def _count(element: ET.Element, testcases: list[ET.Element]) -> None:
    element.set("tests", str(len(testcases)))
    for tag, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        element.set(attribute, str(sum(case.find(tag) is not None for case in testcases)))
    if element.tag == "testsuite":
        element.set("time", f"{sum(float(case.get('time', 0)) for case in testcases):.3f}")
