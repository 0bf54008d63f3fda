"""Which config files hold secrets (``--config``, ``secrets/``, git-ignored) and which are public (committed)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from replaykit.scan import Finding
from replaykit.scrub import Scrubber, Secret
from replaykit.secret_sources import CommittedValues, PublicConfigs, git_ignored, judge

REAL = "real-key-5e0c1d2b"


@pytest.fixture(autouse=True)
def _no_repository_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git looks no higher than tmp_path: a test directory is in a work tree only when the test makes one."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def write(path: Path, config: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def git(directory: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True)


def test_in_a_git_work_tree_ignored_files_hold_secrets_and_the_others_are_public(tmp_path: Path) -> None:
    connector = tmp_path / "source-x"
    connector.mkdir()
    git(connector, "init", "-q")
    (connector / ".gitignore").write_text("secrets/\n*.local.json\n", encoding="utf-8")
    invalid = write(connector / "integration_tests" / "invalid_config.json", {"apikey": "apikey"})
    local = write(connector / "integration_tests" / "mine.local.json", {"apikey": REAL})
    in_secrets = write(connector / "secrets" / "invalid.json", {"apikey": "x"})
    forced = write(connector / "integration_tests" / "forced.local.json", {"apikey": "y"})
    git(connector, "add", "-f", "integration_tests/forced.local.json")  # tracked: committed, whatever .gitignore says
    main = write(connector / "integration_tests" / "sample_config.json", {"apikey": REAL})

    assert git_ignored(local) is True
    assert git_ignored(invalid) is False
    assert [(judge(p, connector, main).secret, judge(p, connector, main).why) for p in (invalid, forced)] == [
        (False, "committed (not git-ignored)"),
        (False, "committed (not git-ignored)"),
    ]
    assert judge(local, connector, main).why == "git-ignored"
    assert judge(in_secrets, connector, main).why == "under secrets/"
    assert judge(main, connector, main).why == "the --config file"  # committed or not: the user named it


def test_outside_a_git_work_tree_only_secrets_and_the_main_config_hold_secrets(tmp_path: Path) -> None:
    connector = tmp_path / "source-x"
    invalid = write(connector / "integration_tests" / "invalid_config.json", {"apikey": "apikey"})
    in_secrets = write(connector / "secrets" / "config.json", {"apikey": REAL})
    assert git_ignored(invalid) is None
    assert judge(invalid, connector).secret is False
    assert judge(invalid, connector).why == "outside secrets/ (and not in a git work tree to ask)"
    assert judge(in_secrets, connector).secret is True
    assert judge(invalid, connector, main_config=invalid).secret is True


def test_without_git_on_the_path_git_cannot_tell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    path = write(tmp_path / "config.json", {})
    assert git_ignored(path) is None
    assert judge(path, tmp_path).secret is False


def test_a_public_file_names_its_secret_looking_fields_but_a_reused_real_secret_stays_secret(tmp_path: Path) -> None:
    path = write(tmp_path / "integration_tests" / "invalid.json", {})
    public = PublicConfigs(tmp_path, None)
    config = {
        "apikey": "apikey",
        "token": REAL,
        "credentials": {"username": "ada", "password": "pw"},
        "start_date": "2020-01-01",
    }
    spec = {"properties": {"start_date": {"type": "string"}, "site": {"airbyte_secret": True}}}
    public.add(path, config | {"site": "example"}, spec, ["start_date"])
    known = Scrubber([Secret("token", REAL)])
    notes = public.notes(known)
    assert notes == [
        "integration_tests/invalid.json is outside secrets/ (and not in a git work tree to ask), so its fields "
        "'apikey', 'password', 'start_date', 'site' are public: recorded as is, not scrubbed"
    ]
    assert REAL not in public.values(known)
    assert {"apikey", "pw", "2020-01-01", "example"} <= set(public.values(known))
    assert "YWRhOnB3" in public.values(known)  # base64("ada:pw"), as Basic auth sends them: public too


def test_scan_leaves_committed_values_out_but_never_a_known_secret(tmp_path: Path) -> None:
    connector = tmp_path / "source-x"
    (connector / "acceptance-test-config.yml").parent.mkdir(parents=True)
    (connector / "acceptance-test-config.yml").write_text(
        "connector_image: x\nacceptance_tests:\n  connection:\n    tests:\n"
        "      - config_path: secrets/config.json\n        status: succeed\n"
        "      - config_path: integration_tests/invalid.json\n        status: failed\n",
        encoding="utf-8",
    )
    write(connector / "secrets" / "config.json", {"apikey": REAL})
    write(connector / "integration_tests" / "invalid.json", {"apikey": "dummy/Zx9Q7wK2pLm4vB", "reused": REAL})
    cassette = connector / "cassettes" / "connection-1.json"
    known = Scrubber([Secret("apikey", REAL)])
    committed = CommittedValues.near([cassette], tmp_path, known)
    assert "dummy/Zx9Q7wK2pLm4vB" in committed.values
    assert REAL not in committed.values
    found = [
        Finding(str(cassette), 7, "high-entropy-value", "x", "dummy%2FZx9Q7wK2pLm4vB"),
        Finding(str(cassette), 8, "high-entropy-value", "x", REAL),
        Finding(str(cassette), 9, "known-secret", "x", "dummy/Zx9Q7wK2pLm4vB"),
    ]
    kept, ignored = committed.split(found)
    assert (ignored, [f.line for f in kept]) == (1, [8, 9])
