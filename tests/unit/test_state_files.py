"""Legacy state-file shapes converted to per-stream STREAM messages; legacy keys state_path and
validate_output_from_all_streams migrated with CAT's old semantics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replaykit.acceptance import parse_acceptance_config
from replaykit.checks.basic_read import allowed_empty_streams, read_steps
from replaykit.errors import ConfigError
from replaykit.messages import ConnectorOutput
from replaykit.state_files import convert_state, load_state_file, write_state_file

EVENTS = {"created": "2099-01-01"}
STREAM = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "events"}, "stream_state": EVENTS}}


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ({"events": EVENTS}, "legacy map {<stream>: {<cursor>: <value>}}"),
        ([{"type": "LEGACY", "data": {"events": EVENTS}}], "list of LEGACY message {data: {<stream>: ...}}"),
        ([{"data": {"events": EVENTS}}], "list of LEGACY message {data: {<stream>: ...}}"),
        ({"data": {"events": EVENTS}}, "one state message not in a list, LEGACY message"),
        ([{"stream": STREAM["stream"]}], "list of per-stream message without type"),
        (STREAM, "one state message not in a list"),
        ([{"type": "STATE", "state": STREAM}], "list of AirbyteMessage wrapper {type: STATE, state: ...}"),
    ],
)
def test_legacy_shapes_become_stream_messages(value: Any, shape: str) -> None:
    messages, found, dropped = convert_state(value, "abnormal_state.json")
    assert messages == [STREAM]
    assert found is not None
    assert found.startswith(shape)
    assert dropped == ()


@pytest.mark.parametrize("value", [[STREAM], [{"type": "GLOBAL", "global": {"shared_state": {}}}], [], {}])
def test_current_shapes_are_kept(value: Any) -> None:
    messages, shape, _ = convert_state(value, "f.json")
    assert shape is None
    assert messages == (value if isinstance(value, list) else [])


def test_keys_holding_no_object_are_named_not_converted() -> None:
    messages, _, dropped = convert_state({"_comment": "far future", "events": EVENTS}, "f.json")
    assert messages == [STREAM]
    assert dropped == ("_comment",)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2099", "not a str"),
        ({"_comment": "x"}, "none of whose keys holds a stream's state"),
        ([1], "item [0] is a int, not a state message"),
        ([{"type": "RECORD"}], "item [0] is not a state message replaykit can read (type 'RECORD')"),
    ],
)
def test_what_cannot_be_converted_is_a_config_error(value: Any, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        convert_state(value, "integration_tests/abnormal_state.json")
    assert message in str(exc.value)
    assert "integration_tests/abnormal_state.json" in str(exc.value)
    assert "Hint:" in str(exc.value)


def test_load_and_rewrite_a_legacy_file(tmp_path: Path) -> None:
    path = tmp_path / "abnormal_state.json"
    path.write_text(json.dumps({"events": EVENTS}))
    state = load_state_file(path)
    assert state.converted
    assert state.streams() == ["events"]
    assert "abnormal_state.json: legacy state (legacy map" in state.warning()
    assert write_state_file(state)
    assert json.loads(path.read_text()) == [STREAM]
    assert not load_state_file(path).converted
    assert not write_state_file(load_state_file(path))  # nothing to do: the file is not touched
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_state_file(path)


def test_state_path_is_migrated_to_future_state() -> None:
    config = parse_acceptance_config(
        {"connector_image": "x", "tests": {"incremental": [{"state_path": "integration_tests/abnormal_state.json"}]}}
    )
    (test,) = config.tests("incremental")
    assert test.future_state.future_state_path == "integration_tests/abnormal_state.json"
    assert any("state_path: legacy key (SAT <= 0.1.x" in w for w in config.warnings), config.warnings


CATALOG = {
    "streams": [
        {"stream": {"name": name, "json_schema": {"type": "object"}}, "sync_mode": "full_refresh"}
        for name in ("users", "events")
    ]
}


@pytest.mark.parametrize(("value", "passes"), [("yes", False), ("no", True), (None, False)])
def test_validate_output_from_all_streams_keeps_its_old_meaning(value: str | None, passes: bool) -> None:
    """SAT <= 0.1.12: true (and the current rule) needs records in every stream; false let any stream be empty."""
    test: dict[str, Any] = {"config_path": "secrets/config.json"}
    if value is not None:
        test["validate_output_from_all_streams"] = value
    config = parse_acceptance_config({"connector_image": "x", "tests": {"basic_read": [test]}})
    if value is not None:
        assert any("validate_output_from_all_streams: legacy key" in w for w in config.warnings)
    (basic,) = config.tests("basic_read")
    output = ConnectorOutput(records=[{"stream": "users", "data": {}, "emitted_at": 1}])
    allowed = allowed_empty_streams(basic, CATALOG)
    problems = read_steps(output, CATALOG, validate_schema=False, empty_streams=allowed, validate_state_messages=False)
    assert (problems == []) is passes, problems
