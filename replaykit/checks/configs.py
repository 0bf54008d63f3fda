"""Configs generated from a connector specification, for CAT's ``validate_previous_configs`` step.

CAT draws 100 random configs from the previous spec with hypothesis-jsonschema; replaykit enumerates them
deterministically instead (the same verdict on every replay): for each property, each of its sample values
(defaults, enum members, boundaries, every oneOf/anyOf branch), with the others at their first sample, each
with all properties and with the required ones only. Only configs valid under the previous spec are kept.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

_STRINGS = ("a", "abc", "2021-01-01", "2021-01-01T00:00:00Z", "2021-01-01T00:00:00.000Z", "01-01-2021", "1", "x" * 40)
_FORMATS = {
    "date-time": "2021-01-01T00:00:00Z",
    "date": "2021-01-01",
    "email": "user@example.com",
    "uri": "https://example.com",
    "time": "00:00:00",
}


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if declared is None:
        if "properties" in schema or "oneOf" in schema or "anyOf" in schema:
            return ["object"]
        return ["string"]
    return list(declared) if isinstance(declared, list) else [str(declared)]


def _strings(schema: dict[str, Any]) -> list[Any]:
    candidates: list[Any] = []
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        candidates.append(_FORMATS[fmt])
    candidates.extend(schema.get("examples") or [])
    candidates.extend(_STRINGS)
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            compiled = re.compile(pattern)
        except re.error:
            return candidates[:3]
        candidates = [c for c in candidates if isinstance(c, str) and compiled.search(c)]
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    return [c for c in candidates if isinstance(c, str) and len(c) >= low and (high is None or len(c) <= high)][:4]


def _numbers(schema: dict[str, Any], integer: bool) -> list[Any]:
    values: list[Any] = [schema.get("minimum"), schema.get("maximum"), 0, 1, 1000]
    if not integer:
        values.append(0.5)
    return [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def samples(schema: Any, depth: int = 0) -> list[Any]:
    """Sample values of one schema node, most typical first (its default, const or first enum member)."""
    if not isinstance(schema, dict) or depth > 8:
        return [None]
    out: list[Any] = []
    for key in ("default", "const"):
        if key in schema:
            out.append(schema[key])
    out.extend(schema.get("enum") or [])
    if "const" in schema or "enum" in schema:
        return _unique(out)
    variants = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(variants, list):
        base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        for variant in variants:
            if isinstance(variant, dict):
                merged = {
                    **base,
                    **variant,
                    "properties": {**base.get("properties", {}), **variant.get("properties", {})},
                }
                merged["required"] = list(base.get("required", [])) + list(variant.get("required", []))
                out.extend(samples(merged, depth + 1))
        return _unique(out)
    for kind in _types(schema):
        if kind == "object":
            out.extend(itertools.islice(objects(schema, depth + 1), 8))
        elif kind == "array":
            items = samples(schema.get("items", {}), depth + 1)
            out.extend([[], items[:1]] if items else [[]])
        elif kind == "string":
            out.extend(_strings(schema))
        elif kind in ("integer", "number"):
            out.extend(_numbers(schema, kind == "integer"))
        elif kind == "boolean":
            out.extend([True, False])
        elif kind == "null":
            out.append(None)
    return _unique(out)


def objects(schema: dict[str, Any], depth: int = 0) -> Iterator[dict[str, Any]]:
    properties = {k: v for k, v in (schema.get("properties") or {}).items() if isinstance(v, dict)}
    required = [str(r) for r in schema.get("required") or [] if isinstance(r, str)]
    properties.update({name: {} for name in required if name not in properties})  # any value will do
    per_property = {name: samples(prop, depth) or [None] for name, prop in properties.items()}
    first = {name: values[0] for name, values in per_property.items()}
    yield {name: first[name] for name in required}
    yield dict(first)
    for name, values in per_property.items():
        for value in values[1:]:
            yield {**first, name: value}
            yield {**{r: first[r] for r in required}, name: value}


def _unique(values: list[Any]) -> list[Any]:
    seen, out = set(), []
    for value in values:
        key = repr(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def sample_configs(schema: dict[str, Any], limit: int = 100) -> list[Any]:
    """Up to ``limit`` distinct configs valid under ``schema``."""
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    candidates = _unique([*itertools.islice(objects(schema), 4 * limit), *samples(schema)])
    return [c for c in candidates if validator.is_valid(c)][:limit]
