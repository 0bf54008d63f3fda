"""``replaykit scan`` (the base of the pre-commit hook): known secrets and unscrubbed credential headers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import ROOT, run_replaykit

CASSETTE = ROOT / "cassettes" / "source-demo" / "basic_read-0.yaml"


def test_clean_committed_cassettes_pass() -> None:
    proc = run_replaykit(["scan", *map(str, sorted((ROOT / "cassettes").rglob("*.yaml")))], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_planted_secret_and_header_are_found_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "config.json").write_text(json.dumps({"api_key": "planted-key-8c1f"}))
    leaky = tmp_path / "leaky.yaml"
    text = CASSETTE.read_text()
    text = text.replace("Bearer **REDACTED:api_key**", "Bearer unknown-token-1234", 1)
    text = text.replace("**REDACTED:api_key**", "planted-key-8c1f", 1)
    leaky.write_text(text)
    proc = run_replaykit(["scan", str(leaky)], cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith(f"{leaky}:") and "known-secret" in line for line in lines)
    assert any("credential-header" in line and "Authorization" in line for line in lines)
    assert "planted-key-8c1f" not in proc.stdout + proc.stderr
    assert "unknown-token-1234" not in proc.stdout + proc.stderr
    shutil.copy(CASSETTE, leaky)
    assert run_replaykit(["scan", str(leaky)], cwd=tmp_path).returncode == 0


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_replaykit(["scan", "nope.yaml"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope.yaml" in proc.stderr


GITHUB = "gh" + "p_" + "Zq8XwV2nR5tY7uI1oP3aS4dF6gH9jK0lM2xC"


def leaky_copy(tmp_path: Path) -> Path:
    leaky = tmp_path / "cassettes" / "leaky.yaml"
    leaky.parent.mkdir(parents=True)
    leaky.write_text(CASSETTE.read_text().replace('"name": "user3"', f'"name": "{GITHUB}"', 1))
    assert GITHUB in leaky.read_text()
    return leaky


def test_fix_scrubs_in_place_and_the_cassette_still_loads(tmp_path: Path) -> None:
    leaky = leaky_copy(tmp_path)
    proc = run_replaykit(["scan", "--fix", str(leaky)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"fixed {leaky}: 1 value(s)" in proc.stdout
    assert GITHUB not in leaky.read_text()
    assert "**REDACTED:github_token**" in leaky.read_text()
    from replaykit._vcr import load_cassette

    assert len(load_cassette(leaky).interactions) == len(load_cassette(CASSETTE).interactions)
    assert run_replaykit(["scan", str(leaky)], cwd=tmp_path).returncode == 0


def test_baseline_accepts_known_false_positives_only(tmp_path: Path) -> None:
    leaky = leaky_copy(tmp_path)
    assert run_replaykit(["scan", str(leaky)], cwd=tmp_path).returncode == 1
    written = run_replaykit(["scan", "--write-baseline", str(leaky)], cwd=tmp_path)
    assert written.returncode == 0
    baseline = (tmp_path / ".replaykit-scan-baseline.json").read_text()
    assert GITHUB not in baseline
    assert run_replaykit(["scan", str(leaky)], cwd=tmp_path).returncode == 0
    other = "gh" + "p_" + "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2"
    leaky.write_text(leaky.read_text().replace('"name": "user4"', f'"name": "{other}"', 1))
    proc = run_replaykit(["scan", str(leaky)], cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.count("GitHub Token") == 1
