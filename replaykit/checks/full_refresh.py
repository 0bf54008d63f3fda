"""CAT's ``TestFullRefresh::test_sequential_reads`` over the two replayed full-refresh reads.

As CAT 3.x: the first read has records and every ``emitted_at`` of the second read is later than all of the
first's (true at replay: each invocation's clock is its recorded instant). Strict-only (a warning by default):
the comparison CAT's legacy versions made, per stream the first read's records (by configured primary key,
else whole records without ``ignored_fields``) must all be in the second read.
"""

from __future__ import annotations

from typing import Any

from replaykit import invocation_ids as ids
from replaykit.checks import CheckContext, CheckResult, beyond_cat, result, skipped
from replaykit.checks.strictness import ignored_fields_violations
from replaykit.messages import ConnectorOutput
from replaykit.primary_keys import configured_only_primary_keys, pk_text
from replaykit.records import compare_stream
from replaykit.volatile import VolatileRecordFields

SUITE = "full_refresh"
TEST = "test_sequential_reads"


def ignored_names(ignored_fields: dict[str, list[Any]] | None, stream: str) -> list[str]:
    return [str(f.name) for f in (ignored_fields or {}).get(stream) or []]


def sequential_reads(first: ConnectorOutput, second: ConnectorOutput) -> list[str]:
    """CAT's ``test_sequential_reads``: read 1 has records; ``max(emitted_at 1) < min(emitted_at 2)``."""
    if not first.records:
        return ["At least one record should be read using provided catalog"]
    if not second.records:
        return ["emitted_at should increase on subsequent runs: the second read produced no records"]
    last_first = max(int(r.get("emitted_at") or 0) for r in first.records)
    first_second = min(int(r.get("emitted_at") or 0) for r in second.records)
    if not last_first < first_second:
        return [
            f"emitted_at should increase on subsequent runs: first read up to {last_first}, "
            f"second read from {first_second}"
        ]
    return []


def records_subset(
    test: Any,
    first: ConnectorOutput,
    second: ConnectorOutput,
    catalog: dict[str, Any] | None,
    volatile: VolatileRecordFields | None = None,
) -> list[str]:
    """The legacy (CAT <= 2.x) comparison: each stream's first-read records are in the second read (the
    ``volatile`` record fields ignored as ``ignored_fields``)."""
    volatile = volatile or VolatileRecordFields()
    pks = configured_only_primary_keys(catalog)  # CAT's legacy comparison: the configured primary_key only
    second_by_stream = second.records_by_stream()
    problems: list[str] = []
    for stream, records in sorted(first.records_by_stream().items()):
        paths = pks.get(stream) or []
        again = second_by_stream.get(stream, [])
        if paths:
            comparison = compare_stream(
                stream,
                [{"primary_key": pk_text(r.get("data"), paths)} for r in records],
                [{"primary_key": pk_text(r.get("data"), paths)} for r in again],
                extra_records=True,
            )
        else:
            comparison = compare_stream(
                stream,
                [r.get("data") for r in records],
                [r.get("data") for r in again],
                ignored=[*ignored_names(test.ignored_fields, stream), *volatile.for_stream(stream)],
                extra_records=True,
            )
        if not comparison.ok:
            problems.append(
                f"{stream}: the two sequential reads should produce either equal set of records or one of them "
                "is a strict subset of the other"
            )
            problems.extend(comparison.describe())
    return problems


def run(context: CheckContext) -> list[CheckResult]:
    results: list[CheckResult] = []
    for i, test in enumerate(context.acceptance.tests(SUITE)):
        params = f"inputs{i}"
        first, second = context.output(ids.full_refresh_read(i, 1)), context.output(ids.full_refresh_read(i, 2))
        if first is None or second is None:
            results.append(skipped(SUITE, TEST, f"{ids.reads_label(SUITE, i)} were not replayed", params))
            continue
        invocation = context.invocation(ids.full_refresh_read(i, 1))
        catalog = invocation.catalog if invocation else None
        high = context.acceptance.test_strictness_level == "high"
        problems = ignored_fields_violations(test.ignored_fields, high=high) or sequential_reads(first, second)
        results.append(result(SUITE, TEST, problems, params))
        subset = [] if problems else records_subset(test, first, second, catalog, context.volatile_records)
        if subset or (context.strict and not problems):  # beyond CAT: shown when found
            results.append(beyond_cat(SUITE, "test_sequential_reads_records", subset, params, strict=context.strict))
    return results
