"""replaykit next to airbyte-cdk 6: the lowest CDK of the `cdk` extra, with pendulum 2 (which source-stripe,
source-slack and source-hubspot pin next to CDK 6.61), in a venv of its own, replays the committed demo (recorded
with CDK 7; CAT's date-time rule parses with pendulum) and rewrites nothing but the index's connector fingerprint.

The venv is `.venv-cdk6/` (tests/helpers/venvs.py); its first build needs PyPI; deselect with `-m 'not cdk6'`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, demo_copy
from helpers.venvs import scratch_venv

CDK6 = "airbyte-cdk==6.39.0"  # the lower bound of the `cdk` extra (pyproject.toml, replaykit/cdk_compat.py)
PENDULUM2 = "pendulum==2.1.2"  # the lower bound of replaykit's own pendulum requirement
VENV = ROOT / ".venv-cdk6"

pytestmark = pytest.mark.cdk6


def cdk6_venv() -> Path:
    return scratch_venv("cdk6", [CDK6, PENDULUM2], extra="cdk")


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def without_fingerprint(index: bytes) -> dict[str, object]:
    data = json.loads(index)
    data["connector"].pop("fingerprint", None)  # a digest of the connector files and the CDK version
    return dict(data)


def test_the_demo_replays_byte_for_byte_next_to_cdk6(tmp_path: Path) -> None:
    python = cdk6_venv()
    site = next(VENV.glob("lib/python*/site-packages"))
    for requirement in (CDK6, PENDULUM2):
        assert (site / "{}-{}.dist-info".format(*requirement.replace("-", "_").split("=="))).is_dir(), requirement
    root = demo_copy(tmp_path)
    before = files_of(root)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    proc = subprocess.run(
        [str(python.parent / "replaykit"), "replay", "--update"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "replay updated: --update accepted 0 invocation(s), rewrote 0 snapshot file(s)" in proc.stdout
    after = files_of(root)
    index = "cassettes/source-demo/index.json"
    assert without_fingerprint(after.pop(index)) == without_fingerprint(before.pop(index))
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert changed == []  # expected records, state snapshots, cassettes: byte for byte
