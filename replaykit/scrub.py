"""Secret discovery and scrubbing.

A :class:`Scrubber` knows secret values and replaces every encoding of each one (raw, URL-encoded with
``quote`` and ``quote_plus``, JSON-escaped, base64) with a stable, named placeholder such as
``**REDACTED:api_key**``.  The same placeholder goes into the scrubbed replay config, so the connector
sends exactly the scrubbed requests at replay and they match the cassette.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from replaykit import json_paths, spellings

# CAT's list (test_secret_is_properly_marked: these exact names must be marked airbyte_secret).
CAT_SECRET_NAMES = frozenset(
    {
        "client_token", "access_token", "api_token", "token", "secret", "client_secret", "password", "key",
        "service_account_info", "service_account", "tenant_id", "certificate", "jwt", "credentials", "app_id",
        "appid", "refresh_token",
    }
)  # fmt: skip
# ...plus names connector developers use every day.
SECRET_FIELD_NAMES = CAT_SECRET_NAMES | {
    "api_key", "apikey", "api_secret", "private_key", "secret_key", "access_key", "access_key_id",
    "secret_access_key", "auth_token", "bearer_token", "session_token", "id_token", "passphrase", "pat",
    "personal_access_token",
}  # fmt: skip
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
# Keys of response JSON whose values are credentials handed out at run time (OAuth, sessions).
TOKEN_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "auth_token",
        "session_token",
        "session_id",
        "sessionid",
        "session_key",
        "bearer_token",
        "jwt",
        "api_key",
        "apikey",
        "client_secret",
        "secret",
        "password",
        "private_key",
    }
)
MIN_LEARNED_LENGTH = 8
USER_FIELD_NAMES = frozenset({"username", "user", "user_name", "login", "email", "client_id", "account"})
PASSWORD_FIELD_NAMES = frozenset({"password", "passwd", "client_secret", "secret", "api_secret", "api_key", "token"})
_PLACEHOLDER_RE = re.compile(r"\*\*REDACTED:[A-Za-z0-9_.\-]+\*\*")


def placeholder(name: str) -> str:
    """The stable placeholder that stands for the secret called ``name``."""
    safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", name) or "secret"
    return f"**REDACTED:{safe}**"


def has_placeholder(text: str) -> bool:
    return bool(_PLACEHOLDER_RE.search(text))


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
        placeholder(secret.name),
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
        self._secrets[secret.value] = known
        self._by_group[known.group] = known
        self._cores.extend((core, known) for core in spellings.base64_cores(secret.value))
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


def secret_field_names(spec: Mapping[str, Any] | None) -> set[str]:
    """Names of the spec properties marked ``airbyte_secret`` (at any depth, oneOf included)."""
    names: set[str] = set()

    for node in json_paths.nodes(spec or {}):
        props = node.get("properties") if isinstance(node, Mapping) else None
        if isinstance(props, Mapping):
            names.update(
                str(k) for k, sub in props.items() if isinstance(sub, Mapping) and sub.get("airbyte_secret") is True
            )
    return names


def discover_secrets(
    config: Mapping[str, Any], spec: Mapping[str, Any] | None = None, extra_names: Iterable[str] = ()
) -> list[Secret]:
    """The secret values of ``config``: spec-marked fields, secret-looking names and user additions."""
    marked = secret_field_names(spec) | {n.lower() for n in extra_names} | SECRET_FIELD_NAMES
    found: list[Secret] = []
    used_names: dict[str, str] = {}

    def name_for(key: str, value: str) -> str:
        base, n = key, 1
        while used_names.get(key, value) != value:
            n += 1
            key = f"{base}_{n}"
        used_names[key] = value
        return key

    for key, value in string_fields(config):
        if key.lower() in marked and value:
            found.append(Secret(name_for(key, value), value))
    return found + basic_auth_secrets(config)


def unsafe_secret_fields(
    config: Mapping[str, Any], spec: Mapping[str, Any] | None = None, extra_names: Iterable[str] = ()
) -> list[str]:
    """Names of the secret fields of ``config`` whose value is too short to be scrubbed safely."""
    marked = secret_field_names(spec) | {n.lower() for n in extra_names} | SECRET_FIELD_NAMES
    return sorted({key for key, value in string_fields(config) if key.lower() in marked and value and too_short(value)})


def string_fields(node: Any) -> Iterator[tuple[str, str]]:
    """(key, value) of every string (or integer) value under a mapping key, at any depth; an injected manifest
    (``__injected_declarative_manifest``) is the connector's code, not its config, and is skipped."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if str(key).startswith("__injected"):
                continue
            if isinstance(value, str):
                yield str(key), value
            elif isinstance(value, int) and not isinstance(value, bool):
                yield str(key), str(value)  # a numeric secret is sent as its digits
            else:
                yield from string_fields(value)
    elif isinstance(node, list):
        for value in node:
            yield from string_fields(value)


def basic_auth_secrets(config: Mapping[str, Any]) -> list[Secret]:
    """``base64(user:password)`` for every mapping holding a user-like and a password-like field, as HTTP
    Basic auth sends them; and a ``client_id`` that sits next to a secret is secret too."""
    found: list[Secret] = []

    for node in json_paths.nodes(config):
        if not isinstance(node, Mapping):
            continue
        keys = {str(k).lower(): v for k, v in node.items() if isinstance(v, str) and v}
        users = [v for k, v in keys.items() if k in USER_FIELD_NAMES]
        passwords = [v for k, v in keys.items() if k in PASSWORD_FIELD_NAMES]
        for user in users:
            for password in passwords:
                pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
                found.append(Secret("basic_auth", pair))
        if "client_id" in keys and passwords:
            found.append(Secret("client_id", keys["client_id"]))
    return found


def _credential_of_header(value: str) -> str:
    scheme, _, rest = value.partition(" ")
    return rest.strip() if rest and scheme.lower() in {"bearer", "basic", "token", "digest", "apikey"} else value


def is_credential_header(name: str) -> bool:
    """A header whose value is a credential whatever it looks like: the known ones, and any custom header named
    ``*-token``, ``*-session``, ``*-key``, ``*-secret``, ``*-auth*`` (``X-Metabase-Session``, ``X-Shop-Token``)."""
    lowered = name.lower()
    return lowered in CREDENTIAL_HEADERS or bool(_CREDENTIAL_HEADER_RE.search(lowered))


def is_credential_parameter(name: str) -> bool:
    """A query, form or JSON request field whose value is a credential (``sessionToken``, ``api_key``, ``sig``);
    pagination fields (``next_token``, ``pageToken``) are not."""
    lowered = name.lower()
    return bool(_CREDENTIAL_PARAM_RE.search(lowered)) and not _PAGINATION_RE.search(lowered)


_CREDENTIAL_HEADER_RE = re.compile(r"(?:^|[-_])(?:token|session|sessionid|key|apikey|secret|password|auth\w*)$")
_CREDENTIAL_PARAM_RE = re.compile(
    r"token|session|secret|passw|apikey|api_key|api-key|^key$|_key$|^auth|signature|^sig$|credential|^code$|jwt"
)
_PAGINATION_RE = re.compile(r"page|next|cursor|continu|offset|limit|after|before|sync")


def _cookie_value(raw: str) -> str:
    """A cookie's value without the double quotes RFC 6265 allows around it (the quotes are syntax, not value:
    scrubbing them away with the value would break the JSON a cookie is echoed in)."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _values(raw: Any) -> list[str]:
    return [str(v) for v in raw] if isinstance(raw, list | tuple) else [str(raw)]


def _parsed_body(body: bytes | str | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        pass
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        return None
    if "=" in text and "\n" not in text.strip():
        return dict(parse_qsl(text, keep_blank_values=True))
    return None


def learn_from_exchange(
    request_headers: Mapping[str, Any],
    response_headers: Mapping[str, Any],
    response_body: bytes | str | None,
    request_uri: str = "",
    request_body: bytes | str | None = None,
) -> list[Secret]:
    """Credentials an exchange reveals. Any value the request sends in a *credential position* (an auth header, a
    custom ``*-token`` / ``*-session`` / ``*-key`` header, a credential-named query or body field, a cookie) is
    secret, whoever made it up; so are tokens a response hands out (JSON token keys, ``Set-Cookie``). Placeholders
    and values too short to replace safely are never learned (a learned value is replaced wherever it appears,
    the earlier response that handed it out included)."""
    learned: list[Secret] = []
    for name, raw in request_headers.items():
        lowered = str(name).lower()
        for value in _values(raw):
            if lowered == "cookie":
                for part in value.split(";"):
                    cookie, _, cookie_value = part.strip().partition("=")
                    learned.append(Secret(f"cookie_{cookie}", _cookie_value(cookie_value)))
            elif is_credential_header(lowered):
                learned.append(Secret(lowered.replace("-", "_"), _credential_of_header(value)))
    for key, value in parse_qsl(urlsplit(request_uri).query, keep_blank_values=True):
        if is_credential_parameter(key):
            learned.append(Secret(key, value))
    for key, value in string_fields(_parsed_body(request_body)):
        if is_credential_parameter(key) or key.lower() in TOKEN_KEYS:
            learned.append(Secret(key, value))
    for name, raw in response_headers.items():
        if str(name).lower() == "set-cookie":
            for value in _values(raw):
                cookie, _, rest = value.partition("=")
                learned.append(Secret(f"cookie_{cookie.strip()}", _cookie_value(rest.split(";", 1)[0])))
    if response_body:
        learned.extend(
            Secret(key.lower(), value)
            for key, value in string_fields(_parsed_body(response_body))
            if key.lower() in TOKEN_KEYS
        )
    return [
        s
        for s in learned
        if len(s.value) >= MIN_LEARNED_LENGTH and not too_short(s.value) and not has_placeholder(s.value)
    ]


def scrub_config(config: Mapping[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    """The replay config: every secret replaced by its placeholder."""
    result = scrubber.scrub_value(dict(config))
    assert isinstance(result, dict)
    return result
