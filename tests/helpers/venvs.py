"""Venvs of their own for tests that run replaykit next to other packages from PyPI (an older airbyte-cdk, a
real connector): ``.venv-<name>/`` at the repository root (git-ignored), built with uv on the first run and kept
while its key (the requirements, pyproject.toml, the Python) holds.  replaykit is installed editable from the
repository, so code changes need no rebuild.  The first run needs PyPI."""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def _run(args: list[str], what: str) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        pytest.fail(
            f"{what} failed (exit {proc.returncode}): {' '.join(args)}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}\n"
            "This venv is built from PyPI; offline, deselect the test with -m 'not cdk6 and not pypi'.",
            pytrace=False,
        )


def scratch_venv(name: str, requirements: list[str], extra: str = "") -> Path:
    """The Python of ``.venv-<name>/`` holding ``requirements`` and replaykit (``extra``: replaykit's extra, e.g.
    ``cdk``), built (or rebuilt, when the key changed) under a lock that concurrent xdist workers share."""
    from uv import find_uv_bin

    venv = ROOT / f".venv-{name}"
    pyproject = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    key = json.dumps({"requirement": requirements, "pyproject": pyproject, "python": sys.version}, sort_keys=True)
    stamp = venv / "replaykit-key.json"
    python = venv / "bin" / "python"
    with open(ROOT / f".venv-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text() == key and python.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        uv = find_uv_bin()
        _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], f"creating {venv.name}")
        replaykit = f"{ROOT}[{extra}]" if extra else str(ROOT)
        install = [uv, "pip", "install", "--quiet", "--python", str(python), *requirements, "--editable", replaykit]
        _run(install, f"installing {', '.join(requirements)} and replaykit into {venv.name}")
        stamp.write_text(key)
    return python
