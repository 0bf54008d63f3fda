"""Cassette files: strict loading (a corrupt cassette is an error naming the file and line, never "empty"),
lazily parsed requests, and atomic saving in vcrpy's JSON or YAML format. With :mod:`replaykit._vcr`, the
only modules that import vcrpy."""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson
import yaml
from vcr.request import HeadersDict, Request
from vcr.serialize import serialize
from vcr.serializers import compat, yamlserializer

from replaykit.errors import CassetteCorruptError, CassetteError
from replaykit.files import write_atomic
from replaykit.matching import RequestKey, request_key

Interaction = tuple[Request, dict[str, Any]]


def key_of(request: Request) -> RequestKey:
    """The request's key, computed once per request object (the stub asks twice per request)."""
    cached: tuple[str, bytes | None, RequestKey] | None = request.__dict__.get("_replaykit_key")
    if cached is not None and cached[0] == request.uri and cached[1] is request.body:
        return cached[2]
    key = request_key(request.method, request.uri, request.body)
    request.__dict__["_replaykit_key"] = (request.uri, request.body, key)
    return key


class StoredRequest(Request):  # type: ignore[misc]
    """A recorded request as a cassette holds it, parsed only as far as it is used.

    Replay needs a recorded request's method, URI and body (its key); vcrpy's ``Request`` also parses the
    URI and builds a case-insensitive header dict, most of the load time of a large cassette.  This one
    does that on first use of ``parsed_uri`` or ``headers``."""

    def __init__(self, raw: dict[str, Any]) -> None:  # no super().__init__: the same attributes, lazily
        method, uri, body, headers = raw["method"], raw["uri"], raw.get("body"), raw["headers"]
        if not isinstance(method, str) or not isinstance(uri, str):
            raise TypeError("method and uri must be strings")
        if not isinstance(headers, dict) or not isinstance(body, str | bytes | None):
            raise TypeError("headers must be a mapping and body a string")
        self.method = method
        self._uri = uri
        self._body = body.encode("utf-8") if isinstance(body, str) else body
        self._was_file = self._was_iter = False
        self._raw_headers: dict[str, Any] | None = headers

    @property
    def uri(self) -> str:
        return self._uri

    @uri.setter
    def uri(self, uri: str) -> None:
        self._uri = uri
        self.__dict__.pop("_parsed_uri", None)

    @property
    def parsed_uri(self) -> Any:
        if "_parsed_uri" not in self.__dict__:
            self.__dict__["_parsed_uri"] = urlparse(self._uri)
        return self.__dict__["_parsed_uri"]

    @property
    def headers(self) -> Any:
        if self._raw_headers is not None:
            self._headers = HeadersDict(self._raw_headers)
            self._raw_headers = None
        return self._headers

    @headers.setter
    def headers(self, value: Any) -> None:
        self._raw_headers = None
        self._headers = value if isinstance(value, HeadersDict) else HeadersDict(value)


# --------------------------------------------------------------------------- files


@dataclass
class CassetteData:
    interactions: list[Interaction]
    metadata: dict[str, Any] = field(default_factory=dict)


def load_cassette(path: Path) -> CassetteData:
    """Read a vcrpy cassette strictly: missing or unparsable files raise, naming the file and line."""
    if not path.is_file():
        raise CassetteError(
            f"cassette {path} does not exist",
            path=str(path),
            hint="The invocation index names a cassette that is gone; re-record with `replaykit record`.",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteCorruptError(
            f"cassette {path} is not UTF-8 text", path=str(path), hint="Restore it from git or re-record."
        ) from exc
    except OSError as exc:
        raise CassetteError.unreadable("cassette", path, exc) from exc
    # Bulk loading creates no reference cycles: the collector would only rescan the growing heap.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(path, text, _parse(path, text))
    finally:
        if collecting:
            gc.enable()


def _build(path: Path, text: str, data: Any) -> CassetteData:
    try:
        if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
            raise ValueError("the top level must be a mapping with an 'interactions' list")
        interactions: list[Interaction] = []
        for number, item in enumerate(data["interactions"], start=1):
            try:
                interactions.append((StoredRequest(item["request"]), compat.convert_to_bytes(item["response"])))
            except (KeyError, TypeError, AttributeError) as exc:
                raise ValueError(f"interaction {number} is malformed ({type(exc).__name__}: {exc})") from exc
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise ValueError("'metadata' must be a mapping")
    except ValueError as exc:
        line = _interaction_line(text, str(exc), cassette_format(path))
        raise CassetteCorruptError(
            f"cassette {path} is not a vcrpy cassette" + (f" (line {line})" if line else "") + f": {exc}",
            path=str(path),
            hint="Undo the hand edit (git diff shows it) or re-record with `replaykit record`.",
        ) from exc
    return CassetteData(interactions, metadata)


def cassette_format(path: Path) -> str:
    """``json`` or ``yaml``, by the file's suffix (vcrpy's two serializers)."""
    return "json" if path.suffix.lower() == ".json" else "yaml"


def _parse(path: Path, text: str) -> Any:
    if cassette_format(path) == "json":
        try:
            return orjson.loads(text)  # what vcrpy's JSON serializer reads, several times faster
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            raise CassetteCorruptError(
                f"cassette {path} is not valid JSON" + (f" at line {line}" if line else "") + f": {exc}",
                path=str(path),
                hint="Undo the hand edit (git diff shows it) or re-record with `replaykit record`.",
            ) from exc
    try:
        return yamlserializer.deserialize(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CassetteCorruptError(
            f"cassette {path} is not valid YAML{where}: {problem}",
            path=str(path),
            hint="Undo the hand edit (git diff shows it) or re-record with `replaykit record`.",
        ) from exc


def _interaction_line(text: str, problem: str, form: str) -> int | None:
    """The line where the interaction named in ``problem`` ("interaction N ...") starts."""
    if not problem.startswith("interaction "):
        return None
    try:
        number = int(problem.split()[1])
        if form == "json":  # as replaykit writes it: each interaction opens with a line "    {"
            openings = [i for i, line in enumerate(text.splitlines(), start=1) if line == "    {"]
            return openings[number - 1]
        root: Any = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for key, value in root.value:
            if key.value == "interactions":
                return int(value.value[number - 1].start_mark.line) + 1
    except (ValueError, IndexError, AttributeError, yaml.YAMLError):
        return None
    return None


class _JsonSerializer:
    """vcrpy's JSON cassette layout, indented by two and UTF-8 as is (smaller, and readable in a diff)."""

    @staticmethod
    def serialize(cassette_dict: dict[str, Any]) -> str:
        return json.dumps(cassette_dict, indent=2, ensure_ascii=False) + "\n"


def _is_text(response: dict[str, Any]) -> bool:
    body = response.get("body", {}).get("string")
    if not isinstance(body, bytes):
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def save_cassette(path: Path, data: CassetteData) -> Path:
    """Write a vcrpy-format cassette atomically; interactions sorted by request key (stable within a key,
    so identical requests keep their recorded order) to keep re-recordings diffable.

    A ``.json`` path is written with vcrpy's JSON serializer unless a response body is binary (not UTF-8),
    which only vcrpy's YAML serializer can hold: that cassette goes to the ``.yaml`` path beside it.
    Returns the path written."""
    ordered = sorted(data.interactions, key=lambda item: repr(key_of(item[0])))
    if cassette_format(path) == "json" and not all(_is_text(response) for _, response in ordered):
        path = path.with_suffix(".yaml")
    serializer = _JsonSerializer if cassette_format(path) == "json" else yamlserializer
    text = serialize(
        {
            "requests": [r for r, _ in ordered],
            "responses": [r for _, r in ordered],
            "metadata": data.metadata,
        },
        serializer,
    )
    write_atomic(path, text)
    return path


# --------------------------------------------------------------------------- the indexed cassette
