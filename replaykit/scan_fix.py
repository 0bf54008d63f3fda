"""``replaykit scan --fix``: replace found values by placeholders, in place and atomically, inside decoded
``!!binary`` bodies too (re-encoded the way they were)."""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from collections.abc import Callable
from pathlib import Path

from replaykit.files import write_atomic
from replaykit.scan import BINARY_BLOCK, Finding, brotli_decompress
from replaykit.scrub import Scrubber, Secret


def fix_file(path: Path, findings: list[Finding], known: Scrubber) -> int:
    """Replace every found value (in every encoding) by a placeholder, atomically; returns how many values."""
    scrubber = Scrubber(known.secrets)
    for finding in findings:
        if finding.value:
            name = re.sub(r"[^a-z0-9]+", "_", finding.rule.lower()).strip("_")
            scrubber.add(Secret(name, finding.value))
    text = path.read_text(encoding="utf-8", errors="replace")
    fixed = scrubber.scrub_text(BINARY_BLOCK.sub(lambda m: _fix_binary(m, scrubber), text))
    if fixed != text:
        write_atomic(path, fixed)
    return len({f.value for f in findings if f.value}) + len(list(known.find(text)))


_CODECS: list[tuple[str, Callable[[bytes], bytes], Callable[[bytes], bytes]]] = [
    ("gzip", gzip.decompress, lambda b: gzip.compress(b, mtime=0)),
    ("zlib", zlib.decompress, zlib.compress),
    ("deflate", lambda b: zlib.decompress(b, -15), lambda b: _raw_deflate(b)),
    ("brotli", lambda b: brotli_decompress(b), lambda b: _brotli_compress(b)),
    ("identity", lambda b: b, lambda b: b),
]


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


def _brotli_compress(data: bytes) -> bytes:
    import brotli

    return bytes(brotli.compress(data))


def _fix_binary(match: re.Match[str], scrubber: Scrubber) -> str:
    """A ``!!binary`` body with its secrets replaced: decoded, decompressed, scrubbed, compressed the same way."""
    block = match.group(1)
    try:
        raw = base64.b64decode("".join(block.split()))
    except (binascii.Error, ValueError):
        return match.group(0)
    for _, decompress, compress in _CODECS:
        try:
            plain = decompress(raw)
            plain.decode("utf-8")
        except Exception:  # noqa: BLE001 - not this encoding; try the next one
            continue
        scrubbed = scrubber.scrub_bytes(plain)
        if scrubbed == plain:
            return match.group(0)
        indent = block[: len(block) - len(block.lstrip(" \t"))]
        lines = base64.encodebytes(compress(scrubbed)).decode("ascii").splitlines()
        header = match.group(0)[: match.start(1) - match.start(0)]
        return header + "".join(f"{indent}{line}\n" for line in lines)
    return match.group(0)
