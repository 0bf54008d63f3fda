"""Record comparison, cursor rules and the read suites' edge cases on hand-built connector outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replaykit.checks.cursor import abnormal_state_cursor_problems, cursor_comparison_problems, find_cursor_values
from replaykit.checks.full_refresh import records_subset, sequential_reads
from replaykit.errors import ConfigError, ExpectedRecordsError
from replaykit.expected_records import stream_counts
from replaykit.messages import ConnectorOutput
from replaykit.plan import full_refresh_only_catalog, incremental_only_catalog
from replaykit.records import compare_stream, record_key
from replaykit.settings import resolve_settings
from replaykit.states import state_input_from

# --------------------------------------------------------------------------- record comparison


def test_record_key_ignores_key_order_and_list_order_but_not_values() -> None:
    assert record_key({"a": 1, "b": [3, 1, {"x": 2, "y": [2, 1]}]}) == record_key(
        {"b": [{"y": [1, 2], "x": 2}, 1, 3], "a": 1}
    )
    assert record_key({"a": [1, 1, 2]}) != record_key({"a": [1, 2, 2]})  # multisets keep duplicates
    assert record_key({"a": True}) != record_key({"a": 1})
    assert record_key({"a": "[x"}) == record_key({"a": "[x"})  # a "[" in a string takes the slow path, still equal


def test_multiset_comparison_reports_missing_and_extra_records() -> None:
    expected = [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}, {"id": 3, "v": "c"}]
    actual = [{"id": 3, "v": "c"}, {"id": 1, "v": "a"}, {"id": 4, "v": "d"}]
    out = compare_stream("s", expected, actual)
    assert not out.ok
    assert (out.missing_count, out.extra_count) == (1, 1)
    assert out.missing == [{"id": 2, "v": "b"}]
    assert out.extra == [{"id": 4, "v": "d"}]
    assert compare_stream("s", expected, [*actual, {"id": 2, "v": "b"}], extra_records=True).ok


def test_records_sharing_a_primary_key_are_shown_as_a_diff() -> None:
    out = compare_stream("s", [{"id": 1, "v": "a"}], [{"id": 1, "v": "z"}], pk_paths=[["id"]])
    assert out.changed == [("1", ['Value of root[\'v\'] changed from "a" to "z".'])]
    assert out.describe() == ["stream s: record 1 changed:", '  Value of root[\'v\'] changed from "a" to "z".']


def test_ignored_fields_are_deleted_by_path_with_globs() -> None:
    expected = [{"id": 1, "meta": {"synced": 1, "keep": 1}, "at": 5}]
    actual = [{"id": 1, "meta": {"synced": 2, "keep": 1}, "at": 6}]
    assert not compare_stream("s", expected, actual).ok
    assert not compare_stream("s", expected, actual, ignored=["meta/synced"]).ok
    assert compare_stream("s", expected, actual, ignored=["meta/synced", "at"]).ok
    assert compare_stream("s", expected, actual, ignored=["meta/syn*", "a?"]).ok
    assert not compare_stream("s", expected, actual, ignored=["meta/keep", "at"]).ok


def test_exact_order_and_extra_fields() -> None:
    expected = [{"id": 1}, {"id": 2}]
    assert compare_stream("s", expected, [{"id": 2}, {"id": 1}]).ok
    out = compare_stream("s", expected, [{"id": 2}, {"id": 1}], exact_order=True)
    assert out.out_of_order == 0
    # unlike CAT's legacy zip, missing trailing records are reported
    short = compare_stream("s", expected, [{"id": 1}], exact_order=True)
    assert short.missing_count == 1
    longer = compare_stream("s", expected, [{"id": 1}, {"id": 2}, {"id": 3}], exact_order=True)
    assert longer.extra_count == 1
    assert compare_stream("s", expected, [{"id": 1}, {"id": 2}, {"id": 3}], exact_order=True, extra_records=True).ok
    wide = [{"id": 1, "new": 1}, {"id": 2, "new": 2}]
    assert not compare_stream("s", expected, wide, exact_order=True).ok
    assert compare_stream("s", expected, wide, extra_fields=True).ok


def test_expected_records_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "expected_records.jsonl"
    path.write_text('{"stream": "a", "data": {"id": 1}, "emitted_at": 0}\n\n{"stream": "a", "data": 3}\n')
    with pytest.raises(ExpectedRecordsError, match=r"expected_records.jsonl:3: not a record") as info:
        stream_counts(path)
    assert info.value.exit_code == 2
    assert "replaykit replay --update" in str(info.value)
    path.write_text("".join(json.dumps({"stream": s, "data": {}, "emitted_at": 0}) + "\n" for s in "aba"))
    assert stream_counts(path) == {"a": 2, "b": 1}


# --------------------------------------------------------------------------- cursors


def _catalog(cursor_type: Any = "string", fmt: str | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": cursor_type}
    if fmt:
        prop["format"] = fmt
    stream = {
        "name": "events",
        "json_schema": {"properties": {"updated": prop}},
        "supported_sync_modes": ["full_refresh", "incremental"],
        "default_cursor_field": ["updated"],
    }
    return {"streams": [{"stream": stream, "sync_mode": "incremental", "cursor_field": ["updated"]}]}


def _state(value: Any, name: str = "events") -> dict[str, Any]:
    return {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": {"updated": value}}}


def test_cursor_values_are_found_by_name_and_by_the_db_convention() -> None:
    state = {"a": {"updated": 1}, "parts": [{"cursor": 5, "cursor_field": ["x"]}, {"cursor": 6}]}
    assert find_cursor_values(state, "updated") == [5, 1]  # CAT's stack order


@pytest.mark.parametrize(
    ("cursor_type", "actual", "future", "fmt", "problem"),
    [
        ("string", "2024-01-01T00:00:00Z", "2099-01-01T00:00:00Z", None, None),
        (["null", "string"], "2024-01-01", "2099-01-01", None, None),
        ("string", "2024-01-01", "2099-01-01T00:00:00Z", None, "Actual and future state formats do not match"),
        ("string", "2024-01-01T00:00:00Z", "2099-01-01T00:00:00Z", r"^\d+$", "does not match pattern"),
        ("string", "2024-01-01", "2099-01-01", r"^\d{4}", None),
        ("integer", 1700000000, 4102444800, None, None),
        ("number", 1700000000.5, 4102444800.0, None, None),
        ("number", 1700000000, 4102444800.0, None, "is not of type <class 'float'>"),  # CAT's isinstance rule
        ("integer", 1700000000.5, 4102444800, None, "is not of type <class 'int'>"),
        ("string", 1700000000, "4102444800", None, "is not of type <class 'str'>"),
        ("string", "", "2099-01-01T00:00:00Z", None, None),  # CAT: a falsy value skips the format check
        ("boolean", True, True, None, "Unsupported type: boolean"),
    ],
)
def test_abnormal_state_cursor_type_and_format(
    cursor_type: Any, actual: Any, future: Any, fmt: str | None, problem: str | None
) -> None:
    problems = abnormal_state_cursor_problems(_catalog(cursor_type), [_state(actual)], [_state(future)], fmt, {})
    if problem is None:
        assert problems == []
    else:
        assert problems
        assert problem in problems[0]


def test_a_future_state_without_the_cursor_fails() -> None:
    future = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "events"}, "stream_state": {"x": 1}}}]
    problems = abnormal_state_cursor_problems(_catalog(), [_state("2024-01-01")], future, None, {})
    assert problems[0].startswith("Future state must be set up for all given streams")


def test_a_per_stream_cursor_format_overrides_the_default() -> None:
    args = (_catalog(), [_state("2024-01-01")], [_state("2099-01-01")])
    assert abnormal_state_cursor_problems(*args, r"^\d+$", {"events": r"^\d{4}-"}) == []
    assert abnormal_state_cursor_problems(*args, r"^\d{4}-", {"events": r"^\d+$"})
    # as CAT: an entry without a format means "no pattern" (the shape comparison), not the default pattern
    assert abnormal_state_cursor_problems(*args, r"^\d+$", {"events": None}) == []


def test_abnormal_state_checks_the_last_state_and_fails_where_cat_raises() -> None:
    good, bad = _state("2024-01-01T00:00:00Z"), _state("2024-01-01")
    future = [_state("2099-01-01T00:00:00Z")]
    assert abnormal_state_cursor_problems(_catalog(), [bad, good], future, None, {}) == []
    assert abnormal_state_cursor_problems(_catalog(), [good, bad], future, None, {})
    untyped = _catalog()
    del untyped["streams"][0]["stream"]["json_schema"]["properties"]["updated"]["type"]
    assert "has no `type`" in abnormal_state_cursor_problems(untyped, [good], future, None, {})[0]
    other = [_state("2099-01-01T00:00:00Z", name="users")]
    assert "none in the future state" in abnormal_state_cursor_problems(_catalog(), [good], other, None, {})[0]


def _records(*values: Any) -> list[dict[str, Any]]:
    return [{"stream": "events", "data": {"updated": v}, "emitted_at": 0} for v in values]


def test_legacy_cursor_comparisons() -> None:
    catalog = _catalog("string", "date-time")
    state = {"events": {"updated": "2024-01-10T00:00:00Z"}}
    assert cursor_comparison_problems(catalog, _records("2024-01-09T00:00:00Z"), state, {}, newer=False) == []
    assert cursor_comparison_problems(catalog, _records("2024-01-11T00:00:00Z"), state, {}, newer=False)
    older = _records("2024-01-10T00:00:00Z", "2024-01-05T00:00:00Z")
    problems = cursor_comparison_problems(catalog, older, state, {}, newer=True)
    assert problems == [
        "Second incremental sync should produce records older or equal to cursor value from the state. Stream: events"
        " (record cursor '2024-01-05T00:00:00Z' < state cursor '2024-01-10T00:00:00Z')"
    ]
    assert cursor_comparison_problems(catalog, older, state, {}, newer=True, threshold_days=5) == []
    # cursor_paths reach into a nested state, absolute paths into the whole state
    nested = {"events": {"bookmark": {"updated": "2024-01-10T00:00:00Z"}}}
    assert cursor_comparison_problems(catalog, older, nested, {"events": ["bookmark", "updated"]}, newer=True)
    # numbers with threshold_days are epoch milliseconds, as in CAT
    numbers = _catalog("integer")
    day_ms = 86_400_000
    in_window = cursor_comparison_problems(
        numbers, _records(10 * day_ms - 1000), {"events": {"updated": 10 * day_ms}}, {}, newer=True, threshold_days=1
    )
    assert in_window == []
    # int against str cannot be compared: a failure that says so, not a crash
    mixed = cursor_comparison_problems(numbers, _records("5"), {"events": {"updated": 7}}, {}, newer=True)
    assert "cannot compare the record cursor '5' with the state cursor 7" in mixed[0]


# --------------------------------------------------------------------------- full refresh, catalogs, state input


class _Test:
    ignored_fields = None


def _output(*emitted: int, stream: str = "users") -> ConnectorOutput:
    return ConnectorOutput(
        records=[{"stream": stream, "data": {"id": i}, "emitted_at": e} for i, e in enumerate(emitted)]
    )


def test_full_refresh_emitted_at_must_increase() -> None:
    assert sequential_reads(_output(1, 2), _output(3, 4)) == []
    assert sequential_reads(_output(1, 3), _output(3, 4))[0].startswith("emitted_at should increase on subsequent runs")
    assert sequential_reads(_output(), _output(3)) == ["At least one record should be read using provided catalog"]
    assert "no records" in sequential_reads(_output(1), _output())[0]


def test_full_refresh_first_read_may_be_a_subset_of_the_second() -> None:
    """The legacy comparison (strict-only): read 1's records must all be in read 2."""
    assert records_subset(_Test(), _output(1), _output(3, 4), None) == []
    problems = records_subset(_Test(), _output(1, 2), _output(3), None)
    assert problems[0].startswith("users: the two sequential reads should produce either equal set of records")


def test_incremental_only_catalog_fills_the_cursor_or_names_the_stream() -> None:
    catalog = _catalog()
    del catalog["streams"][0]["cursor_field"]
    catalog["streams"].append({"stream": {"name": "users", "supported_sync_modes": ["full_refresh"]}})
    out = incremental_only_catalog(catalog, source="c.json")
    assert [c["stream"]["name"] for c in out["streams"]] == ["events"]
    assert out["streams"][0]["cursor_field"] == ["updated"]
    assert "cursor_field" not in incremental_only_catalog(catalog, source="c.json", fill_cursor=False)["streams"][0]
    del catalog["streams"][0]["stream"]["default_cursor_field"]
    with pytest.raises(ConfigError, match=r"c\.json: stream 'events' has no cursor_field and no default_cursor_field"):
        incremental_only_catalog(catalog, source="c.json")
    assert [c["sync_mode"] for c in full_refresh_only_catalog(_catalog())["streams"]] == ["full_refresh"]


def test_second_read_state_input_per_stream_and_global() -> None:
    states = [_state("a"), _state("b", name="other"), _state("c")]
    assert state_input_from(states) == [_state("c"), _state("b", name="other")]  # sorted by stream
    global_state = {"type": "GLOBAL", "global": {"shared_state": {"lsn": 5}, "stream_states": []}}
    assert state_input_from([_state("a"), global_state]) == [global_state]


def test_strict_setting_is_a_boolean(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.replaykit]\nstrict = true\n")
    assert resolve_settings(tmp_path).strict is True
    (tmp_path / "pyproject.toml").write_text('[tool.replaykit]\nstrict = "yes"\n')
    with pytest.raises(ConfigError, match="strict must be of type bool"):
        resolve_settings(tmp_path)
