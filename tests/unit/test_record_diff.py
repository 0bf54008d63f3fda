"""The field-level record diff behind every "what changed" message (issue 16)."""

from __future__ import annotations

from replaykit.record_diff import EXAMPLES, diff_stream
from replaykit.records import compare_stream

SECRET = "sk-live-0123456789abcdef"


def scrub(text: str) -> str:
    return text.replace(SECRET, "**REDACTED:api_key**")


def test_counts_are_by_primary_key_over_all_records_and_examples_are_capped() -> None:
    old = [{"id": i, "amount": i, "team": "a"} for i in range(50)]
    new = [{"id": i, "amount": i * 2, "team": "a"} for i in range(1, 50)] + [{"id": 99, "amount": 1, "team": "a"}]
    diff = diff_stream("events", old, new, [["id"]])
    assert (diff.changed, diff.added, diff.removed, diff.unchanged) == (49, 1, 1, 0)
    [line, *_] = diff.field_lines()
    assert line.startswith("field amount changed in 49 record(s), e.g. id 1: 1 -> 2; id 2: 2 -> 4")
    assert line.count(" -> ") == EXAMPLES
    assert diff.key_lines() == ["added: 99", "removed: 0"]


def test_nested_and_list_paths_are_named_and_values_truncated_and_scrubbed() -> None:
    old = [{"id": "u1", "address": {"city": "Berlin"}, "tags": ["a"], "note": "short"}]
    new = [{"id": "u1", "address": {"city": "Paris"}, "tags": ["a", "b"], "note": SECRET + "x" * 80}]
    diff = diff_stream("users", old, new, [["id"]], scrub=scrub)
    text = "\n".join(diff.field_lines())
    assert 'field address.city changed in 1 record(s), e.g. id "u1": "Berlin" -> "Paris"' in text
    assert 'field tags[] item added in 1 record(s), e.g. id "u1": "b"' in text
    assert SECRET not in text
    assert '"short" -> "**REDACTED:api_key**xxx' in text
    assert "…" in text


def test_without_a_primary_key_records_are_added_or_removed_whole() -> None:
    diff = diff_stream("logs", [{"m": 1}, {"m": 2}], [{"m": 2}, {"m": 3}], None)
    assert (diff.changed, diff.added, diff.removed, diff.unchanged) == (0, 1, 1, 1)
    assert diff.keyed_by == "whole record (no primary key)"


def test_strict_comparison_counts_changed_records_not_missing_ones() -> None:
    expected = [{"id": i, "amount": i} for i in range(1, 120)]
    actual = [{"id": i, "amount": i * 2} for i in range(1, 120)]
    comparison = compare_stream("events", expected, actual, pk_paths=[["id"]])
    assert comparison.changed_count == 119
    lines = comparison.describe()
    assert "stream events: 119 record(s) changed in all (the first 5 shown)" in lines
    assert not [line for line in lines if "missing" in line or "not expected" in line]
