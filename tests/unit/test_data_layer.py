"""The shared data vocabulary: JSON paths, primary-key rules and the expected-records file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replaykit import expected_records, json_paths, states
from replaykit.diff_text import changed_fields, clip, pretty_lines, short
from replaykit.errors import ExpectedRecordsError
from replaykit.primary_keys import (
    configured_only_primary_keys,
    configured_primary_keys,
    pk_text,
    pk_tuple,
    source_defined_primary_keys,
)

RECORD = {"id": 7, "meta": {"etag": "x", "synced": 1}, "tags": [{"etag": "y"}], "other": {"etag": "z"}}


def test_paths_get_values_through_objects_only() -> None:
    assert json_paths.get(RECORD, ["meta", "etag"]) == "x"
    assert json_paths.get(RECORD, json_paths.split("/meta/synced/")) == 1
    assert json_paths.get(RECORD, ["tags", "etag"]) is None  # a list is not an object
    assert json_paths.get(RECORD, ["missing", "deeper"]) is None
    assert json_paths.get(RECORD, []) is RECORD


def test_paths_delete_globs_without_touching_the_input() -> None:
    trimmed = json_paths.delete(RECORD, ["*/etag", "id"])
    assert trimmed == {"meta": {"synced": 1}, "tags": [{"etag": "y"}], "other": {}}
    assert RECORD["meta"] == {"etag": "x", "synced": 1}
    assert json_paths.delete(RECORD, ["", "/"]) is RECORD  # nothing to delete: the same object


def test_paths_leaves_entries_and_nodes_visit_in_document_order() -> None:
    leaves = [(("id",), 7), (("meta", "etag"), "x"), (("meta", "synced"), 1), (("other", "etag"), "z")]
    assert list(json_paths.leaves(RECORD)) == leaves  # lists are not descended into
    entries = [(path, key) for path, key, _ in json_paths.entries(RECORD)]
    assert (("tags", 0, "etag"), "etag") in entries
    assert entries.index((("meta",), "meta")) < entries.index((("meta", "etag"), "etag"))
    assert json_paths.at(RECORD, ("tags", 0, "etag")) == "y"
    strings = [n for n in json_paths.nodes(RECORD) if isinstance(n, str)]
    assert strings == ["x", "y", "z"]


CATALOG = {
    "streams": [
        {"stream": {"name": "users", "source_defined_primary_key": [["id"]]}, "primary_key": [["meta", "etag"]]},
        {"stream": {"name": "events", "source_defined_primary_key": [["id"], ["meta", "synced"]]}},
        {"stream": {"name": "plain"}},
    ]
}


def test_each_primary_key_rule_picks_its_source() -> None:
    assert configured_primary_keys(CATALOG) == {
        "users": [["meta", "etag"]],  # replaykit's sorting and pairing rule: the configured key first
        "events": [["id"], ["meta", "synced"]],
        "plain": [],
    }
    assert source_defined_primary_keys(CATALOG["streams"][0]) == [["id"]]  # CAT's rule for its checks
    assert configured_only_primary_keys(CATALOG) == {"users": [["meta", "etag"]]}  # CAT's legacy full refresh


def test_primary_key_values() -> None:
    assert pk_tuple(RECORD, [["id"], ["meta", "synced"]]) == (7, 1)
    assert pk_tuple(RECORD, [["id"], ["nope"]]) is None
    assert pk_text(RECORD, [["id"]]) == "7"
    assert pk_text(RECORD, [["id"], ["meta", "etag"]]) == '[7, "x"]'
    assert pk_text(RECORD, [["nope"]]) is None
    assert pk_text(RECORD, []) is None


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"stream": "a", "data": {"id"', "not JSON"),
        ("[1, 2]", "not a record: it needs a string `stream`"),
        ('{"stream": "a", "data": [], "emitted_at": 0}', "not a record: it needs a `data` object"),
        ('{"stream": "a", "data": {}}', "not a record: it needs `emitted_at`"),
    ],
)
def test_a_line_that_is_not_a_record_is_a_usage_error_naming_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "expected_records.jsonl"
    path.write_text('{"stream": "a", "data": {"id": 1}, "emitted_at": 0}\n\n' + line + "\n")
    for read in (expected_records.validate, expected_records.data_by_stream, expected_records.stream_counts):
        with pytest.raises(ExpectedRecordsError) as info:
            read(path)
        assert f"{path}:3: {problem}" in str(info.value)
        assert info.value.exit_code == 2
        assert str(info.value).endswith("regenerate it with `replaykit replay --update`.")


def test_expected_records_round_trip_and_diff(tmp_path: Path) -> None:
    records = [{"stream": "users", "data": {"id": i, "n": i}, "emitted_at": 5} for i in (2, 1)]
    catalog = {"streams": [{"stream": {"name": "users", "source_defined_primary_key": [["id"]]}}]}
    text = expected_records.render(records, catalog)
    path = tmp_path / "expected_records.jsonl"
    path.write_text(text)
    assert expected_records.data_by_stream(path) == {"users": [{"id": 1, "n": 1}, {"id": 2, "n": 2}]}
    assert list(expected_records.stream_source(path, "users")()) == [{"id": 1, "n": 1}, {"id": 2, "n": 2}]
    changed = expected_records.render([{"stream": "users", "data": {"id": 1, "n": 9}, "emitted_at": 0}], catalog)
    lines = expected_records.diff(text, changed, catalog)
    assert lines[0].startswith("stream users: ")
    assert expected_records.diff(text, "".join(reversed(text.splitlines(keepends=True))), catalog) == [
        "only the order or formatting differs"
    ]


def test_short_is_compact_sorted_utf8_scrubbed_and_cut() -> None:
    assert short({"b": 1, "a": "é"}) == '{"a": "é", "b": 1}'
    assert short({"token": "s3cr3t"}, scrub=lambda t: t.replace("s3cr3t", "**")) == '{"token": "**"}'
    cut = short(list(range(100)), 20)
    assert len(cut) == 20
    assert cut.endswith("…")
    assert clip("abc", 3) == "abc"


def test_diff_lines_name_the_changed_fields() -> None:
    old = {"id": 1, "address": {"city": "Oslo"}, "tags": ["a"]}
    new = {"id": 1, "address": {"city": "Bergen"}, "tags": ["a", "b"], "extra": 2}
    fields = {(name, kind) for name, kind, _, _ in changed_fields(old, new)}
    assert fields == {("address.city", "changed"), ("tags[]", "item added"), ("extra", "added")}
    lines = pretty_lines(old, new)
    assert any("Oslo" in line and "Bergen" in line for line in lines)
    assert pretty_lines({"l": [1, 2]}, {"l": [2, 1]}) == []
    assert pretty_lines({"l": [1, 2]}, {"l": [2, 1]}, ignore_order=False) != []


def _stream_state(name: str, state: Any, namespace: str | None = None) -> dict[str, Any]:
    described = {"name": name, **({"namespace": namespace} if namespace else {})}
    return states.stream_message(described, state)


def test_final_states_keep_the_last_state_of_each_stream_by_qualified_name() -> None:
    messages = [
        _stream_state("users", {"c": 1}),
        _stream_state("users", {"c": 2}, namespace="crm"),
        {"type": "GLOBAL", "global": {"shared_state": 1}},
        _stream_state("users", {"c": 3}),
        {"data": {"legacy": 1}},
    ]
    assert states.final_states(messages) == {
        "__global__": {"shared_state": 1},
        "__legacy__": {"legacy": 1},
        "crm.users": {"c": 2},
        "users": {"c": 3},
    }
    assert states.state_by_stream_name(messages[1:2]) == {"users": {"c": 2}}  # CAT's legacy view: names only
    assert states.state_by_stream_name([{"data": {"users": {"c": 0}}}]) == {"users": {"c": 0}}


def test_state_inputs_and_descriptor_names() -> None:
    first, second = _stream_state("b", {"c": 1}), _stream_state("a", {"c": 2}, namespace="ns")
    assert states.state_input_from([first, second, _stream_state("b", {"c": 3})]) == [
        second,
        _stream_state("b", {"c": 3}),
    ]
    assert states.descriptor_name(second) == "a"
    assert states.descriptor_name({"type": "GLOBAL"}) is None
    assert states.qualified_name(states.descriptor(second)) == "ns.a"
    assert states.stream_state_of(first) == {"c": 1}
    assert states.checkpoint_input(second) == [_stream_state("a", {"c": 2})]  # no namespace
    assert states.checkpoint_input(_stream_state("a", {})) == []
