"""CAT's ``TestSpec`` over the replayed ``spec`` invocation (messages are CAT's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from replaykit.checks import SKIP, CheckContext, CheckResult, result, skipped
from replaykit.checks.schema import walk
from replaykit.checks.structure import expected_schema_structure, freeze
from replaykit.scrub import CAT_SECRET_NAMES

SUITE = "spec"
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
    for path, key, _value in walk(properties, ("properties",)):
        if key != "type":
            continue
        holder_path = path[:-1]
        holder = _node(spec, holder_path)
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


def _node(root: Any, path: tuple[Any, ...]) -> Any:
    node = root
    for part in path:
        node = node[part] if isinstance(node, dict | list) else None
    return node


def oneof_usage(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, variants in walk(spec, ()):
        if key not in ("oneOf", "anyOf") or not isinstance(variants, list):
            continue
        parent = _node(spec, path[:-1])
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
    found = sorted({str(k) for path, k, _ in walk(spec, ()) if k in FORBIDDEN and _not_property_name(path)})
    return [f"Found the following disallowed JSON schema features: {found}"] if found else []


def enum_usage(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in walk(spec, ()):
        if key == "enum" and isinstance(value, list) and _not_property_name(path):
            seen = [freeze(v) for v in value]  # CAT: len(set(enum)), so 1, 1.0 and true are one value
            if len(set(seen)) != len(seen):
                out.append(f"Enum lists should not contain duplicate values. Misconfigured enum array: {value}")
    return out


def property_type_is_not_array(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in walk(spec, ()):
        is_property_type = key == "type" and len(path) >= 3 and path[-3] == "properties" and isinstance(value, list)
        if is_property_type and (len(value) not in (1, 2) or (len(value) == 2 and value[1] != "null")):
            out.append(f"{'/'.join(map(str, path))}: type should be non-array or [type, null], got {value}")
    return out


def object_not_empty(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in walk(spec, ()):
        if key == "type" and value == "object" and len(path) > 1:
            holder = _node(spec, path[:-1])
            if isinstance(holder, dict) and not holder.get("properties") and "oneOf" not in holder:
                out.append(f"{'/'.join(map(str, path[:-1]))}: object type must have non-empty properties")
    return out


def array_type(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in walk(spec, ()):
        if key == "type" and value == "array":
            holder = _node(spec, path[:-1])
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
    for path, key, value in walk(spec, ()):
        holder = _node(spec, path[:-1])
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
    for path, key, _ in walk(spec, ()):
        if key == "group" and _not_property_name(path) and not (len(path) == 3 and path[0] == "properties"):
            out.append(f"{'/'.join(map(str, path))}: group may only be set on top-level properties")
    return out


def display_type(spec: dict[str, Any]) -> list[str]:
    out = []
    for path, key, value in walk(spec, ()):
        if key == "display_type" and _not_property_name(path):
            holder = _node(spec, path[:-1])
            if not isinstance(holder, dict) or "oneOf" not in holder:
                out.append(f"{'/'.join(map(str, path))}: display_type is only allowed on fields with oneOf")
            elif value not in ("dropdown", "radio"):
                out.append(f"{'/'.join(map(str, path))}: display_type must be dropdown or radio")
    return out


def refs(spec: dict[str, Any]) -> list[str]:
    found = [p for p, k, _ in walk(spec, ()) if k == "$ref"]
    return ["Found unresolved `$refs` value in spec.json file"] if found else []


def additional_properties(spec: dict[str, Any]) -> list[str]:
    bad = [p for p, k, v in walk(spec, ()) if k == "additionalProperties" and v is not True]  # CAT: any such key
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
    for path, key, value in walk(spec, ()):
        if key != "format" or not isinstance(value, str):
            continue
        holder = _node(spec, path[:-1])
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
    for path, key, value in walk(spec, ()):
        if key != "pattern" or value not in (DATE_PATTERN, DATE_TIME_PATTERN):
            continue
        holder = _node(spec, path[:-1])
        found = holder.get("format") if isinstance(holder, dict) else None
        wanted = "date" if value == DATE_PATTERN else "date-time"
        if found != wanted:
            out.append(f"{'/'.join(map(str, path))} looks like a {wanted} pattern without format `{wanted}`")
    return out


def date_warnings(spec: dict[str, Any]) -> list[str]:
    return date_pattern_warnings(spec) + date_format_warnings(spec)


def spec_from_file(path: Path) -> dict[str, Any] | str | None:
    """CAT's ``connector_spec`` fixture: None when the file is missing, a message when CAT cannot load it."""
    if not path.is_file():
        return None
    if path.name in ("manifest.yaml", "manifest.yml"):
        manifest = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        spec = manifest.get("spec") or {}
        return {  # CAT 3.9.5+ (manifest_helper.parse_manifest_spec)
            "connectionSpecification": spec.get("connection_specification"),
            "documentationUrl": spec.get("documentation_url", spec.get("documentationUrl")),
            "advanced_auth": spec.get("advanced_auth"),
        }
    if path.suffix == ".json":
        return dict(json.loads(path.read_text(encoding="utf-8")) or {})
    if path.suffix == ".yaml":
        return dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return f"{path.name}: path must be a '.yaml' or '.json' file"


SPEC_DEFAULTS = {"supportsNormalization": False, "supportsDBT": False}  # the protocol model's non-None defaults


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def _as_model(spec: dict[str, Any]) -> dict[str, Any]:
    """A ``ConnectorSpecification`` as pydantic compares it: defaults filled in, absent optional fields None."""
    return dict(_without_nulls({**SPEC_DEFAULTS, **spec}))


def match_expected(actual: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """CAT's ``test_match_expected``: the whole specification equals the file's."""
    got, wanted = _as_model(actual), _as_model(expected)
    if got == wanted:
        return []
    differing = sorted(k for k in set(got) | set(wanted) if got.get(k) != wanted.get(k))
    return [f"Spec should be equal to the one in spec.yaml or spec.json file (differing keys: {differing})"]


def _checks(spec_message: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    spec = spec_message.get("connectionSpecification") or {}
    yield "test_enum_usage", enum_usage(spec)
    yield "test_oneof_usage", oneof_usage(spec)
    yield "test_secret_is_properly_marked", secret_marking(spec)
    yield "test_property_type_is_not_array", property_type_is_not_array(spec)
    yield "test_object_not_empty", object_not_empty(spec)
    yield "test_array_type", array_type(spec)
    yield "test_forbidden_complex_types", forbidden_keywords(spec)
    yield "test_duplicate_order", duplicate_order(spec)
    yield "test_nested_group", nested_group(spec)
    yield "test_display_type", display_type(spec)
    yield "test_defined_refs_exist_in_json_spec_file", refs(spec_message)
    yield "test_additional_properties_is_true", additional_properties(spec)


def run(context: CheckContext) -> list[CheckResult]:
    results: list[CheckResult] = []
    output = context.output("spec-0")
    for i, test in enumerate(context.acceptance.tests(SUITE)):
        params = f"inputs{i}"
        if output is None:
            results.append(skipped(SUITE, "*", "the spec invocation was not replayed", params))
            continue
        if output.counts.get("SPEC", 0) != 1 or output.spec is None:
            results.append(result(SUITE, "test_spec", ["Spec message should be emitted exactly once"], params))
            continue
        spec_message = output.spec
        for name, failures in _checks(spec_message):
            results.append(result(SUITE, name, failures, params))
        default = oauth_is_default_method(spec_message)
        auth_method = test.auth_default_method
        if auth_method is not None and not auth_method.oauth:
            results.append(
                skipped(
                    SUITE, "test_oauth_is_default_method", f"Skipping the test: {auth_method.bypass_reason}", params
                )
            )
        elif default is None:
            results.append(
                skipped(
                    SUITE,
                    "test_oauth_is_default_method",
                    "no advanced_auth predicate_key or no oneOf under the credentials key",
                    params,
                )
            )
        else:
            results.append(result(SUITE, "test_oauth_is_default_method", default, params))
        warnings = date_warnings(spec_message.get("connectionSpecification") or {})
        results.append(CheckResult(SUITE, "test_date_format", "passed", "; ".join(warnings), params, tuple(warnings)))
        oauth = oauth_flow_parameters(spec_message)
        results.append(
            skipped(SUITE, "test_oauth_flow_parameters", "no advanced_auth in the spec", params)
            if oauth is None
            else result(SUITE, "test_oauth_flow_parameters", oauth, params)
        )
        expected = spec_from_file(context.acceptance.resolve(test.spec_path) or Path(test.spec_path))
        if expected is None:
            results.append(
                skipped(
                    SUITE,
                    "test_match_expected",
                    "The spec.yaml or spec.json does not exist. Hence, comparison with the actual one can't be "
                    "performed",
                    params,
                )
            )
        else:
            failures = [expected] if isinstance(expected, str) else match_expected(spec_message, expected)
            results.append(result(SUITE, "test_match_expected", failures, params))
        results.append(config_match_spec(context, test, spec_message, params))
        results.append(_backward_compatibility(context, spec_message, test, params))
        for docker_only in ("test_image_labels", "test_image_environment_variables"):
            results.append(
                skipped(
                    SUITE,
                    docker_only,
                    "checks Docker image labels; replaykit runs the connector as a Python process, not an image",
                    params,
                )
            )
    return results


def config_problems(spec: dict[str, Any], config: dict[str, Any], *, scrubbed: bool = False) -> list[str]:
    """CAT's ``test_config_match_spec``: ``jsonschema.validate`` (draft from ``$schema``) of the config without
    ``_``-prefixed keys. ``scrubbed``: errors on replaykit's ``**REDACTED:...**`` placeholders are not judged."""
    import jsonschema
    from jsonschema.exceptions import SchemaError

    instance = {k: v for k, v in config.items() if not str(k).startswith("_")}
    try:
        cls = jsonschema.validators.validator_for(spec)
        cls.check_schema(spec)
    except SchemaError as exc:
        return [f"Spec is invalid: {exc.message}"]
    errors = [
        e
        for e in cls(spec).iter_errors(instance)
        if not (scrubbed and isinstance(e.instance, str) and REDACTED in e.instance)
    ]
    return [f"Config invalid: {errors[0].message}"] if errors else []


REDACTED = "**REDACTED"


def config_match_spec(context: CheckContext, test: Any, spec_message: dict[str, Any], params: str) -> CheckResult:
    """Against the test's ``config_path`` when it is on disk (as CAT), else the recorded, scrubbed config of the
    invocation that ran with it (placeholders are not judged)."""
    spec = spec_message.get("connectionSpecification") or {}
    path = context.acceptance.resolve(test.config_path)
    if path is not None and path.is_file():
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            return result(SUITE, "test_config_match_spec", [f"{test.config_path} is not valid JSON: {exc}"], params)
        return result(SUITE, "test_config_match_spec", config_problems(spec, config), params)
    recorded = _recorded_config(context, path)
    if recorded is None:
        return skipped(SUITE, "test_config_match_spec", f"no config at {test.config_path} and none recorded", params)
    return result(SUITE, "test_config_match_spec", config_problems(spec, recorded, scrubbed=True), params)


def _recorded_config(context: CheckContext, path: Path | None) -> dict[str, Any] | None:
    """The scrubbed config recorded with an invocation that used ``path`` (the main config by default)."""
    fallback = None
    for invocation in context.invocations.values():
        if invocation.config is None or invocation.command not in ("check", "discover", "read"):
            continue
        if path is not None and getattr(invocation, "config_path", None) == str(path):
            return invocation.config
        if fallback is None and invocation.command in ("discover", "read"):
            fallback = invocation.config
    return fallback


def _backward_compatibility(context: CheckContext, spec_message: dict[str, Any], test: Any, params: str) -> CheckResult:
    from replaykit.checks.compat import previous_config_problems, spec_breaking_changes

    recorded, source = context.previous_output("spec", "spec-0")
    disabled = test.backward_compatibility_tests_config.disable_for_version
    if context.previous_version_disabled(disabled):
        return skipped(
            SUITE,
            "test_backward_compatibility",
            f"Backward compatibility tests are disabled for version {disabled}.",
            params,
        )
    if not recorded:
        return skipped(SUITE, "test_backward_compatibility", "no previous recording of the spec", params)
    if recorded == spec_message:
        return CheckResult(
            SUITE, "test_backward_compatibility", SKIP, "The previous and actual specifications are identical.", params
        )
    old, new = recorded.get("connectionSpecification") or {}, spec_message.get("connectionSpecification") or {}
    changes = spec_breaking_changes(old, new) or previous_config_problems(old, new)
    return result(SUITE, "test_backward_compatibility", [f"{c} (compared with {source})" for c in changes], params)
