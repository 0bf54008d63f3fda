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
from replaykit.checks import FAIL, CheckContext, CheckResult, run_suites
from replaykit.clock import format_instant, now_whole_second
from replaykit.config_paths import check_paths
from replaykit.connector import ConnectorTarget, resolve_connector
from replaykit.errors import (
    ConnectorCrashedError,
    MissingInputError,
    RecordingError,
    ReplaykitError,
    SecretLeakError,
    UsageError,
)
from replaykit.failures import InvocationFailure, describe_failure, judge
from replaykit.files import dump_json, new_staging_dir, write_atomic
from replaykit.fingerprint import FINGERPRINT_KEY, connector_fingerprint
from replaykit.invocations import Invocation, InvocationIndex, load_index
from replaykit.messages import ConnectorOutput
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
from replaykit.scrub import MIN_NUMERIC_LENGTH, MIN_SECRET_LENGTH, Scrubber, Secret, scrub_config
from replaykit.secret_discovery import discover_secrets, unsafe_secret_fields
from replaykit.secret_sources import PUBLIC_HINT, PublicConfigs
from replaykit.settings import Settings
from replaykit.slices import select_states
from replaykit.snapshots import desired_snapshots
from replaykit.state_files import load_state_file
from replaykit.states import checkpoint_input, state_input_from
from replaykit.verify import find_leak

# The scrubbed main config, next to the cassettes: what replay runs with, and what a developer can inspect.
REPLAY_CONFIG = "replay_config.json"

# (planned invocation, its run, its failure if it did not go as the checks expect) -> None; after each invocation
RecordProgress = Callable[[PlannedInvocation, InvocationRun | None, InvocationFailure | None], None]


@dataclass
class RecordResult:
    index: InvocationIndex
    cassette_dir: Path
    written: list[Path] = field(default_factory=list)
    runner_note: str | None = None  # how invocations ran, when not from the warm parent
    notes: list[str] = field(default_factory=list)  # what recovering an interrupted command did
    failures: list[InvocationFailure] = field(default_factory=list)  # invocations the checks will fail
    checks: list[CheckResult] = field(default_factory=list)  # the acceptance checks on what was recorded
    swapped: bool = True  # the new recording replaced the previous one
    accepted_failures: bool = False  # swapped in with failures (--accept-failures)

    @property
    def passed(self) -> bool:
        return self.swapped and not self.failures and not any(c.status == FAIL for c in self.checks)


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
        self.public = PublicConfigs(settings.connector_dir, config_path)
        self.last_instant: dt.datetime | None = None
        self.runner: Runner | None = None
        self._scrubbed: dict[tuple[Path, int], dict[str, Any]] = {}
        self.failures: list[InvocationFailure] = []

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
        paths = dict.fromkeys(p.config_path for p in plan if p.config_path is not None)
        for path in (p for p in paths if not self.public.source(p).secret):  # committed: public, never refused
            self.public.add(path, self.config(path) or {}, connection_spec, self.settings.secrets)
        for path in (p for p in paths if self.public.source(p).secret):
            config = self.config(path) or {}
            unsafe = unsafe_secret_fields(config, connection_spec, self.settings.secrets)
            if unsafe:
                source = self.public.source(path)
                raise UsageError(
                    f"secret field {unsafe[0]!r} of {path} ({source.why}) is too short to be scrubbed safely "
                    f"(at least {MIN_SECRET_LENGTH} characters, {MIN_NUMERIC_LENGTH} when only digits); nothing "
                    "was recorded" + (f" (also: {', '.join(repr(u) for u in unsafe[1:])})" if len(unsafe) > 1 else ""),
                    hint="Record with a longer credential (a sandbox one): replacing so short a value everywhere "
                    "would rewrite ordinary text, and leaving it would put it in the cassettes."
                    + (PUBLIC_HINT if source.why != "the --config file" else ""),
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
                raise MissingInputError("it needs the discovered catalog, but discover returned none")
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
            before = self.outputs.get(planned.state[len("after:") :])
            if before is None:
                raise MissingInputError(f"it reads the state of {planned.state[len('after:') :]}, which did not run")
            return state_input_from(before.states) or None
        return load_state_file(Path(planned.state)).messages  # legacy shapes converted (record warns)

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
            public=self.public.values(self.scrubber),
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
        failure = judge(
            planned.id,
            planned.command,
            planned.expect,
            exit_code=run.exit_code,
            output=run.output,
            stderr_tail=run.stderr_tail,
            scrub=self.scrubber.scrub_text,
        )
        if failure is not None:
            self.failures.append(failure)
        run.output.records = self.scrubber.scrub_value(run.output.records)
        run.output.states = self.scrubber.scrub_value(run.output.states)
        self.outputs[planned.id] = run.output
        self.catalogs[planned.id] = invocation.catalog
        invocation.exit_code = run.exit_code
        invocation.outputs = self.scrubber.scrub_value(run.output.summary())  # a status message may echo one
        invocation.requests = int(run.result.get("interactions", 0))
        invocation.cassette = str(run.result.get("cassette", invocation.cassette))  # binary bodies: YAML
        if self.progress is not None:
            self.progress(planned, run, failure)
        return invocation

    def attempt(
        self,
        planned: PlannedInvocation,
        staging: Path,
        scratch: Path,
        catalog: dict[str, Any] | None = None,
        state: list[dict[str, Any]] | None = None,
    ) -> Invocation | None:
        """``run``, or None with the failure noted when the invocation cannot run or dies without a result."""
        try:
            return self.run(planned, staging, scratch, catalog, state)
        except (MissingInputError, ConnectorCrashedError) as exc:
            problem = exc.message if isinstance(exc, ConnectorCrashedError) else f"not run: {exc.message}"
            failure = describe_failure(
                planned.id,
                planned.command,
                problem,
                exit_code=None,
                output=None,
                stderr_tail=[d.strip() for d in exc.details[1:]],
                scrub=self.scrubber.scrub_text,
            )
            self.failures.append(failure)
            if self.progress is not None:
                self.progress(planned, None, failure)
            return None

    def run_slices(self, planned: PlannedInvocation, staging: Path, scratch: Path) -> list[Invocation]:
        """CAT's sequential-slices reads: per stream, a first read, then reads from its sampled checkpoints."""
        done: list[Invocation] = []
        try:
            catalog = self.catalog_for(planned) or {}
        except MissingInputError as exc:
            self.failures.append(
                describe_failure(
                    planned.id,
                    "read",
                    f"not run: {exc.message}",
                    exit_code=None,
                    output=None,
                    stderr_tail=[],
                    scrub=self.scrubber.scrub_text,
                )
            )
            return done
        for configured in catalog.get("streams", []):
            if configured.get("sync_mode") != "incremental":
                continue  # CAT reads the incremental-only catalog here
            name = str(configured.get("stream", {}).get("name"))
            base = f"{planned.id}-{_slug(name)}"
            first = PlannedInvocation(f"{base}-read1", planned.suite, "read", planned.config_path)
            first_read = self.attempt(first, staging, scratch, catalog={"streams": [configured]})
            if first_read is None:
                continue
            done.append(first_read)
            states = [s for s in self.outputs[first.id].states if s.get("type") == "STREAM"]
            for k, (checkpoint, expected) in enumerate(select_states(states), start=1):
                state = checkpoint_input(checkpoint)
                if state:
                    read = PlannedInvocation(f"{base}-state{k}", planned.suite, "read", planned.config_path)
                    invocation = self.attempt(read, staging, scratch, catalog={"streams": [configured]}, state=state)
                    if invocation is None:
                        continue
                    # the checkpoints the concurrent CDK emits vary with thread timing: the count CAT expects
                    # from this one is fixed now, with the checkpoint, for replay to check
                    invocation.expect_min_records = int(expected)
                    done.append(invocation)
        return done


def record(
    settings: Settings,
    *,
    progress: RecordProgress | None = None,
    live: LiveCallback | None = None,
    accept_failures: bool = False,
) -> RecordResult:
    """Record every planned invocation live, whatever each one does, then run the acceptance checks on it.

    The new recording replaces the previous one atomically when every invocation went as the checks expect,
    or, with ``accept_failures``, when every failing invocation was at least recorded (replay then gives the
    same failing verdicts offline). Otherwise the previous recording is left untouched.
    """
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
    swapped = False
    try:
        with tempfile.TemporaryDirectory(prefix="replaykit-inputs-") as scratch:
            invocations: list[Invocation] = []
            for planned in plan:
                if planned.expand == "slices":
                    invocations.extend(session.run_slices(planned, staging, Path(scratch)))
                    continue
                invocation = session.attempt(planned, staging, Path(scratch))
                commit.kill_point("live")
                if invocation is None:
                    continue
                invocations.append(invocation)
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
        unrecorded = [f for f in session.failures if not f.recorded]
        swapped = not session.failures or (accept_failures and not unrecorded)
        checks: list[CheckResult] = []
        if swapped:
            commit.apply(commit.Commit(settings.cassette_dir, staging, staged_files))
        if acceptance is not None:  # on the files replay will read: the new ones, committed or still staged
            context = CheckContext(
                acceptance,
                {i.id: i for i in invocations},
                session.outputs,
                settings.connector_dir,
                previous=index.previous,
                strict=settings.strict,
                redirects={} if swapped else {p: commit.staged_of(p) for p in staged_files},
            )
            checks = run_suites(context)
    finally:
        if not swapped and not commit.journal_of(settings.cassette_dir).exists():  # the previous one stands
            shutil.rmtree(staging, ignore_errors=True)
            for path in others:
                commit.staged_of(path).unlink(missing_ok=True)
        in_use.release()
        session.runner.close()
    return RecordResult(
        index=index,
        cassette_dir=settings.cassette_dir,
        written=staged_files if swapped else [],
        notes=notes + session.public.notes(session.scrubber),
        runner_note=session.runner.note,
        failures=session.failures,
        checks=checks,
        swapped=swapped,
        accepted_failures=swapped and bool(session.failures),
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
