"""Airbyte state messages: their stream descriptor and name, the final state per stream, the state input of a
read after another, and one STREAM message built from a name and a state.

A STREAM state message is ``{"type": "STREAM", "stream": {"stream_descriptor": {"name", "namespace"?},
"stream_state": {...}}}``; a GLOBAL one holds ``global``; a legacy one (before per-stream states) holds ``data``.
"""

from __future__ import annotations

from typing import Any

GLOBAL_KEY = "__global__"  # the final GLOBAL state in final_states
LEGACY_KEY = "__legacy__"  # the final legacy (``data``) state in final_states


def descriptor(message: dict[str, Any]) -> dict[str, Any]:
    """The ``stream_descriptor`` of a STREAM state message ({} for any other message)."""
    stream = message.get("stream")
    found = stream.get("stream_descriptor") if isinstance(stream, dict) else None
    return found if isinstance(found, dict) else {}


def descriptor_name(message: dict[str, Any]) -> str | None:
    """The stream name of a STREAM state message (None for any other message or a descriptor without one)."""
    return descriptor(message).get("name")


def qualified_name(described: dict[str, Any]) -> str:
    """A stream descriptor's name as replaykit shows and keys it: ``namespace.name``, or ``name`` alone."""
    name = described.get("name")
    return f"{described['namespace']}.{name}" if described.get("namespace") else str(name)


def stream_message(described: dict[str, Any], state: Any) -> dict[str, Any]:
    """A STREAM state message for one stream (``described``: its descriptor, e.g. ``{"name": "users"}``)."""
    return {"type": "STREAM", "stream": {"stream_descriptor": described, "stream_state": state}}


def stream_state_of(message: dict[str, Any]) -> Any:
    """The ``stream_state`` of a STREAM state message; any other message as a whole."""
    stream = message.get("stream")
    return stream.get("stream_state") if message.get("type") == "STREAM" and isinstance(stream, dict) else message


def final_states(states: list[dict[str, Any]]) -> dict[str, Any]:
    """The last state of each stream by :func:`qualified_name`, sorted (the last GLOBAL state under
    ``__global__``, the last legacy state under ``__legacy__``)."""
    result: dict[str, Any] = {}
    for state in states:
        if state.get("type") == "STREAM" or "stream" in state:
            stream = state.get("stream") or {}
            result[qualified_name(stream.get("stream_descriptor") or {})] = stream.get("stream_state") or {}
        elif state.get("type") == "GLOBAL":
            result[GLOBAL_KEY] = state.get("global")
        elif "data" in state:
            result[LEGACY_KEY] = state.get("data")
    return dict(sorted(result.items()))


def state_by_stream_name(states: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Legacy CAT's ``state`` for cursor comparisons: stream name (namespace dropped) -> final stream_state; a
    final legacy blob as is."""
    mapping = final_states(states or [])
    if LEGACY_KEY in mapping and isinstance(mapping[LEGACY_KEY], dict):
        return dict(mapping[LEGACY_KEY])
    return {name.rsplit(".", 1)[-1]: value for name, value in mapping.items()}


def state_input_from(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CAT's state for a second read: when the last state is a STREAM state, the last STREAM state of each
    stream (per-stream format); when it is GLOBAL, that GLOBAL message (the input the CDK accepts for it)."""
    if states and states[-1].get("type") == "GLOBAL":
        last = states[-1]
        return [{"type": "GLOBAL", "global": last.get("global") or {}}]
    latest: dict[str, dict[str, Any]] = {}
    for state in states:
        stream = state.get("stream")
        if state.get("type") == "STREAM" and isinstance(stream, dict):
            described = stream.get("stream_descriptor") or {}
            latest[str(described.get("name"))] = stream_message(described, stream.get("stream_state") or {})
    return [latest[name] for name in sorted(latest)]


def checkpoint_input(selected: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``--state`` input for a read from one selected checkpoint (STREAM states only, no namespace)."""
    stream = selected.get("stream") if selected.get("type") == "STREAM" else None
    if not isinstance(stream, dict) or not stream.get("stream_state"):
        return []
    return [stream_message({"name": (stream.get("stream_descriptor") or {}).get("name")}, stream["stream_state"])]
