from __future__ import annotations

from typing import Any

from replaykit.slices import select_states, states_with_expected_counts
from replaykit.states import checkpoint_input


def state(cursor: str | None, count: float) -> dict[str, Any]:
    return {
        "type": "STREAM",
        "stream": {"stream_descriptor": {"name": "events"}, "stream_state": {"created": cursor} if cursor else {}},
        "sourceStats": {"recordCount": count},
    }


def test_cats_worked_example() -> None:
    """Counts [0,1,2,3] for states {}, d08, d10, d12 give candidates [(d08,5),(d10,3),(d12,0)] and select d10."""
    states = [state(None, 0), state("d08", 1), state("d10", 2), state("d12", 3)]
    assert [(s["stream"]["stream_state"].get("created"), n) for s, n in states_with_expected_counts(states)] == [
        ("d08", 5.0),
        ("d10", 3.0),
        ("d12", 0.0),
    ]
    selected = select_states(states)
    assert [(s["stream"]["stream_state"]["created"], n) for s, n in selected] == [("d10", 3.0)]
    assert checkpoint_input(selected[0][0]) == [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "events"}, "stream_state": {"created": "d10"}}}
    ]


def test_repeated_states_are_collapsed_and_short_lists_test_the_last() -> None:
    states = [state("a", 2), state("a", 3), state("b", 4)]
    assert [(s["stream"]["stream_state"]["created"], n) for s, n in states_with_expected_counts(states)] == [
        ("a", 4.0),
        ("b", 0.0),
    ]
    assert [n for _, n in select_states(states)] == [0.0]
    assert select_states([]) == []


def test_sampling_rate_for_many_checkpoints() -> None:
    states = [state(f"d{i:02d}", 1) for i in range(12)]
    selected = select_states(states)
    assert [s["stream"]["stream_state"]["created"] for s, _ in selected] == ["d02", "d04", "d06", "d08", "d10"]
