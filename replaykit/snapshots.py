"""Byte-stable expected records (CAT's ``expected_records.jsonl`` format).

Records are ordered by stream, then primary key (else canonical JSON), keys sorted, one record per line,
one trailing newline: the same recording gives the same bytes whatever order the CDK's threads emitted
the records in.
"""

from __future__ import annotations

import json
from typing import Any

from replaykit.files import canonical_json


def primary_keys(catalog: dict[str, Any] | None) -> dict[str, list[list[str]]]:
    """Primary-key paths per stream name from a configured catalog."""
    keys: dict[str, list[list[str]]] = {}
    for configured in (catalog or {}).get("streams", []):
        stream = configured.get("stream", {})
        pk = configured.get("primary_key") or stream.get("source_defined_primary_key") or []
        keys[str(stream.get("name"))] = [list(path) if isinstance(path, list) else [path] for path in pk]
    return keys


def _pk_value(data: dict[str, Any], paths: list[list[str]]) -> tuple[Any, ...] | None:
    values: list[Any] = []
    for path in paths:
        node: Any = data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
        values.append(node)
    return tuple(values)


def _sort_key(record: dict[str, Any], pks: dict[str, list[list[str]]]) -> tuple[Any, ...]:
    stream = str(record.get("stream"))
    data = record.get("data") or {}
    pk = _pk_value(data, pks.get(stream, [])) if pks.get(stream) else None
    line = canonical_json(record)
    # (type name, repr) keeps mixed-type keys comparable; ties broken by the whole line.
    pk_key = tuple((type(v).__name__, v if isinstance(v, int | float) else str(v)) for v in pk) if pk else ()
    return (str(record.get("namespace") or ""), stream, 0 if pk else 1, pk_key, line)


def expected_record_line(record: dict[str, Any]) -> dict[str, Any]:
    line = {"stream": record.get("stream"), "data": record.get("data"), "emitted_at": record.get("emitted_at")}
    if record.get("namespace"):
        line["namespace"] = record["namespace"]
    return line


def render_expected_records(records: list[dict[str, Any]], catalog: dict[str, Any] | None) -> str:
    pks = primary_keys(catalog)
    lines = [expected_record_line(r) for r in records]
    lines.sort(key=lambda r: _sort_key(r, pks))
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in lines)
