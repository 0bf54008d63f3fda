"""The check registry: the checks a replay reports, known before replaying (the pytest plugin's items)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from replaykit.checks import FAIL, PASS, SKIP, WARN, CheckResult
from replaykit.checks.registry import PlannedCheck, known_tests, outcomes, planned_checks
from replaykit.plan import load_acceptance_config

ROOT = Path(__file__).resolve().parents[2]
# the real acceptance configs replaykit loads (the others are exit 2: nothing is collected from them)
CORPUS = [
    p
    for p in sorted((ROOT / "tests" / "fixtures" / "acceptance_configs").glob("*.yml"))
    if not p.read_text().startswith("# expect: error")
]


def test_every_test_name_a_suite_module_reports_is_in_the_registry() -> None:
    reported = {
        node.value
        for path in (ROOT / "replaykit" / "checks").glob("*.py")
        if path.name != "registry.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"test_\w+", node.value)
    }
    assert "test_read" in reported  # the scan sees the suites' names
    assert reported - known_tests() == set()


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_planned_ids_are_unique_and_cover_every_suite(path: Path, strict: bool) -> None:
    acceptance = load_acceptance_config(path)
    assert acceptance is not None
    planned = planned_checks(acceptance, path.parent, strict=strict)
    ids = [p.node_id for p in planned]
    assert len(ids) == len(set(ids))  # pytest items need unique ids
    assert {p.suite for p in planned} >= {"spec", "connection", "discovery", "basic_read", "incremental"}


SPEC = [PlannedCheck("spec", "test_enum_usage"), PlannedCheck("spec", "test_oneof_usage")]


def test_each_planned_check_shows_its_result() -> None:
    checks = [CheckResult("spec", "test_enum_usage", PASS), CheckResult("spec", "test_oneof_usage", FAIL, "bad")]
    shown = outcomes(SPEC, checks)
    assert shown == {p.node_id: [c] for p, c in zip(SPEC, checks, strict=True)}


def test_a_suite_level_skip_is_shown_on_each_check_of_its_inputs() -> None:
    shown = outcomes(SPEC, [CheckResult("spec", "*", SKIP, "the spec invocation was not replayed")])
    assert {(c.status, c.message) for found in shown.values() for c in found} == {
        (SKIP, "the spec invocation was not replayed")
    }


def test_a_check_that_stops_its_suite_fails_and_the_others_say_why() -> None:
    stopper = CheckResult("spec", "test_spec", FAIL, "Spec message should be emitted exactly once")
    shown = outcomes(SPEC, [stopper])
    first, second = shown[SPEC[0].node_id], shown[SPEC[1].node_id]
    assert stopper in first  # never dropped: shown on the suite's first check of the same inputs
    assert second[0].status == SKIP
    assert "TestSpec::test_spec[inputs0] failed" in second[0].message


def test_a_finding_reported_only_when_found_is_shown_with_its_suites_check() -> None:
    planned = [PlannedCheck("basic_read", "test_read"), PlannedCheck("basic_read", "test_read", "inputs1")]
    warning = CheckResult("basic_read", "test_fail_on_extra_columns", WARN, "extra fields", "inputs1")
    shown = outcomes(
        planned, [CheckResult("basic_read", "test_read", PASS, params=p.params) for p in planned] + [warning]
    )
    assert shown[planned[1].node_id][-1] == warning
    assert warning not in shown[planned[0].node_id]
