"""CAT's fixture rules that fail a test before it runs: ``test_strictness_level: high`` and certified connectors.

CAT applies them in pytest fixtures, so they fail the test that uses the fixture (``test_read``,
``test_state_with_abnormally_large_values``, ``test_sequential_reads``); replaykit does the same at replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from replaykit.checks.read_rules import not_seeded_streams

PREFIX = "High strictness level error: "


def ignored_fields_violations(ignored_fields: dict[str, Iterable[Any]] | None, *, high: bool) -> list[str]:
    if not high:
        return []
    for names in (ignored_fields or {}).values():
        if any(not n.bypass_reason for n in names):
            return [
                "A bypass_reason must be filled in for all ignored fields when test_strictness_level is set to high."
            ]
    return []


def basic_read_violations(
    test: Any,
    *,
    high: bool,
    certified: bool,
    catalog: dict[str, Any],
    expected: dict[str, list[dict[str, Any]]],
) -> list[str]:
    """The fixtures of CAT's ``test_read``, in the order pytest resolves them."""
    out: list[str] = []
    if high and test.configured_catalog_path:
        out.append(
            "High strictness level error: you can't set a custom configured catalog on the basic read test "
            "when strictness level is high."
        )
    if high and not all(bool(s.bypass_reason) for s in test.empty_streams):
        out.append("A bypass_reason must be filled in for all empty streams when test_strictness_level is set to high.")
    if high and not test.validate_schema:
        out.append(PREFIX + "validate_schema must be set to true in the basic read test configuration.")
    if certified and test.validate_stream_statuses is not None and not test.validate_stream_statuses:
        out.append(PREFIX + "validate_stream_statuses must be set to true in the basic read test configuration.")
    expectation = test.expect_records
    if high:
        if expectation is None:
            out.append(PREFIX + "expect_records must be configured for the basic_read test.")
        elif expectation.path:
            missing = not_seeded_streams(catalog, (s.name for s in test.empty_streams), expected)
            if missing:
                out.append(
                    PREFIX + f"{', '.join(missing)} streams are declared in the catalog but do not have expected "
                    f"records. Please add expected records to {expectation.path} or declare these streams in "
                    "empty_streams."
                )
        elif not expectation.bypass_reason:
            out.append(PREFIX + "A bypass reason must be filled if no path to expected records is provided.")
    out.extend(ignored_fields_violations(test.ignored_fields, high=high))
    return out
