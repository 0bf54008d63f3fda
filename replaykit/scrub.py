"""Secret discovery and scrubbing.

A :class:`Scrubber` knows secret values and replaces every encoding of each one (raw, URL-encoded with
``quote`` and ``quote_plus``, JSON-escaped, base64) with a stable, named placeholder such as
``**REDACTED:api_key**``.  The same placeholder goes into the scrubbed replay config, so the connector
sends exactly the scrubbed requests at replay and they match the cassette.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from replaykit import spellings

# Headers whose value is a credential whatever it looks like.
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
        "x-amz-security-token",
    }
)
# A secret shorter than this cannot be replaced everywhere without rewriting ordinary text: recording stops.
MIN_SECRET_LENGTH = 6
MIN_NUMERIC_LENGTH = 8  # digits only: fewer values, and numbers are everywhere in records
# Either form of placeholder(): ``**REDACTED:name**``, or ``scheme://redacted-name.invalid`` for a URL.
PLACEHOLDER_RE = re.compile(r"\*\*REDACTED:[A-Za-z0-9_.\-]+\*\*|[a-z][a-z0-9+.\-]*://redacted-[a-z0-9\-]+\.invalid\b/?")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://\S")


def placeholder(name: str, value: str = "") -> str:
    """The stable placeholder that stands for the secret called ``name``.

    A secret that is a URL (Marketo's ``domain_url``, a private API host) is replaced by a URL of the same scheme
    on a host that can never resolve (RFC 2606 ``.invalid``), keeping a trailing slash: at replay the connector
    builds its requests from the scrubbed config, and ``**REDACTED:...**`` is no URL to send them to."""
    url = _URL.match(value)
    if url:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "secret"
        return f"{url.group(1).lower()}://redacted-{slug}.invalid" + ("/" if value.endswith("/") else "")
    safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", name) or "secret"
    return f"**REDACTED:{safe}**"


def has_placeholder(text: str) -> bool:
    return bool(PLACEHOLDER_RE.search(text))


@dataclass(frozen=True)
class Secret:
    name: str
    value: str


def too_short(value: str) -> bool:
    """True when ``value`` is too short to be replaced safely everywhere it appears."""
    return len(value) < MIN_SECRET_LENGTH or (value.isdigit() and len(value) < MIN_NUMERIC_LENGTH)


@dataclass(frozen=True)
class _Known:
    secret: Secret
    mark: str
    group: str
    spelt: re.Pattern[str]  # every raw / percent / JSON spelling
    anchor: str  # the longest run of characters no spelling changes; "" when too short to search by
    base64s: tuple[str, ...]  # base64 and base64url, unpadded: matched standing alone
    hexes: tuple[str, ...]  # hex of the UTF-8 bytes, lower and upper case


_ANCHOR_RUN = re.compile(r"[A-Za-z0-9_.~-]{4,}")
_SLACK_PER_CHAR = 32  # the longest spelling of one character we expect (double-encoded 4-byte UTF-8 is 20)


def _known(secret: Secret, group: str) -> _Known:
    value = secret.value
    runs = sorted(_ANCHOR_RUN.findall(value), key=len, reverse=True)
    raw = value.encode("utf-8")
    b64s = (
        base64.b64encode(raw).decode("ascii").rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
    )
    return _Known(
        secret,
        placeholder(secret.name, secret.value),
        group,
        re.compile(spellings.text_pattern(value)),
        runs[0] if runs else "",
        tuple(dict.fromkeys(b64s)),
        tuple(dict.fromkeys((raw.hex(), raw.hex().upper()))),
    )


class Scrubber:
    """Replaces known secrets, in every spelling (see :mod:`replaykit.spellings`), by their placeholders.

    Searching is anchored for speed: a secret's raw / percent / JSON spellings all keep its longest run of
    unreserved characters as it is, so that run is found with ``str.find`` and the full pattern only runs
    around it (a secret with no such run is searched with its full pattern)."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self._secrets: dict[str, _Known] = {}
        self._by_group: dict[str, _Known] = {}
        self._cores: list[tuple[str, _Known]] = []  # base64 inside a longer token, at each alignment
        for secret in secrets:
            self.add(secret)

    @property
    def secrets(self) -> list[Secret]:
        return [k.secret for k in self._secrets.values()]

    def knows(self, value: str) -> bool:
        return value in self._secrets

    def add(self, secret: Secret) -> bool:
        """Know one more secret; False when it was known already, is a placeholder or is too short to be replaced
        safely (:func:`too_short`: a caller that must not skip it checks first)."""
        if too_short(secret.value) or secret.value in self._secrets or has_placeholder(secret.value):
            return False
        known = _known(secret, f"s{len(self._secrets)}")
        # copied, not changed in place: a parallel recording's reader threads scrub while another secret is added
        self._by_group = {**self._by_group, known.group: known}
        self._cores = [*self._cores, *((core, known) for core in spellings.base64_cores(secret.value))]
        self._secrets = {**self._secrets, secret.value: known}
        return True

    def _core_hits(self, text: str) -> Iterator[tuple[int, int, _Known]]:
        for core, known in self._cores:
            at = text.find(core)
            while at >= 0:
                yield at, at + len(core), known
                at = text.find(core, at + 1)

    def _spans(self, text: str) -> list[tuple[int, int, _Known]]:
        """Non-overlapping (start, end, secret) of every spelling in ``text``; at one place the longest wins."""
        found: set[tuple[int, int, str]] = set()
        for known in self._secrets.values():
            found.update((start, end, known.group) for start, end in self._spelt(text, known))
            found.update((start, end, known.group) for start, end in self._literal_hits(text, known))
        spans: list[tuple[int, int, _Known]] = []
        for start, end, group in sorted(found, key=lambda s: (s[0], -(s[1] - s[0]))):
            if not spans or start >= spans[-1][1]:
                spans.append((start, end, self._by_group[group]))
        return spans

    @staticmethod
    def _spelt(text: str, known: _Known) -> Iterator[tuple[int, int]]:
        if not known.anchor:
            yield from (m.span() for m in known.spelt.finditer(text))
            return
        value, anchor = known.secret.value, known.anchor
        before = value.index(anchor) * _SLACK_PER_CHAR + 8
        after = (len(value) - value.index(anchor) - len(anchor)) * _SLACK_PER_CHAR + 8
        at = text.find(anchor)
        while at >= 0:
            for m in known.spelt.finditer(text, max(0, at - before), at + len(anchor) + after):
                if m.start() <= at and m.end() >= at + len(anchor):
                    yield m.span()
            at = text.find(anchor, at + 1)

    def _literal_hits(self, text: str, known: _Known) -> Iterator[tuple[int, int]]:
        for literal in known.hexes:
            at = text.find(literal)
            while at >= 0:
                yield at, at + len(literal)
                at = text.find(literal, at + 1)
        for literal in known.base64s:
            at = text.find(literal)
            while at >= 0:
                if self._alone(text, at, at + len(literal)):  # inside a longer token it is a core's business
                    yield at, self._padded(text, at + len(literal))
                at = text.find(literal, at + 1)

    @staticmethod
    def _padded(text: str, end: int) -> int:
        while True:
            if text.startswith("=", end):
                end += 1
            elif text.startswith(("%3D", "%3d"), end):
                end += 3
            else:
                return end

    @classmethod
    def _alone(cls, text: str, start: int, end: int) -> bool:
        """A base64 spelling standing alone, not inside a longer base64 token (that one is a core's business)."""
        end = cls._padded(text, end)
        chars = spellings.B64_TOKEN_CHARS
        return not (start and text[start - 1] in chars) and not (end < len(text) and text[end] in chars)

    def scrub_text(self, text: str) -> str:
        if not self._secrets or not text:
            return text
        parts: list[str] = []
        position = 0
        for start, end, known in self._spans(text):
            matched = text[start:end]
            parts.append(text[position:start])
            parts.append(spellings.respell(spellings.classify(matched, known.secret.value), known.mark, matched))
            position = end
        parts.append(text[position:])
        return self._scrub_embedded_base64("".join(parts))

    def _scrub_embedded_base64(self, text: str) -> str:
        """A secret inside a longer base64 token (``base64("name=secret")``): decode the token, scrub what it
        holds, encode it again; a token that does not decode loses the secret's characters to its placeholder."""
        for _ in range(1000):  # each round removes one occurrence
            hit = next(self._core_hits(text), None)
            if hit is None:
                return text
            core_start, core_end, known = hit
            start, end = spellings.token_around(text, core_start, core_end)
            decoded = spellings.decode_token(text[start:end])
            if decoded is not None and known.secret.value.encode("utf-8") in decoded[0]:
                inner = self.scrub_bytes(decoded[0])
                text = text[:start] + spellings.encode_token(inner, decoded[1], decoded[2]) + text[end:]
            else:
                text = text[:core_start] + known.mark + text[core_end:]
        return text

    def scrub_bytes(self, data: bytes) -> bytes:
        if not self._secrets or not data:
            return data
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Not text: every secret's spelling is ASCII or UTF-8, so a latin-1 view keeps byte offsets.
            return self._scrub_latin1(data)
        return self.scrub_text(text).encode("utf-8")

    def _scrub_latin1(self, data: bytes) -> bytes:
        out = data
        for known in self._secrets.values():
            raw = known.secret.value.encode("utf-8")
            for spelling in (raw, raw.hex().encode(), raw.hex().upper().encode(), base64.b64encode(raw).rstrip(b"=")):
                out = out.replace(spelling, known.mark.encode("utf-8"))
        return out

    def scrub_value(self, value: Any) -> Any:
        """Scrub every string inside a JSON-like value (keys included); a number that is a secret becomes its
        placeholder."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, Mapping):
            return {self.scrub_text(str(k)): self.scrub_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_value(v) for v in value]
        if isinstance(value, int | float) and not isinstance(value, bool) and str(value) in self._secrets:
            return self._secrets[str(value)].mark
        return value

    def scrub_header(self, name: str, value: str) -> str:
        scrubbed = self.scrub_text(value)
        if is_credential_header(name) and not has_placeholder(scrubbed):
            return placeholder(name.lower())
        return scrubbed

    def find(self, text: str) -> Iterator[tuple[str, int]]:
        """(secret name, offset) of every known secret spelling left in ``text``; never the value."""
        if not self._secrets or not text:
            return
        for start, _, known in self._spans(text):
            yield known.secret.name, start
        for start, _, known in self._core_hits(text):
            yield known.secret.name, start


def is_credential_header(name: str) -> bool:
    """A header whose value is a credential whatever it looks like: the known ones, and any custom header named
    ``*-token``, ``*-session``, ``*-key``, ``*-secret``, ``*-auth*`` (``X-Metabase-Session``, ``X-Shop-Token``)."""
    lowered = name.lower()
    return lowered in CREDENTIAL_HEADERS or bool(_CREDENTIAL_HEADER_RE.search(lowered))


_CREDENTIAL_HEADER_RE = re.compile(r"(?:^|[-_])(?:token|session|sessionid|key|apikey|secret|password|auth\w*)$")


def scrub_config(config: Mapping[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    """The replay config: every secret replaced by its placeholder."""
    result = scrubber.scrub_value(dict(config))
    assert isinstance(result, dict)
    return result
