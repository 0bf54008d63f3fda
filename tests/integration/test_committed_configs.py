"""Committed configs are public: a dummy credential in a committed failure-check config (``{"apikey": "apikey"}``,
as real connectors have) never fails a good recording, while the real secret of ``secrets/`` never reaches disk,
even when a committed file reuses it. Real recordings of a demo variant whose credential field is ``apikey``, in
a git work tree whose ``.gitignore`` holds ``secrets/`` (as in airbytehq/airbyte)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from conftest import TEST_KEY, DemoAPI, make_connector, run_replaykit

# A dummy long and random-looking enough that the scan's high-entropy rule would flag it in a cassette.
LONG_DUMMY = "dummy-Zx9Q7wK2pLm4vB"
FAILURES = {  # committed failure configs: file -> the dummy it holds
    "invalid_time.json": "apikey",  # the case: the value is also a key name of index.json
    "invalid_long.json": LONG_DUMMY,
}
SHORT = "q7Z"  # in invalid_time.json's client_secret: too short to scrub, had it been a secret


def apikey_variant(target: Path, api: DemoAPI) -> Path:
    """The demo connector with its credential field named ``apikey``, and only the connection suite."""
    connector = make_connector(target, api, suites=("connection",))
    manifest = connector / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("config['api_key']", "config['apikey']").replace("[api_key, start_date", "[apikey, start_date")
    text = text.replace("      api_key:\n        type: string", "      apikey:\n        type: string")
    manifest.write_text(text, encoding="utf-8")
    (connector / "integration_tests" / "invalid_config.json").unlink()
    config = json.loads((connector / "secrets" / "config.json").read_text(encoding="utf-8"))
    config["apikey"] = config.pop("api_key")
    (connector / "secrets" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(connector)], check=True)
    (connector / ".gitignore").write_text("secrets/\n", encoding="utf-8")
    return connector


def set_connection_tests(connector: Path, tests: list[dict[str, str]]) -> None:
    path = connector / "acceptance-test-config.yml"
    acceptance = yaml.safe_load(path.read_text(encoding="utf-8"))
    acceptance["acceptance_tests"]["connection"]["tests"] = [
        {"config_path": "secrets/config.json", "status": "succeed"},
        *tests,
    ]
    path.write_text(yaml.safe_dump(acceptance), encoding="utf-8")


def write_config(connector: Path, relative: str, config: dict[str, Any]) -> None:
    path = connector / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config), encoding="utf-8")


def secret_spellings() -> list[str]:
    return [TEST_KEY, quote(TEST_KEY, safe=""), base64.b64encode(TEST_KEY.encode()).decode()]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One recording: the real config, three committed failure configs with dummies, and a committed config that
    reuses the real key (a connection test expecting success)."""
    with DemoAPI(port=0, key=TEST_KEY) as api:
        connector = apikey_variant(tmp_path_factory.mktemp("committed") / "source-demo", api)
        real = json.loads((connector / "secrets" / "config.json").read_text(encoding="utf-8"))
        for name, dummy in FAILURES.items():
            write_config(connector, f"integration_tests/{name}", {**real, "apikey": dummy})
        write_config(
            connector, "integration_tests/invalid_time.json", {**real, "apikey": "apikey", "client_secret": SHORT}
        )
        write_config(connector, "integration_tests/copied_config.json", real)
        set_connection_tests(
            connector,
            [{"config_path": f"integration_tests/{name}", "status": "failed"} for name in FAILURES]
            + [{"config_path": "integration_tests/copied_config.json", "status": "succeed"}],
        )
        subprocess.run(["git", "-C", str(connector), "add", "-A"], check=True)
        proc = run_replaykit(["record"], cwd=connector)
    return connector, proc


def test_committed_dummy_credentials_record_with_a_note_naming_file_and_field(
    recorded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    connector, proc = recorded
    assert proc.returncode == 0, proc.stdout + proc.stderr
    notes = [line for line in proc.stdout.splitlines() if line.startswith("note: integration_tests/")]
    assert sorted(notes) == [
        "note: integration_tests/invalid_long.json is committed (not git-ignored), so its field 'apikey' is public: "
        "recorded as is, not scrubbed",
        "note: integration_tests/invalid_time.json is committed (not git-ignored), so its fields 'apikey', "
        "'client_secret' are public: recorded as is, not scrubbed",
    ]
    assert LONG_DUMMY not in proc.stdout + proc.stderr
    assert SHORT not in proc.stdout + proc.stderr
    # Not scrubbed: the dummies are in the cassettes and the index as they are, so replay sends and matches them.
    index = json.loads((connector / "cassettes" / "index.json").read_text(encoding="utf-8"))
    checks = [i for i in index["invocations"] if i["command"] == "check"]
    assert sorted({i["config"]["apikey"] for i in checks}) == sorted(["**REDACTED:apikey**", *FAILURES.values()])
    long_check = next(i for i in checks if i["config"]["apikey"] == LONG_DUMMY)
    assert f"api_key={LONG_DUMMY}" in (connector / "cassettes" / long_check["cassette"]).read_text()
    replayed = run_replaykit(["replay"], cwd=connector)  # the API is gone
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr


def test_the_real_secret_reaches_no_file_even_through_a_committed_copy(
    recorded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    connector, proc = recorded
    assert proc.returncode == 0, proc.stdout + proc.stderr
    texts = {"output": proc.stdout + proc.stderr}
    for path in sorted((connector / "cassettes").rglob("*")):
        if path.is_file():
            texts[path.name] = path.read_text(encoding="utf-8", errors="replace")
    assert [name for name, text in texts.items() for s in secret_spellings() if s in text] == []
    index = json.loads(texts["index.json"])
    copied = [i for i in index["invocations"] if i["command"] == "check" and i["config"]["apikey"].startswith("**")]
    assert len(copied) == 2  # secrets/config.json and the committed copy of it: both scrubbed
    assert "copied_config.json" not in proc.stdout  # a file whose credential is the real one gets no public note


def test_scan_does_not_report_committed_values_but_still_finds_the_real_secret(
    recorded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    connector, _ = recorded
    scanned = run_replaykit(["scan"], cwd=connector)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    assert "finding(s) not reported: values of committed configs (public)" in scanned.stdout
    # The real key planted in a cassette is still a finding, even though a committed file holds it too.
    cassette = next((connector / "cassettes").glob("connection-0.*"))
    original = cassette.read_text(encoding="utf-8")
    cassette.write_text(original.replace("**REDACTED:apikey**", TEST_KEY, 1), encoding="utf-8")
    try:
        leaked = run_replaykit(["scan"], cwd=connector)
    finally:
        cassette.write_text(original, encoding="utf-8")
    assert leaked.returncode == 1
    assert "known-secret" in leaked.stdout
    assert TEST_KEY not in leaked.stdout + leaked.stderr


@pytest.mark.parametrize(
    ("relative", "why"),
    [("integration_tests/local_config.json", "git-ignored"), ("secrets/invalid_config.json", "under secrets/")],
)
def test_a_too_short_secret_in_a_secret_holding_file_still_refuses(
    tmp_path: Path, demo_api: DemoAPI, relative: str, why: str
) -> None:
    connector = apikey_variant(tmp_path / "source-demo", demo_api)
    (connector / ".gitignore").write_text("secrets/\nintegration_tests/local_config.json\n", encoding="utf-8")
    real = json.loads((connector / "secrets" / "config.json").read_text(encoding="utf-8"))
    write_config(connector, relative, {**real, "apikey": SHORT})
    set_connection_tests(connector, [{"config_path": relative, "status": "failed"}])
    proc = run_replaykit(["record"], cwd=connector)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"secret field 'apikey' of {connector / relative} ({why}) is too short" in proc.stderr
    assert "committed files are public" in proc.stderr  # the way out for a dummy
    assert SHORT not in proc.stdout + proc.stderr
    assert demo_api.access_log == []
    assert not (connector / "cassettes").exists()
