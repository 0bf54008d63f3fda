"""The bundled demo connector and demo API are real: spec, check, discover and read as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from conftest import TEST_KEY, make_connector
from demo_api import USERS, DemoAPI

# What a connector's main.py does for a declarative manifest.
LAUNCH = """
import sys
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
args = sys.argv[1:]
parsed = AirbyteEntrypoint.parse_args(args)
config = YamlDeclarativeSource.read_config(parsed.config) if hasattr(parsed, "config") else None
catalog = YamlDeclarativeSource.read_catalog(parsed.catalog) if hasattr(parsed, "catalog") else None
launch(YamlDeclarativeSource("manifest.yaml", config=config, catalog=catalog, state=[]), args)
"""


def connector(cwd: Path, *args: str) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def test_demo_api_checks_the_key_in_header_and_query(demo_api: DemoAPI) -> None:
    def status(url: str, header: str | None) -> int:
        request = urllib.request.Request(url, headers={"Authorization": header} if header else {})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    base = f"{demo_api.base_url}/v1/users?limit=2"
    assert status(f"{base}&api_key={TEST_KEY}", f"Bearer {TEST_KEY}") == 200
    assert status(f"{base}&api_key={TEST_KEY}", None) == 401
    assert status(base, f"Bearer {TEST_KEY}") == 401
    assert status(f"{base}&api_key=wrong", f"Bearer {TEST_KEY}") == 401


def test_spec_check_discover_read_against_the_demo_api(tmp_path: Path, demo_api: DemoAPI) -> None:
    cwd = make_connector(tmp_path / "source-demo", demo_api, days_back=10)

    spec = next(m for m in connector(cwd, "spec") if m["type"] == "SPEC")["spec"]
    assert spec["connectionSpecification"]["properties"]["api_key"]["airbyte_secret"] is True

    status = next(
        m for m in connector(cwd, "check", "--config", "secrets/config.json") if m["type"] == "CONNECTION_STATUS"
    )
    assert status["connectionStatus"]["status"] == "SUCCEEDED"
    bad = next(
        m
        for m in connector(cwd, "check", "--config", "integration_tests/invalid_config.json")
        if m["type"] == "CONNECTION_STATUS"
    )
    assert bad["connectionStatus"]["status"] == "FAILED"

    catalog = next(m for m in connector(cwd, "discover", "--config", "secrets/config.json") if m["type"] == "CATALOG")[
        "catalog"
    ]
    streams = {s["name"]: s for s in catalog["streams"]}
    assert set(streams) == {"users", "user_plans", "events"}
    assert "incremental" in streams["events"]["supported_sync_modes"]

    served_before = len(demo_api.access_log)
    messages = connector(
        cwd, "read", "--config", "secrets/config.json", "--catalog", "integration_tests/configured_catalog.json"
    )
    records: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        if m["type"] == "RECORD":
            records.setdefault(m["record"]["stream"], []).append(m["record"]["data"])
    assert sorted(r["id"] for r in records["users"]) == [u["id"] for u in USERS]  # 3 pages of 5
    assert sorted(r["user_id"] for r in records["user_plans"]) == [u["id"] for u in USERS]
    assert len(records["events"]) >= 2 * 10  # two events a day since the start date
    served = demo_api.access_log[served_before:]
    assert (
        sum(1 for e in served if e["path"] == "/v1/users" and ("next_token", "10") in [tuple(q) for q in e["query"]])
        >= 1
    )
    assert any(e["path"].startswith("/v1/users/") for e in served)
    final_state = [m["state"] for m in messages if m["type"] == "STATE"][-1]
    assert final_state["stream"]["stream_descriptor"]["name"] in {"users", "user_plans", "events"}


def test_flaky_switch_answers_429_then_500_once(demo_api: DemoAPI) -> None:
    demo_api.flaky = True

    def get(path: str) -> int:
        sep = "&" if "?" in path else "?"
        request = urllib.request.Request(
            f"{demo_api.base_url}{path}{sep}api_key={TEST_KEY}", headers={"Authorization": f"Bearer {TEST_KEY}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    window = "/v1/events?created[gte]=2026-10-01T00:00:00Z&created[lte]=2026-10-02T00:00:00Z"
    assert [get("/v1/users?next_token=5"), get("/v1/users?next_token=5")] == [429, 200]
    assert [get(window), get(window)] == [500, 200]
