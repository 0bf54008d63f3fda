"""``replaykit record``: run the acceptance plan live and store scrubbed cassettes and the invocation index.

Everything is written into a staging directory, verified for secrets, and swapped in at the end: a
recording that fails or is killed leaves the previous cassettes, index and expected records untouched.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from replaykit import __version__, commit
from replaykit.checks import FAIL, CheckContext, CheckResult, run_suites
from replaykit.config_paths import check_paths
from replaykit.connector import ConnectorTarget
from replaykit.errors import (
    ReplaykitError,
    SecretLeakError,
)
from replaykit.failures import InvocationFailure
from replaykit.files import dump_json, new_staging_dir, write_atomic
from replaykit.fingerprint import FINGERPRINT_KEY, connector_fingerprint
from replaykit.invocations import InvocationIndex, load_index
from replaykit.plan import (
    build_plan,
    expected_records_path,
    load_acceptance_config,
)
from replaykit.preflight import check_record_targets
from replaykit.record_schedule import record_plan
from replaykit.recording_session import RecordingSession, RecordProgress
from replaykit.runner import LiveCallback, open_runner
from replaykit.scrub import (
    Scrubber,
    scrub_config,
)
from replaykit.settings import Settings
from replaykit.snapshots import desired_snapshots
from replaykit.verify import find_leak

# The scrubbed main config, next to the cassettes: what replay runs with, and what a developer can inspect.
REPLAY_CONFIG = "replay_config.json"


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
    session = RecordingSession(settings, settings.config, progress, live)
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
            invocations = record_plan(
                session,
                plan,
                staging,
                Path(scratch),
                jobs=settings.parallel_jobs,
                after_each=lambda: commit.kill_point("live"),
            )
        session.scrub_again(invocations, staging)
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
            staged = {} if swapped else {p: commit.staged_of(p) for p in staged_files}
            context = CheckContext.of_recording(
                settings, acceptance, invocations, session.outputs, index.previous, redirects=staged
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
