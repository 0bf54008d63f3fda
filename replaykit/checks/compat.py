"""Backward compatibility of spec and catalog against the previous recording (CAT's Spec/CatalogDiffChecker)."""

from __future__ import annotations

from typing import Any

from replaykit.checks.schema import walk


def _types(value: Any) -> set[str]:
    return {str(v) for v in value} if isinstance(value, list) else {str(value)}


def _properties(schema: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {
        path: value
        for path, key, value in walk(schema, ())
        if len(path) >= 2 and path[-2] == "properties" and isinstance(value, dict)
    }


def spec_breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    old_required = {
        (path[:-1], r) for path, k, v in walk(old, ()) if k == "required" and isinstance(v, list) for r in v
    }
    for path, key, value in walk(new, ()):
        if key == "required" and isinstance(value, list):
            for name in value:
                if (path[:-1], name) not in old_required:
                    out.append(f"Breaking change: field {'/'.join(map(str, (*path[:-1], name)))} is newly required")
    old_props, new_props = _properties(old), _properties(new)
    for path, prop in new_props.items():
        before = old_props.get(path)
        where = "/".join(map(str, path))
        if before is None:
            continue
        if "type" in before and "type" in prop and not _types(before["type"]) <= _types(prop["type"]):
            out.append(f"Breaking change: the type of {where} changed from {before['type']} to {prop['type']}")
        if "enum" in prop and (
            "enum" not in before or not set(map(str, before["enum"])) <= set(map(str, prop["enum"]))
        ):
            out.append(f"Breaking change: the enum of {where} was narrowed or newly declared")
    return out


def catalog_breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    old_streams = {s["name"]: s for s in old.get("streams", [])}
    new_streams = {s["name"]: s for s in new.get("streams", [])}
    for name in sorted(set(old_streams) - set(new_streams)):
        out.append(f"Breaking change: stream {name} was removed")
    for name in sorted(set(old_streams) & set(new_streams)):
        before, after = old_streams[name], new_streams[name]
        if before.get("default_cursor_field") != after.get("default_cursor_field"):
            out.append(f"Breaking change: the default_cursor_field of stream {name} changed")
        old_props = _properties(before.get("json_schema") or {})
        new_props = _properties(after.get("json_schema") or {})
        for path, prop in old_props.items():
            where = f"{name}:{'/'.join(map(str, path))}"
            now = new_props.get(path)
            if now is None:
                out.append(f"Breaking change: field {where} was removed")
                continue
            if "type" in prop and "type" in now and _types(prop["type"]) != _types(now["type"]):
                out.append(f"Breaking change: the type of {where} changed from {prop['type']} to {now['type']}")
            for key in ("format", "airbyte_type"):
                if prop.get(key) != now.get(key):
                    out.append(f"Breaking change: the {key} of {where} changed")
    return out
