"""The spec / connection / discovery suites on replays of the real demo connector."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import run_replaykit
from helpers.demo import demo_copy, unmark_password

SUITES = ("spec", "connection", "discovery")


def test_unmarked_password_fails_test_secret_is_properly_marked(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, SUITES)
    unmark_password(connector)
    proc = run_replaykit(["replay", "--only", "spec-0"], cwd=connector)
    assert proc.returncode == 0  # the recording still replays: the requests did not change
    full = run_replaykit(["replay"], cwd=connector)
    assert full.returncode == 1, full.stdout + full.stderr
    assert (
        "FAILED TestSpec::test_secret_is_properly_marked[inputs0]: The following properties should be marked "
        "with `airbyte_secret!` properties/password"
    ) in full.stdout
    assert "acceptance checks FAILED: 1 of" in full.stdout


def test_a_check_expecting_the_wrong_status_fails(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, SUITES)
    config = connector / "acceptance-test-config.yml"
    data = yaml.safe_load(config.read_text())
    data["acceptance_tests"]["connection"]["tests"][1]["status"] = "succeed"
    config.write_text(yaml.safe_dump(data))
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 1
    assert "FAILED TestConnection::test_check[inputs1]: Connection status is FAILED, expected SUCCEEDED" in proc.stdout


def test_a_newly_required_spec_field_breaks_backward_compatibility(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, SUITES)
    manifest = connector / "manifest.yaml"
    data = yaml.safe_load(manifest.read_text())
    spec = data["spec"]["connection_specification"]
    spec["properties"]["region"] = {"type": "string", "order": 9}
    spec["required"].append("region")
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "FAILED TestSpec::test_backward_compatibility[inputs0]: Breaking change: A new property was added to "
        "'required' (compared with the previous recording ("
    ) in proc.stdout
    assert "FAILED TestSpec::test_config_match_spec[inputs0]: Config invalid: 'region' is a required property" in (
        proc.stdout
    )
