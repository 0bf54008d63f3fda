"""``replaykit record --detect-volatile``: read the same data twice live and propose the volatile record fields.

The basic read whose records become ``expected_records.jsonl`` runs twice against the live API, each run with
its own frozen instant (at least a second apart), as two recordings would. The fields whose values differ
between the two runs of the same records are what a connector stamps per run (``now()``, a sync id): the
proposal is the ``volatile_record_fields`` line to paste into ``[tool.replaykit]``. Nothing is written: the
cassettes of the two runs are thrown away, the recording and pyproject.toml are left as they are.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from replaykit import invocation_ids as ids
from replaykit.config_paths import check_paths
from replaykit.determinism import diff_runs
from replaykit.errors import RecordingError, UsageError
from replaykit.invocation_ids import Discovered
from replaykit.plan import PlannedInvocation, build_plan, load_acceptance_config
from replaykit.primary_keys import configured_primary_keys
from replaykit.recording_session import RecordingSession, RecordProgress
from replaykit.runner import LiveCallback, open_runner
from replaykit.settings import Settings
from replaykit.volatile import SETTING, VolatileRecordFields


@dataclass
class VolatileProposal:
    invocation: str  # the read run twice
    setting: VolatileRecordFields  # the current setting
    found: dict[str, dict[str, int]] = field(default_factory=dict)  # stream -> new path -> records it differs in
    masked: dict[str, dict[str, int]] = field(default_factory=dict)  # differing, already in the setting
    records: dict[str, int] = field(default_factory=dict)  # stream -> records read (first run)
    unmaskable: list[str] = field(default_factory=list)  # records added / removed between the runs
    pyproject: str = "pyproject.toml"

    @property
    def proposed(self) -> VolatileRecordFields:
        return self.setting.with_fields(self.found)


def setting_path(path: str) -> str:
    """A field path as record_diff names it (``meta.synced_at``, ``tags[]``) as the setting writes it: ``/``
    between keys, a list masked whole."""
    return path.split("[", 1)[0].replace(".", "/")


def detect_volatile(
    settings: Settings, *, progress: RecordProgress | None = None, live: LiveCallback | None = None
) -> VolatileProposal:
    """Run the basic read twice live (after the spec and discover it needs) and compare the two runs."""
    session = RecordingSession(settings, settings.config, progress, live)
    session.config(settings.config)
    acceptance = load_acceptance_config(settings.acceptance_test_config)
    if acceptance is not None:
        check_paths(acceptance, "record")
    plan = build_plan(settings.connector_dir, acceptance, settings.config)
    basic = next((p for p in plan if p.key == ids.basic_read(0)), None)
    if basic is None:
        raise UsageError(
            f"--detect-volatile compares two basic reads, and {settings.acceptance_test_config.name} has no "
            "basic_read test",
            hint="Add a basic_read test (its records are the expected records volatile fields are masked in).",
        )
    needed: list[PlannedInvocation] = [p for p in plan if p.command == "spec"][:1]
    if isinstance(basic.catalog, Discovered):
        needed.append(next(p for p in plan if p.key == ids.discovery()))
    for planned in [*needed, basic]:
        session.config(planned.config_path)
    session.learn_secrets(None, plan)
    session.runner = open_runner(settings.runner, settings.connector_dir, settings.warm_modules)
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="replaykit-volatile-") as scratch:
            for step, planned in enumerate([*needed, basic, basic]):
                work = Path(scratch) / str(step)
                (work / "inputs").mkdir(parents=True)
                session.run(planned, work, work / "inputs")
                if session.failures:  # two failing reads tell nothing about volatile fields
                    failure = session.failures[0]
                    raise RecordingError(
                        f"invocation {failure.invocation} ({failure.command}) did not go as the acceptance checks "
                        f"expect: {failure.problem}; nothing was proposed",
                        details=[f"  {line}" for line in failure.detail_lines()],
                        hint="Fix the connector or its config (is the API reachable? are the credentials valid?), "
                        "then run `replaykit record --detect-volatile` again.",
                    )
                if planned.command == "spec":
                    session.learn_secrets(session.outputs[planned.id].spec, plan)
                if planned is basic:
                    runs.append(session.outputs[basic.id])
    finally:
        session.runner.close()
    proposal = VolatileProposal(basic.id, settings.volatile_record_fields, pyproject=_pyproject(settings))
    catalog = session.catalogs.get(basic.id)
    keys = configured_primary_keys(catalog)
    first, second = (run.records_by_stream() for run in runs)
    for stream in sorted(set(first) | set(second)):
        old, new = ([r.get("data") or {} for r in side.get(stream, [])] for side in (first, second))
        proposal.records[stream] = len(old)
        diff = diff_runs(stream, old, new, keys.get(stream))
        if diff.added or diff.removed:
            proposal.unmaskable.append(
                f"{stream}: {diff.added} record(s) only in the second read, {diff.removed} only in the first "
                f"(by {diff.keyed_by}): whole records, not a field, vary"
            )
        for change in diff.fields.values():
            path = setting_path(change.path)
            if not path or path == "(record)":
                continue
            into = proposal.masked if path in settings.volatile_record_fields.for_stream(stream) else proposal.found
            counts = into.setdefault(stream, {})
            counts[path] = max(counts.get(path, 0), change.count)
    return proposal


def _pyproject(settings: Settings) -> str:
    return settings.source if settings.source != "defaults" else "pyproject.toml"


def proposal_lines(proposal: VolatileProposal) -> Iterator[str]:
    """What the two reads showed, and the setting line to paste (or that there is nothing to add)."""
    for stream, paths in sorted(proposal.masked.items()):
        for path, count in sorted(paths.items()):
            yield f"already masked: {stream}: {path} differs in {count} of {proposal.records.get(stream, 0)} records"
    for stream, paths in sorted(proposal.found.items()):
        for path, count in sorted(paths.items()):
            yield f"volatile: {stream}: {path} differs in {count} of {proposal.records.get(stream, 0)} records"
    for line in proposal.unmaskable:
        yield f"not maskable: {line} (is the data changing, or does a primary key hold a per-run value?)"
    if proposal.found:
        yield (
            f"Put this line in the [tool.replaykit] table of {proposal.pyproject} (create the table if it is missing; "
            f"the line replaces any {SETTING} there), then record again: the fields are left out of the expected "
            "records, replay still compares them:"
        )
        yield proposal.proposed.setting_line()
    else:
        yield f"no new volatile record fields: the two reads of {proposal.invocation} agree on every other field"
    yield "nothing was written (the recording, the expected records and pyproject.toml are unchanged)"
