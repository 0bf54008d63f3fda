"""CAT's ``TestBasicRead`` over the replayed basic read and bad-catalog read (messages are CAT's).

``test_read`` first applies CAT's fixtures (the high-strictness rules, the certified connector's stream
statuses), then its steps in CAT's order, stopping at the first failure: at least one record, schema and
structure, empty streams, primary-key values, data points, expected records, stream statuses, state messages.

Beyond CAT (``strict_only``: a warning by default, a failure under ``--strict``): undeclared fields
(``test_fail_on_extra_columns``; CAT's is disabled in code) and the whole-record expected-records comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from replaykit import expected_records
from replaykit import invocation_ids as ids
from replaykit.checks import (
    CheckContext,
    CheckResult,
    beyond_cat,
    result,
    skipped,
    streams_unknown_to_discover,
    with_discovered_streams,
)
from replaykit.checks import read_rules as rules
from replaykit.checks.metadata import is_certified
from replaykit.checks.strictness import basic_read_violations
from replaykit.messages import ConnectorOutput
from replaykit.primary_keys import configured_stream_key
from replaykit.records import compare_stream

SUITE = "basic_read"


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


def undeclared_fields(records: list[dict[str, Any]], catalog: dict[str, Any]) -> list[str]:
    streams = rules.streams_of(catalog)
    out = []
    for name, stream_records in sorted(rules.by_stream(records).items()):
        schema = (streams.get(name) or {}).get("stream", {}).get("json_schema") or {}
        extra = sorted({p for r in stream_records for p in extra_columns(r, schema)})
        if extra:
            out.append(f"Records of stream {name} have fields the schema does not declare: {extra[:10]}")
    return out


def read_steps(
    output: ConnectorOutput,
    catalog: dict[str, Any],
    *,
    validate_schema: bool = True,
    empty_streams: tuple[str, ...] = (),
    validate_primary_keys_data_type: bool = True,
    validate_data_points: bool = False,
    expected_by_stream: dict[str, list[dict[str, Any]]] | None = None,
    exact_order: bool = False,
    validate_stream_statuses: bool = False,
    validate_state_messages: bool = True,
) -> list[str]:
    """CAT's ``test_read`` body: the first failing step's message (empty: the read passes)."""
    records = output.records
    if not records:
        return ["At least one record should be read using provided catalog"]
    steps: list[Callable[[], str | None]] = [
        lambda: rules.validate_schema(records, catalog) if validate_schema else None,
        lambda: rules.empty_streams(records, catalog, empty_streams),
        lambda: rules.primary_keys_data_type(records, catalog) if validate_primary_keys_data_type else None,
        lambda: rules.data_points(records, catalog) if validate_data_points else None,
        lambda: (
            rules.expected_records(records, expected_by_stream, exact_order, catalog) if expected_by_stream else None
        ),
        lambda: rules.stream_statuses(output.traces, catalog) if validate_stream_statuses else None,
        lambda: rules.state_messages(output.states, catalog) if validate_state_messages else None,
    ]
    for step in steps:
        problem = step()
        if problem:
            return [problem]
    return []


def _strict_expected_records(
    context: CheckContext, test: Any, catalog: dict[str, Any], output: ConnectorOutput
) -> list[str]:
    """Strict mode: whole records compared (legacy ``extra_fields`` / ``exact_order`` / ``extra_records``,
    ``ignored_fields`` deleted first), with the first few differing records and a diff per changed one."""
    expectation = test.expect_records
    path = context.resolve(expectation.path)
    if path is None or not path.is_file():
        return [f"expected records file {expectation.path} does not exist"]
    counts = expected_records.stream_counts(path)  # a bad line: ExpectedRecordsError (exit 2)
    streams = rules.streams_of(catalog)
    records = rules.by_stream(output.records)
    problems: list[str] = []
    for name in sorted(counts):
        if name not in streams:
            problems.append(f"Expected exactly one stream matching name {name} but got 0")
            continue
        configured = streams[name]
        comparison = compare_stream(
            name,
            expected_records.stream_source(path, name),
            records.get(name, []),
            ignored=[  # the volatile record fields are not in the file: ignored as CAT's ignored_fields
                *(str(f.name) for f in (test.ignored_fields or {}).get(name) or []),
                *context.volatile_records.for_stream(name),
            ],
            pk_paths=configured_stream_key(configured),  # replaykit's pairing rule, not CAT's
            exact_order=expectation.exact_order,
            extra_fields=expectation.extra_fields,
            extra_records=expectation.extra_records,
        )
        if not comparison.ok:
            problems.append(
                f"Stream {name}: the records differ from {expectation.path} "
                f"({comparison.expected} expected, {comparison.actual} read)"
            )
            problems.extend(comparison.describe())
    return problems


def allowed_empty_streams(test: Any, catalog: dict[str, Any]) -> tuple[str, ...]:
    """The streams that may have no records: ``empty_streams``, and every stream under SAT <= 0.1.12's legacy
    ``validate_output_from_all_streams: false`` (``true`` was the rule CAT applies to every config now)."""
    if test.validate_output_from_all_streams is False:
        return tuple(rules.streams_of(catalog))
    return tuple(s.name for s in test.empty_streams)


def _test_read(context: CheckContext, test: Any, output: ConnectorOutput, catalog: dict[str, Any]) -> list[str]:
    high = context.acceptance.test_strictness_level == "high"
    certified = is_certified(context.connector_dir)
    expected: dict[str, list[dict[str, Any]]] = {}
    expectation = test.expect_records
    if expectation is not None and expectation.path:
        path = context.resolve(expectation.path)
        if path is None or not path.is_file():
            return [f"expected records file {expectation.path} does not exist"]
        expected = expected_records.data_by_stream(path)  # a bad line: ExpectedRecordsError (exit 2)
    fixture_failures = basic_read_violations(test, high=high, certified=certified, catalog=catalog, expected=expected)
    if fixture_failures:
        return fixture_failures[:1]
    statuses = test.validate_stream_statuses
    return read_steps(
        output,
        catalog,
        validate_schema=test.validate_schema,
        empty_streams=allowed_empty_streams(test, catalog),
        validate_primary_keys_data_type=test.validate_primary_keys_data_type,
        validate_data_points=test.validate_data_points,
        expected_by_stream=expected,
        exact_order=bool(expectation and expectation.exact_order),
        validate_stream_statuses=bool(certified if statuses is None else statuses),
        validate_state_messages=test.validate_state_messages,
    )


def run(context: CheckContext) -> list[CheckResult]:
    results: list[CheckResult] = []
    for i, test in enumerate(context.acceptance.tests(SUITE)):
        params = f"inputs{i}"
        output, invocation = context.output(ids.basic_read(i)), context.invocation(ids.basic_read(i))
        if output is None or invocation is None:
            results.append(skipped(SUITE, "test_read", f"{ids.basic_read(i).id} was not replayed", params))
        else:
            catalog = with_discovered_streams(invocation.catalog or {}, context)
            unknown = (
                streams_unknown_to_discover(invocation.catalog or {}, context) if test.configured_catalog_path else []
            )
            problems = unknown[:1] or _test_read(context, test, output, catalog)
            results.append(result(SUITE, "test_read", problems, params))
            undeclared = undeclared_fields(output.records, catalog) if test.fail_on_extra_columns else []
            if undeclared or (context.strict and test.fail_on_extra_columns):  # beyond CAT: shown when found
                results.append(
                    beyond_cat(SUITE, "test_fail_on_extra_columns", undeclared, params, strict=context.strict)
                )
            if context.strict and test.expect_records is not None and test.expect_records.path:
                problems = _strict_expected_records(context, test, catalog, output)
                results.append(beyond_cat(SUITE, "test_expected_records_whole", problems, params, strict=True))
        results.append(_trace_on_failure(context, test, i, params))
    return results


def _trace_on_failure(context: CheckContext, test: Any, i: int, params: str) -> CheckResult:
    name = "test_airbyte_trace_message_on_failure"
    if not test.expect_trace_message_on_failure:
        return skipped(SUITE, name, "expect_trace_message_on_failure is false", params)
    bad = context.output(ids.bad_catalog_read(i))
    if bad is None:
        return skipped(SUITE, name, f"{ids.bad_catalog_read(i).id} was not replayed", params)
    return result(SUITE, name, [] if bad.errors else ["Connector should emit at least one error trace message"], params)
