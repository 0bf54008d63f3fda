"""One live recording in progress: the configs it read, the secrets it knows, the outputs and failures of the
invocations it ran (:func:`replaykit.recorder.record` drives it)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from replaykit import __version__
from replaykit import invocation_ids as ids
from replaykit.clock import format_instant, now_whole_second
from replaykit.connector import resolve_connector
from replaykit.errors import (
    ConnectorCrashedError,
    MissingInputError,
    RecordingError,
    UsageError,
)
from replaykit.failures import InvocationFailure, describe_failure, judge
from replaykit.invocation_ids import BadCatalog, Discovered, Role, StateAfter
from replaykit.invocations import Invocation
from replaykit.messages import ConnectorOutput
from replaykit.plan import (
    PlannedInvocation,
    bad_catalog,
    configured_catalog_from,
    full_refresh_only_catalog,
    incremental_only_catalog,
)
from replaykit.runner import InvocationRun, LiveCallback, Runner, run_invocation, write_inputs
from replaykit.runtime import Job
from replaykit.scrub import MIN_NUMERIC_LENGTH, MIN_SECRET_LENGTH, Scrubber, Secret, scrub_config
from replaykit.secret_discovery import discover_secrets, unsafe_secret_fields
from replaykit.secret_sources import PUBLIC_HINT, PublicConfigs
from replaykit.settings import Settings
from replaykit.slices import select_states
from replaykit.state_files import load_state_file
from replaykit.states import checkpoint_input, state_input_from

# (planned invocation, its run, its failure if it did not go as the checks expect) -> None; after each invocation
RecordProgress = Callable[[PlannedInvocation, InvocationRun | None, InvocationFailure | None], None]
Report = tuple[PlannedInvocation, InvocationRun | None, InvocationFailure | None]


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


class RecordingSession:
    """Thread-safe for :mod:`replaykit.record_schedule`: the session's state changes under one lock, the
    connector runs outside it, and what an invocation reports (progress, failures) can be held back per thread
    (:meth:`held`) so that it comes out in the plan's order."""

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
        self.scrubbed_with: dict[str, int] = {}  # invocation id -> secrets known when its connector ran
        self._lock = threading.RLock()
        self._held = threading.local()

    @contextmanager
    def held(self) -> Iterator[list[Report]]:
        """Reports of the invocations run by this thread meanwhile are collected, not made (see :meth:`publish`)."""
        reports: list[Report] = []
        self._held.reports = reports
        try:
            yield reports
        finally:
            self._held.reports = None

    def publish(self, reports: list[Report]) -> None:
        """Make held reports: the failure noted, the progress callback called."""
        for planned, run, failure in reports:
            if failure is not None:
                self.failures.append(failure)
            if self.progress is not None:
                self.progress(planned, run, failure)

    def _report(self, planned: PlannedInvocation, run: InvocationRun | None, failure: InvocationFailure | None) -> None:
        held = getattr(self._held, "reports", None)
        if held is not None:
            held.append((planned, run, failure))
        else:
            self.publish([(planned, run, failure)])

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

    def scrub_again(self, invocations: list[Invocation], staging: Path) -> None:
        """A value learned later in the run (a token) may sit in what an earlier or a concurrent invocation
        stored: every input, and the outputs and cassette of each invocation that ran knowing fewer secrets than
        are known now, are scrubbed again."""
        secrets = self.scrubber.secrets
        for invocation in invocations:
            invocation.config = self.scrubber.scrub_value(invocation.config)
            invocation.catalog = self.scrubber.scrub_value(invocation.catalog)
            invocation.state = self.scrubber.scrub_value(invocation.state)
            unknown = secrets[self.scrubbed_with.get(invocation.id, len(secrets)) :]
            if not unknown:
                continue
            output = self.outputs.get(invocation.id)
            if output is not None:
                output.records = self.scrubber.scrub_value(output.records)
                output.states = self.scrubber.scrub_value(output.states)
            invocation.outputs = self.scrubber.scrub_value(invocation.outputs)
            cassette = staging / invocation.cassette
            if cassette.is_file():  # as text, with the secrets it did not know only (the others were replaced
                # in its values when it was written, and a value that is also cassette structure must stay
                # for the leak check to refuse)
                from replaykit.scan_fix import fix_file

                fix_file(cassette, [], Scrubber(unknown))

    def next_instant(self) -> dt.datetime:
        now = now_whole_second()
        if self.last_instant is not None and now <= self.last_instant:
            now = self.last_instant + dt.timedelta(seconds=1)
        self.last_instant = now
        return now

    def catalog_for(self, planned: PlannedInvocation) -> dict[str, Any] | None:
        if planned.catalog is None:
            return None
        if isinstance(planned.catalog, BadCatalog):
            return bad_catalog()
        if isinstance(planned.catalog, Discovered):
            discovered = self.outputs.get(ids.discovery().id)
            if discovered is None or discovered.catalog is None:
                raise MissingInputError("it needs the discovered catalog, but discover returned none")
            catalog = configured_catalog_from(
                discovered.catalog, incremental=planned.catalog.incremental, exclude=planned.empty_streams
            )
            source = "the discovered catalog"
        else:
            value = read_json_file(planned.catalog.path, "configured catalog")
            if not isinstance(value, dict):
                return None
            catalog, source = value, str(planned.catalog.path)
        # As CAT: incremental tests read the incremental-only catalog (the abnormal-state read without the
        # cursor fill-in), the full-refresh test the full-refresh-only one.
        if planned.suite == "incremental":
            return incremental_only_catalog(catalog, source=source, fill_cursor=planned.role is not Role.ABNORMAL_STATE)
        if planned.suite == "full_refresh":
            return full_refresh_only_catalog(catalog)
        return catalog

    def state_for(self, planned: PlannedInvocation) -> list[dict[str, Any]] | None:
        if planned.state is None:
            return None
        if isinstance(planned.state, StateAfter):
            before = self.outputs.get(planned.state.invocation.id)
            if before is None:
                raise MissingInputError(f"it reads the state of {planned.state.invocation.id}, which did not run")
            return state_input_from(before.states) or None
        return load_state_file(planned.state.path).messages  # legacy shapes converted (record warns)

    def run(
        self,
        planned: PlannedInvocation,
        staging: Path,
        scratch: Path,
        catalog: dict[str, Any] | None = None,
        state: list[dict[str, Any]] | None = None,
    ) -> Invocation:
        """Run one planned invocation live (``catalog`` / ``state`` given: instead of the planned ones)."""
        with self._lock:
            invocation, job = self._prepare(planned, staging, scratch, catalog, state)
        run = run_invocation(
            job,
            cwd=self.settings.connector_dir,
            timeout_s=planned.timeout_s or self.settings.timeout_seconds,
            scrub=self.scrubber.scrub_text,
            live=self.live,
            runner=self.runner,
        )
        with self._lock:
            return self._absorb(planned, invocation, run)

    def _prepare(
        self,
        planned: PlannedInvocation,
        staging: Path,
        scratch: Path,
        catalog: dict[str, Any] | None,
        state: list[dict[str, Any]] | None,
    ) -> tuple[Invocation, Job]:
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
        self.scrubbed_with[planned.id] = len(self.scrubber.secrets)
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
        return invocation, job

    def _absorb(self, planned: PlannedInvocation, invocation: Invocation, run: InvocationRun) -> Invocation:
        """What the session keeps of a finished run: learned secrets, scrubbed outputs, the failure if any."""
        for name, value in run.result.learned:
            self.scrubber.add(Secret(name, value))
        run.stderr_tail = [self.scrubber.scrub_text(line) for line in run.stderr_tail]
        if run.result.runtime_error is not None:
            raise RecordingError(
                f"invocation {planned.id} could not be recorded: " + self.scrubber.scrub_text(run.result.runtime_error),
                details=self.scrubber.scrub_text(run.result.traceback or "").splitlines(),
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
        run.output.records = self.scrubber.scrub_value(run.output.records)
        run.output.states = self.scrubber.scrub_value(run.output.states)
        self.outputs[planned.id] = run.output
        self.catalogs[planned.id] = invocation.catalog
        invocation.exit_code = run.exit_code
        invocation.outputs = self.scrubber.scrub_value(run.output.summary())  # a status message may echo one
        invocation.requests = run.result.interactions
        invocation.cassette = run.result.cassette or invocation.cassette  # binary bodies: YAML
        self._report(planned, run, failure)
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
            with self._lock:
                self._report(planned, None, self._could_not_run(planned, exc))
            return None

    def _could_not_run(
        self, planned: PlannedInvocation, exc: MissingInputError | ConnectorCrashedError
    ) -> InvocationFailure:
        """The failure of an invocation that could not run (an input missing) or died without a result."""
        problem = exc.message if isinstance(exc, ConnectorCrashedError) else f"not run: {exc.message}"
        return describe_failure(
            planned.id,
            planned.command,
            problem,
            exit_code=None,
            output=None,
            stderr_tail=[d.strip() for d in exc.details[1:]],
            scrub=self.scrubber.scrub_text,
        )

    def run_slices(self, planned: PlannedInvocation, staging: Path, scratch: Path) -> list[Invocation]:
        """CAT's sequential-slices reads: per stream, a first read, then reads from its sampled checkpoints."""
        done: list[Invocation] = []
        try:
            with self._lock:
                catalog = self.catalog_for(planned) or {}
        except MissingInputError as exc:
            with self._lock:
                self._report(planned, None, self._could_not_run(planned, exc))
            return done
        for configured in catalog.get("streams", []):
            if configured.get("sync_mode") != "incremental":
                continue  # CAT reads the incremental-only catalog here
            name = str(configured.get("stream", {}).get("name"))
            first = PlannedInvocation(ids.slices_first(planned.key.index, name), "read", planned.config_path)
            first_read = self.attempt(first, staging, scratch, catalog={"streams": [configured]})
            if first_read is None:
                continue
            done.append(first_read)
            with self._lock:
                states = [s for s in self.outputs[first.id].states if s.get("type") == "STREAM"]
            for k, (checkpoint, expected) in enumerate(select_states(states), start=1):
                state = checkpoint_input(checkpoint)
                if state:
                    key = ids.slices_state(planned.key.index, name, k)
                    read = PlannedInvocation(key, "read", planned.config_path)
                    invocation = self.attempt(read, staging, scratch, catalog={"streams": [configured]}, state=state)
                    if invocation is None:
                        continue
                    # the checkpoints the concurrent CDK emits vary with thread timing: the count CAT expects
                    # from this one is fixed now, with the checkpoint, for replay to check
                    invocation.expect_min_records = int(expected)
                    done.append(invocation)
        return done
