"""Each spec / connection / discovery rule, passing and failing on purpose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replaykit import invocation_ids as ids
from replaykit.acceptance import parse_acceptance_config
from replaykit.checks import FAIL, PASS, SKIP, CheckContext, run_suites
from replaykit.checks import spec_rules as spec_checks
from replaykit.checks.compat import catalog_breaking_changes, previous_config_problems, spec_breaking_changes
from replaykit.invocations import Invocation
from replaykit.messages import ConnectorOutput


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


@pytest.mark.parametrize(
    ("check", "good", "bad", "message"),
    [
        (
            spec_checks.secret_marking,
            obj(password={"type": "string", "airbyte_secret": True}),
            obj(password={"type": "string"}),
            "The following properties should be marked with `airbyte_secret!`",
        ),
        (
            spec_checks.secret_marking,
            obj(api_key={"type": "string"}),
            obj(token={"type": "boolean", "airbyte_secret": True}),  # CAT judges secret names only
            "marked with `airbyte_secret` although",
        ),
        (
            spec_checks.enum_usage,
            obj(a={"type": "string", "enum": ["x", "y"]}),
            obj(a={"type": "string", "enum": ["x", "x"]}),
            "Enum lists should not contain duplicate values",
        ),
        (
            spec_checks.forbidden_keywords,
            obj(allOf={"type": "string"}),
            obj(a={"allOf": [{"type": "string"}]}),
            "Found the following disallowed JSON schema features: ['allOf']",
        ),
        (
            spec_checks.property_type_is_not_array,
            obj(a={"type": ["string", "null"]}),
            obj(a={"type": ["null", "string"]}),
            "type should be non-array or [type, null]",
        ),
        (
            spec_checks.object_not_empty,
            obj(a=obj(b={"type": "string"})),
            obj(a={"type": "object"}),
            "object type must have non-empty properties",
        ),
        (
            spec_checks.array_type,
            obj(a={"type": "array", "items": {"type": "string"}}),
            obj(a={"type": "array", "items": [{"type": "string"}]}),
            "items should not be an array",
        ),
        (
            spec_checks.duplicate_order,
            obj(a={"type": "string", "order": 0}, b={"type": "string", "order": 1}),
            obj(a={"type": "string", "order": 0}, b={"type": "string", "order": 0}),
            "have the same order",
        ),
        (
            spec_checks.display_type,
            obj(a={"type": "object", "oneOf": [], "display_type": "radio"}),
            obj(a={"type": "string", "display_type": "radio"}),
            "display_type is only allowed on fields with oneOf",
        ),
        (
            spec_checks.refs,
            obj(a={"type": "string"}),
            obj(a={"$ref": "#/definitions/x"}),
            "Found unresolved `$refs` value in spec.json file",
        ),
        (
            spec_checks.additional_properties,
            {**obj(a={"type": "string"}), "additionalProperties": True},
            {**obj(a={"type": "string"}), "additionalProperties": False},
            "When set, additionalProperties field value must be true for backward compatibility.",
        ),
        (
            spec_checks.oneof_usage,
            obj(
                auth={
                    "type": "object",
                    "oneOf": [
                        obj(kind={"const": "key"}, key={"type": "string"}),
                        obj(kind={"const": "oauth"}, token={"type": "string"}),
                    ],
                }
            ),
            obj(auth={"type": "object", "oneOf": [obj(kind={"const": "key"}), obj(other={"const": "x"})]}),
            "There should be at least one common property",
        ),
    ],
)
def test_spec_rule(check: Any, good: dict[str, Any], bad: dict[str, Any], message: str) -> None:
    assert check(good) == []
    failures = check(bad)
    assert failures
    assert message in failures[0]


def test_api_key_is_not_on_cats_list() -> None:
    assert spec_checks.secret_marking(obj(api_key={"type": "string"})) == []
    assert spec_checks.secret_marking(obj(creds=obj(token={"type": "string"}))) == [
        "The following properties should be marked with `airbyte_secret!` properties/creds/properties/token"
    ]


def test_backward_compatibility_rules() -> None:
    old = obj(a={"type": "string"}, b={"type": "string", "enum": ["x", "y"]})
    assert (
        spec_breaking_changes(
            old,
            obj(a={"type": ["string", "null"]}, b={"type": "string", "enum": ["x", "y", "z"]}, c={"type": "string"}),
        )
        == []
    )
    assert spec_breaking_changes(old, {**old, "required": ["a"]}) == [
        "Breaking change: A new 'required' field was declared."
    ]
    assert spec_breaking_changes(old, obj(a={"type": "integer"}, b=old["properties"]["b"])) == [
        "Breaking change: The 'type' field value was changed."
    ]
    assert spec_breaking_changes(old, obj(a={"type": "string"}, b={"type": "string", "enum": ["x"]})) == [
        "Breaking change: An enum field was narrowed."
    ]
    catalog = {"streams": [{"name": "s", "json_schema": obj(id={"type": "integer"}), "default_cursor_field": ["c"]}]}
    assert catalog_breaking_changes(catalog, catalog) == []
    assert catalog_breaking_changes(catalog, {"streams": []}) == [
        "Breaking change: The following streams were removed: s"
    ]
    changed = {"streams": [{"name": "s", "json_schema": obj(), "default_cursor_field": ["d"]}]}
    assert catalog_breaking_changes(catalog, changed)[0].startswith("Breaking change: The following properties were")


def test_configs_generated_from_the_previous_spec_must_stay_valid() -> None:
    old = obj(a={"type": "string"}, n={"type": "integer", "minimum": 0})
    assert previous_config_problems(old, old) == []
    tighter = obj(a={"type": "string", "pattern": "^[0-9]+$"}, n={"type": "integer", "minimum": 0})
    assert previous_config_problems(old, tighter)[0].startswith("Breaking change: a config valid for the previous")
    assert previous_config_problems(old, {**old, "additionalProperties": False}) == []


def output(*messages: dict[str, Any]) -> ConnectorOutput:
    out = ConnectorOutput()
    for message in messages:
        import json

        out.add_line(json.dumps(message))
    return out


STREAM = {
    "name": "users",
    "json_schema": obj(id={"type": "integer"}, updated={"type": "string"}),
    "supported_sync_modes": ["full_refresh", "incremental"],
    "source_defined_primary_key": [["id"]],
    "default_cursor_field": ["updated"],
}


def context(config: dict[str, Any], outputs: dict[str, ConnectorOutput]) -> CheckContext:
    acceptance = parse_acceptance_config(config, Path("/nonexistent/acceptance-test-config.yml"))
    invocations = {i: Invocation(i, "x", "read", f"{i}.yaml", "2026-01-01T00:00:00Z") for i in outputs}
    return CheckContext(acceptance, invocations, outputs, Path("/nonexistent"))


def statuses(results: list[Any], test: str) -> list[str]:
    return [r.status for r in results if r.test == test]


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        ("succeed", {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}}, PASS),
        ("succeed", {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED"}}, FAIL),
        ("failed", {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED"}}, PASS),
        ("exception", {"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": "boom"}}}, PASS),
        ("exception", {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED"}}, FAIL),
    ],
)
def test_connection_statuses(status: str, message: dict[str, Any], expected: str) -> None:
    results = run_suites(
        context(
            {"acceptance_tests": {"connection": {"tests": [{"status": status}]}}}, {"connection-0": output(message)}
        ),
        ("connection",),
    )
    assert statuses(results, "test_check") == [expected]


def test_discovery_rules_pass_and_fail() -> None:
    config = {"acceptance_tests": {"discovery": {"tests": [{}]}}}
    good = run_suites(
        context(config, {"discovery-0": output({"type": "CATALOG", "catalog": {"streams": [STREAM]}})}), ("discovery",)
    )
    assert {r.status for r in good} <= {PASS, SKIP}
    bad_stream = {
        **STREAM,
        "default_cursor_field": ["missing"],
        "source_defined_primary_key": [["nope"]],
        "supported_sync_modes": [],
        "json_schema": {**obj(id={"type": "object"}), "allOf": []},
    }
    bad = run_suites(
        context(config, {"discovery-0": output({"type": "CATALOG", "catalog": {"streams": [bad_stream, bad_stream]}})}),
        ("discovery",),
    )
    failed = {r.test: r.message for r in bad if r.status == FAIL}
    assert failed["test_discover"] == "Catalog should have uniquely named streams, duplicates are: [(None, 'users')]"
    assert "Some of defined cursor fields ['missing']" in failed["test_defined_cursors_exist_in_schema"]
    assert "One of the PKs (['nope'])" in failed["test_primary_keys_exist_in_schema"]
    assert "Found not allowed `allOf` keyword" in failed["test_defined_keyword_exist_in_schema"]
    assert "test_streams_has_sync_modes" in failed


def test_undeclared_suites_skip_at_low_and_fail_at_high() -> None:
    low = run_suites(context({"acceptance_tests": {}}, {}), ("spec",))
    assert [(r.status, r.message) for r in low] == [(SKIP, "Skipping TestSpec: not found in the config.")]
    high = run_suites(context({"test_strictness_level": "high", "acceptance_tests": {}}, {}), ("spec",))
    assert high[0].status == FAIL
    assert "it was not configured but must be according to the current high test strictness level" in high[0].message
    bypassed = run_suites(context({"acceptance_tests": {"spec": {"bypass_reason": "legacy"}}}, {}), ("spec",))
    assert bypassed[0].message == "Skipping TestSpec: legacy"


def test_previous_recording_wins_over_the_current_one_and_can_be_disabled() -> None:
    ctx = context({"acceptance_tests": {}}, {"spec-0": output()})
    ctx.invocations["spec-0"].outputs = {"spec": {"connectionSpecification": obj()}}
    assert ctx.previous_output("spec", ids.spec()) == ({"connectionSpecification": obj()}, "the recording")
    ctx.previous = {
        "spec": {"connectionSpecification": obj(a={"type": "string"})},
        "connector_version": "1.2.0",
        "recorded_at": "2026-01-01T00:00:00Z",
    }
    spec, source = ctx.previous_output("spec", ids.spec())
    assert spec == {"connectionSpecification": obj(a={"type": "string"})}
    assert source == "the previous recording (2026-01-01T00:00:00Z)"
    assert ctx.previous_version_disabled("1.2.0")
    assert not ctx.previous_version_disabled("1.3.0")
    assert not ctx.previous_version_disabled(None)


OAUTH_SPEC = {
    "connectionSpecification": obj(
        credentials={
            "type": "object",
            "oneOf": [
                obj(auth_type={"const": "oauth2"}, client_id={"type": "string"}),
                obj(auth_type={"const": "api_key"}, api_key={"type": "string", "airbyte_secret": True}),
            ],
        }
    ),
    "advanced_auth": {
        "predicate_key": ["credentials", "auth_type"],
        "predicate_value": "oauth2",
        "oauth_config_specification": {
            "oauth_user_input_from_connector_config_specification": {
                "properties": {"client_id": {"path_in_connector_config": ["credentials", "client_id"]}}
            }
        },
    },
}


def test_oauth_rules() -> None:
    assert spec_checks.oauth_flow_parameters(OAUTH_SPEC) == []
    assert spec_checks.oauth_is_default_method(OAUTH_SPEC) == []
    assert spec_checks.oauth_flow_parameters({"connectionSpecification": obj()}) is None
    swapped = {**OAUTH_SPEC, "advanced_auth": {**OAUTH_SPEC["advanced_auth"], "predicate_value": "api_key"}}
    assert spec_checks.oauth_is_default_method(swapped) == [
        "Oauth method should be a default option. Current default method is oauth2."
    ]
    missing = {**OAUTH_SPEC, "advanced_auth": {**OAUTH_SPEC["advanced_auth"], "predicate_key": ["creds", "x"]}}
    assert spec_checks.oauth_flow_parameters(missing) == [
        "Specified oauth fields are missed from spec schema: ['/creds/x']"
    ]


def test_nested_group_and_date_warnings() -> None:
    assert spec_checks.nested_group(obj(a={"type": "string", "group": "auth"})) == []
    assert spec_checks.nested_group(obj(a=obj(b={"type": "string", "group": "auth"}))) == [
        "properties/a/properties/b/group: group may only be set on top-level properties"
    ]
    # CAT: a date format wants CAT's exact pattern, and CAT's date pattern wants the date format
    date = {"type": "string", "format": "date", "pattern": spec_checks.DATE_PATTERN}
    assert spec_checks.date_warnings(obj(d=date)) == []
    assert (
        "without the corresponding pattern"
        in spec_checks.date_warnings(obj(d={"type": "string", "format": "date-time"}))[0]
    )
    assert spec_checks.date_format_warnings(obj(d={"type": "string", "pattern": spec_checks.DATE_PATTERN}))


def test_discovery_schema_rules_fail_on_purpose() -> None:
    config = {"acceptance_tests": {"discovery": {"tests": [{}]}}}
    bad = [
        {**STREAM, "name": "a", "json_schema": {**STREAM["json_schema"], "additionalProperties": False}},
        {**STREAM, "name": "b", "json_schema": obj(id={"$ref": "#/x"}, updated={"type": "string"})},
        {**STREAM, "name": "c", "json_schema": obj(id={"type": ["object", "null"]}, updated={"type": "string"})},
        {**STREAM, "name": "d", "json_schema": {"type": 12, "properties": {"id": {}, "updated": {}}}},
    ]
    results = run_suites(
        context(config, {"discovery-0": output({"type": "CATALOG", "catalog": {"streams": bad}})}), ("discovery",)
    )
    failed = {r.test: r for r in results if r.status == FAIL}
    assert failed["test_additional_properties_is_true"].message.startswith("When set, additionalProperties")
    assert failed["test_defined_refs_exist_in_schema"].message == (
        "Found unresolved `$refs` values for selected streams: ['b']."
    )
    assert failed["test_primary_keys_data_type"].message == (
        "Stream c contains primary key with forbidden type of ['null', 'object']"
    )
    assert failed["test_streams_have_valid_json_schemas"].message.startswith("d: ")
    no_pk_check = run_suites(
        context(
            {"acceptance_tests": {"discovery": {"tests": [{"validate_primary_keys_data_type": False}]}}},
            {"discovery-0": output({"type": "CATALOG", "catalog": {"streams": bad}})},
        ),
        ("discovery",),
    )
    assert statuses(no_pk_check, "test_primary_keys_data_type") == [SKIP]
