"""The invocation index: the source of truth for replay.

One file per connector (``<cassette_dir>/index.json``) lists every recorded invocation with its exact
inputs (command, scrubbed config, configured catalog, input state), its cassette, the instant its clock
was frozen at, and the stable facts of its output.  Replay re-runs exactly these invocations.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from replaykit import invocation_ids as ids
from replaykit.errors import CassetteCorruptError, CassetteError, NotRecordedError
from replaykit.files import canonical_json, dump_json, write_atomic

INDEX_FILE = "index.json"
INDEX_FORMAT = 1


@dataclass
class Invocation:
    id: str
    suite: str
    command: str  # spec | check | discover | read
    cassette: str  # file name inside the cassette directory
    frozen_at: str  # ISO instant, whole second, UTC
    config: dict[str, Any] | None = None  # scrubbed: secrets are placeholders
    catalog: dict[str, Any] | None = None
    state: list[dict[str, Any]] | None = None
    exit_code: int = 0
    outputs: dict[str, Any] = field(default_factory=dict)  # ConnectorOutput.summary()
    requests: int = 0
    # sequential-slices reads: the records CAT expects at least (those the first read emitted after the checkpoint)
    expect_min_records: int | None = None

    def connector_args(self, config_path: str | None, catalog_path: str | None, state_path: str | None) -> list[str]:
        args = [self.command]
        if config_path:
            args += ["--config", config_path]
        if catalog_path:
            args += ["--catalog", catalog_path]
        if state_path:
            args += ["--state", state_path]
        return args


@dataclass
class InvocationIndex:
    connector: dict[str, str]
    versions: dict[str, str]
    invocations: list[Invocation]
    format: int = INDEX_FORMAT
    # The recording this one replaced: its spec, catalog and connector version ("the previous image" of
    # CAT's backward-compatibility tests).
    previous: dict[str, Any] | None = None

    def to_json(self) -> str:
        shared: dict[str, Any] = {}
        invocations = []
        for inv in self.invocations:
            item = {k: v for k, v in asdict(inv).items() if v is not None or k != "expect_min_records"}
            item["config"] = _shared_config(item.get("config"), shared)
            invocations.append(item)
        data: dict[str, Any] = {
            "format": self.format,
            "connector": self.connector,
            "versions": self.versions,
            "invocations": invocations,
        }
        if shared:
            data["configs"] = shared
        if self.previous:
            data["previous"] = self.previous
        return dump_json(data)

    def previous_version(self) -> dict[str, Any]:
        """What the next recording keeps of this one for its backward-compatibility checks."""
        spec = next((i.outputs.get("spec") for i in self.invocations if i.command == "spec"), None)
        catalog = next((i.outputs.get("catalog") for i in self.invocations if i.id == ids.discovery().id), None)
        return {
            "connector_version": self.versions.get("connector"),
            "spec": spec,
            "catalog": catalog,
            "recorded_at": self.invocations[0].frozen_at if self.invocations else None,
        }

    def save(self, directory: Path) -> Path:
        path = directory / INDEX_FILE
        write_atomic(path, self.to_json())
        return path

    def get(self, invocation_id: str) -> Invocation:
        for invocation in self.invocations:
            if invocation.id == invocation_id:
                return invocation
        raise KeyError(invocation_id)


# A config larger than this is written once, under "configs", and referenced by each invocation that ran with it:
# a 50 MB field (a service-account file, a certificate bundle) is not copied into every invocation.
SHARED_CONFIG_FROM = 16_384
CONFIG_REF = "$config"


def _shared_config(config: Any, shared: dict[str, Any]) -> Any:
    if not isinstance(config, dict):
        return config
    text = canonical_json(config)
    if len(text) < SHARED_CONFIG_FROM:
        return config
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    shared.setdefault(key, config)
    return {CONFIG_REF: key}


def _resolve_config(config: Any, shared: dict[str, Any]) -> Any:
    if isinstance(config, dict) and set(config) == {CONFIG_REF}:
        return shared[config[CONFIG_REF]]
    return config


def load_index(directory: Path, *, record_hint: str) -> InvocationIndex:
    path = directory / INDEX_FILE
    if not path.is_file():
        raise NotRecordedError(
            f"nothing recorded yet: {path} does not exist",
            hint=f"Record the connector first: {record_hint}",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CassetteError.unreadable("invocation index", path, exc) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise CassetteCorruptError(
            f"invocation index {path} is not valid JSON" + (f" (line {line})" if line else "") + f": {exc}",
            path=str(path),
            hint=f"Restore it from git or re-record: {record_hint}",
        ) from exc
    try:
        if data.get("format") != INDEX_FORMAT:
            raise ValueError(f"unsupported format {data.get('format')!r} (this replaykit reads {INDEX_FORMAT})")
        shared = data.get("configs") or {}
        invocations = [
            Invocation(**{**item, "config": _resolve_config(item.get("config"), shared)})
            for item in data["invocations"]
        ]
        return InvocationIndex(
            connector=dict(data["connector"]),
            versions=dict(data.get("versions", {})),
            invocations=invocations,
            previous=data.get("previous"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CassetteCorruptError(
            f"invocation index {path} is malformed: {exc}",
            path=str(path),
            hint=f"Restore it from git or re-record: {record_hint}",
        ) from exc
