"""A large config (a service-account file, a certificate bundle) is written once in the index, not per invocation."""

from __future__ import annotations

from pathlib import Path

from replaykit.invocations import Invocation, InvocationIndex, load_index


def index_with(config: dict[str, object], count: int) -> InvocationIndex:
    invocations = [
        Invocation(id=f"read-{n}", suite="basic_read", command="read", cassette=f"read-{n}.yaml", frozen_at="x")
        for n in range(count)
    ]
    for invocation in invocations:
        invocation.config = config
    return InvocationIndex(connector={"kind": "manifest", "target": "m.yaml"}, versions={}, invocations=invocations)


def test_a_large_config_is_stored_once_and_read_back_whole(tmp_path: Path) -> None:
    big = {"service_account_info": "**REDACTED:service_account_info**", "blob": "x" * 2_000_000}
    index_with(big, 10).save(tmp_path)
    assert (tmp_path / "index.json").stat().st_size < 2_100_000  # once, not ten times
    loaded = load_index(tmp_path, record_hint="-")
    assert [i.config for i in loaded.invocations] == [big] * 10


def test_a_small_config_stays_inline_where_people_read_it(tmp_path: Path) -> None:
    small = {"api_key": "**REDACTED:api_key**", "start_date": "2024-01-01"}
    index_with(small, 2).save(tmp_path)
    text = (tmp_path / "index.json").read_text()
    assert text.count('"start_date"') == 2
    assert '"configs"' not in text
    assert load_index(tmp_path, record_hint="-").invocations[1].config == small
