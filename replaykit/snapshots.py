"""Snapshots: byte-stable expected records (CAT's ``expected_records.jsonl``) and final-state files.

Records are ordered by stream, then primary key (else canonical JSON), keys sorted, one record per line,
one trailing newline: the same recording gives the same bytes whatever order the CDK's threads emitted
the records in.  State snapshots hold each read invocation's final state per stream, volatile fields masked.
Comparing and reporting follow syrupy: unchanged / updated / created / unused, with a diff summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaykit.files import canonical_json, dump_json
from replaykit.invocations import Invocation
from replaykit.messages import ConnectorOutput
from replaykit.record_diff import Scrub, diff_stream
from replaykit.volatile import VolatileRecordFields

# emitted_at is the instant of a recording, not data: expected_records.jsonl holds 0 so that re-recording the
# same data gives the same bytes (CAT never compares it; replay compares real emitted_at through the index).
EXPECTED_EMITTED_AT = 0


def primary_keys(catalog: dict[str, Any] | None) -> dict[str, list[list[str]]]:
    """Primary-key paths per stream name from a configured catalog."""
    keys: dict[str, list[list[str]]] = {}
    for configured in (catalog or {}).get("streams", []):
        stream = configured.get("stream", {})
        pk = configured.get("primary_key") or stream.get("source_defined_primary_key") or []
        keys[str(stream.get("name"))] = [list(path) if isinstance(path, list) else [path] for path in pk]
    return keys


def _pk_value(data: dict[str, Any], paths: list[list[str]]) -> tuple[Any, ...] | None:
    values: list[Any] = []
    for path in paths:
        node: Any = data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
        values.append(node)
    return tuple(values)


def _sort_key(record: dict[str, Any], pks: dict[str, list[list[str]]]) -> tuple[Any, ...]:
    stream = str(record.get("stream"))
    data = record.get("data") or {}
    pk = _pk_value(data, pks.get(stream, [])) if pks.get(stream) else None
    line = canonical_json(record)
    # (type name, repr) keeps mixed-type keys comparable; ties broken by the whole line.
    pk_key = tuple((type(v).__name__, v if isinstance(v, int | float) else str(v)) for v in pk) if pk else ()
    return (str(record.get("namespace") or ""), stream, 0 if pk else 1, pk_key, line)


def expected_record_line(record: dict[str, Any], volatile: VolatileRecordFields | None = None) -> dict[str, Any]:
    """The line of ``record`` in expected records: emitted_at fixed, the volatile record fields left out."""
    data = volatile.mask(str(record.get("stream")), record.get("data")) if volatile else record.get("data")
    line = {"stream": record.get("stream"), "data": data, "emitted_at": EXPECTED_EMITTED_AT}
    if record.get("namespace"):
        line["namespace"] = record["namespace"]
    return line


def render_expected_records(
    records: list[dict[str, Any]], catalog: dict[str, Any] | None, volatile: VolatileRecordFields | None = None
) -> str:
    pks = primary_keys(catalog)
    if volatile:
        volatile.check_primary_keys(pks)
    lines = [expected_record_line(r, volatile) for r in records]
    lines.sort(key=lambda r: _sort_key(r, pks))
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in lines)


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


def _records_by_stream(text: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for line in text.splitlines():
        if line.strip():
            record = json.loads(line)
            grouped.setdefault(str(record.get("stream")), []).append(record.get("data") or {})
    return grouped


def diff_expected_records(
    old_text: str, new_text: str, catalog: dict[str, Any] | None, scrub: Scrub | None = None
) -> list[str]:
    """Per stream that differs: records added / removed / changed by primary key (over all records), the
    changed field paths with counts and a few example values."""
    try:
        old, new = _records_by_stream(old_text), _records_by_stream(new_text)
    except ValueError:
        return ["the old file is not valid JSON lines"]
    pks = primary_keys(catalog)
    lines = []
    for stream in sorted(set(old) | set(new)):
        diff = diff_stream(stream, old.get(stream, []), new.get(stream, []), pks.get(stream), scrub=scrub)
        if not diff.differs:
            continue
        lines.append(f"stream {stream}: {diff.counts()} (by {diff.keyed_by})")
        lines.extend(f"  {line}" for line in [*diff.field_lines(), *diff.key_lines()])
    return lines or ["only the order or formatting differs"]


def diff_states(old_text: str, new_text: str) -> list[str]:
    from deepdiff import DeepDiff

    try:
        old, new = json.loads(old_text), json.loads(new_text)
    except ValueError:
        return ["the old file is not valid JSON"]
    lines = []
    for stream in sorted(set(old) | set(new)):
        if old.get(stream) != new.get(stream):
            pretty = DeepDiff(old.get(stream), new.get(stream)).pretty().splitlines()
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
                    snapshot.path, "updated", diff_expected_records(old, snapshot.content, snapshot.catalog, scrub)
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
        text = render_expected_records(outputs[basic.id].records, basic.catalog, volatile_records)
        files.append(SnapshotFile(expected_path, text, "expected_records", basic.catalog))
    for invocation in invocations:
        if invocation.command == "read" and invocation.id in outputs and outputs[invocation.id].states:
            state = render_state_snapshot(outputs[invocation.id].final_states(), volatile)
            files.append(SnapshotFile(cassette_dir / STATE_DIR / f"{invocation.id}.json", state, "state"))
    return files
