"""Every file ``acceptance-test-config.yml`` names must exist when a command uses it.

``record`` reads the configs, catalogs, future states and the expected spec; ``plan`` and ``replay`` (in CI,
without ``secrets/``) check the files that are committed, and ``replay`` also the expected records (which
``--update`` creates). A missing file is a config error (exit 2) naming the key, with a did-you-mean over
the files near it. Except the expected spec: CAT's ``connector_spec`` is None when ``spec_path`` is missing and
``test_match_expected`` is skipped, as real configs rely on (``spec_path: source_x/spec.yaml`` kept after the
spec moved into the manifest).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from replaykit.acceptance import AcceptanceConfig
from replaykit.errors import ConfigError

DEFAULT_CONFIG_PATH = "secrets/config.json"
DEFAULT_SPEC_PATH = "secrets/spec.json"  # CAT's default: only checked when the config names another file
_SKIPPED_DIRS = frozenset({"cassettes", "node_modules", "__pycache__", "venv"})


@dataclass(frozen=True)
class NamedPath:
    key: str  # where the config names it: acceptance_tests.basic_read.tests[0].configured_catalog_path
    value: str  # as written
    path: Path  # resolved
    kind: str  # config | catalog | state | spec | expected_records


def named_paths(acceptance: AcceptanceConfig) -> list[NamedPath]:
    """The files the acceptance config names, with their keys."""
    out: list[NamedPath] = []

    def add(key: str, value: str | None, kind: str) -> None:
        path = acceptance.resolve(value) if value else None
        if value and path is not None:
            out.append(NamedPath(key, value, path, kind))

    for suite in ("spec", "connection", "discovery", "basic_read", "full_refresh", "incremental"):
        for i, test in enumerate(acceptance.tests(suite)):
            where = f"acceptance_tests.{suite}.tests[{i}]"
            add(f"{where}.config_path", getattr(test, "config_path", None), "config")
            add(f"{where}.configured_catalog_path", getattr(test, "configured_catalog_path", None), "catalog")
            spec_path = getattr(test, "spec_path", None)
            if spec_path != DEFAULT_SPEC_PATH:
                add(f"{where}.spec_path", spec_path, "spec")
            expect = getattr(test, "expect_records", None)
            if expect is not None:
                add(f"{where}.expect_records.path", expect.path, "expected_records")
            future = getattr(test, "future_state", None)
            if future is not None:
                add(f"{where}.future_state.future_state_path", future.future_state_path, "state")
    return out


def _in_secrets(value: str) -> bool:
    return "secrets" in Path(value).parts


def used_paths(acceptance: AcceptanceConfig, command: str, *, update: bool = False) -> list[NamedPath]:
    """The named files ``command`` (record | plan | replay) reads."""
    out = []
    for named in named_paths(acceptance):
        if named.kind == "expected_records" and (command != "replay" or update):
            continue  # record and --update write it
        if named.kind == "spec":
            continue  # CAT skips test_match_expected when the file is missing; the spec check says so
        if named.kind == "config" and named.value == DEFAULT_CONFIG_PATH:
            continue  # the main config: record --config names it (and checks it), replay uses the recorded one
        if command != "record" and _in_secrets(named.value):
            continue  # not committed: replay runs with the recorded, scrubbed config
        out.append(named)
    return out


def _nearby_files(root: Path, depth: int = 3) -> list[str]:
    found: list[str] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        level = len(here.relative_to(root).parts)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS and level < depth - 1]
        found.extend((here / name).relative_to(root).as_posix() for name in files if not name.startswith("."))
        if len(found) > 5000:
            break
    return found


def did_you_mean(named: NamedPath, root: Path) -> str | None:
    """The file near ``root`` closest to what the config wrote: by name in the directory it names when that
    exists, else by whole relative path."""
    folder = named.path.parent
    if folder.is_dir() and folder != root:
        names = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        close = difflib.get_close_matches(named.path.name, names, n=1, cutoff=0.6)
        if close:
            return (folder / close[0]).relative_to(root).as_posix() if folder.is_relative_to(root) else close[0]
    close = difflib.get_close_matches(named.value.lstrip("./"), _nearby_files(root), n=1, cutoff=0.6)
    return close[0] if close else None


def check_paths(acceptance: AcceptanceConfig, command: str, *, update: bool = False) -> None:
    """Raise a ConfigError (exit 2) naming every file ``command`` needs that does not exist."""
    missing = [n for n in used_paths(acceptance, command, update=update) if not n.path.exists()]
    if not missing:
        return
    source = acceptance.path.name if acceptance.path is not None else "acceptance-test-config.yml"
    root = acceptance.resolve(".") or Path.cwd()
    details, suggestions = [], []
    for named in missing:
        close = did_you_mean(named, root)
        guess = f"; did you mean {close!r}?" if close else ""
        details.append(f"  {named.key}: {named.value!r} does not exist{guess}")
        if close:
            suggestions.append(f"{named.key}: {close}")
    first = missing[0]
    hint = "Fix the path(s) in " + source
    if suggestions:
        hint += f" ({suggestions[0]}" + (" ..." if len(suggestions) > 1 else "") + ")"
    if any(n.kind == "expected_records" for n in missing):
        hint += ", or create the expected records with `replaykit replay --update`"
    raise ConfigError(
        f"{source}: {len(missing)} file(s) it names do not exist (first: {first.key} = {first.value!r}, "
        f"resolved to {first.path})",
        details=details,
        hint=hint + ".",
    )
