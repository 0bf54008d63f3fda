"""CAT's ``test_read_sequential_slices`` state selection: which checkpoints of a first read to read again from.

For one stream's first read: collapse runs of identical states (summing their ``sourceStats.recordCount``),
drop checkpoints that counted nothing, give each the number of records emitted after it, then sample:
fewer than 3 candidates -> the last one; otherwise every ``len // 5``-th, never the first nor the last.
"""

from __future__ import annotations

import copy
from typing import Any

from replaykit.states import stream_state_of

MIN_BATCHES_TO_TEST = 5


def _count(message: dict[str, Any]) -> float:
    return float((message.get("sourceStats") or {}).get("recordCount") or 0.0)


def unique_states_with_counts(states: list[dict[str, Any]]) -> list[tuple[dict[str, Any], float]]:
    """CAT's ``_get_unique_state_messages_with_record_count``, on copies (CAT mutates the messages)."""
    states = [copy.deepcopy(s) for s in states]
    n = len(states)
    if n <= 1:
        return [(s, _count(s)) for s in states if _count(s)]
    kept: list[tuple[dict[str, Any], float]] = []
    i = 0
    while i < n - 1:
        j = i + 1
        while j < n - 1 and stream_state_of(states[i]) == stream_state_of(states[j]):
            j += 1
        total = sum(_count(s) for s in states[i:j])
        kept.append((states[i], total))
        if j == n - 1 and stream_state_of(states[i]) != stream_state_of(states[j]):
            kept.append((states[j], _count(states[j])))
        i = j
    return [(s, c) for s, c in kept if c]


def states_with_expected_counts(states: list[dict[str, Any]]) -> list[tuple[dict[str, Any], float]]:
    """Each checkpoint with the number of records the first read emitted after it."""
    unique = unique_states_with_counts(states)
    total = sum(c for _, c in unique)
    out, running = [], 0.0
    for state, count in unique:
        running += count
        out.append((state, total - running))
    return out


def select_states(states: list[dict[str, Any]]) -> list[tuple[dict[str, Any], float]]:
    """CAT's ``_states_with_expected_record_count_batch_selector``."""
    candidates = states_with_expected_counts(states)
    if len(candidates) < 3:
        return candidates[-1:]
    rate = (len(candidates) // MIN_BATCHES_TO_TEST) or 1
    return [c for idx, c in enumerate(candidates) if idx != 0 and idx % rate == 0 and idx != len(candidates) - 1]
