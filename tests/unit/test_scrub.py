from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from replaykit.scrub import Scrubber, Secret, discover_secrets, placeholder, secret_field_names

VALUE = "s3cr3t/val+ue=&x"


@pytest.mark.parametrize(
    "spelling",
    [
        VALUE,
        quote(VALUE, safe=""),
        quote_plus(VALUE),
        json.dumps(VALUE)[1:-1],
        base64.b64encode(VALUE.encode()).decode(),
        base64.urlsafe_b64encode(VALUE.encode()).decode(),
    ],
)
def test_every_encoding_is_replaced(spelling: str) -> None:
    scrubber = Scrubber([Secret("token", VALUE)])
    text = f"before {spelling} after"
    scrubbed = scrubber.scrub_text(text)
    assert spelling not in scrubbed
    assert list(scrubber.find(scrubbed)) == []
    assert next(iter(scrubber.find(text)))[0] == "token"


def test_url_encoded_secret_becomes_url_encoded_placeholder() -> None:
    scrubber = Scrubber([Secret("api_key", VALUE)])
    uri = f"http://h/p?api_key={quote_plus(VALUE)}&a=1"
    assert scrubber.scrub_text(uri) == f"http://h/p?api_key={quote_plus(placeholder('api_key'))}&a=1"


def test_credential_headers_are_always_scrubbed() -> None:
    scrubber = Scrubber([Secret("api_key", "known-value")])
    assert scrubber.scrub_header("Authorization", "Bearer known-value") == "Bearer **REDACTED:api_key**"
    assert scrubber.scrub_header("Set-Cookie", "session=unknown") == "**REDACTED:set-cookie**"
    assert scrubber.scrub_header("Content-Type", "application/json") == "application/json"


def test_discovery_uses_spec_names_and_user_additions() -> None:
    spec = {
        "properties": {"credentials": {"oneOf": [{"properties": {"pw": {"type": "string", "airbyte_secret": True}}}]}}
    }
    assert secret_field_names(spec) == {"pw"}
    config = {
        "pw": "hunter22",
        "api_key": "k-123456",
        "region": "eu-west-1",
        "custom": "c-987654",
        "__injected_declarative_manifest": {"api_key": "not-a-secret"},
    }
    found = {(s.name, s.value) for s in discover_secrets(config, spec, ["custom"])}
    assert found == {("pw", "hunter22"), ("api_key", "k-123456"), ("custom", "c-987654")}


def test_same_name_different_values_get_distinct_placeholders() -> None:
    config = {"a": {"token": "first-token"}, "b": {"token": "second-token"}}
    assert sorted(s.name for s in discover_secrets(config)) == ["token", "token_2"]


def test_short_values_are_not_treated_as_secrets() -> None:
    scrubber = Scrubber([Secret("key", "ab")])
    assert scrubber.scrub_text("abc ab") == "abc ab"


def test_basic_auth_pairs_and_client_ids_next_to_secrets() -> None:
    config = {
        "credentials": {"username": "ada", "password": "pw-123456"},
        "oauth": {"client_id": "cid-7777", "client_secret": "cs-8888"},
    }
    found = {(s.name, s.value) for s in discover_secrets(config)}
    assert ("basic_auth", base64.b64encode(b"ada:pw-123456").decode()) in found
    assert ("client_id", "cid-7777") in found
    assert ("password", "pw-123456") in found


def test_learning_from_an_exchange() -> None:
    from replaykit.scrub import learn_from_exchange

    learned = learn_from_exchange(
        {"Authorization": "Bearer at-0123456789", "Cookie": "sid=cookie-value-1"},
        {"Set-Cookie": ["session=fresh-session-22; Path=/; HttpOnly"]},
        b'{"access_token": "at-abcdefghij", "expires_in": 3600, "data": {"refresh_token": "rt-klmnopqrst"},'
        b' "next_token": "page-2-cursor-x", "token": "**REDACTED:token**"}',
    )
    assert {(s.name, s.value) for s in learned} == {
        ("authorization", "at-0123456789"),
        ("cookie_sid", "cookie-value-1"),
        ("cookie_session", "fresh-session-22"),
        ("access_token", "at-abcdefghij"),
        ("refresh_token", "rt-klmnopqrst"),
    }
