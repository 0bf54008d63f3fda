"""Launch one connector invocation in a child process and collect what it did.

The child is ``python -m replaykit.runtime`` in this same Python environment (the connector's code is
imported there, then the interceptor and clock are installed).  The job, with any secrets, goes in on
stdin; protocol messages come back on stdout; the runtime's own facts come back on a pipe of their own.
A later warm-fork runner can replace :func:`run_invocation` without touching its callers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaykit.errors import CassetteCorruptError, CassetteError, ConnectorCrashedError
from replaykit.messages import ConnectorOutput
from replaykit.runtime import Job


@dataclass
class InvocationRun:
    output: ConnectorOutput
    result: dict[str, Any]
    duration_s: float
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return int(self.result.get("exit_code", 3))


# (invocation id, requests so far, records so far), called from reader threads while the connector runs
LiveCallback = Callable[[str, int, int], None]


def _read_all(fd: int, chunks: list[bytes]) -> None:
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read(65536):
            chunks.append(chunk)


def run_invocation(
    job: Job,
    *,
    cwd: Path,
    timeout_s: float,
    live: LiveCallback | None = None,
    scrub: Callable[[str], str] = str,
) -> InvocationRun:
    """Run ``job`` to completion (or kill it at ``timeout_s``) and return its output and result.

    Nothing of the run touches the disk: the job (with any secrets) goes in on stdin, the runtime's result comes
    back on a pipe of its own, and only the last lines of stderr are kept, passed through ``scrub``."""
    started = time.monotonic()
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    result_read, result_write = os.pipe()
    job.result_fd = result_write
    ticks_read, ticks_write = os.pipe()
    job.progress_fd = ticks_write
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "replaykit.runtime"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            pass_fds=(result_write, ticks_write),
        )
    finally:
        os.close(result_write)
        os.close(ticks_write)
    tail: deque[str] = deque(maxlen=20)
    chunks: list[bytes] = []
    stderr = proc.stderr
    assert stderr is not None
    output = ConnectorOutput()
    requests = [0]

    def count_ticks() -> None:
        with os.fdopen(ticks_read, "rb", buffering=0) as pipe:
            while chunk := pipe.read(4096):
                requests[0] += len(chunk)
                if live is not None:
                    live(job.invocation, requests[0], len(output.records))

    readers = [
        threading.Thread(target=lambda: tail.extend(line.rstrip("\n") for line in stderr), daemon=True),
        threading.Thread(target=_read_all, args=(result_read, chunks), daemon=True),
        threading.Thread(target=count_ticks, daemon=True),
    ]
    for reader in readers:
        reader.start()
    killer = threading.Timer(timeout_s, proc.kill)
    killer.start()
    try:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(job.to_json())
        proc.stdin.close()
        for line in proc.stdout:
            output.add_line(line)
            if live is not None and output.counts["RECORD"] % 100 == 1:
                live(job.invocation, requests[0], len(output.records))
        proc.wait()
    finally:
        killer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for reader in readers:
            reader.join(timeout=10)
    duration = time.monotonic() - started
    stderr_tail = [scrub(line) for line in tail]
    raw = b"".join(chunks)
    if not raw:
        timed_out = duration >= timeout_s
        raise ConnectorCrashedError(
            f"invocation {job.invocation}: the connector process "
            + (f"was killed after {timeout_s:.0f} s" if timed_out else f"died with exit code {proc.returncode}")
            + " before replaykit could finish",
            details=["last lines of its stderr:", *("  " + line for line in stderr_tail)] if stderr_tail else [],
            hint="Raise timeout_seconds in [tool.replaykit]."
            if timed_out
            else "Run the connector by hand with the same command to see why it dies.",
        )
    result = json.loads(raw.decode("utf-8"))
    if "cassette_error" in result:
        info = result["cassette_error"]
        error_type = CassetteCorruptError if info.get("corrupt") else CassetteError
        raise error_type(info["message"], path=info["path"], hint=info.get("hint"))
    return InvocationRun(output=output, result=result, duration_s=duration, stderr_tail=stderr_tail)


def write_inputs(
    directory: Path,
    *,
    config: dict[str, Any] | None,
    catalog: dict[str, Any] | None,
    state: list[dict[str, Any]] | None,
) -> tuple[str | None, str | None, str | None]:
    """Write an invocation's input files; an empty state gets no file (CAT passes --state only if truthy)."""

    def put(name: str, value: Any) -> str | None:
        if value is None or value == []:
            return None
        path = directory / name
        path.write_text(json.dumps(value), encoding="utf-8")
        return str(path)

    return (
        put("config.json", config),
        put("catalog.json", catalog),
        put("state.json", state),
    )
