"""Is the connector deterministic? When a replay's outputs differ from the recording although every request
matched its cassette, the invocation is replayed once more and the two replays are compared with each other.

Two replays of the same recording run the same code on the same responses with the same frozen clock: when
they disagree, the connector is non-deterministic (random or process-dependent values, set or thread order
reaching a value), and ``replay --update`` would only move the difference. When they agree, the difference
from the recording is a real change (the connector's code, a dependency) and ``--update`` can accept it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from replaykit.diff_text import Scrub, short
from replaykit.invocations import Invocation
from replaykit.messages import ConnectorOutput
from replaykit.primary_keys import configured_primary_keys
from replaykit.record_diff import StreamDiff, diff_stream
from replaykit.runner import InvocationRun
from replaykit.snapshots import mask_volatile

HEADING = "non-deterministic: a second replay of the same recording disagrees with the first (every request matched)"
_POSITION = "__replaykit_position__"  # streams without a primary key: records paired by emission order


@dataclass
class SecondReplay:
    """How a second replay of one invocation compares with the first."""

    invocation: str
    where: list[str] = field(default_factory=list)  # what differs between the two replays, one line each
    streams: list[str] = field(default_factory=list)  # the streams whose records or states differ
    fields: list[str] = field(default_factory=list)  # "users.nonce": the record fields that differ
    judged: bool = True  # False: the second replay could not run, nothing is known

    @property
    def agrees(self) -> bool:
        return self.judged and not self.where

    @property
    def disagrees(self) -> bool:
        return self.judged and bool(self.where)

    def difference(self) -> str:
        """The entry shown under the invocation, as its other differences."""
        return "\n".join([HEADING, *(f"  {line}" for line in self.where)])


def replay_again(
    invocation: Invocation,
    first: InvocationRun,
    again: Callable[[], InvocationRun],
    volatile_state: frozenset[str] = frozenset(),
    scrub: Scrub | None = None,
) -> SecondReplay:
    """Run ``again`` (the same replay) and compare it with ``first``."""
    return compare_replays(invocation, first, again(), volatile_state, scrub)


def compare_replays(
    invocation: Invocation,
    first: InvocationRun,
    second: InvocationRun,
    volatile_state: frozenset[str] = frozenset(),
    scrub: Scrub | None = None,
) -> SecondReplay:
    out = SecondReplay(invocation.id)
    if second.result.runtime_error is not None:
        out.judged = False
        return out
    for miss in second.result.misses[:3]:  # the first replay had none: the requests vary
        out.where.append(f"the second replay sent a request the first did not: {miss.request}")
    if second.exit_code != first.exit_code:
        out.where.append(f"exit code {first.exit_code}, then {second.exit_code}")
    a, b = first.output.summary(), second.output.summary()
    _compare_records(out, (a["records"], b["records"]), (first.output, second.output), invocation.catalog, scrub)
    one, two = (mask_volatile(r.output.final_states(), volatile_state) for r in (first, second))
    for stream in sorted(set(one) | set(two)):
        if one.get(stream) != two.get(stream):
            out.where.append(
                f"stream {stream}: final state {short(one.get(stream), 120)}, then {short(two.get(stream), 120)}"
            )
            out.streams.append(stream)
    for key in ("spec", "catalog", "connection_status", "errors"):
        if a.get(key) != b.get(key):
            out.where.append(
                f"{key.replace('_', ' ')} differs: {short(a.get(key), 120)}, then {short(b.get(key), 120)}"
            )
    out.streams = list(dict.fromkeys(out.streams))
    return out


def _compare_records(
    out: SecondReplay,
    digests: tuple[dict[str, Any], dict[str, Any]],
    outputs: tuple[ConnectorOutput, ConnectorOutput],
    catalog: dict[str, Any] | None,
    scrub: Scrub | None,
) -> None:
    """Per stream whose records differ: the counts, the changed fields with examples, added / removed keys."""
    one, two = digests
    keys = configured_primary_keys(catalog)
    by_stream = (outputs[0].records_by_stream(), outputs[1].records_by_stream())
    for stream in sorted(set(one) | set(two)):
        if one.get(stream) == two.get(stream):
            continue
        out.streams.append(stream)
        count_one, count_two = (one.get(stream) or {}).get("count", 0), (two.get(stream) or {}).get("count", 0)
        if count_one != count_two:
            out.where.append(f"stream {stream}: {count_one} records, then {count_two}")
        old, new = ([r.get("data") or {} for r in side.get(stream, [])] for side in by_stream)
        diff = diff_runs(stream, old, new, keys.get(stream), scrub)
        if not diff.differs:
            out.where.append(f"stream {stream}: the record data agree, their emitted_at or namespace differ")
            continue
        out.where.append(f"stream {stream}: {diff.counts()} (by {diff.keyed_by})")
        lines = [*diff.field_lines(examples=2), *diff.key_lines()]
        out.where.extend(f"  {line}".replace(f"{_POSITION} ", "record #") for line in lines)
        out.fields.extend(f"{stream}.{change.path}" for change in diff.fields.values())
    out.fields = list(dict.fromkeys(out.fields))


def diff_runs(
    stream: str, old: list[Any], new: list[Any], pk_paths: list[list[str]] | None, scrub: Scrub | None = None
) -> StreamDiff:
    """Two runs' records of ``stream`` compared by primary key; without one, paired in the order they were
    emitted (two runs on the same responses emit the same records in the same order, but for what varies)."""
    if pk_paths:
        return diff_stream(stream, old, new, pk_paths, scrub=scrub)
    before, after = ([{_POSITION: i, **r} if isinstance(r, dict) else r for i, r in enumerate(s)] for s in (old, new))
    diff = diff_stream(stream, before, after, [[_POSITION]], scrub=scrub)
    diff.keyed_by = "position (no primary key)"
    return diff
