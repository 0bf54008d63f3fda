"""Backward compatibility of spec and catalog against a previous version (CAT's ``SpecDiffChecker``,
``CatalogDiffChecker`` and ``validate_previous_configs``), over a DeepDiff tree of the two versions.

Each function returns the breaking changes found, CAT's rule order, first rule that fires only (as CAT, which
raises on the first).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # deepdiff imports pandas (0.5 s): loaded only when a previous version is compared
    from deepdiff import DeepDiff


def _path(change: Any) -> list[Any]:
    return list(change.path(output_format="list"))


def _items(diff: DeepDiff, *kinds: str) -> list[Any]:
    out: list[Any] = []
    for kind in kinds:
        out.extend(diff.get(kind, []))
    return out


def _field_value_changed(diff: DeepDiff, field: str) -> str | None:
    """A ``type`` / ``format`` / ``airbyte_type`` of a property changed, appeared or disappeared."""
    kinds = ("values_changed", "dictionary_item_added", "dictionary_item_removed")
    if any({"properties", field} <= set(_path(c)) for c in _items(diff, *kinds)):
        return f"The '{field}' field value was changed."
    return None


def _type_of_type_changed(diff: DeepDiff, allow_widening: bool) -> str | None:
    for change in diff.get("type_changes", []):
        if not {"properties", "type"} <= set(_path(change)):
            continue
        before, after = change.t1, change.t2
        if isinstance(before, str):
            if not isinstance(after, list):
                return "A 'type' field was changed from string to an invalid value."
            if allow_widening:
                if before not in after:
                    return "The 'type' field was changed to a list which does not contain previous type"
            else:
                not_null = [t for t in after if t != "null"]
                if not (len(not_null) == 1 and not_null[0] == before):
                    return "The 'type' field was changed to a list with multiple invalid values"
        if isinstance(before, list):
            if not isinstance(after, str):
                return "The 'type' field was changed from a list to an invalid value"
            if not (len(before) == 1 and after == before[0]):
                return "An element was removed from the list of 'type'"
    return None


def _spec_rules(diff: DeepDiff) -> list[str | None]:
    added = diff.get("dictionary_item_added", [])
    iterable_added = diff.get("iterable_item_added", [])
    iterable_removed = diff.get("iterable_item_removed", [])
    return [
        "A new 'required' field was declared." if any(_path(c)[-1:] == ["required"] for c in added) else None,
        "A new property was added to 'required'"
        if any(_path(c.up)[-1:] == ["required"] for c in iterable_added)
        else None,
        _field_value_changed(diff, "type"),
        _field_value_changed(diff, "airbyte_type"),
        _field_value_changed(diff, "format"),
        _type_of_type_changed(diff, allow_widening=True),
        "A field type was narrowed or made a field not nullable"
        if any({"properties", "type"} <= set(_path(c)) for c in iterable_removed)
        else None,
        "An enum field was narrowed." if any(_path(c.up)[-1:] == ["enum"] for c in iterable_removed) else None,
        "An 'enum' field was declared on an existing property"
        if any(_path(c)[-1:] == ["enum"] for c in added)
        else None,
    ]


def spec_breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``SpecDiffChecker`` on two ``connectionSpecification`` schemas."""
    from deepdiff import DeepDiff

    diff = DeepDiff(old, new, view="tree", ignore_order=True)
    return [f"Breaking change: {rule}" for rule in _spec_rules(diff) if rule][:1]


def _without_pattern_formats(schema: Any) -> Any:
    """CAT's ``remove_date_time_pattern_format``: a date-time with a pattern is generated from its pattern."""
    if isinstance(schema, dict):
        for value in schema.values():
            if isinstance(value, dict):
                if value.get("format") == "date-time" and "pattern" in value:
                    del value["format"]
                _without_pattern_formats(value)
    return schema


def previous_config_problems(old: dict[str, Any], new: dict[str, Any], examples: int = 100) -> list[str]:
    """CAT's ``validate_previous_configs``: configs generated from the old spec must be valid for the new one
    (replaykit generates them deterministically, see ``replaykit.checks.configs``)."""
    import jsonschema

    from replaykit.checks.configs import sample_configs

    validator = jsonschema.validators.validator_for(new)(new)
    for config in sample_configs(_without_pattern_formats(copy.deepcopy(old)), limit=examples):
        if not isinstance(config, dict):
            continue
        instance = {k: v for k, v in config.items() if not str(k).startswith("_")}
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            return [f"Breaking change: a config valid for the previous spec is not valid now: {error.message}"]
    return []


def catalog_breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``CatalogDiffChecker`` on two catalogs (``{"streams": [...]}``)."""
    from deepdiff import DeepDiff

    def by_name(catalog: dict[str, Any], key: str) -> dict[str, Any]:
        return {s["name"]: s.get(key) for s in catalog.get("streams", [])}

    schemas = DeepDiff(by_name(old, "json_schema"), by_name(new, "json_schema"), view="tree", ignore_order=True)
    cursors = DeepDiff(by_name(old, "default_cursor_field"), by_name(new, "default_cursor_field"), view="tree")
    removed = schemas.get("dictionary_item_removed", [])
    removed_streams = [_path(c)[0] for c in removed if c.path() != "root" and c.up.path() == "root"]
    removed_fields = [".".join(map(str, _path(c))) for c in removed if "properties" in _path(c)]
    rules = [
        f"The following streams were removed: {','.join(map(str, removed_streams))}" if removed_streams else None,
        _type_of_type_changed(schemas, allow_widening=False),
        _field_value_changed(schemas, "type"),
        _field_value_changed(schemas, "format"),
        _field_value_changed(schemas, "airbyte_type"),
        f"The following properties were removed: {', '.join(removed_fields)}" if removed_fields else None,
        "The value of 'default_cursor_field' was changed"
        if {"values_changed", "iterable_item_added", "iterable_item_removed"} & set(cursors)
        else None,
    ]
    return [f"Breaking change: {rule}" for rule in rules if rule][:1]
