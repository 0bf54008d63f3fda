"""``replaykit replay``: re-run every recorded invocation offline and compare it with what was recorded."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaykit.connector import ConnectorTarget, resolve_connector
from replaykit.invocations import Invocation, load_index
from replaykit.runner import InvocationRun, run_invocation, write_inputs
from replaykit.runtime import Job
from replaykit.settings import Settings


@dataclass
class InvocationReplay:
    invocation: Invocation
    problems: list[str] = field(default_factory=list)
    run: InvocationRun | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class ReplayReport:
    results: list[InvocationReplay]
    cassette_dir: Path
    record_command: str

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


ReplayProgress = Callable[[InvocationReplay], None]


def record_command(settings: Settings, cwd: Path) -> str:
    try:
        config = os.path.relpath(settings.config, cwd)
    except ValueError:
        config = str(settings.config)
    return f"replaykit record --config {config}"


def _short_json(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compare_outputs(recorded: Invocation, replayed: InvocationRun) -> list[str]:
    """What differs between the recorded facts of an invocation and its replay, one sentence each."""
    problems: list[str] = []
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
            problems.append(f"stream {stream}: {new['count']} records replayed, {old['count']} recorded")
        elif old["sha256"] != new["sha256"]:
            problems.append(f"stream {stream}: the {new['count']} replayed records differ from the recorded ones")
    rec_state, rep_state = before.get("final_state", {}), now["final_state"]
    for stream in sorted(set(rec_state) | set(rep_state)):
        if rec_state.get(stream) != rep_state.get(stream):
            problems.append(
                f"stream {stream}: final state {_short_json(rep_state.get(stream))}, "
                f"recorded {_short_json(rec_state.get(stream))}"
            )
    if before.get("connection_status") != now["connection_status"]:
        problems.append(f"connection status {now['connection_status']}, recorded {before.get('connection_status')}")
    return problems


def _miss_message(miss: dict[str, Any], cassette: Path, command: str) -> str:
    lines = [f"request with no recording: {miss['request']}", f"  cassette: {cassette}"]
    if miss.get("closest"):
        lines.append("  closest recorded requests:")
        for candidate in miss["closest"]:
            lines.append(f"    {candidate['request']}")
            lines.extend(f"      - {d}" for d in candidate["differences"] or ["(identical, already played)"])
    else:
        lines.append("  the cassette holds no requests")
    lines.append(f"  Hint: the connector now sends a request that was not recorded; re-record with: {command}")
    return "\n".join(lines)


def replay_invocation(
    invocation: Invocation, settings: Settings, target: ConnectorTarget, command: str
) -> InvocationReplay:
    outcome = InvocationReplay(invocation)
    cassette = settings.cassette_dir / invocation.cassette
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
        )
        run = run_invocation(job, cwd=settings.connector_dir, timeout_s=settings.timeout_seconds)
    outcome.run = run
    if "runtime_error" in run.result:
        outcome.problems.append(f"replay could not run: {run.result['runtime_error']}")
        return outcome
    for miss in run.result.get("misses", []):
        outcome.problems.append(_miss_message(miss, cassette, command))
    if run.result.get("blocked_connections"):
        outcome.problems.append(
            f"{len(run.result['blocked_connections'])} connection(s) to the network were blocked: "
            + ", ".join(run.result["blocked_connections"][:3])
        )
    if not outcome.problems:
        outcome.problems.extend(compare_outputs(invocation, run))
    return outcome


def replay(
    settings: Settings, *, cwd: Path, progress: ReplayProgress | None = None, only: set[str] | None = None
) -> ReplayReport:
    command = record_command(settings, cwd)
    index = load_index(settings.cassette_dir, record_hint=command)
    target = resolve_connector(settings.connector_dir, settings.connector_command)
    results = []
    for invocation in index.invocations:
        if only and invocation.id not in only:
            continue
        outcome = replay_invocation(invocation, settings, target, command)
        results.append(outcome)
        if progress is not None:
            progress(outcome)
    return ReplayReport(results=results, cassette_dir=settings.cassette_dir, record_command=command)
