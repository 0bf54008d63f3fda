"""The project's own checks: ruff, mypy, and the layering rule (the core never imports the shells or pytest)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHELLS = {"cli", "__main__", "__init__", "pytest_plugin"}
CORE = sorted(p.stem for p in (ROOT / "replaykit").glob("*.py") if p.stem not in SHELLS)


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "ruff", "check", "."],
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        [sys.executable, "-m", "mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_passes(command: list[str]) -> None:
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_core_never_imports_pytest_or_the_cli() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE!r}:\n"
        "    __import__('replaykit.' + name)\n"
        "bad = sorted(m for m in sys.modules if m == 'pytest' or m.startswith(('_pytest', 'replaykit.cli')))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert proc.stdout.strip() == ""
    assert len(CORE) > 10


def test_core_never_prints() -> None:
    offenders = [
        f"{p.name}:{n}"
        for p in (ROOT / "replaykit").glob("*.py")
        if p.stem not in {"cli", "__main__"}
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if line.lstrip().startswith("print(")
    ]
    assert offenders == []
