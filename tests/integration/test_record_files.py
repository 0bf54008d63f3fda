"""What `replaykit record` does to files when inputs are bad or the process is killed: bad inputs stop it before
anything live with exit 2 naming the path; a kill leaves the previous recording, or the next command completes the
new one and says so; SIGTERM is Ctrl-C; what is written keeps the user's umask and no temp folder stays."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import demo_copy, make_connector, run_replaykit


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _cassettes_file(c: Path) -> str:
    (c / "cassettes").write_text("not a directory")
    return str(c / "cassettes")


def _previous_file(c: Path) -> str:
    (c / ".cassettes.previous").write_text("a leftover file")
    return str(c / ".cassettes.previous")


def _truncated_expected(c: Path) -> str:
    (c / "integration_tests" / "expected_records.jsonl").write_text('{"stream": "events", "data": {"id": 1}}\n{"str')
    return str(c / "integration_tests" / "expected_records.jsonl")


@pytest.mark.parametrize("bad", [_cassettes_file, _previous_file, _truncated_expected])
def test_a_bad_target_stops_record_before_anything_live(
    tmp_path: Path, demo_api: object, bad: Callable[[Path], str]
) -> None:
    connector = make_connector(tmp_path / "c", demo_api, suites=("spec", "basic_read"))  # type: ignore[arg-type]
    named = bad(connector)
    before = snapshot(connector)
    proc = run_replaykit(["record"], cwd=connector)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert named in proc.stderr
    assert "Hint:" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "rec " not in proc.stdout  # no invocation ran
    assert snapshot(connector) == before


def test_a_killed_swap_is_completed_by_the_next_command_which_says_so(tmp_path: Path, demo_api: object) -> None:
    connector = make_connector(tmp_path / "c", demo_api, suites=("spec",))  # type: ignore[arg-type]
    assert run_replaykit(["record"], cwd=connector).returncode == 0
    killed = run_replaykit(["record"], cwd=connector, env={"REPLAYKIT_TEST_KILL_AT": "dir-away"})
    assert killed.returncode == -9
    assert not (connector / "cassettes").exists()  # killed between the two renames
    replayed = run_replaykit(["replay"], cwd=connector)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "note: completed the commit of an interrupted recording" in replayed.stderr
    assert sorted(p.name for p in connector.iterdir() if p.name.startswith(".cassettes")) == []


def test_sigterm_during_the_live_run_is_an_interrupt_that_leaves_nothing(tmp_path: Path, demo_api: object) -> None:
    connector = make_connector(tmp_path / "c", demo_api, suites=("spec",))  # type: ignore[arg-type]
    assert run_replaykit(["record"], cwd=connector).returncode == 0
    before = snapshot(connector)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"REPLAYKIT_TEST_KILL_AT": "live", "REPLAYKIT_TEST_KILL_SIGNAL": "TERM", "TMPDIR": str(scratch)}
    proc = run_replaykit(["record"], cwd=connector, env=env)
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert "interrupted" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(connector) == before
    assert list(scratch.iterdir()) == []  # the temp input folders are gone


def test_recorded_files_keep_the_umask(tmp_path: Path, demo_api: object) -> None:
    connector = make_connector(tmp_path / "c", demo_api, suites=("spec", "basic_read"))  # type: ignore[arg-type]
    previous = os.umask(0o022)
    try:
        proc = run_replaykit(["record"], cwd=connector)
    finally:
        os.umask(previous)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (connector / "cassettes").stat().st_mode & 0o777 == 0o755
    assert (connector / "cassettes" / "index.json").stat().st_mode & 0o777 == 0o644
    assert (connector / "integration_tests" / "expected_records.jsonl").stat().st_mode & 0o777 == 0o644


def test_replay_names_the_line_of_expected_records_that_is_not_a_record(tmp_path: Path) -> None:
    """Valid JSON that is not an AirbyteRecordMessage is a usage error naming file:line, not a check failure."""
    root = demo_copy(tmp_path)
    expected = root / "tools" / "demo" / "source-demo" / "integration_tests" / "expected_records.jsonl"
    lines = expected.read_text().splitlines(keepends=True)
    lines[4] = '{"stream": "users", "emitted_at": 0}\n'
    expected.write_text("".join(lines))
    before = snapshot(root)
    for args in (["replay"], ["replay", "--update"], ["replay", "--strict"]):
        proc = run_replaykit(args, cwd=root)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "expected_records.jsonl:5: not a record: it needs a `data` object" in proc.stderr
        assert proc.stderr.rstrip().endswith("regenerate it with `replaykit replay --update`.")
        assert "Traceback" not in proc.stderr
        assert snapshot(root) == before


def test_replay_names_a_truncated_expected_records_file_before_running(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    expected = root / "tools" / "demo" / "source-demo" / "integration_tests" / "expected_records.jsonl"
    expected.write_text(expected.read_text()[:-40])
    before = snapshot(root)
    for args in (["replay"], ["replay", "--update"]):
        proc = run_replaykit(args, cwd=root)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert str(expected) in proc.stderr
        assert f"{expected}:{len(expected.read_text().splitlines())}: not JSON" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert "replaying" not in proc.stdout
        assert snapshot(root) == before
