"""CAT's ``TestDiscovery`` over the replayed discover invocation (messages are CAT's)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from replaykit import invocation_ids as ids
from replaykit.checks import CheckContext, CheckResult, result, skipped
from replaykit.checks.compat import catalog_breaking_changes
from replaykit.checks.schema import has_property_path, property_at
from replaykit.json_paths import entries

SUITE = "discovery"


def keyword_present(schema: Any, keyword: str) -> bool:
    """CAT's ``find_keyword_schema``: the keyword anywhere, property names of a ``type: object`` exempt."""

    def find(node: Any, skip: bool = False) -> bool:
        if isinstance(node, list):
            return any(find(v) for v in node)
        if isinstance(node, dict):
            for key, value in node.items():
                if key == keyword and not skip:
                    return True
                if find(value, key == "properties" and node.get("type") == "object"):
                    return True
        return False

    return find(schema)


def duplicated_streams(streams: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """CAT >= 3.8.5 ``duplicated_stream_names``: by (namespace, name)."""
    counts = Counter((s.get("namespace"), s.get("name")) for s in streams)
    return [key for key, count in counts.items() if count > 1]


def discover_problems(catalog_messages: int, streams: list[dict[str, Any]]) -> list[str]:
    duplicates = duplicated_streams(streams)
    failures = []
    if catalog_messages != 1:
        failures.append("Catalog message should be emitted exactly once")
    if not streams:
        failures.append("Catalog should contain streams")
    if duplicates:
        failures.append(f"Catalog should have uniquely named streams, duplicates are: {duplicates}")
    return failures


def primary_keys_data_type(streams: list[dict[str, Any]]) -> list[str]:
    """CAT's discovery ``test_primary_keys_data_type``: ``set(type)`` meets {object, array} (so, as CAT, only
    the list form of ``type`` is caught: ``set("object")`` is a set of characters)."""
    bad = []
    for stream in streams:
        for pk in stream.get("source_defined_primary_key") or []:
            definition = property_at(stream.get("json_schema") or {}, list(pk))
            if definition is None:
                bad.append(f"Stream {stream['name']} does not have defined primary key in schema")
                continue
            declared = definition.get("type", [])
            data_type = set(declared) if isinstance(declared, list | str | dict) else set()
            if data_type & {"object", "array"}:
                bad.append(f"Stream {stream['name']} contains primary key with forbidden type of {sorted(data_type)}")
    return bad


def defined_cursors(streams: list[dict[str, Any]]) -> list[str]:
    out = []
    for stream in streams:
        cursor = stream.get("default_cursor_field")
        if cursor:
            schema = stream.get("json_schema") or {}
            if "properties" not in schema:
                out.append(f"Top level item should have an 'object' type for {stream['name']} stream schema")
            elif not has_property_path(schema, list(cursor)):
                out.append(
                    f"Some of defined cursor fields {cursor} are not specified in discover schema "
                    f"properties for {stream['name']} stream"
                )
    return out


def additional_properties(streams: list[dict[str, Any]]) -> list[str]:
    """CAT 3.9.9: any ``additionalProperties`` value but ``false``."""
    bad = [
        s["name"]
        for s in streams
        if any(k == "additionalProperties" and v is False for _, k, v in entries(s.get("json_schema"), ()))
    ]
    return ["When set, additionalProperties field value must be true for backward compatibility."] if bad else []


def run(context: CheckContext) -> list[CheckResult]:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import SchemaError

    results: list[CheckResult] = []
    for i, test in enumerate(context.acceptance.tests(SUITE)):
        params = f"inputs{i}"
        output = context.output(ids.discovery(i))
        if output is None:
            results.append(skipped(SUITE, "*", f"{ids.discovery(i).id} was not replayed", params))
            continue
        catalog = output.catalog or {}
        streams = catalog.get("streams") or []
        failures = discover_problems(output.counts.get("CATALOG", 0), streams)
        results.append(result(SUITE, "test_discover", failures, params))
        if not streams:
            continue

        invalid = []
        for stream in streams:
            try:
                Draft7Validator.check_schema(stream.get("json_schema") or {})
            except SchemaError as exc:
                invalid.append(f"{stream['name']}: {exc.message}")
        results.append(result(SUITE, "test_streams_have_valid_json_schemas", invalid, params))

        cursors = defined_cursors(streams)
        results.append(result(SUITE, "test_defined_cursors_exist_in_schema", cursors, params))

        with_refs = [s["name"] for s in streams if any(k == "$ref" for _, k, _ in entries(s.get("json_schema"), ()))]
        results.append(
            result(
                SUITE,
                "test_defined_refs_exist_in_schema",
                [f"Found unresolved `$refs` values for selected streams: {with_refs}."] if with_refs else [],
                params,
            )
        )

        for keyword in ("allOf", "not"):
            found = [s["name"] for s in streams if keyword_present(s.get("json_schema") or {}, keyword)]
            results.append(
                result(
                    SUITE,
                    "test_defined_keyword_exist_in_schema",
                    [f"Found not allowed `{keyword}` keyword for selected streams: {found}."] if found else [],
                    params=f"{params}-{keyword}",
                )
            )

        missing_pk = []
        for stream in streams:
            for pk in stream.get("source_defined_primary_key") or []:
                if not has_property_path(stream.get("json_schema") or {}, list(pk)):
                    missing_pk.append(
                        f"One of the PKs ({pk}) is not specified in discover schema for {stream['name']} stream"
                    )
        results.append(result(SUITE, "test_primary_keys_exist_in_schema", missing_pk, params))

        no_modes = [s["name"] for s in streams if not s.get("supported_sync_modes")]
        results.append(
            result(
                SUITE,
                "test_streams_has_sync_modes",
                [f"The stream {n} has no supported_sync_modes" for n in no_modes],
                params,
            )
        )

        results.append(result(SUITE, "test_additional_properties_is_true", additional_properties(streams), params))

        results.append(
            skipped(
                SUITE,
                "test_catalog_has_supported_data_types",
                "CAT always skips it: it leads to too much failures",
                params,
            )
        )

        if not test.validate_primary_keys_data_type:
            results.append(
                skipped(SUITE, "test_primary_keys_data_type", "validate_primary_keys_data_type is false", params)
            )
        else:
            bad = primary_keys_data_type(streams)
            results.append(result(SUITE, "test_primary_keys_data_type", bad, params))

        recorded, source = context.previous_output("catalog", ids.discovery(i))
        disabled = test.backward_compatibility_tests_config.disable_for_version
        if context.previous_version_disabled(disabled):
            results.append(
                skipped(
                    SUITE,
                    "test_backward_compatibility",
                    f"Backward compatibility tests are disabled for version {disabled}.",
                    params,
                )
            )
        elif not recorded:
            results.append(
                skipped(SUITE, "test_backward_compatibility", "no previous recording of the catalog", params)
            )
        elif recorded == catalog:
            results.append(
                skipped(
                    SUITE,
                    "test_backward_compatibility",
                    "The previous and actual discovered catalogs are identical.",
                    params,
                )
            )
        else:
            changes = catalog_breaking_changes(recorded, catalog)
            results.append(
                result(SUITE, "test_backward_compatibility", [f"{c} (compared with {source})" for c in changes], params)
            )
    return results
