"""The acceptance plan: every connector invocation the acceptance checks need, with where its inputs come from.

Inputs that only exist at record time are described, not resolved: a catalog :class:`Discovered` (built from
the discover invocation's catalog) and a state :class:`StateAfter` (the final states of an earlier read).  The recorder
resolves them live and stores the concrete inputs in the invocation index; replay never re-plans.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replaykit import invocation_ids as ids
from replaykit.acceptance import AcceptanceConfig, load_acceptance_config
from replaykit.errors import ConfigError
from replaykit.invocation_ids import (
    BadCatalog,
    CatalogFile,
    CatalogSource,
    Discovered,
    InvocationKey,
    Role,
    StateAfter,
    StateFile,
    StateSource,
)

__all__ = [
    "PlannedInvocation",
    "build_plan",
    "configured_catalog_from",
    "expected_records_path",
    "full_refresh_only_catalog",
    "incremental_only_catalog",
    "load_acceptance_config",
]

DEFAULT_CONFIG_PATH = "secrets/config.json"
# CAT's trace-on-failure check reads a catalog holding only this stream, with invalid sync modes.
MISSING_STREAM = "__AIRBYTE__stream_that_does_not_exist"


@dataclass(frozen=True)
class PlannedInvocation:
    key: InvocationKey  # suite, acceptance test, role: the id
    command: str  # spec | check | discover | read
    config_path: Path | None = None
    catalog: CatalogSource | None = None
    state: StateSource | None = None
    empty_streams: tuple[str, ...] = ()
    expect: str = "succeed"  # check: CAT's status (succeed | failed | exception); read: succeed | error
    environment: tuple[tuple[str, str], ...] = ()  # CAT's custom_environment_variables and DEPLOYMENT_MODE
    timeout_s: float | None = None  # the test's timeout_seconds

    @property
    def id(self) -> str:
        return self.key.id

    @property
    def suite(self) -> str:
        return self.key.suite

    @property
    def role(self) -> Role:
        return self.key.role

    def covers(self, invocation_id: str) -> bool:
        """Whether a recorded invocation belongs to this planned one (itself, or one of its expansions)."""
        if invocation_id == self.id:
            return True
        recorded = ids.parse(invocation_id)
        return recorded is not None and self.key.expands_to(recorded)

    def describe_inputs(self) -> str:
        parts = []
        if self.config_path is not None:
            parts.append(f"config {self.config_path.name}")
        if self.catalog is not None:
            parts.append(f"catalog {self.catalog.describe()}")
        if self.state is not None:
            parts.append(f"state {self.state.describe()}")
        if self.command == "check" or self.expect != "succeed":
            parts.append(f"expect {self.expect}")
        if self.role is Role.SLICES:
            parts.append("per stream: a read, then reads from sampled checkpoints (expanded when recording)")
        return ", ".join(parts) or "-"


def build_plan(connector_dir: Path, acceptance: AcceptanceConfig | None, main_config: Path) -> list[PlannedInvocation]:
    """The invocations to record, in the order they must run (discover before the reads that need it).

    Without an acceptance-test-config.yml: spec, check, discover, a basic read and two incremental reads."""

    def config_of(relative: str | None) -> Path:
        default = resolve(DEFAULT_CONFIG_PATH)
        path = resolve(relative or DEFAULT_CONFIG_PATH)
        return main_config if path in (default, main_config.resolve()) else path

    def resolve(relative: str) -> Path:
        if acceptance is not None:
            resolved = acceptance.resolve(relative)
            assert resolved is not None
            return resolved
        return (connector_dir / relative).resolve()

    def catalog_of(test: Any, *, incremental: bool = False) -> CatalogSource:
        path = getattr(test, "configured_catalog_path", None)
        return CatalogFile(resolve(path)) if path else Discovered(incremental)

    def tests(suite: str) -> list[Any]:
        if acceptance is None:
            return [None] if suite in ("connection", "basic_read", "incremental") else []
        return acceptance.tests(suite)

    plan = [PlannedInvocation(ids.spec(), "spec")]
    for i, test in enumerate(tests("connection")):
        config = config_of(getattr(test, "config_path", None))
        plan.append(PlannedInvocation(ids.connection(i), "check", config, expect=getattr(test, "status", "succeed")))
    discovery_tests = tests("discovery")
    first_discovery = config_of(getattr(discovery_tests[0], "config_path", None)) if discovery_tests else main_config
    plan.append(PlannedInvocation(ids.discovery(), "discover", first_discovery))  # as CAT: its config
    for i, test in enumerate(tests("discovery")[1:], start=1):
        plan.append(PlannedInvocation(ids.discovery(i), "discover", config_of(test.config_path)))
    for i, test in enumerate(tests("basic_read")):
        config = config_of(getattr(test, "config_path", None))
        empty = tuple(s.name for s in getattr(test, "empty_streams", []))
        plan.append(PlannedInvocation(ids.basic_read(i), "read", config, catalog=catalog_of(test), empty_streams=empty))
        if getattr(test, "expect_trace_message_on_failure", True) and acceptance is not None:
            plan.append(
                PlannedInvocation(ids.bad_catalog_read(i), "read", config, catalog=BadCatalog(), expect="error")
            )
    for i, test in enumerate(tests("full_refresh")):
        for n in (1, 2):
            plan.append(
                PlannedInvocation(
                    ids.full_refresh_read(i, n), "read", config_of(test.config_path), catalog=catalog_of(test)
                )
            )
    for i, test in enumerate(tests("incremental")):
        catalog = catalog_of(test, incremental=True)
        config = config_of(getattr(test, "config_path", None))
        first = ids.incremental_read(i, 1)
        plan.append(PlannedInvocation(first, "read", config, catalog=catalog))
        plan.append(
            PlannedInvocation(ids.incremental_read(i, 2), "read", config, catalog=catalog, state=StateAfter(first))
        )
        if not getattr(test, "skip_comprehensive_incremental_tests", False) and acceptance is not None:
            plan.append(PlannedInvocation(ids.slices(i), "read", config, catalog=catalog))
        future = getattr(test, "future_state", None)
        if future is not None and future.future_state_path and future.bypass_reason is None:  # CAT skips a bypass
            state = StateFile(resolve(future.future_state_path))
            plan.append(PlannedInvocation(ids.abnormal_state(i), "read", config, catalog=catalog, state=state))
    return [_with_environment(p, acceptance) for p in plan]


def _with_environment(planned: PlannedInvocation, acceptance: AcceptanceConfig | None) -> PlannedInvocation:
    """As CAT: the config's ``custom_environment_variables``, ``DEPLOYMENT_MODE`` from the test's
    ``deployment_mode``, and the test's ``timeout_seconds``."""
    if acceptance is None:
        return planned
    test = acceptance_test_of(acceptance, planned.key)
    env = {str(k): str(v) for k, v in acceptance.custom_environment_variables.items()}
    mode = getattr(test, "deployment_mode", None)
    if mode:
        env["DEPLOYMENT_MODE"] = mode.upper()
    timeout = getattr(test, "timeout_seconds", None)
    return dataclasses.replace(planned, environment=tuple(sorted(env.items())), timeout_s=timeout or None)


def acceptance_test_of(acceptance: AcceptanceConfig, key: InvocationKey) -> Any:
    """The acceptance test entry an invocation belongs to, None when its suite has no such test."""
    tests = acceptance.tests(key.suite)
    return tests[key.index] if key.index < len(tests) else None


def bad_catalog() -> dict[str, Any]:
    """CAT's catalog for ``test_airbyte_trace_message_on_failure``: one stream that does not exist."""
    stream = {
        "name": MISSING_STREAM,
        "json_schema": {"type": "object", "properties": {"f1": {"type": "string"}}},
        "supported_sync_modes": ["full_refresh"],
    }
    return {"streams": [{"stream": stream, "sync_mode": "INVALID", "destination_sync_mode": "INVALID"}]}


def configured_catalog_from(
    discovered: dict[str, Any], *, incremental: bool, exclude: tuple[str, ...] = ()
) -> dict[str, Any]:
    """CAT's ``build_configured_catalog_from_discovered_catalog_and_empty_streams``: every discovered stream but
    the empty ones, in its first supported sync mode, ``append``, with its default cursor and primary key
    (incremental: only the streams that support it, in incremental mode)."""
    streams = []
    for stream in discovered.get("streams", []):
        if stream.get("name") in exclude:
            continue
        modes = stream.get("supported_sync_modes") or ["full_refresh"]
        if incremental and "incremental" not in modes:
            continue
        configured: dict[str, Any] = {
            "stream": stream,
            "sync_mode": "incremental" if incremental else modes[0],
            "destination_sync_mode": "append",
        }
        if stream.get("source_defined_primary_key"):
            configured["primary_key"] = stream["source_defined_primary_key"]
        if stream.get("default_cursor_field"):
            configured["cursor_field"] = stream["default_cursor_field"]
        streams.append(configured)
    return {"streams": streams}


def incremental_only_catalog(catalog: dict[str, Any], *, source: str, fill_cursor: bool = True) -> dict[str, Any]:
    """CAT's ``incremental_only_catalog``: the streams that support incremental, in incremental mode; with
    ``fill_cursor`` a stream without ``cursor_field`` takes its ``default_cursor_field`` (else an error)."""
    streams = []
    for configured in catalog.get("streams", []):
        stream = configured.get("stream") or {}
        if "incremental" not in (stream.get("supported_sync_modes") or []):
            continue
        configured = {**configured, "sync_mode": "incremental"}
        if fill_cursor and not configured.get("cursor_field"):
            if not stream.get("default_cursor_field"):
                raise ConfigError(
                    f"{source}: stream {stream.get('name')!r} has no cursor_field and no default_cursor_field",
                    hint="All incremental streams should either have `cursor_field` declared in the "
                    "configured_catalog or `default_cursor_field` specified in the catalog output by discovery.",
                )
            configured["cursor_field"] = list(stream["default_cursor_field"])
        streams.append(configured)
    return {**catalog, "streams": streams}


def full_refresh_only_catalog(catalog: dict[str, Any]) -> dict[str, Any]:
    """CAT's ``full_refresh_only_catalog``: the streams that support full refresh, in full-refresh mode."""
    streams = [
        {**configured, "sync_mode": "full_refresh"}
        for configured in catalog.get("streams", [])
        if "full_refresh" in ((configured.get("stream") or {}).get("supported_sync_modes") or ["full_refresh"])
    ]
    return {**catalog, "streams": streams}


def expected_records_path(connector_dir: Path, acceptance: AcceptanceConfig | None) -> Path | None:
    """Where the basic read's ``expect_records.path`` points, if the acceptance config names one."""
    if acceptance is None:
        return None
    for test in acceptance.tests("basic_read"):
        if test.expect_records is not None and test.expect_records.path:
            return acceptance.resolve(test.expect_records.path)
    return None
