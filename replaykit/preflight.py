"""Checks of the files a command will read and write, before it starts anything live: a recording must not run
for minutes against the API and then fail on a read-only directory or a corrupt file it was about to replace.

Each problem is a :class:`~replaykit.errors.UsageError` (exit 2) naming the path and the fix."""

from __future__ import annotations

import os
from pathlib import Path

from replaykit import expected_records
from replaykit.commit import previous_of
from replaykit.errors import UsageError
from replaykit.settings import Settings


def _writable_dir(directory: Path, what: str) -> None:
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(
            f"{what} {directory} cannot be created: {existing} is a file",
            hint=f"Move {existing} away, or choose another place (--cassette-dir).",
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(
            f"{what} {existing} is not writable",
            hint=f"Make it writable (chmod u+w {existing}) or choose another place (--cassette-dir).",
        )


def _readable_file(path: Path, what: str) -> str:
    if not os.access(path, os.R_OK):
        raise UsageError(f"{what} {path} is not readable", hint=f"Make it readable (chmod u+r {path}).")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{what} {path} cannot be read: {exc}", hint=f"Restore {path} from git.") from exc


def check_expected_records(path: Path) -> None:
    """An existing expected-records file must be readable, complete records (a bad line is named file:line)."""
    expected_records.validate(path)


def check_record_targets(cassette_dir: Path, others: list[Path]) -> None:
    """Before a live recording: every place it will write can be written, every file it replaces is sound."""
    if cassette_dir.exists() and not cassette_dir.is_dir():
        raise UsageError(
            f"cassette directory {cassette_dir} is a file",
            hint=f"Move {cassette_dir} away, or record elsewhere with --cassette-dir DIR.",
        )
    backup = previous_of(cassette_dir)
    if backup.exists() and not backup.is_dir():
        raise UsageError(
            f"{backup} is a file where replaykit keeps the previous recording during a swap",
            hint=f"Delete it (rm {backup}) and run the command again.",
        )
    _writable_dir(cassette_dir.parent, "directory")
    if cassette_dir.is_dir():
        _writable_dir(cassette_dir, "cassette directory")
        for path in sorted(cassette_dir.rglob("*")):
            if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
                raise UsageError(f"{path} is not writable", hint=f"Make it writable (chmod u+w {path}).")
    for path in others:
        if path.exists() and path.is_dir():
            raise UsageError(f"{path} is a directory where a file is written", hint=f"Move {path} away.")
        _writable_dir(path.parent, "directory")
        check_expected_records(path)


def check_replay_inputs(settings: Settings) -> None:
    """Before a replay: an interrupted recording is completed or undone (the CLI has done it already and said so;
    the pytest plugin has not), then the cassettes, index and state snapshots must be readable files and the
    expected records complete (an unreadable cassette is not "the requests changed", a truncated file is not a
    difference)."""
    from replaykit.commit import recover
    from replaykit.plan import expected_records_path, load_acceptance_config

    cassette_dir = settings.cassette_dir
    expected = expected_records_path(settings.connector_dir, load_acceptance_config(settings.acceptance_test_config))
    recover(cassette_dir, [expected] if expected else [])  # a killed recording: completed or undone first
    if cassette_dir.exists() and not cassette_dir.is_dir():
        raise UsageError(
            f"cassette directory {cassette_dir} is a file", hint=f"Move {cassette_dir} away or pass --cassette-dir."
        )
    for path in sorted([*cassette_dir.glob("*.yaml"), *cassette_dir.glob("*.json"), *cassette_dir.glob("states/*")]):
        if not os.access(path, os.R_OK):
            raise UsageError(f"{path} is not readable", hint=f"Make it readable (chmod u+r {path}).")
    if expected is not None:
        check_expected_records(expected)
