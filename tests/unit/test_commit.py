"""The journaled commit of a recording: killed at any point (SIGKILL, SIGINT, SIGTERM), the next command finds
either the previous recording intact or the new one complete, never a mixture, never nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from replaykit import commit
from replaykit.errors import CassetteError, UsageError
from replaykit.preflight import check_expected_records, check_record_targets

# The script commits a new recording (a cassette directory and an expected-records file) over an old one.
SCRIPT = """
import sys
from pathlib import Path
from replaykit import commit
root = Path(sys.argv[1])
staging = root / ".cassettes.staging-test"
staging.mkdir()
(staging / "index.json").write_text("new")
(staging / "a.yaml").write_text("new")
commit.staged_of(root / "expected.jsonl").write_text("new")
commit.kill_point("staged")
commit.apply(commit.Commit(root / "cassettes", staging, [root / "expected.jsonl"]))
"""
BEFORE_COMMIT = ("staged",)
AFTER_COMMIT = ("journal", "dir-away", "dir-in", "files", "cleanup")


def old_recording(root: Path) -> None:
    (root / "cassettes").mkdir()
    (root / "cassettes" / "index.json").write_text("old")
    (root / "cassettes" / "b.yaml").write_text("old")
    (root / "expected.jsonl").write_text("old")


def state(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


OLD = {"cassettes/b.yaml": "old", "cassettes/index.json": "old", "expected.jsonl": "old"}
NEW = {"cassettes/a.yaml": "new", "cassettes/index.json": "new", "expected.jsonl": "new"}


def killed_commit(root: Path, point: str, signal_name: str) -> int:
    env = {**os.environ, commit.KILL_AT_ENV: point, commit.KILL_SIGNAL_ENV: signal_name}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(root)], env=env, capture_output=True, timeout=60)
    return proc.returncode


@pytest.mark.parametrize("signal_name", ["KILL", "INT", "TERM"])
@pytest.mark.parametrize("point", [*BEFORE_COMMIT, *AFTER_COMMIT])
def test_a_commit_killed_anywhere_is_completed_or_undone_by_the_next_command(
    tmp_path: Path, point: str, signal_name: str
) -> None:
    for run in range(2):
        root = tmp_path / str(run)
        root.mkdir()
        old_recording(root)
        code = killed_commit(root, point, signal_name)
        assert code != 0 or signal_name != "KILL"
        notes = commit.recover(root / "cassettes", [root / "expected.jsonl"])
        assert state(root) == (OLD if point in BEFORE_COMMIT else NEW), (point, signal_name, code)
        # after the commit point SIGINT / SIGTERM wait for the renames: only a SIGKILL leaves work to the next command
        assert (notes != []) == (point in BEFORE_COMMIT or signal_name == "KILL")
        assert sorted(p.name for p in root.iterdir()) == ["cassettes", "expected.jsonl"]
        assert commit.recover(root / "cassettes", [root / "expected.jsonl"]) == []  # nothing left to do


def test_a_signal_during_the_renames_is_too_late_to_stop_the_commit(tmp_path: Path) -> None:
    old_recording(tmp_path)
    assert killed_commit(tmp_path, "dir-away", "TERM") == 0  # the commit finished, the command ends normally
    assert state(tmp_path) == NEW
    assert commit.recover(tmp_path / "cassettes", [tmp_path / "expected.jsonl"]) == []


def test_an_old_style_half_swap_is_rolled_back(tmp_path: Path) -> None:
    (tmp_path / ".cassettes.previous").mkdir()
    (tmp_path / ".cassettes.previous" / "index.json").write_text("old")
    notes = commit.recover(tmp_path / "cassettes")
    assert (tmp_path / "cassettes" / "index.json").read_text() == "old"
    assert notes
    assert "restored the previous recording" in notes[0]


def test_an_unreadable_journal_is_named(tmp_path: Path) -> None:
    commit.journal_of(tmp_path / "cassettes").write_text("{not json")
    with pytest.raises(CassetteError, match=r"\.cassettes\.commit\.json"):
        commit.recover(tmp_path / "cassettes")


def test_preflight_names_a_cassette_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "cassettes").write_text("oops")
    with pytest.raises(UsageError, match="cassettes is a file") as info:
        check_record_targets(tmp_path / "cassettes", [])
    assert "--cassette-dir" in str(info.value)


def test_preflight_names_a_previous_leftover_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / ".cassettes.previous").write_text("oops")
    with pytest.raises(UsageError, match=r"\.cassettes\.previous is a file") as info:
        check_record_targets(tmp_path / "cassettes", [])
    assert "rm " in str(info.value)


def test_preflight_names_a_truncated_expected_records_file(tmp_path: Path) -> None:
    path = tmp_path / "expected_records.jsonl"
    path.write_text('{"stream": "a", "data": {}}\n{"stream": "a", "da')
    with pytest.raises(UsageError, match=r"expected_records.jsonl:1: not a record: it needs `emitted_at`"):
        check_expected_records(path)
    path.write_text('{"stream": "a", "data": {}, "emitted_at": 0}\n{"stream": "a", "da')
    with pytest.raises(UsageError, match=r"expected_records.jsonl:2: not JSON") as info:
        check_expected_records(path)
    assert str(info.value).endswith("regenerate it with `replaykit replay --update`.")


def test_preflight_names_read_only_and_unreadable_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root every file is writable, so os.access is what decides; it is faked here per path."""
    (tmp_path / "cassettes").mkdir()
    expected = tmp_path / "expected_records.jsonl"
    expected.write_text("")
    real_access = os.access

    def fake(denied: Path) -> object:
        return lambda path, mode, **kw: Path(path) != denied and real_access(path, mode, **kw)

    monkeypatch.setattr(os, "access", fake(tmp_path / "cassettes"))
    with pytest.raises(UsageError, match=r"cassette directory .*cassettes is not writable"):
        check_record_targets(tmp_path / "cassettes", [expected])
    monkeypatch.setattr(os, "access", fake(tmp_path))
    with pytest.raises(UsageError, match=f"directory {tmp_path} is not writable"):
        check_record_targets(tmp_path / "cassettes", [expected])
    monkeypatch.setattr(os, "access", fake(expected))
    with pytest.raises(UsageError, match=r"expected records .* is not readable"):
        check_record_targets(tmp_path / "cassettes", [expected])


def test_written_files_and_staging_keep_the_umask(tmp_path: Path) -> None:
    from replaykit.files import new_staging_dir, write_atomic

    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "f.json", "{}")
        staging = new_staging_dir(tmp_path / "cassettes")
    finally:
        os.umask(previous)
    assert (tmp_path / "f.json").stat().st_mode & 0o777 == 0o644
    assert staging.stat().st_mode & 0o777 == 0o755


def test_a_running_recordings_staging_is_not_taken_for_a_leftover(tmp_path: Path) -> None:
    staging = tmp_path / ".cassettes.staging-live"
    staging.mkdir()
    with commit.DirLock(staging, exclusive=True):
        assert commit.recover(tmp_path / "cassettes") == []
        assert staging.is_dir()
    assert commit.recover(tmp_path / "cassettes") != []
    assert not staging.exists()


def test_a_commit_waits_for_a_replay_reading_the_recording(tmp_path: Path) -> None:
    import threading
    import time

    old_recording(tmp_path)
    staging = tmp_path / ".cassettes.staging-x"
    staging.mkdir()
    (staging / "index.json").write_text("new")
    reading = commit.read_lock(tmp_path / "cassettes")
    worker = threading.Thread(target=commit.apply, args=(commit.Commit(tmp_path / "cassettes", staging, []),))
    worker.start()
    time.sleep(0.3)
    assert (tmp_path / "cassettes" / "index.json").read_text() == "old"  # not swapped under the reader
    assert reading is not None
    reading.release()
    worker.join(timeout=10)
    assert (tmp_path / "cassettes" / "index.json").read_text() == "new"


def test_an_unreadable_config_or_index_is_named_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replaykit.invocations import load_index
    from replaykit.recording_session import read_json_file

    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "index.json").write_text("{}")
    real_read_text = Path.read_text

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        if self.parent == tmp_path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises(UsageError, match=r"config\.json cannot be read: Permission denied") as config_error:
        read_json_file(tmp_path / "config.json", "config file")
    assert "chmod u+r" in str(config_error.value)
    with pytest.raises(CassetteError, match=r"index\.json cannot be read: Permission denied"):
        load_index(tmp_path, record_hint="replaykit record")


def test_replay_completes_an_interrupted_commit_even_without_the_cli(tmp_path: Path) -> None:
    """The pytest plugin calls replay() directly: it must not read a half-swapped recording either."""
    from replaykit.preflight import check_replay_inputs
    from replaykit.settings import resolve_settings

    old_recording(tmp_path)
    assert killed_commit(tmp_path, "dir-away", "KILL") != 0
    settings = resolve_settings(tmp_path, {"cassette_dir": str(tmp_path / "cassettes")})
    check_replay_inputs(settings)
    assert (tmp_path / "cassettes" / "index.json").read_text() == "new"
