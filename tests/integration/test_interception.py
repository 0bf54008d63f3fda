"""The interceptor under the CDK's worker threads, backoff at replay, and the network guard.

Each test runs real connector processes against the real demo API, forked from a warm server as `replaykit
record` and `replay` run them (the fresh-process runner gives the same outputs: test_warm_runner.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import TEST_KEY, make_connector
from demo_api import DemoAPI
from replaykit._vcr import load_cassette
from replaykit.clock import format_instant, now_whole_second
from replaykit.connector import resolve_connector
from replaykit.fork_runner import ForkRunner
from replaykit.runner import InvocationRun, run_invocation
from replaykit.runtime import Job
from replaykit.scrub import Secret

CATALOG = "integration_tests/configured_catalog.json"


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkRunner]:
    """One warm runner for the module's invocations, each forked with its own cwd, cassette and clock."""
    runner = ForkRunner(tmp_path_factory.mktemp("warm"))
    try:
        yield runner
    finally:
        runner.close()


def run(
    runner: ForkRunner,
    connector: Path,
    mode: str,
    cassette: Path,
    instant: str,
    config: str = "secrets/config.json",
) -> InvocationRun:
    """One read, forked from ``runner``."""
    job = Job(
        mode=mode,
        cassette=str(cassette),
        connector=resolve_connector(connector).to_dict(),
        args=["read", "--config", config, "--catalog", CATALOG],
        frozen_at=instant,
        invocation="read",
        secrets=[["api_key", TEST_KEY]] if mode == "record" else [],
        metadata={"recorded_at": instant},
    )
    return run_invocation(job, cwd=connector, timeout_s=300, runner=runner)


def served(entries: list[dict[str, Any]]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """Requests as (path, sorted query without the key): comparable across the API log and cassettes."""
    return sorted((e["path"], tuple(sorted((k, v) for k, v in e["query"] if k != "api_key"))) for e in entries)


def recorded(cassette: Path) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    out = []
    for request, _ in load_cassette(cassette).interactions:
        parts = urlsplit(request.uri)
        out.append({"path": parts.path, "query": parse_qsl(parts.query, keep_blank_values=True)})
    return served(out)


def replay_config(connector: Path) -> str:
    """The scrubbed config replay runs with (as the recorder stores it)."""
    config = json.loads((connector / "secrets/config.json").read_text())
    config["api_key"] = "**REDACTED:api_key**"
    (connector / "replay_config.json").write_text(json.dumps(config))
    return "replay_config.json"


@pytest.mark.slow
def test_recording_at_concurrency_8_loses_no_request_in_20_runs(
    tmp_path: Path, demo_api: DemoAPI, warm: ForkRunner
) -> None:
    connector = make_connector(
        tmp_path / "source-demo", demo_api, days_back=30, extra_config={"num_workers": 8, "window_days": 1}
    )
    exact = 0
    for attempt in range(20):
        cassette = tmp_path / f"run{attempt}.yaml"
        start = len(demo_api.access_log)
        result = run(warm, connector, "record", cassette, format_instant(now_whole_second()))
        assert result.exit_code == 0, result.stderr_tail
        log = demo_api.access_log[start:]
        assert len(log) > 40  # 3 user pages + 12 plans + ~31 one-day event windows
        exact += recorded(cassette) == served(log)
    assert exact == 20

    # Replay of the last cassette at concurrency 8 with the API still up: not one request reaches it.
    before = len(demo_api.access_log)
    instant = load_cassette(cassette).metadata["recorded_at"]
    replayed = run(warm, connector, "replay", cassette, instant, config=replay_config(connector))
    assert replayed.exit_code == 0, replayed.stderr_tail
    assert replayed.result.misses == []
    assert replayed.result.blocked_connections == []
    # Every recorded request is sent again (extra copies of an identical request may stay unplayed: the CDK's
    # requests_cache serves a repeated parent page from its cache or the network depending on thread timing).
    assert replayed.result.unplayed == []
    assert len(demo_api.access_log) == before
    assert sorted(map(json.dumps, replayed.output.records)) == sorted(map(json.dumps, result.output.records))


def test_recorded_429_and_500_replay_without_waiting(tmp_path: Path, demo_api: DemoAPI, warm: ForkRunner) -> None:
    demo_api.flaky = True
    connector = make_connector(tmp_path / "source-demo", demo_api, days_back=10)
    cassette = tmp_path / "flaky.yaml"
    instant = format_instant(now_whole_second())
    recorded_run = run(warm, connector, "record", cassette, instant)
    assert recorded_run.exit_code == 0, recorded_run.stderr_tail
    statuses = [r["status"]["code"] for _, r in load_cassette(cassette).interactions]
    assert statuses.count(429) == 1
    assert statuses.count(500) == 1
    assert recorded_run.result.sleep.performed_s >= 2.0  # the live recording really waited

    replayed = run(warm, connector, "replay", cassette, instant, config=replay_config(connector))
    assert replayed.exit_code == 0, replayed.stderr_tail
    sleep = replayed.result.sleep
    print(f"\nbackoff at replay: {sleep.calls} waits, {sleep.requested_s} s requested, {sleep.performed_s} s performed")
    assert sleep.requested_s >= 2.0  # the connector asked to wait as it did live...
    assert sleep.performed_s < 1.0  # ...and replay did not
    assert sorted(map(json.dumps, replayed.output.records)) == sorted(map(json.dumps, recorded_run.output.records))


def test_replay_blocks_any_socket(tmp_path: Path, demo_api: DemoAPI, warm: ForkRunner) -> None:
    """A request that escaped the interceptor would be refused at the socket, counted, and fail the run."""
    connector = make_connector(tmp_path / "source-demo", demo_api, days_back=3)
    guard = (
        "import socket, replaykit.runtime as r\n"
        "attempts = []\n"
        "with r.blocked_network(attempts):\n"
        "    try:\n"
        f"        socket.create_connection(('127.0.0.1', {demo_api.port}), timeout=2)\n"
        "    except r.NetworkBlockedError as exc:\n"
        "        print('blocked', exc)\n"
        "print(len(attempts))\n"
    )
    import subprocess
    import sys

    before = len(demo_api.access_log)
    proc = subprocess.run([sys.executable, "-c", guard], capture_output=True, text=True, check=True, cwd=connector)
    assert proc.stdout.splitlines()[0].startswith("blocked replaykit replay: network access")
    assert proc.stdout.splitlines()[-1] == "1"
    assert len(demo_api.access_log) == before


def test_record_scrubs_the_key_from_the_cassette(tmp_path: Path, demo_api: DemoAPI, warm: ForkRunner) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, days_back=3)
    cassette = tmp_path / "c.yaml"
    result = run(warm, connector, "record", cassette, format_instant(now_whole_second()))
    assert result.exit_code == 0
    text = cassette.read_text()
    assert TEST_KEY not in text
    assert text.count("**REDACTED:api_key**") >= 2 * result.result.interactions  # header + query
    assert Secret("api_key", TEST_KEY).value not in result.result.to_json()


def test_client_rate_limit_is_off_at_replay(tmp_path: Path, demo_api: DemoAPI, warm: ForkRunner) -> None:
    """A manifest api_budget throttles the live recording; at replay it must not spin or wait: replayed under a
    budget of one call an hour, the read still completes (a limiter left on would wait past the timeout)."""
    connector = make_connector(tmp_path / "source-demo", demo_api, days_back=10)
    manifest = connector / "manifest.yaml"
    plain = manifest.read_text()

    def budget(limit: int, interval: str) -> str:
        return (
            f"{plain}\napi_budget:\n  type: HTTPAPIBudget\n  policies:\n    - type: MovingWindowCallRatePolicy\n"
            f"      rates:\n        - limit: {limit}\n          interval: {interval}\n      matchers: []\n"
        )

    manifest.write_text(budget(4, "PT1S"))
    cassette = tmp_path / "budget.yaml"
    instant = format_instant(now_whole_second())
    recorded_run = run(warm, connector, "record", cassette, instant)
    assert recorded_run.exit_code == 0, recorded_run.stderr_tail
    assert recorded_run.duration_s >= 3.0  # ~20 requests at 4 per second: the budget really throttled
    manifest.write_text(budget(1, "PT1H"))
    replayed = run(warm, connector, "replay", cassette, instant, config=replay_config(connector))
    assert replayed.exit_code == 0, str(replayed.result.misses) + replayed.stderr_tail
    assert replayed.result.sleep.calls == 0
    assert sorted(map(json.dumps, replayed.output.records)) == sorted(map(json.dumps, recorded_run.output.records))
