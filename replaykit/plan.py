"""The acceptance plan: every connector invocation the acceptance checks need, with where its inputs come from.

Inputs that only exist at record time are described, not resolved: a catalog "discovered" (built from the
discover invocation's catalog) and a state "after:<id>" (the final states of an earlier read).  The recorder
resolves them live and stores the concrete inputs in the invocation index; replay never re-plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from replaykit.errors import ConfigError

DEFAULT_CONFIG_PATH = "secrets/config.json"


@dataclass(frozen=True)
class PlannedInvocation:
    id: str
    suite: str
    command: str  # spec | check | discover | read
    config_path: Path | None = None
    catalog: str | None = None  # "discovered" | "discovered-incremental" | a file path
    state: str | None = None  # "after:<invocation id>" | a file path
    empty_streams: tuple[str, ...] = ()
    expect: str = "succeed"  # check: CAT's status (succeed | failed | exception)


def load_acceptance_config(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path} is not valid YAML{where}", hint="Fix the YAML syntax.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping", hint="See CAT's acceptance-test-config.yml.")
    return data


def _tests(acceptance: dict[str, Any], suite: str) -> list[dict[str, Any]]:
    section = (acceptance.get("acceptance_tests") or {}).get(suite)
    if not isinstance(section, dict):
        return []
    tests = section.get("tests") or []
    return [t for t in tests if isinstance(t, dict)]


def _empty_streams(test: dict[str, Any]) -> tuple[str, ...]:
    names = []
    for item in test.get("empty_streams") or []:
        names.append(item.get("name") if isinstance(item, dict) else item)
    return tuple(str(n) for n in names if n)


def build_plan(connector_dir: Path, acceptance: dict[str, Any] | None, main_config: Path) -> list[PlannedInvocation]:
    """The invocations to record, in the order they must run (discover before the reads that need it)."""
    base = connector_dir / str((acceptance or {}).get("base_path") or ".")
    default_config = (base / DEFAULT_CONFIG_PATH).resolve()

    def config_of(test: dict[str, Any]) -> Path:
        path = (base / str(test.get("config_path") or DEFAULT_CONFIG_PATH)).resolve()
        return main_config if path in (default_config, main_config.resolve()) else path

    def path_of(value: Any) -> str | None:
        return str((base / str(value)).resolve()) if value else None

    if acceptance is None:
        acceptance = {
            "acceptance_tests": {
                "spec": {"tests": [{}]},
                "connection": {"tests": [{}]},
                "discovery": {"tests": [{}]},
                "basic_read": {"tests": [{}]},
                "incremental": {"tests": [{}]},
            }
        }
    plan = [PlannedInvocation("spec-0", "spec", "spec")]
    for i, test in enumerate(_tests(acceptance, "connection")):
        plan.append(
            PlannedInvocation(
                f"connection-{i}", "connection", "check", config_of(test), expect=str(test.get("status") or "succeed")
            )
        )
    plan.append(PlannedInvocation("discovery-0", "discovery", "discover", main_config))
    for i, test in enumerate(_tests(acceptance, "discovery")[1:], start=1):
        plan.append(PlannedInvocation(f"discovery-{i}", "discovery", "discover", config_of(test)))
    for i, test in enumerate(_tests(acceptance, "basic_read")):
        plan.append(
            PlannedInvocation(
                f"basic_read-{i}",
                "basic_read",
                "read",
                config_of(test),
                catalog=path_of(test.get("configured_catalog_path")) or "discovered",
                empty_streams=_empty_streams(test),
            )
        )
    for i, test in enumerate(_tests(acceptance, "full_refresh")):
        catalog = path_of(test.get("configured_catalog_path")) or "discovered"
        for step in ("read1", "read2"):
            plan.append(
                PlannedInvocation(f"full_refresh-{i}-{step}", "full_refresh", "read", config_of(test), catalog=catalog)
            )
    for i, test in enumerate(_tests(acceptance, "incremental")):
        catalog = path_of(test.get("configured_catalog_path")) or "discovered-incremental"
        first = f"incremental-{i}-read1"
        plan.append(PlannedInvocation(first, "incremental", "read", config_of(test), catalog=catalog))
        plan.append(
            PlannedInvocation(
                f"incremental-{i}-read2",
                "incremental",
                "read",
                config_of(test),
                catalog=catalog,
                state=f"after:{first}",
            )
        )
        future = test.get("future_state") or {}
        future_path = future.get("future_state_path") if isinstance(future, dict) else None
        future_path = future_path or test.get("future_state_path")
        if future_path:
            plan.append(
                PlannedInvocation(
                    f"incremental-{i}-abnormal_state",
                    "incremental",
                    "read",
                    config_of(test),
                    catalog=catalog,
                    state=path_of(future_path),
                )
            )
    return plan


def configured_catalog_from(
    discovered: dict[str, Any], *, incremental: bool, exclude: tuple[str, ...] = ()
) -> dict[str, Any]:
    """CAT's configured catalog built from a discovered one (incremental: only streams that support it)."""
    streams = []
    for stream in discovered.get("streams", []):
        if stream.get("name") in exclude:
            continue
        modes = stream.get("supported_sync_modes") or ["full_refresh"]
        if incremental and "incremental" not in modes:
            continue
        configured: dict[str, Any] = {
            "stream": stream,
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": "append" if incremental else "overwrite",
        }
        if stream.get("source_defined_primary_key"):
            configured["primary_key"] = stream["source_defined_primary_key"]
        if incremental and stream.get("default_cursor_field"):
            configured["cursor_field"] = stream["default_cursor_field"]
        streams.append(configured)
    return {"streams": streams}


def expected_records_path(connector_dir: Path, acceptance: dict[str, Any] | None) -> Path | None:
    """Where the basic read's ``expect_records.path`` points, if the acceptance config names one."""
    tests = _tests(acceptance or {}, "basic_read")
    for test in tests:
        expect = test.get("expect_records")
        if isinstance(expect, dict) and expect.get("path"):
            base = connector_dir / str((acceptance or {}).get("base_path") or ".")
            return (base / str(expect["path"])).resolve()
    return None
