"""Text rendering of results; pure functions that return lines (the shells decide where they go)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from replaykit.checks import CheckResult
from replaykit.failures import InvocationFailure
from replaykit.next_steps import update_lines
from replaykit.recorder import RecordResult
from replaykit.replayer import InvocationReplay, ReplayReport
from replaykit.report_model import checks_summary, progress_status, report_model, snapshot_counts
from replaykit.runner import InvocationRun


def invocation_line(invocation_id: str, run: InvocationRun | None, status: str) -> str:
    if run is None:
        return f"{status:6} {invocation_id}"
    records = len(run.output.records)
    sleep = run.result.sleep
    waited = f", waits {sleep.requested_s}s skipped" if sleep.requested_s and not sleep.performed_s else ""
    return (
        f"{status:6} {invocation_id:34} {records:6} records {run.result.interactions:5} "
        f"requests {run.duration_s:6.1f}s{waited}"
    )


def replay_lines(outcome: InvocationReplay) -> Iterator[str]:
    yield invocation_line(outcome.invocation.id, outcome.run, progress_status(outcome))
    for problem in [*outcome.problems, *outcome.differences]:
        for i, line in enumerate(problem.splitlines()):
            yield ("    - " if i == 0 else "      ") + line
    yield from (f"    note: {note}" for note in outcome.findings.notes())


def _shown(path: Path, cwd: Path | None) -> str:
    if cwd is not None:
        try:
            return str(path.relative_to(cwd))
        except ValueError:
            pass
    return str(path)


def snapshot_lines(report: ReplayReport, cwd: Path | None = None) -> Iterator[str]:
    counts = snapshot_counts(report)
    if report.snapshots:
        verb = "written" if report.updated else "compared"
        yield "snapshots " + verb + ": " + ", ".join(f"{n} {status}" for status, n in counts.items())
    for change in report.snapshots:
        if change.status != "unchanged":
            done = {"updated": "updated", "created": "created", "unused": "deleted"}[change.status]
            label = done if report.updated else change.status
            yield f"  {label} {_shown(change.path, cwd)}"
            for line in change.summary:
                yield f"      {line.strip()}" if line.startswith("  ") else f"    - {line}"
    if report.unused_invocations:
        action = "pruned" if report.updated else "unused"
        yield f"recordings {action} (the acceptance config no longer needs them): " + ", ".join(
            report.unused_invocations
        )
    if report.not_recorded:
        yield "not recorded yet (the acceptance config needs them): " + ", ".join(report.not_recorded)


def check_lines(report: ReplayReport, verbose: bool = False) -> Iterator[str]:
    yield from checks_table(report.checks, verbose)


def checks_table(checks: list[CheckResult], verbose: bool = False) -> Iterator[str]:
    """The per-suite table; failures with their details; skip reasons grouped (``verbose``: every check with its
    status and reason)."""
    if not checks:
        return
    yield "acceptance checks:"
    yield f"  {'suite':20} {'passed':>6} {'failed':>6} {'skipped':>7} {'warning':>7}"
    summary = checks_summary(checks)
    for suite, row in summary.suites.items():
        yield f"  {suite:20} {row['passed']:6} {row['failed']:6} {row['skipped']:7} {row['warning']:7}"
    if verbose:
        for check in checks:
            marker = " (strict-only)" if check.strict_only else ""
            reason = f": {check.message}" if check.message else ""
            yield f"  {check.status.upper():7} {check.node_id}{marker}{reason}"
            if check.status in ("failed", "warning"):
                yield from (f"    {d}" for d in check.details[1:16])
        return
    for status, shown_checks in (("warning", summary.warnings), ("failed", summary.failed)):
        for check in shown_checks:
            marker = " (strict-only)" if check.strict_only else ""
            yield f"  {status.upper()} {check.node_id}{marker}: {check.message}"
            yield from (f"    {d}" for d in check.details[1:16])
    for reason, ids in summary.skipped.items():
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        yield f"  skipped {len(ids)}: {reason} ({shown})"


def replay_summary(
    report: ReplayReport, cwd: Path | None = None, verbose: bool = False, update: bool = False
) -> Iterator[str]:
    if report.runner_note:
        yield f"note: {report.runner_note}"
    yield from failure_table([r.failure for r in report.results if r.failure is not None], len(report.results))
    yield from check_lines(report, verbose)
    yield from snapshot_lines(report, cwd)
    model = report_model(report)
    total = len(model.invocations)
    failed_checks = model.checks.failed
    if update or report.updated:  # what --update fixed, and what still fails and why
        yield from update_lines(report)
    if failed_checks:
        yield f"acceptance checks FAILED: {len(failed_checks)} of {len(report.checks)}"
    if model.cannot_replay:
        yield f"replay FAILED: {model.cannot_replay} of {total} invocation(s) cannot be replayed from their recording"
    elif not report.updated and (model.differing or model.changed_snapshots):
        yield (
            f"replay FAILED: {model.differing} of {total} invocation(s) and {model.changed_snapshots} snapshot file(s) "
            "differ from the recording"
        )
    elif not failed_checks and not report.updated:
        yield f"replay passed: {total} invocation(s) matched their recording ({report.cassette_dir})"
    yield from (f"Hint ({hint.kind}): {hint.text}" for hint in model.hints)


def failure_table(failures: list[InvocationFailure], total: int) -> Iterator[str]:
    """One table of every invocation whose outcome the checks will fail, with what the connector said."""
    if not failures:
        return
    yield f"invocations the acceptance checks will fail: {len(failures)} of {total}"
    yield f"  {'invocation':34} {'command':8} {'exit':>4}  problem"
    first_of: dict[object, str] = {}
    for failure in failures:
        code = "-" if failure.exit_code is None else str(failure.exit_code)
        yield f"  {failure.invocation:34} {failure.command:8} {code:>4}  {failure.problem}"
        if failure.message and failure.cause in first_of:
            yield f"      message: {failure.message} (as {first_of[failure.cause]})"
            continue
        first_of.setdefault(failure.cause, failure.invocation)
        yield from (f"      {line}" for line in failure.detail_lines())


def record_summary(result: RecordResult, verbose: bool = False) -> Iterator[str]:
    if result.runner_note:
        yield f"note: {result.runner_note}"
    yield from (f"note: {note}" for note in result.notes)
    total = len(result.index.invocations) + sum(1 for f in result.failures if not f.recorded)
    yield from failure_table(result.failures, total)
    yield from checks_table(result.checks, verbose)
    failed_checks = len(checks_summary(result.checks).failed)
    if failed_checks:
        yield f"acceptance checks FAILED: {failed_checks} of {len(result.checks)}"
    if not result.swapped:
        unrecorded = [f.invocation for f in result.failures if not f.recorded]
        yield (
            f"recording NOT saved: {len(result.failures)} invocation(s) did not go as the acceptance checks expect; "
            f"the previous recording in {result.cassette_dir} is untouched"
        )
        if unrecorded:
            yield (
                "Hint: fix the connector or its config and record again; --accept-failures cannot keep this "
                f"recording, since {', '.join(unrecorded)} left nothing to replay."
            )
        else:
            yield (
                "Hint: fix the connector or its config and record again, or keep this recording with "
                "`replaykit record --accept-failures`: `replaykit replay` then fails the same checks offline "
                "(e.g. to commit a known connector bug with a bypass_reason)."
            )
        return
    total_requests = sum(i.requests for i in result.index.invocations)
    accepted = f", {len(result.failures)} failing invocation(s) accepted" if result.accepted_failures else ""
    yield (
        f"recorded {len(result.index.invocations)} invocation(s), {total_requests} request(s) into "
        f"{result.cassette_dir}{accepted}"
    )
    for path in result.written:
        yield f"wrote {path}"
    yield "Next: commit the cassettes, then run `replaykit replay` (offline, no secrets needed)."
