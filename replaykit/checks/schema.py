"""JSON schema paths as CAT reads them: the expected structure, property lookups (the generic walk over
every key is :func:`replaykit.json_paths.entries`)."""

from __future__ import annotations

from typing import Any


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
