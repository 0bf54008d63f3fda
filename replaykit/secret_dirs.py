"""Where ``replaykit scan`` finds the known secrets of the files it scans.

pre-commit runs the hook from the repository root with paths such as
``airbyte-integrations/connectors/source-foo/cassettes/read.yaml``; the known secrets of that file live in
``source-foo/secrets/*.json``. So each file's known secrets come from the nearest directory above it that holds
a ``secrets/`` directory (stopping at the repository root), plus the current directory's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def connector_dir_of(path: Path, marker: str = "secrets") -> Path | None:
    """The nearest directory above ``path`` holding ``marker`` (a ``secrets/`` directory, or a file such as
    ``acceptance-test-config.yml``), not above the repository root."""
    for parent in path.resolve().parents:
        if (parent / marker).exists():
            return parent
        if (parent / ".git").exists():
            return None
    return None


def secrets_dirs(files: Iterable[Path], cwd: Path) -> list[Path]:
    """The directories whose ``secrets/*.json`` hold the known secrets for ``files`` (cwd first)."""
    found = [cwd.resolve()]
    for file in files:
        directory = connector_dir_of(file)
        if directory is not None and directory not in found:
            found.append(directory)
    return found
