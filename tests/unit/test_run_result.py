"""The runtime's result crosses the process boundary as JSON and comes back as the same typed value; the
connector's non-protocol stdout lines are counted and the first few kept; unplayed requests are a note or a
problem, as the setting says."""

from __future__ import annotations

from pathlib import Path

from replaykit.messages import ConnectorOutput
from replaykit.replay_findings import ReplayFindings
from replaykit.run_result import CassetteFailure, CloseRequest, Miss, RunResult, SleepSummary


def test_a_result_survives_the_result_pipe_unchanged() -> None:
    result = RunResult(
        exit_code=1,
        connector_s=1.25,
        sleep=SleepSummary(calls=2, requested_s=3.5, performed_s=0.0),
        blocked_connections=["127.0.0.1:9"],
        interactions=4,
        unplayed=["GET http://127.0.0.1:8765/v1/unused"],
        misses=[Miss("GET http://127.0.0.1:8765/v1/new", [CloseRequest("GET http://127.0.0.1:8765/v1/old", ["path"])])],
        cassette="read.yaml",
        learned=[("token", "abc")],
        runtime_error="ValueError: boom",
        traceback="Traceback (most recent call last):\n  ...",
        cassette_error=CassetteFailure("unreadable", "c.yaml", hint="re-record", corrupt=True),
    )
    assert RunResult.from_json(result.to_json()) == result


def test_an_empty_result_is_a_runtime_failure_until_the_runtime_says_otherwise() -> None:
    assert RunResult.from_json(RunResult().to_json()) == RunResult()
    assert RunResult().exit_code == 3


def test_non_protocol_stdout_lines_are_counted_and_the_first_ones_kept() -> None:
    lines = ['{"type": "LOG", "log": {"level": "INFO", "message": "hi"}}', "debug: hello", "[1, 2]", "", *["x"] * 5]
    output = ConnectorOutput.parse(lines)
    assert output.unparsed_lines == 7  # every non-empty line that is not a protocol message
    assert output.unparsed_examples[:2] == ["debug: hello", "[1, 2]"]
    assert len(output.unparsed_examples) < output.unparsed_lines
    assert output.counts["LOG"] == 1


def test_unplayed_requests_are_a_note_unless_the_setting_forbids_them() -> None:
    unplayed = [f"GET http://127.0.0.1:8765/v1/page{i}" for i in range(5)]
    allowed = ReplayFindings.of(unplayed, 0, [], allow_unplayed=True, scrub=str)
    assert not allowed.unplayed_fails
    [note] = allowed.notes()
    assert note.startswith("5 recorded request(s) never sent: GET http://127.0.0.1:8765/v1/page0")
    forbidden = ReplayFindings.of(unplayed, 0, [], allow_unplayed=False, scrub=str)
    assert forbidden.unplayed_fails
    assert list(forbidden.notes()) == []  # the problem says it
    problem = forbidden.unplayed_problem("read-0", Path("cassettes/read-0.yaml"), "replaykit record")
    assert "invocation read-0" in problem
    assert "GET http://127.0.0.1:8765/v1/page0" in problem
    assert "cassettes/read-0.yaml" in problem
    assert "allow_unplayed_interactions" in problem


def test_non_protocol_lines_are_scrubbed_before_they_are_shown() -> None:
    findings = ReplayFindings.of(
        [], 2, ["token s3cr3t", "debug"], allow_unplayed=True, scrub=lambda t: t.replace("s3cr3t", "***")
    )
    [note] = findings.notes()
    assert "s3cr3t" not in note
    assert note.startswith("2 line(s) on stdout are not Airbyte messages: 'token ***', 'debug'")
