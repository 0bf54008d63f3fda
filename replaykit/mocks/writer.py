"""Writes the generated files without ever overwriting one the user edited.

``<out>/.replaykit-mocks.json`` holds the sha256 of every file as replaykit last wrote it.  A file whose
content is neither that nor the new content was edited (or is the user's own): it is kept, and the new
version is written beside it as ``<name>.new``, unless ``force``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from replaykit.errors import CassetteCorruptError
from replaykit.files import dump_json, write_atomic

MANIFEST_FILE = ".replaykit-mocks.json"


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    status: str  # created | updated | unchanged | kept | replaced
    beside: Path | None = None  # where the new version went when the user's file was kept


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _load(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data["files"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CassetteCorruptError(
            f"{path} is not a replaykit export manifest: {exc}",
            path=str(path),
            hint="Restore it from git, or delete it and run `replaykit export-mocks --force`.",
        ) from exc


def write_files(out: Path, files: dict[str, str], *, force: bool) -> list[FileOutcome]:
    manifest_path = out / MANIFEST_FILE
    known = _load(manifest_path)
    recorded = dict(known)
    outcomes: list[FileOutcome] = []
    for relative in sorted(files):
        text = files[relative]
        target = out / relative
        beside = target.with_name(target.name + ".new")
        new_hash = _sha(text)
        if not target.exists():
            status = "created"
        else:
            current = _sha(target.read_text(encoding="utf-8", errors="replace"))
            if current == new_hash:
                status = "unchanged"
            elif current == known.get(relative):
                status = "updated"
            elif force:
                status = "replaced"
            else:
                write_atomic(beside, text)
                outcomes.append(FileOutcome(target, "kept", beside))
                continue
        if status != "unchanged":
            write_atomic(target, text)
        if beside.exists():
            beside.unlink()
        recorded[relative] = new_hash
        outcomes.append(FileOutcome(target, status))
    write_atomic(manifest_path, dump_json({"format": 1, "files": dict(sorted(recorded.items()))}))
    return outcomes
