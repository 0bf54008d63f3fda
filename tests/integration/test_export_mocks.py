"""``replaykit export-mocks`` on the bundled demo: the generated mock-server tests run under plain pytest,
pass, are fast, fail when the manifest's pagination or cursor handling is broken, are regenerated
byte for byte, pass ruff and hold no secret."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import DEMO_DIR, ROOT, make_connector, run_replaykit
from demo_api import DemoAPI
from helpers.mocks import RUFF, RULES, digest, outcomes, run_generated

STATUSES = ("created", "updated", "unchanged", "kept", "replaced")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo connector with its committed cassettes, and the tests exported from them."""
    connector = tmp_path_factory.mktemp("mocks") / "source-demo"
    shutil.copytree(DEMO_DIR, connector, ignore=shutil.ignore_patterns("config.json", "unit_tests"))
    shutil.copytree(ROOT / "cassettes" / "source-demo", connector / "cassettes")
    proc = run_replaykit(["export-mocks"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return connector


def broken_copy(exported: Path, tmp_path: Path, old: str, new: str) -> Path:
    connector = tmp_path / "source-demo"
    shutil.copytree(exported, connector, ignore=shutil.ignore_patterns("__pycache__", "report.xml"))
    manifest = connector / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert old in text
    manifest.write_text(text.replace(old, new), encoding="utf-8")
    return connector


def test_export_writes_the_practice_layout(exported: Path) -> None:
    files = set(digest(exported / "unit_tests"))
    assert {
        "integration/__init__.py",
        "integration/config.py",
        "integration/request_builder.py",
        "integration/response_builder.py",
        "integration/utils.py",
        "integration/test_users.py",
        "integration/test_events.py",
        "resource/http/response/users.json",
        "resource/http/response/events.json",
        "integration/test_user_plans.py",
        "resource/http/response/user_plans.json",
        "resource/http/response/401.json",
        "resource/http/response/429.json",
        "resource/http/response/500.json",
    } <= files
    config = (exported / "unit_tests" / "integration" / "config.py").read_text()
    assert '"api_key": "**REDACTED:api_key**"' in config  # the scrubbed replay config, placeholders only
    users = (exported / "unit_tests" / "resource" / "http" / "response" / "users.json").read_text()
    assert users.count('"id"') == 1  # one record per list
    events_test = (exported / "unit_tests" / "integration" / "test_events.py").read_text()
    assert "StateBuilder()" in events_test
    assert "freezegun.freeze_time(_NOW)" in events_test
    assert '_NOW = "2026-11-21T09:01:43Z"' in events_test  # the instant basic_read-0 was recorded at


def test_generated_tests_pass_under_plain_pytest(exported: Path) -> None:
    """Their speed (under 10 s together) is measured by tools/bench/mock_tests.py, not asserted here."""
    proc, suite = run_generated(exported, "unit_tests")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    results = outcomes(suite)
    assert set(results.values()) == {"passed"}
    assert {
        "test_users::TestFullRefresh::test_given_one_page_when_read_then_return_records",
        "test_users::TestFullRefresh::test_given_two_pages_when_read_then_return_records",
        "test_users::TestFullRefresh::test_given_recorded_pages_when_read_then_return_recorded_count",
        "test_users::TestFullRefresh::test_given_429_then_200_when_read_then_retry_and_return_records",
        "test_users::TestFullRefresh::test_given_500_then_200_when_read_then_retry_and_return_records",
        "test_users::TestFullRefresh::test_given_401_when_read_then_config_error",
        "test_events::TestIncremental::test_given_no_state_when_read_then_return_state",
        "test_events::TestIncremental::test_given_state_when_read_then_use_state_for_query_params",
    } <= set(results)
    assert {
        "test_user_plans::TestFullRefresh::test_given_two_parents_when_read_then_read_each_partition",
        "test_user_plans::TestFullRefresh::test_given_recorded_parents_when_read_then_return_recorded_count",
    } <= set(results)
    # every generated test ran (none silently uncollected)
    generated = [line for f in (exported / "unit_tests").rglob("test_*.py") for line in f.read_text().splitlines()]
    assert len(results) == sum(1 for line in generated if re.match(r"\s*def test_", line))


def test_broken_pagination_fails_the_pagination_tests(exported: Path, tmp_path: Path) -> None:
    connector = broken_copy(
        exported, tmp_path, 'stop_condition: "{{ not response.next_token }}"', 'stop_condition: "{{ True }}"'
    )
    proc, suite = run_generated(connector, "unit_tests/integration/test_users.py")
    assert proc.returncode == 1
    failed = {name for name, outcome in outcomes(suite).items() if outcome == "failed"}
    assert failed == {
        "test_users::TestFullRefresh::test_given_two_pages_when_read_then_return_records",
        "test_users::TestFullRefresh::test_given_recorded_pages_when_read_then_return_recorded_count",
    }


def test_broken_cursor_fails_the_incremental_tests(exported: Path, tmp_path: Path) -> None:
    connector = broken_copy(exported, tmp_path, "cursor_field: created", "cursor_field: type")
    proc, suite = run_generated(connector, "unit_tests/integration/test_events.py")
    assert proc.returncode == 1
    failed = {name for name, outcome in outcomes(suite).items() if outcome == "failed"}
    assert failed == {
        "test_events::TestIncremental::test_given_no_state_when_read_then_return_state",
        "test_events::TestIncremental::test_given_state_when_read_then_use_state_for_query_params",
    }


def test_regenerating_changes_no_byte(exported: Path) -> None:
    before = digest(exported / "unit_tests")
    proc = run_replaykit(["export-mocks"], cwd=exported)
    assert proc.returncode == 0, proc.stderr
    assert digest(exported / "unit_tests") == before
    statuses = {line.split()[0] for line in proc.stdout.splitlines() if line.startswith(STATUSES)}
    assert statuses == {"unchanged"}


def test_generated_code_passes_ruff(exported: Path) -> None:
    tests = exported / "unit_tests"
    check = subprocess.run(
        [str(RUFF), "check", "--isolated", "--select", RULES, str(tests)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run(
        [str(RUFF), "format", "--isolated", "--check", str(tests)], capture_output=True, text=True, check=False
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_layout_follows_the_projects_line_length(exported: Path, tmp_path: Path) -> None:
    """Black-style layout depends on the line length: a project at 120 gets code ruff accepts at 120."""
    connector = tmp_path / "source-demo"
    shutil.copytree(exported, connector, ignore=shutil.ignore_patterns("unit_tests", "report.xml"))
    (connector / "pyproject.toml").write_text("[tool.ruff]\nline-length = 120\n")
    assert run_replaykit(["export-mocks"], cwd=connector).returncode == 0
    fmt = subprocess.run(
        [str(RUFF), "format", "--check", "unit_tests"], cwd=connector, capture_output=True, text=True, check=False
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    users = (connector / "unit_tests" / "integration" / "test_users.py").read_text()
    assert "    def test_given_one_page_when_read_then_return_records(self, http_mocker: HttpMocker) -> None:" in users


def test_secret_scan_of_the_output_finds_nothing(exported: Path) -> None:
    files = [
        str(p) for p in sorted((exported / "unit_tests").rglob("*")) if p.is_file() and "__pycache__" not in p.parts
    ]
    proc = run_replaykit(["scan", *files], cwd=exported)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_edited_file_is_kept_and_the_new_version_written_beside_it(exported: Path, tmp_path: Path) -> None:
    connector = tmp_path / "source-demo"
    shutil.copytree(exported, connector, ignore=shutil.ignore_patterns("__pycache__", "report.xml"))
    test_users = connector / "unit_tests" / "integration" / "test_users.py"
    edited = test_users.read_text() + "\n# my own test goes here\n"
    test_users.write_text(edited)
    proc = run_replaykit(["export-mocks"], cwd=connector)
    assert proc.returncode == 0
    assert f"kept      {test_users} (you edited it; new version: {test_users}.new)" in proc.stdout
    assert test_users.read_text() == edited
    assert (exported / "unit_tests" / "integration" / "test_users.py").read_text() == Path(
        f"{test_users}.new"
    ).read_text()
    forced = run_replaykit(["export-mocks", "--force"], cwd=connector)
    assert forced.returncode == 0
    assert f"replaced  {test_users}" in forced.stdout
    assert "# my own test goes here" not in test_users.read_text()
    assert not Path(f"{test_users}.new").exists()


def test_one_stream_and_usage_errors(exported: Path, tmp_path: Path) -> None:
    connector = tmp_path / "source-demo"
    shutil.copytree(exported, connector, ignore=shutil.ignore_patterns("unit_tests", "report.xml"))
    proc = run_replaykit(["export-mocks", "--stream", "users"], cwd=connector)
    assert proc.returncode == 0, proc.stderr
    assert (connector / "unit_tests" / "integration" / "test_users.py").is_file()
    assert not (connector / "unit_tests" / "integration" / "test_events.py").exists()
    assert not (connector / "unit_tests" / "integration" / "test_user_plans.py").exists()
    # the shared request builder still serves every stream: a later export of events needs no rewrite of it
    assert "def events_endpoint" in (connector / "unit_tests" / "integration" / "request_builder.py").read_text()
    unknown = run_replaykit(["export-mocks", "--stream", "nope"], cwd=connector)
    assert unknown.returncode == 2
    assert "index.json" in unknown.stderr
    assert "Hint: Pick from: users, user_plans, events." in unknown.stderr
    bad_out = run_replaykit(["export-mocks", "--out", str(tmp_path / "tests")], cwd=connector)
    assert bad_out.returncode == 2
    assert "must be a directory named unit_tests" in bad_out.stderr


def test_recorded_retries_give_the_retry_tests_their_bodies_and_headers(tmp_path: Path, demo_api: DemoAPI) -> None:
    """Recorded against the flaky demo API (a 429 with Retry-After on users' page 2, a 500 on events)."""
    demo_api.flaky = True
    connector = make_connector(tmp_path / "source-demo", demo_api, days_back=3, suites=("basic_read",))
    recorded = run_replaykit(["record"], cwd=connector)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    exported = run_replaykit(["export-mocks", "--stream", "users"], cwd=connector)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    test_users = (connector / "unit_tests" / "integration" / "test_users.py").read_text()
    assert "# the 429 body is recorded" in test_users
    assert 'error_response(429, {"Retry-After": "1"})' in test_users
    responses = connector / "unit_tests" / "resource" / "http" / "response"
    assert json.loads((responses / "429.json").read_text()) == {"error": "rate limited"}
    assert json.loads((responses / "500.json").read_text()) == {"error": "boom"}
    proc, suite = run_generated(connector, "unit_tests/integration/test_users.py")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert set(outcomes(suite).values()) == {"passed"}
