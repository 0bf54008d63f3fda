"""Cursors of incremental streams: CAT's abnormal-state type and format check (current semantics) and the
record-versus-state comparisons of its legacy semantics (``cursor_paths``, ``threshold_days``), which strict
mode runs on the two sequential reads."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from replaykit.states import descriptor_name

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
    """CAT's ``_get_cursor_values_from_states_by_cursor``: every value under key ``cursor`` (or under
    ``cursor`` in a dict that has ``cursor_field``), in CAT's stack order."""
    found: list[Any] = []
    stack = [state]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == cursor or ("cursor_field" in node and key == "cursor"):
                    found.append(value)
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _same_shape(actual: str, future: str) -> bool:
    """CAT's ``_check_cursor_by_char_types``."""
    if len(actual) != len(future):
        return False
    for a, f in zip(actual, future, strict=True):
        if (a.isalpha() and f.isalpha()) or (a.isdigit() and f.isdigit()):
            continue
        if not a.isalnum() and not f.isalnum() and a == f:
            continue
        return False
    return True


def abnormal_state_cursor_problems(
    catalog: dict[str, Any] | None,
    output_states: list[dict[str, Any]],
    future_states: list[dict[str, Any]],
    default_format: str | None,
    stream_formats: dict[str, str | None],
) -> list[str]:
    """CAT's cursor type and format check of ``test_state_with_abnormally_large_values`` (3.8.6-3.9.x).

    As CAT: the *last* state of each stream is checked; a stream whose cursor has no top-level schema
    ``type``, or whose output state has no entry in the future state, fails (CAT raises there); a falsy cursor
    value skips the format check; a ``cursor_format.streams`` entry without a ``format`` means "no pattern".
    """
    streams = incremental_streams(catalog)
    cursors = {name: cursor_name(c) for name, c in streams.items()}
    actual: dict[str, list[Any]] = {}
    for state in output_states:
        name = descriptor_name(state)
        if name is None:
            return ["Only per-stream states can be checked: CAT reads `state.stream` of every output state"]
        if name not in cursors:
            return [f"The output state of stream {name} has no configured incremental stream (CAT: KeyError)"]
        stream_state = (state.get("stream") or {}).get("stream_state") or {}
        actual[name] = find_cursor_values(stream_state, str(cursors[name]))
    future: dict[str, list[Any]] = {}
    for state in future_states:
        name = descriptor_name(state)
        if name in cursors:
            future[name] = find_cursor_values((state.get("stream") or {}).get("stream_state"), str(cursors[name]))
    if not all(future.values()):
        return ["Future state must be set up for all given streams"]
    cursor_schemas: dict[str, Any] = {}
    for name, configured in streams.items():
        properties = (configured["stream"].get("json_schema") or {}).get("properties") or {}
        if cursors[name] not in properties:
            return [
                f"Stream {name}: cursor {cursors[name]!r} is not a top-level property of its schema (CAT: KeyError)"
            ]
        cursor_schemas[name] = properties[cursors[name]]
    for name in streams:
        if name not in actual:
            continue  # as CAT: a stream may be unavailable during the sync
        if name not in future:
            return [f"Stream {name} emitted a state but has none in the future state file (CAT: KeyError)"]
        declared = cursor_schemas[name].get("type") if isinstance(cursor_schemas[name], dict) else None
        if declared is None:
            return [f"Stream {name}: the cursor {cursors[name]!r} has no `type` in the schema (CAT: KeyError)"]
        expected_types = []
        for type_name in [declared] if isinstance(declared, str) else declared:
            if type_name == "null":
                continue
            if type_name not in SCHEMA_TYPES:
                return [
                    f"Unsupported type: {type_name}. Update SCHEMA_TYPES_MAPPING with the {type_name} and its "
                    "corresponding function"
                ]
            expected_types.append(SCHEMA_TYPES[type_name])
        pattern = stream_formats.get(name, default_format)
        for value, future_value in zip(actual[name], future[name], strict=False):
            for expected in expected_types:
                for v in (value, future_value):
                    if v and not isinstance(v, expected):
                        return [f"Cursor value {v} is not of type {expected}. Expected {expected}, got {type(v)}"]
            if not (value and future_value) or isinstance(value, int | float):
                continue
            if pattern:
                if not re.match(pattern, str(value)):
                    return [f"Actual cursor value {value} does not match pattern: {pattern}"]
                if not re.match(pattern, str(future_value)):
                    return [f"Future cursor value {future_value} does not match pattern: {pattern}"]
            elif not _same_shape(str(value), str(future_value)):
                return [
                    "Actual and future state formats do not match. Actual cursor value: "
                    f"{value}, future cursor value: {future_value}"
                ]
    return []


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
