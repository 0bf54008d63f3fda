"""Issue 16: replay says what changed (field paths, counts, examples) and what to do next (hints by failure kind).

The demo connector is recorded once (basic read only: four invocations); each variant is a copy whose manifest or
files are edited afterwards and replayed offline, as a developer does after editing a transformation.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import CONNECTOR_PYTEST, TEST_KEY, make_connector, run_replaykit
from demo_api import DemoAPI

pytest_plugins = ["pytester"]

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("recorded")
    with DemoAPI(port=0, key=TEST_KEY) as api:
        connector = make_connector(base / "source-demo", api, suites=("basic_read",))
        proc = run_replaykit(["record"], cwd=connector)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return connector


def variant(recorded: Path, where: Path, edit: Callable[[Manifest], None] | None = None) -> Path:
    connector = where / "source-demo"
    shutil.copytree(recorded, connector)
    if edit is not None:
        path = connector / "manifest.yaml"
        manifest = yaml.safe_load(path.read_text())
        edit(manifest)
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    return connector


def stream_def(manifest: Manifest, name: str) -> dict[str, Any]:
    if name == "users":
        return dict(manifest["definitions"]["users_stream"])
    return next(s for s in manifest["streams"] if s.get("name") == name)


def double_amount(manifest: Manifest) -> None:
    stream_def(manifest, "events")["transformations"] = [
        {
            "type": "AddFields",
            "fields": [
                {
                    "type": "AddedFieldDefinition",
                    "path": ["amount"],
                    "value": "{{ record['amount'] * 2 }}",
                    "value_type": "integer",
                }
            ],
        }
    ]


def add_declared_field(manifest: Manifest) -> None:
    users = manifest["definitions"]["users_stream"]
    users["schema_loader"]["schema"]["properties"]["plan_tier"] = {"type": "string"}
    users["transformations"] = [
        {"type": "AddFields", "fields": [{"type": "AddedFieldDefinition", "path": ["plan_tier"], "value": "gold"}]}
    ]


def amount_as_string_in_schema(manifest: Manifest) -> None:
    stream_def(manifest, "events")["schema_loader"]["schema"]["properties"]["amount"] = {"type": "string"}


def expected(connector: Path, stream: str) -> list[dict[str, Any]]:
    lines = (connector / "integration_tests" / "expected_records.jsonl").read_text().splitlines()
    return [r["data"] for r in map(json.loads, lines) if r["stream"] == stream]


def doubled(connector: Path) -> tuple[int, dict[str, Any]]:
    """How many events the doubling changes, and the first of them (in primary-key order)."""
    events = sorted(expected(connector, "events"), key=lambda d: json.dumps(d["id"]))
    changed = [e for e in events if e.get("amount")]
    assert changed, "the demo data has amounts"
    return len(changed), changed[0]


# --------------------------------------------------------------------------- 1. what changed


def test_a_value_transform_names_the_field_with_counts_and_examples_in_cli_json_junit(
    recorded: Path, tmp_path: Path
) -> None:
    connector = variant(recorded, tmp_path, double_amount)
    count, first = doubled(connector)
    total = len(expected(connector, "events"))
    proc = run_replaykit(["replay", "--json", "r.json", "--junit-xml", "r.xml"], cwd=connector)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    field_line = f"field amount changed in {count} record(s), e.g. id {json.dumps(first['id'])}: "
    example = f"{first['amount']} -> {first['amount'] * 2}"
    # the basic read's invocation, explained against the expected records (by primary key, over all records)
    counts = f"{count} changed, 0 added, 0 removed, {total - count} unchanged"
    assert f"by primary key [id], against integration_tests/expected_records.jsonl: {counts}" in out
    assert field_line + example in out
    # the snapshot summary says the same
    assert f"stream events: {counts} (by primary key [id])" in out
    assert "Hint (update): if the connector's change is intended, run `replaykit replay --update`" in out
    assert "re-record" not in out
    assert TEST_KEY not in out

    document = json.loads((connector / "r.json").read_text())
    basic = next(i for i in document["invocations"] if i["id"] == "basic_read-0")
    assert basic["status"] == "differs"
    assert any(field_line + example in d for d in basic["differences"])
    assert [h["kind"] for h in document["hints"]] == ["update"]
    assert "replaykit replay --update" in document["hint"]

    junit = ET.parse(connector / "r.xml").getroot()
    case = junit.find("testsuite[@name='replay']/testcase[@name='basic_read-0']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert field_line + example in (failure.text or "")
    assert "Hint: if the connector's change is intended" in (failure.text or "")


def test_the_pytest_plugin_names_the_field_and_the_pytest_way_to_update(
    recorded: Path, pytester: pytest.Pytester
) -> None:
    connector = variant(recorded, pytester.path, double_amount)
    count, first = doubled(connector)
    result = pytester.runpytest_subprocess(
        "--replaykit", *CONNECTOR_PYTEST, "source-demo", "-k", "basic_read-0 and not bad", timeout=300
    )
    output = result.stdout.str()
    assert result.ret == 1, output
    assert f"field amount changed in {count} record(s), e.g. id {json.dumps(first['id'])}" in output
    hint = "`replaykit replay --update` (pytest: --replaykit-update, with TestReplay::test_snapshots selected)"
    assert hint in output


def test_strict_mode_counts_changed_records_over_all_records_not_missing_ones(recorded: Path, tmp_path: Path) -> None:
    connector = variant(recorded, tmp_path, double_amount)
    count, first = doubled(connector)
    proc = run_replaykit(["replay", "--strict"], cwd=connector)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert f"stream events: {count} record(s) changed in all (the first 5 shown)" in out
    assert f"root['amount'] changed from {first['amount']} to {first['amount'] * 2}" in out
    assert "expected record(s) missing" not in out
    assert "record(s) not expected" not in out
    # the expected-records comparison is the one failed check --update fixes: the hint says so
    assert "Hint (update)" in out
    assert "Hint (check)" not in out


# --------------------------------------------------------------------------- 2. hints by failure kind


def test_an_added_declared_field_is_an_update_and_update_says_what_it_fixed(recorded: Path, tmp_path: Path) -> None:
    connector = variant(recorded, tmp_path, add_declared_field)
    users = len(expected(connector, "users"))
    proc = run_replaykit(["replay"], cwd=connector)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert f'field plan_tier added in {users} record(s), e.g. id 1: "gold"' in out
    assert "Hint (update)" in out
    assert "Hint (check)" not in out

    updated = run_replaykit(["replay", "--update"], cwd=connector)
    out = updated.stdout + updated.stderr
    assert updated.returncode == 0, out
    assert "replay updated: --update accepted 1 invocation(s) (basic_read-0), rewrote 1 snapshot file(s)" in out
    assert "still failing" not in out
    assert all(u["plan_tier"] == "gold" for u in expected(connector, "users"))


def test_a_schema_change_fails_a_check_that_update_cannot_fix_and_update_says_so(
    recorded: Path, tmp_path: Path
) -> None:
    connector = variant(recorded, tmp_path, amount_as_string_in_schema)
    proc = run_replaykit(["replay", "--json", "r.json"], cwd=connector)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "FAILED TestBasicRead::test_read[inputs0]" in out
    assert (
        "Hint (check): 1 acceptance check(s) failed on the replayed outputs (TestBasicRead::test_read[inputs0])" in out
    )
    assert "`replaykit replay --update` cannot fix a failed check" in out
    assert "Hint (update)" not in out  # the records are the recorded ones: nothing to accept
    assert [h["kind"] for h in json.loads((connector / "r.json").read_text())["hints"]] == ["check"]

    updated = run_replaykit(["replay", "--update"], cwd=connector)
    out = updated.stdout + updated.stderr
    assert updated.returncode == 1, out
    assert "replay updated: --update accepted 0 invocation(s), rewrote 0 snapshot file(s)" in out
    assert "still failing: 1 acceptance check(s) (TestBasicRead::test_read[inputs0]); --update cannot fix them" in out


def test_outputs_that_differ_with_the_recorded_files_are_called_non_deterministic(
    recorded: Path, tmp_path: Path
) -> None:
    connector = variant(recorded, tmp_path)
    # the connector's files are untouched; its recorded output is not what this code produces (as a connector
    # reading the wall clock or random values would give)
    index_path = connector / "cassettes" / "index.json"
    index = json.loads(index_path.read_text())
    basic = next(i for i in index["invocations"] if i["id"] == "basic_read-0")
    basic["outputs"]["records"]["users"]["sha256"] = "0" * 64
    index_path.write_text(json.dumps(index))
    proc = run_replaykit(["replay", "--json", "r.json"], cwd=connector)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Hint (non-deterministic): the connector's files are the ones recorded, yet its outputs differ" in out
    assert "Hint (update)" not in out
    assert [h["kind"] for h in json.loads((connector / "r.json").read_text())["hints"]] == ["non-deterministic"]


def test_a_request_change_says_re_record_and_update_says_it_cannot(recorded: Path, tmp_path: Path) -> None:
    def smaller_pages(manifest: Manifest) -> None:
        manifest["definitions"]["users_stream"]["retriever"]["paginator"]["pagination_strategy"]["page_size"] = 4

    connector = variant(recorded, tmp_path, smaller_pages)
    proc = run_replaykit(["replay"], cwd=connector)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "request with no recording" in out
    assert "Hint (re-record):" in out
    assert "replaykit record --config secrets/config.json" in out
    assert "(`replaykit replay --update` cannot fix this)" in out
    updated = run_replaykit(["replay", "--update"], cwd=connector)
    out = updated.stdout + updated.stderr
    assert updated.returncode == 1, out
    assert "--update wrote nothing:" in out
    assert "re-record with `replaykit record --config secrets/config.json`" in out


# --------------------------------------------------------------------------- 3. paths the acceptance config names


def test_a_misspelled_path_is_exit_2_with_a_did_you_mean(recorded: Path, tmp_path: Path) -> None:
    connector = variant(recorded, tmp_path)
    config_path = connector / "acceptance-test-config.yml"
    config = yaml.safe_load(config_path.read_text())
    config["acceptance_tests"]["basic_read"]["tests"][0]["expect_records"]["path"] = (
        "integration_tests/expected_record.jsonl"
    )
    config["acceptance_tests"]["incremental"] = {
        "tests": [
            {
                "config_path": "secrets/config.json",
                "configured_catalog_path": "integration_tests/configured_catalogue.json",
                "future_state": {"future_state_path": "integration_tests/abnormal_states.json"},
            }
        ]
    }
    config_path.write_text(yaml.safe_dump(config))
    for command in (["plan"], ["replay"]):
        proc = run_replaykit(command, cwd=connector)
        err = proc.stderr
        assert proc.returncode == 2, proc.stdout + err
        assert (
            "acceptance_tests.incremental.tests[0].configured_catalog_path: "
            "'integration_tests/configured_catalogue.json' does not exist; did you mean "
            "'integration_tests/configured_catalog.json'?"
        ) in err
        assert "future_state_path: 'integration_tests/abnormal_states.json' does not exist; did you mean " in err
        assert "'integration_tests/abnormal_state.json'" in err
        assert "Hint: Fix the path(s) in acceptance-test-config.yml" in err
    # replay also reads the expected records (plan does not: record writes them)
    replay = run_replaykit(["replay"], cwd=connector)
    assert (
        "expect_records.path: 'integration_tests/expected_record.jsonl' does not exist; did you mean" in replay.stderr
    )
    plan = run_replaykit(["plan"], cwd=connector)
    assert "expect_records.path" not in plan.stderr


# --------------------------------------------------------------------------- 4. every check on the terminal


def test_verbose_lists_every_check_and_default_groups_skip_reasons(recorded: Path, tmp_path: Path) -> None:
    connector = variant(recorded, tmp_path)
    verbose = run_replaykit(["replay", "-v", "--json", "r.json"], cwd=connector)
    assert verbose.returncode == 0, verbose.stdout + verbose.stderr
    document = json.loads((connector / "r.json").read_text())
    for check in document["checks"]:
        reason = f": {check['message']}" if check["message"] else ""
        assert f"{check['status'].upper():7} {check['id']}{reason}" in verbose.stdout
    skipped = [c for c in document["checks"] if c["status"] == "skipped"]
    assert skipped
    default = run_replaykit(["replay"], cwd=connector)
    assert default.returncode == 0, default.stdout + default.stderr
    assert "PASSED  TestBasicRead::test_read[inputs0]" not in default.stdout
    for reason in {c["message"] for c in skipped}:
        ids = [c["id"] for c in skipped if c["message"] == reason]
        assert f"  skipped {len(ids)}: {reason} ({ids[0]}" in default.stdout


# --------------------------------------------------------------------------- 5. scan


def test_scan_summarises_and_finds_known_secrets_from_the_repository_root(recorded: Path, tmp_path: Path) -> None:
    connector = variant(recorded, tmp_path)
    repo = connector.parent
    clean = run_replaykit(["scan"], cwd=connector)
    # the cassette directory and the expected records beside it
    files = sum(1 for p in (connector / "cassettes").rglob("*") if p.is_file()) + 1
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert f"no secrets found: scanned {files} file(s), known secrets from secrets/ of: ." in clean.stdout
    # pre-commit runs from the repository root: the connector's secrets/ is still where the known secrets are
    leak = connector / "cassettes" / "leak.yaml"
    leak.write_text(f"body: token {TEST_KEY}\n")
    found = run_replaykit(["scan", "source-demo/cassettes/leak.yaml"], cwd=repo)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "known-secret" in found.stdout
    assert "known secrets from secrets/ of: source-demo" in found.stdout
    assert TEST_KEY not in found.stdout + found.stderr
    empty = tmp_path / "empty"
    (empty / "cassettes").mkdir(parents=True)
    nothing = run_replaykit(["scan"], cwd=empty)
    assert nothing.returncode == 0, nothing.stdout + nothing.stderr
    assert "nothing to scan: cassettes holds no files" in nothing.stdout
