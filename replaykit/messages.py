"""Airbyte protocol output of one invocation, and the stable facts derived from it.

Under the concurrent CDK the sequence of intermediate STATE messages and the order of records depend
on thread timing; what is stable (and what replaykit compares) is the multiset of records and the final
state of each stream.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from replaykit.files import canonical_json
from replaykit.states import final_states

UNPARSED_EXAMPLES = 3


@dataclass
class ConnectorOutput:
    records: list[dict[str, Any]] = field(default_factory=list)  # AirbyteRecordMessage dicts
    states: list[dict[str, Any]] = field(default_factory=list)  # AirbyteStateMessage dicts
    traces: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    spec: dict[str, Any] | None = None
    catalog: dict[str, Any] | None = None
    connection_status: dict[str, Any] | None = None
    counts: Counter[str] = field(default_factory=Counter)
    unparsed_lines: int = 0  # lines on stdout that are not Airbyte protocol messages
    unparsed_examples: list[str] = field(default_factory=list)  # the first few of them, cut at 200 characters

    def add_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self.unparsed_lines += 1
            if len(self.unparsed_examples) < UNPARSED_EXAMPLES:
                self.unparsed_examples.append(line if len(line) <= 200 else line[:199] + "…")
            return
        kind = message["type"]
        self.counts[kind] += 1
        if kind == "RECORD" and isinstance(message.get("record"), dict):
            self.records.append(message["record"])
        elif kind == "STATE" and isinstance(message.get("state"), dict):
            self.states.append(message["state"])
        elif kind == "TRACE" and isinstance(message.get("trace"), dict):
            self.traces.append(message["trace"])
        elif kind == "LOG" and isinstance(message.get("log"), dict):
            self.logs.append(message["log"])
        elif kind == "SPEC":
            self.spec = message.get("spec")
        elif kind == "CATALOG":
            self.catalog = message.get("catalog")
        elif kind == "CONNECTION_STATUS":
            self.connection_status = message.get("connectionStatus")

    @classmethod
    def parse(cls, lines: Iterable[str]) -> ConnectorOutput:
        output = cls()
        for line in lines:
            output.add_line(line)
        return output

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [t for t in self.traces if t.get("type") == "ERROR"]

    def records_by_stream(self) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for record in self.records:
            grouped.setdefault(stream_name(record), []).append(record)
        return grouped

    def final_states(self) -> dict[str, Any]:
        """The last state of each stream (GLOBAL states under ``"__global__"``)."""
        return final_states(self.states)

    def summary(self) -> dict[str, Any]:
        """The stable facts stored in the invocation index and compared at replay (the spec and catalog too:
        they are the "previous version" the backward-compatibility checks compare with)."""
        extra: dict[str, Any] = {}
        if self.spec is not None:
            extra["spec"] = self.spec
        if self.catalog is not None:
            extra["catalog"] = self.catalog
        return extra | {
            "records": {
                stream: {"count": len(records), "sha256": records_digest(records)}
                for stream, records in sorted(self.records_by_stream().items())
            },
            "final_state": self.final_states(),
            "connection_status": (self.connection_status or {}).get("status"),
            "errors": len(self.errors),
        }


def stream_name(record: dict[str, Any]) -> str:
    namespace = record.get("namespace")
    return f"{namespace}.{record.get('stream')}" if namespace else str(record.get("stream"))


def records_digest(records: list[dict[str, Any]]) -> str:
    """Order-independent digest of records (data, emitted_at, namespace): equal iff the multisets are."""
    lines = sorted(canonical_json(record) for record in records)
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
