"""What changed between two sets of one stream's records, by primary key, in words a developer can act on.

Records are matched by primary key over *all* records (without a key, by whole content): counts of added,
removed, changed and unchanged records are exact. For the changed records, deepdiff names the field paths
that differ (``amount``, ``address.city``, ``tags[]``), counted per path, with the first few examples of
old and new values (truncated, and passed through the caller's secret scrubber).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from replaykit import invocation_ids as ids
from replaykit.diff_text import Scrub, changed_fields, short
from replaykit.primary_keys import pk_text
from replaykit.records import record_key
from replaykit.volatile import VolatileRecordFields

EXAMPLES = 3  # example value diffs shown per field path
FIELDS_SHOWN = 5  # field paths shown per stream
DEEP_DIFF_LIMIT = 10_000  # changed records whose fields are named (counts of records are always exact)
VALUE_CHARS = 40


@dataclass
class FieldChange:
    path: str  # dotted, list positions as []: "amount", "address.city", "tags[]"
    kind: str  # changed | added | removed | type changed
    count: int = 0
    examples: list[str] = field(default_factory=list)  # 'id "e-1": 35 -> 70'


@dataclass
class StreamDiff:
    stream: str
    keyed_by: str  # "primary key [id]" or "whole record (no primary key)"
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    fields: dict[tuple[str, str], FieldChange] = field(default_factory=dict)
    fields_over: int = 0  # changed records whose fields were named (all, up to DEEP_DIFF_LIMIT)
    added_keys: list[str] = field(default_factory=list)
    removed_keys: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def counts(self) -> str:
        return f"{self.changed} changed, {self.added} added, {self.removed} removed, {self.unchanged} unchanged"

    def field_lines(self, limit: int = FIELDS_SHOWN, examples: int = EXAMPLES) -> list[str]:
        """``field amount changed in 124 records, e.g. id "e-1": 35 -> 70; ...`` most frequent first."""
        ordered = sorted(self.fields.values(), key=lambda f: (-f.count, f.path, f.kind))
        lines = []
        for change in ordered[:limit]:
            line = f"field {change.path} {change.kind} in {change.count} record(s)"
            if change.examples[:examples]:
                line += ", e.g. " + "; ".join(change.examples[:examples])
            lines.append(line)
        if len(ordered) > limit:
            lines.append(f"... and {len(ordered) - limit} more field path(s)")
        if self.fields_over < self.changed:
            lines.append(f"(fields named from the first {self.fields_over} of the {self.changed} changed records)")
        return lines

    def key_lines(self) -> list[str]:
        lines = []
        if self.added_keys:
            lines.append("added: " + ", ".join(self.added_keys) + (" ..." if self.added > len(self.added_keys) else ""))
        if self.removed_keys:
            more = " ..." if self.removed > len(self.removed_keys) else ""
            lines.append("removed: " + ", ".join(self.removed_keys) + more)
        return lines


def _record_label(pk_text: str | None, keyed_by: list[list[str]]) -> str:
    if pk_text is None:
        return "a record"
    if len(keyed_by) == 1:
        return f"{'.'.join(keyed_by[0])} {pk_text}"
    return f"key {pk_text}"


def _example(label: str, kind: str, old: Any, new: Any, scrub: Scrub | None) -> str:
    if kind in ("added", "item added"):
        return f"{label}: {short(new, VALUE_CHARS, scrub)}"
    if kind in ("removed", "item removed"):
        return f"{label}: was {short(old, VALUE_CHARS, scrub)}"
    return f"{label}: {short(old, VALUE_CHARS, scrub)} -> {short(new, VALUE_CHARS, scrub)}"


def diff_stream(
    stream: str,
    old: Iterable[Any],
    new: Iterable[Any],
    pk_paths: list[list[str]] | None = None,
    *,
    scrub: Scrub | None = None,
    only_common: bool = False,
) -> StreamDiff:
    """Compare ``old`` with ``new`` record data of one stream. ``only_common``: records whose key is on one
    side only are not counted (the two sides are different reads of the same data, e.g. other windows)."""
    paths = [list(p) for p in pk_paths or []]
    keyed_by = f"primary key [{', '.join('.'.join(p) for p in paths)}]" if paths else "whole record (no primary key)"
    out = StreamDiff(stream, keyed_by)

    def key_of(data: Any) -> str:
        pk = pk_text(data, paths) if paths else None
        return pk if pk is not None else "#" + record_key(data).hex()

    before: dict[str, list[Any]] = {}
    for data in old:
        before.setdefault(key_of(data), []).append(data)
    after: dict[str, list[Any]] = {}
    for data in new:
        after.setdefault(key_of(data), []).append(data)
    for key in dict.fromkeys([*before, *after]):  # the old side's order first (the expected file is sorted)
        olds, news = before.get(key, []), after.get(key, [])
        if only_common and not (olds and news):
            continue
        shown = None if key.startswith("#") else key
        # duplicates of a key: equal records pair up first, the rest pair in order
        old_digests = [record_key(d) for d in olds]
        unmatched_new = []
        for data in news:
            digest = record_key(data)
            if digest in old_digests:
                index = old_digests.index(digest)
                old_digests.pop(index)
                olds = olds[:index] + olds[index + 1 :]
                out.unchanged += 1
            else:
                unmatched_new.append(data)
        pairs = list(zip(olds, unmatched_new, strict=False))
        for old_data, new_data in pairs:
            out.changed += 1
            if out.fields_over < DEEP_DIFF_LIMIT:
                out.fields_over += 1
                label = _record_label(shown, paths)
                for path, kind, v1, v2 in changed_fields(old_data, new_data):
                    change = out.fields.setdefault((path, kind), FieldChange(path, kind))
                    change.count += 1
                    if len(change.examples) < EXAMPLES:
                        change.examples.append(_example(label, kind, v1, v2, scrub))
        for data in olds[len(pairs) :]:
            out.removed += 1
            if len(out.removed_keys) < EXAMPLES:
                out.removed_keys.append(shown or short(data, 80, scrub))
        for data in unmatched_new[len(pairs) :]:
            out.added += 1
            if len(out.added_keys) < EXAMPLES:
                out.added_keys.append(shown or short(data, 80, scrub))
    return out


def stream_diff_lines(diff: StreamDiff, against: str, examples: int = EXAMPLES) -> list[str]:
    """The lines under a stream's difference: counts by key, field paths with examples, added / removed keys."""
    lines = [f"by {diff.keyed_by}, against {against}: {diff.counts()}"]
    lines.extend(diff.field_lines(examples=examples))
    lines.extend(diff.key_lines())
    return lines


@dataclass
class RecordReference:
    """The recorded records to explain a stream's difference with: the basic read's expected records."""

    label: str  # how the file is shown, e.g. "integration_tests/expected_records.jsonl"
    load: Callable[[], dict[str, list[Any]]]  # record data per stream
    source_id: str = ids.basic_read(0).id  # the invocation the file was written from: compared in full
    scrub: Scrub | None = None
    volatile: VolatileRecordFields | None = None  # left out of the file: left out of the replayed records too
    _records: dict[str, list[Any]] | None = None

    def records(self) -> dict[str, list[Any]]:
        if self._records is None:
            self._records = self.load()
        return self._records

    def explain(
        self, invocation_id: str, stream: str, replayed: list[Any], pk_paths: list[list[str]] | None
    ) -> list[str]:
        """Lines naming what changed in ``stream`` of ``invocation_id`` against the expected records."""
        try:
            recorded = self.records().get(stream)
        except (OSError, ValueError):
            return [f"({self.label} cannot be read to name the changed fields)"]
        if recorded is None:
            return [f"({self.label} holds no {stream} records to name the changed fields)"]
        full = invocation_id == self.source_id
        volatile = self.volatile or VolatileRecordFields()
        masked = volatile.for_stream(stream)
        if masked:
            replayed = [volatile.mask(stream, d) for d in replayed]
        diff = diff_stream(stream, recorded, replayed, pk_paths, scrub=self.scrub, only_common=not full)
        against = self.label if full else f"the same records in {self.label}"
        if not diff.differs:
            if full and masked:
                return [
                    f"their data equal {self.label}, which leaves out the volatile record fields "
                    f"{', '.join(masked)}: one of them, emitted_at or namespace differ"
                ]
            if full:
                return [f"their data equal {self.label}: only emitted_at or namespace differ"]
            return [f"the records it shares with {self.label} are unchanged ({diff.unchanged}); the others differ"]
        return stream_diff_lines(diff, against, EXAMPLES if full else 1)  # other reads: the basic read shows more
