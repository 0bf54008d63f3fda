"""Secrets echoed back in every valid spelling never reach disk or output: a local API echoes generated secrets
(unicode, regex-special, numeric) percent-encoded in either case and twice, JSON-escaped with ``\\/``, as hex, as
base64 padded or not and inside longer base64 tokens, in gzip bodies, headers, quoted cookies, next-page URLs and
error bodies; it hands out a session token the connector sends back in a custom header."""

from __future__ import annotations

import ast
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_replaykit

sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from echo_api import EchoAPI, spellings

FIXTURE = ROOT / "tests" / "fixtures" / "source-echo"
STRUCTURE = (FIXTURE / "manifest.yaml").read_text() + (ROOT / "tests" / "fixtures" / "echo_api.py").read_text()


def record(tmp: Path, secrets: dict[str, Any], *, fail: bool = False) -> tuple[Path, EchoAPI, list[str]]:
    connector = tmp / "source-echo"
    shutil.copytree(FIXTURE, connector)
    (connector / "secrets").mkdir()
    with EchoAPI({k: str(v) for k, v in secrets.items()}, fail=fail) as api:
        (connector / "secrets" / "config.json").write_text(json.dumps({"base_url": api.base_url, **secrets}))
        proc = run_replaykit(["record"], cwd=connector)
    return connector, api, [proc.stdout + proc.stderr, str(proc.returncode)]


def leaks(connector: Path, outputs: list[str], values: list[str]) -> list[str]:
    """Every (value, spelling, place) found on disk (outside secrets/) or in an output."""
    places = {"output": "\n".join(outputs)}
    for path in connector.rglob("*"):
        if path.is_file() and "secrets" not in path.parts:
            places[str(path.relative_to(connector))] = path.read_text(encoding="utf-8", errors="replace")
    return [
        f"{kind} spelling of secret #{n} in {place}"
        for n, value in enumerate(values)
        for kind, spelt in spellings(value).items()
        for place, text in places.items()
        if spelt in text
    ]


def _literal(value: str) -> bool:
    """The CDK's Jinja turns a config string that reads as a Python literal into that literal (not our case)."""
    try:
        ast.literal_eval(value.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return False
    return True


TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=6, max_size=24
)
REGEX_SPECIAL = st.text(alphabet=".*+?()[]{}|^$\\/%=&\"'#", min_size=4, max_size=8).map(lambda s: "k" + s + "zq")


def _fine(secrets: dict[str, Any]) -> bool:
    values = [str(v) for k, v in secrets.items() if k != "username"]
    texts = [secrets["api_key"], secrets["password"]]  # the account is a number on purpose
    return (
        all(a not in b for a in values for b in values if a is not b)
        and not any(_literal(v) or v != v.strip() for v in texts)
        and not any(v in STRUCTURE or "REDACTED" in v for v in values)
    )


SECRETS = st.fixed_dictionaries(
    {
        "api_key": st.one_of(TEXT, REGEX_SPECIAL),
        "username": st.just("ada"),
        "password": st.one_of(TEXT, REGEX_SPECIAL),
        "account": st.integers(min_value=10**7, max_value=10**15),
    }
).filter(_fine)


@settings(
    max_examples=1,  # each example is a live recording and a replay (~25 s); the unit property test goes wide
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # each example is a real recording: no slow shrinking
)
@example({"api_key": "ak/Zz+9=q%x.y", "username": "ada", "password": 'pä$$(w)*[rd]?\\/"x', "account": 982734650192})
@given(secrets=SECRETS)
def test_every_spelling_of_every_secret_stays_off_disk_and_out_of_output(
    tmp_path_factory: Any, secrets: dict[str, Any]
) -> None:
    connector, api, outputs = record(tmp_path_factory.mktemp("echo"), secrets)
    assert outputs[-1] == "0", outputs[0]
    assert "GET /v1/items" in api.requests
    values = [str(secrets["api_key"]), secrets["password"], str(secrets["account"]), *api.learned]
    assert leaks(connector, outputs, values) == []
    index = json.loads((connector / "cassettes" / "index.json").read_text())
    name = next(i["cassette"] for i in index["invocations"] if i["id"] == "basic_read-0")
    cassette = (connector / "cassettes" / name).read_text()
    assert "**REDACTED:x_echo_session**" in cassette  # learned from its credential position
    updated = run_replaykit(["replay", "--update"], cwd=connector)  # offline: replay, then rewrite the snapshots
    assert updated.returncode == 0, updated.stdout + updated.stderr
    outputs += [updated.stdout + updated.stderr]
    assert leaks(connector, outputs, values) == []
    for line in (connector / "integration_tests" / "expected_records.jsonl").read_text().splitlines():
        json.loads(line)  # a scrubbed quoted cookie kept its JSON quotes


def test_an_error_body_echoing_the_secrets_fails_the_recording_without_them(tmp_path: Path) -> None:
    secrets = {"api_key": "ak/err+9=q%x.y", "username": "ada", "password": 'pä$$(w)*[rd]?\\/"e', "account": 98273465}
    connector, api, outputs = record(tmp_path, secrets, fail=True)
    assert outputs[-1] == "1", outputs[0]
    assert "GET /v1/items" in api.requests
    assert "Traceback" not in outputs[0]
    values = [str(secrets["api_key"]), str(secrets["password"]), str(secrets["account"]), *api.learned]
    assert leaks(connector, outputs, values) == []
    assert not (connector / "cassettes").exists()


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    field=st.sampled_from(["api_key", "password", "account"]),
    short=st.one_of(st.text(alphabet="§¤µ¶Ø", min_size=1, max_size=5), st.integers(1, 9_999_999)),
)
def test_a_secret_too_short_to_scrub_stops_the_recording_before_any_request(
    tmp_path_factory: Any, field: str, short: str | int
) -> None:
    secrets: dict[str, Any] = {"api_key": "ak-long-enough-1", "username": "ada", "password": "pw-long-enough-2"}
    secrets["account"] = 982734650192
    secrets[field] = short
    tmp = tmp_path_factory.mktemp("short")
    connector, api, outputs = record(tmp, secrets)
    assert outputs[-1] == "2", outputs[0]
    assert f"secret field {field!r}" in outputs[0]
    assert "too short to be scrubbed safely" in outputs[0]
    assert "Traceback" not in outputs[0]
    if isinstance(short, str):
        assert short not in outputs[0]
    assert api.requests == []
    assert not (connector / "cassettes").exists()
    assert not (connector / "integration_tests" / "expected_records.jsonl").exists()


def test_the_echo_fixture_spells_independently() -> None:
    """The test's spellings are its own (not replaykit's), so they can catch replaykit's misses."""
    assert spellings("a/b")["url-lower"] == "a%2fb"
    assert spellings("a/b")["url-double"] == "a%252Fb"
    assert spellings("a/b")["json-slash"] == "a\\/b"


def test_a_config_value_learned_only_at_run_time_is_scrubbed_from_the_index_too(tmp_path: Path) -> None:
    """A config field with an innocent name (``handle``) that the connector sends as a bearer token: replaykit
    learns it from the Authorization header during the run, after earlier invocations' inputs were stored;
    every stored input is scrubbed again at the end, so the recording neither leaks it nor fails."""
    connector = tmp_path / "source-echo"
    shutil.copytree(FIXTURE, connector)
    manifest = yaml.safe_load((connector / "manifest.yaml").read_text())
    requester = manifest["streams"][0]["retriever"]["requester"]
    requester["request_headers"] = {"Authorization": "Bearer {{ config['handle'] }}"}
    (connector / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    handle = "hdl-5b2e9c71d04a"
    secrets = {"api_key": "ak/Zz+9=q%x.y", "username": "ada", "password": "pw-4c1d9e", "account": 982734650192}
    (connector / "secrets").mkdir()
    with EchoAPI({k: str(v) for k, v in secrets.items()}) as api:
        config = {"base_url": api.base_url, **secrets, "handle": handle}
        (connector / "secrets" / "config.json").write_text(json.dumps(config))
        proc = run_replaykit(["record"], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert leaks(connector, [proc.stdout + proc.stderr], [handle]) == []
    assert "**REDACTED:authorization**" in (connector / "cassettes" / "index.json").read_text()
