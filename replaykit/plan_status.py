"""``replaykit plan``: the acceptance config validated, the invocations its checks need and whether each one is
recorded already, and the strictness violations; a typed result the shell only renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from replaykit.settings import Settings


@dataclass(frozen=True)
class PlannedRow:
    id: str
    command: str
    recorded: bool
    inputs: str  # the invocation's inputs, described


@dataclass
class PlanStatus:
    missing_config: str | None  # the acceptance config's file name when there is none (the default plan)
    warnings: list[str] = field(default_factory=list)  # from reading the acceptance config (legacy keys)
    state_lines: list[str] = field(default_factory=list)  # the state files' report (rewritten with ``write``)
    rows: list[PlannedRow] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)  # test_strictness_level: high, in CAT's words

    @property
    def recorded(self) -> int:
        return sum(1 for row in self.rows if row.recorded)

    @property
    def passed(self) -> bool:
        return not self.violations


def plan_status(settings: Settings, cwd: Path, write: bool = False) -> PlanStatus:
    """Validate the acceptance config and list its planned invocations with their recorded-or-not status
    (``write``: rewrite legacy state files in the current shape)."""
    from replaykit.acceptance import load_acceptance_config, strictness_violations
    from replaykit.config_paths import check_paths
    from replaykit.connector import resolve_connector
    from replaykit.errors import ConnectorNotFoundError
    from replaykit.invocations import INDEX_FILE, load_index
    from replaykit.plan import build_plan
    from replaykit.replayer import record_command
    from replaykit.state_files import state_file_report

    try:  # as record: a directory without a connector is a usage error, not a "default plan"
        resolve_connector(settings.connector_dir, settings.connector_command)
    except ConnectorNotFoundError as exc:
        raise ConnectorNotFoundError(
            exc.message, hint="Run `replaykit plan` in the connector directory, or pass --connector-dir."
        ) from None
    acceptance = load_acceptance_config(settings.acceptance_test_config)
    if acceptance is not None:
        check_paths(acceptance, "plan")
    status = PlanStatus(
        missing_config=settings.acceptance_test_config.name if acceptance is None else None,
        warnings=list(acceptance.warnings) if acceptance else [],
        state_lines=list(state_file_report(acceptance, write=write)),
    )
    recorded: set[str] = set()
    if (settings.cassette_dir / INDEX_FILE).is_file():
        hint = record_command(settings, cwd)
        recorded = {i.id for i in load_index(settings.cassette_dir, record_hint=hint).invocations}
    for planned in build_plan(settings.connector_dir, acceptance, settings.config):
        covered = any(planned.covers(r) for r in recorded)
        status.rows.append(PlannedRow(planned.id, planned.command, covered, planned.describe_inputs()))
    status.violations = list(strictness_violations(acceptance)) if acceptance else []
    return status
