"""Nothing secret reaches disk: real recordings of a connector that sends its secrets every way there is,
against an API that hands out tokens and cookies and echoes secrets in gzip bodies and headers."""

from __future__ import annotations

import ast
import base64
import json
import shutil
import string
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_replaykit

sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from leaky_api import LeakyAPI

FIXTURE = ROOT / "tests" / "fixtures" / "source-leaky"


def spellings(value: str) -> dict[str, str]:
    """Every way a value can be written, computed here independently of replaykit."""
    raw = value.encode("utf-8")
    return {
        "raw": value,
        "url": quote(value, safe=""),
        "url+": quote_plus(value),
        "json": json.dumps(value)[1:-1],
        "json-utf8": json.dumps(value, ensure_ascii=False)[1:-1],
        "base64": base64.b64encode(raw).decode(),
        "base64url": base64.urlsafe_b64encode(raw).decode(),
    }


def texts(path: Path) -> list[str]:
    """A file's raw text and every string value it parses to."""
    text = path.read_text(encoding="utf-8", errors="replace")
    out = [text]
    if path.suffix in (".yaml", ".json", ".jsonl"):
        parsed: Any = (
            yaml.safe_load(text)
            if path.suffix == ".yaml"
            else [json.loads(line) for line in text.splitlines()]
            if path.suffix == ".jsonl"
            else json.loads(text)
        )

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(k)
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
            elif isinstance(node, bytes):
                out.append(node.decode("utf-8", errors="replace"))
            elif isinstance(node, str):
                out.append(node)

        walk(parsed)
    return out


def record_leaky(tmp_path: Path, secrets: dict[str, str]) -> tuple[Path, subprocess.CompletedProcess[str], LeakyAPI]:
    """`replaykit record` of a copy of the leaky connector against a leaky API holding ``secrets``."""
    connector = tmp_path / "source-leaky"
    shutil.copytree(FIXTURE, connector)
    (connector / "secrets").mkdir()
    with LeakyAPI(secrets) as api:
        (connector / "secrets" / "config.json").write_text(json.dumps({"base_url": api.base_url, **secrets}))
        proc = run_replaykit(["record"], cwd=connector)
    return connector, proc, api


def record_and_replay(tmp_path: Path, secrets: dict[str, str]) -> tuple[Path, list[str]]:
    connector, proc, api = record_leaky(tmp_path, secrets)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "POST /oauth/token" in api.requests
    learned = [api.access_token, api.session]
    values = [v for k, v in secrets.items() if k != "username"]
    values += [*learned, base64.b64encode(f"{secrets['username']}:{secrets['password']}".encode()).decode()]
    written = [p for p in (connector / "cassettes").rglob("*") if p.is_file()]
    written.append(connector / "integration_tests" / "expected_records.jsonl")
    for value in values:
        assert value not in proc.stdout + proc.stderr
    for path in written:
        for text in texts(path):
            for value in values:
                for kind, spelling in spellings(value).items():
                    assert spelling not in text, f"{kind} spelling of a secret in {path.name}"
    replayed = run_replaykit(["replay"], cwd=connector)  # the API is gone, the config is scrubbed
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    for value in values:
        assert value not in replayed.stdout + replayed.stderr
    return connector, learned


def test_oauth_flow_records_and_replays_with_no_token_on_disk(tmp_path: Path) -> None:
    secrets = {
        "api_key": "ak-live-0f9e8d7c6b5a4",
        "client_id": "client-abc-123456",
        "client_secret": "cs-9f8e7d6c5b4a3210",
        "refresh_token": "rt-1a2b3c4d5e6f7a8b",
        "username": "ada",
        "password": "pw/with+odd=chars&more",
        "custom": "custom-sëcret-ünïcode-42",
    }
    connector, _ = record_and_replay(tmp_path, secrets)
    index = json.loads((connector / "cassettes" / "index.json").read_text())
    config = next(i for i in index["invocations"] if i["id"] == "basic_read-0")["config"]
    assert config["client_secret"] == "**REDACTED:client_secret**"
    assert config["refresh_token"] == "**REDACTED:refresh_token**"
    replay_config = json.loads((connector / "cassettes" / "replay_config.json").read_text())
    assert replay_config["custom"] == "**REDACTED:custom**"
    cassette = (connector / "cassettes" / "basic_read-0.json").read_text()  # new recordings: JSON cassettes
    assert "**REDACTED:access_token**" in cassette
    assert "Bearer **REDACTED:access_token**" in cassette


# Secrets of varied shapes: header-safe ASCII for what travels in headers, any printable text elsewhere.
HEADER_SAFE = st.text(alphabet=string.ascii_letters + string.digits + "-_.~+/=:@!$*,;", min_size=12, max_size=40)
ANY_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=12,
    max_size=40,
)


def _literal(value: str) -> bool:
    """The CDK's Jinja interpolation turns a config string that reads as a Python literal (``"0123"``, ``"[1]"``)
    into that literal, so such a secret never reaches the API as the same string: not a scrubbing question."""
    try:
        ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return False
    return True


# Words every recording holds anyway (header names, keys): a "secret" equal to one of them cannot be told apart
# from the file's structure; replaykit refuses such a recording (the verification fails it), tested elsewhere.
STRUCTURE = (ROOT / "cassettes" / "source-demo" / "basic_read-0.yaml").read_text() + (
    ROOT / "tests" / "fixtures" / "leaky_api.py"
).read_text()


def _distinct(secrets: dict[str, str]) -> bool:
    """Secrets are different from each other, none inside another, none looking like a placeholder."""
    values = [v for k, v in secrets.items() if k != "username"]
    pairs = [(a, b) for i, a in enumerate(values) for j, b in enumerate(values) if i != j]
    return (
        all(a not in b for a, b in pairs)
        and not any("REDACTED" in v for v in values)
        and not any(_literal(v.strip()) for v in values)
        and not any(v in STRUCTURE for v in values)
    )


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # each example is a real recording: no slow shrinking
)
@given(
    secrets=st.fixed_dictionaries(
        {
            "api_key": HEADER_SAFE,
            "client_id": ANY_TEXT,
            "client_secret": ANY_TEXT,
            "refresh_token": ANY_TEXT,
            "username": st.text(alphabet=string.ascii_letters, min_size=3, max_size=10),
            "password": ANY_TEXT,
            "custom": ANY_TEXT,
        }
    ).filter(_distinct)
)
def test_planted_secrets_of_any_shape_never_reach_disk(tmp_path_factory: Any, secrets: dict[str, str]) -> None:
    record_and_replay(tmp_path_factory.mktemp("leaky"), secrets)


def test_a_secret_that_cannot_be_scrubbed_fails_the_recording_without_naming_it(tmp_path: Path) -> None:
    """A password equal to a header name cannot be told apart from the cassette's structure: the verification
    after write finds it, deletes the file and fails, naming the file and the place, never the value."""
    secrets = {
        "api_key": "ak-0123456789",
        "client_id": "cid-0123456789",
        "client_secret": "cs-0123456789",
        "refresh_token": "rt-0123456789",
        "username": "ada",
        "password": "Authorization",
        "custom": "cu-0123456789",
    }
    connector, proc, _ = record_leaky(tmp_path, secrets)
    assert proc.returncode == 1
    assert "secret 'password' found in basic_read-0.json at line" in proc.stderr
    assert "the file was deleted" in proc.stderr
    assert not (connector / "cassettes").exists()
    assert not (connector / "integration_tests" / "expected_records.jsonl").exists()
    assert not list(connector.glob(".cassettes*"))


def test_a_secret_base_url_is_scrubbed_into_a_url_the_replay_sends_its_requests_to(tmp_path: Path) -> None:
    """A connector's API address can be secret (Marketo's ``domain_url`` is ``airbyte_secret``): the demo's
    ``base_url`` declared secret is recorded nowhere, and the offline replay, which builds its requests from
    the scrubbed config, finds them in the cassettes."""
    from conftest import TEST_KEY, make_connector
    from demo_api import DemoAPI

    with DemoAPI(port=0, key=TEST_KEY) as api:
        connector = make_connector(tmp_path / "source-demo", api, suites=("basic_read", "incremental"))
        (connector / "integration_tests" / "invalid_config.json").unlink()  # it holds the address, as public
        proc = run_replaykit(["record", "--config", "secrets/config.json", "--secret", "base_url"], cwd=connector)
        address = api.base_url.split("//")[1]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = {p: p.read_text() for p in connector.rglob("*") if p.is_file() and "secrets" not in p.parts}
    assert [p for p, text in written.items() if address in text] == []
    cassette = json.loads((connector / "cassettes" / "basic_read-0.json").read_text())
    uris = {i["request"]["uri"].split("?")[0] for i in cassette["interactions"]}
    assert "http://redacted-base-url.invalid/v1/users" in uris
    replay = run_replaykit(["replay"], cwd=connector)  # the API is gone: only the cassettes answer
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "replay passed: 9 invocation(s) matched their recording" in replay.stdout
