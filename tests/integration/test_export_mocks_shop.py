"""``replaykit export-mocks`` on a second connector, paginated unlike the demo: a Python connector (package
``source_shop``, its source class imported by the generated tests) whose orders page by offset and whose
customers page by ``Link`` header, recorded here against ``tests/fixtures/shop_api.py``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_replaykit
from helpers.mocks import RUFF, RULES, digest, outcomes, run_generated

sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from shop_api import ShopAPI

SHOP = ROOT / "tests" / "fixtures" / "source-shop"
KEY = "shop-key-5e2a9c41b7d3"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop connector recorded against the fixture API (stopped right after), then exported."""
    connector = tmp_path_factory.mktemp("shop") / "source-shop"
    shutil.copytree(SHOP, connector)
    with ShopAPI(KEY, lifetime=180) as api:
        config = {"api_key": KEY, "start_date": "2026-09-01T00:00:00Z", "base_url": api.base_url}
        (connector / "secrets").mkdir()
        (connector / "secrets" / "config.json").write_text(json.dumps(config))
        invalid = {**config, "api_key": "not-the-shop-key"}
        (connector / "integration_tests" / "invalid_config.json").write_text(json.dumps(invalid))
        recorded = run_replaykit(["record"], cwd=connector)
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    shutil.rmtree(connector / "secrets")  # the tests below must not need the key
    exported = run_replaykit(["export-mocks"], cwd=connector)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    return connector


def run_shop_tests(connector: Path, *selection: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    # as after `pip install -e .` of the connector: its package is importable
    os.environ["PYTHONPATH"] = str(connector)
    try:
        proc, suite = run_generated(connector, *selection)
    finally:
        del os.environ["PYTHONPATH"]
    return proc, outcomes(suite)


def test_python_connector_source_is_imported(shop: Path) -> None:
    utils = (shop / "unit_tests" / "integration" / "utils.py").read_text()
    assert "from source_shop.source import SourceShop" in utils
    assert "return SourceShop(catalog=catalog, config=config, state=state)" in utils
    orders = json.loads((shop / "unit_tests" / "resource" / "http" / "response" / "orders.json").read_text())
    assert isinstance(orders, list)  # the bare-list body, one record
    assert len(orders) == 1


def test_offset_and_link_header_tests_pass(shop: Path) -> None:
    proc, results = run_shop_tests(shop, "unit_tests")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert set(results.values()) == {"passed"}
    assert {
        "test_orders::TestFullRefresh::test_given_two_pages_when_read_then_return_records",
        "test_orders::TestIncremental::test_given_state_when_read_then_use_state_for_query_params",
        "test_customers::TestFullRefresh::test_given_two_pages_when_read_then_return_records",
        "test_customers::TestFullRefresh::test_given_recorded_pages_when_read_then_return_recorded_count",
    } <= set(results)
    customers = (shop / "unit_tests" / "integration" / "test_customers.py").read_text()
    assert "_page(1, next_link)" in customers  # the Link header of the recorded first page
    orders = (shop / "unit_tests" / "integration" / "test_orders.py").read_text()
    assert "_request().with_offset(3).build()" in orders


def test_broken_offset_link_and_cursor_handling_fail_their_tests(shop: Path, tmp_path: Path) -> None:
    connector = tmp_path / "source-shop"
    shutil.copytree(shop, connector, ignore=shutil.ignore_patterns("__pycache__", "report.xml"))
    manifest = connector / "source_shop" / "manifest.yaml"
    text = manifest.read_text()
    for old, new in [
        ("type: OffsetIncrement", "type: PageIncrement"),
        ("stop_condition: \"{{ 'next' not in headers['link'] }}\"", 'stop_condition: "{{ True }}"'),
        ("cursor_field: updated_at", "cursor_field: status"),
    ]:
        assert old in text
        text = text.replace(old, new)
    manifest.write_text(text)
    proc, results = run_shop_tests(connector, "unit_tests")
    assert proc.returncode == 1
    assert {name for name, outcome in results.items() if outcome == "failed"} == {
        "test_orders::TestFullRefresh::test_given_two_pages_when_read_then_return_records",
        "test_orders::TestFullRefresh::test_given_recorded_pages_when_read_then_return_recorded_count",
        "test_orders::TestIncremental::test_given_no_state_when_read_then_return_state",
        "test_orders::TestIncremental::test_given_state_when_read_then_use_state_for_query_params",
        "test_customers::TestFullRefresh::test_given_two_pages_when_read_then_return_records",
        "test_customers::TestFullRefresh::test_given_recorded_pages_when_read_then_return_recorded_count",
    }


def test_regenerated_byte_for_byte_ruff_clean_and_secret_free(shop: Path) -> None:
    tests = shop / "unit_tests"
    before = digest(tests)
    assert run_replaykit(["export-mocks"], cwd=shop).returncode == 0
    assert digest(tests) == before
    check = subprocess.run(
        [str(RUFF), "check", "--select", RULES, "unit_tests"], cwd=shop, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run(
        [str(RUFF), "format", "--check", "unit_tests"], cwd=shop, capture_output=True, text=True, check=False
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    files = [str(p) for p in sorted(tests.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    scan = run_replaykit(["scan", *files], cwd=shop)
    assert scan.returncode == 0, scan.stdout
    assert KEY not in "".join(Path(f).read_text() for f in files)
