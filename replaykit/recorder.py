"""``replaykit record``: run the acceptance plan live and store scrubbed cassettes and the invocation index.

Everything is written into a staging directory, verified for secrets, and swapped in at the end: a
recording that fails or is killed leaves the previous cassettes, index and expected records untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from replaykit import __version__, commit
from replaykit.clock import format_instant, now_whole_second
from replaykit.config_paths import check_paths
from replaykit.connector import ConnectorTarget, resolve_connector
from replaykit.errors import RecordingError, ReplaykitError, SecretLeakError, UsageError
from replaykit.files import dump_json, new_staging_dir, write_atomic
from replaykit.fingerprint import FINGERPRINT_KEY, connector_fingerprint
from replaykit.invocations import Invocation, InvocationIndex, load_index
from replaykit.messages import ConnectorOutput, state_input_from
from replaykit.plan import (
    BAD_CATALOG,
    PlannedInvocation,
    bad_catalog,
    build_plan,
    configured_catalog_from,
    expected_records_path,
    full_refresh_only_catalog,
    incremental_only_catalog,
    load_acceptance_config,
)
from replaykit.preflight import check_record_targets
from replaykit.runner import InvocationRun, LiveCallback, Runner, open_runner, run_invocation, write_inputs
from replaykit.runtime import Job
from replaykit.scrub import (
    MIN_NUMERIC_LENGTH,
    MIN_SECRET_LENGTH,
    Scrubber,
    Secret,
    discover_secrets,
    scrub_config,
    unsafe_secret_fields,
)
from replaykit.settings import Settings
from replaykit.slices import select_states, state_input
from replaykit.snapshots import desired_snapshots
from replaykit.verify import find_leak

# The scrubbed main config, next to the cassettes: what replay runs with, and what a developer can inspect.
REPLAY_CONFIG = "replay_config.json"

# (planned invocation, its run) -> None; called after each invocation.
RecordProgress = Callable[[PlannedInvocation, InvocationRun | None], None]


@dataclass
class RecordResult:
    index: InvocationIndex
    cassette_dir: Path
    written: list[Path] = field(default_factory=list)
    runner_note: str | None = None  # how invocations ran, when not from the warm parent
    notes: list[str] = field(default_factory=list)  # what recovering an interrupted command did


def read_json_file(path: Path, what: str) -> Any:
    if not path.is_file():
        raise UsageError(
            f"{what} {path} does not exist",
            hint="Create it (the connector's secrets/config.json.example shows the shape) or pass --config PATH.",
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(
            f"{what} {path} cannot be read: {exc.strerror}", hint=f"Make it readable: chmod u+r {path}"
        ) from exc
    except ValueError as exc:
        # The message of a JSON error holds no value from the file, only a position.
        raise UsageError(f"{what} {path} is not valid JSON: {exc}", hint="Fix the JSON syntax.") from exc


def versions(target: ConnectorTarget) -> dict[str, str]:
    found = {"replaykit": __version__}
    try:
        found["airbyte-cdk"] = metadata.version("airbyte-cdk")
    except metadata.PackageNotFoundError:
        pass
    meta = Path(target.directory) / "metadata.yaml"
    if meta.is_file():
        try:
            tag = ((yaml.safe_load(meta.read_text(encoding="utf-8")) or {}).get("data") or {}).get("dockerImageTag")
        except yaml.YAMLError:
            tag = None
        if tag:
            found["connector"] = str(tag)
    return found


def verify_no_secrets(directory: Path, scrubber: Scrubber) -> None:
    """Re-read every written file; a known secret in any encoding deletes the file and fails the recording."""
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        leak = find_leak(path, scrubber)
        if leak is not None:
            path.unlink()
            raise SecretLeakError(
                f"secret {leak.secret!r} found in {path.name} at {leak.location} after scrubbing; the file was deleted",
                hint="Report this as a replaykit bug; add the field with --secret NAME meanwhile.",
            )


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "stream"


def unexpected_outcome(planned: PlannedInvocation, run: InvocationRun) -> str | None:
    """Why a live run cannot stand as the recording of ``planned`` (None when it can)."""
    output = run.output
    first_error = next((e.get("error", {}).get("message") for e in output.errors), None)
    if planned.command == "spec" and output.spec is None:
        return f"no SPEC message (exit code {run.exit_code})" + (f": {first_error}" if first_error else "")
    if planned.command == "discover" and output.catalog is None:
        return f"no CATALOG message (exit code {run.exit_code})" + (f": {first_error}" if first_error else "")
    if planned.command == "check":
        status = (output.connection_status or {}).get("status")
        if planned.expect == "exception":
            return None if status is None or run.exit_code != 0 else f"check returned {status}, expected an error"
        wanted = "SUCCEEDED" if planned.expect == "succeed" else "FAILED"
        if status != wanted:
            message = (output.connection_status or {}).get("message") or first_error or ""
            return f"check returned {status}, expected {wanted}" + (f": {message}" if message else "")
    if planned.command == "read" and planned.expect == "error":
        return None  # whatever the connector does with a bad catalog is its recording; the check judges it
    if planned.command == "read" and (run.exit_code != 0 or first_error):
        return f"read failed (exit code {run.exit_code})" + (f": {first_error}" if first_error else "")
    return None


class _Recording:
    def __init__(
        self, settings: Settings, config_path: Path, progress: RecordProgress | None, live: LiveCallback | None
    ) -> None:
        self.settings = settings
        self.progress = progress
        self.live = live
        self.target = resolve_connector(settings.connector_dir, settings.connector_command)
        self.main_config = config_path
        self.configs: dict[Path, dict[str, Any]] = {}
        self.outputs: dict[str, ConnectorOutput] = {}
        self.catalogs: dict[str, dict[str, Any] | None] = {}
        self.scrubber = Scrubber()
        self.last_instant: dt.datetime | None = None
        self.runner: Runner | None = None
        self._scrubbed: dict[tuple[Path, int], dict[str, Any]] = {}

    def config(self, path: Path | None) -> dict[str, Any] | None:
        if path is None:
            return None
        if path not in self.configs:
            what = "config file" if path == self.main_config else "config file named in acceptance-test-config.yml"
            value = read_json_file(path, what)
            if not isinstance(value, dict):
                raise UsageError(f"{what} {path} must hold a JSON object", hint="Fix the config file.")
            self.configs[path] = value
        return self.configs[path]

    def learn_secrets(self, spec: dict[str, Any] | None, plan: list[PlannedInvocation]) -> None:
        """Know every secret of every config; one too short to scrub safely stops the recording (exit 2)."""
        connection_spec = (spec or {}).get("connectionSpecification")
        for planned in plan:
            config = self.config(planned.config_path) or {}
            unsafe = unsafe_secret_fields(config, connection_spec, self.settings.secrets)
            if unsafe:
                raise UsageError(
                    f"secret field {unsafe[0]!r} of {planned.config_path} is too short to be scrubbed safely "
                    f"(at least {MIN_SECRET_LENGTH} characters, {MIN_NUMERIC_LENGTH} when only digits); nothing "
                    "was recorded" + (f" (also: {', '.join(repr(u) for u in unsafe[1:])})" if len(unsafe) > 1 else ""),
                    hint="Record with a longer credential (a sandbox one): replacing so short a value everywhere "
                    "would rewrite ordinary text, and leaving it would put it in the cassettes.",
                )
            for secret in discover_secrets(config, connection_spec, self.settings.secrets):
                self.scrubber.add(secret)

    def scrubbed_config(self, path: Path | None, config: dict[str, Any] | None) -> dict[str, Any] | None:
        """The scrubbed config, one object per config file (and per set of known secrets), not one per invocation."""
        if config is None or path is None:
            return None
        key = (path, len(self.scrubber.secrets))
        if key not in self._scrubbed:
            self._scrubbed[key] = scrub_config(config, self.scrubber)
        return self._scrubbed[key]

    def next_instant(self) -> dt.datetime:
        now = now_whole_second()
        if self.last_instant is not None and now <= self.last_instant:
            now = self.last_instant + dt.timedelta(seconds=1)
        self.last_instant = now
        return now

    def catalog_for(self, planned: PlannedInvocation) -> dict[str, Any] | None:
        if planned.catalog is None:
            return None
        if planned.catalog == BAD_CATALOG:
            return bad_catalog()
        if planned.catalog.startswith("discovered"):
            discovered = self.outputs.get("discovery-0")
            if discovered is None or discovered.catalog is None:
                raise RecordingError(
                    f"invocation {planned.id} needs the discovered catalog, but discover returned none",
                    hint="Run `replaykit record` again after fixing the connector's discover.",
                )
            catalog = configured_catalog_from(
                discovered.catalog, incremental=planned.catalog.endswith("incremental"), exclude=planned.empty_streams
            )
            source = "the discovered catalog"
        else:
            value = read_json_file(Path(planned.catalog), "configured catalog")
            if not isinstance(value, dict):
                return None
            catalog, source = value, planned.catalog
        # As CAT: incremental tests read the incremental-only catalog (the abnormal-state read without the
        # cursor fill-in), the full-refresh test the full-refresh-only one.
        if planned.suite == "incremental":
            return incremental_only_catalog(
                catalog, source=source, fill_cursor=not planned.id.endswith("abnormal_state")
            )
        if planned.suite == "full_refresh":
            return full_refresh_only_catalog(catalog)
        return catalog

    def state_for(self, planned: PlannedInvocation) -> list[dict[str, Any]] | None:
        if planned.state is None:
            return None
        if planned.state.startswith("after:"):
            return state_input_from(self.outputs[planned.state[len("after:") :]].states) or None
        value = read_json_file(Path(planned.state), "state file")
        return value if isinstance(value, list) else [value]

    def run(
        self,
        planned: PlannedInvocation,
        staging: Path,
        scratch: Path,
        catalog: dict[str, Any] | None = None,
        state: list[dict[str, Any]] | None = None,
    ) -> Invocation:
        """Run one planned invocation live (``catalog`` / ``state`` given: instead of the planned ones)."""
        config = self.config(planned.config_path)
        catalog = catalog if catalog is not None else self.catalog_for(planned)
        state = state if state is not None else self.state_for(planned)
        inputs = scratch / planned.id
        inputs.mkdir()
        _, catalog_file, state_file = write_inputs(inputs, config=None, catalog=catalog, state=state)
        instant = format_instant(self.next_instant())
        invocation = Invocation(
            id=planned.id,
            suite=planned.suite,
            command=planned.command,
            cassette=f"{planned.id}.{self.settings.cassette_format}",
            frozen_at=instant,
            config=self.scrubbed_config(planned.config_path, config),
            catalog=self.scrubber.scrub_value(catalog) if catalog else None,
            state=self.scrubber.scrub_value(state) if state else None,
        )
        job = Job(
            mode="record",
            cassette=str(staging / invocation.cassette),
            connector=self.target.to_dict(),
            args=invocation.connector_args(
                str(planned.config_path) if planned.config_path else None, catalog_file, state_file
            ),
            frozen_at=instant,
            invocation=planned.id,
            secrets=[[s.name, s.value] for s in self.scrubber.secrets],
            metadata={"recorded_at": instant, "invocation": planned.id, "replaykit": __version__},
            environment=dict(planned.environment),
        )
        run = run_invocation(
            job,
            cwd=self.settings.connector_dir,
            timeout_s=planned.timeout_s or self.settings.timeout_seconds,
            scrub=self.scrubber.scrub_text,
            live=self.live,
            runner=self.runner,
        )
        for name, value in run.result.get("learned", []):
            self.scrubber.add(Secret(name, value))
        run.stderr_tail = [self.scrubber.scrub_text(line) for line in run.stderr_tail]
        if "runtime_error" in run.result:
            raise RecordingError(
                f"invocation {planned.id} could not be recorded: "
                + self.scrubber.scrub_text(run.result["runtime_error"]),
                hint="This is a replaykit problem if the connector runs fine by hand; please report it.",
            )
        problem = unexpected_outcome(planned, run)
        if problem:
            raise RecordingError(
                f"invocation {planned.id} ({planned.command}) did not go as the acceptance tests expect: "
                + self.scrubber.scrub_text(problem),
                details=[f"  {line}" for line in run.stderr_tail[-5:]],
                hint="Fix the connector or its config (is the API reachable? are the credentials valid?) and "
                "record again; the previous recording is untouched.",
            )
        run.output.records = self.scrubber.scrub_value(run.output.records)
        run.output.states = self.scrubber.scrub_value(run.output.states)
        self.outputs[planned.id] = run.output
        self.catalogs[planned.id] = invocation.catalog
        invocation.exit_code = run.exit_code
        invocation.outputs = self.scrubber.scrub_value(run.output.summary())  # a status message may echo one
        invocation.requests = int(run.result.get("interactions", 0))
        invocation.cassette = str(run.result.get("cassette", invocation.cassette))  # binary bodies: YAML
        if self.progress is not None:
            self.progress(planned, run)
        return invocation

    def run_slices(self, planned: PlannedInvocation, staging: Path, scratch: Path) -> list[Invocation]:
        """CAT's sequential-slices reads: per stream, a first read, then reads from its sampled checkpoints."""
        done = []
        for configured in (self.catalog_for(planned) or {}).get("streams", []):
            if configured.get("sync_mode") != "incremental":
                continue  # CAT reads the incremental-only catalog here
            name = str(configured.get("stream", {}).get("name"))
            base = f"{planned.id}-{_slug(name)}"
            first = PlannedInvocation(f"{base}-read1", planned.suite, "read", planned.config_path)
            done.append(self.run(first, staging, scratch, catalog={"streams": [configured]}))
            states = [s for s in self.outputs[first.id].states if s.get("type") == "STREAM"]
            for k, (checkpoint, expected) in enumerate(select_states(states), start=1):
                state = state_input(checkpoint)
                if state:
                    read = PlannedInvocation(f"{base}-state{k}", planned.suite, "read", planned.config_path)
                    invocation = self.run(read, staging, scratch, catalog={"streams": [configured]}, state=state)
                    # the checkpoints the concurrent CDK emits vary with thread timing: the count CAT expects
                    # from this one is fixed now, with the checkpoint, for replay to check
                    invocation.expect_min_records = int(expected)
                    done.append(invocation)
        return done


def record(
    settings: Settings, *, progress: RecordProgress | None = None, live: LiveCallback | None = None
) -> RecordResult:
    """Record every planned invocation live; on success, replace the previous recording atomically."""
    session = _Recording(settings, settings.config, progress, live)
    session.config(settings.config)  # a missing or broken --config fails before anything runs
    acceptance = load_acceptance_config(settings.acceptance_test_config)
    if acceptance is not None:
        check_paths(acceptance, "record")
    plan = build_plan(settings.connector_dir, acceptance, settings.config)
    for planned in plan:
        session.config(planned.config_path)
    session.learn_secrets(None, plan)
    expected = expected_records_path(settings.connector_dir, acceptance)
    others = [expected] if expected is not None else []
    notes = commit.recover(settings.cassette_dir, others)
    check_record_targets(settings.cassette_dir, others)  # before anything live
    staging = new_staging_dir(settings.cassette_dir)
    session.runner = open_runner(settings.runner, settings.connector_dir, settings.warm_modules)
    in_use = commit.DirLock(staging, exclusive=True)  # other commands leave a running recording's staging alone
    try:
        with tempfile.TemporaryDirectory(prefix="replaykit-inputs-") as scratch:
            invocations = []
            for planned in plan:
                if planned.expand == "slices":
                    invocations.extend(session.run_slices(planned, staging, Path(scratch)))
                    continue
                invocations.append(session.run(planned, staging, Path(scratch)))
                commit.kill_point("live")
                if planned.command == "spec":
                    session.learn_secrets(session.outputs[planned.id].spec, plan)
        target = session.target
        index = InvocationIndex(
            connector={
                "kind": target.kind,
                "target": _relative(target.target, settings.connector_dir),
                FINGERPRINT_KEY: connector_fingerprint(settings.connector_dir, settings.cassette_dir),
            },
            versions=versions(target),
            invocations=invocations,
            previous=_previous_version(settings),
        )
        index.save(staging)
        main_config = session.config(settings.config) or {}
        write_atomic(staging / REPLAY_CONFIG, dump_json(scrub_config(main_config, session.scrubber)))
        volatile = (settings.volatile_state_fields, settings.volatile_record_fields)
        snapshots = desired_snapshots(invocations, session.outputs, staging, expected, *volatile)
        staged_files = []
        for snapshot in snapshots:
            if snapshot.kind == "state":
                write_atomic(snapshot.path, snapshot.content)
            else:
                write_atomic(commit.staged_of(snapshot.path), snapshot.content)
                staged_files.append(snapshot.path)
        verify_no_secrets(staging, session.scrubber)
        for path in staged_files:
            _verify_staged(path, session.scrubber)
        commit.kill_point("staged")
        commit.apply(commit.Commit(settings.cassette_dir, staging, staged_files))
    except BaseException:
        if not commit.journal_of(settings.cassette_dir).exists():  # not committed: the previous one stands
            shutil.rmtree(staging, ignore_errors=True)
            for path in others:
                commit.staged_of(path).unlink(missing_ok=True)
        raise
    finally:
        in_use.release()
        session.runner.close()
    return RecordResult(
        index=index,
        cassette_dir=settings.cassette_dir,
        written=staged_files,
        notes=notes,
        runner_note=session.runner.note,
    )


def _verify_staged(path: Path, scrubber: Scrubber) -> None:
    staged = commit.staged_of(path)
    leak = find_leak(staged, scrubber)
    if leak is not None:
        staged.unlink()
        raise SecretLeakError(
            f"secret {leak.secret!r} found in the new {path.name} at {leak.location}; it was deleted and nothing "
            "was replaced",
            hint="Report this as a replaykit bug; add the field with --secret NAME meanwhile.",
        )


def _previous_version(settings: Settings) -> dict[str, Any] | None:
    """The replaced recording's spec, catalog and version; a broken old index just has none."""
    try:
        return load_index(settings.cassette_dir, record_hint="-").previous_version()
    except ReplaykitError:
        return None


def _relative(path: str, base: Path) -> str:
    try:
        return str(Path(path).relative_to(base))
    except ValueError:
        return path
