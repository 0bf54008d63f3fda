"""CAT's ``test_strictness_level: high`` rules that the config alone decides (``replaykit plan`` lists them;
replay applies them, with the ones that need the recorded catalog, in ``replaykit.checks.strictness``)."""

from __future__ import annotations

from replaykit.acceptance.model import MANDATORY_FOR_HIGH, SUITE_CLASSES, AcceptanceConfig

# --------------------------------------------------------------------------- high strictness


def strictness_violations(config: AcceptanceConfig) -> list[str]:
    """CAT's ``test_strictness_level: high`` rules, with CAT's messages (empty when low)."""
    if config.test_strictness_level != "high":
        return []
    out = []
    for name in MANDATORY_FOR_HIGH:
        if config.suite(name) is None:
            out.append(
                f"{SUITE_CLASSES[name]} failed: it was not configured but must be according to the current "
                "high test strictness level."
            )
    for test in config.tests("basic_read"):
        if not test.validate_schema:
            out.append(
                "High strictness level error: validate_schema must be set to true in the basic read test configuration."
            )
        if test.configured_catalog_path:
            out.append(
                "High strictness level error: you can't set a custom configured catalog on the basic read "
                "test when strictness level is high."
            )
        if test.expect_records is None:
            out.append("High strictness level error: expect_records must be set in the basic read test configuration.")
        if any(not s.bypass_reason for s in test.empty_streams):
            out.append(
                "A bypass_reason must be filled in for all empty streams when test_strictness_level is set to high."
            )
        for names in (test.ignored_fields or {}).values():
            if any(not n.bypass_reason for n in names):
                out.append(
                    "A bypass_reason must be filled in for all ignored fields when test_strictness_level "
                    "is set to high."
                )
                break
    for test in config.tests("full_refresh"):
        for names in (test.ignored_fields or {}).values():
            if any(not n.bypass_reason for n in names):
                out.append(
                    "A bypass_reason must be filled in for all ignored fields when test_strictness_level "
                    "is set to high."
                )
                break
    for test in config.tests("incremental"):
        future = test.future_state
        if future is None or not (future.future_state_path or future.bypass_reason):
            out.append(
                "High test strictness level error: a future state configuration must be provided in high "
                "test strictness level or a bypass reason should be filled."
            )
        elif any(not s.bypass_reason for s in future.missing_streams):
            out.append("High test strictness level error: all missing_streams must have a bypass reason specified.")
    return out
