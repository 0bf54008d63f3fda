"""One recoverable commit of a whole recording: the cassette directory (cassettes, index, state snapshots) and
the files beside it (expected records), swapped in together.

Everything is staged first (a staging directory next to the cassettes, ``.<name>.staged`` files next to each
other target) and verified there.  Then a journal, ``.<cassette dir>.commit.json`` next to the cassettes, is
written atomically: that is the commit point.  The renames follow (old away to ``.previous``, new in), then the
old copies and the journal are deleted.  Whatever kills the process, :func:`recover` (run by every command
before anything else) finds the state consistent again: with a journal it completes the commit (each step is
idempotent), without one it removes the staged leftovers (the previous recording was never touched).

Tests may kill the process at a named point with ``REPLAYKIT_TEST_KILL_AT=<point>`` (test-only fault injection:
points ``live`` (after the first live invocation), ``staged``, ``journal``, ``dir-away`` (between the cassette
directory's two renames), ``dir-in``, ``files`` (between a file's two renames), ``cleanup``), with the signal
named by ``REPLAYKIT_TEST_KILL_SIGNAL`` (``KILL`` by default; ``INT``, ``TERM``).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from replaykit.errors import CassetteError
from replaykit.files import write_atomic

KILL_AT_ENV = "REPLAYKIT_TEST_KILL_AT"
KILL_SIGNAL_ENV = "REPLAYKIT_TEST_KILL_SIGNAL"


def kill_point(name: str) -> None:
    """Test-only fault injection: signal this process here when ``REPLAYKIT_TEST_KILL_AT`` names this point."""
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), getattr(signal, "SIG" + os.environ.get(KILL_SIGNAL_ENV, "KILL")))


def journal_of(cassette_dir: Path) -> Path:
    return cassette_dir.with_name(f".{cassette_dir.name}.commit.json")


def previous_of(path: Path) -> Path:
    return path.with_name(f".{path.name}.previous")


def staged_of(path: Path) -> Path:
    return path.with_name(f".{path.name}.staged")


def staging_prefix(cassette_dir: Path) -> str:
    return f".{cassette_dir.name}.staging-"


@dataclass
class Commit:
    cassette_dir: Path
    staging: Path  # the new cassette directory, complete
    files: list[Path]  # other targets, each with its new content at staged_of(target)

    def to_json(self) -> str:
        return json.dumps(
            {"format": 1, "cassette_dir": str(self.cassette_dir), "staging": str(self.staging),
             "files": [str(f) for f in self.files]},
            indent=2,
        )  # fmt: skip


class DirLock:
    """An ``flock`` on a directory (no lock file to commit by mistake), released by :meth:`release` or when the
    object goes away.  Shared: a replay reading the cassettes.  Exclusive: a commit or a recovery renaming them,
    or a recording holding its staging directory (so that no other command takes it for a leftover)."""

    def __init__(self, directory: Path, *, exclusive: bool, wait: bool = True) -> None:
        self._fd: int | None = os.open(directory, os.O_RDONLY)
        flags = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(self._fd, flags)
        except OSError:
            self.release()
            raise

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DirLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def read_lock(cassette_dir: Path) -> DirLock | None:
    """Held by a replay while it reads the recording: a recording that finishes meanwhile waits to swap in."""
    return DirLock(cassette_dir.parent, exclusive=False) if cassette_dir.parent.is_dir() else None


def _in_use(directory: Path) -> bool:
    try:
        DirLock(directory, exclusive=True, wait=False).release()
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


@contextmanager
def _signals_held(*, swallow: bool = False) -> Iterator[None]:
    """SIGINT / SIGTERM wait until the renames are done (a kill -9 is what :func:`recover` is for).  With
    ``swallow``, one that arrived meanwhile is dropped: it came after the point of no return, so the command
    finishes (and says what it wrote) instead of reporting an interruption that replaced nothing."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        if swallow:
            for _ in range(4):
                pending = signal.sigpending() & held
                if not pending:
                    break
                signal.sigtimedwait(pending, 0)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def _move_in(new: Path, target: Path) -> None:
    """Put ``new`` in place of ``target`` keeping the old one at its ``.previous``; idempotent."""
    if not new.exists():
        return  # done already
    backup = previous_of(target)
    if target.exists() and not backup.exists():
        os.replace(target, backup)
    elif target.exists():
        _remove(target)  # a backup from this commit exists: target is a half-finished earlier attempt
    kill_point("dir-away" if target.is_dir() or new.is_dir() else "files")
    os.replace(new, target)


def apply(commit: Commit) -> None:
    """Swap the staged recording in: journal, renames, clean-up; SIGINT / SIGTERM during it are too late to stop
    it and are dropped."""
    with _signals_held(swallow=True), DirLock(commit.cassette_dir.parent, exclusive=True):
        write_atomic(journal_of(commit.cassette_dir), commit.to_json())
        kill_point("journal")
        _finish(commit)


def _finish(commit: Commit) -> None:
    _move_in(commit.staging, commit.cassette_dir)
    kill_point("dir-in")
    for target in commit.files:
        _move_in(staged_of(target), target)
    kill_point("cleanup")
    for path in [commit.cassette_dir, *commit.files]:
        _remove(previous_of(path))
    journal_of(commit.cassette_dir).unlink(missing_ok=True)


def recover(cassette_dir: Path, files: Sequence[Path] = ()) -> list[str]:
    """Make the recording consistent after a killed command; returns what was done, one sentence each.

    With a journal: the commit is completed.  Without one: staged leftovers are removed, and a cassette
    directory left at its ``.previous`` name alone (by an older replaykit) is put back."""
    if not cassette_dir.parent.is_dir():
        return []
    with DirLock(cassette_dir.parent, exclusive=True):  # waits for a commit under way, and for replays reading
        return _recover(cassette_dir, files)


def _recover(cassette_dir: Path, files: Sequence[Path]) -> list[str]:
    notes: list[str] = []
    journal = journal_of(cassette_dir)
    if journal.is_file():
        try:
            data = json.loads(journal.read_text(encoding="utf-8"))
            commit = Commit(Path(data["cassette_dir"]), Path(data["staging"]), [Path(f) for f in data["files"]])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CassetteError(
                f"the commit journal {journal} of an interrupted recording cannot be read: {exc}",
                path=str(journal),
                hint=f"Check {cassette_dir} and its .previous copy by hand, delete {journal.name}, and record again.",
            ) from exc
        with _signals_held():
            _finish(commit)
        notes.append(f"completed the commit of an interrupted recording into {cassette_dir}")
        return notes
    stagings = [*cassette_dir.parent.glob(staging_prefix(cassette_dir) + "*")]
    if any(_in_use(s) for s in stagings if s.is_dir()):
        return notes  # a recording is running: its staging is not a leftover
    leftovers = stagings + [staged_of(f) for f in files if staged_of(f).exists()]
    for leftover in leftovers:
        _remove(leftover)
    if leftovers:
        notes.append(
            f"removed what an interrupted recording left next to {cassette_dir} (the previous recording was intact)"
        )
    backup = previous_of(cassette_dir)
    if backup.is_dir() and not cassette_dir.exists():
        os.replace(backup, cassette_dir)
        notes.append(f"restored the previous recording into {cassette_dir} (a swap had been interrupted)")
    elif backup.is_dir():
        _remove(backup)
    return notes
