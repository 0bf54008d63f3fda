from __future__ import annotations

import pytest

from replaykit.matching import HttpRequest, closest_requests, differences, request_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://h/p?b=2&a=1", "http://h/p?a=1&b=2"),  # query order
        ("http://H:80/p?a=%2A", "http://h/p?a=*"),  # host case, default port, encoding
        ("http://h/p?created%5Bgte%5D=x", "http://h/p?created[gte]=x"),
    ],
)
def test_equivalent_urls_share_a_key(a: str, b: str) -> None:
    assert request_key("get", a, None) == request_key("GET", b, None)


def test_json_bodies_are_canonical_and_other_bodies_exact() -> None:
    assert request_key("POST", "http://h/q", b'{"a": 1, "b": [1, 2]}') == request_key(
        "POST", "http://h/q", b'{"b":[1,2],"a":1}'
    )
    assert request_key("POST", "http://h/q", b"<a>1</a>") != request_key("POST", "http://h/q", b"<a>2</a>")
    assert request_key("POST", "http://h/q", b"a=1&b=2") == request_key("POST", "http://h/q", b"b=2&a=1")
    assert request_key("POST", "http://h/q", b"x") != request_key("POST", "http://h/q", None)


def test_differences_name_query_keys_paths_and_body_fields() -> None:
    sent = HttpRequest("POST", "http://h/v1/events?a=1&new=2&c=3", b'{"q": "x", "extra": 1}')
    recorded = HttpRequest("POST", "http://h/v1/event?a=1&c=4&old=5", b'{"q": "y"}')
    assert differences(sent, recorded) == [
        "path: sent /v1/events, recorded /v1/event",
        "query 'c': sent '3', recorded '4'",
        "query key 'new' sent ('2') but not recorded",
        "query key 'old' recorded ('5') but not sent",
        "body field 'extra' sent but not recorded",
        'body field \'q\': sent "x", recorded "y"',
    ]


def test_closest_prefers_same_path_then_fewest_differences() -> None:
    sent = HttpRequest("GET", "http://h/v1/events?gte=1&lte=9")
    recorded = [
        HttpRequest("GET", "http://h/v1/users?gte=1&lte=9"),
        HttpRequest("GET", "http://h/v1/events?gte=1&lte=8"),
        HttpRequest("GET", "http://h/v1/events?gte=0&lte=8"),
        HttpRequest("GET", "http://h/v1/events?gte=1&lte=8"),  # duplicate: shown once
    ]
    closest = closest_requests(sent, recorded)
    assert [c.request.uri for c in closest] == [recorded[1].uri, recorded[2].uri, recorded[0].uri]
    assert closest[0].differences == ("query 'lte': sent '9', recorded '8'",)


def test_form_bodies_match_however_they_are_escaped() -> None:
    recorded = b"grant_type=refresh_token&client_secret=**REDACTED:client_secret**"
    sent = b"client_secret=%2A%2AREDACTED%3Aclient_secret%2A%2A&grant_type=refresh_token"
    assert request_key("POST", "http://h/t", sent) == request_key("POST", "http://h/t", recorded)
    assert differences(HttpRequest("POST", "http://h/t", b"a=1&b=2"), HttpRequest("POST", "http://h/t", b"a=1")) == [
        "body field 'b' sent but not recorded"
    ]
