"""CAT's ``TestSpec`` over the replayed ``spec`` invocation (messages are CAT's); the schema rules are in
``replaykit.checks.spec_rules``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from replaykit import invocation_ids as ids
from replaykit.checks import SKIP, CheckContext, CheckResult, result, skipped
from replaykit.checks.spec_rules import (
    additional_properties,
    array_type,
    date_warnings,
    display_type,
    duplicate_order,
    enum_usage,
    forbidden_keywords,
    nested_group,
    oauth_flow_parameters,
    oauth_is_default_method,
    object_not_empty,
    oneof_usage,
    property_type_is_not_array,
    refs,
    secret_marking,
)
from replaykit.scrub import has_placeholder

SUITE = "spec"


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
    output = context.output(ids.spec())
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
    ``_``-prefixed keys. ``scrubbed``: errors on replaykit's placeholders (``**REDACTED:...**``, a ``.invalid`` URL)
    are not judged."""
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
        if not (scrubbed and isinstance(e.instance, str) and has_placeholder(e.instance))
    ]
    return [f"Config invalid: {errors[0].message}"] if errors else []


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

    recorded, source = context.previous_output("spec", ids.spec())
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
