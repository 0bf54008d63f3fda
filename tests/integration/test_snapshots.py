"""Expected records and state snapshots: byte-stable across recordings, and regenerated offline on demand."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import TEST_KEY, make_connector, run_replaykit
from demo_api import DemoAPI

SUITES = ("basic_read", "incremental")


def snapshot_files(connector: Path) -> dict[str, bytes]:
    files = {"expected_records.jsonl": (connector / "integration_tests" / "expected_records.jsonl").read_bytes()}
    for path in sorted((connector / "cassettes" / "states").glob("*.json")):
        files[path.name] = path.read_bytes()
    return files


@pytest.fixture(scope="module")
def three_recordings(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The demo recorded three times at concurrency 8 against a live API whose clock is pinned (same data)."""
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    connectors = []
    with DemoAPI(port=0, key=TEST_KEY, now=today) as api:
        for attempt in range(3):
            base = tmp_path_factory.mktemp(f"rec{attempt}")
            connector = make_connector(
                base / "source-demo",
                api,
                days_back=12,
                suites=SUITES,
                extra_config={"num_workers": 8, "window_days": 2},
            )
            # CAT's sequential-slices sampling follows the order the CDK's threads checkpoint in, which varies
            # at concurrency 8; the slices are recorded (and replayed) as they happened, but are not part of
            # what must be byte-identical across recordings.
            acc_path = connector / "acceptance-test-config.yml"
            acc = yaml.safe_load(acc_path.read_text())
            acc["acceptance_tests"]["incremental"]["tests"][0]["skip_comprehensive_incremental_tests"] = True
            acc_path.write_text(yaml.safe_dump(acc))
            proc = run_replaykit(["record"], cwd=connector)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            connectors.append(connector)
    return connectors


def test_three_recordings_at_concurrency_8_give_identical_snapshots(three_recordings: list[Path]) -> None:
    first, *others = (snapshot_files(c) for c in three_recordings)
    assert set(first) == {
        "expected_records.jsonl",
        "basic_read-0.json",
        "incremental-0-read1.json",
        "incremental-0-read2.json",
        "incremental-0-abnormal_state.json",
    }
    for other in others:
        assert other == first
    records = [json.loads(line) for line in first["expected_records.jsonl"].decode().splitlines()]
    assert {r["stream"] for r in records} == {"users", "user_plans", "events"}
    state = json.loads(first["incremental-0-read1.json"])
    assert set(state) == {"events"}  # CAT's incremental-only catalog: users and user_plans are full refresh
    assert state["events"]["created"].endswith("15:00:00Z")


def test_a_transformation_change_fails_then_update_rewrites_offline(
    three_recordings: list[Path], tmp_path: Path
) -> None:
    connector = tmp_path / "source-demo"
    shutil.copytree(three_recordings[0], connector)
    manifest = connector / "manifest.yaml"
    data = yaml.safe_load(manifest.read_text())
    # A new field, declared in the schema (replaykit's fail_on_extra_columns would catch an undeclared one).
    data["definitions"]["users_stream"]["schema_loader"]["schema"]["properties"]["plan_tier"] = {"type": "string"}
    data["definitions"]["users_stream"]["transformations"] = [
        {"type": "AddFields", "fields": [{"type": "AddedFieldDefinition", "path": ["plan_tier"], "value": "gold"}]}
    ]
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    expected = connector / "integration_tests" / "expected_records.jsonl"
    before = expected.read_bytes()

    failed = run_replaykit(["replay"], cwd=connector)  # no API runs: everything is offline
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1, out
    assert "stream users: 12 changed, 0 added, 0 removed, 0 unchanged (by primary key [id])" in out
    assert 'field plan_tier added in 12 record(s), e.g. id 1: "gold"' in out
    assert "updated integration_tests/expected_records.jsonl" in out
    assert "replaykit replay --update" in out
    assert expected.read_bytes() == before  # nothing written without --update

    updated = run_replaykit(["replay", "--update"], cwd=connector)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "replay updated:" in updated.stdout
    users = [json.loads(line) for line in expected.read_text().splitlines() if '"stream": "users"' in line]
    assert len(users) == 12
    assert all(u["data"]["plan_tier"] == "gold" for u in users)

    again = run_replaykit(["replay"], cwd=connector)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "snapshots compared: 5 unchanged, 0 updated, 0 created, 0 unused" in again.stdout


def test_unused_recordings_are_reported_and_pruned_by_update(three_recordings: list[Path], tmp_path: Path) -> None:
    connector = tmp_path / "source-demo"
    shutil.copytree(three_recordings[1], connector)
    config = connector / "acceptance-test-config.yml"
    data = yaml.safe_load(config.read_text())
    del data["acceptance_tests"]["incremental"]
    config.write_text(yaml.safe_dump(data))

    reported = run_replaykit(["replay"], cwd=connector)
    assert reported.returncode == 0, reported.stdout + reported.stderr
    assert (
        "recordings unused (the acceptance config no longer needs them): incremental-0-read1, "
        "incremental-0-read2, incremental-0-abnormal_state"
    ) in reported.stdout
    assert (connector / "cassettes" / "incremental-0-read1.json").exists()

    pruned = run_replaykit(["replay", "--update"], cwd=connector)
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "recordings pruned" in pruned.stdout
    index = json.loads((connector / "cassettes" / "index.json").read_text())
    assert [i["id"] for i in index["invocations"]] == [
        "spec-0",
        "discovery-0",
        "basic_read-0",
        "basic_read-0-bad_catalog",
    ]
    assert sorted(p.name for p in (connector / "cassettes").glob("*.json")) == [
        "basic_read-0-bad_catalog.json",
        "basic_read-0.json",
        "discovery-0.json",
        "index.json",
        "replay_config.json",
        "spec-0.json",
    ]
    assert [p.name for p in (connector / "cassettes" / "states").glob("*.json")] == ["basic_read-0.json"]
