"""Replay's network guard: raw ``_socket`` connects, UDP datagrams, DNS lookups and child processes are each
blocked and reported, and a replay whose connector tries them fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_connector, run_replaykit
from demo_api import DemoAPI

ATTEMPTS = """
import _socket, socket, subprocess, sys

def attempt_network(port):
    tries = {
        "raw _socket connect": lambda: _socket.socket(_socket.AF_INET, 1).connect(("127.0.0.1", port)),
        "socket connect_ex": lambda: socket.socket().connect_ex(("127.0.0.1", port)),
        "udp sendto": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", port)),
        "dns": lambda: socket.getaddrinfo("example.com", 443),
        "raw dns": lambda: _socket.gethostbyname("example.com"),
        "child process": lambda: subprocess.run(
            [sys.executable, "-c", f"import urllib.request as u; u.urlopen('http://127.0.0.1:{port}/', timeout=5)"],
            capture_output=True, timeout=60,
        ),
    }
    outcome = {}
    for name, attempt in tries.items():
        try:
            outcome[name] = repr(attempt())
        except Exception as exc:
            outcome[name] = type(exc).__name__
    return outcome
"""

GUARDED = (
    ATTEMPTS
    + """
import json
import os
from replaykit.netguard import blocked_network
attempts = []
with blocked_network(attempts):
    outcome = attempt_network(int(sys.argv[1]))
print(json.dumps({"outcome": outcome, "attempts": attempts}))
"""
)


@pytest.mark.parametrize("namespace", [True, False], ids=["network-namespace", "in-process-only"])
def test_each_way_out_is_blocked_and_reported(tmp_path: Path, demo_api: DemoAPI, namespace: bool) -> None:
    env = {} if namespace else {"REPLAYKIT_NO_NETNS": "1"}
    script = tmp_path / "guarded.py"
    script.write_text(GUARDED)
    before = len(demo_api.access_log)
    proc = subprocess.run(
        [sys.executable, str(script), str(demo_api.port)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=True,
    )
    result = json.loads(proc.stdout)
    assert len(demo_api.access_log) == before  # nothing reached the API
    outcome, attempts = result["outcome"], result["attempts"]
    for name in ("raw _socket connect", "socket connect_ex", "udp sendto", "dns", "raw dns"):
        assert outcome[name] == "NetworkBlockedError", name
    assert "returncode=1" in outcome["child process"]
    assert any(a.startswith("connect ('127.0.0.1'") for a in attempts)
    assert any(a.startswith("sendto") for a in attempts)
    assert any("example.com" in a for a in attempts)
    assert any(a.startswith("child process:") for a in attempts)
    if not namespace:
        assert "no network namespace" in proc.stderr


MAIN_PY = (
    ATTEMPTS
    + """
import os
from pathlib import Path
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource as Source

if __name__ == "__main__":
    if os.environ.get("TRY_NETWORK_PORT"):
        attempt_network(int(os.environ["TRY_NETWORK_PORT"]))
    args = sys.argv[1:]
    parsed = AirbyteEntrypoint.parse_args(args)
    config = Source.read_config(parsed.config) if hasattr(parsed, "config") else None
    catalog = Source.read_catalog(parsed.catalog) if hasattr(parsed, "catalog") else None
    manifest = str(Path(__file__).with_name("manifest.yaml"))
    launch(Source(manifest, config=config, catalog=catalog, state=[]), args)
"""
)


def test_a_replay_whose_connector_tries_the_network_fails(tmp_path: Path, demo_api: DemoAPI) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, suites=("spec",))
    (connector / "main.py").write_text(MAIN_PY)
    recorded = run_replaykit(["record", "--connector-command", "python main.py"], cwd=connector)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    before = len(demo_api.access_log)
    replayed = run_replaykit(
        ["replay", "--connector-command", "python main.py", "--json", str(tmp_path / "report.json")],
        cwd=connector,
        env={"TRY_NETWORK_PORT": str(demo_api.port)},
    )
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    blocked = [line for line in replayed.stdout.splitlines() if "connection(s) to the network were blocked" in line]
    assert blocked, replayed.stdout
    # per invocation: raw connect, connect_ex, sendto, two lookups and the child's lookup of its (dead) proxy
    assert all(int(line.split("connection(s)")[0].split()[-1]) >= 6 for line in blocked), blocked
    assert len(demo_api.access_log) == before
