"""CAT's object and schema structure paths (``utils/json_schema_helper.py``): ``/a/b``, ``/a/[]/c``."""

from __future__ import annotations

import copy
from typing import Any


def object_structure(obj: Any) -> list[str]:
    """CAT's ``get_object_structure``: every key path of a record (arrays: their first element), parents too."""
    paths: list[str] = []

    def walk(node: Any, path: str) -> None:
        if path:
            paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list) and node:
            walk(node[0], f"{path}/[]")

    walk(obj, "")
    return paths


def _resolve_refs(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    if depth > 50:
        return node
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            merged = {**{k: v for k, v in node.items() if k != "$ref"}, **(target if isinstance(target, dict) else {})}
            return _resolve_refs(merged, root, depth + 1)
        return {k: _resolve_refs(v, root, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_refs(v, root, depth + 1) for v in node]
    return node


def expected_schema_structure(schema: dict[str, Any], annotate_one_of: bool = False) -> list[str]:
    """CAT's ``get_expected_schema_structure``: the leaf paths a record of this schema may have (an object
    without ``properties`` is a leaf; ``oneOf``/``anyOf`` branches merged, or annotated ``/a(0)/b``)."""
    schema = copy.deepcopy(schema)
    ref = schema.get("$ref")
    if isinstance(ref, str):
        schema.update((schema.get("definitions") or {}).get(ref.split("/")[-1]) or {})
        schema.pop("$ref", None)
    schema = _resolve_refs(schema, schema)
    paths: list[str] = []

    def scan(sub: Any, path: str) -> None:
        if not isinstance(sub, dict):
            paths.append(path)
            return
        variants = sub.get("oneOf") or sub.get("anyOf")
        if "oneOf" in sub or "anyOf" in sub:
            for num, variant in enumerate(variants or []):
                scan({"type": "object", **variant}, f"{path}({num})" if annotate_one_of else path)
            return
        types = sub.get("type", ["object", "null"])
        types = types if isinstance(types, list) else [types]
        if "object" in types:
            properties = sub.get("properties")
            if not properties:
                if path:
                    paths.append(path)
                return
            for key, value in properties.items():
                scan(value, f"{path}/{key}")
        elif "array" in types:
            scan(sub.get("items", {}), f"{path}/[]")
        else:
            paths.append(path)

    scan(schema, "")
    return paths


def freeze(value: Any) -> Any:
    """CAT's ``make_hashable``: a hashable value with Python's equality (``1 == 1.0 == True``), key order ignored."""
    if isinstance(value, dict):
        return frozenset((k, freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value
