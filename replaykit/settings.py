"""Typed settings: defaults < ``[tool.replaykit]`` in pyproject.toml < command-line flags.

Unknown keys are errors with a did-you-mean suggestion; precedence is implemented once, in
:func:`resolve_settings`.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaykit.errors import ConfigError, UnknownConfigKeyError
from replaykit.volatile import VolatileRecordFields, parse_volatile_record_fields

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class Settings:
    """Where the connector and its recordings live, and how to run it."""

    connector_dir: Path
    cassette_dir: Path
    acceptance_test_config: Path
    config: Path
    connector_command: str | None = None
    secrets: tuple[str, ...] = ()
    timeout_seconds: float = 900.0
    volatile_state_fields: frozenset[str] = frozenset({"lookback_window"})
    volatile_record_fields: VolatileRecordFields = field(default_factory=VolatileRecordFields)
    strict: bool = False
    allow_unplayed_interactions: bool = True  # False: a recorded request the replay never sent fails it
    runner: str = "fork"
    jobs: int = 0  # 0: one per CPU core
    warm_modules: tuple[str, ...] = ()
    cassette_format: str = "json"
    source: str = "defaults"

    @property
    def parallel_jobs(self) -> int:
        """How many invocations may run at once (``jobs``, or the CPU cores available)."""
        if self.jobs > 0:
            return self.jobs
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
            return max(1, os.cpu_count() or 1)


# key -> (type, description); the description feeds error messages and --help.
_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "connector_dir": ((str,), "directory of the connector (default: the current directory)"),
    "cassette_dir": ((str,), "where cassettes and the invocation index live (default: <connector_dir>/cassettes)"),
    "acceptance_test_config": ((str,), "path of acceptance-test-config.yml, relative to connector_dir"),
    "config": ((str,), "config used by `replaykit record` (default: secrets/config.json)"),
    "connector_command": ((str,), "how to run the connector, e.g. 'source-foo' or 'python main.py'"),
    "secrets": ((list,), "extra config field names whose values are secret"),
    "timeout_seconds": ((int, float), "time limit of one connector invocation"),
    "volatile_state_fields": ((list,), "state keys whose values change run to run; masked in state snapshots"),
    "volatile_record_fields": (
        (list, dict),
        "record field paths stamped per run (e.g. updated_at), for every stream or per stream: left out of "
        "expected records",
    ),
    "strict": (
        (bool,),
        "replay checks compare whole expected records and incremental cursors (replay is deterministic)",
    ),
    "allow_unplayed_interactions": (
        (bool,),
        "false: replay fails when a recorded request is never sent (by default it is a note)",
    ),
    "runner": ((str,), "how invocations run: 'fork' (from a warm parent, the default) or 'fresh' (a new process each)"),
    "jobs": ((int,), "invocations run at once by record and replay (default 0: one per CPU core)"),
    "warm_modules": ((list,), "clock-free modules the warm parent imports once more (your connector's heavy deps)"),
    "cassette_format": ((str,), "format of new cassettes: 'json' (fast to load, the default) or 'yaml'"),
}

# keys whose value is one of a few words
_CHOICES: dict[str, tuple[str, ...]] = {"runner": ("fork", "fresh"), "cassette_format": ("json", "yaml")}


def _suggest(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(sorted(valid))}"


def validate_table(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check a raw ``[tool.replaykit]`` table: unknown keys and wrong types are errors."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _KEYS:
            raise UnknownConfigKeyError(
                f"{where}: unknown key {key!r} in [tool.replaykit]",
                hint=f"{_suggest(key, list(_KEYS))} Fix or remove the key.",
            )
        expected, _ = _KEYS[key]
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
            raise ConfigError(
                f"{where}: [tool.replaykit] {key} must be of type "
                f"{' or '.join(t.__name__ for t in expected)}, "
                f"got {type(value).__name__}",
                hint=f"{key}: {_KEYS[key][1]}.",
            )
        if key in _CHOICES and value not in _CHOICES[key]:
            close = difflib.get_close_matches(str(value), _CHOICES[key], n=1, cutoff=0.5)
            raise ConfigError(
                f"{where}: [tool.replaykit] {key} = {value!r} is not one of {', '.join(_CHOICES[key])}",
                hint=(f"Did you mean {close[0]!r}? " if close else "") + f"{key}: {_KEYS[key][1]}.",
            )
        if key == "jobs" and isinstance(value, int) and value < 0:
            raise ConfigError(
                f"{where}: [tool.replaykit] jobs = {value!r} must be 0 or more", hint=f"jobs: {_KEYS['jobs'][1]}."
            )
        if key == "volatile_record_fields":
            parse_volatile_record_fields(value, where)
        elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(
                f"{where}: [tool.replaykit] {key} must be a list of strings",
                hint='List config field names, e.g. secrets = ["client_secret"].',
            )
        out[key] = value
    return out


def read_pyproject_table(directory: Path) -> tuple[dict[str, Any], str]:
    """The ``[tool.replaykit]`` table of ``directory/pyproject.toml`` (empty if there is none)."""
    path = directory / "pyproject.toml"
    if not path.is_file():
        return {}, "defaults"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint="Fix the syntax of pyproject.toml.") from exc
    table = data.get("tool", {}).get("replaykit", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.replaykit] must be a table", hint="Write it as a TOML table.")
    return validate_table(table, str(path)), str(path)


def resolve_settings(cwd: Path, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Merge defaults, ``[tool.replaykit]`` of ``cwd/pyproject.toml`` and CLI ``overrides`` (None = unset).

    Paths from pyproject.toml are relative to its directory; ``connector_dir`` given on the command line
    is relative to ``cwd``; every other path is relative to the connector directory.
    """
    table, source = read_pyproject_table(cwd)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    validate_table({k: v for k, v in given.items() if k in _KEYS}, "command line")
    merged = {**table, **given}
    connector_dir = (cwd / merged.get("connector_dir", ".")).resolve()
    if not connector_dir.is_dir():
        origin = "the command line" if "connector_dir" in given else source
        raise ConfigError(
            f"connector directory {connector_dir} does not exist (from {origin})",
            hint="Run replaykit in a connector directory or pass --connector-dir.",
        )
    if "cassette_dir" in merged:
        base = cwd if ("cassette_dir" in given or "cassette_dir" in table) else connector_dir
        cassette_dir = (base / merged["cassette_dir"]).resolve()
    else:
        cassette_dir = connector_dir / "cassettes"
    return Settings(
        connector_dir=connector_dir,
        cassette_dir=cassette_dir,
        acceptance_test_config=connector_dir / merged.get("acceptance_test_config", "acceptance-test-config.yml"),
        config=(cwd / merged["config"]).resolve()
        if "config" in given
        else connector_dir / merged.get("config", "secrets/config.json"),
        connector_command=merged.get("connector_command"),
        secrets=tuple(merged.get("secrets", ())),
        timeout_seconds=float(merged.get("timeout_seconds", 900.0)),
        volatile_state_fields=frozenset(merged.get("volatile_state_fields", ["lookback_window"])),
        volatile_record_fields=parse_volatile_record_fields(merged.get("volatile_record_fields", []), source),
        strict=bool(merged.get("strict", False)),
        allow_unplayed_interactions=bool(merged.get("allow_unplayed_interactions", True)),
        runner=str(merged.get("runner", "fork")),
        jobs=int(merged.get("jobs", 0)),
        warm_modules=tuple(merged.get("warm_modules", ())),
        cassette_format=str(merged.get("cassette_format", "json")),
        source=source,
    )


def connector_settings(connector_dir: Path, root: Path, overrides: Mapping[str, Any] | None = None) -> Settings:
    """The settings of ``connector_dir`` seen from the project ``root`` (the pytest plugin's view): the root's
    ``[tool.replaykit]`` when it points there (one connector elsewhere in the repository), else the connector
    directory's own. An invalid root table is an error here too, never skipped."""
    settings = resolve_settings(root, overrides)
    if settings.connector_dir == connector_dir.resolve():
        return settings
    return resolve_settings(connector_dir, overrides)


def settings_keys() -> dict[str, str]:
    """Key -> description, for documentation."""
    return {k: d for k, (_, d) in _KEYS.items()}


__all__ = ["Settings", "connector_settings", "read_pyproject_table", "resolve_settings", "settings_keys", "tomllib"]
