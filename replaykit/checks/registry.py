"""Which checks a replay reports, known from the acceptance config alone (before anything is replayed).

The pytest plugin collects one item per planned check, then shows on each what the replay found
(:func:`outcomes`). A planned check is one the suites run whatever the connector outputs; what depends on
the outputs is mapped onto them:

- a suite whose invocation was not replayed reports one ``*`` skip: each of its planned checks shows it;
- a check that stops a suite early (``test_spec`` with no spec message, ``test_discover`` with no stream):
  the checks it stopped are skipped, naming it;
- a finding beyond CAT reported only when found (default mode: ``test_fail_on_extra_columns``,
  ``test_sequential_reads_records``) is shown on its suite's first check of the same inputs.

``tests/unit/test_check_registry.py`` keeps this list and the suite modules in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replaykit.acceptance import SUITE_CLASSES, AcceptanceConfig
from replaykit.checks import FAIL, SKIP, SUITES, CheckResult

SPEC_TESTS = (
    "test_enum_usage",
    "test_oneof_usage",
    "test_secret_is_properly_marked",
    "test_property_type_is_not_array",
    "test_object_not_empty",
    "test_array_type",
    "test_forbidden_complex_types",
    "test_duplicate_order",
    "test_nested_group",
    "test_display_type",
    "test_defined_refs_exist_in_json_spec_file",
    "test_additional_properties_is_true",
    "test_oauth_is_default_method",
    "test_date_format",
    "test_oauth_flow_parameters",
    "test_match_expected",
    "test_config_match_spec",
    "test_backward_compatibility",
    "test_image_labels",
    "test_image_environment_variables",
)
DISCOVERY_TESTS = (
    ("test_discover", ""),
    ("test_streams_have_valid_json_schemas", ""),
    ("test_defined_cursors_exist_in_schema", ""),
    ("test_defined_refs_exist_in_schema", ""),
    ("test_defined_keyword_exist_in_schema", "-allOf"),
    ("test_defined_keyword_exist_in_schema", "-not"),
    ("test_primary_keys_exist_in_schema", ""),
    ("test_streams_has_sync_modes", ""),
    ("test_additional_properties_is_true", ""),
    ("test_catalog_has_supported_data_types", ""),
    ("test_primary_keys_data_type", ""),
    ("test_backward_compatibility", ""),
)
ATTRIBUTES_TESTS = (
    "test_streams_define_primary_key",
    "test_certified_connector_has_allowed_hosts",
    "test_certified_connector_has_suggested_streams",
)
FILE_TYPES_TEST = "test_all_supported_file_types_present"
CONNECTION_TESTS = ("test_check",)
# basic_read: (test, planned when) - "strict" / "strict and expect_records": reported only when found otherwise
BASIC_READ_TESTS = (
    ("test_read", "always"),
    ("test_fail_on_extra_columns", "strict"),
    ("test_expected_records_whole", "strict and expect_records"),
    ("test_airbyte_trace_message_on_failure", "always"),
)
FULL_REFRESH_TESTS = (("test_sequential_reads", "always"), ("test_sequential_reads_records", "strict"))
INCREMENTAL_TESTS = (
    "test_two_sequential_reads",
    "test_read_sequential_slices",
    "test_state_with_abnormally_large_values",
)
STOPPERS = ("test_spec",)  # reported instead of its suite's checks (no spec message): never planned


def known_tests() -> set[str]:
    """Every test name a suite module may report."""
    pairs = (*DISCOVERY_TESTS, *BASIC_READ_TESTS, *FULL_REFRESH_TESTS)
    singles = (*SPEC_TESTS, *ATTRIBUTES_TESTS, FILE_TYPES_TEST, *CONNECTION_TESTS, *INCREMENTAL_TESTS, *STOPPERS)
    return {*singles, *(name for name, _ in pairs)}


@dataclass(frozen=True)
class PlannedCheck:
    suite: str
    test: str
    params: str = "inputs0"

    @property
    def node_id(self) -> str:
        return f"{SUITE_CLASSES[self.suite]}::{self.test}[{self.params}]"


def planned_checks(acceptance: AcceptanceConfig, connector_dir: Path, *, strict: bool) -> list[PlannedCheck]:
    """The checks ``run_suites`` reports for this config, in its order (ids as ``CheckResult.node_id``)."""
    out: list[PlannedCheck] = []
    for name in SUITES:
        suite = acceptance.suite(name)
        if suite is None or suite.tests is None:  # not configured, or bypassed: one suite-level result
            out.append(PlannedCheck(name, "*"))
            continue
        tests = acceptance.tests(name)
        if name == "connector_attributes":
            tests = tests or [None]
        for i, test in enumerate(tests):
            out.extend(PlannedCheck(name, t, p) for t, p in _tests(name, test, strict, f"inputs{i}"))
        if name == "basic_read" and _file_based(connector_dir):
            out.extend(PlannedCheck(name, FILE_TYPES_TEST, f"inputs{i}") for i in range(len(tests)))
    return out


def _tests(suite: str, test: Any, strict: bool, params: str) -> list[tuple[str, str]]:
    if suite == "discovery":
        return [(t, params + suffix) for t, suffix in DISCOVERY_TESTS]
    if suite in ("basic_read", "full_refresh"):
        expect_records = suite == "basic_read" and test.expect_records is not None and bool(test.expect_records.path)
        conditions = {
            "always": True,
            "strict": strict and (suite != "basic_read" or test.fail_on_extra_columns),
            "strict and expect_records": strict and expect_records,
        }
        table = BASIC_READ_TESTS if suite == "basic_read" else FULL_REFRESH_TESTS
        return [(t, params) for t, when in table if conditions[when]]
    names = {"spec": SPEC_TESTS, "connection": CONNECTION_TESTS, "incremental": INCREMENTAL_TESTS}
    return [(t, params) for t in names.get(suite, ATTRIBUTES_TESTS)]


def _file_based(connector_dir: Path) -> bool:
    from replaykit.checks.metadata import load_metadata

    return (load_metadata(connector_dir).get("data") or {}).get("connectorSubtype") == "file"


def outcomes(planned: list[PlannedCheck], checks: list[CheckResult]) -> dict[str, list[CheckResult]]:
    """What each planned check shows: the replay's result of that id first, then any result no planned id
    names, on the first planned check of its suite and inputs (none is ever dropped)."""
    by_id: dict[str, list[CheckResult]] = {}
    for check in checks:
        by_id.setdefault(check.node_id, []).append(check)
    shown = {p.node_id: by_id.pop(p.node_id, []) for p in planned}
    leftovers = [c for found in by_id.values() for c in found]
    for p in planned:  # a suite-level skip or a check that stopped the suite: the others show why
        if not shown[p.node_id]:
            shown[p.node_id] = [_not_run(p, checks)]
    for check in leftovers:
        if check.test == "*" and any(_same_inputs(p, check) for p in planned):
            continue  # shown above, on each check of its suite and inputs
        home = next((p for p in planned if _same_inputs(p, check)), None)
        home = home or next((p for p in planned if p.suite == check.suite), None) or (planned[0] if planned else None)
        if home is not None:
            shown[home.node_id].append(check)
    return shown


def _same_inputs(planned: PlannedCheck, check: CheckResult) -> bool:
    return planned.suite == check.suite and planned.params.split("-")[0] == check.params.split("-")[0]


def _not_run(planned: PlannedCheck, checks: list[CheckResult]) -> CheckResult:
    suite = [c for c in checks if _same_inputs(planned, c)]
    whole = next((c for c in suite if c.test == "*"), None)
    if whole is not None:
        return CheckResult(planned.suite, planned.test, whole.status, whole.message, planned.params)
    stopper = next((c for c in suite if c.status == FAIL), None) or (suite[-1] if suite else None)
    reason = f"{stopper.node_id} {stopper.status}" if stopper is not None else "its suite reported nothing"
    return CheckResult(planned.suite, planned.test, SKIP, f"not run on the replayed outputs: {reason}", planned.params)
