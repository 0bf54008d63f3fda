"""Primary keys of records, from a configured catalog.

Two rules, each for its use:

- :func:`configured_primary_keys` (``primary_key`` of the configured stream, else the stream's
  ``source_defined_primary_key``): what replaykit sorts expected records by, pairs changed records by in diffs,
  and compares whole records by in strict mode.  A key part given as a bare string is a one-part path.
- :func:`source_defined_primary_keys` (``source_defined_primary_key`` only): CAT's rule for its checks of
  primary-key values (``_validate_primary_keys_data_type``, the expected-records comparison).
- :func:`configured_only_primary_keys` (the configured ``primary_key`` only): CAT's legacy full-refresh
  comparison of two reads.
"""

from __future__ import annotations

import json
from typing import Any

from replaykit import json_paths

PkPaths = list[list[str]]


def _paths(pk: Any) -> PkPaths:
    return [list(path) if isinstance(path, list) else [path] for path in pk or []]


def configured_primary_keys(catalog: dict[str, Any] | None) -> dict[str, PkPaths]:
    """Primary-key paths per stream name of a configured catalog (configured ``primary_key`` first)."""
    streams = (catalog or {}).get("streams", [])
    return {str((c.get("stream") or {}).get("name")): configured_stream_key(c) for c in streams}


def configured_stream_key(configured: dict[str, Any]) -> PkPaths:
    """The primary-key paths of one configured stream, by :func:`configured_primary_keys`'s rule."""
    stream = configured.get("stream") or {}
    return _paths(configured.get("primary_key") or stream.get("source_defined_primary_key"))


def configured_only_primary_keys(catalog: dict[str, Any] | None) -> dict[str, PkPaths]:
    """CAT's legacy full-refresh rule: per stream name, the configured ``primary_key`` only (streams without one
    are left out)."""
    return {
        str(c.get("stream", {}).get("name")): _paths(c["primary_key"])
        for c in (catalog or {}).get("streams", [])
        if c.get("primary_key")
    }


def source_defined_primary_keys(configured: dict[str, Any]) -> PkPaths:
    """CAT's rule: the stream's ``source_defined_primary_key`` paths."""
    return _paths((configured.get("stream") or {}).get("source_defined_primary_key"))


def pk_values(data: Any, paths: PkPaths) -> list[Any]:
    """The value at each primary-key path of a record's data (None where a path is missing)."""
    return [json_paths.get(data, path) for path in paths]


def pk_tuple(data: Any, paths: PkPaths) -> tuple[Any, ...] | None:
    """The primary key as a tuple, None when any part is missing (records without one sort after the others)."""
    values = pk_values(data, paths)
    return None if any(v is None for v in values) else tuple(values)


def pk_text(data: Any, paths: PkPaths) -> str | None:
    """The primary key as compact JSON text for messages (None without a key or when every part is missing)."""
    if not paths:
        return None
    values = pk_values(data, paths)
    if all(v is None for v in values):
        return None
    return json.dumps(values[0] if len(values) == 1 else values, sort_keys=True)
