"""TestBasicRead::test_read steps and the trace-on-failure check, passing and failing on purpose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replaykit.acceptance import parse_acceptance_config
from replaykit.checks import FAIL, PASS, WARN, CheckContext, run_suites
from replaykit.checks.basic_read import extra_columns
from replaykit.invocations import Invocation
from replaykit.messages import ConnectorOutput

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "tags": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}},
    },
}
CATALOG = {
    "streams": [
        {
            "stream": {"name": "s", "json_schema": SCHEMA, "source_defined_primary_key": [["id"]]},
            "sync_mode": "full_refresh",
            "destination_sync_mode": "overwrite",
        }
    ]
}
GOOD = {"id": 1, "at": "2026-11-21T03:00:00Z", "tags": [{"n": "a"}]}


def messages(
    *records: dict[str, Any], statuses: tuple[str, ...] = ("STARTED", "RUNNING", "COMPLETE"), state: bool = True
) -> ConnectorOutput:
    out = ConnectorOutput()
    for data in records:
        out.add_line(json.dumps({"type": "RECORD", "record": {"stream": "s", "data": data, "emitted_at": 1}}))
    for status in statuses:
        out.add_line(
            json.dumps(
                {
                    "type": "TRACE",
                    "trace": {
                        "type": "STREAM_STATUS",
                        "stream_status": {"stream_descriptor": {"name": "s"}, "status": status},
                    },
                }
            )
        )
    if state:
        out.add_line(
            json.dumps(
                {
                    "type": "STATE",
                    "state": {
                        "type": "STREAM",
                        "stream": {"stream_descriptor": {"name": "s"}, "stream_state": {}},
                        "sourceStats": {"recordCount": 1.0},
                    },
                }
            )
        )
    return out


def read_result(
    output: ConnectorOutput, tmp_path: Path, expected: list[dict[str, Any]] | None = None, **test: Any
) -> Any:
    config: dict[str, Any] = {"expect_records": {"bypass_reason": "x"}, "validate_stream_statuses": True, **test}
    if expected is not None:
        (tmp_path / "expected.jsonl").write_text(
            "".join(json.dumps({"stream": "s", "data": d, "emitted_at": 0}) + "\n" for d in expected)
        )
        config["expect_records"] = {"path": "expected.jsonl"}
    acceptance = parse_acceptance_config(
        {"acceptance_tests": {"basic_read": {"tests": [config]}}}, tmp_path / "acceptance-test-config.yml"
    )
    invocation = Invocation("basic_read-0", "basic_read", "read", "c.yaml", "2026-01-01T00:00:00Z", catalog=CATALOG)
    bad = ConnectorOutput()
    bad.add_line(json.dumps({"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": "no stream"}}}))
    context = CheckContext(
        acceptance, {invocation.id: invocation}, {invocation.id: output, "basic_read-0-bad_catalog": bad}, tmp_path
    )
    return {r.test: r for r in run_suites(context, ("basic_read",))}


def test_a_good_read_passes(tmp_path: Path) -> None:
    results = read_result(messages(GOOD), tmp_path, expected=[GOOD])
    assert results["test_read"].status == PASS
    assert results["test_airbyte_trace_message_on_failure"].status == PASS


@pytest.mark.parametrize(
    ("output", "options", "message"),
    [
        (messages(), {}, "At least one record should be read using provided catalog"),
        (messages({**GOOD, "id": 1.0}), {}, "Please check your json_schema in selected streams ('s',). s: 1.0 is not"),
        (messages({**GOOD, "at": "yesterday"}), {}, "is not a 'date-time'"),
        (
            messages({**GOOD, "id": None}),
            {"validate_schema": False},
            "Stream s contains primary key with null values in all its parts",
        ),
        (
            messages({**GOOD, "id": {"a": 1}}),
            {"validate_schema": False},
            "Stream s contains primary key with forbidden type of 'object'",
        ),
        (messages(GOOD, statuses=("STARTED",)), {}, "should contain at least : `STARTED` and `COMPLETE`"),
        (messages(GOOD, statuses=("STARTED", "INCOMPLETE")), {}, "statuses should be STARTED, RUNNING..., COMPLETE"),
        (messages(GOOD, state=False), {}, "At least one state message should be emitted for each configured stream."),
    ],
    ids=["no-records", "integer-rule", "date-time", "null-pk", "object-pk", "one-status", "statuses", "states"],
)
def test_read_steps_fail_on_purpose(
    tmp_path: Path, output: ConnectorOutput, options: dict[str, Any], message: str
) -> None:
    results = read_result(output, tmp_path, **options)
    assert results["test_read"].status == FAIL
    assert message in results["test_read"].message


def test_undeclared_fields_warn_by_default_and_fail_under_strict(tmp_path: Path) -> None:
    output = messages({**GOOD, "tags": [{"n": "a", "extra": 1}]})
    results = read_result(output, tmp_path)
    assert results["test_read"].status == PASS  # CAT's verdict
    extra = results["test_fail_on_extra_columns"]
    assert (extra.status, extra.strict_only) == (WARN, True)
    assert "Records of stream s have fields the schema does not declare: ['/tags/[]/extra']" in extra.message
    assert read_result(output, tmp_path, fail_on_extra_columns=False).get("test_fail_on_extra_columns") is None
    assert "test_fail_on_extra_columns" not in read_result(messages(GOOD), tmp_path)


def test_started_complete_is_enough_for_statuses(tmp_path: Path) -> None:
    assert read_result(messages(GOOD, statuses=("STARTED", "COMPLETE")), tmp_path)["test_read"].status == PASS


def test_expected_records_by_primary_key_and_in_order(tmp_path: Path) -> None:
    two = [{**GOOD, "id": 1}, {**GOOD, "id": 2}]
    assert read_result(messages(*two), tmp_path, expected=[{"id": 2}])["test_read"].status == PASS
    missing = read_result(messages(*two), tmp_path, expected=[{"id": 3}])["test_read"]
    assert missing.message.startswith("Expected to see those primary keys in the actual response for stream s")
    assert extra_columns({"a": 1, "b": {"c": 2}}, {"properties": {"a": {}, "b": {"properties": {}}}}) == ["/b/c"]


def test_booleans_pass_cats_integer_rule(tmp_path: Path) -> None:
    assert read_result(messages({**GOOD, "id": True}), tmp_path)["test_read"].status == PASS
