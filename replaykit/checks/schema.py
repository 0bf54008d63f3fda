"""Walking JSON schemas the way CAT's dpath globs do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def walk(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any, Any]]:
    """(path including the key, key, value) for every key of every mapping (list items get their index)."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = (*path, key)
            yield child, key, value
            yield from walk(value, child)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*path, i))


def leaf_paths(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """CAT's ``get_expected_schema_structure``: ``/a/b`` for every property (``/a/[]`` for array items)."""
    out: list[str] = []
    for name, prop in (schema.get("properties") or {}).items():
        path = f"{prefix}/{name}"
        out.append(path)
        if isinstance(prop, dict):
            if prop.get("properties"):
                out.extend(leaf_paths(prop, path))
            items = prop.get("items")
            if isinstance(items, dict) and items.get("properties"):
                out.extend(leaf_paths(items, f"{path}/[]"))
            for variant in prop.get("oneOf") or []:
                if isinstance(variant, dict):
                    out.extend(leaf_paths(variant, path))
    return out


_ABSENT = object()


def _descend(schema: dict[str, Any], parts: list[str]) -> Any:
    """The node at ``properties/<p1>/properties/<p2>...``, or ``_ABSENT``."""
    node: Any = schema
    for part in parts:
        props = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(props, dict) or part not in props:
            return _ABSENT
        node = props[part]
    return node


def has_property_path(schema: dict[str, Any], parts: list[str]) -> bool:
    return _descend(schema, parts) is not _ABSENT


def property_at(schema: dict[str, Any], parts: list[str]) -> dict[str, Any] | None:
    node = _descend(schema, parts)
    return node if isinstance(node, dict) else None
