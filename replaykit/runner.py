"""Launch connector invocations in child processes and collect what they did.

Two ways to get a child, one way to talk to it:

* :class:`ForkRunner` (the default): a warm server (:mod:`replaykit.forkserver`) imports the CDK once and
  forks a child per invocation, so an invocation costs its own work, not an interpreter start and the
  CDK's imports.  Safe to use from several threads at once: invocations then run in parallel.
* :class:`FreshRunner`: ``python -m replaykit.runtime``, a new interpreter per invocation.  The fallback
  where forking cannot apply (no ``fork``, a warm server that is not single-threaded, ``runner = "fresh"``).

Either way the child is :mod:`replaykit.runtime`: protocol messages come back on its stdout, the runtime's
own facts on a result pipe, one byte per HTTP exchange on a progress pipe.  The job, with any secrets,
travels on a pipe or a socket, never through a file.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from replaykit.errors import CassetteCorruptError, CassetteError, ConnectorCrashedError
from replaykit.messages import ConnectorOutput
from replaykit.run_result import RunResult
from replaykit.runtime import Job

RUNNERS = ("fork", "fresh")


@dataclass
class InvocationRun:
    output: ConnectorOutput
    result: RunResult
    duration_s: float
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return self.result.exit_code


# (invocation id, requests so far, records so far), called from reader threads while the connector runs
LiveCallback = Callable[[str, int, int], None]


class _Child(Protocol):
    def kill(self) -> None: ...

    def wait(self) -> int | None: ...


@dataclass
class Pipes:
    """The parent's read ends and the child's write ends of stdout, stderr, result and progress."""

    parent: tuple[int, int, int, int]
    child: tuple[int, int, int, int]

    @classmethod
    def open(cls) -> Pipes:
        pairs = [os.pipe() for _ in range(4)]
        return cls(
            parent=(pairs[0][0], pairs[1][0], pairs[2][0], pairs[3][0]),
            child=(pairs[0][1], pairs[1][1], pairs[2][1], pairs[3][1]),
        )

    def close_child_ends(self) -> None:
        for fd in self.child:
            os.close(fd)


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def collect_run(
    job: Job,
    child: _Child,
    pipes: Pipes,
    *,
    started: float,
    timeout_s: float,
    live: LiveCallback | None,
    scrub: Callable[[str], str],
) -> InvocationRun:
    """Read the child's pipes until it is done (or kill it at ``timeout_s``); its output and result."""
    stdout_fd, stderr_fd, result_fd, ticks_fd = pipes.parent
    tail: deque[str] = deque(maxlen=20)
    chunks: list[bytes] = []
    output = ConnectorOutput()
    requests = [0]

    def read_stderr() -> None:
        with open(stderr_fd, encoding="utf-8", errors="replace") as pipe:
            tail.extend(line.rstrip("\n") for line in pipe)

    def read_result() -> None:
        with os.fdopen(result_fd, "rb") as pipe:
            while chunk := pipe.read(65536):
                chunks.append(chunk)

    def count_ticks() -> None:
        with os.fdopen(ticks_fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(4096):
                requests[0] += len(chunk)
                if live is not None:
                    live(job.invocation, requests[0], len(output.records))

    readers = [threading.Thread(target=target, daemon=True) for target in (read_stderr, read_result, count_ticks)]
    for reader in readers:
        reader.start()
    killer = threading.Timer(timeout_s, child.kill)
    killer.start()
    returncode: int | None = None
    try:
        with open(stdout_fd, encoding="utf-8", errors="replace") as stdout:
            for line in stdout:
                output.add_line(line)
                if live is not None and output.counts["RECORD"] % 100 == 1:
                    live(job.invocation, requests[0], len(output.records))
        returncode = child.wait()
    finally:
        killer.cancel()
        if returncode is None:
            child.kill()
            child.wait()
        for reader in readers:
            reader.join(timeout=10)
    duration = time.monotonic() - started
    stderr_tail = [scrub(line) for line in tail]
    raw = b"".join(chunks)
    if not raw:
        timed_out = duration >= timeout_s
        raise ConnectorCrashedError(
            f"invocation {job.invocation}: the connector process "
            + (f"was killed after {timeout_s:.0f} s" if timed_out else f"died with exit code {returncode}")
            + " before replaykit could finish",
            details=["last lines of its stderr:", *("  " + line for line in stderr_tail)] if stderr_tail else [],
            hint="Raise timeout_seconds in [tool.replaykit]."
            if timed_out
            else "Run the connector by hand with the same command to see why it dies.",
        )
    result = RunResult.from_json(raw.decode("utf-8"))
    if result.cassette_error is not None:
        info = result.cassette_error
        error_type = CassetteCorruptError if info.corrupt else CassetteError
        raise error_type(info.message, path=info.path, hint=info.hint)
    return InvocationRun(output=output, result=result, duration_s=duration, stderr_tail=stderr_tail)


class Runner(Protocol):
    """Runs invocations; ``note`` says once how, when it is not the warm default."""

    @property
    def note(self) -> str | None: ...

    def run(
        self,
        job: Job,
        *,
        cwd: Path,
        timeout_s: float,
        live: LiveCallback | None = None,
        scrub: Callable[[str], str] = str,
    ) -> InvocationRun: ...

    def stop_all(self) -> None:
        """Kill every invocation still running (an interrupted parallel run); their ``run`` calls then return."""

    def close(self) -> None: ...


class _Popened:
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()

    def wait(self) -> int | None:
        return self.proc.wait()


class FreshRunner:
    """A new interpreter per invocation: ``python -m replaykit.runtime`` with the job on stdin."""

    def __init__(self, note: str | None = None) -> None:
        self._note = note
        self._running: set[_Popened] = set()

    @property
    def note(self) -> str | None:
        return self._note

    def run(
        self,
        job: Job,
        *,
        cwd: Path,
        timeout_s: float,
        live: LiveCallback | None = None,
        scrub: Callable[[str], str] = str,
    ) -> InvocationRun:
        started = time.monotonic()
        pipes = Pipes.open()
        out, err, job.result_fd, job.progress_fd = pipes.child
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "replaykit.runtime"],
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                env=child_environment(),
                pass_fds=(job.result_fd, job.progress_fd),
            )
        except BaseException:
            for fd in pipes.parent:
                os.close(fd)
            raise
        finally:
            pipes.close_child_ends()
        assert proc.stdin is not None
        try:
            proc.stdin.write(job.to_json().encode("utf-8"))
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the child died at start; collect_run reports it
        child = _Popened(proc)
        self._running.add(child)
        try:
            return collect_run(job, child, pipes, started=started, timeout_s=timeout_s, live=live, scrub=scrub)
        finally:
            self._running.discard(child)

    def stop_all(self) -> None:
        for child in list(self._running):
            child.kill()

    def close(self) -> None:
        pass


def open_runner(kind: str, cwd: Path, warm_modules: tuple[str, ...] = ()) -> Runner:
    """The runner ``kind`` asks for, or the fresh-process fallback where forking cannot apply."""
    if kind == "fresh":
        return FreshRunner()
    if not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"):
        return FreshRunner(note="each invocation runs in a fresh process: this platform cannot fork")
    from replaykit.fork_runner import ForkRunner

    return ForkRunner(cwd, warm_modules)


def run_invocation(
    job: Job,
    *,
    cwd: Path,
    timeout_s: float,
    live: LiveCallback | None = None,
    scrub: Callable[[str], str] = str,
    runner: Runner | None = None,
) -> InvocationRun:
    """Run ``job`` to completion (or kill it at ``timeout_s``) and return its output and result.

    Nothing of the run touches the disk: the job (with any secrets) goes to the child on a pipe or socket,
    the runtime's result comes back on a pipe of its own, and only the last lines of stderr are kept,
    passed through ``scrub``."""
    if runner is not None:
        return runner.run(job, cwd=cwd, timeout_s=timeout_s, live=live, scrub=scrub)
    fresh = FreshRunner()
    return fresh.run(job, cwd=cwd, timeout_s=timeout_s, live=live, scrub=scrub)


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
