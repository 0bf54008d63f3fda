"""Cursors of incremental streams: CAT's abnormal-state type and format check (current semantics) and the
record-versus-state comparisons of its legacy semantics (``cursor_paths``, ``threshold_days``), which strict
mode runs on the two sequential reads."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

SCHEMA_TYPES = {
    "string": str,
    "str": str,
    "int": int,
    "integer": int,
    "int32": int,
    "int64": int,
    "float": float,
    "double": float,
    "number": float,
}
_DATE_FORMATS = {"datetime", "date-time", "date"}


def cursor_name(configured: dict[str, Any]) -> str | None:
    """CAT's cursor: the first element of ``cursor_field``, else of ``default_cursor_field``."""
    field = configured.get("cursor_field") or configured.get("stream", {}).get("default_cursor_field") or []
    return str(field[0]) if field else None


def incremental_streams(catalog: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {
        str(c["stream"]["name"]): c
        for c in (catalog or {}).get("streams", [])
        if c.get("sync_mode") == "incremental" and isinstance(c.get("stream"), dict)
    }


def find_cursor_values(state: Any, cursor: str) -> list[Any]:
    """Depth-first: every value under key ``cursor``, or under ``cursor`` in a dict that has ``cursor_field``."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == cursor or (key == "cursor" and "cursor_field" in node):
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(state)
    return found


def _stream_states(states: list[dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    for state in states:
        stream = state.get("stream")
        if isinstance(stream, dict):
            yield str((stream.get("stream_descriptor") or {}).get("name")), stream.get("stream_state")


def _same_shape(actual: str, future: str) -> bool:
    if len(actual) != len(future):
        return False
    for a, f in zip(actual, future, strict=True):
        if a.isalpha() and f.isalpha():
            continue
        if a.isdigit() and f.isdigit():
            continue
        if a != f or a.isalnum():
            return False
    return True


def abnormal_state_cursor_problems(
    catalog: dict[str, Any] | None,
    output_states: list[dict[str, Any]],
    future_states: list[dict[str, Any]],
    default_format: str | None,
    stream_formats: dict[str, str],
) -> list[str]:
    """CAT's cursor type and format check of ``test_state_with_abnormally_large_values`` (newest version)."""
    cursors = {name: cursor_name(c) for name, c in incremental_streams(catalog).items()}
    schemas = {name: c["stream"].get("json_schema") or {} for name, c in incremental_streams(catalog).items()}
    actual: dict[str, list[Any]] = {}
    for name, stream_state in _stream_states(output_states):
        cursor = cursors.get(name)
        if cursor:
            actual.setdefault(name, []).extend(find_cursor_values(stream_state, cursor))
    future: dict[str, list[Any]] = {}
    for name, stream_state in _stream_states(future_states):
        cursor = cursors.get(name)
        if cursor:
            values = find_cursor_values(stream_state, cursor)
            if not values:
                return [f"Future state must be set up for all given streams: no {cursor!r} cursor for stream {name}"]
            future.setdefault(name, []).extend(values)
    problems: list[str] = []
    for name, values in sorted(actual.items()):
        cursor = cursors[name]
        assert cursor is not None
        declared = ((schemas[name].get("properties") or {}).get(cursor) or {}).get("type") or []
        types = [t for t in ([declared] if isinstance(declared, str) else declared) if t != "null"]
        expected_types = []
        for type_name in types:
            if type_name not in SCHEMA_TYPES:
                return [
                    f"Unsupported type: {type_name} (stream {name}, cursor {cursor}). Update SCHEMA_TYPES_MAPPING "
                    f"with the {type_name} and its python type."
                ]
            expected_types.append(SCHEMA_TYPES[type_name])
        for value, future_value in zip(values, future.get(name, []), strict=False):
            for expected in expected_types:
                for v in (value, future_value):
                    if v and not isinstance(v, expected):
                        problems.append(
                            f"Cursor value {v!r} of stream {name} is not of type {expected.__name__}. "
                            f"Expected {expected.__name__}, got {type(v).__name__}."
                        )
            if problems:
                return problems
            if value and future_value and isinstance(value, int | float):
                continue
            pattern = stream_formats.get(name) or default_format
            if pattern:
                for label, v in (("Actual", value), ("Future", future_value)):
                    if not re.match(pattern, str(v)):
                        problems.append(
                            f"{label} cursor value {v!r} of stream {name} does not match the format {pattern!r}"
                        )
            elif not _same_shape(str(value), str(future_value)):
                problems.append(
                    f"Actual and future state formats do not match. Actual value: {value!r}, future value: "
                    f"{future_value!r} (stream {name}). Set cursor_format in future_state if the formats differ "
                    "on purpose."
                )
    return problems


# --------------------------------------------------------------------------- legacy cursor comparisons


def _field_schema(schema: dict[str, Any], path: list[str]) -> dict[str, Any]:
    node = schema
    for part in path:
        node = (node.get("properties") or {}).get(part) or {}
    return node


def _dig(node: Any, path: list[Any]) -> Any:
    for part in path:
        node = node[part]
    return node


def parse_cursor(value: Any, field_schema: dict[str, Any]) -> Any:
    """As CAT's ``CatalogField._parse_value``: date and date-time fields become datetimes (UTC when naive)."""
    formats = field_schema.get("format") or field_schema.get("type") or []
    formats = {formats} if isinstance(formats, str) else set(formats)
    if formats & _DATE_FORMATS and isinstance(value, str):
        text = value.replace("0000-00-00", "0001-01-01").replace("Z", "+00:00")
        parsed = dt.datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    return value


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc)  # CAT reads numbers as epoch ms
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def cursor_comparison_problems(
    catalog: dict[str, Any] | None,
    records: list[dict[str, Any]],
    state: dict[str, Any],
    cursor_paths: dict[str, list[Any]],
    *,
    newer: bool,
    threshold_days: int = 0,
    limit: int = 5,
) -> list[str]:
    """Every record's cursor against the state's: ``newer=False`` (first read) record <= state;
    ``newer=True`` (second read, from that state) record >= state - ``threshold_days``."""
    streams = incremental_streams(catalog)
    problems: list[str] = []
    for record in records:
        name = str(record.get("stream"))
        configured = streams.get(name)
        if configured is None or state.get(name) is None:
            continue
        cursor_field = list(configured.get("cursor_field") or configured["stream"].get("default_cursor_field") or [])
        if not cursor_field:
            continue
        field_schema = _field_schema(configured["stream"].get("json_schema") or {}, cursor_field)
        path = cursor_paths.get(name) or [cursor_field[-1]]
        try:
            state_raw = _dig(state[name], path)
        except (KeyError, IndexError, TypeError):
            try:
                state_raw = _dig(state, path)
            except (KeyError, IndexError, TypeError):
                continue
        try:
            record_raw = _dig(record.get("data") or {}, cursor_field)
        except (KeyError, IndexError, TypeError):
            problems.append(f"Stream {name}: a record has no cursor field {'/'.join(cursor_field)}")
            continue
        try:
            record_value = parse_cursor(record_raw, field_schema)
            state_value = parse_cursor(state_raw, field_schema)
            if newer:
                if threshold_days:
                    ok = _as_datetime(record_value) >= _as_datetime(state_value) - dt.timedelta(days=threshold_days)
                else:
                    ok = record_value >= state_value
            else:
                ok = record_value <= state_value
        except (TypeError, ValueError) as exc:
            problems.append(
                f"Stream {name}: cannot compare the record cursor {record_raw!r} with the state cursor "
                f"{state_raw!r} ({exc})"
            )
        else:
            if not ok:
                problems.append(
                    f"Second incremental sync should produce records older or equal to cursor value from the state. "
                    f"Stream: {name} (record cursor {record_raw!r} < state cursor {state_raw!r}"
                    + (f" - {threshold_days} days)" if threshold_days else ")")
                    if newer
                    else "First incremental sync should produce records younger or equal to cursor value from the "
                    f"state. Stream: {name} (record cursor {record_raw!r} > state cursor {state_raw!r})"
                )
        if len(problems) >= limit:
            break
    return problems
