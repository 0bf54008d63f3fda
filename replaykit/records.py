"""Record comparison: the expected-records check of strict mode and the full-refresh reads comparison.

Two records are equal when their data are equal as JSON values with object key order and list order
ignored (lists compare as multisets, as CAT's ``make_hashable``), after deleting ``ignored_fields`` paths
(``/``-separated, ``*`` globs, as dpath). Each record is reduced to a 16-byte digest of its canonical form, so
a million records compare in a few seconds holding only digests: records are looked at again only to show
the first few that differ, with a compact deepdiff of a missing and an extra record that share a primary key.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from replaykit import json_paths
from replaykit.diff_text import pretty_lines, short
from replaykit.primary_keys import pk_text

SAMPLES = 5  # offending records shown per kind

_dumps_sorted = orjson.OPT_SORT_KEYS


def _canonical(value: Any) -> Any:
    """``value`` with every list sorted (objects are sorted when dumped); untouched parts are not copied."""
    kind = type(value)
    if kind is dict:
        nested = [k for k, v in value.items() if type(v) is dict or type(v) is list]
        if not nested:
            return value
        out = value.copy()
        for key in nested:
            out[key] = _canonical(out[key])
        return out
    if kind is list:
        items = [_canonical(v) if type(v) is dict or type(v) is list else v for v in value]
        if len(items) < 2:
            return items
        first = type(items[0])
        if (first is str or first is int) and all(type(v) is first for v in items):
            return sorted(items)  # same-type scalars: their natural order is a canonical one
        return sorted(items, key=lambda v: orjson.dumps(v, option=_dumps_sorted))
    return value


def record_key(data: Any) -> bytes:
    """Digest of ``data`` that ignores object key order and list order."""
    return hashlib.blake2b(orjson.dumps(_canonical(data), option=_dumps_sorted), digest_size=16).digest()


def trim_to(actual: Any, expected: Any) -> Any:
    """``actual`` keeping only the keys ``expected`` has, recursively (legacy ``extra_fields``)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {k: trim_to(actual[k], v) for k, v in expected.items() if k in actual}
    return actual


@dataclass
class StreamComparison:
    stream: str
    expected: int = 0
    actual: int = 0
    missing: list[Any] = field(default_factory=list)  # samples of expected records not produced
    extra: list[Any] = field(default_factory=list)  # samples of produced records not expected
    missing_count: int = 0
    extra_count: int = 0
    out_of_order: int | None = None  # first position where the order differs (exact_order)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)  # samples: (primary key, deepdiff lines)
    changed_count: int = 0  # missing and extra records sharing a primary key, over all records

    @property
    def ok(self) -> bool:
        return not (self.missing_count or self.extra_count or self.out_of_order is not None)

    def describe(self, limit: int = SAMPLES) -> list[str]:
        """Readable lines: counts, the first offending primary keys or records, a compact diff per changed one."""
        lines: list[str] = []
        if self.out_of_order is not None:
            lines.append(f"stream {self.stream}: records differ from position {self.out_of_order} on (exact_order)")
        changed = 0 if self.out_of_order is not None else max(self.changed_count, len(self.changed))
        if changed > len(self.changed[:limit]):
            lines.append(f"stream {self.stream}: {changed} record(s) changed in all (the first {limit} shown)")
        for pk, diff in self.changed[:limit]:
            lines.append(f"stream {self.stream}: record {pk} changed:")
            lines.extend(f"  {d}" for d in diff[:8])
        if self.missing_count > changed:
            lines.append(f"stream {self.stream}: {self.missing_count - changed} expected record(s) missing")
            lines.extend(f"  - {short(r)}" for r in self.missing[:limit])
        if self.extra_count > changed:
            lines.append(f"stream {self.stream}: {self.extra_count - changed} record(s) not expected")
            lines.extend(f"  + {short(r)}" for r in self.extra[:limit])
        return lines


Records = Sequence[Any] | Callable[[], Iterable[Any]]
_END = object()


def _iterate(source: Records) -> Iterator[Any]:
    return iter(source() if callable(source) else source)


def compare_stream(
    stream: str,
    expected: Records,
    actual: Records,
    *,
    ignored: Iterable[str] = (),
    pk_paths: list[list[str]] | None = None,
    exact_order: bool = False,
    extra_fields: bool = False,
    extra_records: bool = False,
) -> StreamComparison:
    """Compare one stream's record data. ``expected``/``actual`` are sequences or callables returning a fresh
    iterator: the first pass keeps digests only, a second pass fetches the few offending records.

    Without ``exact_order``: multisets (every expected record produced; extra records fail unless
    ``extra_records``). With ``exact_order``: the same sequence (``extra_records`` allows trailing extras).
    ``extra_fields``: actual records may carry fields the expected ones lack (then compared in order only)."""
    ignored = tuple(ignored)

    def prepare(data: Any) -> Any:
        return json_paths.delete(data, ignored) if ignored else data

    out = StreamComparison(stream)
    if extra_fields:
        exact_order = True  # keys of an actual record are trimmed to its expected counterpart's
    if exact_order:
        exp_iter: Iterator[Any] = _iterate(expected)
        for position, act in enumerate(_iterate(actual)):
            out.actual += 1
            exp = next(exp_iter, _END)
            if exp is _END:
                out.extra_count += 1
                if len(out.extra) < SAMPLES:
                    out.extra.append(act)
                continue
            out.expected += 1
            exp_d, act_d = prepare(exp), prepare(act)
            if extra_fields:
                act_d = trim_to(act_d, exp_d)
            if out.out_of_order is None and record_key(exp_d) != record_key(act_d):
                out.out_of_order = position
                pk = pk_text(exp, pk_paths or []) or f"at position {position}"
                out.changed.append((pk, pretty_lines(exp_d, act_d)))
        for exp in exp_iter:
            out.expected += 1
            out.missing_count += 1
            if len(out.missing) < SAMPLES:
                out.missing.append(exp)
        if extra_records:
            out.extra_count, out.extra = 0, []
        return out

    counts: Counter[bytes] = Counter()
    for exp in _iterate(expected):
        out.expected += 1
        counts[record_key(prepare(exp))] += 1
    extra: Counter[bytes] = Counter()
    for act in _iterate(actual):
        out.actual += 1
        key = record_key(prepare(act))
        if counts.get(key):
            counts[key] -= 1
        else:
            extra[key] += 1
    missing = +counts
    out.missing_count = sum(missing.values())
    out.extra_count = 0 if extra_records else sum(extra.values())
    if out.missing_count:
        out.missing = _samples(_iterate(expected), missing, prepare)
    if out.extra_count or (out.missing_count and pk_paths and extra):  # extras pair up with missing records
        out.extra = _samples(_iterate(actual), extra, prepare)
    if pk_paths and missing and extra:
        out.changed_count = _shared_keys(_iterate(expected), missing, _iterate(actual), extra, prepare, pk_paths)
    if pk_paths and out.missing and extra:
        # the replayed counterparts of the missing samples, wherever they are in the replayed order
        wanted = {pk_text(r, pk_paths) for r in out.missing} - {None}
        by_pk = {}
        for record in _iterate(actual):
            record_pk = pk_text(record, pk_paths)
            if record_pk in wanted and record_pk not in by_pk and extra.get(record_key(prepare(record))):
                by_pk[record_pk] = record
        for record in out.missing:
            record_pk = pk_text(record, pk_paths)
            if record_pk is not None and record_pk in by_pk:
                out.changed.append((record_pk, pretty_lines(prepare(record), prepare(by_pk[record_pk]))))
        changed = {pk for pk, _ in out.changed}
        out.missing = [r for r in out.missing if pk_text(r, pk_paths) not in changed]
        out.extra = [r for r in out.extra if pk_text(r, pk_paths) not in changed]
    return out


def _shared_keys(
    expected: Iterable[Any],
    missing: Counter[bytes],
    actual: Iterable[Any],
    extra: Counter[bytes],
    prepare: Callable[[Any], Any],
    pk_paths: list[list[str]],
) -> int:
    """How many missing and extra records pair up by primary key (a changed record), over all records."""

    def keys(records: Iterable[Any], wanted: Counter[bytes]) -> Counter[str]:
        left, found = Counter(wanted), Counter[str]()
        for record in records:
            digest = record_key(prepare(record))
            if left.get(digest):
                left[digest] -= 1
                pk = pk_text(record, pk_paths)
                if pk is not None:
                    found[pk] += 1
        return found

    return sum((keys(expected, missing) & keys(actual, extra)).values())


def _samples(records: Iterable[Any], wanted: Counter[bytes], prepare: Callable[[Any], Any]) -> list[Any]:
    found: list[Any] = []
    wanted = Counter(wanted)
    for record in records:
        key = record_key(prepare(record))
        if wanted.get(key):
            wanted[key] -= 1
            found.append(record)
            if len(found) >= SAMPLES:
                break
    return found
