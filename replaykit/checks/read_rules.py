"""The steps of CAT's ``TestBasicRead::test_read`` as pure functions over records and a configured catalog.

Each returns the step's failure message (CAT's wording) or None; records are ``AirbyteRecordMessage`` dicts,
grouped by their ``stream`` name as CAT does (the namespace is not part of the key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from replaykit.checks.structure import expected_schema_structure, freeze, object_structure
from replaykit.primary_keys import pk_values, source_defined_primary_keys

_DATE_TIME = re.compile(r"^\d{4}-\d?\d-\d?\d(\s|T)\d?\d:\d?\d:\d?\d(.\d+)?.*$")


def valid_date_time(value: str) -> bool:
    """CAT's ``CustomFormatChecker.check_datetime``: its regex, and a lenient pendulum parse."""
    import pendulum

    if not _DATE_TIME.match(value):
        return False
    try:
        pendulum.parse(value, strict=False)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def record_validator(schema: dict[str, Any]) -> Any:
    """Draft 7 with CAT's strict integer (``1.0`` fails, ``true`` passes) and its date-time format check."""
    from jsonschema import Draft7Validator, FormatChecker, validators

    checker = FormatChecker()

    @checker.checks("date-time")  # type: ignore[untyped-decorator]
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or valid_date_time(value)

    type_checker = Draft7Validator.TYPE_CHECKER.redefine("integer", lambda _, value: isinstance(value, int))
    cls = validators.extend(Draft7Validator, type_checker=type_checker)
    return cls(schema, format_checker=checker)


def streams_of(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c["stream"]["name"]): c for c in catalog.get("streams", []) if isinstance(c.get("stream"), dict)}


def by_stream(records: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(str(record.get("stream")), []).append(record.get("data") or {})
    return grouped


def records_structure(records: list[dict[str, Any]], catalog: dict[str, Any]) -> str | None:
    """CAT's ``_validate_records_structure``: each record shares a leaf path with its stream's schema."""
    schemas = {
        name: set(expected_schema_structure(c["stream"].get("json_schema") or {}))
        for name, c in streams_of(catalog).items()
    }
    for record in records:
        paths = schemas.get(str(record.get("stream")))
        if not paths:
            continue
        fields = set(object_structure(record.get("data")))
        if not fields & paths:
            return (
                f"Record {json.dumps(record.get('data'))[:200]} from {record.get('stream')} stream with fields "
                f"{sorted(fields)[:10]} should have some fields mentioned by json schema: {sorted(paths)[:10]}"
            )
    return None


def schema_errors(records: list[dict[str, Any]], catalog: dict[str, Any]) -> dict[str, list[str]]:
    """CAT's ``verify_records_schema``: per stream, the distinct schema errors of its records."""
    validators = {
        name: record_validator(c["stream"].get("json_schema") or {}) for name, c in streams_of(catalog).items()
    }
    errors: dict[str, dict[str, str]] = {}
    for record in records:
        validator = validators.get(str(record.get("stream")))
        if validator is None:
            continue
        for error in validator.iter_errors(record.get("data")):
            errors.setdefault(str(record.get("stream")), {})[str(list(error.schema_path))] = error.message
    return {name: list(found.values()) for name, found in errors.items()}


def validate_schema(records: list[dict[str, Any]], catalog: dict[str, Any]) -> str | None:
    problem = records_structure(records, catalog)
    if problem:
        return problem
    errors = schema_errors(records, catalog)
    if errors:
        detail = "; ".join(f"{name}: {messages[0]}" for name, messages in errors.items())
        return f"Please check your json_schema in selected streams {tuple(errors)}. {detail}"
    return None


def empty_streams(records: list[dict[str, Any]], catalog: dict[str, Any], allowed: Iterable[str]) -> str | None:
    without = set(streams_of(catalog)) - {str(r.get("stream")) for r in records} - set(allowed)
    if without:
        return f"All streams should return some records, streams without records: {without}"
    return None


def primary_keys_data_type(records: list[dict[str, Any]], catalog: dict[str, Any]) -> str | None:
    """CAT's ``_validate_primary_keys_data_type`` (the stream's ``source_defined_primary_key``)."""
    streams = streams_of(catalog)
    for record in records:
        configured = streams.get(str(record.get("stream")))
        paths = source_defined_primary_keys(configured or {})  # CAT's rule
        if not paths:
            continue
        values = pk_values(record.get("data") or {}, paths)
        for value in values:
            if isinstance(value, list | dict):
                kind = "object" if isinstance(value, dict) else "array"
                return f"Stream {record.get('stream')} contains primary key with forbidden type of '{kind}'"
        if all(v is None for v in values):
            return f"Stream {record.get('stream')} contains primary key with null values in all its parts"
    return None


def missing_data_points(stream_records: list[dict[str, Any]], schema: dict[str, Any]) -> list[str]:
    """CAT's ``_validate_field_appears_at_least_once_in_stream``: a oneOf/anyOf branch seen satisfies its field."""
    expected = set(expected_schema_structure(schema, annotate_one_of=True))
    for data in stream_records:
        record_paths = set(object_structure(data))
        found = {p for p in expected if re.sub(r"\([0-9]*\)", "", p) in record_paths}
        for path in found:
            parts = re.split(r"\([0-9]*\)", path)
            if len(parts) > 1:
                expected -= {p for p in expected if parts[0] in p}
        expected -= found
    return sorted(expected)


def data_points(records: list[dict[str, Any]], catalog: dict[str, Any]) -> str | None:
    grouped = by_stream(records)
    empty = {
        name: missing
        for name, configured in streams_of(catalog).items()
        if (missing := missing_data_points(grouped.get(name, []), configured["stream"].get("json_schema") or {}))
    }
    if not empty:
        return None
    return "Following streams has records with fields, that are either null or not present in each output record:\n" + (
        "".join(f"`{name}` stream has `{fields}` empty fields\n" for name, fields in empty.items())
    )


def _hashable(value: Any) -> Any:
    return freeze(value)


def compare_expected(
    name: str, actual: list[dict[str, Any]], expected: list[dict[str, Any]], exact_order: bool, catalog: dict[str, Any]
) -> str | None:
    """CAT's ``compare_records`` (3.6+): by primary key when the stream has one, else by count."""
    configured = [c for c in catalog.get("streams", []) if (c.get("stream") or {}).get("name") == name]
    if len(configured) != 1:
        return f"Expected exactly one stream matching name {name} but got {len(configured)}"
    paths = source_defined_primary_keys(configured[0])  # CAT's rule
    if paths:
        wanted = [_hashable(pk_values(d, paths)) for d in expected]
        got = [_hashable(pk_values(d, paths)) for d in actual]
        if exact_order:
            if got[: len(wanted)] != wanted:
                return f"Expected to see those primary keys in order in the actual response for stream {name}."
        elif set(wanted) - set(got):
            return (
                f"Expected to see those primary keys in the actual response for stream {name} but they were "
                f"not found. {sorted(map(repr, set(wanted) - set(got)))[:5]}"
            )
    elif len(expected) > len(actual):
        return f"Expected to have at least as many records than expected for stream {name}."
    return None


def expected_records(
    records: list[dict[str, Any]],
    expected_by_stream: dict[str, list[dict[str, Any]]],
    exact_order: bool,
    catalog: dict[str, Any],
) -> str | None:
    actual = by_stream(records)
    for name, expected in expected_by_stream.items():
        problem = compare_expected(name, actual.get(name, []), expected, exact_order, catalog)
        if problem:
            return problem
    return None


def stream_statuses(traces: list[dict[str, Any]], catalog: dict[str, Any]) -> str | None:
    """CAT >= 3.8 ``_validate_stream_statuses``: per ``<namespace>-<name>``, STARTED, RUNNING..., COMPLETE (>= 2)."""
    statuses: dict[str, list[str]] = {}
    for trace in traces:
        if trace.get("type") != "STREAM_STATUS":
            continue
        status = trace.get("stream_status") or {}
        descriptor = status.get("stream_descriptor") or {}
        key = f"{descriptor.get('namespace')}-{descriptor.get('name')}"
        statuses.setdefault(key, []).append(str(status.get("status")))
    configured = {f"{c['stream'].get('namespace')}-{c['stream'].get('name')}" for c in catalog.get("streams", [])}
    if configured != set(statuses):
        return "All stream must emit status"
    for name, sequence in statuses.items():
        if len(sequence) < 2:
            return f"Stream `{name}` should contain at least : `STARTED` and `COMPLETE`"
        if sequence[0] != "STARTED" or sequence[-1] != "COMPLETE" or any(s != "RUNNING" for s in sequence[1:-1]):
            return f"Stream `{name}` statuses should be STARTED, RUNNING..., COMPLETE: got {sequence}"
    return None


def state_messages(states: list[dict[str, Any]], catalog: dict[str, Any]) -> str | None:
    """CAT's ``_validate_state_messages``: >= one per stream, each per-stream (CAT reads ``state.stream``), not
    LEGACY, with a ``sourceStats`` object."""
    if len(states) < len(catalog.get("streams", [])):
        return "At least one state message should be emitted for each configured stream."
    for state in states:
        stream = state.get("stream")
        if not isinstance(stream, dict):
            return "State messages must be per-stream: CAT reads `state.stream.stream_descriptor` of every state"
        if state.get("type") == "LEGACY":
            name = (stream.get("stream_descriptor") or {}).get("name")
            return (
                f"Ensure that statuses from the {name} stream are emitted using either `STREAM` or `GLOBAL` state "
                "types, as the `LEGACY` state type is now deprecated."
            )
        if not isinstance(state.get("sourceStats"), dict):
            return "Source stats should be in state message."
    return None


def not_seeded_streams(catalog: dict[str, Any], empty: Iterable[str], expected_streams: Iterable[str]) -> list[str]:
    """CAT's ``find_not_seeded_streams``: configured streams, not empty, with no expected record."""
    return sorted(set(streams_of(catalog)) - set(empty) - set(expected_streams))
