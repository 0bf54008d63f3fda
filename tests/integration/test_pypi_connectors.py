"""Real Python connectors from PyPI, installed next to replaykit in a venv of their own (tests/helpers/venvs.py),
recorded against a local stand-in of their API and replayed offline, judged as CAT judges them.

source-marketo 2.1.3 pins airbyte-cdk 2.3 (jsonschema 3.2, pendulum 2), a pydantic-1-era CDK that replaykit's
requirements refused until they were widened; its ``domain_url``, where every request goes, is a secret."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from helpers.venvs import scratch_venv

sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from marketo_api import MarketoAPI

pytestmark = pytest.mark.pypi

MARKETO = "airbyte-source-marketo==2.1.3"
CLIENT_ID, CLIENT_SECRET, TOKEN = "rk-mkto-client-3a7c5e", "rk-mkto-secret-9e1f4b2d6a", "rk-mkto-token-5c8e2a9f1b"
# CAT's rule for the fixture's one edit (tests/fixtures/real/source-marketo/PROVENANCE)
CUSTOM_CATALOG = "TestBasicRead::test_read[inputs0]"


def replaykit_in(python: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run(
        [str(python), "-m", "replaykit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def failed_checks(report: Path) -> list[str]:
    return sorted(c["id"] for c in json.loads(report.read_text())["checks"] if c["status"] == "failed")


def test_real_marketo_from_pypi_on_cdk2_records_and_replays_with_cats_verdict(tmp_path: Path) -> None:
    python = scratch_venv("marketo", [MARKETO])
    connector = tmp_path / "source-marketo"
    shutil.copytree(ROOT / "tests" / "fixtures" / "real" / "source-marketo", connector)
    (site,) = python.parent.parent.glob("lib/python*/site-packages")
    code = shutil.ignore_patterns("schemas", "*.py", "__pycache__")  # spec.json, as the connector's repository has it
    shutil.copytree(site / "source_marketo", connector / "source_marketo", ignore=code)
    with MarketoAPI(CLIENT_ID, CLIENT_SECRET, TOKEN) as api:
        config = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "domain_url": api.root,
                  "start_date": "2026-09-01T00:00:00Z"}  # fmt: skip
        (connector / "secrets").mkdir()
        (connector / "secrets" / "config.json").write_text(json.dumps(config))
        record = ["record", "--config", "secrets/config.json", "--connector-command", "source-marketo"]
        proc = replaykit_in(python, record, connector)
        requests = list(api.requests)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output  # CAT's verdict: one check fails, every invocation went as CAT expects
    assert "recorded 17 invocation(s)" in output
    assert f"FAILED {CUSTOM_CATALOG}: High strictness level error" in output
    assert "acceptance checks FAILED: 1 of 41" in output
    # the OAuth token (both flows the connector has), cursor and offset pagination, 30-day windows
    assert "POST /identity/oauth/token" in requests
    assert any(r.startswith("/identity/oauth/token?grant_type=client_credentials") for r in requests)
    assert "/rest/v1/campaigns.json?nextPageToken=2&batchSize=300" in requests
    assert any("latestUpdatedAt=2026-10-30T23%3A59%3A59Z" in r for r in requests)

    written = {p: p.read_text() for p in connector.rglob("*") if p.is_file() and "secrets" not in p.parts}
    for secret in (CLIENT_ID, CLIENT_SECRET, TOKEN, api.root, api.root.split("//")[1]):
        assert [p for p, text in written.items() if secret in text] == [], secret
    records = (connector / "integration_tests" / "expected_records.jsonl").read_text().splitlines()
    streams = {json.loads(r)["stream"] for r in records}
    assert streams == {"programs", "campaigns", "lists", "segmentations", "activity_types"}

    cassettes = {p: p.read_bytes() for p in sorted((connector / "cassettes").rglob("*")) if p.is_file()}
    replay = replaykit_in(python, ["replay", "--json", str(tmp_path / "replay.json")], connector)  # the API is gone
    assert replay.returncode == 1, replay.stdout + replay.stderr
    report = json.loads((tmp_path / "replay.json").read_text())
    assert {i["status"] for i in report["invocations"]} == {"passed"}, report["invocations"]
    assert len(report["invocations"]) == 17
    assert failed_checks(tmp_path / "replay.json") == [CUSTOM_CATALOG]
    assert {p: p.read_bytes() for p in sorted((connector / "cassettes").rglob("*")) if p.is_file()} == cassettes
