"""The warm runner: invocations forked from a warm server (:mod:`replaykit.forkserver`), its own or one shared
by many commands (``REPLAYKIT_FORKSERVER``); the fresh-process runner when the server cannot serve."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from replaykit.errors import ConnectorCrashedError
from replaykit.forkserver import SHARED_SERVER_VARIABLE, receive_message, send_message, start_key
from replaykit.runner import FreshRunner, InvocationRun, LiveCallback, Pipes, child_environment, collect_run
from replaykit.runtime import Job


class RunnerUnavailableError(RuntimeError):
    """The warm server cannot serve: the caller falls back to fresh processes."""


class _Forked:
    """A child of the warm server: its pid and exit status arrive as messages from the server."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.status: int | None = None
        self.started = threading.Event()
        self.done = threading.Event()

    def kill(self) -> None:
        self.started.wait()
        if self.pid is not None and not self.done.is_set():
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass

    def wait(self) -> int | None:
        self.done.wait()
        return self.status


class ForkRunner:
    """Invocations forked from one warm server per runner; falls back to :class:`FreshRunner` (and says
    why in :attr:`note`) when the server cannot start or is not single-threaded after its imports."""

    def __init__(self, cwd: Path, warm_modules: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._pending: dict[int, _Forked] = {}
        self._seq = itertools.count(1)
        self._fallback: FreshRunner | None = None
        self._ready = False
        self._stderr: deque[str] = deque(maxlen=10)
        self._cwd, self._warm_modules = cwd, warm_modules
        self._server: subprocess.Popen[bytes] | None = None
        self.shared = False  # forked from a shared warm server (REPLAYKIT_FORKSERVER), not one of its own
        shared = os.environ.get(SHARED_SERVER_VARIABLE)
        if shared and not warm_modules:
            try:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self._sock.connect(shared)
                self.shared = True
                return
            except OSError:
                self._sock.close()
        self._spawn()

    def _spawn(self) -> None:
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = child_environment()
        if self._warm_modules:
            env["REPLAYKIT_WARM_MODULES"] = ",".join(self._warm_modules)
        try:
            self._server = subprocess.Popen(
                [sys.executable, "-m", "replaykit.forkserver", str(theirs.fileno())],
                cwd=self._cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                pass_fds=(theirs.fileno(),),
            )
        finally:
            theirs.close()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    @property
    def note(self) -> str | None:
        return self._fallback.note if self._fallback is not None else None

    def _read_stderr(self) -> None:
        stderr = self._server.stderr if self._server is not None else None
        if stderr is None:
            return
        for line in stderr:
            self._stderr.append(line.decode("utf-8", "replace").rstrip())

    def _start(self) -> None:
        """Wait for the server's warm-up (once); decide between it and the fallback."""
        with self._lock:
            if self._ready or self._fallback is not None:
                return
            received = self._receive()
            if self.shared and (received is None or received[0].get("start") != start_key(child_environment())):
                self.shared = False  # another interpreter or start-up environment: a server of our own
                self._sock.close()
                self._spawn()
                received = self._receive()
            if received is None:
                reason = "the warm server did not start" + (f" ({self._stderr[-1]})" if self._stderr else "")
            elif received[0].get("threads"):
                reason = "threads were running in the warm server after its imports: " + ", ".join(
                    received[0]["threads"]
                )
            else:
                self._ready = True
                threading.Thread(target=self._dispatch, daemon=True).start()
                return
            self._fallback = FreshRunner(note=f"each invocation runs in a fresh process: {reason}")
            self.close()

    def _receive(self) -> tuple[dict[str, Any], list[int]] | None:
        """The server's next message; None when it is gone."""
        try:
            return receive_message(self._sock)
        except OSError:
            return None

    def _dispatch(self) -> None:
        while True:
            received = self._receive()
            if received is None:
                break
            message, _ = received
            child = self._pending.get(int(message["seq"]))
            if child is None:
                continue
            if "pid" in message:
                child.pid = int(message["pid"])
                child.started.set()
            if "status" in message:
                child.status = int(message["status"])
                self._pending.pop(int(message["seq"]), None)
                child.done.set()
        for child in list(self._pending.values()):  # the server is gone: nothing more will be reported
            child.started.set()
            child.done.set()
        self._pending.clear()

    def run(
        self,
        job: Job,
        *,
        cwd: Path,
        timeout_s: float,
        live: LiveCallback | None = None,
        scrub: Callable[[str], str] = str,
    ) -> InvocationRun:
        self._start()
        if self._fallback is not None:
            return self._fallback.run(job, cwd=cwd, timeout_s=timeout_s, live=live, scrub=scrub)
        started = time.monotonic()
        pipes = Pipes.open()
        child = _Forked()
        seq = next(self._seq)
        self._pending[seq] = child
        message = {"seq": seq, "job": job.to_json(), "cwd": str(cwd), "env": child_environment()}
        try:
            with self._send_lock:
                send_message(self._sock, message, pipes.child)
        except OSError as exc:
            self._pending.pop(seq, None)
            for fd in pipes.parent:
                os.close(fd)
            raise ConnectorCrashedError(
                f"invocation {job.invocation}: the warm server is gone ({exc})",
                hint='Set runner = "fresh" in [tool.replaykit] to run each invocation in a fresh process.',
            ) from exc
        finally:
            pipes.close_child_ends()
        return collect_run(job, child, pipes, started=started, timeout_s=timeout_s, live=live, scrub=scrub)

    def stop_all(self) -> None:
        if self._fallback is not None:
            self._fallback.stop_all()
        for child in list(self._pending.values()):
            child.kill()

    def close(self) -> None:
        try:
            # shutdown, not only close: it wakes the dispatcher blocked in recvmsg and tells the server EOF
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already shut down
        try:
            self._sock.close()
        finally:
            server, self._server = self._server, None
            if server is not None:
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
