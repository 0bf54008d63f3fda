"""Secret discovery: which values are secrets, in a connector's config (spec-marked fields, secret-looking names,
HTTP Basic pairs) and in the exchanges of a recording (credentials a request sends, tokens a response hands out).

What is found is a list of :class:`~replaykit.scrub.Secret`; :class:`~replaykit.scrub.Scrubber` replaces them.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from replaykit import json_paths
from replaykit.scrub import Secret, has_placeholder, is_credential_header, too_short

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


def is_credential_parameter(name: str) -> bool:
    """A query, form or JSON request field whose value is a credential (``sessionToken``, ``api_key``, ``sig``);
    pagination fields (``next_token``, ``pageToken``) are not."""
    lowered = name.lower()
    return bool(_CREDENTIAL_PARAM_RE.search(lowered)) and not _PAGINATION_RE.search(lowered)


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
