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
from urllib.parse import quote, quote_plus

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
MIN_SECRET_LENGTH = 4
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


def encodings(value: str) -> Iterator[tuple[str, str]]:
    """(encoding name, encoded value) for every spelling of ``value`` that may reach a file."""
    yield "raw", value
    yield "url", quote(value, safe="")
    yield "url+", quote_plus(value)
    yield "json", json.dumps(value, ensure_ascii=True)[1:-1]
    yield "json-utf8", json.dumps(value, ensure_ascii=False)[1:-1]
    raw = value.encode("utf-8")
    yield "base64", base64.b64encode(raw).decode("ascii")
    yield "base64url", base64.urlsafe_b64encode(raw).decode("ascii")


def _encode_like(kind: str, text: str) -> str:
    if kind == "url":
        return quote(text, safe="")
    if kind == "url+":
        return quote_plus(text)
    return text


class Scrubber:
    """Replaces known secrets, in every encoding, by their placeholders."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self._secrets: dict[str, Secret] = {}
        self._table: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    @property
    def secrets(self) -> list[Secret]:
        return list(self._secrets.values())

    def add(self, secret: Secret) -> bool:
        """Know one more secret; False when it was known already or is too short to be replaced safely."""
        if len(secret.value) < MIN_SECRET_LENGTH or secret.value in self._secrets or has_placeholder(secret.value):
            return False
        self._secrets[secret.value] = secret
        mark = placeholder(secret.name)
        for kind, encoded in encodings(secret.value):
            if len(encoded) >= MIN_SECRET_LENGTH:
                self._table.setdefault(encoded, _encode_like(kind, mark))
                self._names.setdefault(encoded, secret.name)
        # Longest first, so a value that contains another secret is replaced whole.
        alternatives = sorted(self._table, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(a) for a in alternatives))
        return True

    def scrub_text(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: self._table[m.group(0)], text)

    def scrub_bytes(self, data: bytes) -> bytes:
        if self._pattern is None or not data:
            return data
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            out = data
            for found, mark in self._table.items():
                out = out.replace(found.encode("utf-8"), mark.encode("utf-8"))
            return out
        return self.scrub_text(text).encode("utf-8")

    def scrub_value(self, value: Any) -> Any:
        """Scrub every string inside a JSON-like value (keys included)."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, Mapping):
            return {self.scrub_text(str(k)): self.scrub_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_value(v) for v in value]
        return value

    def scrub_header(self, name: str, value: str) -> str:
        scrubbed = self.scrub_text(value)
        if name.lower() in CREDENTIAL_HEADERS and not has_placeholder(scrubbed):
            return placeholder(name.lower())
        return scrubbed

    def find(self, text: str) -> Iterator[tuple[str, int]]:
        """(secret name, offset) of every known secret spelling left in ``text``; never the value."""
        if self._pattern is None:
            return
        for match in self._pattern.finditer(text):
            yield self._names[match.group(0)], match.start()


def secret_field_names(spec: Mapping[str, Any] | None) -> set[str]:
    """Names of the spec properties marked ``airbyte_secret`` (at any depth, oneOf included)."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            props = node.get("properties")
            if isinstance(props, Mapping):
                for key, sub in props.items():
                    if isinstance(sub, Mapping) and sub.get("airbyte_secret") is True:
                        names.add(str(key))
            for sub in node.values():
                walk(sub)
        elif isinstance(node, list):
            for sub in node:
                walk(sub)

    walk(spec or {})
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


def string_fields(node: Any) -> Iterator[tuple[str, str]]:
    """(key, value) of every string value under a mapping key, at any depth; an injected manifest
    (``__injected_declarative_manifest``) is the connector's code, not its config, and is skipped."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if str(key).startswith("__injected"):
                continue
            if isinstance(value, str):
                yield str(key), value
            else:
                yield from string_fields(value)
    elif isinstance(node, list):
        for value in node:
            yield from string_fields(value)


def basic_auth_secrets(config: Mapping[str, Any]) -> list[Secret]:
    """``base64(user:password)`` for every mapping holding a user-like and a password-like field, as HTTP
    Basic auth sends them; and a ``client_id`` that sits next to a secret is secret too."""
    found: list[Secret] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            keys = {str(k).lower(): v for k, v in node.items() if isinstance(v, str) and v}
            users = [v for k, v in keys.items() if k in USER_FIELD_NAMES]
            passwords = [v for k, v in keys.items() if k in PASSWORD_FIELD_NAMES]
            for user in users:
                for password in passwords:
                    pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
                    found.append(Secret("basic_auth", pair))
            if "client_id" in keys and passwords:
                found.append(Secret("client_id", keys["client_id"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    return found


def _credential_of_header(value: str) -> str:
    scheme, _, rest = value.partition(" ")
    return rest.strip() if rest and scheme.lower() in {"bearer", "basic", "token", "digest", "apikey"} else value


def learn_from_exchange(
    request_headers: Mapping[str, Any], response_headers: Mapping[str, Any], response_body: bytes | str | None
) -> list[Secret]:
    """Credentials an exchange reveals: tokens in a JSON response, cookie values, what a request sends in a
    credential header.  Placeholders and short values are never learned."""
    learned: list[Secret] = []

    def values(raw: Any) -> list[str]:
        return [str(v) for v in raw] if isinstance(raw, list | tuple) else [str(raw)]

    for name, raw in request_headers.items():
        lowered = str(name).lower()
        for value in values(raw):
            if lowered == "cookie":
                for part in value.split(";"):
                    cookie, _, cookie_value = part.strip().partition("=")
                    learned.append(Secret(f"cookie_{cookie}", cookie_value))
            elif lowered in CREDENTIAL_HEADERS:
                learned.append(Secret(lowered.replace("-", "_"), _credential_of_header(value)))
    for name, raw in response_headers.items():
        if str(name).lower() == "set-cookie":
            for value in values(raw):
                cookie, _, rest = value.partition("=")
                learned.append(Secret(f"cookie_{cookie.strip()}", rest.split(";", 1)[0].strip()))
    if response_body:
        try:
            parsed = json.loads(response_body)
        except (ValueError, UnicodeDecodeError):
            parsed = None

        learned.extend(Secret(key.lower(), value) for key, value in string_fields(parsed) if key.lower() in TOKEN_KEYS)
    return [s for s in learned if len(s.value) >= MIN_LEARNED_LENGTH and not has_placeholder(s.value)]


def scrub_config(config: Mapping[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    """The replay config: every secret replaced by its placeholder."""
    result = scrubber.scrub_value(dict(config))
    assert isinstance(result, dict)
    return result
