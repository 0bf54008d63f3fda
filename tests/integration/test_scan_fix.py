"""`replaykit scan` finds the planted formats wherever replaykit writes (cassette text, gzip `!!binary` bodies,
expected records, state snapshots), `--fix` leaves a clean rescan, and the demo recording has no false positive."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_replaykit
from replaykit.scan_policy import is_replaykit_file

DEMO = ROOT / "cassettes" / "source-demo"
# Planted values, assembled at run time so that this file holds none of them whole.
PEM = (
    "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3x9Kq8Lm2Np4Rt6Vw8Yz0Bc2De4Fg6Hi8Jk0Lm2\n"
    "Np4Rt6Vw8Yz0Bc2De4Fg6Hi8Jk0Lm2Np4Rt6Vw8Yz0Bc2De4Fg6Hi8Jk0Lm2\n-----END RSA " + "PRIVATE KEY-----\n"
)
JWT = (
    "eyJhbGciOiJIUzI1NiJ9."
    + "eyJzdWIiOiJyZXBsYXlraXQtdGVzdCIsImlhdCI6MTcwMDAwMDAwMH0."
    + "Qm9ndXNTaWduYXR1cmVfMTIzNDU2Nzg5MGFiY2RlZg"
)
GOOGLE = "AIza" + "SyD4x7Qm2Lp9Rt5Vw3Yz8Bc1De6Fg0Hi2Jk"
GITHUB = "gh" + "p_" + "Zq8XwV2nR5tY7uI1oP3aS4dF6gH9jK0lM2xC"
MATERIAL = "MIIEpAIBAAKCAQEA3x9Kq8Lm2Np4Rt6Vw8Yz0Bc2De4Fg6Hi8Jk0Lm2"
SIGNATURE = "Qm9ndXNTaWduYXR1cmVfMTIzNDU2Nzg5MGFiY2RlZg"


def planted_connector(tmp_path: Path) -> Path:
    """A connector directory whose recording holds a planted secret in every place replaykit writes."""
    connector = tmp_path / "source-x"
    cassettes = connector / "cassettes"
    shutil.copytree(DEMO, cassettes)
    (connector / "integration_tests").mkdir(parents=True)
    (connector / "acceptance-test-config.yml").write_text(
        "connector_image: x:dev\nacceptance_tests:\n  basic_read:\n    tests:\n"
        "      - config_path: secrets/config.json\n"
        "        expect_records:\n          path: integration_tests/expected_records.jsonl\n"
    )
    (connector / "manifest.yaml").write_text((ROOT / "tools" / "demo" / "source-demo" / "manifest.yaml").read_text())
    cassette = cassettes / "basic_read-0.yaml"
    data = yaml.safe_load(cassette.read_text())
    body = json.dumps({"key": PEM, "jwt": JWT, "google": GOOGLE})
    data["interactions"][0]["response"]["body"]["string"] = body  # YAML folds the long PEM line
    data["interactions"][1]["response"]["body"]["string"] = gzip.compress(json.dumps({"t": GITHUB}).encode())
    data["interactions"][1]["response"]["headers"]["Content-Encoding"] = ["gzip"]
    cassette.write_text(yaml.safe_dump(data))
    state = next((cassettes / "states").glob("*.json"))
    state.write_text(json.dumps({"events": {"cursor": "x", "token": JWT}}))
    expected = connector / "integration_tests" / "expected_records.jsonl"
    expected.write_text(json.dumps({"stream": "events", "data": {"google": GOOGLE}, "emitted_at": 0}) + "\n")
    return connector


def test_scan_finds_every_planted_format_in_every_place(tmp_path: Path) -> None:
    connector = planted_connector(tmp_path)
    proc = run_replaykit(["scan"], cwd=connector)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    for rule in ("Private Key", "JSON Web Token", "Google API Key", "GitHub Token"):
        assert rule in out
    assert "(in a decoded binary body)" in out
    assert "expected_records.jsonl:1: Google API Key" in out
    assert "states/" in out
    for value in (GOOGLE, GITHUB, MATERIAL, SIGNATURE):
        assert value not in out + proc.stderr


def test_fix_leaves_a_clean_rescan_and_loadable_cassettes(tmp_path: Path) -> None:
    connector = planted_connector(tmp_path)
    fixed = run_replaykit(["scan", "--fix"], cwd=connector)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert run_replaykit(["scan"], cwd=connector).returncode == 0
    text = "".join(p.read_text(errors="replace") for p in connector.rglob("*") if p.is_file())
    for value in (GOOGLE, MATERIAL, SIGNATURE, "BEGIN RSA"):
        assert value not in text
    from replaykit._vcr import load_cassette

    loaded = load_cassette(connector / "cassettes" / "basic_read-0.yaml")
    body = loaded.interactions[1][1]["body"]["string"]
    assert GITHUB.encode() not in gzip.decompress(body)
    assert b"**REDACTED:github_token**" in gzip.decompress(body)


def test_a_missing_cassette_dir_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_replaykit(["scan"], cwd=tmp_path)
    assert proc.returncode == 2
    assert str(tmp_path / "cassettes") in proc.stderr


def test_the_demo_recording_has_no_false_positive() -> None:
    proc = run_replaykit(["scan"], cwd=ROOT)  # [tool.replaykit] of this repository: the demo recording
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("elsewhere/recordings/basic_read-0.yaml", True),  # a cassette in a custom cassette_dir
        ("elsewhere/recordings/index.json", True),
        ("elsewhere/recordings/states/read.json", True),
        ("integration_tests/expected_records.jsonl", True),
        (".cassettes.staging-abc/basic_read-0.yaml", True),
        (".cassettes.previous/index.json", True),
        ("integration_tests/.expected_records.jsonl.staged", True),
        (".github/workflows/ci.yaml", False),
        ("package.json", False),
    ],
)
def test_the_hook_picks_what_replaykit_writes_wherever_it_is(tmp_path: Path, relative: str, expected: bool) -> None:
    recordings = tmp_path / "elsewhere" / "recordings"
    (recordings / "states").mkdir(parents=True)
    (recordings / "replay_config.json").write_text("{}")
    (recordings / "index.json").write_text("{}")
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("interactions:\n- request: {}\n" if path.suffix == ".yaml" and "ci" not in path.name else "{}")
    assert is_replaykit_file(path) is expected
    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]

    assert re.search(hook["files"], relative)


@pytest.mark.parametrize("style", ['"', "'", None])
def test_a_pem_header_folded_across_yaml_lines_is_found_and_fixed(tmp_path: Path, style: str | None) -> None:
    from replaykit.scan import scan_text
    from replaykit.scan_fix import fix_file
    from replaykit.scrub import Scrubber

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"body": json.dumps({"key": PEM})}, width=24, default_style=style))
    text = path.read_text()
    assert "BEGIN RSA PRIVATE KEY" not in text  # folded
    findings = scan_text(str(path), text, Scrubber())
    assert [f.rule for f in findings if f.rule == "Private Key"] == ["Private Key"]
    fix_file(path, findings, Scrubber())
    fixed = path.read_text()
    assert scan_text(str(path), fixed, Scrubber()) == []
    assert MATERIAL[:20] not in yaml.safe_load(fixed)["body"]
