"""CAT's ``TestConnectorAttributes`` (certified connectors, ``metadata.yaml`` ``ab_internal.ql >= 400``) and
``TestBasicRead::test_all_supported_file_types_present`` (certified file-based connectors)."""

from __future__ import annotations

import os
from typing import Any

from replaykit import invocation_ids as ids
from replaykit.checks import CheckContext, CheckResult, result, skipped
from replaykit.checks.metadata import certified, certified_file_based, load_metadata

SUITE = "connector_attributes"
NOT_CERTIFIED = "Skipping operational connector certification test for uncertified connector"
STRUCTURED = {".avro", ".csv", ".jsonl", ".parquet"}
UNSTRUCTURED = {".pdf", ".doc", ".docx", ".ppt", ".pptx", ".md"}


def streams_without_primary_key(streams: list[dict[str, Any]], excluded: list[str]) -> list[str]:
    missing = {str(s.get("name")) for s in streams if not s.get("source_defined_primary_key")} - set(excluded)
    if missing:
        quoted = ", ".join(sorted(f"'{name}'" for name in missing))
        return [f"The following streams {quoted} do not define a primary_key"]
    return []


def allowed_hosts(metadata: dict[str, Any]) -> list[str]:
    data = metadata.get("data") or {}
    if "allowedHosts" not in data:
        return ["The `allowedHosts` property is missing in `metadata.data` for `metadata.yaml`."]
    hosts_config = data.get("allowedHosts") or {}
    if "hosts" not in hosts_config:
        return ["The `hosts` property is missing in `metadata.data.allowedHosts` for `metadata.yaml`."]
    if not hosts_config.get("hosts"):
        return [
            "The `hosts` empty list is not allowed for `metadata.data.allowedHosts` for certified connectors. "
            "Please add `hosts` or define the `allowed_hosts.bypass_reason` in `acceptance-test-config.yaml`."
        ]
    return []


def suggested_streams(metadata: dict[str, Any]) -> list[str]:
    data = metadata.get("data") or {}
    if "suggestedStreams" not in data:
        return ["The `suggestedStreams` property is missing in `metadata.data` for `metadata.yaml`."]
    suggested = data.get("suggestedStreams") or {}
    if "streams" not in suggested:
        return ["The `streams` property is missing in `metadata.data.suggestedStreams` for `metadata.yaml`."]
    if not suggested.get("streams"):
        return [
            "The `streams` empty list is not allowed for `metadata.data.suggestedStreams` for certified connectors."
        ]
    return []


def file_types_problems(found: set[str], unsupported: list[str]) -> list[str]:
    structured = STRUCTURED - {u.casefold() for u in unsupported}
    unstructured = UNSTRUCTURED - {u.casefold() for u in unsupported}
    missing_structured, missing_unstructured = structured - found, unstructured - found
    if missing_structured or len(missing_unstructured) == len(unstructured):
        return [
            "Please make sure you added files with the following supported structured types "
            f"{missing_structured} and at least one with unstructured type {unstructured} to the test account or "
            "add them to the `file_types -> unsupported_types` list in config."
        ]
    return []


def file_types_check(context: CheckContext) -> list[CheckResult]:
    """``test_all_supported_file_types_present`` over the basic reads' ``_ab_source_file_url`` extensions."""
    metadata = load_metadata(context.connector_dir)
    out = []
    for i, test in enumerate(context.acceptance.tests("basic_read")):
        params = f"inputs{i}"
        if (metadata.get("data") or {}).get("connectorSubtype") != "file":
            continue  # CAT skips it; not reported for connectors that are not file-based
        if not certified_file_based(metadata) or test.file_types.skip_test:
            suffix = (
                ""
                if certified_file_based(metadata)
                else " as it is only applicable for certified file-based connectors"
            )
            out.append(
                skipped(
                    "basic_read",
                    "test_all_supported_file_types_present",
                    f"Skipping the test for supported file types{suffix}.",
                    params,
                )
            )
            continue
        found: set[str] = set()
        for j in range(len(context.acceptance.tests("basic_read"))):
            output = context.output(ids.basic_read(j))
            for record in output.records if output else []:
                url = str((record.get("data") or {}).get("_ab_source_file_url", ""))
                found.add(os.path.splitext(url)[1].casefold())
        unsupported = [u.extension for u in test.file_types.unsupported_types or []]
        out.append(
            result(
                "basic_read", "test_all_supported_file_types_present", file_types_problems(found, unsupported), params
            )
        )
    return out


def run(context: CheckContext) -> list[CheckResult]:
    metadata = load_metadata(context.connector_dir)
    results: list[CheckResult] = []
    discovered = context.discovered()
    streams = list(((discovered.catalog if discovered else None) or {}).get("streams") or [])
    for i, test in enumerate(context.acceptance.tests(SUITE) or [None]):
        params = f"inputs{i}"
        if not certified(metadata):
            for name in (
                "test_streams_define_primary_key",
                "test_certified_connector_has_allowed_hosts",
                "test_certified_connector_has_suggested_streams",
            ):
                results.append(skipped(SUITE, name, NOT_CERTIFIED, params))
            continue
        if discovered is None:
            results.append(
                skipped(SUITE, "test_streams_define_primary_key", f"{ids.discovery().id} was not replayed", params)
            )
        else:
            excluded = [s.name for s in (getattr(test, "streams_without_primary_key", None) or [])]
            results.append(
                result(SUITE, "test_streams_define_primary_key", streams_without_primary_key(streams, excluded), params)
            )
        for name, check, option in (
            ("test_certified_connector_has_allowed_hosts", allowed_hosts, "allowed_hosts"),
            ("test_certified_connector_has_suggested_streams", suggested_streams, "suggested_streams"),
        ):
            bypass = getattr(getattr(test, option, None), "bypass_reason", None)
            label = "metadata.allowedHosts" if option == "allowed_hosts" else "metadata.suggestedStreams"
            if bypass:
                results.append(skipped(SUITE, name, f"Skipping `{label}` checks. Reason: {bypass}", params))
            else:
                results.append(result(SUITE, name, check(metadata), params))
    return results
