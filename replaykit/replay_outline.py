"""What a full replay will report, read from the files alone (nothing replayed): the recorded invocations it
runs and the checks it reports. The pytest plugin collects its items from it."""

from __future__ import annotations

from dataclasses import dataclass

from replaykit.checks.registry import PlannedCheck, planned_checks
from replaykit.invocations import load_index
from replaykit.plan import build_plan, load_acceptance_config
from replaykit.settings import Settings


@dataclass(frozen=True)
class ReplayOutline:
    invocations: list[str]  # ids of the recorded invocations a full replay runs, in its order
    checks: list[PlannedCheck]


def replay_outline(settings: Settings, *, record_hint: str) -> ReplayOutline:
    """The invocations and checks of ``replay(settings)``; errors as replay's (a missing index, a bad config)."""
    acceptance = load_acceptance_config(settings.acceptance_test_config)
    index = load_index(settings.cassette_dir, record_hint=record_hint)
    plan = build_plan(settings.connector_dir, acceptance, settings.config)
    invocations = [i.id for i in index.invocations if any(p.covers(i.id) for p in plan)]
    strict = settings.strict
    checks = [] if acceptance is None else planned_checks(acceptance, settings.connector_dir, strict=strict)
    return ReplayOutline(invocations, checks)
