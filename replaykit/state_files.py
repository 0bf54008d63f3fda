"""State files a connector commits (``future_state_path``, ``abnormal_state.json``), in the current shape.

The current CDK reads a state file as a list of per-stream ``STREAM`` (or ``GLOBAL``) state messages: it
rejects a JSON object (the legacy ``{"<stream>": {<cursor>: <value>}}`` map many connectors still commit,
or a single message not in a list), and it silently drops ``LEGACY`` messages (``{"type": "LEGACY", "data":
...}``, ``{"data": ...}``) and per-stream messages without ``"type"``, so the read runs without any state.

``convert_state`` rewrites every such shape into ``STREAM`` messages (the legacy map's keys are the stream
names, as the CDK's legacy conversion did) and says what it did; ``load_state_file`` reads a file and
converts it; ``write_state_file`` rewrites a converted file in the current shape, atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaykit.acceptance import AcceptanceConfig, load_acceptance_config
from replaykit.config_paths import named_paths
from replaykit.errors import ConfigError, ReplaykitError
from replaykit.files import write_atomic
from replaykit.states import descriptor, stream_message

_CURRENT_TYPES = ("STREAM", "GLOBAL")


@dataclass(frozen=True)
class StateFile:
    """A state file's messages in the current shape, and the legacy shape they were converted from."""

    path: Path
    messages: list[dict[str, Any]]
    legacy_shape: str | None = None  # None: the file is in the current shape
    dropped: tuple[str, ...] = field(default=())  # top-level keys of a legacy map that hold no object

    @property
    def converted(self) -> bool:
        return self.legacy_shape is not None

    def streams(self) -> list[str]:
        return [str(descriptor(m).get("name")) for m in self.messages if m.get("type") == "STREAM"]

    def warning(self, shown: str | None = None) -> str:
        """What was converted, naming the file (``shown``: the path as the user wrote it)."""
        where = shown or str(self.path)
        names = ", ".join(self.streams()) or "none"
        text = (
            f"{where}: legacy state ({self.legacy_shape}) converted to {len(self.messages)} per-stream STREAM "
            f"state message(s) (streams: {names}), as the current CDK needs"
        )
        if self.dropped:
            text += f"; ignored key(s) holding no object: {', '.join(self.dropped)}"
        return text + "; `replaykit plan --write` rewrites the file in the current shape"


def _from_legacy_map(blob: dict[str, Any]) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    messages = [stream_message({"name": str(k)}, v) for k, v in blob.items() if isinstance(v, dict)]
    dropped = tuple(str(k) for k, v in blob.items() if not isinstance(v, dict))
    return messages, dropped


def _one_message(item: Any, source: str, position: str) -> tuple[list[dict[str, Any]], str | None, tuple[str, ...]]:
    """One element of a state list: (current messages, the legacy shape it had or None, dropped keys)."""
    if not isinstance(item, dict):
        raise ConfigError(
            f"{source}: {position} is a {type(item).__name__}, not a state message",
            hint="A state file holds a list of STATE messages: "
            '[{"type": "STREAM", "stream": {"stream_descriptor": {"name": ...}, "stream_state": {...}}}].',
        )
    kind = item.get("type")
    if kind == "STATE" and isinstance(item.get("state"), dict):  # a whole AirbyteMessage, as a connector prints it
        inner, shape, dropped = _one_message(item["state"], source, position)
        return inner, "AirbyteMessage wrapper {type: STATE, state: ...}" + (f", {shape}" if shape else ""), dropped
    if kind in _CURRENT_TYPES:
        return [item], None, ()
    if kind is None and isinstance(item.get("stream"), dict):
        return [{"type": "STREAM", **item}], "per-stream message without type", ()
    if kind in (None, "LEGACY") and isinstance(item.get("data"), dict):
        messages, dropped = _from_legacy_map(item["data"])
        return messages, "LEGACY message {data: {<stream>: ...}}", dropped
    raise ConfigError(
        f"{source}: {position} is not a state message replaykit can read (type {kind!r})",
        hint='Use per-stream messages: {"type": "STREAM", "stream": {"stream_descriptor": {"name": ...}, '
        '"stream_state": {...}}}.',
    )


def convert_state(value: Any, source: str) -> tuple[list[dict[str, Any]], str | None, tuple[str, ...]]:
    """A state file's JSON in the current shape: (messages, the legacy shape converted or None, dropped keys).

    Raises ConfigError (naming ``source``) for JSON that holds no state replaykit can convert."""
    if isinstance(value, dict):
        if not value:
            return [], None, ()  # the CDK reads an empty object as "no state"
        single = "type" in value or (isinstance(value.get("stream"), dict) and "stream_descriptor" in value["stream"])
        if single or (set(value) == {"data"} and isinstance(value["data"], dict)):
            messages, shape, dropped = _one_message(value, source, "the top-level object")
            return messages, "one state message not in a list" + (f", {shape}" if shape else ""), dropped
        messages, dropped = _from_legacy_map(value)
        if not messages:
            raise ConfigError(
                f"{source}: a JSON object none of whose keys holds a stream's state",
                hint='Write a list of STREAM state messages, or the legacy map {"<stream>": {"<cursor>": <value>}}.',
            )
        return messages, "legacy map {<stream>: {<cursor>: <value>}}", dropped
    if isinstance(value, list):
        out: list[dict[str, Any]] = []
        shapes: list[str] = []
        lost: list[str] = []
        for i, item in enumerate(value):
            converted, shape, keys = _one_message(item, source, f"item [{i}]")
            out.extend(converted)
            lost.extend(keys)
            if shape and shape not in shapes:
                shapes.append(shape)
        return out, ("list of " + "; ".join(shapes)) if shapes else None, tuple(lost)
    raise ConfigError(
        f"{source}: a state file holds a list of state messages, not a {type(value).__name__}",
        hint='Write [{"type": "STREAM", "stream": {"stream_descriptor": {"name": ...}, "stream_state": {...}}}].',
    )


def load_state_file(path: Path) -> StateFile:
    """Read a committed state file and convert it to the current shape (ConfigError naming it if it cannot)."""
    if not path.is_file():
        raise ConfigError(
            f"state file {path} does not exist", hint="Fix future_state_path in acceptance-test-config.yml."
        )
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"state file {path} cannot be read: {exc.strerror}", hint=f"chmod u+r {path}") from exc
    except ValueError as exc:  # the message holds a position, never a value
        raise ConfigError(f"state file {path} is not valid JSON: {exc}", hint="Fix the JSON syntax.") from exc
    messages, shape, dropped = convert_state(value, str(path))
    return StateFile(path, messages, shape, dropped)


def write_state_file(state: StateFile) -> bool:
    """Rewrite a converted state file in the current shape (atomically); False when it needs nothing."""
    if not state.converted:
        return False
    write_atomic(state.path, json.dumps(state.messages, indent=2, ensure_ascii=False) + "\n")
    return True


def state_files_of(acceptance: AcceptanceConfig) -> list[tuple[str, StateFile]]:
    """Every existing state file the acceptance config names, as written there and loaded (deduplicated)."""
    seen: dict[Path, tuple[str, StateFile]] = {}
    for named in named_paths(acceptance):
        if named.kind == "state" and named.path.is_file() and named.path not in seen:
            seen[named.path] = (named.value, load_state_file(named.path))
    return list(seen.values())


def state_file_warnings(acceptance: AcceptanceConfig | None) -> list[str]:
    """One warning per legacy state file the acceptance config names (what ``record`` and ``replay`` convert)."""
    if acceptance is None:
        return []
    return [state.warning(shown) for shown, state in state_files_of(acceptance) if state.converted]


def conversion_lines(state: StateFile) -> list[str]:
    """The converted state, one line per stream (what ``replaykit plan`` shows under the warning)."""
    lines = []
    for message in state.messages:
        if message.get("type") == "STREAM":
            stream_state = (message.get("stream") or {}).get("stream_state")
            lines.append(f"stream {descriptor(message).get('name')}: {json.dumps(stream_state, sort_keys=True)}")
        else:
            lines.append(json.dumps(message, sort_keys=True))
    return lines


def input_warnings_for(config_file: Path) -> list[str]:
    """What ``record`` and ``replay`` warn about before they start: the acceptance config's legacy keys (migrated)
    and its legacy state files (converted); nothing when the config cannot be read (the command reports that)."""
    try:
        acceptance = load_acceptance_config(config_file)
        return [*(acceptance.warnings if acceptance else []), *state_file_warnings(acceptance)]
    except ReplaykitError:
        return []


def state_file_report(acceptance: AcceptanceConfig | None, *, write: bool = False) -> list[str]:
    """``replaykit plan``'s lines on the state files: each conversion with the converted states, and with
    ``write`` each file rewritten in the current shape."""
    lines = []
    for shown, state in state_files_of(acceptance) if acceptance is not None else []:
        if not state.converted:
            continue
        lines.append(f"warning: {state.warning(shown)}")
        lines.extend(f"    {line}" for line in conversion_lines(state))
        if write and write_state_file(state):
            lines.append(f"rewrote {shown} in the current shape ({len(state.messages)} STREAM message(s))")
    return lines
