"""The network guard of replay: nothing a connector does reaches the network, and every attempt is reported.

Three layers, outermost last:

* in-process, at the level a connector cannot step around from Python: ``_socket.socket`` itself is replaced
  (so ``socket.socket`` and a raw ``_socket.socket`` both refuse ``connect`` / ``connect_ex`` / ``sendto`` /
  ``sendmsg`` to a non-UNIX address), and the resolver functions (``getaddrinfo``, ``gethostbyname``...) refuse
  every name: each attempt is recorded and fails the invocation;
* child processes: a Python child imports the same guard (``sitecustomize`` on ``PYTHONPATH``) and appends its
  attempts to a file the parent reads; any child also gets proxy variables pointing at a closed port;
* the operating system: where it allows it, the process enters a network namespace of its own (``unshare``
  ``CLONE_NEWNET``: no interface but a downed loopback), so even a C extension or ``curl`` finds no network.
  Where it does not, a note goes to stderr and the two layers above stand alone.
"""

from __future__ import annotations

import _socket
import ctypes
import os
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
REPORT_ENV = "REPLAYKIT_NETGUARD_REPORT"  # a Python child appends its blocked attempts to this file
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, a proxied request fails at once
_SITE_DIR = Path(__file__).with_name("_netguard_site")
_RESOLVERS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo")


class NetworkBlockedError(ConnectionRefusedError):
    """A connection, datagram or DNS lookup was attempted during replay; replay never reaches the network."""


def _is_local(family: int) -> bool:
    return family == getattr(_socket, "AF_UNIX", None)


def _guarded_socket_class(base: type, refuse: Callable[[str], None]) -> type:
    class GuardedSocket(base):  # type: ignore[misc]
        """``_socket.socket`` that refuses to reach any non-UNIX address."""

        def connect(self, address: Any) -> Any:
            if not _is_local(self.family):
                refuse(f"connect {address!r}")
            return super().connect(address)

        def connect_ex(self, address: Any) -> Any:
            if not _is_local(self.family):
                refuse(f"connect {address!r}")
            return super().connect_ex(address)

        def sendto(self, *args: Any) -> Any:
            if not _is_local(self.family):
                refuse(f"sendto {args[-1]!r}")
            return super().sendto(*args)

        def sendmsg(self, *args: Any) -> Any:
            if not _is_local(self.family) and len(args) >= 4 and args[3] is not None:
                refuse(f"sendmsg {args[3]!r}")
            return super().sendmsg(*args)

    return GuardedSocket


@contextmanager
def blocked_network(attempts: list[str]) -> Iterator[None]:
    """Refuse every network access of this process and its children; each attempt is appended to ``attempts``."""
    isolate()
    report = Path(tempfile.mkstemp(prefix="replaykit-netguard-", suffix=".txt")[1])

    def refuse(what: str) -> None:
        attempts.append(what)
        raise NetworkBlockedError(f"replaykit replay: network access blocked ({what})")

    saved_env = {name: os.environ.get(name) for name in _child_env(report)}
    with _in_process_guard(refuse):
        os.environ.update(_child_env(report))
        try:
            yield
        finally:
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            try:
                attempts.extend(f"child process: {line}" for line in report.read_text().splitlines() if line)
            finally:
                report.unlink(missing_ok=True)


def _child_env(report: Path) -> dict[str, str]:
    python_path = os.pathsep.join(p for p in (str(_SITE_DIR), os.environ.get("PYTHONPATH", "")) if p)
    proxies = dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"), DEAD_PROXY)
    return {**proxies, "all_proxy": DEAD_PROXY, "NO_PROXY": "", "no_proxy": "", REPORT_ENV: str(report),
            "PYTHONPATH": python_path}  # fmt: skip


def guard_child() -> None:
    """In a child process of a replay: refuse the network for the rest of its life, reporting to the parent."""
    report = os.environ[REPORT_ENV]

    def refuse(what: str) -> None:
        with open(report, "a", encoding="utf-8") as fh:
            fh.write(f"{what}\n")
        raise NetworkBlockedError(f"replaykit replay: network access blocked ({what})")

    guard = _in_process_guard(refuse)
    guard.__enter__()
    _CHILD_GUARD.append(guard)  # kept alive: a collected generator would run its clean-up and lift the guard


_CHILD_GUARD: list[Any] = []


@contextmanager
def _in_process_guard(refuse: Callable[[str], None]) -> Iterator[None]:
    guarded = _guarded_socket_class(socket.socket, refuse)
    raw_guarded = _guarded_socket_class(_socket.socket, refuse)
    saved_resolvers = [(module, name) for module in (socket, _socket) for name in _RESOLVERS]

    def resolver(name: str) -> Callable[..., Any]:
        def refuse_lookup(*args: Any, **kwargs: Any) -> Any:
            refuse(f"{name} {args[0] if args else ''!r}")

        return refuse_lookup

    replaced: list[tuple[Any, str, Any]] = [
        (socket, "socket", guarded),
        (socket, "SocketType", guarded),
        (_socket, "socket", raw_guarded),
        (_socket, "SocketType", raw_guarded),
        *((module, name, resolver(name)) for module, name in saved_resolvers),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in replaced]
    for module, name, value in replaced:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


_ISOLATION: list[str] = []  # what isolate() found, once per process


def isolate() -> str:
    """Enter a network namespace of this process's own where the OS allows it; returns what happened."""
    if _ISOLATION:
        return _ISOLATION[0]
    note = _unshare()
    _ISOLATION.append(note)
    if not note.startswith("isolated"):
        sys.stderr.write(f"replaykit: {note}; replay relies on the in-process network guard\n")
    return note


def _unshare() -> str:
    if not sys.platform.startswith("linux") or os.environ.get("REPLAYKIT_NO_NETNS"):
        return "no network namespace (not Linux, or REPLAYKIT_NO_NETNS is set)"
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:
        return f"no network namespace (libc: {exc})"
    for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return "isolated in a network namespace of its own"
    return f"no network namespace ({os.strerror(ctypes.get_errno())})"
