"""What the ``replaykit`` command shows: the live display of running invocations (rich, on a terminal) and the
lines of the results the core returns (the plan view, the scan outcome, the exported mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the command imports what it runs only when it runs it
    from replaykit.mocks import ExportResult
    from replaykit.plan_status import PlanStatus
    from replaykit.scan_policy import ScanOutcome


class Display:
    """Finished invocations as plain lines; on a terminal, also a live rich progress line (the invocation
    running, its requests and records so far) that disappears when the run ends."""

    def __init__(self, out: TextIO, verb: str) -> None:
        self.out = out
        self.verb = verb
        self.progress: Any = None
        self.task: Any = None
        if out.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=out),
                transient=True,
            )

    def __enter__(self) -> Display:
        if self.progress is not None:
            self.progress.start()
            self.task = self.progress.add_task(self.verb, total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def starting(self, invocation_id: str, position: int | None = None, total: int | None = None) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=f"{self.verb} {invocation_id}", completed=position, total=total)

    def live(self, invocation_id: str, requests: int, records: int) -> None:
        if self.progress is not None:
            self.progress.update(
                self.task, description=f"{self.verb} {invocation_id}: {requests} requests, {records} records"
            )

    def line(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            self.out.write(text + "\n")
            self.out.flush()


def plan_lines(status: PlanStatus) -> Iterator[str]:
    if status.missing_config:
        yield f"no {status.missing_config}: the default plan"
    yield from (f"warning: {warning}" for warning in status.warnings)
    yield from status.state_lines
    for row in status.rows:
        recorded = "recorded" if row.recorded else "not recorded"
        yield f"{row.id:34} {row.command:8} {recorded:13} {row.inputs}"
    yield f"{len(status.rows)} planned invocation(s), {status.recorded} recorded"
    yield from (f"strictness: {violation}" for violation in status.violations)


def scan_lines(outcome: ScanOutcome) -> Iterator[str]:
    if outcome.baseline_written is not None:
        yield (
            f"accepted {outcome.accepted} finding(s) in {outcome.baseline_written} (known secrets are never accepted)"
        )
        return
    for path, fixed in outcome.fixed:
        yield f"fixed {path}: {fixed} value(s) replaced by placeholders"
    if outcome.fixed and outcome.findings:
        yield f"--fix could not remove {len(outcome.findings)} finding(s): fix them by hand or re-record"
    yield from (finding.render() for finding in outcome.findings)
    files = len(outcome.files)
    summary = f"scanned {files} file(s), known secrets from secrets/ of: {outcome.secrets_from}"
    if outcome.public:
        summary += f"; {outcome.public} finding(s) not reported: values of committed configs (public)"
    if outcome.findings:
        yield (
            f"{len(outcome.findings)} finding(s) in {outcome.files_with_findings} of {files} file(s). Hint: "
            "re-record with `replaykit record`, run `replaykit scan --fix`, "
            "or accept false positives with `replaykit scan --write-baseline`."
        )
        yield summary
        return
    yield f"no secrets found: {summary}" if files else f"nothing to scan: {outcome.nothing}"


def export_lines(result: ExportResult) -> Iterator[str]:
    for outcome in result.files:
        note = f" (you edited it; new version: {outcome.beside})" if outcome.beside else ""
        yield f"{outcome.status:9} {outcome.path}{note}"
    for skipped in result.skipped:
        yield f"skipped stream {skipped.stream}: {skipped.reason}"
    for stream, reasons in result.scenarios_skipped.items():
        for reason in reasons:
            yield f"{stream}: no test for {reason}"
    yield f"exported {len(result.streams)} stream(s) to {result.out}: {', '.join(result.streams)}"
