"""``replaykit scan``'s policy around the rules of ``scan``: which files (the connector's, or the hook's staged ones
that replaykit writes), whose known secrets, the baseline of accepted findings, ``--fix``, and what is reported
(values of committed configs are public: not reported). The shell only renders the ``ScanOutcome``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaykit.errors import UsageError
from replaykit.files import dump_json, write_atomic
from replaykit.scan import Finding, known_secrets, scan_files
from replaykit.scan_fix import fix_file
from replaykit.secret_dirs import secrets_dirs
from replaykit.secret_sources import CommittedValues
from replaykit.settings import Settings

BASELINE_FILE = ".replaykit-scan-baseline.json"


@dataclass(frozen=True)
class ScanRequest:
    files: list[Path]  # as given (none: the connector's files)
    hook: bool = False  # the pre-commit hook: keep only the files replaykit writes
    secrets_dir: Path | None = None
    baseline: Path | None = None
    write_baseline: bool = False
    fix: bool = False


@dataclass
class ScanOutcome:
    files: list[Path]
    nothing: str  # why there is nothing to scan, when ``files`` is empty
    secrets_from: str  # the directories whose secrets/ held the known secrets
    findings: list[Finding] = field(default_factory=list)  # left after the baseline, public values and --fix
    public: int = 0  # findings not reported: values of committed configs
    fixed: list[tuple[str, int]] = field(default_factory=list)  # --fix: each file and how many values it replaced
    baseline_written: Path | None = None  # --write-baseline: where, with ``accepted`` findings
    accepted: int = 0

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def files_with_findings(self) -> int:
        return len({f.path for f in self.findings})


def shown_dir(directory: Path, cwd: Path) -> str:
    """A directory as the user sees it: relative to ``cwd`` when under it."""
    try:
        return str(directory.resolve().relative_to(cwd.resolve())) or "."
    except ValueError:
        return str(directory)


def _targets(request: ScanRequest, cwd: Path, settings: Settings | None) -> tuple[list[Path], str]:
    files = list(request.files)
    if request.hook:
        kept = [f for f in files if is_replaykit_file(f)]
        return kept, f"none of the {len(files)} staged file(s) is one replaykit writes"
    if files:
        return files, "no files given"
    if settings is None:
        raise UsageError("no files to scan and no connector settings", hint="Name the files to scan.")
    from replaykit.plan import expected_records_path, load_acceptance_config

    expected = expected_records_path(settings.connector_dir, load_acceptance_config(settings.acceptance_test_config))
    return default_targets(settings.cassette_dir, expected), f"{shown_dir(settings.cassette_dir, cwd)} holds no files"


def scan(request: ScanRequest, cwd: Path, settings: Settings | None = None) -> ScanOutcome:
    """Scan the requested files (``settings``: the connector's, when no file is named) under the baseline; with
    ``write_baseline``, accept every current finding instead; with ``fix``, replace the findings and scan again."""
    files, nothing = _targets(request, cwd, settings)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise UsageError(f"cannot scan {missing[0]}: no such file", hint="Pass existing files to `replaykit scan`.")
    baseline_path = request.baseline or Path(BASELINE_FILE)
    if request.baseline and not baseline_path.is_file() and not request.write_baseline:
        raise UsageError(
            f"scan baseline {baseline_path} does not exist",
            hint="Create it with `replaykit scan --write-baseline FILES...`.",
        )
    directories = [request.secrets_dir] if request.secrets_dir else secrets_dirs(files, cwd)
    known = known_secrets(directories[0])
    for directory in directories[1:]:
        for secret in known_secrets(directory).secrets:
            known.add(secret)
    where = ", ".join(shown_dir(d, cwd) for d in directories if (d / "secrets").is_dir()) or "none found"
    public = CommittedValues.near(files, cwd, known)  # committed configs' values: recorded as they are
    outcome = ScanOutcome(files, nothing, where)
    if request.write_baseline:
        accepted = [f for f in scan_files(files, known) if f.rule != "known-secret" and not public.covers(f)]
        write_baseline(baseline_path, accepted)
        outcome.baseline_written, outcome.accepted = baseline_path, len(accepted)
        return outcome
    baseline = load_baseline(baseline_path)
    outcome.findings, outcome.public = public.split(scan_files(files, known, baseline))
    if request.fix and outcome.findings:
        for path in sorted({f.path for f in outcome.findings}):
            of_path = [f for f in outcome.findings if f.path == path]
            outcome.fixed.append((path, fix_file(Path(path), of_path, known)))
        outcome.findings, outcome.public = public.split(scan_files(files, known, baseline))
    return outcome


def default_targets(cassette_dir: Path, expected: Path | None) -> list[Path]:
    """Everything replaykit writes for one connector: the cassette directory (cassettes, index, replay config,
    state snapshots), the expected records, and what an interrupted command may have left beside them."""
    from replaykit.commit import journal_of, previous_of, staged_of, staging_prefix

    if not cassette_dir.is_dir():
        raise UsageError(
            f"cannot scan {cassette_dir}: no such cassette directory",
            hint="Record first, set cassette_dir in [tool.replaykit], or name the files to scan.",
        )
    roots = [cassette_dir, previous_of(cassette_dir), *cassette_dir.parent.glob(staging_prefix(cassette_dir) + "*")]
    files = [p for root in roots if root.is_dir() for p in sorted(root.rglob("*")) if p.is_file()]
    extra = [journal_of(cassette_dir)]
    if expected is not None:
        extra += [expected, staged_of(expected), previous_of(expected)]
    return files + [p for p in extra if p.is_file()]


_CASSETTE_START = re.compile(rb"\A\s*(?:interactions:|version: 1\s)", re.M)


def is_replaykit_file(path: Path) -> bool:
    """Whether ``path`` is something replaykit writes (the pre-commit hook passes every YAML / JSON file, since a
    cassette directory can be anywhere): a cassette (by its content), an index / replay config / state snapshot
    beside one, expected records, or a staging / previous / staged leftover."""
    name = path.name
    if "expected_records" in name or name.endswith((".staged", ".commit.json")):
        return True
    if any(part.startswith(".") and (".staging-" in part or part.endswith(".previous")) for part in path.parts):
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return True  # unreadable: let the scan report it
    if path.suffix in (".yaml", ".yml") and _CASSETTE_START.match(head):
        return True
    directory = path.parent.parent if path.parent.name == "states" else path.parent
    return (
        path.suffix == ".json" and (directory / "index.json").is_file() and (directory / "replay_config.json").is_file()
    )


def load_baseline(path: Path) -> set[str]:
    """Fingerprints of accepted findings (a hash of rule and value: the baseline holds no secret)."""
    if not path.is_file():
        return set()
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return {str(item["fingerprint"]) for item in data["accepted"]}
    except (ValueError, KeyError, TypeError) as exc:
        from replaykit.errors import ConfigError

        raise ConfigError(
            f"scan baseline {path} is malformed: {exc}",
            hint=f"Regenerate it with `replaykit scan --write-baseline {path}`.",
        ) from exc


def write_baseline(path: Path, findings: list[Finding]) -> None:
    accepted = sorted({(f.fingerprint, f.rule, Path(f.path).name) for f in findings})
    write_atomic(
        path,
        dump_json(
            {
                "format": 1,
                "accepted": [{"fingerprint": fp, "rule": rule, "first_seen_in": name} for fp, rule, name in accepted],
            }
        ),
    )
