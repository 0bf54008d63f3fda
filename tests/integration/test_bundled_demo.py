"""The README's main command: the committed demo cassettes replay offline in the repository root."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import ROOT, all_text, run_replaykit
from demo_api import DEFAULT_KEY


def test_committed_demo_replays_offline_from_the_repository_root() -> None:
    proc = run_replaykit(["replay"], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    recorded = json.loads((ROOT / "cassettes" / "source-demo" / "index.json").read_text())["invocations"]
    assert f"replay passed: {len(recorded)} invocation(s)" in proc.stdout  # every recorded invocation
    # The demo's config is at test_strictness_level: high; every suite passes on replay.
    table = proc.stdout[proc.stdout.index("acceptance checks:") :].splitlines()
    for suite in ("spec", "connection", "discovery", "basic_read", "full_refresh", "incremental"):
        row = next(line for line in table if line.strip().startswith(suite))
        passed, failed, _ = (int(n) for n in row.split()[1:4])
        assert passed > 0
        assert failed == 0


def test_committed_demo_passes_in_strict_mode() -> None:
    proc = run_replaykit(["replay", "--strict"], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = proc.stdout[proc.stdout.index("acceptance checks:") :].splitlines()
    row = next(line for line in table if line.strip().startswith("incremental"))
    passed, failed, skipped = (int(n) for n in row.split()[1:4])
    assert passed > 0
    assert failed == skipped == 0  # strict cursor comparisons included, every incremental check passes


def test_a_partial_replay_runs_no_suites() -> None:
    proc = run_replaykit(["replay", "--only", "spec-0"], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "acceptance checks" not in proc.stdout


def test_committed_cassettes_hold_no_demo_key() -> None:
    text = all_text(ROOT / "cassettes")
    assert DEFAULT_KEY not in text
    assert "**REDACTED:api_key**" in text


def _masked(text: str) -> str:
    """A report with what changes run to run masked: durations, the repository's path, the version."""
    text = text.replace(str(ROOT), "<root>")
    text = re.sub(r"\d+\.\ds$", "<s>", text, flags=re.M)  # the duration closing an invocation line
    text = re.sub(r'"duration_s": [\d.]+', '"duration_s": 0', text)
    text = re.sub(r'time="[\d.]+"', 'time="0"', text)
    return re.sub(r'"version": "[^"]*"', '"version": "<version>"', text)


def test_committed_demo_reports_are_the_committed_ones(tmp_path: Path) -> None:
    """The text, JSON and JUnit reports of the committed demo's replay, byte for byte (durations masked): the
    report model and its renderers keep every output as it was."""
    json_path, junit_path = tmp_path / "report.json", tmp_path / "junit.xml"
    proc = run_replaykit(["replay", "--json", str(json_path), "--junit-xml", str(junit_path)], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = "".join(line + "\n" for line in proc.stdout.splitlines() if not line.startswith("wrote "))
    golden = ROOT / "tests" / "fixtures" / "demo_reports"
    assert _masked(text) == (golden / "replay.txt").read_text()
    assert _masked(json_path.read_text()) == (golden / "report.json").read_text()
    assert _masked(junit_path.read_text()) == (golden / "junit.xml").read_text()
