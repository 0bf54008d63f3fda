"""Live progress: requests and records so far reach the caller while an invocation runs."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import tempfile
import time
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


def read_pty_while_running(command: list[str], cwd: Path, deadline_s: float = 300) -> tuple[int, str, str]:
    """Run ``command`` with its stdout on a terminal, reading the terminal while it runs (a full pty buffer would
    block it), up to a deadline and a bounded size; its exit code, terminal output and stderr."""
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(command, cwd=cwd, stdout=secondary, stderr=stderr, env=env)
        os.close(secondary)  # the child holds it: EIO on the primary once the child (and its children) close it
        chunks: list[bytes] = []
        deadline = time.monotonic() + deadline_s
        try:
            while time.monotonic() < deadline and sum(map(len, chunks)) < 8_000_000:
                ready, _, _ = select.select([primary], [], [], 1.0)
                if not ready:
                    if proc.poll() is not None:
                        break
                    continue
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # EIO: every writer closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            returncode = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(primary)
        stderr.seek(0)
        return returncode, b"".join(chunks).decode("utf-8", "replace"), stderr.read().decode("utf-8", "replace")


def test_replay_on_a_terminal_shows_a_live_line() -> None:
    from conftest import ROOT

    command = [sys.executable, "-m", "replaykit", "replay", "--only", "basic_read-0"]
    returncode, text, stderr = read_pty_while_running(command, cwd=ROOT)
    assert returncode == 0, text + stderr
    assert "replaying basic_read-0: " in text
    assert " requests, " in text
    assert "replay passed: 1 invocation(s)" in text
