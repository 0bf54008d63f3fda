"""``replaykit scan``: find secrets in cassettes, expected records and state files (the pre-commit hook).

Two rules today: ``known-secret`` (a value from the local ``secrets/*.json`` in any encoding) and
``credential-header`` (a credential header in a cassette whose value is not a replaykit placeholder).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from replaykit.scrub import CREDENTIAL_HEADERS, Scrubber, discover_secrets, has_placeholder


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    detail: str

    def render(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.detail}"


def known_secrets(directory: Path) -> Scrubber:
    """Secrets of the local config files (``secrets/*.json``), if any."""
    scrubber = Scrubber()
    for path in sorted((directory / "secrets").glob("*.json")):
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(config, dict):
            for secret in discover_secrets(config):
                scrubber.add(secret)
    return scrubber


def _line_of(text: str, needle: str) -> int:
    offset = text.find(needle)
    return text.count("\n", 0, offset) + 1 if offset >= 0 else 1


def _credential_headers(path: Path, text: str) -> Iterator[Finding]:
    try:
        data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except (yaml.YAMLError, ValueError):
        return
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        return
    for interaction in data["interactions"]:
        for side in ("request", "response"):
            headers: Any = (interaction or {}).get(side, {}).get("headers") or {}
            for name, values in headers.items() if isinstance(headers, dict) else []:
                if str(name).lower() not in CREDENTIAL_HEADERS:
                    continue
                for value in values if isinstance(values, list) else [values]:
                    if value and not has_placeholder(str(value)):
                        yield Finding(
                            str(path),
                            _line_of(text, str(value)),
                            "credential-header",
                            f"{side} header {name} holds a value that is not a placeholder",
                        )


def scan_files(files: Iterable[Path], scrubber: Scrubber) -> list[Finding]:
    findings: list[Finding] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            findings.append(Finding(str(path), 0, "unreadable", str(exc)))
            continue
        for name, offset in scrubber.find(text):
            findings.append(
                Finding(
                    str(path),
                    text.count("\n", 0, offset) + 1,
                    "known-secret",
                    f"value of the secret {name!r} from secrets/",
                )
            )
        findings.extend(_credential_headers(path, text))
    return findings
