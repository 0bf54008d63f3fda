"""The scanner's rules on crafted cassette text (fake credentials are assembled at run time)."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

import pytest

from replaykit.scan import scan_text
from replaykit.scrub import Scrubber, Secret

ROOT = Path(__file__).resolve().parents[2]
GITHUB = "gh" + "p_" + "Zq8XwV2nR5tY7uI1oP3aS4dF6gH9jK0lM2xC"
AWS = "AK" + "IA" + "QWERTYUIOPASDFGH"
JWT = "ey" + "JhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


def cassette(request_headers: str = "", body: str = '{"ok": true}', uri: str = "https://api.example.com/v1/x") -> str:
    return (
        "interactions:\n- request:\n    body: null\n    headers:\n      Accept:\n      - '*/*'\n"
        f"{request_headers}    method: GET\n    uri: {uri}\n  response:\n    body:\n      string: '{body}'\n"
        "    headers:\n      Content-Type:\n      - application/json\n    status:\n      code: 200\n"
        "      message: OK\nversion: 1\n"
    )


def rules(text: str, known: Scrubber | None = None) -> list[tuple[int, str]]:
    return [(f.line, f.rule) for f in scan_text("c.yaml", text, known or Scrubber())]


def test_clean_cassettes_have_no_findings() -> None:
    for path in sorted((ROOT / "cassettes").rglob("*.yaml")):
        assert scan_text(str(path), path.read_text(), Scrubber()) == [], path.name
    assert rules(cassette("      Authorization:\n      - Bearer **REDACTED:api_key**\n")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (cassette(body=f'{{"token_seen": "{GITHUB}"}}'), [(11, "GitHub Token")]),
        (cassette(uri=f"https://api.example.com/v1/x?key={AWS}"), [(8, "AWS Access Key")]),
        (cassette(body=f'{{"id_token": "{JWT}"}}'), [(11, "JSON Web Token")]),
        (cassette("      Authorization:\n      - Bearer abc.def-ghi\n"), [(8, "credential-header")]),
        (cassette("      X-Api-Key:\n      - 'plain-key'\n"), [(8, "credential-header")]),
        (cassette(body='{"client_secret": "Zx9Qw8Er7Ty6Ui5Op4"}'), [(11, "high-entropy-value")]),
        (cassette(uri="https://h/v1?access_token=Zx9Qw8Er7Ty6Ui5Op4&limit=5"), [(8, "high-entropy-value")]),
    ],
    ids=["github", "aws-in-query", "jwt", "auth-header", "api-key-header", "json-field", "query-param"],
)
def test_each_rule_fires_at_the_right_line(text: str, expected: list[tuple[int, str]]) -> None:
    assert rules(text) == expected


def test_low_entropy_and_placeholders_are_not_flagged() -> None:
    assert rules(cassette(body='{"next_token": "aaaaaaaaaaaaaaaaaaaa", "token": "**REDACTED:token**"}')) == []


def test_known_secrets_in_any_encoding() -> None:
    known = Scrubber([Secret("api_key", "my/known+key=1")])
    text = cassette(uri="https://h/v1?k=my%2Fknown%2Bkey%3D1", body=base64.b64encode(b"my/known+key=1").decode())
    assert rules(text, known) == [(8, "known-secret"), (11, "known-secret")]


def test_secrets_inside_compressed_binary_bodies() -> None:
    payload = base64.encodebytes(gzip.compress(f'{{"leak": "{GITHUB}"}}'.encode())).decode()
    block = "".join(f"        {line}\n" for line in payload.split())
    text = cassette().replace("      string: '{\"ok\": true}'\n", f"      string: !!binary |\n{block}")
    findings = scan_text("c.yaml", text, Scrubber())
    assert [(f.line, f.rule) for f in findings] == [(11, "GitHub Token")]
    assert "decoded binary body" in findings[0].detail
    assert GITHUB not in findings[0].render()
