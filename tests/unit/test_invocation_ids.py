"""Invocation ids: built by role, read back by role, spelled as the committed recordings spell them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replaykit import invocation_ids as ids
from replaykit.invocation_ids import InvocationKey, Role

DEMO_INDEX = Path(__file__).resolve().parents[2] / "cassettes" / "source-demo" / "index.json"


@pytest.mark.parametrize(
    ("key", "spelled"),
    [
        (ids.spec(), "spec-0"),
        (ids.connection(1), "connection-1"),
        (ids.discovery(), "discovery-0"),
        (ids.basic_read(0), "basic_read-0"),
        (ids.bad_catalog_read(2), "basic_read-2-bad_catalog"),
        (ids.full_refresh_read(0, 1), "full_refresh-0-read1"),
        (ids.full_refresh_read(0, 2), "full_refresh-0-read2"),
        (ids.incremental_read(1, 2), "incremental-1-read2"),
        (ids.slices(0), "incremental-0-slices"),
        (ids.slices_first(0, "events"), "incremental-0-slices-events-read1"),
        (ids.slices_state(0, "my stream/x", 3), "incremental-0-slices-my_stream_x-state3"),
        (ids.abnormal_state(0), "incremental-0-abnormal_state"),
    ],
)
def test_an_id_is_spelled_as_recordings_store_it_and_parses_back(key: InvocationKey, spelled: str) -> None:
    assert key.id == spelled
    assert ids.parse(spelled) == key
    assert ids.role_of(spelled) is key.role


def test_a_stream_name_with_dashes_parses_back_from_a_slices_id() -> None:
    key = ids.slices_state(0, "user-events", 12)
    assert ids.parse(key.id) == InvocationKey("incremental", 0, Role.SLICE_STATE, "user-events", 12)
    assert ids.parse(ids.slices_first(0, "read1-state2").id) == ids.slices_first(0, "read1-state2")


@pytest.mark.parametrize("spelled", ["", "spec", "spec-x", "basic_read-0-unknown", "incremental-0-slices-x-state"])
def test_an_id_no_plan_builds_parses_to_none(spelled: str) -> None:
    assert ids.parse(spelled) is None
    assert ids.role_of(spelled) is None


def test_only_a_slices_invocation_expands_and_only_into_its_own_tests_reads() -> None:
    assert ids.slices(0).expands_to(ids.slices_first(0, "a"))
    assert ids.slices(0).expands_to(ids.slices_state(0, "a", 1))
    assert not ids.slices(0).expands_to(ids.slices_first(1, "a"))
    assert not ids.slices(0).expands_to(ids.incremental_read(0, 1))
    assert not ids.incremental_read(0, 1).expands_to(ids.slices_first(0, "a"))


def test_a_test_has_two_sequential_reads() -> None:
    with pytest.raises(ValueError, match="read 3"):
        ids.incremental_read(0, 3)


def test_every_id_of_the_committed_demo_recording_parses_and_spells_back() -> None:
    recorded = [i["id"] for i in json.loads(DEMO_INDEX.read_text(encoding="utf-8"))["invocations"]]
    assert "basic_read-0-bad_catalog" in recorded
    for spelled in recorded:
        key = ids.parse(spelled)
        assert key is not None, spelled
        assert key.id == spelled


def test_sources_describe_themselves_as_the_plan_shows_them() -> None:
    assert ids.Discovered().describe() == "discovered"
    assert ids.Discovered(incremental=True).describe() == "discovered-incremental"
    assert ids.BadCatalog().describe() == "bad-catalog"
    assert ids.CatalogFile(Path("/c/integration_tests/catalog.json")).describe() == "catalog.json"
    assert ids.StateAfter(ids.incremental_read(0, 1)).describe() == "after:incremental-0-read1"
    assert ids.StateFile(Path("/c/abnormal_state.json")).describe() == "abnormal_state.json"
