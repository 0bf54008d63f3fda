"""With :mod:`replaykit._vcr_files` (the cassette files), the only module that imports vcrpy: the indexed
cassette and its patches.

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
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vcr import patch as vcr_patch
from vcr.cassette import Cassette
from vcr.filters import decode_response
from vcr.record_mode import RecordMode
from vcr.request import Request

from replaykit._vcr_files import (
    CassetteData,
    Interaction,
    StoredRequest,
    cassette_format,
    key_of,
    load_cassette,
    save_cassette,
)
from replaykit.matching import HttpRequest, RequestKey
from replaykit.scrub import Scrubber, Secret
from replaykit.secret_discovery import learn_from_exchange

# the cassette-file API (replaykit._vcr_files) is used as _vcr.<name> too
__all__ = [
    "CassetteData",
    "IndexedCassette",
    "Interaction",
    "StoredRequest",
    "cassette_format",
    "intercept",
    "key_of",
    "learn_secrets",
    "load_cassette",
    "new_cassette",
    "save_cassette",
    "scrub_interaction",
    "to_http_request",
]


def to_http_request(request: Request) -> HttpRequest:
    body = request.body
    return HttpRequest(request.method, request.uri, body if isinstance(body, bytes | None) else str(body).encode())


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
