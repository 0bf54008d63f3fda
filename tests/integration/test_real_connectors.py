"""Real declarative connectors nobody here wrote, with their real acceptance configs and integration_tests files
(tests/fixtures/real/source-*, provenance in each PROVENANCE), recorded against local stand-ins of their APIs
and replayed offline, judged as CAT judges them."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from conftest import ROOT, all_text, run_replaykit

sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from exchange_rates_api import ExchangeRatesAPI
from json_api import JsonAPI
from newsdata_api import NewsdataAPI

REAL = ROOT / "tests" / "fixtures" / "real"
KEY = "rk-exr-key-7c1d9e4b2a"
EXCHANGE_RATES_URL = "https://api.apilayer.com/exchangerates_data/"
# The real `latest` endpoint answers the latest rates whatever the cursor's `date` parameter says, so the second
# incremental read returns the same record as the first: CAT's verdict on this connector, not replaykit's.
IGNORED_STATE = "TestIncremental::test_two_sequential_reads[inputs0]"
LEGACY_STATE = "warning: integration_tests/abnormal_state.json: legacy state (legacy map"


def real_copy(tmp_path: Path, name: str, url_base: str, api: JsonAPI, config: dict[str, object]) -> Path:
    """The real connector ``name``, copied with its launcher; its manifest's hard-coded ``url_base`` pointed at
    ``api`` (in the copy only), secrets/config.json written."""
    connector = tmp_path / name
    shutil.copytree(REAL / name, connector, ignore=shutil.ignore_patterns("PROVENANCE"))
    shutil.copy(REAL / "manifest_launcher.py", tmp_path)
    (manifest,) = connector.glob("source_*/manifest.yaml")
    text = manifest.read_text(encoding="utf-8")
    assert text.count(f"url_base: {url_base}\n") == 1
    manifest.write_text(text.replace(f"url_base: {url_base}\n", f"url_base: {api.url_base}\n"), encoding="utf-8")
    (connector / "secrets").mkdir()
    (connector / "secrets" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return connector


def cassette_bytes(cassettes: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(cassettes.rglob("*")) if p.is_file()}


def failed_checks(report: Path) -> list[str]:
    return sorted(c["id"] for c in json.loads(report.read_text())["checks"] if c["status"] == "failed")


def test_real_exchange_rates_connector_records_and_replays_with_cats_verdict(tmp_path: Path) -> None:
    with ExchangeRatesAPI(KEY) as api:
        config = {"start_date": "2026-11-20", "access_key": KEY, "base": "EUR"}
        connector = real_copy(tmp_path, "source-exchange-rates", EXCHANGE_RATES_URL, api, config)
        proc = run_replaykit(["record", "--config", "secrets/config.json"], cwd=connector)
        requests = list(api.requests)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output  # one acceptance check fails, every invocation went as CAT expects
    assert "recorded 13 invocation(s), 9 request(s)" in output
    assert f"FAILED {IGNORED_STATE}: Records should change between reads but did not." in output
    assert "acceptance checks FAILED: 1 of 41" in output
    assert LEGACY_STATE in output  # the committed legacy dict abnormal_state.json, converted
    # The config names `spec_path: source_exchange_rates/spec.yaml`, gone since the spec moved into the manifest:
    # CAT skips test_match_expected, and so does replaykit (no config error).
    assert "The spec.yaml or spec.json does not exist" in output
    assert any(r.startswith("/exchangerates_data/latest?date=2026-11-20") for r in requests), requests
    cassettes = connector / "cassettes"
    assert KEY not in all_text(cassettes)
    assert KEY not in output
    index = json.loads((cassettes / "index.json").read_text())
    abnormal = next(i for i in index["invocations"] if i["id"] == "incremental-0-abnormal_state")
    assert abnormal["exit_code"] == 0
    assert abnormal["outputs"]["records"] == {}
    bad_catalog = next(i for i in index["invocations"] if i["id"] == "basic_read-0-bad_catalog")
    assert bad_catalog["outputs"]["errors"] >= 1  # the error TRACE CAT asks for

    before = cassette_bytes(cassettes)
    proc = run_replaykit(["replay", "--json", "report.json"], cwd=connector)  # the API is stopped: offline
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert failed_checks(connector / "report.json") == [IGNORED_STATE]
    assert "acceptance checks FAILED: 1 of 41" in output
    assert KEY not in output
    assert cassette_bytes(cassettes) == before  # replay is byte-stable: it rewrites nothing


def test_real_newsdata_connector_pages_through_and_replays_green(tmp_path: Path) -> None:
    """Two streams, a cursor paginator (``nextPage``), an ``incremental`` suite bypassed without tests."""
    key = "rk-news-key-5e8f1a2b3c"
    with NewsdataAPI(key) as api:
        connector = real_copy(
            tmp_path, "source-newsdata", "https://newsdata.io/api/1", api, {"api_key": key, "query": "pizza"}
        )
        proc = run_replaykit(["record", "--config", "secrets/config.json"], cwd=connector)
        requests = list(api.requests)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "recorded 8 invocation(s), 11 request(s)" in output
    assert "Skipping TestIncremental: This connector does not implement incremental sync" in output
    assert sum(r.startswith("/api/1/news?") and "page=10" in r for r in requests) == 3  # page 2 of each read
    # The committed invalid_config.json's dummy key is public (a file outside secrets/): recorded, with a note.
    assert "integration_tests/invalid_config.json is outside secrets/" in output
    cassettes = connector / "cassettes"
    assert key not in all_text(cassettes)
    assert key not in output
    index = json.loads((cassettes / "index.json").read_text())
    basic = next(i for i in index["invocations"] if i["id"] == "basic_read-0")
    assert {s: r["count"] for s, r in basic["outputs"]["records"].items()} == {"latest": 13, "sources": 2}

    before = cassette_bytes(cassettes)
    proc = run_replaykit(["replay"], cwd=connector)  # the API is stopped: offline
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "replay passed: 8 invocation(s) matched their recording" in proc.stdout
    assert cassette_bytes(cassettes) == before
