"""The command line: help texts, usage errors (exit 2) and messages that name the problem."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from conftest import ROOT, run_replaykit
from replaykit.cli import main


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ([], "record"),
        (["record"], "--config"),
        (["replay"], "network blocked"),
        (["scan"], "secrets"),
    ],
)
def test_help_describes_each_command(command: list[str], expected: str) -> None:
    assert main([*command, "--help"]) == 0
    proc = run_replaykit([*command, "--help"], cwd=ROOT)
    assert proc.returncode == 0
    assert expected in proc.stdout
    assert "usage: replaykit" in proc.stdout


def test_unknown_flag_exits_2_naming_it() -> None:
    assert main(["record", "--frobnicate"], err=io.StringIO()) == 2
    proc = run_replaykit(["replay", "--frobnicate"], cwd=ROOT)
    assert proc.returncode == 2
    assert "--frobnicate" in proc.stderr


def test_missing_config_file_exits_2_naming_the_file(tmp_path: Path) -> None:
    connector = tmp_path / "source-x"
    connector.mkdir()
    (connector / "manifest.yaml").write_text("version: 7.0.0\n", encoding="utf-8")
    proc = run_replaykit(["record", "--config", "secrets/nope.json"], cwd=connector)
    assert proc.returncode == 2
    assert "nope.json does not exist" in proc.stderr
    assert "Hint:" in proc.stderr
    assert not (connector / "cassettes").exists()


def test_unknown_settings_key_suggests_the_valid_one(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.replaykit]\ncasette_dir = "x"\n', encoding="utf-8")
    proc = run_replaykit(["replay"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown key 'casette_dir'" in proc.stderr
    assert "did you mean 'cassette_dir'?" in proc.stderr


def test_replay_before_any_recording_says_so(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text("version: 7.0.0\n", encoding="utf-8")
    proc = run_replaykit(["replay"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "nothing recorded yet" in proc.stderr
    assert "replaykit record --config secrets/config.json" in proc.stderr


def test_no_connector_in_directory(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "config.json").write_text("{}", encoding="utf-8")
    proc = run_replaykit(["record"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "no connector found" in proc.stderr
    assert "--connector-command" in proc.stderr


def test_plan_lists_invocations_and_what_is_recorded() -> None:
    proc = run_replaykit(["plan"], cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["spec-0", "spec", "recorded"]
    assert any(line.startswith("basic_read-0-bad_catalog") and "expect error" in line for line in lines)
    planned = [line for line in lines if line.split()[2:3] == ["recorded"]]
    assert f"{len(planned)} planned invocation(s), {len(planned)} recorded" in proc.stdout  # all recorded


def test_plan_rejects_an_invalid_config_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text("version: 7.0.0\n", encoding="utf-8")
    (tmp_path / "acceptance-test-config.yml").write_text(
        "acceptance_tests:\n  basic_read:\n    tests:\n      - config_path: secrets/config.json\n"
        "        validate_shema: false\n",
        encoding="utf-8",
    )
    proc = run_replaykit(["plan"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "acceptance_tests.basic_read.tests[0].validate_shema: unknown key 'validate_shema'" in proc.stderr
    assert "Did you mean 'validate_schema'?" in proc.stderr


def test_plan_reports_high_strictness_violations_with_exit_1(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text("version: 7.0.0\n", encoding="utf-8")
    (tmp_path / "acceptance-test-config.yml").write_text(
        "test_strictness_level: high\nacceptance_tests:\n  spec:\n    bypass_reason: legacy\n", encoding="utf-8"
    )
    proc = run_replaykit(["plan"], cwd=tmp_path)
    assert proc.returncode == 1
    assert (
        "strictness: TestConnection failed: it was not configured but must be according to the current high "
        "test strictness level."
    ) in proc.stdout


def test_an_internal_error_exits_3_and_shows_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "manifest.yaml").write_text("version: 7.0.0\n", encoding="utf-8")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "config.json").write_text('{"api_key": "very-secret-key-42"}', encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unexpected: the request to https://api/x?api_key=very-secret-key-42 broke")

    monkeypatch.setattr("replaykit.recorder.record", broken)
    err = io.StringIO()
    assert main(["record"], out=io.StringIO(), err=err) == 3
    assert "internal error in replaykit" in err.getvalue()
    assert "api_key=**REDACTED:api_key**" in err.getvalue()
    assert "very-secret-key-42" not in err.getvalue()
