"""The hook, installed with the real pre-commit into a temporary git repository, guards real commits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

CASSETTE = ROOT / "cassettes" / "source-demo" / "basic_read-0.yaml"
PLANTED = "planted-key-4c9d2e7f1a"


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
    }
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=check, timeout=600)


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """replaykit as pre-commit sees a hook repository: the working tree committed at some revision."""
    if shutil.which("git") is None:
        pytest.fail("git is needed for the pre-commit hook test")
    source = tmp_path_factory.mktemp("hook-source") / "replaykit"
    ignore = shutil.ignore_patterns(
        ".venv",
        ".git",
        "__pycache__",
        "*.egg-info",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "tests",
        "cassettes",
        "tools",
    )
    shutil.copytree(ROOT, source, ignore=ignore)
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "hook source")
    return source, git(source, "rev-parse", "HEAD").stdout.strip()


def test_commit_with_a_planted_secret_is_refused_and_a_clean_one_passes(
    tmp_path: Path, hook_source: tuple[Path, str]
) -> None:
    source, rev = hook_source
    repo = tmp_path / "connector"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: replaykit-scan\n"
    )
    (repo / ".gitignore").write_text("secrets/\n")
    (repo / "secrets").mkdir()
    (repo / "secrets" / "config.json").write_text(json.dumps({"api_key": PLANTED}))
    pre_commit = [sys.executable, "-m", "pre_commit"]
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    subprocess.run([*pre_commit, "install"], cwd=repo, check=True, capture_output=True, env=env, timeout=120)
    git(repo, "add", ".pre-commit-config.yaml", ".gitignore")
    git(repo, "commit", "-q", "-m", "config", "--no-verify")

    cassettes = repo / "cassettes"
    cassettes.mkdir()
    leaky = CASSETTE.read_text().replace("**REDACTED:api_key**", PLANTED, 1)
    (cassettes / "read.yaml").write_text(leaky)
    git(repo, "add", "cassettes/read.yaml")
    refused = git(repo, "commit", "-m", "leaky cassette", check=False)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    output = refused.stdout + refused.stderr
    assert "cassettes/read.yaml:" in output
    assert "known-secret" in output
    assert PLANTED not in output
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    (cassettes / "read.yaml").write_text(CASSETTE.read_text())
    git(repo, "add", "cassettes/read.yaml")
    accepted = git(repo, "commit", "-m", "clean cassette", check=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "2"
