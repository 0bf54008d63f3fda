"""The runtime inside the connector process: ``python -m replaykit.runtime`` with the job on stdin.

Order matters and is the point of this module: import the CDK and the connector's code, *then* install
the interceptor and the clock, then call the connector's entry point.  stdout carries only what the
connector prints (Airbyte protocol messages); replaykit's own facts go to the result pipe named in the job.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import logging
import os
import runpy
import sys
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from replaykit.connector import ConnectorTarget
from replaykit.netguard import NetworkBlockedError, blocked_network  # noqa: F401 - the guard has its own module
from replaykit.run_result import EXIT_CASSETTE_ERROR, CassetteFailure, CloseRequest, Miss, RunResult

_PREIMPORT = (
    "pydantic.v1",
    "airbyte_cdk",
    "airbyte_cdk.entrypoint",
    "airbyte_cdk.sources.declarative.yaml_declarative_source",
)


@dataclass
class Job:
    """One connector invocation, as the parent hands it to the child."""

    mode: str  # "record" | "replay"
    cassette: str
    connector: dict[str, str]
    args: list[str]
    frozen_at: str
    result_fd: int = -1  # write end of the pipe the result goes back on (set by the runner)
    progress_fd: int = -1  # write end of a pipe that gets one byte per HTTP exchange (set by the runner)
    invocation: str = ""
    secrets: list[list[str]] = field(default_factory=list)  # record only: [name, value]
    public: list[str] = field(default_factory=list)  # record only: values of committed configs, never learned
    metadata: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)  # CAT's custom_environment_variables, DEPLOYMENT_MODE

    def to_json(self) -> str:
        """The job travels on the child's stdin, so the secrets in it never touch the disk."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Job:
        return cls(**json.loads(text))


# --------------------------------------------------------------------------- entry points


def _import_quietly(name: str) -> None:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a missing optional module must not stop the connector
        pass


def _imports_of(script: Path) -> list[str]:
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _register_components(directory: Path) -> None:
    """A manifest's ``components.py`` is importable as ``components`` and
    ``source_declarative_manifest.components``, as the CDK's manifest runner does."""
    components = directory / "components.py"
    if not components.is_file():
        return
    spec = importlib.util.spec_from_file_location("components", components)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["components"] = module
    sys.modules["source_declarative_manifest.components"] = module
    spec.loader.exec_module(module)


def preimport() -> None:
    """The CDK and pydantic, imported before the clock is frozen: ``pydantic.v1`` cannot be imported under a
    started freezegun ("metaclass conflict")."""
    for name in _PREIMPORT:
        _import_quietly(name)


def resolve_entry(target: ConnectorTarget) -> tuple[str, Callable[[list[str]], object]]:
    """(argv[0], entry) with the connector's own code imported now: called under the frozen clock, so what
    the connector's modules read from the clock at import time is the invocation's instant too."""
    preimport()
    directory = Path(target.directory)
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    if target.kind == "manifest":
        from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
        from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

        from replaykit.cdk_compat import manifest_source

        _register_components(directory)

        def run_manifest(args: list[str]) -> object:
            # As the CDK's own manifest runner: an error while reading the inputs is a TRACE message too.
            from airbyte_cdk.exception_handler import init_uncaught_exception_handler

            init_uncaught_exception_handler(logging.getLogger("airbyte"))
            parsed = AirbyteEntrypoint.parse_args(args)
            config = YamlDeclarativeSource.read_config(parsed.config) if hasattr(parsed, "config") else None
            catalog = YamlDeclarativeSource.read_catalog(parsed.catalog) if hasattr(parsed, "catalog") else None
            state = YamlDeclarativeSource.read_state(parsed.state) if getattr(parsed, "state", None) else []
            source = manifest_source(target.target, config, catalog, state, getattr(parsed, "config", None))
            launch(source, args)
            return None

        return "source-declarative-manifest", run_manifest
    if target.kind == "script":
        for name in _imports_of(Path(target.target)):
            _import_quietly(name)

        def run_script(args: list[str]) -> object:
            sys.argv = [target.target, *args]
            return runpy.run_path(target.target, run_name="__main__")

        return target.target, run_script
    if target.kind == "module":
        _import_quietly(target.target)

        def run_module(args: list[str]) -> object:
            sys.argv = [target.target, *args]
            return runpy.run_module(target.target, run_name="__main__", alter_sys=True)

        return target.target, run_module
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="console_scripts") if ep.name == target.target]
    if not found:
        raise SystemExit(f"replaykit runtime: console script {target.target!r} is not installed")
    function = found[0].load()

    def run_entrypoint(args: list[str]) -> object:
        sys.argv = [target.target, *args]
        return function()

    return target.target, run_entrypoint


# --------------------------------------------------------------------------- main


def _call(entry: Callable[[list[str]], object], args: list[str]) -> int:
    try:
        returned = entry(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the connector's crash becomes its TRACE message and exit 1
        sys.excepthook(*sys.exc_info())
        return 1
    return returned if isinstance(returned, int) else 0


def _wall_seconds() -> float:
    """Real elapsed seconds, also while freezegun has replaced ``time.monotonic`` and ``time.perf_counter``."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def run_job(job: Job) -> RunResult:
    """Run one invocation in this process; returns the facts for the result pipe."""
    from replaykit import _vcr
    from replaykit.clock import SleepStats, disable_client_rate_limits, frozen_clock, parse_instant
    from replaykit.matching import closest_requests
    from replaykit.scrub import Scrubber, Secret

    replay = job.mode == "replay"
    os.environ.update(job.environment)  # as CAT sets them on the connector's container
    preimport()
    cassette_path = Path(job.cassette)
    cassette = _vcr.new_cassette(cassette_path, replay=replay)
    scrubber = Scrubber(Secret(name, value) for name, value in job.secrets)
    learned: list[Secret] = []
    public = set(job.public)
    learning = threading.Lock()

    def learn(request: Any, response: dict[str, Any]) -> None:
        with learning:
            found = _vcr.learn_secrets((request, response))
            learned.extend(s for s in found if s.value not in public and scrubber.add(s))

    cassette.on_record = learn
    if job.progress_fd >= 0:
        ticks = os.fdopen(job.progress_fd, "wb", buffering=0)

        def tick() -> None:
            try:
                ticks.write(b".")
            except OSError:
                pass  # the parent stopped listening: progress is only a display

        cassette.on_request = tick
    if replay:
        cassette.load_interactions(_vcr.load_cassette(cassette_path).interactions)
        disable_client_rate_limits()
    stats = SleepStats()
    blocked: list[str] = []
    with (
        _vcr.intercept(cassette),
        blocked_network(blocked) if replay else nullcontext(),
        frozen_clock(parse_instant(job.frozen_at), skip_waits=replay, stats=stats),
    ):
        _, entry = resolve_entry(ConnectorTarget.from_dict(job.connector))
        started = _wall_seconds()
        exit_code = _call(entry, job.args)
        connector_s = _wall_seconds() - started
    result = RunResult(
        exit_code=exit_code,
        connector_s=round(connector_s, 4),
        sleep=stats.summary(),
        blocked_connections=blocked,
    )
    if replay:
        recorded = cassette.recorded_requests
        result.interactions = len(recorded)
        result.unplayed = [request.describe() for request in cassette.unplayed]
        result.misses = [
            Miss(
                miss.describe(),
                [CloseRequest(c.request.describe(), list(c.differences)) for c in closest_requests(miss, recorded)],
            )
            for miss in _unique(cassette.misses)
        ]
    else:
        interactions = [_vcr.scrub_interaction(i, scrubber) for i in cassette.data]
        written = _vcr.save_cassette(cassette_path, _vcr.CassetteData(interactions, dict(job.metadata)))
        result.cassette = written.name
        result.interactions = len(interactions)
        # Back to the parent through the result pipe (never a file), to scrub records, states and files.
        result.learned = [(s.name, s.value) for s in learned]
    return result


def _unique(misses: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for miss in misses:
        if miss.key not in seen:
            seen.add(miss.key)
            out.append(miss)
    return out


def run_main(job: Job) -> int:
    """Run ``job``, write its result to the job's result pipe; the exit code of the process."""
    from replaykit.errors import CassetteCorruptError, CassetteError

    try:
        result = run_job(job)
    except CassetteError as exc:  # the parent raises it again: a bad file is a usage error, not a diff
        failure = CassetteFailure(exc.message, exc.path, exc.hint, isinstance(exc, CassetteCorruptError))
        result = RunResult(exit_code=EXIT_CASSETTE_ERROR, cassette_error=failure)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent through the result pipe
        result = RunResult(runtime_error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(limit=8))
    with os.fdopen(job.result_fd, "w", encoding="utf-8") as pipe:
        pipe.write(result.to_json())
    sys.stdout.flush()
    sys.stderr.flush()
    return result.exit_code


def main() -> int:
    job = Job.from_json(sys.stdin.read())
    sys.stdin.close()
    return run_main(job)


if __name__ == "__main__":
    code = main()
    # Skip interpreter teardown (~0.5 s with the CDK loaded): every output is flushed and written.
    os._exit(code)
