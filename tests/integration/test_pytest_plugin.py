"""The pytest plugin on the demo connector (pytester, in subprocesses), and the replay's JSON / JUnit reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from test_read_suites import demo_copy, suite_row, unmark_password

from conftest import run_replaykit
from replaykit.report_files import SCHEMA_PATH

pytest_plugins = ["pytester"]

SUITES = ("spec", "connection", "discovery")


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--replaykit", "-p", "no:cacheprovider", "-rfs", *args, timeout=300)


def test_collects_checks_with_cat_ids(pytester: pytest.Pytester) -> None:
    demo_copy(pytester.path, SUITES)
    result = _run(pytester, "--collect-only", "-q", "source-demo")
    ids = [line for line in result.outlines if "::" in line]
    assert "source-demo/acceptance-test-config.yml::TestSpec::test_secret_is_properly_marked[inputs0]" in ids
    assert "source-demo/acceptance-test-config.yml::TestConnection::test_check[inputs1]" in ids
    assert "source-demo/acceptance-test-config.yml::TestReplay::test_invocation[spec-0]" in ids
    assert "source-demo/acceptance-test-config.yml::TestReplay::test_snapshots" in ids
    # without --replaykit (or `replaykit = true` in the ini) nothing is collected from the yaml
    plain = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider", "source-demo")
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
    expected = connector / "integration_tests" / "expected_records.jsonl"
    original = expected.read_text()
    expected.write_text(original.replace('"team": "green"', '"team": "stale"', 1))
    result = _run(pytester, "source-demo", "-k", "test_snapshots")
    result.assert_outcomes(failed=1, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(["*updated*expected_records.jsonl*", "*--replaykit-update*"])
    result = _run(pytester, "source-demo", "-k", "test_snapshots", "--replaykit-update")
    result.assert_outcomes(passed=1, deselected=result.parseoutcomes()["deselected"])
    assert expected.read_text() == original


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
