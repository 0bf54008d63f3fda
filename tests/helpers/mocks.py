"""Running and reading the mock-server tests ``replaykit export-mocks`` generates."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import CONNECTOR_PYTEST

RUFF = Path(sys.executable).with_name("ruff")
RULES = "E,F,W,I,B,UP,C4,SIM,RUF,PT,N"


def run_generated(
    connector: Path, *selection: str, timeout: float = 240
) -> tuple[subprocess.CompletedProcess[str], ET.Element]:
    """Plain pytest on the generated tests, in their connector directory, as a connector developer runs them."""
    report = connector / "report.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *CONNECTOR_PYTEST, f"--junitxml={report}", *selection],
        cwd=connector,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    suite = ET.parse(report).getroot()
    return proc, suite if suite.tag == "testsuite" else suite[0]


def outcomes(suite: ET.Element) -> dict[str, str]:
    result = {}
    for case in suite.iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        module, cls = case.get("classname", "").split(".")[-2:]
        result[f"{module}::{cls}::{case.get('name')}"] = "failed" if failed else "passed"
    return result


def digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
