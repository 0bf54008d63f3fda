"""The pytest plugin on the demo connector (pytester, in subprocesses), and the replay's JSON / JUnit reports.

Items come from the acceptance config, the check registry and the index: collecting replays nothing, the first
item replays, and ``--replaykit-update`` writes once at the end, only when ``test_snapshots`` ran."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conftest import CONNECTOR_PYTEST, run_replaykit
from helpers.demo import demo_copy, unmark_password
from replaykit.report_files import SCHEMA_PATH

pytest_plugins = ["pytester"]

SUITES = ("spec", "connection", "discovery")


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--replaykit", *CONNECTOR_PYTEST, "-rfs", *args, timeout=300)


def suite_row(stdout: str, suite: str) -> list[int]:
    """passed / failed / skipped of one suite in the CLI's table."""
    table = stdout[stdout.index("acceptance checks:") :].splitlines()
    row = next(line for line in table if line.strip().startswith(suite))
    return [int(n) for n in row.split()[1:4]]


def files_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def stale_expected_records(connector: Path) -> tuple[Path, str]:
    """An expected-records file the replay disagrees with (one field of one record), and its right content."""
    expected = connector / "integration_tests" / "expected_records.jsonl"
    original = expected.read_text()
    expected.write_text(original.replace('"team": "green"', '"team": "stale"', 1))
    return expected, original


def test_collects_checks_with_cat_ids(pytester: pytest.Pytester) -> None:
    demo_copy(pytester.path, SUITES)
    result = _run(pytester, "--collect-only", "-q", "source-demo")
    ids = [line for line in result.outlines if "::" in line]
    assert "source-demo/acceptance-test-config.yml::TestSpec::test_secret_is_properly_marked[inputs0]" in ids
    assert "source-demo/acceptance-test-config.yml::TestConnection::test_check[inputs1]" in ids
    assert "source-demo/acceptance-test-config.yml::TestReplay::test_invocation[spec-0]" in ids
    assert "source-demo/acceptance-test-config.yml::TestReplay::test_snapshots" in ids
    # without --replaykit (or `replaykit = true` in the ini) nothing is collected from the yaml
    plain = pytester.runpytest_subprocess("--collect-only", "-q", *CONNECTOR_PYTEST, "source-demo")
    assert not [line for line in plain.outlines if "::" in line]


def test_passes_and_skips_match_the_cli_and_its_reports(pytester: pytest.Pytester) -> None:
    connector = demo_copy(pytester.path, SUITES)
    result = _run(pytester, "source-demo", f"--junitxml={pytester.path / 'pytest.xml'}")
    outcomes = result.parseoutcomes()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*SKIPPED*Skipping TestBasicRead: not found in the config.*"])
    result.stdout.fnmatch_lines(["*SKIPPED*The previous and actual specifications are identical.*"])
    # the CLI's table, JSON and JUnit reports count the same checks
    json_path, junit_path = pytester.path / "report.json", pytester.path / "report.xml"
    cli = run_replaykit(["replay", "--json", str(json_path), "--junit-xml", str(junit_path)], cwd=connector)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    document = json.loads(json_path.read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    junit = ET.parse(junit_path).getroot()
    for suite in (*SUITES, "basic_read"):
        table = suite_row(cli.stdout, suite)
        counts = document["summary"]["checks"][suite]
        assert table == [counts["passed"], counts["failed"], counts["skipped"]]
        xml_suite = junit.find(f"testsuite[@name='{suite}']")
        assert xml_suite is not None
        assert int(xml_suite.get("tests", "0")) == sum(table)
        assert [int(xml_suite.get("failures", "0")), int(xml_suite.get("skipped", "0"))] == table[1:]
    checks = sum(sum(row.values()) for row in document["summary"]["checks"].values())
    invocations = len(document["invocations"])
    skipped = sum(row["skipped"] for row in document["summary"]["checks"].values())
    assert outcomes == {"passed": checks + invocations + 1 - skipped, "skipped": skipped}
    # the items collected without replaying are exactly the checks and invocations the replay reports
    collected = _run(pytester, "source-demo", "--collect-only", "-q").outlines
    ids = {line.split("::", 1)[1] for line in collected if "::" in line}
    assert ids == {
        *(c["id"] for c in document["checks"]),
        *(f"TestReplay::test_invocation[{i['id']}]" for i in document["invocations"]),
        "TestReplay::test_snapshots",
    }
    assert int(junit.get("tests", "0")) == checks + invocations
    # pytest's own JUnit report of the plugin's items is valid too
    pytest_xml = ET.parse(pytester.path / "pytest.xml").getroot()
    assert pytest_xml.find(".//testcase[@name='test_secret_is_properly_marked[inputs0]']") is not None


def test_failing_check_and_k_selection(pytester: pytest.Pytester) -> None:
    connector = demo_copy(pytester.path, SUITES)
    unmark_password(connector)
    result = _run(pytester, "source-demo", "-k", "test_secret_is_properly_marked")
    result.assert_outcomes(failed=1, deselected=result.parseoutcomes()["deselected"])
    output = result.stdout.str()
    assert "The following properties should be marked with `airbyte_secret!` properties/password" in output
    assert "FAILED source-demo/acceptance-test-config.yml::TestSpec::test_secret_is_properly_marked[inputs0]" in output
    # the CLI's reports agree: one failed check, with its message, in JSON and JUnit
    json_path, junit_path = pytester.path / "report.json", pytester.path / "report.xml"
    cli = run_replaykit(["replay", "--json", str(json_path), "--junit-xml", str(junit_path)], cwd=connector)
    assert cli.returncode == 1
    assert "Hint (check): 1 acceptance check(s) failed on the replayed outputs" in cli.stdout
    assert "cannot fix a failed check" in cli.stdout
    document = json.loads(json_path.read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["passed"] is False
    failed = [c for c in document["checks"] if c["status"] == "failed"]
    assert "TestSpec::test_secret_is_properly_marked[inputs0]" in [c["id"] for c in failed]
    junit = ET.parse(junit_path).getroot()
    case = junit.find("testsuite[@name='spec']/testcase[@name='test_secret_is_properly_marked[inputs0]']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert "properties/password" in failure.get("message", "")
    assert int(junit.get("failures", "0")) == len(failed) == suite_row(cli.stdout, "spec")[1]


def test_update_regenerates_snapshots(pytester: pytest.Pytester) -> None:
    connector = demo_copy(pytester.path, ("basic_read",))
    expected, original = stale_expected_records(connector)
    result = _run(pytester, "source-demo", "-k", "test_snapshots")
    result.assert_outcomes(failed=1, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(["*updated*expected_records.jsonl*", "*--replaykit-update*"])
    # strict mode compares whole records: the check judges the accepted records, written at the session's end
    whole = "test_expected_records_whole or test_snapshots"
    result = _run(pytester, "source-demo", "--replaykit-strict", "-k", whole, "--replaykit-update")
    result.assert_outcomes(passed=2, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(["*--replaykit-update: wrote*expected_records.jsonl"])
    assert expected.read_text() == original


def test_collect_only_neither_replays_nor_writes(pytester: pytest.Pytester) -> None:
    connector = demo_copy(pytester.path, ("basic_read",))
    stale_expected_records(connector)
    before = files_of(connector)
    for args in (("--collect-only",), ("--collect-only", "-k", "nothing_matches")):
        result = _run(pytester, "source-demo", "--replaykit-update", *args)
        assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), result.stdout.str()
        assert files_of(connector) == before
    # nothing is replayed: without its cassettes the recording still collects (replaying it would fail)
    cassettes = [p for p in (connector / "cassettes").glob("*.*") if p.name != "index.json"]
    for cassette in cassettes:
        cassette.unlink()
    result = _run(pytester, "source-demo", "--replaykit-update", "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "source-demo/acceptance-test-config.yml::TestReplay::test_invocation[basic_read-0]" in result.outlines
    assert "source-demo/acceptance-test-config.yml::TestReplay::test_snapshots" in result.outlines
    # running an item replays, and says why it cannot
    result = _run(pytester, "source-demo", "-k", "test_read")
    result.assert_outcomes(failed=1, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(["*replaykit could not replay*"])


def test_k_selecting_no_snapshot_item_writes_nothing(pytester: pytest.Pytester) -> None:
    connector = demo_copy(pytester.path, ("basic_read",))
    stale_expected_records(connector)
    before = files_of(connector)
    result = _run(pytester, "source-demo", "--replaykit-strict", "--replaykit-update", "-k", "not test_snapshots")
    assert result.parseoutcomes()["deselected"] == 1, result.stdout.str()  # test_snapshots only
    failed = [line.split()[1] for line in result.outlines if line.startswith("FAILED ")]
    assert failed == ["source-demo/acceptance-test-config.yml::TestBasicRead::test_expected_records_whole[inputs0]"]
    assert "wrote" not in result.stdout.str()
    assert files_of(connector) == before


def test_a_typo_in_the_root_settings_is_an_error(pytester: pytest.Pytester) -> None:
    demo_copy(pytester.path, ("spec",))
    pyproject = '[tool.pytest.ini_options]\n\n[tool.replaykit]\nconnector_dir = "source-demo"\nstrcit = true\n'
    (pytester.path / "pyproject.toml").write_text(pyproject)
    result = _run(pytester, "source-demo", "--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error: exit 2, as the CLI's
    output = result.stdout.str()
    assert "pyproject.toml: unknown key 'strcit' in [tool.replaykit]" in output
    assert "Hint: did you mean 'strict'? Fix or remove the key." in output
    cli = run_replaykit(["replay"], cwd=pytester.path)
    assert cli.returncode == 2
    assert "unknown key 'strcit' in [tool.replaykit]" in cli.stdout + cli.stderr


def test_a_line_of_expected_records_that_is_not_a_record_is_named(pytester: pytest.Pytester) -> None:
    """The plugin reads the expected records by the CLI's rule: the items fail naming file:line and the fix."""
    connector = demo_copy(pytester.path, ("basic_read",))
    expected = connector / "integration_tests" / "expected_records.jsonl"
    lines = expected.read_text().splitlines(keepends=True)
    lines[2] = '{"stream": "users", "data": {"id": 1}}\n'
    expected.write_text("".join(lines))
    result = _run(pytester, "source-demo", "-k", "test_read")
    assert result.parseoutcomes().get("failed")
    output = result.stdout.str()
    assert "expected_records.jsonl:3: not a record: it needs `emitted_at`" in output
    assert "regenerate it with `replaykit replay --update`" in output


def test_xdist_gives_the_serial_results(pytester: pytest.Pytester) -> None:
    connector = demo_copy(pytester.path, SUITES)
    unmark_password(connector)
    serial = _run(pytester, "source-demo", "-v")
    parallel = _run(pytester, "source-demo", "-v", "-n", "2")

    def verdicts(result: pytest.RunResult) -> dict[str, str]:
        out = {}
        for line in result.outlines:
            for verdict in ("PASSED", "FAILED", "SKIPPED"):
                if "::" in line and f" {verdict}" in line:
                    node = next(part for part in line.split() if "::" in part)
                    out[node] = verdict
        return out

    assert parallel.parseoutcomes() == serial.parseoutcomes()
    assert serial.parseoutcomes()["failed"] >= 1
    assert verdicts(parallel) == verdicts(serial)
    assert len(verdicts(serial)) == sum(serial.parseoutcomes().values())
