"""The engine end to end: the real demo connector recorded against the real demo API, replayed offline."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest

from conftest import TEST_KEY, all_text, faketime_env, make_connector, run_replaykit
from demo_api import DemoAPI
from replaykit.expected_records import render as render_expected_records
from replaykit.files import canonical_json
from replaykit.invocations import load_index
from replaykit.replayer import replay
from replaykit.settings import resolve_settings


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file of a connector directory except leftovers of killed recordings."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.relative_to(directory).parts[0].startswith(".cassettes.staging-")
    }


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The demo connector recorded once with the full acceptance plan; the API is stopped afterwards."""
    base = tmp_path_factory.mktemp("recorded")
    with DemoAPI(port=0, key=TEST_KEY) as api:
        connector = make_connector(base / "source-demo", api, days_back=20)
        proc = run_replaykit(["record", "--config", "secrets/config.json"], cwd=connector)  # in parallel
        assert proc.returncode == 0, proc.stdout + proc.stderr
        (base / "record.out").write_text(proc.stdout)
        log = list(api.access_log)
    return connector, log


INSTANT = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def recording_facts(connector: Path, stdout: str) -> dict[str, Any]:
    """What two recordings of the same data share whatever their frozen instants: the progress lines' order,
    each invocation's command, distinct requests, exit code and input sources, the expected records without
    ``emitted_at``, and the acceptance checks' summary.

    Distinct requests, not their count: the CDK's ``requests_cache`` (on for substream parents) answers a parent
    page from its cache or sends it again depending on thread timing, in any recording."""
    from replaykit._vcr import load_cassette

    def distinct_requests(cassette: str) -> list[str]:
        """The last date window ends at the invocation's frozen instant: instants are masked."""
        loaded = load_cassette(connector / "cassettes" / cassette)
        requests = {f"{r.method} {r.path}?{unquote(urlsplit(r.uri).query)}" for r, _ in loaded.interactions}
        return sorted(re.sub(INSTANT, "<instant>", request) for request in requests)

    index = load_index(connector / "cassettes", record_hint="-")
    expected = (connector / "integration_tests" / "expected_records.jsonl").read_text().splitlines()
    # the checkpoints the sequential-slices reads start from vary with the CDK's thread timing in any recording
    lines = [line.split()[:3] for line in stdout.splitlines() if line.startswith("rec ")]
    return {
        "lines": [line if "-slices-events-state" not in line[1] else line[:2] for line in lines],
        "invocations": [
            (i.id, i.command, i.exit_code, bool(i.catalog), bool(i.state))
            + (() if "-slices-events-state" in i.id else (distinct_requests(i.cassette),))
            for i in index.invocations
        ],
        "records": [{k: v for k, v in json.loads(line).items() if k != "emitted_at"} for line in expected],
        "checks": stdout[stdout.index("acceptance checks:") : stdout.index("\nrecorded ")],
    }


def test_a_parallel_recording_is_the_serial_one(recorded: tuple[Path, Any], tmp_path: Path) -> None:
    """`record` runs independent invocations side by side (the fixture's recording); `record --jobs 1` one after
    the other: the same invocations in the same order, requests, records, progress lines and verdicts."""
    parallel = recording_facts(recorded[0], (recorded[0].parent / "record.out").read_text())
    with DemoAPI(port=0, key=TEST_KEY) as api:
        connector = make_connector(tmp_path / "source-demo", api, days_back=20)
        proc = run_replaykit(["record", "--jobs", "1"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    serial = recording_facts(connector, proc.stdout)
    assert len(serial["lines"]) == len(serial["invocations"]) > 10
    for fact in ("lines", "invocations", "records", "checks"):
        assert serial[fact] == parallel[fact], fact


def copy_recorded(recorded: tuple[Path, Any], target: Path) -> Path:
    shutil.copytree(recorded[0], target)
    return target


def point_at(connector: Path, api: DemoAPI) -> None:
    """Aim both config files of a copied connector at another running API."""
    for name in ("secrets/config.json", "integration_tests/invalid_config.json"):
        config = json.loads((connector / name).read_text())
        config["base_url"] = api.base_url
        (connector / name).write_text(json.dumps(config))


def test_record_writes_scrubbed_vcrpy_cassettes_and_an_index(recorded: tuple[Path, list[Any]]) -> None:
    connector, log = recorded
    cassettes = connector / "cassettes"
    index = load_index(cassettes, record_hint="-")
    ids = [i.id for i in index.invocations]
    slices = [i for i in ids if i.startswith("incremental-0-slices-")]
    assert ids == [
        "spec-0",
        "connection-0",
        "connection-1",
        "discovery-0",
        "basic_read-0",
        "basic_read-0-bad_catalog",
        "full_refresh-0-read1",
        "full_refresh-0-read2",
        "incremental-0-read1",
        "incremental-0-read2",
        *slices,
        "incremental-0-abnormal_state",
    ]
    # Sequential slices: the incremental stream alone, then reads from the checkpoints CAT would sample.
    assert slices[0] == "incremental-0-slices-events-read1"
    assert len(slices) >= 2
    assert all(s.startswith("incremental-0-slices-events-state") for s in slices[1:])
    assert all(index.get(s).state for s in slices[1:])
    # Every request the API served is in a cassette, and nothing else.
    assert sum(i.requests for i in index.invocations) == len(log)
    # Frozen instants are whole seconds and strictly increasing (full_refresh's emitted_at check).
    instants = [i.frozen_at for i in index.invocations]
    assert instants == sorted(set(instants))
    # No spelling of the key anywhere: raw, URL-encoded, JSON-escaped, base64.
    text = all_text(connector / "cassettes") + (connector / "integration_tests/expected_records.jsonl").read_text()
    for spelling in (TEST_KEY, quote(TEST_KEY, safe=""), base64.b64encode(TEST_KEY.encode()).decode()):
        assert spelling not in text
    assert "**REDACTED:api_key**" in text
    assert index.get("basic_read-0").config["api_key"] == "**REDACTED:api_key**"
    # Plain vcrpy loads the cassette.
    from vcr.cassette import Cassette
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import jsonserializer

    # New recordings are JSON cassettes (the default cassette_format), loadable by vcrpy's JSON serializer.
    assert index.get("basic_read-0").cassette == "basic_read-0.json"
    requests, _responses, meta = FilesystemPersister.load_cassette(cassettes / "basic_read-0.json", jsonserializer)
    assert len(requests) == index.get("basic_read-0").requests > 0
    assert meta["recorded_at"] == index.get("basic_read-0").frozen_at
    assert Cassette.load(path=str(cassettes / "basic_read-0.json"), serializer=jsonserializer).rewound


def test_expected_records_are_sorted_by_stream_and_primary_key(recorded: tuple[Path, Any]) -> None:
    lines = (recorded[0] / "integration_tests/expected_records.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["stream"] for r in records} == {"users", "user_plans", "events"}
    users = [r["data"]["id"] for r in records if r["stream"] == "users"]
    assert users == sorted(users) == list(range(1, 13))
    assert [r["stream"] for r in records] == sorted(r["stream"] for r in records)
    assert all(list(r) == sorted(r) for r in records)


def test_replay_400_days_later_with_the_api_stopped_is_identical(recorded: tuple[Path, Any], tmp_path: Path) -> None:
    connector = copy_recorded(recorded, tmp_path / "source-demo")
    env = faketime_env("+400d")
    probe = subprocess.run(
        [sys.executable, "-c", "import datetime; print(datetime.date.today().year)"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(probe.stdout) >= time.gmtime().tm_year + 1  # the machine clock really moved
    reads = ["basic_read-0", "full_refresh-0-read2", "incremental-0-read1", "incremental-0-read2"]
    proc = run_replaykit(["replay", *(f"--only={r}" for r in reads)], cwd=connector, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"replay passed: {len(reads)} invocation(s)" in proc.stdout


def test_five_replays_are_byte_identical(recorded: tuple[Path, Any]) -> None:
    connector = recorded[0]
    settings = resolve_settings(connector)
    outputs = []
    for _ in range(5):
        report = replay(settings, cwd=connector, only={"basic_read-0", "incremental-0-read1", "incremental-0-read2"})
        assert report.passed, [r.problems for r in report.results]
        outputs.append(
            [
                (
                    r.invocation.id,
                    render_expected_records(r.run.output.records, r.invocation.catalog),
                    canonical_json(r.run.output.final_states()),
                )
                for r in report.results
                if r.run is not None
            ]
        )
    assert all(o == outputs[0] for o in outputs[1:])
    basic = {i: text for i, text, _ in outputs[0]}["basic_read-0"]
    assert basic == (connector / "integration_tests/expected_records.jsonl").read_text()


def test_substream_with_requests_cache_records_and_replays(recorded: tuple[Path, Any]) -> None:
    connector, log = recorded
    index = load_index(connector / "cassettes", record_hint="-")
    plans = index.get("basic_read-0").outputs["records"]["user_plans"]
    assert plans["count"] == 12
    assert sum(1 for entry in log if entry["path"].startswith("/v1/users/")) >= 12
    report = replay(resolve_settings(connector), cwd=connector, only={"basic_read-0"})
    assert report.passed, report.results[0].problems
    run = report.results[0].run
    assert run is not None
    assert len([r for r in run.output.records if r["stream"] == "user_plans"]) == 12


def test_changed_query_parameter_fails_with_an_explained_miss(recorded: tuple[Path, Any], tmp_path: Path) -> None:
    connector = copy_recorded(recorded, tmp_path / "source-demo")
    manifest = connector / "manifest.yaml"
    text = manifest.read_text()
    manifest.write_text(
        text.replace(
            "api_key: \"{{ config['api_key'] }}\"",
            'api_key: "{{ config[\'api_key\'] }}"\n      include_deleted: "true"',
            1,
        )
    )
    assert "include_deleted" in manifest.read_text()
    proc = run_replaykit(["replay", "--only", "basic_read-0"], cwd=connector)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "request with no recording: GET http://127.0.0.1:" in out
    assert "query key 'include_deleted' sent ('true') but not recorded" in out
    assert f"cassette: {connector / 'cassettes' / 'basic_read-0.json'}" in out
    assert "re-record with: replaykit record --config secrets/config.json" in out
    assert TEST_KEY not in out


def test_corrupt_cassette_is_an_error_naming_file_and_line(recorded: tuple[Path, Any], tmp_path: Path) -> None:
    connector = copy_recorded(recorded, tmp_path / "source-demo")
    cassette = connector / "cassettes" / "basic_read-0.json"
    lines = cassette.read_text().splitlines()
    lines[6] = lines[6] + ": [unclosed"
    cassette.write_text("\n".join(lines) + "\n")
    proc = run_replaykit(["replay", "--only", "basic_read-0"], cwd=connector)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"cassette {cassette} is not valid JSON at line 7" in proc.stderr
    assert "Hint:" in proc.stderr


def test_hand_edited_cassette_without_interactions_is_not_treated_as_empty(
    recorded: tuple[Path, Any], tmp_path: Path
) -> None:
    connector = copy_recorded(recorded, tmp_path / "source-demo")
    cassette = connector / "cassettes" / "basic_read-0.json"
    data = json.loads(cassette.read_text())
    data["interactions"][0].pop("response")
    cassette.write_text(json.dumps(data, indent=2))
    proc = run_replaykit(["replay", "--only", "basic_read-0"], cwd=connector)
    assert proc.returncode == 2
    assert "is not a vcrpy cassette (line 4): interaction 1 is malformed" in proc.stderr


def test_failed_recording_leaves_the_previous_one_untouched(recorded: tuple[Path, Any], tmp_path: Path) -> None:
    connector = copy_recorded(recorded, tmp_path / "source-demo")
    with DemoAPI(port=0, key="the-key-was-rotated") as api:  # the recorded key no longer works
        point_at(connector, api)
        before = snapshot(connector)
        proc = run_replaykit(["record"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    table = failure_rows(proc.stdout)
    assert "check returned FAILED, expected SUCCEEDED" in table["connection-0"]
    assert "read failed" in table["basic_read-0"]  # the plan ran on after the first failure
    assert "401" in proc.stdout
    assert "recording NOT saved" in proc.stdout
    assert TEST_KEY not in proc.stdout + proc.stderr
    assert snapshot(connector) == before
    assert not list(connector.glob(".cassettes*"))


def failure_rows(stdout: str) -> dict[str, str]:
    """record's table of failing invocations: invocation id -> its row (with the detail lines under it)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("invocations the acceptance checks will fail"))
    rows: dict[str, str] = {}
    current = ""
    for line in lines[start + 2 :]:
        if line.startswith("      ") and current:
            rows[current] += "\n" + line.strip()
        elif line.startswith("  ") and not line.startswith("   "):
            current = line.split()[0]
            rows[current] = line
        else:
            break
    return rows


def failed_checks(stdout: str) -> set[str]:
    return {line.split()[1].rstrip(":") for line in stdout.splitlines() if line.startswith("  FAILED ")}


def test_one_failing_stream_is_reported_in_one_run_and_can_be_accepted(
    recorded: tuple[Path, Any], tmp_path: Path
) -> None:
    """A token that lost the events scope: every invocation still runs, all failures come in one table with
    what the connector said, the previous recording stands; --accept-failures keeps the new one, and replay
    then fails the same checks offline."""
    connector = copy_recorded(recorded, tmp_path / "source-demo")
    with DemoAPI(port=0, key=TEST_KEY, forbidden=("/v1/events",)) as api:
        point_at(connector, api)
        before = snapshot(connector)
        refused = run_replaykit(["record"], cwd=connector)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert snapshot(connector) == before
        table = failure_rows(refused.stdout)
        assert "connection-0" not in table
        assert "spec-0" not in table
        assert "basic_read-0" in table
        assert "full_refresh-0-read1" in table
        assert "403" in table["basic_read-0"]  # the trace's message or internal message, not just "failed"
        assert "--accept-failures" in refused.stdout
        checks = failed_checks(refused.stdout)
        assert "TestBasicRead::test_read[inputs0]" in checks

        accepted = run_replaykit(["record", "--accept-failures"], cwd=connector)
    assert accepted.returncode == 1, accepted.stdout + accepted.stderr
    assert "failing invocation(s) accepted" in accepted.stdout
    assert failure_rows(accepted.stdout).keys() == table.keys()
    assert snapshot(connector) != before
    assert TEST_KEY not in all_text(connector / "cassettes") + accepted.stdout + accepted.stderr

    replayed = run_replaykit(["replay"], cwd=connector)
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert failed_checks(replayed.stdout) == failed_checks(accepted.stdout) == checks
    assert "cannot be replayed" not in replayed.stdout  # the failures are the recording's, reproduced offline
    assert failure_rows(replayed.stdout).keys() == table.keys()  # with what the connector said, offline too
    assert "403" in failure_rows(replayed.stdout)["basic_read-0"]


def test_killed_recording_leaves_the_previous_one_untouched(recorded: tuple[Path, Any], tmp_path: Path) -> None:
    connector = copy_recorded(recorded, tmp_path / "source-demo")
    with DemoAPI(port=0, key=TEST_KEY) as api:
        point_at(connector, api)
        before = snapshot(connector)
        proc = subprocess.Popen(
            [sys.executable, "-m", "replaykit", "record"],
            cwd=connector,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:  # bounded: the recording ends by itself
            lines.append(line)
            if "basic_read-0" in line:
                os.killpg(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=60)
    assert any("basic_read-0" in line for line in lines)
    assert snapshot(connector) == before
    assert list(connector.glob(".cassettes.staging-*"))  # what the kill left behind...
    proc2 = run_replaykit(["replay", "--only", "spec-0"], cwd=connector)
    assert proc2.returncode == 0, proc2.stderr
