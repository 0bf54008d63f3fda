"""CAT's rules that the conformance cases do not reach: fixtures, whole-spec match, scrubbed configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replaykit.acceptance import parse_acceptance_config
from replaykit.checks import FAIL, PASS, WARN, beyond_cat
from replaykit.checks.configs import sample_configs
from replaykit.checks.metadata import certified, certified_file_based
from replaykit.checks.read_rules import state_messages, valid_date_time
from replaykit.checks.spec import config_problems, match_expected, spec_from_file
from replaykit.checks.strictness import basic_read_violations

CATALOG = {
    "streams": [
        {"stream": {"name": "a", "json_schema": {}}, "sync_mode": "full_refresh"},
        {"stream": {"name": "b", "json_schema": {}}, "sync_mode": "full_refresh"},
    ]
}


def _read_test(**options: Any) -> Any:
    config = parse_acceptance_config({"acceptance_tests": {"basic_read": {"tests": [options]}}})
    return config.tests("basic_read")[0]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2023-01-05T01:02:03Z", True),
        ("2023-1-5T1:2:3", True),  # CAT's regex and pendulum accept it
        ("2023-02-30T10:00:00Z", False),
        ("2023-12-01T25:61:00", False),
        ("2023-12-01T10:00:00 garbage", False),
        ("2023-12-01", False),
    ],
)
def test_date_time_is_cats_regex_and_pendulum(value: str, valid: bool) -> None:
    assert valid_date_time(value) is valid


def test_high_strictness_needs_expected_records_for_every_seeded_stream() -> None:
    expect = {"path": "expected_records.jsonl"}
    test = _read_test(expect_records=expect, empty_streams=[{"name": "b", "bypass_reason": "empty"}])
    assert basic_read_violations(test, high=True, certified=False, catalog=CATALOG, expected={"a": [{}]}) == []
    test = _read_test(expect_records=expect)
    (message,) = basic_read_violations(test, high=True, certified=False, catalog=CATALOG, expected={"a": [{}]})
    assert message.startswith("High strictness level error: b streams are declared in the catalog but do not have")
    assert basic_read_violations(test, high=False, certified=False, catalog=CATALOG, expected={}) == []
    assert basic_read_violations(_read_test(), high=True, certified=False, catalog=CATALOG, expected={}) == [
        "High strictness level error: expect_records must be configured for the basic_read test."
    ]


def test_certified_connectors_cannot_turn_stream_statuses_off() -> None:
    test = _read_test(validate_stream_statuses=False)
    assert basic_read_violations(test, high=False, certified=True, catalog=CATALOG, expected={})
    assert basic_read_violations(test, high=False, certified=False, catalog=CATALOG, expected={}) == []
    assert certified({"data": {"ab_internal": {"ql": 400}}})
    assert not certified({"data": {"ab_internal": {"ql": 300}}})
    assert certified_file_based({"data": {"ab_internal": {"ql": 400}, "connectorSubtype": "file"}})


def test_state_messages_must_be_per_stream_with_source_stats() -> None:
    catalog = {"streams": [CATALOG["streams"][0]]}
    stream = {"stream_descriptor": {"name": "a"}, "stream_state": {}}
    assert state_messages([{"type": "STREAM", "stream": stream, "sourceStats": {"recordCount": 1.0}}], catalog) is None
    assert state_messages([{"type": "STREAM", "stream": stream, "sourceStats": None}], catalog)
    assert state_messages([{"type": "GLOBAL", "global": {}, "sourceStats": {"recordCount": 1.0}}], catalog)


def test_the_whole_spec_must_match_the_file(tmp_path: Path) -> None:
    spec = {"connectionSpecification": {"type": "object"}, "documentationUrl": "https://x"}
    assert match_expected({**spec, "supportsDBT": False}, spec) == []
    assert match_expected({**spec, "supportsIncremental": True}, spec)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("spec:\n  documentation_url: https://x\n  connection_specification: {type: object}\n")
    assert match_expected(spec, spec_from_file(manifest)) == []  # type: ignore[arg-type]
    other = tmp_path / "spec.yml"
    other.write_text("{}")
    assert spec_from_file(other) == "spec.yml: path must be a '.yaml' or '.json' file"
    assert spec_from_file(tmp_path / "missing.json") is None


def test_scrubbed_placeholders_are_not_judged_against_the_spec() -> None:
    spec = {"type": "object", "properties": {"key": {"type": "string", "pattern": "^[a-f0-9]{8}$"}}}
    assert config_problems(spec, {"key": "**REDACTED:key**"}, scrubbed=True) == []
    assert config_problems(spec, {"key": "**REDACTED:key**"})[0].startswith("Config invalid:")
    assert config_problems(spec, {"key": "deadbeef", "_private": 1}) == []


def test_generated_configs_are_valid_for_their_spec() -> None:
    spec = {
        "type": "object",
        "required": ["mode"],
        "properties": {
            "mode": {"type": "string", "enum": ["a", "b"]},
            "start": {"type": "string", "format": "date-time", "pattern": "^[0-9]{4}-"},
            "auth": {"oneOf": [{"properties": {"t": {"const": "x"}}}, {"properties": {"t": {"const": "y"}}}]},
        },
    }
    configs = sample_configs(spec)
    assert {c["mode"] for c in configs} == {"a", "b"}
    assert {c["auth"]["t"] for c in configs if "auth" in c} == {"x", "y"}
    assert len(configs) == len({repr(c) for c in configs})


def test_beyond_cat_checks_warn_by_default_and_fail_under_strict() -> None:
    assert beyond_cat("basic_read", "t", [], "inputs0", strict=False).status == PASS
    warned = beyond_cat("basic_read", "t", ["found"], "inputs0", strict=False)
    assert (warned.status, warned.strict_only) == (WARN, True)
    assert "fails under --strict" in warned.message
    assert beyond_cat("basic_read", "t", ["found"], "inputs0", strict=True).status == FAIL
