from __future__ import annotations

import os
from pathlib import Path

import pytest

from replaykit.errors import ConfigError, UnknownConfigKeyError
from replaykit.files import write_atomic
from replaykit.settings import resolve_settings


def test_defaults_are_relative_to_the_connector(tmp_path: Path) -> None:
    s = resolve_settings(tmp_path)
    assert s.connector_dir == tmp_path.resolve()
    assert s.cassette_dir == tmp_path.resolve() / "cassettes"
    assert s.config == tmp_path.resolve() / "secrets" / "config.json"


def test_pyproject_then_flags(tmp_path: Path) -> None:
    (tmp_path / "conn").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaykit]\nconnector_dir = "conn"\ncassette_dir = "cas"\ntimeout_seconds = 5\n'
    )
    s = resolve_settings(tmp_path)
    assert (s.connector_dir, s.cassette_dir, s.timeout_seconds) == (
        (tmp_path / "conn").resolve(),
        (tmp_path / "cas").resolve(),
        5.0,
    )
    s = resolve_settings(tmp_path, {"cassette_dir": "other", "timeout_seconds": None})
    assert s.cassette_dir == (tmp_path / "other").resolve()


@pytest.mark.parametrize(
    ("toml", "error", "message"),
    [
        ('connectr_dir = "x"', UnknownConfigKeyError, "did you mean 'connector_dir'?"),
        ('secrets = "x"', ConfigError, "secrets must be of type list"),
        ("secrets = [1]", ConfigError, "secrets must be a list of strings"),
        ('connector_dir = "missing"', ConfigError, "does not exist"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, toml: str, error: type[Exception], message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.replaykit]\n{toml}\n")
    with pytest.raises(error) as exc:
        resolve_settings(tmp_path)
    assert message in str(exc.value)
    assert str(tmp_path / "pyproject.toml") in str(exc.value) or "missing" in toml


def test_write_atomic_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "f.txt"
    write_atomic(target, "one")
    write_atomic(target, b"two")
    assert target.read_text() == "two"
    assert os.listdir(target.parent) == ["f.txt"]
