"""The schema rules of CAT's ``TestSpec``, as pure functions over a ``connectionSpecification`` (or a whole
spec message for the OAuth ones): each returns the failures (CAT's messages), empty when the rule passes."""

from __future__ import annotations

from typing import Any

from replaykit.checks.structure import expected_schema_structure, freeze
from replaykit.json_paths import at, entries
from replaykit.secret_discovery import CAT_SECRET_NAMES

SECRET_NAMES = CAT_SECRET_NAMES
_NOT_NAMES = {"anyOf", "oneOf", "allOf", "not", "properties", "items", "type", "prefixItems"}
FORBIDDEN = (
    "not",
    "anyOf",
    "patternProperties",
    "prefixItems",
    "allOf",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
)


def can_store_secret(prop: dict[str, Any]) -> bool:
    """CAT's ``_property_can_store_secret``: a string, integer or number type that is not a ``const``."""
    declared = prop.get("type")
    types = declared if isinstance(declared, list) else [declared]
    return any(t in ("string", "integer", "number") for t in types) and not prop.get("const")


def field_name(path: tuple[Any, ...]) -> str | None:
    """CAT's ``_is_spec_property_name_secret`` name: the last part of a ``.../type`` path that is not a keyword
    or an index."""
    return _field_name(path)


def _field_name(path: tuple[Any, ...]) -> str | None:
    for part in reversed(path[:-1]):
        if isinstance(part, int) or str(part).isdigit() or part in _NOT_NAMES:
            continue
        return str(part)
    return None


def secret_marking(spec: dict[str, Any], names: frozenset[str] | tuple[str, ...] = SECRET_NAMES) -> list[str]:
    """test_secret_is_properly_marked: CAT's two messages, with the offending property paths."""
    wrongly_marked, unmarked = [], []
    properties = spec.get("properties") or {}
    for path, key, _value in entries(properties, ("properties",)):
        if key != "type":
            continue
        holder_path = path[:-1]
        holder = at(spec, holder_path)
        if not isinstance(holder, dict):
            continue
        name = _field_name(path)
        if not name or name.lower() not in names:
            continue  # CAT judges only properties named like a secret, in either direction
        can_hold = can_store_secret(holder)
        marked = bool(holder.get("airbyte_secret"))
        where = "/".join(str(p) for p in holder_path)
        if marked and not can_hold:
            wrongly_marked.append(where)
        elif can_hold and not marked:
            unmarked.append(where)
    out = []
    if wrongly_marked:
        out.append(
            "Some properties are marked with `airbyte_secret` although they probably should not be: "
            + ", ".join(wrongly_marked)
        )
    if unmarked:
        out.append("The following properties should be marked with `airbyte_secret!` " + ", ".join(unmarked))
    return out


def oneof_usage(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, variants in entries(spec, ()):
        if key not in ("oneOf", "anyOf") or not isinstance(variants, list):
            continue
        parent = at(spec, path[:-1])
        where = "/".join(str(p) for p in path)
        if not isinstance(parent, dict) or parent.get("type") != "object":
            out.append(f"The {where} has to be of type object")
            continue
        if not all(isinstance(v, dict) and "properties" in v for v in variants):
            out.append(f"Each item in the {where} must have properties")
            continue
        common = set.intersection(*(set(v["properties"]) for v in variants)) if variants else set()
        if not common:
            out.append(f"There should be at least one common property for {where} subobjects")
            continue
        consts = [p for p in common if all("const" in v["properties"][p] for v in variants)]
        if len(consts) != 1:
            out.append(f"One common property should have const keyword in {where}")
            continue
        for variant in variants:
            prop = variant["properties"][consts[0]]
            if "default" in prop and prop["default"] != prop["const"]:
                out.append(f"Default value of {consts[0]} in {where} should be equal to its const")
            if "enum" in prop and prop["enum"] != [prop["const"]]:
                out.append(f"Enum of {consts[0]} in {where} should hold only its const")
    return out


def _not_property_name(path: tuple[Any, ...]) -> bool:
    return len(path) < 2 or path[-2] != "properties"


def forbidden_keywords(spec: dict[str, Any]) -> list[str]:
    found = sorted({str(k) for path, k, _ in entries(spec, ()) if k in FORBIDDEN and _not_property_name(path)})
    return [f"Found the following disallowed JSON schema features: {found}"] if found else []


def enum_usage(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in entries(spec, ()):
        if key == "enum" and isinstance(value, list) and _not_property_name(path):
            seen = [freeze(v) for v in value]  # CAT: len(set(enum)), so 1, 1.0 and true are one value
            if len(set(seen)) != len(seen):
                out.append(f"Enum lists should not contain duplicate values. Misconfigured enum array: {value}")
    return out


def property_type_is_not_array(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in entries(spec, ()):
        is_property_type = key == "type" and len(path) >= 3 and path[-3] == "properties" and isinstance(value, list)
        if is_property_type and (len(value) not in (1, 2) or (len(value) == 2 and value[1] != "null")):
            out.append(f"{'/'.join(map(str, path))}: type should be non-array or [type, null], got {value}")
    return out


def object_not_empty(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in entries(spec, ()):
        if key == "type" and value == "object" and len(path) > 1:
            holder = at(spec, path[:-1])
            if isinstance(holder, dict) and not holder.get("properties") and "oneOf" not in holder:
                out.append(f"{'/'.join(map(str, path[:-1]))}: object type must have non-empty properties")
    return out


def array_type(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in entries(spec, ()):
        if key == "type" and value == "array":
            holder = at(spec, path[:-1])
            items = holder.get("items") if isinstance(holder, dict) else None
            if items is None:
                continue
            where = "/".join(map(str, path[:-1]))
            if isinstance(items, list):
                out.append(f"{where}: items should not be an array")
            elif items.get("type") not in ("object", "string", "number", "integer") and "enum" not in items:
                out.append(f"{where}: items type should be object, string, number or integer, or have an enum")
    return out


def duplicate_order(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in entries(spec, ()):
        holder = at(spec, path[:-1])
        if (
            key == "properties"
            and isinstance(value, dict)
            and isinstance(holder, dict)
            and holder.get("type") == "object"
        ):
            seen: dict[tuple[str, Any], str] = {}
            for name, prop in value.items():
                if isinstance(prop, dict) and "order" in prop:
                    slot = (str(prop.get("group", "")), prop["order"])
                    if slot in seen:
                        out.append(f"{'/'.join(map(str, path))}: {name} and {seen[slot]} have the same order")
                    seen[slot] = name
    return out


def nested_group(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, _ in entries(spec, ()):
        if key == "group" and _not_property_name(path) and not (len(path) == 3 and path[0] == "properties"):
            out.append(f"{'/'.join(map(str, path))}: group may only be set on top-level properties")
    return out


def display_type(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in entries(spec, ()):
        if key == "display_type" and _not_property_name(path):
            holder = at(spec, path[:-1])
            if not isinstance(holder, dict) or "oneOf" not in holder:
                out.append(f"{'/'.join(map(str, path))}: display_type is only allowed on fields with oneOf")
            elif value not in ("dropdown", "radio"):
                out.append(f"{'/'.join(map(str, path))}: display_type must be dropdown or radio")
    return out


def refs(spec: dict[str, Any]) -> list[str]:
    found = [p for p, k, _ in entries(spec, ()) if k == "$ref"]
    return ["Found unresolved `$refs` value in spec.json file"] if found else []


def additional_properties(spec: dict[str, Any]) -> list[str]:
    bad = [p for p, k, v in entries(spec, ()) if k == "additionalProperties" and v is not True]  # CAT: any such key
    return ["When set, additionalProperties field value must be true for backward compatibility."] if bad else []


def oauth_flow_parameters(spec_message: dict[str, Any]) -> list[str] | None:
    advanced = spec_message.get("advanced_auth")
    if not advanced:
        return None
    paths = set(expected_schema_structure(spec_message.get("connectionSpecification") or {}))
    expected = set()
    predicate = advanced.get("predicate_key")
    if predicate:
        expected.add("/" + "/".join(predicate))
    oauth = advanced.get("oauth_config_specification") or {}
    for section in (
        "oauth_user_input_from_connector_config_specification",
        "complete_oauth_output_specification",
        "complete_oauth_server_output_specification",
    ):
        for name, prop in ((oauth.get(section) or {}).get("properties") or {}).items():
            if not isinstance(prop, dict) or "path_in_connector_config" not in prop:
                return [f"{section}.{name} has no path_in_connector_config (CAT: KeyError)"]
            expected.add("/" + "/".join(prop["path_in_connector_config"]))
    missing = expected - paths
    return [f"Specified oauth fields are missed from spec schema: {sorted(missing)}"] if missing else []


def oauth_is_default_method(spec_message: dict[str, Any]) -> list[str] | None:
    """None when CAT skips the test (no advanced_auth, predicate_key or oneOf under the credentials key)."""
    advanced = spec_message.get("advanced_auth") or {}
    predicate = advanced.get("predicate_key")
    if not predicate:
        return None
    spec = spec_message.get("connectionSpecification") or {}
    credentials = ((spec.get("properties") or {}).get(predicate[0]) or {}).get("oneOf")
    if not predicate or not isinstance(credentials, list) or not credentials:
        return None
    node: Any = credentials[0]
    for part in predicate[1:]:
        node = ((node or {}).get("properties") or {}).get(part)
    if not isinstance(node, dict) or node.get("const") != advanced.get("predicate_value"):
        return [
            "Oauth method should be a default option. Current default method is "
            f"{(node or {}).get('const') if isinstance(node, dict) else None}."
        ]
    return []


DATE_PATTERN = "^[0-9]{2}-[0-9]{2}-[0-9]{4}$"
DATE_TIME_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2})?$"


def date_pattern_warnings(spec: dict[str, Any]) -> list[str]:
    """CAT's ``test_date_pattern`` (warnings only): a date / date-time format without CAT's pattern."""
    out = []
    for path, key, value in entries(spec, ()):
        if key != "format" or not isinstance(value, str):
            continue
        holder = at(spec, path[:-1])
        pattern = holder.get("pattern") if isinstance(holder, dict) else None
        where = "/".join(map(str, path))
        if value == "date" and pattern != DATE_PATTERN:
            out.append(f"{where} is defining a date format without the corresponding pattern ({DATE_PATTERN})")
        if value == "date-time" and pattern != DATE_TIME_PATTERN:
            out.append(f"{where} is defining a date-time format without the corresponding pattern {DATE_TIME_PATTERN}")
    return out


def date_format_warnings(spec: dict[str, Any]) -> list[str]:
    """CAT's ``test_date_format`` (warnings only): CAT's date pattern without the matching format."""
    out = []
    for path, key, value in entries(spec, ()):
        if key != "pattern" or value not in (DATE_PATTERN, DATE_TIME_PATTERN):
            continue
        holder = at(spec, path[:-1])
        found = holder.get("format") if isinstance(holder, dict) else None
        wanted = "date" if value == DATE_PATTERN else "date-time"
        if found != wanted:
            out.append(f"{'/'.join(map(str, path))} looks like a {wanted} pattern without format `{wanted}`")
    return out


def date_warnings(spec: dict[str, Any]) -> list[str]:
    return date_pattern_warnings(spec) + date_format_warnings(spec)
