"""A digest of the connector's own files, stored in the invocation index when recording or updating.

It tells replay whether the connector changed since its outputs were recorded: outputs that differ while
the fingerprint is the same come from a non-deterministic connector, not from an edit (``--update`` would
only move the difference). Cassettes, secrets, test inputs, caches and virtual environments are left out;
the installed airbyte-cdk version is in.
"""

from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path

FINGERPRINT_KEY = "fingerprint"
_SKIPPED_DIRS = frozenset(
    {"secrets", "integration_tests", "unit_tests", "tests", "cassettes", "node_modules", "build", "dist", "venv"}
)
_SKIPPED_FILES = frozenset({"acceptance-test-config.yml", "acceptance-test-config.yaml"})
_MAX_BYTES = 5_000_000  # larger files (data dumps) are not code


def connector_fingerprint(connector_dir: Path, cassette_dir: Path | None = None) -> str:
    """sha256 over the relative paths and contents of the connector's files (code, manifest, metadata)."""
    root = connector_dir.resolve()
    skip = cassette_dir.resolve() if cassette_dir is not None else None
    digest = hashlib.sha256()
    for package in ("airbyte-cdk",):  # an upgrade of the CDK changes outputs as an edit does
        try:
            digest.update(f"{package}=={metadata.version(package)}\n".encode())
        except metadata.PackageNotFoundError:
            pass
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIPPED_DIRS
            and d != "__pycache__"
            and not d.endswith(".egg-info")
            and (skip is None or here / d != skip)
        )
        for name in sorted(files):
            path = here / name
            if name in _SKIPPED_FILES or name.startswith(".") or name.endswith((".pyc", ".log")):
                continue
            try:
                if path.stat().st_size > _MAX_BYTES:
                    continue
                content = path.read_bytes()
            except OSError:
                continue
            digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()
