"""volatile_record_fields: the setting's forms and errors, the masking of expected records, the pasted line;
two replays compared with each other (determinism), with and without a primary key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib

from replaykit.determinism import compare_replays
from replaykit.errors import ConfigError
from replaykit.expected_records import render as render_expected_records
from replaykit.invocations import Invocation
from replaykit.messages import ConnectorOutput
from replaykit.run_result import RunResult
from replaykit.runner import InvocationRun
from replaykit.settings import resolve_settings
from replaykit.volatile import VolatileRecordFields, parse_volatile_record_fields
from replaykit.volatile_detect import setting_path

CATALOG = {"streams": [{"stream": {"name": "users", "source_defined_primary_key": [["id"]]}}]}


def settings_from(tmp_path: Path, toml: str) -> VolatileRecordFields:
    (tmp_path / "pyproject.toml").write_text(f"[tool.replaykit]\n{toml}\n", encoding="utf-8")
    return resolve_settings(tmp_path).volatile_record_fields


def test_a_list_masks_every_stream_and_a_table_one_stream(tmp_path: Path) -> None:
    assert resolve_settings(tmp_path).volatile_record_fields.entries == ()
    every = settings_from(tmp_path, 'volatile_record_fields = ["updated_at", "/meta/synced_at/"]')
    assert every.for_stream("users") == every.for_stream("events") == ("updated_at", "meta/synced_at")
    table = settings_from(tmp_path, 'volatile_record_fields = { users = ["updated_at"], "*" = ["etag"] }')
    assert table.for_stream("users") == ("updated_at", "etag")
    assert table.for_stream("events") == ("etag",)
    record = {"id": 1, "updated_at": "now", "etag": "x", "meta": {"synced_at": "now", "n": 1}}
    assert table.mask("users", record) == {"id": 1, "meta": {"synced_at": "now", "n": 1}}
    assert every.mask("users", record) == {"id": 1, "etag": "x", "meta": {"n": 1}}
    assert record["updated_at"] == "now"  # a copy: the record itself is untouched


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('volatile_record_fields = "updated_at"', "volatile_record_fields must be of type list or dict, got str"),
        ("volatile_record_fields = [1]", "volatile_record_fields must be a list of field paths"),
        ('volatile_record_fields = { users = "updated_at" }', "volatile_record_fields.users must be a list"),
        ('volatile_record_fields = ["a//b"]', "'a//b' is not a field path"),
        ('volatile_record_fields = { "my stream" = ["/"] }', "volatile_record_fields.\"my stream\": '/' is not"),
        ('volatile_records_fields = ["a"]', "did you mean 'volatile_record_fields'?"),
    ],
)
def test_a_bad_setting_names_the_file_and_key(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        settings_from(tmp_path, toml)
    assert message in str(exc.value)
    assert str(tmp_path / "pyproject.toml") in str(exc.value)
    assert exc.value.exit_code == 2


def test_the_proposed_line_reads_back_as_the_setting() -> None:
    current = parse_volatile_record_fields({"users": ["updated_at"]}, "x")
    proposed = current.with_fields({"users": {"updated_at", "meta/synced_at"}, "my stream": {"ts"}})
    line = proposed.setting_line()
    assert line == 'volatile_record_fields = { users = ["updated_at", "meta/synced_at"], "my stream" = ["ts"] }'
    parsed = tomllib.loads(line)["volatile_record_fields"]
    assert parse_volatile_record_fields(parsed, "x") == proposed
    every = parse_volatile_record_fields(["a"], "x").with_fields({"*": {"b"}})
    assert every.setting_line() == 'volatile_record_fields = ["a", "b"]'
    assert [setting_path(p) for p in ("updated_at", "meta.synced_at", "tags[]", "items[].ts")] == [
        "updated_at",
        "meta/synced_at",
        "tags",
        "items",
    ]


def test_expected_records_leave_the_masked_fields_out_and_sort_without_them() -> None:
    volatile = parse_volatile_record_fields({"users": ["seen"]}, "x")
    a = [{"stream": "users", "data": {"id": i, "seen": f"run-a-{i}"}, "emitted_at": 1} for i in (2, 1)]
    b = [{"stream": "users", "data": {"id": i, "seen": f"run-b-{9 - i}"}, "emitted_at": 2} for i in (1, 2)]
    assert render_expected_records(a, CATALOG) != render_expected_records(b, CATALOG)
    text = render_expected_records(a, CATALOG, volatile)
    assert text == render_expected_records(b, CATALOG, volatile)
    assert [json.loads(line)["data"] for line in text.splitlines()] == [{"id": 1}, {"id": 2}]


def _run(records: list[dict[str, object]], stream: str = "users") -> InvocationRun:
    output = ConnectorOutput()
    for data in records:
        output.add_line(json.dumps({"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1}}))
    return InvocationRun(output=output, result=RunResult(exit_code=0), duration_s=0.1)


def test_two_replays_that_agree_or_disagree() -> None:
    invocation = Invocation("basic_read-0", "basic_read", "read", "c.json", "2026-01-01T00:00:00Z", catalog=CATALOG)
    first = _run([{"id": 1, "n": "a"}, {"id": 2, "n": "b"}])
    same = _run([{"id": 2, "n": "b"}, {"id": 1, "n": "a"}])  # another order of the same records
    assert compare_replays(invocation, first, same).agrees
    other = compare_replays(invocation, first, _run([{"id": 1, "n": "a"}, {"id": 2, "n": "c"}]))
    assert other.disagrees
    assert other.streams == ["users"]
    assert other.fields == ["users.n"]
    assert 'field n changed in 1 record(s), e.g. id 2: "b" -> "c"' in other.difference()
    broken = _run([])
    broken.result = RunResult(runtime_error="boom")
    assert not compare_replays(invocation, first, broken).judged


def test_without_a_primary_key_the_replays_pair_records_by_position() -> None:
    invocation = Invocation("basic_read-0", "basic_read", "read", "c.json", "2026-01-01T00:00:00Z", catalog=None)
    one = compare_replays(invocation, _run([{"n": "a", "r": 1}, {"n": "b", "r": 2}]), _run([{"n": "a", "r": 5}]))
    assert one.disagrees
    assert one.fields == ["users.r"]
    text = one.difference()
    assert "stream users: 2 records, then 1" in text
    assert "by position (no primary key)" in text
    assert "record #0: 1 -> 5" in text


def test_masking_a_primary_key_is_refused_naming_the_stream() -> None:
    records = [{"stream": "users", "data": {"id": 1, "seen": "x"}, "emitted_at": 1}]
    for setting in (["id"], {"users": ["*"]}):
        with pytest.raises(ConfigError) as exc:
            render_expected_records(records, CATALOG, parse_volatile_record_fields(setting, "x"))
        assert "in stream users, which holds its primary key id" in str(exc.value)
    fine = parse_volatile_record_fields({"events": ["id"], "users": ["id/deeper"]}, "x")
    assert json.loads(render_expected_records(records, CATALOG, fine))["data"] == {"id": 1, "seen": "x"}
