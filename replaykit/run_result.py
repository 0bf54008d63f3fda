"""What the connector's process reports about one invocation: :class:`RunResult`, typed on both sides of the
result pipe (written by :mod:`replaykit.runtime` in the child, read by :mod:`replaykit.runner` in the parent)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

EXIT_RUNTIME_ERROR = 3  # replaykit's runtime failed (a bug), not the connector
EXIT_CASSETTE_ERROR = 2  # an unreadable cassette: a usage error


@dataclass(frozen=True)
class SleepSummary:
    """The connector's ``time.sleep`` calls: how many, the seconds asked for, the seconds really waited."""

    calls: int = 0
    requested_s: float = 0.0
    performed_s: float = 0.0


@dataclass(frozen=True)
class CloseRequest:
    """A recorded request near a request that had no recording, and how the two differ."""

    request: str
    differences: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Miss:
    """A request the replay sent that the cassette has no response left for (``METHOD URL``)."""

    request: str
    closest: list[CloseRequest] = field(default_factory=list)


@dataclass(frozen=True)
class CassetteFailure:
    """The cassette could not be read; the parent raises it again as a :class:`~replaykit.errors.CassetteError`."""

    message: str
    path: str
    hint: str | None = None
    corrupt: bool = False


@dataclass
class RunResult:
    """The runtime's facts about one invocation (the connector's own output travels on its stdout)."""

    exit_code: int = EXIT_RUNTIME_ERROR
    connector_s: float = 0.0  # wall seconds inside the connector's entry point
    sleep: SleepSummary = field(default_factory=SleepSummary)
    blocked_connections: list[str] = field(default_factory=list)  # replay: network connections refused
    interactions: int = 0  # recorded: written to the cassette; replayed: held by the cassette
    unplayed: list[str] = field(default_factory=list)  # replay: recorded requests never played, in recorded order
    misses: list[Miss] = field(default_factory=list)  # replay: requests with no recording, each once
    cassette: str | None = None  # record: the file name written (YAML when a body is binary)
    learned: list[tuple[str, str]] = field(default_factory=list)  # record: secrets found in responses
    runtime_error: str | None = None  # replaykit's runtime failed: "Type: message"
    traceback: str | None = None  # ... and where
    cassette_error: CassetteFailure | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunResult:
        raw: dict[str, Any] = json.loads(text)
        failure = raw.pop("cassette_error", None)
        return cls(
            **{k: v for k, v in raw.items() if k not in ("sleep", "misses", "learned")},
            sleep=SleepSummary(**raw.get("sleep", {})),
            misses=[
                Miss(m["request"], [CloseRequest(**c) for c in m.get("closest", [])]) for m in raw.get("misses", [])
            ],
            learned=[(str(name), str(value)) for name, value in raw.get("learned", [])],
            cassette_error=CassetteFailure(**failure) if failure else None,
        )
