"""CAT's ``TestDiscovery`` over the replayed discover invocation (messages are CAT's)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from replaykit.checks import CheckContext, CheckResult, result, skipped
from replaykit.checks.compat import catalog_breaking_changes
from replaykit.checks.schema import has_property_path, property_at, walk

SUITE = "discovery"


def _keyword_present(schema: dict[str, Any], keyword: str) -> bool:
    return any(k == keyword and (len(p) < 2 or p[-2] != "properties") for p, k, _ in walk(schema, ()))


def run(context: CheckContext) -> list[CheckResult]:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import SchemaError

    results: list[CheckResult] = []
    for i, test in enumerate(context.acceptance.tests(SUITE)):
        params = f"inputs{i}"
        output = context.output(f"discovery-{i}")
        if output is None:
            results.append(skipped(SUITE, "*", f"discovery-{i} was not replayed", params))
            continue
        catalog = output.catalog or {}
        streams = catalog.get("streams") or []
        names = [s.get("name") for s in streams]
        duplicates = sorted(n for n, c in Counter(names).items() if c > 1)
        failures = []
        if output.counts.get("CATALOG", 0) != 1:
            failures.append("Catalog message should be emitted exactly once")
        if not streams:
            failures.append("Stream should be at least 1")
        if duplicates:
            failures.append(f"Catalog should have uniquely named streams, duplicates are: {duplicates}")
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

        cursors = []
        for stream in streams:
            cursor = stream.get("default_cursor_field")
            if cursor:
                schema = stream.get("json_schema") or {}
                if "properties" not in schema:
                    cursors.append(f"Top level item should have an 'object' type for {stream['name']} stream schema")
                elif not has_property_path(schema, list(cursor)):
                    cursors.append(
                        f"Some of defined cursor fields {cursor} are not specified in discover schema "
                        f"properties for {stream['name']} stream"
                    )
        results.append(result(SUITE, "test_defined_cursors_exist_in_schema", cursors, params))

        with_refs = [s["name"] for s in streams if any(k == "$ref" for _, k, _ in walk(s.get("json_schema"), ()))]
        results.append(
            result(
                SUITE,
                "test_defined_refs_exist_in_schema",
                [f"Found unresolved `$refs` values for selected streams: {with_refs}."] if with_refs else [],
                params,
            )
        )

        for keyword in ("allOf", "not"):
            found = [s["name"] for s in streams if _keyword_present(s.get("json_schema") or {}, keyword)]
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

        false_additional = [
            s["name"]
            for s in streams
            if any(k == "additionalProperties" and v is False for _, k, v in walk(s.get("json_schema"), ()))
        ]
        results.append(
            result(
                SUITE,
                "test_additional_properties_is_true",
                ["When set, additionalProperties field value must be true for backward compatibility."]
                if false_additional
                else [],
                params,
            )
        )

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
            bad = []
            for stream in streams:
                for pk in stream.get("source_defined_primary_key") or []:
                    definition = property_at(stream.get("json_schema") or {}, list(pk))
                    if definition is None:
                        bad.append(f"Stream {stream['name']} does not have defined primary key in schema")
                        continue
                    types = definition.get("type")
                    forbidden = set(types if isinstance(types, list) else [types]) & {"object", "array"}
                    if forbidden:
                        bad.append(
                            f"Stream {stream['name']} contains primary key with forbidden type of {sorted(forbidden)}"
                        )
            results.append(result(SUITE, "test_primary_keys_data_type", bad, params))

        recorded, source = context.previous_output("catalog", f"discovery-{i}")
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
