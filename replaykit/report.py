"""Text rendering of results; pure functions that return lines (the shells decide where they go)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from replaykit.recorder import RecordResult
from replaykit.replayer import InvocationReplay, ReplayReport
from replaykit.runner import InvocationRun


def invocation_line(invocation_id: str, run: InvocationRun | None, status: str) -> str:
    if run is None:
        return f"{status:6} {invocation_id}"
    records = len(run.output.records)
    sleep = run.result.get("sleep", {})
    waited = (
        f", waits {sleep.get('requested_s', 0)}s skipped"
        if sleep.get("requested_s") and not sleep.get("performed_s")
        else ""
    )
    return (
        f"{status:6} {invocation_id:34} {records:6} records {int(run.result.get('interactions', 0)):5} "
        f"requests {run.duration_s:6.1f}s{waited}"
    )


def replay_lines(outcome: InvocationReplay) -> Iterator[str]:
    status = "FAILED" if outcome.problems else "DIFF" if outcome.differences and not outcome.updated else "ok"
    yield invocation_line(outcome.invocation.id, outcome.run, status)
    for problem in [*outcome.problems, *outcome.differences]:
        for i, line in enumerate(problem.splitlines()):
            yield ("    - " if i == 0 else "      ") + line


def _shown(path: Path, cwd: Path | None) -> str:
    if cwd is not None:
        try:
            return str(path.relative_to(cwd))
        except ValueError:
            pass
    return str(path)


def snapshot_lines(report: ReplayReport, cwd: Path | None = None) -> Iterator[str]:
    counts = {
        status: sum(1 for c in report.snapshots if c.status == status)
        for status in ("unchanged", "updated", "created", "unused")
    }
    if report.snapshots:
        verb = "written" if report.updated else "compared"
        yield "snapshots " + verb + ": " + ", ".join(f"{n} {status}" for status, n in counts.items())
    for change in report.snapshots:
        if change.status != "unchanged":
            done = {"updated": "updated", "created": "created", "unused": "deleted"}[change.status]
            label = done if report.updated else change.status
            yield f"  {label} {_shown(change.path, cwd)}"
            yield from (f"    - {line}" for line in change.summary)
    if report.unused_invocations:
        action = "pruned" if report.updated else "unused"
        yield f"recordings {action} (the acceptance config no longer needs them): " + ", ".join(
            report.unused_invocations
        )
    if report.not_recorded:
        yield "not recorded yet (the acceptance config needs them): " + ", ".join(report.not_recorded)


def check_lines(report: ReplayReport) -> Iterator[str]:
    if not report.checks:
        return
    yield "acceptance checks:"
    yield f"  {'suite':20} {'passed':>6} {'failed':>6} {'skipped':>7} {'warning':>7}"
    suites = list(dict.fromkeys(c.suite for c in report.checks))
    for suite in suites:
        of = [c for c in report.checks if c.suite == suite]
        counts = [sum(1 for c in of if c.status == s) for s in ("passed", "failed", "skipped", "warning")]
        yield f"  {suite:20} {counts[0]:6} {counts[1]:6} {counts[2]:7} {counts[3]:7}"
    for check in [c for c in report.checks if c.status == "warning"]:
        marker = " (strict-only)" if check.strict_only else ""
        yield f"  WARNING {check.node_id}{marker}: {check.message}"
        yield from (f"    {d}" for d in check.details[1:16])
    failed = [c for c in report.checks if c.status == "failed"]
    for check in failed:
        marker = " (strict-only)" if check.strict_only else ""
        yield f"  FAILED {check.node_id}{marker}: {check.message}"
        yield from (f"    {d}" for d in check.details[1:16])
    if failed:
        yield (
            "  Hint: the checks ran on the replayed outputs; fix the connector, or bypass a check in "
            "acceptance-test-config.yml with a bypass_reason, then replay again"
        )


def replay_summary(report: ReplayReport, cwd: Path | None = None) -> Iterator[str]:
    yield from check_lines(report)
    yield from snapshot_lines(report, cwd)
    total = len(report.results)
    problems = [r for r in report.results if r.problems]
    differing = [r for r in report.results if r.differences]
    changed = [c for c in report.snapshots if c.status in ("updated", "created")]
    failed_checks = [c for c in report.checks if c.status == "failed"]
    if failed_checks:
        yield f"acceptance checks FAILED: {len(failed_checks)} of {len(report.checks)}"
    if problems:
        yield f"replay FAILED: {len(problems)} of {total} invocation(s) cannot be replayed from their recording"
        yield f"Hint: the connector's requests changed; re-record: {report.record_command}"
    elif report.updated:
        yield (
            f"replay updated: {len(differing)} invocation(s) and {len(changed)} snapshot file(s) rewritten, "
            f"{len(report.unused_invocations)} unused recording(s) pruned; review and commit them"
        )
    elif differing or changed:
        yield (
            f"replay FAILED: {len(differing)} of {total} invocation(s) and {len(changed)} snapshot file(s) "
            "differ from the recording"
        )
        yield "Hint: if the connector's change is intended, run `replaykit replay --update` (offline) and commit"
    elif not failed_checks:
        yield f"replay passed: {total} invocation(s) matched their recording ({report.cassette_dir})"
    if report.not_recorded:
        yield f"Hint: record the missing invocations: {report.record_command}"


def record_summary(result: RecordResult) -> Iterator[str]:
    total_requests = sum(i.requests for i in result.index.invocations)
    yield (
        f"recorded {len(result.index.invocations)} invocation(s), {total_requests} request(s) into "
        f"{result.cassette_dir}"
    )
    for path in result.written:
        yield f"wrote {path}"
    yield "Next: commit the cassettes, then run `replaykit replay` (offline, no secrets needed)."
