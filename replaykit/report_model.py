"""The one model of a replay's (or a recording's) results: per-suite check counts, the failed, warning and skipped
checks with their reasons, each invocation's outcome, the snapshot changes, the next-step hints and the verdict.
Counting and deciding happen here once; the text, JSON, JUnit and pytest renderers only format it."""

from __future__ import annotations

from dataclasses import dataclass, field

from replaykit.checks import FAIL, PASS, SKIP, WARN, CheckResult
from replaykit.next_steps import Hint, hints, invocation_hint
from replaykit.replayer import InvocationReplay, ReplayReport

CHECK_STATUSES = (PASS, FAIL, SKIP, WARN)  # the columns of the per-suite table
SNAPSHOT_STATUSES = ("unchanged", "updated", "created", "unused")


@dataclass(frozen=True)
class ChecksSummary:
    checks: list[CheckResult]
    suites: dict[str, dict[str, int]]  # per suite, in the order the suites ran: count per status
    failed: list[CheckResult]
    warnings: list[CheckResult]
    skipped: dict[str, list[str]]  # skip reason -> the skipped checks' node ids


def checks_summary(checks: list[CheckResult]) -> ChecksSummary:
    suites: dict[str, dict[str, int]] = {}
    skipped: dict[str, list[str]] = {}
    for check in checks:
        row = suites.setdefault(check.suite, dict.fromkeys(CHECK_STATUSES, 0))
        row[check.status] += 1
        if check.status == SKIP:
            skipped.setdefault(check.message or "no reason given", []).append(check.node_id)
    failed = [c for c in checks if c.status == FAIL]
    return ChecksSummary(checks, suites, failed, [c for c in checks if c.status == WARN], skipped)


def invocation_status(outcome: InvocationReplay) -> str:
    """failed (only re-recording fixes it), differs (``--update`` accepts it), updated (accepted) or passed."""
    if outcome.problems:
        return "failed"
    if outcome.differences:
        return "updated" if outcome.updated else "differs"
    return "passed"


def progress_status(outcome: InvocationReplay) -> str:
    """The status column of an invocation's progress line."""
    return {"failed": "FAILED", "differs": "DIFF"}.get(invocation_status(outcome), "ok")


@dataclass(frozen=True)
class InvocationOutcome:
    id: str
    status: str  # see ``invocation_status``
    problems: list[str]
    differences: list[str]
    records: int
    requests: int
    duration_s: float | None  # None: it did not run
    hint: Hint | None

    @property
    def passed(self) -> bool:
        return self.status in ("passed", "updated")


def invocation_outcome(outcome: InvocationReplay, report: ReplayReport) -> InvocationOutcome:
    run = outcome.run
    return InvocationOutcome(
        id=outcome.invocation.id,
        status=invocation_status(outcome),
        problems=list(outcome.problems),
        differences=list(outcome.differences),
        records=len(run.output.records) if run else 0,
        requests=run.result.interactions if run else 0,
        duration_s=run.duration_s if run else None,
        hint=invocation_hint(outcome, report),
    )


@dataclass(frozen=True)
class ReportModel:
    report: ReplayReport
    checks: ChecksSummary
    invocations: list[InvocationOutcome]
    invocation_counts: dict[str, int]  # per status, in order of first appearance
    snapshot_counts: dict[str, int]  # per status of SNAPSHOT_STATUSES
    changed_snapshots: int  # snapshot files updated or created
    cannot_replay: int  # invocations only re-recording fixes
    differing: int  # invocations whose outputs differ (accepted or not)
    hints: list[Hint] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.report.passed

    @property
    def snapshots_pass(self) -> bool:
        """The snapshot files match (or were just rewritten by ``--update``)."""
        return self.report.updated or self.changed_snapshots == 0


def snapshot_counts(report: ReplayReport) -> dict[str, int]:
    return {status: sum(1 for c in report.snapshots if c.status == status) for status in SNAPSHOT_STATUSES}


def report_model(report: ReplayReport) -> ReportModel:
    invocations = [invocation_outcome(r, report) for r in report.results]
    by_status: dict[str, int] = {}
    for outcome in invocations:
        by_status[outcome.status] = by_status.get(outcome.status, 0) + 1
    snapshots = snapshot_counts(report)
    return ReportModel(
        report=report,
        checks=checks_summary(report.checks),
        invocations=invocations,
        invocation_counts=by_status,
        snapshot_counts=snapshots,
        changed_snapshots=snapshots["updated"] + snapshots["created"],
        cannot_replay=sum(1 for r in report.results if r.problems),
        differing=sum(1 for r in report.results if r.differences),
        hints=hints(report),
    )
