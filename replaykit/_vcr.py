"""The only module that imports vcrpy: cassette files, the indexed cassette and its patches.

vcrpy gives replaykit its file format (cassettes stay loadable by plain vcrpy) and its patches of
http.client / urllib3 / requests.  replaykit replaces three things around it:

* lookup: an O(1) index keyed by :func:`replaykit.matching.request_key`, with a per-key cursor so
  identical requests replay in recorded order (stock vcrpy scans every interaction, twice, per request);
* thread safety: one lock around vcrpy's process-global ``force_reset`` window and urllib3's connection
  checkout, so requests from the CDK's worker threads are never lost while recording or escape while
  replaying (vcrpy issues #212, #849);
* files: strict loading (a corrupt cassette is an error naming the file and line, never "empty") and
  atomic, scrubbed saving.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson
import yaml
from vcr import patch as vcr_patch
from vcr.cassette import Cassette
from vcr.filters import decode_response
from vcr.record_mode import RecordMode
from vcr.request import HeadersDict, Request
from vcr.serialize import serialize
from vcr.serializers import compat, yamlserializer

from replaykit.errors import CassetteCorruptError, CassetteError
from replaykit.files import write_atomic
from replaykit.matching import HttpRequest, RequestKey, request_key
from replaykit.scrub import Scrubber, Secret
from replaykit.secret_discovery import learn_from_exchange

Interaction = tuple[Request, dict[str, Any]]


def to_http_request(request: Request) -> HttpRequest:
    body = request.body
    return HttpRequest(request.method, request.uri, body if isinstance(body, bytes | None) else str(body).encode())


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
        raise CassetteError(
            f"cassette {path} cannot be read: {exc.strerror}",
            path=str(path),
            hint=f"Make it readable: chmod u+r {path}",
        ) from exc
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


def learn_secrets(interaction: Interaction) -> list[Secret]:
    """What a live exchange reveals (tokens, cookies, credential positions), from its decoded response."""
    request, response = interaction
    decoded = decode_response(copy.deepcopy(response))
    return learn_from_exchange(
        request.headers,
        decoded.get("headers", {}),
        decoded.get("body", {}).get("string"),
        request_uri=request.uri,
        request_body=request.body,
    )


def scrub_interaction(interaction: Interaction, scrubber: Scrubber) -> Interaction:
    """A scrubbed copy: URL, headers and body of the request; headers and (decoded) body of the response."""
    request, response = interaction
    new_request = Request(
        method=request.method,
        uri=scrubber.scrub_text(request.uri),
        body=scrubber.scrub_bytes(request.body) if isinstance(request.body, bytes) else request.body,
        headers={name: scrubber.scrub_header(name, value) for name, value in request.headers.items()},
    )
    new_response = decode_response(copy.deepcopy(response))
    new_response["headers"] = {
        name: [scrubber.scrub_header(name, str(v)) for v in (values if isinstance(values, list) else [values])]
        for name, values in new_response.get("headers", {}).items()
    }
    body = new_response.get("body", {}).get("string")
    if isinstance(body, bytes):
        new_response["body"]["string"] = scrubber.scrub_bytes(body)
    elif isinstance(body, str):
        new_response["body"]["string"] = scrubber.scrub_text(body)
    return new_request, new_response


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


class IndexedCassette(Cassette):  # type: ignore[misc]
    """A vcrpy Cassette with an O(1) thread-safe index.

    Identical requests replay in recorded order; when a GET has been played as often as it was recorded,
    the last recorded response repeats (counted in ``repeats``), because the CDK's ``requests_cache``
    may send a cached request once more or once less depending on thread timing.  For the same reason a
    request counts as *unplayed* only when nothing with its key was played: extra recorded copies of a played
    request are not.
    """

    def __init__(self, path: str, *, record_mode: RecordMode, **kwargs: Any) -> None:
        super().__init__(path, record_mode=record_mode, **kwargs)
        self._lock = threading.RLock()
        self._buckets: dict[RequestKey, deque[int]] = {}
        self._last: dict[RequestKey, int] = {}
        self.misses: list[HttpRequest] = []
        self.repeats = 0
        self._played: set[RequestKey] = set()
        self.on_record: Callable[[Request, dict[str, Any]], None] | None = None
        self.on_request: Callable[[], None] | None = None  # each exchange recorded or played (progress)

    def load_interactions(self, interactions: list[Interaction]) -> None:
        with self._lock:
            for request, response in interactions:
                self._index(len(self.data), request)
                self.data.append((request, response))
            self._loaded_count = len(self.data)
            self.rewound = True

    def _index(self, position: int, request: Request) -> None:
        key = key_of(request)
        self._buckets.setdefault(key, deque()).append(position)
        self._last[key] = position

    def append(self, request: Request, response: dict[str, Any]) -> None:
        """Record one live exchange (``on_record`` sees it first: that is where secrets are learned)."""
        request, response = copy.deepcopy(request), copy.deepcopy(response)
        if self.on_record is not None:
            self.on_record(request, response)
        with self._lock:
            self.data.append((request, response))
            self.dirty = True
        if self.on_request is not None:
            self.on_request()

    def _replaying(self) -> bool:
        return bool(self.rewound) and self.record_mode != RecordMode.ALL

    def can_play_response_for(self, request: Request) -> bool:
        if not self._replaying():
            return False
        key = key_of(request)
        with self._lock:
            if self._buckets.get(key) or (key in self._last and request.method.upper() == "GET"):
                return True
            self.misses.append(to_http_request(request))
            return False

    def play_response(self, request: Request) -> dict[str, Any]:
        key = key_of(request)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket:
                position = bucket.popleft()
            elif key in self._last and request.method.upper() == "GET":
                position = self._last[key]
                self.repeats += 1
            else:
                self.misses.append(to_http_request(request))
                from vcr.errors import UnhandledHTTPRequestError

                raise UnhandledHTTPRequestError(
                    f"replaykit: no recorded response left for {request.method} {request.uri}"
                )
            self.play_counts[position] += 1
            self._played.add(key)
            response: dict[str, Any] = copy.deepcopy(self.data[position][1])
        if self.on_request is not None:
            self.on_request()
        return response

    def __contains__(self, request: Request) -> bool:
        return self.can_play_response_for(request)

    def find_requests_with_most_matches(self, request: Request) -> list[Any]:
        return []  # replaykit explains misses itself (replaykit.matching.closest_requests)

    @property
    def unplayed(self) -> list[HttpRequest]:
        """Recorded requests the replay never sent (no request with their key was played), in recorded order."""
        with self._lock:
            left = sorted(p for key, bucket in self._buckets.items() if key not in self._played for p in bucket)
            return [to_http_request(self.data[p][0]) for p in left]

    @property
    def recorded_requests(self) -> list[HttpRequest]:
        return [to_http_request(r) for r, _ in self.data]


# --------------------------------------------------------------------------- patches


@contextlib.contextmanager
def _serialized_vcr_windows() -> Iterator[None]:
    """Hold one lock for vcrpy's force_reset window and for urllib3 connection checkout.

    vcrpy puts the real connection classes back process-wide while it builds or uses a real connection;
    a worker thread that checks out a connection inside that window gets an unpatched one and its request
    bypasses the cassette.  Must be entered after vcrpy's patches (it wraps the patched ``_get_conn``).
    """
    import urllib3.connectionpool as cp

    lock = threading.RLock()
    original_force_reset = vcr_patch.force_reset

    @contextlib.contextmanager
    def locked_force_reset() -> Iterator[None]:
        with lock, original_force_reset():
            yield

    saved = [(pool, pool.__dict__.get("_get_conn")) for pool in (cp.HTTPConnectionPool, cp.HTTPSConnectionPool)]
    vcr_patch.force_reset = locked_force_reset
    for pool, _ in saved:
        inner = pool._get_conn

        def locked_get_conn(self: Any, *args: Any, _inner: Any = inner, **kwargs: Any) -> Any:
            with lock:
                return _inner(self, *args, **kwargs)

        pool._get_conn = locked_get_conn  # type: ignore[method-assign]
    try:
        yield
    finally:
        vcr_patch.force_reset = original_force_reset
        for pool, previous in saved:
            if previous is not None:
                pool._get_conn = previous  # type: ignore[method-assign]


def _requests_cache_compat() -> None:
    """requests_cache reads ``response.raw._request_url``, which vcrpy's stub response lacks (vcrpy #881);
    without it every stream with ``use_cache`` (the CDK turns it on for substream parents) fails."""
    from vcr.stubs import VCRHTTPResponse

    if not hasattr(VCRHTTPResponse, "_request_url"):
        VCRHTTPResponse._request_url = property(lambda self: getattr(self, "url", None))


@contextlib.contextmanager
def intercept(cassette: IndexedCassette) -> Iterator[IndexedCassette]:
    """Route every HTTP request of this process through ``cassette`` (thread-safe)."""
    _requests_cache_compat()
    with contextlib.ExitStack() as stack:
        for patcher in vcr_patch.CassettePatcherBuilder(cassette).build():
            stack.enter_context(patcher)
        stack.enter_context(_serialized_vcr_windows())
        yield cassette


def new_cassette(path: Path, *, replay: bool) -> IndexedCassette:
    return IndexedCassette(str(path), record_mode=RecordMode.NONE if replay else RecordMode.ALL)
