"""Text rendering of results; pure functions that return lines (the shells decide where they go)."""

from __future__ import annotations

from collections.abc import Iterator

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
    yield invocation_line(outcome.invocation.id, outcome.run, "ok" if outcome.passed else "FAILED")
    for problem in outcome.problems:
        for i, line in enumerate(problem.splitlines()):
            yield ("    - " if i == 0 else "      ") + line


def replay_summary(report: ReplayReport) -> Iterator[str]:
    failed = [r for r in report.results if not r.passed]
    total = len(report.results)
    if not failed:
        yield f"replay passed: {total} invocation(s) matched their recording ({report.cassette_dir})"
        return
    yield f"replay FAILED: {len(failed)} of {total} invocation(s) differ from their recording"
    yield f"Hint: if the API or the connector's requests changed on purpose, re-record: {report.record_command}"


def record_summary(result: RecordResult) -> Iterator[str]:
    total_requests = sum(i.requests for i in result.index.invocations)
    yield (
        f"recorded {len(result.index.invocations)} invocation(s), {total_requests} request(s) into "
        f"{result.cassette_dir}"
    )
    for path in result.written:
        yield f"wrote {path}"
    yield "Next: commit the cassettes, then run `replaykit replay` (offline, no secrets needed)."
