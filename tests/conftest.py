"""Shared fixtures: the real demo API on 127.0.0.1 and copies of the real demo connector."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "tools" / "demo" / "source-demo"
sys.path.insert(0, str(ROOT / "tools" / "demo"))

from demo_api import DemoAPI  # noqa: E402

# The API key of the tests' demo API: fake, but long and unique enough to be searched for in every file.
TEST_KEY = "rk-test-key-3f9b2c7e1a"


# A connector developer's own pytest run, as the tests start it: without the suite's hypothesis plugin, which
# costs a second to import in every pytest process and is not part of a connector's test environment.
CONNECTOR_PYTEST = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def pytest_configure(config: pytest.Config) -> None:
    """replaykit's own modules, compiled once before the workers start: with PYTHONDONTWRITEBYTECODE=1 (set on
    this machine, as in many CI images) an editable install is never compiled, and each of the hundreds of
    replaykit commands the tests start would compile its ~100 modules again (0.17 s each time)."""
    if not hasattr(config, "workerinput"):  # the xdist controller, or a run without xdist
        import compileall

        compileall.compile_dir(ROOT / "replaykit", quiet=1)


@pytest.fixture(scope="session", autouse=True)
def shared_warm_server() -> Iterator[None]:
    """One warm server per test process (each xdist worker): every replaykit command the tests run forks its
    invocations from it (REPLAYKIT_FORKSERVER), as `replaykit replay` forks them from a server of its own,
    without paying the interpreter start and the CDK import once per command."""
    import tempfile

    from replaykit.forkserver import SHARED_SERVER_VARIABLE

    directory = tempfile.mkdtemp(prefix="rk-hub-")  # short: a UNIX socket path has at most ~100 bytes
    path = os.path.join(directory, "hub.sock")
    hub = subprocess.Popen(
        [sys.executable, "-m", "replaykit.forkserver", "--listen", path],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not os.path.exists(path) and hub.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # the hub binds its socket first thing, before its warm-up
    os.environ[SHARED_SERVER_VARIABLE] = path
    try:
        yield
    finally:
        os.environ.pop(SHARED_SERVER_VARIABLE, None)
        assert hub.stdin is not None
        hub.stdin.close()  # the hub stops when its standard input closes
        try:
            hub.wait(timeout=15)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def demo_api() -> Iterator[DemoAPI]:
    with DemoAPI(port=0, key=TEST_KEY) as api:
        yield api


def start_date(days_back: int) -> str:
    day = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return (day - dt.timedelta(days=days_back)).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_connector(
    target: Path,
    api: DemoAPI,
    *,
    days_back: int = 20,
    suites: tuple[str, ...] | None = None,
    extra_config: dict[str, Any] | None = None,
) -> Path:
    """A copy of the demo connector whose secrets/config.json points at ``api``.

    ``suites`` keeps only those suites of acceptance-test-config.yml (fewer invocations, faster tests).
    """
    import yaml

    shutil.copytree(DEMO_DIR, target, ignore=shutil.ignore_patterns("config.json"))
    config = {"api_key": api.key, "start_date": start_date(days_back), "base_url": api.base_url, **(extra_config or {})}
    (target / "secrets" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    for name in ("invalid_config.json",):
        path = target / "integration_tests" / name
        data = json.loads(path.read_text(encoding="utf-8"))
        data["base_url"] = api.base_url
        path.write_text(json.dumps(data), encoding="utf-8")
    if suites is not None:
        acc_path = target / "acceptance-test-config.yml"
        acc = yaml.safe_load(acc_path.read_text(encoding="utf-8"))
        acc["acceptance_tests"] = {k: v for k, v in acc["acceptance_tests"].items() if k in suites}
        acc["test_strictness_level"] = "low"  # high strictness requires every suite
        acc_path.write_text(yaml.safe_dump(acc), encoding="utf-8")
    return target


def demo_copy(tmp_path: Path) -> Path:
    """The committed demo recording and connector, copied: replay runs from the copy's root."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "cassettes" / "source-demo", root / "cassettes" / "source-demo")
    shutil.copytree(ROOT / "tools" / "demo" / "source-demo", root / "tools" / "demo" / "source-demo")
    (root / "pyproject.toml").write_text(
        '[tool.replaykit]\nconnector_dir = "tools/demo/source-demo"\ncassette_dir = "cassettes/source-demo"\n'
    )
    return root


def faketime_env(offset: str) -> dict[str, str]:
    """libfaketime shifts the machine clock for the whole replay (parent and connector processes)."""
    import libfaketime

    _needs_reload, env = libfaketime.get_reload_information()
    return {**env, "FAKETIME": offset}


def run_replaykit(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The real command, as a user types it."""
    return subprocess.run(
        [sys.executable, "-m", "replaykit", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def all_text(directory: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in sorted(directory.rglob("*")) if p.is_file()
    )
