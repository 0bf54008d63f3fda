"""Request identity and the explanation of a miss.

A request's key is its method, its URL with the query sorted and decoded, and a digest of its body
(JSON bodies canonicalised first).  Lookup is one dict access; identical requests share a key and
replay in recorded order.  When nothing matches, :func:`closest_requests` says which recorded request
comes nearest and what differs (path, query key, body field).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from replaykit.diff_text import clip

RequestKey = tuple[str, str, str, tuple[tuple[str, str], ...], str]


@dataclass(frozen=True)
class HttpRequest:
    """The parts of a request that matter for matching."""

    method: str
    uri: str
    body: bytes | None = None

    @property
    def key(self) -> RequestKey:
        return request_key(self.method, self.uri, self.body)

    def describe(self) -> str:
        return f"{self.method.upper()} {self.uri}"


def _origin_and_path(uri: str) -> tuple[str, str, str]:
    parts = urlsplit(uri)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    origin = f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"
    return origin, parts.path or "/", parts.query


def _query(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


_FORM = re.compile(r"[^=&\s]+=[^&\s]*(&[^=&\s]+=[^&\s]*)*")


@dataclass(frozen=True)
class FormBody:
    """An ``application/x-www-form-urlencoded`` body, decoded: the same fields however they were escaped."""

    fields: tuple[tuple[str, str], ...]


def _parse_body(body: bytes | str | None) -> Any:
    if body is None or body in (b"", ""):
        return None
    raw = body.encode("utf-8") if isinstance(body, str) else body
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        pass
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return raw
    if _FORM.fullmatch(text):
        return FormBody(tuple(sorted(parse_qsl(text, keep_blank_values=True))))
    return raw


def body_digest(body: bytes | str | None) -> str:
    parsed = _parse_body(body)
    if parsed is None:
        return ""
    if isinstance(parsed, bytes):
        return "raw:" + hashlib.sha256(parsed).hexdigest()[:24]
    if isinstance(parsed, FormBody):
        return "form:" + hashlib.sha256(json.dumps(parsed.fields).encode("utf-8")).hexdigest()[:24]
    canon = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return "json:" + hashlib.sha256(canon).hexdigest()[:24]


def request_key(method: str, uri: str, body: bytes | str | None) -> RequestKey:
    origin, path, query = _origin_and_path(uri)
    return (method.upper(), origin, path, _query(query), body_digest(body))


@dataclass(frozen=True)
class Candidate:
    """A recorded request close to a missed one, with what differs."""

    request: HttpRequest
    differences: tuple[str, ...]


def differences(sent: HttpRequest, recorded: HttpRequest) -> list[str]:
    """Human-readable differences, most important first."""
    out: list[str] = []
    s_origin, s_path, s_query = _origin_and_path(sent.uri)
    r_origin, r_path, r_query = _origin_and_path(recorded.uri)
    if sent.method.upper() != recorded.method.upper():
        out.append(f"method: sent {sent.method.upper()}, recorded {recorded.method.upper()}")
    if s_origin != r_origin:
        out.append(f"host: sent {s_origin}, recorded {r_origin}")
    if s_path != r_path:
        out.append(f"path: sent {s_path}, recorded {r_path}")
    sq, rq = dict(_query(s_query)), dict(_query(r_query))
    for key in sorted(set(sq) | set(rq)):
        if key not in rq:
            out.append(f"query key {key!r} sent ({clip(sq[key], 80)!r}) but not recorded")
        elif key not in sq:
            out.append(f"query key {key!r} recorded ({clip(rq[key], 80)!r}) but not sent")
        elif sq[key] != rq[key]:
            out.append(f"query {key!r}: sent {clip(sq[key], 80)!r}, recorded {clip(rq[key], 80)!r}")
    if body_digest(sent.body) != body_digest(recorded.body):
        out.extend(_body_differences(_parse_body(sent.body), _parse_body(recorded.body)))
    return out


def _body_differences(sent: Any, recorded: Any) -> list[str]:
    if isinstance(sent, FormBody) and isinstance(recorded, FormBody):
        sent, recorded = dict(sent.fields), dict(recorded.fields)
    if isinstance(sent, dict) and isinstance(recorded, dict):
        out = []
        for key in sorted(set(sent) | set(recorded), key=str):
            if key not in recorded:
                out.append(f"body field {key!r} sent but not recorded")
            elif key not in sent:
                out.append(f"body field {key!r} recorded but not sent")
            elif sent[key] != recorded[key]:
                out.append(
                    f"body field {key!r}: sent {clip(json.dumps(sent[key]), 80)}, "
                    f"recorded {clip(json.dumps(recorded[key]), 80)}"
                )
        return out
    return ["body differs"]


def closest_requests(sent: HttpRequest, recorded: list[HttpRequest], limit: int = 3) -> list[Candidate]:
    """The recorded requests nearest to ``sent``: same method and path first, then fewest differences."""
    s_origin, s_path, _ = _origin_and_path(sent.uri)
    seen: set[RequestKey] = set()
    scored: list[tuple[tuple[int, int, int], int, Candidate]] = []
    for position, rec in enumerate(recorded):
        if rec.key in seen:
            continue
        seen.add(rec.key)
        r_origin, r_path, _ = _origin_and_path(rec.uri)
        diffs = differences(sent, rec)
        score = (
            int(rec.method.upper() != sent.method.upper()) + int(r_origin != s_origin),
            int(r_path != s_path),
            len(diffs),
        )
        scored.append((score, position, Candidate(rec, tuple(diffs))))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [candidate for _, _, candidate in scored[:limit]]
