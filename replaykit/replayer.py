"""``replaykit replay``: re-run every recorded invocation offline and compare it with what was recorded.

Two kinds of difference: *problems* (a request with no recording, the network touched, the runtime failed)
can only be fixed by re-recording; *differences* (records, final states, snapshots) come from the connector's
own code and ``--update`` accepts them offline, rewriting the index, expected records and state snapshots.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaykit import commit, expected_records
from replaykit.checks import FAIL, CheckContext, CheckResult, run_suites
from replaykit.config_paths import check_paths
from replaykit.connector import ConnectorTarget, recorded_connector, resolve_connector
from replaykit.determinism import SecondReplay, replay_again
from replaykit.diff_text import short
from replaykit.errors import UsageError
from replaykit.failures import InvocationFailure, judge
from replaykit.fingerprint import FINGERPRINT_KEY, connector_fingerprint
from replaykit.invocations import Invocation, InvocationIndex, load_index
from replaykit.plan import PlannedInvocation, build_plan, expected_records_path, load_acceptance_config
from replaykit.preflight import check_replay_inputs
from replaykit.primary_keys import configured_primary_keys
from replaykit.record_diff import RecordReference
from replaykit.replay_findings import ReplayFindings, miss_message
from replaykit.runner import InvocationRun, LiveCallback, Runner, open_runner, run_invocation, write_inputs
from replaykit.runtime import Job
from replaykit.settings import Settings
from replaykit.snapshots import (
    STATE_DIR,
    SnapshotChange,
    compare_snapshots,
    desired_snapshots,
    mask_volatile,
)
from replaykit.update import PendingUpdate, accept


@dataclass
class InvocationReplay:
    invocation: Invocation
    problems: list[str] = field(default_factory=list)  # only re-recording fixes these
    differences: list[str] = field(default_factory=list)  # --update accepts these
    run: InvocationRun | None = None
    updated: bool = False
    failure: InvocationFailure | None = None  # the run did not go as the checks expect (as recorded, or not)
    second_replay: SecondReplay | None = None  # outputs differ, every request matched: replayed once more
    findings: ReplayFindings = field(default_factory=ReplayFindings)  # unplayed requests, non-protocol stdout

    @property
    def passed(self) -> bool:
        return not self.problems and (self.updated or not self.differences)

    @property
    def unstable(self) -> bool:
        """Two replays of it disagree with each other: the connector is non-deterministic."""
        return self.second_replay is not None and self.second_replay.disagrees


@dataclass
class ReplayReport:
    results: list[InvocationReplay]
    cassette_dir: Path
    record_command: str
    snapshots: list[SnapshotChange] = field(default_factory=list)
    unused_invocations: list[str] = field(default_factory=list)
    not_recorded: list[str] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    updated: bool = False
    runner_note: str | None = None  # how invocations ran, when not from the warm parent
    # whether the connector's files changed since its outputs were recorded (None: the index does not say)
    connector_changed: bool | None = None
    checks_before_update: list[CheckResult] = field(default_factory=list)  # with --update: the first run's
    pending_update: PendingUpdate | None = None  # with --update and write_update=False: written by the caller

    @property
    def passed(self) -> bool:
        if not all(r.passed for r in self.results) or any(c.status == FAIL for c in self.checks):
            return False
        return self.updated or all(c.status in ("unchanged", "unused") for c in self.snapshots)


ReplayProgress = Callable[[InvocationReplay], None]


def record_command(settings: Settings, cwd: Path) -> str:
    try:
        config = os.path.relpath(settings.config, cwd)
    except ValueError:
        config = str(settings.config)
    return f"replaykit record --config {config}"


def compare_outputs(
    recorded: Invocation,
    replayed: InvocationRun,
    volatile: frozenset[str] = frozenset(),
    reference: RecordReference | None = None,
) -> list[str]:
    """What differs between the recorded facts of an invocation and its replay, one sentence each; a stream
    whose records differ is explained against ``reference`` (the expected records): the changed field paths
    with counts and examples, records added / removed / changed by primary key."""
    problems: list[str] = []
    by_stream = replayed.output.records_by_stream() if reference is not None else {}
    keys = configured_primary_keys(recorded.catalog)

    def explained(line: str, stream: str) -> str:
        if reference is None:
            return line
        data = [r.get("data") or {} for r in by_stream.get(stream, [])]
        return "\n".join([line, *(f"  {x}" for x in reference.explain(recorded.id, stream, data, keys.get(stream)))])

    if replayed.exit_code != recorded.exit_code:
        problems.append(f"exit code {replayed.exit_code}, recorded {recorded.exit_code}")
    now = replayed.output.summary()
    before = recorded.outputs
    rec_streams, rep_streams = before.get("records", {}), now["records"]
    for stream in sorted(set(rec_streams) | set(rep_streams)):
        old, new = rec_streams.get(stream), rep_streams.get(stream)
        if old is None:
            problems.append(f"stream {stream}: {new['count']} records replayed, none recorded")
        elif new is None:
            problems.append(f"stream {stream}: {old['count']} records recorded, none replayed")
        elif old["count"] != new["count"]:
            problems.append(
                explained(f"stream {stream}: {new['count']} records replayed, {old['count']} recorded", stream)
            )
        elif old["sha256"] != new["sha256"]:
            problems.append(
                explained(f"stream {stream}: the {new['count']} replayed records differ from the recorded ones", stream)
            )
    rec_state = mask_volatile(before.get("final_state", {}), volatile)
    rep_state = mask_volatile(now["final_state"], volatile)
    for stream in sorted(set(rec_state) | set(rep_state)):
        if rec_state.get(stream) != rep_state.get(stream):
            problems.append(
                f"stream {stream}: final state {short(rep_state.get(stream), 300)}, "
                f"recorded {short(rec_state.get(stream), 300)}"
            )
    if before.get("connection_status") != now["connection_status"]:
        problems.append(f"connection status {now['connection_status']}, recorded {before.get('connection_status')}")
    return problems


def connector_changed(index: InvocationIndex, settings: Settings) -> bool | None:
    """Whether the connector's files differ from those the index's outputs were recorded (or updated) with."""
    recorded = index.connector.get(FINGERPRINT_KEY)
    if not recorded:
        return None
    return bool(recorded != connector_fingerprint(settings.connector_dir, settings.cassette_dir))


def record_reference(settings: Settings) -> RecordReference | None:
    """The basic read's expected records (``expect_records.path``), read only when a difference needs them."""
    try:
        acceptance = load_acceptance_config(settings.acceptance_test_config)
    except UsageError:
        return None
    path = expected_records_path(settings.connector_dir, acceptance)
    if path is None or not path.is_file():
        return None
    try:
        label = str(path.relative_to(settings.connector_dir.resolve()))
    except ValueError:
        label = str(path)

    volatile = settings.volatile_record_fields
    return RecordReference(
        label, lambda: expected_records.data_by_stream(path), scrub=local_scrubber(settings), volatile=volatile
    )


def local_scrubber(settings: Settings) -> Callable[[str], str]:
    """Scrubs the values of the connector's local ``secrets/*.json`` from text shown to the user (lazily)."""
    scrubbers: list[Any] = []

    def scrub(text: str) -> str:
        if not scrubbers:
            from replaykit.scan import known_secrets

            scrubbers.append(known_secrets(settings.connector_dir))
        return str(scrubbers[0].scrub_text(text))

    return scrub


def replay_invocation(
    invocation: Invocation,
    settings: Settings,
    target: ConnectorTarget,
    command: str,
    live: LiveCallback | None = None,
    runner: Runner | None = None,
    planned: PlannedInvocation | None = None,
    reference: RecordReference | None = None,
) -> InvocationReplay:
    """Replay one invocation; ``reference`` (the expected records) names the fields of a records difference."""
    outcome = InvocationReplay(invocation)
    cassette = settings.cassette_dir / invocation.cassette

    def run_once() -> InvocationRun:
        with tempfile.TemporaryDirectory(prefix="replaykit-replay-") as tmp:
            config_file, catalog_file, state_file = write_inputs(
                Path(tmp), config=invocation.config, catalog=invocation.catalog, state=invocation.state
            )
            job = Job(
                mode="replay",
                cassette=str(cassette),
                connector=target.to_dict(),
                args=invocation.connector_args(config_file, catalog_file, state_file),
                frozen_at=invocation.frozen_at,
                invocation=invocation.id,
                environment=dict(planned.environment) if planned else {},
            )
            timeout = (planned.timeout_s if planned else None) or settings.timeout_seconds
            return run_invocation(job, cwd=settings.connector_dir, timeout_s=timeout, live=live, runner=runner)

    outcome.run = run = run_once()
    scrub = (reference.scrub if reference else None) or local_scrubber(settings)  # local secrets, loaded lazily
    if run.result.runtime_error is not None:
        text = "\n".join([f"replay could not run: {run.result.runtime_error}", run.result.traceback or ""])
        outcome.problems.append(scrub(text.rstrip()))
        return outcome
    for miss in run.result.misses:
        outcome.problems.append(miss_message(miss, cassette, command))
    blocked = run.result.blocked_connections
    if blocked:
        outcome.problems.append(f"{len(blocked)} connection(s) to the network were blocked: " + ", ".join(blocked[:3]))
    outcome.findings = ReplayFindings.of(
        run.result.unplayed,
        run.output.unparsed_lines,
        run.output.unparsed_examples,
        allow_unplayed=settings.allow_unplayed_interactions,
        scrub=scrub,
    )
    if outcome.findings.unplayed_fails:
        outcome.problems.append(outcome.findings.unplayed_problem(invocation.id, cassette, command))
    if not outcome.problems:
        outcome.differences.extend(compare_outputs(invocation, run, settings.volatile_state_fields, reference))
    if outcome.differences:  # every request matched, yet the outputs differ: does a second replay agree?
        outcome.second_replay = replay_again(
            invocation, run, run_once, settings.volatile_state_fields, reference.scrub if reference else None
        )
        if outcome.second_replay.disagrees:
            outcome.differences.append(outcome.second_replay.difference())
    if planned is not None:
        outcome.failure = judge(
            invocation.id,
            invocation.command,
            planned.expect if planned.id == invocation.id else "succeed",
            exit_code=run.exit_code,
            output=run.output,
            stderr_tail=run.stderr_tail,
            scrub=scrub,
        )
    return outcome


def replay(
    settings: Settings,
    *,
    cwd: Path,
    progress: ReplayProgress | None = None,
    only: set[str] | None = None,
    update: bool = False,
    live: LiveCallback | None = None,
    starting: Callable[[Invocation, int, int], None] | None = None,
    write_update: bool = True,
) -> ReplayReport:
    """Replay the recorded invocations (all, or ``only`` these); with ``update``, accept what the connector's
    code changed: rewrite the index's outputs, expected records and state snapshots, prune unused recordings
    (``write_update=False``: the checks judge the accepted outputs, the writes wait in ``pending_update``)."""
    command = record_command(settings, cwd)
    check_replay_inputs(settings)  # an unreadable cassette is not "the requests changed"
    reading = commit.read_lock(settings.cassette_dir)  # noqa: F841 - held until replay returns: one recording
    index = load_index(settings.cassette_dir, record_hint=command)
    # the connector record ran (e.g. `record --connector-command source-foo`) unless the command line says otherwise
    target = (
        None if settings.connector_command else recorded_connector(index.connector, settings.connector_dir)
    ) or resolve_connector(settings.connector_dir, settings.connector_command)
    acceptance = load_acceptance_config(settings.acceptance_test_config)
    if acceptance is not None:
        check_paths(acceptance, "replay", update=update)
    plan = build_plan(settings.connector_dir, acceptance, settings.config)
    unknown = sorted((only or set()) - {i.id for i in index.invocations})
    if unknown:
        raise UsageError(
            f"--only {unknown[0]}: no such recorded invocation in {settings.cassette_dir / 'index.json'}",
            hint="List the recorded invocations with `replaykit plan`.",
        )
    selected = [
        i
        for i in index.invocations
        # without --only, recordings the acceptance config no longer needs are reported unused, not replayed
        if (i.id in only if only else any(p.covers(i.id) for p in plan))
    ]
    runner = open_runner(settings.runner, settings.connector_dir, settings.warm_modules)
    try:
        results = _replay_all(selected, plan, settings, target, command, runner, progress, live, starting)
    finally:
        runner.close()
    report = ReplayReport(
        results=results, cassette_dir=settings.cassette_dir, record_command=command, runner_note=runner.note
    )
    report.connector_changed = connector_changed(index, settings)
    outputs = {r.invocation.id: r.run.output for r in results if r.run is not None and not r.problems}
    replayed = [i for i in index.invocations if i.id in outputs]
    desired = desired_snapshots(
        replayed,
        outputs,
        settings.cassette_dir,
        expected_records_path(settings.connector_dir, acceptance),
        settings.volatile_state_fields,
        settings.volatile_record_fields,
    )
    state_dir = settings.cassette_dir / STATE_DIR
    existing = sorted(state_dir.glob("*.json")) if not only and state_dir.is_dir() else []
    report.snapshots = compare_snapshots(desired, existing, local_scrubber(settings))
    if acceptance is not None and not only:
        context = CheckContext.of_recording(settings, acceptance, index.invocations, outputs, index.previous)
        report.checks = run_suites(context)
    if not only:
        recorded = [i.id for i in index.invocations]
        report.unused_invocations = [r for r in recorded if not any(p.covers(r) for p in plan)]
        report.not_recorded = sorted(p.id for p in plan if not any(p.covers(r) for r in recorded))
    if update and all(not r.problems and not r.unstable for r in results):  # a varying output is no reference
        pending = accept(index, report, desired, settings)
        if report.checks:  # the expected-records comparisons read the records the update writes
            with pending.staged() as redirects:
                context.redirects = redirects
                report.checks_before_update, report.checks = report.checks, run_suites(context)
        if write_update:
            pending.write()
        else:
            report.pending_update = pending
    return report


def _replay_all(
    selected: list[Invocation],
    plan: list[PlannedInvocation],
    settings: Settings,
    target: ConnectorTarget,
    command: str,
    runner: Runner,
    progress: ReplayProgress | None,
    live: LiveCallback | None,
    starting: Callable[[Invocation, int, int], None] | None,
) -> list[InvocationReplay]:
    """Replay ``selected``, up to ``settings.parallel_jobs`` at once (they are independent: each has its own
    cassette, inputs and clock); results and ``progress`` calls come in the order of ``selected``."""

    reference = record_reference(settings)  # once for all invocations: its records load on first need

    def one(position: int, invocation: Invocation) -> InvocationReplay:
        if starting is not None:
            starting(invocation, position, len(selected))
        planned = next((p for p in plan if p.covers(invocation.id)), None)
        return replay_invocation(invocation, settings, target, command, live, runner, planned, reference)

    jobs = min(settings.parallel_jobs, len(selected)) or 1
    if jobs == 1:
        results = []
        for position, invocation in enumerate(selected):
            results.append(one(position, invocation))
            if progress is not None:
                progress(results[-1])
        return results
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="replaykit-replay") as pool:
        futures = [pool.submit(one, position, invocation) for position, invocation in enumerate(selected)]
        results = []
        try:
            for future in futures:
                results.append(future.result())
                if progress is not None:
                    progress(results[-1])
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return results
