"""Verification after write: a written file is read back and searched for every known secret, in every
encoding, both in its raw text and in every value it parses to (YAML may escape or fold a string)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from replaykit.files import write_atomic
from replaykit.scrub import Scrubber

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Leak:
    secret: str  # the secret's name, never its value
    location: str  # "line 12" or a value path such as "interactions[3].response.body.string"


def _leaves(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(key, f"{path} (key)")
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node
    elif isinstance(node, bytes):
        yield path, _decompressed(node).decode("utf-8", errors="replace")


def _decompressed(data: bytes) -> bytes:
    """A body as its text: a compressed body (gzip, zlib, raw deflate, brotli) that stayed so is opened too."""
    import gzip
    import zlib

    for decompress in (gzip.decompress, zlib.decompress, lambda b: zlib.decompress(b, -15), _brotli):
        try:
            return bytes(decompress(data))
        except Exception:  # noqa: BLE001 - not this encoding; try the next one
            continue
    return data


def _brotli(data: bytes) -> bytes:
    import brotli

    return bytes(brotli.decompress(data))


def _parsed(path: Path, text: str) -> Any:
    try:
        if path.suffix in (".yaml", ".yml"):
            return yaml.load(text, Loader=_LOADER)
        if path.suffix == ".json":
            return json.loads(text)
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
    except (yaml.YAMLError, ValueError):
        return None
    return None


def find_leak(path: Path, scrubber: Scrubber) -> Leak | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    for name, offset in scrubber.find(text):
        return Leak(name, f"line {text.count(chr(10), 0, offset) + 1}")
    for where, value in _leaves(_parsed(path, text), ""):
        for name, _ in scrubber.find(value):
            return Leak(name, where or "the top-level value")
    return None


def write_verified(path: Path, text: str, scrubber: Scrubber) -> Leak | None:
    """Write ``text`` next to ``path``, read it back, and move it into place only if no secret is in it.

    Returns the leak (and leaves the previous file untouched) when one is found."""
    staged = path.with_name(f".{path.name}.verify")
    write_atomic(staged, text)
    leak = find_leak(staged, scrubber)
    if leak is not None:
        staged.unlink()
        return leak
    os.replace(staged, path)
    return None
