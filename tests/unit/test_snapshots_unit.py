from __future__ import annotations

import json

from replaykit.expected_records import render as render_expected_records
from replaykit.snapshots import VOLATILE, diff_states, mask_volatile, render_state_snapshot

CATALOG = {"streams": [{"stream": {"name": "users", "source_defined_primary_key": [["id"]]}}]}


def test_volatile_fields_are_masked_not_dropped() -> None:
    state = {"s": {"states": [{"cursor": {"c": 1}, "lookback_window": 7}], "lookback_window": 3}}
    masked = mask_volatile(state, frozenset({"lookback_window"}))
    assert masked == {"s": {"states": [{"cursor": {"c": 1}, "lookback_window": VOLATILE}], "lookback_window": VOLATILE}}
    assert json.loads(render_state_snapshot(state, frozenset({"lookback_window"}))) == masked


def test_expected_records_do_not_depend_on_emission_order_or_instant() -> None:
    a = [{"stream": "users", "data": {"id": i, "n": f"u{i}"}, "emitted_at": 111} for i in (3, 1, 2)]
    b = [{"stream": "users", "data": {"n": f"u{i}", "id": i}, "emitted_at": 222} for i in (2, 3, 1)]
    assert render_expected_records(a, CATALOG) == render_expected_records(b, CATALOG)
    assert render_expected_records(a, CATALOG).endswith("}\n")
    assert [json.loads(line)["data"]["id"] for line in render_expected_records(a, CATALOG).splitlines()] == [1, 2, 3]


def test_state_diff_names_the_stream_and_the_change() -> None:
    lines = diff_states('{"events": {"created": "a"}, "users": {}}', '{"events": {"created": "b"}, "users": {}}')
    assert len(lines) == 1
    assert lines[0].startswith("stream events: ")
    assert "created" in lines[0]
