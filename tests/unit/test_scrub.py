from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from replaykit.scrub import Scrubber, Secret, placeholder, too_short
from replaykit.secret_discovery import discover_secrets, secret_field_names

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


def test_a_secret_url_becomes_a_url_the_connector_can_send_its_requests_to() -> None:
    """Marketo's ``domain_url`` is ``airbyte_secret``: at replay the connector builds its requests from the
    scrubbed config, so the placeholder must be a URL, the same one in the config and in the cassette."""
    from urllib.parse import urlsplit

    from replaykit.scrub import has_placeholder

    base = "https://123-ABC-456.mktorest.com"
    scrubber = Scrubber([Secret("domain_url", base), Secret("base", "http://127.0.0.1:8765/api/")])
    config = json.loads(scrubber.scrub_text(json.dumps({"domain_url": base, "base": "http://127.0.0.1:8765/api/"})))
    assert config == {"domain_url": "https://redacted-domain-url.invalid", "base": "http://redacted-base.invalid/"}
    # what the connector sends at replay (from the scrubbed config) is what the cassette holds (scrubbed at record)
    recorded = scrubber.scrub_text(f"{base}/rest/v1/lists.json?next={quote(base + '/p2', safe='')}")
    assert recorded == f"{config['domain_url']}/rest/v1/lists.json?next={quote(config['domain_url'] + '/p2', safe='')}"
    assert urlsplit(recorded).hostname == "redacted-domain-url.invalid"
    assert scrubber.scrub_text("http://127.0.0.1:8765/api/v1/x") == "http://redacted-base.invalid/v1/x"
    assert all(has_placeholder(v) for v in config.values())
    assert placeholder("api_key", "not a url: https://x") == "**REDACTED:api_key**"


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
    from replaykit.secret_discovery import learn_from_exchange

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


# ---------------------------------------------------------------- every spelling, generated secrets

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from echo_api import spellings  # noqa: E402 - the test's own spellings, independent of replaykit

SECRET_TEXT = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=6, max_size=30),
    st.text(alphabet=".*+?()[]{}|^$\\/%=&\"'# ", min_size=6, max_size=12),
    st.integers(min_value=10**7, max_value=10**18).map(str),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(value=SECRET_TEXT, before=st.sampled_from(["", "x", "=", "/", "%", "\\", '"', "A"]))
def test_every_spelling_of_a_generated_secret_is_scrubbed_and_verified(value: str, before: str) -> None:
    assume(not too_short(value))
    scrubber = Scrubber([Secret("tok", value)])
    for kind, spelt in spellings(value).items():
        text = f'{{"k": "{before}{spelt}", "u": "http://h/p?a={before}{spelt}&b=1"}}\n{before}{spelt}'
        assert list(scrubber.find(text)), kind
        scrubbed = scrubber.scrub_text(text)
        assert list(scrubber.find(scrubbed)) == [], kind
        for other_kind, other in spellings(value).items():
            assert other not in scrubbed, (kind, other_kind)
        assert "REDACTED" in scrubbed.upper() or kind.startswith("base64-")


def test_short_and_short_numeric_values_are_refused() -> None:
    from replaykit.secret_discovery import unsafe_secret_fields

    assert too_short("abc")
    assert too_short("1234567")
    assert not too_short("abcdef")
    assert not too_short("12345678")
    assert not Scrubber().add(Secret("pw", "abc"))
    config = {"password": "abc", "api_key": 982734650192, "pin": 1234, "nested": {"token": "12"}}
    assert unsafe_secret_fields(config, None, ["pin"]) == ["password", "pin", "token"]


def test_numbers_that_are_secrets_become_placeholders_in_values() -> None:
    scrubber = Scrubber(discover_secrets({"api_key": 982734650192, "count": 3}))
    assert scrubber.scrub_value({"api_key": 982734650192, "n": 3, "s": "x982734650192"}) == {
        "api_key": placeholder("api_key"),
        "n": 3,
        "s": f"x{placeholder('api_key')}",
    }


def test_base64_inside_a_longer_token_is_rewritten_to_hold_the_placeholder() -> None:
    scrubber = Scrubber([Secret("password", "pw/with+odd=chars")])
    token = base64.b64encode(b"ada:pw/with+odd=chars").decode()
    scrubbed = scrubber.scrub_text(f"Basic {token}")
    assert base64.b64decode(scrubbed.split()[1]) == b"ada:" + placeholder("password").encode()


def test_lower_case_percent_encoding_keeps_its_case_in_the_placeholder() -> None:
    scrubber = Scrubber([Secret("k", "a/b+c=d&e")])
    assert scrubber.scrub_text("q=a%2fb%2bc%3dd%26e") == "q=%2a%2aREDACTED%3ak%2a%2a"


def test_session_tokens_are_learned_from_their_credential_position() -> None:
    from replaykit.secret_discovery import learn_from_exchange

    learned = learn_from_exchange(
        {"X-Metabase-Session": "5b1c0f7e-aaaa", "Cookie": 'sid="quoted-cookie-value"', "Accept": "application/json"},
        {},
        b'{"id": "5b1c0f7e-aaaa"}',
        request_uri="http://h/api?sessionToken=tok-123456789&next_token=page-2-abcdef&limit=100",
        request_body=b'{"auth_code": "code-987654321", "query": "select"}',
    )
    assert {(s.name, s.value) for s in learned} == {
        ("x_metabase_session", "5b1c0f7e-aaaa"),
        ("cookie_sid", "quoted-cookie-value"),
        ("sessionToken", "tok-123456789"),
        ("auth_code", "code-987654321"),
    }


def test_a_scrubbed_quoted_cookie_keeps_valid_json() -> None:
    scrubber = Scrubber([Secret("cookie_sid", "quoted-cookie-value")])
    body = json.dumps({"cookie": '"quoted-cookie-value"', "echo": "quoted-cookie-value"})
    assert json.loads(scrubber.scrub_text(body)) == {
        "cookie": f'"{placeholder("cookie_sid")}"',
        "echo": placeholder("cookie_sid"),
    }


def test_verification_opens_a_body_that_stayed_compressed(tmp_path: Path) -> None:
    import gzip

    import yaml

    from replaykit.verify import find_leak

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"body": gzip.compress(b'{"token": "tok-0123456789"}')}))
    leak = find_leak(path, Scrubber([Secret("token", "tok-0123456789")]))
    assert leak is not None
    assert leak.secret == "token"
