"""Every spelling of a secret, as one regular expression per secret: the matcher that scrubs and verifies.

A value reaches a file in many valid spellings; the matcher does not list them, it accepts each character in
any of its spellings, so mixtures and case variants match too:

* raw, percent-encoded (upper- or lower-case hex, ``+`` for a space, double-encoded ``%252F``, partially
  encoded), JSON-escaped (``\\/``, ``\\u00e9`` in any hex case, escaped again inside a JSON string);
* hex of the UTF-8 bytes, any case;
* base64 and base64url, padded or not, standing alone;
* base64 *inside* a longer base64 token (``base64("name=secret")``, Basic auth): the characters that depend only
  on the secret's bytes, at each of the three byte alignments (the "cores").
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, unquote

_ESC = r"\\+"  # one JSON escape, or an escape escaped again (a JSON document inside a JSON string)


def _hex_byte(byte: int) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in f"{byte:02x}")


def _percent(ch: str) -> str:
    return "".join(f"%(?:25)?{_hex_byte(b)}" for b in ch.encode("utf-8"))


def _json_escape(ch: str) -> list[str]:
    code = ord(ch)
    units = [code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)]
    alternatives = ["".join(_ESC + "u" + "".join(_hex_byte(b) for b in u.to_bytes(2, "big")) for u in units)]
    short = {'"': '"', "\\": "\\\\", "/": "/", "\n": "n", "\r": "r", "\t": "t", "\b": "b", "\f": "f"}
    if ch in short:
        alternatives.append(_ESC + re.escape(short[ch]))
    return alternatives


def char_pattern(ch: str) -> str:
    """Every spelling of one character: itself, percent-encoded (once or twice), JSON-escaped."""
    alternatives = [re.escape(ch), _percent(ch), *_json_escape(ch)]
    if ch == " ":
        alternatives.append(r"\+")
    if ch == "\\":
        alternatives.append(r"\\+")
    return "(?:" + "|".join(alternatives) + ")"


def text_pattern(value: str) -> str:
    """The value in any mixture of raw, percent-encoded and JSON-escaped characters."""
    return "".join(char_pattern(ch) for ch in value)


def _b64(raw: bytes, urlsafe: bool) -> str:
    return (base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)).decode("ascii")


def base64_cores(value: str) -> list[str]:
    """The base64 characters that depend only on the value's bytes, at each alignment, in both alphabets."""
    raw = value.encode("utf-8")
    n = len(raw)
    cores: list[str] = []
    for pad in range(3):
        encoded_std = base64.b64encode(b"\0" * pad + raw + b"\0\0").decode("ascii")
        first = -(-8 * pad // 6)  # first character whose 6 bits all come from the value
        last = (8 * (pad + n)) // 6  # one past the last such character
        if last - first < 4:
            continue
        core = encoded_std[first:last]
        cores.append(core)
        cores.append(core.replace("+", "-").replace("/", "_"))
    return list(dict.fromkeys(cores))


def classify(matched: str, value: str) -> str:
    """How a match spells the value: "raw", "url", "url2" (double-encoded) or "other" (JSON-escaped, hex, ...)."""
    if matched == value:
        return "raw"
    if "%" in matched:
        once = unquote(matched)
        if "%" in once and unquote(once) == value and once != value:
            return "url2"
        return "url"
    return "other"


def respell(kind: str, mark: str, matched: str) -> str:
    """The placeholder ``mark`` spelt as the match was (so scrubbed requests equal those replay sends)."""
    if kind == "url":
        encoded = quote(mark, safe="")
        return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded) if _lower_hex(matched) else encoded
    if kind == "url2":
        return quote(quote(mark, safe=""), safe="")
    return mark


def _lower_hex(matched: str) -> bool:
    escapes = re.findall(r"%([0-9A-Fa-f]{2})", matched)
    return any(e != e.upper() for e in escapes) and not any(e != e.lower() for e in escapes)


B64_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")


def token_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The whole base64 token that the span [start, end) lies in (padding included)."""
    while start > 0 and text[start - 1] in B64_TOKEN_CHARS:
        start -= 1
    while end < len(text) and text[end] in B64_TOKEN_CHARS:
        end += 1
    while end < len(text) and text[end] == "=" and end - start < 10**7:
        end += 1
    return start, end


def decode_token(token: str) -> tuple[bytes, bool, bool] | None:
    """(decoded bytes, urlsafe, padded) of a base64 token, or None when it is not base64."""
    stripped = token.rstrip("=")
    urlsafe = "-" in stripped or "_" in stripped
    if urlsafe and ("+" in stripped or "/" in stripped):
        return None
    if len(stripped) % 4 == 1:
        return None
    padded = stripped + "=" * (-len(stripped) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
    except ValueError:
        return None
    return raw, urlsafe, token.endswith("=") or len(token) % 4 == 0


def encode_token(raw: bytes, urlsafe: bool, padded: bool) -> str:
    encoded = _b64(raw, urlsafe)
    return encoded if padded else encoded.rstrip("=")
