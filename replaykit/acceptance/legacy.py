"""CAT's legacy layout and keys, migrated to the current model with a warning each."""

from __future__ import annotations

from typing import Any


def _migrate(raw: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """CAT's legacy layout and keys, rewritten to the current model (each with a warning)."""
    data = dict(raw)
    legacy_layout = "tests" in data
    rejected = " (CAT 3.x rejects this key)"
    only_legacy = "" if legacy_layout else " (CAT migrates it only in the legacy root `tests:` layout, else rejects it)"
    if "tests" in data:
        if "acceptance_tests" in data:
            warnings.append(
                "both 'tests:' and 'acceptance_tests:': as CAT, 'tests:' is migrated and replaces the other"
            )
        warnings.append("legacy layout: root 'tests:' migrated to 'acceptance_tests:' (each suite as {tests: [...]})")
        data["acceptance_tests"] = {suite: {"tests": tests} for suite, tests in (data.pop("tests") or {}).items()}
    if "cache_discovered_catalog" in data:
        warnings.append(
            "legacy key 'cache_discovered_catalog' is ignored: replay always uses the recorded catalog" + rejected
        )
    suites = data.get("acceptance_tests")
    if not isinstance(suites, dict):
        return data
    for suite_name, suite in suites.items():
        if not isinstance(suite, dict) or not isinstance(suite.get("tests"), list):
            continue
        for i, test in enumerate(suite["tests"]):
            if not isinstance(test, dict):
                continue
            where = f"acceptance_tests.{suite_name}.tests[{i}]"
            streams = test.get("empty_streams")
            if isinstance(streams, list) and any(isinstance(s, str) for s in streams):
                warnings.append(
                    f"{where}.empty_streams: legacy list of names migrated to [{{name: ...}}]" + only_legacy
                )
                test["empty_streams"] = [{"name": s} if isinstance(s, str) else s for s in streams]
            ignored = test.get("ignored_fields")
            if isinstance(ignored, dict):
                for stream, names in ignored.items():
                    if isinstance(names, list) and any(isinstance(n, str) for n in names):
                        warnings.append(f"{where}.ignored_fields.{stream}: legacy list of names migrated" + only_legacy)
                        ignored[stream] = [{"name": n} if isinstance(n, str) else n for n in names]
                if suite_name == "basic_read":
                    warnings.append(f"{where}.ignored_fields: legacy key, used only by --strict comparisons" + rejected)
            if suite_name == "incremental" and "future_state_path" in test:
                warnings.append(
                    f"{where}.future_state_path: legacy key migrated to future_state.future_state_path" + only_legacy
                )
                test.setdefault("future_state", {})["future_state_path"] = test.pop("future_state_path")
            if suite_name == "incremental" and "state_path" in test:
                warnings.append(
                    f"{where}.state_path: legacy key (SAT <= 0.1.x, June 2021) migrated to "
                    "future_state.future_state_path" + rejected
                )
                test.setdefault("future_state", {}).setdefault("future_state_path", test.pop("state_path"))
            if suite_name == "basic_read" and "validate_output_from_all_streams" in test:
                warnings.append(_all_streams_warning(where, test["validate_output_from_all_streams"]))
            for legacy in ("cursor_paths", "threshold_days"):
                if suite_name == "incremental" and legacy in test:
                    warnings.append(
                        f"{where}.{legacy}: legacy key, used only by --strict cursor comparisons" + rejected
                    )
            expect = test.get("expect_records")
            if isinstance(expect, dict) and ("extra_fields" in expect or "extra_records" in expect):
                warnings.append(
                    f"{where}.expect_records: legacy extra_fields/extra_records, used by --strict" + rejected
                )
    return data


def _all_streams_warning(where: str, value: object) -> str:
    """SAT <= 0.1.12's ``validate_output_from_all_streams`` (replaced by ``empty_streams`` in 0.1.13)."""
    key = f"{where}.validate_output_from_all_streams"
    rejected = " (SAT >= 0.1.13 and CAT reject this key)"
    if value is False or str(value).strip().lower() in ("false", "no", "off", "n", "f", "0"):
        return (
            f"{key}: legacy key (SAT <= 0.1.12, replaced by empty_streams): false let every stream be empty, so "
            "every configured stream is allowed to be empty; list them in empty_streams instead" + rejected
        )
    return (
        f"{key}: legacy key (SAT <= 0.1.12, replaced by empty_streams): true is the current rule (every stream "
        "not in empty_streams must have records); remove the key" + rejected
    )
