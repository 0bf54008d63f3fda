"""The README's main command: the committed demo cassettes replay offline in the repository root."""

from __future__ import annotations

from conftest import ROOT, all_text, run_replaykit
from demo_api import DEFAULT_KEY


def test_committed_demo_replays_offline_from_the_repository_root() -> None:
    proc = run_replaykit(["replay"], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "replay passed: 11 invocation(s)" in proc.stdout


def test_committed_cassettes_hold_no_demo_key() -> None:
    text = all_text(ROOT / "cassettes")
    assert DEFAULT_KEY not in text
    assert "**REDACTED:api_key**" in text
