"""``replay --update``: accept what the connector's code changed, in two steps.

:func:`accept` decides in memory (the invocations' new outputs, the snapshot files to write, the recordings to
prune) and returns a :class:`PendingUpdate`; :meth:`PendingUpdate.write` writes it (every file atomic). The
CLI writes at once; the pytest plugin writes once, at the end of the session that ran the snapshot item.
Between the two, the checks read the expected records the update will write from a staged copy
(:meth:`PendingUpdate.staged`), so they judge the accepted outputs without touching the connector.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from replaykit.files import write_atomic
from replaykit.fingerprint import FINGERPRINT_KEY, connector_fingerprint
from replaykit.invocations import InvocationIndex
from replaykit.settings import Settings
from replaykit.snapshots import STATE_DIR, SnapshotFile

if TYPE_CHECKING:
    from replaykit.replayer import ReplayReport


@dataclass
class PendingUpdate:
    """An accepted replay not yet written: the index, snapshot files to write, files to remove."""

    index: InvocationIndex
    cassette_dir: Path
    writes: dict[Path, str] = field(default_factory=dict)
    removals: list[Path] = field(default_factory=list)
    expected_records: Path | None = None  # the one snapshot the checks read
    written: bool = False

    def write(self) -> list[Path]:
        """Write it (once): the index, then the snapshot files, then the removals; the paths changed."""
        if self.written:
            return []
        self.index.save(self.cassette_dir)
        for path, content in self.writes.items():
            write_atomic(path, content)
        for path in self.removals:
            path.unlink(missing_ok=True)
        self.written = True
        return [self.cassette_dir / "index.json", *self.writes, *self.removals]

    @contextmanager
    def staged(self) -> Iterator[dict[Path, Path]]:
        """Where the checks read the files this update writes, until it is written: ``{final: staged copy}``."""
        path = self.expected_records
        if self.written or path is None or path not in self.writes:
            yield {}
            return
        with tempfile.TemporaryDirectory(prefix="replaykit-update-") as tmp:
            staged = Path(tmp) / path.name
            staged.write_text(self.writes[path], encoding="utf-8")
            yield {path: staged}


def accept(
    index: InvocationIndex, report: ReplayReport, desired: list[SnapshotFile], settings: Settings
) -> PendingUpdate:
    """Accept the replay in memory: index outputs refreshed, snapshots to write, unused recordings to prune."""
    for result in report.results:
        if result.run is not None and result.differences:
            result.invocation.outputs = result.run.output.summary()
            result.invocation.exit_code = result.run.exit_code
            result.updated = True
    unused = set(report.unused_invocations)
    cassettes = {i.id: i.cassette for i in index.invocations}
    index.connector[FINGERPRINT_KEY] = connector_fingerprint(settings.connector_dir, settings.cassette_dir)
    index.invocations = [i for i in index.invocations if i.id not in unused]
    contents = {s.path: s.content for s in desired}
    pending = PendingUpdate(index, settings.cassette_dir)
    pending.expected_records = next((s.path for s in desired if s.kind == "expected_records"), None)
    for change in report.snapshots:
        if change.status in ("updated", "created"):
            pending.writes[change.path] = contents[change.path]
        elif change.status == "unused":
            pending.removals.append(change.path)
    for invocation_id in sorted(unused):
        pending.removals.append(settings.cassette_dir / cassettes[invocation_id])
        pending.removals.append(settings.cassette_dir / STATE_DIR / f"{invocation_id}.json")
    report.updated = True
    return pending
