"""Which config files hold secrets, and which are public.

A file the user commits is public by definition: a connector's ``integration_tests/invalid_config.json`` holding
``{"apikey": "apikey"}`` for the failure checks holds no secret, however its fields are named. So:

* the ``--config`` file holds secrets, wherever it lives;
* a file under a ``secrets/`` directory holds secrets;
* a file git ignores holds secrets (``git check-ignore``: a tracked file is never ignored);
* any other file is public (committed, or about to be: in a git work tree and not ignored).

When git cannot tell (the file is not in a git work tree, or git is not installed), only ``--config`` and
``secrets/`` hold secrets: that is where Airbyte connectors keep them. The values of a public file are neither
scrubbed nor refused as too short, and are never learned as run-time secrets; the spec's ``airbyte_secret``
marks, the name heuristics and ``--secret NAME`` apply to the secret-holding files only. A public value equal to a
real secret stays a secret (the scrubber knows it from the secret-holding file).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from replaykit.scrub import Scrubber
from replaykit.secret_discovery import basic_auth_secrets, discover_secrets, string_fields

if TYPE_CHECKING:
    from replaykit.scan import Finding

PUBLIC_HINT = (
    " A dummy credential for a failure check belongs in a committed file outside secrets/ (such as"
    " integration_tests/invalid_config.json): committed files are public, their values are recorded as they are."
)


@dataclass(frozen=True)
class ConfigSource:
    path: Path
    secret: bool  # holds secrets (True) or is public (False)
    why: str  # "the --config file", "under secrets/", "git-ignored", "committed (not git-ignored)", ...


def git_ignored(path: Path) -> bool | None:
    """Whether git ignores ``path``; None when git cannot tell (not in a work tree, no git)."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(path.parent), "check-ignore", "-q", "--", path.name],
            capture_output=True,
            timeout=30,
            check=False,
            env=_git_env(),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {0: True, 1: False}.get(proc.returncode)


def _git_env() -> dict[str, str]:
    """The environment without what a git hook may have set for its own repository (pre-commit runs ``scan``
    as one): git finds the file's repository from the file's directory."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    if not os.path.isabs(env.get("GIT_INDEX_FILE", "/")):
        del env["GIT_INDEX_FILE"]
    return env


def _under_secrets(path: Path, connector_dir: Path) -> bool:
    try:
        parts = path.resolve().relative_to(connector_dir.resolve()).parts
    except ValueError:
        parts = path.resolve().parts
    return "secrets" in parts[:-1]


def judge(path: Path, connector_dir: Path, main_config: Path | None = None) -> ConfigSource:
    """Whether the config file ``path`` holds secrets or is public, and why."""
    if main_config is not None and path.resolve() == main_config.resolve():
        return ConfigSource(path, True, "the --config file")
    if _under_secrets(path, connector_dir):
        return ConfigSource(path, True, "under secrets/")
    ignored = git_ignored(path)
    if ignored:
        return ConfigSource(path, True, "git-ignored")
    if ignored is None:
        return ConfigSource(path, False, "outside secrets/ (and not in a git work tree to ask)")
    return ConfigSource(path, False, "committed (not git-ignored)")


def values_of(config: Mapping[str, Any]) -> set[str]:
    """Every value of a config that a connector can send: its strings and numbers, and the Basic auth pairs."""
    return {value for _, value in string_fields(config)} | {s.value for s in basic_auth_secrets(config)}


class PublicConfigs:
    """The public config files of a recording: their values (never scrubbed, never learned) and what to say."""

    def __init__(self, connector_dir: Path, main_config: Path | None) -> None:
        self.connector_dir = connector_dir
        self.main_config = main_config
        self._judged: dict[Path, ConfigSource] = {}
        self._values: set[str] = set()
        self._fields: dict[Path, dict[str, set[str]]] = {}  # public file -> its secret-looking fields' values

    def source(self, path: Path) -> ConfigSource:
        if path not in self._judged:
            self._judged[path] = judge(path, self.connector_dir, self.main_config)
        return self._judged[path]

    def add(
        self, path: Path, config: Mapping[str, Any], spec: Mapping[str, Any] | None, extra_names: Iterable[str]
    ) -> None:
        """Take in a public file: its values, and the fields that would be secrets in a secret-holding file."""
        self._values |= values_of(config)
        looking = {s.value for s in discover_secrets(config, spec, extra_names)}
        fields = self._fields.setdefault(path, {})
        for key, value in string_fields(config):
            if value in looking:
                fields.setdefault(key, set()).add(value)

    def values(self, known: Scrubber) -> list[str]:
        """The public values, minus real secrets (a committed file reusing a real secret does not make it public)."""
        return sorted(v for v in self._values if not known.knows(v))

    def notes(self, known: Scrubber) -> list[str]:
        """One line per public file with secret-looking fields: the file and the fields, never a value."""
        lines = []
        for path, fields in self._fields.items():
            public = [key for key, values in fields.items() if any(not known.knows(v) for v in values)]
            if public:
                names = ", ".join(repr(f) for f in public)
                lines.append(
                    f"{self._display(path)} is {self.source(path).why}, so its field{'s' if len(public) > 1 else ''} "
                    f"{names} {'are' if len(public) > 1 else 'is'} public: recorded as is, not scrubbed"
                )
        return lines

    def _display(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.connector_dir.resolve()).as_posix()
        except ValueError:
            return str(path)


class CommittedValues:
    """For ``replaykit scan``: the values of the public configs that the acceptance config of each scanned file's
    connector names. ``record`` leaves them as they are in the cassettes, so the scan does not report them as a
    leak: they are committed already. A known secret (from ``secrets/``) is always reported, whatever else holds
    it."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = set(values)

    @classmethod
    def near(cls, files: Iterable[Path], cwd: Path, known: Scrubber) -> CommittedValues:
        from replaykit.acceptance import load_acceptance_config
        from replaykit.config_paths import named_paths
        from replaykit.errors import ReplaykitError
        from replaykit.secret_dirs import connector_dir_of

        directories = {cwd.resolve()} | {connector_dir_of(f, ACCEPTANCE_FILE) or cwd.resolve() for f in files}
        values: set[str] = set()
        for directory in sorted(directories):
            try:
                acceptance = load_acceptance_config(directory / ACCEPTANCE_FILE)
            except ReplaykitError:
                continue  # a broken acceptance config makes the scan stricter, never looser
            for named in named_paths(acceptance) if acceptance is not None else []:
                if named.kind == "config" and named.path.is_file() and not judge(named.path, directory).secret:
                    config = _read_json(named.path)
                    values |= values_of(config) if isinstance(config, Mapping) else set()
        return cls(v for v in values if not known.knows(v))

    def covers(self, finding: Finding) -> bool:
        """Whether ``finding`` is a public value (never a known secret: that rule always stands)."""
        if finding.rule == "known-secret" or not finding.value:
            return False
        return finding.value in self.values or unquote_plus(finding.value) in self.values

    def split(self, findings: list[Finding]) -> tuple[list[Finding], int]:
        """The findings to report, and how many were public values."""
        kept = [f for f in findings if not self.covers(f)]
        return kept, len(findings) - len(kept)


ACCEPTANCE_FILE = "acceptance-test-config.yml"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
