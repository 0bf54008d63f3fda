"""The warm parent of connector invocations: ``python -m replaykit.forkserver``, talked to over a socket.

Interpreter start plus ``import airbyte_cdk`` costs 1-2 s, while replaying one invocation costs a fraction
of that.  This server pays the imports once (the interpreter, pydantic, the CDK, vcrpy, freezegun: heavy and
clock-free), then forks one child per invocation.  Each child is a copy of the server as it stood after the
imports, so nothing an invocation does (module state, environment, threads, caches, a crash) reaches the
next one.  The connector's own modules are imported in the child, after the fork, exactly as in a fresh
process (:mod:`replaykit.runtime`).

One server can also warm up once for many commands: ``python -m replaykit.forkserver --listen PATH`` waits
on a UNIX socket and forks a warm session server for each command that connects (``REPLAYKIT_FORKSERVER=PATH``;
a test suite starts one per worker). A command uses it only when it runs the same interpreter with the same
start-up environment (``LD_PRELOAD``, ``FAKETIME``, ``PYTHONPATH``...), else it starts a server of its own.

The wire: length-prefixed JSON messages on a UNIX stream socket; a job message carries the four pipe ends
of the child (stdout, stderr, result, progress) as ``SCM_RIGHTS`` file descriptors.  The server answers
``{"seq", "pid"}`` when the child is forked and ``{"seq", "status"}`` when it is reaped.
"""

from __future__ import annotations

import array
import copy
import gc
import importlib
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from typing import Any

_HEADER = struct.Struct("!I")
_MAX_FDS = 8

# Imported once by the server: heavy, and free of clock reads that an invocation could observe.
WARM_MODULES = (
    "pydantic",
    "pydantic.v1",
    "requests",
    "urllib3",
    "yaml",
    "orjson",
    "freezegun",
    "vcr",
    "airbyte_cdk",
    "airbyte_cdk.entrypoint",
    "airbyte_cdk.sources.declarative.yaml_declarative_source",
    "airbyte_cdk.sources.declarative.parsers.model_to_component_factory",
    "airbyte_cdk.sources.declarative.concurrent_declarative_source",
    "airbyte_cdk.exception_handler",
    "requests_cache",
    "replaykit.runtime",
    "replaykit._vcr",
    "replaykit.clock",
    "replaykit.matching",
    "replaykit.scrub",
    "replaykit.secret_discovery",
)


# What shapes a process at start-up, before any job: a shared server serves only commands that agree on it.
START_VARIABLES = (
    "LD_PRELOAD",
    "DYLD_INSERT_LIBRARIES",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONHASHSEED",
    "PYTHONSAFEPATH",
)
SHARED_SERVER_VARIABLE = "REPLAYKIT_FORKSERVER"


def start_key(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The interpreter and the start-up environment a forked child inherits from its server."""
    key = {name: environ.get(name, "") for name in START_VARIABLES}
    key.update({name: value for name, value in environ.items() if name.startswith("FAKETIME")})
    return {"executable": sys.executable, **key}


# --------------------------------------------------------------------------- wire


def send_message(sock: socket.socket, message: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
    payload = json.dumps(message).encode("utf-8")
    data = _HEADER.pack(len(payload)) + payload
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sent = sock.sendmsg([data], ancillary)
    if sent < len(data):
        sock.sendall(data[sent:])


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def receive_message(sock: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """One message and the descriptors that came with it; None at end of stream."""
    fds = array.array("i")
    header, ancillary, _, _ = sock.recvmsg(_HEADER.size, socket.CMSG_LEN(_MAX_FDS * fds.itemsize))
    if not header:
        return None
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if len(header) < _HEADER.size:
        rest = _recv_exactly(sock, _HEADER.size - len(header))
        if rest is None:
            return None
        header += rest
    payload = _recv_exactly(sock, _HEADER.unpack(header)[0])
    if payload is None:
        return None
    return json.loads(payload.decode("utf-8")), list(fds)


# --------------------------------------------------------------------------- server


def warm_up() -> dict[str, Any]:
    """Import what every invocation needs; report what could spoil a fork."""
    started = time.monotonic()
    failed = []
    extra = [name.strip() for name in os.environ.pop("REPLAYKIT_WARM_MODULES", "").split(",") if name.strip()]
    for name in (*WARM_MODULES, *extra):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module the environment lacks is imported (or not) by the child
            failed.append(name)
    _prime_freezegun()
    _keep_declarative_schema()
    return {
        "warm_s": round(time.monotonic() - started, 3),
        "threads": sorted(t.name for t in threading.enumerate() if t is not threading.current_thread()),
        "not_imported": failed,
    }


def _prime_freezegun() -> None:
    """freezegun's first start reads every attribute of every loaded module (0.2-0.4 s with the CDK loaded)
    and caches where the real clock functions are; later starts only check the cache.  Start and stop a
    freeze once here, so every child freezes its clock from a warm cache.  Nothing of the clock is kept."""
    try:
        import freezegun
    except ImportError:
        return
    freezer = freezegun.freeze_time("2000-01-01")
    freezer.start()
    freezer.stop()


def _keep_declarative_schema() -> None:
    """The CDK parses its 3,000-line component schema (YAML) each time a declarative source is built, about
    0.2 s per invocation.  Parse it once here; each call then gets its own deep copy, as it got a fresh
    parse before.  CDKs that parse it inline (6.39 to 6.47) keep doing so."""
    from replaykit.cdk_compat import schema_loaders

    for module, name in list(schema_loaders()):
        schema = getattr(module, name)()

        def cached_schema(schema: Any = schema) -> Any:
            return copy.deepcopy(schema)

        setattr(module, name, cached_schema)


def _child(sock: socket.socket, wakeup: int, message: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become a fresh-looking runtime process for one job; never returns."""
    code = 3
    try:
        sock.close()
        os.close(wakeup)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        stdout, stderr, result_fd, progress_fd = fds
        for fd in (result_fd, progress_fd):
            os.set_inheritable(fd, False)  # as the runtime's own pipes: not for the connector's subprocesses
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        for fd in (devnull, stdout, stderr):
            os.close(fd)
        os.chdir(message["cwd"])
        os.environ.clear()
        os.environ.update(message["env"])
        sys.path[0] = message["cwd"]  # as ``python -m`` started in that directory would have it
        from replaykit.runtime import Job, run_main

        job = Job.from_json(message["job"])
        job.result_fd, job.progress_fd = result_fd, progress_fd
        code = run_main(job)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(sock: socket.socket, facts: dict[str, Any] | None = None) -> int:
    """Warm up (unless forked warm from a hub), say so, then fork a child per job until the parent closes the
    socket."""
    if facts is None:
        key = start_key(os.environ)
        facts = {**warm_up(), "start": key}
        gc.freeze()  # the warm objects stay out of the children's collections: fewer copy-on-write page copies
    send_message(sock, {"ready": True, **facts})
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt stops
    children: dict[int, int] = {}
    open_socket = True
    while open_socket:  # children outlive a parent that went away: init reaps them
        ready, _, _ = select.select([sock.fileno(), wakeup_read], [], [], 1.0)
        if wakeup_read in ready:
            os.read(wakeup_read, 512)
        if sock.fileno() in ready:
            received = receive_message(sock)
            if received is None:
                open_socket = False
            else:
                message, fds = received
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _child(sock, wakeup_read, message, fds)
                for fd in fds:
                    os.close(fd)
                children[pid] = int(message["seq"])
                send_message(sock, {"seq": message["seq"], "pid": pid})
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children.clear()
                break
            if pid == 0:
                break
            seq = children.pop(pid, None)
            if seq is not None:
                try:
                    send_message(sock, {"seq": seq, "status": os.waitstatus_to_exitcode(status)})
                except OSError:
                    open_socket = False
    return 0


def hub(path: str) -> int:
    """Warm up once, then fork a warm session server for each command that connects to ``path``; stops when
    its standard input closes (the process that started it is gone)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)  # before the warm-up: a command that connects meanwhile waits for its ready message
    listener.listen(64)
    key = start_key(os.environ)
    facts = {**warm_up(), "start": key}
    gc.freeze()
    sessions: set[int] = set()
    try:
        while True:
            ready, _, _ = select.select([listener.fileno(), 0], [], [], 1.0)
            if 0 in ready and not os.read(0, 512):
                break
            if listener.fileno() in ready:
                conn, _ = listener.accept()
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    os._exit(serve(conn, facts))
                conn.close()
                sessions.add(pid)
            for pid in list(sessions):
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    sessions.discard(pid)
    finally:
        listener.close()
        try:
            os.unlink(path)
        except OSError:
            pass
    return 0


def main() -> int:
    if sys.argv[1] == "--listen":
        return hub(sys.argv[2])
    fd = int(sys.argv[1])
    with socket.socket(fileno=fd) as sock:
        return serve(sock)


if __name__ == "__main__":
    code = main()
    os._exit(code)
