"""A real declarative connector nobody here wrote, with its real acceptance config and integration_tests files
(tests/fixtures/real/source-exchange-rates, provenance in its PROVENANCE), recorded against a local stand-in of
its API and replayed offline, judged as CAT judges it."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from conftest import ROOT, all_text, run_replaykit

sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from exchange_rates_api import ExchangeRatesAPI

REAL = ROOT / "tests" / "fixtures" / "real"
KEY = "rk-exr-key-7c1d9e4b2a"
REAL_URL_BASE = "url_base: https://api.apilayer.com/exchangerates_data/"
# The real `latest` endpoint answers the latest rates whatever the cursor's `date` parameter says, so the second
# incremental read returns the same record as the first: CAT's verdict on this connector, not replaykit's.
IGNORED_STATE = "TestIncremental::test_two_sequential_reads[inputs0]"
LEGACY_STATE = "warning: integration_tests/abnormal_state.json: legacy state (legacy map"


def exchange_rates_copy(tmp_path: Path, api: ExchangeRatesAPI) -> Path:
    """The real connector, copied; its manifest's hard-coded url_base pointed at ``api`` (the copy only)."""
    connector = tmp_path / "source-exchange-rates"
    shutil.copytree(REAL / "source-exchange-rates", connector, ignore=shutil.ignore_patterns("PROVENANCE"))
    manifest = connector / "source_exchange_rates" / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert text.count(REAL_URL_BASE) == 1
    manifest.write_text(text.replace(REAL_URL_BASE, f"url_base: {api.url_base}"), encoding="utf-8")
    (connector / "secrets").mkdir()
    config = {"start_date": "2026-11-20", "access_key": KEY, "base": "EUR"}
    (connector / "secrets" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return connector


def failed_checks(report: Path) -> list[str]:
    return sorted(c["id"] for c in json.loads(report.read_text())["checks"] if c["status"] == "failed")


def test_real_exchange_rates_connector_records_and_replays_with_cats_verdict(tmp_path: Path) -> None:
    with ExchangeRatesAPI(KEY) as api:
        connector = exchange_rates_copy(tmp_path, api)
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

    before = {p: p.read_bytes() for p in sorted(cassettes.rglob("*")) if p.is_file()}
    proc = run_replaykit(["replay", "--json", "report.json"], cwd=connector)  # the API is stopped: offline
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert failed_checks(connector / "report.json") == [IGNORED_STATE]
    assert "acceptance checks FAILED: 1 of 41" in output
    assert KEY not in output
    after = {p: p.read_bytes() for p in sorted(cassettes.rglob("*")) if p.is_file()}
    assert after == before  # replay is byte-stable: it rewrites nothing
