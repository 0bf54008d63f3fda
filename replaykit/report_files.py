"""Machine-readable replay reports: a versioned JSON document (schema ``replaykit/schemas/replay-report-1.json``)
and JUnit XML (one ``testsuite`` per acceptance suite, plus ``replay`` for the invocations)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from replaykit import __version__
from replaykit.acceptance import SUITE_CLASSES
from replaykit.checks import FAIL, PASS, SKIP, WARN
from replaykit.files import write_atomic
from replaykit.next_steps import check_hint, hints, invocation_hint
from replaykit.replay_findings import SHOWN, ReplayFindings
from replaykit.replayer import InvocationReplay, ReplayReport

REPORT_FORMAT = 1
SCHEMA_PATH = Path(__file__).parent / "schemas" / f"replay-report-{REPORT_FORMAT}.json"


def invocation_status(outcome: InvocationReplay) -> str:
    if outcome.problems:
        return "failed"
    if outcome.differences:
        return "updated" if outcome.updated else "differs"
    return "passed"


def suite_counts(report: ReplayReport) -> dict[str, dict[str, int]]:
    """passed / failed / skipped per suite, in the order the suites ran (the terminal table's numbers)."""
    counts: dict[str, dict[str, int]] = {}
    for check in report.checks:
        row = counts.setdefault(check.suite, {PASS: 0, FAIL: 0, SKIP: 0, WARN: 0})
        row[check.status] += 1
    return counts


def findings_document(findings: ReplayFindings) -> dict[str, Any]:
    """Unplayed recorded requests and non-protocol stdout lines: a count and the first few, when there are any."""
    out: dict[str, Any] = {}
    if findings.unplayed:
        out["unplayed"] = {"count": len(findings.unplayed), "requests": findings.unplayed[:SHOWN]}
    if findings.non_protocol_lines:
        out["non_protocol_stdout"] = {"count": findings.non_protocol_lines, "lines": findings.non_protocol_examples}
    return out


def report_document(report: ReplayReport) -> dict[str, Any]:
    invocations = [
        {
            "id": r.invocation.id,
            "status": invocation_status(r),
            "problems": list(r.problems),
            "differences": list(r.differences),
            "records": len(r.run.output.records) if r.run else 0,
            "requests": r.run.result.interactions if r.run else 0,
            "duration_s": round(r.run.duration_s, 3) if r.run else 0.0,
        }
        | findings_document(r.findings)
        for r in report.results
    ]
    next_hints = hints(report)
    by_status: dict[str, int] = {}
    for outcome in report.results:
        status = invocation_status(outcome)
        by_status[status] = by_status.get(status, 0) + 1
    return {
        "format": REPORT_FORMAT,
        "tool": "replaykit",
        "version": __version__,
        "cassette_dir": str(report.cassette_dir),
        "passed": report.passed,
        "updated": report.updated,
        "summary": {
            "checks": suite_counts(report),
            "invocations": by_status,
            "snapshots": {
                status: sum(1 for c in report.snapshots if c.status == status)
                for status in ("unchanged", "updated", "created", "unused")
            },
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
        "hint": "\n".join(h.text for h in next_hints) or None,
        "hints": [{"kind": h.kind, "text": h.text} for h in next_hints],
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
    for outcome in report.results:
        case = ET.Element(
            "testcase",
            classname="replay",
            name=outcome.invocation.id,
            time=f"{outcome.run.duration_s:.3f}" if outcome.run else "0",
        )
        if not outcome.passed:
            lines = [*outcome.problems, *outcome.differences]
            failure = ET.SubElement(case, "failure", message=lines[0].splitlines()[0] if lines else "failed")
            hint = invocation_hint(outcome, report)
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
