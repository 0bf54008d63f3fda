"""Snapshots: the expected-records file (rendered by :mod:`replaykit.expected_records`) and final-state files.

State snapshots hold each read invocation's final state per stream, volatile fields masked.
Comparing and reporting follow syrupy: unchanged / updated / created / unused, with a diff summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaykit import expected_records
from replaykit.diff_text import Scrub, pretty_lines
from replaykit.files import dump_json
from replaykit.invocations import Invocation
from replaykit.messages import ConnectorOutput
from replaykit.volatile import VolatileRecordFields

# --------------------------------------------------------------------------- state snapshots and the report

STATE_DIR = "states"
VOLATILE = "**VOLATILE**"


def mask_volatile(value: Any, fields: frozenset[str]) -> Any:
    """``value`` with every key named in ``fields`` (at any depth) masked: the key stays, its value does not."""
    if isinstance(value, dict):
        return {k: VOLATILE if k in fields else mask_volatile(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_volatile(v, fields) for v in value]
    return value


def render_state_snapshot(final_states: dict[str, Any], volatile: frozenset[str]) -> str:
    return dump_json(mask_volatile(final_states, volatile))


@dataclass(frozen=True)
class SnapshotFile:
    path: Path
    content: str
    kind: str  # "expected_records" | "state"
    catalog: dict[str, Any] | None = None


@dataclass
class SnapshotChange:
    path: Path
    status: str  # unchanged | updated | created | unused
    summary: list[str] = field(default_factory=list)


def diff_states(old_text: str, new_text: str) -> list[str]:
    try:
        old, new = json.loads(old_text), json.loads(new_text)
    except ValueError:
        return ["the old file is not valid JSON"]
    lines = []
    for stream in sorted(set(old) | set(new)):
        if old.get(stream) != new.get(stream):
            pretty = pretty_lines(old.get(stream), new.get(stream), ignore_order=False)
            lines.append(f"stream {stream}: " + "; ".join(pretty[:3]) + (" …" if len(pretty) > 3 else ""))
    return lines


def compare_snapshots(
    desired: list[SnapshotFile], existing: list[Path], scrub: Scrub | None = None
) -> list[SnapshotChange]:
    """What writing ``desired`` would change; files in ``existing`` that nothing produces are unused (example
    values in the summaries pass through ``scrub``)."""
    changes = []
    for snapshot in desired:
        if not snapshot.path.is_file():
            changes.append(SnapshotChange(snapshot.path, "created"))
            continue
        old = snapshot.path.read_text(encoding="utf-8")
        if old == snapshot.content:
            changes.append(SnapshotChange(snapshot.path, "unchanged"))
        elif snapshot.kind == "expected_records":
            changes.append(
                SnapshotChange(
                    snapshot.path,
                    "updated",
                    expected_records.diff(old, snapshot.content, snapshot.catalog, scrub, str(snapshot.path)),
                )
            )
        else:
            changes.append(SnapshotChange(snapshot.path, "updated", diff_states(old, snapshot.content)))
    wanted = {s.path for s in desired}
    changes.extend(SnapshotChange(path, "unused") for path in sorted(existing) if path not in wanted)
    return changes


def desired_snapshots(
    invocations: list[Invocation],
    outputs: dict[str, ConnectorOutput],
    cassette_dir: Path,
    expected_path: Path | None,
    volatile: frozenset[str],
    volatile_records: VolatileRecordFields | None = None,
) -> list[SnapshotFile]:
    """The snapshot files these outputs produce: the basic read's expected records (``volatile_records`` left
    out), a state file per read (``volatile`` state keys masked)."""
    files = []
    basic = next((i for i in invocations if i.suite == "basic_read" and i.id in outputs), None)
    if expected_path is not None and basic is not None:
        text = expected_records.render(outputs[basic.id].records, basic.catalog, volatile_records)
        files.append(SnapshotFile(expected_path, text, "expected_records", basic.catalog))
    for invocation in invocations:
        if invocation.command == "read" and invocation.id in outputs and outputs[invocation.id].states:
            state = render_state_snapshot(outputs[invocation.id].final_states(), volatile)
            files.append(SnapshotFile(cassette_dir / STATE_DIR / f"{invocation.id}.json", state, "state"))
    return files
