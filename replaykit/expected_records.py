"""The expected-records file (CAT's ``expect_records.path``: JSON lines of ``AirbyteRecordMessage``): read and
validated, rendered byte-stable, and diffed against a new rendering.

One rule wherever the file is read (replay, record, the checks, the pytest plugin): every non-blank line is a
JSON object with a string ``stream``, a ``data`` object and ``emitted_at`` (CAT's ``AirbyteRecordMessage``); any
other line is an :class:`~replaykit.errors.ExpectedRecordsError` (exit 2) naming ``file:line``, never a check
failure or an internal error.

Rendering orders records by stream, then primary key (:func:`~replaykit.primary_keys.configured_primary_keys`),
else canonical JSON; keys sorted, one record per line, one trailing newline: the same recording gives the same
bytes whatever order the CDK's threads emitted the records in.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from replaykit.diff_text import Scrub
from replaykit.errors import ExpectedRecordsError
from replaykit.files import canonical_json
from replaykit.primary_keys import PkPaths, configured_primary_keys, pk_tuple
from replaykit.record_diff import diff_stream
from replaykit.volatile import VolatileRecordFields

# emitted_at is the instant of a recording, not data: expected_records.jsonl holds 0 so that re-recording the
# same data gives the same bytes (CAT never compares it; replay compares real emitted_at through the index).
EXPECTED_EMITTED_AT = 0


def _hint(path: Path | str) -> str:
    return f"Fix the line, or delete {path} and regenerate it with `replaykit replay --update`."


def _parse(line: bytes | str, where: str, number: int) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ExpectedRecordsError(
            f"expected records {where}:{number}: not JSON (truncated or hand-edited): {exc}", hint=_hint(where)
        ) from None
    if not isinstance(record, dict) or not isinstance(record.get("stream"), str):
        problem = "not a record: it needs a string `stream`"
    elif not isinstance(record.get("data"), dict):
        problem = "not a record: it needs a `data` object"
    elif "emitted_at" not in record:
        problem = "not a record: it needs `emitted_at`"
    else:
        return record
    raise ExpectedRecordsError(f"expected records {where}:{number}: {problem}", hint=_hint(where))


def read(path: Path) -> Iterator[dict[str, Any]]:
    """The records of an expected-records file, validated line by line as they are read (streaming)."""
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                record = _parse(line, str(path), number)
                if record is not None:
                    yield record
    except OSError as exc:
        raise ExpectedRecordsError(
            f"expected records {path} cannot be read: {exc}", hint=f"Restore {path} from git."
        ) from exc


def parse_text(text: str, where: str) -> list[dict[str, Any]]:
    """The records of expected-records ``text`` (``where`` names it in errors)."""
    records = (_parse(line, where, number) for number, line in enumerate(text.splitlines(), start=1))
    return [r for r in records if r is not None]


def validate(path: Path) -> None:
    """An existing expected-records file must be a readable file of records (the first bad line is named)."""
    if not path.exists():
        return
    if path.is_dir():
        raise ExpectedRecordsError(f"expected records {path} is a directory", hint=f"Move {path} away.")
    if not os.access(path, os.R_OK):
        raise ExpectedRecordsError(
            f"expected records {path} is not readable", hint=f"Make it readable (chmod u+r {path})."
        )
    for _ in read(path):
        pass


def data_by_stream(path: Path) -> dict[str, list[Any]]:
    """CAT's ``expected_records_by_stream``: the record data of each stream, in file order."""
    grouped: dict[str, list[Any]] = {}
    for record in read(path):
        grouped.setdefault(record["stream"], []).append(record["data"])
    return grouped


def stream_counts(path: Path) -> dict[str, int]:
    """The record count per stream, validating the whole file."""
    return dict(Counter(record["stream"] for record in read(path)))


def stream_source(path: Path, stream: str) -> Callable[[], Iterator[Any]]:
    """A re-iterable source of one stream's record data, read from the file on each pass (large files)."""
    return lambda: (r["data"] for r in read(path) if r["stream"] == stream)


# --------------------------------------------------------------------------- rendering


def record_line(record: dict[str, Any], volatile: VolatileRecordFields | None = None) -> dict[str, Any]:
    """The line of ``record`` in expected records: emitted_at fixed, the volatile record fields left out."""
    data = volatile.mask(str(record.get("stream")), record.get("data")) if volatile else record.get("data")
    line = {"stream": record.get("stream"), "data": data, "emitted_at": EXPECTED_EMITTED_AT}
    if record.get("namespace"):
        line["namespace"] = record["namespace"]
    return line


def _sort_key(record: dict[str, Any], pks: dict[str, PkPaths]) -> tuple[Any, ...]:
    stream = str(record.get("stream"))
    data = record.get("data") or {}
    pk = pk_tuple(data, pks[stream]) if pks.get(stream) else None
    line = canonical_json(record)
    # (type name, repr) keeps mixed-type keys comparable; ties broken by the whole line.
    pk_key = tuple((type(v).__name__, v if isinstance(v, int | float) else str(v)) for v in pk) if pk else ()
    return (str(record.get("namespace") or ""), stream, 0 if pk else 1, pk_key, line)


def render(
    records: list[dict[str, Any]], catalog: dict[str, Any] | None, volatile: VolatileRecordFields | None = None
) -> str:
    """The byte-stable text of the expected-records file for ``records`` read with ``catalog``."""
    pks = configured_primary_keys(catalog)
    if volatile:
        volatile.check_primary_keys(pks)
    lines = [record_line(r, volatile) for r in records]
    lines.sort(key=lambda r: _sort_key(r, pks))
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in lines)


# --------------------------------------------------------------------------- diff of two renderings


def _grouped(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for record in records:
        grouped.setdefault(record["stream"], []).append(record["data"])
    return grouped


def diff(
    old_text: str, new_text: str, catalog: dict[str, Any] | None, scrub: Scrub | None = None, where: str = "old"
) -> list[str]:
    """Per stream that differs: records added / removed / changed by primary key (over all records), the
    changed field paths with counts and a few example values."""
    old, new = _grouped(parse_text(old_text, where)), _grouped(parse_text(new_text, "new"))
    pks = configured_primary_keys(catalog)
    lines = []
    for stream in sorted(set(old) | set(new)):
        changes = diff_stream(stream, old.get(stream, []), new.get(stream, []), pks.get(stream), scrub=scrub)
        if not changes.differs:
            continue
        lines.append(f"stream {stream}: {changes.counts()} (by {changes.keyed_by})")
        lines.extend(f"  {line}" for line in [*changes.field_lines(), *changes.key_lines()])
    return lines or ["only the order or formatting differs"]
