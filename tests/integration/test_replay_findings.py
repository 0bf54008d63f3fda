"""What a replay finds besides differences, on the demo connector with its committed recording: a recorded
request the connector never sends (a note, or a failure under ``allow_unplayed_interactions = false``) and lines
on the connector's stdout that are not Airbyte messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from helpers.demo import demo_copy, replay_checks
from replaykit.report_files import SCHEMA_PATH

EXTRA = "http://127.0.0.1:8765/v1/never-requested?limit=5"
LOCAL_SECRET = "local-secret-4711"


def add_unrequested_interaction(cassette: Path) -> None:
    """A copy of the cassette's first interaction at a URL the connector never requests."""
    data = yaml.safe_load(cassette.read_text())
    extra = json.loads(json.dumps(data["interactions"][0]))
    extra["request"]["uri"] = EXTRA
    data["interactions"].append(extra)
    cassette.write_text(yaml.safe_dump(data))


def invocations(connector: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((connector.parent / "replay-checks.json").read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    return {i["id"]: i for i in document["invocations"]}


def test_a_recorded_request_never_sent_is_a_note_by_default_and_a_failure_under_the_setting(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, ("connection",))
    add_unrequested_interaction(connector / "cassettes" / "connection-0.yaml")

    proc, _ = replay_checks(connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"note: 1 recorded request(s) never sent: GET {EXTRA}" in proc.stdout
    found = invocations(connector)
    assert found["connection-0"]["unplayed"] == {"count": 1, "requests": [f"GET {EXTRA}"]}
    assert "unplayed" not in found["connection-1"]  # its cassette was played whole

    (connector / "pyproject.toml").write_text("[tool.replaykit]\nallow_unplayed_interactions = false\n")
    proc, _ = replay_checks(connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "invocation connection-0: 1 recorded request(s) never sent by the replay" in proc.stdout
    assert f"GET {EXTRA}" in proc.stdout
    assert "connection-0.yaml" in proc.stdout
    assert "allow_unplayed_interactions = true" in proc.stdout  # the way back
    failed = invocations(connector)["connection-0"]
    assert failed["status"] == "failed"
    assert any("never sent by the replay" in p for p in failed["problems"])


def test_non_protocol_stdout_lines_are_reported_with_a_count_and_scrubbed(tmp_path: Path) -> None:
    connector = demo_copy(tmp_path, ("connection",))
    (connector / "secrets").mkdir(exist_ok=True)
    (connector / "secrets" / "config.json").write_text(json.dumps({"api_key": LOCAL_SECRET}))
    # a manifest's components.py is imported before the connector runs: its prints reach stdout
    (connector / "components.py").write_text(f'print("debug: hello")\nprint("debug: key {LOCAL_SECRET}")\n')

    proc, _ = replay_checks(connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "note: 2 line(s) on stdout are not Airbyte messages: 'debug: hello', 'debug: key " in proc.stdout
    assert LOCAL_SECRET not in proc.stdout
    stdout = invocations(connector)["connection-0"]["non_protocol_stdout"]
    assert stdout["count"] == 2
    assert stdout["lines"][0] == "debug: hello"
    assert LOCAL_SECRET not in json.dumps(stdout)
