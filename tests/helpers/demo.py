"""The bundled demo connector in test variants: copies with its committed recording, edits of its acceptance
config and manifest, and replays read through the JSON report (statuses by check, not counts)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from conftest import ROOT, run_replaykit

DEMO = ROOT / "tools" / "demo" / "source-demo"


def demo_copy(tmp_path: Path, suites: tuple[str, ...], **changes: Any) -> Path:
    """The bundled demo with its committed recording, keeping ``suites`` (recordings of the others are then
    unused and not replayed); ``changes`` update the kept suites' first test entry."""
    connector = tmp_path / "source-demo"
    shutil.copytree(DEMO, connector, ignore=shutil.ignore_patterns("config.json"))
    shutil.copytree(ROOT / "cassettes" / "source-demo", connector / "cassettes")
    edit_acceptance(connector, suites, **changes)
    return connector


def edit_acceptance(connector: Path, suites: tuple[str, ...], **changes: Any) -> None:
    path = connector / "acceptance-test-config.yml"
    data = yaml.safe_load(path.read_text())
    data["test_strictness_level"] = "low"
    data["acceptance_tests"] = {k: v for k, v in data["acceptance_tests"].items() if k in suites}
    for suite in suites:
        data["acceptance_tests"][suite]["tests"][0].update(changes)
    path.write_text(yaml.safe_dump(data))


def edit_manifest(connector: Path, change: Any) -> None:
    path = connector / "manifest.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def unmark_password(connector: Path) -> None:
    """A spec field named like a secret but not marked ``airbyte_secret`` (the spec suite must fail)."""

    def change(manifest: dict[str, Any]) -> None:
        properties = manifest["spec"]["connection_specification"]["properties"]
        properties["password"] = {"type": "string", "order": 9}

    edit_manifest(connector, change)


def events_stream(manifest: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in manifest["streams"] if s.get("name") == "events")


def replay_checks(connector: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """``replaykit replay`` as a user runs it, with its JSON report: the run, and each check's status by CAT id."""
    report = connector.parent / "replay-checks.json"
    report.unlink(missing_ok=True)
    proc = run_replaykit(["replay", "--json", str(report), *args], cwd=connector)
    statuses = {c["id"]: c["status"] for c in json.loads(report.read_text())["checks"]} if report.is_file() else {}
    return proc, statuses


def suite_statuses(statuses: dict[str, str], suite_class: str) -> dict[str, str]:
    """The statuses of one CAT class's checks (``TestBasicRead``), by ``test[params]``."""
    return {k.split("::", 1)[1]: v for k, v in statuses.items() if k.startswith(f"{suite_class}::")}


def record(connector: Path) -> None:
    """Record a variant: its acceptance checks may fail (what the tests then replay: exit 1), its invocations
    must go as the checks expect (else the recording is not saved)."""
    proc = run_replaykit(["record"], cwd=connector)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert "recorded " in proc.stdout, proc.stdout + proc.stderr
    assert "recording NOT saved" not in proc.stdout, proc.stdout + proc.stderr
