"""Live progress: requests and records so far reach the caller while an invocation runs."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from conftest import make_connector
from replaykit.recorder import record
from replaykit.settings import resolve_settings


def test_record_reports_requests_and_records_while_running(tmp_path: Path, demo_api: Any) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, suites=("basic_read",))
    seen: dict[str, list[tuple[int, int]]] = {}
    result = record(
        resolve_settings(connector),
        live=lambda inv, requests, records: seen.setdefault(inv, []).append((requests, records)),
    )
    by_id = {i.id: i for i in result.index.invocations}
    ticks = seen["basic_read-0"]
    assert [r for r, _ in ticks] == sorted(r for r, _ in ticks)  # counts only grow
    assert ticks[-1][0] == by_id["basic_read-0"].requests > 1  # every request was reported, live
    assert max(n for _, n in ticks) > 0
    assert len(ticks) >= by_id["basic_read-0"].requests


def test_replay_on_a_terminal_shows_a_live_line(tmp_path: Path) -> None:
    from conftest import ROOT

    primary, secondary = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # read while the command runs: a full pty buffer would block it
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the command closed its end
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run(
        [sys.executable, "-m", "replaykit", "replay", "--only", "basic_read-0"],
        cwd=ROOT,
        stdout=secondary,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
        timeout=120,
        check=False,
    )
    os.close(secondary)
    reader.join(timeout=30)
    os.close(primary)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, text + proc.stderr.decode()
    assert "replaying basic_read-0: " in text
    assert " requests, " in text
    assert "replay passed: 1 invocation(s)" in text
