"""A legacy ``abnormal_state.json`` (``{"<stream>": {<cursor>: <value>}}``, the shape many real connectors still
commit) records and replays on the real demo connector: converted to per-stream STREAM states with a warning
naming the file; ``replaykit plan`` shows the conversion and ``plan --write`` rewrites the file."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import make_connector, run_replaykit
from replaykit.cli import main

LEGACY = {"events": {"created": "2099-01-01T00:00:00Z"}}
CONVERTED = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "events"}, "stream_state": LEGACY["events"]}}]
ABNORMAL_CHECK = "TestIncremental::test_state_with_abnormally_large_values[inputs0]"


def legacy_connector(tmp_path: Path, api: Any) -> Path:
    """The demo connector with its incremental suite only, in the legacy layout (root ``tests:``, the legacy
    ``future_state_path`` key) and a legacy dict future-state file."""
    connector = make_connector(tmp_path / "source-demo", api, days_back=3, suites=("incremental",))
    config = connector / "acceptance-test-config.yml"
    (test,) = yaml.safe_load(config.read_text())["acceptance_tests"]["incremental"]["tests"]
    test.pop("future_state")
    test.update(future_state_path="integration_tests/abnormal_state.json", skip_comprehensive_incremental_tests=True)
    config.write_text(yaml.safe_dump({"connector_image": "airbyte/source-demo:dev", "tests": {"incremental": [test]}}))
    (connector / "integration_tests" / "abnormal_state.json").write_text(json.dumps(LEGACY))
    return connector


def check_status(report: Path, check_id: str) -> str:
    checks = json.loads(report.read_text())["checks"]
    found = [c for c in checks if c["id"] == check_id]
    assert found, [c["id"] for c in checks]
    return str(found[0]["status"])


def test_a_legacy_dict_abnormal_state_records_and_replays(
    tmp_path: Path, demo_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = legacy_connector(tmp_path, demo_api)
    warning = "integration_tests/abnormal_state.json: legacy state (legacy map {<stream>: {<cursor>: <value>}})"

    proc = run_replaykit(["record", "--config", "secrets/config.json"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"warning: {warning} converted to 1 per-stream STREAM state message(s) (streams: events)" in proc.stdout
    assert "warning: legacy layout: root 'tests:' migrated to 'acceptance_tests:'" in proc.stdout  # keys too
    index = json.loads((connector / "cassettes" / "index.json").read_text())
    abnormal = next(i for i in index["invocations"] if i["id"] == "incremental-0-abnormal_state")
    assert abnormal["state"] == CONVERTED  # the CDK got the state: the read from the far future emits nothing
    assert abnormal["outputs"]["records"] == {}
    assert json.loads((connector / "integration_tests" / "abnormal_state.json").read_text()) == LEGACY  # untouched

    proc = run_replaykit(["replay", "--json", "report.json"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"warning: {warning}" in proc.stdout
    assert check_status(connector / "report.json", ABNORMAL_CHECK) == "passed"

    monkeypatch.chdir(connector)  # `plan` runs no connector: in-process, as the user types it
    assert main(["plan"], out=(out := io.StringIO())) == 0, out.getvalue()
    assert f"warning: {warning}" in out.getvalue()
    assert '    stream events: {"created": "2099-01-01T00:00:00Z"}' in out.getvalue()
    assert "`replaykit plan --write` rewrites the file in the current shape" in out.getvalue()

    assert main(["plan", "--write"], out=(out := io.StringIO())) == 0, out.getvalue()
    assert "rewrote integration_tests/abnormal_state.json in the current shape (1 STREAM message(s))" in out.getvalue()
    assert json.loads((connector / "integration_tests" / "abnormal_state.json").read_text()) == CONVERTED
    assert not [p.name for p in (connector / "integration_tests").iterdir() if p.name.endswith(".tmp")]
    assert main(["plan"], out=(out := io.StringIO())) == 0, out.getvalue()
    assert "legacy state" not in out.getvalue()  # now in the shape the recorded input has
