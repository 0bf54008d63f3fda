"""Volatile record fields: values a connector stamps per run (``updated_at = now()``), masked in expected records.

The setting ``volatile_record_fields`` of ``[tool.replaykit]`` is a list of field paths for every stream, or a
table of stream name -> paths (``"*"`` for every stream). A path is ``/``-separated from the record's data,
``*`` matching any key, as CAT's ``ignored_fields``: ``updated_at``, ``meta/synced_at``, ``*/etag``.

A masked field is left out of ``expected_records.jsonl`` (so re-recording unchanged data gives the same bytes)
and out of every comparison with that file, as CAT's ``ignored_fields`` would be. Removing it, rather than
writing a placeholder, keeps CAT's own verdict on the file: CAT matches expected records by primary key, and
its legacy ``extra_fields`` comparison trims actual records to the fields expected. The index digests still
hold the whole records, so replay detects a change of a masked field.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from replaykit import json_paths
from replaykit.errors import ConfigError

SETTING = "volatile_record_fields"
ALL_STREAMS = "*"
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class VolatileRecordFields:
    """(stream or ``"*"``, path) pairs, in the order they were given."""

    entries: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def for_stream(self, stream: str) -> tuple[str, ...]:
        """The paths masked in ``stream`` (those for every stream included)."""
        return tuple(dict.fromkeys(p for s, p in self.entries if s in (stream, ALL_STREAMS)))

    def mask(self, stream: str, data: Any) -> Any:
        """``data`` without the stream's masked fields (the same object when nothing is masked)."""
        paths = self.for_stream(stream)
        return json_paths.delete(data, paths) if paths else data

    def with_fields(self, found: Mapping[str, Iterable[str]]) -> VolatileRecordFields:
        """These entries plus ``found`` (stream -> paths) not already masked."""
        entries = list(self.entries)
        for stream in sorted(found):
            entries.extend((stream, p) for p in sorted(found[stream]) if p not in self.for_stream(stream))
        streams = list(dict.fromkeys(s for s, _ in entries))  # grouped by stream, as the setting line writes them
        return VolatileRecordFields(tuple(e for s in streams for e in entries if e[0] == s))

    def setting_line(self) -> str:
        """The TOML line to put under ``[tool.replaykit]``: a list when every path is for every stream, else an
        inline table."""
        streams = list(dict.fromkeys(s for s, _ in self.entries))
        if streams == [ALL_STREAMS]:
            return f"{SETTING} = {_toml_list(self.for_stream(ALL_STREAMS))}"
        items = [f"{_toml_key(s)} = {_toml_list([p for t, p in self.entries if t == s])}" for s in streams]
        return f"{SETTING} = {{ {', '.join(items)} }}"

    def check_primary_keys(self, keys: Mapping[str, list[list[str]]]) -> None:
        """A masked path that covers a stream's primary key is an error: CAT matches expected records by it."""
        for stream, paths in keys.items():
            for masked in self.for_stream(stream):
                parts = masked.split("/")
                for key in paths:
                    if len(parts) <= len(key) and all(
                        fnmatch.fnmatchcase(k, p) for k, p in zip(key[: len(parts)], parts, strict=True)
                    ):
                        raise ConfigError(
                            f"[tool.replaykit] {SETTING} masks {masked!r} in stream {stream}, which holds its "
                            f"primary key {'.'.join(key)}; expected records without it cannot be matched",
                            hint=f"Remove {masked!r} from {SETTING} (or name the volatile fields inside it).",
                        )


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def _paths(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{where} must be a list of field paths (strings)",
            hint=f'e.g. {SETTING} = ["updated_at"] or {SETTING} = {{ users = ["meta/synced_at"] }}.',
        )
    for path in value:
        parts = path.strip("/").split("/")
        if not path.strip("/") or any(not part for part in parts):
            raise ConfigError(
                f"{where}: {path!r} is not a field path",
                hint='Write /-separated keys from the record\'s data, e.g. "updated_at" or "meta/synced_at".',
            )
    return [p.strip("/") for p in value]


def parse_volatile_record_fields(value: Any, where: str) -> VolatileRecordFields:
    """The setting's value (a list: every stream; a table: stream -> list) checked; errors name ``where``."""
    label = f"{where}: [tool.replaykit] {SETTING}"
    if isinstance(value, list):
        return VolatileRecordFields(tuple((ALL_STREAMS, p) for p in _paths(value, label)))
    if isinstance(value, dict):
        entries: list[tuple[str, str]] = []
        for stream, paths in value.items():
            entries.extend((str(stream), p) for p in _paths(paths, f"{label}.{_toml_key(str(stream))}"))
        return VolatileRecordFields(tuple(entries))
    raise ConfigError(
        f"{label} must be a list or a table, got {type(value).__name__}",
        hint=f'e.g. {SETTING} = ["updated_at"] (every stream) or {SETTING} = {{ users = ["updated_at"] }}.',
    )
