"""``replaykit scan``: find secrets in cassettes, expected records and state files (the pre-commit hook).

Rules, each reported as ``file:line: rule: what`` (never the value):

* ``known-secret``: a value of the local ``secrets/*.json`` (or any secret replaykit was told), in any encoding;
* detect-secrets' credential-format plugins (``GitHub Token``, ``AWS Access Key``, ``JSON Web Token``, ...):
  their own regexes, run over the whole text, the keyword-gated ones only over lines holding a keyword;
* ``credential-header``: an ``Authorization``/``Cookie``/``X-Api-Key``... header in a cassette whose value is
  not a replaykit placeholder;
* ``high-entropy-value``: a high-entropy value under a credential-like key (JSON field, YAML key, query or
  form parameter), entropy measured as detect-secrets does;
* ``!!binary`` bodies are decoded (base64, then gzip / deflate / brotli) and scanned the same way.

The scan is lexical (regular expressions over the text, shaped by the cassette format), not a YAML parse:
parsing YAML runs at ~1.4 MB/s, the scan must keep up with a pre-commit hook over 100 MB of cassettes.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import gzip
import hashlib
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from replaykit.scrub import CREDENTIAL_HEADERS, Scrubber, Secret, has_placeholder
from replaykit.secret_discovery import discover_secrets

ENTROPY_LIMIT = 3.5
MIN_VALUE_LENGTH = 12
_NOISY_PLUGINS = {"Public IP (ipv4)", "Base64 High Entropy String", "Hex High Entropy String", "Secret Keyword"}
# Plugins whose regexes only fire next to a keyword: run them on lines holding one (they run at ~10 MB/s).
_KEYWORD_GATED = {
    "Cloudant Credentials",
    "IBM COS HMAC Credentials",
    "IBM Cloud IAM Key",
    "SoftLayer Credentials",
    "Artifactory Credentials",
}
# Matched against the lower-cased text: a case-sensitive alternation is ~12x faster than re.IGNORECASE.
_KEYWORDS = re.compile(r"key|pw|pass|token|secret|auth|session|credential|cloudant|softlayer|ibm|akc|ap[0-9a-f]")
_CREDENTIAL_KEY = r"[\w.\-]*(?:token|secret|passw(?:or)?d|api[_-]?key|apikey|auth|session|credential|private[_-]?key|signature|sig)[\w.\-]*"  # noqa: E501
_KEY_VALUES = [
    re.compile(rf'"({_CREDENTIAL_KEY})"\s*:\s*"([^"\\]{{{MIN_VALUE_LENGTH},}})"', re.IGNORECASE),  # JSON
    re.compile(rf"[?&\s'\"]({_CREDENTIAL_KEY})=([^&\s'\"]{{{MIN_VALUE_LENGTH},}})", re.IGNORECASE),  # query, form
    re.compile(rf"^\s*({_CREDENTIAL_KEY}):\s+['\"]?([^\s'\"]{{{MIN_VALUE_LENGTH},}})", re.IGNORECASE | re.M),  # YAML
]
_HEADER_NAMES = "|".join(re.escape(h) for h in sorted(CREDENTIAL_HEADERS))
# Both run over the lower-cased text (fast, case-sensitive); values are taken from the original at the same offsets.
_YAML_HEADER = re.compile(
    rf"^(?P<indent>[ \t]*)(?P<name>{_HEADER_NAMES}):[ \t]*\n(?P=indent)- (?P<value>.*)$", re.MULTILINE
)
_JSON_HEADER = re.compile(rf'"(?P<name>{_HEADER_NAMES})"\s*:\s*\[\s*"(?P<value>(?:[^"\\]|\\.)*)"')
# A literal each slow pattern needs (looked up with `in` first): detect-secrets' pattern -> its required text.
_HINTS = {
    r"[0-9a-z]{32}-us[0-9]{1,2}": "-us",
    r"https://hooks\.slack\.com/services/T[a-zA-Z0-9_]+/B[a-zA-Z0-9_]+/[a-zA-Z0-9_]+": "hooks.slack.com",
    r"xox(?:a|b|p|o|s|r)-(?:\d+-)+[a-z0-9]+": "xox",
}
BINARY_BLOCK = re.compile(r"!!binary \|[-+]?\n((?:[ \t]+[A-Za-z0-9+/=]+\n)+)")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    detail: str
    value: str = field(default="", repr=False, compare=False)  # kept in memory for --fix; never rendered

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.rule}\0{self.value}".encode()).hexdigest()[:20]

    def render(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.detail}"


@dataclass(frozen=True)
class _Plugin:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    gated: bool


@cache
def _plugins() -> tuple[_Plugin, ...]:
    """detect-secrets' regex plugins (its patterns, not ours), minus the ones that are noise in cassettes."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    plugins = []
    mapping: dict[str, Any] = get_mapping_from_secret_type_to_class()
    for name, cls in sorted(mapping.items()):
        if name in _NOISY_PLUGINS or not issubclass(cls, RegexBasedDetector):
            continue
        plugins.append(_Plugin(name, tuple(cls().denylist), name in _KEYWORD_GATED))
    return tuple(plugins)


@cache
def _entropy_plugin() -> Any:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    return Base64HighEntropyString()


def _entropy(value: str) -> float:
    """Shannon entropy over the base64 alphabet, as detect-secrets measures it."""
    return float(_entropy_plugin().calculate_shannon_entropy(value))


class _Lines:
    def __init__(self, text: str, first_line: int) -> None:
        self._starts = [m.end() for m in re.finditer("\n", text)]
        self._first = first_line

    def of(self, offset: int) -> int:
        return self._first + bisect.bisect_right(self._starts, offset)


def _lowered(text: str) -> str:
    """``text`` lower-cased, or with ASCII letters only lower-cased where Unicode would change its length."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


GATE_RADIUS = 200


def _gated_lines(searched: str, gate: re.Pattern[str], text: str) -> Iterator[tuple[int, str]]:
    """The text around every place where ``gate`` matches ``searched`` (``text`` or a same-length transform of
    it): the line, cut to ``GATE_RADIUS`` characters on either side (a JSON body may be one long line)."""
    spans: list[list[int]] = []
    for match in gate.finditer(searched):
        line_start = text.rfind("\n", max(0, match.start() - GATE_RADIUS), match.start()) + 1
        start = line_start if line_start else max(0, match.start() - GATE_RADIUS)
        line_end = text.find("\n", match.end(), match.end() + GATE_RADIUS)
        end = line_end if line_end >= 0 else min(len(text), match.end() + GATE_RADIUS)
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    for start, end in spans:
        yield start, text[start:end]


def _secret_of(match: re.Match[str]) -> str:
    """The secret a plugin's match holds: its longest group when that is the value (keyword assignments),
    else the whole match (a group that only picks a prefix such as ``ghp``)."""
    groups = [g for g in match.groups() if g]
    longest = max(groups, key=len) if groups else ""
    return (longest if len(longest) >= 8 else match.group(0)).strip()


def _same(offset: int) -> int:
    return offset


def _joined(lines: Iterable[tuple[int, str]]) -> tuple[str, Callable[[int], int]]:
    """The lines as one text (one regex pass instead of one per line) and a map back to original offsets."""
    parts: list[str] = []
    starts: list[int] = []  # offset of each part in the joined text
    origins: list[int] = []  # offset of each part in the original text
    position = 0
    for origin, line in lines:
        parts.append(line)
        starts.append(position)
        origins.append(origin)
        position += len(line) + 1

    def original(offset: int) -> int:
        i = bisect.bisect_right(starts, offset) - 1
        return origins[i] + offset - starts[i] if i >= 0 else offset

    return "\n".join(parts), original


def _decode_binary(block: str) -> str | None:
    try:
        raw = base64.b64decode("".join(block.split()))
    except (binascii.Error, ValueError):
        return None
    for decode in (gzip.decompress, zlib.decompress, lambda b: zlib.decompress(b, -15), brotli_decompress, lambda b: b):
        try:
            return decode(raw).decode("utf-8")
        except Exception:  # noqa: BLE001 - not this encoding; try the next one
            continue
    return None


def brotli_decompress(raw: bytes) -> bytes:
    import brotli

    return bytes(brotli.decompress(raw))


# Google's API key format (detect-secrets has no plugin for it).
_GOOGLE_API_KEY = re.compile(r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])")
_PEM_START = re.compile(r"-----BEGIN[ \t\n\\]")
_PEM_END = re.compile(r"-----END[A-Z \t\n\\]*?-----")
_JWT_TAIL = re.compile(r"[A-Za-z0-9_\-.+/=]*")
_FOLD = re.compile(r"(?:\\n|[ \t]*\\?\n[ \t]*\\?|[ \t]+)+")  # YAML folding, JSON "\n", runs of blanks


def _pem_block(text: str, start: int) -> str:
    """The whole PEM block whose ``BEGIN`` line starts near ``start``: header, key material, ``END`` line."""
    begin = text.rfind("-----", max(0, start - 12), start + 1)
    begin = begin if begin >= 0 else start
    end = _PEM_END.search(text, begin + 10, begin + 20_000)
    return text[begin : end.end()] if end else text[begin : begin + 4096]


def _whole_value(plugin: str, text: str, start: int, value: str) -> str:
    """What ``--fix`` must replace: a whole PEM block (not its header), a whole JWT (its signature too)."""
    if plugin == "Private Key":
        return _pem_block(text, start)
    if plugin == "JSON Web Token":
        tail = _JWT_TAIL.match(text, start + len(value))
        return value + (tail.group(0) if tail else "")
    return value


def _folded_private_keys(text: str) -> Iterator[tuple[int, str]]:
    """PEM headers that YAML folded across lines (or JSON spelt with ``\\n``): matched unfolded."""
    from detect_secrets.plugins.private_key import PrivateKeyDetector

    patterns = PrivateKeyDetector().denylist
    for match in _PEM_START.finditer(text):
        window = text[match.start() : match.start() + 120]
        unfolded = _FOLD.sub(" ", window)
        folded_only = not any(p.search(window[:60]) for p in patterns)
        if unfolded != window and folded_only and any(p.search(unfolded[:60]) for p in patterns):
            yield match.start(), _pem_block(text, match.start())


def scan_text(path: str, text: str, known: Scrubber, first_line: int = 1) -> list[Finding]:
    lines = _Lines(text, first_line)
    found: list[Finding] = []

    def add(offset: int, rule: str, detail: str, value: str) -> None:
        if not has_placeholder(value):
            found.append(Finding(path, lines.of(offset), rule, detail, value))

    for name, offset in known.find(text):
        found.append(Finding(path, lines.of(offset), "known-secret", f"value of the secret {name!r}", ""))
    lowered = _lowered(text)
    keyword_text, keyword_at = _joined(_gated_lines(lowered, _KEYWORDS, text))
    for plugin in _plugins():
        region, at = (keyword_text, keyword_at) if plugin.gated else (text, _same)
        for pattern in plugin.patterns:
            hint = _HINTS.get(pattern.pattern)
            if hint is not None and hint not in region:
                continue
            for match in pattern.finditer(region):
                start = at(match.start())
                value = _whole_value(plugin.name, text, start, _secret_of(match))
                add(start, plugin.name, "matches detect-secrets' plugin", value)
    for start, value in _folded_private_keys(text):
        add(start, "Private Key", "matches detect-secrets' plugin (a header folded across lines)", value)
    for match in _GOOGLE_API_KEY.finditer(text):
        add(match.start(), "Google API Key", "an AIza... key", match.group(0))
    for regex in (_YAML_HEADER, _JSON_HEADER):
        for match in regex.finditer(lowered):
            value = text[match.start("value") : match.end("value")].strip().strip("'\"")
            if value:
                add(
                    match.start("value"),
                    "credential-header",
                    f"header {text[match.start('name') : match.end('name')]} holds a value that is not a placeholder",
                    value,
                )
    for regex in _KEY_VALUES:
        for match in regex.finditer(keyword_text):
            key, value = match.group(1), match.group(2)
            if not has_placeholder(value) and _entropy(value) >= ENTROPY_LIMIT:
                add(keyword_at(match.start(2)), "high-entropy-value", f"high-entropy value under {key!r}", value)
    for match in BINARY_BLOCK.finditer(text):
        decoded = _decode_binary(match.group(1))
        if decoded:
            for finding in scan_text(path, decoded, known, lines.of(match.start())):
                found.append(
                    Finding(
                        finding.path,
                        finding.line,
                        finding.rule,
                        finding.detail + " (in a decoded binary body)",
                        finding.value,
                    )
                )
    unique: dict[tuple[int, str, str], Finding] = {}
    named: dict[int, list[str]] = {}
    for finding in found:
        if finding.rule != "high-entropy-value" and finding.value:
            named.setdefault(finding.line, []).append(finding.value)
    for finding in found:  # a value a named rule found is not reported again as "high entropy"
        if finding.rule == "high-entropy-value" and any(
            v in finding.value or finding.value in v for v in named.get(finding.line, ())
        ):
            continue
        unique.setdefault((finding.line, finding.rule, finding.fingerprint), finding)
    return sorted(unique.values(), key=lambda f: (f.line, f.rule))


def known_secrets(directory: Path, extra: Iterable[Secret] = ()) -> Scrubber:
    """Secrets of the local config files (``secrets/*.json``), if any, plus ``extra``."""
    scrubber = Scrubber(extra)
    for path in sorted((directory / "secrets").glob("*.json")):
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(config, dict):
            for secret in discover_secrets(config):
                scrubber.add(secret)
    return scrubber


def _scan_paths(paths: list[str], secrets: list[tuple[str, str]]) -> list[Finding]:
    known = Scrubber(Secret(name, value) for name, value in secrets)
    findings: list[Finding] = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            findings.append(Finding(path, 0, "unreadable", str(exc)))
            continue
        findings.extend(scan_text(path, text, known))
    return findings


PARALLEL_FROM_BYTES = 8_000_000


def scan_files(files: Iterable[Path], known: Scrubber, baseline: set[str] | None = None) -> list[Finding]:
    """Findings of every file, in file order; large scans use every core (one process per core)."""
    paths = [str(p) for p in files]
    secrets = [(s.name, s.value) for s in known.secrets]
    workers = min(os.cpu_count() or 1, len(paths))
    size = sum(os.path.getsize(p) for p in paths if os.path.isfile(p))
    if workers > 1 and size >= PARALLEL_FROM_BYTES:
        from concurrent.futures import ProcessPoolExecutor

        chunks = [paths[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            found = [f for part in pool.map(_scan_paths, chunks, [secrets] * workers) for f in part]
        order = {p: i for i, p in enumerate(paths)}
        found.sort(key=lambda f: (order.get(f.path, 0), f.line, f.rule))
    else:
        found = _scan_paths(paths, secrets)
    accepted = baseline or set()
    return [f for f in found if f.rule == "known-secret" or f.fingerprint not in accepted]
