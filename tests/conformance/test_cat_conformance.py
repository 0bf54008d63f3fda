"""CAT's own unit-test cases, fed to replaykit's checks: default mode must give CAT's verdict.

The cases are data (``cases/*.json``, ported by ``port_cat_cases.py`` with the CAT file, test name, case id
and commit of each); ``deviations.yaml`` lists the cases where replaykit deliberately differs, with why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from adapters import ADAPTERS, cat_fails

HERE = Path(__file__).parent
_DATA = yaml.safe_load((HERE / "deviations.yaml").read_text(encoding="utf-8")) or {}
DEVIATIONS: dict[str, str] = _DATA.get("deviations") or {}  # replaykit's verdict differs on purpose
CAT_OUTCOME: dict[str, str] = _DATA.get("cat_outcome") or {}  # CAT's real outcome where the case's flag misleads


def case_key(case: dict[str, Any]) -> str:
    p = case["provenance"]
    return f"{Path(p['file']).name}::{p['test']}[{p['id']}]"


def adapter_for(case: dict[str, Any]) -> Any:
    p = case["provenance"]
    return ADAPTERS.get(f"{p['test']}@{Path(p['file']).stem}") or ADAPTERS.get(p["test"])


def ported_cases() -> list[dict[str, Any]]:
    cases = [c for f in sorted((HERE / "cases").glob("*.json")) for c in json.loads(f.read_text(encoding="utf-8"))]
    return [c for c in cases if adapter_for(c) is not None]


CASES = ported_cases()


def test_at_least_150_cases_are_ported() -> None:
    assert len(CASES) >= 150
    assert all(set(c["provenance"]) == {"file", "test", "id", "commit"} for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case_key(c) for c in CASES])
def test_replaykit_gives_cats_verdict(case: dict[str, Any]) -> None:
    key = case_key(case)
    cat = cat_verdict(case)
    expected = not cat if key in DEVIATIONS else cat  # a documented deviation: replaykit gives the other verdict
    assert adapter_for(case)(case["params"]) is expected, f"{key}: CAT {'fails' if cat else 'passes'}"


def cat_verdict(case: dict[str, Any]) -> bool:
    key = case_key(case)
    if key in CAT_OUTCOME:
        return CAT_OUTCOME[key].startswith("fails")
    return cat_fails(case["params"], case["provenance"]["test"])


def test_every_listed_deviation_is_a_ported_case() -> None:
    keys = {case_key(c) for c in CASES}
    assert set(DEVIATIONS) <= keys
    assert set(CAT_OUTCOME) <= keys
