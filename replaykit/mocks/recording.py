"""What the recording holds, in the shape the mock generator needs: the index's read invocations and
each one's HTTP exchanges (request parts, status, parsed body), read from the committed cassettes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from replaykit._vcr import load_cassette
from replaykit.invocations import Invocation, InvocationIndex, load_index


@dataclass(frozen=True)
class Exchange:
    """One recorded request and its response."""

    invocation: str
    method: str
    base_url: str  # scheme://host[:port]
    path: str
    query: tuple[tuple[str, str], ...]  # decoded, in the order they were sent
    headers: dict[str, str]
    status: int
    body: Any  # the parsed JSON body, None when it is not JSON
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)

    def records(self, path: tuple[str, ...] | None) -> list[Any] | None:
        """The list at ``path`` of the body (None: the body itself is one record)."""
        if path is None:
            return [self.body] if isinstance(self.body, dict) else None
        value: Any = self.body
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value if isinstance(value, list) else None


@dataclass(frozen=True)
class Recording:
    directory: Path
    index: InvocationIndex
    exchanges: dict[str, list[Exchange]]  # invocation id -> exchanges, cassette order

    @property
    def reads(self) -> list[Invocation]:
        return [i for i in self.index.invocations if i.command == "read" and i.exit_code == 0 and i.catalog]

    def replay_config(self) -> dict[str, Any]:
        path = self.directory / "replay_config.json"
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
        for invocation in self.index.invocations:
            if invocation.config:
                return dict(invocation.config)
        return {}

    def catalog_stream(self, name: str) -> dict[str, Any]:
        """The stream as discovered (primary key, cursor, sync modes)."""
        for invocation in self.index.invocations:
            for stream in (invocation.outputs.get("catalog") or {}).get("streams", []):
                if stream.get("name") == name:
                    return dict(stream)
        for invocation in self.reads:
            for configured in (invocation.catalog or {}).get("streams", []):
                if configured["stream"].get("name") == name:
                    return dict(configured["stream"])
        return {}

    def stream_names(self) -> list[str]:
        names: list[str] = []
        for invocation in self.reads:
            for configured in (invocation.catalog or {}).get("streams", []):
                name = configured["stream"].get("name")
                if name and name not in names and not name.startswith("__AIRBYTE__"):
                    names.append(name)
        return names


def _body(raw: Any) -> Any:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _first(values: Any) -> str:
    return str(values[0]) if isinstance(values, list) and values else str(values)


def _exchange(invocation_id: str, request: Any, response: dict[str, Any]) -> Exchange:
    parts = urlsplit(request.uri)
    return Exchange(
        invocation=invocation_id,
        method=request.method.upper(),
        base_url=f"{parts.scheme}://{parts.netloc}",
        path=parts.path or "/",
        query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
        headers={str(k): _first(v) for k, v in request.headers.items()},
        status=int(response["status"]["code"]),
        body=_body(response.get("body", {}).get("string")),
        response_headers={str(k).lower(): _first(v) for k, v in response.get("headers", {}).items()},
    )


def load_recording(cassette_dir: Path) -> Recording:
    """The index and the exchanges of every read and check invocation (checks hold recorded 401/403s)."""
    index = load_index(cassette_dir, record_hint="replaykit record --config secrets/config.json")
    exchanges: dict[str, list[Exchange]] = {}
    for invocation in index.invocations:
        if invocation.command in ("read", "check"):
            data = load_cassette(cassette_dir / invocation.cassette)
            exchanges[invocation.id] = [_exchange(invocation.id, req, resp) for req, resp in data.interactions]
    return Recording(cassette_dir, index, exchanges)
