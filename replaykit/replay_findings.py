"""What a replay finds besides output differences: requests with no recording, recorded requests the replay never
sent (*unplayed*), and lines on the connector's stdout that are not Airbyte protocol messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from replaykit.run_result import Miss

SHOWN = 3  # requests and stdout lines named in a note or a problem; the JSON report holds the same few


@dataclass
class ReplayFindings:
    """Notes on one invocation's replay; unplayed requests fail it under ``allow_unplayed_interactions = false``."""

    unplayed: list[str] = field(default_factory=list)  # recorded requests never sent, "METHOD URL", in recorded order
    unplayed_fails: bool = False
    non_protocol_lines: int = 0
    non_protocol_examples: list[str] = field(default_factory=list)  # the first few, scrubbed of local secrets

    @classmethod
    def of(
        cls,
        unplayed: list[str],
        non_protocol_lines: int,
        examples: list[str],
        *,
        allow_unplayed: bool,
        scrub: Callable[[str], str],
    ) -> ReplayFindings:
        return cls(
            unplayed=list(unplayed),
            unplayed_fails=bool(unplayed) and not allow_unplayed,
            non_protocol_lines=non_protocol_lines,
            non_protocol_examples=[scrub(line) for line in examples[:SHOWN]] if non_protocol_lines else [],
        )

    def notes(self) -> Iterator[str]:
        """One line per finding that does not fail the replay (the problem says it otherwise)."""
        if self.unplayed and not self.unplayed_fails:
            yield f"{len(self.unplayed)} recorded request(s) never sent: {_first(self.unplayed)}"
        if self.non_protocol_lines:
            shown = ", ".join(repr(line) for line in self.non_protocol_examples)
            more = ", …" if self.non_protocol_lines > len(self.non_protocol_examples) else ""
            yield f"{self.non_protocol_lines} line(s) on stdout are not Airbyte messages: {shown}{more}"

    def unplayed_problem(self, invocation: str, cassette: Path, command: str) -> str:
        lines = [
            f"invocation {invocation}: {len(self.unplayed)} recorded request(s) never sent by the replay",
            *(f"  {request}" for request in self.unplayed[:SHOWN]),
            *([f"  … and {len(self.unplayed) - SHOWN} more"] if len(self.unplayed) > SHOWN else []),
            f"  cassette: {cassette}",
            "  Hint: the connector no longer sends these requests; re-record with: "
            f"{command} (or set allow_unplayed_interactions = true in [tool.replaykit] to allow them)",
        ]
        return "\n".join(lines)


def _first(requests: list[str]) -> str:
    more = f" … and {len(requests) - SHOWN} more" if len(requests) > SHOWN else ""
    return "; ".join(requests[:SHOWN]) + more


def miss_message(miss: Miss, cassette: Path, command: str) -> str:
    lines = [f"request with no recording: {miss.request}", f"  cassette: {cassette}"]
    if miss.closest:
        lines.append("  closest recorded requests:")
        for candidate in miss.closest:
            lines.append(f"    {candidate.request}")
            lines.extend(f"      - {d}" for d in candidate.differences or ["(identical, already played)"])
    else:
        lines.append("  the cassette holds no requests")
    lines.append(f"  Hint: the connector now sends a request that was not recorded; re-record with: {command}")
    return "\n".join(lines)
