"""Machine-readable replay reports: a versioned JSON document (schema ``replaykit/schemas/replay-report-1.json``)
and JUnit XML (one ``testsuite`` per acceptance suite, plus ``replay`` for the invocations)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from replaykit import __version__
from replaykit.acceptance import SUITE_CLASSES
from replaykit.checks import FAIL, SKIP, WARN
from replaykit.files import write_atomic
from replaykit.next_steps import check_hint
from replaykit.replay_findings import SHOWN, ReplayFindings
from replaykit.replayer import ReplayReport
from replaykit.report_model import report_model

REPORT_FORMAT = 1
SCHEMA_PATH = Path(__file__).parent / "schemas" / f"replay-report-{REPORT_FORMAT}.json"


def findings_document(findings: ReplayFindings) -> dict[str, Any]:
    """Unplayed recorded requests and non-protocol stdout lines: a count and the first few, when there are any."""
    out: dict[str, Any] = {}
    if findings.unplayed:
        out["unplayed"] = {"count": len(findings.unplayed), "requests": findings.unplayed[:SHOWN]}
    if findings.non_protocol_lines:
        out["non_protocol_stdout"] = {"count": findings.non_protocol_lines, "lines": findings.non_protocol_examples}
    return out


def report_document(report: ReplayReport) -> dict[str, Any]:
    model = report_model(report)
    invocations = [
        {
            "id": o.id,
            "status": o.status,
            "problems": o.problems,
            "differences": o.differences,
            "records": o.records,
            "requests": o.requests,
            "duration_s": round(o.duration_s, 3) if o.duration_s is not None else 0.0,
        }
        | findings_document(r.findings)
        for o, r in zip(model.invocations, report.results, strict=True)
    ]
    return {
        "format": REPORT_FORMAT,
        "tool": "replaykit",
        "version": __version__,
        "cassette_dir": str(report.cassette_dir),
        "passed": model.passed,
        "updated": report.updated,
        "summary": {
            "checks": model.checks.suites,
            "invocations": model.invocation_counts,
            "snapshots": model.snapshot_counts,
        },
        "checks": [
            {
                "id": c.node_id,
                "suite": c.suite,
                "test": c.test,
                "params": c.params,
                "status": c.status,
                "strict_only": c.strict_only,
                "message": c.message,
                "details": list(c.details[1:]),
            }
            for c in report.checks
        ],
        "invocations": invocations,
        "snapshots": [{"path": str(c.path), "status": c.status, "summary": list(c.summary)} for c in report.snapshots],
        "unused_invocations": list(report.unused_invocations),
        "not_recorded": list(report.not_recorded),
        "hint": "\n".join(h.text for h in model.hints) or None,
        "hints": [{"kind": h.kind, "text": h.text} for h in model.hints],
    }


def write_json_report(report: ReplayReport, path: Path) -> None:
    write_atomic(path, json.dumps(report_document(report), indent=2, sort_keys=True) + "\n")


def junit_xml(report: ReplayReport) -> str:
    root = ET.Element("testsuites", name="replaykit")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    groups: dict[str, list[ET.Element]] = {}
    for check in report.checks:
        case = ET.Element("testcase", classname=SUITE_CLASSES[check.suite], name=f"{check.test}[{check.params}]")
        if check.status == FAIL:
            failure = ET.SubElement(case, "failure", message=check.message)
            failure.text = "\n".join([*check.details[1:], f"Hint: {check_hint(check).text}"])
        elif check.status == SKIP:
            ET.SubElement(case, "skipped", message=check.message)
        elif check.status == WARN:
            ET.SubElement(case, "system-out").text = "warning: " + "\n".join(check.details or (check.message,))
        groups.setdefault(check.suite, []).append(case)
    for outcome in report_model(report).invocations:
        time = f"{outcome.duration_s:.3f}" if outcome.duration_s is not None else "0"
        case = ET.Element("testcase", classname="replay", name=outcome.id, time=time)
        if not outcome.passed:
            lines = [*outcome.problems, *outcome.differences]
            failure = ET.SubElement(case, "failure", message=lines[0].splitlines()[0] if lines else "failed")
            hint = outcome.hint
            failure.text = "\n".join([*lines, *([f"Hint: {hint.text}"] if hint else [])])
        groups.setdefault("replay", []).append(case)
    for name, cases in groups.items():
        failures = sum(1 for c in cases if c.find("failure") is not None)
        skipped = sum(1 for c in cases if c.find("skipped") is not None)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(cases)),
            failures=str(failures),
            errors="0",
            skipped=str(skipped),
        )
        suite.extend(cases)
        totals["tests"] += len(cases)
        totals["failures"] += failures
        totals["skipped"] += skipped
    root.attrib.update({k: str(v) for k, v in totals.items()} | {"errors": "0"})
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit_xml(report: ReplayReport, path: Path) -> None:
    write_atomic(path, junit_xml(report))
