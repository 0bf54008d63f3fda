"""The basic_read, full_refresh and incremental suites on real replays of demo connector variants.

Variants that send the same requests replay the committed recording; variants whose requests change are
recorded first against the demo API on 127.0.0.1, then replayed offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import make_connector, run_replaykit
from helpers.demo import demo_copy, edit_acceptance, edit_manifest, events_stream, record, replay_checks, suite_statuses

# --------------------------------------------------------------------------- basic_read


def test_an_undeclared_field_is_a_warning_by_default_and_fails_under_strict(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, ("basic_read",))
    edit_manifest(connector, lambda m: events_stream(m)["schema_loader"]["schema"]["properties"].pop("amount"))
    proc, statuses = replay_checks(connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # CAT's fail_on_extra_columns is a no-op
    assert (
        "WARNING TestBasicRead::test_fail_on_extra_columns[inputs0] (strict-only): Records of stream events have "
        "fields the schema does not declare: ['/amount']"
    ) in proc.stdout
    assert "failed" not in suite_statuses(statuses, "TestBasicRead").values()
    assert statuses["TestBasicRead::test_read[inputs0]"] == "passed"
    proc = run_replaykit(["replay", "--strict"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED TestBasicRead::test_fail_on_extra_columns[inputs0] (strict-only): Records of stream events" in (
        proc.stdout
    )
    edit_acceptance(connector, ("basic_read",), fail_on_extra_columns=False)
    proc = run_replaykit(["replay", "--strict"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "test_fail_on_extra_columns" not in proc.stdout


def _change_one_expected_record(connector: Path) -> None:
    path = connector / "integration_tests" / "expected_records.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    target = next(r for r in lines if r["stream"] == "users")
    target["data"]["team"] = "changed-team"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))


def test_strict_mode_compares_whole_expected_records(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, ("basic_read",))
    _change_one_expected_record(connector)
    # The snapshot comparison reports the edited file either way; the check is what differs.
    # CAT's current rule compares primary keys only: the changed field goes unnoticed by the check.
    proc, statuses = replay_checks(connector)
    assert "updated integration_tests/expected_records.jsonl" in proc.stdout
    assert "failed" not in suite_statuses(statuses, "TestBasicRead").values()
    proc, statuses = replay_checks(connector, "--strict")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    whole = "TestBasicRead::test_expected_records_whole[inputs0]"
    assert [k for k, v in statuses.items() if v == "failed"] == [whole]
    assert (
        "FAILED TestBasicRead::test_expected_records_whole[inputs0] (strict-only): Stream users: the records differ"
    ) in proc.stdout
    assert "stream users: record 1 changed:" in proc.stdout
    assert """Value of root['team'] changed from "changed-team" to "green".""" in proc.stdout
    # the setting does what the flag does
    (connector / "pyproject.toml").write_text("[tool.replaykit]\nstrict = true\n")
    assert [k for k, v in replay_checks(connector)[1].items() if v == "failed"] == [whole]
    # ignored_fields takes the field out of the comparison
    edit_acceptance(
        connector, ("basic_read",), ignored_fields={"users": [{"name": "team", "bypass_reason": "reassigned daily"}]}
    )
    statuses = replay_checks(connector)[1]
    assert set(suite_statuses(statuses, "TestBasicRead").values()) == {"passed"}


def test_strict_mode_with_exact_order_reports_the_first_position(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, ("basic_read",))
    path = connector / "integration_tests" / "expected_records.jsonl"
    lines = path.read_text().splitlines()
    users = [i for i, line in enumerate(lines) if '"stream": "users"' in line]
    lines[users[0]], lines[users[1]] = lines[users[1]], lines[users[0]]
    path.write_text("\n".join(lines) + "\n")
    edit_acceptance(connector, ("basic_read",), expect_records={"path": "integration_tests/expected_records.jsonl"})
    proc, statuses = replay_checks(connector, "--strict")
    assert set(suite_statuses(statuses, "TestBasicRead").values()) == {"passed"}  # order ignored by default
    edit_acceptance(
        connector,
        ("basic_read",),
        expect_records={"path": "integration_tests/expected_records.jsonl", "exact_order": True},
    )
    proc, statuses = replay_checks(connector, "--strict")
    failed = {k for k, v in suite_statuses(statuses, "TestBasicRead").items() if v == "failed"}
    assert failed == {"test_read[inputs0]", "test_expected_records_whole[inputs0]"}  # CAT's order rule fails too
    # (the file is sorted by primary key, not in read order: CAT's exact_order rule fails on it)
    assert "Expected to see those primary keys in order in the actual response for stream" in proc.stdout
    assert "stream users: records differ from position 0 on (exact_order)" in proc.stdout


# --------------------------------------------------------------------------- incremental: abnormal state


def test_a_cursor_declared_as_a_number_fails_the_cursor_type_check(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, ("incremental",), skip_comprehensive_incremental_tests=True)
    proc, statuses = replay_checks(connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    incremental = suite_statuses(statuses, "TestIncremental")
    assert incremental.pop("test_read_sequential_slices[inputs0]") == "skipped"  # skip_comprehensive_...
    assert set(incremental.values()) == {"passed"}
    edit_manifest(
        connector,
        lambda m: events_stream(m)["schema_loader"]["schema"]["properties"].update(created={"type": "number"}),
    )
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "FAILED TestIncremental::test_state_with_abnormally_large_values[inputs0]: Cursor value "
        "2099-01-01T00:00:00Z is not of type <class 'float'>"
    ) in proc.stdout


def test_cursor_format_is_checked_on_the_abnormal_state(tmp_path: Path) -> None:
    future = {"future_state_path": "integration_tests/abnormal_state.json", "cursor_format": {"format": r"^\d+$"}}
    connector = demo_copy(tmp_path, ("incremental",), skip_comprehensive_incremental_tests=True, future_state=future)
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cursor value 2099-01-01T00:00:00Z does not match pattern: ^\\d+$" in proc.stdout
    future["cursor_format"] = {"format": r"^\d{4}-\d{2}-\d{2}T"}
    edit_acceptance(connector, ("incremental",), future_state=future)
    assert run_replaykit(["replay"], cwd=connector).returncode == 0


# --------------------------------------------------------------------------- recorded variants


def test_a_connector_ignoring_the_start_parameter_fails_two_sequential_reads(tmp_path: Path, demo_api: Any) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, days_back=10, suites=("incremental",))
    edit_acceptance(connector, ("incremental",), skip_comprehensive_incremental_tests=True)

    def ignore_state(manifest: dict[str, Any]) -> None:
        events = events_stream(manifest)
        events["incremental_sync"].pop("start_time_option")
        # every request starts at the configured start date, whatever the state says
        events["retriever"]["requester"]["request_parameters"] = {
            "api_key": "{{ config['api_key'] }}",
            "created[gte]": "{{ config['start_date'] }}",
        }

    edit_manifest(connector, ignore_state)
    record(connector)
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "FAILED TestIncremental::test_two_sequential_reads[inputs0]: Records should change between reads but did not"
        in (proc.stdout)
    )
    assert "does the connector ignore the state (the API's start parameter)?" in proc.stdout


def test_strict_cursor_comparison_honours_threshold_days(tmp_path: Path, demo_api: Any) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, days_back=40, suites=("incremental",))
    edit_acceptance(connector, ("incremental",), skip_comprehensive_incremental_tests=True)
    # a 10-day lookback: the second read re-reads records older than the state's cursor
    edit_manifest(connector, lambda m: events_stream(m)["incremental_sync"].update(lookback_window="P10D"))
    record(connector)
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # CAT's current rules do not look at cursors
    proc = run_replaykit(["replay", "--strict"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "FAILED TestIncremental::test_two_sequential_reads[inputs0]: Second incremental sync should produce records "
        "older or equal to cursor value from the state. Stream: events"
    ) in proc.stdout
    edit_acceptance(connector, ("incremental",), skip_comprehensive_incremental_tests=True, threshold_days=11)
    proc = run_replaykit(["replay", "--strict"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_full_refresh_reads_compare_records_without_ignored_fields(tmp_path: Path, demo_api: Any) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, suites=("full_refresh",))
    catalog_path = connector / "integration_tests" / "configured_catalog.json"
    catalog = json.loads(catalog_path.read_text())
    for configured in catalog["streams"]:
        configured.pop("primary_key", None)  # whole records are compared, not primary keys
    catalog_path.write_text(json.dumps(catalog))

    def stamp_users(manifest: dict[str, Any]) -> None:
        users = manifest["definitions"]["users_stream"]
        users["transformations"] = [
            {"type": "AddFields", "fields": [{"path": ["synced_at"], "value": "{{ now_utc().isoformat() }}"}]}
        ]
        users["schema_loader"]["schema"]["properties"]["synced_at"] = {"type": ["string", "null"]}

    edit_manifest(connector, stamp_users)
    record(connector)
    proc = run_replaykit(["replay"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # CAT 3.x compares emitted_at only
    assert "WARNING TestFullRefresh::test_sequential_reads_records[inputs0] (strict-only): users:" in proc.stdout
    proc = run_replaykit(["replay", "--strict"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "FAILED TestFullRefresh::test_sequential_reads_records[inputs0] (strict-only): users: the two sequential "
        "reads should produce either equal set of records or one of them is a strict subset of the other"
    ) in proc.stdout
    assert "stream users: 12 expected record(s) missing" in proc.stdout
    assert '"synced_at": "' in proc.stdout  # the first offending records are shown
    edit_acceptance(
        connector, ("full_refresh",), ignored_fields={"users": [{"name": "synced_at", "bypass_reason": "sync time"}]}
    )
    proc, statuses = replay_checks(connector, "--strict")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(suite_statuses(statuses, "TestFullRefresh").values()) == {"passed"}
