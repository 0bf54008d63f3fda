from __future__ import annotations

from pathlib import Path

import pytest
from vcr.request import Request

from replaykit import _vcr
from replaykit.errors import CassetteCorruptError, CassetteError
from replaykit.scrub import Scrubber, Secret


def interaction(uri: str, body: bytes = b'{"ok": true}') -> _vcr.Interaction:
    return (
        Request("GET", uri, None, {"Authorization": "Bearer tok-123456"}),
        {"status": {"code": 200, "message": "OK"}, "headers": {"Set-Cookie": ["sid=abcdef"]}, "body": {"string": body}},
    )


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_round_trip_sorted_by_key_keeping_order_of_identical_requests(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"c.{suffix}"
    items = [interaction("http://h/b"), interaction("http://h/a", b"1"), interaction("http://h/a", b"2")]
    _vcr.save_cassette(path, _vcr.CassetteData(items, {"recorded_at": "2026-01-01T00:00:00Z"}))
    loaded = _vcr.load_cassette(path)
    assert [(r.uri, resp["body"]["string"]) for r, resp in loaded.interactions] == [
        ("http://h/a", b"1"),
        ("http://h/a", b"2"),
        ("http://h/b", b'{"ok": true}'),
    ]
    assert loaded.metadata == {"recorded_at": "2026-01-01T00:00:00Z"}
    assert loaded.interactions[0][0].headers["authorization"] == "Bearer tok-123456"  # parsed on first use
    assert loaded.interactions[0][0].parsed_uri.path == "/a"


def test_json_cassettes_load_with_plain_vcrpy(tmp_path: Path) -> None:
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import jsonserializer

    path = tmp_path / "c.json"
    assert _vcr.save_cassette(path, _vcr.CassetteData([interaction("http://h/a")])) == path
    requests, responses = FilesystemPersister.load_cassette(path, jsonserializer)
    assert [r.uri for r in requests] == ["http://h/a"]
    assert responses[0]["body"]["string"] == b'{"ok": true}'


def test_a_binary_body_keeps_its_cassette_in_yaml(tmp_path: Path) -> None:
    """vcrpy's JSON serializer cannot hold bytes that are not UTF-8; its YAML serializer can."""
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    written = _vcr.save_cassette(tmp_path / "c.json", _vcr.CassetteData([interaction("http://h/logo", png)]))
    assert written == tmp_path / "c.yaml"
    assert not (tmp_path / "c.json").exists()
    assert _vcr.load_cassette(written).interactions[0][1]["body"]["string"] == png


def test_identical_requests_replay_in_recorded_order_then_repeat_the_last(tmp_path: Path) -> None:
    cassette = _vcr.new_cassette(tmp_path / "c.yaml", replay=True)
    cassette.load_interactions([interaction("http://h/poll", b"1"), interaction("http://h/poll", b"2")])
    probe = Request("GET", "http://h/poll", None, {})
    bodies = []
    for _ in range(3):
        assert cassette.can_play_response_for(probe)
        bodies.append(cassette.play_response(probe)["body"]["string"])
    assert bodies == [b"1", b"2", b"2"]
    assert cassette.repeats == 1
    assert not cassette.can_play_response_for(Request("GET", "http://h/other", None, {}))
    assert [m.uri for m in cassette.misses] == ["http://h/other"]


def test_scrub_interaction_covers_url_headers_and_bodies() -> None:
    scrubber = Scrubber([Secret("token", "tok-123456")])
    request, response = _vcr.scrub_interaction(
        interaction("http://h/a?t=tok-123456", b'{"echo": "tok-123456"}'), scrubber
    )
    assert "tok-123456" not in request.uri + str(request.headers) + str(response)
    assert response["headers"]["Set-Cookie"] == ["**REDACTED:set-cookie**"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("interactions: [\n  - {request: \n", "is not valid YAML at line"),
        ("version: 1\n", "is not a vcrpy cassette"),
        ("interactions:\n- request: {method: GET}\n", "(line 2): interaction 1 is malformed"),
        ('{"interactions": [\n', "bad.json is not valid JSON at line 2"),
        (
            '{\n  "interactions": [\n    {\n      "request": {"method": "GET"}\n    }\n  ]\n}\n',
            "(line 3): interaction 1",
        ),
    ],
)
def test_corrupt_cassettes_raise_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / ("bad.json" if content.startswith("{") else "bad.yaml")
    path.write_text(content)
    with pytest.raises(CassetteCorruptError) as exc:
        _vcr.load_cassette(path)
    assert str(path) in str(exc.value)
    assert message in str(exc.value)
    assert "Hint:" in str(exc.value)


def test_missing_cassette_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="does not exist"):
        _vcr.load_cassette(tmp_path / "gone.yaml")
