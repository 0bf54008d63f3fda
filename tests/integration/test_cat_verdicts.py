"""CAT's verdicts end to end, on replays of the demo connector (issue 15): a certified connector's metadata
turns on stream statuses and the connector attributes, a stream missing from the future state fails at high
strictness, and an undeclared nested field is a warning by default and a failure under ``--strict``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from conftest import run_replaykit
from helpers.demo import demo_copy, edit_manifest, events_stream, replay_checks, suite_statuses

METADATA = {
    "data": {
        "ab_internal": {"ql": 400, "sl": 200},
        "allowedHosts": {"hosts": ["127.0.0.1"]},
        "suggestedStreams": {"streams": ["events"]},
    }
}


def _config(connector: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((connector / "acceptance-test-config.yml").read_text()))


def _write_config(connector: Path, data: dict[str, Any]) -> None:
    (connector / "acceptance-test-config.yml").write_text(yaml.safe_dump(data))


def test_certified_metadata_turns_on_statuses_and_connector_attributes(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, ("basic_read",))
    data = _config(connector)
    data["acceptance_tests"]["connector_attributes"] = {"tests": [{"config_path": "secrets/config.json"}]}
    _write_config(connector, data)
    proc, statuses = replay_checks(connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(suite_statuses(statuses, "TestConnectorAttributes").values()) == {"skipped"}  # not certified

    (connector / "metadata.yaml").write_text(yaml.safe_dump(METADATA))
    proc, statuses = replay_checks(connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(suite_statuses(statuses, "TestConnectorAttributes").values()) == {"passed"}
    assert statuses["TestBasicRead::test_read[inputs0]"] == "passed"  # the demo's stream statuses are valid

    # statuses are on by default for a certified connector: turning them off fails, as in CAT
    data["acceptance_tests"]["basic_read"]["tests"][0]["validate_stream_statuses"] = False
    _write_config(connector, data)
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "FAILED TestBasicRead::test_read[inputs0]: High strictness level error: validate_stream_statuses must be set "
        "to true in the basic read test configuration."
    ) in proc.stdout

    # the connector attributes judge metadata.yaml
    del data["acceptance_tests"]["basic_read"]["tests"][0]["validate_stream_statuses"]
    _write_config(connector, data)
    (connector / "metadata.yaml").write_text(yaml.safe_dump({"data": {"ab_internal": {"ql": 400}}}))
    proc, statuses = replay_checks(connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "FAILED TestConnectorAttributes::test_certified_connector_has_allowed_hosts[inputs0]: The `allowedHosts` "
        "property is missing in `metadata.data` for `metadata.yaml`."
    ) in proc.stdout
    attributes = suite_statuses(statuses, "TestConnectorAttributes")
    assert attributes.pop("test_streams_define_primary_key[inputs0]") == "passed"
    assert set(attributes.values()) == {"failed"}  # allowed hosts and suggested streams


def test_a_stream_missing_from_the_future_state_fails_at_high_strictness(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, ("incremental",), skip_comprehensive_incremental_tests=True)
    data = _config(connector)
    data["test_strictness_level"] = "high"
    for suite in ("spec", "connection", "discovery", "basic_read", "full_refresh"):
        data["acceptance_tests"][suite] = {"bypass_reason": "not under test here"}
    _write_config(connector, data)
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    (connector / "integration_tests" / "abnormal_state.json").write_text(json.dumps([]))
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "FAILED TestIncremental::test_state_with_abnormally_large_values[inputs0]: High test strictness level "
        "error: events streams are missing in your future_state file, please declare a state for those streams or "
        "fill-in a valid bypass_reason."
    ) in proc.stdout

    future = data["acceptance_tests"]["incremental"]["tests"][0]["future_state"]
    future["missing_streams"] = [{"name": "events"}]
    _write_config(connector, data)
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "all missing_streams must have a bypass reason specified" in proc.stdout

    future["missing_streams"] = [{"name": "events", "bypass_reason": "no state to seed"}]
    _write_config(connector, data)
    proc = run_replaykit(["replay"], cwd=connector)
    assert "future_state file" not in proc.stdout
    assert "missing_streams" not in proc.stdout

    data["test_strictness_level"] = "low"  # the coverage rule is CAT's high-strictness rule only
    future.pop("missing_streams")
    _write_config(connector, data)
    proc = run_replaykit(["replay"], cwd=connector)
    assert "future_state file" not in proc.stdout


def test_an_undeclared_nested_field_warns_by_default_and_fails_under_strict(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, ("basic_read",))

    def nest(manifest: dict[str, Any]) -> None:
        events = events_stream(manifest)
        events["transformations"] = [
            {
                "type": "AddFields",
                "fields": [{"path": ["meta", "source"], "value": "demo"}, {"path": ["meta", "build"], "value": "b7"}],
            }
        ]
        properties = events["schema_loader"]["schema"]["properties"]
        properties["meta"] = {"type": ["null", "object"], "properties": {"source": {"type": "string"}}}

    edit_manifest(connector, nest)
    update = run_replaykit(["replay", "--update"], cwd=connector)  # the records changed, not the requests
    assert update.returncode == 0, update.stdout + update.stderr
    proc, statuses = replay_checks(connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "WARNING TestBasicRead::test_fail_on_extra_columns[inputs0] (strict-only): Records of stream events have "
        "fields the schema does not declare: ['/meta/build']"
    ) in proc.stdout
    assert "failed" not in suite_statuses(statuses, "TestBasicRead").values()
    strict = run_replaykit(["replay", "--strict"], cwd=connector)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert (
        "FAILED TestBasicRead::test_fail_on_extra_columns[inputs0] (strict-only): Records of stream events have "
        "fields the schema does not declare: ['/meta/build']"
    ) in strict.stdout
