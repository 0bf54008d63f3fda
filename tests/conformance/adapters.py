"""Adapters: one per ported CAT unit test, feeding its parameters to replaykit's check and returning
replaykit's verdict (True: the check fails); ``verdicts`` gives CAT's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters_incremental import _abnormal, _full_refresh, _future_state, _sequential_slices, _two_sequential_reads
from verdicts import _catalog, _output, cat_fails, plain

from replaykit.checks import attributes, discovery, read_rules
from replaykit.checks import spec_rules as spec
from replaykit.checks.basic_read import read_steps
from replaykit.json_paths import entries
from replaykit.messages import ConnectorOutput

__all__ = ["ADAPTERS", "cat_fails"]


def _connection_spec(value: Any) -> dict[str, Any]:
    value = plain(value)
    return value.get("connectionSpecification", value) if isinstance(value, dict) else {}


def _spec_rule(check: Callable[[dict[str, Any]], list[str]]) -> Callable[[dict[str, Any]], bool]:
    return lambda p: bool(check(_connection_spec(p["connector_spec"])))


def _test_read(p: dict[str, Any]) -> bool:
    stream = {"name": "test_stream", "json_schema": p["schema"], "supported_sync_modes": ["full_refresh"]}
    if p["primary_key"]:
        stream["source_defined_primary_key"] = p["primary_key"]
    output = ConnectorOutput(records=[{"stream": "test_stream", "data": r, "emitted_at": 111} for r in p["records"]])
    config = plain(p["expect_records_config"])
    problems = read_steps(
        output,
        _catalog([stream]),
        validate_schema=True,
        validate_primary_keys_data_type=False,
        expected_by_stream=p["expected_records_by_stream"],
        exact_order=bool(config.get("exact_order")),
        validate_state_messages=False,
    )
    return bool(problems)


def _stream_zero(output: ConnectorOutput, **options: Any) -> bool:
    stream = {"name": "test_stream_0", "json_schema": {}, "supported_sync_modes": ["full_refresh"]}
    defaults: dict[str, Any] = {"validate_schema": False, "validate_primary_keys_data_type": False}
    defaults["validate_state_messages"] = False
    return bool(read_steps(output, _catalog([stream]), **{**defaults, **options}))


def _state_messages(p: dict[str, Any]) -> bool:
    descriptor = {"name": "test_stream_0"}
    status = [
        {
            "type": "TRACE",
            "trace": {
                "type": "STREAM_STATUS",
                "emitted_at": 1,
                "stream_status": {"stream_descriptor": descriptor, "status": s},
            },
        }
        for s in ("STARTED", "COMPLETE")
    ]
    state = {
        **plain(p["state_message_params"]),
        "stream": {"stream_descriptor": descriptor, "stream_state": {"__ab_no_cursor_state_message": True}},
    }
    record = {"type": "RECORD", "record": {"stream": "test_stream_0", "data": {"a": 1}, "emitted_at": 111}}
    output = _output([status[0], record, {"type": "STATE", "state": state}, status[1]])
    return _stream_zero(output, validate_state_messages=True)


def _pk_read(p: dict[str, Any]) -> bool:
    stream = {
        "name": "stream_1",
        "json_schema": {},
        "supported_sync_modes": ["full_refresh"],
        "source_defined_primary_key": p["primary_key"],
    }
    output = ConnectorOutput(records=[{"stream": "stream_1", "data": p["record"], "emitted_at": 1}])
    return bool(read_steps(output, _catalog([stream]), validate_schema=False, validate_state_messages=False))


def _discovered(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [plain(s) for s in p["discovered_catalog"].values()]


def _one_stream(p: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    return [{"name": "test_stream", "json_schema": p["schema"], "supported_sync_modes": ["full_refresh"], **extra}]


def _valid_json_schemas(p: dict[str, Any]) -> bool:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft7Validator.check_schema(p["schema"])
    except SchemaError:
        return True
    return False


def _sync_modes(p: dict[str, Any]) -> bool:
    return False  # CAT's cases pass MagicMock streams: not portable as data (skipped by the runner)


def _records_format(p: dict[str, Any]) -> bool:
    stream = {"name": "test_stream", "json_schema": p["configured_catalog"], "supported_sync_modes": ["full_refresh"]}
    records = [{"stream": "test_stream", "data": p["record"], "emitted_at": 1}]
    return bool(read_rules.schema_errors(records, _catalog([stream])))


def _primary_key_streams(p: dict[str, Any]) -> bool:
    streams = [{"name": c["name"], "source_defined_primary_key": c.get("primary_key")} for c in p["stream_configs"]]
    return bool(attributes.streams_without_primary_key(streams, list(p["excluded_streams"])))


def _field_appears(p: dict[str, Any]) -> bool:
    records = plain(p["records"])
    return bool(read_rules.data_points(records, plain(p["configured_catalog"])))


def _config_rejected(raw: dict[str, Any]) -> bool:
    from replaykit.acceptance import parse_acceptance_config
    from replaykit.errors import ConfigError

    try:
        parse_acceptance_config(plain(raw))
    except ConfigError:
        return True
    return False


def _basic_read_option(key: str, value: dict[str, Any]) -> bool:
    test = {key: {k: v for k, v in value.items() if v is not None}}
    return _config_rejected({"connector_image": "foo", "acceptance_tests": {"basic_read": {"tests": [test]}}})


def _spec_compat(p: dict[str, Any], examples: int | None = 10) -> bool:
    from replaykit.checks.compat import previous_config_problems, spec_breaking_changes

    old = plain(p["previous_connector_spec"])["connectionSpecification"]
    new = plain(p["actual_connector_spec"])["connectionSpecification"]
    if examples is None:
        return bool(previous_config_problems(old, new, 200))
    return bool(spec_breaking_changes(old, new) or previous_config_problems(old, new, examples))


def _catalog_compat(p: dict[str, Any]) -> bool:
    from replaykit.checks.compat import catalog_breaking_changes

    def catalog(streams: dict[str, Any]) -> dict[str, Any]:
        return {"streams": [{"default_cursor_field": None, **plain(s), "name": name} for name, s in streams.items()]}

    return bool(catalog_breaking_changes(catalog(p["previous_discovered_catalog"]), catalog(p["discovered_catalog"])))


def _secret_name(p: dict[str, Any]) -> bool:
    """CAT's ``_is_spec_property_name_secret``: the name found, and whether it is a secret name (the verdict)."""
    name = spec.field_name(tuple(p["path"].split("/")))
    assert name == p["expected_name"]
    return bool(name and name.lower() in ("api_key", "api_token", "refresh_token", "jwt", "credentials"))


ADAPTERS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "test_per_stream_read_with_multiple_states": _sequential_slices,
    "test_is_spec_property_name_secret": _secret_name,
    "test_property_can_store_secret": lambda p: spec.can_store_secret(p["property_def"]),
    # test_backward_compatibility.py
    "test_spec_backward_compatibility": _spec_compat,
    "test_validate_previous_configs": lambda p: _spec_compat(p, None),
    "test_catalog_backward_compatibility": _catalog_compat,
    # test_config.py
    "TestConfig.test_config_parsing": lambda p: _config_rejected(p["raw_config"]),
    "TestConfig.test_legacy_config_migration": lambda p: _config_rejected(p["legacy_config"]),
    "TestExpectedRecordsConfig.test_bypass_reason_behavior": lambda p: _basic_read_option(
        "expect_records", {"path": p["path"], "bypass_reason": p["bypass_reason"]}
    ),
    "TestFileTypesConfig.test_skip_test_behavior": lambda p: _basic_read_option(
        "file_types",
        {
            "skip_test": p["skip_test"],
            "bypass_reason": p["bypass_reason"],
            "unsupported_types": plain(p["unsupported_types"]),
        },
    ),
    "TestFileTypesConfig.test_extension_validation": lambda p: _basic_read_option(
        "file_types", {"unsupported_types": [{"extension": p["extension"]}]}
    ),
    "test_incremental_two_sequential_reads": _two_sequential_reads,
    # test_spec.py
    "test_ref_in_spec_schemas": lambda p: bool(spec.refs(plain(p["connector_spec"]))),
    "test_oneof_usage": _spec_rule(spec.oneof_usage),
    "test_enum_usage": _spec_rule(spec.enum_usage),
    "test_validate_oauth_flow": lambda p: bool(spec.oauth_flow_parameters(plain(p["connector_spec"]))),
    "test_validate_auth_default_method": lambda p: bool(spec.oauth_is_default_method(plain(p["connector_spec"]))),
    "test_additional_properties_is_true@test_spec": _spec_rule(spec.additional_properties),
    "test_airbyte_secret": lambda p: bool(
        spec.secret_marking(
            _connection_spec(p["connector_spec"]),
            ("api_key", "api_token", "refresh_token", "jwt", "credentials", "access_token", "client_secret"),
        )
    ),
    "test_property_type_is_not_array": _spec_rule(spec.property_type_is_not_array),
    "test_object_not_empty": _spec_rule(spec.object_not_empty),
    "test_duplicate_order": _spec_rule(spec.duplicate_order),
    "test_nested_group": _spec_rule(spec.nested_group),
    "test_display_type": _spec_rule(spec.display_type),
    "test_array_type": _spec_rule(spec.array_type),
    "test_forbidden_complex_types": _spec_rule(spec.forbidden_keywords),
    "test_date_pattern": _spec_rule(spec.date_pattern_warnings),
    "test_date_format": _spec_rule(spec.date_format_warnings),
    # test_core.py, TestDiscovery
    "test_discovery": lambda p: bool(discovery.defined_cursors(_one_stream(p, default_cursor_field=p["cursors"]))),
    "test_streams_have_valid_json_schemas": _valid_json_schemas,
    "test_ref_in_discovery_schemas": lambda p: any(k == "$ref" for _, k, _ in entries(p["schema"], ())),
    "test_keyword_in_discovery_schemas": lambda p: discovery.keyword_present(p["schema"], p["keyword"]),
    "test_additional_properties_is_true@test_core": lambda p: bool(discovery.additional_properties(_discovered(p))),
    "test_primary_keys_data_type": lambda p: bool(discovery.primary_keys_data_type(_discovered(p))),
    # test_core.py, TestBasicRead
    "test_read": _test_read,
    "test_airbyte_trace_message_on_failure": lambda p: (
        bool(p["expect_trace_message_on_failure"]) and not _output(p["output"]).errors
    ),
    "test_validate_field_appears_at_least_once": _field_appears,
    "test_read_validate_stream_statuses_exceptions": lambda p: _stream_zero(
        _output(p["output"]), validate_stream_statuses=True
    ),
    "test_read_validate_async_output_state_messages": _state_messages,
    "test_read_validate_primary_keys_data_type": _pk_read,
    "test_all_supported_file_types_present": lambda p: bool(
        attributes.file_types_problems(set(plain(p["file_types_found"])), [])
    ),
    # test_connector_attributes.py
    "test_streams_define_primary_key": _primary_key_streams,
    "test_certified_connector_has_allowed_hosts": lambda p: bool(attributes.allowed_hosts(p["metadata_yaml"])),
    "test_certified_connector_has_suggested_streams": lambda p: bool(attributes.suggested_streams(p["metadata_yaml"])),
    # test_incremental.py
    "test_state_with_abnormally_large_values": _abnormal,
    "test_future_state_fixture": _future_state,
    # test_test_full_refresh.py
    "test_emitted_at_increase_on_subsequent_runs": _full_refresh,
    # test_asserts.py
    "test_validate_records_format": _records_format,
}
