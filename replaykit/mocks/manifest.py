"""What a declarative manifest says about each stream: its path, where its records are, how it pages,
its cursor and its parent.  Only hints: the recording decides, the manifest names what it cannot show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from replaykit.errors import ConfigError

_TEMPLATE = re.compile(r"\{\{.*?\}\}")


@dataclass(frozen=True)
class Paginator:
    strategy: str  # CursorPagination | OffsetIncrement | PageIncrement | ...
    page_size: int | None
    page_size_param: str | None
    token_param: str | None  # None: the token is the next URL or path (RequestPath)
    cursor_value: str | None  # CursorPagination's template, e.g. "{{ response.next_token }}"


@dataclass(frozen=True)
class Cursor:
    field: str
    datetime_format: str | None
    start_param: str | None
    end_param: str | None


@dataclass(frozen=True)
class Parent:
    stream: str
    parent_key: str
    partition_field: str


@dataclass(frozen=True)
class StreamHints:
    name: str
    path: str | None  # e.g. "/v1/users/{{ stream_partition.user_id }}"
    records_path: tuple[str, ...] | None  # DpathExtractor field_path; None: not declared
    primary_key: tuple[str, ...]
    paginator: Paginator | None
    cursor: Cursor | None
    parent: Parent | None

    def path_pattern(self) -> re.Pattern[str] | None:
        if not self.path:
            return None
        pieces = _TEMPLATE.split(self.path)
        return re.compile(r"(?:/[^?]*)?" + "[^/]+".join(re.escape(p) for p in pieces) + "$")


def _resolve(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    if depth > 50:
        return node
    if isinstance(node, dict):
        if "$ref" in node and isinstance(node["$ref"], str) and node["$ref"].startswith("#/"):
            target: Any = root
            for part in node["$ref"][2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            merged = {**_resolve(target, root, depth + 1), **{k: v for k, v in node.items() if k != "$ref"}}
            return {k: _resolve(v, root, depth + 1) for k, v in merged.items()}
        return {k: _resolve(v, root, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, root, depth + 1) for v in node]
    return node


def _param_name(option: Any) -> str | None:
    if isinstance(option, dict) and option.get("inject_into") == "request_parameter":
        name = option.get("field_name") or (option.get("field_path") or [None])[-1]
        return str(name) if name else None
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _paginator(retriever: dict[str, Any]) -> Paginator | None:
    paginator = retriever.get("paginator") or {}
    strategy = paginator.get("pagination_strategy") or {}
    if paginator.get("type") != "DefaultPaginator" or not strategy:
        return None
    return Paginator(
        strategy=str(strategy.get("type")),
        page_size=_int(strategy.get("page_size")),
        page_size_param=_param_name(paginator.get("page_size_option")),
        token_param=_param_name(paginator.get("page_token_option")),
        cursor_value=strategy.get("cursor_value") if isinstance(strategy.get("cursor_value"), str) else None,
    )


def _cursor(stream: dict[str, Any]) -> Cursor | None:
    sync = stream.get("incremental_sync") or {}
    if not sync.get("cursor_field"):
        return None
    return Cursor(
        field=str(sync["cursor_field"]),
        datetime_format=sync.get("datetime_format"),
        start_param=_param_name(sync.get("start_time_option")),
        end_param=_param_name(sync.get("end_time_option")),
    )


def _parent(retriever: dict[str, Any]) -> Parent | None:
    router = retriever.get("partition_router") or {}
    routers = router if isinstance(router, list) else [router]
    for item in routers:
        if isinstance(item, dict) and item.get("type") == "SubstreamPartitionRouter":
            for config in item.get("parent_stream_configs", []):
                return Parent(
                    stream=str(config.get("stream", {}).get("name")),
                    parent_key=str(config.get("parent_key")),
                    partition_field=str(config.get("partition_field")),
                )
    return None


def _stream_hints(stream: dict[str, Any]) -> StreamHints:
    parameters = stream.get("$parameters") or {}
    retriever = stream.get("retriever") or {}
    requester = retriever.get("requester") or {}
    path = requester.get("path") or (requester.get("$parameters") or {}).get("path") or parameters.get("path")
    if isinstance(path, str):
        path = re.sub(r"\{\{\s*parameters\.(\w+)\s*\}\}", lambda m: str(parameters.get(m.group(1), m.group(0))), path)
        path = "/" + path.lstrip("/")
    extractor = (retriever.get("record_selector") or {}).get("extractor") or {}
    field_path = extractor.get("field_path") if extractor.get("type") == "DpathExtractor" else None
    key = stream.get("primary_key") or ()
    primary_key = (key,) if isinstance(key, str) else tuple(k for k in key if isinstance(k, str))
    return StreamHints(
        name=str(stream.get("name") or parameters.get("name")),
        path=path if isinstance(path, str) else None,
        records_path=tuple(str(p) for p in field_path) if isinstance(field_path, list) else None,
        primary_key=primary_key,
        paginator=_paginator(retriever),
        cursor=_cursor(stream),
        parent=_parent(retriever),
    )


def find_manifest(connector_dir: Path) -> Path | None:
    """``manifest.yaml`` of the connector, at its root or inside its package."""
    direct = connector_dir / "manifest.yaml"
    if direct.is_file():
        return direct
    found = sorted(
        p
        for p in connector_dir.glob("*/manifest.yaml")
        if not p.parent.name.startswith((".", "unit_tests", "integration_tests", "build", "dist"))
    )
    return found[0] if found else None


def load_hints(manifest: Path) -> dict[str, StreamHints]:
    try:
        raw = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"cannot read the manifest {manifest}: {exc}", hint="Fix manifest.yaml (the connector cannot run either)."
        ) from exc
    if not isinstance(raw, dict):
        return {}
    root = _resolve(raw, raw)
    hints: dict[str, StreamHints] = {}
    for stream in root.get("streams") or []:
        if isinstance(stream, dict):
            item = _stream_hints(stream)
            hints[item.name] = item
    return hints
