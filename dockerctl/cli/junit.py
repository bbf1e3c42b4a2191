"""JUnit XML for CI: one testsuite per playbook, one testcase per check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `play` imports this module: the verdicts load only with a lab's expectations
    from dockerctl.verify.verdict import Check


def write_junit(path: Path, suite: str, checks: list[Check], error: str = "") -> None:
    import xml.etree.ElementTree as ET  # nosec B405  # builds XML to write; never parses any; --junit only

    failures = [c for c in checks if not c.ok]
    root = ET.Element(
        "testsuite",
        name=suite,
        tests=str(len(checks) or 1),
        failures=str(len(failures)),
        errors="1" if error else "0",
    )
    for c in checks:
        case = ET.SubElement(root, "testcase", classname=f"{suite}.{c.claim}", name=c.subject)
        if not c.ok:
            failure = ET.SubElement(
                case, "failure", message=f"{c.verdict}: asked {c.desired}, got {c.observed}"
            )
            failure.text = f"evidence: {c.evidence}\n{c.note}".strip()
    if error:
        case = ET.SubElement(root, "testcase", classname=suite, name="apply")
        ET.SubElement(case, "error", message=error)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
