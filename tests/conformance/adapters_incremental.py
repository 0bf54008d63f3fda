"""Adapters of CAT's incremental and full-refresh unit tests."""

from __future__ import annotations

from typing import Any

from verdicts import _output, plain

from replaykit.checks import full_refresh
from replaykit.checks.cursor import abnormal_state_cursor_problems
from replaykit.checks.incremental import future_state_coverage
from replaykit.messages import ConnectorOutput


def _abnormal(p: dict[str, Any]) -> bool:
    inputs = plain(p["inputs"])
    future = inputs.get("future_state") or {}
    cursor_format = future.get("cursor_format") or {}
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": "test_stream",
                    "json_schema": p["json_schema"],
                    "supported_sync_modes": ["full_refresh", "incremental"],
                    "default_cursor_field": ["date"],
                },
                "sync_mode": "incremental",
                "destination_sync_mode": "overwrite",
                "cursor_field": ["date"],
            }
        ]
    }
    output = _output(p["read_output"])
    if output.records:
        return True
    if not output.states:
        return True
    formats = {s["name"]: s.get("format") for s in cursor_format.get("streams") or []}
    return bool(
        abnormal_state_cursor_problems(
            catalog, output.states, plain(p["abnormal_state"]), cursor_format.get("format"), formats
        )
    )


class _Named:
    def __init__(self, name: str, bypass_reason: str | None) -> None:
        self.name, self.bypass_reason = name, bypass_reason


class _Future:
    def __init__(self, missing: list[dict[str, Any]]) -> None:
        self.missing_streams = [_Named(m["name"], m.get("bypass_reason")) for m in missing]


def _future_state(p: dict[str, Any]) -> bool:
    high = p["test_strictness_level"] in ("high", "TestStrictnessLevel.high")
    catalog = plain(p["configured_catalog"])
    return bool(future_state_coverage(_Future(plain(p["missing_streams"]) or []), plain(p["states"]), catalog, high))


def _full_refresh(p: dict[str, Any]) -> bool:
    first, second = _output(p["records_1"]), _output(p["records_2"])
    try:
        return bool(full_refresh.sequential_reads(first, second))
    except ValueError:
        return True


def _two_sequential_reads(p: dict[str, Any]) -> bool:
    from replaykit.checks.incremental import two_sequential_reads

    def records(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"stream": "test_stream", "data": d, "emitted_at": 111} for d in data]

    if p["run_per_stream_test"]:
        descriptor = {"name": "test_stream", **({"namespace": p["namespace"]} if p["namespace"] else {})}
        state = {
            "type": "STREAM",
            "stream": {"stream_descriptor": descriptor, "stream_state": {"date": p["latest_state"]}},
        }
    else:
        state = {"data": {"date": p["latest_state"]}}
    first = ConnectorOutput(records=records(p["records1"]), states=[state])
    second = ConnectorOutput(records=records(p["records2"]))
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": "test_stream",
                    "json_schema": {"type": "object", "properties": {"date": {"type": p["cursor_type"]}}},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                },
                "sync_mode": "incremental",
                "destination_sync_mode": "overwrite",
                "cursor_field": ["date"],
            }
        ]
    }

    class _Test:
        cursor_paths = None
        threshold_days = 0

    return bool(two_sequential_reads(_Test(), first, second, catalog, [state], strict=False))


def _sequential_slices(p: dict[str, Any]) -> bool:
    """CAT's ``test_read_sequential_slices`` for one stream: the checkpoints replaykit samples (the same
    selection its recorder replays from), each read again must give the records emitted after it."""
    from replaykit.slices import select_states

    def state(m: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": m["name"]}, "stream_state": m.get("stream_state") or None},
            "sourceStats": m.get("sourceStats") or {"recordCount": 0.0},
        }

    first = plain(p["first_records"])
    records = [m for m in first if m["type"] == "RECORD"]
    states = [state(m) for m in first if m["type"] == "STATE"]
    if not records or not states:
        return False
    selected = select_states(states)
    if not selected:
        return True
    outputs = plain(p["subsequent_records"])
    for k, (_, expected) in enumerate(selected):
        if k >= len(outputs):
            return True  # CAT's mock has no read for this checkpoint: the test errors
        if len([m for m in outputs[k] if m["type"] == "RECORD"]) < expected:
            return True
    return False
