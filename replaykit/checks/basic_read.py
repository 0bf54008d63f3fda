"""CAT's ``TestBasicRead`` over the replayed basic read and bad-catalog read (messages are CAT's).

``test_read`` applies CAT's steps in order and stops at the first failure: at least one record, schema
(Draft 7 with CAT's integer rule and its lenient date-time check), extra columns (``fail_on_extra_columns``,
a real check here: CAT's is disabled in code), empty streams, primary-key values, data points, expected
records (CAT's current rule), stream statuses, state messages.
"""

from __future__ import annotations

import json
import re
from typing import Any

from replaykit.checks import CheckContext, CheckResult, result, skipped, with_discovered_streams
from replaykit.checks.schema import leaf_paths
from replaykit.messages import ConnectorOutput
from replaykit.records import ExpectedRecordsError, compare_stream, expected_records, expected_streams

SUITE = "basic_read"
_DATE_TIME = re.compile(r"^\d{4}-\d?\d-\d?\d(\s|T)\d?\d:\d?\d:\d?\d(.\d+)?.*$")


def _validator(schema: dict[str, Any]) -> Any:
    """Draft 7 where any Python int is an integer (so ``1.0`` fails and ``true`` passes, as in CAT)."""
    from jsonschema import Draft7Validator, FormatChecker, validators

    checker = FormatChecker()

    @checker.checks("date-time")  # type: ignore[untyped-decorator]
    def _date_time(value: object) -> bool:
        if value is None:
            return True
        if not isinstance(value, str) or not _DATE_TIME.match(value):
            return False
        try:
            import datetime as dt

            dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            return bool(re.match(r"^\d{4}-\d{2}-\d{2}", value))
        return True

    type_checker = Draft7Validator.TYPE_CHECKER.redefine("integer", lambda _, value: isinstance(value, int))
    cls = validators.extend(Draft7Validator, type_checker=type_checker)
    return cls(schema, format_checker=checker)


def _record_paths(value: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}/{key}"
            paths.add(path)
            paths |= _record_paths(item, path)
    elif isinstance(value, list) and value:
        paths |= _record_paths(value[0], f"{prefix}/[]")
    return paths


def extra_columns(record: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Paths of record fields that the schema does not declare (objects with ``properties`` only)."""
    out: list[str] = []
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return out
    for key, value in record.items():
        path = f"{prefix}/{key}"
        if key not in properties:
            out.append(path)
            continue
        sub = properties[key] if isinstance(properties[key], dict) else {}
        if isinstance(value, dict):
            out.extend(extra_columns(value, sub, path))
        elif isinstance(value, list) and isinstance(sub.get("items"), dict):
            for item in value:
                if isinstance(item, dict):
                    out.extend(extra_columns(item, sub["items"], f"{path}/[]"))
    return sorted(set(out))


def _pk_value(data: dict[str, Any], path: list[str]) -> Any:
    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _steps(test: Any, output: ConnectorOutput, catalog: dict[str, Any], context: CheckContext) -> list[str]:
    """The first failing step's messages (empty: the read passes)."""
    streams = {c["stream"]["name"]: c for c in catalog.get("streams", [])}
    records = output.records_by_stream()
    if not output.records:
        return ["At least one record should be read using provided catalog"]
    if test.validate_schema:
        for name, stream_records in sorted(records.items()):
            if name not in streams:
                continue
            schema = streams[name]["stream"].get("json_schema") or {}
            expected_paths = set(leaf_paths(schema))
            for record in stream_records:
                paths = _record_paths(record.get("data") or {})
                if expected_paths and paths and not paths & expected_paths:
                    return [
                        f"Record {json.dumps(record.get('data'))[:200]} from {name} stream with fields "
                        f"{sorted(paths)[:10]} should have some fields mentioned by json schema"
                    ]
            validator = _validator(schema)
            errors = {
                str(list(e.schema_path)): e.message
                for r in stream_records
                for e in validator.iter_errors(r.get("data"))
            }
            if errors:
                return [
                    f"Please check your json_schema in selected streams ({name}): "
                    + "; ".join(list(errors.values())[:3])
                ]
    if test.fail_on_extra_columns:
        for name, stream_records in sorted(records.items()):
            schema = (streams.get(name) or {}).get("stream", {}).get("json_schema") or {}
            extra = sorted({p for r in stream_records for p in extra_columns(r.get("data") or {}, schema)})
            if extra:
                return [f"Records of stream {name} have fields the schema does not declare: {extra[:10]}"]
    empty = sorted(set(streams) - set(records) - {s.name for s in test.empty_streams})
    if empty:
        return [f"All streams should return some records, streams without records: {set(empty)}"]
    if test.validate_primary_keys_data_type:
        for name, stream_records in sorted(records.items()):
            pks = (streams.get(name) or {}).get("stream", {}).get("source_defined_primary_key") or []
            for record in stream_records:
                values = [_pk_value(record.get("data") or {}, list(pk)) for pk in pks]
                forbidden = [type(v).__name__ for v in values if isinstance(v, dict | list)]
                if forbidden:
                    kind = "object" if forbidden[0] == "dict" else "array"
                    return [f"Stream {name} contains primary key with forbidden type of '{kind}'"]
                if pks and all(v is None for v in values):
                    return [f"Stream {name} contains primary key with null values in all its parts"]
    if test.validate_data_points:
        for name, stream_records in sorted(records.items()):
            schema = (streams.get(name) or {}).get("stream", {}).get("json_schema") or {}
            missing = set(leaf_paths(schema))
            for record in stream_records:
                missing -= _record_paths(record.get("data") or {})
            if missing:
                return [
                    f"Following streams has records with fields, that are either null or not present in each "
                    f"output record: `{name}` stream has `{sorted(missing)}` empty fields"
                ]
    expectation = test.expect_records
    if expectation is not None and expectation.path:
        if context.strict:
            problems = _strict_expected_records(context, test, streams, records)
            if problems:
                return problems
        else:
            problem = _expected_records(context, expectation, streams, records)
            if problem:
                return [problem]
    if test.validate_stream_statuses:
        problem = _stream_statuses(output, streams)
        if problem:
            return [problem]
    if test.validate_state_messages:
        if len(output.states) < len(streams):
            return ["At least one state message should be emitted for each configured stream."]
        if any(s.get("type") == "LEGACY" or "sourceStats" not in s for s in output.states):
            return ["Source stats should be in state message."]
    return []


def _expected_records(
    context: CheckContext, expectation: Any, streams: dict[str, Any], records: dict[str, list[dict[str, Any]]]
) -> str | None:
    path = context.acceptance.resolve(expectation.path)
    if path is None or not path.is_file():
        return f"expected records file {expectation.path} does not exist"
    expected: dict[str, list[dict[str, Any]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            expected.setdefault(str(record["stream"]), []).append(record.get("data") or {})
    for name, wanted in sorted(expected.items()):
        if name not in streams:
            return f"Expected exactly one stream matching name {name} but got 0"
        actual = [r.get("data") or {} for r in records.get(name, [])]
        pks = streams[name]["stream"].get("source_defined_primary_key") or []
        if pks:

            def key(data: dict[str, Any], pks: list[Any] = pks) -> str:
                return json.dumps([_pk_value(data, list(pk)) for pk in pks], sort_keys=True)

            wanted_keys, actual_keys = [key(d) for d in wanted], [key(d) for d in actual]
            if expectation.exact_order:
                if actual_keys[: len(wanted_keys)] != wanted_keys:
                    return f"Expected to see those primary keys in order in the actual response for stream {name}."
            elif set(wanted_keys) - set(actual_keys):
                missing = sorted(set(wanted_keys) - set(actual_keys))[:5]
                return (
                    f"Expected to see those primary keys in the actual response for stream {name} but they "
                    f"were not found. {missing}"
                )
        elif len(wanted) > len(actual):
            return f"Expected to have at least as many records than expected for stream {name}."
    return None


def _strict_expected_records(
    context: CheckContext, test: Any, streams: dict[str, Any], records: dict[str, list[dict[str, Any]]]
) -> list[str]:
    """Strict mode: whole records compared (legacy ``extra_fields`` / ``exact_order`` / ``extra_records``,
    ``ignored_fields`` deleted first), with the first few differing records and a diff per changed one."""
    expectation = test.expect_records
    path = context.acceptance.resolve(expectation.path)
    if path is None or not path.is_file():
        return [f"expected records file {expectation.path} does not exist"]
    try:
        counts = expected_streams(path)
    except ExpectedRecordsError as exc:
        return [f"{exc}; regenerate it with `replaykit replay --update`"]
    problems: list[str] = []
    for name in sorted(counts):
        if name not in streams:
            problems.append(f"Expected exactly one stream matching name {name} but got 0")
            continue
        configured = streams[name]
        pk = configured.get("primary_key") or configured["stream"].get("source_defined_primary_key") or []
        comparison = compare_stream(
            name,
            expected_records(path, name),
            [r.get("data") or {} for r in records.get(name, [])],
            ignored=[str(f.name) for f in (test.ignored_fields or {}).get(name) or []],
            pk_paths=[list(p) for p in pk],
            exact_order=expectation.exact_order,
            extra_fields=expectation.extra_fields,
            extra_records=expectation.extra_records,
        )
        if not comparison.ok:
            problems.append(
                f"Stream {name}: the records differ from {expectation.path} "
                f"({comparison.expected} expected, {comparison.actual} read; strict mode)"
            )
            problems.extend(comparison.describe())
    return problems


def _stream_statuses(output: ConnectorOutput, streams: dict[str, Any]) -> str | None:
    statuses: dict[str, list[str]] = {}
    for trace in output.traces:
        if trace.get("type") == "STREAM_STATUS":
            status = trace.get("stream_status") or {}
            descriptor = status.get("stream_descriptor") or {}
            statuses.setdefault(f"{descriptor.get('namespace')}-{descriptor.get('name')}", []).append(
                str(status.get("status"))
            )
    if set(statuses) != {f"None-{name}" for name in streams}:
        return "All stream must emit status"
    for name, sequence in sorted(statuses.items()):
        if (
            len(sequence) < 3
            or sequence[0] != "STARTED"
            or sequence[-1] != "COMPLETE"
            or any(s != "RUNNING" for s in sequence[1:-1])
        ):
            return f"Stream {name} statuses should be STARTED, RUNNING..., COMPLETE: got {sequence}"
    return None


def run(context: CheckContext) -> list[CheckResult]:
    results: list[CheckResult] = []
    for i, test in enumerate(context.acceptance.tests(SUITE)):
        params = f"inputs{i}"
        output = context.output(f"basic_read-{i}")
        invocation = context.invocations.get(f"basic_read-{i}")
        if output is None or invocation is None:
            results.append(skipped(SUITE, "test_read", f"basic_read-{i} was not replayed", params))
        else:
            catalog = with_discovered_streams(invocation.catalog or {}, context)
            results.append(result(SUITE, "test_read", _steps(test, output, catalog, context), params))
        if not test.expect_trace_message_on_failure:
            results.append(
                skipped(
                    SUITE, "test_airbyte_trace_message_on_failure", "expect_trace_message_on_failure is false", params
                )
            )
            continue
        bad = context.output(f"basic_read-{i}-bad_catalog")
        if bad is None:
            results.append(
                skipped(
                    SUITE,
                    "test_airbyte_trace_message_on_failure",
                    f"basic_read-{i}-bad_catalog was not replayed",
                    params,
                )
            )
        else:
            results.append(
                result(
                    SUITE,
                    "test_airbyte_trace_message_on_failure",
                    [] if bad.errors else ["Connector should emit at least one error trace message"],
                    params,
                )
            )
    return results
